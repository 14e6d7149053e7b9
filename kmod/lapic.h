/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv: the in-kernel local APIC (KVM's split irqchip model), see
 * kmod/lapic.c and Documentation/apic.rst.
 */
#ifndef MINIHV_LAPIC_H
#define MINIHV_LAPIC_H

#include <linux/hrtimer.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct minihv_vcpu;
struct minihv_vm;
struct kvm_lapic_state;
struct kvm_msi;

/* Default APIC base and the page it decodes. */
#define MINIHV_APIC_DEFAULT_BASE	0xfee00000ULL
#define MINIHV_X2APIC_MSR_FIRST		0x800
#define MINIHV_X2APIC_MSR_LAST		0x8ff
#define MINIHV_MSR_TSC_DEADLINE		0x6e0
#define MINIHV_APIC_BUS_KHZ		1000000	/* 1 GHz, as KVM */
#define MINIHV_MAX_IOAPIC_PINS		4096	/* KVM_MAX_IRQ_ROUTES */

/* vcpu->apic->pending_events */
#define MINIHV_APIC_INIT	0
#define MINIHV_APIC_SIPI	1

/**
 * struct minihv_lapic - one vCPU's local APIC
 * @vcpu:	its vCPU
 * @lock:	protects @regs, @base and the timer state against the other
 *		vCPUs (IPIs), the timer callback (hard IRQ) and KVM_SIGNAL_MSI;
 *		taken with IRQs off
 * @regs:	the register page as KVM_GET_LAPIC shows it (the first 1 KiB
 *		of the xAPIC page; register N at offset N, 32 bits each)
 * @base:	IA32_APIC_BASE
 * @timer:	the APIC timer (one-shot, periodic or TSC deadline)
 * @period_ns:	periodic/one-shot: initial count times the divider
 * @expire:	when the armed timer fires (CLOCK_MONOTONIC)
 * @tscdeadline: IA32_TSC_DEADLINE, 0 when disarmed
 * @esr_pending: errors not yet in ESR (the next ESR write shows them)
 * @pending_events: MINIHV_APIC_INIT/SIPI, set by senders (atomic bitops)
 * @sipi_vector: the last SIPI's vector
 */
struct minihv_lapic {
	struct minihv_vcpu *vcpu;
	spinlock_t lock;
	u32 regs[256];			/* 1 KiB: index = offset / 4 */
	u64 base;
	struct hrtimer timer;
	u64 period_ns;
	ktime_t expire;
	bool timer_armed;
	u64 tscdeadline;
	u32 esr_pending;
	unsigned long pending_events;
	u32 sipi_vector;
};

int minihv_lapic_create(struct minihv_vcpu *vcpu);
void minihv_lapic_free(struct minihv_vcpu *vcpu);
void minihv_lapic_reset(struct minihv_vcpu *vcpu, bool init);

/* Exits: MMIO (xAPIC) and MSRs (x2APIC, APIC base, TSC deadline). */
bool minihv_lapic_mmio_match(struct minihv_vcpu *vcpu, u64 gpa);
int minihv_lapic_mmio_read(struct minihv_vcpu *vcpu, u64 gpa,
			   unsigned int len, u64 *val);
int minihv_lapic_mmio_write(struct minihv_vcpu *vcpu, u64 gpa,
			    unsigned int len, u64 val);
int minihv_lapic_get_msr(struct minihv_vcpu *vcpu, u32 index, u64 *data,
			 bool host);
int minihv_lapic_set_msr(struct minihv_vcpu *vcpu, u32 index, u64 data,
			 bool host);
int minihv_lapic_set_base(struct minihv_vcpu *vcpu, u64 base, bool host);

/* Interrupts. */
int minihv_lapic_pending_vector(struct minihv_vcpu *vcpu);
void minihv_lapic_ack(struct minihv_vcpu *vcpu, int vector);
bool minihv_lapic_accept_pic(struct minihv_vcpu *vcpu);
u64 minihv_lapic_get_cr8(struct minihv_vcpu *vcpu);
void minihv_lapic_set_cr8(struct minihv_vcpu *vcpu, u64 cr8);
void minihv_lapic_accept_events(struct minihv_vcpu *vcpu);
int minihv_signal_msi(struct minihv_vm *vm, const struct kvm_msi *msi);

/* KVM_GET/SET_LAPIC */
void minihv_lapic_get_state(struct minihv_vcpu *vcpu,
			    struct kvm_lapic_state *s);
int minihv_lapic_set_state(struct minihv_vcpu *vcpu,
			   const struct kvm_lapic_state *s);

#endif /* MINIHV_LAPIC_H */
