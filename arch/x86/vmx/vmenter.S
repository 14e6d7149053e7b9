/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv: the VMX world switch.
 *
 * int __vmx_vcpu_run(u64 *regs, bool launched, u64 spec_ctrl)
 *
 * Called with IRQs off, the vCPU's VMCS current on this CPU and every
 * host and guest field written except HOST_RSP, which is this function's
 * stack pointer and so written here.  VM entry loads RSP, RIP, RFLAGS,
 * control registers, segments, EFER, PAT from the VMCS; the other guest
 * GPRs (@regs, indexed like enum minihv_reg; RSP is not used) are loaded
 * before and saved after.  A VM exit resumes at vmx_vmexit (HOST_RIP)
 * with this function's stack.
 *
 * VMLAUNCH if @launched is false (first entry since the VMCLEAR), else
 * VMRESUME.  Returns 0 after a VM exit (VM_EXIT_REASON says which, maybe
 * a failed entry), VMX_RUN_FAIL_VALID / VMX_RUN_FAIL_INVALID if the
 * instruction failed, VMX_RUN_FAULT if it faulted (VMX off).
 *
 * Speculation (kmod/spec.c): the guest's IA32_SPEC_CTRL (@spec_ctrl) is
 * loaded before the entry; VERW clears the CPU buffers right before it
 * where the host does so for MDS/TAA.  After the exit, before any RET:
 * RSB filled (a guest may have poisoned it), the host's SPEC_CTRL back,
 * branch history cleared where the host wants it (BHI), and guest values
 * scrubbed from the registers.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>

#include "vmenter_gprs.S"
#include "vmenter_spec.S"
#include "vmx.h"

.section .text, "ax"

SYM_FUNC_START(__vmx_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx

	push	%rdx		/* spec_ctrl */
	push	%rdi		/* regs */

	/* The exit comes back with this stack. */
	mov	$VMX_HOST_RSP_FIELD, %eax
	vmwrite	%rsp, %rax

	/* No RET and no indirect branch from here to the entry. */
	SPEC_CTRL_LOAD_GUEST 8(%rsp)

	/* CF clear: VMLAUNCH.  Only VERW (ZF) changes the flags below. */
	bt	$0, %esi

	mov	(%rsp), %rax
	GUEST_GPRS_LOAD
	mov	REG(0)(%rax), %rax

	CLEAR_CPU_BUFFERS

	jnc	.Llaunch

	/* A successful entry comes back at vmx_vmexit, not below. */
	UNWIND_HINT_SAVE
.Lresume:
	vmresume
	jmp	.Lfail
.Llaunch:
	vmlaunch
	jmp	.Lfail

	_ASM_EXTABLE(.Lresume, .Lfault)
	_ASM_EXTABLE(.Llaunch, .Lfault)

SYM_INNER_LABEL(vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR

	push	%rax		/* guest RAX */
	mov	8(%rsp), %rax	/* regs */
	pop	REG(0)(%rax)
	GUEST_GPRS_SAVE
	xor	%ebx, %ebx
	jmp	.Lout

.Lfail:
	/* CF: VMfailInvalid, ZF: VMfailValid. */
	mov	$VMX_RUN_FAIL_VALID, %ebx
	jnc	.Lout
	mov	$VMX_RUN_FAIL_INVALID, %ebx
	jmp	.Lout

.Lfault:
	mov	$VMX_RUN_FAULT, %ebx

.Lout:
	add	$8, %rsp	/* regs */

	/* No guest-trained return prediction survives into the host. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	SPEC_CTRL_RESTORE_HOST (%rsp)
	add	$8, %rsp	/* spec_ctrl */

	CLEAR_BRANCH_HISTORY_VMEXIT

	/* Do not leave guest values around for speculation to use. */
	GUEST_GPRS_SCRUB

	mov	%ebx, %eax
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__vmx_vcpu_run)
