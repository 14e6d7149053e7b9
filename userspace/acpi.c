// SPDX-License-Identifier: GPL-2.0
/*
 * minihv-run: minimal ACPI tables, so that Linux finds every vCPU's local
 * APIC and the IOAPIC (MADT), can power off (FADT PM1a control + DSDT
 * \_S5) and reboot (FADT reset register), and has a PM timer.
 *
 * Layout at GPA_ACPI (0xe0000, in the BIOS area the kernel scans for
 * the RSDP, and reserved in the e820 map):
 *   +0x000 RSDP (ACPI 2.0, 36 bytes)    +0x040 XSDT
 *   +0x080 FACS (64 bytes)              +0x100 FADT (276 bytes)
 *   +0x240 DSDT                         +0x300 MADT
 * The MADT has no PCAT_COMPAT flag: Linux then probes the 8259, finds
 * none (open bus), and runs without legacy PIC or PIT interrupts.
 */
#include <string.h>

#include "run.h"

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static uint8_t checksum(const uint8_t *p, int len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return -sum;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "MINIHV", 6);
	memcpy(t + 16, "MINIHVRN", 8);
	put32(t + 24, 1);
	memcpy(t + 28, "MNHV", 4);
	put32(t + 32, 1);
}

static void finish(uint8_t *t)
{
	uint32_t len;

	memcpy(&len, t + 4, 4);
	t[9] = 0;
	t[9] = checksum(t, len);
}

/* Generic address structure: system I/O space */
static void gas_io(uint8_t *p, uint8_t bits, uint16_t port)
{
	p[0] = 1;
	p[1] = bits;
	p[2] = 0;
	p[3] = bits / 8 > 4 ? 4 : (bits == 8 ? 1 : bits == 16 ? 2 : 3);
	put64(p + 4, port);
}

uint64_t acpi_build(struct vm *vm)
{
	uint8_t *base = gpa(vm, GPA_ACPI, 0x1000);
	uint8_t *rsdp = base, *xsdt = base + 0x40, *facs = base + 0x80;
	uint8_t *fadt = base + 0x100, *dsdt = base + 0x240;
	uint8_t *madt = base + 0x300, *p;
	/* Name (_S5, Package (4) { 5, 5, 0, 0 }) */
	static const uint8_t aml[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
		0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
	};
	uint32_t len;
	int i;

	memset(base, 0, 0x1000);

	/* DSDT */
	header(dsdt, "DSDT", 36 + sizeof(aml), 2);
	memcpy(dsdt + 36, aml, sizeof(aml));
	finish(dsdt);

	/* FACS */
	memcpy(facs, "FACS", 4);
	put32(facs + 4, 64);
	facs[32] = 2;				/* version */

	/* FADT, ACPI 6.0 layout */
	header(fadt, "FACP", 276, 6);
	put32(fadt + 36, GPA_ACPI + 0x80);	/* FIRMWARE_CTRL */
	put32(fadt + 40, GPA_ACPI + 0x240);	/* DSDT */
	put16(fadt + 46, IRQ_SCI);		/* SCI_INT */
	put32(fadt + 56, PORT_PM1_EVT);		/* PM1a_EVT_BLK */
	put32(fadt + 64, PORT_PM1_CNT);		/* PM1a_CNT_BLK */
	put32(fadt + 76, PORT_PM_TMR);		/* PM_TMR_BLK */
	fadt[88] = 4;				/* PM1_EVT_LEN */
	fadt[89] = 2;				/* PM1_CNT_LEN */
	fadt[91] = 4;				/* PM_TMR_LEN */
	put16(fadt + 96, 0xfff);		/* no C2 */
	put16(fadt + 98, 0xffff);		/* no C3 */
	fadt[108] = 0x32;			/* CMOS century register */
	put16(fadt + 109, 1 << 2);		/* IAPC_BOOT_ARCH: no VGA */
	/* WBINVD, PWR_BUTTON and SLP_BUTTON absent, RESET_REG_SUP */
	put32(fadt + 112, (1 << 0) | (1 << 4) | (1 << 5) | (1 << 10));
	gas_io(fadt + 116, 8, PORT_RESET);	/* RESET_REG */
	fadt[128] = 0x06;			/* RESET_VALUE */
	put64(fadt + 132, GPA_ACPI + 0x80);	/* X_FIRMWARE_CTRL */
	put64(fadt + 140, GPA_ACPI + 0x240);	/* X_DSDT */
	gas_io(fadt + 148, 32, PORT_PM1_EVT);
	gas_io(fadt + 172, 16, PORT_PM1_CNT);
	gas_io(fadt + 208, 32, PORT_PM_TMR);
	finish(fadt);

	/* MADT */
	p = madt + 44;
	for (i = 0; i < vm->nr_vcpus; i++) {
		p[0] = 0;			/* processor local APIC */
		p[1] = 8;
		p[2] = i;			/* ACPI processor UID */
		p[3] = i;			/* APIC ID */
		put32(p + 4, 1);		/* enabled */
		p += 8;
	}
	p[0] = 1;				/* IOAPIC */
	p[1] = 12;
	p[2] = vm->nr_vcpus;			/* IOAPIC ID */
	put32(p + 4, GPA_IOAPIC);
	put32(p + 8, 0);			/* GSI base */
	p += 12;
	p[0] = 2;				/* ISA IRQ 0 -> GSI 2 */
	p[1] = 10;
	p[3] = 0;
	put32(p + 4, 2);
	put16(p + 8, 0);
	p += 10;
	p[0] = 2;				/* SCI: level, active high */
	p[1] = 10;
	p[3] = IRQ_SCI;
	put32(p + 4, IRQ_SCI);
	put16(p + 8, 0x000d);
	p += 10;
	p[0] = 4;				/* LINT1 is NMI on all CPUs */
	p[1] = 6;
	p[2] = 0xff;
	put16(p + 3, 0);
	p[5] = 1;
	p += 6;
	len = p - madt;
	header(madt, "APIC", len, 4);
	put32(madt + 36, GPA_LAPIC);
	put32(madt + 40, 0);			/* flags: no PCAT_COMPAT */
	finish(madt);

	/* XSDT */
	header(xsdt, "XSDT", 36 + 16, 1);
	put64(xsdt + 36, GPA_ACPI + 0x100);
	put64(xsdt + 44, GPA_ACPI + 0x300);
	finish(xsdt);

	/* RSDP */
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "MINIHV", 6);
	rsdp[15] = 2;				/* revision: ACPI 2.0+ */
	put32(rsdp + 16, 0);			/* no RSDT */
	put32(rsdp + 20, 36);
	put64(rsdp + 24, GPA_ACPI + 0x40);
	rsdp[8] = checksum(rsdp, 20);
	rsdp[32] = checksum(rsdp, 36);
	return GPA_ACPI;
}
