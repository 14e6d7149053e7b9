// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/decode.c, built and run on the host; prints TAP.
 *
 * Each decode case gives the bytes and the expected summary (see
 * summarize()): its fields, or "E:<error>".  Every accepted case is also
 * decoded again from exactly its length (same result) and from every
 * shorter length (must be E:TRUNC), so the decoder is shown never to need
 * a byte past the instruction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define M16 MINIHV_MODE_16
#define M32 MINIHV_MODE_32
#define M64 MINIHV_MODE_64

static int nr_test, nr_fail;

static void tap(int ok, const char *name, const char *diag)
{
	nr_test++;
	if (!ok)
		nr_fail++;
	printf("%sok %d %s\n", ok ? "" : "not ", nr_test, name);
	if (!ok && diag)
		printf("# %s\n", diag);
}

static const char *const op_names[] = {
	"none", "mov", "movzx", "movsx", "movs", "stos", "lods", "add", "or",
	"adc", "sbb", "and", "sub", "xor", "cmp", "test", "xchg",
	"sgdt", "sidt", "lgdt", "lidt", "smsw", "lmsw", "invlpg", "clts",
	"invd", "wbinvd", "movfromcr", "movfromdr", "movtocr", "movtodr",
	"wrmsr", "rdmsr", "hlt",
};

static const char *const seg_names[] = { "es", "cs", "ss", "ds", "fs", "gs" };

static const char *err_name(int err)
{
	switch (err) {
	case MINIHV_DEC_E_TRUNC:
		return "E:TRUNC";
	case MINIHV_DEC_E_LONG:
		return "E:LONG";
	case MINIHV_DEC_E_OPCODE:
		return "E:OPCODE";
	case MINIHV_DEC_E_LOCK:
		return "E:LOCK";
	case MINIHV_DEC_E_NOMEM:
		return "E:NOMEM";
	case MINIHV_DEC_E_ARG:
		return "E:ARG";
	}
	return "E:?";
}

static int mem_str(char *p, size_t n, const struct minihv_mem *m)
{
	int k = snprintf(p, n, "%s:", seg_names[m->seg]);

	if (m->rip_rel)
		k += snprintf(p + k, n - k, "rip");
	else if (m->base >= 0)
		k += snprintf(p + k, n - k, "r%d", m->base);
	else
		k += snprintf(p + k, n - k, "-");
	if (m->index >= 0)
		k += snprintf(p + k, n - k, "+r%d*%u", m->index, m->scale);
	else if (m->scale != 1)
		k += snprintf(p + k, n - k, "!scale%u", m->scale);
	if ((long long)m->disp < 0)
		k += snprintf(p + k, n - k, "-%#llx", -m->disp);
	else
		k += snprintf(p + k, n - k, "+%#llx", m->disp);
	return k;
}

/*
 * "<len> <op> <r|w|rw> s<size> o<opsize> a<addr_size> [r<reg>[h]]
 *  [i<imm>] [zx|sx] m=<seg>:<base>[+<index>*<scale>]<+-disp> [m2=...]
 *  [rep|repne] [lock]"
 */
static void summarize(char *p, size_t n, int err,
		      const struct minihv_insn *in)
{
	static const char *const dirs[] = { "-", "r", "w", "rw" };
	int k;

	if (err) {
		snprintf(p, n, "%s", err_name(err));
		return;
	}
	k = snprintf(p, n, "%u %s %s s%u o%u a%u", in->len, op_names[in->op],
		     dirs[in->dir & 3], in->size, in->opsize, in->addr_size);
	if (in->has_reg)
		k += snprintf(p + k, n - k, " r%u%s", in->reg,
			      in->reg_high8 ? "h" : "");
	if (in->has_imm)
		k += snprintf(p + k, n - k, " i%llx", in->imm);
	if (in->ext)
		k += snprintf(p + k, n - k, " %s",
			      in->ext == MINIHV_EXT_ZERO ? "zx" : "sx");
	k += snprintf(p + k, n - k, " m=");
	k += mem_str(p + k, n - k, &in->mem);
	if (in->op == MINIHV_OP_MOVS) {
		k += snprintf(p + k, n - k, " m2=");
		k += mem_str(p + k, n - k, &in->mem2);
	}
	if (in->rep)
		k += snprintf(p + k, n - k, " %s",
			      in->rep == MINIHV_REP_E ? "rep" : "repne");
	if (in->lock)
		k += snprintf(p + k, n - k, " lock");
}

static unsigned int parse_hex(const char *s, unsigned char *buf)
{
	unsigned int n = 0;

	while (*s) {
		char *end;
		unsigned long v;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		v = strtoul(s, &end, 16);
		if (end == s) {
			fprintf(stderr, "bad hex: %s\n", s);
			exit(2);
		}
		buf[n++] = v;
		s = end;
	}
	return n;
}

struct dcase {
	int mode;
	const char *hex;
	const char *want;
};

static const char *mode_name(int mode)
{
	return mode == M16 ? "16" : mode == M32 ? "32" : "64";
}

/* A decoder under test: its entry point, its summary, its TAP name. */
struct decoder {
	int (*decode)(struct minihv_insn *insn, const u8 *buf,
		      unsigned int len, enum minihv_dec_mode mode);
	void (*summarize)(char *p, size_t n, int err,
			  const struct minihv_insn *in);
	const char *name;
};

/* Decode @c with @d: the summary, then the same bytes, then fewer. */
static void run_case(const struct decoder *d, const struct dcase *c)
{
	unsigned char buf[64], *copy;
	char got[256], name[256], diag[600], again[256];
	struct minihv_insn in, in2;
	unsigned int n, l;
	int err, ok;

	n = parse_hex(c->hex, buf);
	err = d->decode(&in, buf, n, c->mode);
	d->summarize(got, sizeof(got), err, &in);
	ok = !strcmp(got, c->want);
	snprintf(diag, sizeof(diag), "want \"%s\" got \"%s\"", c->want, got);
	if (ok && !err) {
		/* Exactly its length, then each shorter one, heap-exact. */
		for (l = in.len; ok && l > 0; l--) {
			copy = malloc(l);
			memcpy(copy, buf, l);
			err = d->decode(&in2, copy, l, c->mode);
			free(copy);
			d->summarize(again, sizeof(again), err, &in2);
			if (l == in.len)
				ok = !strcmp(again, got) &&
				     !memcmp(&in, &in2, sizeof(in));
			else
				ok = err == MINIHV_DEC_E_TRUNC;
			if (!ok)
				snprintf(diag, sizeof(diag),
					 "decoding %u bytes gave \"%s\"", l,
					 again);
		}
	}
	snprintf(name, sizeof(name), "%s%s [%s] -> %s", d->name,
		 mode_name(c->mode), c->hex, c->want);
	tap(ok, name, diag);
}

static const struct dcase cases[] = {
	/* 64-bit: MOV forms */
	{ M64, "89 00", "2 mov w s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "8b 08", "2 mov r s4 o4 a8 r1 m=ds:r0+0" },
	{ M64, "48 89 08", "3 mov w s8 o8 a8 r1 m=ds:r0+0" },
	{ M64, "66 89 08", "3 mov w s2 o2 a8 r1 m=ds:r0+0" },
	{ M64, "88 20", "2 mov w s1 o1 a8 r0h m=ds:r0+0" },
	{ M64, "8a 3b", "2 mov r s1 o1 a8 r3h m=ds:r3+0" },
	{ M64, "8a 1b", "2 mov r s1 o1 a8 r3 m=ds:r3+0" },
	{ M64, "40 88 20", "3 mov w s1 o1 a8 r4 m=ds:r0+0" },
	{ M64, "40 8a 38", "3 mov r s1 o1 a8 r7 m=ds:r0+0" },
	{ M64, "44 88 20", "3 mov w s1 o1 a8 r12 m=ds:r0+0" },
	{ M64, "41 88 20", "3 mov w s1 o1 a8 r4 m=ds:r8+0" },
	{ M64, "4c 89 00", "3 mov w s8 o8 a8 r8 m=ds:r0+0" },
	{ M64, "4d 8b 3f", "3 mov r s8 o8 a8 r15 m=ds:r15+0" },
	{ M64, "66 48 89 08", "4 mov w s8 o8 a8 r1 m=ds:r0+0" },
	/* a REX followed by another prefix is ignored */
	{ M64, "48 66 89 08", "4 mov w s2 o2 a8 r1 m=ds:r0+0" },
	{ M64, "41 66 89 00", "4 mov w s2 o2 a8 r0 m=ds:r0+0" },
	{ M64, "44 f3 88 20", "4 mov w s1 o1 a8 r0h m=ds:r0+0 rep" },
	{ M64, "40 41 89 00", "4 mov w s4 o4 a8 r0 m=ds:r8+0" },
	{ M64, "48 40 89 00", "4 mov w s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "66 66 89 00", "4 mov w s2 o2 a8 r0 m=ds:r0+0" },
	/* 64-bit: ModRM/SIB addressing */
	{ M64, "89 04 24", "3 mov w s4 o4 a8 r0 m=ss:r4+0" },
	{ M64, "89 45 10", "3 mov w s4 o4 a8 r0 m=ss:r5+0x10" },
	{ M64, "89 45 f0", "3 mov w s4 o4 a8 r0 m=ss:r5-0x10" },
	{ M64, "89 85 00 01 00 00", "6 mov w s4 o4 a8 r0 m=ss:r5+0x100" },
	{ M64, "89 85 00 00 00 80",
	  "6 mov w s4 o4 a8 r0 m=ss:r5-0x80000000" },
	{ M64, "89 05 10 00 00 00", "6 mov w s4 o4 a8 r0 m=ds:rip+0x10" },
	{ M64, "41 89 05 10 00 00 00", "7 mov w s4 o4 a8 r0 m=ds:rip+0x10" },
	{ M64, "67 89 05 f0 ff ff ff", "7 mov w s4 o4 a4 r0 m=ds:rip-0x10" },
	{ M64, "89 04 25 78 56 34 12", "7 mov w s4 o4 a8 r0 m=ds:-+0x12345678" },
	{ M64, "89 04 25 f0 ff ff ff", "7 mov w s4 o4 a8 r0 m=ds:--0x10" },
	{ M64, "41 89 04 25 10 00 00 00", "8 mov w s4 o4 a8 r0 m=ds:-+0x10" },
	{ M64, "89 04 65 10 00 00 00", "7 mov w s4 o4 a8 r0 m=ds:-+0x10" },
	{ M64, "42 89 04 65 10 00 00 00",
	  "8 mov w s4 o4 a8 r0 m=ds:-+r12*2+0x10" },
	{ M64, "89 04 dd 00 10 00 00", "7 mov w s4 o4 a8 r0 m=ds:-+r3*8+0x1000" },
	{ M64, "89 04 98", "3 mov w s4 o4 a8 r0 m=ds:r0+r3*4+0" },
	{ M64, "89 44 98 f0", "4 mov w s4 o4 a8 r0 m=ds:r0+r3*4-0x10" },
	{ M64, "89 84 98 00 01 00 00", "7 mov w s4 o4 a8 r0 m=ds:r0+r3*4+0x100" },
	{ M64, "89 0c 60", "3 mov w s4 o4 a8 r1 m=ds:r0+0" },
	{ M64, "89 44 65 08", "4 mov w s4 o4 a8 r0 m=ss:r5+0x8" },
	{ M64, "42 89 04 20", "4 mov w s4 o4 a8 r0 m=ds:r0+r12*1+0" },
	{ M64, "43 89 04 e4", "4 mov w s4 o4 a8 r0 m=ds:r12+r12*8+0" },
	{ M64, "41 89 04 24", "4 mov w s4 o4 a8 r0 m=ds:r12+0" },
	{ M64, "41 89 45 00", "4 mov w s4 o4 a8 r0 m=ds:r13+0" },
	{ M64, "41 89 44 24 08", "5 mov w s4 o4 a8 r0 m=ds:r12+0x8" },
	{ M64, "67 89 00", "3 mov w s4 o4 a4 r0 m=ds:r0+0" },
	{ M64, "67 41 89 04 24", "5 mov w s4 o4 a4 r0 m=ds:r12+0" },
	/* 64-bit: segment overrides, the last one wins */
	{ M64, "64 89 00", "3 mov w s4 o4 a8 r0 m=fs:r0+0" },
	{ M64, "65 48 8b 04 25 28 00 00 00",
	  "9 mov r s8 o8 a8 r0 m=gs:-+0x28" },
	{ M64, "2e 89 00", "3 mov w s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "36 89 00", "3 mov w s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "26 89 00", "3 mov w s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "64 26 89 00", "4 mov w s4 o4 a8 r0 m=fs:r0+0" },
	{ M64, "65 3e a4", "3 movs rw s1 o1 a8 m=gs:r6+0 m2=es:r7+0" },
	{ M64, "3e 89 04 24", "4 mov w s4 o4 a8 r0 m=ss:r4+0" },
	{ M64, "64 65 89 00", "4 mov w s4 o4 a8 r0 m=gs:r0+0" },
	{ M64, "65 64 89 05 00 00 00 00", "8 mov w s4 o4 a8 r0 m=fs:rip+0" },
	/* 64-bit: MOV immediate */
	{ M64, "c6 00 ff", "3 mov w s1 o1 a8 iff m=ds:r0+0" },
	{ M64, "c7 00 ff ff ff ff", "6 mov w s4 o4 a8 iffffffff m=ds:r0+0" },
	{ M64, "48 c7 00 ff ff ff ff",
	  "7 mov w s8 o8 a8 iffffffffffffffff m=ds:r0+0" },
	{ M64, "48 c7 00 ff ff ff 7f", "7 mov w s8 o8 a8 i7fffffff m=ds:r0+0" },
	{ M64, "66 c7 00 34 12", "5 mov w s2 o2 a8 i1234 m=ds:r0+0" },
	{ M64, "66 c7 00 34 92", "5 mov w s2 o2 a8 i9234 m=ds:r0+0" },
	{ M64, "c7 40 08 01 00 00 00", "7 mov w s4 o4 a8 i1 m=ds:r0+0x8" },
	{ M64, "c7 05 10 00 00 00 01 00 00 00",
	  "10 mov w s4 o4 a8 i1 m=ds:rip+0x10" },
	{ M64, "c6 44 24 fc 7f", "5 mov w s1 o1 a8 i7f m=ss:r4-0x4" },
	{ M64, "41 c6 04 24 01", "5 mov w s1 o1 a8 i1 m=ds:r12+0" },
	{ M64, "c6 08 00", "E:OPCODE" },
	{ M64, "c7 38 00 00 00 00", "E:OPCODE" },
	{ M64, "c7 c0 00 00 00 00", "E:NOMEM" },
	/* 64-bit: moffs */
	{ M64, "a1 88 77 66 55 44 33 22 11",
	  "9 mov r s4 o4 a8 r0 m=ds:-+0x1122334455667788" },
	{ M64, "48 a3 88 77 66 55 44 33 22 11",
	  "10 mov w s8 o8 a8 r0 m=ds:-+0x1122334455667788" },
	{ M64, "a0 00 10 00 00 00 00 00 00", "9 mov r s1 o1 a8 r0 m=ds:-+0x1000" },
	{ M64, "a2 00 10 00 00 00 00 00 00", "9 mov w s1 o1 a8 r0 m=ds:-+0x1000" },
	{ M64, "66 a1 00 10 00 00 00 00 00 00",
	  "10 mov r s2 o2 a8 r0 m=ds:-+0x1000" },
	{ M64, "67 a1 78 56 34 12", "6 mov r s4 o4 a4 r0 m=ds:-+0x12345678" },
	{ M64, "64 a1 00 10 00 00 00 00 00 00",
	  "10 mov r s4 o4 a8 r0 m=fs:-+0x1000" },
	{ M64, "a1 00 00 00 00", "E:TRUNC" },
	/* 64-bit: MOVZX/MOVSX/MOVSXD */
	{ M64, "0f b6 00", "3 movzx r s1 o4 a8 r0 zx m=ds:r0+0" },
	{ M64, "48 0f b7 00", "4 movzx r s2 o8 a8 r0 zx m=ds:r0+0" },
	{ M64, "66 0f b6 00", "4 movzx r s1 o2 a8 r0 zx m=ds:r0+0" },
	{ M64, "66 0f b7 00", "4 movzx r s2 o2 a8 r0 zx m=ds:r0+0" },
	{ M64, "0f be 38", "3 movsx r s1 o4 a8 r7 sx m=ds:r0+0" },
	{ M64, "48 0f bf 00", "4 movsx r s2 o8 a8 r0 sx m=ds:r0+0" },
	{ M64, "44 0f b6 40 10", "5 movzx r s1 o4 a8 r8 zx m=ds:r0+0x10" },
	{ M64, "48 63 00", "3 movsx r s4 o8 a8 r0 sx m=ds:r0+0" },
	{ M64, "63 00", "2 movsx r s4 o4 a8 r0 sx m=ds:r0+0" },
	{ M64, "66 63 00", "E:OPCODE" },
	{ M64, "4c 63 4d 08", "4 movsx r s4 o8 a8 r9 sx m=ss:r5+0x8" },
	{ M64, "0f b6 c0", "E:NOMEM" },
	{ M64, "0f", "E:TRUNC" },
	/* 64-bit: string ops */
	{ M64, "aa", "1 stos w s1 o1 a8 r0 m=es:r7+0" },
	{ M64, "ab", "1 stos w s4 o4 a8 r0 m=es:r7+0" },
	{ M64, "48 ab", "2 stos w s8 o8 a8 r0 m=es:r7+0" },
	{ M64, "66 ab", "2 stos w s2 o2 a8 r0 m=es:r7+0" },
	{ M64, "f3 ab", "2 stos w s4 o4 a8 r0 m=es:r7+0 rep" },
	{ M64, "f2 ab", "2 stos w s4 o4 a8 r0 m=es:r7+0 repne" },
	{ M64, "f3 48 ab", "3 stos w s8 o8 a8 r0 m=es:r7+0 rep" },
	{ M64, "67 f3 ab", "3 stos w s4 o4 a4 r0 m=es:r7+0 rep" },
	{ M64, "64 aa", "2 stos w s1 o1 a8 r0 m=es:r7+0" },
	{ M64, "a4", "1 movs rw s1 o1 a8 m=ds:r6+0 m2=es:r7+0" },
	{ M64, "f3 48 a5", "3 movs rw s8 o8 a8 m=ds:r6+0 m2=es:r7+0 rep" },
	{ M64, "64 a4", "2 movs rw s1 o1 a8 m=fs:r6+0 m2=es:r7+0" },
	{ M64, "67 66 a5", "3 movs rw s2 o2 a4 m=ds:r6+0 m2=es:r7+0" },
	{ M64, "ac", "1 lods r s1 o1 a8 r0 m=ds:r6+0" },
	{ M64, "f3 ad", "2 lods r s4 o4 a8 r0 m=ds:r6+0 rep" },
	{ M64, "65 48 ad", "3 lods r s8 o8 a8 r0 m=gs:r6+0" },
	/* 64-bit: ALU, TEST, XCHG */
	{ M64, "01 00", "2 add rw s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "09 08", "2 or rw s4 o4 a8 r1 m=ds:r0+0" },
	{ M64, "11 00", "2 adc rw s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "19 00", "2 sbb rw s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "21 00", "2 and rw s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "29 00", "2 sub rw s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "31 00", "2 xor rw s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "39 00", "2 cmp r s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "38 20", "2 cmp r s1 o1 a8 r0h m=ds:r0+0" },
	{ M64, "03 00", "2 add r s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "0a 20", "2 or r s1 o1 a8 r0h m=ds:r0+0" },
	{ M64, "48 23 00", "3 and r s8 o8 a8 r0 m=ds:r0+0" },
	{ M64, "3b 00", "2 cmp r s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "80 08 01", "3 or rw s1 o1 a8 i1 m=ds:r0+0" },
	{ M64, "81 20 ff 00 00 00", "6 and rw s4 o4 a8 iff m=ds:r0+0" },
	{ M64, "83 08 ff", "3 or rw s4 o4 a8 iffffffff m=ds:r0+0" },
	{ M64, "48 83 08 ff", "4 or rw s8 o8 a8 iffffffffffffffff m=ds:r0+0" },
	{ M64, "66 83 08 ff", "4 or rw s2 o2 a8 iffff m=ds:r0+0" },
	{ M64, "66 81 08 00 80", "5 or rw s2 o2 a8 i8000 m=ds:r0+0" },
	{ M64, "48 81 08 00 00 00 80",
	  "7 or rw s8 o8 a8 iffffffff80000000 m=ds:r0+0" },
	{ M64, "80 38 05", "3 cmp r s1 o1 a8 i5 m=ds:r0+0" },
	{ M64, "83 7d 10 00", "4 cmp r s4 o4 a8 i0 m=ss:r5+0x10" },
	{ M64, "80 10 01", "3 adc rw s1 o1 a8 i1 m=ds:r0+0" },
	{ M64, "80 18 01", "3 sbb rw s1 o1 a8 i1 m=ds:r0+0" },
	{ M64, "80 28 01", "3 sub rw s1 o1 a8 i1 m=ds:r0+0" },
	{ M64, "80 30 01", "3 xor rw s1 o1 a8 i1 m=ds:r0+0" },
	{ M64, "80 00 01", "3 add rw s1 o1 a8 i1 m=ds:r0+0" },
	{ M64, "80 c0 01", "E:NOMEM" },
	{ M64, "01 c0", "E:NOMEM" },
	{ M64, "85 00", "2 test r s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "84 20", "2 test r s1 o1 a8 r0h m=ds:r0+0" },
	{ M64, "f6 00 80", "3 test r s1 o1 a8 i80 m=ds:r0+0" },
	{ M64, "f6 40 10 04", "4 test r s1 o1 a8 i4 m=ds:r0+0x10" },
	{ M64, "f7 00 00 00 00 80", "6 test r s4 o4 a8 i80000000 m=ds:r0+0" },
	{ M64, "66 f7 00 01 00", "5 test r s2 o2 a8 i1 m=ds:r0+0" },
	{ M64, "f6 08 01", "3 test r s1 o1 a8 i1 m=ds:r0+0" },
	{ M64, "f7 48 04 01 00 00 00", "7 test r s4 o4 a8 i1 m=ds:r0+0x4" },
	{ M64, "f6 18", "E:OPCODE" },
	{ M64, "f7 10", "E:OPCODE" },
	{ M64, "87 00", "2 xchg rw s4 o4 a8 r0 m=ds:r0+0" },
	{ M64, "86 20", "2 xchg rw s1 o1 a8 r0h m=ds:r0+0" },
	{ M64, "48 87 08", "3 xchg rw s8 o8 a8 r1 m=ds:r0+0" },
	/* 64-bit: LOCK */
	{ M64, "f0 09 00", "3 or rw s4 o4 a8 r0 m=ds:r0+0 lock" },
	{ M64, "f0 80 08 01", "4 or rw s1 o1 a8 i1 m=ds:r0+0 lock" },
	{ M64, "f0 87 00", "3 xchg rw s4 o4 a8 r0 m=ds:r0+0 lock" },
	{ M64, "66 f0 83 00 01", "5 add rw s2 o2 a8 i1 m=ds:r0+0 lock" },
	{ M64, "f0 80 38 05", "E:LOCK" },
	{ M64, "f0 39 00", "E:LOCK" },
	{ M64, "f0 03 00", "E:LOCK" },
	{ M64, "f0 85 00", "E:LOCK" },
	{ M64, "f0 89 00", "E:LOCK" },
	{ M64, "f0 8b 00", "E:LOCK" },
	{ M64, "f0 c7 00 00 00 00 00", "E:LOCK" },
	{ M64, "f0 a1 00 00 00 00 00 00 00 00", "E:LOCK" },
	{ M64, "f0 ab", "E:LOCK" },
	{ M64, "f0 0f b6 00", "E:LOCK" },
	/* 64-bit: unsupported, register-direct, truncated, too long */
	{ M64, "90", "E:OPCODE" },
	{ M64, "8e 18", "E:OPCODE" },
	{ M64, "8c 18", "E:OPCODE" },
	{ M64, "0f 05", "E:OPCODE" },
	{ M64, "ff 00", "E:OPCODE" },
	{ M64, "8d 00", "E:OPCODE" },
	{ M64, "82 00 01", "E:OPCODE" },
	{ M64, "0f 10 00", "E:OPCODE" },
	{ M64, "89 c0", "E:NOMEM" },
	{ M64, "8a e0", "E:NOMEM" },
	{ M64, "", "E:TRUNC" },
	{ M64, "66", "E:TRUNC" },
	{ M64, "40", "E:TRUNC" },
	{ M64, "89", "E:TRUNC" },
	{ M64, "89 04", "E:TRUNC" },
	{ M64, "89 05 10 00 00", "E:TRUNC" },
	{ M64, "89 44 24", "E:TRUNC" },
	{ M64, "c7 00 01 00", "E:TRUNC" },
	{ M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 89 00",
	  "15 mov w s2 o2 a8 r0 m=ds:r0+0" },
	{ M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 89 00", "E:LONG" },
	{ M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66", "E:LONG" },
	{ M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66", "E:TRUNC" },
	{ M64, "f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 f3 ab",
	  "15 stos w s4 o4 a8 r0 m=es:r7+0 rep" },
	{ M64, "64 64 64 64 64 64 66 c7 84 98 00 01 00 00 34 12", "E:LONG" },
	{ M64, "64 64 64 64 64 66 c7 84 98 00 01 00 00 34 12",
	  "15 mov w s2 o2 a8 i1234 m=fs:r0+r3*4+0x100" },
	{ M64, "48 c7 84 98 00 01 00 00 01 02 03",
	  "E:TRUNC" },

	/* 32-bit */
	{ M32, "89 00", "2 mov w s4 o4 a4 r0 m=ds:r0+0" },
	{ M32, "66 89 00", "3 mov w s2 o2 a4 r0 m=ds:r0+0" },
	{ M32, "88 20", "2 mov w s1 o1 a4 r0h m=ds:r0+0" },
	{ M32, "89 05 10 00 00 00", "6 mov w s4 o4 a4 r0 m=ds:-+0x10" },
	{ M32, "8b 44 24 04", "4 mov r s4 o4 a4 r0 m=ss:r4+0x4" },
	{ M32, "8b 84 8b 00 10 00 00", "7 mov r s4 o4 a4 r0 m=ds:r3+r1*4+0x1000" },
	{ M32, "89 04 8d 00 00 e0 fe", "7 mov w s4 o4 a4 r0 m=ds:-+r1*4-0x1200000" },
	{ M32, "67 89 00", "3 mov w s4 o4 a2 r0 m=ds:r3+r6*1+0" },
	{ M32, "67 89 46 02", "4 mov w s4 o4 a2 r0 m=ss:r5+0x2" },
	{ M32, "a1 78 56 34 12", "5 mov r s4 o4 a4 r0 m=ds:-+0x12345678" },
	{ M32, "67 a1 34 12", "4 mov r s4 o4 a2 r0 m=ds:-+0x1234" },
	{ M32, "66 a3 00 f0 ff fe", "6 mov w s2 o2 a4 r0 m=ds:-+0xfefff000" },
	{ M32, "f3 a5", "2 movs rw s4 o4 a4 m=ds:r6+0 m2=es:r7+0 rep" },
	{ M32, "67 f3 a5", "3 movs rw s4 o4 a2 m=ds:r6+0 m2=es:r7+0 rep" },
	{ M32, "26 f3 a4", "3 movs rw s1 o1 a4 m=es:r6+0 m2=es:r7+0 rep" },
	{ M32, "c7 00 01 00 00 00", "6 mov w s4 o4 a4 i1 m=ds:r0+0" },
	{ M32, "66 c7 00 01 00", "5 mov w s2 o2 a4 i1 m=ds:r0+0" },
	{ M32, "0f b7 00", "3 movzx r s2 o4 a4 r0 zx m=ds:r0+0" },
	{ M32, "66 0f be 00", "4 movsx r s1 o2 a4 r0 sx m=ds:r0+0" },
	{ M32, "2e 89 00", "3 mov w s4 o4 a4 r0 m=cs:r0+0" },
	{ M32, "36 89 00", "3 mov w s4 o4 a4 r0 m=ss:r0+0" },
	{ M32, "3e 8b 04 24", "4 mov r s4 o4 a4 r0 m=ds:r4+0" },
	{ M32, "64 26 89 00", "4 mov w s4 o4 a4 r0 m=es:r0+0" },
	{ M32, "65 ad", "2 lods r s4 o4 a4 r0 m=gs:r6+0" },
	{ M32, "f0 83 4d 00 01", "5 or rw s4 o4 a4 i1 m=ss:r5+0 lock" },
	{ M32, "63 00", "E:OPCODE" },
	{ M32, "82 08 01", "3 or rw s1 o1 a4 i1 m=ds:r0+0" },
	{ M32, "f0 82 38 01", "E:LOCK" },
	{ M32, "40", "E:OPCODE" },
	{ M32, "48 89 00", "E:OPCODE" },
	{ M32, "a1 00 00 00", "E:TRUNC" },

	/* 16-bit, and every 16-bit addressing form */
	{ M16, "89 00", "2 mov w s2 o2 a2 r0 m=ds:r3+r6*1+0" },
	{ M16, "89 01", "2 mov w s2 o2 a2 r0 m=ds:r3+r7*1+0" },
	{ M16, "89 02", "2 mov w s2 o2 a2 r0 m=ss:r5+r6*1+0" },
	{ M16, "89 03", "2 mov w s2 o2 a2 r0 m=ss:r5+r7*1+0" },
	{ M16, "89 04", "2 mov w s2 o2 a2 r0 m=ds:r6+0" },
	{ M16, "89 05", "2 mov w s2 o2 a2 r0 m=ds:r7+0" },
	{ M16, "89 06 34 12", "4 mov w s2 o2 a2 r0 m=ds:-+0x1234" },
	{ M16, "89 06 00 80", "4 mov w s2 o2 a2 r0 m=ds:--0x8000" },
	{ M16, "89 07", "2 mov w s2 o2 a2 r0 m=ds:r3+0" },
	{ M16, "89 46 fe", "3 mov w s2 o2 a2 r0 m=ss:r5-0x2" },
	{ M16, "89 86 34 12", "4 mov w s2 o2 a2 r0 m=ss:r5+0x1234" },
	{ M16, "8b 40 80", "3 mov r s2 o2 a2 r0 m=ds:r3+r6*1-0x80" },
	{ M16, "8b 97 00 01", "4 mov r s2 o2 a2 r2 m=ds:r3+0x100" },
	{ M16, "66 89 00", "3 mov w s4 o4 a2 r0 m=ds:r3+r6*1+0" },
	{ M16, "67 89 00", "3 mov w s2 o2 a4 r0 m=ds:r0+0" },
	{ M16, "67 89 04 24", "4 mov w s2 o2 a4 r0 m=ss:r4+0" },
	{ M16, "67 66 89 05 00 00 0a 00", "8 mov w s4 o4 a4 r0 m=ds:-+0xa0000" },
	{ M16, "88 26 00 b8", "4 mov w s1 o1 a2 r0h m=ds:--0x4800" },
	{ M16, "a1 34 12", "3 mov r s2 o2 a2 r0 m=ds:-+0x1234" },
	{ M16, "66 67 a1 78 56 34 12", "7 mov r s4 o4 a4 r0 m=ds:-+0x12345678" },
	{ M16, "f3 aa", "2 stos w s1 o1 a2 r0 m=es:r7+0 rep" },
	{ M16, "66 f3 ab", "3 stos w s4 o4 a2 r0 m=es:r7+0 rep" },
	{ M16, "c7 06 00 10 34 12", "6 mov w s2 o2 a2 i1234 m=ds:-+0x1000" },
	{ M16, "66 c7 06 00 10 78 56 34 12",
	  "9 mov w s4 o4 a2 i12345678 m=ds:-+0x1000" },
	{ M16, "26 89 00", "3 mov w s2 o2 a2 r0 m=es:r3+r6*1+0" },
	{ M16, "3e 89 02", "3 mov w s2 o2 a2 r0 m=ds:r5+r6*1+0" },
	{ M16, "26 c6 07 41", "4 mov w s1 o1 a2 i41 m=es:r3+0" },
	{ M16, "0f b6 07", "3 movzx r s1 o2 a2 r0 zx m=ds:r3+0" },
	{ M16, "66 0f b7 07", "4 movzx r s2 o4 a2 r0 zx m=ds:r3+0" },
	{ M16, "83 0e 00 10 01", "5 or rw s2 o2 a2 i1 m=ds:-+0x1000" },
	{ M16, "89 c0", "E:NOMEM" },
	{ M16, "89 06 34", "E:TRUNC" },
	{ M16, "63 00", "E:OPCODE" },
	{ M16, "4f", "E:OPCODE" },

	{ M16, "82 20 7f", "3 and rw s1 o1 a2 i7f m=ds:r3+r6*1+0" },
	{ 3, "89 00", "E:ARG" },
};

/*
 * System instructions (minihv_decode_sys()):
 * "<len> <op> o<opsize> a<addr_size> s<size> [c<ctl>] [r<rm>] [m=<mem>]"
 */
static void summarize_sys(char *p, size_t n, int err,
			  const struct minihv_insn *in)
{
	int k;

	if (err) {
		snprintf(p, n, "%s", err_name(err));
		return;
	}
	k = snprintf(p, n, "%u %s o%u a%u s%u", in->len, op_names[in->op],
		     in->opsize, in->addr_size, in->size);
	if (in->op >= MINIHV_OP_MOV_FROM_CR && in->op <= MINIHV_OP_MOV_TO_DR)
		k += snprintf(p + k, n - k, " c%u", in->ctl);
	if (in->rm >= 0) {
		k += snprintf(p + k, n - k, " r%d", in->rm);
	} else if (in->op >= MINIHV_OP_SGDT && in->op <= MINIHV_OP_INVLPG) {
		k += snprintf(p + k, n - k, " m=");
		mem_str(p + k, n - k, &in->mem);
	}
}

static const struct dcase sys_cases[] = {
	/* What Linux's AP trampoline and verify_cpu execute in real mode */
	{ M16, "0f 09", "2 wbinvd o2 a2 s0" },
	{ M16, "66 0f 01 1e 34 12", "6 lidt o4 a2 s6 m=ds:-+0x1234" },
	{ M16, "66 0f 01 16 40 00", "6 lgdt o4 a2 s6 m=ds:-+0x40" },
	{ M16, "0f 22 c0", "3 movtocr o4 a2 s0 c0 r0" },
	{ M16, "0f 32", "2 rdmsr o2 a2 s0" },
	{ M16, "0f 30", "2 wrmsr o2 a2 s0" },
	{ M16, "f4", "1 hlt o2 a2 s0" },
	/* Descriptor tables: 16-bit operand size (24-bit base), overrides */
	{ M16, "0f 01 17", "3 lgdt o2 a2 s6 m=ds:r3+0" },
	{ M16, "2e 0f 01 5e 10", "5 lidt o2 a2 s6 m=cs:r5+0x10" },
	{ M16, "0f 01 06 00 10", "5 sgdt o2 a2 s6 m=ds:-+0x1000" },
	{ M16, "26 0f 01 0f", "4 sidt o2 a2 s6 m=es:r3+0" },
	{ M16, "67 66 0f 01 10", "5 lgdt o4 a4 s6 m=ds:r0+0" },
	{ M32, "0f 01 15 00 20 00 00", "7 lgdt o4 a4 s6 m=ds:-+0x2000" },
	{ M64, "0f 01 10", "3 lgdt o8 a8 s10 m=ds:r0+0" },
	/* SMSW/LMSW: a register or a word of memory */
	{ M16, "0f 01 e0", "3 smsw o2 a2 s2 r0" },
	{ M16, "66 0f 01 e3", "4 smsw o4 a2 s2 r3" },
	{ M16, "0f 01 26 00 10", "5 smsw o2 a2 s2 m=ds:-+0x1000" },
	{ M16, "0f 01 f0", "3 lmsw o2 a2 s2 r0" },
	{ M16, "0f 01 36 08 00", "5 lmsw o2 a2 s2 m=ds:-+0x8" },
	{ M16, "0f 01 3f", "3 invlpg o2 a2 s0 m=ds:r3+0" },
	{ M16, "0f 06", "2 clts o2 a2 s0" },
	{ M16, "0f 08", "2 invd o2 a2 s0" },
	/* MOV CR/DR: always 32-bit registers; mod is ignored */
	{ M16, "66 0f 20 c0", "4 movfromcr o4 a2 s0 c0 r0" },
	{ M16, "0f 20 e3", "3 movfromcr o4 a2 s0 c4 r3" },
	{ M16, "0f 22 d8", "3 movtocr o4 a2 s0 c3 r0" },
	{ M16, "0f 22 06", "3 movtocr o4 a2 s0 c0 r6" },
	{ M16, "0f 21 f8", "3 movfromdr o4 a2 s0 c7 r0" },
	{ M16, "0f 23 c1", "3 movtodr o4 a2 s0 c0 r1" },
	{ M64, "44 0f 22 c0", "4 movtocr o8 a8 s0 c8 r0" },
	{ M64, "41 0f 20 d9", "4 movfromcr o8 a8 s0 c3 r9" },
	/* Refused */
	{ M16, "f0 0f 22 c0", "E:LOCK" },
	{ M16, "0f 01 c1", "E:OPCODE" },		/* VMCALL */
	{ M16, "0f 01 d0", "E:OPCODE" },		/* XGETBV */
	{ M16, "0f 01 f8", "E:OPCODE" },		/* SWAPGS */
	{ M16, "0f 01 28", "E:OPCODE" },		/* 0F 01 /5 */
	{ M16, "89 00", "E:OPCODE" },		/* MMIO decoder's */
	{ M16, "0f a2", "E:OPCODE" },		/* CPUID exits itself */
	{ M16, "0f 01 16 40", "E:TRUNC" },
	{ M16, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 0f 09", "E:LONG" },
	/*
	 * What SVM's shadow paging decodes (arch/x86/svm/shadow.c): 15 bytes
	 * at most, never a byte past them, however long the input is.
	 */
	{ M64, "3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 0f 22 e0",
	  "15 movtocr o8 a8 s0 c4 r0" },
	{ M64, "3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 0f 22 e0 c3", "E:LONG" },
	{ M64, "0f 01 bc 24 00 00 00 40",
	  "8 invlpg o4 a8 s0 m=ss:r4+0x40000000" },
	{ M64, "3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 0f 01 bc 24 00 00 00 40 c3",
	  "E:LONG" },
	{ M64, "3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 0f 01 bc 24 00 00 00 40",
	  "E:LONG" },
	{ M64, "3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e 3e", "E:LONG" },
};

static void decode1(struct minihv_insn *in, int mode, const char *hex)
{
	unsigned char buf[32];
	unsigned int n = parse_hex(hex, buf);

	if (minihv_decode(in, buf, n, mode)) {
		fprintf(stderr, "cannot decode %s\n", hex);
		exit(2);
	}
}

#define CHECK_EQ(name, got, want) do {					\
	unsigned long long g_ = (got), w_ = (want);			\
	char d_[128];							\
	snprintf(d_, sizeof(d_), "want %#llx got %#llx", w_, g_);	\
	tap(g_ == w_, name, d_);					\
} while (0)

static void helper_tests(void)
{
	struct minihv_insn in;
	u64 regs[16] = { 0 };
	u64 nrip;

	/* Effective addresses */
	decode1(&in, M64, "89 44 98 f0");
	regs[0] = 0x1000;
	regs[3] = 0x10;
	CHECK_EQ("ea64 base+index*4+disp8", minihv_insn_ea(&in, &in.mem, regs,
		 0), 0x1030);
	decode1(&in, M64, "c7 05 10 00 00 00 01 00 00 00");
	nrip = minihv_insn_next_rip(&in, 0x1000);
	CHECK_EQ("next_rip64", nrip, 0x100a);
	CHECK_EQ("ea64 rip-relative counts the immediate",
		 minihv_insn_ea(&in, &in.mem, regs, nrip), 0x101a);
	decode1(&in, M64, "67 8b 05 f0 ff ff ff");
	nrip = minihv_insn_next_rip(&in, 0x100000000ULL);
	CHECK_EQ("ea64 eip-relative wraps to 32 bits",
		 minihv_insn_ea(&in, &in.mem, regs, nrip), 0xfffffff7);
	decode1(&in, M64, "67 8b 00");
	regs[0] = 0x100000010ULL;
	CHECK_EQ("ea64 addr32 wraps", minihv_insn_ea(&in, &in.mem, regs, 0),
		 0x10);
	decode1(&in, M64, "8b 04 25 f0 ff ff ff");
	CHECK_EQ("ea64 absolute disp32 sign-extends",
		 minihv_insn_ea(&in, &in.mem, regs, 0), 0xfffffffffffffff0ULL);
	decode1(&in, M64, "48 8b 84 c8 00 00 00 80");
	regs[0] = 0x100000000ULL;
	regs[1] = 2;
	CHECK_EQ("ea64 disp32 negative", minihv_insn_ea(&in, &in.mem, regs, 0),
		 0x80000010ULL);
	decode1(&in, M64, "a1 88 77 66 55 44 33 22 11");
	CHECK_EQ("ea64 moffs", minihv_insn_ea(&in, &in.mem, regs, 0),
		 0x1122334455667788ULL);
	decode1(&in, M64, "f3 a5");
	regs[6] = 0x2000;
	regs[7] = 0x3000;
	CHECK_EQ("ea64 movs source", minihv_insn_ea(&in, &in.mem, regs, 0),
		 0x2000);
	CHECK_EQ("ea64 movs destination",
		 minihv_insn_ea(&in, &in.mem2, regs, 0), 0x3000);
	decode1(&in, M64, "67 ab");
	regs[7] = 0xffffffff00001234ULL;
	CHECK_EQ("ea64 stos addr32 masks rdi",
		 minihv_insn_ea(&in, &in.mem, regs, 0), 0x1234);
	decode1(&in, M32, "8b 44 24 fc");
	regs[4] = 2;
	CHECK_EQ("ea32 wraps", minihv_insn_ea(&in, &in.mem, regs, 0),
		 0xfffffffe);
	decode1(&in, M32, "89 00");
	CHECK_EQ("next_rip32 wraps", minihv_insn_next_rip(&in, 0xfffffffe), 0);
	decode1(&in, M16, "8b 00");
	regs[3] = 0xffff;
	regs[6] = 2;
	CHECK_EQ("ea16 bx+si wraps", minihv_insn_ea(&in, &in.mem, regs, 0), 1);
	decode1(&in, M16, "8b 46 fe");
	regs[5] = 0x12340000;
	CHECK_EQ("ea16 bp-2 wraps", minihv_insn_ea(&in, &in.mem, regs, 0),
		 0xfffe);
	decode1(&in, M16, "67 8b 04 8d 00 00 0b 00");
	regs[1] = 4;
	CHECK_EQ("ea16 addr32 sib", minihv_insn_ea(&in, &in.mem, regs, 0),
		 0xb0010);

	/* Register writes */
	CHECK_EQ("reg_put 8 low", minihv_reg_put(0x1122334455667788ULL, 0xab,
		 1, false), 0x11223344556677abULL);
	CHECK_EQ("reg_put 8 high", minihv_reg_put(0x1122334455667788ULL,
		 0x1ab, 1, true), 0x112233445566ab88ULL);
	CHECK_EQ("reg_put 16 preserves", minihv_reg_put(0x1122334455667788ULL,
		 0xabcdef, 2, false), 0x112233445566cdefULL);
	CHECK_EQ("reg_put 32 zero-extends",
		 minihv_reg_put(0x1122334455667788ULL, 0xfedcba9876543210ULL,
				4, false), 0x76543210);
	CHECK_EQ("reg_put 64", minihv_reg_put(1, 0xfedcba9876543210ULL, 8,
		 false), 0xfedcba9876543210ULL);

	/* Loads */
	decode1(&in, M64, "8a 20");
	CHECK_EQ("load mov ah", minihv_insn_load(&in, 0x1122334455667788ULL,
		 0xab), 0x112233445566ab88ULL);
	decode1(&in, M64, "8b 00");
	CHECK_EQ("load mov eax", minihv_insn_load(&in, ~0ULL,
		 0xfedcba9876543210ULL), 0x76543210);
	decode1(&in, M64, "66 8b 00");
	CHECK_EQ("load mov ax", minihv_insn_load(&in, ~0ULL, 0x1234),
		 0xffffffffffff1234ULL);
	decode1(&in, M64, "0f be 00");
	CHECK_EQ("load movsx r32,m8", minihv_insn_load(&in, ~0ULL, 0x80),
		 0xffffff80);
	decode1(&in, M64, "48 0f bf 00");
	CHECK_EQ("load movsx r64,m16", minihv_insn_load(&in, 0, 0x8000),
		 0xffffffffffff8000ULL);
	decode1(&in, M64, "66 0f b6 00");
	CHECK_EQ("load movzx r16,m8", minihv_insn_load(&in,
		 0x1111111111111111ULL, 0x3ff), 0x11111111111100ffULL);
	decode1(&in, M64, "48 0f b7 00");
	CHECK_EQ("load movzx r64,m16", minihv_insn_load(&in, ~0ULL, 0xffff),
		 0xffff);
	decode1(&in, M64, "48 63 00");
	CHECK_EQ("load movsxd", minihv_insn_load(&in, 0, 0x80000000),
		 0xffffffff80000000ULL);
	decode1(&in, M64, "48 ad");
	CHECK_EQ("load lodsq", minihv_insn_load(&in, 0, 0x8000000000000001ULL),
		 0x8000000000000001ULL);

	/* Store sources */
	regs[0] = 0x1122334455667788ULL;
	decode1(&in, M64, "88 20");
	CHECK_EQ("src ah", minihv_insn_src(&in, regs), 0x77);
	decode1(&in, M64, "66 89 00");
	CHECK_EQ("src ax", minihv_insn_src(&in, regs), 0x7788);
	decode1(&in, M64, "89 00");
	CHECK_EQ("src eax", minihv_insn_src(&in, regs), 0x55667788);
	decode1(&in, M64, "83 08 ff");
	CHECK_EQ("src imm8 sign-extended to 32", minihv_insn_src(&in, regs),
		 0xffffffff);
	decode1(&in, M64, "48 c7 00 00 00 00 80");
	CHECK_EQ("src imm32 sign-extended to 64", minihv_insn_src(&in, regs),
		 0xffffffff80000000ULL);
	decode1(&in, M64, "ab");
	CHECK_EQ("src stos eax", minihv_insn_src(&in, regs), 0x55667788);
}

int main(void)
{
	static const struct decoder mmio = {
		minihv_decode, summarize, "decode"
	}, sys = {
		minihv_decode_sys, summarize_sys, "decode_sys"
	};
	unsigned int i, n = sizeof(cases) / sizeof(cases[0]);

	for (i = 0; i < n; i++)
		run_case(&mmio, &cases[i]);
	n = sizeof(sys_cases) / sizeof(sys_cases[0]);
	for (i = 0; i < n; i++)
		run_case(&sys, &sys_cases[i]);
	/* Each decoder refuses the other's instructions. */
	n = sizeof(cases) / sizeof(cases[0]);
	for (i = 0; i < n; i++) {
		unsigned char buf[64];
		struct minihv_insn in;
		char name[300];
		unsigned int len = parse_hex(cases[i].hex, buf);
		int err = minihv_decode_sys(&in, buf, len, cases[i].mode);

		snprintf(name, sizeof(name), "decode_sys refuses [%s]",
			 cases[i].hex);
		tap(err != 0, name, "decoded an MMIO instruction");
	}
	helper_tests();
	printf("1..%d\n", nr_test);
	printf("# %d/%d failed\n", nr_fail, nr_test);
	return nr_fail ? 1 : 0;
}
