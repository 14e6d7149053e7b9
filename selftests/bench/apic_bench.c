// SPDX-License-Identifier: GPL-2.0
/*
 * apic_bench: what the in-kernel local APIC's hot paths cost a guest: a
 * timer tick, and an IPI round trip between two vCPUs.
 *
 * A benchmark, not a test: it prints numbers and never judges them.  It
 * runs against $MINIHV_DEV (hvtest.h: /dev/minihv by default, /dev/kvm for
 * KVM), next to exit_bench in lab/bench.sh (`make bench`;
 * Documentation/performance.rst).  Split irqchip VMs (selftests/lib/apic.h),
 * x2APIC mode, 64-bit guests.
 *
 *   tick  vCPU 0 arms its APIC timer, periodic, 200 us (the shortest
 *         period minihv and KVM allow), and spins with IF=1 reading the
 *         TSC, N ticks (its handler counts and EOIs).  Then the same spin
 *         for as long with the timer masked.  Both spins run the same
 *         8 instructions an iteration, so the time the first one did not
 *         spin, less what the second did not spin (the host's own
 *         interrupts), is what the N ticks took from the guest: the host
 *         timer's interrupt and the exit it causes, the hypervisor's
 *         timer callback and injection, the guest handler, its EOI exit.
 *   ipi   vCPU 0 sends a fixed IPI to vCPU 1, which answers with one; each
 *         waits for the other's in "cli; check; sti; hlt".  N round trips
 *         between two OUTs to userspace, timed there.  On one host CPU
 *         (the -icount and Bochs labs) the two vCPU threads take turns.
 *
 * usage: apic_bench [N_TICKS [N_IPI]]   (defaults 1000 and 5000)
 *
 * Output: comment lines, and per loop one machine-readable line
 *   bench <device> <loop> <count> <ns>
 * as exit_bench's: <ns> is the ticks' stolen time, the round trips'
 * elapsed time.  A loop that does not finish (a lost interrupt; see
 * Documentation/apic.rst, kvm_amd in the SVM lab) prints a comment
 * instead of its line; the exit status is then still 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "lib/hvtest.h"
#include "lib/guest.h"
#include "lib/apic.h"

#define S_(x) #x
#define S(x) S_(x)

#define TICK_VEC	0x40
#define PING_VEC	0x45
#define PONG_VEC	0x46
#define TICK_PERIOD_NS	200000	/* divide by 1: bus ns */
#define IPI_WARMUP	16

#define READY_PORT	0x510	/* BSP: APIC on */
#define START_PORT	0x511	/* BSP: timed round trips begin */
#define END_PORT	0x512	/* BSP: timed round trips done */
#define DONE_PORT	0x501	/* the vCPU is finished */

/* Guest data (GUEST_DATA_GPA). */
#define R_TIMED_TSC	0x20000	/* tick: elapsed TSC, timed spin */
#define R_TIMED_IT	0x20008	/* tick: its iterations */
#define R_BASE_TSC	0x20010	/* tick: elapsed TSC, baseline spin */
#define R_BASE_IT	0x20018	/* tick: its iterations */
#define R_IPI_TSC	0x20020	/* ipi: elapsed TSC of the timed round trips */
#define R_STOP		0x20100	/* ipi: vCPU 1 stops */

#define TICK_COUNT	"0x38200"	/* APIC_COUNT_GPA + 8 * TICK_VEC */
#define PING_COUNT	"0x38228"
#define PONG_COUNT	"0x38230"

#define WATCHDOG_S	120

/*
 * Tick.  r8 = N ticks, r10 = the longest spin in TSC cycles (a safety
 * net: the guest never spins forever).
 *
 * tick_spin: spin until the tick count reaches r9 or r10 TSC cycles went
 * by: rax = elapsed TSC, rcx = iterations.  Clobbers rdx, r12, r13.
 */
GUEST_ASM(tick_guest, ".code64",
	G_APIC_ON
	G_APIC_WR("0x3e0", "0xb")
	G_APIC_WR("0x320", "0x20040")		/* periodic, TICK_VEC */
	"sti\n"
	G_APIC_WR("0x380", S(TICK_PERIOD_NS))
	/* The first tick starts the clock: then N periods, N ticks. */
	"movl $1, %r9d\n"
	"call tick_spin\n"
	"leaq 1(%r8), %r9\n"
	"call tick_spin\n"
	"movq %rax, " S(R_TIMED_TSC) "\n"
	"movq %rcx, " S(R_TIMED_IT) "\n"
	G_APIC_WR("0x320", "0x30040")		/* masked */
	G_APIC_WR("0x380", "0")
	/* The baseline: as long, no tick can end it. */
	"movq $-1, %r9\n"
	"movq " S(R_TIMED_TSC) ", %r10\n"
	"call tick_spin\n"
	"movq %rax, " S(R_BASE_TSC) "\n"
	"movq %rcx, " S(R_BASE_IT) "\n"
	"movq " TICK_COUNT ", %rax\n"
	G_OUT(S(DONE_PORT))
	"1: hlt\n jmp 1b\n"

	"tick_spin:\n"
	"rdtsc\n shlq $32, %rdx\n orq %rdx, %rax\n"
	"movq %rax, %r12\n"
	"movq %rax, %r13\n addq %r10, %r13\n"
	"jnc 1f\n movq $-1, %r13\n"
	"1: xorl %ecx, %ecx\n"
	"2: incq %rcx\n"
	"rdtsc\n shlq $32, %rdx\n orq %rdx, %rax\n"
	"cmpq %r13, %rax\n jae 3f\n"
	"cmpq %r9, " TICK_COUNT "\n jb 2b\n"
	"3: subq %r12, %rax\n"
	"ret\n");

/*
 * IPI.  vCPU 0 (r8 = N): APIC on, tell userspace (which then starts
 * vCPU 1), wait for vCPU 1's hello, IPI_WARMUP round trips, then N
 * between START_PORT and END_PORT; then it stops vCPU 1.
 *
 * ipi_wait: "cli; check; sti; hlt" until the pong count reaches rbx.
 * ipi_rounds: r9 round trips; rbx counts the pongs expected.
 * A doubled interrupt only makes a wait end early; a lost one hangs
 * (userspace's watchdog).
 */
GUEST_LABEL(ipi_ap);
GUEST_ASM(ipi_guest, ".code64",
	G_APIC_ON
	"xorl %eax, %eax\n"
	G_OUT(S(READY_PORT))
	"movl $1, %ebx\n"
	"call ipi_wait\n"
	"movl $" S(IPI_WARMUP) ", %r9d\n"
	"call ipi_rounds\n"
	G_OUT(S(START_PORT))
	"rdtsc\n shlq $32, %rdx\n orq %rdx, %rax\n movq %rax, %r12\n"
	"movq %r8, %r9\n"
	"call ipi_rounds\n"
	"rdtsc\n shlq $32, %rdx\n orq %rdx, %rax\n subq %r12, %rax\n"
	"movq %rax, " S(R_IPI_TSC) "\n"
	G_OUT(S(END_PORT))
	"movq $1, " S(R_STOP) "\n"
	G_APIC_ICR(S(PING_VEC), "1")
	"movq " PONG_COUNT ", %rax\n"
	G_OUT(S(DONE_PORT))
	"1: hlt\n jmp 1b\n"

	"ipi_rounds:\n"
	"1: " G_APIC_ICR(S(PING_VEC), "1")
	"incq %rbx\n"
	"call ipi_wait\n"
	"decq %r9\n"
	"jnz 1b\n"
	"ret\n"

	"ipi_wait:\n"
	"1: cli\n"
	"cmpq %rbx, " PONG_COUNT "\n"
	"jae 2f\n"
	"sti\n hlt\n"
	"jmp 1b\n"
	"2: sti\n"
	"ret\n"

	/* vCPU 1: hello, then a pong for every new ping count it sees. */
	"ipi_ap:\n"
	G_APIC_ON
	G_APIC_ICR(S(PONG_VEC), "0")
	"xorl %ebx, %ebx\n"
	"1: cli\n"
	"cmpq $0, " S(R_STOP) "\n"
	"jne 3f\n"
	"movq " PING_COUNT ", %rax\n"
	"cmpq %rbx, %rax\n"
	"jne 2f\n"
	"sti\n hlt\n"
	"jmp 1b\n"
	"2: movq %rax, %rbx\n"
	G_APIC_ICR(S(PONG_VEC), "0")
	"jmp 1b\n"
	"3: movq %rbx, %rax\n"
	G_OUT(S(DONE_PORT))
	"4: hlt\n jmp 4b\n");

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void nop_handler(int sig)
{
	(void)sig;
}

static int timed_out;		/* __atomic */

struct watchdog {
	pthread_t threads[2];
	int n;
	int finished;		/* __atomic */
};

/* After WATCHDOG_S, signal the vCPU threads until they give up. */
static void *watchdog_fn(void *arg)
{
	struct watchdog *w = arg;
	int i;

	for (i = 0; i < WATCHDOG_S * 10; i++) {
		if (__atomic_load_n(&w->finished, __ATOMIC_SEQ_CST))
			return NULL;
		usleep(100 * 1000);
	}
	__atomic_store_n(&timed_out, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&w->finished, __ATOMIC_SEQ_CST)) {
		for (i = 0; i < w->n; i++)
			pthread_kill(w->threads[i], SIGUSR1);
		usleep(200 * 1000);
	}
	return NULL;
}

/*
 * KVM_RUN until an OUT (returns its port), retrying EINTR unless the
 * watchdog fired; -1 on any other exit or error (described in @why).
 */
static int run_to_out(struct gvcpu *v, char *why, size_t len)
{
	for (;;) {
		int r = gvcpu_run(v);

		if (r == -EINTR || r == -EAGAIN) {
			if (__atomic_load_n(&timed_out, __ATOMIC_SEQ_CST)) {
				snprintf(why, len, "no answer in %d s", WATCHDOG_S);
				return -1;
			}
			continue;
		}
		if (r) {
			snprintf(why, len, "KVM_RUN: %s", strerror(-r));
			return -1;
		}
		if (v->run->exit_reason != KVM_EXIT_IO ||
		    v->run->io.direction != KVM_EXIT_IO_OUT) {
			snprintf(why, len, "%s", gvcpu_exit_str(v));
			return -1;
		}
		return v->run->io.port;
	}
}

static void set_r8_r10(struct gvcpu *v, uint64_t r8, uint64_t r10)
{
	struct kvm_regs regs;

	gvcpu_get_regs(v, &regs);
	regs.r8 = r8;
	regs.r10 = r10;
	gvcpu_set_regs(v, &regs);
}

/* A vCPU's state, for a loop that did not finish. */
static void dump_vcpu(struct gvcpu *v)
{
	printf("# %s\n", apic_vcpu_state(v));
}

/* Host TSC cycles per ns, over about 20 ms. */
static double tsc_per_ns(void)
{
	uint64_t t0 = apic_rdtsc(), n0 = now_ns(), n1;

	do
		n1 = now_ns();
	while (n1 - n0 < 20000000);
	return (double)(apic_rdtsc() - t0) / (n1 - n0);
}

static void bench_tick(const char *dev, uint64_t n)
{
	struct gvm *vm = apic_vm_create(tick_guest, tick_guest_end, true);
	struct gvcpu *v = apic_vcpu_create(vm, 0, GUEST_CODE_GPA);
	struct watchdog w = { .threads = { pthread_self() }, .n = 1 };
	uint64_t t1, i1, t0, i0, ticks;
	double rate = tsc_per_ns(), stolen, t1_ns;
	char why[256] = "";
	pthread_t wd;
	int port;

	/* A spin never lasts more than 20 times its N periods. */
	set_r8_r10(v, n, (uint64_t)(20.0 * n * TICK_PERIOD_NS * rate));
	pthread_create(&wd, NULL, watchdog_fn, &w);
	port = run_to_out(v, why, sizeof(why));
	__atomic_store_n(&w.finished, 1, __ATOMIC_SEQ_CST);
	pthread_join(wd, NULL);
	if (port != DONE_PORT) {
		if (port >= 0)
			snprintf(why, sizeof(why), "OUT to port %#x", port);
		printf("# tick on %s: did not finish: %s\n", dev, why);
		dump_vcpu(v);
		goto out;
	}
	ticks = apic_count(vm, TICK_VEC);
	t1 = gvm_read64(vm, R_TIMED_TSC);
	i1 = gvm_read64(vm, R_TIMED_IT);
	t0 = gvm_read64(vm, R_BASE_TSC);
	i0 = gvm_read64(vm, R_BASE_IT);
	t1_ns = t1 / rate;
	printf("# tick: %llu ticks of %d ns in %.0f ns (%.0f ns a period; TSC %.3f GHz)\n",
	       (unsigned long long)n, TICK_PERIOD_NS, t1_ns, t1_ns / n, rate);
	printf("# tick: spin %llu iterations in %llu TSC cycles, baseline %llu in %llu\n",
	       (unsigned long long)i1, (unsigned long long)t1,
	       (unsigned long long)i0, (unsigned long long)t0);
	if (ticks < n + 1 || !i0 || !i1) {
		printf("# tick on %s: the spin ended after %llu ticks, want %llu\n",
		       dev, (unsigned long long)ticks, (unsigned long long)n + 1);
		goto out;
	}
	if (t1_ns < 0.98 * n * TICK_PERIOD_NS || t1_ns > 1.02 * n * TICK_PERIOD_NS)
		printf("# tick on %s: %llu ticks took %.0f ns, not about %llu: ticks doubled or lost?\n",
		       dev, (unsigned long long)n, t1_ns,
		       (unsigned long long)n * TICK_PERIOD_NS);
	/* What the timed spin lost, less what the baseline lost. */
	stolen = (t1 - (double)i1 * t0 / i0) / rate;
	printf("# %-10s %10llu %14.0f %10.1f  %s\n", "tick",
	       (unsigned long long)n, stolen, stolen / n,
	       "host timer -> exit -> inject -> handler -> EOI exit, per tick");
	printf("bench %s tick %llu %.0f\n", dev, (unsigned long long)n,
	       stolen > 0 ? stolen : 0);
out:
	guest_destroy(v);
}

struct ap {
	struct gvcpu *v;
	int port;
	char why[256];
};

static void *ap_thread(void *arg)
{
	struct ap *ap = arg;

	ap->port = run_to_out(ap->v, ap->why, sizeof(ap->why));
	return NULL;
}

static void bench_ipi(const char *dev, uint64_t n)
{
	struct gvm *vm = apic_vm_create(ipi_guest, ipi_guest_end, true);
	struct gvcpu *v = apic_vcpu_create(vm, 0, GUEST_CODE_GPA);
	struct gvcpu *v1 = apic_vcpu_create(vm, 1, GUEST_CODE_GPA +
					    (ipi_ap - ipi_guest));
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct watchdog w = { .threads = { pthread_self() }, .n = 1 };
	struct ap ap = { .v = v1, .port = -1 };
	uint64_t t0 = 0, t1 = 0;
	char why[256] = "";
	bool ap_started = false;
	pthread_t wd, t;
	int port, want = READY_PORT;

	set_r8_r10(v, n, 0);
	pthread_create(&wd, NULL, watchdog_fn, &w);
	for (;;) {
		port = run_to_out(v, why, sizeof(why));
		if (port < 0)
			break;
		if (port != want) {
			snprintf(why, sizeof(why), "OUT to port %#x, want %#x",
				 port, want);
			port = -1;
			break;
		}
		if (port == READY_PORT) {
			/* vCPU 0's APIC takes interrupts: start vCPU 1. */
			if (ioctl(v1->fd, KVM_SET_MP_STATE, &mp))
				guest_die("KVM_SET_MP_STATE");
			if (pthread_create(&t, NULL, ap_thread, &ap))
				guest_die("pthread_create");
			w.threads[1] = t;
			__atomic_store_n(&w.n, 2, __ATOMIC_SEQ_CST);
			ap_started = true;
			want = START_PORT;
		} else if (port == START_PORT) {
			t0 = now_ns();
			want = END_PORT;
		} else if (port == END_PORT) {
			t1 = now_ns();
			want = DONE_PORT;
		} else {
			break;
		}
	}
	if (ap_started)
		pthread_join(t, NULL);
	__atomic_store_n(&w.finished, 1, __ATOMIC_SEQ_CST);
	pthread_join(wd, NULL);
	if (port != DONE_PORT || ap.port != DONE_PORT) {
		printf("# ipi on %s: did not finish: vCPU 0: %s; vCPU 1: %s (pings %llu, pongs %llu)\n",
		       dev, port == DONE_PORT ? "done" : why,
		       ap.port == DONE_PORT ? "done" : ap_started ? ap.why : "not started",
		       (unsigned long long)apic_count(vm, PING_VEC),
		       (unsigned long long)apic_count(vm, PONG_VEC));
		dump_vcpu(v);
		dump_vcpu(v1);
		goto out;
	}
	/* Hello + warm-up + N pongs; N + warm-up + the stop ping. */
	if (apic_count(vm, PONG_VEC) != n + IPI_WARMUP + 1 ||
	    apic_count(vm, PING_VEC) != n + IPI_WARMUP + 1)
		printf("# ipi on %s: pings %llu, pongs %llu, want %llu each: interrupts doubled or lost?\n",
		       dev, (unsigned long long)apic_count(vm, PING_VEC),
		       (unsigned long long)apic_count(vm, PONG_VEC),
		       (unsigned long long)n + IPI_WARMUP + 1);
	printf("# ipi: %llu round trips in %llu guest TSC cycles\n",
	       (unsigned long long)n,
	       (unsigned long long)gvm_read64(vm, R_IPI_TSC));
	printf("# %-10s %10llu %14llu %10.1f  %s\n", "ipi",
	       (unsigned long long)n, (unsigned long long)(t1 - t0),
	       (double)(t1 - t0) / n,
	       "ICR exit -> kick -> inject -> EOI exit -> ICR exit back, per round trip");
	printf("bench %s ipi %llu %llu\n", dev, (unsigned long long)n,
	       (unsigned long long)(t1 - t0));
out:
	gvcpu_destroy(v1);
	guest_destroy(v);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = nop_handler };
	uint64_t n_tick = 1000, n_ipi = 5000;
	const char *dev = hv_dev_name();

	if (argc > 1)
		n_tick = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		n_ipi = strtoull(argv[2], NULL, 0);
	if (!n_tick || !n_ipi) {
		fprintf(stderr, "usage: apic_bench [N_TICKS [N_IPI]] (both > 0)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		guest_die("sigaction");

	printf("# apic_bench on %s (%s): %llu ticks, %llu IPI round trips\n",
	       dev, hv_dev_path(), (unsigned long long)n_tick,
	       (unsigned long long)n_ipi);
	printf("# %-10s %10s %14s %10s  %s\n", "loop", "count", "ns",
	       "ns each", "path");
	bench_tick(dev, n_tick);
	__atomic_store_n(&timed_out, 0, __ATOMIC_SEQ_CST);
	bench_ipi(dev, n_ipi);
	return 0;
}
