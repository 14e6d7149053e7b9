// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: VMX guests: the VMCS, entering the guest, and one handler per
 * exit reason.
 *
 * Guests run with EPT and "unrestricted guest" (real mode included): the
 * EPT tables are built by kmod/tdp.c, an EPT violation mapping the RAM of
 * its whole 2 MiB region, and a violation outside every memory slot (or a
 * write to a read-only slot) is MMIO for the common code (kmod/exit.c).
 * Every port (unconditional I/O exiting) and every MSR (an all-ones MSR
 * bitmap, or none) exits, so do CPUID, HLT, external interrupts, NMIs,
 * PAUSE loops (pause-loop exiting, where the CPU has it), MOV to/from a
 * debug register (the guest's DR0-3/6/7 are kept here, see exit_dr()),
 * and the VMX instructions and XSETBV, which raise #UD in the guest.
 * Without EPT or unrestricted guest, paging is shadowed (shadow.c) and
 * real mode runs in virtual-8086 mode (realmode.c).
 *
 * The VMCS is only touched with preemption disabled and after
 * vmx_load(), which makes it current on this CPU: VMCLEAR on the CPU it
 * was active on (an IPI), then VMPTRLD here.  Each CPU lists the VMCSs
 * active on it, for VMXOFF (vmx.c).  Exit handlers run preemptible (they
 * allocate EPT tables, call into exit.c), so whatever reads or writes the
 * VMCS goes through vmx_get()/vmx_put().
 *
 * CR0.NE, CR0.CD/NW (kept clear in the real CR0, as KVM does) and all of
 * CR4 but the bits a guest may flip at will (PGE, TSD, PCE, DE, PVI,
 * OSFXSR, OSXMMEXCPT, FSGSBASE, where its CPUID has them: KVM's set) are
 * owned by the host: the guest reads its own values from the read
 * shadows, and a write that changes them exits (CR_ACCESS) and is done
 * by kmod/x86.c, which checks it against the guest's CPUID.  The other
 * CR0 bits (PE, PG, WP...) are the guest's: it changes them without an
 * exit (with unrestricted guest, even real mode to long mode), so after
 * an exit vmx->cr0/cr4 are read back from the VMCS before use
 * (vmx_sync_crs()).
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/hw_breakpoint.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/pgtable.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/thread_info.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>

#include "vmx.h"
#include "kmod/stats.h"
#include "kmod/trace.h"

#define DR7_BP_ENABLES	0xffULL		/* L0-3, G0-3 */
/* DR6, as KVM's for a guest without RTM or bus-lock detection. */
#define DR6_RESET	MINIHV_DR6_FIXED_1	/* = the host's DR6_RESERVED */
#define PAT_RESET	0x0007040600070406ULL

/*
 * PAUSE-loop exiting: a guest executing PAUSEs at most VMX_PLE_GAP TSC
 * cycles apart for more than VMX_PLE_WINDOW cycles exits (KVM's
 * defaults).
 */
#define VMX_PLE_GAP	128
#define VMX_PLE_WINDOW	4096

/* Host-owned CR0 bits besides VMX's fixed ones (real CR0 keeps them 0). */
#define CR0_HOST_CLEAR	(X86_CR0_CD | X86_CR0_NW)

/* Exit qualification of CR accesses. */
#define CR_QUAL_NR(q)		((q) & 0xf)
#define CR_QUAL_TYPE(q)		(((q) >> 4) & 3)
#define CR_QUAL_GPR(q)		(((q) >> 8) & 0xf)
#define CR_TYPE_MOV_TO		0
#define CR_TYPE_MOV_FROM	1
#define CR_TYPE_CLTS		2
#define CR_TYPE_LMSW		3

/* Exit qualification of MOV DR. */
#define DR_QUAL_NR(q)		((q) & 7)
#define DR_QUAL_FROM		BIT(4)
#define DR_QUAL_GPR(q)		(((q) >> 8) & 0xf)

/* Exit qualification of I/O instructions. */
#define IO_QUAL_SIZE(q)		(((q) & 7) + 1)
#define IO_QUAL_IN		BIT(3)
#define IO_QUAL_STRING		BIT(4)
#define IO_QUAL_REP		BIT(5)
#define IO_QUAL_PORT(q)		((q) >> 16)

static struct page *vmx_msr_bitmap;
static DEFINE_SPINLOCK(vpid_lock);
static unsigned long *vpid_bitmap;	/* VPID 0 is the host's */
#define NR_VPIDS	(1 << 16)

/*
 * For tests of VPID exhaustion: hand out VPIDs 1..vpid_max only (0: all).
 * Writable at run time; read when a vCPU is created.
 */
static unsigned int vpid_max;
module_param(vpid_max, uint, 0644);
MODULE_PARM_DESC(vpid_max, "Use only VPIDs 1..vpid_max (default 0: all 65535; for tests)");

void vmcs_write_error(unsigned long field, u64 value)
{
	pr_err_ratelimited("VMWRITE %#lx <- %#llx failed (error %llu)\n",
			   field, value, vmcs_read(VM_INSTRUCTION_ERROR));
}

/* ---------------------------------------------------------------------
 * Module-wide state
 */

int vmx_guest_setup(void)
{
	BUILD_BUG_ON(VMX_HOST_RSP_FIELD != HOST_RSP);
	vmx_msr_bitmap = alloc_page(GFP_KERNEL);
	vpid_bitmap = bitmap_zalloc(NR_VPIDS, GFP_KERNEL);
	if (!vmx_msr_bitmap || !vpid_bitmap) {
		vmx_guest_unsetup();
		return -ENOMEM;
	}
	/* All ones: every RDMSR and WRMSR exits. */
	memset(page_address(vmx_msr_bitmap), 0xff, PAGE_SIZE);
	__set_bit(0, vpid_bitmap);
	if (vmx_rm_setup()) {
		vmx_guest_unsetup();
		return -ENOMEM;
	}
	return 0;
}

void vmx_guest_unsetup(void)
{
	if (vmx_msr_bitmap)
		__free_page(vmx_msr_bitmap);
	vmx_msr_bitmap = NULL;
	bitmap_free(vpid_bitmap);
	vpid_bitmap = NULL;
	vmx_rm_unsetup();
}

/*
 * A VPID, or 0 when none is left: that vCPU then runs with "enable VPID"
 * off (VM entry refuses VPID 0 with it on), as KVM does, and every entry
 * and exit flushes its linear mappings.
 */
static u16 vpid_alloc(void)
{
	unsigned int max = READ_ONCE(vpid_max);
	unsigned long vpid, nr = NR_VPIDS;

	if (!vmx_cfg.vpid)
		return 0;
	if (max && max < NR_VPIDS - 1)
		nr = max + 1;
	spin_lock(&vpid_lock);
	vpid = find_first_zero_bit(vpid_bitmap, nr);
	if (vpid < nr)
		__set_bit(vpid, vpid_bitmap);
	else
		vpid = 0;
	spin_unlock(&vpid_lock);
	return vpid;
}

static void vpid_free(u16 vpid)
{
	if (!vpid)
		return;
	spin_lock(&vpid_lock);
	__clear_bit(vpid, vpid_bitmap);
	spin_unlock(&vpid_lock);
}

/* ---------------------------------------------------------------------
 * VMs
 */

static struct vmx_vm *to_vmx_vm(struct minihv_vm *vm)
{
	return vm->arch;
}

static struct vmx_vcpu *to_vmx(struct minihv_vcpu *vcpu)
{
	return vcpu->arch;
}

int vmx_vm_init(struct minihv_vm *vm)
{
	struct vmx_vm *vmx_vm;
	int r;

	if (!vmx_cfg.usable) {
		pr_err_once("VMX cannot run guests: the CPU lacks %s\n",
			    vmx_cfg.missing);
		return -EOPNOTSUPP;
	}
	vmx_vm = kzalloc(sizeof(*vmx_vm), GFP_KERNEL_ACCOUNT);
	if (!vmx_vm)
		return -ENOMEM;
	/*
	 * Tables: readable, writable, executable; leaves: readable and
	 * executable, write-back, writable unless the slot is read-only.
	 */
	r = minihv_tdp_init(&vmx_vm->ept, vmx_cfg.ept_levels, VMX_EPT_RWX_MASK,
			    VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK |
			    (VMX_EPTP_MT_WB << VMX_EPT_MT_EPTE_SHIFT),
			    VMX_EPT_WRITABLE_MASK);
	if (r) {
		kfree(vmx_vm);
		return r;
	}
	vmx_vm->eptp = vmx_vm->ept.root_pa | VMX_EPTP_MT_WB |
		       ((u64)(vmx_cfg.ept_levels - 1) << 3);
	vm->arch = vmx_vm;
	return 0;
}

void vmx_vm_destroy(struct minihv_vm *vm)
{
	struct vmx_vm *vmx_vm = to_vmx_vm(vm);

	minihv_tdp_destroy(&vmx_vm->ept);
	kfree(vmx_vm);
	vm->arch = NULL;
}

/* Slots changed; no vCPU is in the guest (slots_lock held for write). */
void vmx_vm_zap(struct minihv_vm *vm)
{
	struct vmx_vm *vmx_vm = to_vmx_vm(vm);

	minihv_tdp_zap(&vmx_vm->ept);
}

/* ---------------------------------------------------------------------
 * TLB flushes
 */

static void vmx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, gpa; } desc = { eptp, 0 };

	asm volatile("1: invept %[desc], %[type]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

static void vmx_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gva; } desc = { vpid, 0 };

	asm volatile("1: invvpid %[desc], %[type]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

/* Everything this vCPU may have cached on this CPU.  Preemption off. */
static void vmx_flush(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 eptp = to_vmx_vm(vcpu->vm)->eptp;

	if (!vmx_cfg.ept_ug)
		;	/* shadow paging: no EPT */
	else if (vmx_cfg.invept_single)
		vmx_invept(VMX_EPT_EXTENT_CONTEXT, eptp);
	else
		vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	if (vmx->vpid) {
		if (vmx_cfg.invvpid_single)
			vmx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid);
		else
			vmx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
	}
	vmx->need_flush = false;
}

/* ---------------------------------------------------------------------
 * Loading the VMCS on a CPU
 */

/* IPI, IRQs off: VMCLEAR @info's VMCS if it is still active here. */
static void vmx_clear_here(void *info)
{
	struct vmx_vcpu *vmx = info;
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);

	if (READ_ONCE(vmx->cpu) != smp_processor_id())
		return;		/* VMXOFF already cleared it */
	vmcs_clear(vmx->vmcs_pa);
	if (vc->current_vcpu == vmx)
		vc->current_vcpu = NULL;
	list_del_init(&vmx->loaded_node);
	vmx->launched = false;
	/* The VMCLEAR is done before anyone sees cpu == -1 (vmx_load()). */
	smp_wmb();
	WRITE_ONCE(vmx->cpu, -1);
}

static void vmx_init_vmcs(struct minihv_vcpu *vcpu);

/* Host state that depends on the CPU only. */
static void vmx_set_host_cpu_state(int cpu)
{
	struct desc_ptr dt;
	u64 msr;

	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	native_store_gdt(&dt);
	vmcs_write(HOST_GDTR_BASE, dt.address);
	store_idt(&dt);
	vmcs_write(HOST_IDTR_BASE, dt.address);
	vmcs_write(HOST_GS_BASE, cpu_kernelmode_gs_base(cpu));
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write(HOST_IA32_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_ESP, msr);
	vmcs_write(HOST_IA32_SYSENTER_ESP, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_SYSENTER_EIP, msr);
	rdmsrl(MSR_EFER, msr);
	vmcs_write(HOST_IA32_EFER, msr);
	rdmsrl(MSR_IA32_CR_PAT, msr);
	vmcs_write(HOST_IA32_PAT, msr);
}

/*
 * Another vCPU's VMCS became current here: what the last guest trained in
 * the indirect branch predictors must not steer this one (or another VM),
 * where the host uses IBPB (X86_FEATURE_USE_IBPB), as KVM does.
 */
static void vmx_ibpb_switch(void)
{
	indirect_branch_prediction_barrier();
}

/*
 * Make the vCPU's VMCS current on this CPU.  Preemption off, IRQs on (the
 * VMCLEAR on another CPU is an IPI).  Returns false if VMX is off here.
 */
static bool vmx_load(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	int cpu = smp_processor_id();
	int old = READ_ONCE(vmx->cpu);

	if (!vc->on)
		return false;
	if (old == cpu) {
		if (vc->current_vcpu != vmx) {
			if (!vmcs_load(vmx->vmcs_pa))
				return false;
			vc->current_vcpu = vmx;
			vmx_ibpb_switch();
		}
		return true;
	}

	if (old >= 0)
		smp_call_function_single(old, vmx_clear_here, vmx, 1);
	/* Pairs with the smp_wmb() of whoever cleared it. */
	smp_rmb();

	local_irq_disable();
	if (!vc->on) {
		local_irq_enable();
		return false;
	}
	/* Launch state "clear", contents written back: then make it current. */
	vmcs_clear(vmx->vmcs_pa);
	if (!vmcs_load(vmx->vmcs_pa)) {
		local_irq_enable();
		return false;
	}
	vc->current_vcpu = vmx;
	vmx_ibpb_switch();
	list_add(&vmx->loaded_node, &vc->loaded);
	vmx->launched = false;
	WRITE_ONCE(vmx->cpu, cpu);
	local_irq_enable();

	if (!vmx->initialized)
		vmx_init_vmcs(vcpu);
	vmx_set_host_cpu_state(cpu);
	/* This CPU may have stale translations from an earlier stay. */
	vmx->need_flush = true;
	return true;
}

/* Access the VMCS from preemptible code. */
bool vmx_get(struct minihv_vcpu *vcpu)
{
	preempt_disable();
	if (vmx_load(vcpu))
		return true;
	preempt_enable();
	return false;
}

void vmx_put(void)
{
	preempt_enable();
}

/* ---------------------------------------------------------------------
 * Segments
 */

/* kvm_segment <-> VMX access rights (bit 16 = unusable). */
static u32 seg_ar(const struct kvm_segment *k)
{
	if (k->unusable || !k->present)
		return VMX_AR_UNUSABLE_MASK | ((k->dpl & 3) << VMX_AR_DPL_SHIFT);
	return (k->type & VMX_AR_TYPE_MASK) | (k->s ? VMX_AR_S_MASK : 0) |
	       ((k->dpl & 3) << VMX_AR_DPL_SHIFT) | VMX_AR_P_MASK |
	       (k->avl ? BIT(12) : 0) | (k->l ? VMX_AR_L_MASK : 0) |
	       (k->db ? VMX_AR_DB_MASK : 0) | (k->g ? VMX_AR_G_MASK : 0);
}

void vmx_get_seg(int seg, struct kvm_segment *k)
{
	u32 ar = vmcs_read(vmx_seg_field(GUEST_ES_AR_BYTES, seg));

	memset(k, 0, sizeof(*k));
	k->base = vmcs_read(vmx_seg_field(GUEST_ES_BASE, seg));
	k->limit = vmcs_read(vmx_seg_field(GUEST_ES_LIMIT, seg));
	k->selector = vmcs_read(vmx_seg_field(GUEST_ES_SELECTOR, seg));
	k->dpl = VMX_AR_DPL(ar);
	k->unusable = !!(ar & VMX_AR_UNUSABLE_MASK);
	if (k->unusable)
		return;
	k->type = ar & VMX_AR_TYPE_MASK;
	k->s = !!(ar & VMX_AR_S_MASK);
	k->present = !!(ar & VMX_AR_P_MASK);
	k->avl = !!(ar & BIT(12));
	k->l = !!(ar & VMX_AR_L_MASK);
	k->db = !!(ar & VMX_AR_DB_MASK);
	k->g = !!(ar & VMX_AR_G_MASK);
	k->unusable = !k->present;
}

void vmx_set_seg(int seg, const struct kvm_segment *k)
{
	struct kvm_segment s = *k;

	/* As KVM with unrestricted guest: the accessed bit is always set. */
	if (seg != SEG_LDTR && seg != SEG_TR)
		s.type |= VMX_AR_TYPE_ACCESSES_MASK;
	vmcs_write(vmx_seg_field(GUEST_ES_SELECTOR, seg), s.selector);
	vmcs_write(vmx_seg_field(GUEST_ES_BASE, seg), s.base);
	vmcs_write(vmx_seg_field(GUEST_ES_LIMIT, seg), s.limit);
	vmcs_write(vmx_seg_field(GUEST_ES_AR_BYTES, seg), seg_ar(&s));
}

static void init_seg(int seg, u16 selector, u32 ar)
{
	vmcs_write(vmx_seg_field(GUEST_ES_SELECTOR, seg), selector);
	vmcs_write(vmx_seg_field(GUEST_ES_BASE, seg), 0);
	vmcs_write(vmx_seg_field(GUEST_ES_LIMIT, seg), 0xffff);
	vmcs_write(vmx_seg_field(GUEST_ES_AR_BYTES, seg), ar);
}

/* ---------------------------------------------------------------------
 * Control registers
 */

/* CR0 bits the host owns: VMX's fixed-to-1 bits (less PE/PG), CD, NW. */
static u64 cr0_host_mask(void)
{
	return (vmx_cfg.cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG)) |
	       CR0_HOST_CLEAR;
}

/* The CR4 bits KVM lets a guest own (KVM_POSSIBLE_CR4_GUEST_BITS). */
#define CR4_GUEST_OWNABLE	(X86_CR4_PVI | X86_CR4_DE | X86_CR4_PCE | \
				 X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | \
				 X86_CR4_PGE | X86_CR4_TSD | X86_CR4_FSGSBASE)

/*
 * The CR4 bits the host owns: all, under shadow paging; else all but
 * those the guest may own and its CPUID offers (a write of any other
 * must be checked: the CPU would take a bit the guest lacks).
 */
static u64 cr4_host_mask(struct minihv_vcpu *vcpu)
{
	if (!vmx_cfg.ept_ug)
		return ~0ULL;
	return ~(CR4_GUEST_OWNABLE & ~vcpu->cr4_guest_rsvd &
		 ~minihv_hw_cr4_reserved & ~vmx_cfg.cr4_fixed0);
}

/* The CR0 the hardware runs with for a guest CR0 of @cr0. */
static u64 cr0_real(u64 cr0)
{
	return (cr0 & ~CR0_HOST_CLEAR) |
	       (vmx_cfg.cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG));
}

static u64 cr4_real(u64 cr4)
{
	return cr4 | vmx_cfg.cr4_fixed0;
}

/*
 * The guest-owned bits of CR0 and CR4 from the VMCS into vmx->cr0/cr4,
 * if the guest ran since they were last read.  VMCS loaded.
 */
static void vmx_sync_crs(struct vmx_vcpu *vmx)
{
	u64 m0 = cr0_host_mask(), m4 = vmx->cr4_host_mask;

	if (!vmx->crs_stale)
		return;
	vmx->cr0 = (vmx->cr0 & m0) | (vmcs_read(GUEST_CR0) & ~m0);
	vmx->cr4 = (vmx->cr4 & m4) | (vmcs_read(GUEST_CR4) & ~m4);
	vmx->crs_stale = false;
}

/* EFER.LMA decides the "IA-32e mode guest" entry control.  VMCS loaded. */
static void vmx_set_efer(struct minihv_vcpu *vcpu, u64 efer)
{
	u32 entry = vmx_cfg.entry;

	if (efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vmcs_write(VM_ENTRY_CONTROLS, entry);
	vmcs_write(GUEST_IA32_EFER, efer);
}

/* VMCS loaded. */
static void write_pdptrs(const u64 *pdpte)
{
	int i;

	for (i = 0; i < 4; i++)
		vmcs_write(GUEST_PDPTR0 + 2 * i, pdpte[i]);
}

/* ---------------------------------------------------------------------
 * vCPUs: reset state
 */

/* The guest's architectural reset state, as KVM's.  VMCS loaded. */
static void vmx_reset_guest(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	const u32 data = VMX_AR_P_MASK | VMX_AR_S_MASK | 0x3;	/* RW, accessed */
	static const u64 zero_pdptrs[4];

	init_seg(SEG_CS, 0xf000, VMX_AR_P_MASK | VMX_AR_S_MASK | 0xb);
	vmcs_write(GUEST_CS_BASE, 0xffff0000);
	init_seg(SEG_DS, 0, data);
	init_seg(SEG_ES, 0, data);
	init_seg(SEG_SS, 0, data);
	init_seg(SEG_FS, 0, data);
	init_seg(SEG_GS, 0, data);
	init_seg(SEG_LDTR, 0, VMX_AR_P_MASK | VMX_AR_TYPE_LDT);
	init_seg(SEG_TR, 0, VMX_AR_P_MASK | VMX_AR_TYPE_BUSY_32_TSS);
	vmcs_write(GUEST_GDTR_BASE, 0);
	vmcs_write(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(GUEST_IDTR_BASE, 0);
	vmcs_write(GUEST_IDTR_LIMIT, 0xffff);

	vmx->cr0 = X86_CR0_NW | X86_CR0_CD | X86_CR0_ET;
	vmx->cr4 = 0;
	vmx->crs_stale = false;
	vmx->cr2 = 0;
	vmcs_write(CR0_READ_SHADOW, vmx->cr0);
	vmcs_write(GUEST_CR0, cr0_real(vmx->cr0));
	vmcs_write(CR4_READ_SHADOW, vmx->cr4);
	vmcs_write(GUEST_CR4, cr4_real(vmx->cr4));
	vmcs_write(GUEST_CR3, 0);
	vmx_set_efer(vcpu, 0);
	write_pdptrs(zero_pdptrs);
	vmcs_write(GUEST_IA32_PAT, PAT_RESET);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_DR7, MINIHV_DR7_FIXED_1);
	memset(vmx->db, 0, sizeof(vmx->db));
	vmx->dr6 = DR6_RESET;
	vmx->dr7 = MINIHV_DR7_FIXED_1;
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);

	vmx->kernel_gs_base = 0;
	vmx->star = 0;
	vmx->lstar = 0;
	vmx->cstar = 0;
	vmx->sfmask = 0;
	vmx->tsc_aux = 0;
	vmx->event_inj = 0;
	vmx->intr_state = 0;
	vmx->apic_base = 0xfee00000ULL | MSR_IA32_APICBASE_ENABLE |
			 (vcpu->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	vcpu->rip = 0xfff0;
	vcpu->rflags = X86_EFLAGS_FIXED;
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->regs[VCPU_RDX] = 0x600;	/* processor signature, as KVM */
	vmx->entry_rip = vcpu->rip;
	vmx->need_flush = true;
	if (!vmx_cfg.ept_ug) {
		vmx_rm_enter(vcpu);	/* the reset state is real mode */
		vmx_shadow_set_state(vcpu, 0, 0);
	}
}

/* Every field, the first time the VMCS is current.  VMCS loaded. */
static void vmx_init_vmcs(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_cfg.pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx_cfg.proc);
	vmx->proc = vmx_cfg.proc;
	if (vmx_cfg.proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		vmcs_write(SECONDARY_VM_EXEC_CONTROL, vmx->vpid ? vmx_cfg.proc2 :
			   vmx_cfg.proc2 & ~SECONDARY_EXEC_ENABLE_VPID);
	vmcs_write(VM_EXIT_CONTROLS, vmx_cfg.exit);
	vmcs_write(VM_ENTRY_CONTROLS, vmx_cfg.entry);
	vmcs_write(EXCEPTION_BITMAP, BIT(X86_TRAP_MC));	/* the host's */
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	if (vmx_cfg.msr_bitmap)
		vmcs_write(MSR_BITMAP, page_to_phys(vmx_msr_bitmap));
	if (vmx_cfg.ept_ug)
		vmcs_write(EPT_POINTER, to_vmx_vm(vcpu->vm)->eptp);
	if (vmx->vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	vmcs_write(TSC_OFFSET, vmx->tsc_offset);
	if (vmx_cfg.ple) {
		vmcs_write(PLE_GAP, VMX_PLE_GAP);
		vmcs_write(PLE_WINDOW, VMX_PLE_WINDOW);
	}
	vmcs_write(CR0_GUEST_HOST_MASK, cr0_host_mask());
	vmx->cr4_host_mask = cr4_host_mask(vcpu);
	vmcs_write(CR4_GUEST_HOST_MASK, vmx->cr4_host_mask);
	if (!vmx_cfg.ept_ug)
		vmx_shadow_init_vmcs(vcpu);

	/* Host state that never changes; the per-CPU part is in vmx_load(). */
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_write(HOST_RIP, (unsigned long)vmx_vmexit);

	vmx_reset_guest(vcpu);
	vmx->initialized = true;
}

int vmx_vcpu_create(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx;
	struct page *page;

	vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(vmx);
		return -ENOMEM;
	}
	vmx->vcpu = vcpu;
	vmx->vmcs = page_address(page);
	vmx->vmcs_pa = page_to_phys(page);
	*(u32 *)vmx->vmcs = vmx_vmcs_revision;
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_node);
	vmx->vpid = vpid_alloc();
	vcpu->arch = vmx;

	/* Initialize the VMCS now, so that GET/SET_SREGS work at once. */
	if (!vmx_get(vcpu)) {
		vmx_vcpu_free(vcpu);
		return -EIO;
	}
	vmx_put();
	return 0;
}

void vmx_vcpu_free(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int cpu = READ_ONCE(vmx->cpu);

	/* Not active anywhere before the page goes back. */
	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_here, vmx, 1);
	vmx_shadow_free(vcpu);
	vpid_free(vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
	vcpu->arch = NULL;
}

/* ---------------------------------------------------------------------
 * Segments and control registers (KVM_GET/SET_SREGS)
 */

void vmx_get_sregs(struct minihv_vcpu *vcpu, struct kvm_sregs *sregs)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	memset(sregs, 0, sizeof(*sregs));
	sregs->cr2 = vmx->cr2;
	sregs->apic_base = vmx->apic_base;
	if (!vmx_get(vcpu)) {
		sregs->cr0 = vmx->cr0;
		sregs->cr4 = vmx->cr4;
		return;
	}
	vmx_sync_crs(vmx);
	sregs->cr0 = vmx->cr0;
	sregs->cr4 = vmx->cr4;
	vmx_get_seg(SEG_CS, &sregs->cs);
	vmx_get_seg(SEG_DS, &sregs->ds);
	vmx_get_seg(SEG_ES, &sregs->es);
	vmx_get_seg(SEG_FS, &sregs->fs);
	vmx_get_seg(SEG_GS, &sregs->gs);
	vmx_get_seg(SEG_SS, &sregs->ss);
	vmx_get_seg(SEG_TR, &sregs->tr);
	vmx_get_seg(SEG_LDTR, &sregs->ldt);
	sregs->gdt.base = vmcs_read(GUEST_GDTR_BASE);
	sregs->gdt.limit = vmcs_read(GUEST_GDTR_LIMIT);
	sregs->idt.base = vmcs_read(GUEST_IDTR_BASE);
	sregs->idt.limit = vmcs_read(GUEST_IDTR_LIMIT);
	sregs->cr3 = vmcs_read(GUEST_CR3);
	sregs->efer = vmcs_read(GUEST_IA32_EFER);
	if (vmx->rm.vm86)	/* the VMCS holds v86 segments */
		vmx_rm_get_segs(vcpu, sregs);
	vmx_put();
	if (!vmx_cfg.ept_ug) {
		sregs->cr3 = vmx->sp.cr3;
		sregs->efer = vmx->sp.efer;
	}
}

/* The guest's view; with EPT, what the guest changed is in the VMCS. */
void vmx_get_crs(struct minihv_vcpu *vcpu, struct minihv_crs *crs)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	crs->cr3 = vmx->sp.cr3;
	crs->efer = vmx->sp.efer;
	if (vmx_get(vcpu)) {
		vmx_sync_crs(vmx);
		if (vmx_cfg.ept_ug) {
			crs->cr3 = vmcs_read(GUEST_CR3);
			crs->efer = vmcs_read(GUEST_IA32_EFER);
		}
		vmx_put();
	}
	crs->cr0 = vmx->cr0;
	crs->cr4 = vmx->cr4;
}

/*
 * The new state into the VMCS: the read shadows, the real CR0/CR4 with
 * VMX's fixed bits, EFER and the "IA-32e mode guest" control, and the
 * PDPTEs that VM entry loads for PAE paging (if given).  VMCS loaded.
 */
static void vmx_write_crs(struct minihv_vcpu *vcpu,
			  const struct minihv_crs *crs, const u64 *pdptrs)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->cr0 = crs->cr0;
	vmx->cr4 = crs->cr4;
	vmx->crs_stale = false;
	vmcs_write(CR0_READ_SHADOW, vmx->cr0);
	vmcs_write(GUEST_CR0, cr0_real(vmx->cr0));
	vmcs_write(CR4_READ_SHADOW, vmx->cr4);
	vmcs_write(GUEST_CR4, cr4_real(vmx->cr4));
	vmcs_write(GUEST_CR3, crs->cr3);
	vmx_set_efer(vcpu, crs->efer);
	if (pdptrs)
		write_pdptrs(pdptrs);
}

/* With EPT; without, shadow.c's view of the guest's state. */
int vmx_set_crs(struct minihv_vcpu *vcpu, const struct minihv_crs *old,
		const struct minihv_crs *crs, const u64 *pdptrs)
{
	/* Without EPT, entry loads the PDPTEs from the shadow root. */
	if (!vmx_cfg.ept_ug)
		return vmx_shadow_set_crs(vcpu, old, crs);
	if (!vmx_get(vcpu))
		return -EIO;
	vmx_write_crs(vcpu, crs, pdptrs);
	vmx_put();
	return 0;
}

/* Translations changed: INVEPT/INVVPID, or a new shadow tree. */
void vmx_reset_mmu(struct minihv_vcpu *vcpu)
{
	if (!vmx_cfg.ept_ug)
		vmx_shadow_reset(vcpu);
	else
		to_vmx(vcpu)->need_flush = true;
}

/* KVM_SET_CPUID2: which CR4 bits the guest may own changed. */
void vmx_after_set_cpuid(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx_get(vcpu))
		return;
	vmx_sync_crs(vmx);
	vmx->cr4_host_mask = cr4_host_mask(vcpu);
	vmcs_write(CR4_GUEST_HOST_MASK, vmx->cr4_host_mask);
	/* Bits the host takes over read as the guest last set them. */
	vmcs_write(CR4_READ_SHADOW, vmx->cr4);
	vmx_put();
}

/* The limit and G bit agree (SDM "checks on guest segment registers"). */
static bool seg_limit_ok(const struct kvm_segment *s)
{
	if ((s->limit & 0xfff) != 0xfff && s->g)
		return false;
	if ((s->limit & 0xfff00000) && !s->g)
		return false;
	return true;
}

static bool seg_usable(const struct kvm_segment *s)
{
	return !s->unusable && s->present;
}

/*
 * What VM entry checks of the segments userspace gives, with unrestricted
 * guest and the accessed bit forced like vmx_set_seg() does.
 */
static bool segs_valid(const struct kvm_sregs *sr, bool ia32e)
{
	const struct kvm_segment *data[] = { &sr->ds, &sr->es, &sr->fs,
					     &sr->gs };
	const struct kvm_segment *cs = &sr->cs, *ss = &sr->ss, *tr = &sr->tr;
	u8 cs_type = cs->type | 1;
	int i;

	/* CS: accessed code, or read/write data with unrestricted guest. */
	if (!seg_usable(cs) || !cs->s || !seg_limit_ok(cs))
		return false;
	if (cs_type != 3 && !(cs_type & 8))
		return false;
	if (cs_type == 3 && cs->dpl)
		return false;
	if ((cs_type == 9 || cs_type == 11) && cs->dpl != ss->dpl)
		return false;
	if ((cs_type == 13 || cs_type == 15) && cs->dpl > ss->dpl)
		return false;
	if (ia32e && cs->l && cs->db)
		return false;

	if (seg_usable(ss)) {
		if (!ss->s || ((ss->type | 1) != 3 && (ss->type | 1) != 7) ||
		    !seg_limit_ok(ss))
			return false;
		if ((cs_type == 3 || !(sr->cr0 & X86_CR0_PE)) && ss->dpl)
			return false;
	}

	for (i = 0; i < ARRAY_SIZE(data); i++) {
		const struct kvm_segment *s = data[i];

		if (!seg_usable(s))
			continue;
		if (!s->s || !seg_limit_ok(s))
			return false;
		if ((s->type & 8) && !(s->type & 2))	/* unreadable code */
			return false;
	}

	/* TR: a busy TSS, 16-bit only outside IA-32e mode. */
	if (!seg_usable(tr) || tr->s || (tr->selector & 4) ||
	    !seg_limit_ok(tr))
		return false;
	if (tr->type != 11 && (tr->type != 3 || ia32e))
		return false;

	if (seg_usable(&sr->ldt)) {
		if (sr->ldt.s || sr->ldt.type != 2 || (sr->ldt.selector & 4) ||
		    !seg_limit_ok(&sr->ldt))
			return false;
	}

	if (!minihv_canonical(sr->fs.base) || !minihv_canonical(sr->gs.base) ||
	    !minihv_canonical(sr->tr.base) || !minihv_canonical(sr->ldt.base) ||
	    !minihv_canonical(sr->gdt.base) || !minihv_canonical(sr->idt.base))
		return false;
	return true;
}


int vmx_set_sregs(struct minihv_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	const struct minihv_crs crs = {
		.cr0 = sregs->cr0, .cr3 = sregs->cr3, .cr4 = sregs->cr4,
		.efer = sregs->efer,
	};
	u64 pdpte[4];

	/* What VM entry would refuse of the segments: -EINVAL, not a failure. */
	if (!segs_valid(sregs, sregs->efer & EFER_LMA))
		return -EINVAL;
	minihv_load_pdptrs(vcpu, &crs, pdpte);
	if (!vmx_get(vcpu))
		return -EIO;
	if (vmx->rm.vm86)
		vmx_rm_leave(vcpu, false);
	vmx_set_seg(SEG_CS, &sregs->cs);
	vmx_set_seg(SEG_DS, &sregs->ds);
	vmx_set_seg(SEG_ES, &sregs->es);
	vmx_set_seg(SEG_FS, &sregs->fs);
	vmx_set_seg(SEG_GS, &sregs->gs);
	vmx_set_seg(SEG_SS, &sregs->ss);
	vmx_set_seg(SEG_TR, &sregs->tr);
	vmx_set_seg(SEG_LDTR, &sregs->ldt);
	vmcs_write(GUEST_GDTR_BASE, sregs->gdt.base);
	vmcs_write(GUEST_GDTR_LIMIT, sregs->gdt.limit);
	vmcs_write(GUEST_IDTR_BASE, sregs->idt.base);
	vmcs_write(GUEST_IDTR_LIMIT, sregs->idt.limit);
	vmx->cr2 = sregs->cr2;
	vmx_write_crs(vcpu, &crs, pdpte);
	if (!vmx_cfg.ept_ug) {
		if (!(vmx->cr0 & X86_CR0_PE))
			vmx_rm_enter(vcpu);
		vmx_shadow_set_state(vcpu, sregs->cr3, sregs->efer);
	}
	vmx_put();
	vmx->apic_base = sregs->apic_base;
	vmx->need_flush = true;
	return 0;
}

/* ---------------------------------------------------------------------
 * MSRs kept in the VMCS or in struct vmx_vcpu
 */

/* VMCS fields of MSRs, read with the VMCS loaded. */
static unsigned long msr_field(u32 index)
{
	switch (index) {
	case MSR_IA32_CR_PAT:
		return GUEST_IA32_PAT;
	case MSR_IA32_SYSENTER_CS:
		return GUEST_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP:
		return GUEST_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP:
		return GUEST_SYSENTER_EIP;
	case MSR_FS_BASE:
		return GUEST_FS_BASE;
	case MSR_GS_BASE:
		return GUEST_GS_BASE;
	default:
		return 0;
	}
}

/* The MSRs VMX leaves alone: vmx_load_guest_msrs() puts them in. */
static u64 *msr_slot(struct vmx_vcpu *vmx, u32 index)
{
	switch (index) {
	case MSR_STAR:
		return &vmx->star;
	case MSR_LSTAR:
		return &vmx->lstar;
	case MSR_CSTAR:
		return &vmx->cstar;
	case MSR_SYSCALL_MASK:
		return &vmx->sfmask;
	case MSR_KERNEL_GS_BASE:
		return &vmx->kernel_gs_base;
	case MSR_TSC_AUX:
		return &vmx->tsc_aux;
	default:
		return NULL;
	}
}

int vmx_get_msr(struct minihv_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long field = msr_field(index);
	u64 *slot = msr_slot(vmx, index);

	if (field) {
		if (!vmx_get(vcpu))
			return -EIO;
		*data = vmcs_read(field);
		vmx_put();
		return 0;
	}
	if (slot) {
		*data = *slot;
		return 0;
	}
	switch (index) {
	case MSR_IA32_TSC:
		*data = rdtsc() + vmx->tsc_offset;
		return 0;
	case MSR_IA32_APICBASE:
		*data = vmx->apic_base;
		return 0;
	default:
		return MINIHV_MSR_UNHANDLED;
	}
}

/*
 * STAR, LSTAR, CSTAR, SFMASK, TSC_AUX: loaded into the CPU for the guest
 * (kmod/uret.c), so checked by KVM's rules and then by the CPU itself.
 */
static int set_uret_msr(struct minihv_vcpu *vcpu, u32 index, u64 data)
{
	int slot = minihv_uret_slot(index);

	if (minihv_uret_check(vcpu, index, &data))
		return -EINVAL;
	if (slot == MINIHV_URET_TSC_AUX && !vmx_cfg.rdtscp)
		;	/* RDTSCP is #UD: never loaded */
	else if (minihv_uret_try(slot, data))
		return -EINVAL;
	*msr_slot(to_vmx(vcpu), index) = data;
	return 0;
}

int vmx_set_msr(struct minihv_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long field = msr_field(index);
	u64 *slot = msr_slot(vmx, index);

	switch (index) {
	case MSR_IA32_CR_PAT:
		if (!minihv_pat_valid(data))
			return -EINVAL;
		break;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (!minihv_canonical(data))
			return -EINVAL;
		break;
	case MSR_IA32_SYSENTER_CS:
		data = (u32)data;
		break;
	case MSR_STAR:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_SYSCALL_MASK:
	case MSR_TSC_AUX:
		return set_uret_msr(vcpu, index, data);
	case MSR_IA32_TSC:
		vmx->tsc_offset = data - rdtsc();
		field = TSC_OFFSET;
		data = vmx->tsc_offset;
		break;
	case MSR_IA32_APICBASE:
		/* No in-kernel APIC yet: remembered, not acted on. */
		vmx->apic_base = data;
		return 0;
	}
	if (slot) {
		*slot = data;
		return 0;
	}
	if (!field)
		return MINIHV_MSR_UNHANDLED;
	if (!vmx_get(vcpu))
		return -EIO;
	vmcs_write(field, data);
	vmx_put();
	return 0;
}

/* ---------------------------------------------------------------------
 * Events
 */

void vmx_queue_exception(struct minihv_vcpu *vcpu, u8 vector,
			 bool has_error, u32 error)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->event_inj = INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION |
			 vector | (has_error ? INTR_INFO_DELIVER_CODE_MASK : 0);
	vmx->event_inj_err = error;
	trace_minihv_inject(vcpu, MINIHV_INJ_EXCEPTION, vector, has_error,
			    error);
}

/* STI/MOV SS blocking, unless an emulated instruction moved RIP since. */
static bool vmx_shadow(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return (vmx->intr_state & (GUEST_INTR_STATE_STI |
				   GUEST_INTR_STATE_MOV_SS)) &&
	       vcpu->rip == vmx->entry_rip;
}

bool vmx_interrupt_allowed(struct minihv_vcpu *vcpu)
{
	return !(to_vmx(vcpu)->event_inj & INTR_INFO_VALID_MASK) &&
	       (vcpu->rflags & X86_EFLAGS_IF) && !vmx_shadow(vcpu);
}

/* Without virtual NMIs, NMI blocking is not visible: IF=1 stands in. */
bool vmx_nmi_allowed(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx_cfg.vnmi)
		return vmx_interrupt_allowed(vcpu);
	return !(vmx->event_inj & INTR_INFO_VALID_MASK) &&
	       !(vmx->intr_state & GUEST_INTR_STATE_NMI) && !vmx_shadow(vcpu);
}

void vmx_inject_irq(struct minihv_vcpu *vcpu, u8 vector)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->event_inj = INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | vector;
	vmx->event_inj_err = 0;
}

void vmx_inject_nmi(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->event_inj = INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR | 2;
	vmx->event_inj_err = 0;
}

/* Written to the VMCS by vmx_prepare_entry(); the window exit clears it. */
void vmx_request_window(struct minihv_vcpu *vcpu, bool nmi)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (nmi && vmx_cfg.vnmi)
		vmx->nmi_window = true;
	else
		vmx->irq_window = true;
}

void vmx_vcpu_reset(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->irq_window = false;
	vmx->nmi_window = false;
	if (vmx_get(vcpu)) {
		vmx_reset_guest(vcpu);
		vmx_put();
	}
}

int vmx_queued_exception(struct minihv_vcpu *vcpu)
{
	u32 ev = to_vmx(vcpu)->event_inj;

	if ((ev & INTR_INFO_VALID_MASK) &&
	    (ev & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION)
		return ev & INTR_INFO_VECTOR_MASK;
	return -1;
}

void vmx_cancel_event(struct minihv_vcpu *vcpu)
{
	to_vmx(vcpu)->event_inj = 0;
}

void vmx_set_cr2(struct minihv_vcpu *vcpu, u64 cr2)
{
	to_vmx(vcpu)->cr2 = cr2;
}

/* ---------------------------------------------------------------------
 * Exit handlers: one per reason.  Each returns 1 to re-enter the guest,
 * 0 to go to userspace (run->exit_reason set), < 0 on error.  The exit
 * information is in vmx->exit (vmx_read_exit()); the instruction's length
 * also in vcpu->exit_len, for kmod/exit.c's handlers.
 */

/* noinline: its array would cost vmx_handle_exit() a stack check. */
static noinline int unexpected(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;
	u64 data[3] = { e->reason, e->qual, vcpu->rip };

	return minihv_exit_internal(vcpu,
				    KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				    3, data);
}

static int exit_exception_nmi(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;

	/* NMIs and machine checks were handled right after the exit. */
	if ((e->intr_info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR ||
	    (e->intr_info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC)
		return 1;
	/* #PF: only intercepted for shadow paging. */
	if (!vmx_cfg.ept_ug && (e->intr_info & INTR_INFO_VECTOR_MASK) == 14) {
		u32 error;

		if (!vmx_get(vcpu))
			return -EIO;
		error = vmcs_read(VM_EXIT_INTR_ERROR_CODE);
		vmx_put();
		/* A triple fault it finds ends in the run loop. */
		return vmx_shadow_exit_pf(vcpu, e->qual, error);
	}
	/* Real mode in v86 mode: every exception exits. */
	if (to_vmx(vcpu)->rm.vm86)
		return vmx_rm_exception(vcpu, e->intr_info, e->len);
	return unexpected(vcpu);
}

static int exit_triple_fault(struct minihv_vcpu *vcpu)
{
	/* The guest state is the shutdown's: start afresh, like SVM. */
	if (vmx_get(vcpu)) {
		vmx_reset_guest(vcpu);
		vmx_put();
	}
	return minihv_exit_shutdown(vcpu);
}

static int exit_irq_window(struct minihv_vcpu *vcpu)
{
	to_vmx(vcpu)->irq_window = false;
	return 1;
}

static int exit_nmi_window(struct minihv_vcpu *vcpu)
{
	to_vmx(vcpu)->nmi_window = false;
	return 1;
}

/* PAUSE-loop exiting: the guest spins, likely waiting for another vCPU. */
static int exit_pause(struct minihv_vcpu *vcpu)
{
	minihv_vcpu_on_spin(vcpu);
	return minihv_skip_instruction(vcpu);	/* PAUSE is only a hint */
}

static int exit_io(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;

	return minihv_handle_io(vcpu, IO_QUAL_PORT(e->qual),
				IO_QUAL_SIZE(e->qual), e->qual & IO_QUAL_IN,
				e->qual & IO_QUAL_STRING, e->qual & IO_QUAL_REP,
				minihv_next_rip(vcpu));
}

/* RDPMC: no virtual PMU, so #GP, as KVM without one. */
static int exit_rdpmc(struct minihv_vcpu *vcpu)
{
	minihv_queue_gp(vcpu, 0);
	return 1;
}

int vmx_get_cpl(struct minihv_vcpu *vcpu)
{
	int cpl = 0;

	if (vmx_get(vcpu)) {
		cpl = VMX_AR_DPL(vmcs_read(GUEST_SS_AR_BYTES));
		vmx_put();
	}
	return cpl;
}

/*
 * The guest's debug registers are vmx->db[], dr6 and dr7, never the host
 * CPU's: vmx_vcpu_run() puts DR6 and, while DR7 enables a breakpoint,
 * DR0-3 in the CPU around the entry.  DR7 is also GUEST_DR7, which a #DB
 * the guest took changed (GD cleared).
 */
u64 vmx_get_dr(struct minihv_vcpu *vcpu, int dr)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (dr < 4)
		return vmx->db[dr];
	if (dr == 6)
		return vmx->dr6;
	if (vmx_get(vcpu)) {
		vmx->dr7 = vmcs_read(GUEST_DR7);
		vmx_put();
	}
	return vmx->dr7;
}

void vmx_set_dr(struct minihv_vcpu *vcpu, int dr, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (dr < 4) {
		vmx->db[dr] = val;
	} else if (dr == 6) {
		vmx->dr6 = val;
	} else {
		vmx->dr7 = val;
		if (vmx_get(vcpu)) {
			vmcs_write(GUEST_DR7, val);
			vmx_put();
		}
	}
}

/* MOV from/to DRn (MOV-DR exiting): kmod/x86.c's rules. */
static int exit_dr(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;
	unsigned int dr = DR_QUAL_NR(e->qual), gpr = DR_QUAL_GPR(e->qual);
	bool write = !(e->qual & DR_QUAL_FROM);
	bool long64;
	u64 val;

	if (!vmx_get(vcpu))
		return -EIO;
	long64 = (vmcs_read(GUEST_IA32_EFER) & EFER_LMA) &&
		 (vmcs_read(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK);
	vmx_put();
	/* The operand is 32 bits outside 64-bit mode. */
	val = long64 ? vcpu->regs[gpr] : (u32)vcpu->regs[gpr];
	if (minihv_emulate_dr(vcpu, dr, write, &val))
		return 1;
	if (!write)
		vcpu->regs[gpr] = long64 ? val : (u32)val;
	return minihv_skip_instruction(vcpu);
}

/* MOV to/from CR8, with EPT or shadow paging: kmod/exit.c. */
static int exit_cr8(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;
	unsigned int gpr = CR_QUAL_GPR(e->qual);

	if (CR_QUAL_TYPE(e->qual) == CR_TYPE_MOV_TO)
		return minihv_handle_cr8_write(vcpu, vcpu->regs[gpr],
					       minihv_next_rip(vcpu));
	if (CR_QUAL_TYPE(e->qual) != CR_TYPE_MOV_FROM)
		return unexpected(vcpu);
	vcpu->regs[gpr] = minihv_get_cr8(vcpu);
	return minihv_skip_instruction(vcpu);
}

/*
 * MOV to/from CR0/CR3/CR4, CLTS, LMSW: kmod/x86.c's, whatever the paging
 * (with EPT only the host-owned bits and forced CR3 exits come here).
 */
static int exit_cr_access(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;
	unsigned int cr = CR_QUAL_NR(e->qual), gpr = CR_QUAL_GPR(e->qual);
	int r = 0;

	if (cr == 8)
		return exit_cr8(vcpu);
	switch (CR_QUAL_TYPE(e->qual)) {
	case CR_TYPE_MOV_TO:
		r = minihv_set_cr(vcpu, cr, vcpu->regs[gpr]);
		break;
	case CR_TYPE_MOV_FROM:
		vcpu->regs[gpr] = minihv_get_cr(vcpu, cr);
		break;
	case CR_TYPE_CLTS:
		r = minihv_clts(vcpu);
		break;
	case CR_TYPE_LMSW:
		r = minihv_lmsw(vcpu, e->qual >> 16);
		break;
	}
	if (r)
		return r < 0 ? r : 1;
	return minihv_skip_instruction(vcpu);
}

/* Only if the CPU forces INVLPG exiting: flush the guest's mappings. */
static int exit_invlpg(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;

	if (!vmx_cfg.ept_ug)
		return vmx_shadow_exit_invlpg(vcpu, e->qual, e->len);
	to_vmx(vcpu)->need_flush = true;
	return minihv_skip_instruction(vcpu);
}

static int exit_ept_violation(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;

	return minihv_tdp_fault(vcpu, &to_vmx_vm(vcpu->vm)->ept, e->gpa,
				e->qual & EPT_VIOLATION_ACC_WRITE, e->qual);
}

static int exit_ept_misconfig(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;
	u64 data[2] = { e->gpa, vcpu->rip };

	/* The tables are built here: a bad entry is our bug. */
	return minihv_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION, 2,
				    data);
}

static int exit_fail_entry(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;

	/* The CPU refused the guest state (or the MSR load list). */
	return minihv_exit_fail_entry(vcpu, e->reason);
}

static const struct {
	int (*handler)(struct minihv_vcpu *vcpu);
	const char *name;
} vmx_exits[] = {
	[EXIT_REASON_EXCEPTION_NMI]	 = { exit_exception_nmi, "exception_nmi" },
	[EXIT_REASON_EXTERNAL_INTERRUPT] = { minihv_exit_nop, "intr" },
	[EXIT_REASON_TRIPLE_FAULT]	 = { exit_triple_fault, "shutdown" },
	[EXIT_REASON_INTERRUPT_WINDOW]	 = { exit_irq_window, "irq_window" },
	[EXIT_REASON_NMI_WINDOW]	 = { exit_nmi_window, "nmi_window" },
	[EXIT_REASON_CPUID]		 = { minihv_exit_cpuid, "cpuid" },
	[EXIT_REASON_HLT]		 = { minihv_exit_hlt, "hlt" },
	[EXIT_REASON_INVD]		 = { minihv_exit_ud, "invd" },
	[EXIT_REASON_INVLPG]		 = { exit_invlpg, "invlpg" },
	[EXIT_REASON_VMCALL]		 = { minihv_exit_hypercall, "vmcall" },
	[EXIT_REASON_VMCLEAR]		 = { minihv_exit_ud, "vmclear" },
	[EXIT_REASON_VMLAUNCH]		 = { minihv_exit_ud, "vmlaunch" },
	[EXIT_REASON_VMPTRLD]		 = { minihv_exit_ud, "vmptrld" },
	[EXIT_REASON_VMPTRST]		 = { minihv_exit_ud, "vmptrst" },
	[EXIT_REASON_VMREAD]		 = { minihv_exit_ud, "vmread" },
	[EXIT_REASON_VMRESUME]		 = { minihv_exit_ud, "vmresume" },
	[EXIT_REASON_VMWRITE]		 = { minihv_exit_ud, "vmwrite" },
	[EXIT_REASON_VMOFF]		 = { minihv_exit_ud, "vmxoff" },
	[EXIT_REASON_VMON]		 = { minihv_exit_ud, "vmxon" },
	[EXIT_REASON_CR_ACCESS]		 = { exit_cr_access, "cr_access" },
	[EXIT_REASON_DR_ACCESS]		 = { exit_dr, "dr_access" },
	[EXIT_REASON_IO_INSTRUCTION]	 = { exit_io, "io" },
	[EXIT_REASON_MSR_READ]		 = { minihv_exit_rdmsr, "msr_read" },
	[EXIT_REASON_MSR_WRITE]		 = { minihv_exit_wrmsr, "msr_write" },
	[EXIT_REASON_INVALID_STATE]	 = { exit_fail_entry, "invalid_state" },
	[EXIT_REASON_MSR_LOAD_FAIL]	 = { exit_fail_entry, "msr_load_fail" },
	[EXIT_REASON_PAUSE_INSTRUCTION]	 = { exit_pause, "pause" },
	[EXIT_REASON_EPT_VIOLATION]	 = { exit_ept_violation, "ept_violation" },
	[EXIT_REASON_EPT_MISCONFIG]	 = { exit_ept_misconfig, "ept_misconfig" },
	[EXIT_REASON_INVEPT]		 = { minihv_exit_ud, "invept" },
	[EXIT_REASON_INVVPID]		 = { minihv_exit_ud, "invvpid" },
	[EXIT_REASON_XSETBV]		 = { minihv_exit_ud, "xsetbv" },
	[EXIT_REASON_RDPMC]		 = { exit_rdpmc, "rdpmc" },
	[EXIT_REASON_WBINVD]		 = { minihv_exit_wbinvd, "wbinvd" },
	[EXIT_REASON_MONITOR_INSTRUCTION] = { minihv_exit_ud, "monitor" },
	[EXIT_REASON_MWAIT_INSTRUCTION]	 = { minihv_exit_ud, "mwait" },
	[EXIT_REASON_MCE_DURING_VMENTRY] = { exit_fail_entry, "mce_during_vmentry" },
	[EXIT_REASON_VMFUNC]		 = { minihv_exit_ud, "vmfunc" },
};

/* Exit statistics index: the basic reason; everything else here. */
#define STAT_OTHER	0xff

static unsigned int exit_stat(u32 reason)
{
	u16 basic = reason;

	return basic < STAT_OTHER ? basic : STAT_OTHER;
}

const char *vmx_exit_name(unsigned int stat)
{
	if (stat == STAT_OTHER)
		return "other";
	if (stat < ARRAY_SIZE(vmx_exits))
		return vmx_exits[stat].name;
	return NULL;
}

/*
 * Off the hot path (noinline): its on-stack structure would cost
 * vmx_handle_exit() a stack-protector check per exit.
 */
static noinline void vmx_trace_exit(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;
	struct minihv_exit_info info = {
		.reason = e->reason, .qual = e->qual, .info2 = e->gpa,
		.rip = vcpu->rip, .len = e->len,
	};

	minihv_trace_exit_info(vcpu, &info);
}

/* The exit vmx_vcpu_run() read: its handler from the table. */
int vmx_handle_exit(struct minihv_vcpu *vcpu)
{
	const struct vmx_exit *e = &to_vmx(vcpu)->exit;
	u16 basic = e->reason;
	int (*handler)(struct minihv_vcpu *vcpu) = NULL;

	minihv_stats_exit(vcpu, exit_stat(e->reason));
	if (minihv_trace_exit_on())
		vmx_trace_exit(vcpu);
	if (basic < ARRAY_SIZE(vmx_exits))
		handler = vmx_exits[basic].handler;
	if ((e->reason & VMX_EXIT_REASONS_FAILED_VMENTRY) &&
	    handler != exit_fail_entry)
		handler = exit_fail_entry;
	if (handler)
		return handler(vcpu);
	return unexpected(vcpu);
}

/* ---------------------------------------------------------------------
 * Entering the guest
 */

/* Host segment state VM exits lose; saved before entry, restored after. */
struct vmx_host_state {
	u16 ds, es, fs, gs, ldt;
	u64 fs_base, kernel_gs_base;
	struct desc_ptr gdt, idt;
};

static void vmx_save_host(struct vmx_host_state *h)
{
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	asm volatile("sldt %0" : "=g" (h->ldt));
	rdmsrl(MSR_FS_BASE, h->fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	native_store_gdt(&h->gdt);
	store_idt(&h->idt);
}

/* IRQs off, right after the exit. */
static void vmx_restore_host(const struct vmx_host_state *h)
{
	/* The exit set the GDTR/IDTR limits to 0xffff and TR's to 0x67. */
	native_load_gdt(&h->gdt);
	native_load_idt(&h->idt);
	invalidate_tss_limit();
	if (h->ldt)
		asm volatile("lldt %0" : : "rm" (h->ldt));
	/* Selectors: the exit loaded 0 (HOST_*_SELECTOR). */
	if (h->ds)
		loadsegment(ds, h->ds);
	if (h->es)
		loadsegment(es, h->es);
	if (h->fs) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	if (h->gs)
		load_gs_index(h->gs);
	wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
}

/*
 * The MSRs VMX does not switch, the guest's in for the entry.  IRQs off.
 *
 * KERNEL_GS_BASE is the host task's user GS base, which a context switch
 * saves from the MSR: swapped around every entry.  The syscall MSRs, and
 * TSC_AUX for RDTSCP, only matter to the host in user mode: the guest's
 * stay loaded until this CPU returns to userspace (kmod/uret.c), so a
 * round trip handled in the kernel writes none of them.
 */
static void vmx_load_guest_msrs(struct vmx_vcpu *vmx)
{
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	minihv_uret_set(MINIHV_URET_STAR, vmx->star);
	minihv_uret_set(MINIHV_URET_LSTAR, vmx->lstar);
	minihv_uret_set(MINIHV_URET_CSTAR, vmx->cstar);
	minihv_uret_set(MINIHV_URET_SFMASK, vmx->sfmask);
	if (vmx_cfg.rdtscp)
		minihv_uret_set(MINIHV_URET_TSC_AUX, vmx->tsc_aux);
}

/* After the exit, IRQs off: what the guest may have changed unseen. */
static void vmx_put_guest_msrs(struct vmx_vcpu *vmx)
{
	/* SWAPGS is the only way the guest changes one without an exit. */
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
}

/* Before entry, VMCS loaded: registers, events, flushes. */
static void vmx_prepare_entry(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	s64 tlb_gen = atomic64_read(&to_vmx_vm(vcpu->vm)->ept.gen);
	u32 proc;

	vmcs_write(GUEST_RSP, vcpu->regs[VCPU_RSP]);
	vmcs_write(GUEST_RIP, vcpu->rip);
	/* VM and IOPL=3 in v86 mode (realmode.c), else nothing. */
	vmcs_write(GUEST_RFLAGS, vcpu->rflags | vmx->rflags_set);
	/* An emulated instruction ends STI/MOV SS blocking. */
	if (vcpu->rip != vmx->entry_rip &&
	    (vmx->intr_state & (GUEST_INTR_STATE_STI |
				GUEST_INTR_STATE_MOV_SS))) {
		vmx->intr_state &= ~(GUEST_INTR_STATE_STI |
				     GUEST_INTR_STATE_MOV_SS);
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, vmx->intr_state);
	}
	if (vmx->event_inj & INTR_INFO_VALID_MASK) {
		u32 info = vmx->event_inj;

		/* Real mode (unrestricted guest) delivers no error code. */
		vmx_sync_crs(vmx);
		if (!(vmx->cr0 & X86_CR0_PE))
			info &= ~INTR_INFO_DELIVER_CODE_MASK;
		vmcs_write(VM_ENTRY_INTR_INFO_FIELD, info);
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vmx->event_inj_err);
		vmcs_write(VM_ENTRY_INSTRUCTION_LEN, 0);
		/* Cleared once the entry really happened. */
	}
	proc = vmx_cfg.proc |
	       (vmx->irq_window ? CPU_BASED_INTR_WINDOW_EXITING : 0) |
	       (vmx->nmi_window ? CPU_BASED_NMI_WINDOW_EXITING : 0);
	if (proc != vmx->proc) {
		vmcs_write(CPU_BASED_VM_EXEC_CONTROL, proc);
		vmx->proc = proc;
	}
	if (vmx->tlb_gen != tlb_gen) {
		vmx->tlb_gen = tlb_gen;
		vmx->need_flush = true;
	}
	if (vmx->need_flush)
		vmx_flush(vcpu);
}

/* After the exit, VMCS loaded: what the handlers need. */
static void vmx_read_exit(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_exit *e = &vmx->exit;
	u32 idt;

	e->reason = vmcs_read(VM_EXIT_REASON);
	e->qual = vmcs_read(EXIT_QUALIFICATION);
	e->len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	vcpu->exit_len = e->len;
	e->intr_info = vmcs_read(VM_EXIT_INTR_INFO);
	e->gpa = 0;
	if ((u16)e->reason == EXIT_REASON_EPT_VIOLATION ||
	    (u16)e->reason == EXIT_REASON_EPT_MISCONFIG)
		e->gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);

	vcpu->regs[VCPU_RSP] = vmcs_read(GUEST_RSP);
	vcpu->rip = vmcs_read(GUEST_RIP);
	/* The guest's own view: v86 mode's VM and IOPL are minihv's. */
	vcpu->rflags = (vmcs_read(GUEST_RFLAGS) & ~vmx->rflags_set) |
		       (vcpu->rflags & vmx->rflags_set & X86_EFLAGS_IOPL);
	vmx->entry_rip = vcpu->rip;
	vmx->intr_state = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	if (e->reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
		return;

	/*
	 * An exit during event delivery (an EPT violation on the IDT...)
	 * leaves the event undelivered: deliver it again.  Software
	 * interrupts and exceptions re-execute by themselves (RIP is still
	 * at the instruction).
	 */
	idt = vmcs_read(IDT_VECTORING_INFO_FIELD);
	if (idt & VECTORING_INFO_VALID_MASK) {
		u32 type = idt & VECTORING_INFO_TYPE_MASK;

		if (type == INTR_TYPE_EXT_INTR || type == INTR_TYPE_NMI_INTR ||
		    type == INTR_TYPE_HARD_EXCEPTION) {
			vmx->event_inj = idt & ~INTR_INFO_UNBLOCK_NMI;
			vmx->event_inj_err =
				vmcs_read(IDT_VECTORING_ERROR_CODE);
		}
	}
}

/*
 * L1TF (kmod/spec.c): exits whose handling touches only the vCPU's own
 * state, so that the L1D need not be flushed before the next entry (KVM
 * flushes after emulation and faults, not after these).  External
 * interrupts: their handlers set the kernel's per-CPU flag.
 */
static bool vmx_exit_keeps_l1d(u32 reason)
{
	switch (reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_INTERRUPT_WINDOW:
	case EXIT_REASON_NMI_WINDOW:
	case EXIT_REASON_CPUID:
	case EXIT_REASON_HLT:
	case EXIT_REASON_VMCALL:
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
	case EXIT_REASON_PAUSE_INSTRUCTION:
		return true;
	default:
		return false;
	}
}

/*
 * The host's machine-check handler, as if the #MC had hit the host in
 * user mode (as KVM does): recovery waits for the return to userspace.
 */
static void vmx_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
#endif
}

/*
 * The world switch: enter the guest, come back, read the exit into
 * vmx->exit (MINIHV_RUN_EXITED: vmx_handle_exit() is next).  Called with
 * vcpu->mutex and slots_lock (read) held, preemption enabled, the
 * guest's FPU state current.
 */
int vmx_vcpu_run(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_host_state host;
	unsigned long debugctl, dr6;
	u32 reason;
	bool db_loaded;
	u64 err;
	int r;

	if (!vmx_cfg.ept_ug) {
		r = vmx_shadow_prepare(vcpu);
		if (r != 1)
			return r;
	}
	preempt_disable();
	if (!vmx_load(vcpu)) {
		preempt_enable();
		return -EIO;
	}
	vmx_prepare_entry(vcpu);

	local_irq_disable();
	if (!this_cpu_read(vmx_cpu.on) ||
	    this_cpu_read(vmx_cpu.current_vcpu) != vmx) {
		/* VMX went off (reboot) since the load. */
		local_irq_enable();
		preempt_enable();
		return -EIO;
	}
	/* A context switch may have left the guest's FPU state unloaded. */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	/* An event came since minihv_inject_events(): go round again. */
	if (!minihv_guest_enter(vcpu)) {
		local_irq_enable();
		preempt_enable();
		return 1;
	}

	vmcs_write(HOST_CR3, __read_cr3());
	vmcs_write(HOST_CR4, cr4_read_shadow());
	vmx_save_host(&host);
	vmcs_write(HOST_FS_BASE, host.fs_base);
	vmx_load_guest_msrs(vmx);
	if (vmx->cr2 != native_read_cr2())
		native_write_cr2(vmx->cr2);

	/* A VM exit clears IA32_DEBUGCTL (LBR, BTF): put the host's back. */
	debugctl = get_debugctlmsr();
	/*
	 * VMX switches DR7 only.  The guest's DR0-3 go in while its DR7
	 * enables a breakpoint (host breakpoints off first), and its DR6
	 * unless it is the host's: Linux keeps DR6 = DR6_RESERVED outside
	 * its #DB handler.
	 */
	db_loaded = vmx->dr7 & DR7_BP_ENABLES;
	if (unlikely(db_loaded)) {
		if (hw_breakpoint_active())
			set_debugreg(0, 7);
		set_debugreg(vmx->db[0], 0);
		set_debugreg(vmx->db[1], 1);
		set_debugreg(vmx->db[2], 2);
		set_debugreg(vmx->db[3], 3);
	}
	if (unlikely(vmx->dr6 != DR6_RESET))
		set_debugreg(vmx->dr6, 6);

	minihv_stats_entry(vcpu);
	minihv_l1d_flush(vcpu);
	r = __vmx_vcpu_run(vcpu->regs, vmx->launched, vcpu->spec_ctrl);
	minihv_guest_exit(vcpu);
	if (debugctl)
		update_debugctlmsr(debugctl);
	/* A #DB in the guest changed DR6: the guest's, the host's back. */
	get_debugreg(dr6, 6);
	if (unlikely(dr6 != DR6_RESET)) {
		vmx->dr6 = dr6;
		set_debugreg(DR6_RESET, 6);
	}
	vmx->event_inj = 0;	/* delivered, or back in IDT vectoring */

	vmx->cr2 = native_read_cr2();
	vmx_put_guest_msrs(vmx);
	vmx_restore_host(&host);
	/*
	 * The exit disabled the host's breakpoints (DR7 = 0x400); no guest
	 * breakpoint address stays in DR0-3 either.
	 */
	if (hw_breakpoint_active()) {
		hw_breakpoint_restore();
	} else if (unlikely(db_loaded)) {
		set_debugreg(0, 0);
		set_debugreg(0, 1);
		set_debugreg(0, 2);
		set_debugreg(0, 3);
	}

	if (!r) {
		reason = vmcs_read(VM_EXIT_REASON);
		if (!(reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
			vmx->launched = true;
		if (minihv_l1d_flush_on() && !vmx_exit_keeps_l1d(reason))
			vcpu->l1d.req = true;
		/* Shadow paging owns all of CR0/CR4: nothing changes there. */
		vmx->crs_stale = vmx_cfg.ept_ug;
		/*
		 * An NMI or a machine check that made the exit is the host's:
		 * handle it now (never injected into the guest).
		 */
		if ((u16)reason == EXIT_REASON_EXCEPTION_NMI) {
			u32 info = vmcs_read(VM_EXIT_INTR_INFO);

			if ((info & INTR_INFO_INTR_TYPE_MASK) ==
			    INTR_TYPE_NMI_INTR)
				asm volatile("int $2");
			else if ((info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC)
				vmx_machine_check();
		} else if ((u16)reason == EXIT_REASON_MCE_DURING_VMENTRY) {
			vmx_machine_check();
		}
	}
	minihv_guest_irq_window();

	if (r) {
		err = r == VMX_RUN_FAIL_VALID ? vmcs_read(VM_INSTRUCTION_ERROR) : 0;
		preempt_enable();
		if (r == VMX_RUN_FAIL_VALID)
			return minihv_exit_fail_entry(vcpu, err);
		err = r;
		return minihv_exit_internal(vcpu,
					    KVM_INTERNAL_ERROR_EMULATION, 1,
					    &err);
	}
	vmx_read_exit(vcpu);
	preempt_enable();
	return MINIHV_RUN_EXITED;
}
