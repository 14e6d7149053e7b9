// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: VMX exit handlers, one per exit reason (vmx_exits[]), and
 * vmx_handle_exit(), the ->handle_exit() that dispatches to them.
 *
 * Each returns 1 to re-enter the guest, 0 to go to userspace
 * (run->exit_reason set), < 0 on error.  The exit information is in
 * vmx->exit (run.c: vmx_read_exit()); the instruction's length also in
 * vcpu->exit_len, for the common handlers (kmod/exit.c, kmod/msr.c,
 * kmod/cpuid.c), to which the table points directly.  Handlers run
 * preemptible: whatever reads or writes the VMCS goes through
 * vmx_get()/vmx_put().
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kernel.h>
#include <asm/trapnr.h>

#include "vmx.h"
#include "kmod/stats.h"
#include "kmod/trace.h"

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
	[EXIT_REASON_RDPMC]		 = { minihv_exit_rdpmc, "rdpmc" },
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
