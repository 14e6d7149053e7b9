// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: SVM guests: the VMCB and the vCPU's state in it.  The exit
 * handlers are in exit.c, the world switch in run.c.
 *
 * The VMCB intercepts every port (a 12 KiB IOPM of ones) and every MSR (an
 * 8 KiB MSRPM of ones, shared by all vCPUs), CPUID, HLT, shutdown,
 * physical interrupts, NMIs and SMIs, and every SVM instruction and a few
 * others the guest must not run (they raise #UD in the guest).  As
 * kvm_amd, also what would reach host state: the debug registers (SVM
 * switches only DR6/DR7: DR0-3 are kept here and loaded only around a
 * VMRUN whose DR7 enables a breakpoint), RDPMC (no virtual PMU: the host's
 * counters are not the guest's), WBINVD (a no-op for the guest: it would
 * flush every cache of the host) and #MC, which is the host's: its
 * handler runs, the guest never sees it.  Guest
 * memory is mapped by the nested page tables (kmod/tdp.c), filled one page
 * per nested page fault; a fault on a GPA outside every memory slot (or a
 * write to a read-only slot) is MMIO, decoded and sent to userspace by the
 * common code (kmod/emulate.c).
 *
 * The lab (QEMU TCG) has no next-RIP save and no decode assists, so the
 * length of every intercepted instruction is known here or decoded: IOIO
 * exits give the next RIP in EXITINFO2, the others have fixed lengths
 * (run.c: svm_insn_len[]).
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <asm/processor-flags.h>
#include <asm/svm.h>
#include <asm/trapnr.h>

#include "svm.h"
#include "kmod/trace.h"

#define IOPM_ORDER	2	/* 12 KiB used, 16 KiB allocated */
#define MSRPM_ORDER	1	/* 8 KiB */

static struct page *svm_iopm, *svm_msrpm;
bool svm_tsc_aux;		/* the host has TSC_AUX: the guest gets its own */

/* Segment attributes in the VMCB's packed form. */
#define SEG_TYPE_MASK	0x00f
#define SEG_S		BIT(4)
#define SEG_DPL_SHIFT	5
#define SEG_P		BIT(7)
#define SEG_AVL		BIT(8)
#define SEG_L		BIT(9)
#define SEG_DB		BIT(10)
#define SEG_G		BIT(11)

/* ---------------------------------------------------------------------
 * Module-wide state
 */

int svm_guest_setup(void)
{
	svm_iopm = alloc_pages(GFP_KERNEL, IOPM_ORDER);
	svm_msrpm = alloc_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm) {
		svm_guest_unsetup();
		return -ENOMEM;
	}
	svm_tsc_aux = minihv_uret_usable(MINIHV_URET_TSC_AUX);
	/* All ones: every port and every MSR access exits. */
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << MSRPM_ORDER);
	return 0;
}

void svm_guest_unsetup(void)
{
	if (svm_iopm)
		__free_pages(svm_iopm, IOPM_ORDER);
	if (svm_msrpm)
		__free_pages(svm_msrpm, MSRPM_ORDER);
	svm_iopm = NULL;
	svm_msrpm = NULL;
}

/* ---------------------------------------------------------------------
 * VMs
 */

int svm_vm_init(struct minihv_vm *vm)
{
	struct svm_vm *svm_vm;
	int r;

	svm_vm = kzalloc(sizeof(*svm_vm), GFP_KERNEL_ACCOUNT);
	if (!svm_vm)
		return -ENOMEM;
	/*
	 * NPT entries have the host's format: 4 or 5 levels as the host
	 * pages, and the U bit set, since nested walks are user accesses.
	 */
	r = minihv_tdp_init(&svm_vm->npt, pgtable_l5_enabled() ? 5 : 4,
			    _PAGE_PRESENT | _PAGE_RW | _PAGE_USER,
			    _PAGE_PRESENT | _PAGE_USER, _PAGE_RW);
	if (r) {
		kfree(svm_vm);
		return r;
	}
	vm->arch = svm_vm;
	return 0;
}

void svm_vm_destroy(struct minihv_vm *vm)
{
	struct svm_vm *svm_vm = to_svm_vm(vm);

	minihv_tdp_destroy(&svm_vm->npt);
	kfree(svm_vm);
	vm->arch = NULL;
}

/* Slots changed; no vCPU is in the guest (slots_lock held for write). */
void svm_vm_zap(struct minihv_vm *vm)
{
	struct svm_vm *svm_vm = to_svm_vm(vm);

	minihv_tdp_zap(&svm_vm->npt);
}

/* ---------------------------------------------------------------------
 * vCPUs: reset state
 */

static void init_seg(struct vmcb_seg *seg, u16 selector, u16 attrib)
{
	seg->selector = selector;
	seg->attrib = attrib;
	seg->limit = 0xffff;
	seg->base = 0;
}

/* The architectural reset state, as KVM sets it up. */
static void svm_init_vmcb(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	struct vmcb_save_area *s = &svm->vmcb->save;
	static const int intercepts[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI,
		INTERCEPT_CPUID, INTERCEPT_INVD, INTERCEPT_HLT,
		INTERCEPT_INVLPGA, INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT,
		INTERCEPT_SHUTDOWN, INTERCEPT_VMRUN, INTERCEPT_VMMCALL,
		INTERCEPT_VMLOAD, INTERCEPT_VMSAVE, INTERCEPT_STGI,
		INTERCEPT_CLGI, INTERCEPT_SKINIT, INTERCEPT_MONITOR,
		INTERCEPT_MWAIT, INTERCEPT_XSETBV, INTERCEPT_RDPRU,
		INTERCEPT_CR8_WRITE, INTERCEPT_RDPMC, INTERCEPT_WBINVD,
		INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_MC,
		/*
		 * The CPU checks a MOV to CR4 against its own features, not
		 * against the guest's CPUID: KVM's rules (kmod/x86.c).
		 */
		INTERCEPT_CR4_WRITE,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		c->intercepts[intercepts[i] / 32] |= BIT(intercepts[i] % 32);
	/* Every read and write of DR0-DR7. */
	for (i = 0; i < 8; i++) {
		c->intercepts[(INTERCEPT_DR0_READ + i) / 32] |=
			BIT((INTERCEPT_DR0_READ + i) % 32);
		c->intercepts[(INTERCEPT_DR0_WRITE + i) / 32] |=
			BIT((INTERCEPT_DR0_WRITE + i) % 32);
	}
	memset(svm->db, 0, sizeof(svm->db));
	c->iopm_base_pa = page_to_phys(svm_iopm);
	c->msrpm_base_pa = page_to_phys(svm_msrpm);
	c->int_ctl = V_INTR_MASKING_MASK;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = to_svm_vm(vcpu->vm)->npt.root_pa;

	init_seg(&s->cs, 0xf000, SEG_P | SEG_S | 0xb);	/* code, accessed */
	s->cs.base = 0xffff0000;
	init_seg(&s->ds, 0, SEG_P | SEG_S | 0x3);	/* data, accessed */
	init_seg(&s->es, 0, SEG_P | SEG_S | 0x3);
	init_seg(&s->ss, 0, SEG_P | SEG_S | 0x3);
	init_seg(&s->fs, 0, SEG_P | SEG_S | 0x3);
	init_seg(&s->gs, 0, SEG_P | SEG_S | 0x3);
	init_seg(&s->gdtr, 0, 0);
	init_seg(&s->idtr, 0, 0);
	init_seg(&s->ldtr, 0, SEG_P | 0x2);		/* LDT */
	init_seg(&s->tr, 0, SEG_P | 0xb);		/* busy 32-bit TSS */
	s->cr0 = X86_CR0_NW | X86_CR0_CD | X86_CR0_ET;
	s->efer = EFER_SVME;	/* required by VMRUN; hidden from the guest */
	s->dr6 = MINIHV_DR6_FIXED_1;
	s->dr7 = MINIHV_DR7_FIXED_1;
	s->g_pat = 0x0007040600070406ULL;	/* the reset PAT */

	vcpu->rip = 0xfff0;
	vcpu->rflags = X86_EFLAGS_FIXED;
	vcpu->regs[VCPU_RDX] = 0x600;	/* processor signature, as KVM */
	svm->apic_base = 0xfee00000ULL | MSR_IA32_APICBASE_ENABLE |
			 (vcpu->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	if (!svm_npt)
		svm_shadow_init(vcpu);
}

/* No event pending or in flight: INIT, shutdown, a new vCPU. */
static void svm_reset_events(struct svm_vcpu *svm)
{
	svm->event_inj = 0;
	svm->virq = -1;
	svm->nmi_masked = false;
	svm->nmi_iret = false;
	svm->nmi_step = false;
}

int svm_vcpu_create(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm;
	struct page *page;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	svm->cpu = -1;
	svm_reset_events(svm);
	vcpu->arch = svm;
	svm_init_vmcb(vcpu);
	return 0;
}

void svm_vcpu_free(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm_shadow_free(vcpu);
	free_page((unsigned long)svm->vmcb);
	kfree(svm);
	vcpu->arch = NULL;
}

/* ---------------------------------------------------------------------
 * Segments and control registers (KVM_GET/SET_SREGS)
 */

static void seg_to_kvm(const struct vmcb_seg *v, struct kvm_segment *k)
{
	k->base = v->base;
	k->limit = v->limit;
	k->selector = v->selector;
	k->type = v->attrib & SEG_TYPE_MASK;
	k->s = !!(v->attrib & SEG_S);
	k->dpl = (v->attrib >> SEG_DPL_SHIFT) & 3;
	k->present = !!(v->attrib & SEG_P);
	k->avl = !!(v->attrib & SEG_AVL);
	k->l = !!(v->attrib & SEG_L);
	k->db = !!(v->attrib & SEG_DB);
	k->g = !!(v->attrib & SEG_G);
	k->unusable = !k->present;
	k->padding = 0;
}

static void seg_from_kvm(struct vmcb_seg *v, const struct kvm_segment *k)
{
	v->base = k->base;
	v->limit = k->limit;
	v->selector = k->selector;
	v->attrib = 0;
	if (k->unusable || !k->present)
		return;
	v->attrib = (k->type & SEG_TYPE_MASK) | (k->s ? SEG_S : 0) |
		    ((k->dpl & 3) << SEG_DPL_SHIFT) | SEG_P |
		    (k->avl ? SEG_AVL : 0) | (k->l ? SEG_L : 0) |
		    (k->db ? SEG_DB : 0) | (k->g ? SEG_G : 0);
}

static void dt_to_kvm(const struct vmcb_seg *v, struct kvm_dtable *k)
{
	k->base = v->base;
	k->limit = v->limit;
	memset(k->padding, 0, sizeof(k->padding));
}

/* The guest's view: the VMCB's with NPT, shadow.c's without. */
void svm_get_crs(struct minihv_vcpu *vcpu, struct minihv_crs *crs)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *s = &svm->vmcb->save;

	if (!svm_npt) {
		*crs = svm->sp.crs;
		return;
	}
	crs->cr0 = s->cr0;
	crs->cr3 = s->cr3;
	crs->cr4 = s->cr4;
	crs->efer = s->efer & ~EFER_SVME;
}

/* The CPU loads PAE's PDPTEs itself at VMRUN: @pdptrs is not needed. */
int svm_set_crs(struct minihv_vcpu *vcpu, const struct minihv_crs *old,
		const struct minihv_crs *crs, const u64 *pdptrs)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;

	if (!svm_npt) {
		svm_shadow_set_crs(vcpu, crs);
		return 0;
	}
	s->cr0 = crs->cr0;
	s->cr3 = crs->cr3;
	s->cr4 = crs->cr4;
	s->efer = crs->efer | EFER_SVME;
	return 0;
}

/*
 * With NPT, a fresh ASID at the next entry (svm_load_asid()) drops
 * every translation of the old one; shadow.c drops its tree.
 */
void svm_reset_mmu(struct minihv_vcpu *vcpu)
{
	if (!svm_npt)
		svm_shadow_reset(vcpu);
	else
		to_svm(vcpu)->cpu = -1;
}

void svm_get_sregs(struct minihv_vcpu *vcpu, struct kvm_sregs *sregs)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;
	struct minihv_crs crs;

	memset(sregs, 0, sizeof(*sregs));
	seg_to_kvm(&s->cs, &sregs->cs);
	seg_to_kvm(&s->ds, &sregs->ds);
	seg_to_kvm(&s->es, &sregs->es);
	seg_to_kvm(&s->fs, &sregs->fs);
	seg_to_kvm(&s->gs, &sregs->gs);
	seg_to_kvm(&s->ss, &sregs->ss);
	seg_to_kvm(&s->tr, &sregs->tr);
	seg_to_kvm(&s->ldtr, &sregs->ldt);
	/* TR is always usable; the present bit is all SVM keeps. */
	sregs->tr.unusable = 0;
	dt_to_kvm(&s->gdtr, &sregs->gdt);
	dt_to_kvm(&s->idtr, &sregs->idt);
	sregs->cr2 = s->cr2;
	sregs->apic_base = to_svm(vcpu)->apic_base;
	svm_get_crs(vcpu, &crs);
	sregs->cr0 = crs.cr0;
	sregs->cr3 = crs.cr3;
	sregs->cr4 = crs.cr4;
	sregs->efer = crs.efer;
}

int svm_set_sregs(struct minihv_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *s = &svm->vmcb->save;
	struct minihv_crs old, crs = {
		.cr0 = sregs->cr0, .cr3 = sregs->cr3, .cr4 = sregs->cr4,
		.efer = sregs->efer,
	};
	seg_from_kvm(&s->cs, &sregs->cs);
	seg_from_kvm(&s->ds, &sregs->ds);
	seg_from_kvm(&s->es, &sregs->es);
	seg_from_kvm(&s->fs, &sregs->fs);
	seg_from_kvm(&s->gs, &sregs->gs);
	seg_from_kvm(&s->ss, &sregs->ss);
	seg_from_kvm(&s->tr, &sregs->tr);
	seg_from_kvm(&s->ldtr, &sregs->ldt);
	s->gdtr.base = sregs->gdt.base;
	s->gdtr.limit = sregs->gdt.limit;
	s->idtr.base = sregs->idt.base;
	s->idtr.limit = sregs->idt.limit;
	/* CPL is SS.DPL; real mode runs at 0. */
	s->cpl = (sregs->cr0 & X86_CR0_PE) ? sregs->ss.dpl & 3 : 0;
	s->cr2 = sregs->cr2;
	svm->apic_base = sregs->apic_base;
	svm_get_crs(vcpu, &old);
	svm_set_crs(vcpu, &old, &crs, NULL);
	svm_reset_mmu(vcpu);
	return 0;
}

/* ---------------------------------------------------------------------
 * MSRs kept in the VMCB
 */

int svm_get_msr(struct minihv_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_save_area *s = &vmcb->save;

	switch (index) {
	case MSR_IA32_CR_PAT:
		*data = s->g_pat;
		break;
	case MSR_STAR:
		*data = s->star;
		break;
	case MSR_LSTAR:
		*data = s->lstar;
		break;
	case MSR_CSTAR:
		*data = s->cstar;
		break;
	case MSR_SYSCALL_MASK:
		*data = s->sfmask;
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = s->sysenter_cs;
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = s->sysenter_esp;
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = s->sysenter_eip;
		break;
	case MSR_FS_BASE:
		*data = s->fs.base;
		break;
	case MSR_GS_BASE:
		*data = s->gs.base;
		break;
	case MSR_KERNEL_GS_BASE:
		*data = s->kernel_gs_base;
		break;
	case MSR_IA32_TSC:
		*data = rdtsc() + vmcb->control.tsc_offset;
		break;
	case MSR_IA32_APICBASE:
		*data = to_svm(vcpu)->apic_base;
		break;
	case MSR_TSC_AUX:
		*data = to_svm(vcpu)->tsc_aux;
		break;
	default:
		return MINIHV_MSR_UNHANDLED;
	}
	return 0;
}

int svm_set_msr(struct minihv_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_save_area *s = &vmcb->save;

	switch (index) {
	case MSR_IA32_CR_PAT:
		if (!minihv_pat_valid(data))
			return -EINVAL;
		s->g_pat = data;
		break;
	case MSR_STAR:
		s->star = data;
		break;
	case MSR_LSTAR:
	case MSR_CSTAR:
		if (minihv_uret_check(vcpu, index, &data))
			return -EINVAL;
		fallthrough;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (!minihv_canonical(data))
			return -EINVAL;
		if (index == MSR_LSTAR)
			s->lstar = data;
		else if (index == MSR_CSTAR)
			s->cstar = data;
		else if (index == MSR_FS_BASE)
			s->fs.base = data;
		else if (index == MSR_GS_BASE)
			s->gs.base = data;
		else if (index == MSR_KERNEL_GS_BASE)
			s->kernel_gs_base = data;
		else if (index == MSR_IA32_SYSENTER_ESP)
			s->sysenter_esp = data;
		else
			s->sysenter_eip = data;
		break;
	case MSR_SYSCALL_MASK:
		s->sfmask = data;
		break;
	case MSR_IA32_SYSENTER_CS:
		s->sysenter_cs = data;
		break;
	case MSR_IA32_TSC:
		vmcb->control.tsc_offset = data - rdtsc();
		break;
	case MSR_IA32_APICBASE:
		/* No in-kernel APIC yet: remembered, not acted on. */
		to_svm(vcpu)->apic_base = data;
		break;
	case MSR_TSC_AUX:
		/* KVM's rules; then the CPU's, since it is loaded for RDTSCP. */
		if (minihv_uret_check(vcpu, index, &data) ||
		    (svm_tsc_aux && minihv_uret_try(MINIHV_URET_TSC_AUX, data)))
			return -EINVAL;
		to_svm(vcpu)->tsc_aux = data;
		break;
	default:
		return MINIHV_MSR_UNHANDLED;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * Events
 */

void svm_queue_exception(struct minihv_vcpu *vcpu, u8 vector,
			 bool has_error, u32 error)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT | vector |
			 (has_error ? SVM_EVTINJ_VALID_ERR : 0);
	svm->event_inj_err = error;
	trace_minihv_inject(vcpu, MINIHV_INJ_EXCEPTION, vector, has_error,
			    error);
}

int svm_queued_exception(struct minihv_vcpu *vcpu)
{
	u32 ev = to_svm(vcpu)->event_inj;

	if ((ev & SVM_EVTINJ_VALID) &&
	    (ev & SVM_EVTINJ_TYPE_MASK) == SVM_EVTINJ_TYPE_EXEPT)
		return ev & SVM_EVTINJ_VEC_MASK;
	return -1;
}

void svm_cancel_event(struct minihv_vcpu *vcpu)
{
	to_svm(vcpu)->event_inj = 0;
}

void svm_set_cr2(struct minihv_vcpu *vcpu, u64 cr2)
{
	to_svm(vcpu)->vmcb->save.cr2 = cr2;
}

/* STI/MOV SS shadow, unless an emulated instruction moved RIP since. */
static bool svm_shadow(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return (svm->vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK) &&
	       vcpu->rip == svm->exit_rip;
}

void svm_cancel_window(struct vmcb_control_area *c)
{
	c->int_ctl &= ~V_IRQ_INJECTION_BITS_MASK;
	svm_set_intercept(c, INTERCEPT_VINTR, false);
}

bool svm_interrupt_allowed(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return !(svm->event_inj & SVM_EVTINJ_VALID) && svm->virq < 0 &&
	       (vcpu->rflags & X86_EFLAGS_IF) && !svm_shadow(vcpu);
}

bool svm_nmi_allowed(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return !(svm->event_inj & SVM_EVTINJ_VALID) && !svm->nmi_masked &&
	       !svm_shadow(vcpu);
}

/*
 * External interrupts go in as a virtual interrupt (V_IRQ with its vector,
 * ignoring V_TPR), not through EVENTINJ: the guest takes it at the entry,
 * since it is only injected when the guest can take it (IF=1, no shadow).
 * The CPU delivers it through the IDT exactly as EVENTINJ would, and clears
 * V_IRQ when it has taken it (svm_sync_events()).
 *
 * Why not EVENTINJ: QEMU's TCG (the SVM lab) delivers an EVENTINJ
 * interrupt inside VMRUN but leaves it as the vCPU's pending exception, and
 * delivers it a second time if its CPU loop is asked to exit before
 * anything else resets that (a timer, another vCPU): the guest then counts
 * two interrupts, or takes one at the first instruction of its handler
 * with IF=0.  kvm_amd, which uses EVENTINJ, shows this in the lab too
 * (Documentation/labs.rst).  QEMU's V_IRQ path has no such problem, and on
 * hardware both are the same delivery.
 */
void svm_inject_irq(struct minihv_vcpu *vcpu, u8 vector)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->virq = vector;
	/*
	 * A window armed for this interrupt (the guest had IF=0 at an earlier
	 * entry) has served: V_IRQ is free for the interrupt itself, unless
	 * userspace's PIC waits for the window (svm_load_virq()).
	 */
	if (svm_window_armed(&svm->vmcb->control) &&
	    !READ_ONCE(vcpu->run->request_interrupt_window))
		svm_cancel_window(&svm->vmcb->control);
}

/*
 * NMIs stay blocked until the NMI handler's IRET has retired.  SVM (without
 * vNMI) says when an IRET is about to run (the IRET intercept, before it
 * executes), not when it has: exit_iret() notes where it is, and the first
 * exit at another RIP unmasks (svm_sync_events()).  If another NMI waits,
 * the guest single-steps over that IRET (svm_request_window()): the #DB
 * after it is that exit.  Unmasking at the intercept itself would let the
 * next NMI in before the IRET, nested in the handler.
 */
void svm_inject_nmi(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI | 2;
	svm->event_inj_err = 0;
	svm->nmi_masked = true;
	svm_set_intercept(&svm->vmcb->control, INTERCEPT_IRET, true);
}

/*
 * Interrupt window: a virtual interrupt (V_IRQ, ignoring V_TPR) whose
 * delivery is intercepted (VINTR) exits as soon as the guest can take an
 * interrupt.  An NMI blocked by an earlier NMI waits for the IRET exit;
 * one blocked by a shadow uses the interrupt window too.
 */
void svm_request_window(struct minihv_vcpu *vcpu, bool nmi)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	/*
	 * "STI; HLT" with the event already waiting: the HLT is done here as
	 * the CPU does it, halting and woken at once by the event (RIP past
	 * it, the shadow over), and the window opens right away.  Needed
	 * under QEMU's TCG, which does not load the shadow (int_state) at
	 * VMRUN: the window would open before the HLT, whose guest then
	 * halts after its handler, its wake-up lost (labs.rst).
	 */
	if (svm_shadow(vcpu) && !(to_svm(vcpu)->event_inj & SVM_EVTINJ_VALID) &&
	    minihv_insn_is_hlt(vcpu)) {
		vcpu->rip++;
		c->int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	}
	/*
	 * An interrupt already in V_IRQ goes in first; the exit after it (its
	 * EOI, at the latest) looks at the others.  Only userspace's PIC needs
	 * the window itself then (svm_load_virq()).
	 */
	if (!nmi && to_svm(vcpu)->virq >= 0 &&
	    !READ_ONCE(vcpu->run->request_interrupt_window))
		return;
	if (nmi && to_svm(vcpu)->nmi_masked) {
		if (to_svm(vcpu)->nmi_iret && !to_svm(vcpu)->nmi_step) {
			to_svm(vcpu)->nmi_step = true;
			svm_set_intercept(c, INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_DB,
				      true);
		}
		return;
	}
	c->int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK |
		      (0xf << V_INTR_PRIO_SHIFT);
	svm_set_intercept(c, INTERCEPT_VINTR, true);
}

/* INIT: the reset state, minus what INIT keeps (nothing we hold here). */
void svm_vcpu_reset(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	memset(svm->vmcb, 0, PAGE_SIZE);
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	svm_init_vmcb(vcpu);
	svm->asid_generation = 0;
	svm_reset_events(svm);
}

/* ---------------------------------------------------------------------
 * CPL and debug registers
 */

int svm_get_cpl(struct minihv_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.cpl;
}

/* DR0-3 live in struct svm_vcpu (see svm_vcpu_run()), DR6/DR7 in the VMCB. */
u64 svm_get_dr(struct minihv_vcpu *vcpu, int dr)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (dr < 4)
		return svm->db[dr];
	return dr == 6 ? svm->vmcb->save.dr6 : svm->vmcb->save.dr7;
}

void svm_set_dr(struct minihv_vcpu *vcpu, int dr, u64 val)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (dr < 4)
		svm->db[dr] = val;
	else if (dr == 6)
		svm->vmcb->save.dr6 = val;
	else
		svm->vmcb->save.dr7 = val;
}
