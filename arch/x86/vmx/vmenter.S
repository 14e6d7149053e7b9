/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv: the VMX world switch.
 *
 * int __vmx_vcpu_run(u64 *regs, bool launched)
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
 * After the exit: RSB filled before any RET (a guest may have poisoned
 * it), guest values scrubbed from the registers.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>

#include "vmenter_gprs.S"
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

	push	%rdi		/* regs */

	/* The exit comes back with this stack. */
	mov	$VMX_HOST_RSP_FIELD, %eax
	vmwrite	%rsp, %rax

	/* ZF set: VMLAUNCH.  No instruction below changes the flags. */
	test	%sil, %sil

	mov	%rdi, %rax
	GUEST_GPRS_LOAD
	mov	REG(0)(%rax), %rax

	jz	.Llaunch

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
