/*
 * minihv lab: boot sector (floppy, BIOS loads it at 0x7c00).
 *
 * The 32-bit shim and its parameters are already in RAM (Bochs
 * "optramimage"). This sector only asks the BIOS for the E820 memory map,
 * enables A20, enters flat 32-bit protected mode and jumps to the shim at
 * SHIM_ADDR with %eax = BOOT_MAGIC, %ebx = E820 buffer, %ecx = entries.
 */
	.set SHIM_ADDR,  0x100000
	.set E820_BUF,   0x8000
	.set E820_MAX,   128
	.set BOOT_MAGIC, 0x4e494d31		/* "1MIN" */

	.code16
	.text
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	ljmp	$0, $1f
1:	sti
	xorl	%ebx, %ebx
	movw	$E820_BUF, %di
	xorw	%bp, %bp
2:	movl	$0xe820, %eax
	movl	$24, %ecx
	movl	$0x534d4150, %edx
	movl	$1, %es:20(%di)
	int	$0x15
	jc	4f
	cmpl	$0x534d4150, %eax
	jne	4f
	jcxz	3f
	incw	%bp
	addw	$24, %di
3:	testl	%ebx, %ebx
	jz	4f
	cmpw	$E820_MAX, %bp
	jb	2b
4:	cli
	inb	$0x92, %al			/* fast A20 */
	orb	$2, %al
	andb	$0xfe, %al
	outb	%al, $0x92
	lgdtl	gdt_desc
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $5f

	.code32
5:	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	$0x7c00, %esp
	movzwl	%bp, %ecx
	movl	$E820_BUF, %ebx
	movl	$BOOT_MAGIC, %eax
	movl	$SHIM_ADDR, %edx
	jmp	*%edx

	.balign 8
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: flat 4 GiB code, 32-bit */
	.quad	0x00cf92000000ffff	/* 0x10: flat 4 GiB data */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.org	510
	.byte	0x55, 0xaa
