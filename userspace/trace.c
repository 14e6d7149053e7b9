// SPDX-License-Identifier: GPL-2.0
/*
 * minihv-run: the minihv tracepoints decoded into words, and the exit
 * statistics table (trace.h has the API, kmod/trace.h the events,
 * Documentation/transitions.rst the story they tell).
 *
 * A line of trace_pipe looks like
 *
 *   guest-123 [000] d..1.  45.678901: minihv_exit: vm=2 vcpu=0 vendor=svm
 *	reason=io nr=0x7b qual=0x100210 info2=0x10010 rip=0x1000e len=0
 *	to=user kvm_exit=2 guest_ns=2312
 *
 * The exit event comes once the exit was handled, after what its handler
 * did (minihv_page_fault, minihv_inject): those are held per vCPU and
 * printed under the exit's line, so the output reads in the order a
 * student thinks of it: the exit, then what minihv did about it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "minihv.h"
#include "trace.h"

#define MAX_VCPUS	16
#define HELD_LINES	8
#define LINE_MAX_LEN	256

/* ---------------------------------------------------------------------
 * Decoding
 */

/* Per vCPU: the handler events waiting for their exit, and times. */
struct vcpu_state {
	char held[HELD_LINES][LINE_MAX_LEN];
	int nheld;
	double t_entry;		/* last minihv_entry, seconds */
	double t_user;		/* last minihv_userspace_exit */
	bool exit_shown;	/* the last exit was printed */
	bool in_guest;		/* between minihv_entry and minihv_exit */
};

static struct vcpu_state vcpus[MAX_VCPUS];

void mhv_trace_reset(void)
{
	memset(vcpus, 0, sizeof(vcpus));
}

/* The value of "@key=" in @s, copied to @val ("" if absent). */
static const char *field(const char *s, const char *key, char *val,
			 size_t size)
{
	size_t klen = strlen(key);
	const char *p = s;

	val[0] = 0;
	while ((p = strstr(p, key))) {
		if ((p == s || p[-1] == ' ') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, "\n ");

			if (n >= size)
				n = size - 1;
			memcpy(val, p + klen + 1, n);
			val[n] = 0;
			break;
		}
		p += klen;
	}
	return val;
}

static uint64_t num(const char *s, const char *key)
{
	char v[32];

	return strtoull(field(s, key, v, sizeof(v)), NULL, 0);
}

/* Is @reason in the comma-separated @list (NULL or "": everything)? */
static bool wanted(const char *list, const char *reason)
{
	size_t n = strlen(reason);
	const char *p = list;

	if (!list || !*list)
		return true;
	while (p && *p) {
		if (!strncmp(p, reason, n) && (p[n] == ',' || !p[n]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

static const char *kvm_exit_name(unsigned int r)
{
	switch (r) {
	case KVM_EXIT_IO:		return "KVM_EXIT_IO";
	case KVM_EXIT_HLT:		return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO:		return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN:		return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY:	return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTR:		return "KVM_EXIT_INTR";
	case KVM_EXIT_INTERNAL_ERROR:	return "KVM_EXIT_INTERNAL_ERROR";
	default:			return "KVM_EXIT_?";
	}
}

static const char *const vector_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault", "vector 9",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "vector 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization exception",
	"#CP control protection",
};

/* Port I/O from the qualification (VMX) or EXITINFO1 (SVM). */
static void io_words(bool vmx, uint64_t q, char *buf, size_t size)
{
	unsigned int port = (q >> 16) & 0xffff, bytes;
	bool in, string;

	if (vmx) {
		bytes = (q & 7) + 1;
		in = q & 8;
		string = q & 16;
	} else {
		bytes = (q & 0x40) ? 4 : (q & 0x20) ? 2 : 1;
		in = q & 1;
		string = q & 4;
	}
	snprintf(buf, size, "%s%s of %u byte%s at port %#x: the guest talks to "
		 "a device; there is none in the kernel",
		 in ? "IN" : "OUT", string ? "S" : "", bytes,
		 bytes > 1 ? "s" : "", port);
}

/* What the exit is, in words. */
static void exit_words(const char *text, const char *reason, char *buf,
		       size_t size)
{
	char vendor[8];
	bool vmx = !strcmp(field(text, "vendor", vendor, sizeof(vendor)),
			   "vmx");
	uint64_t q = num(text, "qual"), info2 = num(text, "info2");

	if (!strcmp(reason, "cpuid"))
		snprintf(buf, size, "CPUID: the guest asks what the CPU can do; "
			 "minihv answers from the table userspace gave "
			 "(KVM_SET_CPUID2)");
	else if (!strcmp(reason, "io"))
		io_words(vmx, q, buf, size);
	else if (!strcmp(reason, "hlt"))
		snprintf(buf, size, "HLT: the guest has nothing to do until an "
			 "interrupt comes");
	else if (!strcmp(reason, "npf") || !strcmp(reason, "ept_violation"))
		snprintf(buf, size, "%s at guest-physical %#" PRIx64
			 ": the guest touched memory its %s does not map (yet)",
			 vmx ? "EPT violation" : "nested page fault", info2,
			 vmx ? "EPT" : "nested page table");
	else if (!strcmp(reason, "hypercall") || !strcmp(reason, "vmcall"))
		snprintf(buf, size, "hypercall (%s): the guest calls the "
			 "hypervisor on purpose, RAX says what for",
			 vmx ? "VMCALL" : "VMMCALL");
	else if (!strcmp(reason, "msr") || !strcmp(reason, "msr_read") ||
		 !strcmp(reason, "msr_write"))
		snprintf(buf, size, "%s: a model-specific register minihv "
			 "keeps for the guest",
			 !strcmp(reason, "msr_write") || (!vmx && q) ?
			 "WRMSR" : "RDMSR");
	else if (!strcmp(reason, "intr") || !strcmp(reason, "interrupt"))
		snprintf(buf, size, "a host interrupt arrived while the guest "
			 "ran: the host handles it, then the guest goes on");
	else if (!strcmp(reason, "nmi") || !strcmp(reason, "smi"))
		snprintf(buf, size, "a host %s: the host handles it",
			 !strcmp(reason, "nmi") ? "NMI" : "SMI");
	else if (!strcmp(reason, "shutdown"))
		snprintf(buf, size, "shutdown (triple fault): the guest cannot "
			 "go on");
	else if (!strcmp(reason, "cr_access"))
		snprintf(buf, size, "a control register access minihv watches "
			 "(CR0/CR3/CR4)");
	else if (!strncmp(reason, "read_cr", 7) ||
		 !strncmp(reason, "write_cr", 8))
		snprintf(buf, size, "MOV %s CR%c: with shadow paging minihv "
			 "must see it (CR3 switches the guest's page tables)",
			 reason[0] == 'r' ? "from" : "to",
			 reason[strlen(reason) - 1]);
	else if (!strcmp(reason, "invlpg"))
		snprintf(buf, size, "INVLPG: the guest drops a TLB entry; "
			 "minihv drops the shadow entries");
	else if (!strcmp(reason, "exception_nmi"))
		snprintf(buf, size, "an exception minihv intercepts (with "
			 "shadow paging: the guest's #PF), or an NMI");
	else if (!strcmp(reason, "PF_excp"))
		snprintf(buf, size, "#PF page fault at linear %#" PRIx64
			 ", intercepted: with shadow paging minihv sees every "
			 "guest page fault first", info2);
	else if (strlen(reason) > 5 &&
		 !strcmp(reason + strlen(reason) - 5, "_excp"))
		snprintf(buf, size, "#%.2s exception, intercepted by minihv",
			 reason);
	else if (!strcmp(reason, "vintr") ||
		 !strcmp(reason, "irq_window"))
		snprintf(buf, size, "interrupt window: the guest can take an "
			 "interrupt now (IF=1), minihv asked to be told");
	else if (!strcmp(reason, "nmi_window"))
		snprintf(buf, size, "NMI window: the guest can take an NMI now");
	else if (!strcmp(reason, "pause"))
		snprintf(buf, size, "PAUSE loop: the guest spins, likely "
			 "waiting for another vCPU; minihv lets others run");
	else
		snprintf(buf, size, "exit reason %s (%#" PRIx64 ")", reason,
			 num(text, "nr"));
}

/* Append @s to @buf of @size holding @len bytes. */
static size_t append(char *buf, size_t size, size_t len, const char *s)
{
	int n;

	if (len >= size)
		return len;
	n = snprintf(buf + len, size - len, "%s", s);
	return n < 0 ? len : len + n;
}

__attribute__((format(printf, 2, 3)))
static void hold(struct vcpu_state *v, const char *fmt, ...)
{
	va_list ap;

	if (v->nheld >= HELD_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(v->held[v->nheld++], LINE_MAX_LEN, fmt, ap);
	va_end(ap);
}

size_t mhv_trace_decode(const char *line, const char *reasons, char *buf,
			size_t size)
{
	const char *ev = strstr(line, ": minihv_"), *text, *p;
	char name[32], reason[40], to[16], tmp[LINE_MAX_LEN];
	struct vcpu_state *v;
	unsigned int cpu;
	size_t len = 0;
	double ts = 0;
	int i;

	if (size)
		buf[0] = 0;
	if (!ev || !size)
		return 0;
	/* The timestamp: the word before ": minihv_". */
	for (p = ev; p > line && p[-1] != ' '; p--)
		;
	ts = strtod(p, NULL);
	ev += strlen(": minihv_");
	text = strstr(ev, ": ");
	if (!text || (size_t)(text - ev) >= sizeof(name))
		return 0;
	memcpy(name, ev, text - ev);
	name[text - ev] = 0;
	text += 2;
	cpu = num(text, "vcpu");
	if (cpu >= MAX_VCPUS)
		return 0;
	v = &vcpus[cpu];

	if (!strcmp(name, "entry")) {
		v->t_entry = ts;
		v->in_guest = true;
	} else if (!strcmp(name, "inject") && !v->in_guest) {
		/* An interrupt or NMI, injected on the way into the guest. */
		unsigned int vec = num(text, "vector");

		if (!wanted(reasons, "inject"))
			return 0;
		field(text, "type", tmp, sizeof(tmp));
		if (!strcmp(tmp, "nmi"))
			len = snprintf(buf, size, "%12.6f vcpu%u   -> enters the "
				       "guest with an NMI injected: its vector 2 "
				       "handler runs first\n", ts, cpu);
		else
			len = snprintf(buf, size, "%12.6f vcpu%u   -> enters the "
				       "guest with interrupt vector %#x injected "
				       "(%s): its IDT handler runs first\n", ts,
				       cpu, vec, !strcmp(tmp, "intr") ?
				       "IF=1, nothing in the way" : tmp);
	} else if (!strcmp(name, "inject")) {
		unsigned int vec = num(text, "vector");

		field(text, "type", tmp, sizeof(tmp));
		if (!strcmp(tmp, "exception") && vec < 32 && vector_names[vec])
			hold(v, "  -> minihv injects %s (vector %u) into the "
			     "guest", vector_names[vec], vec);
		else
			hold(v, "  -> minihv injects %s vector %u", tmp, vec);
	} else if (!strcmp(name, "page_fault")) {
		char kind[16];

		field(text, "kind", kind, sizeof(kind));
		field(text, "result", tmp, sizeof(tmp));
		if (!strcmp(kind, "tdp") && !strcmp(tmp, "mapped"))
			hold(v, "  -> RAM at %#" PRIx64 " touched for the first "
			     "time: minihv maps it and the guest retries",
			     num(text, "addr"));
		else if (!strcmp(kind, "tdp") &&
			 (num(text, "addr") & ~0xfffULL) == 0xfee00000ULL)
			hold(v, "  -> no RAM at %#" PRIx64 ": the local APIC "
			     "(register %#" PRIx64 "), emulated in the kernel; "
			     "minihv decodes the instruction", num(text, "addr"),
			     num(text, "addr") & 0xfff);
		else if (!strcmp(kind, "tdp"))
			hold(v, "  -> no RAM at %#" PRIx64 ": a device (MMIO); "
			     "minihv decodes the instruction", num(text, "addr"));
		else if (!strcmp(tmp, "mapped"))
			hold(v, "  -> shadow page fault at linear %#" PRIx64
			     ": the guest's page tables map it; minihv copies "
			     "the mapping into its shadow page table and the "
			     "guest retries", num(text, "addr"));
		else if (!strcmp(tmp, "mmio"))
			hold(v, "  -> shadow page fault at linear %#" PRIx64
			     ": the guest's page tables point at no RAM: a "
			     "device (MMIO); minihv decodes the instruction",
			     num(text, "addr"));
		else
			hold(v, "  -> the guest's own page fault at linear %#"
			     PRIx64 " (error %#" PRIx64 "): its page tables "
			     "do not allow the access", num(text, "addr"),
			     num(text, "error"));
	} else if (!strcmp(name, "apic_timer")) {
		/* Asynchronous (a host timer interrupt): printed as it comes. */
		if (!wanted(reasons, "apic_timer"))
			return 0;
		len = snprintf(buf, size, "%12.6f vcpu%u   the guest's APIC "
			       "timer fired: interrupt vector %#" PRIx64
			       " is pending\n", ts, cpu, num(text, "vector"));
	} else if (!strcmp(name, "userspace_exit")) {
		v->t_user = ts;
	} else if (!strcmp(name, "userspace_return")) {
		if (v->exit_shown && v->t_user > 0)
			len = snprintf(buf, size, "%12.6f vcpu%u   back from "
				       "userspace after %.1f us\n", ts, cpu,
				       (ts - v->t_user) * 1e6);
		v->exit_shown = false;
	} else if (!strcmp(name, "exit")) {
		uint64_t guest_ns = num(text, "guest_ns");
		double handled_us;

		field(text, "reason", reason, sizeof(reason));
		field(text, "to", to, sizeof(to));
		v->in_guest = false;
		v->exit_shown = wanted(reasons, reason);
		if (!v->exit_shown) {
			v->nheld = 0;
			return 0;
		}
		exit_words(text, reason, tmp, sizeof(tmp));
		len = snprintf(buf, size, "%12.6f vcpu%u exit %-13s rip %#"
			       PRIx64 ": %s\n", ts, cpu, reason,
			       num(text, "rip"), tmp);
		for (i = 0; i < v->nheld; i++) {
			len = append(buf, size, len, v->held[i]);
			len = append(buf, size, len, "\n");
		}
		v->nheld = 0;
		if (!strcmp(to, "kernel"))
			snprintf(tmp, sizeof(tmp), "  => handled in the kernel");
		else if (!strcmp(to, "user"))
			snprintf(tmp, sizeof(tmp), "  => sent to userspace as %s",
				 kvm_exit_name(num(text, "kvm_exit")));
		else
			snprintf(tmp, sizeof(tmp), "  => error: KVM_RUN fails");
		len = append(buf, size, len, tmp);
		handled_us = (ts - v->t_entry) * 1e6 - guest_ns / 1e3;
		snprintf(tmp, sizeof(tmp), "  (guest ran %.1f us",
			 guest_ns / 1e3);
		len = append(buf, size, len, tmp);
		if (v->t_entry > 0 && handled_us >= 0) {
			snprintf(tmp, sizeof(tmp), ", exit cost %.1f us",
				 handled_us);
			len = append(buf, size, len, tmp);
		}
		len = append(buf, size, len, ")\n");
	}
	return len < size ? len : size - 1;
}

/* ---------------------------------------------------------------------
 * The reader thread
 */

static struct {
	pthread_t thread;
	bool running;
	int stop;		/* __atomic */
	int pipe_fd;
	FILE *out;
	char dir[64];
	char reasons[256];
} tr;

static const char *tracefs_dir(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/minihv", dirs[i]);
		if (!access(path, F_OK))
			return dirs[i];
	}
	return NULL;
}

static int tracefs_write(const char *file, const char *val)
{
	char path[128];
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", tr.dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Decode and print whole lines of @data; returns the bytes consumed. */
static size_t print_lines(char *data, size_t n)
{
	char out[4096];
	size_t done = 0;

	while (done < n) {
		char *nl = memchr(data + done, '\n', n - done);

		if (!nl)
			break;
		*nl = 0;
		if (mhv_trace_decode(data + done, tr.reasons, out, sizeof(out)))
			fputs(out, tr.out);
		done = nl + 1 - data;
	}
	fflush(tr.out);
	return done;
}

static void *reader(void *unused)
{
	static char data[65536];
	size_t have = 0;
	int idle = 0;

	(void)unused;
	for (;;) {
		struct pollfd pfd = { .fd = tr.pipe_fd, .events = POLLIN };
		ssize_t n;
		size_t used;

		if (__atomic_load_n(&tr.stop, __ATOMIC_ACQUIRE) && idle)
			break;
		if (poll(&pfd, 1, 100) <= 0) {
			idle = 1;
			continue;
		}
		n = read(tr.pipe_fd, data + have, sizeof(data) - 1 - have);
		if (n <= 0) {
			idle = 1;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				break;
			continue;
		}
		idle = 0;
		have += n;
		used = print_lines(data, have);
		memmove(data, data + used, have - used);
		have -= used;
		if (have == sizeof(data) - 1)
			have = 0;	/* a line too long to be ours */
	}
	return NULL;
}

int mhv_trace_start_id(unsigned int vm_id, const char *reasons, FILE *out)
{
	const char *dir = tracefs_dir();
	char filter[64], path[128];
	int r;

	if (tr.running)
		return -EBUSY;
	if (!dir)
		return -ENOENT;
	if (reasons && strlen(reasons) >= sizeof(tr.reasons))
		return -EINVAL;
	snprintf(tr.dir, sizeof(tr.dir), "%s", dir);
	snprintf(tr.reasons, sizeof(tr.reasons), "%s", reasons ? reasons : "");
	tr.out = out;
	mhv_trace_reset();

	snprintf(filter, sizeof(filter), "vm == %u", vm_id);
	r = tracefs_write("events/minihv/enable", "0");
	if (!r)
		r = tracefs_write("events/minihv/filter", filter);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/trace_pipe", tr.dir);
	tr.pipe_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (tr.pipe_fd < 0)
		return -errno;
	/* Drain what other users left in the buffer. */
	while (read(tr.pipe_fd, path, sizeof(path)) > 0)
		;
	r = tracefs_write("events/minihv/enable", "1");
	if (r) {
		close(tr.pipe_fd);
		return r;
	}
	__atomic_store_n(&tr.stop, 0, __ATOMIC_RELEASE);
	r = -pthread_create(&tr.thread, NULL, reader, NULL);
	if (r) {
		tracefs_write("events/minihv/enable", "0");
		close(tr.pipe_fd);
		return r;
	}
	tr.running = true;
	return 0;
}

static int vm_stats(int vm_fd, struct minihv_stats *st)
{
	struct minihv_stats_req req = {
		.version = MINIHV_STATS_VERSION, .vcpu = -1,
		.size = sizeof(*st), .data = (uintptr_t)st,
	};

	return ioctl(vm_fd, MINIHV_GET_STATS, &req) ? -errno : 0;
}

int mhv_trace_start(int vm_fd, const char *reasons, FILE *out)
{
	struct minihv_stats *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	r = vm_stats(vm_fd, st);
	if (!r)
		r = mhv_trace_start_id(st->vm_id, reasons, out);
	free(st);
	return r;
}

void mhv_trace_stop(void)
{
	if (!tr.running)
		return;
	tracefs_write("events/minihv/enable", "0");
	/* The thread reads until trace_pipe stays empty, then ends. */
	__atomic_store_n(&tr.stop, 1, __ATOMIC_RELEASE);
	pthread_join(tr.thread, NULL);
	tracefs_write("events/minihv/filter", "0");
	close(tr.pipe_fd);
	tr.running = false;
}

/* ---------------------------------------------------------------------
 * Statistics
 */

static void bar(FILE *out, uint64_t n, uint64_t max)
{
	int i, w = max ? (int)((n * 40 + max - 1) / max) : 0;

	for (i = 0; i < w; i++)
		fputc('#', out);
}

/* "1.5 us" for a bucket's lower bound, 2^(b-1) ns. */
static void bucket_label(unsigned int b, char *buf, size_t size)
{
	double ns = b ? (double)(1ULL << (b - 1)) : 0;

	if (ns < 1e3)
		snprintf(buf, size, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, size, "%.0f us", ns / 1e3);
	else
		snprintf(buf, size, "%.0f ms", ns / 1e6);
}

void mhv_stats_print(int vm_fd, FILE *out)
{
	struct minihv_stats *st = calloc(1, sizeof(*st));
	double total_ns;
	unsigned int i, b;
	int r;

	if (!st) {
		fprintf(out, "stats: out of memory\n");
		return;
	}
	r = vm_stats(vm_fd, st);
	if (r) {
		fprintf(out, "stats: MINIHV_GET_STATS: %s\n", strerror(-r));
		free(st);
		return;
	}
	total_ns = (double)st->guest_ns + st->kernel_ns + st->user_ns;
	if (total_ns <= 0)
		total_ns = 1;
	fprintf(out, "VM %u (%s), %u vCPU%s, %" PRIu64 " exits\n", st->vm_id,
		st->vendor == MINIHV_VENDOR_VMX ? "VMX" : "SVM", st->nr_vcpus,
		st->nr_vcpus == 1 ? "" : "s", (uint64_t)st->total_exits);
	fprintf(out, "time: guest %.3f ms (%.1f%%), kernel %.3f ms (%.1f%%), "
		"userspace %.3f ms (%.1f%%)\n",
		st->guest_ns / 1e6, 100 * st->guest_ns / total_ns,
		st->kernel_ns / 1e6, 100 * st->kernel_ns / total_ns,
		st->user_ns / 1e6, 100 * st->user_ns / total_ns);
	fprintf(out, "\n%-16s %10s %7s %14s\n", "exit reason", "count",
		"share", "mean cost (ns)");
	/* Cost: exit to re-entry; an exit never re-entered has none ("-"). */
	for (i = 0; i < MINIHV_STATS_NR_REASONS; i++) {
		uint64_t n = st->exits[i], done = 0;

		if (!n)
			continue;
		for (b = 0; b < MINIHV_STATS_NR_BUCKETS; b++)
			done += st->hist[i][b];
		fprintf(out, "%-16s %10" PRIu64 " %6.1f%% ",
			st->names[i][0] ? st->names[i] : "?", n,
			100.0 * n / st->total_exits);
		if (done)
			fprintf(out, "%14.0f\n", (double)st->exit_ns[i] / done);
		else
			fprintf(out, "%14s\n", "-");
	}
	for (i = 0; i < MINIHV_STATS_NR_REASONS; i++) {
		uint64_t max = 0;
		char label[16];

		for (b = 0; b < MINIHV_STATS_NR_BUCKETS; b++)
			if (st->hist[i][b] > max)
				max = st->hist[i][b];
		if (!max)
			continue;
		fprintf(out, "\n%s: time from exit to re-entry\n",
			st->names[i][0] ? st->names[i] : "?");
		for (b = 0; b < MINIHV_STATS_NR_BUCKETS; b++) {
			if (!st->hist[i][b])
				continue;
			bucket_label(b, label, sizeof(label));
			fprintf(out, "  >= %-7s %10" PRIu64 " ", label,
				(uint64_t)st->hist[i][b]);
			bar(out, st->hist[i][b], max);
			fputc('\n', out);
		}
	}
	free(st);
}
