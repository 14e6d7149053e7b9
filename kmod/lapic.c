// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the in-kernel local APIC.
 *
 * With KVM_CAP_SPLIT_IRQCHIP every vCPU gets a local APIC here; the
 * IOAPIC and the PIC stay in userspace, which delivers through
 * KVM_SIGNAL_MSI and is told about level-triggered EOIs with
 * KVM_EXIT_IOAPIC_EOI.  The guest reaches its APIC through the xAPIC page
 * at IA32_APIC_BASE (MMIO exits, decoded in kmod/emulate.c) or, in x2APIC
 * mode, through MSRs 0x800-0x8ff.
 *
 * The registers live in apic->regs, laid out as KVM_GET_LAPIC shows them:
 * register at offset N of the xAPIC page is regs[N / 4].  IRR, ISR and TMR
 * are 8 registers of 32 bits, 16 bytes apart.  The bus clock is 1 GHz, as
 * in KVM, so one timer count is (divider) nanoseconds.
 *
 * Locking: apic->lock (IRQ-safe: the timer callback runs in hard IRQ
 * context) protects the registers and the timer state.  Other vCPUs set
 * IRR bits under it (IPIs, MSIs); the owner vCPU does everything else,
 * under vcpu->mutex.  hrtimer_cancel() is never called with the lock held
 * (the callback takes it).  A sender kicks the target after setting IRR
 * (kmod/events.c), which re-evaluates before its next entry.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/kvm.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <asm/apicdef.h>
#include <asm/msr.h>
#include <asm/tsc.h>

#include "minihv.h"
#include "lapic.h"
#include "trace.h"

#define REG(off)		((off) >> 2)
#define APIC_VERSION_VAL	(0x14 | (5 << 16))	/* 6 LVTs, as KVM */
#define LVT_MASKED		APIC_LVT_MASKED
#define LVT_TIMER_MODE_MASK	(3 << 17)
#define LVT_TIMER_ONESHOT	(0 << 17)
#define LVT_TIMER_PERIODIC	(1 << 17)
#define LVT_TIMER_TSCDEADLINE	(2 << 17)
#define ICR_DM_MASK		0x700
#define ICR_DM_FIXED		0x000
#define ICR_DM_LOWEST		0x100
#define ICR_DM_SMI		0x200
#define ICR_DM_NMI		0x400
#define ICR_DM_INIT		0x500
#define ICR_DM_SIPI		0x600
#define ICR_DM_EXTINT		0x700
#define ICR_LOGICAL		BIT(11)
#define ICR_BUSY		BIT(12)
#define ICR_LEVEL_ASSERT	BIT(14)
#define ICR_LEVEL_TRIG		BIT(15)
#define ICR_SH_MASK		(3 << 18)
#define ICR_SH_NONE		(0 << 18)
#define ICR_SH_SELF		(1 << 18)
#define ICR_SH_ALL		(2 << 18)
#define ICR_SH_OTHERS		(3 << 18)
#define ESR_SEND_ILLEGAL	BIT(5)
#define ESR_RECV_ILLEGAL	BIT(6)
#define ESR_ILLEGAL_REG		BIT(7)
#define MIN_PERIOD_NS		200000ULL	/* KVM's min_timer_period_us */

/* Writable bits of the LVTs (offset 0x320..0x370) */
static const u32 lvt_mask[] = {
	0x000700ff,	/* LVTT: vector, mask, mode (2 bits) */
	0x000107ff,	/* thermal */
	0x000107ff,	/* perf */
	0x0001a7ff,	/* LINT0: + polarity, trigger */
	0x0001a7ff,	/* LINT1 */
	0x000100ff,	/* error */
};

static u32 reg_get(struct minihv_lapic *apic, u32 off)
{
	return apic->regs[REG(off)];
}

static void reg_set(struct minihv_lapic *apic, u32 off, u32 val)
{
	apic->regs[REG(off)] = val;
}

/* Vector bit in an 8x32 bitmap register (IRR/ISR/TMR). */
static u32 *vec_word(struct minihv_lapic *apic, u32 base, int vec)
{
	return &apic->regs[REG(base + 0x10 * (vec >> 5))];
}

static void vec_set(struct minihv_lapic *apic, u32 base, int vec)
{
	*vec_word(apic, base, vec) |= BIT(vec & 31);
}

static void vec_clear(struct minihv_lapic *apic, u32 base, int vec)
{
	*vec_word(apic, base, vec) &= ~BIT(vec & 31);
}

static bool vec_test(struct minihv_lapic *apic, u32 base, int vec)
{
	return *vec_word(apic, base, vec) & BIT(vec & 31);
}

/* Highest set vector of a bitmap register, -1 if none. */
static int vec_highest(struct minihv_lapic *apic, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = apic->regs[REG(base + 0x10 * i)];

		if (w)
			return i * 32 + __fls(w);
	}
	return -1;
}

static bool hw_enabled(struct minihv_lapic *apic)
{
	return apic->base & MSR_IA32_APICBASE_ENABLE;
}

static bool sw_enabled(struct minihv_lapic *apic)
{
	return reg_get(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

static bool x2apic_mode(struct minihv_lapic *apic)
{
	return (apic->base & (MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE)) ==
	       (MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE);
}

static u32 apic_id(struct minihv_lapic *apic)
{
	u32 id = reg_get(apic, APIC_ID);

	return x2apic_mode(apic) ? id : id >> 24;
}

static void update_ppr(struct minihv_lapic *apic)
{
	u32 tpr = reg_get(apic, APIC_TASKPRI) & 0xff;
	int isr = vec_highest(apic, APIC_ISR);
	u32 isrv = isr < 0 ? 0 : isr & 0xf0;

	reg_set(apic, APIC_PROCPRI, (tpr & 0xf0) >= isrv ? tpr : isrv);
}

/* Latch an error; the guest sees it in ESR after its next ESR write. */
static void esr_error(struct minihv_lapic *apic, u32 bits)
{
	unsigned long flags;

	spin_lock_irqsave(&apic->lock, flags);
	apic->esr_pending |= bits;
	spin_unlock_irqrestore(&apic->lock, flags);
}

/* CPUID.1:ECX.x2APIC in the guest's table. */
static bool guest_has_x2apic(struct minihv_vcpu *vcpu)
{
	int i;

	for (i = 0; i < vcpu->cpuid_nent; i++)
		if (vcpu->cpuid[i].function == 1)
			return vcpu->cpuid[i].ecx & BIT(21);
	return false;
}

/* ---------------------------------------------------------------------
 * Accepting interrupts (any context, takes apic->lock)
 */

static void accept_fixed(struct minihv_lapic *apic, int vec, bool level)
{
	unsigned long flags;

	spin_lock_irqsave(&apic->lock, flags);
	if (!hw_enabled(apic) || !sw_enabled(apic)) {
		spin_unlock_irqrestore(&apic->lock, flags);
		return;
	}
	if (vec < 16) {
		apic->esr_pending |= ESR_RECV_ILLEGAL;
		spin_unlock_irqrestore(&apic->lock, flags);
		return;
	}
	vec_set(apic, APIC_IRR, vec);
	if (level)
		vec_set(apic, APIC_TMR, vec);
	else
		vec_clear(apic, APIC_TMR, vec);
	spin_unlock_irqrestore(&apic->lock, flags);
	minihv_vcpu_kick(apic->vcpu);
}

/* An interrupt message for @apic's vCPU.  @icr: delivery mode etc. */
static void accept_irq(struct minihv_lapic *apic, u32 icr)
{
	struct minihv_vcpu *vcpu = apic->vcpu;
	int vec = icr & 0xff;

	switch (icr & ICR_DM_MASK) {
	case ICR_DM_FIXED:
	case ICR_DM_LOWEST:
		accept_fixed(apic, vec, icr & ICR_LEVEL_TRIG);
		break;
	case ICR_DM_NMI:
		atomic_inc(&vcpu->nmi_queued);
		minihv_vcpu_kick(vcpu);
		break;
	case ICR_DM_INIT:
		/* INIT level de-assert does nothing (as on every P4+). */
		if ((icr & ICR_LEVEL_TRIG) && !(icr & ICR_LEVEL_ASSERT))
			break;
		set_bit(MINIHV_APIC_INIT, &apic->pending_events);
		minihv_vcpu_kick(vcpu);
		break;
	case ICR_DM_SIPI:
		WRITE_ONCE(apic->sipi_vector, vec);
		smp_wmb();	/* the vector before the event */
		set_bit(MINIHV_APIC_SIPI, &apic->pending_events);
		minihv_vcpu_kick(vcpu);
		break;
	default:
		/* SMI, ExtINT (the PIC is userspace's, KVM_INTERRUPT) */
		break;
	}
}

/*
 * Does @dst match destination @dest?  @x2: the message uses x2APIC
 * format (32-bit destinations); otherwise 8-bit xAPIC format.  Reads the
 * target's ID/LDR/DFR without its lock: they change only under its own
 * vCPU, and a racing change is a guest race.
 */
static bool match_dest(struct minihv_lapic *dst, u32 dest, bool logical,
		       bool x2)
{
	u32 bcast = x2 ? 0xffffffff : 0xff;
	u32 ldr;

	if (!hw_enabled(dst))
		return false;
	if (dest == bcast)
		return true;
	if (!logical)
		return apic_id(dst) == dest;
	ldr = READ_ONCE(dst->regs[REG(APIC_LDR)]);
	if (x2apic_mode(dst))
		return (ldr >> 16) == (dest >> 16) && (ldr & dest & 0xffff);
	ldr >>= 24;
	if ((READ_ONCE(dst->regs[REG(APIC_DFR)]) >> 28) == 0xf)
		return ldr & dest;
	/* Cluster model: 4-bit cluster, 4-bit mask. */
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);
}

/*
 * Deliver an interrupt message to the VM's APICs.  @src: the sending
 * APIC for IPIs (shorthands), NULL for MSIs.  Returns how many APICs got
 * it (KVM_SIGNAL_MSI's answer).
 *
 * Lowest priority goes to one of the matching enabled APICs chosen by
 * vector hashing, KVM's default (its vector_hashing parameter): the
 * (vector mod count)-th, in vCPU order.  KVM orders a logical destination
 * by logical ID bit instead, the same when the IDs follow the vCPU
 * numbers, as Linux and the tests set them.  Nobody's TPR is looked at.
 * A physical broadcast (0xff) with lowest priority is delivered as fixed,
 * to every APIC, as KVM does.
 */
static int deliver(struct minihv_vm *vm, struct minihv_lapic *src, u32 icr,
		   u32 dest, bool x2)
{
	int i, n = atomic_read(&vm->online_vcpus), hits = 0, nc = 0;
	struct minihv_lapic *cand[MINIHV_MAX_VCPUS];
	u32 sh = icr & ICR_SH_MASK;
	bool lowest = (icr & ICR_DM_MASK) == ICR_DM_LOWEST;

	if (lowest && !sh && !(icr & ICR_LOGICAL) && dest == 0xff)
		lowest = false;
	if (src && sh == ICR_SH_SELF) {
		accept_irq(src, icr);
		return 1;
	}
	smp_rmb();	/* online_vcpus before vcpus[] */
	for (i = 0; i < MINIHV_MAX_VCPUS && n; i++) {
		struct minihv_vcpu *v = READ_ONCE(vm->vcpus[i]);
		struct minihv_lapic *dst;

		if (!v)
			continue;
		n--;
		dst = v->apic;
		if (!dst)
			continue;
		if (sh == ICR_SH_ALL || sh == ICR_SH_OTHERS) {
			if (sh == ICR_SH_OTHERS && dst == src)
				continue;
		} else if (!match_dest(dst, dest, icr & ICR_LOGICAL, x2)) {
			continue;
		}
		if (lowest) {
			if (hw_enabled(dst) && sw_enabled(dst))
				cand[nc++] = dst;
			continue;
		}
		accept_irq(dst, icr);
		hits++;
	}
	if (nc) {
		accept_irq(cand[(icr & 0xff) % nc], icr);
		hits = 1;
	}
	return hits;
}

/* KVM_SIGNAL_MSI: an MSI from userspace (the IOAPIC, devices). */
int minihv_signal_msi(struct minihv_vm *vm, const struct kvm_msi *msi)
{
	u32 dest = (msi->address_lo >> 12) & 0xff;
	u32 icr = msi->data & (0xff | ICR_DM_MASK | ICR_LEVEL_ASSERT |
			       ICR_LEVEL_TRIG);

	if (msi->address_lo & BIT(2))	/* destination mode: logical */
		icr |= ICR_LOGICAL;
	return deliver(vm, NULL, icr, dest, false);
}

/* The ICR was written: send the IPI.  Owner vCPU, no lock held. */
static void send_ipi(struct minihv_lapic *apic, u32 icr, u32 dest)
{
	u32 dm = icr & ICR_DM_MASK;

	if ((dm == ICR_DM_FIXED || dm == ICR_DM_LOWEST) &&
	    (icr & 0xff) < 16) {
		esr_error(apic, ESR_SEND_ILLEGAL);
		return;
	}
	deliver(apic->vcpu->vm, apic, icr, dest, x2apic_mode(apic));
}

/* ---------------------------------------------------------------------
 * The timer
 */

static u32 timer_divide(struct minihv_lapic *apic)
{
	u32 tdcr = reg_get(apic, APIC_TDCR);
	u32 v = (tdcr & 3) | ((tdcr & 8) >> 1);

	return 1U << ((v + 1) & 7);
}

static u32 timer_mode(struct minihv_lapic *apic)
{
	return reg_get(apic, APIC_LVTT) & LVT_TIMER_MODE_MASK;
}

/*
 * The period of a periodic timer: initial count times divider, at least
 * MIN_PERIOD_NS (KVM's min_timer_period_us), or a short period would keep
 * the host busy in its timer interrupt.  One-shot: the count as it is.
 */
static u64 timer_period(u64 ns, u32 mode)
{
	if (mode == LVT_TIMER_PERIODIC && ns && ns < MIN_PERIOD_NS)
		return MIN_PERIOD_NS;
	return ns;
}

static enum hrtimer_restart timer_fn(struct hrtimer *t)
{
	struct minihv_lapic *apic = container_of(t, struct minihv_lapic,
						 timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;
	u32 lvtt;

	spin_lock_irqsave(&apic->lock, flags);
	lvtt = reg_get(apic, APIC_LVTT);
	if ((lvtt & LVT_TIMER_MODE_MASK) == LVT_TIMER_PERIODIC &&
	    apic->period_ns) {
		/* Re-armed: the minimum holds whatever armed it. */
		apic->period_ns = timer_period(apic->period_ns,
					       LVT_TIMER_PERIODIC);
		hrtimer_forward_now(t, ns_to_ktime(apic->period_ns));
		apic->expire = hrtimer_get_expires(t);
		ret = HRTIMER_RESTART;
	} else {
		apic->timer_armed = false;
		if ((lvtt & LVT_TIMER_MODE_MASK) == LVT_TIMER_TSCDEADLINE)
			apic->tscdeadline = 0;
	}
	spin_unlock_irqrestore(&apic->lock, flags);
	if (!(lvtt & LVT_MASKED)) {
		/* Hard IRQ context: a tracepoint may be hit here. */
		trace_minihv_apic_timer(apic->vcpu, lvtt & 0xff);
		accept_fixed(apic, lvtt & 0xff, false);
	}
	return ret;
}

/* Stop the timer.  Owner vCPU, apic->lock not held. */
static void timer_cancel(struct minihv_lapic *apic)
{
	hrtimer_cancel(&apic->timer);
	apic->timer_armed = false;
}

/* (Re)arm the one-shot/periodic timer from TMICT.  Owner vCPU. */
static void timer_start_count(struct minihv_lapic *apic)
{
	u32 count = reg_get(apic, APIC_TMICT);
	u64 ns;

	timer_cancel(apic);
	apic->period_ns = 0;
	if (!count || timer_mode(apic) == LVT_TIMER_TSCDEADLINE)
		return;
	ns = timer_period((u64)count * timer_divide(apic), timer_mode(apic));
	apic->period_ns = ns;
	apic->expire = ktime_add_ns(ktime_get(), ns);
	apic->timer_armed = true;
	hrtimer_start(&apic->timer, apic->expire, HRTIMER_MODE_ABS_HARD);
}

static u64 guest_tsc(struct minihv_vcpu *vcpu)
{
	u64 tsc = 0;

	minihv_get_msr(vcpu, MSR_IA32_TSC, &tsc);
	return tsc;
}

/*
 * TSC cycles to nanoseconds at @khz, saturating at KTIME_MAX.  Any
 * @cycles, any @khz: mul_u64_u32_div() is MULQ then DIVQ, which raises
 * a divide error in the host when the quotient does not fit 64 bits
 * (cycles near 2^64 on a TSC slower than 1 GHz), so the far ones are
 * caught first: below that bound, cycles < (KTIME_MAX / 10^6) * khz, so
 * the quotient is below KTIME_MAX.
 */
static u64 tsc_cycles_to_ns(u64 cycles, u32 khz)
{
	if (!khz)
		return 0;
	if (div_u64(cycles, khz) >= div_u64(KTIME_MAX, 1000000))
		return KTIME_MAX;
	return mul_u64_u32_div(cycles, 1000000, khz);
}

/* Arm the TSC-deadline timer.  Owner vCPU. */
static void timer_start_deadline(struct minihv_lapic *apic, u64 deadline)
{
	u64 now, ns = 0;

	timer_cancel(apic);
	apic->tscdeadline = deadline;
	if (!deadline || timer_mode(apic) != LVT_TIMER_TSCDEADLINE)
		return;
	now = guest_tsc(apic->vcpu);
	/* In the past: at once. */
	if (deadline > now)
		ns = tsc_cycles_to_ns(deadline - now, tsc_khz);
	/* Far ones saturate at KTIME_MAX (never), rather than wrap. */
	apic->expire = ktime_add_safe(ktime_get(), ns_to_ktime(ns));
	apic->timer_armed = true;
	hrtimer_start(&apic->timer, apic->expire, HRTIMER_MODE_ABS_HARD);
}

static u32 timer_current_count(struct minihv_lapic *apic)
{
	s64 left;

	if (!apic->timer_armed || !apic->period_ns ||
	    timer_mode(apic) == LVT_TIMER_TSCDEADLINE)
		return 0;
	left = ktime_to_ns(ktime_sub(apic->expire, ktime_get()));
	if (left < 0) {
		if (timer_mode(apic) != LVT_TIMER_PERIODIC)
			return 0;
		left = 0;
	}
	if (timer_mode(apic) == LVT_TIMER_PERIODIC)
		left %= apic->period_ns;
	return div_u64(left, timer_divide(apic));
}

/* ---------------------------------------------------------------------
 * Register access (the owner vCPU)
 */

/* Read register @off (16-byte aligned).  Nonzero: no such register. */
static int reg_read(struct minihv_lapic *apic, u32 off, u32 *val)
{
	if (off >= 0x400)
		return 1;
	switch (off) {
	case APIC_ID:
	case APIC_LVR:
	case APIC_TASKPRI:
	case APIC_PROCPRI:
	case APIC_LDR:
	case APIC_SPIV:
	case APIC_ISR ... APIC_ISR + 0x70:
	case APIC_TMR ... APIC_TMR + 0x70:
	case APIC_IRR ... APIC_IRR + 0x70:
	case APIC_ESR:
	case APIC_ICR:
	case APIC_LVTT ... APIC_LVTERR:
	case APIC_TMICT:
	case APIC_TDCR:
		break;
	case APIC_ARBPRI:
	case APIC_DFR:
	case APIC_ICR2:
		if (x2apic_mode(apic))
			return 1;
		break;
	case APIC_TMCCT:
		*val = timer_current_count(apic);
		return 0;
	case APIC_EOI:
	case APIC_RRR:
		*val = 0;
		return 0;
	default:
		return 1;
	}
	*val = reg_get(apic, off);
	return 0;
}

static void eoi(struct minihv_lapic *apic, int *ioapic_vec)
{
	unsigned long flags;
	int vec;

	spin_lock_irqsave(&apic->lock, flags);
	vec = vec_highest(apic, APIC_ISR);
	if (vec >= 0) {
		vec_clear(apic, APIC_ISR, vec);
		update_ppr(apic);
		if (vec_test(apic, APIC_TMR, vec))
			*ioapic_vec = vec;
	}
	spin_unlock_irqrestore(&apic->lock, flags);
}

static void set_ldr_x2apic(struct minihv_lapic *apic)
{
	u32 id = apic->vcpu->id;

	reg_set(apic, APIC_LDR, ((id >> 4) << 16) | BIT(id & 0xf));
}

/*
 * Write register @off.  Returns 0, 1 if the register does not exist or is
 * read-only (x2APIC: #GP), or MINIHV_MSR_USER_EXIT when an EOI needs
 * KVM_EXIT_IOAPIC_EOI (run->eoi.vector set).  @val2: ICR destination (x2APIC high half).
 */
static int reg_write(struct minihv_lapic *apic, u32 off, u32 val, u32 val2)
{
	struct minihv_vcpu *vcpu = apic->vcpu;
	bool x2 = x2apic_mode(apic);
	unsigned long flags;
	int ioapic_vec = -1;
	u32 old;
	int i;

	switch (off) {
	case APIC_ID:
		if (x2)
			return 1;
		reg_set(apic, APIC_ID, val & 0xff000000);
		break;
	case APIC_TASKPRI:
		spin_lock_irqsave(&apic->lock, flags);
		reg_set(apic, APIC_TASKPRI, val & 0xff);
		update_ppr(apic);
		spin_unlock_irqrestore(&apic->lock, flags);
		minihv_vcpu_kick(vcpu);
		break;
	case APIC_EOI:
		if (x2 && val)
			return 1;
		eoi(apic, &ioapic_vec);
		minihv_vcpu_kick(vcpu);
		if (ioapic_vec >= 0 && vcpu->vm->split_irqchip) {
			vcpu->run->exit_reason = KVM_EXIT_IOAPIC_EOI;
			vcpu->run->eoi.vector = ioapic_vec;
			return MINIHV_MSR_USER_EXIT;
		}
		break;
	case APIC_LDR:
		if (x2)
			return 1;
		reg_set(apic, APIC_LDR, val & 0xff000000);
		break;
	case APIC_DFR:
		if (x2)
			return 1;
		reg_set(apic, APIC_DFR, val | 0x0fffffff);
		break;
	case APIC_SPIV:
		reg_set(apic, APIC_SPIV, val & 0x13ff);
		if (!(val & APIC_SPIV_APIC_ENABLED)) {
			/* Software disable masks every LVT. */
			for (i = 0; i < ARRAY_SIZE(lvt_mask); i++)
				apic->regs[REG(APIC_LVTT) + 4 * i] |=
					LVT_MASKED;
		}
		break;
	case APIC_ESR:
		if (x2 && val)
			return 1;
		/* A write makes the errors since the last one visible. */
		spin_lock_irqsave(&apic->lock, flags);
		reg_set(apic, APIC_ESR, apic->esr_pending);
		apic->esr_pending = 0;
		spin_unlock_irqrestore(&apic->lock, flags);
		break;
	case APIC_ICR:
		if (!x2)
			val2 = reg_get(apic, APIC_ICR2) >> 24;
		else
			reg_set(apic, APIC_ICR2, val2);
		reg_set(apic, APIC_ICR, val & ~ICR_BUSY);
		send_ipi(apic, val, val2);
		break;
	case APIC_ICR2:
		if (x2)
			return 1;
		reg_set(apic, APIC_ICR2, val & 0xff000000);
		break;
	case APIC_LVTT ... APIC_LVTERR:
		if (off & 0xf)
			return 1;
		i = (off - APIC_LVTT) >> 4;
		val &= lvt_mask[i];
		if (!sw_enabled(apic))
			val |= LVT_MASKED;
		old = reg_get(apic, off);
		if (off == APIC_LVTT) {
			if ((val & LVT_TIMER_MODE_MASK) == (3 << 17))
				val &= ~LVT_TIMER_MODE_MASK;
			if (((old ^ val) & LVT_TIMER_MODE_MASK) &&
			    ((old | val) & LVT_TIMER_TSCDEADLINE)) {
				/* In or out of TSC-deadline mode: disarmed. */
				timer_cancel(apic);
				reg_set(apic, APIC_TMICT, 0);
				apic->tscdeadline = 0;
				apic->period_ns = 0;
			}
		}
		spin_lock_irqsave(&apic->lock, flags);
		reg_set(apic, off, val);
		/*
		 * One-shot to periodic with the timer armed: the count it
		 * runs on becomes the period, clamped as KVM's
		 * limit_periodic_timer_frequency() does.
		 */
		if (off == APIC_LVTT)
			apic->period_ns = timer_period(apic->period_ns,
						       timer_mode(apic));
		spin_unlock_irqrestore(&apic->lock, flags);
		break;
	case APIC_TMICT:
		if (timer_mode(apic) == LVT_TIMER_TSCDEADLINE)
			break;
		reg_set(apic, APIC_TMICT, val);
		timer_start_count(apic);
		break;
	case APIC_TDCR:
		reg_set(apic, APIC_TDCR, val & 0xb);
		break;
	case APIC_SELF_IPI:
		if (!x2)
			return 1;
		send_ipi(apic, (val & 0xff) | ICR_SH_SELF, 0);
		break;
	default:
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * xAPIC page (MMIO) and x2APIC MSRs
 */

bool minihv_lapic_mmio_match(struct minihv_vcpu *vcpu, u64 gpa)
{
	struct minihv_lapic *apic = vcpu->apic;

	return apic && hw_enabled(apic) && !x2apic_mode(apic) &&
	       (gpa & PAGE_MASK) == (apic->base & MSR_IA32_APICBASE_BASE);
}

/* Other sizes and offsets read as 0 and ignore writes (no #GP on MMIO). */
int minihv_lapic_mmio_read(struct minihv_vcpu *vcpu, u64 gpa,
			   unsigned int len, u64 *val)
{
	u32 off = gpa & 0xfff, v = 0;

	*val = 0;
	if (len != 4 || (off & 0xf))
		return 1;
	if (reg_read(vcpu->apic, off, &v))
		return 1;
	*val = v;
	return 1;
}

/* 1: go on, 0: exit to userspace (KVM_EXIT_IOAPIC_EOI). */
int minihv_lapic_mmio_write(struct minihv_vcpu *vcpu, u64 gpa,
			    unsigned int len, u64 val)
{
	struct minihv_lapic *apic = vcpu->apic;
	u32 off = gpa & 0xfff;
	int r;

	if (len != 4 || (off & 0xf))
		return 1;
	r = reg_write(apic, off, val, 0);
	if (r == 1)	/* no such register, or read-only */
		esr_error(apic, ESR_ILLEGAL_REG);
	return r == MINIHV_MSR_USER_EXIT ? 0 : 1;
}

/*
 * MSRs the APIC owns: IA32_APIC_BASE, IA32_TSC_DEADLINE, 0x800-0x8ff.
 * Return MINIHV_MSR_UNHANDLED if @index is not one of them, -EINVAL for a
 * #GP, 0 done (or, for a write, MINIHV_MSR_USER_EXIT: exit to userspace
 * with run->exit_reason set).
 */
int minihv_lapic_get_msr(struct minihv_vcpu *vcpu, u32 index, u64 *data,
			 bool host)
{
	struct minihv_lapic *apic = vcpu->apic;
	u32 v, off;

	if (index == MSR_IA32_APICBASE) {
		*data = apic->base;
		return 0;
	}
	if (index == MINIHV_MSR_TSC_DEADLINE) {
		*data = timer_mode(apic) == LVT_TIMER_TSCDEADLINE ?
			apic->tscdeadline : 0;
		return 0;
	}
	if (index < MINIHV_X2APIC_MSR_FIRST || index > MINIHV_X2APIC_MSR_LAST)
		return MINIHV_MSR_UNHANDLED;
	if (!x2apic_mode(apic))
		return -EINVAL;
	off = (index - MINIHV_X2APIC_MSR_FIRST) << 4;
	if (off == APIC_EOI || off == APIC_SELF_IPI)	/* write-only */
		return -EINVAL;
	if (reg_read(apic, off, &v))
		return -EINVAL;
	*data = v;
	if (off == APIC_ICR)
		*data |= (u64)reg_get(apic, APIC_ICR2) << 32;
	return 0;
}

int minihv_lapic_set_msr(struct minihv_vcpu *vcpu, u32 index, u64 data,
			 bool host)
{
	struct minihv_lapic *apic = vcpu->apic;
	u32 off;
	int r;

	if (index == MSR_IA32_APICBASE)
		return minihv_lapic_set_base(vcpu, data, host);
	if (index == MINIHV_MSR_TSC_DEADLINE) {
		if (timer_mode(apic) == LVT_TIMER_TSCDEADLINE)
			timer_start_deadline(apic, data);
		return 0;
	}
	if (index < MINIHV_X2APIC_MSR_FIRST || index > MINIHV_X2APIC_MSR_LAST)
		return MINIHV_MSR_UNHANDLED;
	if (!x2apic_mode(apic))
		return -EINVAL;
	off = (index - MINIHV_X2APIC_MSR_FIRST) << 4;
	/* Reserved bits of the 64-bit ICR (all but the destination). */
	if (off == APIC_ICR ? (data & 0x00000000fff32000ULL) : data >> 32)
		return -EINVAL;
	r = reg_write(apic, off, (u32)data, data >> 32);
	if (r == 1)
		return -EINVAL;
	return r;
}

/* IA32_APIC_BASE; the guest's changes are checked, as KVM does. */
int minihv_lapic_set_base(struct minihv_vcpu *vcpu, u64 base, bool host)
{
	struct minihv_lapic *apic = vcpu->apic;
	u64 old = apic->base;
	u64 reserved = 0x2ffULL | ~((1ULL << boot_cpu_data.x86_phys_bits) - 1);
	u64 en = MSR_IA32_APICBASE_ENABLE, ext = X2APIC_ENABLE;
	u64 oldm = old & (en | ext), newm = base & (en | ext);

	if (!host) {
		if (base & reserved)
			return -EINVAL;
		/* x2APIC without xAPIC, and x2APIC back to xAPIC: invalid. */
		if (newm == ext || (oldm == (en | ext) && newm == en))
			return -EINVAL;
		if (oldm == 0 && newm == (en | ext))
			return -EINVAL;
		if ((base & ext) && !guest_has_x2apic(vcpu))
			return -EINVAL;
	}
	apic->base = base;
	if ((old ^ base) & en) {
		if (!(base & en))
			timer_cancel(apic);
	}
	if ((base & (en | ext)) == (en | ext) && oldm != (en | ext)) {
		reg_set(apic, APIC_ID, vcpu->id);
		set_ldr_x2apic(apic);
	} else if (!(base & ext) && (old & ext)) {
		reg_set(apic, APIC_ID, (u32)vcpu->id << 24);
		reg_set(apic, APIC_LDR, 0);
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * Injection (the owner vCPU, before entry)
 */

/* Highest IRR vector above PPR, -1 if none.  Owner vCPU. */
int minihv_lapic_pending_vector(struct minihv_vcpu *vcpu)
{
	struct minihv_lapic *apic = vcpu->apic;
	unsigned long flags;
	int vec;

	if (!hw_enabled(apic))
		return -1;
	spin_lock_irqsave(&apic->lock, flags);
	vec = vec_highest(apic, APIC_IRR);
	if (vec >= 0 && (vec & 0xf0) <= (reg_get(apic, APIC_PROCPRI) & 0xf0))
		vec = -1;
	spin_unlock_irqrestore(&apic->lock, flags);
	return vec;
}

/* @vector is being injected: IRR to ISR. */
void minihv_lapic_ack(struct minihv_vcpu *vcpu, int vector)
{
	struct minihv_lapic *apic = vcpu->apic;
	unsigned long flags;

	spin_lock_irqsave(&apic->lock, flags);
	vec_clear(apic, APIC_IRR, vector);
	vec_set(apic, APIC_ISR, vector);
	update_ppr(apic);
	spin_unlock_irqrestore(&apic->lock, flags);
}

/* May the PIC's ExtINT (KVM_INTERRUPT) go in?  As KVM's check. */
bool minihv_lapic_accept_pic(struct minihv_vcpu *vcpu)
{
	struct minihv_lapic *apic = vcpu->apic;
	u32 lvt0 = reg_get(apic, APIC_LVT0);

	if (!hw_enabled(apic))
		return true;
	return !(lvt0 & LVT_MASKED) && (lvt0 & ICR_DM_MASK) == ICR_DM_EXTINT;
}

/* CR8 is TPR[7:4]. */
u64 minihv_lapic_get_cr8(struct minihv_vcpu *vcpu)
{
	return (reg_get(vcpu->apic, APIC_TASKPRI) >> 4) & 0xf;
}

/* MOV to CR8 (@cr8 < 16): a TPR write, TPR[3:0] cleared. */
void minihv_lapic_set_cr8(struct minihv_vcpu *vcpu, u64 cr8)
{
	reg_write(vcpu->apic, APIC_TASKPRI, cr8 << 4, 0);
}

/*
 * INIT and SIPI, in the target vCPU before it runs: vcpu->mutex and
 * vm->slots_lock (read) held, as ->set_sregs() may read guest memory.
 */
void minihv_lapic_accept_events(struct minihv_vcpu *vcpu)
{
	struct minihv_lapic *apic = vcpu->apic;

	lockdep_assert_held(&vcpu->mutex);
	lockdep_assert_held(&vcpu->vm->slots_lock);

	if (!READ_ONCE(apic->pending_events))
		return;
	if (test_and_clear_bit(MINIHV_APIC_INIT, &apic->pending_events)) {
		minihv_ops->vcpu_reset(vcpu);
		minihv_lapic_reset(vcpu, true);
		atomic_set(&vcpu->nmi_queued, 0);
		vcpu->irq_pending = -1;
		vcpu->mp_state = vcpu->id == 0 ? KVM_MP_STATE_RUNNABLE :
				 KVM_MP_STATE_INIT_RECEIVED;
	}
	if (test_and_clear_bit(MINIHV_APIC_SIPI, &apic->pending_events) &&
	    vcpu->mp_state == KVM_MP_STATE_INIT_RECEIVED) {
		struct kvm_sregs s;
		u32 vec;

		smp_rmb();	/* the event, then the vector (accept_irq) */
		vec = READ_ONCE(apic->sipi_vector);
		minihv_ops->get_sregs(vcpu, &s);
		s.cs.selector = vec << 8;
		s.cs.base = vec << 12;
		minihv_ops->set_sregs(vcpu, &s);
		vcpu->rip = 0;
		vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
	}
}

/* ---------------------------------------------------------------------
 * KVM_GET/SET_LAPIC (x2APIC IDs in xAPIC format, as KVM without
 * KVM_CAP_X2APIC_API)
 */

void minihv_lapic_get_state(struct minihv_vcpu *vcpu,
			    struct kvm_lapic_state *s)
{
	struct minihv_lapic *apic = vcpu->apic;
	unsigned long flags;
	u32 *r = (u32 *)s->regs;

	spin_lock_irqsave(&apic->lock, flags);
	memcpy(s->regs, apic->regs, sizeof(s->regs));
	spin_unlock_irqrestore(&apic->lock, flags);
	r[REG(APIC_TMCCT)] = timer_current_count(apic);
	if (x2apic_mode(apic))
		r[REG(APIC_ID)] <<= 24;
}

int minihv_lapic_set_state(struct minihv_vcpu *vcpu,
			   const struct kvm_lapic_state *s)
{
	struct minihv_lapic *apic = vcpu->apic;
	const u32 *r = (const u32 *)s->regs;
	unsigned long flags;

	timer_cancel(apic);
	spin_lock_irqsave(&apic->lock, flags);
	memcpy(apic->regs, s->regs, sizeof(apic->regs));
	reg_set(apic, APIC_LVR, APIC_VERSION_VAL);
	if (x2apic_mode(apic)) {
		/* KVM: the ID must be the vCPU's, the LDR follows it. */
		if ((r[REG(APIC_ID)] >> 24) != (vcpu->id & 0xff)) {
			spin_unlock_irqrestore(&apic->lock, flags);
			return -EINVAL;
		}
		reg_set(apic, APIC_ID, vcpu->id);
		set_ldr_x2apic(apic);
	}
	reg_set(apic, APIC_ICR, reg_get(apic, APIC_ICR) & ~ICR_BUSY);
	update_ppr(apic);
	spin_unlock_irqrestore(&apic->lock, flags);
	apic->tscdeadline = 0;
	timer_start_count(apic);
	minihv_vcpu_kick(vcpu);
	return 0;
}

/* ---------------------------------------------------------------------
 * Life cycle
 */

/* Power-on (@init false) or INIT state.  Owner vCPU (or creation). */
void minihv_lapic_reset(struct minihv_vcpu *vcpu, bool init)
{
	struct minihv_lapic *apic = vcpu->apic;
	unsigned long flags;
	int i;

	timer_cancel(apic);
	spin_lock_irqsave(&apic->lock, flags);
	if (!init)
		apic->base = MINIHV_APIC_DEFAULT_BASE |
			     MSR_IA32_APICBASE_ENABLE |
			     (vcpu->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	memset(apic->regs, 0, sizeof(apic->regs));
	reg_set(apic, APIC_ID, x2apic_mode(apic) ? vcpu->id :
			       (u32)vcpu->id << 24);
	reg_set(apic, APIC_LVR, APIC_VERSION_VAL);
	reg_set(apic, APIC_DFR, 0xffffffff);
	reg_set(apic, APIC_SPIV, 0xff);
	for (i = 0; i < ARRAY_SIZE(lvt_mask); i++)
		apic->regs[REG(APIC_LVTT) + 4 * i] = LVT_MASKED;
	/* KVM's LINT0_REENABLED quirk: the BSP's LVT0 takes ExtINT. */
	if (vcpu->id == 0)
		reg_set(apic, APIC_LVT0, ICR_DM_EXTINT);
	if (x2apic_mode(apic))
		set_ldr_x2apic(apic);
	spin_unlock_irqrestore(&apic->lock, flags);
	apic->tscdeadline = 0;
	apic->period_ns = 0;
}

int minihv_lapic_create(struct minihv_vcpu *vcpu)
{
	struct minihv_lapic *apic;

	apic = kzalloc(sizeof(*apic), GFP_KERNEL_ACCOUNT);
	if (!apic)
		return -ENOMEM;
	apic->vcpu = vcpu;
	spin_lock_init(&apic->lock);
	hrtimer_init(&apic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	apic->timer.function = timer_fn;
	vcpu->apic = apic;
	minihv_lapic_reset(vcpu, false);
	return 0;
}

void minihv_lapic_free(struct minihv_vcpu *vcpu)
{
	if (!vcpu->apic)
		return;
	hrtimer_cancel(&vcpu->apic->timer);
	kfree(vcpu->apic);
	vcpu->apic = NULL;
}
