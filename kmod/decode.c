// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: a table-driven decoder for the instructions that touch MMIO.
 *
 * One table lists every supported opcode (one-byte, or 0F xx) with flags
 * saying which operands it has; a group opcode (80 /n, C6 /0, ...) has one
 * entry per accepted ModRM.reg.  Decoding is: prefixes, opcode, table
 * lookup, then ModRM/SIB/displacement, moffs or string operands, and the
 * immediate, each driven by the entry's flags.
 *
 * The system instructions of minihv_decode_sys() are rows of the same
 * table marked D_SYS; each entry point only sees its own rows.
 *
 * This file builds both in the module and, for the unit tests and
 * fuzzers, in userspace: decode.h picks the headers.
 */
#include "decode.h"

/* Entry flags. */
#define D_MODRM		BIT(0)	/* ModRM with a memory operand */
#define D_GRP		BIT(1)	/* only for ModRM.reg == sel */
#define D_BYTE		BIT(2)	/* 8-bit operand size */
#define D_REG		BIT(3)	/* ModRM.reg is an operand */
#define D_ACC		BIT(4)	/* AL/AX/EAX/RAX is an operand */
#define D_IMM8		BIT(5)	/* imm8, sign-extended */
#define D_IMMZ		BIT(6)	/* imm16/imm32, imm32 sign-extended */
#define D_MOFFS		BIT(7)	/* moffs: offset of address size */
#define D_SI		BIT(8)	/* string source seg:rSI */
#define D_DI		BIT(9)	/* string destination ES:rDI */
#define D_R		BIT(10)	/* reads memory */
#define D_W		BIT(11)	/* writes memory */
#define D_LOCK		BIT(12)	/* LOCK allowed */
#define D_64		BIT(13)	/* 64-bit mode only */
#define D_SRC1		BIT(14)	/* memory operand is 8-bit */
#define D_SRC2		BIT(15)	/* memory operand is 16-bit */
#define D_SRC4		BIT(16)	/* memory operand at most 32-bit */
#define D_ALU		BIT(17)	/* op is ADD + opcode bits 5:3 ... */
#define D_ALUREG	BIT(18)	/* ... or ADD + ModRM.reg; CMP: no write */
#define D_NO64		BIT(19)	/* not in 64-bit mode */
#define D_NO16		BIT(20)	/* no 16-bit operand size */
#define D_SYS		BIT(21)	/* system instruction: minihv_decode_sys() */
#define D_RMREG		BIT(22)	/* ModRM may name a register (insn->rm) */
#define D_CTL		BIT(23)	/* MOV CR/DR: ModRM.reg the CR/DR, rm a GPR */
#define D_DT		BIT(24)	/* a descriptor-table register image */

#define D_RMW		(D_R | D_W | D_LOCK)

/**
 * struct dec_entry - one row of the opcode table
 * @opc:	0x00xx: one-byte opcode, 0x0Fxx: two-byte (0F xx)
 * @ign:	opcode bits that do not matter (the ALU op in bits 5:3)
 * @sel:	ModRM.reg, for D_GRP
 * @op:		MINIHV_OP_*, or the first of the ALU ops for D_ALU*
 * @ext:	MINIHV_EXT_*
 * @flags:	D_*
 */
struct dec_entry {
	u16 opc;
	u8 ign;
	u8 sel;
	u8 op;
	u8 ext;
	u32 flags;
};

#define D_ALU_RM	(D_MODRM | D_REG | D_ALU)
#define D_GRP1		(D_MODRM | D_ALUREG | D_RMW)
#define D_LOAD		(D_MODRM | D_REG | D_R)

static const struct dec_entry dec_table[] = {
	/* ADD OR ADC SBB AND SUB XOR CMP, r/m and reg forms */
	{ 0x00, 0x38, 0, MINIHV_OP_ADD, 0, D_ALU_RM | D_BYTE | D_RMW },
	{ 0x01, 0x38, 0, MINIHV_OP_ADD, 0, D_ALU_RM | D_RMW },
	{ 0x02, 0x38, 0, MINIHV_OP_ADD, 0, D_ALU_RM | D_BYTE | D_R },
	{ 0x03, 0x38, 0, MINIHV_OP_ADD, 0, D_ALU_RM | D_R },
	/* group 1: ALU op r/m,imm */
	{ 0x80, 0, 0, MINIHV_OP_ADD, 0, D_GRP1 | D_BYTE | D_IMM8 },
	{ 0x81, 0, 0, MINIHV_OP_ADD, 0, D_GRP1 | D_IMMZ },
	{ 0x83, 0, 0, MINIHV_OP_ADD, 0, D_GRP1 | D_IMM8 },
	/* 82: an alias of 80 outside 64-bit mode */
	{ 0x82, 0, 0, MINIHV_OP_ADD, 0, D_GRP1 | D_BYTE | D_IMM8 | D_NO64 },
	/* 66 63: Intel reads 16 bits, AMD (and objdump) 32: refused */
	{ 0x63, 0, 0, MINIHV_OP_MOVSX, MINIHV_EXT_SIGN,
	  D_LOAD | D_SRC4 | D_64 | D_NO16 },
	{ 0x84, 0, 0, MINIHV_OP_TEST, 0, D_MODRM | D_REG | D_BYTE | D_R },
	{ 0x85, 0, 0, MINIHV_OP_TEST, 0, D_MODRM | D_REG | D_R },
	{ 0x86, 0, 0, MINIHV_OP_XCHG, 0, D_MODRM | D_REG | D_BYTE | D_RMW },
	{ 0x87, 0, 0, MINIHV_OP_XCHG, 0, D_MODRM | D_REG | D_RMW },
	{ 0x88, 0, 0, MINIHV_OP_MOV, 0, D_MODRM | D_REG | D_BYTE | D_W },
	{ 0x89, 0, 0, MINIHV_OP_MOV, 0, D_MODRM | D_REG | D_W },
	{ 0x8a, 0, 0, MINIHV_OP_MOV, 0, D_LOAD | D_BYTE },
	{ 0x8b, 0, 0, MINIHV_OP_MOV, 0, D_LOAD },
	{ 0xa0, 0, 0, MINIHV_OP_MOV, 0, D_MOFFS | D_ACC | D_BYTE | D_R },
	{ 0xa1, 0, 0, MINIHV_OP_MOV, 0, D_MOFFS | D_ACC | D_R },
	{ 0xa2, 0, 0, MINIHV_OP_MOV, 0, D_MOFFS | D_ACC | D_BYTE | D_W },
	{ 0xa3, 0, 0, MINIHV_OP_MOV, 0, D_MOFFS | D_ACC | D_W },
	{ 0xa4, 0, 0, MINIHV_OP_MOVS, 0, D_SI | D_DI | D_BYTE | D_R | D_W },
	{ 0xa5, 0, 0, MINIHV_OP_MOVS, 0, D_SI | D_DI | D_R | D_W },
	{ 0xaa, 0, 0, MINIHV_OP_STOS, 0, D_DI | D_ACC | D_BYTE | D_W },
	{ 0xab, 0, 0, MINIHV_OP_STOS, 0, D_DI | D_ACC | D_W },
	{ 0xac, 0, 0, MINIHV_OP_LODS, 0, D_SI | D_ACC | D_BYTE | D_R },
	{ 0xad, 0, 0, MINIHV_OP_LODS, 0, D_SI | D_ACC | D_R },
	{ 0xc6, 0, 0, MINIHV_OP_MOV, 0, D_MODRM | D_GRP | D_BYTE | D_IMM8 | D_W },
	{ 0xc7, 0, 0, MINIHV_OP_MOV, 0, D_MODRM | D_GRP | D_IMMZ | D_W },
	{ 0xf6, 0, 0, MINIHV_OP_TEST, 0, D_MODRM | D_GRP | D_BYTE | D_IMM8 | D_R },
	{ 0xf7, 0, 0, MINIHV_OP_TEST, 0, D_MODRM | D_GRP | D_IMMZ | D_R },
	/* F6 /1, F7 /1: undocumented aliases of /0 that CPUs execute */
	{ 0xf6, 0, 1, MINIHV_OP_TEST, 0, D_MODRM | D_GRP | D_BYTE | D_IMM8 | D_R },
	{ 0xf7, 0, 1, MINIHV_OP_TEST, 0, D_MODRM | D_GRP | D_IMMZ | D_R },
	{ 0x0fb6, 0, 0, MINIHV_OP_MOVZX, MINIHV_EXT_ZERO, D_LOAD | D_SRC1 },
	{ 0x0fb7, 0, 0, MINIHV_OP_MOVZX, MINIHV_EXT_ZERO, D_LOAD | D_SRC2 },
	{ 0x0fbe, 0, 0, MINIHV_OP_MOVSX, MINIHV_EXT_SIGN, D_LOAD | D_SRC1 },
	{ 0x0fbf, 0, 0, MINIHV_OP_MOVSX, MINIHV_EXT_SIGN, D_LOAD | D_SRC2 },

	/* System instructions */
	{ 0x0f01, 0, 0, MINIHV_OP_SGDT, 0, D_SYS | D_MODRM | D_GRP | D_DT | D_W },
	{ 0x0f01, 0, 1, MINIHV_OP_SIDT, 0, D_SYS | D_MODRM | D_GRP | D_DT | D_W },
	{ 0x0f01, 0, 2, MINIHV_OP_LGDT, 0, D_SYS | D_MODRM | D_GRP | D_DT | D_R },
	{ 0x0f01, 0, 3, MINIHV_OP_LIDT, 0, D_SYS | D_MODRM | D_GRP | D_DT | D_R },
	{ 0x0f01, 0, 4, MINIHV_OP_SMSW, 0,
	  D_SYS | D_MODRM | D_GRP | D_RMREG | D_SRC2 | D_W },
	{ 0x0f01, 0, 6, MINIHV_OP_LMSW, 0,
	  D_SYS | D_MODRM | D_GRP | D_RMREG | D_SRC2 | D_R },
	{ 0x0f01, 0, 7, MINIHV_OP_INVLPG, 0, D_SYS | D_MODRM | D_GRP },
	{ 0x0f06, 0, 0, MINIHV_OP_CLTS, 0, D_SYS },
	{ 0x0f08, 0, 0, MINIHV_OP_INVD, 0, D_SYS },
	{ 0x0f09, 0, 0, MINIHV_OP_WBINVD, 0, D_SYS },
	{ 0x0f20, 0, 0, MINIHV_OP_MOV_FROM_CR, 0, D_SYS | D_MODRM | D_CTL },
	{ 0x0f21, 0, 0, MINIHV_OP_MOV_FROM_DR, 0, D_SYS | D_MODRM | D_CTL },
	{ 0x0f22, 0, 0, MINIHV_OP_MOV_TO_CR, 0, D_SYS | D_MODRM | D_CTL },
	{ 0x0f23, 0, 0, MINIHV_OP_MOV_TO_DR, 0, D_SYS | D_MODRM | D_CTL },
	{ 0x0f30, 0, 0, MINIHV_OP_WRMSR, 0, D_SYS },
	{ 0x0f32, 0, 0, MINIHV_OP_RDMSR, 0, D_SYS },
	{ 0xf4, 0, 0, MINIHV_OP_HLT, 0, D_SYS },
	{ 0 }	/* op MINIHV_OP_NONE ends the table */
};

/* 16-bit addressing, by ModRM.rm: base, index (BP-based ones use SS). */
static const s8 dec_rm16[8][2] = {
	{ 3, 6 },		/* BX+SI */
	{ 3, 7 },		/* BX+DI */
	{ 5, 6 },		/* BP+SI */
	{ 5, 7 },		/* BP+DI */
	{ 6, MINIHV_REG_NONE },	/* SI */
	{ 7, MINIHV_REG_NONE },	/* DI */
	{ 5, MINIHV_REG_NONE },	/* BP, or disp16 alone when mod == 0 */
	{ 3, MINIHV_REG_NONE },	/* BX */
};

#define REX_B		0x1
#define REX_X		0x2
#define REX_R		0x4
#define REX_W		0x8

struct dec_ctx {
	const u8 *buf;
	unsigned int len;
	unsigned int pos;
};

static u64 dec_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static u64 dec_sext(u64 v, unsigned int size)
{
	unsigned int shift = 64 - size * 8;

	return (u64)((s64)(v << shift) >> shift);
}

/* Fetch @n bytes, little endian: too long beats truncated. */
static int dec_fetch(struct dec_ctx *c, unsigned int n, u64 *val)
{
	unsigned int i;

	if (c->pos + n > MINIHV_INSN_MAX)
		return MINIHV_DEC_E_LONG;
	if (c->pos + n > c->len)
		return MINIHV_DEC_E_TRUNC;
	*val = 0;
	for (i = 0; i < n; i++)
		*val |= (u64)c->buf[c->pos + i] << (i * 8);
	c->pos += n;
	return 0;
}

static const struct dec_entry *dec_lookup(u16 opc, bool any, u8 sel,
					  bool sys)
{
	const struct dec_entry *e;

	for (e = dec_table; e->op != MINIHV_OP_NONE; e++) {
		if ((e->opc ^ opc) & ~(u16)e->ign)
			continue;
		if (!(e->flags & D_SYS) != !sys)
			continue;
		if (any || !(e->flags & D_GRP) || e->sel == sel)
			return e;
	}
	return NULL;
}

/* Segment prefix byte to MINIHV_SEG_*, or -1 when not one. */
static int dec_seg_prefix(u8 b)
{
	switch (b) {
	case 0x26:
		return MINIHV_SEG_ES;
	case 0x2e:
		return MINIHV_SEG_CS;
	case 0x36:
		return MINIHV_SEG_SS;
	case 0x3e:
		return MINIHV_SEG_DS;
	case 0x64:
		return MINIHV_SEG_FS;
	case 0x65:
		return MINIHV_SEG_GS;
	}
	return -1;
}

/* ModRM (already fetched), SIB and displacement into @m. */
static int dec_modrm_mem(struct dec_ctx *c, struct minihv_insn *in,
			 struct minihv_mem *m, u8 modrm)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	unsigned int dsize = 0;
	u64 v;
	int r;

	m->base = MINIHV_REG_NONE;
	m->index = MINIHV_REG_NONE;
	m->scale = 1;
	m->seg = MINIHV_SEG_DS;

	if (in->addr_size == 2) {
		if (mod == 0 && rm == 6) {
			dsize = 2;
		} else {
			m->base = dec_rm16[rm][0];
			m->index = dec_rm16[rm][1];
			dsize = mod == 1 ? 1 : mod == 2 ? 2 : 0;
		}
		if (m->base == 5)
			m->seg = MINIHV_SEG_SS;
	} else {
		if (rm == 4) {
			unsigned int sib, idx;

			r = dec_fetch(c, 1, &v);
			if (r)
				return r;
			sib = v;
			idx = ((sib >> 3) & 7) | (in->rex & REX_X ? 8 : 0);
			if (idx != 4) {
				m->index = idx;
				m->scale = 1 << (sib >> 6);
			}
			if ((sib & 7) == 5 && mod == 0)
				dsize = 4;
			else
				m->base = (sib & 7) | (in->rex & REX_B ? 8 : 0);
		} else if (rm == 5 && mod == 0) {
			dsize = 4;
			m->rip_rel = in->mode == MINIHV_MODE_64;
		} else {
			m->base = rm | (in->rex & REX_B ? 8 : 0);
		}
		if (mod == 1)
			dsize = 1;
		else if (mod == 2)
			dsize = 4;
		if (m->base == 4 || m->base == 5)
			m->seg = MINIHV_SEG_SS;
	}
	m->disp = 0;
	if (dsize) {
		r = dec_fetch(c, dsize, &v);
		if (r)
			return r;
		m->disp = dec_sext(v, dsize);
	}
	return 0;
}

static void dec_str_mem(struct minihv_mem *m, int reg, u8 seg)
{
	m->seg = seg;
	m->base = reg;
	m->index = MINIHV_REG_NONE;
	m->scale = 1;
	m->rip_rel = false;
	m->disp = 0;
}

static int __minihv_decode(struct minihv_insn *in, struct dec_ctx *c,
			   bool sys)
{
	const struct dec_entry *e;
	bool opsz = false, adsz = false;
	int seg = -1;
	u8 modrm = 0;
	u64 v;
	u16 opc;
	u32 f;
	int r;

	/* Prefixes; a REX only counts when the opcode follows it. */
	for (;;) {
		int s;

		r = dec_fetch(c, 1, &v);
		if (r)
			return r;
		s = dec_seg_prefix(v);
		if (s >= 0) {
			/* 64-bit mode ignores CS/DS/ES/SS overrides */
			if (in->mode != MINIHV_MODE_64 || s >= MINIHV_SEG_FS)
				seg = s;
		} else if (v == 0x66) {
			opsz = true;
		} else if (v == 0x67) {
			adsz = true;
		} else if (v == 0xf0) {
			in->lock = true;
		} else if (v == 0xf2 || v == 0xf3) {
			in->rep = v == 0xf3 ? MINIHV_REP_E : MINIHV_REP_NE;
		} else if (in->mode == MINIHV_MODE_64 && (v & 0xf0) == 0x40) {
			in->rex = v;
			continue;
		} else {
			break;
		}
		in->rex = 0;
	}

	opc = v;
	if (opc == 0x0f) {
		r = dec_fetch(c, 1, &v);
		if (r)
			return r;
		opc = 0x0f00 | v;
	}
	e = dec_lookup(opc, true, 0, sys);
	if (!e)
		return MINIHV_DEC_E_OPCODE;
	if (e->flags & D_MODRM) {
		r = dec_fetch(c, 1, &v);
		if (r)
			return r;
		modrm = v;
		e = dec_lookup(opc, false, (modrm >> 3) & 7, sys);
		if (!e)
			return MINIHV_DEC_E_OPCODE;
		/* MOV CR/DR ignore ModRM.mod: their operand is a register. */
		if ((modrm >> 6) == 3 || (e->flags & D_CTL)) {
			/* 0F 01 with mod 3 encodes other instructions. */
			if (!(e->flags & (D_RMREG | D_CTL)))
				return sys ? MINIHV_DEC_E_OPCODE :
					     MINIHV_DEC_E_NOMEM;
			in->rm = (modrm & 7) | (in->rex & REX_B ? 8 : 0);
		}
	}
	f = e->flags;
	if ((f & D_64) && in->mode != MINIHV_MODE_64)
		return MINIHV_DEC_E_OPCODE;
	if ((f & D_NO64) && in->mode == MINIHV_MODE_64)
		return MINIHV_DEC_E_OPCODE;

	in->op = e->op;
	if (f & D_ALU)
		in->op += (opc >> 3) & 7;
	else if (f & D_ALUREG)
		in->op += (modrm >> 3) & 7;
	if (in->op == MINIHV_OP_CMP)
		f &= ~(D_W | D_LOCK);
	if (in->lock && !(f & D_LOCK))
		return MINIHV_DEC_E_LOCK;
	in->ext = e->ext;
	in->dir = (f & D_R ? MINIHV_DIR_READ : 0) |
		  (f & D_W ? MINIHV_DIR_WRITE : 0);

	if (f & D_BYTE)
		in->opsize = 1;
	else if (in->rex & REX_W)
		in->opsize = 8;
	else
		in->opsize = (in->mode == MINIHV_MODE_16) != opsz ? 2 : 4;
	if ((f & D_NO16) && in->opsize == 2)
		return MINIHV_DEC_E_OPCODE;
	if (in->mode == MINIHV_MODE_64)
		in->addr_size = adsz ? 4 : 8;
	else
		in->addr_size = (in->mode == MINIHV_MODE_16) != adsz ? 2 : 4;

	if (f & D_CTL) {
		/* Operand size prefixes do not apply: 32 bits, 64 in long mode. */
		in->opsize = in->mode == MINIHV_MODE_64 ? 8 : 4;
		in->ctl = ((modrm >> 3) & 7) | (in->rex & REX_R ? 8 : 0);
	} else if ((f & D_DT) && in->mode == MINIHV_MODE_64) {
		in->opsize = 8;
	}

	if (f & D_DT)
		in->size = in->mode == MINIHV_MODE_64 ? 10 : 6;
	else if ((f & D_SYS) && !(f & D_SRC2))
		in->size = 0;
	else if (f & D_SRC1)
		in->size = 1;
	else if (f & D_SRC2)
		in->size = 2;
	else if ((f & D_SRC4) && in->opsize > 4)
		in->size = 4;
	else
		in->size = in->opsize;

	if (f & (D_REG | D_ACC)) {
		in->has_reg = true;
		if (f & D_ACC)
			in->reg = MINIHV_REG_RAX;
		else
			in->reg = ((modrm >> 3) & 7) | (in->rex & REX_R ? 8 : 0);
		if (in->opsize == 1 && !in->rex && in->reg >= 4) {
			in->reg -= 4;
			in->reg_high8 = true;
		}
	}

	if ((f & D_MODRM) && in->rm == MINIHV_REG_NONE) {
		r = dec_modrm_mem(c, in, &in->mem, modrm);
		if (r)
			return r;
	} else if (f & D_MOFFS) {
		r = dec_fetch(c, in->addr_size, &v);
		if (r)
			return r;
		dec_str_mem(&in->mem, MINIHV_REG_NONE, MINIHV_SEG_DS);
		in->mem.disp = v;
	} else if (f & D_SI) {
		dec_str_mem(&in->mem, MINIHV_REG_RSI, MINIHV_SEG_DS);
		if (f & D_DI)
			dec_str_mem(&in->mem2, MINIHV_REG_RDI, MINIHV_SEG_ES);
	} else if (f & D_DI) {
		dec_str_mem(&in->mem, MINIHV_REG_RDI, MINIHV_SEG_ES);
	}
	/* Overrides apply to everything but a string destination (ES). */
	if (seg >= 0) {
		in->seg_override = true;
		if (!(f & D_DI) || (f & D_SI))
			in->mem.seg = seg;
	}

	if (f & (D_IMM8 | D_IMMZ)) {
		unsigned int isize = f & D_IMM8 ? 1 : in->opsize == 2 ? 2 : 4;

		r = dec_fetch(c, isize, &v);
		if (r)
			return r;
		in->has_imm = true;
		in->imm = dec_sext(v, isize) & dec_mask(in->opsize);
	}
	in->len = c->pos;
	return 0;
}

static int dec_entry(struct minihv_insn *insn, const u8 *buf,
		     unsigned int len, enum minihv_dec_mode mode, bool sys)
{
	struct dec_ctx c = { .buf = buf, .len = len, .pos = 0 };
	int r;

	memset(insn, 0, sizeof(*insn));
	if (mode != MINIHV_MODE_16 && mode != MINIHV_MODE_32 &&
	    mode != MINIHV_MODE_64)
		return MINIHV_DEC_E_ARG;
	insn->mode = mode;
	insn->rm = MINIHV_REG_NONE;
	r = __minihv_decode(insn, &c, sys);
	if (r)
		memset(insn, 0, sizeof(*insn));
	return r;
}

int minihv_decode(struct minihv_insn *insn, const u8 *buf, unsigned int len,
		  enum minihv_dec_mode mode)
{
	return dec_entry(insn, buf, len, mode, false);
}

int minihv_decode_sys(struct minihv_insn *insn, const u8 *buf,
		      unsigned int len, enum minihv_dec_mode mode)
{
	return dec_entry(insn, buf, len, mode, true);
}

u64 minihv_insn_next_rip(const struct minihv_insn *insn, u64 rip)
{
	rip += insn->len;
	return insn->mode == MINIHV_MODE_64 ? rip : (u32)rip;
}

u64 minihv_insn_ea(const struct minihv_insn *insn,
		   const struct minihv_mem *mem, const u64 *regs,
		   u64 next_rip)
{
	u64 ea = mem->disp;

	if (mem->rip_rel)
		ea += next_rip;
	if (mem->base >= 0)
		ea += regs[mem->base & 15];
	if (mem->index >= 0)
		ea += regs[mem->index & 15] * mem->scale;
	return ea & dec_mask(insn->addr_size);
}

u64 minihv_reg_get(const u64 *regs, unsigned int reg, unsigned int size,
		   bool high8)
{
	u64 v = regs[reg & 15];

	if (high8)
		return (v >> 8) & 0xff;
	return v & dec_mask(size);
}

u64 minihv_reg_put(u64 old, u64 val, unsigned int size, bool high8)
{
	if (high8)
		return (old & ~0xff00ULL) | ((val & 0xff) << 8);
	if (size == 4)
		return val & 0xffffffffULL;
	return (old & ~dec_mask(size)) | (val & dec_mask(size));
}

u64 minihv_insn_src(const struct minihv_insn *insn, const u64 *regs)
{
	if (insn->has_imm)
		return insn->imm;
	if (insn->has_reg)
		return minihv_reg_get(regs, insn->reg, insn->opsize,
				      insn->reg_high8);
	return 0;
}

u64 minihv_insn_load(const struct minihv_insn *insn, u64 old, u64 val)
{
	val &= dec_mask(insn->size);
	if (insn->ext == MINIHV_EXT_SIGN)
		val = dec_sext(val, insn->size);
	return minihv_reg_put(old, val, insn->opsize, insn->reg_high8);
}
