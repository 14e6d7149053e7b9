// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: VMX guests: the VMCS and the vCPU's state in it.  The exit
 * handlers are in exit.c, the world switch in run.c.
 *
 * Guests run with EPT and "unrestricted guest" (real mode included): the
 * EPT tables are built by kmod/tdp.c, an EPT violation mapping the RAM of
 * its whole 2 MiB region, and a violation outside every memory slot (or a
 * write to a read-only slot) is MMIO for the common code (kmod/emulate.c).
 * Every port (unconditional I/O exiting) and every MSR (an all-ones MSR
 * bitmap, or none) exits, so do CPUID, HLT, external interrupts, NMIs,
 * PAUSE loops (pause-loop exiting, where the CPU has it), MOV to/from a
 * debug register (the guest's DR0-3/6/7 are kept here, see exit.c),
 * and the VMX instructions and XSETBV, which raise #UD in the guest.
 * Without EPT or unrestricted guest, paging is shadowed (shadow.c) and
 * real mode runs in virtual-8086 mode (realmode.c).
 *
 * The VMCS is only touched with preemption disabled and after
 * vmx_load(), which makes it current on this CPU: VMCLEAR on the CPU it
 * was active on (an IPI), then VMPTRLD here.  Each CPU lists the VMCSs
 * active on it, for VMXOFF (vmx.c).  Exit handlers run preemptible (they
 * allocate EPT tables, call into kmod/), so whatever reads or writes the
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
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/pgtable.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/trapnr.h>

#include "vmx.h"
#include "kmod/trace.h"

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
void vmx_sync_crs(struct vmx_vcpu *vmx)
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
void vmx_reset_guest(struct minihv_vcpu *vcpu)
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
void vmx_init_vmcs(struct minihv_vcpu *vcpu)
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
 * CPL and debug registers
 */

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
