// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: exit handling shared by the VMX and SVM backends: the exits
 * that end in userspace (shutdown, failed entry, internal error), and
 * the handlers both backends' tables point at directly (minihv_exit_*():
 * no-op, #UD, WBINVD, the hypercall, HLT).  CPUID exits are in cpuid.c,
 * MSRs in msr.c, the instruction emulator (PIO, MMIO) in emulate.c.
 *
 * Handlers work on the register cache (vcpu->regs[], ->rip, ->rflags)
 * and return 1 to resume the guest, 0 to return to userspace with
 * run->exit_reason set, or a negative errno; called with vcpu->mutex and
 * vm->slots_lock (read) held, preemption enabled.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "minihv.h"

/* ---------------------------------------------------------------------
 * Simple exits
 */

/**
 * minihv_exit_internal() - KVM_EXIT_INTERNAL_ERROR
 * @vcpu:	the vCPU
 * @suberror:	KVM_INTERNAL_ERROR_*
 * @ndata:	entries in @data; more than 16 are cut
 * @data:	extra information for userspace
 *
 * Return: 0 (exit to userspace).
 */
int minihv_exit_internal(struct minihv_vcpu *vcpu, u32 suberror,
			 unsigned int ndata, const u64 *data)
{
	struct kvm_run *run = vcpu->run;

	ndata = min_t(unsigned int, ndata, ARRAY_SIZE(run->internal.data));
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = ndata;
	if (ndata)
		memcpy(run->internal.data, data, ndata * sizeof(u64));
	return 0;
}

int minihv_exit_shutdown(struct minihv_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

/**
 * minihv_exit_triple_fault() - a triple fault found in software
 * @vcpu:	the vCPU, with @vcpu->triple_fault set
 *
 * The backends' exception merging (->inject_page_fault) finds a fault
 * during a #DF's delivery on every paging mode: the shadow MMU's walks and
 * the emulator's with nested paging alike.  The run loop calls this
 * before the next entry: the vCPU gets the state the hardware's shutdown
 * exit gives it (INIT's, with no event pending) and userspace
 * KVM_EXIT_SHUTDOWN.
 *
 * Return: 0 (exit to userspace).
 */
int minihv_exit_triple_fault(struct minihv_vcpu *vcpu)
{
	vcpu->triple_fault = false;
	vcpu->emul_pf = false;
	minihv_ops->vcpu_reset(vcpu);
	return minihv_exit_shutdown(vcpu);
}

/* Called with preemption enabled: the CPU is only indicative. */
int minihv_exit_fail_entry(struct minihv_vcpu *vcpu, u64 reason)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = reason;
	run->fail_entry.cpu = raw_smp_processor_id();
	return 0;
}

/* ---------------------------------------------------------------------
 * Exit handlers the backends' tables point at directly
 */

/* An interrupt, NMI or SMI: the host takes it once IRQs are back on. */
int minihv_exit_nop(struct minihv_vcpu *vcpu)
{
	return 1;
}

/* VMX/SVM instructions, MONITOR/MWAIT, XSETBV, INVD...: not for this guest. */
int minihv_exit_ud(struct minihv_vcpu *vcpu)
{
	minihv_queue_ud(vcpu);
	return 1;
}

/* WBINVD: no device DMA to keep coherent, so a NOP, as KVM. */
int minihv_exit_wbinvd(struct minihv_vcpu *vcpu)
{
	return minihv_skip_instruction(vcpu);
}

/*
 * VMCALL/VMMCALL: minihv's hypercalls (uapi/minihv.h).  MINIHV_HC_NOP
 * returns 0 in RAX and is handled without leaving the kernel (benchmarks
 * use it); any other number is #UD, like a CPU without the hypercall.
 */
int minihv_exit_hypercall(struct minihv_vcpu *vcpu)
{
	if (vcpu->regs[VCPU_RAX] != MINIHV_HC_NOP)
		return minihv_exit_ud(vcpu);
	vcpu->regs[VCPU_RAX] = 0;
	return minihv_skip_instruction(vcpu);
}

/*
 * RDPMC: there is no virtual PMU.  The counters the vendor's guests
 * always have (->legacy_pmcs: AMD's four) read 0; any other index, or
 * CPL > 0 without CR4.PCE, #GP (on Intel every RDPMC, as KVM without a
 * PMU).
 */
int minihv_exit_rdpmc(struct minihv_vcpu *vcpu)
{
	u32 index = vcpu->regs[VCPU_RCX];

	if (index >= minihv_ops->legacy_pmcs ||
	    (minihv_ops->get_cpl(vcpu) &&
	     !(minihv_get_cr(vcpu, 4) & X86_CR4_PCE))) {
		minihv_queue_gp(vcpu, 0);
		return 1;
	}
	vcpu->regs[VCPU_RAX] = 0;
	vcpu->regs[VCPU_RDX] = 0;
	return minihv_skip_instruction(vcpu);
}

int minihv_exit_hlt(struct minihv_vcpu *vcpu)
{
	return minihv_handle_hlt(vcpu, minihv_next_rip(vcpu));
}

/*
 * Without an in-kernel APIC, HLT goes to userspace, past the HLT.  With
 * one, the vCPU halts in the kernel until an interrupt can wake it
 * (kmod/events.c).
 */
int minihv_handle_hlt(struct minihv_vcpu *vcpu, u64 next_rip)
{
	vcpu->rip = next_rip;
	if (vcpu->apic) {
		if (!minihv_vcpu_has_events(vcpu))
			vcpu->mp_state = KVM_MP_STATE_HALTED;
		return 1;
	}
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}
