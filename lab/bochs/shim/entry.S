/*
 * minihv lab: 32-bit PVH shim, entry code. Loaded (flat binary) at 0x100000.
 *
 * boot.S enters here in flat 32-bit protected mode, paging off, interrupts
 * off, %eax = 0x4e494d31, %ebx = E820 buffer, %ecx = number of entries.
 */
	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl	%eax, %esi
	movl	%ebx, %edx
	movl	%ecx, %ebp
	lgdt	gdt_desc
	ljmp	$0x08, $1f
1:	movl	$0x10, %ecx
	movl	%ecx, %ds
	movl	%ecx, %es
	movl	%ecx, %ss
	movl	%ecx, %fs
	movl	%ecx, %gs
	/* clear .bss (the stack is in it) */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb
	movl	$stack_top, %esp
	pushl	%ebp			/* E820 entries */
	pushl	%edx			/* E820 buffer */
	pushl	%esi			/* magic */
	call	shim_main
	jmp	shim_die

/* void enter_pvh(uint32_t entry, uint32_t start_info) __attribute__((noreturn)) */
	.globl enter_pvh
enter_pvh:
	movl	4(%esp), %eax
	movl	8(%esp), %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	jmp	*%eax

/* void shim_die(void): triple fault, so that Bochs stops at once */
	.globl shim_die
shim_die:
	cli
	lidt	null_idt
	int3
2:	hlt
	jmp	2b

	.section .rodata
	.balign 8
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: flat 4 GiB code, 32-bit */
	.quad	0x00cf92000000ffff	/* 0x10: flat 4 GiB data */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt
	.balign 4
null_idt:
	.word	0
	.long	0

	.bss
	.balign 16
	.space	16384
stack_top:
