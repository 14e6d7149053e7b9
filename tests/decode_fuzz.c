// SPDX-License-Identifier: GPL-2.0
/*
 * Differential fuzzing of kmod/decode.c against objdump (binutils).
 *
 * usage: decode_fuzz [count [seed]]      (default 20000, seed 1)
 *
 * For each of 16-, 32- and 64-bit code, generates count/3 random byte
 * strings biased toward the supported opcodes (random prefixes, REX,
 * ModRM, SIB, displacements and immediates), each in its own 32-byte slot
 * (16 random bytes, then NOPs so objdump resynchronizes), disassembles
 * them all with one objdump run (-M intel), and compares for every slot:
 * the length, the operation, the access size, every memory operand (base,
 * index, scale, displacement, RIP-relative, FS/GS or, outside 64-bit mode,
 * any shown segment), the register operand and the immediate.  When we
 * refuse, objdump must agree that it is not ours to take: "(bad)", longer
 * than 15 bytes, LOCK, no memory operand, or an instruction we do not
 * support.  Prints TAP, one test per mode; deterministic for a seed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"

#define SLOT	32
#define RAND	16

static unsigned long long rng_state;

static unsigned int rnd(unsigned int n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (rng_state >> 11) % n;
}

static const unsigned char prefixes[] = {
	0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65,
};

static const unsigned short opcodes[] = {
	0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12,
	0x13, 0x18, 0x19, 0x1a, 0x1b, 0x20, 0x21, 0x22, 0x23, 0x28, 0x29,
	0x2a, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x38, 0x39, 0x3a, 0x3b, 0x63,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
	0x8b, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad,
	0xc6, 0xc7, 0xf6, 0xf7, 0x0fb6, 0x0fb7, 0x0fbe, 0x0fbf,
	/* the most common MOVs again */
	0x88, 0x89, 0x8a, 0x8b, 0x89, 0x8b, 0xc7, 0xc6,
};

static int is_legacy_prefix(unsigned char c)
{
	return memchr(prefixes, c, sizeof(prefixes)) != NULL;
}

/*
 * objdump prints a REX that another prefix follows as an instruction of
 * its own and forgets the prefixes before it; the CPU ignores that REX.
 * So objdump gets a copy without such REX bytes: returns how many.
 */
static unsigned int strip_dead_rex(unsigned char *b, int mode)
{
	unsigned int i = 0, removed = 0;

	if (mode != MINIHV_MODE_64)
		return 0;
	while (i + 1 < RAND) {
		int rex = (b[i] & 0xf0) == 0x40;

		if (!rex && !is_legacy_prefix(b[i]))
			break;
		if (rex && (is_legacy_prefix(b[i + 1]) ||
			    (b[i + 1] & 0xf0) == 0x40)) {
			memmove(b + i, b + i + 1, SLOT - i - 1);
			b[SLOT - 1] = 0x90;
			removed++;
			continue;
		}
		i++;
	}
	return removed;
}

static unsigned int gen(unsigned char *b, int mode)
{
	unsigned int n = 0, i, np = rnd(4);
	unsigned short opc;

	if (rnd(20) == 0)
		np += rnd(12);
	for (i = 0; i < np; i++) {
		if (mode == MINIHV_MODE_64 && rnd(6) == 0)
			b[n++] = 0x40 | rnd(16);
		else if (rnd(8) == 0)
			b[n++] = 0xf0;
		else
			b[n++] = prefixes[rnd(sizeof(prefixes))];
	}
	if (mode == MINIHV_MODE_64 && rnd(2))
		b[n++] = 0x40 | rnd(16);
	if (rnd(12) == 0) {
		opc = rnd(256);
		if (opc == 0x0f)
			opc = 0x0f00 | rnd(256);
	} else {
		opc = opcodes[rnd(sizeof(opcodes) / sizeof(opcodes[0]))];
	}
	if (opc > 0xff)
		b[n++] = 0x0f;
	b[n++] = opc;
	if (n < RAND) {
		/* ModRM: mostly memory, sometimes register */
		b[n] = rnd(256);
		if ((b[n] >> 6) == 3 && rnd(4))
			b[n] &= 0x3f;
		n++;
	}
	while (n < RAND)
		b[n++] = rnd(4) ? rnd(256) : rnd(2) ? 0 : 0xff;
	for (; n < SLOT; n++)
		b[n] = 0x90;
	return SLOT;
}

/* What objdump said about one slot. */
struct dis {
	unsigned int len;
	unsigned int stripped;
	int bad;
	int lock;
	char mnem[32];
	char ops[4][96];
	int nops;
};

static const char *const prefix_words[] = {
	"data16", "data32", "addr16", "addr32", "lock", "rep", "repz",
	"repnz", "repe", "repne", "cs", "ds", "es", "ss", "fs", "gs",
	"notrack", "bnd", "xacquire", "xrelease", NULL,
};

static int is_prefix_word(const char *w)
{
	int i;

	if (!strncmp(w, "rex", 3))
		return 1;
	for (i = 0; prefix_words[i]; i++)
		if (!strcmp(w, prefix_words[i]))
			return 1;
	return 0;
}

/* One objdump line: address, byte count, text after the bytes. */
static int parse_line(char *line, unsigned long *addr, unsigned int *nb,
		      char **text)
{
	char *p, *q;

	*addr = strtoul(line, &p, 16);
	if (p == line || *p != ':')
		return 0;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	*nb = 0;
	while (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1]) &&
	       (p[2] == ' ' || p[2] == '\t' || p[2] == '\n' || !p[2])) {
		(*nb)++;
		p += 2;
		while (*p == ' ')
			p++;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	q = strchr(p, '\n');
	if (q)
		*q = 0;
	q = strchr(p, '#');
	if (q)
		*q = 0;
	*text = p;
	return 1;
}

/* Splits "pfx pfx mnem op,op" into @d; returns 1 if only prefixes. */
static int parse_text(char *text, struct dis *d)
{
	char *w, *save = NULL, *ops = NULL;

	d->mnem[0] = 0;
	for (w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (is_prefix_word(w)) {
			if (!strcmp(w, "lock"))
				d->lock = 1;
			continue;
		}
		snprintf(d->mnem, sizeof(d->mnem), "%s", w);
		ops = strtok_r(NULL, "", &save);
		break;
	}
	if (!d->mnem[0])
		return 1;
	if (!strcmp(d->mnem, "(bad)"))
		d->bad = 1;
	d->nops = 0;
	if (ops) {
		char *o, *s2 = NULL;

		while (*ops == ' ')
			ops++;
		for (o = strtok_r(ops, ",", &s2); o && d->nops < 4;
		     o = strtok_r(NULL, ",", &s2)) {
			size_t l = strlen(o);

			while (l && o[l - 1] == ' ')
				o[--l] = 0;
			snprintf(d->ops[d->nops++], sizeof(d->ops[0]), "%s", o);
		}
	}
	return 0;
}

static const char *const regs64[] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const regs32[] = {
	"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
	"r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
};
static const char *const regs16[] = {
	"ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
	"r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w",
};
static const char *const regs8[] = {
	"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
	"r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
};
static const char *const regs8h[] = { "ah", "ch", "dh", "bh" };

static const char *reg_name(unsigned int reg, unsigned int size, int high8)
{
	if (high8)
		return reg < 4 ? regs8h[reg] : "<bad high8>";
	switch (size) {
	case 1:
		return regs8[reg];
	case 2:
		return regs16[reg];
	case 4:
		return regs32[reg];
	}
	return regs64[reg];
}

/* A register name of any size to its number; -1 if none. */
static int reg_num(const char *s, size_t n)
{
	const char *const *t[] = { regs64, regs32, regs16, regs8 };
	unsigned int i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 16; j++)
			if (strlen(t[i][j]) == n && !strncmp(t[i][j], s, n))
				return j;
	return -1;
}

static const char *const seg_names[] = { "es", "cs", "ss", "ds", "fs", "gs" };

struct pmem {
	int size;	/* from "X PTR", 0 if none */
	int seg;	/* shown segment, -1 if none */
	int base, index, scale, rip;
	unsigned long long disp;
};

/* Parses a memory operand; 0 if @o is not one. */
static int parse_mem(const char *o, struct pmem *m)
{
	static const char *const sizes[] = { "BYTE", "WORD", "DWORD", "QWORD" };
	const char *p = o;
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->seg = m->base = m->index = -1;
	m->scale = 1;
	for (i = 0; i < 4; i++) {
		size_t l = strlen(sizes[i]);

		if (!strncmp(p, sizes[i], l) && !strncmp(p + l, " PTR ", 5)) {
			m->size = 1 << i;
			p += l + 5;
		}
	}
	if (p[0] && p[1] && p[2] == ':') {
		for (i = 0; i < 6; i++)
			if (!strncmp(p, seg_names[i], 2))
				m->seg = i;
		p += 3;
	}
	if (*p == '[') {
		int neg = 0;

		p++;
		while (*p && *p != ']') {
			const char *s = p;
			size_t n;

			if (*p == '+' || *p == '-') {
				neg = *p == '-';
				p++;
				continue;
			}
			if (!strncmp(p, "0x", 2)) {
				unsigned long long v = strtoull(p, (char **)&p, 16);

				m->disp += neg ? -v : v;
				continue;
			}
			while (*p && *p != '+' && *p != '-' && *p != ']' &&
			       *p != '*')
				p++;
			n = p - s;
			if (*p == '*') {
				int sc = strtol(p + 1, (char **)&p, 10);

				if (strncmp(s, "riz", 3) && strncmp(s, "eiz", 3)) {
					m->index = reg_num(s, n);
					m->scale = sc;
				}
			} else if ((n == 3 && !strncmp(s, "rip", 3)) ||
				   (n == 3 && !strncmp(s, "eip", 3))) {
				m->rip = 1;
			} else if (m->base < 0 && (n != 3 ||
				   (strncmp(s, "riz", 3) && strncmp(s, "eiz", 3)))) {
				m->base = reg_num(s, n);
			} else if (n != 3 || (strncmp(s, "riz", 3) &&
				   strncmp(s, "eiz", 3))) {
				/* 16-bit "bx+si": the second is the index */
				m->index = reg_num(s, n);
			}
		}
		return 1;
	}
	if (m->seg >= 0 && !strncmp(p, "0x", 2)) {
		m->disp = strtoull(p, NULL, 16);
		return 1;
	}
	return 0;
}

static const char *const op_mnems[][2] = {
	[MINIHV_OP_MOV] = { "mov", "movabs" },
	[MINIHV_OP_MOVZX] = { "movzx", "movzx" },
	[MINIHV_OP_MOVSX] = { "movsx", "movsxd" },
	[MINIHV_OP_MOVS] = { "movs", "movs" },
	[MINIHV_OP_STOS] = { "stos", "stos" },
	[MINIHV_OP_LODS] = { "lods", "lods" },
	[MINIHV_OP_ADD] = { "add", "add" },
	[MINIHV_OP_OR] = { "or", "or" },
	[MINIHV_OP_ADC] = { "adc", "adc" },
	[MINIHV_OP_SBB] = { "sbb", "sbb" },
	[MINIHV_OP_AND] = { "and", "and" },
	[MINIHV_OP_SUB] = { "sub", "sub" },
	[MINIHV_OP_XOR] = { "xor", "xor" },
	[MINIHV_OP_CMP] = { "cmp", "cmp" },
	[MINIHV_OP_TEST] = { "test", "test" },
	[MINIHV_OP_XCHG] = { "xchg", "xchg" },
};

static int supported_mnem(const char *m)
{
	unsigned int i;

	for (i = 1; i < sizeof(op_mnems) / sizeof(op_mnems[0]); i++)
		if (!strcmp(m, op_mnems[i][0]) || !strcmp(m, op_mnems[i][1]))
			return 1;
	return 0;
}

static int cmp_mem(const struct minihv_insn *in, const struct minihv_mem *m,
		   const struct pmem *p, char *why, size_t n)
{
	u64 mask = in->addr_size == 8 ? ~0ULL :
		   (1ULL << (in->addr_size * 8)) - 1;

	if (p->size && p->size != in->size)
		return snprintf(why, n, "size %d vs %u", p->size, in->size);
	if (p->base != m->base || p->index != m->index)
		return snprintf(why, n, "base/index %d/%d vs %d/%d", p->base,
				p->index, m->base, m->index);
	if (p->index >= 0 && p->scale != m->scale)
		return snprintf(why, n, "scale %d vs %u", p->scale, m->scale);
	if (p->rip != m->rip_rel)
		return snprintf(why, n, "rip-relative differs");
	if (!p->rip && ((p->disp ^ m->disp) & mask))
		return snprintf(why, n, "disp %#llx vs %#llx", p->disp,
				m->disp);
	if (p->rip && ((p->disp ^ m->disp) & 0xffffffffULL))
		return snprintf(why, n, "rip disp %#llx vs %#llx", p->disp,
				m->disp);
	if (p->seg >= 0 && (in->mode != MINIHV_MODE_64 || p->seg >= 4) &&
	    p->seg != m->seg)
		return snprintf(why, n, "seg %d vs %u", p->seg, m->seg);
	if (p->seg < 0 && in->mode == MINIHV_MODE_64 && m->seg >= 4)
		return snprintf(why, n, "objdump shows no fs/gs");
	if (p->seg < 0 && in->mode != MINIHV_MODE_64 && in->seg_override &&
	    in->op != MINIHV_OP_STOS)
		return snprintf(why, n, "objdump shows no override");
	return 0;
}

/* 0 if objdump agrees with us; else a reason in @why. */
static int compare(int err, const struct minihv_insn *in, struct dis *d,
		   char *why, size_t n)
{
	struct pmem pm[4];
	const struct minihv_mem *ours[2];
	int nmem = 0, nours, i, k;
	const char *reg = NULL;
	int has_imm = 0, sreg = 0;
	unsigned long long imm = 0;

	*why = 0;
	for (i = 0; i < d->nops; i++) {
		if (parse_mem(d->ops[i], &pm[nmem])) {
			nmem++;
		} else if (!strncmp(d->ops[i], "0x", 2) ||
			   isdigit((unsigned char)d->ops[i][0])) {
			has_imm = 1;
			imm = strtoull(d->ops[i], NULL, 0);
		} else {
			reg = d->ops[i];
			for (k = 0; k < 6; k++)
				if (!strcmp(reg, seg_names[k]))
					sreg = 1;
			if (!strcmp(reg, "?"))
				sreg = 1;
		}
	}
	if (err) {
		if (d->bad)
			return 0;
		if (err == MINIHV_DEC_E_LONG && d->len > MINIHV_INSN_MAX)
			return 0;
		if (err == MINIHV_DEC_E_LOCK && d->lock)
			return 0;
		if (err == MINIHV_DEC_E_NOMEM && !nmem)
			return 0;
		if (err == MINIHV_DEC_E_OPCODE &&
		    (!supported_mnem(d->mnem) || !nmem || sreg))
			return 0;
		/* 66 63 is refused on purpose (vendors differ) */
		if (err == MINIHV_DEC_E_OPCODE && !strcmp(d->mnem, "movsxd") &&
		    reg && reg_num(reg, strlen(reg)) >= 0 &&
		    !strcmp(reg, regs16[reg_num(reg, strlen(reg))]))
			return 0;
		return snprintf(why, n, "we refuse (%d), objdump takes it", err);
	}
	if (d->bad)
		return snprintf(why, n, "objdump says (bad)");
	if (d->len != in->len)
		return snprintf(why, n, "length %u vs our %u", d->len, in->len);
	if (strcmp(d->mnem, op_mnems[in->op][0]) &&
	    strcmp(d->mnem, op_mnems[in->op][1]))
		return snprintf(why, n, "mnemonic vs our op %u", in->op);
	if (d->lock != in->lock)
		return snprintf(why, n, "lock differs");
	ours[0] = &in->mem;
	nours = 1;
	if (in->op == MINIHV_OP_MOVS) {
		/* objdump: es:[rdi] first, then the source */
		ours[0] = &in->mem2;
		ours[1] = &in->mem;
		nours = 2;
	}
	if (nmem != nours)
		return snprintf(why, n, "%d memory operands vs %d", nmem, nours);
	for (i = 0; i < nmem; i++) {
		k = cmp_mem(in, ours[i], &pm[i], why, n);
		if (k)
			return k;
	}
	if (in->has_reg != !!reg)
		return snprintf(why, n, "register operand presence");
	if (reg && strcmp(reg, reg_name(in->reg, in->opsize, in->reg_high8)))
		return snprintf(why, n, "register %s vs %s", reg,
				reg_name(in->reg, in->opsize, in->reg_high8));
	if (in->has_imm != has_imm)
		return snprintf(why, n, "immediate presence");
	if (has_imm && imm != in->imm)
		return snprintf(why, n, "imm %#llx vs %#llx", imm, in->imm);
	return 0;
}

static void hexdump(char *p, size_t n, const unsigned char *b, unsigned int l)
{
	unsigned int i;
	int k = 0;

	for (i = 0; i < l && k < (int)n - 4; i++)
		k += snprintf(p + k, n - k, "%02x ", b[i]);
}

/* Returns the number of mismatches. */
static unsigned int run_mode(int mode, unsigned int count, int *tapno)
{
	const char *march = mode == MINIHV_MODE_64 ? "i386:x86-64" :
			    mode == MINIHV_MODE_32 ? "i386" : "i8086";
	const char *mname = mode == MINIHV_MODE_64 ? "64" :
			    mode == MINIHV_MODE_32 ? "32" : "16";
	unsigned int i, mism = 0, accepted = 0, shown = 0, seen = 0;
	unsigned char *bytes = malloc((size_t)count * SLOT);
	unsigned char *obytes = malloc((size_t)count * SLOT);
	struct dis *dis = calloc(count, sizeof(*dis));
	char path[] = "/tmp/decode_fuzz.XXXXXX";
	char cmd[256], line[512];
	FILE *f;
	int fd;

	if (!bytes || !obytes || !dis) {
		perror("malloc");
		exit(2);
	}
	for (i = 0; i < count; i++) {
		gen(bytes + (size_t)i * SLOT, mode);
		memcpy(obytes + (size_t)i * SLOT, bytes + (size_t)i * SLOT,
		       SLOT);
		dis[i].stripped = strip_dead_rex(obytes + (size_t)i * SLOT,
						 mode);
	}
	fd = mkstemp(path);
	if (fd < 0 || write(fd, obytes, (size_t)count * SLOT) !=
	    (ssize_t)((size_t)count * SLOT)) {
		perror(path);
		exit(2);
	}
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "objdump -D -b binary -m %s -M intel --insn-width=16 %s",
		 march, path);
	f = popen(cmd, "r");
	if (!f) {
		perror("objdump");
		exit(2);
	}
	/* The first complete instruction at each slot's start. */
	while (fgets(line, sizeof(line), f)) {
		unsigned long addr;
		unsigned int nb, slot;
		char *text;
		struct dis *d;

		if (!parse_line(line, &addr, &nb, &text))
			continue;
		slot = addr / SLOT;
		if (slot >= count)
			continue;
		d = &dis[slot];
		if (d->mnem[0] || addr - (unsigned long)slot * SLOT != d->len)
			continue;	/* done, or past the first insn */
		d->len += nb;
		if (!parse_text(text, d))
			seen++;
	}
	pclose(f);
	unlink(path);
	for (i = 0; i < count; i++)
		dis[i].len += dis[i].stripped;

	for (i = 0; i < count; i++) {
		const unsigned char *b = bytes + (size_t)i * SLOT;
		struct minihv_insn in;
		char why[160], hex[100];
		int err = minihv_decode(&in, b, SLOT, mode);

		if (!err)
			accepted++;
		if (!dis[i].mnem[0])
			snprintf(why, sizeof(why), "objdump gave nothing");
		else if (!compare(err, &in, &dis[i], why, sizeof(why)))
			continue;
		mism++;
		if (shown++ < 20) {
			hexdump(hex, sizeof(hex), b, RAND);
			printf("# mode %s [%s]: %s: %s %s%s%s\n", mname, hex,
			       why, dis[i].mnem, dis[i].ops[0],
			       dis[i].nops > 1 ? "," : "",
			       dis[i].nops > 1 ? dis[i].ops[1] : "");
		}
	}
	printf("%sok %d fuzz%s vs objdump: %u cases, %u decoded, %u refused, %u mismatches\n",
	       mism ? "not " : "", ++*tapno, mname, count, accepted,
	       count - accepted, mism);
	free(bytes);
	free(obytes);
	free(dis);
	return mism + (seen != count);
}

int main(int argc, char **argv)
{
	unsigned int count = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	unsigned long long seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	unsigned int bad = 0;
	int tapno = 0;

	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	printf("1..3\n");
	bad += run_mode(MINIHV_MODE_64, count - 2 * (count / 3), &tapno);
	bad += run_mode(MINIHV_MODE_32, count / 3, &tapno);
	bad += run_mode(MINIHV_MODE_16, count / 3, &tapno);
	return bad ? 1 : 0;
}
