/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv tracepoints: /sys/kernel/tracing/events/minihv/.
 *
 * Every event starts with "vm" (the VM's id, struct minihv_vm.id, unique
 * while the module is loaded; MINIHV_GET_STATS returns it) and "vcpu", so
 * one VM's events are selected with a tracefs filter:
 *
 *   echo 'vm == 3' > /sys/kernel/tracing/events/minihv/filter
 *   echo 1 > /sys/kernel/tracing/events/minihv/enable
 *
 * or with trace-cmd record -e minihv -f 'vm == 3', perf trace -e 'minihv:*'.
 * The text of each event is "key=value" pairs, parsed by userspace/trace.c.
 *
 * A disabled tracepoint is a static branch (a NOP in the code); its
 * arguments are not evaluated.  Building with MINIHV_NO_TRACE=1 (Kbuild)
 * defines NOTRACE, which compiles every trace_minihv_*() call to nothing,
 * for the comparison of `make bench`.
 *
 * The order of events for one round trip in the kernel:
 *   [minihv_inject (interrupt, NMI)], minihv_entry,
 *   [minihv_page_fault, minihv_inject (exception)...], minihv_exit
 * An interrupt or NMI is injected just before the entry
 * (kmod/events.c:minihv_inject_events()), an exception by an exit's
 * handler.  minihv_apic_timer comes whenever the hrtimer fires (hard IRQ,
 * kmod/lapic.c:timer_fn()), on whatever CPU.
 * The exit event is emitted once the exit has been handled, so it can say
 * where the exit went (kernel, userspace, error): what the handler did
 * (a nested page fault, an injected exception) comes before it.  An exit
 * to userspace is followed by minihv_userspace_exit, and the next KVM_RUN
 * begins with minihv_userspace_return.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM minihv

#if !defined(MINIHV_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define MINIHV_TRACE_H

#include <linux/tracepoint.h>

#include "minihv.h"

/* minihv_exit's "to": where the exit was handled. */
#define MINIHV_EXIT_TO_KERNEL	0
#define MINIHV_EXIT_TO_USER	1
#define MINIHV_EXIT_TO_ERROR	2

/* minihv_inject's "type". */
#define MINIHV_INJ_EXCEPTION	0
#define MINIHV_INJ_NMI		1
#define MINIHV_INJ_INTR		2

/* minihv_page_fault's "kind" and "result". */
#define MINIHV_PF_TDP		0	/* EPT violation / NPT fault */
#define MINIHV_PF_SHADOW	1	/* guest #PF under shadow paging */

#define MINIHV_PF_MAPPED	0	/* a page was mapped, guest retries */
#define MINIHV_PF_MMIO		1	/* no RAM (or read-only): MMIO */
#define MINIHV_PF_GUEST		2	/* shadow: the guest's own #PF */

/* The vCPU is about to enter the guest (kmod/vcpu.c, before ->vcpu_run). */
TRACE_EVENT(minihv_entry,
	TP_PROTO(const struct minihv_vcpu *vcpu),
	TP_ARGS(vcpu),

	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
		__field(u64, rip)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->rip = vcpu->rip;
	),

	TP_printk("vm=%u vcpu=%u rip=%#llx",
		  __entry->vm, __entry->vcpu, __entry->rip)
);

/*
 * A VM exit, once handled.  @e is what the backend saw at the exit
 * (struct minihv_exit_info); @to is MINIHV_EXIT_TO_*; @kvm_exit the
 * KVM_EXIT_* reason when it went to userspace, else 0.
 */
TRACE_EVENT(minihv_exit,
	TP_PROTO(const struct minihv_vcpu *vcpu,
		 const struct minihv_exit_info *e, const char *name,
		 unsigned int to, u32 kvm_exit),
	TP_ARGS(vcpu, e, name, to, kvm_exit),

	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
		__field(u32, vendor)
		__field(u32, nr)
		__string(reason, name ? name : "unknown")
		__field(u64, qual)
		__field(u64, info2)
		__field(u64, rip)
		__field(u32, len)
		__field(u32, to)
		__field(u32, kvm_exit)
		__field(u64, guest_ns)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->vendor = minihv_ops->vendor;
		__entry->nr = e->reason;
		__assign_str(reason, name ? name : "unknown");
		__entry->qual = e->qual;
		__entry->info2 = e->info2;
		__entry->rip = e->rip;
		__entry->len = e->len;
		__entry->to = to;
		__entry->kvm_exit = kvm_exit;
		__entry->guest_ns = e->guest_ns;
	),

	TP_printk("vm=%u vcpu=%u vendor=%s reason=%s nr=%#x qual=%#llx info2=%#llx rip=%#llx len=%u to=%s kvm_exit=%u guest_ns=%llu",
		  __entry->vm, __entry->vcpu,
		  __entry->vendor == MINIHV_VENDOR_VMX ? "vmx" : "svm",
		  __get_str(reason), __entry->nr, __entry->qual,
		  __entry->info2, __entry->rip, __entry->len,
		  __print_symbolic(__entry->to,
				   { MINIHV_EXIT_TO_KERNEL, "kernel" },
				   { MINIHV_EXIT_TO_USER, "user" },
				   { MINIHV_EXIT_TO_ERROR, "error" }),
		  __entry->kvm_exit, __entry->guest_ns)
);

/* An event queued for delivery at the next entry. */
TRACE_EVENT(minihv_inject,
	TP_PROTO(const struct minihv_vcpu *vcpu, unsigned int type, u8 vector,
		 bool has_error, u32 error),
	TP_ARGS(vcpu, type, vector, has_error, error),

	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
		__field(u32, type)
		__field(u32, vector)
		__field(u32, has_error)
		__field(u32, error)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->type = type;
		__entry->vector = vector;
		__entry->has_error = has_error;
		__entry->error = error;
	),

	TP_printk("vm=%u vcpu=%u type=%s vector=%u has_error=%u error=%#x",
		  __entry->vm, __entry->vcpu,
		  __print_symbolic(__entry->type,
				   { MINIHV_INJ_EXCEPTION, "exception" },
				   { MINIHV_INJ_NMI, "nmi" },
				   { MINIHV_INJ_INTR, "intr" }),
		  __entry->vector, __entry->has_error, __entry->error)
);

/*
 * A nested (EPT/NPT) or shadow page fault: @addr the guest-physical
 * address (tdp) or the faulting linear address (shadow), @error the
 * exit qualification / EXITINFO1 or the #PF error code.
 */
TRACE_EVENT(minihv_page_fault,
	TP_PROTO(const struct minihv_vcpu *vcpu, unsigned int kind, u64 addr,
		 u64 error, unsigned int result),
	TP_ARGS(vcpu, kind, addr, error, result),

	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
		__field(u32, kind)
		__field(u32, result)
		__field(u64, addr)
		__field(u64, error)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->kind = kind;
		__entry->result = result;
		__entry->addr = addr;
		__entry->error = error;
	),

	TP_printk("vm=%u vcpu=%u kind=%s addr=%#llx error=%#llx result=%s",
		  __entry->vm, __entry->vcpu,
		  __print_symbolic(__entry->kind,
				   { MINIHV_PF_TDP, "tdp" },
				   { MINIHV_PF_SHADOW, "shadow" }),
		  __entry->addr, __entry->error,
		  __print_symbolic(__entry->result,
				   { MINIHV_PF_MAPPED, "mapped" },
				   { MINIHV_PF_MMIO, "mmio" },
				   { MINIHV_PF_GUEST, "guest" }))
);

/* The local APIC timer of @vcpu fired, raising @vector. */
TRACE_EVENT(minihv_apic_timer,
	TP_PROTO(const struct minihv_vcpu *vcpu, u8 vector),
	TP_ARGS(vcpu, vector),

	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
		__field(u32, vector)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->vector = vector;
	),

	TP_printk("vm=%u vcpu=%u vector=%u",
		  __entry->vm, __entry->vcpu, __entry->vector)
);

/* KVM_RUN returns: @kvm_exit is run->exit_reason, @ret its result. */
TRACE_EVENT(minihv_userspace_exit,
	TP_PROTO(const struct minihv_vcpu *vcpu, u32 kvm_exit, int ret),
	TP_ARGS(vcpu, kvm_exit, ret),

	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
		__field(u32, kvm_exit)
		__field(s32, ret)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
		__entry->kvm_exit = kvm_exit;
		__entry->ret = ret;
	),

	TP_printk("vm=%u vcpu=%u kvm_exit=%u ret=%d",
		  __entry->vm, __entry->vcpu, __entry->kvm_exit, __entry->ret)
);

/* KVM_RUN is called: userspace hands the vCPU back to the kernel. */
TRACE_EVENT(minihv_userspace_return,
	TP_PROTO(const struct minihv_vcpu *vcpu),
	TP_ARGS(vcpu),

	TP_STRUCT__entry(
		__field(u32, vm)
		__field(u32, vcpu)
	),

	TP_fast_assign(
		__entry->vm = vcpu->vm->id;
		__entry->vcpu = vcpu->id;
	),

	TP_printk("vm=%u vcpu=%u", __entry->vm, __entry->vcpu)
);

#endif /* MINIHV_TRACE_H */

/* Out of tree: define_trace.h finds this file in kmod/ under -I$(src). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH kmod
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
