// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the x86 architecture, once for both backends.
 *
 * What the architecture says about control registers, EFER, PAT,
 * addresses and exceptions, whatever the virtualization extension: the
 * CR0/CR3/CR4/EFER state machine (the long mode switch, the guest's
 * CPUID, when the MMU starts again), exception merging up to a triple
 * fault.  The backends only program their hardware (->get_crs/->set_crs,
 * ->reset_mmu, ->queue_exception); what their hardware cannot run is in
 * minihv_hw_cr0_reserved/minihv_hw_cr4_reserved/minihv_hw_long_mode.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kvm.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/msr-index.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "decode.h"
#include "minihv.h"

u64 minihv_hw_cr0_reserved;
u64 minihv_hw_cr4_reserved;
bool minihv_hw_long_mode = true;

#define CR0_DEFINED	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | \
			 X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | \
			 X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)
/* The CR4 bits a guest may set: the features minihv virtualizes. */
#define CR4_ALLOWED	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | \
			 X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | \
			 X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | \
			 X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | \
			 X86_CR4_FSGSBASE | X86_CR4_OSXSAVE | X86_CR4_SMEP | \
			 X86_CR4_SMAP | X86_CR4_LA57)

bool minihv_cr0_valid(u64 cr0)
{
	if (cr0 & ~(u64)CR0_DEFINED)
		return false;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return false;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return false;
	return true;
}

/*
 * The CR4 bits of features the host CPU does not have (as KVM's
 * __cr4_reserved_bits()): the CPU refuses them at VM entry, a failed
 * entry, so a guest's MOV to CR4 gets #GP and KVM_SET_SREGS -EINVAL, as
 * on the CPU itself.
 */
static u64 cr4_host_reserved(void)
{
	static const struct {
		u16 feature;
		u64 bits;
	} need[] = {
		{ X86_FEATURE_VME, X86_CR4_VME | X86_CR4_PVI },
		{ X86_FEATURE_DE, X86_CR4_DE },
		{ X86_FEATURE_PSE, X86_CR4_PSE },
		{ X86_FEATURE_PAE, X86_CR4_PAE },
		{ X86_FEATURE_MCE, X86_CR4_MCE },
		{ X86_FEATURE_PGE, X86_CR4_PGE },
		{ X86_FEATURE_FXSR, X86_CR4_OSFXSR },
		{ X86_FEATURE_XMM, X86_CR4_OSXMMEXCPT },
		{ X86_FEATURE_FSGSBASE, X86_CR4_FSGSBASE },
		{ X86_FEATURE_XSAVE, X86_CR4_OSXSAVE },
		{ X86_FEATURE_SMEP, X86_CR4_SMEP },
		{ X86_FEATURE_SMAP, X86_CR4_SMAP },
	};
	u64 reserved = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(need); i++)
		if (!boot_cpu_has(need[i].feature))
			reserved |= need[i].bits;
	/* Guest 5-level paging only where the host has it. */
	if (!pgtable_l5_enabled())
		reserved |= X86_CR4_LA57;
	return reserved;
}

bool minihv_cr4_valid(struct minihv_vcpu *vcpu, u64 cr4)
{
	return !(cr4 & ~(u64)CR4_ALLOWED) && !(cr4 & cr4_host_reserved()) &&
	       !(cr4 & (minihv_hw_cr4_reserved | vcpu->cr4_guest_rsvd));
}

/*
 * KVM_SET_CPUID2: the CR4 and EFER bits of features the guest's CPUID
 * does not offer are reserved for it, as in KVM (__cr4_reserved_bits(),
 * __kvm_valid_efer()).  Until userspace sets a CPUID, nothing is.
 */
void minihv_x86_after_set_cpuid(struct minihv_vcpu *vcpu)
{
	static const struct {
		u32 fn;
		u8 reg;		/* 1 EBX, 2 ECX, 3 EDX */
		u8 bit;
		u64 cr4;
		u64 efer;
	} need[] = {
		{ 1, 2, 26, X86_CR4_OSXSAVE, 0 },
		{ 1, 2, 17, X86_CR4_PCIDE, 0 },
		{ 1, 2, 5, X86_CR4_VMXE, 0 },
		{ 7, 1, 0, X86_CR4_FSGSBASE, 0 },
		{ 7, 1, 7, X86_CR4_SMEP, 0 },
		{ 7, 1, 20, X86_CR4_SMAP, 0 },
		{ 7, 2, 2, X86_CR4_UMIP, 0 },
		{ 7, 2, 3, X86_CR4_PKE, 0 },
		{ 7, 2, 16, X86_CR4_LA57, 0 },
		{ 0x80000001, 3, 11, 0, EFER_SCE },
		{ 0x80000001, 3, 20, 0, EFER_NX },
		{ 0x80000001, 3, 29, 0, EFER_LME | EFER_LMA },
	};
	u64 cr4 = 0, efer = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(need); i++) {
		const struct kvm_cpuid_entry2 *e;
		u32 reg = 0;

		e = minihv_find_cpuid(vcpu, need[i].fn, 0);
		if (e)
			reg = need[i].reg == 1 ? e->ebx :
			      need[i].reg == 2 ? e->ecx : e->edx;
		if (!(reg & BIT(need[i].bit))) {
			cr4 |= need[i].cr4;
			efer |= need[i].efer;
		}
	}
	vcpu->cr4_guest_rsvd = cr4;
	vcpu->efer_guest_rsvd = efer;
	if (minihv_ops->after_set_cpuid)
		minihv_ops->after_set_cpuid(vcpu);
}

/*
 * KVM_SET_SREGS: the checks KVM's kvm_is_valid_sregs() and its CR/EFER
 * setters make, and the ones they leave to a failed entry, so that a
 * state no CPU would run is -EINVAL before anything changes.
 */
bool minihv_sregs_valid(struct minihv_vcpu *vcpu, const struct kvm_sregs *sr)
{
	if (!minihv_cr0_valid(sr->cr0) || (sr->cr0 & minihv_hw_cr0_reserved) ||
	    !minihv_cr4_valid(vcpu, sr->cr4))
		return false;
	if (sr->efer & ~(u64)MINIHV_EFER_ALLOWED)
		return false;
	if ((sr->efer & EFER_LMA) && !minihv_hw_long_mode)
		return false;
	if ((sr->efer & EFER_LME) && (sr->cr0 & X86_CR0_PG)) {
		if (!(sr->cr4 & X86_CR4_PAE) || !(sr->efer & EFER_LMA))
			return false;
		if (sr->cs.l && sr->cs.db)
			return false;
		if (sr->cr3 >> boot_cpu_data.x86_phys_bits)
			return false;
	} else if ((sr->efer & EFER_LMA) || sr->cs.l) {
		/* Not long mode: no LMA, and no 64-bit code segment. */
		return false;
	}
	return true;
}

bool minihv_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = pat >> (8 * i);

		/* 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC- */
		if (type > 7 || type == 2 || type == 3)
			return false;
	}
	return true;
}

/* Canonical for the host's (and so the guest's) linear address width. */
bool minihv_canonical(u64 addr)
{
	int bits = pgtable_l5_enabled() ? 57 : 48;

	return ((s64)addr << (64 - bits) >> (64 - bits)) == (s64)addr;
}

/* ---------------------------------------------------------------------
 * The control registers
 */

/* CR0, CR4 and EFER bits that change what a page walk gives. */
#define CR0_MMU		(X86_CR0_PG | X86_CR0_WP | X86_CR0_PE)
#define CR4_MMU		(X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE | \
			 X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PCIDE | \
			 X86_CR4_LA57)
#define EFER_MMU	(EFER_NX | EFER_LMA)

/* Would a TLB or a shadow table of @old translate differently now? */
static bool minihv_crs_mmu_changed(const struct minihv_crs *old,
				   const struct minihv_crs *crs)
{
	return ((old->cr0 ^ crs->cr0) & CR0_MMU) ||
	       ((old->cr4 ^ crs->cr4) & CR4_MMU) ||
	       ((old->efer ^ crs->efer) & EFER_MMU);
}

/*
 * The four PDPTEs of PAE paging outside long mode, from guest memory (an
 * unreadable table reads as not present); zeros in any other mode.
 * Preemptible, slots_lock held.
 */
void minihv_load_pdptrs(struct minihv_vcpu *vcpu,
			const struct minihv_crs *crs, u64 *pdpte)
{
	memset(pdpte, 0, 4 * sizeof(*pdpte));
	if ((crs->cr0 & X86_CR0_PG) && (crs->cr4 & X86_CR4_PAE) &&
	    !(crs->efer & EFER_LMA))
		if (minihv_read_guest(vcpu->vm, crs->cr3 & ~0x1fULL, pdpte,
				      4 * sizeof(*pdpte)))
			memset(pdpte, 0, 4 * sizeof(*pdpte));
}

u64 minihv_get_cr(struct minihv_vcpu *vcpu, int cr)
{
	struct minihv_crs crs;

	minihv_ops->get_crs(vcpu, &crs);
	switch (cr) {
	case 0:
		return crs.cr0;
	case 3:
		return crs.cr3;
	case 4:
		return crs.cr4;
	}
	return 0;
}

/*
 * MOV to CR0 (CLTS, LMSW), the guest's: the CPU ignores reserved bits
 * 31:0 and gives #GP for 63:32.  Paging on with EFER.LME is the switch
 * to long mode (CR4.PAE needed), paging off leaves it.
 */
static int cr0_next(struct minihv_vcpu *vcpu, struct minihv_crs *n, u64 val)
{
	if (!(n->efer & EFER_LMA))
		val = (u32)val;	/* a 32-bit operand */
	if (val >> 32)
		return -EINVAL;
	val = (val & CR0_DEFINED) | X86_CR0_ET;
	if (!minihv_cr0_valid(val) || (val & minihv_hw_cr0_reserved))
		return -EINVAL;
	if ((val & X86_CR0_PG) && !(n->cr0 & X86_CR0_PG) &&
	    (n->efer & EFER_LME)) {
		if (!(n->cr4 & X86_CR4_PAE) || !minihv_hw_long_mode)
			return -EINVAL;
		n->efer |= EFER_LMA;
	} else if (!(val & X86_CR0_PG) && (n->efer & EFER_LMA)) {
		n->efer &= ~EFER_LMA;
	}
	n->cr0 = val;
	return 0;
}

/*
 * MOV to CR4: reserved bits (the architecture's, the host's, the
 * backend's and those of features the guest's CPUID does not offer),
 * PAE off or LA57 changed in long mode, PCIDE outside long mode: #GP.
 */
static int cr4_next(struct minihv_vcpu *vcpu, struct minihv_crs *n, u64 val)
{
	if (!(n->efer & EFER_LMA))
		val = (u32)val;
	if (!minihv_cr4_valid(vcpu, val))
		return -EINVAL;
	if ((n->efer & EFER_LMA) &&
	    (!(val & X86_CR4_PAE) || ((val ^ n->cr4) & X86_CR4_LA57)))
		return -EINVAL;
	if ((val & X86_CR4_PCIDE) && !(n->efer & EFER_LMA))
		return -EINVAL;
	n->cr4 = val;
	return 0;
}

/* MOV to CR3: in long mode, bit 63 with PCIDE is "no flush", not kept. */
static int cr3_next(struct minihv_vcpu *vcpu, struct minihv_crs *n, u64 val)
{
	if (n->efer & EFER_LMA) {
		if (n->cr4 & X86_CR4_PCIDE)
			val &= ~BIT_ULL(63);
		if (val >> boot_cpu_data.x86_phys_bits)
			return -EINVAL;
	} else {
		val = (u32)val;
	}
	n->cr3 = val;
	return 0;
}

/*
 * PAE paging outside long mode: the CPU loads the four PDPTEs when CR3
 * is loaded, or when CR0/CR4 bits that decide how they are used change
 * (KVM's rule), and walks from those.
 */
static bool pdptrs_reload(const struct minihv_crs *old,
			  const struct minihv_crs *n, bool cr3_load)
{
	if (!(n->cr0 & X86_CR0_PG) || !(n->cr4 & X86_CR4_PAE) ||
	    (n->efer & EFER_LMA))
		return false;
	return cr3_load || ((old->cr0 ^ n->cr0) & (X86_CR0_PG | X86_CR0_CD |
						   X86_CR0_NW)) ||
	       ((old->cr4 ^ n->cr4) & (X86_CR4_PAE | X86_CR4_PSE |
				       X86_CR4_PGE | X86_CR4_SMEP |
				       X86_CR4_SMAP)) ||
	       ((old->efer ^ n->efer) & EFER_LMA);
}

/*
 * The backend programs the new state (with the PDPTEs if they were
 * loaded again); the MMU starts again if it must.  KVM_SET_MSRS (@host)
 * reads no guest memory: it does not hold slots_lock, and the PDPTEs
 * come with KVM_SET_SREGS.
 */
static int crs_commit(struct minihv_vcpu *vcpu, const struct minihv_crs *old,
		      const struct minihv_crs *n, bool cr3_load, bool host)
{
	u64 pdpte[4];
	bool load = !host && pdptrs_reload(old, n, cr3_load);
	int r;

	if (load)
		minihv_load_pdptrs(vcpu, n, pdpte);
	r = minihv_ops->set_crs(vcpu, old, n, load ? pdpte : NULL);
	if (r)
		return r;
	if (cr3_load || minihv_crs_mmu_changed(old, n))
		minihv_ops->reset_mmu(vcpu);
	return 0;
}

/**
 * minihv_set_cr() - the guest writes a control register
 * @vcpu:	the vCPU
 * @cr:		0, 3 or 4
 * @val:	the value
 *
 * Return: 0 (the instruction is done: the caller moves RIP on), 1 when
 * the write was refused and #GP is queued, or a negative error.
 */
int minihv_set_cr(struct minihv_vcpu *vcpu, int cr, u64 val)
{
	struct minihv_crs old, n;
	int r;

	minihv_ops->get_crs(vcpu, &old);
	n = old;
	switch (cr) {
	case 0:
		r = cr0_next(vcpu, &n, val);
		break;
	case 3:
		r = cr3_next(vcpu, &n, val);
		break;
	case 4:
		r = cr4_next(vcpu, &n, val);
		break;
	default:
		r = -EINVAL;
	}
	if (r) {
		minihv_queue_gp(vcpu, 0);
		return 1;
	}
	return crs_commit(vcpu, &old, &n, cr == 3, false);
}

u64 minihv_get_efer(struct minihv_vcpu *vcpu)
{
	struct minihv_crs crs;

	minihv_ops->get_crs(vcpu, &crs);
	return crs.efer;
}

int minihv_clts(struct minihv_vcpu *vcpu)
{
	return minihv_set_cr(vcpu, 0, minihv_get_cr(vcpu, 0) & ~X86_CR0_TS);
}

/* LMSW: CR0 bits 3:0 (PE, MP, EM, TS); it sets PE but never clears it. */
int minihv_lmsw(struct minihv_vcpu *vcpu, u16 val)
{
	u64 cr0 = minihv_get_cr(vcpu, 0);

	return minihv_set_cr(vcpu, 0, (cr0 & ~0xeULL) | (val & 0xf));
}

/**
 * minihv_set_efer() - WRMSR or KVM_SET_MSRS of EFER
 * @vcpu:	the vCPU
 * @efer:	the value
 * @host:	from userspace: LMA is taken as given, LME may change with
 *		paging on, the guest's CPUID is not asked
 *
 * Return: 0, -EINVAL for a value refused (#GP for the guest), or an
 * error of the backend.
 */
int minihv_set_efer(struct minihv_vcpu *vcpu, u64 efer, bool host)
{
	struct minihv_crs old, n;

	if (efer & ~(u64)MINIHV_EFER_ALLOWED)
		return -EINVAL;
	minihv_ops->get_crs(vcpu, &old);
	n = old;
	if (!host) {
		if (efer & vcpu->efer_guest_rsvd)
			return -EINVAL;
		/* The guest cannot flip LMA, nor LME while paging is on. */
		efer = (efer & ~EFER_LMA) | (old.efer & EFER_LMA);
		if ((old.cr0 & X86_CR0_PG) && ((efer ^ old.efer) & EFER_LME))
			return -EINVAL;
	}
	if ((efer & EFER_LMA) && !minihv_hw_long_mode)
		return -EINVAL;
	n.efer = efer;
	return crs_commit(vcpu, &old, &n, false, host);
}

/*
 * The CR instructions the decoder found (kmod/decode.c), register forms:
 * MOV to/from CR0/CR3/CR4, CLTS, LMSW, SMSW.  Returns 0 (done: the caller
 * moves RIP past it), 1 if an exception was queued, -EOPNOTSUPP for
 * anything else (the guest rewrote the instruction since the exit).
 */
int minihv_emulate_cr(struct minihv_vcpu *vcpu, const struct minihv_insn *in)
{
	bool cr_ok = in->ctl == 0 || in->ctl == 3 || in->ctl == 4;
	u64 *reg = in->rm >= 0 ? &vcpu->regs[in->rm] : NULL;

	switch (in->op) {
	case MINIHV_OP_CLTS:
		return minihv_clts(vcpu);
	case MINIHV_OP_MOV_FROM_CR:
		if (!cr_ok || !reg)
			break;
		*reg = minihv_reg_put(*reg, minihv_get_cr(vcpu, in->ctl),
				      in->opsize, false);
		return 0;
	case MINIHV_OP_MOV_TO_CR:
		if (!cr_ok || !reg)
			break;
		return minihv_set_cr(vcpu, in->ctl,
				     minihv_reg_get(vcpu->regs, in->rm,
						    in->opsize, false));
	case MINIHV_OP_SMSW:
		if (!reg)
			break;
		*reg = minihv_reg_put(*reg, (u32)minihv_get_cr(vcpu, 0),
				      in->opsize, false);
		return 0;
	case MINIHV_OP_LMSW:
		if (!reg)
			break;
		return minihv_lmsw(vcpu, *reg);
	default:
		break;
	}
	return -EOPNOTSUPP;
}

/* ---------------------------------------------------------------------
 * Exceptions
 */

enum exc_class { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PF };

static enum exc_class exc_class(u8 vector)
{
	if (vector == X86_TRAP_PF)
		return EXC_PF;
	if (vector == X86_TRAP_DE ||
	    (vector >= X86_TRAP_TS && vector <= X86_TRAP_GP))
		return EXC_CONTRIBUTORY;
	return EXC_BENIGN;
}

/* Faults, not traps (#DB, #BP, #OF) nor aborts (#DF, #MC), as KVM. */
static bool exc_is_fault(u8 vector)
{
	return vector != X86_TRAP_DB && vector != X86_TRAP_BP &&
	       vector != X86_TRAP_OF && vector != X86_TRAP_DF &&
	       vector != X86_TRAP_MC;
}

/**
 * minihv_queue_exception() - the guest takes an exception at the next entry
 * @vcpu:	the vCPU
 * @vector:	the exception
 * @has_error:	it pushes an error code ...
 * @error:	... this one
 *
 * Merged with an exception already queued (one whose delivery the exit
 * interrupted) as the CPU does: a contributory exception on a
 * contributory one, or a #PF or contributory exception on a #PF, is a
 * #DF; anything on a #DF shuts down (the run loop ends it in
 * KVM_EXIT_SHUTDOWN, minihv_exit_triple_fault()).  A fault pushes RFLAGS
 * with RF set, so that an IRET to the faulting instruction does not
 * take its instruction breakpoint again.
 */
void minihv_queue_exception(struct minihv_vcpu *vcpu, u8 vector,
			    bool has_error, u32 error)
{
	int prev = minihv_ops->queued_exception(vcpu);

	if (prev == X86_TRAP_DF) {
		minihv_ops->cancel_event(vcpu);
		minihv_request_triple_fault(vcpu);
		return;
	}
	if (prev >= 0) {
		enum exc_class c1 = exc_class(prev), c2 = exc_class(vector);

		if ((c1 == EXC_CONTRIBUTORY && c2 == EXC_CONTRIBUTORY) ||
		    (c1 == EXC_PF && c2 != EXC_BENIGN)) {
			vector = X86_TRAP_DF;
			has_error = true;
			error = 0;
		}
	}
	if (exc_is_fault(vector))
		vcpu->rflags |= X86_EFLAGS_RF;
	minihv_ops->queue_exception(vcpu, vector, has_error, error);
}

/* A #PF on @cr2; CR2 is written only if it is not merged into a #DF. */
void minihv_inject_page_fault(struct minihv_vcpu *vcpu, u64 cr2, u32 error)
{
	int prev = minihv_ops->queued_exception(vcpu);

	if (prev < 0 || exc_class(prev) == EXC_BENIGN)
		minihv_ops->set_cr2(vcpu, cr2);
	minihv_queue_exception(vcpu, X86_TRAP_PF, true, error);
}

/* ---------------------------------------------------------------------
 * Debug registers
 */

#define DR6_VOLATILE	0xe00fULL	/* B0-B3, BD, BS, BT */
#define DR7_VOLATILE	0xffff2bffULL	/* the rest is fixed (KVM's mask) */
#define DR6_BD		BIT(13)
#define DR7_GD		BIT(13)

/**
 * minihv_emulate_dr() - MOV from or to a debug register, intercepted
 * @vcpu:	the vCPU
 * @dr:		the register number the instruction names
 * @write:	MOV to DRn (@val is the value), else from (@val gets it)
 * @val:	the operand, at the instruction's width
 *
 * As KVM: DR4/DR5 are DR6/DR7 unless CR4.DE (then #UD), CPL > 0 is #GP,
 * DR7.GD makes the access a #DB fault with DR6.BD (delivering it clears
 * GD), and a value above 32 bits in DR6/DR7 is #GP.  DR6 and DR7 keep
 * their fixed bits (DR6's BLD and RTM read 1: a guest without them).
 *
 * Return: 0 (done: the caller moves RIP on), or 1 if an exception was
 * queued.
 */
int minihv_emulate_dr(struct minihv_vcpu *vcpu, int dr, bool write, u64 *val)
{
	const struct minihv_vendor_ops *ops = minihv_ops;
	u64 dr7;

	if (dr == 4 || dr == 5) {
		if (minihv_get_cr(vcpu, 4) & X86_CR4_DE) {
			minihv_queue_ud(vcpu);
			return 1;
		}
		dr += 2;
	}
	if (dr > 7) {
		minihv_queue_ud(vcpu);
		return 1;
	}
	if (ops->get_cpl(vcpu)) {
		minihv_queue_gp(vcpu, 0);
		return 1;
	}
	dr7 = ops->get_dr(vcpu, 7);
	if (dr7 & DR7_GD) {
		ops->set_dr(vcpu, 6, (ops->get_dr(vcpu, 6) &
				      ~(u64)DR_TRAP_BITS) | DR6_BD);
		ops->set_dr(vcpu, 7, dr7 & ~DR7_GD);
		minihv_queue_exception(vcpu, X86_TRAP_DB, false, 0);
		return 1;
	}
	if (!write) {
		*val = ops->get_dr(vcpu, dr);
		return 0;
	}
	if (dr < 4) {
		ops->set_dr(vcpu, dr, *val);
	} else if (*val >> 32) {
		minihv_queue_gp(vcpu, 0);
		return 1;
	} else if (dr == 6) {
		ops->set_dr(vcpu, 6, (*val & DR6_VOLATILE) | MINIHV_DR6_FIXED_1);
	} else {
		ops->set_dr(vcpu, 7, (*val & DR7_VOLATILE) | MINIHV_DR7_FIXED_1);
	}
	return 0;
}
