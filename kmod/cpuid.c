// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: KVM_GET_SUPPORTED_CPUID, and the guest's CPUID exits.
 *
 * What a guest may be shown: the host's CPUID, minus what minihv does not
 * virtualize.  Userspace picks from this table and hands it to
 * KVM_SET_CPUID2; CPUID exits answer from that (minihv_exit_cpuid()).  The
 * features are an allow-list: anything new in the host's CPUID stays
 * hidden until minihv is taught about it.
 *
 * The local APIC (CPUID.1:EDX[9]) and x2APIC are always shown, as in KVM:
 * they exist once userspace enables KVM_CAP_SPLIT_IRQCHIP.  MCE/MCA are
 * not: minihv has no machine-check MSRs (MCG_CAP, MCG_STATUS, banks), and
 * a Linux guest shown MCA reads them and panics on the #GP.
 *
 * x2APIC is emulated, as in KVM; it works with
 * KVM_CAP_SPLIT_IRQCHIP); the TSC-deadline timer, as in KVM, is not: it
 * is KVM_CAP_TSC_DEADLINE_TIMER, userspace sets CPUID.1:ECX[24] itself.
 * Leaves 0x15/0x16 and 0x40000010 give the TSC frequency and the APIC
 * timer's (1 GHz bus) so that a guest needs no PIT calibration.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeatures.h>
#include <asm/processor.h>

#include <asm/tsc.h>

#include "minihv.h"
#include "lapic.h"

#define F(x)	BIT(X86_FEATURE_##x & 31)

/* CPUID.1:EDX/ECX */
#define LEAF1_EDX (F(FPU) | F(VME) | F(DE) | F(PSE) | F(TSC) | F(MSR) | \
		   F(PAE) | F(CX8) | F(APIC) | F(SEP) | F(MTRR) | F(PGE) | \
		   F(CMOV) | F(PAT) | F(PSE36) | F(CLFLUSH) | \
		   F(MMX) | F(FXSR) | F(XMM) | F(XMM2))
#define LEAF1_ECX (F(XMM3) | F(PCLMULQDQ) | F(SSSE3) | F(FMA) | F(CX16) | \
		   F(XMM4_1) | F(XMM4_2) | F(MOVBE) | F(POPCNT) | F(AES) | \
		   F(RDRAND) | F(X2APIC))
/* CPUID.7.0:EBX */
#define LEAF7_EBX (F(FSGSBASE) | F(BMI1) | F(BMI2) | F(ERMS) | F(SMEP) | \
		   F(SMAP) | F(ADX) | F(RDSEED) | F(CLFLUSHOPT))
/*
 * CPUID.7.0:EDX: the IA32_SPEC_CTRL/PRED_CMD interface (kmod/spec.c) and
 * VERW clearing buffers.  Not FLUSH_L1D: IA32_FLUSH_CMD #GPs, as in
 * KVM 6.1.
 */
#define LEAF7_EDX (F(MD_CLEAR) | F(SPEC_CTRL) | F(INTEL_STIBP) | \
		   F(SPEC_CTRL_SSBD))
/* CPUID.80000008:EBX: AMD's names for the same MSRs. */
#define EXT8_EBX  (F(AMD_IBPB) | F(AMD_IBRS) | F(AMD_STIBP) | F(AMD_SSBD))
/* CPUID.80000001:EDX/ECX */
#define EXT1_EDX (F(SYSCALL) | F(NX) | F(GBPAGES) | F(LM) | F(RDTSCP) | \
		  LEAF1_EDX)
#define EXT1_ECX (F(LAHF_LM) | F(ABM) | F(SSE4A) | F(3DNOWPREFETCH))

static void add(struct kvm_cpuid_entry2 *e, int *n, u32 fn, u32 idx,
		u32 flags)
{
	struct kvm_cpuid_entry2 *ent = &e[(*n)++];

	ent->function = fn;
	ent->index = idx;
	ent->flags = flags;
	cpuid_count(fn, idx, &ent->eax, &ent->ebx, &ent->ecx, &ent->edx);
}

static int build(struct kvm_cpuid_entry2 *e)
{
	u32 max_basic = min(cpuid_eax(0), 0xdU);
	u32 max_ext = min(cpuid_eax(0x80000000), 0x80000008U);
	int n = 0;
	u32 fn;

	add(e, &n, 0, 0, 0);
	e[0].eax = max_basic;
	for (fn = 1; fn <= max_basic; fn++) {
		struct kvm_cpuid_entry2 *ent = &e[n];

		switch (fn) {
		case 1:
			add(e, &n, fn, 0, 0);
			ent->edx &= LEAF1_EDX;
			ent->ecx &= LEAF1_ECX;
			ent->ecx |= BIT(31);		/* hypervisor */
			ent->ebx &= 0x0000ffff;		/* no APIC ID, count */
			break;
		case 7:
			add(e, &n, fn, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
			ent->eax = 0;
			ent->ebx &= LEAF7_EBX;
			ent->ecx = 0;
			ent->edx &= LEAF7_EDX;
			break;
		default:
			/* Cache, topology, power, XSAVE...: not yet shown. */
			break;
		}
	}

	/*
	 * Time: TSC = crystal (ECX, the 1 GHz APIC bus) * EBX / EAX, and
	 * the base frequency in MHz.
	 */
	e[n++] = (struct kvm_cpuid_entry2) {
		.function = 0x15,
		.eax = 1000000,
		.ebx = tsc_khz,
		.ecx = MINIHV_APIC_BUS_KHZ * 1000,
	};
	e[n++] = (struct kvm_cpuid_entry2) {
		.function = 0x16,
		.eax = tsc_khz / 1000,
		.ebx = tsc_khz / 1000,
		.ecx = MINIHV_APIC_BUS_KHZ / 1000,
	};
	e[0].eax = 0x16;

	/* The hypervisor leaf: the signature CPUID exits answer. */
	e[n] = (struct kvm_cpuid_entry2) {
		.function = 0x40000000,
		.eax = 0x40000010,
	};
	memcpy(&e[n].ebx, "Mini", 4);
	memcpy(&e[n].ecx, "hvMi", 4);
	memcpy(&e[n].edx, "nihv", 4);
	n++;
	/* Timing leaf: TSC and APIC timer frequencies in kHz. */
	e[n++] = (struct kvm_cpuid_entry2) {
		.function = 0x40000010,
		.eax = tsc_khz,
		.ebx = MINIHV_APIC_BUS_KHZ,
	};

	add(e, &n, 0x80000000, 0, 0);
	e[n - 1].eax = max_ext;
	for (fn = 0x80000001; fn <= max_ext; fn++) {
		struct kvm_cpuid_entry2 *ent = &e[n];

		switch (fn) {
		case 0x80000001:
			add(e, &n, fn, 0, 0);
			ent->edx &= EXT1_EDX;	/* AMD repeats leaf 1 bits */
			ent->ecx &= EXT1_ECX;		/* no SVM: not nested */
			break;
		case 0x80000002 ... 0x80000004:	/* brand string */
		case 0x80000008:		/* address sizes */
			add(e, &n, fn, 0, 0);
			if (fn == 0x80000008) {
				ent->ebx &= EXT8_EBX;
				ent->ecx = 0;
				ent->edx = 0;
			}
			break;
		default:
			break;
		}
	}
	return n;
}

/* KVM_GET_SUPPORTED_CPUID: -E2BIG (with nent set) if it does not fit. */
long minihv_get_supported_cpuid(struct kvm_cpuid2 __user *user)
{
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 cpuid;
	long r = 0;
	int n;

	if (copy_from_user(&cpuid, user, sizeof(cpuid)))
		return -EFAULT;
	e = kcalloc(32, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	n = build(e);
	if (cpuid.nent < n)
		r = -E2BIG;
	else if (copy_to_user(user->entries, e, n * sizeof(*e)))
		r = -EFAULT;
	if (!r || r == -E2BIG)
		if (put_user(n, &user->nent))
			r = -EFAULT;
	kfree(e);
	return r;
}

/* The hypervisor CPUID range, answered when userspace's table has none. */
#define HV_CPUID_BASE		0x40000000u
#define HV_CPUID_TIMING		0x40000010u	/* TSC, APIC bus kHz */
/* "MinihvMinihv" in EBX, ECX, EDX, as the CPU returns vendor strings. */
#define HV_SIG_EBX		0x696e694du	/* "Mini" */
#define HV_SIG_ECX		0x694d7668u	/* "hvMi" */
#define HV_SIG_EDX		0x7668696eu	/* "nihv" */

/* ---------------------------------------------------------------------
 * CPUID
 */

const struct kvm_cpuid_entry2 *minihv_find_cpuid(struct minihv_vcpu *vcpu,
						  u32 fn, u32 index)
{
	int i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->cpuid[i];

		if (e->function != fn)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	return NULL;
}

/*
 * CPUID: the KVM_SET_CPUID2 table, as KVM, with these differences:
 *   - a leaf (or a leaf and subleaf, for entries with
 *     KVM_CPUID_FLAG_SIGNIFCANT_INDEX) missing from the table reads as
 *     zeros; KVM answers out-of-range basic leaves on Intel with the
 *     highest basic leaf instead;
 *   - CPUID.1:ECX bit 31 (hypervisor present) is always set;
 *   - without a 0x40000000 entry in the table, leaf 0x40000000 returns
 *     EAX = 0x40000010 (the highest hypervisor leaf) and the signature
 *     "MinihvMinihv" in EBX, ECX, EDX, and leaf 0x40000010 the TSC and
 *     the APIC bus frequencies in kHz (EAX, EBX; the timing leaf of
 *     VMware and others).  With one, userspace's entries win (KVM's own
 *     "KVMKVMKVM" also comes from userspace's table).
 */
int minihv_exit_cpuid(struct minihv_vcpu *vcpu)
{
	u32 fn = vcpu->regs[VCPU_RAX], index = vcpu->regs[VCPU_RCX];
	const struct kvm_cpuid_entry2 *e = minihv_find_cpuid(vcpu, fn, index);
	u32 eax = 0, ebx = 0, ecx = 0, edx = 0;

	if (e) {
		eax = e->eax;
		ebx = e->ebx;
		ecx = e->ecx;
		edx = e->edx;
	} else if (fn == HV_CPUID_BASE) {
		eax = HV_CPUID_TIMING;
		ebx = HV_SIG_EBX;
		ecx = HV_SIG_ECX;
		edx = HV_SIG_EDX;
	} else if (fn == HV_CPUID_TIMING && !minihv_find_cpuid(vcpu, HV_CPUID_BASE,
							 0)) {
		eax = tsc_khz;
		ebx = MINIHV_APIC_BUS_KHZ;
	}
	if (fn == 1)
		ecx |= BIT(31);

	/* 32-bit results: the upper halves are cleared, as on the CPU. */
	vcpu->regs[VCPU_RAX] = eax;
	vcpu->regs[VCPU_RBX] = ebx;
	vcpu->regs[VCPU_RCX] = ecx;
	vcpu->regs[VCPU_RDX] = edx;
	return minihv_skip_instruction(vcpu);
}
