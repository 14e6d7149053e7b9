// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test: a syzkaller-style fuzzer for /dev/minihv and /dev/kvm
 * ($MINIHV_DEV, as every selftest).
 *
 * The run is a series of episodes, each a child process (ops.c) bounded
 * in memory (RLIMIT_AS 1 GiB; CAP_IPC_LOCK dropped and RLIMIT_MEMLOCK
 * 64 MiB, so that minihv's slot pinning is bounded too) that builds a VM
 * and has several threads make random calls on it for a while.  Now and
 * then the parent kills an episode with SIGKILL (vCPUs inside KVM_RUN),
 * or the episode exits with its vCPUs still running.  Between and during
 * episodes the parent reads the kernel log (/dev/kmsg) and counts the
 * lines that the labs fail on (WARNING, BUG, Oops, slab corruption...).
 *
 * Options (environment variables in brackets):
 *   --seed N        [FUZZ_SEED]     the run's seed (random by default)
 *   --calls N       [FUZZ_CALLS]    stop after N calls (0: no limit)
 *   --seconds N     [FUZZ_SECONDS]  stop after N seconds (default 20
 *                                   unless --calls is given; 0: none)
 *   --threads N     [FUZZ_THREADS]  threads per episode (default 4)
 *   --vcpus N       [FUZZ_VCPUS]    vCPUs per episode (default 2, 1 in
 *                                   the Bochs lab)
 *   --episode N --episodes N        start at episode N, run N of them
 *   --skip OPS      [FUZZ_SKIP]     comma-separated ops never made
 *                                   (ops.c: run, sregs, fpu, msrs...)
 *   --no-spin       [FUZZ_NOSPIN=1] guest code that never loops
 *                                   without exits (default in $lab=vmx:
 *                                   Bochs hangs on such guests)
 *   --no-cr8        [FUZZ_NOCR8=1]  no MOV to CR8 in guest code
 *                                   (default in $lab=svm: QEMU 7.2's TCG
 *                                   aborts on an L2 CR8 write with a
 *                                   virtual interrupt pending, an
 *                                   emulator bug, Documentation/labs.rst)
 *   --avail-tss     [FUZZ_AVAILTSS=1] KVM_SET_SREGS always gives TR a
 *                                   present, available TSS type (default
 *                                   in $lab=svm: QEMU 7.2's TCG aborts,
 *                                   "invalid tss type", when an L2 guest
 *                                   at CPL > 0 takes an interrupt or
 *                                   exception with the busy type that
 *                                   real CPUs, KVM and minihv keep in TR)
 *   --lme-pae       [FUZZ_LMEPAE=1] EFER.LME never set without CR4.PAE:
 *                                   KVM_SET_SREGS sets PAE with LME,
 *                                   KVM_SET_MSRS and guest WRMSRs clear
 *                                   bit 8, guest CR4 writes set PAE
 *                                   (default in $lab=svm: QEMU 7.2's TCG
 *                                   keeps the guest's CR0 for the host at
 *                                   a #VMEXIT from LME=1, PG=0, PAE=0,
 *                                   and that lab CPU never comes back;
 *                                   Documentation/labs.rst)
 *   --keep-going    go on after a failure
 *   (FUZZ_FORCE=1: fuzz kvm_amd in the SVM lab too, where QEMU 7.2 TCG
 *   crashed under it: skipped there by default)
 *   -v              every call on stderr
 *
 * A failure (a new kernel-log line, an episode that crashed or did not
 * finish, a device that no longer runs a trivial guest) prints the seed,
 * the episode, the kernel-log lines and the last FUZZ_RING calls (all
 * threads, in order), and how to run that episode again.  A thread's
 * calls follow from (seed, episode, thread); the threads' interleaving
 * does not, so an episode reruns the same calls, not always the same
 * race.  Output: kselftest TAP ("ok 1 fuzz on DEV ..."), then exactly
 *   fuzz: N calls, M guests, S s, K kernel warnings
 * (M: VMs created; K: new kernel-log lines that fail a lab).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fuzz/fuzz.h"
#include "lib/hvtest.h"
#include "lib/guest.h"

#define EPISODE_TIMEOUT_S	60	/* then SIGKILL: a hang */
#define KILL_GRACE_S		30	/* SIGKILL must end it by then */
#define MAX_KMSG_SHOWN		40

struct fuzz_shared *fz_shared;
struct fuzz_opts fz_opts = { .threads = 4, .vcpus = 2 };

static int kmsg_fd = -1;
static unsigned int kmsg_new;		/* bad lines since the start */
static unsigned int kmsg_shown;
static char kmsg_lines[MAX_KMSG_SHOWN][200];
static int kmsg_since_bad = 1000;	/* records since the last bad one */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A kernel-log line that fails a lab (lab/lab.sh's pattern), plus lockup
 * and stall reports; a "Call Trace" only when no such line came just
 * before it (a WARN's own trace is one warning, not two).
 */
static bool kmsg_bad(const char *msg)
{
	static const char *const pat[] = {
		"BUG", "WARNING", "Oops", "general protection",
		"sleeping function called", "list_del corruption",
		"refcount_t", "Poison overwritten", "Redzone",
		"Object padding", "Padding overwritten", "page_poison",
		"memory corruption", "corrupted", "soft lockup",
		"hard LOCKUP", "blocked for more than", "self-detected stall",
		"detected stalls",
	};
	size_t k;

	if (strstr(msg, "ommand line: "))
		return false;
	for (k = 0; k < sizeof(pat) / sizeof(pat[0]); k++) {
		if (strstr(msg, pat[k])) {
			kmsg_since_bad = 0;
			return true;
		}
	}
	if (strstr(msg, "Call Trace") && kmsg_since_bad > 60) {
		kmsg_since_bad = 0;
		return true;
	}
	kmsg_since_bad++;
	return false;
}

/* Read the new kernel-log records: how many bad lines among them. */
static unsigned int kmsg_poll(bool remember)
{
	char rec[8192], *msg, *nl;
	unsigned int bad = 0;
	ssize_t n;

	if (kmsg_fd < 0)
		return 0;
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten: go on with the next */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (!kmsg_bad(msg))
			continue;
		bad++;
		if (remember && kmsg_shown < MAX_KMSG_SHOWN)
			snprintf(kmsg_lines[kmsg_shown++], sizeof(kmsg_lines[0]),
				 "%.190s", msg);
	}
	return bad;
}

static int call_cmp(const void *a, const void *b)
{
	const struct fuzz_call *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The ring as it was when the kernel log first grew during an episode:
 * the calls around the warning, not those after it.
 */
static struct fuzz_call ring_snap[FUZZ_RING];
static bool ring_snapped;

static void snap_ring(void)
{
	memcpy(ring_snap, fz_shared->ring, sizeof(ring_snap));
	ring_snapped = true;
}

/* The calls in the ring, oldest first. */
static void print_ring(void)
{
	static struct fuzz_call ring[FUZZ_RING];
	struct fuzz_call *c;
	unsigned int k, n = 0;

	if (!ring_snapped)
		snap_ring();
	for (k = 0; k < FUZZ_RING; k++) {
		ring[n] = ring_snap[k];
		if (ring[n].seq)
			n++;
	}
	ring_snapped = false;
	if (n)
		printf("# (the ring as the kernel log grew, or as the episode ended)\n");
	qsort(ring, n, sizeof(ring[0]), call_cmp);
	printf("# the last %u calls (seq episode thread: call = result):\n", n);
	for (k = 0; k < n; k++) {
		c = &ring[k];
		c->what[FUZZ_WHAT - 1] = 0;
		if (!c->done)
			printf("#   %llu e%u t%u: %s = (no return yet)\n",
			       (unsigned long long)c->seq, c->episode, c->thread,
			       c->what);
		else if (c->ret < 0)
			printf("#   %llu e%u t%u: %s = %ld (%s)\n",
			       (unsigned long long)c->seq, c->episode, c->thread,
			       c->what, c->ret, strerror(c->err));
		else
			printf("#   %llu e%u t%u: %s = %ld\n",
			       (unsigned long long)c->seq, c->episode, c->thread,
			       c->what, c->ret);
	}
}

static void print_stacks(pid_t pid)
{
	char path[64], buf[4096];
	struct dirent *d;
	DIR *dir;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stack", pid,
			 d->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		printf("# task %s stack:\n", d->d_name);
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			printf("#   %s\n", l);
	}
	closedir(dir);
}

static void failure(uint32_t episode, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void failure(uint32_t episode, const char *fmt, ...)
{
	va_list ap;
	unsigned int k;

	printf("# FAIL: seed %#llx episode %u: ",
	       (unsigned long long)fz_opts.seed, episode);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	for (k = 0; k < kmsg_shown; k++)
		printf("# kernel: %s\n", kmsg_lines[k]);
	kmsg_shown = 0;
	print_ring();
	printf("# again: MINIHV_DEV=%s %s --seed %#llx --episode %u --episodes 1 --threads %u --vcpus %u%s%s%s%s%s%s\n",
	       hv_dev_path(), "fuzz_test", (unsigned long long)fz_opts.seed,
	       episode, fz_opts.threads, fz_opts.vcpus,
	       fz_opts.no_spin ? " --no-spin" : "",
	       fz_opts.no_cr8 ? " --no-cr8" : "",
	       fz_opts.avail_tss ? " --avail-tss" : "",
	       fz_opts.lme_pae ? " --lme-pae" : "",
	       fz_opts.skip ? " --skip " : "", fz_opts.skip ? fz_opts.skip : "");
}

/* An episode's process: bounded, then fuzz_episode(). */
static void child_limits(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	struct rlimit rl;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	mallopt(M_ARENA_MAX, 1);
	rl.rlim_cur = rl.rlim_max = 1UL << 30;
	setrlimit(RLIMIT_AS, &rl);
	rl.rlim_cur = rl.rlim_max = 64UL << 20;
	setrlimit(RLIMIT_MEMLOCK, &rl);
	if (!syscall(SYS_capget, &h, d)) {
		d[0].effective &= ~(1U << CAP_IPC_LOCK);
		d[0].permitted &= ~(1U << CAP_IPC_LOCK);
		d[0].inheritable &= ~(1U << CAP_IPC_LOCK);
		syscall(SYS_capset, &h, d);
	}
}

/*
 * One episode: 0 if it went well (or was killed on purpose), -1 on a
 * failure, -2 if it would not die (the run cannot go on).
 */
static int run_episode(uint32_t e, double deadline)
{
	struct rng r = { mix_seed(fz_opts.seed, e, 0xffff) };
	double start = now(), kill_at = 0, killed_at = 0;
	bool planned = false;
	unsigned int n;
	int st, rc = 0;
	pid_t pid;

	if (one_in(&r, 8))
		kill_at = start + 0.1 + rnd_below(&r, 1500) / 1000.0;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		failure(e, "fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		child_limits();
		_exit(fuzz_episode(e));
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		double t = now();

		if (w == pid)
			break;
		n = kmsg_poll(true);
		if (n && !ring_snapped) {
			/* Keep the calls that led to it; end the episode. */
			snap_ring();
			if (!killed_at) {
				kill(pid, SIGKILL);
				killed_at = t;
				planned = true;
			}
		}
		kmsg_new += n;
		if (deadline > 0 && t >= deadline)
			__atomic_store_n(&fz_shared->stop, 1, __ATOMIC_RELAXED);
		if (kill_at && t >= kill_at && !killed_at) {
			kill(pid, SIGKILL);
			killed_at = t;
			planned = true;
		}
		if (!killed_at && t - start > EPISODE_TIMEOUT_S) {
			failure(e, "the episode did not finish in %d s: SIGKILL",
				EPISODE_TIMEOUT_S);
			print_stacks(pid);
			kill(pid, SIGKILL);
			killed_at = t;
			rc = -1;
		}
		if (killed_at && t - killed_at > KILL_GRACE_S) {
			failure(e, "the episode survives SIGKILL for %d s (stuck in the kernel)",
				KILL_GRACE_S);
			print_stacks(pid);
			return -2;
		}
		usleep(20000);
	}
	if (WIFSIGNALED(st) && !(planned && WTERMSIG(st) == SIGKILL) &&
	    !rc) {
		failure(e, "the episode died of signal %d", WTERMSIG(st));
		rc = -1;
	} else if (WIFEXITED(st) && WEXITSTATUS(st)) {
		failure(e, "the episode exited with status %d (setup failed)",
			WEXITSTATUS(st));
		rc = -1;
	}
	return rc;
}

/* Does the device still run a trivial guest? (in a child: guest.c dies) */
static bool sanity(void)
{
	/* mov $0x1234, %eax; out %eax, $0xf0; hlt */
	static const uint8_t code[] = { 0xb8, 0x34, 0x12, 0, 0, 0xe7, 0xf0,
					0xf4 };
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		struct gvcpu *v = guest_create(GM_LONG64, code, code + sizeof(code));
		uint32_t reason = gvcpu_run_exit(v);

		if (reason != KVM_EXIT_IO || v->run->io.port != 0xf0 ||
		    *(uint32_t *)gvcpu_io_data(v) != 0x1234) {
			printf("# sanity guest: %s\n", gvcpu_exit_str(v));
			_exit(1);
		}
		guest_destroy(v);
		_exit(0);
	}
	if (pid < 0)
		return false;
	for (int k = 0; k < 300; k++) {		/* 30 s */
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) && !WEXITSTATUS(st);
		usleep(100000);
	}
	printf("# sanity guest: no answer in 30 s\n");
	kill(pid, SIGKILL);
	return false;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static const char *paging_note(void)
{
	static char buf[32];
	static const char * const p[] = { "npt", "ept" };
	char path[64], v = 0;
	int k, fd;

	if (dev_is_kvm())
		return "";
	for (k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "/sys/module/minihv/parameters/%s",
			 p[k]);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		if (read(fd, &v, 1) == 1 && v == 'N')
			snprintf(buf, sizeof(buf), " (%s=0)", p[k]);
		close(fd);
	}
	return buf;
}

static void usage(void)
{
	fprintf(stderr, "usage: fuzz_test [--seed N] [--calls N] [--seconds N] [--threads N]\n"
		"  [--vcpus N] [--episode N] [--episodes N] [--skip OPS] [--no-spin]\n"
		"  [--no-cr8] [--avail-tss] [--lme-pae] [--keep-going] [-v]\n"
		"  (see selftests/fuzz/fuzz.c)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", 1, 0, 's' }, { "calls", 1, 0, 'c' },
		{ "seconds", 1, 0, 't' }, { "threads", 1, 0, 'j' },
		{ "vcpus", 1, 0, 'u' }, { "episode", 1, 0, 'e' },
		{ "episodes", 1, 0, 'n' }, { "skip", 1, 0, 'x' },
		{ "no-spin", 0, 0, 'S' }, { "keep-going", 0, 0, 'k' },
		{ "no-cr8", 0, 0, '8' }, { "avail-tss", 0, 0, 'T' },
		{ "lme-pae", 0, 0, 'P' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *lab = getenv("lab");
	uint64_t seconds, calls, first = 0, count = 0;
	bool keep_going = false, failed = false, hung = false, have_seconds;
	unsigned int before;
	double start, deadline, shown;
	uint32_t e;
	int c, rc;
	char label[128];

	fz_opts.seed = env_u64("FUZZ_SEED", 0);
	if (!fz_opts.seed)
		fz_opts.seed = ((uint64_t)time(NULL) << 20) ^ getpid() ^
			       (uint64_t)(now() * 1e9);
	calls = env_u64("FUZZ_CALLS", 0);
	have_seconds = getenv("FUZZ_SECONDS") && *getenv("FUZZ_SECONDS");
	seconds = env_u64("FUZZ_SECONDS", 0);
	fz_opts.threads = env_u64("FUZZ_THREADS", 4);
	fz_opts.no_spin = env_u64("FUZZ_NOSPIN", lab && !strcmp(lab, "vmx"));
	fz_opts.vcpus = env_u64("FUZZ_VCPUS", fz_opts.no_spin ? 1 : 2);
	fz_opts.no_cr8 = env_u64("FUZZ_NOCR8", lab && !strcmp(lab, "svm"));
	fz_opts.avail_tss = env_u64("FUZZ_AVAILTSS", lab && !strcmp(lab, "svm"));
	fz_opts.lme_pae = env_u64("FUZZ_LMEPAE", lab && !strcmp(lab, "svm"));
	fz_opts.skip = getenv("FUZZ_SKIP");
	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			fz_opts.seed = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			calls = strtoull(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtoull(optarg, NULL, 0);
			have_seconds = true;
			break;
		case 'j':
			fz_opts.threads = strtoul(optarg, NULL, 0);
			break;
		case 'u':
			fz_opts.vcpus = strtoul(optarg, NULL, 0);
			break;
		case 'e':
			first = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoull(optarg, NULL, 0);
			break;
		case 'x':
			fz_opts.skip = optarg;
			break;
		case 'S':
			fz_opts.no_spin = true;
			break;
		case 'k':
			keep_going = true;
			break;
		case '8':
			fz_opts.no_cr8 = true;
			break;
		case 'T':
			fz_opts.avail_tss = true;
			break;
		case 'P':
			fz_opts.lme_pae = true;
			break;
		case 'v':
			fz_opts.verbose = true;
			break;
		default:
			usage();
		}
	}
	fz_opts.kvm = dev_is_kvm();
	if (!have_seconds && !calls && !count)
		seconds = 20;
	if (fz_opts.vcpus < 1 || fz_opts.vcpus > 4)
		fz_opts.vcpus = fz_opts.vcpus ? 4 : 1;
	if (fz_opts.threads < fz_opts.vcpus)
		fz_opts.threads = fz_opts.vcpus;
	if (fz_opts.threads > 16)
		fz_opts.threads = 16;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(label, sizeof(label), "fuzz on %s%s", hv_dev_path(),
		 paging_note());
	printf("TAP version 13\n1..1\n");
	printf("# %s: seed %#llx, %s%llu calls, %llu s, %u threads, %u vCPUs%s%s%s%s%s%s\n",
	       label, (unsigned long long)fz_opts.seed, calls ? "" : "max ",
	       (unsigned long long)calls, (unsigned long long)seconds,
	       fz_opts.threads, fz_opts.vcpus,
	       fz_opts.no_spin ? ", no-spin guests" : "",
	       fz_opts.no_cr8 ? ", no CR8 writes" : "",
	       fz_opts.avail_tss ? ", available TSS in TR" : "",
	       fz_opts.lme_pae ? ", EFER.LME only with CR4.PAE" : "",
	       fz_opts.skip ? ", skipping " : "",
	       fz_opts.skip ? fz_opts.skip : "");

	if (!hv_path_exists(hv_dev_path())) {
		if (hv_dev_required())
			printf("not ok 1 %s: the device does not exist\n", label);
		else
			printf("ok 1 %s # SKIP the device does not exist\n", label);
		printf("fuzz: 0 calls, 0 guests, 0 s, 0 kernel warnings\n");
		return hv_dev_required() ? 1 : 4;
	}
	/*
	 * QEMU 7.2's TCG died (SIGSEGV, the whole lab gone) under this
	 * fuzzer's guests on kvm_amd; nothing of minihv was loaded.  KVM is
	 * fuzzed on kvm_intel in the VMX lab; FUZZ_FORCE=1 tries anyway.
	 */
	if (fz_opts.kvm && lab && !strcmp(lab, "svm") &&
	    !env_u64("FUZZ_FORCE", 0)) {
		printf("ok 1 %s # SKIP QEMU TCG crashes fuzzing kvm_amd (FUZZ_FORCE=1 to try)\n",
		       label);
		printf("fuzz: 0 calls, 0 guests, 0 s, 0 kernel warnings\n");
		return 4;
	}
	fz_shared = mmap(NULL, sizeof(*fz_shared), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fz_shared == MAP_FAILED) {
		printf("not ok 1 %s: mmap: %s\n", label, strerror(errno));
		return 1;
	}
	fz_shared->max_calls = calls;

	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0)
		printf("# /dev/kmsg: %s: kernel warnings not counted\n",
		       strerror(errno));
	before = kmsg_poll(false);
	printf("# kernel log before: %u bad line(s)\n", before);

	start = shown = now();
	deadline = seconds ? start + seconds : 0;
	for (e = first; !count || e < first + count; e++) {
		rc = run_episode(e, deadline);
		kmsg_new += kmsg_poll(true);
		if (!rc && kmsg_shown) {
			failure(e, "the kernel log grew a warning");
			rc = -1;
		}
		if (rc) {
			failed = true;
			if (rc == -2)
				hung = true;
			if (hung || !keep_going)
				break;
		}
		if (now() - shown >= 10) {
			shown = now();
			printf("# %.0f s: episode %u, %llu calls, %llu guests\n",
			       shown - start, e,
			       (unsigned long long)fz_shared->calls,
			       (unsigned long long)fz_shared->guests);
		}
		if ((deadline && now() >= deadline) ||
		    (calls && fz_shared->calls >= calls))
			break;
	}
	if (!hung && (!failed || keep_going)) {
		if (!sanity()) {
			failure(e, "the device no longer runs a trivial guest");
			failed = true;
		}
	}
	kmsg_new += kmsg_poll(true);
	if (kmsg_shown) {
		failure(e, "the kernel log grew a warning (at the end)");
		failed = true;
	}
	printf("%s 1 %s seed %#llx\n", failed ? "not ok" : "ok", label,
	       (unsigned long long)fz_opts.seed);
	printf("fuzz: %llu calls, %llu guests, %.0f s, %u kernel warnings\n",
	       (unsigned long long)fz_shared->calls,
	       (unsigned long long)fz_shared->guests, now() - start, kmsg_new);
	return failed ? 1 : 0;
}
