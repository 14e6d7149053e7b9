/* SPDX-License-Identifier: GPL-2.0 */
/*
 * paging: helpers for guests that build and switch their own page tables
 * (selftests/paging_test.c).
 *
 * Guest memory they use, in slot 0 above the library's layout:
 *   0x70000..0x77fff  the guest's own tables (PG_TABLE(n) = 0x70000 + n * 4K)
 *   0x80000..0x8ffff  data frames (PG_FRAME(n) = 0x80000 + n * 4K)
 * and the linear window PG_VA (1 GiB), which the guests map onto frames.
 *
 * The guests report values with `out %eax, $port`: PG_PORT_VAL (a value),
 * PG_PORT_CR2 and PG_PORT_ERR (from their own #PF handler).  pg_run()
 * runs a guest to its HLT and records every report.
 */
#ifndef _PAGING_H
#define _PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "guest.h"

#define PG_TABLE(n)	(0x70000UL + (n) * 0x1000UL)
#define PG_FRAME(n)	(0x80000UL + (n) * 0x1000UL)
#define PG_VA		0x40000000UL

#define PG_PORT_VAL	0x32
#define PG_PORT_CR2	0x33
#define PG_PORT_ERR	0x34

#define PG_MAX_REPORTS	64

struct pg_report {
	uint16_t port;
	uint32_t val;
};

struct pg_trace {
	int n;
	struct pg_report r[PG_MAX_REPORTS];
	uint32_t exit_reason;	/* the exit that ended the run */
	int exc;		/* vector if a library exception stub reported */
	char why[160];		/* if it did not end in HLT */
};

/* Guest-physical address of @label inside code loaded from @start. */
uint64_t pg_code_gpa(const void *start, const void *label);

/* Point IDT gate @vec (32-bit or 64-bit IDT) at @handler_gpa. */
void pg_set_gate32(struct gvm *vm, int vec, uint64_t handler_gpa);
void pg_set_gate64(struct gvm *vm, int vec, uint64_t handler_gpa);

/* Run until HLT (or anything but a report); 0 if it ended in HLT. */
int pg_run(struct gvcpu *v, struct pg_trace *t);

/* "port:value ..." of a trace, for logs (static buffer). */
const char *pg_trace_str(const struct pg_trace *t);

#endif /* _PAGING_H */
