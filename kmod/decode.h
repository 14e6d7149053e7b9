/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv: a small decoder for the x86 instructions that touch MMIO.
 *
 * Without decode assists (no nRIP save, no instruction bytes in the VMCB,
 * as in QEMU TCG's SVM) a nested page fault on a GPA with no memory slot
 * only gives us the GPA: the instruction at guest RIP must be fetched and
 * decoded here to learn the access direction and size, the register or
 * immediate involved, the length (to advance RIP), and for string
 * instructions the rep/index/address-size details.
 *
 * Supported (all with a memory operand only; register-direct ModRM is
 * refused with MINIHV_DEC_E_NOMEM):
 *   MOV     88 89 8A 8B, C6 /0 C7 /0, A0-A3 (moffs)
 *   MOVZX   0F B6 0F B7       MOVSX 0F BE 0F BF
 *   MOVSXD  63 (64-bit mode; not with a 16-bit operand size, where Intel
 *           and AMD differ on the access size)
 *   MOVS    A4 A5    STOS AA AB    LODS AC AD
 *   ALU     ADD OR ADC SBB AND SUB XOR CMP: r/m,reg (00 01 08 09 ...),
 *           reg,r/m (02 03 0A 0B ...), 80 /n, 81 /n, 83 /n, and 82 /n
 *           (an alias of 80, outside 64-bit mode)
 *   TEST    84 85, F6 /0, F7 /0 (and their alias /1)
 *   XCHG    86 87
 * The ALU, TEST and XCHG forms are decoded because drivers and firmware
 * written with volatile pointers (not the kernel's readl/writel, which
 * are plain MOVs) let the compiler fold the access into them
 * ("orl $1,(%rax)", "testb $4,0x10(%rdx)", "cmpl $0,(%rbx)").
 *
 * Prefixes: 66 67 F0 F2 F3, segment overrides 26 2E 36 3E 64 65, and in
 * 64-bit mode REX (40-4F; only effective as the last prefix before the
 * opcode, as on the CPU).  Repeated prefixes: the last of a group wins;
 * in 64-bit mode 26 2E 36 3E are ignored (they do not even cancel an
 * earlier 64/65).  F2/F3 on a non-string op are recorded and ignored
 * (XACQUIRE/XRELEASE hints).
 *
 * minihv_decode_sys() decodes, from a second part of the same table, the
 * system instructions that a real-mode guest executes and that fault in
 * virtual-8086 mode, where VMX without unrestricted guest runs it
 * (arch/x86/vmx/realmode.c emulates them):
 *   LGDT LIDT SGDT SIDT (0F 01 /2 /3 /0 /1, memory only), SMSW LMSW
 *   (0F 01 /4 /6, register or memory), INVLPG (0F 01 /7), CLTS (0F 06),
 *   INVD WBINVD (0F 08 09), MOV from/to CRn (0F 20 22) and DRn (0F 21 23;
 *   ModRM.mod is ignored, the operand is always a register), WRMSR RDMSR
 *   (0F 30 32), HLT (F4).
 * Each decoder refuses the other's opcodes.
 *
 * Refused, with distinct errors (see MINIHV_DEC_E_*): opcodes not listed
 * (including F6/F7 /2-/7, C6/C7 /1-/7, 63 (ARPL) outside 64-bit mode and
 * 82 in it; MOV to/from a segment register (8C 8E), SSE/AVX moves,
 * CMPS/SCAS/INS/OUTS, BT*, CMPXCHG, XADD, INC/DEC/NOT/NEG, PUSH/POP m,
 * LEA), LOCK on a non-lockable instruction or destination, register-direct
 * ModRM, more than 15 bytes, and input that ends inside the instruction.
 */
#ifndef MINIHV_DECODE_H
#define MINIHV_DECODE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/bits.h>
#else
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <errno.h>
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
#define BIT(nr) (1UL << (nr))
#endif

/* Longest legal x86 instruction. */
#define MINIHV_INSN_MAX		15

/* Errors returned by minihv_decode(), all negative errnos. */
#define MINIHV_DEC_E_TRUNC	(-ENODATA)	/* input ends inside the insn */
#define MINIHV_DEC_E_LONG	(-E2BIG)	/* more than 15 bytes */
#define MINIHV_DEC_E_OPCODE	(-EOPNOTSUPP)	/* opcode not supported */
#define MINIHV_DEC_E_LOCK	(-EILSEQ)	/* LOCK where the CPU #UDs */
#define MINIHV_DEC_E_NOMEM	(-ENXIO)	/* ModRM names a register */
#define MINIHV_DEC_E_ARG	(-EINVAL)	/* bad mode argument */

/* Code size, from CS.L/CS.D (real and virtual-8086 mode are 16). */
enum minihv_dec_mode {
	MINIHV_MODE_16 = 2,
	MINIHV_MODE_32 = 4,
	MINIHV_MODE_64 = 8,
};

enum minihv_dec_op {
	MINIHV_OP_NONE,
	MINIHV_OP_MOV,
	MINIHV_OP_MOVZX,
	MINIHV_OP_MOVSX,	/* also MOVSXD (63) */
	MINIHV_OP_MOVS,
	MINIHV_OP_STOS,
	MINIHV_OP_LODS,
	MINIHV_OP_ADD,		/* ADD..CMP in ModRM.reg order of group 1 */
	MINIHV_OP_OR,
	MINIHV_OP_ADC,
	MINIHV_OP_SBB,
	MINIHV_OP_AND,
	MINIHV_OP_SUB,
	MINIHV_OP_XOR,
	MINIHV_OP_CMP,
	MINIHV_OP_TEST,
	MINIHV_OP_XCHG,
	/* System instructions: minihv_decode_sys() only. */
	MINIHV_OP_SGDT,		/* SGDT..LIDT, SMSW, LMSW: 0F 01 /0../6 order */
	MINIHV_OP_SIDT,
	MINIHV_OP_LGDT,
	MINIHV_OP_LIDT,
	MINIHV_OP_SMSW,
	MINIHV_OP_LMSW,
	MINIHV_OP_INVLPG,
	MINIHV_OP_CLTS,
	MINIHV_OP_INVD,
	MINIHV_OP_WBINVD,
	MINIHV_OP_MOV_FROM_CR,
	MINIHV_OP_MOV_FROM_DR,
	MINIHV_OP_MOV_TO_CR,
	MINIHV_OP_MOV_TO_DR,
	MINIHV_OP_WRMSR,
	MINIHV_OP_RDMSR,
	MINIHV_OP_HLT,
};

/* Segment registers, in the order of their encoding. */
enum minihv_dec_seg {
	MINIHV_SEG_ES,
	MINIHV_SEG_CS,
	MINIHV_SEG_SS,
	MINIHV_SEG_DS,
	MINIHV_SEG_FS,
	MINIHV_SEG_GS,
};

/* GPR numbers: the x86 encoding order, RAX=0 ... RDI=7, R8..R15. */
#define MINIHV_REG_RAX		0
#define MINIHV_REG_RCX		1
#define MINIHV_REG_RSI		6
#define MINIHV_REG_RDI		7
#define MINIHV_REG_NONE		(-1)

/* Bits of minihv_insn.dir: what the instruction does to memory. */
#define MINIHV_DIR_READ		BIT(0)	/* reads the memory operand(s) */
#define MINIHV_DIR_WRITE	BIT(1)	/* writes the memory operand(s) */

/* The REP prefix in effect (for MOVS/STOS/LODS both mean "repeat"). */
enum minihv_dec_rep {
	MINIHV_REP_NONE,
	MINIHV_REP_E,		/* F3: REP / REPE */
	MINIHV_REP_NE,		/* F2: REPNE */
};

/* Extension of a loaded value into its destination register. */
enum minihv_dec_ext {
	MINIHV_EXT_NONE,
	MINIHV_EXT_ZERO,
	MINIHV_EXT_SIGN,
};

/**
 * struct minihv_mem - a memory operand, as an offset in a segment
 * @seg:	segment (MINIHV_SEG_*): the override if any, else the default
 *		(SS for a BP/SP base, ES for a string destination, else DS).
 *		In 64-bit mode only FS and GS have a base.
 * @base:	base GPR (0-15) or MINIHV_REG_NONE
 * @index:	index GPR (0-15) or MINIHV_REG_NONE
 * @scale:	1, 2, 4 or 8 (1 when there is no index)
 * @rip_rel:	RIP-relative (64-bit mode, ModRM mod=00 rm=101): the
 *		offset is next RIP + @disp
 * @disp:	displacement sign-extended to 64 bits; for the moffs forms
 *		(A0-A3) the full offset, zero-extended
 */
struct minihv_mem {
	u8 seg;
	s8 base;
	s8 index;
	u8 scale;
	bool rip_rel;
	u64 disp;
};

/**
 * struct minihv_insn - a decoded instruction
 * @len:	length in bytes (1-15)
 * @mode:	the mode it was decoded in (MINIHV_MODE_*)
 * @op:		MINIHV_OP_*
 * @dir:	MINIHV_DIR_* bits; both for MOVS, XCHG and a read-modify-write
 *		ALU op with a memory destination, READ alone for CMP, TEST
 *		and loads
 * @size:	bytes read or written in memory (1, 2, 4, 8)
 * @opsize:	operand size: the register/immediate size, which is also the
 *		destination register size of MOVZX/MOVSX/MOVSXD
 * @addr_size:	address size (2, 4, 8): masks offsets and, for string ops,
 *		rSI/rDI/rCX
 * @ext:	MINIHV_EXT_*, for a load narrower than @opsize
 * @has_reg:	@reg is an operand (else the other operand is @imm, or for
 *		MOVS there is none)
 * @reg:	the register operand (0-15); AL/AX/EAX/RAX for moffs, STOS and
 *		LODS.  For AH/CH/DH/BH this is the register holding them
 *		(0-3) and @reg_high8 is set.
 * @reg_high8:	@reg's operand is bits 15:8 (8-bit register 4-7, no REX)
 * @has_imm:	@imm is an operand
 * @imm:	the immediate, sign-extended to @opsize as the CPU does and
 *		then zero-extended to 64 bits (its value as an @opsize operand)
 * @rep:	MINIHV_REP_* prefix seen (meaningful for string ops only)
 * @lock:	LOCK prefix (only accepted where the CPU accepts it)
 * @seg_override: an effective segment override prefix was present (it is
 *		in @mem.seg, except for STOS, whose ES cannot be overridden)
 * @rex:	the effective REX prefix, 0 if none
 * @mem:	the memory operand; for MOVS the source (seg:rSI), for STOS
 *		ES:rDI and for LODS seg:rSI
 * @mem2:	for MOVS only: the destination ES:rDI
 * @rm:		minihv_decode_sys(): the register operand of a register-direct
 *		ModRM (SMSW, LMSW, MOV CR/DR), else MINIHV_REG_NONE
 * @ctl:	minihv_decode_sys(): MOV CR/DR's control or debug register
 *
 * Register-to-memory direction: with MINIHV_DIR_WRITE and @has_reg the
 * register is the source; with MINIHV_DIR_READ only, it is the
 * destination (except CMP/TEST, which only set flags, and ALU ops with a
 * register destination, which also read it).
 */
struct minihv_insn {
	u8 len;
	u8 mode;
	u8 op;
	u8 dir;
	u8 size;
	u8 opsize;
	u8 addr_size;
	u8 ext;
	bool has_reg;
	u8 reg;
	bool reg_high8;
	bool has_imm;
	u64 imm;
	u8 rep;
	bool lock;
	bool seg_override;
	u8 rex;
	struct minihv_mem mem;
	struct minihv_mem mem2;
	s8 rm;
	u8 ctl;
};

/**
 * minihv_decode() - decode one instruction
 * @insn:	filled in on success (zeroed on failure)
 * @buf:	the instruction bytes fetched at guest RIP
 * @len:	how many bytes @buf holds; never read beyond
 * @mode:	MINIHV_MODE_16/32/64
 *
 * Return: 0, or a MINIHV_DEC_E_* error.  MINIHV_DEC_E_TRUNC means the
 * bytes are a prefix of a possibly good instruction: fetch more (e.g. the
 * next page) and retry.
 */
int minihv_decode(struct minihv_insn *insn, const u8 *buf, unsigned int len,
		  enum minihv_dec_mode mode);

/**
 * minihv_decode_sys() - decode one system instruction
 * @insn:	filled in on success (zeroed on failure)
 * @buf:	the instruction bytes
 * @len:	how many bytes @buf holds; never read beyond
 * @mode:	MINIHV_MODE_16/32/64
 *
 * The instructions listed above.  @op says which; @len, @opsize (LGDT and
 * friends: 2 means a 24-bit base; MOV CR/DR: 4, or 8 in 64-bit mode),
 * @addr_size and @mem (memory forms, @size bytes: 6 for a descriptor
 * table register, 10 in 64-bit mode; 2 for SMSW/LMSW; 0 for INVLPG) or
 * @rm, and @ctl for MOV CR/DR are set.
 *
 * Return: 0, or a MINIHV_DEC_E_* error, as minihv_decode().
 */
int minihv_decode_sys(struct minihv_insn *insn, const u8 *buf,
		      unsigned int len, enum minihv_dec_mode mode);

/**
 * minihv_insn_next_rip() - RIP after the instruction
 * @insn:	decoded instruction
 * @rip:	its RIP
 *
 * Return: @rip + length, wrapped to 32 bits outside 64-bit mode.
 */
u64 minihv_insn_next_rip(const struct minihv_insn *insn, u64 rip);

/**
 * minihv_insn_ea() - the effective address (offset) of a memory operand
 * @insn:	decoded instruction
 * @mem:	&insn->mem or &insn->mem2
 * @regs:	the 16 GPRs, in encoding order
 * @next_rip:	minihv_insn_next_rip() (used for RIP-relative operands)
 *
 * The caller adds the segment base of @mem->seg to get the linear
 * address.  For string ops this is the address of the current iteration;
 * the caller steps rSI/rDI by ±size per DF.
 *
 * Return: the offset, wrapped to the address size.
 */
u64 minihv_insn_ea(const struct minihv_insn *insn,
		   const struct minihv_mem *mem, const u64 *regs,
		   u64 next_rip);

/**
 * minihv_reg_get() - read a register operand
 * @regs:	the 16 GPRs
 * @reg:	register number (0-15)
 * @size:	operand size (1, 2, 4, 8)
 * @high8:	AH/CH/DH/BH: bits 15:8 of @reg
 *
 * Return: the operand, zero-extended.
 */
u64 minihv_reg_get(const u64 *regs, unsigned int reg, unsigned int size,
		   bool high8);

/**
 * minihv_reg_put() - the new value of a register after writing an operand
 * @old:	its old 64-bit value
 * @val:	the value written (only the low @size bytes are used)
 * @size:	operand size: 1 and 2 preserve the other bits, 4 clears bits
 *		63:32 as the CPU does, 8 replaces it all
 * @high8:	write bits 15:8 (AH/CH/DH/BH)
 *
 * Return: the new 64-bit register value.
 */
u64 minihv_reg_put(u64 old, u64 val, unsigned int size, bool high8);

/**
 * minihv_insn_src() - the value an instruction stores to memory
 * @insn:	decoded instruction with MINIHV_DIR_WRITE (or an ALU/TEST/CMP
 *		source operand)
 * @regs:	the 16 GPRs
 *
 * Return: the register or immediate operand, truncated to @insn->opsize
 * (for MOVS, which has none, 0).
 */
u64 minihv_insn_src(const struct minihv_insn *insn, const u64 *regs);

/**
 * minihv_insn_load() - the destination register's value after a load
 * @insn:	decoded MOV/MOVZX/MOVSX/LODS load (MINIHV_DIR_READ, @has_reg)
 * @old:	the destination register's old 64-bit value
 * @val:	the @insn->size bytes read from memory
 *
 * Applies the zero/sign extension to @insn->opsize, then the
 * minihv_reg_put() rules (AH, 16-bit merge, 32-bit zero-extension).
 *
 * Return: the new 64-bit register value.
 */
u64 minihv_insn_load(const struct minihv_insn *insn, u64 old, u64 val);

#endif /* MINIHV_DECODE_H */
