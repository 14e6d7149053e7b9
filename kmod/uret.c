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

/* The slot of MSR @index, or -1 if it is not a user-return MSR. */
int minihv_uret_slot(u32 index)
{
	int i;

	for (i = 0; i < MINIHV_URET_NR; i++)
		if (uret_msr[i] == index)
			return i;
	return -1;
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
 * IRQs off.  A value the CPU refuses (#GP) is not written: 0 or -EINVAL.
 */
int __minihv_uret_set(enum minihv_uret slot, u64 val)
{
	struct uret_cpu *u = this_cpu_ptr(&uret_cpu);

	if (wrmsrl_safe(uret_msr[slot], val))
		return -EINVAL;
	this_cpu_write(minihv_uret_curr[slot], val);
	if (!u->registered) {
		u->registered = true;
		user_return_notifier_register(&u->urn);
	}
	return 0;
}

/*
 * A new guest value, from the guest's WRMSR or KVM_SET_MSRS: loaded now
 * (as KVM's kvm_set_user_return_msr()), so that one the CPU refuses is
 * refused here, never written unchecked at the next entry.  0 or -EINVAL.
 */
int minihv_uret_try(enum minihv_uret slot, u64 val)
{
	unsigned long flags;
	int r = 0;

	local_irq_save(flags);
	if (this_cpu_read(minihv_uret_curr[slot]) != val)
		r = __minihv_uret_set(slot, val);
	local_irq_restore(flags);
	return r;
}

/* CPUID.0 of the guest says GenuineIntel (KVM's guest_cpuid_is_intel()). */
static bool guest_is_intel(struct minihv_vcpu *vcpu)
{
	int i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->cpuid[i];

		if (e->function == 0)
			return e->ebx == 0x756e6547 && e->ecx == 0x6c65746e &&
			       e->edx == 0x49656e69;
	}
	return false;
}

/*
 * KVM's rules for a new value of STAR, LSTAR, CSTAR, SFMASK or TSC_AUX
 * (the guest's WRMSR: #GP; KVM_SET_MSRS: refused), for both backends:
 * LSTAR and CSTAR canonical; TSC_AUX's bits 63:32 reserved for a guest
 * whose CPUID says Intel, ignored (cleared, as AMD CPUs do) otherwise.
 * 0 or -EINVAL; *@data is the value to keep.
 */
int minihv_uret_check(struct minihv_vcpu *vcpu, u32 index, u64 *data)
{
	switch (index) {
	case MSR_LSTAR:
	case MSR_CSTAR:
		return minihv_canonical(*data) ? 0 : -EINVAL;
	case MSR_TSC_AUX:
		if ((*data >> 32) && guest_is_intel(vcpu))
			return -EINVAL;
		*data = (u32)*data;
		return 0;
	}
	return 0;
}
