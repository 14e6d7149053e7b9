// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: x86 architectural rules both backends enforce.
 *
 * What the architecture says about control registers, EFER, PAT and
 * addresses, whatever the virtualization extension: the backends add
 * their own restrictions (VMX's fixed CR bits and entry checks) on top.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kvm.h>
#include <asm/cpufeature.h>
#include <asm/msr-index.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "minihv.h"

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

bool minihv_cr4_valid(u64 cr4)
{
	return !(cr4 & ~(u64)CR4_ALLOWED) && !(cr4 & cr4_host_reserved());
}

/*
 * KVM_SET_SREGS: the checks KVM's kvm_is_valid_sregs() and its CR/EFER
 * setters make, and the ones they leave to a failed entry, so that a
 * state no CPU would run is -EINVAL before anything changes.
 */
bool minihv_sregs_valid(const struct kvm_sregs *sr)
{
	if (!minihv_cr0_valid(sr->cr0) || !minihv_cr4_valid(sr->cr4))
		return false;
	if (sr->efer & ~(u64)MINIHV_EFER_ALLOWED)
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
