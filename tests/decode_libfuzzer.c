// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for kmod/decode.c: internal consistency.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ikmod \
 *	tests/decode_libfuzzer.c kmod/decode.c -o decode_libfuzzer
 *   ./decode_libfuzzer -max_total_time=60 -max_len=40 -seed=1
 *
 * Input: one byte choosing the mode, then the instruction bytes, copied to
 * a heap buffer of exactly their size (ASan catches any read past it).
 * Checks: only the documented errors, a zeroed insn on error, length 1-15
 * and within the input, every field in range, the same result from
 * exactly the instruction's bytes, E:TRUNC from any shorter prefix, and
 * the helpers (EA, next RIP, loads, sources) on register values taken
 * from the input.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

static const int modes[] = { MINIHV_MODE_16, MINIHV_MODE_32, MINIHV_MODE_64 };

static int is_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

static void check_mem(const struct minihv_mem *m)
{
	assert(m->seg <= MINIHV_SEG_GS);
	assert(m->base >= MINIHV_REG_NONE && m->base < 16);
	assert(m->index >= MINIHV_REG_NONE && m->index < 16 && m->index != 4);
	assert(m->scale == 1 || m->scale == 2 || m->scale == 4 ||
	       m->scale == 8);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct minihv_insn in, in2;
	unsigned int n, l, i;
	unsigned char *buf;
	u64 regs[16], mask, v;
	int mode, err;

	if (size < 1)
		return 0;
	mode = modes[data[0] % 3];
	n = size - 1;
	buf = malloc(n ? n : 1);
	memcpy(buf, data + 1, n);

	err = minihv_decode(&in, buf, n, mode);
	if (err) {
		assert(err == MINIHV_DEC_E_TRUNC || err == MINIHV_DEC_E_LONG ||
		       err == MINIHV_DEC_E_OPCODE || err == MINIHV_DEC_E_LOCK ||
		       err == MINIHV_DEC_E_NOMEM);
		assert(is_zero(&in, sizeof(in)));
		if (n >= MINIHV_INSN_MAX)
			assert(err != MINIHV_DEC_E_TRUNC);
		free(buf);
		return 0;
	}
	assert(in.len >= 1 && in.len <= MINIHV_INSN_MAX && in.len <= n);
	assert(in.mode == mode);
	assert(in.op > MINIHV_OP_NONE && in.op <= MINIHV_OP_XCHG);
	assert(in.dir >= 1 && in.dir <= 3);
	assert(in.size == 1 || in.size == 2 || in.size == 4 || in.size == 8);
	assert(in.opsize == 1 || in.opsize == 2 || in.opsize == 4 ||
	       in.opsize == 8);
	assert(in.size <= in.opsize);
	assert(in.addr_size == 2 || in.addr_size == 4 || in.addr_size == 8);
	assert(mode == MINIHV_MODE_64 || (in.addr_size <= 4 && in.opsize <= 4));
	assert(in.reg < 16 && (!in.reg_high8 || (in.reg < 4 && !in.rex)));
	assert(in.has_imm || !in.imm);
	mask = in.opsize == 8 ? ~0ULL : (1ULL << (in.opsize * 8)) - 1;
	assert(!(in.imm & ~mask));
	check_mem(&in.mem);
	if (in.op == MINIHV_OP_MOVS)
		check_mem(&in.mem2);
	else
		assert(is_zero(&in.mem2, sizeof(in.mem2)));
	assert(!in.mem.rip_rel || mode == MINIHV_MODE_64);

	/* Stable, and needs every one of its bytes. */
	for (l = in.len; l > 0; l--) {
		unsigned char *b = malloc(l);

		memcpy(b, buf, l);
		err = minihv_decode(&in2, b, l, mode);
		free(b);
		if (l == in.len)
			assert(!err && !memcmp(&in, &in2, sizeof(in)));
		else
			assert(err == MINIHV_DEC_E_TRUNC);
	}

	/* Helpers, with registers from the input. */
	for (i = 0; i < 16; i++) {
		regs[i] = 0;
		memcpy(&regs[i], data + (i * 3) % size,
		       size - (i * 3) % size < 8 ? size - (i * 3) % size : 8);
	}
	mask = in.addr_size == 8 ? ~0ULL : (1ULL << (in.addr_size * 8)) - 1;
	v = minihv_insn_next_rip(&in, regs[0]);
	assert(mode == MINIHV_MODE_64 || v <= 0xffffffffULL);
	assert(!(minihv_insn_ea(&in, &in.mem, regs, v) & ~mask));
	if (in.op == MINIHV_OP_MOVS)
		assert(!(minihv_insn_ea(&in, &in.mem2, regs, v) & ~mask));
	v = minihv_insn_src(&in, regs);
	assert(!(v & ~(in.opsize == 8 ? ~0ULL :
		       (1ULL << (in.opsize * 8)) - 1)));
	v = minihv_insn_load(&in, regs[1], regs[2]);
	if (in.opsize == 4 && !in.reg_high8)
		assert(v <= 0xffffffffULL);
	if (in.opsize <= 2)
		assert((v ^ regs[1]) >> (in.reg_high8 ? 16 : in.opsize * 8) ==
		       0);
	free(buf);
	return 0;
}
