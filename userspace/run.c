// SPDX-License-Identifier: GPL-2.0
/*
 * minihv-run run: boot a guest kernel on /dev/minihv (or /dev/kvm, the
 * same ABI), kvmtool style.  One thread per vCPU; the main thread waits
 * for the end of the guest (power off, reboot, panic, debug exit, signal)
 * and applies the --on-* policy.  See Documentation/launcher.rst.
 *
 * Interrupt model (KVM's split irqchip): local APICs in the kernel
 * (KVM_CAP_SPLIT_IRQCHIP, 24 IOAPIC pins reserved), IOAPIC, UART, PIT,
 * RTC and ACPI PM here; IOAPIC interrupts go in as KVM_SIGNAL_MSI.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "minihv-run.h"
#include "run.h"
#include "trace.h"

struct vm *the_vm;

int run_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "minihv-run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return -1;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void *gpa(struct vm *vm, uint64_t addr, uint64_t len)
{
	if (addr + len < addr)
		return NULL;
	if (addr + len <= vm->low_size)
		return vm->ram + addr;
	if (addr >= GPA_HIGHMEM &&
	    addr + len - GPA_HIGHMEM <= vm->ram_size - vm->low_size)
		return vm->ram + vm->low_size + (addr - GPA_HIGHMEM);
	return NULL;
}

/* The first reason to end wins; tell the vCPUs to leave KVM_RUN. */
void vm_end(struct vm *vm, enum run_end why)
{
	if (vm->end == END_NONE)
		vm->end = why;
	__atomic_store_n(&vm->stop, 1, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ */
/* Unhandled accesses: logged once each, answered as open bus. */

static uint8_t port_logged[65536 / 8];
static uint64_t mmio_logged[64];
static int mmio_logged_n;

void run_log_once_port(uint16_t port, bool in, int size)
{
	if (port_logged[port / 8] & (1 << (port % 8)))
		return;
	port_logged[port / 8] |= 1 << (port % 8);
	fprintf(stderr, "\r\nminihv-run: unhandled port %s 0x%x (%d bytes): open bus\r\n",
		in ? "read" : "write", port, size);
}

void run_log_once_mmio(uint64_t addr, bool wr, int size)
{
	uint64_t page = addr & ~0xfffULL;
	int i;

	for (i = 0; i < mmio_logged_n; i++)
		if (mmio_logged[i] == page)
			return;
	if (mmio_logged_n < 64)
		mmio_logged[mmio_logged_n++] = page;
	if (size < 0)
		fprintf(stderr, "\r\nminihv-run: KVM_SIGNAL_MSI failed for IOAPIC pin %llu: %s\r\n",
			(unsigned long long)(addr - GPA_IOAPIC),
			strerror(errno));
	else
		fprintf(stderr, "\r\nminihv-run: unhandled MMIO %s 0x%llx (%d bytes): open bus\r\n",
			wr ? "write" : "read", (unsigned long long)addr, size);
}

/* Ports nobody emulates that Linux probes on every boot: quietly open. */
static bool quiet_port(uint16_t port)
{
	return (port >= 0x20 && port <= 0x21) || (port >= 0xa0 && port <= 0xa1) ||
	       port == 0x4d0 || port == 0x4d1 || (port >= 0xcf8 && port <= 0xcff) ||
	       (port >= 0x2f8 && port <= 0x2ff) || (port >= 0x3e8 && port <= 0x3ef) ||
	       (port >= 0x2e8 && port <= 0x2ef) || port == 0x87 ||
	       (port >= 0x60 && port <= 0x6f) || (port >= 0x2e && port <= 0x2f) ||
	       (port >= 0x4e && port <= 0x4f);
}

bool dev_pio(struct vm *vm, uint16_t port, bool in, uint8_t *data, int size)
{
	if (size == 1 && (uart_pio(vm, port, in, data) ||
			  pit_pio(port, in, data)))
		return true;
	if (misc_pio(vm, port, in, data, size))
		return true;
	if (in)
		memset(data, 0xff, size);
	if (!quiet_port(port))
		run_log_once_port(port, in, size);
	return false;
}

bool dev_mmio(struct vm *vm, uint64_t addr, bool wr, uint8_t *data, int len)
{
	if (ioapic_mmio(vm, addr, wr, data, len))
		return true;
	if (!wr)
		memset(data, 0xff, len);
	run_log_once_mmio(addr, wr, len);
	return false;
}

void dev_reset(struct vm *vm)
{
	(void)vm;
	ioapic_reset();
	uart_reset();
	pit_reset();
	misc_reset();
}

/* ------------------------------------------------------------------ */
/* Statistics (--stats): what the launcher saw; one place to extend. */

static const char *exit_name(int r)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "unknown", [KVM_EXIT_IO] = "io",
		[KVM_EXIT_HLT] = "hlt", [KVM_EXIT_MMIO] = "mmio",
		[KVM_EXIT_SHUTDOWN] = "shutdown",
		[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
		[KVM_EXIT_INTR] = "intr",
		[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
		[KVM_EXIT_SYSTEM_EVENT] = "system_event",
		[KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
	};

	if (r >= 0 && r < (int)(sizeof(names) / sizeof(names[0])) && names[r])
		return names[r];
	return "other";
}

void run_stats_print(struct vm *vm, FILE *f)
{
	uint64_t sum[STAT_REASONS] = { 0 }, total = 0, pin = 0, pout = 0;
	uint64_t mrd = 0, mwr = 0;
	int i, r;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu_stats *s = &vm->vcpu[i].st;

		for (r = 0; r < STAT_REASONS; r++) {
			sum[r] += s->exits[r];
			total += s->exits[r];
		}
		pin += s->pio_in;
		pout += s->pio_out;
		mrd += s->mmio_rd;
		mwr += s->mmio_wr;
	}
	fprintf(f, "minihv-run stats: %llu exits to userspace on %d vCPU(s) (%s)\n",
		(unsigned long long)total, vm->nr_vcpus, vm->o->dev);
	for (r = 0; r < STAT_REASONS; r++)
		if (sum[r])
			fprintf(f, "  %-16s %12llu\n", exit_name(r),
				(unsigned long long)sum[r]);
	fprintf(f, "  (io: %llu in, %llu out; mmio: %llu reads, %llu writes)\n",
		(unsigned long long)pin, (unsigned long long)pout,
		(unsigned long long)mrd, (unsigned long long)mwr);
	for (i = 0; i < vm->nr_vcpus && vm->nr_vcpus > 1; i++) {
		uint64_t t = 0;

		for (r = 0; r < STAT_REASONS; r++)
			t += vm->vcpu[i].st.exits[r];
		fprintf(f, "  vcpu%-3d %12llu exits\n", i, (unsigned long long)t);
	}
}

/* ------------------------------------------------------------------ */
/* vCPU threads */

static void kick_handler(int sig)
{
	(void)sig;
	if (the_vm) {
		int i;

		for (i = 0; i < the_vm->nr_vcpus; i++)
			if (the_vm->vcpu[i].run &&
			    pthread_equal(the_vm->vcpu[i].thread, pthread_self()))
				the_vm->vcpu[i].run->immediate_exit = 1;
	}
}

static void handle_io(struct vm *vm, struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool in = run->io.direction == KVM_EXIT_IO_IN;
	uint32_t i;

	if (in)
		v->st.pio_in++;
	else
		v->st.pio_out++;
	pthread_mutex_lock(&vm->io_lock);
	for (i = 0; i < run->io.count; i++) {
		dev_pio(vm, run->io.port, in, data, run->io.size);
		data += run->io.size;
	}
	pthread_mutex_unlock(&vm->io_lock);
}

static void handle_mmio(struct vm *vm, struct vcpu *v)
{
	struct kvm_run *run = v->run;

	if (run->mmio.is_write)
		v->st.mmio_wr++;
	else
		v->st.mmio_rd++;
	pthread_mutex_lock(&vm->io_lock);
	dev_mmio(vm, run->mmio.phys_addr, run->mmio.is_write, run->mmio.data,
		 run->mmio.len);
	pthread_mutex_unlock(&vm->io_lock);
}

static void vcpu_fail(struct vm *vm, struct vcpu *v, const char *what)
{
	struct kvm_regs regs;

	if (!ioctl(v->fd, KVM_GET_REGS, &regs))
		fprintf(stderr, "\r\nminihv-run: vcpu%d: %s at rip 0x%llx\r\n",
			v->id, what, (unsigned long long)regs.rip);
	else
		fprintf(stderr, "\r\nminihv-run: vcpu%d: %s\r\n", v->id, what);
	pthread_mutex_lock(&vm->io_lock);
	vm_end(vm, END_ERROR);
	pthread_mutex_unlock(&vm->io_lock);
}

static void *vcpu_main(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = the_vm;
	struct kvm_run *run = v->run;
	char why[96];
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!__atomic_load_n(&vm->stop, __ATOMIC_ACQUIRE)) {
		int r = ioctl(v->fd, KVM_RUN, 0);

		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = 0;
				v->st.exits[KVM_EXIT_INTR]++;
				continue;
			}
			snprintf(why, sizeof(why), "KVM_RUN failed: %s",
				 strerror(errno));
			vcpu_fail(vm, v, why);
			break;
		}
		if (run->exit_reason < STAT_REASONS)
			v->st.exits[run->exit_reason]++;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(vm, v);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(vm, v);
			break;
		case KVM_EXIT_IOAPIC_EOI:
			pthread_mutex_lock(&vm->io_lock);
			ioapic_eoi(vm, run->eoi.vector);
			pthread_mutex_unlock(&vm->io_lock);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_HLT:
			/* Only without local APICs: nothing can wake it. */
			vcpu_fail(vm, v, "halted with no local APIC to wake it");
			break;
		case KVM_EXIT_SHUTDOWN:
			pthread_mutex_lock(&vm->io_lock);
			vm_end(vm, END_REBOOT);		/* triple fault */
			pthread_mutex_unlock(&vm->io_lock);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			pthread_mutex_lock(&vm->io_lock);
			if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
				vm_end(vm, END_POWEROFF);
			else if (run->system_event.type == KVM_SYSTEM_EVENT_CRASH)
				vm_end(vm, END_CRASH);
			else
				vm_end(vm, END_REBOOT);
			pthread_mutex_unlock(&vm->io_lock);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(why, sizeof(why), "entry failed, reason 0x%llx",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			vcpu_fail(vm, v, why);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(why, sizeof(why), "internal error, suberror %u",
				 run->internal.suberror);
			vcpu_fail(vm, v, why);
			break;
		default:
			snprintf(why, sizeof(why), "unexpected exit reason %u",
				 run->exit_reason);
			vcpu_fail(vm, v, why);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* VM setup */

static int check_cap(struct vm *vm, int fd, long cap, const char *name,
		     const char *what)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	if (r > 0)
		return r;
	return run_error("%s lacks %s (%s), which booting Linux needs%s",
			 vm->o->dev, name, what,
			 vm->is_kvm ? "" :
			 "; until minihv has it, try --dev /dev/kvm");
}

static uint32_t host_tsc_khz(struct vm *vm, int vcpu_fd)
{
	char line[256];
	FILE *f;
	int r = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);

	(void)vm;
	if (r > 0)
		return r;
	/* The host's own calibration, as /proc/cpuinfo shows it. */
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		double mhz;

		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1) {
			fclose(f);
			return (uint32_t)(mhz * 1000);
		}
	}
	fclose(f);
	return 0;
}

static struct kvm_cpuid2 *cpuid;

static int setup_cpuid(struct vm *vm)
{
	int n = 256, i, out = 0;
	struct kvm_cpuid_entry2 *e;
	bool deadline = ioctl(vm->sys_fd, KVM_CHECK_EXTENSION,
			      KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	uint32_t max_basic = 0;

	cpuid = calloc(1, sizeof(*cpuid) + (n + 2) * sizeof(*e));
	if (!cpuid)
		return run_error("out of memory");
	cpuid->nent = n;
	if (ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
		return run_error("KVM_GET_SUPPORTED_CPUID on %s: %s",
				 vm->o->dev, strerror(errno));
	e = cpuid->entries;
	for (i = 0; i < (int)cpuid->nent; i++) {
		/*
		 * No paravirtual leaves: the guest sees the same platform on
		 * minihv and KVM (no kvmclock, which minihv does not have).
		 */
		if (e[i].function >= 0x40000000 && e[i].function < 0x40000100)
			continue;
		if (e[i].function == 0 && !memcmp(&e[i].ebx, "Genu", 4))
			vm->intel = true;
		if (e[i].function == 0)
			max_basic = e[i].eax;
		if (e[i].function == 1) {
			/* Hypervisor present, TSC deadline from the LAPIC */
			e[i].ecx |= 1U << 31;
			if (deadline)
				e[i].ecx |= 1U << 24;
		}
		if (e[i].function == 6)
			e[i].eax |= 1 << 2;		/* ARAT */
		if (e[i].function == 0x15 || e[i].function == 0x16)
			continue;			/* ours, below */
		e[out++] = e[i];
	}
	/*
	 * TSC frequency, so that Linux need not calibrate against the PIT
	 * (too slow when every port read is an exit): Linux reads CPUID
	 * 0x15 on Intel; elsewhere run_main() adds tsc_early_khz=.
	 */
	if (vm->intel && vm->tsc_khz) {
		e[out++] = (struct kvm_cpuid_entry2){ .function = 0x15,
			.eax = 1, .ebx = 1, .ecx = vm->tsc_khz * 1000 };
		e[out++] = (struct kvm_cpuid_entry2){ .function = 0x16,
			.eax = vm->tsc_khz / 1000, .ebx = vm->tsc_khz / 1000,
			.ecx = 100 };
		for (i = 0; i < out; i++)
			if (e[i].function == 0 && max_basic < 0x16)
				e[i].eax = 0x16;
	}
	cpuid->nent = out;
	return 0;
}

static int set_vcpu_cpuid(struct vm *vm, struct vcpu *v)
{
	struct kvm_cpuid2 *c;
	size_t sz = sizeof(*c) + cpuid->nent * sizeof(c->entries[0]);
	uint32_t i;
	int r;

	c = malloc(sz);
	if (!c)
		return run_error("out of memory");
	memcpy(c, cpuid, sz);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffff) | (v->id << 24);
			e->ebx = (e->ebx & 0xff00ffff) | (vm->nr_vcpus << 16);
			if (vm->nr_vcpus > 1)
				e->edx |= 1 << 28;	/* HTT */
		}
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = v->id;
		if (e->function == 0x8000001e)
			e->eax = v->id;
	}
	r = ioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	if (r < 0)
		return run_error("KVM_SET_CPUID2 on vcpu%d: %s", v->id,
				 strerror(errno));
	return 0;
}

static int setup_memory(struct vm *vm)
{
	const struct run_opts *o = vm->o;
	struct kvm_userspace_memory_region r = { 0 };
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

	vm->ram_size = o->mem;
	vm->low_size = o->mem < GPA_LOWMEM_END ? o->mem : GPA_LOWMEM_END;
	vm->map_size = o->mem;
	if (o->hugepages) {
		/*
		 * Reserved at mmap() (no MAP_NORESERVE): too few huge pages
		 * fail here, with a message, not as a SIGBUS (KVM) or an
		 * EFAULT from pinning (minihv) once the guest runs.
		 */
		vm->map_size = (o->mem + (2 << 20) - 1) & ~((2ULL << 20) - 1);
		vm->ram = mmap(NULL, vm->map_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1,
			       0);
		if (vm->ram == MAP_FAILED)
			return run_error("--hugepages: cannot map %llu MiB of 2 MiB pages (%s): reserve them with 'echo N > /proc/sys/vm/nr_hugepages'",
					 (unsigned long long)(vm->map_size >> 20),
					 strerror(errno));
	} else {
		vm->ram = mmap(NULL, vm->map_size, PROT_READ | PROT_WRITE,
			       flags, -1, 0);
		if (vm->ram == MAP_FAILED)
			return run_error("cannot map %llu MiB of guest RAM: %s",
					 (unsigned long long)(o->mem >> 20),
					 strerror(errno));
		madvise(vm->ram, vm->map_size, MADV_HUGEPAGE);
	}
	r.slot = 0;
	r.guest_phys_addr = 0;
	r.memory_size = vm->low_size;
	r.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return run_error("KVM_SET_USER_MEMORY_REGION (%llu MiB at 0): %s%s",
				 (unsigned long long)(vm->low_size >> 20),
				 strerror(errno),
				 errno == ENOMEM ? " (RLIMIT_MEMLOCK too low?)" : "");
	if (vm->ram_size > vm->low_size) {
		r.slot = 1;
		r.guest_phys_addr = GPA_HIGHMEM;
		r.memory_size = vm->ram_size - vm->low_size;
		r.userspace_addr = (uintptr_t)vm->ram + vm->low_size;
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return run_error("KVM_SET_USER_MEMORY_REGION (%llu MiB at 4 GiB): %s",
					 (unsigned long long)(r.memory_size >> 20),
					 strerror(errno));
	}
	return 0;
}

#define PIN_MAX_CPUS	1024

/*
 * A CPU list as taskset and cpusets write it ("2-3,6"): the CPUs in order
 * in @cpus, their number returned; -1 if the list is malformed.
 */
static int parse_cpulist(const char *list, int *cpus)
{
	const char *p = list;
	int n = 0;

	do {
		char *end;
		long a, b;

		if (*p < '0' || *p > '9')
			return -1;
		a = strtol(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return -1;
			b = strtol(p, &end, 10);
		}
		if (a > b || b >= PIN_MAX_CPUS || (*end && *end != ','))
			return -1;
		for (; a <= b && n < PIN_MAX_CPUS; a++)
			cpus[n++] = a;
		p = end + (*end == ',');
	} while (*p);
	return *list ? n : -1;
}

/* vCPU @idx's thread to the (@idx mod n)th CPU of @list (checked). */
static int pin_thread(pthread_t t, const char *list, int idx)
{
	int cpus[PIN_MAX_CPUS], n = parse_cpulist(list, cpus);
	cpu_set_t set;
	int r;

	CPU_ZERO(&set);
	CPU_SET(cpus[idx % n], &set);
	r = pthread_setaffinity_np(t, sizeof(set), &set);
	if (r)
		return run_error("--pin: cannot pin vcpu%d to CPU %d: %s",
				 idx, cpus[idx % n], strerror(r));
	return 0;
}

/* Open the device and check what booting Linux needs. */
static int open_device(struct vm *vm)
{
	const char *dev = vm->o->dev;
	int r;

	vm->is_kvm = strstr(dev, "kvm") != NULL;
	vm->sys_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0) {
		int e = errno;

		run_error("cannot open %s: %s", dev, strerror(e));
		if (e == ENOENT)
			fprintf(stderr, "  %s\n", vm->is_kvm ?
				"load kvm_intel or kvm_amd (modprobe), or use --dev /dev/minihv" :
				"load the module (insmod minihv.ko), or use --dev /dev/kvm; 'minihv-run check' says more");
		else if (e == EACCES)
			fprintf(stderr, "  add yourself to the device's group, or run as root\n");
		return -1;
	}
	r = ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION)
		return run_error("%s is not a KVM-compatible device (KVM_GET_API_VERSION: %s); use /dev/minihv or /dev/kvm",
				 dev, r < 0 ? strerror(errno) : "not 12");
	vm->vm_fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return run_error("KVM_CREATE_VM on %s: %s", dev, strerror(errno));
	/*
	 * Linux needs local APICs; small multiboot or raw test kernels may
	 * run without (no interrupts, HLT ends them).
	 */
	vm->irqchip = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION,
			    KVM_CAP_SPLIT_IRQCHIP) > 0 &&
		      ioctl(vm->vm_fd, KVM_CHECK_EXTENSION,
			    KVM_CAP_SIGNAL_MSI) > 0;
	if (!vm->irqchip && (vm->o->format == KFMT_BZIMAGE ||
			     vm->o->format == KFMT_PVH) &&
	    (check_cap(vm, vm->vm_fd, KVM_CAP_SPLIT_IRQCHIP,
		       "KVM_CAP_SPLIT_IRQCHIP", "in-kernel local APICs") < 0 ||
	     check_cap(vm, vm->vm_fd, KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI",
		       "interrupt injection from the userspace IOAPIC") < 0))
		return -1;
	if (!vm->irqchip && vm->o->vcpus > 1 &&
	    check_cap(vm, vm->vm_fd, KVM_CAP_SPLIT_IRQCHIP,
		      "KVM_CAP_SPLIT_IRQCHIP", "local APICs to start the other vCPUs") < 0)
		return -1;
	if (check_cap(vm, vm->sys_fd, KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID",
		      "KVM_SET_CPUID2") < 0 ||
	    check_cap(vm, vm->sys_fd, KVM_CAP_IMMEDIATE_EXIT,
		      "KVM_CAP_IMMEDIATE_EXIT", "stopping vCPUs") < 0)
		return -1;
	r = ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (r > 0 && vm->o->vcpus > r)
		return run_error("%s runs at most %d vCPUs per VM (-c %d given)",
				 dev, r, vm->o->vcpus);
	return 0;
}

static void vm_destroy(struct vm *vm)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpu[i].run)
			munmap(vm->vcpu[i].run, vm->run_size);
		if (vm->vcpu[i].fd >= 0)
			close(vm->vcpu[i].fd);
		vm->vcpu[i].run = NULL;
		vm->vcpu[i].fd = -1;
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	if (vm->ram && vm->ram != MAP_FAILED)
		munmap(vm->ram, vm->map_size);
	vm->ram = NULL;
	vm->vm_fd = vm->sys_fd = -1;
}

/* Create the VM, its memory and vCPUs and load the kernel. */
static int vm_create(struct vm *vm, char *cmdline)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP,
				      .args = { 24 } };
	int i;

	vm->nr_vcpus = vm->o->vcpus;
	for (i = 0; i < RUN_MAX_VCPUS; i++) {
		vm->vcpu[i].fd = -1;
		vm->vcpu[i].id = i;
	}
	if (open_device(vm))
		return -1;
	if (vm->irqchip && ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return run_error("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP, 24) on %s: %s",
				 vm->o->dev, strerror(errno));
	if (setup_memory(vm))
		return -1;
	vm->run_size = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run))
		return run_error("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			return run_error("KVM_CREATE_VCPU %d: %s", i,
					 strerror(errno));
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			return run_error("mmap of vcpu%d's kvm_run: %s", i,
					 strerror(errno));
		}
		if (i == 0) {
			vm->tsc_khz = host_tsc_khz(vm, v->fd);
			if (setup_cpuid(vm))
				return -1;
		}
		if (set_vcpu_cpuid(vm, v))
			return -1;
	}
	/*
	 * Not on Intel, the TSC frequency goes on the command line: Linux
	 * reads CPUID 0x15 only on Intel, and calibrating against the PIT
	 * fails when every port access is a slow exit (nested labs).
	 */
	if (vm->tsc_khz && !vm->intel && !vm->o->no_tsc_hint &&
	    !strstr(cmdline, "tsc_early_khz="))
		snprintf(cmdline + strlen(cmdline), CMDLINE_MAX - strlen(cmdline),
			 " tsc_early_khz=%u", vm->tsc_khz);
	dev_reset(vm);
	if (boot_load(vm, cmdline))
		return -1;
	{
		struct kvm_sregs s;

		if (ioctl(vm->vcpu[0].fd, KVM_GET_SREGS, &s) < 0)
			return run_error("KVM_GET_SREGS: %s", strerror(errno));
		s.cs = vm->sregs.cs;
		s.ds = vm->sregs.ds;
		s.es = vm->sregs.es;
		s.fs = vm->sregs.fs;
		s.gs = vm->sregs.gs;
		s.ss = vm->sregs.ss;
		s.gdt = vm->sregs.gdt;
		s.cr0 = vm->sregs.cr0;
		s.cr3 = vm->sregs.cr3;
		s.cr4 = vm->sregs.cr4;
		s.efer = vm->sregs.efer;
		if (ioctl(vm->vcpu[0].fd, KVM_SET_SREGS, &s) < 0)
			return run_error("KVM_SET_SREGS (boot state): %s",
					 strerror(errno));
		if (ioctl(vm->vcpu[0].fd, KVM_SET_REGS, &vm->regs) < 0)
			return run_error("KVM_SET_REGS (boot state): %s",
					 strerror(errno));
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Main loop */

static int got_signal;		/* main thread only */

static int start_vcpus(struct vm *vm)
{
	char name[16];
	int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		if (pthread_create(&v->thread, NULL, vcpu_main, v))
			return run_error("cannot start the thread of vcpu%d", i);
		v->started = true;
		/* As ps, top and the tests see it. */
		snprintf(name, sizeof(name), "vcpu%d", i);
		pthread_setname_np(v->thread, name);
		if (vm->o->pin && pin_thread(v->thread, vm->o->pin, i))
			return -1;
	}
	return 0;
}

static void stop_vcpus(struct vm *vm)
{
	int i, left;

	__atomic_store_n(&vm->stop, 1, __ATOMIC_RELEASE);
	do {
		left = 0;
		for (i = 0; i < vm->nr_vcpus; i++) {
			struct vcpu *v = &vm->vcpu[i];

			if (!v->started)
				continue;
			if (pthread_tryjoin_np(v->thread, NULL) == 0) {
				v->started = false;
				continue;
			}
			left++;
			pthread_kill(v->thread, SIGUSR1);
		}
		if (left)
			usleep(2000);
	} while (left);
}

/* Wait for the end of this boot of the guest. */
static enum run_end wait_end(struct vm *vm)
{
	sigset_t set;
	struct timespec ts = { 0, 20 * 1000000 };

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &ts);
		enum run_end end;

		pthread_mutex_lock(&vm->io_lock);
		if (sig > 0) {
			got_signal = sig;
			vm_end(vm, END_SIGNAL);
		}
		/* A panicked guest that neither resets nor halts for good. */
		if (vm->panic_seen && now_ns() - vm->panic_ns > 2000000000ULL)
			vm_end(vm, END_CRASH);
		/* A panic followed by a reset is a crash, not a reboot. */
		if (vm->end == END_REBOOT && vm->panic_seen)
			vm->end = END_CRASH;
		end = vm->stop ? vm->end : END_NONE;
		pthread_mutex_unlock(&vm->io_lock);
		if (end != END_NONE)
			return end;
	}
}

static const char *const end_names[] = {
	[END_NONE] = "running", [END_POWEROFF] = "powered off",
	[END_REBOOT] = "rebooted", [END_CRASH] = "crashed (kernel panic)",
	[END_DEBUG_EXIT] = "wrote to the debug exit port",
	[END_SIGNAL] = "stopped by the user",
	[END_ERROR] = "stopped on an error",
};

static int preserve(struct vm *vm)
{
	sigset_t set;
	int sig;

	fprintf(stderr, "\r\nminihv-run: guest %s; VM preserved (pid %d): SIGINT or SIGTERM ends it\r\n",
		end_names[vm->end], getpid());
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigwait(&set, &sig);
	return sig;
}

/*
 * --trace: minihv's tracepoints for this VM, decoded on stderr by a thread
 * of userspace/trace.c.  0, or why not (then nothing ran).
 */
static int trace_begin(struct vm *vm)
{
	const char *how = "";
	int r;

	if (!vm->o->trace)
		return 0;
	r = mhv_trace_start(vm->vm_fd, vm->o->trace, stderr);
	if (!r)
		return 0;
	if (r == -ENOTTY)
		how = " (this is not minihv: --trace reads minihv's tracepoints; on KVM, use perf or trace-cmd with the kvm:kvm_exit event)";
	else if (r == -EINVAL)
		how = " (the list of reasons is too long)";
	else if (r == -ENOENT)
		how = " (no events/minihv in tracefs: mount it with 'mount -t tracefs nodev /sys/kernel/tracing')";
	else if (r == -EACCES || r == -EPERM)
		how = " (tracefs needs root)";
	return run_error("--trace: %s%s", strerror(-r), how);
}

static int run_main(const struct run_opts *o)
{
	static struct vm vm;
	char cmdline[CMDLINE_MAX];
	struct sigaction sa = { 0 };
	sigset_t set;
	int status = RUN_EXIT_ERROR, boots = 0;

	the_vm = &vm;
	sa.sa_handler = kick_handler;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Only the main thread takes SIGINT/SIGTERM/SIGHUP (sigtimedwait). */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_mutex_init(&vm.io_lock, NULL);

	for (;;) {
		enum run_end end;
		enum run_policy pol;

		memset(&vm, 0, offsetof(struct vm, io_lock));
		vm.o = o;
		vm.vm_fd = vm.sys_fd = -1;
		vm.end = END_NONE;
		snprintf(cmdline, sizeof(cmdline), "%s", o->cmdline);
		if (vm_create(&vm, cmdline) || trace_begin(&vm)) {
			vm_destroy(&vm);
			return boots ? RUN_EXIT_ERROR : RUN_EXIT_SETUP;
		}
		if (uart_console_start(&vm) || start_vcpus(&vm)) {
			stop_vcpus(&vm);
			mhv_trace_stop();
			vm_destroy(&vm);
			return boots ? RUN_EXIT_ERROR : RUN_EXIT_SETUP;
		}
		boots++;
		end = wait_end(&vm);
		stop_vcpus(&vm);
		mhv_trace_stop();
		if (o->stats) {
			run_stats_print(&vm, stderr);
			/* minihv: the kernel's exit table and histograms too. */
			if (!vm.is_kvm)
				mhv_stats_print(vm.vm_fd, stderr);
		}

		switch (end) {
		case END_POWEROFF:
			pol = o->on_poweroff;
			status = RUN_EXIT_OK;
			break;
		case END_REBOOT:
			pol = o->on_reboot;
			status = RUN_EXIT_OK;
			break;
		case END_CRASH:
			pol = o->on_crash;
			status = RUN_EXIT_CRASH;
			break;
		case END_DEBUG_EXIT:
			pol = POLICY_DESTROY;
			status = (vm.debug_exit << 1) | 1;
			break;
		case END_SIGNAL:
			pol = POLICY_DESTROY;
			status = 128 + (got_signal ? got_signal : SIGINT);
			break;
		default:
			pol = POLICY_DESTROY;
			status = RUN_EXIT_ERROR;
		}
		if (pol == POLICY_RESTART) {
			fprintf(stderr, "\r\nminihv-run: guest %s: restarting it\r\n",
				end_names[end]);
			vm_destroy(&vm);
			continue;
		}
		if (pol == POLICY_PRESERVE)
			status = 128 + preserve(&vm);
		else if (end != END_POWEROFF && end != END_DEBUG_EXIT)
			fprintf(stderr, "\r\nminihv-run: guest %s\r\n",
				end_names[end]);
		vm_destroy(&vm);
		break;
	}
	uart_console_restore();
	return status;
}

/* ------------------------------------------------------------------ */
/* Command line */

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: minihv-run run -k KERNEL [options]\n"
		"\n"
		"Boot KERNEL in a VM on /dev/minihv (or /dev/kvm: the same ABI), with its\n"
		"serial console (COM1) on this terminal.  Ctrl-A x quits.\n"
		"\n"
		"  -k, --kernel FILE     Linux bzImage (e.g. /boot/vmlinuz-*), ELF vmlinux\n"
		"                        with a PVH note (boots without decompressing),\n"
		"                        multiboot v1 image, or flat binary (--raw)\n"
		"  -i, --initrd FILE     initramfs (multiboot: modules, comma-separated)\n"
		"  -p, --params STR      kernel command line (default: '%s')\n"
		"  -m, --mem SIZE        RAM, MiB or with a K/M/G suffix (default 256M)\n"
		"  -c, --cpus N          vCPUs (default 1)\n"
		"      --dev PATH        device (default %s)\n"
		"      --on-poweroff P   destroy (default), restart or preserve\n"
		"      --on-reboot P     restart (default), destroy or preserve\n"
		"      --on-crash P      destroy (default), restart or preserve: a kernel\n"
		"                        panic on the console\n"
		"      --pin CPULIST     pin vCPU threads, round robin (e.g. 2-3,6)\n"
		"      --hugepages       back RAM with 2 MiB huge pages (hugetlbfs)\n"
		"      --stats           print the exits the launcher saw at the end (and\n"
		"                        on minihv the kernel's exit table, histograms)\n"
		"      --trace[=REASONS] print each exit of the guest, decoded, on stderr\n"
		"                        (minihv only, root); REASONS: comma-separated\n"
		"                        exit names (io,cpuid,hlt,npf,...), inject,\n"
		"                        apic_timer; default all\n"
		"      --format F        auto (default), bzimage, pvh, multiboot, raw\n"
		"      --raw ADDR        flat binary: load and enter at ADDR (32-bit)\n"
		"      --no-tsc-khz      do not add tsc_early_khz= on non-Intel CPUs\n"
		"  -h, --help            this text\n"
		"\n"
		"exit status: 0 the guest powered off (or rebooted/crashed with\n"
		"'destroy'), (N << 1) | 1 the guest wrote N to port 0xf4 (QEMU's\n"
		"isa-debug-exit), 2 bad usage or setup (nothing ran), 4 the guest\n"
		"kernel panicked, 5 the hypervisor or launcher failed, 128+SIG on a\n"
		"signal.\n",
		"console=ttyS0 panic=-1", MINIHV_RUN_DEFAULT_DEV);
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "minihv-run run: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'minihv-run run --help'.\n");
	return RUN_EXIT_SETUP;
}

static int parse_policy(const char *s, enum run_policy *p)
{
	if (!strcmp(s, "destroy"))
		*p = POLICY_DESTROY;
	else if (!strcmp(s, "restart"))
		*p = POLICY_RESTART;
	else if (!strcmp(s, "preserve"))
		*p = POLICY_PRESERVE;
	else
		return -1;
	return 0;
}

static int parse_mem(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (end == s)
		return -1;
	if (!*end || *end == 'M' || *end == 'm')
		v <<= 20;
	else if (*end == 'G' || *end == 'g')
		v <<= 30;
	else if (*end == 'K' || *end == 'k')
		v <<= 10;
	else
		return -1;
	if (*end && end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
		return -1;
	*out = v;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	enum { O_DEV = 256, O_POFF, O_REBOOT, O_CRASH, O_PIN, O_HUGE, O_STATS,
	       O_FORMAT, O_RAW, O_NOTSC, O_TRACE };
	static const struct option lo[] = {
		{ "kernel", 1, NULL, 'k' }, { "initrd", 1, NULL, 'i' },
		{ "params", 1, NULL, 'p' }, { "mem", 1, NULL, 'm' },
		{ "cpus", 1, NULL, 'c' }, { "help", 0, NULL, 'h' },
		{ "dev", 1, NULL, O_DEV }, { "on-poweroff", 1, NULL, O_POFF },
		{ "on-reboot", 1, NULL, O_REBOOT },
		{ "on-crash", 1, NULL, O_CRASH }, { "pin", 1, NULL, O_PIN },
		{ "hugepages", 0, NULL, O_HUGE }, { "stats", 0, NULL, O_STATS },
		{ "format", 1, NULL, O_FORMAT }, { "raw", 1, NULL, O_RAW },
		{ "no-tsc-khz", 0, NULL, O_NOTSC },
		{ "trace", 2, NULL, O_TRACE },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o = {
		.dev = MINIHV_RUN_DEFAULT_DEV,
		.cmdline = "console=ttyS0 panic=-1",
		.mem = 256ULL << 20,
		.vcpus = 1,
		.on_poweroff = POLICY_DESTROY,
		.on_reboot = POLICY_RESTART,
		.on_crash = POLICY_DESTROY,
	};
	char *end;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":k:i:p:m:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'k':
			o.kernel = optarg;
			break;
		case 'i':
			o.initrd = optarg;
			break;
		case 'p':
			o.cmdline = optarg;
			break;
		case 'm':
			if (parse_mem(optarg, &o.mem))
				return bad("-m '%s': want a size such as 256, 512M or 2G",
					   optarg);
			break;
		case 'c':
			o.vcpus = strtol(optarg, &end, 10);
			if (*end || o.vcpus < 1 || o.vcpus > RUN_MAX_VCPUS)
				return bad("-c '%s': want 1 to 64 vCPUs", optarg);
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		case O_DEV:
			o.dev = optarg;
			break;
		case O_POFF:
		case O_REBOOT:
		case O_CRASH:
			if (parse_policy(optarg, c == O_POFF ? &o.on_poweroff :
					 c == O_REBOOT ? &o.on_reboot :
					 &o.on_crash))
				return bad("policy '%s': want destroy, restart or preserve",
					   optarg);
			break;
		case O_PIN: {
			int cpus[PIN_MAX_CPUS];

			if (parse_cpulist(optarg, cpus) < 0)
				return bad("--pin: bad CPU list '%s': want CPU numbers and ranges, e.g. 2-3,6",
					   optarg);
			o.pin = optarg;
			break;
		}
		case O_HUGE:
			o.hugepages = true;
			break;
		case O_STATS:
			o.stats = true;
			break;
		case O_NOTSC:
			o.no_tsc_hint = true;
			break;
		case O_TRACE:
			o.trace = optarg ? optarg : "";
			break;
		case O_FORMAT:
			if (!strcmp(optarg, "auto"))
				o.format = KFMT_AUTO;
			else if (!strcmp(optarg, "bzimage"))
				o.format = KFMT_BZIMAGE;
			else if (!strcmp(optarg, "pvh"))
				o.format = KFMT_PVH;
			else if (!strcmp(optarg, "multiboot"))
				o.format = KFMT_MULTIBOOT;
			else if (!strcmp(optarg, "raw"))
				o.format = KFMT_RAW;
			else
				return bad("--format '%s': want auto, bzimage, pvh, multiboot or raw",
					   optarg);
			break;
		case O_RAW:
			o.raw_addr = strtoull(optarg, &end, 0);
			if (*end)
				return bad("--raw '%s': want an address, e.g. 0x100000",
					   optarg);
			o.format = KFMT_RAW;
			break;
		case ':':
			return bad("option '%s' needs an argument", argv[optind - 1]);
		default:
			return bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s' (the kernel goes after -k)",
			   argv[optind]);
	if (!o.kernel)
		return bad("%s", "no kernel: give one with -k FILE, e.g. -k /boot/vmlinuz-$(uname -r)");
	if (o.mem < (2ULL << 20))
		return bad("-m: %s is too little RAM (2 MiB at least)",
			   "the value given");
	if (o.mem > (64ULL << 30))
		return bad("-m: %s is too much RAM (64 GiB at most)",
			   "the value given");
	if (strlen(o.cmdline) >= CMDLINE_MAX - 32)
		return bad("%s", "-p: command line too long");
	if (o.trace && strstr(o.dev, "kvm"))
		return bad("--trace needs minihv (%s is KVM): it decodes minihv's tracepoints; on KVM use 'perf trace -e kvm:kvm_exit' or 'trace-cmd record -e kvm'",
			   o.dev);
	if (boot_check(&o))
		return RUN_EXIT_SETUP;
	return run_main(&o);
}
