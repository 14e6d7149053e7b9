// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: interrupt injection, kicks and blocking, for both backends.
 *
 * Before each entry the run loop calls minihv_inject_events(): a queued
 * NMI, then the PIC's ExtINT (KVM_INTERRUPT) or the local APIC's highest
 * deliverable vector, goes in if the guest can take it now; otherwise the
 * backend is asked for an interrupt (or NMI) window exit.  An NMI that
 * waits behind the one going in asks for the NMI window at once.
 *
 * Kicks.  Anyone who makes an event pending for a vCPU (an IPI from
 * another vCPU, the APIC timer in hard IRQ context, KVM_SIGNAL_MSI, the
 * vCPU itself) calls minihv_vcpu_kick(): it sets MINIHV_REQ_EVENT, then
 * sends a reschedule IPI if the vCPU is in guest mode (the IPI makes it
 * exit), and wakes it if it is blocked.  The vCPU clears the request
 * before it looks at its events, and the backend, with IRQs off, sets
 * vcpu->mode to MINIHV_IN_GUEST and then checks the request
 * (minihv_guest_enter()): either the kicker sees the mode and IPIs (the
 * IPI waits for the entry and makes an immediate exit), or the vCPU sees
 * the request and does not enter.  Both sides order their write before
 * their read with a full barrier.
 *
 * Blocking.  With an in-kernel APIC, HLT does not go to userspace: the
 * vCPU is MP_STATE_HALTED and sleeps, killable and interruptible, in the
 * run loop (without slots_lock) until an interrupt can be taken, an NMI
 * or INIT/SIPI is pending, or a signal comes (KVM_EXIT_INTR, -EINTR, as
 * KVM; the next KVM_RUN sleeps again).  An AP waits the same way for
 * INIT and SIPI.
 *
 * Spinning.  A vCPU caught spinning in a PAUSE loop (the backend's
 * pause-loop exit) most likely waits for another vCPU, a lock holder or
 * an AP being brought up, which may need this very CPU: it yields to
 * the task of another vCPU (directed yield, as KVM).
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/smp.h>
#include <linux/thread_info.h>
#include <linux/vtime.h>
#include <linux/wait.h>
#include <asm/processor-flags.h>

#include "minihv.h"
#include "lapic.h"
#include "trace.h"

void minihv_vcpu_kick(struct minihv_vcpu *vcpu)
{
	int cpu, me;

	set_bit(MINIHV_REQ_EVENT, &vcpu->requests);
	/* The request before the mode: pairs with minihv_guest_enter(). */
	smp_mb__after_atomic();
	if (READ_ONCE(vcpu->mode) == MINIHV_IN_GUEST) {
		cpu = READ_ONCE(vcpu->cpu);
		me = get_cpu();
		if (cpu != me && cpu_online(cpu))
			smp_send_reschedule(cpu);
		put_cpu();
	}
	if (wq_has_sleeper(&vcpu->wq))
		wake_up_interruptible(&vcpu->wq);
}

/* The jiffy of this CPU's last RCU quiescent state from an entry. */
static DEFINE_PER_CPU(unsigned long, minihv_qs_jiffies);

/*
 * What the run loop handles at its top (vcpu_run_loop()): a signal (the
 * exit to userspace) and a reschedule; task work, too, which it leaves
 * KVM_RUN for (minihv_task_work_pending()).
 */
#define MINIHV_TIF_WORK	(_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL | _TIF_NEED_RESCHED)

/*
 * Called by the backend with IRQs off, right before the entry: false if
 * an event came since minihv_inject_events(), or a signal, a reschedule
 * or task work since the run loop looked (do not enter, go round).
 * Whoever sets those for a task in the guest sends an IPI
 * (minihv_vcpu_kick(), kick_process(), resched_curr()), and the IPI is
 * what makes the guest exit: from here on, with IRQs off, it stays
 * pending and makes the entry exit at once; before here it was taken in
 * the host, and this look is all that is left of it (as KVM's
 * kvm_vcpu_exit_request()).
 */
bool minihv_guest_enter(struct minihv_vcpu *vcpu)
{
	unsigned long ti_flags;

	vcpu->cpu = smp_processor_id();
	/* The mode before the request: pairs with minihv_vcpu_kick(). */
	smp_store_mb(vcpu->mode, MINIHV_IN_GUEST);
	ti_flags = read_thread_flags();
	if (unlikely(test_bit(MINIHV_REQ_EVENT, &vcpu->requests) ||
		     (ti_flags & MINIHV_TIF_WORK) ||
		     minihv_task_work_pending(ti_flags))) {
		WRITE_ONCE(vcpu->mode, MINIHV_OUTSIDE_GUEST);
		return false;
	}
	/*
	 * For RCU the guest is what user mode is (as KVM): nothing here
	 * holds an RCU reference across the entry, so an entry reports a
	 * quiescent state, and a vCPU whose exits are all handled in the
	 * kernel does not hold up grace periods.  KVM reports one on every
	 * entry; here the first entry of each jiffy on this CPU does (RCU's
	 * own checks go by the tick): 70 instructions an exit less, a grace
	 * period at most a jiffy later.  Unlike KVM, no extended quiescent
	 * state on nohz_full CPUs (context tracking): the backends run
	 * instrumented code (MSR writes, tracepoints) between here and the
	 * entry, which RCU must still watch.  PF_VCPU until
	 * minihv_guest_irq_window(): ticks in the guest are guest time.
	 */
	vtime_account_guest_enter();
	if (time_after(jiffies, __this_cpu_read(minihv_qs_jiffies))) {
		__this_cpu_write(minihv_qs_jiffies, jiffies);
		rcu_virt_note_context_switch(vcpu->cpu);
	}
	return true;
}

/* Before each entry: inject what can go in, open windows for the rest. */
void minihv_inject_events(struct minihv_vcpu *vcpu)
{
	const struct minihv_vendor_ops *ops = minihv_ops;
	bool ext;
	int vec = -1;

	/*
	 * Clear the request before looking at the events (a kick after this
	 * sets it again and minihv_guest_enter() sees it), also for VMs
	 * without interrupts: minihv_vm_kick_all() sets it too.
	 */
	if (test_bit(MINIHV_REQ_EVENT, &vcpu->requests)) {
		clear_bit(MINIHV_REQ_EVENT, &vcpu->requests);
		/* The clear before the reads of the events. */
		smp_mb__after_atomic();
	}
	if (!vcpu->apic && vcpu->irq_pending < 0 &&
	    !atomic_read(&vcpu->nmi_queued) &&
	    !READ_ONCE(vcpu->run->request_interrupt_window))
		return;

	if (atomic_read(&vcpu->nmi_queued)) {
		if (ops->nmi_allowed(vcpu)) {
			atomic_dec(&vcpu->nmi_queued);
			trace_minihv_inject(vcpu, MINIHV_INJ_NMI, 2, false, 0);
			ops->inject_nmi(vcpu);
			/*
			 * Another one waits behind it: an exit once this one's
			 * IRET unblocks NMIs (as KVM), rather than at whatever
			 * exit comes next.
			 */
			if (atomic_read(&vcpu->nmi_queued))
				ops->request_window(vcpu, true);
		} else {
			ops->request_window(vcpu, true);
		}
	}
	ext = vcpu->irq_pending >= 0 &&
	      (!vcpu->apic || minihv_lapic_accept_pic(vcpu));
	if (!ext && vcpu->apic)
		vec = minihv_lapic_pending_vector(vcpu);
	if (!ext && vec < 0) {
		/* Userspace's PIC wants to know when it can inject. */
		if (READ_ONCE(vcpu->run->request_interrupt_window) &&
		    !ops->interrupt_allowed(vcpu))
			ops->request_window(vcpu, false);
		return;
	}
	if (!ops->interrupt_allowed(vcpu)) {
		ops->request_window(vcpu, false);
		return;
	}
	if (ext) {
		vec = vcpu->irq_pending;
		vcpu->irq_pending = -1;
	} else {
		minihv_lapic_ack(vcpu, vec);
	}
	trace_minihv_inject(vcpu, MINIHV_INJ_INTR, vec, false, 0);
	ops->inject_irq(vcpu, vec);
}

/*
 * Could userspace inject with KVM_INTERRUPT now?  KVM's
 * kvm_vcpu_ready_for_interrupt_injection(): interrupts allowed, nothing
 * waiting, and with an in-kernel APIC, LVT0 taking ExtINT.
 */
bool minihv_ready_for_injection(struct minihv_vcpu *vcpu)
{
	return minihv_ops->interrupt_allowed(vcpu) && vcpu->irq_pending < 0 &&
	       (!vcpu->apic || minihv_lapic_accept_pic(vcpu));
}

/* Before returning to userspace: the kvm_run fields KVM fills. */
void minihv_post_run(struct minihv_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->if_flag = !!(vcpu->rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = minihv_ready_for_injection(vcpu);
	run->cr8 = minihv_get_cr8(vcpu);
	if (vcpu->apic)
		run->apic_base = vcpu->apic->base;
}

/* Would a halted vCPU wake up?  The vCPU itself (it reads its RFLAGS). */
bool minihv_vcpu_has_events(struct minihv_vcpu *vcpu)
{
	if (vcpu->apic && READ_ONCE(vcpu->apic->pending_events))
		return true;
	if (atomic_read(&vcpu->nmi_queued))
		return true;
	if (!(vcpu->rflags & X86_EFLAGS_IF))
		return false;
	if (vcpu->irq_pending >= 0 &&
	    (!vcpu->apic || minihv_lapic_accept_pic(vcpu)))
		return true;
	return vcpu->apic && minihv_lapic_pending_vector(vcpu) >= 0;
}

static bool can_wake(struct minihv_vcpu *vcpu)
{
	if (READ_ONCE(vcpu->apic->pending_events))
		return true;
	return vcpu->mp_state == KVM_MP_STATE_HALTED &&
	       minihv_vcpu_has_events(vcpu);
}

/*
 * The vCPU is not runnable (halted, waiting for INIT/SIPI): sleep until
 * it may be, or a signal comes.  Called from the run loop with
 * vm->slots_lock held for read; drops it while sleeping.
 */
int minihv_vcpu_block(struct minihv_vcpu *vcpu)
{
	struct minihv_vm *vm = vcpu->vm;
	int r;

	lockdep_assert_held_read(&vm->slots_lock);
	up_read(&vm->slots_lock);
	r = wait_event_interruptible(vcpu->wq, can_wake(vcpu));
	down_read(&vm->slots_lock);
	if (vcpu->mp_state == KVM_MP_STATE_HALTED &&
	    minihv_vcpu_has_events(vcpu))
		vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
	return r;
}

/*
 * KVM_RUN (vcpu->mutex held): remember the task that runs the vCPU, for
 * the directed yields below.  It is nearly always the same one.
 */
void minihv_vcpu_note_task(struct minihv_vcpu *vcpu)
{
	struct pid *old = rcu_dereference_protected(vcpu->pid,
					lockdep_is_held(&vcpu->mutex));

	if (likely(old == task_pid(current)))
		return;
	rcu_assign_pointer(vcpu->pid, get_task_pid(current, PIDTYPE_PID));
	if (old) {
		synchronize_rcu();
		put_pid(old);
	}
}

/*
 * The guest spins in a PAUSE loop: give this CPU to another vCPU of the
 * VM that is runnable but not running (yield_to() fails for the others:
 * in the guest elsewhere, halted, asleep), the one it waits for with
 * luck, as KVM's kvm_vcpu_on_spin() does.  Starts after itself, so that
 * every vCPU gets its turn.  Exit handler context (preemptible).
 */
void minihv_vcpu_on_spin(struct minihv_vcpu *me)
{
	struct minihv_vm *vm = me->vm;
	int n = atomic_read(&vm->online_vcpus) - 1, k;

	smp_rmb();	/* online_vcpus before vcpus[] */
	for (k = 1; k < MINIHV_MAX_VCPUS && n > 0; k++) {
		struct minihv_vcpu *v;
		struct task_struct *task;
		int r;

		v = READ_ONCE(vm->vcpus[(me->id + k) % MINIHV_MAX_VCPUS]);
		if (!v)
			continue;
		n--;
		if (READ_ONCE(v->mode) == MINIHV_IN_GUEST)
			continue;
		rcu_read_lock();
		task = get_pid_task(rcu_dereference(v->pid), PIDTYPE_PID);
		rcu_read_unlock();
		if (!task)
			continue;
		r = yield_to(task, true);
		put_task_struct(task);
		if (r > 0)
			break;
	}
}

int minihv_events_init(struct minihv_vcpu *vcpu)
{
	init_waitqueue_head(&vcpu->wq);
	vcpu->irq_pending = -1;
	atomic_set(&vcpu->nmi_queued, 0);
	vcpu->mode = MINIHV_OUTSIDE_GUEST;
	if (!vcpu->vm->split_irqchip)
		return 0;
	/* KVM: the APs of a VM with an in-kernel APIC wait for INIT/SIPI. */
	if (vcpu->id != 0)
		vcpu->mp_state = KVM_MP_STATE_UNINITIALIZED;
	return minihv_lapic_create(vcpu);
}

void minihv_events_free(struct minihv_vcpu *vcpu)
{
	minihv_lapic_free(vcpu);
	/* No vCPU runs any more: nobody looks at it. */
	put_pid(rcu_dereference_protected(vcpu->pid, 1));
}
