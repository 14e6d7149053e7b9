// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: MSR access, for RDMSR/WRMSR exits and KVM_GET/SET_MSRS.
 *
 * One order for both: the in-kernel APIC's (x2APIC), EFER (kmod/x86.c),
 * the backend's, the speculation controls' (kmod/spec.c), then the
 * common ones below.  Called with vcpu->mutex held.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kernel.h>
#include <asm/msr-index.h>

#include "minihv.h"
#include "lapic.h"

/*
 * The backend's first (EFER, PAT, STAR family, SYSENTER, segment bases,
 * TSC...), then these:
 *   MSR_IA32_MISC_ENABLE	vcpu->msr_misc_enable, any value
 *   MSR_IA32_UCODE_REV		reads 0, writes ignored
 *   MSR_IA32_APICBASE		reads 0xfee00000 | enabled | BSP for vCPU 0
 *				(KVM's reset value), writes ignored: no APIC
 *				yet, to be revisited with it
 *   MTRRs			MTRRcap (8 variable ranges, fixed ranges, WC),
 *				MTRRdefType, the variable and fixed ranges:
 *				checked and kept, as KVM keeps them, but not
 *				applied (guest RAM is host memory, write-back)
 * Anything else: #GP(0), RIP not advanced.
 */

#define MTRRCAP_VAL	(MINIHV_MTRR_VAR | BIT(8) | BIT(10))	/* FIX, WC */

/* A memory type an MTRR may hold: UC, WC, WT, WP, WB. */
static bool mtrr_type_ok(u64 t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

/* The slot of a fixed-range MTRR in vcpu->mtrr.fixed[], or -1. */
static int mtrr_fixed_slot(u32 index)
{
	if (index == MSR_MTRRfix64K_00000)
		return 0;
	if (index == MSR_MTRRfix16K_80000 || index == MSR_MTRRfix16K_A0000)
		return 1 + index - MSR_MTRRfix16K_80000;
	if (index >= MSR_MTRRfix4K_C0000 && index <= MSR_MTRRfix4K_F8000)
		return 3 + index - MSR_MTRRfix4K_C0000;
	return -1;
}

static bool mtrr_var(u32 index)
{
	return index >= MTRRphysBase_MSR(0) &&
	       index < MTRRphysBase_MSR(MINIHV_MTRR_VAR);
}

static int mtrr_get(struct minihv_vcpu *vcpu, u32 index, u64 *data)
{
	int slot = mtrr_fixed_slot(index);

	if (index == MSR_MTRRcap)
		*data = MTRRCAP_VAL;
	else if (index == MSR_MTRRdefType)
		*data = vcpu->mtrr.def_type;
	else if (mtrr_var(index))
		*data = vcpu->mtrr.var[index - MTRRphysBase_MSR(0)];
	else if (slot >= 0)
		*data = vcpu->mtrr.fixed[slot];
	else
		return 1;
	return 0;
}

/* As the CPU checks: valid types, no reserved bits (else #GP). */
static int mtrr_set(struct minihv_vcpu *vcpu, u32 index, u64 data)
{
	u64 addr_rsvd = ~GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 0);
	int slot = mtrr_fixed_slot(index), i;

	if (index == MSR_MTRRdefType) {
		if ((data & ~0xcffULL) || !mtrr_type_ok(data & 0xff))
			return 1;
		vcpu->mtrr.def_type = data;
	} else if (mtrr_var(index)) {
		u32 n = index - MTRRphysBase_MSR(0);

		/* Base: type, bits 8-11 reserved; mask: bit 11 valid. */
		if (!(n & 1) && (!mtrr_type_ok(data & 0xff) ||
				 (data & (0xf00 | addr_rsvd))))
			return 1;
		if ((n & 1) && (data & (0x7ff | addr_rsvd)))
			return 1;
		vcpu->mtrr.var[n] = data;
	} else if (slot >= 0) {
		for (i = 0; i < 64; i += 8)
			if (!mtrr_type_ok((data >> i) & 0xff))
				return 1;
		vcpu->mtrr.fixed[slot] = data;
	} else {
		return 1;	/* MTRRcap: read-only */
	}
	return 0;
}

static int common_get_msr(struct minihv_vcpu *vcpu, u32 index, u64 *data)
{
	switch (index) {
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->msr_misc_enable;
		return 0;
	case MSR_IA32_UCODE_REV:
	case MSR_IA32_TSC_DEADLINE:	/* no in-kernel APIC: reads 0 */
		*data = 0;
		return 0;
	case MSR_IA32_APICBASE:
		*data = 0xfee00000ULL | MSR_IA32_APICBASE_ENABLE |
			(vcpu->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
		return 0;
	default:
		return mtrr_get(vcpu, index, data);
	}
}

static int common_set_msr(struct minihv_vcpu *vcpu, u32 index, u64 data)
{
	switch (index) {
	case MSR_IA32_MISC_ENABLE:
		vcpu->msr_misc_enable = data;
		return 0;
	case MSR_IA32_UCODE_REV:
	case MSR_IA32_APICBASE:
	case MSR_IA32_TSC_DEADLINE:
		return 0;
	default:
		return mtrr_set(vcpu, index, data);
	}
}

/*
 * MSR access, for the guest (RDMSR/WRMSR exits) and for userspace
 * (KVM_GET/SET_MSRS, @host true): the backend's MSRs first, then the
 * common ones.  0, or nonzero if the MSR is unknown or the value bad.
 */
int minihv_get_msr(struct minihv_vcpu *vcpu, u32 index, u64 *data)
{
	int r;

	if (vcpu->apic) {
		r = minihv_lapic_get_msr(vcpu, index, data, true);
		if (r != MINIHV_MSR_UNHANDLED)
			return r;
	}
	if (index == MSR_EFER) {
		*data = minihv_get_efer(vcpu);
		return 0;
	}
	r = minihv_ops->get_msr(vcpu, index, data);

	if (r == MINIHV_MSR_UNHANDLED)
		r = minihv_spec_get_msr(vcpu, index, data);
	if (r == MINIHV_MSR_UNHANDLED)
		r = common_get_msr(vcpu, index, data);
	return r;
}

int minihv_set_msr(struct minihv_vcpu *vcpu, u32 index, u64 data, bool host)
{
	int r;

	if (vcpu->apic) {
		r = minihv_lapic_set_msr(vcpu, index, data, host);
		if (r != MINIHV_MSR_UNHANDLED)
			return r == MINIHV_MSR_USER_EXIT && host ? 0 : r;
	}
	if (index == MSR_EFER)
		return minihv_set_efer(vcpu, data, host);
	r = minihv_ops->set_msr(vcpu, index, data, host);

	if (r == MINIHV_MSR_UNHANDLED)
		r = minihv_spec_set_msr(vcpu, index, data, host);
	if (r == MINIHV_MSR_UNHANDLED)
		r = common_set_msr(vcpu, index, data);
	return r;
}

int minihv_exit_rdmsr(struct minihv_vcpu *vcpu)
{
	u64 data = 0;

	if (minihv_get_msr(vcpu, vcpu->regs[VCPU_RCX], &data)) {
		minihv_queue_gp(vcpu, 0);
		return 1;
	}
	vcpu->regs[VCPU_RAX] = (u32)data;
	vcpu->regs[VCPU_RDX] = data >> 32;
	return minihv_skip_instruction(vcpu);
}

int minihv_exit_wrmsr(struct minihv_vcpu *vcpu)
{
	u64 data = (u32)vcpu->regs[VCPU_RAX] | vcpu->regs[VCPU_RDX] << 32;
	int r = minihv_set_msr(vcpu, vcpu->regs[VCPU_RCX], data, false);

	if (r && r != MINIHV_MSR_USER_EXIT) {
		minihv_queue_gp(vcpu, 0);
		return 1;
	}
	minihv_skip_instruction(vcpu);
	return r == MINIHV_MSR_USER_EXIT ? 0 : 1;
}
