// SPDX-License-Identifier: GPL-2.0
/* paging: helpers for guests with their own page tables, see paging.h. */
#include <stdio.h>
#include <string.h>

#include "paging.h"

uint64_t pg_code_gpa(const void *start, const void *label)
{
	return GUEST_CODE_GPA + ((const char *)label - (const char *)start);
}

void pg_set_gate32(struct gvm *vm, int vec, uint64_t h)
{
	uint64_t gate = (h & 0xffff) | ((uint64_t)GUEST_SEL_CODE32 << 16) |
			(0x8eULL << 40) | ((h >> 16) << 48);

	gvm_write64(vm, GUEST_IDT32_GPA + vec * 8, gate);
}

void pg_set_gate64(struct gvm *vm, int vec, uint64_t h)
{
	uint64_t lo = (h & 0xffff) | ((uint64_t)GUEST_SEL_CODE64 << 16) |
		      (0x8eULL << 40) | (((h >> 16) & 0xffff) << 48);

	gvm_write64(vm, GUEST_IDT64_GPA + vec * 16, lo);
	gvm_write64(vm, GUEST_IDT64_GPA + vec * 16 + 8, h >> 32);
}

int pg_run(struct gvcpu *v, struct pg_trace *t)
{
	memset(t, 0, sizeof(*t));
	t->exc = -1;
	for (;;) {
		struct kvm_run *r = v->run;

		t->exit_reason = gvcpu_run_exit(v);
		if (t->exit_reason == KVM_EXIT_HLT)
			return 0;
		if (t->exit_reason == KVM_EXIT_IO &&
		    r->io.direction == KVM_EXIT_IO_OUT && r->io.size == 4 &&
		    r->io.port >= PG_PORT_VAL && r->io.port <= PG_PORT_ERR &&
		    t->n < PG_MAX_REPORTS) {
			t->r[t->n].port = r->io.port;
			memcpy(&t->r[t->n].val, gvcpu_io_data(v), 4);
			t->n++;
			continue;
		}
		t->exc = gvcpu_exc_vector(v);
		snprintf(t->why, sizeof(t->why), "%s (exception %d) after %d reports",
			 gvcpu_exit_str(v), t->exc, t->n);
		return -1;
	}
}

const char *pg_trace_str(const struct pg_trace *t)
{
	static char buf[PG_MAX_REPORTS * 16 + 1];
	size_t off = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < t->n && off < sizeof(buf) - 16; i++)
		off += snprintf(buf + off, sizeof(buf) - off, "%x:%x ",
				t->r[i].port, t->r[i].val);
	return buf;
}
