// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: speculative-execution mitigations, following what the host
 * kernel decided at boot (arch/x86/kernel/cpu/bugs.c) as KVM does.
 *
 * Decided once, at module load; the world switches only test a static
 * key or run a patched alternative:
 *   - L1TF: the L1 data cache is flushed before every VM entry (VMX with
 *     EPT only: shadow page tables are minihv's, a guest cannot point
 *     one at host data) when the CPU has the bug, does not say it may be
 *     skipped (ARCH_CAP_SKIP_VMENTRY_L1DFLUSH) and the host mitigates
 *     L1TF (l1tf_mitigation not "off").  IA32_FLUSH_CMD where the CPU
 *     has it, else by reading a 64 KiB buffer.  As KVM's default, "cond"
 *     (host l1tf=flush*): only when host code may have brought other
 *     data into the L1D since the last entry: a KVM_RUN from userspace,
 *     an exit the backend does not list as clean (vmx_exit_keeps_l1d():
 *     CPUID, VMCALL, MSRs, HLT, PAUSE, windows, interrupts...), another
 *     CPU, a context switch of the vCPU's task, or an interrupt or
 *     softirq on this CPU (the kernel's per-CPU flag KVM reads too).
 *     Host l1tf=full or full,force: before every entry.
 *   - MDS/TAA/MMIO stale data: VERW before entry where the kernel clears
 *     CPU buffers on return to user (vmenter.S: CLEAR_CPU_BUFFERS on VMX,
 *     VM_CLEAR_CPU_BUFFERS on SVM, as KVM).  The MMIO-only case
 *     (mmio_stale_data_clear) is KVM's for VMs with assigned devices:
 *     minihv has none.
 *   - IA32_SPEC_CTRL: the guest's value (vcpu->spec_ctrl; every access
 *     exits) is loaded before entry and the host's (x86_spec_ctrl_current)
 *     back after the exit before any RET, where they differ (and always
 *     with the host's legacy IBRS); see kmod/vmenter_spec.S.
 *   - IBPB when a CPU switches to another vCPU (and so to another VM),
 *     where the host uses IBPB (X86_FEATURE_USE_IBPB).
 *   - After a VM exit the host's own VMSCAPE mitigation (an IBPB before
 *     the next return to userspace) is armed, as KVM does.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/jump_label.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <asm/cpufeature.h>
#include <asm/hardirq.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>

#include "minihv.h"

DEFINE_STATIC_KEY_FALSE(minihv_l1d_flush_key);
static DEFINE_STATIC_KEY_FALSE(l1d_flush_cond);

/* The software L1D flush: more than any L1D there is (KVM's size). */
#define L1D_BUF_ORDER	4
#define L1D_BUF_SIZE	(PAGE_SIZE << L1D_BUF_ORDER)
static struct page *l1d_buf;

/* Whether VM entries flush the L1D, and why not if they do not. */
static const char *l1d_flush_why_not(bool ept)
{
	u64 caps;

	if (!boot_cpu_has_bug(X86_BUG_L1TF))
		return "CPU not affected";
	if (!ept)
		return "shadow paging";
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES) &&
	    !rdmsrl_safe(MSR_IA32_ARCH_CAPABILITIES, &caps) &&
	    (caps & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH))
		return "CPU says not needed";
	if (l1tf_mitigation == L1TF_MITIGATION_OFF)
		return "host mitigation off";
	return NULL;
}

/*
 * The VMX backend, at load: flush the L1D before VM entries if the host
 * wants L1TF mitigated.  -ENOMEM if the software flush's buffer cannot be
 * had.
 */
int minihv_l1d_flush_setup(bool ept)
{
	const char *why = l1d_flush_why_not(ept);

	if (why) {
		pr_info("L1TF: no L1D flush on VM entry (%s)\n", why);
		return 0;
	}
	if (!boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		l1d_buf = alloc_pages(GFP_KERNEL, L1D_BUF_ORDER);
		if (!l1d_buf)
			return -ENOMEM;
		/* Not zeros: no page of it may be shared or deduplicated. */
		memset(page_address(l1d_buf), 0x5a, L1D_BUF_SIZE);
	}
	if (l1tf_mitigation != L1TF_MITIGATION_FULL &&
	    l1tf_mitigation != L1TF_MITIGATION_FULL_FORCE)
		static_branch_enable(&l1d_flush_cond);
	static_branch_enable(&minihv_l1d_flush_key);
	pr_info("L1TF: L1D flush on VM entry (%s, %s)\n",
		l1d_buf ? "software" : "IA32_FLUSH_CMD",
		static_key_enabled(&l1d_flush_cond) ? "conditional" : "always");
	return 0;
}

void minihv_l1d_flush_unsetup(void)
{
	static_branch_disable(&minihv_l1d_flush_key);
	static_branch_disable(&l1d_flush_cond);
	if (l1d_buf)
		__free_pages(l1d_buf, L1D_BUF_ORDER);
	l1d_buf = NULL;
}

/* "cond": whether host code may have filled the L1D since the last entry. */
static bool l1d_flush_needed(struct minihv_vcpu *vcpu)
{
	unsigned long switches = current->nvcsw + current->nivcsw;
	int cpu = smp_processor_id();
	bool flush = vcpu->l1d.req || kvm_get_cpu_l1tf_flush_l1d() ||
		     vcpu->l1d.cpu != cpu || vcpu->l1d.switches != switches;

	vcpu->l1d.req = false;
	vcpu->l1d.cpu = cpu;
	vcpu->l1d.switches = switches;
	kvm_clear_cpu_l1tf_flush_l1d();
	return flush;
}

/*
 * Right before VM entry, IRQs off.  Without IA32_FLUSH_CMD: reading
 * 64 KiB evicts whatever the L1D held, one load per page first so that
 * no page walk sits between the loads of the second pass.
 */
void __minihv_l1d_flush(struct minihv_vcpu *vcpu)
{
	const u8 *buf;
	unsigned int i, eax = 0, ebx, ecx = 0, edx;

	if (static_branch_likely(&l1d_flush_cond) && !l1d_flush_needed(vcpu))
		return;

	if (static_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return;
	}
	buf = page_address(l1d_buf);
	for (i = 0; i < L1D_BUF_SIZE; i += PAGE_SIZE)
		(void)READ_ONCE(buf[i]);
	native_cpuid(&eax, &ebx, &ecx, &edx);	/* serializing */
	for (i = 0; i < L1D_BUF_SIZE; i += L1_CACHE_BYTES)
		(void)READ_ONCE(buf[i]);
	rmb();	/* LFENCE: no later load before the loads above */
}

/* MINIHV_GET_INFO: the mitigations VM entries and exits apply. */
void minihv_spec_fill_info(struct minihv_info *info)
{
	if (static_key_enabled(&minihv_l1d_flush_key))
		info->flags |= MINIHV_INFO_L1D_FLUSH;
	if (boot_cpu_has(X86_FEATURE_CLEAR_CPU_BUF) ||
	    boot_cpu_has(X86_FEATURE_CLEAR_CPU_BUF_VM))
		info->flags |= MINIHV_INFO_CLEAR_CPU_BUF;
	if (boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL))
		info->flags |= MINIHV_INFO_SPEC_CTRL;
	if (boot_cpu_has(X86_FEATURE_USE_IBPB))
		info->flags |= MINIHV_INFO_IBPB;
}

/* ---------------------------------------------------------------------
 * The guest's SPEC_CTRL and PRED_CMD, as KVM: shown by CPUID (Intel's
 * SPEC_CTRL bit, or AMD's IBRS/STIBP/SSBD, IBPB for PRED_CMD).
 */

static u32 guest_cpuid_reg(struct minihv_vcpu *vcpu, u32 fn, bool edx)
{
	int i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->cpuid[i];

		if (e->function == fn && e->index == 0)
			return edx ? e->edx : e->ebx;
	}
	return 0;
}

#define F(x)	BIT(X86_FEATURE_##x & 31)

static bool guest_has_spec_ctrl(struct minihv_vcpu *vcpu)
{
	return (guest_cpuid_reg(vcpu, 7, true) & F(SPEC_CTRL)) ||
	       (guest_cpuid_reg(vcpu, 0x80000008, false) &
		(F(AMD_IBRS) | F(AMD_STIBP) | F(AMD_SSBD)));
}

static bool guest_has_pred_cmd(struct minihv_vcpu *vcpu)
{
	return (guest_cpuid_reg(vcpu, 7, true) & F(SPEC_CTRL)) ||
	       (guest_cpuid_reg(vcpu, 0x80000008, false) & F(AMD_IBPB));
}

/*
 * A SPEC_CTRL value is good if this CPU takes it: tried on the MSR, the
 * host's value put back (KVM does the same).  No MSR: nothing is good.
 */
static bool spec_ctrl_valid(u64 data)
{
	unsigned long flags;
	u64 host;
	bool ok;

	local_irq_save(flags);
	ok = !rdmsrl_safe(MSR_IA32_SPEC_CTRL, &host) &&
	     !wrmsrl_safe(MSR_IA32_SPEC_CTRL, data);
	if (ok)
		wrmsrl(MSR_IA32_SPEC_CTRL, host);
	local_irq_restore(flags);
	return ok;
}

/* 0: read; -1: #GP; MINIHV_MSR_UNHANDLED: not SPEC_CTRL or PRED_CMD. */
int minihv_spec_get_msr(struct minihv_vcpu *vcpu, u32 index, u64 *data)
{
	if (index == MSR_IA32_PRED_CMD)
		return -1;			/* write-only */
	if (index != MSR_IA32_SPEC_CTRL)
		return MINIHV_MSR_UNHANDLED;
	if (!guest_has_spec_ctrl(vcpu))
		return -1;
	*data = vcpu->spec_ctrl;
	return 0;
}

/*
 * 0: written; -1: #GP (KVM_SET_MSRS: refused); MINIHV_MSR_UNHANDLED: not
 * one of these.
 */
int minihv_spec_set_msr(struct minihv_vcpu *vcpu, u32 index, u64 data,
			bool host)
{
	switch (index) {
	case MSR_IA32_SPEC_CTRL:
		if (!host && !guest_has_spec_ctrl(vcpu))
			return -1;
		if (!spec_ctrl_valid(data))
			return -1;
		/* Loaded at the next entry (vmenter_spec.S). */
		vcpu->spec_ctrl = data;
		return 0;
	case MSR_IA32_PRED_CMD:
		if (!host && !guest_has_pred_cmd(vcpu))
			return -1;
		if ((data & ~PRED_CMD_IBPB) || !boot_cpu_has(X86_FEATURE_IBPB))
			return -1;
		if (data)
			wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
		return 0;
	default:
		return MINIHV_MSR_UNHANDLED;
	}
}
