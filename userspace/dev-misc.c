// SPDX-License-Identifier: GPL-2.0
/*
 * minihv-run: the small platform devices.
 *   0x70/0x71    CMOS RTC: time from the host clock (BCD, 24 h), the
 *                rest NVRAM, kept across guest reboots
 *   0x600..0x60b ACPI PM1a event/control and PM timer (3.579545 MHz);
 *                SLP_EN with SLP_TYP 5 (the DSDT's \_S5) powers off
 *   0xcf9        reset control (FADT reset register, value 6): reboot
 *   0x64         keyboard controller command 0xfe (pulse reset): reboot
 *   0xf4         isa-debug-exit as in QEMU: exit status (value << 1) | 1
 *   0x80         POST/delay port: ignored
 * Called with vm.io_lock held.
 */
#include <string.h>
#include <time.h>

#include "run.h"

static struct {
	uint8_t idx;
	uint8_t nvram[128];
	bool nvram_init;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
} m;

void misc_reset(void)
{
	if (!m.nvram_init) {
		memset(m.nvram, 0, sizeof(m.nvram));
		m.nvram_init = true;
	}
	m.idx = 0;
	m.pm1_sts = m.pm1_en = 0;
	m.pm1_cnt = 1;			/* SCI_EN: ACPI mode */
}

static uint8_t bcd(int v) { return ((v / 10) << 4) | (v % 10); }

static uint8_t cmos_read(uint8_t idx)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (idx) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return bcd(tm.tm_wday + 1);
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x32: return bcd(19 + tm.tm_year / 100);
	case 0x0a: return 0x26;		/* UIP clear, 32.768 kHz */
	case 0x0b: return 0x02;		/* 24 h, BCD */
	case 0x0c: return 0x00;
	case 0x0d: return 0x80;		/* battery good */
	}
	return m.nvram[idx & 0x7f];
}

static uint32_t pm_timer(void)
{
	return (uint32_t)(now_ns() * 3579545ULL / 1000000000ULL) & 0xffffff;
}

bool misc_pio(struct vm *vm, uint16_t port, bool in, uint8_t *data,
	      int size)
{
	uint32_t v = 0;

	if (!in)
		memcpy(&v, data, size);
	switch (port) {
	case 0x70:
		if (in)
			*data = 0xff;
		else
			m.idx = v & 0x7f;
		return true;
	case 0x71:
		if (in)
			*data = cmos_read(m.idx);
		else if (m.idx >= 0x0e)
			m.nvram[m.idx] = v;
		return true;
	case 0x80:
		if (in)
			*data = 0xff;
		return true;
	case PORT_DEBUG_EXIT ... PORT_DEBUG_EXIT + 3:
		if (in) {
			memset(data, 0xff, size);
		} else if (port == PORT_DEBUG_EXIT) {
			vm->debug_exit = v;
			vm_end(vm, END_DEBUG_EXIT);
		}
		return true;
	case PORT_RESET:
		if (in)
			*data = 0;
		else if (size == 1 && (v & 4))
			vm_end(vm, END_REBOOT);
		return true;
	case 0x64:
		if (in)
			*data = 0xff;	/* no keyboard controller */
		else if (v == 0xfe)
			vm_end(vm, END_REBOOT);
		return true;
	case PORT_PM_TMR ... PORT_PM_TMR + 3:
		if (in) {
			v = pm_timer() >> (8 * (port - PORT_PM_TMR));
			memcpy(data, &v, size);
		}
		return true;
	case PORT_PM1_EVT ... PORT_PM1_EVT + 3: {
		uint32_t reg = m.pm1_sts | ((uint32_t)m.pm1_en << 16);
		int sh = 8 * (port - PORT_PM1_EVT);

		if (in) {
			reg >>= sh;
			memcpy(data, &reg, size);
		} else {
			v <<= sh;
			m.pm1_sts &= ~(uint16_t)v;	/* write 1 to clear */
			if (sh + 8 * size > 16)
				m.pm1_en = v >> 16;
		}
		return true;
	}
	case PORT_PM1_CNT ... PORT_PM1_CNT + 1: {
		int sh = 8 * (port - PORT_PM1_CNT);

		if (in) {
			v = m.pm1_cnt >> sh;
			memcpy(data, &v, size);
		} else {
			m.pm1_cnt = ((v << sh) & ~(1U << 13)) | 1;
			if (((v << sh) & (1U << 13)) &&
			    ((m.pm1_cnt >> 10) & 7) == 5)
				vm_end(vm, END_POWEROFF);
		}
		return true;
	}
	}
	return false;
}
