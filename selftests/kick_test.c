// SPDX-License-Identifier: GPL-2.0
/*
 * kick_test: a signal always brings a vCPU out of the guest.
 *
 * KVM_RUN returns -EINTR once a signal is pending for its thread, however
 * late the signal comes on the way into the guest.  The sender's IPI
 * (kick_process()) is what makes a running guest exit; if it lands while
 * the vCPU thread is still in the host with interrupts on, it is taken
 * there and leaves nothing behind but TIF_SIGPENDING.  So the last look at
 * the signal must be made with interrupts off, right before the entry,
 * where such an IPI stays pending and makes the entry exit at once (KVM:
 * kvm_vcpu_exit_request()).  A hypervisor that looks earlier only enters
 * the guest with the signal pending, and the guest runs until its next
 * exit: a tick later on most machines, never in the two-CPU Bochs lab,
 * whose timer gives no interrupt to a CPU running a spinning guest.
 *
 * The vCPU thread, alone on CPU 1, enters a guest that spins without
 * exits, again and again; the thread on CPU 0 signals each KVM_RUN after
 * a delay that sweeps the way in, and waits for the -EINTR.  Needs two
 * CPUs.  The same runs against KVM, except in the Bochs lab: there
 * kvm_intel left a signalled vCPU in the spinning guest (KVM_RUN 19 of
 * 600: the thread running, SIGUSR1 pending, no other IPI to it until the
 * harness killed it), where minihv's 600 all came out.  Bochs
 * gives a CPU in such a guest no timer interrupt, and KVM's VM-exit
 * controls (acknowledge interrupt on exit, posted interrupts) are not
 * minihv's: which of the two drops the IPI is not known.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lib/harness.h"
#include "lib/guest.h"
#include "lib/hvtest.h"

#define ROUNDS		600
/* Delays of 0 .. 2^SWEEP_BITS - 1 spins, finer where they are short. */
#define SWEEP_BITS	15
/* A vCPU that has not seen its signal in this long has missed it. */
#define MISS_NS		(3 * 1000000000LL)

GUEST_ASM(guest_spin, ".code64",
	"1: pause\n"
	"jmp 1b\n");

struct kicked {
	struct gvcpu *v;
	pid_t tid;		/* the vCPU thread */
	unsigned int started;	/* KVM_RUNs begun (vCPU thread) */
	unsigned int returned;	/* KVM_RUNs that returned -EINTR */
	unsigned int wrong;	/* KVM_RUNs that returned anything else */
	int stop;
};

static struct kvm_run *kicked_run;

/*
 * A signal taken in userspace, before the KVM_RUN, would be gone by the
 * time the ioctl looks: KVM's answer to that race is immediate_exit, set
 * from the handler.
 */
static void on_kick(int sig)
{
	kicked_run->immediate_exit = 1;
}

static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *vcpu_thread(void *arg)
{
	struct kicked *k = arg;
	int r;

	__atomic_store_n(&k->tid, gettid(), __ATOMIC_SEQ_CST);
	if (pin_self(1))
		return (void *)-1L;
	while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE)) {
		k->v->run->immediate_exit = 0;
		__atomic_add_fetch(&k->started, 1, __ATOMIC_SEQ_CST);
		r = ioctl(k->v->fd, KVM_RUN, 0);
		if (r == -1 && errno == EINTR)
			__atomic_add_fetch(&k->returned, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&k->wrong, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void spin(unsigned long n)
{
	while (n--)
		__builtin_ia32_pause();
}

/* Where a vCPU thread that missed its signal is: state, wchan, stack. */
static void log_thread(struct __test_metadata *_metadata, pid_t tid)
{
	static const char *const files[] = { "stat", "wchan", "stack" };
	char path[64], buf[1024];
	unsigned int i;
	ssize_t n;
	int fd;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid,
			 files[i]);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = 0;
		TH_LOG("vCPU thread %s: %s", files[i], buf);
	}
}

/* Wait for KVM_RUN number @n to end; false if it took MISS_NS or more. */
static bool wait_return(struct kicked *k, unsigned int n)
{
	long long t0 = now_ns();

	while (__atomic_load_n(&k->returned, __ATOMIC_SEQ_CST) +
	       __atomic_load_n(&k->wrong, __ATOMIC_SEQ_CST) < n) {
		if (now_ns() - t0 >= MISS_NS)
			return false;
		sched_yield();
	}
	return true;
}

TEST(signal_on_the_way_in_never_lost)
{
	struct sigaction sa = { .sa_handler = on_kick };
	unsigned int i, missed = 0;
	struct kicked k = { 0 };
	pthread_t t;
	void *ret;

	if (hv_online_cpus() < 2)
		SKIP(return, "needs two CPUs (the guest spins without exits)");
	if (dev_is_kvm() && getenv("lab") && !strcmp(getenv("lab"), "vmx"))
		SKIP(return, "kvm_intel in Bochs leaves a signalled vCPU in a spinning guest (see the file's header)");
	k.v = guest_create(GM_LONG64, guest_spin, guest_spin_end);
	kicked_run = k.v->run;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGUSR2, &sa, NULL));
	srand(1);
	ASSERT_EQ(0, pin_self(0));
	ASSERT_EQ(0, pthread_create(&t, NULL, vcpu_thread, &k));
	for (i = 1; i <= ROUNDS; i++) {
		unsigned int bits = i % (SWEEP_BITS + 1);

		while (__atomic_load_n(&k.started, __ATOMIC_SEQ_CST) < i)
			sched_yield();
		spin(bits ? rand() % (1UL << bits) : 0);
		if (i == ROUNDS)
			__atomic_store_n(&k.stop, 1, __ATOMIC_RELEASE);
		pthread_kill(t, SIGUSR1);
		if (wait_return(&k, i))
			continue;
		/*
		 * Missed: another signal's IPI gets it out.  Not SIGUSR1 again:
		 * a standard signal already pending is not sent twice, and
		 * brings no IPI.
		 */
		missed++;
		TH_LOG("KVM_RUN %u: still in the guest %lld s after its signal",
		       i, MISS_NS / 1000000000LL);
		log_thread(_metadata, k.tid);
		while (!wait_return(&k, i))
			pthread_kill(t, SIGUSR2);
	}
	pthread_join(t, &ret);
	EXPECT_EQ(NULL, ret);
	EXPECT_EQ(0U, missed);
	EXPECT_EQ(0U, k.wrong);
	EXPECT_EQ((unsigned int)ROUNDS, k.returned);
	guest_destroy(k.v);
}

TEST_HARNESS_MAIN
