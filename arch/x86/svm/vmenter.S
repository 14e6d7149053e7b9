/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv: the SVM world switch.
 *
 * void __svm_vcpu_run(u64 vmcb_pa, u64 *regs, u64 host_save_pa,
 *		       u64 spec_ctrl)
 *
 * Called with IRQs off and GIF clear (CLGI), the host state VMRUN does not
 * switch already saved with VMSAVE into @host_save_pa.  VMRUN itself loads
 * RAX, RSP, RIP, RFLAGS, CR0/3/4, EFER, segments, from the VMCB, and the
 * #VMEXIT brings the host's back from VM_HSAVE_PA; everything else is
 * done here:
 *   - the other guest GPRs (@regs, indexed like enum minihv_reg: RCX..R15;
 *     RAX and RSP live in the VMCB) are loaded before and saved after;
 *   - VMLOAD/VMSAVE of the guest's FS/GS/TR/LDTR/KERNEL_GS_BASE/STAR
 *     family/SYSENTER from/to the VMCB, then VMLOAD of the host's, which
 *     restores GS.base and so percpu access;
 *   - STI just before VMRUN and CLI right after: with GIF clear no host
 *     interrupt is taken in between, and an interrupt arriving while the
 *     guest runs makes an INTR #VMEXIT (V_INTR_MASKING is set);
 *   - speculation barriers for a guest that may be hostile
 *     (kmod/spec.c): the guest's IA32_SPEC_CTRL (@spec_ctrl) loaded before
 *     the guest's VMLOAD and VERW right before VMRUN where the host wants
 *     them; after the exit, the host's SPEC_CTRL back, RET untrain, IBPB
 *     when the kernel asks for it on VM exits, RSB fill, all before any
 *     RET, and the guest's values scrubbed from the registers.
 *
 * Each SVM instruction has an exception-table fixup that goes on after
 * it: if SVM was turned off under this CPU (reboot, crash: EFER.SVME
 * cleared), VMLOAD/VMRUN/VMSAVE raise #UD, and then nothing ran.  The
 * caller sees it (VMRUN left the VMCB's exit code as it set it) and says
 * whether SVM was really off (svm_vcpu_run()).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#include "vmenter_gprs.S"
#include "vmenter_spec.S"


.section .text, "ax"

SYM_FUNC_START(__svm_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx

	push	%rcx		/* spec_ctrl */
	push	%rdx		/* host_save_pa */
	push	%rsi		/* regs */
	push	%rdi		/* vmcb_pa */

	/* Still the host's GS base; no RET from here to VMRUN. */
	SPEC_CTRL_LOAD_GUEST 24(%rsp)

	mov	%rdi, %rax
1:	vmload	%rax
2:

	mov	%rsi, %rax
	GUEST_GPRS_LOAD

	/*
	 * STI one instruction before VMRUN, not right before it: VMRUN must
	 * not sit in STI's shadow.  Hardware does not care (GIF is clear),
	 * but QEMU's TCG carries that shadow into the guest, which then
	 * runs one instruction before it can take its V_IRQ.
	 */
	sti
	pop	%rax		/* vmcb_pa */
	VM_CLEAR_CPU_BUFFERS
3:	vmrun	%rax
4:	cli

	/* The VMCB's PA is back in RAX: VMRUN saved it in VM_HSAVE_PA. */
5:	vmsave	%rax
6:

	pop	%rax		/* regs */
	GUEST_GPRS_SAVE

	/* Host FS/GS/TR... back: percpu data is reachable again. */
	pop	%rax		/* host_save_pa */
7:	vmload	%rax
8:

	SPEC_CTRL_RESTORE_HOST (%rsp)
	add	$8, %rsp	/* spec_ctrl */

	/* No guest-trained return prediction survives into the host. */
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE

	/* Do not leave guest values around for speculation to use. */
	GUEST_GPRS_SCRUB

	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

	_ASM_EXTABLE(1b, 2b)
	_ASM_EXTABLE(3b, 4b)
	_ASM_EXTABLE(5b, 6b)
	_ASM_EXTABLE(7b, 8b)
SYM_FUNC_END(__svm_vcpu_run)
