// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: VMX without EPT (ept=0, or no EPT/unrestricted guest): shadow
 * paging on the tables of kmod/mmu.c.
 *
 * Without unrestricted guest the CPU runs the guest with CR0.PE and
 * CR0.PG set, so the guest's paging-off protected mode runs on an
 * identity shadow tree, and so does its real mode (CR0.PE=0), in
 * virtual-8086 mode (realmode.c).  The VMCS owns every CR0 and CR4
 * bit (the guest reads its own values from the read shadows and every
 * write exits), CR3 loads and stores exit, #PF and INVLPG exit.  GUEST_CR0
 * is the guest's CR0 plus PE, PG and WP, GUEST_CR4 the guest's plus PAE,
 * GUEST_CR3 the shadow root, EFER.NX always, EFER.LME/LMA only in long
 * mode (kmod/mmu.c: minihv_shadow_hw_crs(), plus VMX's PE).  Without
 * EPT, VM entry loads PAE PDPTEs from GUEST_CR3 itself: the shadow root's.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kernel.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "vmx.h"

static void shadow_paging(struct minihv_vcpu *vcpu, struct minihv_paging *p)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	p->cr0 = vmx->cr0;
	p->cr3 = vmx->sp.cr3;
	p->cr4 = vmx->cr4;
	p->efer = vmx->sp.efer;
	p->rflags = vcpu->rflags;
}

/* The hardware CR0/CR4/EFER from the guest's view.  VMCS loaded. */
static void shadow_write_hw(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct minihv_crs guest = {
		.cr0 = vmx->cr0, .cr3 = vmx->sp.cr3, .cr4 = vmx->cr4,
		.efer = vmx->sp.efer,
	};
	struct minihv_crs hw;
	u32 entry = vmx_cfg.entry;

	minihv_shadow_hw_crs(&guest, &hw);
	/* Without unrestricted guest PE too; CD/NW stay clear (as KVM). */
	hw.cr0 = (hw.cr0 & ~(u64)(X86_CR0_CD | X86_CR0_NW)) | X86_CR0_PE;
	/* v86 mode: INT n through the IVT; CPL 3 but no alignment checks. */
	if (vmx->rm.vm86) {
		hw.cr4 |= X86_CR4_VME;
		hw.cr0 &= ~X86_CR0_AM;
	}
	if (hw.efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vmcs_write(GUEST_CR0, hw.cr0 | vmx_cfg.cr0_fixed0);
	vmcs_write(CR0_READ_SHADOW, vmx->cr0);
	vmcs_write(GUEST_CR4, hw.cr4 | vmx_cfg.cr4_fixed0);
	vmcs_write(CR4_READ_SHADOW, vmx->cr4);
	vmcs_write(GUEST_IA32_EFER, hw.efer);
	vmcs_write(VM_ENTRY_CONTROLS, entry);
}

/*
 * From vmx_init_vmcs(), VMCS loaded: the exits shadow paging needs, but
 * CR3 loads and stores and INVLPG, which are in vmx_cfg.proc (vmx.c).
 */
void vmx_shadow_init_vmcs(struct minihv_vcpu *vcpu)
{
	vmcs_write(EXCEPTION_BITMAP, BIT(X86_TRAP_PF) | BIT(X86_TRAP_MC));
	vmcs_write(CR0_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR4_GUEST_HOST_MASK, ~0UL);
}

/* The guest's CR0/CR4 (vmx->cr0, ->cr4), CR3 and EFER were set.  VMCS loaded. */
void vmx_shadow_set_state(struct minihv_vcpu *vcpu, u64 cr3, u64 efer)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->sp.cr3 = cr3;
	vmx->sp.efer = efer;
	vmx->sp.loaded_root = 0;	/* GUEST_CR3 was overwritten */
	minihv_shadow_zap(&vmx->sp.mmu);
	shadow_write_hw(vcpu);
}

void vmx_shadow_free(struct minihv_vcpu *vcpu)
{
	minihv_shadow_destroy(&to_vmx(vcpu)->sp.mmu);
}

/*
 * Before each entry, preemptible: drop the tree if the slots changed,
 * give it the guest's format, let real mode prepare its entry (minihv's
 * TSS, an event delivered through the IVT), point GUEST_CR3 at the tree.
 * Returns 1 to go on, else what vcpu_run returns.
 */
int vmx_shadow_prepare(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_shadow *sp = &vmx->sp;
	struct vmx_vm *vmx_vm = vcpu->vm->arch;
	s64 gen = atomic64_read(&vmx_vm->ept.gen);
	int r;

	if (sp->gen != gen) {
		minihv_shadow_zap(&sp->mmu);
		sp->gen = gen;
	}
	r = minihv_shadow_root(&sp->mmu, (sp->efer & EFER_LMA) ? 4 : 3);
	if (r)
		return r;
	if (vmx->rm.vm86) {
		r = vmx_rm_prepare(vcpu);
		if (r != 1)
			return r;
	}
	if (sp->mmu.root_pa != sp->loaded_root) {
		if (!vmx_get(vcpu))
			return -EIO;
		vmcs_write(GUEST_CR3, sp->mmu.root_pa);
		vmx_put();
		sp->loaded_root = sp->mmu.root_pa;
	}
	if (sp->mmu.flush) {
		vmx->need_flush = true;
		sp->mmu.flush = false;
	}
	return 1;
}

/*
 * The guest's new CR0/CR3/CR4/EFER (kmod/x86.c allowed them) into the
 * VMCS, from the guest's view.  Into or out of real mode, v86 mode's
 * segments come or go (realmode.c).
 */
int vmx_shadow_set_crs(struct minihv_vcpu *vcpu, const struct minihv_crs *old,
		       const struct minihv_crs *crs)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx_get(vcpu))
		return -EIO;
	if ((old->cr0 ^ crs->cr0) & X86_CR0_PE) {
		if (crs->cr0 & X86_CR0_PE)
			vmx_rm_leave(vcpu, true);
		else
			vmx_rm_enter(vcpu);
	}
	vmx->cr0 = crs->cr0;
	vmx->cr4 = crs->cr4;
	vmx->sp.cr3 = crs->cr3;
	vmx->sp.efer = crs->efer;
	shadow_write_hw(vcpu);
	vmx_put();
	return 0;
}

/* A paging control changed, or CR3 was loaded: the tree starts again. */
void vmx_shadow_reset(struct minihv_vcpu *vcpu)
{
	minihv_shadow_zap(&to_vmx(vcpu)->sp.mmu);
}

/* A #PF exit: @cr2 from the exit qualification, @error its error code. */
int vmx_shadow_exit_pf(struct minihv_vcpu *vcpu, u64 cr2, u32 error)
{
	struct minihv_paging p;

	shadow_paging(vcpu, &p);
	return minihv_shadow_fault(vcpu, &to_vmx(vcpu)->sp.mmu, &p, cr2, error);
}

int vmx_shadow_exit_invlpg(struct minihv_vcpu *vcpu, u64 gva, u32 len)
{
	minihv_shadow_invlpg(&to_vmx(vcpu)->sp.mmu, gva);
	vcpu->rip += len;
	return 1;
}
