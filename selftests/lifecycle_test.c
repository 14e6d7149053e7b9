// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle_test: VMs come and go and the host gets everything back.
 *
 *  - create_run_destroy: LIFECYCLE_CYCLES cycles (default 1000 on
 *    minihv: 57 ms each in the SVM lab; 300 on KVM, whose VM creation
 *    costs 3x that under QEMU TCG; 200 and 100 in the slower Bochs lab)
 *    of: a VM with the
 *    in-kernel APIC (split irqchip, as apic_test), a 640 KiB memslot, 2
 *    vCPUs that each run to an OUT, then everything closed.  After 20
 *    warm-up cycles and after the last one (1 s of quiet and a
 *    drop_caches, so that RCU-freed objects and debugfs dentries are
 *    gone), /proc/meminfo's MemAvailable and Slab (and SUnreclaim) and
 *    the device's own counters (VM directories in its debugfs folder,
 *    the module's reference count) must be back where they were.
 *    Tolerances: SUnreclaim +384 KiB, Slab +1 MiB, MemAvailable -4 MiB.
 *    A leak of one small object per cycle (>= 384 bytes, e.g. a vCPU's
 *    64-byte kmalloc leaked 6 times) or of one page per cycle shows;
 *    per-CPU caches and the kernel's own background activity (the lab
 *    runs nothing else) stay below that, measured at <= 100 KiB.
 *  - kill9_in_run: a process with 2 vCPUs spinning in KVM_RUN (a PAUSE
 *    loop: Bochs needs the exits) is killed with SIGKILL; it must be
 *    gone within 10 s and its VM's debugfs directory and module
 *    references with it.
 *  - munmap_while_running: the memslot's memory is unmapped while a
 *    vCPU writes to it; KVM_RUN must still come back on a signal, and
 *    the VM be destroyed cleanly (the lab's kernel-log check sees the
 *    rest).
 *  - rmmod_busy (minihv only, as root): delete_module("minihv") while a
 *    VM fd is open fails with EWOULDBLOCK (the kernel's "in use"; busybox
 *    rmmod prints it), and the module stays.
 * Loading beside kvm_amd/kvm_intel is coexist_test's (run.sh phase 2).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "lib/harness.h"
#include "lib/guest.h"

#define OUT_PORT	0xf0
#define SLOT1_GPA	0x100000UL
#define SLOT1_SIZE	0x10000UL

/* vCPU n: mov $n, %eax; out %eax, $0xf0; hlt */
GUEST_ASM(lc_out, ".code64",
	"movl %esi, %eax\n"
	"outl %eax, $0xf0\n"
	"1: hlt\n"
	"jmp 1b\n");

/* Spin with exits (PAUSE-loop exiting): Bochs hangs on a bare jmp . */
GUEST_ASM(lc_spin, ".code64",
	"1: pause\n"
	"jmp 1b\n");

/* Write the second slot forever, with PAUSEs. */
GUEST_ASM(lc_writer, ".code64",
	"movabs $0x100000, %rbx\n"
	"1: incl (%rbx)\n"
	"pause\n"
	"jmp 1b\n");

struct lc_snap {
	long avail_kb, slab_kb, sunreclaim_kb;
	int vm_dirs;		/* VM directories in the device's debugfs */
	int refcnt;		/* the module's reference count, -1: none */
};

static const char *lc_module(void)
{
	return dev_is_kvm() ? "kvm" : "minihv";
}

static long lc_meminfo(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* Directories named like a VM ("PID-FD...") in the device's debugfs. */
static int lc_vm_dirs(void)
{
	char path[64];
	struct dirent *d;
	int n = 0, pid, fd;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s", lc_module());
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (sscanf(d->d_name, "%d-%d", &pid, &fd) == 2)
			n++;
	closedir(dir);
	return n;
}

static int lc_refcnt(void)
{
	char path[64];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", lc_module());
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void lc_settle(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sleep(1);
	if (fd >= 0) {
		/* Not root: measured as it is. */
		if (write(fd, "3", 1) < 0)
			perror("drop_caches");
		close(fd);
	}
	sleep(1);
}

static void lc_snapshot(struct lc_snap *s, bool settle)
{
	if (settle)
		lc_settle();
	s->avail_kb = lc_meminfo("MemAvailable");
	s->slab_kb = lc_meminfo("Slab");
	s->sunreclaim_kb = lc_meminfo("SUnreclaim");
	s->vm_dirs = lc_vm_dirs();
	s->refcnt = lc_refcnt();
}

/* The device's own counters back to @s0 within @secs seconds. */
static bool lc_counters_back(const struct lc_snap *s0, int secs)
{
	struct lc_snap s;

	for (int i = 0; i < secs * 10; i++) {
		lc_snapshot(&s, false);
		if (s.vm_dirs == s0->vm_dirs && s.refcnt == s0->refcnt)
			return true;
		usleep(100000);
	}
	return false;
}

static int lc_cycles(void)
{
	const char *s = getenv("LIFECYCLE_CYCLES");
	const char *lab = getenv("lab");

	if (s && *s)
		return atoi(s);
	if (lab && !strcmp(lab, "vmx"))
		return dev_is_kvm() ? 100 : 200;
	return dev_is_kvm() ? 300 : 1000;
}

/* One VM: split irqchip, slot 0, 2 vCPUs each to its OUT; 0 or a step. */
static int lc_one_cycle(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP,
				      .args = { 24 } };
	struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };
	struct gvcpu *v[2];
	struct kvm_regs regs;
	struct gvm *vm = gvm_create();
	int i, bad = 0;

	if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap))
		bad = 1;
	gvm_load(vm, GUEST_CODE_GPA, lc_out, lc_out_end);
	for (i = 0; i < 2; i++) {
		v[i] = gvcpu_create(vm, i, GM_LONG64);
		gvcpu_get_regs(v[i], &regs);
		regs.rsi = 0x100 + i;
		gvcpu_set_regs(v[i], &regs);
	}
	if (ioctl(v[1]->fd, KVM_SET_MP_STATE, &mp))
		bad = bad ?: 2;
	for (i = 0; i < 2 && !bad; i++) {
		if (gvcpu_run(v[i]) || v[i]->run->exit_reason != KVM_EXIT_IO ||
		    v[i]->run->io.port != OUT_PORT ||
		    *(uint32_t *)gvcpu_io_data(v[i]) != 0x100U + i)
			bad = 3 + i;
	}
	for (i = 0; i < 2; i++)
		gvcpu_destroy(v[i]);
	gvm_destroy(vm);
	return bad;
}

static double lc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The harness's default 30 s are too short for 1000 cycles under TCG. */
FIXTURE(lc) {
	int unused;
};

FIXTURE_SETUP(lc)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(lc)
{
}

TEST_F_TIMEOUT(lc, create_run_destroy, 600)
{
	struct lc_snap s0, s1;
	int fd, i, n = lc_cycles(), bad;
	double t0;

	HV_OPEN_DEV_OR_SKIP(fd);
	close(fd);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, lc_one_cycle());
	lc_snapshot(&s0, true);
	t0 = lc_now();
	for (i = 0; i < n; i++) {
		bad = lc_one_cycle();
		ASSERT_EQ(0, bad) {
			TH_LOG("cycle %d failed at step %d", i, bad);
		}
	}
	t0 = lc_now() - t0;
	lc_snapshot(&s1, true);
	TH_LOG("%d cycles in %.1f s (%.1f ms each): MemAvailable %+ld KiB, Slab %+ld KiB, SUnreclaim %+ld KiB, VM dirs %d -> %d, %s refcnt %d -> %d",
	       n, t0, t0 * 1000 / n, s1.avail_kb - s0.avail_kb, s1.slab_kb - s0.slab_kb,
	       s1.sunreclaim_kb - s0.sunreclaim_kb, s0.vm_dirs, s1.vm_dirs,
	       lc_module(), s0.refcnt, s1.refcnt);
	EXPECT_LE(s1.sunreclaim_kb - s0.sunreclaim_kb, 384);
	EXPECT_LE(s1.slab_kb - s0.slab_kb, 1024);
	EXPECT_GE(s1.avail_kb - s0.avail_kb, -4096);
	EXPECT_EQ(s0.vm_dirs, s1.vm_dirs);
	EXPECT_EQ(s0.refcnt, s1.refcnt);
}

static void lc_nop(int sig)
{
	(void)sig;
}

static void *lc_run_thread(void *arg)
{
	struct gvcpu *v = arg;

	for (;;)
		gvcpu_run(v);
	return NULL;
}

TEST(kill9_in_run)
{
	struct lc_snap s0;
	int fd, p[2], st;
	double t;
	pid_t pid;
	char c;

	HV_OPEN_DEV_OR_SKIP(fd);
	close(fd);
	lc_snapshot(&s0, false);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct gvcpu *v0 = guest_create(GM_LONG64, lc_spin, lc_spin_end);
		struct gvcpu *v1 = gvcpu_create(v0->vm, 1, GM_LONG64);
		pthread_t th;

		if (pthread_create(&th, NULL, lc_run_thread, v1))
			_exit(1);
		if (write(p[1], "r", 1) < 0)
			_exit(1);
		lc_run_thread(v0);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	usleep(300000);		/* both vCPUs inside KVM_RUN */
	ASSERT_EQ(0, kill(pid, SIGKILL));
	for (t = 0; t < 10; t += 0.05) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(50000);
	}
	ASSERT_GT(10, t) {
		TH_LOG("the killed process is still there after 10 s");
	}
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	EXPECT_TRUE(lc_counters_back(&s0, 5)) {
		TH_LOG("VM dirs or module references not back (want %d, %d; now %d, %d)",
		       s0.vm_dirs, s0.refcnt, lc_vm_dirs(), lc_refcnt());
	}
}

struct lc_runner {
	struct gvcpu *v;
	int stop;
	int runs;
	int last_err;
	pid_t tid;
};

static void *lc_writer_thread(void *arg)
{
	struct lc_runner *r = arg;

	__atomic_store_n(&r->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		r->last_err = gvcpu_run(r->v);
		__atomic_add_fetch(&r->runs, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

TEST(munmap_while_running)
{
	struct sigaction sa = { .sa_handler = lc_nop };
	struct lc_runner r = { 0 };
	struct lc_snap s0;
	pthread_t th;
	struct gvcpu *v;
	void *mem;
	int fd, runs, i;

	HV_OPEN_DEV_OR_SKIP(fd);
	close(fd);
	lc_snapshot(&s0, false);
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: KVM_RUN -EINTR */
	v = guest_create(GM_LONG64, lc_writer, lc_writer_end);
	mem = gvm_add_slot(v->vm, 1, SLOT1_GPA, SLOT1_SIZE, 0);
	r.v = v;
	ASSERT_EQ(0, pthread_create(&th, NULL, lc_writer_thread, &r));
	while (!__atomic_load_n(&r.tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	usleep(200000);
	ASSERT_EQ(0, munmap(mem, SLOT1_SIZE));
	/* The guest writes on (minihv: pinned pages; KVM: it may fault). */
	usleep(200000);
	runs = __atomic_load_n(&r.runs, __ATOMIC_ACQUIRE);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 200; i++) {
		syscall(SYS_tgkill, getpid(), r.tid, SIGUSR1);
		if (__atomic_load_n(&r.runs, __ATOMIC_ACQUIRE) > runs)
			break;
		usleep(50000);
	}
	ASSERT_GT(200, i) {
		TH_LOG("KVM_RUN did not come back in 10 s after a signal");
	}
	pthread_join(th, NULL);
	TH_LOG("KVM_RUN came back: %s after %d runs",
	       r.last_err ? strerror(-r.last_err) : gvcpu_exit_str(v),
	       r.runs);
	/* guest_destroy() would munmap the slot again: close by hand. */
	v->vm->slots[1].used = false;
	guest_destroy(v);
	EXPECT_TRUE(lc_counters_back(&s0, 5));
}

TEST(rmmod_busy)
{
	int fd, vm, r, err;

	HV_SKIP_ON_KVM("unloads minihv; KVM is kvm's business");
	if (geteuid())
		SKIP(return, "needs root (delete_module)");
	HV_OPEN_DEV_OR_SKIP(fd);
	if (!hv_path_exists("/sys/module/minihv"))
		SKIP(return, "minihv is not a loaded module here");
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);
	r = syscall(SYS_delete_module, "minihv", O_NONBLOCK);
	err = errno;
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EWOULDBLOCK, err) {
		TH_LOG("delete_module: %s", strerror(err));
	}
	EXPECT_TRUE(hv_path_exists("/sys/module/minihv"));
	/* The VM still works: a vCPU can be made. */
	r = ioctl(vm, KVM_CREATE_VCPU, 0);
	EXPECT_LE(0, r);
	if (r >= 0)
		close(r);
	close(vm);
	close(fd);
}

TEST_HARNESS_MAIN
