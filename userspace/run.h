/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv-run run: the launcher's shared definitions (run.c, boot.c,
 * acpi.c and the dev-*.c devices).  One VM per process.
 *
 * Locking: every device access from a vCPU thread or the console input
 * thread holds vm.io_lock; devices therefore keep no locks of their own.
 */
#ifndef _MINIHV_RUN_RUN_H
#define _MINIHV_RUN_RUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

#define RUN_MAX_VCPUS	64

/* Guest physical layout (see Documentation/launcher.rst) */
#define GPA_GDT		0x500ULL
#define GPA_ZEROPAGE	0x7000ULL	/* boot_params / hvm_start_info */
#define GPA_PML4	0x9000ULL	/* 0x9000..0xefff: long mode tables */
#define GPA_CMDLINE	0x20000ULL
#define GPA_MB_INFO	0x30000ULL	/* multiboot info and module list */
#define GPA_EBDA	0x9fc00ULL
#define GPA_ACPI	0xe0000ULL	/* RSDP and tables, to 0xfffff */
#define GPA_KERNEL	0x100000ULL
#define GPA_LOWMEM_END	0xc0000000ULL	/* RAM above this goes to 4 GiB up */
#define GPA_HIGHMEM	0x100000000ULL
#define GPA_IOAPIC	0xfec00000ULL
#define GPA_LAPIC	0xfee00000ULL
#define CMDLINE_MAX	2048

/* Ports */
#define PORT_COM1	0x3f8
#define PORT_PM1_EVT	0x600	/* 4 bytes: status, enable */
#define PORT_PM1_CNT	0x604	/* 2 bytes */
#define PORT_PM_TMR	0x608	/* 4 bytes */
#define PORT_RESET	0xcf9
#define PORT_DEBUG_EXIT	0xf4
#define IRQ_COM1	4
#define IRQ_SCI		9

enum run_policy { POLICY_DESTROY, POLICY_RESTART, POLICY_PRESERVE };

/* Why a boot of the guest ended. */
enum run_end {
	END_NONE,
	END_POWEROFF,	/* ACPI S5 */
	END_REBOOT,	/* reset register, triple fault, system event */
	END_CRASH,	/* kernel panic seen on the console */
	END_DEBUG_EXIT,	/* port 0xf4, status (value << 1) | 1 */
	END_SIGNAL,	/* SIGINT/SIGTERM, or Ctrl-A x on the console */
	END_ERROR,	/* the hypervisor or the launcher failed */
};

/* Exit status of minihv-run run */
#define RUN_EXIT_OK	0	/* powered off (or reboot/crash "destroy") */
#define RUN_EXIT_SETUP	2	/* bad usage or setup: nothing ran */
#define RUN_EXIT_CRASH	4	/* the guest kernel panicked */
#define RUN_EXIT_ERROR	5	/* KVM_RUN failed, internal error, ... */

enum kernel_format { KFMT_AUTO, KFMT_BZIMAGE, KFMT_PVH, KFMT_MULTIBOOT,
		     KFMT_RAW };

struct run_opts {
	const char *dev;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	uint64_t mem;		/* bytes */
	int vcpus;
	enum run_policy on_poweroff, on_reboot, on_crash;
	const char *pin;
	bool hugepages;
	bool stats;
	const char *trace;	/* --trace[=REASONS]: "" all, NULL off */
	bool no_tsc_hint;
	enum kernel_format format;
	uint64_t raw_addr;	/* --raw ADDR: load and entry address */
};

/* Per-vCPU exit statistics, as the launcher sees them (--stats). */
#define STAT_REASONS	64
struct vcpu_stats {
	uint64_t exits[STAT_REASONS];	/* by KVM_EXIT_* */
	uint64_t pio_in, pio_out, mmio_rd, mmio_wr;
};

struct vcpu {
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	struct vcpu_stats st;
};

struct vm {
	const struct run_opts *o;
	int sys_fd, vm_fd;
	bool is_kvm;		/* the device is /dev/kvm (for messages) */
	uint8_t *ram;
	uint64_t ram_size;	/* bytes of RAM */
	uint64_t low_size;	/* RAM below GPA_LOWMEM_END */
	size_t map_size;
	int run_size;
	int nr_vcpus;
	struct vcpu vcpu[RUN_MAX_VCPUS];
	uint32_t tsc_khz;
	bool intel;
	bool irqchip;		/* split irqchip: in-kernel local APICs */

	int stop;			/* vCPU threads: leave KVM_RUN (atomic) */
	enum run_end end;		/* first reason wins (io_lock) */
	int debug_exit;			/* value written to 0xf4 */
	bool panic_seen;		/* console showed a kernel panic */
	uint64_t panic_ns;

	/* boot state for the BSP, filled by the loader */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	bool sregs_set;

	pthread_mutex_t io_lock;	/* last: run_main() clears what precedes */
};

extern struct vm *the_vm;

/* run.c */
void vm_end(struct vm *vm, enum run_end why);	/* caller holds io_lock */
void *gpa(struct vm *vm, uint64_t addr, uint64_t len);
uint64_t now_ns(void);
void run_stats_print(struct vm *vm, FILE *f);
void run_log_once_port(uint16_t port, bool in, int size);
void run_log_once_mmio(uint64_t addr, bool wr, int size);
int run_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* boot.c: load the kernel, fill memory and the BSP's registers */
int boot_load(struct vm *vm, const char *cmdline);
/* Before the device opens: fail early, and resolve --format auto. */
int boot_check(struct run_opts *o);

/* acpi.c: RSDP, XSDT, FADT, FACS, DSDT, MADT at GPA_ACPI; RSDP address */
uint64_t acpi_build(struct vm *vm);

/* devices: port I/O and MMIO dispatch */
bool dev_pio(struct vm *vm, uint16_t port, bool in, uint8_t *data, int size);
bool dev_mmio(struct vm *vm, uint64_t addr, bool wr, uint8_t *data, int len);
void dev_reset(struct vm *vm);

/* dev-ioapic.c */
void ioapic_set_irq(struct vm *vm, int pin, int level);
void ioapic_eoi(struct vm *vm, int vector);
void ioapic_reset(void);
bool ioapic_mmio(struct vm *vm, uint64_t addr, bool wr, uint8_t *data,
		 int len);

/* dev-uart.c */
void uart_reset(void);
bool uart_pio(struct vm *vm, uint16_t port, bool in, uint8_t *data);
int uart_console_start(struct vm *vm);
void uart_console_restore(void);
void uart_rx(struct vm *vm, const uint8_t *buf, int n);

/* dev-pit.c */
void pit_reset(void);
bool pit_pio(uint16_t port, bool in, uint8_t *data);

/* dev-misc.c: RTC/CMOS, ACPI PM, reset, debug exit */
void misc_reset(void);
bool misc_pio(struct vm *vm, uint16_t port, bool in, uint8_t *data,
	      int size);

#endif /* _MINIHV_RUN_RUN_H */
