// SPDX-License-Identifier: GPL-2.0
/*
 * minihv-run: userspace IOAPIC (24 pins, version 0x11) at 0xfec00000.
 * The local APICs are in the kernel (KVM_CAP_SPLIT_IRQCHIP); a pin that
 * fires becomes an MSI built from its redirection entry and goes in with
 * KVM_SIGNAL_MSI.  Level-triggered pins keep Remote IRR until the local
 * APIC's EOI for their vector comes back as KVM_EXIT_IOAPIC_EOI.
 * Called with vm.io_lock held.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "run.h"

#define PINS		24
#define RTE_MASKED	(1ULL << 16)
#define RTE_LEVEL	(1ULL << 15)
#define RTE_REMOTE_IRR	(1ULL << 14)
#define RTE_DESTMODE	(1ULL << 11)

static struct {
	uint32_t sel;
	uint32_t id;
	uint64_t rte[PINS];
	uint32_t line;		/* current input levels */
} io;

void ioapic_reset(void)
{
	int i;

	memset(&io, 0, sizeof(io));
	for (i = 0; i < PINS; i++)
		io.rte[i] = RTE_MASKED;
}

static void deliver(struct vm *vm, int pin)
{
	uint64_t r = io.rte[pin];
	struct kvm_msi msi = {
		.address_lo = 0xfee00000 | (uint32_t)((r >> 56) << 12) |
			      ((r & RTE_DESTMODE) ? 1 << 2 : 0),
		.data = (r & 0xff) | (((r >> 8) & 7) << 8) |
			((r & RTE_LEVEL) ? 1 << 15 : 0) | (1 << 14),
	};

	if (r & RTE_LEVEL)
		io.rte[pin] |= RTE_REMOTE_IRR;
	if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		run_log_once_mmio(GPA_IOAPIC + pin, true, -1);
}

void ioapic_set_irq(struct vm *vm, int pin, int level)
{
	uint32_t bit = 1U << pin;
	bool rising = level && !(io.line & bit);

	if (pin < 0 || pin >= PINS)
		return;
	if (level)
		io.line |= bit;
	else
		io.line &= ~bit;
	if (io.rte[pin] & RTE_MASKED)
		return;
	if (io.rte[pin] & RTE_LEVEL) {
		if (level && !(io.rte[pin] & RTE_REMOTE_IRR))
			deliver(vm, pin);
	} else if (rising) {
		deliver(vm, pin);
	}
}

void ioapic_eoi(struct vm *vm, int vector)
{
	int i;

	for (i = 0; i < PINS; i++) {
		if ((io.rte[i] & 0xff) != (uint64_t)vector ||
		    !(io.rte[i] & RTE_LEVEL))
			continue;
		io.rte[i] &= ~RTE_REMOTE_IRR;
		if ((io.line & (1U << i)) && !(io.rte[i] & RTE_MASKED))
			deliver(vm, i);
	}
}

static uint32_t reg_read(void)
{
	uint32_t idx = io.sel & 0xff;

	if (idx == 0)
		return io.id << 24;
	if (idx == 1)
		return ((PINS - 1) << 16) | 0x11;
	if (idx == 2)
		return io.id << 24;
	if (idx >= 0x10 && idx < 0x10 + 2 * PINS) {
		uint64_t r = io.rte[(idx - 0x10) / 2];

		return idx & 1 ? r >> 32 : (uint32_t)r;
	}
	return 0xffffffff;
}

static void reg_write(struct vm *vm, uint32_t v)
{
	uint32_t idx = io.sel & 0xff;
	int pin;
	uint64_t *r, ro;

	if (idx == 0) {
		io.id = (v >> 24) & 0xf;
		return;
	}
	if (idx < 0x10 || idx >= 0x10 + 2 * PINS)
		return;
	pin = (idx - 0x10) / 2;
	r = &io.rte[pin];
	if (idx & 1) {
		*r = (*r & 0xffffffffULL) | ((uint64_t)v << 32);
		return;
	}
	/* Delivery status and Remote IRR are read-only. */
	ro = *r & (RTE_REMOTE_IRR | (1ULL << 12));
	*r = (*r & ~0xffffffffULL) | (v & ~(RTE_REMOTE_IRR | (1ULL << 12))) |
	     ro;
	if (!(*r & RTE_LEVEL))
		*r &= ~RTE_REMOTE_IRR;
	/* Unmasking a level pin that is asserted delivers it now. */
	if ((io.line & (1U << pin)) && !(*r & RTE_MASKED) &&
	    (*r & RTE_LEVEL) && !(*r & RTE_REMOTE_IRR))
		deliver(vm, pin);
}

bool ioapic_mmio(struct vm *vm, uint64_t addr, bool wr, uint8_t *data,
		 int len)
{
	uint64_t off = addr - GPA_IOAPIC;
	uint32_t v = 0;

	if (addr < GPA_IOAPIC || off >= 0x1000)
		return false;
	if (wr) {
		memcpy(&v, data, len > 4 ? 4 : len);
		if (off == 0x00)
			io.sel = v;
		else if (off == 0x10)
			reg_write(vm, v);
		else if (off == 0x40)
			ioapic_eoi(vm, v & 0xff);
	} else {
		v = off == 0x00 ? io.sel : off == 0x10 ? reg_read() : 0;
		memset(data, 0, len);
		memcpy(data, &v, len > 4 ? 4 : len);
	}
	return true;
}
