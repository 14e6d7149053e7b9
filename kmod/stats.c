// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: where a vCPU's time goes, and the tracepoints (kmod/trace.h).
 *
 * A vCPU's life is a cycle of transitions, each timed with one TSC read:
 *
 *   KVM_RUN called --> VM entry --> VM exit --> VM entry --> ... -->
 *   KVM_RUN returns --> (userspace) --> KVM_RUN called ...
 *
 *   minihv_stats_run_begin()  KVM_RUN called: the time since KVM_RUN
 *                             returned is user_ns (and part of the
 *                             open exit's latency)
 *   minihv_stats_entry()      VM entry (backend, IRQs off): the time since
 *                             the last exit is that exit's latency, into
 *                             exit_ns[] and hist[]; less its userspace
 *                             part, kernel_ns
 *   minihv_stats_exit()       VM exit (backend, before the handler): the
 *                             time since the entry is guest_ns; counts the
 *                             exit by reason
 *   minihv_stats_run_end()    KVM_RUN returns
 *
 * Only the vCPU's thread writes these counters (under vcpu->mutex, in
 * KVM_RUN), with WRITE_ONCE() on naturally aligned u64s; readers use
 * READ_ONCE() and never lock: on x86-64 a u64 access is never torn.
 *
 * TSC deltas become nanoseconds with one multiplication by a factor
 * computed once from tsc_khz at module load.  The two hooks on the exit
 * path are inline (kmod/stats.h), in the backends' run functions.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr.h>
#include <asm/tsc.h>

#include "minihv.h"
#include "stats.h"

/* The one file that creates the tracepoints (none under NOTRACE). */
#ifndef NOTRACE
#define CREATE_TRACE_POINTS
#endif
#include "trace.h"

u32 minihv_ns_mult __read_mostly = 1U << MINIHV_NS_SHIFT;

void minihv_stats_init(void)
{
	/* ns = cycles * 10^6 / tsc_khz; 1 cycle = 1 ns if it is unknown. */
	if (tsc_khz > 4000)
		minihv_ns_mult = div_u64(1000000ULL << MINIHV_NS_SHIFT,
					 tsc_khz);
}

static const char *exit_name(unsigned int stat)
{
	return minihv_ops->exit_name ? minihv_ops->exit_name(stat) : NULL;
}

int minihv_stats_vcpu_alloc(struct minihv_vcpu *vcpu)
{
	vcpu->stats = kvzalloc(sizeof(*vcpu->stats), GFP_KERNEL_ACCOUNT);
	return vcpu->stats ? 0 : -ENOMEM;
}

void minihv_stats_vcpu_free(struct minihv_vcpu *vcpu)
{
	kvfree(vcpu->stats);
	vcpu->stats = NULL;
}

/* KVM_RUN called (vcpu->mutex held). */
void minihv_stats_run_begin(struct minihv_vcpu *vcpu)
{
	struct minihv_vcpu_stats *s = vcpu->stats;
	u64 ns;

	trace_minihv_userspace_return(vcpu);
	if (!s->t_user)
		return;
	ns = minihv_cyc_to_ns(rdtsc() - s->t_user);
	s->t_user = 0;
	minihv_stat_add(&s->user_ns, ns);
	if (s->exit_open)
		s->user_in_exit += ns;
}

/* KVM_RUN returns @r (vcpu->mutex held). */
void minihv_stats_run_end(struct minihv_vcpu *vcpu, int r)
{
	vcpu->stats->t_user = rdtsc();
	trace_minihv_userspace_exit(vcpu, vcpu->run->exit_reason, r);
}

/*
 * The details of the exit minihv_stats_exit() just counted, for the
 * minihv_exit event (the backend calls it only if minihv_trace_exit_on()).
 */
void minihv_trace_exit_info(struct minihv_vcpu *vcpu,
			    const struct minihv_exit_info *e)
{
	struct minihv_vcpu_stats *s = vcpu->stats;

	s->exit = *e;
	s->exit.stat = s->exit_stat;
	s->exit.guest_ns = s->exit_guest_ns;
	s->exit_copied = true;
}

/*
 * The exit was handled: @r as ->vcpu_run() returned it.  Called only when
 * the minihv_exit tracepoint is on (kmod/vcpu.c).
 */
void minihv_trace_exit(struct minihv_vcpu *vcpu, int r)
{
	struct minihv_vcpu_stats *s = vcpu->stats;
	unsigned int to = r > 0 ? MINIHV_EXIT_TO_KERNEL :
		r == 0 ? MINIHV_EXIT_TO_USER : MINIHV_EXIT_TO_ERROR;

	/* Only an exit copied while the tracepoint was on, once. */
	if (!s->exit_copied)
		return;
	s->exit_copied = false;
	trace_minihv_exit(vcpu, &s->exit, exit_name(s->exit.stat),
			  to, r > 0 ? 0 : vcpu->run->exit_reason);
}

/* ---------------------------------------------------------------------
 * Reading
 */

static void add_vcpu(struct minihv_stats *st, const struct minihv_vcpu *vcpu)
{
	const struct minihv_vcpu_stats *s = vcpu->stats;
	unsigned int i, b;

	st->nr_vcpus++;
	st->guest_ns += READ_ONCE(s->guest_ns);
	st->kernel_ns += READ_ONCE(s->kernel_ns);
	st->user_ns += READ_ONCE(s->user_ns);
	for (i = 0; i < MINIHV_STATS_NR_REASONS; i++) {
		u64 n = READ_ONCE(vcpu->exits[i]);

		st->exits[i] += n;
		st->total_exits += n;
		st->exit_ns[i] += READ_ONCE(s->exit_ns[i]);
		for (b = 0; b < MINIHV_STATS_NR_BUCKETS; b++)
			st->hist[i][b] += READ_ONCE(s->hist[i][b]);
	}
}

/*
 * Fill @st (zeroed by the caller) for vCPU @vcpu_id, or the whole VM if
 * -1.  Takes vm->lock: the vCPUs cannot go away under it (they live as
 * long as the VM, which the caller holds).
 */
void minihv_stats_read(struct minihv_vm *vm, int vcpu_id,
		       struct minihv_stats *st)
{
	unsigned int i;

	st->version = MINIHV_STATS_VERSION;
	st->vendor = minihv_ops->vendor;
	st->vm_id = vm->id;
	st->nr_reasons = MINIHV_STATS_NR_REASONS;
	st->nr_buckets = MINIHV_STATS_NR_BUCKETS;
	for (i = 0; i < MINIHV_STATS_NR_REASONS; i++) {
		const char *name = exit_name(i);

		if (name)
			strscpy(st->names[i], name, sizeof(st->names[i]));
	}
	mutex_lock(&vm->lock);
	for (i = 0; i < MINIHV_MAX_VCPUS; i++) {
		const struct minihv_vcpu *vcpu = vm->vcpus[i];

		if (vcpu && (vcpu_id < 0 || vcpu_id == i))
			add_vcpu(st, vcpu);
	}
	mutex_unlock(&vm->lock);
}

/* MINIHV_GET_STATS (VM fd); uapi/minihv.h documents it. */
long minihv_get_stats(struct minihv_vm *vm,
		      struct minihv_stats_req __user *ureq)
{
	struct minihv_stats_req req;
	struct minihv_stats *st;
	long r;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if (req.version != MINIHV_STATS_VERSION || req.flags)
		return -EINVAL;
	if (req.vcpu < -1 || req.vcpu >= MINIHV_MAX_VCPUS)
		return -EINVAL;
	if (req.size < sizeof(*st)) {
		req.size = sizeof(*st);
		if (put_user(req.size, &ureq->size))
			return -EFAULT;
		return -E2BIG;
	}
	if (req.vcpu >= 0 && !READ_ONCE(vm->vcpus[req.vcpu]))
		return -ENOENT;

	st = kvzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;
	minihv_stats_read(vm, req.vcpu, st);
	r = 0;
	if (copy_to_user(u64_to_user_ptr(req.data), st, sizeof(*st)) ||
	    put_user((u32)sizeof(*st), &ureq->size))
		r = -EFAULT;
	kvfree(st);
	return r;
}
