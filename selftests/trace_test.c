// SPDX-License-Identifier: GPL-2.0
/*
 * trace_test: the minihv tracepoints (events/minihv/ in tracefs) and the
 * exit counters agree with a guest whose exits are known in advance.
 *
 * The guest runs, in 64-bit mode (r9 = 1 on an Intel host, for VMCALL):
 *
 *   N_CPUID x CPUID           exit cpuid, handled in the kernel
 *   N_OUT x OUT 0x10          exit io, to userspace (KVM_EXIT_IO)
 *   a store to 0xc0000000     nested page fault (no slot): page_fault
 *                             kind=tdp result=mmio, exit npf/ept_violation
 *                             to userspace (KVM_EXIT_MMIO); with shadow
 *                             paging (npt=0/ept=0) a #PF intercept
 *                             (PF_excp / exception_nmi) and page_fault
 *                             kind=shadow result=mmio
 *   hypercall MINIHV_HC_NOP   exit hypercall (SVM) / vmcall (VMX), kernel
 *   hypercall 0               the same exit; an unknown hypercall: minihv
 *                             injects #UD (inject vector=6)
 *   #UD handler: OUT 0xee0    exit io, to userspace
 *   HLT                       exit hlt, to userspace (KVM_EXIT_HLT)
 *
 * With the events enabled and filtered to this VM ("vm == id", the id from
 * MINIHV_GET_STATS), the exits traced must be exactly these (leaving out
 * host interrupts and the nested or shadow page faults that only map guest
 * RAM, whose number depends on the host), each after a minihv_entry, with one
 * userspace_exit and userspace_return per KVM_RUN.  The exit counters
 * (MINIHV_GET_STATS, debugfs) must count exactly the exits traced, by
 * reason.  The same guest without tracing must give the same results.
 *
 * trace_decoded: userspace/trace.c (what `minihv-run run --trace` prints)
 * decodes the same guest's transitions into the expected words, in order.
 *
 * trace_interrupts: a split-irqchip guest sends itself an IPI with IF=0,
 * an NMI, and arms its APIC timer: one minihv_inject each (intr 0x43 after
 * the interrupt window exit, nmi, intr 0x41), one minihv_apic_timer, each
 * injection just before an entry; the guest's counts are the same with and
 * without tracing.
 *
 * top_shows_vm: `minihv-run top` lists a VM that makes CPUID exits, with
 * its CPUID rate.
 *
 * minihv-only (the events and MINIHV_GET_STATS): SKIP on /dev/kvm.  SKIP
 * too if tracefs has no events/minihv (not mounted, or a kernel without
 * tracing).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

/* The library under test, built into this binary. */
#include "../userspace/trace.c"

#include "lib/harness.h"
#include "lib/apic.h"
#include "lib/guest.h"
#include "lib/hvtest.h"

#define N_CPUID		3
#define N_OUT		2
#define OUT_PORT	0x10
#define MMIO_GPA	0xc0000000UL
#define MMIO_VAL	0x1234abcdU
#define S_(x)	#x
#define S(x)	S_(x)

GUEST_ASM(guest_trace, ".code64",
	"movl $" S(N_CPUID) ", %esi\n"
	"1: xorl %eax, %eax\n"
	"xorl %ecx, %ecx\n"
	"cpuid\n"
	"decl %esi\n"
	"jnz 1b\n"
	"movl $" S(N_OUT) ", %esi\n"
	"2: movl %esi, %eax\n"
	"outb %al, $" S(OUT_PORT) "\n"
	"decl %esi\n"
	"jnz 2b\n"
	"movl $" S(MMIO_GPA) ", %edx\n"
	"movl $" S(MMIO_VAL) ", %eax\n"
	"movl %eax, (%rdx)\n"
	"testq %r9, %r9\n"
	"jnz 3f\n"
	"movl $" S(MINIHV_HC_NOP) ", %eax\n"
	"vmmcall\n"
	"xorl %eax, %eax\n"
	"vmmcall\n"
	"hlt\n"
	"3: movl $" S(MINIHV_HC_NOP) ", %eax\n"
	"vmcall\n"
	"xorl %eax, %eax\n"
	"vmcall\n"
	"hlt\n");

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[256];
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	r = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* One event of the trace: its name ("exit"...) and its key=value text. */
struct event {
	char name[32];
	char text[320];
};

#define MAX_EVENTS	4096

/* The value of @key in @e ("" if absent). */
static const char *ev_get(const struct event *e, const char *key,
			  char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = e->text;

	buf[0] = 0;
	while ((p = strstr(p, key))) {
		if ((p == e->text || p[-1] == ' ') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, "\n ");

			if (n >= size)
				n = size - 1;
			memcpy(buf, p + klen + 1, n);
			buf[n] = 0;
			break;
		}
		p += klen;
	}
	return buf;
}

static long ev_num(const struct event *e, const char *key)
{
	char buf[64];

	ev_get(e, key, buf, sizeof(buf));
	return buf[0] ? strtol(buf, NULL, 0) : -1;
}

/* The minihv events in the trace buffer, in order: how many, or -errno. */
static int read_events(const char *dir, struct event *ev, int max)
{
	char path[256], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && n < max) {
		char *p = strstr(line, " minihv_"), *colon;

		if (line[0] == '#' || !p)
			continue;
		p += strlen(" minihv_");
		colon = strstr(p, ": ");
		if (!colon)
			continue;
		*colon = 0;
		snprintf(ev[n].name, sizeof(ev[n].name), "%s", p);
		snprintf(ev[n].text, sizeof(ev[n].text), "%s", colon + 2);
		n++;
	}
	fclose(f);
	return n;
}

static int get_stats(int vm_fd, int vcpu, struct minihv_stats *st)
{
	struct minihv_stats_req req = {
		.version = MINIHV_STATS_VERSION,
		.vcpu = vcpu,
		.size = sizeof(*st),
		.data = (unsigned long)st,
	};

	return ioctl(vm_fd, MINIHV_GET_STATS, &req) ? -errno : 0;
}

/* What the guest did, as userspace saw it. */
struct outcome {
	uint32_t exits[16];
	uint8_t out[N_OUT];
	uint32_t mmio_val;
	int exc;
	struct kvm_regs regs;
};

/* Run the guest to its HLT, recording what userspace sees. */
static int run_guest(struct gvcpu *v, struct outcome *o, bool vmx)
{
	struct kvm_regs regs;
	int i, n = 0;

	gvcpu_get_regs(v, &regs);
	regs.r9 = vmx;
	gvcpu_set_regs(v, &regs);

	memset(o, 0, sizeof(*o));
	o->exc = -1;
	for (i = 0; i < 16; i++) {
		uint32_t r = gvcpu_run_exit(v);

		o->exits[n++] = r;
		if (r == KVM_EXIT_IO && v->run->io.port == OUT_PORT &&
		    i < N_OUT)
			o->out[i] = *(uint8_t *)gvcpu_io_data(v);
		else if (r == KVM_EXIT_IO && v->run->io.port == GUEST_EXC_PORT)
			o->exc = gvcpu_exc_vector(v);
		else if (r == KVM_EXIT_MMIO)
			memcpy(&o->mmio_val, v->run->mmio.data, 4);
		else
			break;
	}
	gvcpu_get_regs(v, &o->regs);
	return n;
}

/* The reasons the trace must show, in order, with where each went. */
struct want {
	const char *reason;
	const char *to;
	long kvm_exit;
};

static bool noise(const char *reason, const char *to, const char *pf)
{
	/* Host interrupts, and the faults that only map guest RAM. */
	return !strcmp(reason, "intr") || !strcmp(reason, "interrupt") ||
	       !strcmp(reason, "nmi") || !strcmp(reason, "smi") ||
	       (!strcmp(reason, pf) && !strcmp(to, "kernel"));
}

/*
 * The exit that finds MMIO: a nested page fault, or with shadow paging
 * (npt=0/ept=0: MINIHV_INFO_TDP clear) the #PF intercept.
 */
static const char *pf_reason(const struct minihv_info *info)
{
	bool vmx = info->vendor == MINIHV_VENDOR_VMX;

	if (info->flags & MINIHV_INFO_TDP)
		return vmx ? "ept_violation" : "npf";
	return vmx ? "exception_nmi" : "PF_excp";
}

TEST(trace_events_and_counters)
{
	static struct event ev[MAX_EVENTS];
	static struct minihv_stats st, st_vm;
	struct minihv_info info;
	struct outcome traced, plain;
	const char *dir, *tdp, *hcall, *pf_kind;
	char filter[64], buf[64], to[16], path[256];
	unsigned long traced_by_stat[MINIHV_STATS_NR_REASONS] = { 0 };
	int n, i, j, nexit = 0, nentry = 0, nuexit = 0, nuret = 0, ninj = 0;
	int npf_mmio = 0, last_stat = -1, nruns, sys_fd, k;
	struct gvcpu *v;
	unsigned int r;

	HV_SKIP_ON_KVM("minihv tracepoints and MINIHV_GET_STATS");
	dir = tracefs_dir();
	if (!dir)
		SKIP(return, "no events/minihv in tracefs (not mounted?)");
	sys_fd = hv_open_dev();
	ASSERT_LE(0, sys_fd);
	ASSERT_EQ(0, hv_get_info(sys_fd, &info));
	close(sys_fd);
	tdp = pf_reason(&info);
	pf_kind = (info.flags & MINIHV_INFO_TDP) ? "tdp" : "shadow";
	TH_LOG("paging: %s, MMIO found by exit %s", pf_kind, tdp);
	hcall = info.vendor == MINIHV_VENDOR_VMX ? "vmcall" : "hypercall";
	struct want want[] = {
		{ "cpuid", "kernel", 0 }, { "cpuid", "kernel", 0 },
		{ "cpuid", "kernel", 0 },
		{ "io", "user", KVM_EXIT_IO }, { "io", "user", KVM_EXIT_IO },
		{ tdp, "user", KVM_EXIT_MMIO },
		{ hcall, "kernel", 0 }, { hcall, "kernel", 0 },
		{ "io", "user", KVM_EXIT_IO },
		{ "hlt", "user", KVM_EXIT_HLT },
	};
	const int nwant = sizeof(want) / sizeof(want[0]);

	/* Without tracing first: the reference outcome. */
	v = guest_create(GM_LONG64, guest_trace, guest_trace_end);
	run_guest(v, &plain, info.vendor == MINIHV_VENDOR_VMX);
	guest_destroy(v);
	ASSERT_EQ((uint32_t)KVM_EXIT_HLT, plain.exits[4])
		TH_LOG("exits %u %u %u %u %u", plain.exits[0], plain.exits[1],
		       plain.exits[2], plain.exits[3], plain.exits[4]);
	ASSERT_EQ(GV_UD, plain.exc);

	v = guest_create(GM_LONG64, guest_trace, guest_trace_end);
	ASSERT_EQ(0, get_stats(v->vm->fd, -1, &st_vm));
	ASSERT_NE(0U, st_vm.vm_id);
	snprintf(filter, sizeof(filter), "vm == %u", st_vm.vm_id);
	ASSERT_EQ(0, write_file(dir, "events/minihv/enable", "0"));
	ASSERT_EQ(0, write_file(dir, "trace", ""));
	ASSERT_EQ(0, write_file(dir, "events/minihv/filter", filter));
	ASSERT_EQ(0, write_file(dir, "events/minihv/enable", "1"));
	nruns = run_guest(v, &traced, info.vendor == MINIHV_VENDOR_VMX);
	write_file(dir, "events/minihv/enable", "0");
	write_file(dir, "events/minihv/filter", "0");

	/* Tracing changes nothing the guest or userspace sees. */
	EXPECT_EQ(0, memcmp(&plain, &traced, sizeof(plain)));
	EXPECT_EQ(5, nruns);

	n = read_events(dir, ev, MAX_EVENTS);
	ASSERT_LT(0, n) TH_LOG("no minihv events in %s/trace", dir);
	ASSERT_EQ(0, get_stats(v->vm->fd, 0, &st));

	j = 0;
	for (i = 0; i < n; i++) {
		const struct event *e = &ev[i];

		EXPECT_EQ((long)st_vm.vm_id, ev_num(e, "vm"));
		EXPECT_EQ(0, ev_num(e, "vcpu"));
		if (!strcmp(e->name, "entry")) {
			/* Every entry is followed by its exit. */
			EXPECT_EQ(nentry, nexit);
			nentry++;
			continue;
		}
		if (!strcmp(e->name, "userspace_exit")) {
			nuexit++;
			continue;
		}
		if (!strcmp(e->name, "userspace_return")) {
			nuret++;
			EXPECT_EQ(nuret, nuexit + 1);
			continue;
		}
		if (!strcmp(e->name, "inject")) {
			ninj++;
			EXPECT_EQ(GV_UD, ev_num(e, "vector"));
			ev_get(e, "type", buf, sizeof(buf));
			EXPECT_STREQ("exception", buf);
			/* Injected handling the second hypercall: want[7]. */
			EXPECT_EQ(7, j);
			continue;
		}
		if (!strcmp(e->name, "page_fault")) {
			ev_get(e, "result", buf, sizeof(buf));
			if (!strcmp(buf, "mmio")) {
				/* The raw events of this round trip, shown. */
				for (k = i - 1; k < n && k < i + 4; k++)
					printf("# raw: minihv_%s: %s", ev[k].name,
					       ev[k].text);
				fflush(stdout);
				npf_mmio++;
				/* Identity-mapped: the same for shadow. */
				EXPECT_EQ((long)MMIO_GPA, ev_num(e, "addr"));
				ev_get(e, "kind", buf, sizeof(buf));
				EXPECT_STREQ(pf_kind, buf);
				EXPECT_EQ(5, j);
			}
			continue;
		}
		if (strcmp(e->name, "exit")) {
			TH_LOG("unexpected event %s: %s", e->name, e->text);
			EXPECT_TRUE(false);
			continue;
		}
		nexit++;
		EXPECT_EQ(nentry, nexit);
		r = ev_num(e, "nr");
		ev_get(e, "reason", buf, sizeof(buf));
		ev_get(e, "to", to, sizeof(to));
		for (last_stat = 0; last_stat < MINIHV_STATS_NR_REASONS;
		     last_stat++)
			if (!strcmp(st.names[last_stat], buf))
				break;
		ASSERT_LT(last_stat, MINIHV_STATS_NR_REASONS)
			TH_LOG("reason %s (%#x) has no counter", buf, r);
		traced_by_stat[last_stat]++;
		if (noise(buf, to, tdp))
			continue;
		ASSERT_LT(j, nwant) TH_LOG("extra exit: %s", e->text);
		EXPECT_STREQ(want[j].reason, buf) TH_LOG("exit %d: %s", j,
							 e->text);
		EXPECT_STREQ(want[j].to, to) TH_LOG("exit %d: %s", j, e->text);
		EXPECT_EQ(want[j].kvm_exit, ev_num(e, "kvm_exit"));
		ev_get(e, "vendor", to, sizeof(to));
		EXPECT_STREQ(info.vendor == MINIHV_VENDOR_VMX ? "vmx" : "svm",
			     to);
		/* SVM: 0 without NRIPS' next RIP. */
		if (!strcmp(buf, "cpuid") &&
		    (info.vendor == MINIHV_VENDOR_VMX || ev_num(e, "len")))
			EXPECT_EQ(2, ev_num(e, "len"));
		if (!strcmp(buf, hcall) &&
		    (info.vendor == MINIHV_VENDOR_VMX || ev_num(e, "len")))
			EXPECT_EQ(3, ev_num(e, "len"));
		/* The faulting address: VMX #PF has it in the qualification. */
		if (!strcmp(buf, "exception_nmi")) {
			EXPECT_EQ((long)MMIO_GPA, ev_num(e, "qual"));
		} else if (!strcmp(buf, tdp)) {
			EXPECT_EQ((long)MMIO_GPA, ev_num(e, "info2"));
		}
		j++;
	}
	EXPECT_EQ(nwant, j);
	EXPECT_EQ(1, ninj);
	EXPECT_EQ(1, npf_mmio);
	EXPECT_EQ(nentry, nexit);
	EXPECT_EQ(nruns, nuexit);
	EXPECT_EQ(nruns, nuret);

	/* The counters count exactly the exits traced, by reason. */
	for (i = 0; i < MINIHV_STATS_NR_REASONS; i++) {
		uint64_t hsum = 0;
		int b;

		EXPECT_EQ(traced_by_stat[i], st.exits[i])
			TH_LOG("reason %d (%s)", i, st.names[i]);
		for (b = 0; b < MINIHV_STATS_NR_BUCKETS; b++)
			hsum += st.hist[i][b];
		/* The last exit (HLT) is not re-entered: not in hist[]. */
		EXPECT_EQ(st.exits[i] - (i == last_stat), hsum)
			TH_LOG("histogram of reason %d (%s)", i, st.names[i]);
	}
	EXPECT_EQ((uint64_t)nexit, st.total_exits);
	EXPECT_NE(0ULL, st.guest_ns);
	EXPECT_NE(0ULL, st.kernel_ns);
	EXPECT_NE(0ULL, st.user_ns);

	/* debugfs shows the same counts. */
	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/minihv/%d-%d/vcpu0/exits",
		 (int)getpid(), v->vm->fd);
	if (!access(path, R_OK)) {
		FILE *f = fopen(path, "r");
		char name[64];
		unsigned long c;
		int lines = 0;

		while (f && fscanf(f, "%63s %lu", name, &c) == 2) {
			for (i = 0; i < MINIHV_STATS_NR_REASONS; i++)
				if (!strcmp(st.names[i], name))
					break;
			ASSERT_LT(i, MINIHV_STATS_NR_REASONS);
			EXPECT_EQ(st.exits[i], c) TH_LOG("%s", name);
			lines++;
		}
		if (f)
			fclose(f);
		EXPECT_LT(0, lines);
	}
	guest_destroy(v);
}

/* Tracing a VM is not tracing another: the filter on "vm" works. */
TEST(trace_filter_other_vm)
{
	static struct event ev[MAX_EVENTS];
	struct minihv_stats st;
	const char *dir;
	struct gvcpu *v;
	char filter[64];
	int n;

	HV_SKIP_ON_KVM("minihv tracepoints");
	dir = tracefs_dir();
	if (!dir)
		SKIP(return, "no events/minihv in tracefs (not mounted?)");
	v = guest_create(GM_LONG64, guest_trace, guest_trace_end);
	ASSERT_EQ(0, get_stats(v->vm->fd, -1, &st));
	/* Some other VM's id. */
	snprintf(filter, sizeof(filter), "vm == %u", st.vm_id + 1000);
	ASSERT_EQ(0, write_file(dir, "trace", ""));
	ASSERT_EQ(0, write_file(dir, "events/minihv/filter", filter));
	ASSERT_EQ(0, write_file(dir, "events/minihv/enable", "1"));
	GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
	write_file(dir, "events/minihv/enable", "0");
	write_file(dir, "events/minihv/filter", "0");
	n = read_events(dir, ev, MAX_EVENTS);
	EXPECT_EQ(0, n);
	guest_destroy(v);
}

/*
 * Interrupts: a self-IPI (vector 0x43) sent with IF=0, taken after STI
 * (the interrupt window); an NMI to self; the APIC timer, one-shot, vector
 * 0x41, waited for with STI; HLT.  Then the counts, on ports 0x10..0x12.
 */
GUEST_ASM(guest_irqs, ".code64",
	G_APIC_ON
	"cli\n"
	G_APIC_ICR("0x40043", "0")
	"sti\n nop\n"
	G_APIC_ICR("0x40400", "0")
	"nop\n"
	G_APIC_WR("0x3e0", "0xa")
	G_APIC_WR("0x320", "0x41")
	G_APIC_WR("0x380", "1000")
	"1: cli\n"
	G_COUNT("0x41")
	"testq %rax, %rax\n jnz 2f\n"
	"sti\n hlt\n"
	"jmp 1b\n"
	"2: " G_COUNT("0x43") G_OUT("0x10")
	"movq 0x38010, %rax\n" G_OUT("0x11")
	G_COUNT("0x41") G_OUT("0x12"));

/* Run guest_irqs to its three OUTs: their values, or -1 on a bad exit. */
static int run_irqs(struct gvcpu *v, uint32_t *counts)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (gvcpu_run_exit(v) != KVM_EXIT_IO ||
		    v->run->io.port != 0x10 + i || v->run->io.size != 4) {
			printf("# OUT %d: %s\n", i, gvcpu_exit_str(v));
			return -1;
		}
		memcpy(&counts[i], gvcpu_io_data(v), 4);
	}
	return 0;
}

TEST(trace_interrupts)
{
	static struct event ev[MAX_EVENTS];
	struct minihv_stats st;
	struct minihv_info info;
	uint32_t plain[3], traced[3];
	const char *dir, *window;
	char filter[64], buf[64], last_exit[64] = "";
	int n, i, k, nentry = 0, nexit = 0, n43 = 0, n41 = 0, nnmi = 0;
	int ntimer = 0, sys_fd;
	struct gvm *vm;
	struct gvcpu *v;

	HV_SKIP_ON_KVM("minihv tracepoints");
	dir = tracefs_dir();
	if (!dir)
		SKIP(return, "no events/minihv in tracefs (not mounted?)");
	sys_fd = hv_open_dev();
	ASSERT_LE(0, sys_fd);
	ASSERT_EQ(0, hv_get_info(sys_fd, &info));
	close(sys_fd);
	window = info.vendor == MINIHV_VENDOR_VMX ? "irq_window" : "vintr";

	/* Without tracing: the reference. */
	vm = apic_vm_create(guest_irqs, guest_irqs_end, false);
	v = apic_vcpu_create(vm, 0, GUEST_CODE_GPA);
	ASSERT_EQ(0, run_irqs(v, plain));
	guest_destroy(v);
	EXPECT_EQ(1U, plain[0]);
	EXPECT_EQ(1U, plain[1]);
	EXPECT_EQ(1U, plain[2]);

	vm = apic_vm_create(guest_irqs, guest_irqs_end, false);
	v = apic_vcpu_create(vm, 0, GUEST_CODE_GPA);
	ASSERT_EQ(0, get_stats(vm->fd, -1, &st));
	snprintf(filter, sizeof(filter), "vm == %u", st.vm_id);
	ASSERT_EQ(0, write_file(dir, "events/minihv/enable", "0"));
	ASSERT_EQ(0, write_file(dir, "trace", ""));
	ASSERT_EQ(0, write_file(dir, "events/minihv/filter", filter));
	ASSERT_EQ(0, write_file(dir, "events/minihv/enable", "1"));
	i = run_irqs(v, traced);
	write_file(dir, "events/minihv/enable", "0");
	write_file(dir, "events/minihv/filter", "0");
	guest_destroy(v);
	ASSERT_EQ(0, i);
	/* Tracing changes nothing the guest sees. */
	EXPECT_EQ(0, memcmp(plain, traced, sizeof(plain)));

	n = read_events(dir, ev, MAX_EVENTS);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		const struct event *e = &ev[i];

		if (!strcmp(e->name, "entry")) {
			nentry++;
			continue;
		}
		if (!strcmp(e->name, "exit")) {
			nexit++;
			ev_get(e, "reason", last_exit, sizeof(last_exit));
			continue;
		}
		if (!strcmp(e->name, "apic_timer")) {
			printf("# raw: minihv_%s: %s", e->name, e->text);
			ntimer++;
			EXPECT_EQ(0x41, ev_num(e, "vector"));
			continue;
		}
		if (strcmp(e->name, "inject"))
			continue;
		/* Shown: the exit before, the injection, the entry after. */
		if (i > 0 && strcmp(ev[i - 1].name, "inject"))
			printf("# raw: minihv_%s: %s", ev[i - 1].name,
			       ev[i - 1].text);
		printf("# raw: minihv_%s: %s", e->name, e->text);
		if (i + 1 < n && !strcmp(ev[i + 1].name, "entry"))
			printf("# raw: minihv_%s: %s", ev[i + 1].name,
			       ev[i + 1].text);
		fflush(stdout);
		ev_get(e, "type", buf, sizeof(buf));
		if (!strcmp(buf, "exception")) {
			TH_LOG("unexpected exception: %s", e->text);
			EXPECT_TRUE(false);
			continue;
		}
		/* Injected on the way in: outside a round trip, then entry. */
		EXPECT_EQ(nentry, nexit) TH_LOG("%s", e->text);
		for (k = i + 1; k < n && !strcmp(ev[k].name, "inject"); k++)
			;
		EXPECT_TRUE(k < n && !strcmp(ev[k].name, "entry"))
			TH_LOG("after inject: %s", k < n ? ev[k].name : "end");
		if (!strcmp(buf, "nmi")) {
			nnmi++;
			EXPECT_EQ(2, ev_num(e, "vector"));
		} else if (ev_num(e, "vector") == 0x43) {
			n43++;
			/* IF=0 at the IPI: it waited for the window exit. */
			EXPECT_STREQ(window, last_exit);
		} else if (ev_num(e, "vector") == 0x41) {
			n41++;
			/* After the timer fired. */
			EXPECT_EQ(1, ntimer);
		} else {
			TH_LOG("unexpected injection: %s", e->text);
			EXPECT_TRUE(false);
		}
	}
	EXPECT_EQ(1, n43);
	EXPECT_EQ(1, nnmi);
	EXPECT_EQ(1, n41);
	EXPECT_EQ(1, ntimer);
}

/* CPUID exits until the word at GUEST_DATA_GPA is non-zero. */
GUEST_ASM(guest_spin, ".code64",
	"1: xorl %eax, %eax\n"
	"xorl %ecx, %ecx\n"
	"cpuid\n"
	"movl " S(GUEST_DATA_GPA) ", %eax\n"
	"testl %eax, %eax\n"
	"jz 1b\n"
	"hlt\n");

static void *spin_thread(void *arg)
{
	struct gvcpu *v = arg;

	return (void *)(long)gvcpu_run_exit(v);
}

/* minihv-run top lists this VM with its CPUID exits. */
TEST(top_shows_vm)
{
	const char *bin = "/minihv/bin/minihv-run";
	char cmd[256], line[256], me[64];
	bool seen_vm = false, seen_cpuid = false;
	struct gvcpu *v;
	pthread_t t;
	void *ret;
	FILE *p;

	HV_SKIP_ON_KVM("minihv-run top reads minihv's debugfs");
	if (access(bin, X_OK))
		SKIP(return, "%s is not here", bin);
	if (access("/sys/kernel/debug/minihv", F_OK))
		SKIP(return, "debugfs is not mounted");
	v = guest_create(GM_LONG64, guest_spin, guest_spin_end);
	gvm_write32(v->vm, GUEST_DATA_GPA, 0);
	snprintf(me, sizeof(me), " %d-%d ", (int)getpid(), v->vm->fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, spin_thread, v));
	snprintf(cmd, sizeof(cmd), "%s top --batch -n 2 -d 0.5", bin);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p)) {
		printf("# top: %s", line);
		if (strstr(line, me))
			seen_vm = true;
		else if (seen_vm && strstr(line, " cpuid ") &&
			 strstr(line, "/s"))
			seen_cpuid = true;
	}
	fflush(stdout);
	EXPECT_EQ(0, pclose(p));
	gvm_write32(v->vm, GUEST_DATA_GPA, 1);
	pthread_join(t, &ret);
	EXPECT_EQ(KVM_EXIT_HLT, (long)ret);
	EXPECT_TRUE(seen_vm);
	EXPECT_TRUE(seen_cpuid);
	guest_destroy(v);
}

/*
 * A line of the decoded trace without what varies between runs: the
 * timestamp, "rip 0x...:", the times; spaces collapsed.
 */
static void normalize(const char *in, char *out, size_t size)
{
	const char *p = in;
	size_t n = 0;
	char *cut;

	while (*p == ' ')
		p++;
	if (*p >= '0' && *p <= '9')
		p = strchr(p, ' ') ? strchr(p, ' ') : p + strlen(p);
	for (; *p && n + 1 < size; p++) {
		if (*p == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		if (!strncmp(p, "rip 0x", 6)) {
			p += strcspn(p, ":");
			p += *p ? 1 : 0;
			continue;
		}
		out[n++] = *p;
	}
	out[n] = 0;
	cut = strstr(out, " (guest ran");
	if (cut)
		*cut = 0;
	cut = strstr(out, " after ");
	if (cut && strstr(out, "back from userspace"))
		*cut = 0;
	n = strlen(out);
	while (n && (out[n - 1] == ' ' || out[n - 1] == '\n'))
		out[--n] = 0;
}

/*
 * The lines of the decoded trace @text (modified), normalized, into
 * @got, leaving out the exits that only map guest RAM (their number
 * depends on the host and the paging mode): an exit line and the indented
 * lines under it.  Returns how many.
 */
static int decoded_lines(char *text, char got[][256], int max)
{
	char line[512], *save = NULL, *l;
	bool skip_group = false;
	int ng = 0;

	for (l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		normalize(l, line, sizeof(line));
		if (strstr(line, " exit ")) {
			char *next = save;
			size_t k = next ? strcspn(next, "\n") : 0;
			const char *m = next ? strstr(next, "touched for the first time") : NULL;

			if (!m && next)
				m = strstr(next, "minihv copies the mapping");
			skip_group = m && (size_t)(m - next) < k;
		} else if (strstr(line, "back from userspace")) {
			skip_group = false;
		}
		if (skip_group || ng >= max)
			continue;
		snprintf(got[ng++], 256, "%s", line);
	}
	return ng;
}

/* @text as "# @what: " lines of the TAP output. */
static void show(const char *what, const char *text)
{
	const char *p = text;

	while (p && *p) {
		size_t n = strcspn(p, "\n");

		printf("# %s: %.*s\n", what, (int)n, p);
		p += n + (p[n] == '\n');
	}
	fflush(stdout);
}

TEST(trace_decoded)
{
	static char want[64][256], got[64][256];
	struct minihv_info info;
	struct outcome o;
	char *text = NULL;
	const char *tdp_words = NULL;
	const char *mmio_words = "-> no RAM at 0xc0000000: a device (MMIO); minihv decodes the instruction";
	const char *tdp, *hcall, *hwords;
	size_t text_size = 0, stats_size = 0;
	char *stats = NULL;
	int nw = 0, ng = 0, i, sys_fd, r;
	struct gvcpu *v;
	FILE *out;

	HV_SKIP_ON_KVM("minihv tracepoints");
	if (!tracefs_dir())
		SKIP(return, "no events/minihv in tracefs (not mounted?)");
	sys_fd = hv_open_dev();
	ASSERT_LE(0, sys_fd);
	ASSERT_EQ(0, hv_get_info(sys_fd, &info));
	close(sys_fd);
	tdp = pf_reason(&info);
	if (!(info.flags & MINIHV_INFO_TDP) &&
	    info.vendor == MINIHV_VENDOR_VMX) {
		tdp_words = "an exception minihv intercepts (with shadow paging: the guest's #PF), or an NMI";
		mmio_words = "-> shadow page fault at linear 0xc0000000: the guest's page tables point at no RAM: a device (MMIO); minihv decodes the instruction";
	} else if (!(info.flags & MINIHV_INFO_TDP)) {
		tdp_words = "#PF page fault at linear 0xc0000000, intercepted: with shadow paging minihv sees every guest page fault first";
		mmio_words = "-> shadow page fault at linear 0xc0000000: the guest's page tables point at no RAM: a device (MMIO); minihv decodes the instruction";
	}
	if (info.vendor == MINIHV_VENDOR_VMX) {
		if (!tdp_words)
			tdp_words = "EPT violation at guest-physical 0xc0000000: the guest touched memory its EPT does not map (yet)";
		hcall = "vmcall";
		hwords = "hypercall (VMCALL): the guest calls the hypervisor on purpose, RAX says what for";
	} else {
		if (!tdp_words)
			tdp_words = "nested page fault at guest-physical 0xc0000000: the guest touched memory its nested page table does not map (yet)";
		hcall = "hypercall";
		hwords = "hypercall (VMMCALL): the guest calls the hypervisor on purpose, RAX says what for";
	}

#define WANT(...) snprintf(want[nw++], sizeof(want[0]), __VA_ARGS__)
	for (i = 0; i < N_CPUID; i++) {
		WANT("vcpu0 exit cpuid CPUID: the guest asks what the CPU can do; minihv answers from the table userspace gave (KVM_SET_CPUID2)");
		WANT("=> handled in the kernel");
	}
	for (i = 0; i < N_OUT; i++) {
		WANT("vcpu0 exit io OUT of 1 byte at port 0x10: the guest talks to a device; there is none in the kernel");
		WANT("=> sent to userspace as KVM_EXIT_IO");
		WANT("vcpu0 back from userspace");
	}
	WANT("vcpu0 exit %s %s", tdp, tdp_words);
	WANT("%s", mmio_words);
	WANT("=> sent to userspace as KVM_EXIT_MMIO");
	WANT("vcpu0 back from userspace");
	WANT("vcpu0 exit %s %s", hcall, hwords);
	WANT("=> handled in the kernel");
	WANT("vcpu0 exit %s %s", hcall, hwords);
	WANT("-> minihv injects #UD invalid opcode (vector 6) into the guest");
	WANT("=> handled in the kernel");
	WANT("vcpu0 exit io OUT of 4 bytes at port 0xee0: the guest talks to a device; there is none in the kernel");
	WANT("=> sent to userspace as KVM_EXIT_IO");
	WANT("vcpu0 back from userspace");
	WANT("vcpu0 exit hlt HLT: the guest has nothing to do until an interrupt comes");
	WANT("=> sent to userspace as KVM_EXIT_HLT");
#undef WANT

	out = open_memstream(&text, &text_size);
	ASSERT_NE(NULL, out);
	v = guest_create(GM_LONG64, guest_trace, guest_trace_end);
	r = mhv_trace_start(v->vm->fd, "cpuid,io,hlt,npf,ept_violation,PF_excp,exception_nmi,hypercall,vmcall", out);
	ASSERT_EQ(0, r) TH_LOG("mhv_trace_start: %s", strerror(-r));
	/* A second trace at the same time is refused. */
	EXPECT_EQ(-EBUSY, mhv_trace_start(v->vm->fd, NULL, out));
	run_guest(v, &o, info.vendor == MINIHV_VENDOR_VMX);
	mhv_trace_stop();
	fclose(out);
	EXPECT_EQ(GV_UD, o.exc);

	/* The --stats table of the same VM, shown with the trace. */
	out = open_memstream(&stats, &stats_size);
	ASSERT_NE(NULL, out);
	mhv_stats_print(v->vm->fd, out);
	fclose(out);
	guest_destroy(v);
	EXPECT_NE(NULL, strstr(stats, "\ncpuid ")) TH_LOG("%s", stats);
	EXPECT_NE(NULL, strstr(stats, "cpuid: time from exit to re-entry"));
	show("trace", text);
	show("stats", stats);
	free(stats);

	ng = decoded_lines(text, got, 64);
	for (i = 0; i < nw && i < ng; i++)
		EXPECT_STREQ(want[i], got[i]) TH_LOG("line %d", i);
	EXPECT_EQ(nw, ng) {
		for (i = 0; i < ng; i++)
			TH_LOG("got: %s", got[i]);
	}
	free(text);
}

/*
 * `minihv-run run --trace=... --stats` on a raw flat binary (32-bit, no
 * paging): CPUID, OUT 0x80 (ignored by the launcher), a store to the
 * IOAPIC (MMIO, in the launcher), OUT 0x21 to the debug exit port.  The
 * decoded trace must be exactly these transitions; --stats adds minihv's
 * table to the launcher's.  On /dev/kvm --trace is refused (exit 2).
 */
static const uint8_t raw_guest[] = {
	0x31, 0xc0,				/* xor %eax, %eax */
	0x31, 0xc9,				/* xor %ecx, %ecx */
	0x0f, 0xa2,				/* cpuid */
	0xb0, 0x07,				/* mov $7, %al */
	0xe6, 0x80,				/* out %al, $0x80 */
	0xc7, 0x05, 0x00, 0x00, 0xc0, 0xfe,	/* movl $0, 0xfec00000 */
	0x00, 0x00, 0x00, 0x00,
	0xb0, 0x21,				/* mov $0x21, %al */
	0xe6, 0xf4,				/* out %al, $0xf4 */
	0xf4,					/* hlt */
};

/* Run @cmd (sh): its output; its exit status in *@status. */
static char *run_cmd(const char *cmd, int *status)
{
	char *out = NULL, buf[4096];
	size_t size = 0, n;
	FILE *p, *o;

	*status = -1;
	o = open_memstream(&out, &size);
	p = popen(cmd, "r");
	if (p && o) {
		while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
			fwrite(buf, 1, n, o);
		*status = pclose(p);
		if (*status >= 0 && WIFEXITED(*status))
			*status = WEXITSTATUS(*status);
	}
	if (o)
		fclose(o);
	return out;
}

/*
 * Run the launcher on raw_guest with @opts, behind @wrap (a command that
 * runs it, or ""): its output; *@status.
 */
static char *run_launcher_in(const char *wrap, const char *opts, int *status)
{
	char path[] = "/tmp/trace_test_raw.XXXXXX", cmd[512];
	int fd = mkstemp(path);
	char *out;

	*status = -1;
	if (fd < 0)
		return NULL;
	if (write(fd, raw_guest, sizeof(raw_guest)) != sizeof(raw_guest)) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "%s /minihv/bin/minihv-run run --dev %s -k %s --raw 0x100000 -m 16 %s </dev/null 2>&1",
		 wrap, hv_dev_path(), path, opts);
	out = run_cmd(cmd, status);
	unlink(path);
	return out;
}

static char *run_launcher(const char *opts, int *status)
{
	return run_launcher_in("", opts, status);
}

/* Keep only the lines the decoder prints ("... vcpuN ...", "  =>", "  ->"). */
static void only_trace(char *text)
{
	char *p = text, *q = text;

	while (*p) {
		size_t n = strcspn(p, "\n");
		char *v = strstr(p, " vcpu");
		bool keep = (v && v < p + n) || !strncmp(p, "  =>", 4) ||
			    !strncmp(p, "  ->", 4);

		if (keep) {
			memmove(q, p, n);
			q[n] = '\n';
			q += n + 1;
		}
		p += n + (p[n] == '\n');
	}
	*q = 0;
}

TEST(run_trace_raw)
{
	static char want[32][256], got[64][256];
	const char *mmio_exit, *mmio_words;
	struct minihv_info info;
	int status, nw = 0, ng, i, sys_fd;
	bool vmx, tdp;
	char *out;

	if (access("/minihv/bin/minihv-run", X_OK))
		SKIP(return, "/minihv/bin/minihv-run is not here");
	if (dev_is_kvm()) {
		/* KVM: refused, with the reason; nothing runs. */
		out = run_launcher("--trace", &status);
		ASSERT_NE(NULL, out);
		show("run", out);
		EXPECT_EQ(2, status);
		EXPECT_NE(NULL, strstr(out, "--trace needs minihv"));
		free(out);
		return;
	}
	if (!tracefs_dir())
		SKIP(return, "no events/minihv in tracefs (not mounted?)");
	sys_fd = hv_open_dev();
	ASSERT_LE(0, sys_fd);
	ASSERT_EQ(0, hv_get_info(sys_fd, &info));
	close(sys_fd);
	vmx = info.vendor == MINIHV_VENDOR_VMX;
	tdp = info.flags & MINIHV_INFO_TDP;

	out = run_launcher("--trace=cpuid,io,npf,ept_violation,PF_excp,exception_nmi,inject --stats",
			   &status);
	ASSERT_NE(NULL, out);
	show("run", out);
	EXPECT_EQ((0x21 << 1) | 1, status);
	/* The launcher's own summary, then minihv's table. */
	EXPECT_NE(NULL, strstr(out, "minihv-run stats:"));
	EXPECT_NE(NULL, strstr(out, "cpuid: time from exit to re-entry"));

	mmio_words = "-> no RAM at 0xfec00000: a device (MMIO); minihv decodes the instruction";
	if (tdp && vmx) {
		mmio_exit = "ept_violation EPT violation at guest-physical 0xfec00000: the guest touched memory its EPT does not map (yet)";
	} else if (tdp) {
		mmio_exit = "npf nested page fault at guest-physical 0xfec00000: the guest touched memory its nested page table does not map (yet)";
	} else {
		mmio_exit = vmx ? "exception_nmi an exception minihv intercepts (with shadow paging: the guest's #PF), or an NMI" :
			"PF_excp #PF page fault at linear 0xfec00000, intercepted: with shadow paging minihv sees every guest page fault first";
		mmio_words = "-> shadow page fault at linear 0xfec00000: the guest's page tables point at no RAM: a device (MMIO); minihv decodes the instruction";
	}
#define WANT(...) snprintf(want[nw++], sizeof(want[0]), __VA_ARGS__)
	WANT("vcpu0 exit cpuid CPUID: the guest asks what the CPU can do; minihv answers from the table userspace gave (KVM_SET_CPUID2)");
	WANT("=> handled in the kernel");
	WANT("vcpu0 exit io OUT of 1 byte at port 0x80: the guest talks to a device; there is none in the kernel");
	WANT("=> sent to userspace as KVM_EXIT_IO");
	WANT("vcpu0 back from userspace");
	WANT("vcpu0 exit %s", mmio_exit);
	WANT("%s", mmio_words);
	WANT("=> sent to userspace as KVM_EXIT_MMIO");
	WANT("vcpu0 back from userspace");
	WANT("vcpu0 exit io OUT of 1 byte at port 0xf4: the guest talks to a device; there is none in the kernel");
	WANT("=> sent to userspace as KVM_EXIT_IO");
#undef WANT
	only_trace(out);
	ng = decoded_lines(out, got, 64);
	for (i = 0; i < nw && i < ng; i++)
		EXPECT_STREQ(want[i], got[i]) TH_LOG("line %d", i);
	EXPECT_EQ(nw, ng) {
		for (i = 0; i < ng; i++)
			TH_LOG("got: %s", got[i]);
	}
	free(out);
}

/*
 * trace_cmd: Debian's trace-cmd records minihv's events as a user would
 * ("trace-cmd record -e minihv minihv-run ..."), and its report shows the
 * raw guest's exits: CPUID in the kernel, the two OUTs to userspace.
 */
TEST(trace_cmd)
{
	static const char dat[] = "/tmp/trace_test.dat";
	int status, nexit = 0, ncpuid = 0, nio = 0, nuser = 0, nentry = 0;
	char *out, *p, cmd[128];

	HV_SKIP_ON_KVM("minihv tracepoints");
	if (access("/bin/trace-cmd", X_OK))
		SKIP(return, "no trace-cmd in this lab (lab/initramfs.sh)");
	if (!tracefs_dir())
		SKIP(return, "no events/minihv in tracefs (not mounted?)");
	snprintf(cmd, sizeof(cmd), "trace-cmd record -q -e minihv -o %s", dat);
	out = run_launcher_in(cmd, "", &status);
	ASSERT_NE(NULL, out);
	show("record", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "trace-cmd report -i %s 2>&1", dat);
	out = run_cmd(cmd, &status);
	ASSERT_NE(NULL, out);
	unlink(dat);
	EXPECT_EQ(0, status);
	for (p = out; *p; p += strcspn(p, "\n"), p += !!*p) {
		size_t n = strcspn(p, "\n");
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		if (strstr(line, "minihv_entry:"))
			nentry++;
		if (strstr(line, "minihv_userspace_exit:"))
			nuser++;
		if (!strstr(line, "minihv_exit:"))
			continue;
		nexit++;
		if (strstr(line, " reason=cpuid ")) {
			ncpuid++;
			EXPECT_NE(NULL, strstr(line, " to=kernel"));
		}
		if (strstr(line, " reason=io ")) {
			nio++;
			EXPECT_NE(NULL, strstr(line, " to=user"));
			printf("# report: %s\n", line);
		}
	}
	printf("# trace-cmd report: %d entries, %d exits (%d cpuid, %d io), %d to userspace\n",
	       nentry, nexit, ncpuid, nio, nuser);
	fflush(stdout);
	if (nio != 2)
		show("report", out);
	EXPECT_EQ(1, ncpuid);
	EXPECT_EQ(2, nio);
	EXPECT_LE(nio, nuser);
	EXPECT_LE(nexit, nentry);
	free(out);
}

TEST_HARNESS_MAIN
