/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv: IA32_SPEC_CTRL around the world switches (assembly only).
 *
 * The guest's value is loaded right before entry and the host's
 * (x86_spec_ctrl_current, per CPU) put back right after the exit, before
 * any RET: a RET predicted with the guest's settings could be steered
 * by the guest.  Each is a WRMSR only where the two values differ, as in
 * KVM; with the host's legacy IBRS (X86_FEATURE_KERNEL_IBRS) the host's
 * value is always written after the exit, as IBRS must be set again
 * after running less privileged code.  Without the MSR
 * (X86_FEATURE_MSR_SPEC_CTRL) both are patched to a jump over.
 *
 * Both need this CPU's GS base (percpu): on SVM, before the guest's
 * VMLOAD and after the host's.  They clobber RAX, RCX and RDX.
 */
#ifndef MINIHV_VMENTER_SPEC_S
#define MINIHV_VMENTER_SPEC_S

#include <asm/alternative.h>
#include <asm/cpufeatures.h>
#include <asm/msr-index.h>
#include <asm/percpu.h>

/* @guest: a 32-bit operand holding the guest's SPEC_CTRL (bits 63:32 are 0). */
.macro SPEC_CTRL_LOAD_GUEST guest:req
	ALTERNATIVE "jmp .Lspec_guest_done_\@", "", X86_FEATURE_MSR_SPEC_CTRL
	movl	\guest, %eax
	cmpl	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	je	.Lspec_guest_done_\@
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	xor	%edx, %edx
	wrmsr
.Lspec_guest_done_\@:
.endm

.macro SPEC_CTRL_RESTORE_HOST guest:req
	ALTERNATIVE "jmp .Lspec_host_done_\@", "", X86_FEATURE_MSR_SPEC_CTRL
	movl	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	cmpl	\guest, %eax
	ALTERNATIVE "je .Lspec_host_fence_\@", "", X86_FEATURE_KERNEL_IBRS
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	xor	%edx, %edx
	wrmsr
.Lspec_host_fence_\@:
	/* No speculation past this point with the guest's settings. */
	lfence
.Lspec_host_done_\@:
.endm

#endif /* MINIHV_VMENTER_SPEC_S */
