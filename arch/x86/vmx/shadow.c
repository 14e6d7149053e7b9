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
 * GUEST_CR3 the shadow root, EFER.LME/LMA only in long mode.  Without
 * EPT, VM entry loads PAE PDPTEs from GUEST_CR3 itself: the shadow root's.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kernel.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "vmx.h"

#define CR0_PAGING	(X86_CR0_PG | X86_CR0_WP | X86_CR0_PE)
#define CR4_PAGING	(X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE | \
			 X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PCIDE)

/* Exit qualification of CR accesses (as in guest.c). */
#define CR_QUAL_NR(q)		((q) & 0xf)
#define CR_QUAL_TYPE(q)		(((q) >> 4) & 3)
#define CR_QUAL_GPR(q)		(((q) >> 8) & 0xf)
#define CR_TYPE_MOV_TO		0
#define CR_TYPE_MOV_FROM	1
#define CR_TYPE_CLTS		2
#define CR_TYPE_LMSW		3

static struct vmx_vcpu *to_vmx(struct minihv_vcpu *vcpu)
{
	return vcpu->arch;
}

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
	u64 cr0 = vmx->cr0 & ~(u64)(X86_CR0_CD | X86_CR0_NW);
	u64 cr4 = vmx->cr4 | vmx_cfg.cr4_fixed0 | X86_CR4_PAE;
	u64 efer = vmx->sp.efer & ~(EFER_LME | EFER_LMA);
	u32 entry = vmx_cfg.entry;

	if (!(vmx->cr0 & X86_CR0_PG))
		cr4 &= ~(X86_CR4_SMEP | X86_CR4_SMAP);
	/* v86 mode: INT n through the IVT; CPL 3 but no alignment checks. */
	if (vmx->rm.vm86) {
		cr4 |= X86_CR4_VME;
		cr0 &= ~X86_CR0_AM;
	}
	if (vmx->sp.efer & EFER_LMA) {
		efer |= EFER_LME | EFER_LMA;
		entry |= VM_ENTRY_IA32E_MODE;
	}
	vmcs_write(GUEST_CR0, cr0 | vmx_cfg.cr0_fixed0 | CR0_PAGING);
	vmcs_write(CR0_READ_SHADOW, vmx->cr0);
	vmcs_write(GUEST_CR4, cr4);
	vmcs_write(CR4_READ_SHADOW, vmx->cr4);
	vmcs_write(GUEST_IA32_EFER, efer);
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

void vmx_shadow_get_sregs(struct minihv_vcpu *vcpu, struct kvm_sregs *sregs)
{
	sregs->cr3 = to_vmx(vcpu)->sp.cr3;
	sregs->efer = to_vmx(vcpu)->sp.efer;
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

/* ---------------------------------------------------------------------
 * CR writes (0, or -EINVAL for #GP)
 */

static int shadow_update(struct minihv_vcpu *vcpu)
{
	if (!vmx_get(vcpu))
		return -EIO;
	shadow_write_hw(vcpu);
	vmx_put();
	return 0;
}

static int shadow_set_cr0(struct minihv_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_shadow *sp = &vmx->sp;
	u64 old = vmx->cr0;

	if (!(sp->efer & EFER_LMA))
		val = (u32)val;
	val |= X86_CR0_ET;
	if (!minihv_cr0_valid(val))
		return -EINVAL;
	if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) &&
	    (sp->efer & EFER_LME)) {
		if (!(vmx->cr4 & X86_CR4_PAE) || !vmx_cfg.entry_ia32e)
			return -EINVAL;
		sp->efer |= EFER_LMA;
	}
	if (!(val & X86_CR0_PG) && (old & X86_CR0_PG))
		sp->efer &= ~EFER_LMA;
	if ((val ^ old) & CR0_PAGING)
		minihv_shadow_zap(&sp->mmu);
	/* Into or out of real mode: v86 mode's segments (realmode.c). */
	if ((val ^ old) & X86_CR0_PE) {
		if (!vmx_get(vcpu))
			return -EIO;
		if (val & X86_CR0_PE)
			vmx_rm_leave(vcpu, true);
		else
			vmx_rm_enter(vcpu);
		vmx_put();
	}
	vmx->cr0 = val;
	return shadow_update(vcpu);
}

static int shadow_set_cr4(struct minihv_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!minihv_cr4_valid(val) || (val & X86_CR4_LA57) ||
	    ((val | vmx_cfg.cr4_fixed0) & ~vmx_cfg.cr4_fixed1))
		return -EINVAL;
	if ((vmx->sp.efer & EFER_LMA) && !(val & X86_CR4_PAE))
		return -EINVAL;
	if ((val & X86_CR4_PCIDE) && !(vmx->sp.efer & EFER_LMA))
		return -EINVAL;
	if ((val ^ vmx->cr4) & CR4_PAGING)
		minihv_shadow_zap(&vmx->sp.mmu);
	vmx->cr4 = val;
	return shadow_update(vcpu);
}

/* MOV CR3 drops the tree, PCID's no-flush bit or not (see mmu.rst). */
static int shadow_set_cr3(struct minihv_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (vmx->sp.efer & EFER_LMA) {
		if (vmx->cr4 & X86_CR4_PCIDE)
			val &= ~BIT_ULL(63);
		if (val >> boot_cpu_data.x86_phys_bits)
			return -EINVAL;
	}
	vmx->sp.cr3 = val;
	minihv_shadow_zap(&vmx->sp.mmu);
	return 0;
}

/* MOV to CR0/3/4 (real mode's emulator too): 0, -EINVAL for #GP, -EIO. */
int vmx_shadow_set_cr(struct minihv_vcpu *vcpu, int cr, u64 val)
{
	switch (cr) {
	case 0:
		return shadow_set_cr0(vcpu, val);
	case 3:
		return shadow_set_cr3(vcpu, val);
	case 4:
		return shadow_set_cr4(vcpu, val);
	}
	return -EINVAL;
}

/* The CR_ACCESS exit under shadow paging. */
int vmx_shadow_exit_cr(struct minihv_vcpu *vcpu, u64 qual, u32 len)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned int cr = CR_QUAL_NR(qual), gpr = CR_QUAL_GPR(qual);
	u64 val = vcpu->regs[gpr];
	int r = 0;

	switch (CR_QUAL_TYPE(qual)) {
	case CR_TYPE_MOV_TO:
		if (cr == 0)
			r = shadow_set_cr0(vcpu, val);
		else if (cr == 3)
			r = shadow_set_cr3(vcpu, val);
		else if (cr == 4)
			r = shadow_set_cr4(vcpu, val);
		/* CR8: guest.c's exit_cr8() */
		break;
	case CR_TYPE_MOV_FROM:
		vcpu->regs[gpr] = cr == 3 ? vmx->sp.cr3 : 0;
		break;
	case CR_TYPE_CLTS:
		r = shadow_set_cr0(vcpu, vmx->cr0 & ~X86_CR0_TS);
		break;
	case CR_TYPE_LMSW:
		/* LMSW sets PE but never clears it. */
		val = (qual >> 16) & 0xf;
		r = shadow_set_cr0(vcpu, (vmx->cr0 & ~0xeULL) | val);
		break;
	}
	if (r == -EIO)
		return r;
	if (r) {
		minihv_queue_gp(vcpu, 0);
		return 1;
	}
	vcpu->rip += len;
	return 1;
}

int vmx_shadow_set_efer(struct minihv_vcpu *vcpu, u64 data, bool host)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_shadow *sp = &vmx->sp;

	if (data & ~(u64)MINIHV_EFER_ALLOWED)
		return -EINVAL;
	if (!host) {
		data = (data & ~EFER_LMA) | (sp->efer & EFER_LMA);
		if ((vmx->cr0 & X86_CR0_PG) && ((data ^ sp->efer) & EFER_LME))
			return -EINVAL;
	}
	if ((data & EFER_LMA) && !vmx_cfg.entry_ia32e)
		return -EINVAL;
	if ((data ^ sp->efer) & (EFER_NX | EFER_LMA))
		minihv_shadow_zap(&sp->mmu);
	sp->efer = data;
	return shadow_update(vcpu);
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
