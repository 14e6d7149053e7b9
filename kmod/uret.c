// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: MSRs that keep the guest's value until the CPU returns to
 * userspace ("user-return MSRs", as KVM has them).
 *
 * Some MSRs matter to the host only in user mode: the SYSCALL targets and
 * flag mask (STAR, LSTAR, CSTAR, SFMASK: the return to userspace runs the
 * notifier before its SYSRET), and TSC_AUX, which RDTSCP and RDPID read
 * there (the kernel itself does not read it since 5.9).  VMX switches
 * none of them, SVM only the first four (VMLOAD/VMSAVE).  A backend that must give the guest its own value of
 * one, because the CPU does not switch it, calls minihv_uret_set() before
 * the entry: it writes the MSR only if this CPU holds another value, and
 * arms a user-return notifier that puts the host's back when the CPU next
 * goes to user mode (the vCPU thread's exit to userspace, or any other
 * task's).  A round trip handled in the kernel then costs no MSR write at
 * all, instead of two per MSR.
 *
 * Per CPU: the host's values are read when minihv enables the CPU
 * (minihv_uret_cpu_init(), hw.c) and put back, the notifier dropped, when
 * it disables it (minihv_uret_cpu_drop()): the notifier never outlives the
 * module.  The notifier runs with IRQs on; it and the disable path (IRQs
 * off, maybe in an IPI) serialise on the "registered" flag with IRQs off,
 * as KVM's do.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/user-return-notifier.h>
#include <asm/msr.h>

#include "minihv.h"

static const u32 uret_msr[MINIHV_URET_NR] = {
	[MINIHV_URET_STAR]	= MSR_STAR,
	[MINIHV_URET_LSTAR]	= MSR_LSTAR,
	[MINIHV_URET_CSTAR]	= MSR_CSTAR,
	[MINIHV_URET_SFMASK]	= MSR_SYSCALL_MASK,
	[MINIHV_URET_TSC_AUX]	= MSR_TSC_AUX,
};

struct uret_cpu {
	struct user_return_notifier urn;
	bool registered;
	u64 host[MINIHV_URET_NR];
};

static DEFINE_PER_CPU(struct uret_cpu, uret_cpu);
/* What each MSR holds on this CPU: minihv_uret_set()'s inline test. */
DEFINE_PER_CPU(u64 [MINIHV_URET_NR], minihv_uret_curr);
static bool uret_usable[MINIHV_URET_NR];

/* The host's values back; IRQs on or off, on the CPU concerned. */
static void uret_restore(struct user_return_notifier *urn)
{
	struct uret_cpu *u = container_of(urn, struct uret_cpu, urn);
	u64 *curr = this_cpu_ptr(minihv_uret_curr);
	unsigned long flags;
	int i;

	local_irq_save(flags);
	if (u->registered) {
		u->registered = false;
		user_return_notifier_unregister(urn);
	}
	local_irq_restore(flags);
	for (i = 0; i < MINIHV_URET_NR; i++) {
		if (curr[i] != u->host[i]) {
			wrmsrl(uret_msr[i], u->host[i]);
			curr[i] = u->host[i];
		}
	}
}

/* Module init: which of the MSRs this CPU has. */
void minihv_uret_init(void)
{
	u64 v;
	int i;

	for (i = 0; i < MINIHV_URET_NR; i++)
		uret_usable[i] = !rdmsrl_safe(uret_msr[i], &v);
}

bool minihv_uret_usable(enum minihv_uret slot)
{
	return uret_usable[slot];
}

/* minihv enables this CPU (IRQs off): the host's values. */
void minihv_uret_cpu_init(void)
{
	struct uret_cpu *u = this_cpu_ptr(&uret_cpu);
	u64 *curr = this_cpu_ptr(minihv_uret_curr);
	int i;

	u->urn.on_user_return = uret_restore;
	for (i = 0; i < MINIHV_URET_NR; i++) {
		if (uret_usable[i])
			rdmsrl(uret_msr[i], u->host[i]);
		curr[i] = u->host[i];
	}
}

/* minihv disables this CPU (IRQs off): the host's values, now. */
void minihv_uret_cpu_drop(void)
{
	uret_restore(&this_cpu_ptr(&uret_cpu)->urn);
}

/*
 * minihv_uret_set()'s slow path (minihv.h): this CPU holds another value.
 * Preemption off.
 */
void __minihv_uret_set(enum minihv_uret slot, u64 val)
{
	struct uret_cpu *u = this_cpu_ptr(&uret_cpu);

	wrmsrl(uret_msr[slot], val);
	this_cpu_write(minihv_uret_curr[slot], val);
	if (!u->registered) {
		u->registered = true;
		user_return_notifier_register(&u->urn);
	}
}
