// SPDX-License-Identifier: GPL-2.0
/*
 * stats_test: minihv's exit statistics, in debugfs,
 *
 *   /sys/kernel/debug/minihv/<pid>-<vmfd>/vcpu<N>/exits
 *   /sys/kernel/debug/minihv/<pid>-<vmfd>/stats, .../vcpu<N>/stats
 *
 * and through MINIHV_GET_STATS (uapi/minihv.h).  A guest makes a known
 * sequence of exits (OUTs, CPUIDs, one HLT); the counters must show
 * exactly those, by name, per vCPU and summed per VM.  Every bad
 * MINIHV_GET_STATS request gets its errno.  A reader thread hammering the
 * statistics while the guest exits never sees a counter go back (a torn
 * read would) or an error.  The counters are minihv's: SKIP on /dev/kvm
 * (KVM's debugfs has another layout, and no MINIHV_GET_STATS).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "lib/harness.h"
#include "lib/guest.h"
#include "lib/hvtest.h"

#define N_OUT	100
#define N_CPUID	50
#define S_(x)	#x
#define S(x)	S_(x)

GUEST_ASM(guest_stats, ".code64",
	"movl $" S(N_OUT) ", %ecx\n"
	"1: outb %al, $0x10\n"
	"loop 1b\n"
	"movl $" S(N_CPUID) ", %esi\n"
	"2: xorl %eax, %eax\n"
	"xorl %ecx, %ecx\n"
	"cpuid\n"
	"decl %esi\n"
	"jnz 2b\n"
	"hlt\n");

/* The count on the line "<name> <count>" of @path, or -1. */
static long read_count(const char *path, const char *name)
{
	char line[128], n[64];
	long count = -1, c;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", n, &c) == 2 && !strcmp(n, name))
			count = c;
	fclose(f);
	return count;
}

TEST(exit_counters)
{
	char path[256];
	struct gvcpu *v;
	int i;

	HV_SKIP_ON_KVM("debugfs exit counters");
	if (access("/sys/kernel/debug/minihv", F_OK))
		SKIP(return, "debugfs is not mounted");

	v = guest_create(GM_LONG64, guest_stats, guest_stats_end);
	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/minihv/%d-%d/vcpu0/exits",
		 (int)getpid(), v->vm->fd);
	for (i = 0; i < N_OUT; i++)
		GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
	GUEST_RUN_EXPECT(v, KVM_EXIT_HLT);

	ASSERT_EQ(0, access(path, R_OK)) TH_LOG("%s", path);
	EXPECT_EQ(N_OUT, read_count(path, "io"));
	EXPECT_EQ(N_CPUID, read_count(path, "cpuid"));
	EXPECT_EQ(1, read_count(path, "hlt"));
	EXPECT_EQ(-1, read_count(path, "shutdown"));

	guest_destroy(v);
	/* The VM's directory goes with the VM. */
	EXPECT_NE(0, access(path, F_OK));
}

/* MINIHV_GET_STATS: 0 or -errno; @size is the request's size in/out. */
static int get_stats(int fd, __u32 version, __u32 flags, int vcpu,
		     __u32 *size, void *data)
{
	struct minihv_stats_req req = {
		.version = version, .flags = flags, .vcpu = vcpu,
		.size = *size, .data = (unsigned long)data,
	};
	int r = ioctl(fd, MINIHV_GET_STATS, &req) ? -errno : 0;

	*size = req.size;
	return r;
}

static int stats_of(int vm_fd, int vcpu, struct minihv_stats *st)
{
	__u32 size = sizeof(*st);

	return get_stats(vm_fd, MINIHV_STATS_VERSION, 0, vcpu, &size, st);
}

/* The statistics index named @name, or -1. */
static int stat_index(const struct minihv_stats *st, const char *name)
{
	int i;

	for (i = 0; i < MINIHV_STATS_NR_REASONS; i++)
		if (!strcmp(st->names[i], name))
			return i;
	return -1;
}

TEST(stats_ioctl_bad_input)
{
	static struct minihv_stats st;
	const __u32 want = sizeof(st);
	struct gvcpu *v;
	char *big;
	__u32 size;
	int fd;

	HV_SKIP_ON_KVM("MINIHV_GET_STATS");
	v = guest_create(GM_LONG64, guest_stats, guest_stats_end);
	fd = v->vm->fd;

#define BAD(err, ver, fl, cpu, sz, data) do {				\
	size = (sz);							\
	EXPECT_EQ(-(err), get_stats(fd, ver, fl, cpu, &size, data)) {	\
		TH_LOG("version %u flags %u vcpu %d size %u",		\
		       (unsigned int)(ver), (unsigned int)(fl), (cpu),	\
		       (unsigned int)(sz));				\
	}								\
} while (0)
	BAD(EINVAL, 0, 0, -1, want, &st);
	BAD(EINVAL, MINIHV_STATS_VERSION + 1, 0, -1, want, &st);
	BAD(EINVAL, MINIHV_STATS_VERSION, 1, -1, want, &st);
	BAD(EINVAL, MINIHV_STATS_VERSION, 0x80000000, 0, want, &st);
	BAD(EINVAL, MINIHV_STATS_VERSION, 0, -2, want, &st);
	BAD(EINVAL, MINIHV_STATS_VERSION, 0, 16, want, &st);
	BAD(EINVAL, MINIHV_STATS_VERSION, 0, 0x7fffffff, want, &st);
	/* In range, but no such vCPU. */
	BAD(ENOENT, MINIHV_STATS_VERSION, 0, 1, want, &st);
	BAD(ENOENT, MINIHV_STATS_VERSION, 0, 15, want, &st);
	/* Too small: E2BIG, and the size needed. */
	BAD(E2BIG, MINIHV_STATS_VERSION, 0, -1, 0, &st);
	EXPECT_EQ(want, size);
	BAD(E2BIG, MINIHV_STATS_VERSION, 0, 0, want - 1, &st);
	EXPECT_EQ(want, size);
	/* Unwritable buffer. */
	BAD(EFAULT, MINIHV_STATS_VERSION, 0, -1, want, NULL);
	BAD(EFAULT, MINIHV_STATS_VERSION, 0, -1, want, (void *)8);
	BAD(EFAULT, MINIHV_STATS_VERSION, 0, 0, want, (void *)-4096L);
#undef BAD
	/* Unreadable request. */
	EXPECT_EQ(-1, ioctl(fd, MINIHV_GET_STATS, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* Only on the VM fd: the vCPU and system fds do not know it. */
	EXPECT_EQ(-1, ioctl(v->fd, MINIHV_GET_STATS, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(v->vm->sys_fd, MINIHV_GET_STATS, NULL));
	EXPECT_EQ(ENOTTY, errno);

	/* A larger buffer is fine: the size written comes back. */
	big = calloc(1, want + 4096);
	ASSERT_NE(NULL, big);
	size = want + 4096;
	EXPECT_EQ(0, get_stats(fd, MINIHV_STATS_VERSION, 0, 0, &size, big));
	EXPECT_EQ(want, size);
	EXPECT_EQ((__u32)MINIHV_STATS_VERSION,
		  ((struct minihv_stats *)big)->version);
	EXPECT_EQ(0, big[want]);
	free(big);
	guest_destroy(v);
}

TEST(stats_ioctl_counts)
{
	static struct minihv_stats st0, st1, vm;
	struct gvcpu *v, *v1;
	int io, cpuid, hlt, i, b;

	HV_SKIP_ON_KVM("MINIHV_GET_STATS");
	v = guest_create(GM_LONG64, guest_stats, guest_stats_end);
	v1 = gvcpu_create(v->vm, 1, GM_LONG64);
	for (i = 0; i < N_OUT; i++)
		GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
	GUEST_RUN_EXPECT(v, KVM_EXIT_HLT);
	/* The second vCPU only does the OUTs. */
	for (i = 0; i < N_OUT; i++)
		GUEST_RUN_EXPECT(v1, KVM_EXIT_IO);

	ASSERT_EQ(0, stats_of(v->vm->fd, 0, &st0));
	ASSERT_EQ(0, stats_of(v->vm->fd, 1, &st1));
	ASSERT_EQ(0, stats_of(v->vm->fd, -1, &vm));
	EXPECT_EQ((__u32)MINIHV_STATS_VERSION, st0.version);
	EXPECT_EQ(1U, st0.nr_vcpus);
	EXPECT_EQ(2U, vm.nr_vcpus);
	EXPECT_EQ(st0.vm_id, vm.vm_id);
	EXPECT_EQ((__u32)MINIHV_STATS_NR_REASONS, st0.nr_reasons);
	EXPECT_EQ((__u32)MINIHV_STATS_NR_BUCKETS, st0.nr_buckets);
	io = stat_index(&st0, "io");
	cpuid = stat_index(&st0, "cpuid");
	hlt = stat_index(&st0, "hlt");
	ASSERT_LE(0, io);
	ASSERT_LE(0, cpuid);
	ASSERT_LE(0, hlt);
	EXPECT_EQ((__u64)N_OUT, st0.exits[io]);
	EXPECT_EQ((__u64)N_CPUID, st0.exits[cpuid]);
	EXPECT_EQ(1ULL, st0.exits[hlt]);
	EXPECT_EQ((__u64)N_OUT, st1.exits[io]);
	EXPECT_EQ(0ULL, st1.exits[cpuid]);
	for (i = 0; i < MINIHV_STATS_NR_REASONS; i++) {
		__u64 h0 = 0;

		EXPECT_EQ(st0.exits[i] + st1.exits[i], vm.exits[i]);
		EXPECT_EQ(st0.exit_ns[i] + st1.exit_ns[i], vm.exit_ns[i]);
		for (b = 0; b < MINIHV_STATS_NR_BUCKETS; b++) {
			h0 += st0.hist[i][b];
			EXPECT_EQ(st0.hist[i][b] + st1.hist[i][b],
				  vm.hist[i][b]);
		}
		/*
		 * An exit is in the histogram once the guest is entered
		 * again: all but vCPU 0's HLT and vCPU 1's last OUT.
		 */
		EXPECT_EQ(st0.exits[i] - (i == hlt), h0) TH_LOG("%d", i);
	}
	EXPECT_EQ(st0.total_exits + st1.total_exits, vm.total_exits);
	EXPECT_EQ(st0.guest_ns + st1.guest_ns, vm.guest_ns);
	EXPECT_EQ(st0.user_ns + st1.user_ns, vm.user_ns);
	EXPECT_NE(0ULL, st0.guest_ns);
	/* Each exit to userspace came back: some time was spent there. */
	EXPECT_NE(0ULL, st0.user_ns);
	gvcpu_destroy(v1);
	guest_destroy(v);
}

/* A vCPU exits as fast as it can; readers hammer its statistics. */
#define LOAD_CPUID	20000

GUEST_ASM(guest_load, ".code64",
	"movl $" S(LOAD_CPUID) ", %esi\n"
	"1: xorl %eax, %eax\n"
	"xorl %ecx, %ecx\n"
	"cpuid\n"
	"decl %esi\n"
	"jnz 1b\n"
	"hlt\n");

struct reader {
	int vm_fd;
	char path[128];
	int stop;		/* __atomic */
	long reads;
	long errors;		/* failed reads */
	long backwards;		/* a counter that went back */
};

static void *reader_thread(void *arg)
{
	static struct minihv_stats a, b;
	struct reader *r = arg;
	struct minihv_stats *prev = &a, *cur = &b, *t;
	char buf[4096];
	int i, k;

	memset(prev, 0, sizeof(*prev));
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		FILE *f;

		if (stats_of(r->vm_fd, (r->reads & 1) ? 0 : -1, cur)) {
			r->errors++;
			break;
		}
		for (i = 0; i < MINIHV_STATS_NR_REASONS; i++) {
			if (cur->exits[i] < prev->exits[i] ||
			    cur->exit_ns[i] < prev->exit_ns[i])
				r->backwards++;
			for (k = 0; k < MINIHV_STATS_NR_BUCKETS; k++)
				if (cur->hist[i][k] < prev->hist[i][k])
					r->backwards++;
		}
		if (cur->total_exits < prev->total_exits ||
		    cur->guest_ns < prev->guest_ns ||
		    cur->kernel_ns < prev->kernel_ns ||
		    cur->user_ns < prev->user_ns)
			r->backwards++;
		t = prev;
		prev = cur;
		cur = t;
		/* debugfs too, when there. */
		f = fopen(r->path, "r");
		if (f) {
			while (fread(buf, 1, sizeof(buf), f) > 0)
				;
			fclose(f);
		}
		r->reads++;
	}
	return NULL;
}

TEST(stats_under_load)
{
	static struct minihv_stats st;
	struct reader r = { 0 };
	struct gvcpu *v;
	pthread_t t;
	int cpuid;

	HV_SKIP_ON_KVM("MINIHV_GET_STATS");
	v = guest_create(GM_LONG64, guest_load, guest_load_end);
	r.vm_fd = v->vm->fd;
	snprintf(r.path, sizeof(r.path),
		 "/sys/kernel/debug/minihv/%d-%d/stats", (int)getpid(),
		 v->vm->fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, reader_thread, &r));
	GUEST_RUN_EXPECT(v, KVM_EXIT_HLT);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);

	EXPECT_EQ(0, r.errors);
	EXPECT_EQ(0, r.backwards);
	EXPECT_LT(0, r.reads);
	TH_LOG("%ld reads while the guest made %d exits", r.reads,
	       LOAD_CPUID);
	ASSERT_EQ(0, stats_of(v->vm->fd, 0, &st));
	cpuid = stat_index(&st, "cpuid");
	ASSERT_LE(0, cpuid);
	EXPECT_EQ((__u64)LOAD_CPUID, st.exits[cpuid]);
	guest_destroy(v);
}

TEST_HARNESS_MAIN
