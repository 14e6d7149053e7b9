/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv: the guest-GPR moves both world switches share (assembly only).
 *
 * The guest's registers live in struct minihv_vcpu's regs[], indexed like
 * enum minihv_reg.  RAX and RSP are each backend's business (SVM keeps
 * them in the VMCB, VMX loads RAX last), the others are moved here, with
 * the array's address in RAX.
 */
#ifndef MINIHV_VMENTER_GPRS_S
#define MINIHV_VMENTER_GPRS_S

#define REG(n)	((n) * 8)

/* RCX..R15 (not RSP) from regs[], whose address is in %rax. */
.macro GUEST_GPRS_LOAD
	mov	REG(1)(%rax), %rcx
	mov	REG(2)(%rax), %rdx
	mov	REG(3)(%rax), %rbx
	mov	REG(5)(%rax), %rbp
	mov	REG(6)(%rax), %rsi
	mov	REG(7)(%rax), %rdi
	mov	REG(8)(%rax), %r8
	mov	REG(9)(%rax), %r9
	mov	REG(10)(%rax), %r10
	mov	REG(11)(%rax), %r11
	mov	REG(12)(%rax), %r12
	mov	REG(13)(%rax), %r13
	mov	REG(14)(%rax), %r14
	mov	REG(15)(%rax), %r15
.endm

/* RCX..R15 (not RSP) into regs[], whose address is in %rax. */
.macro GUEST_GPRS_SAVE
	mov	%rcx, REG(1)(%rax)
	mov	%rdx, REG(2)(%rax)
	mov	%rbx, REG(3)(%rax)
	mov	%rbp, REG(5)(%rax)
	mov	%rsi, REG(6)(%rax)
	mov	%rdi, REG(7)(%rax)
	mov	%r8, REG(8)(%rax)
	mov	%r9, REG(9)(%rax)
	mov	%r10, REG(10)(%rax)
	mov	%r11, REG(11)(%rax)
	mov	%r12, REG(12)(%rax)
	mov	%r13, REG(13)(%rax)
	mov	%r14, REG(14)(%rax)
	mov	%r15, REG(15)(%rax)
.endm

/*
 * Clear the caller-saved registers that held guest values, so that none
 * is left for speculation to use (the callee-saved ones are popped).
 */
.macro GUEST_GPRS_SCRUB
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
.endm

#endif /* MINIHV_VMENTER_GPRS_S */
