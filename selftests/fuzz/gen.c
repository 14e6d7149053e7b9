// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: guest code.  Programs are sequences of templates: a few register
 * loads (mov $imm64, %reg with boundary values, pointers into guest RAM,
 * the APIC page, unbacked MMIO, non-canonical addresses), then one
 * sensitive instruction: CR/DR moves, RDMSR/WRMSR, port I/O and string
 * I/O, LGDT/LIDT/LTR/LLDT, INVLPG/INVPCID, every VMX and SVM instruction,
 * HLT/MWAIT/WBINVD/RDPMC/XSETBV, FXRSTOR/LDMXCSR of random data, MMIO
 * moves and string moves; plus blocks of random bytes.
 *
 * With no_spin (the Bochs lab, where a guest that loops without exits
 * hangs the lab's kernel), programs end in HLT instead of jumping back,
 * rep counts stay small, random bytes are left out and immediates never
 * hold a jump opcode.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "lib/guest.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static const uint32_t msrs[] = {
	0x10, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0x9b, 0xe7, 0xe8, 0xfe,
	0x174, 0x175, 0x176, 0x179, 0x17a, 0x1a0, 0x1d9, 0x1db, 0x1dc,
	0x200, 0x201, 0x20f, 0x250, 0x277, 0x2ff, 0x345, 0x38d, 0x38f,
	0x480, 0x481, 0x482, 0x485, 0x48b, 0x48c, 0x491, 0x4d0,
	0x6e0, 0x802, 0x803, 0x808, 0x80b, 0x80f, 0x830, 0x832, 0x838,
	0x83e, 0x83f, 0x8ff, 0xc80, 0xda0,
	0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
	0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0000104,
	0xc0010010, 0xc0010015, 0xc0010114, 0xc0010115, 0xc0010117,
	0xc0010140, 0xc0011022, 0xc001011f,
	0x4b564d00, 0x4b564d01, 0x4b564d02, 0x4b564d04, 0x40000000,
	0x40000001, 0xffffffff, 0x80000000, 0x2000,
};

uint32_t rnd_msr(struct rng *r)
{
	if (one_in(r, 8))
		return (uint32_t)rnd(r);
	return msrs[rnd_below(r, ARRAY_LEN(msrs))];
}

uint64_t rnd_interesting(struct rng *r)
{
	static const uint64_t v[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff,
		0x8000, 0xffff, 0x10000, 0x1f80, 0xffff0000, 0x7fffffff,
		0x80000000, 0xfffff000, 0xffffffff, 0x100000000ULL,
		0xfee00000, 0xfec00000, 0xa0000, 0xd0000000,
		0x7fffffffffffULL, 0x800000000000ULL, 0xffff800000000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL,
		0xfffffffffffff000ULL, 0xffffffffffffffffULL,
		0xfffffffffffffffeULL,
	};

	switch (rnd_below(r, 4)) {
	case 0:
		return rnd(r);
	case 1:
		return 1ULL << rnd_below(r, 64);
	default:
		return v[rnd_below(r, ARRAY_LEN(v))];
	}
}

/* no_spin: no jump, loop, call or return opcode in immediates. */
static uint64_t tame(uint64_t v)
{
	uint64_t out = 0;
	int i;

	if (!fz_opts.no_spin)
		return v;
	for (i = 0; i < 8; i++) {
		uint8_t b = v >> (8 * i);

		if ((b >= 0x70 && b <= 0x7f) || (b >= 0xe0 && b <= 0xeb) ||
		    b == 0xff || b == 0xc2 || b == 0xc3 || b == 0xca ||
		    b == 0xcb || b == 0xcf || b == 0x0f || b == 0x9a)
			b = 0x90;
		out |= (uint64_t)b << (8 * i);
	}
	return out;
}

static size_t put(uint8_t *p, size_t room, const uint8_t *b, size_t n)
{
	if (n > room)
		return 0;
	memcpy(p, b, n);
	return n;
}

/* mov $v, %reg (reg: 0 rax, 1 rcx, 2 rdx, 3 rbx, 6 rsi, 7 rdi). */
static size_t mov_imm64(uint8_t *p, size_t room, int reg, uint64_t v)
{
	uint8_t b[10] = { 0x48, (uint8_t)(0xb8 + reg) };

	v = tame(v);
	memcpy(b + 2, &v, 8);
	return put(p, room, b, sizeof(b));
}

/* A pointer the instruction works on: RAM, APIC, MMIO, bad. */
static uint64_t rnd_ptr(struct rng *r)
{
	switch (rnd_below(r, 8)) {
	case 0:
		return 0xfee00000 + (rnd_below(r, 0x400) & ~3ULL);
	case 1:
		return 0xd0000000 + rnd_below(r, 0x1000);
	case 2:
		return rnd_interesting(r);
	case 3:
		return 0xa0000 - rnd_below(r, 16);	/* slot 0's end */
	default:
		return GUEST_DATA_GPA + rnd_below(r, GUEST_DATA_SIZE - 64);
	}
}

struct insn {
	uint8_t len;
	uint8_t b[6];
};

/* Fixed encodings; operands in rax/rcx/rdx/rbx/rsi/rdi. */
static const struct insn insns[] = {
	{ 2, { 0x0f, 0x30 } },			/* wrmsr */
	{ 2, { 0x0f, 0x32 } },			/* rdmsr */
	{ 2, { 0x0f, 0x31 } },			/* rdtsc */
	{ 3, { 0x0f, 0x01, 0xf9 } },		/* rdtscp */
	{ 2, { 0x0f, 0x33 } },			/* rdpmc */
	{ 2, { 0x0f, 0xa2 } },			/* cpuid */
	{ 1, { 0xec } },			/* in (%dx), %al */
	{ 1, { 0xed } },			/* in (%dx), %eax */
	{ 2, { 0x66, 0xed } },			/* in (%dx), %ax */
	{ 1, { 0xee } },			/* out %al, (%dx) */
	{ 1, { 0xef } },			/* out %eax, (%dx) */
	{ 2, { 0x66, 0xef } },			/* out %ax, (%dx) */
	{ 2, { 0xf3, 0x6c } },			/* rep insb */
	{ 2, { 0xf3, 0x6d } },			/* rep insl */
	{ 2, { 0xf3, 0x6e } },			/* rep outsb */
	{ 3, { 0x66, 0xf3, 0x6f } },		/* rep outsw */
	{ 3, { 0x0f, 0x01, 0x13 } },		/* lgdt (%rbx) */
	{ 3, { 0x0f, 0x01, 0x1b } },		/* lidt (%rbx) */
	{ 3, { 0x0f, 0x01, 0x03 } },		/* sgdt (%rbx) */
	{ 3, { 0x0f, 0x01, 0x0b } },		/* sidt (%rbx) */
	{ 3, { 0x0f, 0x00, 0xd8 } },		/* ltr %ax */
	{ 3, { 0x0f, 0x00, 0xd0 } },		/* lldt %ax */
	{ 3, { 0x0f, 0x00, 0x03 } },		/* sldt (%rbx) */
	{ 3, { 0x0f, 0x01, 0xf0 } },		/* lmsw %ax */
	{ 2, { 0x0f, 0x06 } },			/* clts */
	{ 3, { 0x0f, 0x01, 0x3b } },		/* invlpg (%rbx) */
	{ 5, { 0x66, 0x0f, 0x38, 0x82, 0x03 } },	/* invpcid (%rbx), %rax */
	{ 3, { 0x0f, 0x01, 0xc1 } },		/* vmcall */
	{ 3, { 0x0f, 0x01, 0xc2 } },		/* vmlaunch */
	{ 3, { 0x0f, 0x01, 0xc3 } },		/* vmresume */
	{ 3, { 0x0f, 0x01, 0xc4 } },		/* vmxoff */
	{ 4, { 0xf3, 0x0f, 0xc7, 0x33 } },	/* vmxon (%rbx) */
	{ 3, { 0x0f, 0xc7, 0x33 } },		/* vmptrld (%rbx) */
	{ 4, { 0x66, 0x0f, 0xc7, 0x33 } },	/* vmclear (%rbx) */
	{ 3, { 0x0f, 0xc7, 0x3b } },		/* vmptrst (%rbx) */
	{ 3, { 0x0f, 0x78, 0xc8 } },		/* vmread %rcx, %rax */
	{ 3, { 0x0f, 0x79, 0xc8 } },		/* vmwrite %rax, %rcx */
	{ 5, { 0x66, 0x0f, 0x38, 0x80, 0x03 } },	/* invept */
	{ 5, { 0x66, 0x0f, 0x38, 0x81, 0x03 } },	/* invvpid */
	{ 3, { 0x0f, 0x01, 0xd8 } },		/* vmrun */
	{ 3, { 0x0f, 0x01, 0xd9 } },		/* vmmcall */
	{ 3, { 0x0f, 0x01, 0xda } },		/* vmload */
	{ 3, { 0x0f, 0x01, 0xdb } },		/* vmsave */
	{ 3, { 0x0f, 0x01, 0xdc } },		/* stgi */
	{ 3, { 0x0f, 0x01, 0xdd } },		/* clgi */
	{ 3, { 0x0f, 0x01, 0xde } },		/* skinit */
	{ 3, { 0x0f, 0x01, 0xdf } },		/* invlpga */
	{ 1, { 0xf4 } },			/* hlt */
	{ 1, { 0xfa } },			/* cli */
	{ 1, { 0xfb } },			/* sti */
	{ 2, { 0xf3, 0x90 } },			/* pause */
	{ 2, { 0x0f, 0x09 } },			/* wbinvd */
	{ 2, { 0x0f, 0x08 } },			/* invd */
	{ 3, { 0x0f, 0x01, 0xc8 } },		/* monitor */
	{ 3, { 0x0f, 0x01, 0xc9 } },		/* mwait */
	{ 3, { 0x0f, 0x01, 0xd1 } },		/* xsetbv */
	{ 3, { 0x0f, 0x01, 0xd0 } },		/* xgetbv */
	{ 3, { 0x0f, 0x01, 0xf8 } },		/* swapgs */
	{ 1, { 0xcc } },			/* int3 */
	{ 2, { 0xcd, 0x80 } },			/* int $0x80 */
	{ 1, { 0xf1 } },			/* icebp */
	{ 2, { 0x0f, 0x0b } },			/* ud2 */
	{ 2, { 0x0f, 0x05 } },			/* syscall */
	{ 2, { 0x0f, 0x34 } },			/* sysenter */
	{ 2, { 0x48, 0xcf } },			/* iretq */
	{ 3, { 0x0f, 0xae, 0x0b } },		/* fxrstor (%rbx) */
	{ 3, { 0x0f, 0xae, 0x13 } },		/* ldmxcsr (%rbx) */
	{ 3, { 0x0f, 0xae, 0x2b } },		/* xrstor (%rbx) */
	{ 3, { 0x0f, 0xae, 0x03 } },		/* fxsave (%rbx) */
	{ 2, { 0x8e, 0xd0 } },			/* mov %eax, %ss */
	{ 2, { 0x8e, 0xd8 } },			/* mov %eax, %ds */
	{ 2, { 0x9c, 0x9d } },			/* pushf; popf */
	{ 2, { 0x8b, 0x03 } },			/* mov (%rbx), %eax */
	{ 2, { 0x89, 0x03 } },			/* mov %eax, (%rbx) */
	{ 3, { 0x48, 0x89, 0x03 } },		/* mov %rax, (%rbx) */
	{ 3, { 0x0f, 0xb6, 0x03 } },		/* movzbl (%rbx), %eax */
	{ 2, { 0xf3, 0xa4 } },			/* rep movsb */
	{ 3, { 0xf3, 0x48, 0xab } },		/* rep stosq */
	{ 2, { 0xf3, 0xac } },			/* rep lodsb */
	{ 3, { 0x0f, 0xc7, 0xf0 } },		/* rdrand %eax */
	{ 4, { 0xf0, 0x0f, 0xc1, 0x03 } },	/* lock xadd %eax, (%rbx) */
	{ 3, { 0x0f, 0x01, 0xca } },		/* clac */
	{ 3, { 0x0f, 0x01, 0xcb } },		/* stac */
	{ 3, { 0x0f, 0x01, 0xee } },		/* rdpkru */
	{ 3, { 0x0f, 0x01, 0xfa } },		/* monitorx */
	{ 3, { 0x0f, 0x01, 0xfb } },		/* mwaitx */
};

/*
 * --lme-pae (ops.c): before a WRMSR, btr $8, %eax (EFER.LME, whatever the
 * MSR); before a MOV to CR4, bts $5, %rax (PAE).  Both set or clear the
 * bit in every mode: in 16- and 32-bit code, bts's REX.W is a DEC first.
 */
static const uint8_t btr_lme[] = { 0x0f, 0xba, 0xf0, 0x08 };
static const uint8_t bts_pae[] = { 0x48, 0x0f, 0xba, 0xe8, 0x05 };

size_t gen_insn_bytes(struct rng *r, uint8_t *p, size_t room)
{
	const struct insn *in;
	size_t k = 0;
	uint8_t b[4];
	int n;

	switch (rnd_below(r, 6)) {
	case 0:		/* mov %rax, %crN; mov %crN, %rax (N = 8 with REX.R) */
		n = rnd_below(r, 9);
		b[0] = 0x44;
		b[1] = 0x0f;
		b[2] = one_in(r, 2) && !(n == 8 && fz_opts.no_cr8) ? 0x22 : 0x20;
		b[3] = 0xc0 | ((n & 7) << 3);
		if (fz_opts.lme_pae && n == 4 && b[2] == 0x22) {
			k = put(p, room, bts_pae, sizeof(bts_pae));
			if (!k)
				return 0;
		}
		n = n == 8 ? put(p + k, room - k, b, 4) :
			     put(p + k, room - k, b + 1, 3);
		return n ? k + n : 0;
	case 1:		/* mov %rax, %drN; mov %drN, %rax */
		b[0] = 0x0f;
		b[1] = one_in(r, 2) ? 0x23 : 0x21;
		b[2] = 0xc0 | (rnd_below(r, 8) << 3);
		return put(p, room, b, 3);
	default:
		in = &insns[rnd_below(r, ARRAY_LEN(insns))];
		if (fz_opts.lme_pae && in->b[0] == 0x0f && in->b[1] == 0x30) {
			k = put(p, room, btr_lme, sizeof(btr_lme));
			if (!k)
				return 0;
		}
		n = put(p + k, room - k, in->b, in->len);
		return n ? k + n : 0;
	}
}

size_t gen_template(struct rng *r, uint8_t *p, size_t room)
{
	size_t n = 0, k;
	uint64_t count;

	/* rax, rdx: values; rcx: an MSR or a count; rbx, rsi, rdi: pointers */
	if (one_in(r, 2))
		n += mov_imm64(p + n, room - n, 0, rnd_interesting(r));
	if (one_in(r, 2))
		n += mov_imm64(p + n, room - n, 2, one_in(r, 2) ?
			       rnd_below(r, 0x10000) : rnd_interesting(r));
	if (one_in(r, 2)) {
		count = one_in(r, 2) ? rnd_msr(r) : rnd_interesting(r);
		if (fz_opts.no_spin)
			count = rnd_below(r, 4097);
		n += mov_imm64(p + n, room - n, 1, count);
	}
	if (one_in(r, 2))
		n += mov_imm64(p + n, room - n, 3, rnd_ptr(r));
	if (one_in(r, 4))
		n += mov_imm64(p + n, room - n, 6, rnd_ptr(r));
	if (one_in(r, 4))
		n += mov_imm64(p + n, room - n, 7, rnd_ptr(r));
	k = gen_insn_bytes(r, p + n, room - n);
	return k ? n + k : 0;
}

void gen_program(struct rng *r, uint8_t *p, size_t len, uint64_t gpa)
{
	size_t n = 0, k, end = len - 8;
	int32_t rel;

	while (n < end) {
		if (!fz_opts.no_spin && one_in(r, 12)) {
			k = rnd_below(r, 32) + 1;
			if (k > end - n)
				k = end - n;
			while (k--)
				p[n++] = rnd(r);
			continue;
		}
		k = gen_template(r, p + n, end - n);
		if (!k)
			break;
		n += k;
		if (n > 64 && one_in(r, 16))
			break;		/* short programs too */
	}
	if (fz_opts.no_spin) {
		p[n++] = 0xf4;			/* 1: hlt; jmp 1b */
		p[n++] = 0xeb;
		p[n++] = 0xfd;
		return;
	}
	p[n] = 0xe9;				/* jmp back to the start */
	rel = -(int32_t)(n + 5);
	memcpy(p + n + 1, &rel, 4);
	(void)gpa;
}

size_t gen_mmio_loop(struct rng *r, uint8_t *p, size_t room, uint64_t gpa)
{
	static const uint8_t acc[] = { 0x8b, 0x03 };	/* mov (%rbx), %eax */
	size_t n = 0;
	int i;

	(void)gpa;
	n += mov_imm64(p, room, 3, one_in(r, 2) ? 0xd0000000 :
		       0xfee00000 + (rnd_below(r, 0x400) & ~0xfULL));
	if (!fz_opts.no_spin) {
		n += put(p + n, room - n, acc, 2);
		n += put(p + n, room - n, (const uint8_t *)"\xeb\xfc", 2);
		return n;
	}
	for (i = 0; i < 16; i++)
		n += put(p + n, room - n, acc, 2);
	n += put(p + n, room - n, (const uint8_t *)"\xf4\xeb\xfd", 3);
	return n;
}

/* xorb $imm, (%rbx) repeatedly, rbx = @target: another vCPU's code. */
size_t gen_smc_writer(struct rng *r, uint8_t *p, size_t room, uint64_t gpa,
		      uint64_t target)
{
	uint8_t x[3] = { 0x80, 0x33, (uint8_t)rnd(r) };
	size_t n;
	int i;

	(void)gpa;
	n = mov_imm64(p, room, 3, target);
	if (!fz_opts.no_spin) {
		n += put(p + n, room - n, x, 3);
		n += put(p + n, room - n, (const uint8_t *)"\xeb\xfb", 2);
		return n;
	}
	for (i = 0; i < 64; i++)
		n += put(p + n, room - n, x, 3);
	n += put(p + n, room - n, (const uint8_t *)"\xf4\xeb\xfd", 3);
	return n;
}
