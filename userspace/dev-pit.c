// SPDX-License-Identifier: GPL-2.0
/*
 * minihv-run: i8254 PIT (ports 0x40-0x43) and the port 0x61 gate, in
 * userspace, counting on CLOCK_MONOTONIC at 1.193182 MHz.  Enough for
 * Linux's TSC calibration (channel 2 in mode 0 with the gate and OUT2 in
 * port 0x61); it raises no interrupts: Linux runs its timers on the local
 * APIC (TSC deadline), see Documentation/launcher.rst.
 * Called with vm.io_lock held.
 */
#include <string.h>

#include "run.h"

#define PIT_HZ	1193182ULL

struct pit_chan {
	uint8_t mode, rw;	/* rw: 1 lsb, 2 msb, 3 lsb then msb */
	bool write_msb, read_msb, latched, armed;
	uint16_t reload, latch;
	uint64_t start;		/* ns when counting (re)started */
	uint64_t frozen;	/* ticks counted while the gate was low */
	bool gate;
};

static struct {
	struct pit_chan ch[3];
	uint8_t port61;
	bool refresh;
} pit;

void pit_reset(void)
{
	int i;

	memset(&pit, 0, sizeof(pit));
	for (i = 0; i < 3; i++)
		pit.ch[i].gate = i != 2;
}

static uint64_t ticks(struct pit_chan *c)
{
	if (!c->armed)
		return 0;
	if (!c->gate)
		return c->frozen;
	return c->frozen + (now_ns() - c->start) * PIT_HZ / 1000000000ULL;
}

static uint32_t period(struct pit_chan *c)
{
	return c->reload ? c->reload : 0x10000;
}

static uint16_t count(struct pit_chan *c)
{
	uint64_t t = ticks(c);
	uint32_t p = period(c);

	if (!c->armed)
		return c->reload;
	switch (c->mode) {
	case 2:
	case 3:
		return p - t % p;
	default:		/* 0, 1, 4, 5: count down, then wrap */
		return (uint16_t)(p - t);
	}
}

static bool out(struct pit_chan *c)
{
	uint64_t t = ticks(c);
	uint32_t p = period(c);

	if (!c->armed)
		return c->mode != 0;
	switch (c->mode) {
	case 0:
	case 1:
		return t >= p;
	case 2:
		return t % p != p - 1;
	case 3:
		return t % p < (p + 1) / 2;
	default:
		return t != p;
	}
}

static void set_gate(struct pit_chan *c, bool g)
{
	if (g == c->gate)
		return;
	if (!g) {
		c->frozen = ticks(c);
	} else {
		if (c->mode != 0 && c->mode != 4)	/* trigger restarts */
			c->frozen = 0;
		c->start = now_ns();
	}
	c->gate = g;
}

bool pit_pio(uint16_t port, bool in, uint8_t *data)
{
	struct pit_chan *c;

	if (port == 0x61) {
		if (in) {
			pit.refresh = !pit.refresh;
			*data = (pit.port61 & 3) | (pit.refresh ? 0x10 : 0) |
				(out(&pit.ch[2]) ? 0x20 : 0);
		} else {
			pit.port61 = *data & 0xf;
			set_gate(&pit.ch[2], *data & 1);
		}
		return true;
	}
	if (port < 0x40 || port > 0x43)
		return false;
	if (port == 0x43) {
		int n = *data >> 6;

		if (in) {
			*data = 0xff;
			return true;
		}
		if (n == 3) {			/* read-back: latch counts */
			for (n = 0; n < 3; n++)
				if (!(*data & 0x20) && (*data & (2 << n))) {
					pit.ch[n].latch = count(&pit.ch[n]);
					pit.ch[n].latched = true;
					pit.ch[n].read_msb = false;
				}
			return true;
		}
		c = &pit.ch[n];
		if (!(*data & 0x30)) {		/* counter latch */
			c->latch = count(c);
			c->latched = true;
			c->read_msb = false;
			return true;
		}
		c->rw = (*data >> 4) & 3;
		c->mode = (*data >> 1) & 7;
		if (c->mode > 5)
			c->mode -= 4;
		c->write_msb = c->read_msb = c->latched = false;
		c->armed = false;
		return true;
	}
	c = &pit.ch[port - 0x40];
	if (in) {
		uint16_t v = c->latched ? c->latch : count(c);
		bool msb = c->rw == 2 || (c->rw == 3 && c->read_msb);

		*data = msb ? v >> 8 : v & 0xff;
		if (c->rw == 3)
			c->read_msb = !c->read_msb;
		if (c->latched && (c->rw != 3 || !c->read_msb))
			c->latched = false;
		return true;
	}
	if (c->rw == 1 || (c->rw == 3 && !c->write_msb)) {
		c->reload = (c->reload & 0xff00) | *data;
		if (c->rw == 3) {
			c->write_msb = true;
			return true;
		}
	} else {
		c->reload = (c->reload & 0xff) | (*data << 8);
		c->write_msb = false;
	}
	c->armed = true;
	c->frozen = 0;
	c->start = now_ns();
	return true;
}
