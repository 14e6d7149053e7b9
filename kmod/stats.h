/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv: the statistics hooks on the exit path, inline (kmod/stats.c has
 * the rest and the story).  The backends call, preemption off:
 *
 *   minihv_stats_entry()  just before VM entry, IRQs off
 *   minihv_stats_exit()   just after the exit, before the handler
 *
 * One TSC read each.  Only the vCPU's thread writes these counters:
 * WRITE_ONCE() on aligned u64s, which readers never see torn on x86-64.
 */
#ifndef MINIHV_STATS_H
#define MINIHV_STATS_H

#include <linux/bitops.h>
#include <linux/math64.h>
#include <asm/msr.h>

#include "minihv.h"
#include "trace.h"

#define MINIHV_NS_SHIFT	24
extern u32 minihv_ns_mult;

static __always_inline u64 minihv_cyc_to_ns(u64 cycles)
{
	return mul_u64_u32_shr(cycles, minihv_ns_mult, MINIHV_NS_SHIFT);
}

static __always_inline void minihv_stat_add(u64 *counter, u64 n)
{
	WRITE_ONCE(*counter, *counter + n);
}

/* Just before VM entry: closes the last exit (its cost, its bucket). */
static __always_inline void minihv_stats_entry(struct minihv_vcpu *vcpu)
{
	struct minihv_vcpu_stats *s = vcpu->stats;
	u64 now = rdtsc();

	s->t_entry = now;
	if (s->exit_open) {
		u64 ns = minihv_cyc_to_ns(now - s->t_exit);
		unsigned int stat = s->exit_stat;
		unsigned int b = min_t(unsigned int, fls64(ns),
				       MINIHV_STATS_NR_BUCKETS - 1);

		s->exit_open = 0;
		minihv_stat_add(&s->exit_ns[stat], ns);
		minihv_stat_add(&s->hist[stat][b], 1);
		minihv_stat_add(&s->kernel_ns, ns > s->user_in_exit ?
				ns - s->user_in_exit : 0);
	}
}

/* Just after a VM exit: time in the guest, the exit counted by @stat. */
static __always_inline void minihv_stats_exit(struct minihv_vcpu *vcpu,
					      unsigned int stat)
{
	struct minihv_vcpu_stats *s = vcpu->stats;
	u64 now = rdtsc();

	s->exit_guest_ns = minihv_cyc_to_ns(now - s->t_entry);
	minihv_stat_add(&s->guest_ns, s->exit_guest_ns);
	minihv_stat_add(&vcpu->exits[stat], 1);
	s->t_exit = now;
	s->user_in_exit = 0;
	s->exit_open = 1;
	s->exit_stat = stat;
	s->exit_copied = false;		/* minihv_trace_exit_info() sets it */
}

/*
 * Is minihv_exit on?  Then, after minihv_stats_exit() and before the
 * handler, the backend gives the exit's details to minihv_trace_exit_info()
 * (kmod/stats.c), which keeps them for the event emitted after the
 * handler.  Disabled, this is one static branch: the backend does not
 * even read the details.
 */
static __always_inline bool minihv_trace_exit_on(void)
{
	return trace_minihv_exit_enabled();
}

#endif /* MINIHV_STATS_H */
