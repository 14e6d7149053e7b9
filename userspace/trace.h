/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv-run's view of root/non-root transitions: the minihv tracepoints
 * (tracefs events/minihv/, kmod/trace.h) decoded into plain words, and
 * the exit statistics of MINIHV_GET_STATS (uapi/minihv.h) as a table.
 *
 * For `minihv-run run --trace[=REASONS]` and `--stats`:
 *
 *	mhv_trace_start(vm_fd, reasons, stderr);   before the first KVM_RUN
 *	... run the guest ...
 *	mhv_trace_stop();                          prints what is left
 *	mhv_stats_print(vm_fd, stdout);
 *
 * Tracing needs root (tracefs) and a kernel with tracing; the events are
 * filtered in the kernel to the one VM ("vm == <id>"), so other VMs'
 * transitions cost nothing here.  One trace at a time per process, and
 * per machine (the events' enable and filter files are global).
 */
#ifndef _MINIHV_TRACE_H
#define _MINIHV_TRACE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Start tracing the VM of @vm_fd (a /dev/minihv VM fd): enable the minihv
 * events for it and print each transition to @out, decoded, from a thread
 * reading trace_pipe, until mhv_trace_stop().  @reasons: NULL or "" for
 * every exit, else a comma-separated list of exit reason names as minihv
 * calls them (the names of MINIHV_GET_STATS and debugfs: "io", "cpuid",
 * "hlt", "npf" or "ept_violation", "PF_excp" or "exception_nmi" for shadow
 * page faults...); other exits and what their handlers did are not
 * printed.  The asynchronous events have names of their own in the list:
 * "inject" (an interrupt or NMI injected on the way into the guest) and
 * "apic_timer"; with no list they are printed too.
 *
 * Returns 0, or -errno: -ENOENT no tracefs with events/minihv (not
 * mounted, or the module not loaded), -EBUSY a trace is already running,
 * -EINVAL a reason list that is too long, other errnos from MINIHV_GET_STATS
 * (-ENOTTY: not a minihv VM fd) and from tracefs (-EACCES: not root).
 */
int mhv_trace_start(int vm_fd, const char *reasons, FILE *out);

/* The same, for the VM whose id ("vm" field, minihv_stats.vm_id) is @id. */
int mhv_trace_start_id(unsigned int vm_id, const char *reasons, FILE *out);

/*
 * Disable the events, print the transitions still in the buffer, stop the
 * thread.  Does nothing if no trace runs.
 */
void mhv_trace_stop(void);

/*
 * Decode one line of trace_pipe (or of the trace file) into @buf: the
 * text mhv_trace_start() prints for it, "" when it prints nothing for it
 * (yet: an exit's handler events are printed after the exit line).
 * Keeps state between calls (per vCPU); mhv_trace_reset() clears it.
 * @reasons as for mhv_trace_start().  Returns the length written.
 */
size_t mhv_trace_decode(const char *line, const char *reasons, char *buf,
			size_t size);
void mhv_trace_reset(void);

/*
 * Print the exit statistics of the VM of @vm_fd (MINIHV_GET_STATS, all its
 * vCPUs): time in guest / kernel / userspace, a table of exits by reason
 * (count, share, mean time from exit to re-entry), and the log2 latency
 * histogram of each reason.  Prints one line saying why on error.
 */
void mhv_stats_print(int vm_fd, FILE *out);

#endif /* _MINIHV_TRACE_H */
