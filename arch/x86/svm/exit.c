// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: SVM exit handlers, one per exit code (svm_exit_handlers[]), and
 * svm_handle_exit(), the ->handle_exit() that dispatches to them.
 *
 * Each returns 1 to re-enter the guest, 0 to go to userspace
 * (run->exit_reason set), < 0 on error.  The exit code is in
 * svm->exit_code, the rest in the VMCB; the instruction's length in
 * vcpu->exit_len (run.c), for the common handlers (kmod/exit.c,
 * kmod/msr.c, kmod/cpuid.c), to which the table points directly.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kernel.h>
#include <asm/svm.h>
#include <asm/trapnr.h>

#include "svm.h"
#include "kmod/decode.h"
#include "kmod/stats.h"
#include "kmod/trace.h"

#define NPF_WRITE	BIT(1)		/* EXITINFO1 of a nested page fault */

/* The interrupt window is open: take the virtual interrupt back. */
static int exit_vintr(struct minihv_vcpu *vcpu)
{
	svm_cancel_window(&to_svm(vcpu)->vmcb->control);
	return 1;
}

/*
 * The NMI handler's IRET, about to run: NMIs stay blocked until it has
 * (svm_inject_nmi()).
 */
static int exit_iret(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->nmi_iret = true;
	svm->nmi_iret_rip = vcpu->rip;
	svm_set_intercept(&svm->vmcb->control, INTERCEPT_IRET, false);
	return 1;
}

/*
 * #DB, intercepted only while the guest single-steps over an NMI handler's
 * IRET.  If the IRET retired, this is the trap after it: minihv's, and
 * svm_sync_events() has opened NMIs.  If not, the #DB is the guest's own
 * (a breakpoint on the IRET, say): it gets it.
 */
static int exit_db(struct minihv_vcpu *vcpu)
{
	if (to_svm(vcpu)->nmi_iret)
		svm_queue_exception(vcpu, X86_TRAP_DB, false, 0);
	return 1;
}

static int exit_ioio(struct minihv_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	u32 info = c->exit_info_1;
	u8 size = (info >> SVM_IOIO_SIZE_SHIFT) & 7;	/* 1, 2 or 4 */

	return minihv_handle_io(vcpu, info >> 16, size,
				info & SVM_IOIO_TYPE_MASK,
				info & SVM_IOIO_STR_MASK,
				info & SVM_IOIO_REP_MASK, c->exit_info_2);
}

static int exit_msr(struct minihv_vcpu *vcpu)
{
	if (to_svm(vcpu)->vmcb->control.exit_info_1)
		return minihv_exit_wrmsr(vcpu);
	return minihv_exit_rdmsr(vcpu);
}

static int exit_shutdown(struct minihv_vcpu *vcpu)
{
	/*
	 * The VMCB state is undefined after a shutdown: start afresh, as
	 * INIT does, and without the event whose delivery shut it down.
	 */
	svm_vcpu_reset(vcpu);
	return minihv_exit_shutdown(vcpu);
}

/*
 * CR0, CR3 and CR4 reads and writes (CR4 writes only, with NPT), CLTS,
 * LMSW and SMSW: decoded (no decode assists), done by kmod/x86.c.
 */
static int exit_cr(struct minihv_vcpu *vcpu)
{
	struct minihv_insn in;
	int r;

	r = svm_decode_insn(vcpu, &in);
	if (r > 0)
		return 1;
	if (!r)
		r = minihv_emulate_cr(vcpu, &in);
	if (r < 0) {
		u64 data[2] = { vcpu->rip, r == -EOPNOTSUPP ? in.op : r };

		return minihv_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					    2, data);
	}
	if (!r)
		vcpu->rip = minihv_insn_next_rip(&in, vcpu->rip);
	return 1;
}

/* MOV from/to DRn, decoded (no decode assists): kmod/x86.c's rules. */
static int exit_dr(struct minihv_vcpu *vcpu)
{
	struct minihv_insn in;
	u64 val = 0;
	int r;

	r = svm_decode_insn(vcpu, &in);
	if (r > 0)
		return 1;
	if (r || (in.op != MINIHV_OP_MOV_FROM_DR &&
		  in.op != MINIHV_OP_MOV_TO_DR)) {
		u64 data[2] = { vcpu->rip, r ? r : in.op };

		return minihv_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					    2, data);
	}
	if (in.op == MINIHV_OP_MOV_TO_DR)
		val = minihv_reg_get(vcpu->regs, in.rm, in.opsize, false);
	if (minihv_emulate_dr(vcpu, in.ctl, in.op == MINIHV_OP_MOV_TO_DR,
			      &val))
		return 1;
	if (in.op == MINIHV_OP_MOV_FROM_DR)
		vcpu->regs[in.rm] = minihv_reg_put(vcpu->regs[in.rm], val,
						   in.opsize, false);
	vcpu->rip = minihv_insn_next_rip(&in, vcpu->rip);
	return 1;
}

static int exit_npf(struct minihv_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	return minihv_tdp_fault(vcpu, &to_svm_vm(vcpu->vm)->npt, c->exit_info_2,
				c->exit_info_1 & NPF_WRITE, c->exit_info_1);
}

static int exit_invalid(struct minihv_vcpu *vcpu)
{
	/* VMRUN refused the guest state (VMEXIT_INVALID). */
	return minihv_exit_fail_entry(vcpu, SVM_EXIT_ERR);
}

static int (*const svm_exit_handlers[])(struct minihv_vcpu *vcpu) = {
	[SVM_EXIT_WRITE_CR4]	= exit_cr,
	/* Shadow paging only (npt=0): see shadow.c. */
	[SVM_EXIT_READ_CR0]	= exit_cr,
	[SVM_EXIT_READ_CR3]	= exit_cr,
	[SVM_EXIT_READ_CR4]	= exit_cr,
	[SVM_EXIT_WRITE_CR0]	= exit_cr,
	[SVM_EXIT_WRITE_CR3]	= exit_cr,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_PF] = svm_shadow_exit_pf,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_DB] = exit_db,
	[SVM_EXIT_INVLPG]	= svm_shadow_exit_invlpg,

	[SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR7] = exit_dr,
	[SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR7] = exit_dr,
	/* Handled before IRQs came back on (svm_vcpu_run()). */
	[SVM_EXIT_EXCP_BASE + X86_TRAP_MC] = minihv_exit_nop,
	[SVM_EXIT_RDPMC]	= minihv_exit_rdpmc,
	[SVM_EXIT_WBINVD]	= minihv_exit_wbinvd,

	[SVM_EXIT_WRITE_CR8]	= minihv_emulate_cr8_write,

	[SVM_EXIT_INTR]		= minihv_exit_nop,
	[SVM_EXIT_NMI]		= minihv_exit_nop,
	[SVM_EXIT_SMI]		= minihv_exit_nop,
	[SVM_EXIT_VINTR]	= exit_vintr,
	[SVM_EXIT_IRET]		= exit_iret,
	[SVM_EXIT_CPUID]	= minihv_exit_cpuid,
	[SVM_EXIT_INVD]		= minihv_exit_ud,
	[SVM_EXIT_HLT]		= minihv_exit_hlt,
	[SVM_EXIT_INVLPGA]	= minihv_exit_ud,
	[SVM_EXIT_IOIO]		= exit_ioio,
	[SVM_EXIT_MSR]		= exit_msr,
	[SVM_EXIT_SHUTDOWN]	= exit_shutdown,
	[SVM_EXIT_VMRUN]	= minihv_exit_ud,
	[SVM_EXIT_VMMCALL]	= minihv_exit_hypercall,
	[SVM_EXIT_VMLOAD]	= minihv_exit_ud,
	[SVM_EXIT_VMSAVE]	= minihv_exit_ud,
	[SVM_EXIT_STGI]		= minihv_exit_ud,
	[SVM_EXIT_CLGI]		= minihv_exit_ud,
	[SVM_EXIT_SKINIT]	= minihv_exit_ud,
	[SVM_EXIT_MONITOR]	= minihv_exit_ud,
	[SVM_EXIT_MWAIT]	= minihv_exit_ud,
	[SVM_EXIT_XSETBV]	= minihv_exit_ud,
	[SVM_EXIT_RDPRU]	= minihv_exit_ud,
};

/* Exit statistics index: the small codes as they are, then a few more. */
#define STAT_NPF	0xf0
#define STAT_INVALID	0xf1
#define STAT_OTHER	0xff

static unsigned int exit_stat(u64 code)
{
	if (code < ARRAY_SIZE(svm_exit_handlers))
		return code;
	if (code == SVM_EXIT_NPF)
		return STAT_NPF;
	if (code == (u32)SVM_EXIT_ERR)
		return STAT_INVALID;
	return STAT_OTHER;
}

static const struct {
	u32 code;
	const char *name;
} svm_exit_names[] = { SVM_EXIT_REASONS };

/*
 * The kernel's names of the exception intercepts have a space ("PF excp"):
 * ours have none, since names are single words in the minihv_exit event's
 * "reason=", in debugfs and in `minihv-run top`.
 */
static const char *const svm_excp_names[32] = {
	[X86_TRAP_DE] = "DE_excp", [X86_TRAP_DB] = "DB_excp",
	[X86_TRAP_BP] = "BP_excp", [X86_TRAP_OF] = "OF_excp",
	[X86_TRAP_BR] = "BR_excp", [X86_TRAP_UD] = "UD_excp",
	[X86_TRAP_NM] = "NM_excp", [X86_TRAP_DF] = "DF_excp",
	[X86_TRAP_TS] = "TS_excp", [X86_TRAP_NP] = "NP_excp",
	[X86_TRAP_SS] = "SS_excp", [X86_TRAP_GP] = "GP_excp",
	[X86_TRAP_PF] = "PF_excp", [X86_TRAP_MF] = "MF_excp",
	[X86_TRAP_AC] = "AC_excp", [X86_TRAP_MC] = "MC_excp",
	[X86_TRAP_XF] = "XF_excp",
};

const char *svm_exit_name(unsigned int stat)
{
	u32 code = stat;
	int i;

	if (stat >= SVM_EXIT_EXCP_BASE && stat < SVM_EXIT_EXCP_BASE + 32)
		return svm_excp_names[stat - SVM_EXIT_EXCP_BASE];
	if (stat == STAT_NPF)
		code = SVM_EXIT_NPF;
	else if (stat == STAT_INVALID)
		code = SVM_EXIT_ERR;
	else if (stat == STAT_OTHER)
		return "other";
	for (i = 0; i < ARRAY_SIZE(svm_exit_names); i++)
		if (svm_exit_names[i].code == code)
			return svm_exit_names[i].name;
	return NULL;
}

/*
 * Off the hot path (noinline): their on-stack structures would cost
 * svm_handle_exit() a stack frame and a stack-protector check per exit.
 */
static noinline void svm_trace_exit(struct minihv_vcpu *vcpu, u64 code)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	struct minihv_exit_info e = {
		.reason = code, .rip = vcpu->rip,
		.qual = c->exit_info_1, .info2 = c->exit_info_2,
		.len = c->next_rip ? vcpu->exit_len : 0,
	};

	minihv_trace_exit_info(vcpu, &e);
}

static noinline int svm_unexpected_exit(struct minihv_vcpu *vcpu, u64 code)
{
	u64 data[2] = { code, vcpu->rip };

	return minihv_exit_internal(vcpu,
				    KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				    2, data);
}

/* The exit svm_vcpu_run() read: its handler from the table. */
int svm_handle_exit(struct minihv_vcpu *vcpu)
{
	int (*handler)(struct minihv_vcpu *vcpu) = NULL;
	u64 code = to_svm(vcpu)->exit_code;

	minihv_stats_exit(vcpu, exit_stat(code));
	if (minihv_trace_exit_on())
		svm_trace_exit(vcpu, code);
	if (code < ARRAY_SIZE(svm_exit_handlers))
		handler = svm_exit_handlers[code];
	else if (code == SVM_EXIT_NPF)
		handler = exit_npf;
	else if (code == (u32)SVM_EXIT_ERR)
		handler = exit_invalid;
	if (handler)
		return handler(vcpu);
	return svm_unexpected_exit(vcpu, code);
}
