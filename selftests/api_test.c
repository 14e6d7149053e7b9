// SPDX-License-Identifier: GPL-2.0
/*
 * api_test: the system-fd and VM-fd ABI shared with KVM, plus minihv's
 * MINIHV_GET_INFO bookkeeping.
 *
 * Runs against $MINIHV_DEV (default /dev/minihv).  Against /dev/kvm it is
 * the KVM half of the differential: everything KVM also does is checked the
 * same way, minihv-only expectations are skipped or switched.
 *
 * The vm_count / enabled_cpus checks assume nothing else on the machine
 * holds minihv VMs while the test runs (true in the labs).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cpuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lib/harness.h"

/* Ioctls nobody implements on these fds. */
#define IOCTL_KVMIO_UNUSED	_IO(KVMIO, 0xfe)
#define IOCTL_KVMIO_UNUSED_RW	_IOWR(KVMIO, 0xfd, __u64)
#define IOCTL_FOREIGN		_IO(0xe5, 0x01)
#define IOCTL_FOREIGN_R		_IOR(0xe5, 0x02, __u32)

/* Capability numbers KVM will never reach, and arguments of odd shape. */
static const unsigned long odd_caps[] = {
	-1UL,
	-2UL,
	(unsigned int)INT32_MIN,
	(unsigned long)(long)INT32_MIN,
	INT32_MAX,
	0x7fffffffffffffffUL,
	0x8000000000000000UL,
	1UL << 32,
	(1UL << 32) | KVM_CAP_CHECK_EXTENSION_VM,
	(1UL << 63) | KVM_CAP_CHECK_EXTENSION_VM,
	-(long)KVM_CAP_CHECK_EXTENSION_VM,
	10000,
	100000,
};

/* Highest capability number probed one by one; KVM's are all below. */
#define CAP_PROBE_MAX	1024

/*
 * Assert minihv's bookkeeping for @vms live VMs: vm_count, the
 * HW_ENABLED flag and enabled_cpus.  No-op against KVM.
 */
static void check_vm_state(struct __test_metadata *_metadata, int sys_fd,
			   unsigned int vms)
{
	struct minihv_info info;

	if (dev_is_kvm())
		return;
	ASSERT_EQ(0, hv_get_info(sys_fd, &info));
	ASSERT_EQ(vms, info.vm_count);
	if (vms) {
		ASSERT_TRUE(!!(info.flags & MINIHV_INFO_HW_ENABLED));
		ASSERT_EQ(hv_online_cpus(), (int)info.enabled_cpus);
	} else {
		ASSERT_FALSE(!!(info.flags & MINIHV_INFO_HW_ENABLED));
		ASSERT_EQ(0U, info.enabled_cpus);
	}
}

/* Fisher-Yates with a fixed LCG so that every run closes in one order. */
static void shuffle(int *v, int n, unsigned int seed)
{
	int i, j, t;

	for (i = n - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		j = (seed >> 16) % (i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

/* ---------------------------------------------------------------- */

TEST(api_version)
{
	int fd;

	HV_OPEN_DEV_OR_SKIP(fd);
	EXPECT_EQ(KVM_API_VERSION, hv_ioctl(fd, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(12, KVM_API_VERSION);
	close(fd);
}

TEST(api_version_bad_arg)
{
	static const unsigned long args[] = {
		1, 12, 0xff, -1UL, 1UL << 32, 1UL << 63,
	};
	unsigned int i;
	int fd;

	HV_OPEN_DEV_OR_SKIP(fd);
	for (i = 0; i < ARRAY_SIZE(args); i++) {
		EXPECT_EQ(-EINVAL, hv_ioctl(fd, KVM_GET_API_VERSION, args[i]))
			TH_LOG("arg %#lx", args[i]);
	}
	/* A bad call leaves the fd working. */
	EXPECT_EQ(KVM_API_VERSION, hv_ioctl(fd, KVM_GET_API_VERSION, 0));
	close(fd);
}

/*
 * What minihv implements (Documentation/api.rst); every other capability
 * must read 0 on minihv.
 */
static const struct {
	long cap;
	long value;
} minihv_caps[] = {
	{ KVM_CAP_CHECK_EXTENSION_VM, 1 },
	{ KVM_CAP_USER_MEMORY, 1 },
	{ KVM_CAP_READONLY_MEM, 1 },
	{ KVM_CAP_IMMEDIATE_EXIT, 1 },
	{ KVM_CAP_EXT_CPUID, 1 },
	{ KVM_CAP_MP_STATE, 1 },
	{ KVM_CAP_ENABLE_CAP_VM, 1 },
	{ KVM_CAP_SPLIT_IRQCHIP, 1 },
	{ KVM_CAP_SIGNAL_MSI, 1 },
	{ KVM_CAP_TSC_DEADLINE_TIMER, 1 },
	{ KVM_CAP_USER_NMI, 1 },
	{ KVM_CAP_NR_VCPUS, 16 },
	{ KVM_CAP_MAX_VCPUS, 16 },
	{ KVM_CAP_MAX_VCPU_ID, 16 },
	{ KVM_CAP_NR_MEMSLOTS, 32 },
};

static long minihv_cap(long cap)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(minihv_caps); i++)
		if (minihv_caps[i].cap == cap)
			return minihv_caps[i].value;
	return 0;
}

/*
 * KVM_CHECK_EXTENSION on @fd: never an error; KVM_CAP_CHECK_EXTENSION_VM
 * is 1 everywhere; odd arguments are 0; on minihv exactly the table above.
 */
static void check_extensions(struct __test_metadata *_metadata, int fd)
{
	bool kvm = dev_is_kvm();
	unsigned int i;
	long cap, r;

	/* Braces: "EXPECT_*() TH_LOG()" expands to two statements. */
	for (cap = 0; cap <= CAP_PROBE_MAX; cap++) {
		r = hv_ioctl(fd, KVM_CHECK_EXTENSION, cap);
		if (cap == KVM_CAP_CHECK_EXTENSION_VM) {
			EXPECT_EQ(1, r) TH_LOG("cap %ld", cap);
		} else if (kvm) {
			EXPECT_LE(0, r) TH_LOG("cap %ld", cap);
		} else {
			EXPECT_EQ(minihv_cap(cap), r) TH_LOG("cap %ld", cap);
		}
	}
	for (i = 0; i < ARRAY_SIZE(odd_caps); i++) {
		r = hv_ioctl(fd, KVM_CHECK_EXTENSION, odd_caps[i]);
		EXPECT_EQ(0, r) TH_LOG("cap %#lx", odd_caps[i]);
	}
}

TEST(check_extension_sys)
{
	int fd;

	HV_OPEN_DEV_OR_SKIP(fd);
	check_extensions(_metadata, fd);
	close(fd);
}

TEST(check_extension_vm)
{
	int fd, vm;

	HV_OPEN_DEV_OR_SKIP(fd);
	vm = hv_create_vm(fd, 0);
	ASSERT_LE(0, vm);
	check_extensions(_metadata, vm);
	close(vm);
	close(fd);
}

/*
 * Unknown ioctls on the system fd: minihv says ENOTTY.  KVM says EINVAL
 * (kvm_arch_dev_ioctl()'s default case); that difference is deliberate
 * and documented.
 */
TEST(unknown_ioctl_sys)
{
	static const unsigned long reqs[] = {
		IOCTL_KVMIO_UNUSED, IOCTL_KVMIO_UNUSED_RW,
		IOCTL_FOREIGN, IOCTL_FOREIGN_R,
	};
	int expect = dev_is_kvm() ? -EINVAL : -ENOTTY;
	__u64 buf = 0;
	unsigned int i;
	int fd;

	HV_OPEN_DEV_OR_SKIP(fd);
	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		EXPECT_EQ(expect, hv_ioctl(fd, reqs[i], (unsigned long)&buf))
			TH_LOG("ioctl %#lx on %s", reqs[i], hv_dev_name());
	}
	EXPECT_EQ(KVM_API_VERSION, hv_ioctl(fd, KVM_GET_API_VERSION, 0));
	close(fd);
}

/* Unknown ioctls on a VM fd: ENOTTY on both. */
TEST(unknown_ioctl_vm)
{
	static const unsigned long reqs[] = {
		IOCTL_KVMIO_UNUSED, IOCTL_KVMIO_UNUSED_RW,
		IOCTL_FOREIGN, IOCTL_FOREIGN_R,
	};
	__u64 buf = 0;
	unsigned int i;
	int fd, vm;

	HV_OPEN_DEV_OR_SKIP(fd);
	vm = hv_create_vm(fd, 0);
	ASSERT_LE(0, vm);
	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		EXPECT_EQ(-ENOTTY, hv_ioctl(vm, reqs[i], (unsigned long)&buf))
			TH_LOG("ioctl %#lx", reqs[i]);
	}
	EXPECT_EQ(1, hv_ioctl(vm, KVM_CHECK_EXTENSION,
			      KVM_CAP_CHECK_EXTENSION_VM));
	close(vm);
	close(fd);
}

/* Only type 0 exists on x86 (kvm_arch_init_vm()); a bad type leaks nothing. */
TEST(create_vm_types)
{
	static const unsigned long bad[] = {
		1, 2, 3, 0xff, 0x80000000UL, 1UL << 32, 1UL << 63, -1UL,
	};
	unsigned int i;
	int fd, vm;

	HV_OPEN_DEV_OR_SKIP(fd);
	check_vm_state(_metadata, fd, 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, hv_create_vm(fd, bad[i]))
			TH_LOG("type %#lx", bad[i]);
		check_vm_state(_metadata, fd, 0);
	}
	vm = hv_create_vm(fd, 0);
	ASSERT_LE(0, vm);
	check_vm_state(_metadata, fd, 1);
	close(vm);
	check_vm_state(_metadata, fd, 0);
	close(fd);
}

TEST(vm_fd_is_cloexec)
{
	int fd, vm, flags;

	HV_OPEN_DEV_OR_SKIP(fd);
	vm = hv_create_vm(fd, 0);
	ASSERT_LE(0, vm);
	EXPECT_NE(fd, vm);
	flags = fcntl(vm, F_GETFD);
	ASSERT_LE(0, flags);
	EXPECT_TRUE(flags & FD_CLOEXEC);
	close(vm);
	close(fd);
}

TEST(vm_fd_survives_sys_close)
{
	int fd, vm;

	HV_OPEN_DEV_OR_SKIP(fd);
	vm = hv_create_vm(fd, 0);
	ASSERT_LE(0, vm);
	ASSERT_EQ(0, close(fd));

	EXPECT_EQ(1, hv_ioctl(vm, KVM_CHECK_EXTENSION,
			      KVM_CAP_CHECK_EXTENSION_VM));
	EXPECT_EQ(-ENOTTY, hv_ioctl(vm, IOCTL_KVMIO_UNUSED, 0));

	fd = hv_open_dev();
	ASSERT_LE(0, fd);
	check_vm_state(_metadata, fd, 1);
	close(vm);
	check_vm_state(_metadata, fd, 0);
	close(fd);
}

TEST(two_sys_fds)
{
	int fd1, fd2, vm1, vm2;

	HV_OPEN_DEV_OR_SKIP(fd1);
	fd2 = hv_open_dev();
	ASSERT_LE(0, fd2);
	vm1 = hv_create_vm(fd1, 0);
	ASSERT_LE(0, vm1);
	vm2 = hv_create_vm(fd2, 0);
	ASSERT_LE(0, vm2);
	check_vm_state(_metadata, fd1, 2);
	check_vm_state(_metadata, fd2, 2);
	close(fd1);
	close(vm1);
	check_vm_state(_metadata, fd2, 1);
	close(vm2);
	check_vm_state(_metadata, fd2, 0);
	close(fd2);
}

/*
 * Slow tests get a fixture only for TEST_F_TIMEOUT (emulated labs).
 *
 * They churn VM creation, which on KVM means hardware enable/disable IPIs
 * and a kvm-nx-lpage-recovery kthread per VM: in the SVM lab (QEMU TCG)
 * that soft-locks both guest CPUs within seconds, inside KVM, so these run
 * on minihv only.
 */
#define SLOW_SKIP_ON_KVM() do {						\
	if (dev_is_kvm() && getenv("lab") && !strcmp(getenv("lab"), "svm")) \
		SKIP(return, "VM churn soft-locks kvm_amd under TCG");	\
} while (0)
FIXTURE(slow) {
	int unused;
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, create_close_200, 300)
{
	int fd, vm, i;

	SLOW_SKIP_ON_KVM();
	HV_OPEN_DEV_OR_SKIP(fd);
	for (i = 0; i < 200; i++) {
		vm = hv_create_vm(fd, 0);
		ASSERT_LE(0, vm) TH_LOG("iteration %d", i);
		if (i % 20 == 0)
			check_vm_state(_metadata, fd, 1);
		ASSERT_EQ(0, close(vm));
		if (i % 20 == 0)
			check_vm_state(_metadata, fd, 0);
	}
	check_vm_state(_metadata, fd, 0);
	close(fd);
}

#define NR_OPEN_VMS	16

TEST_F_TIMEOUT(slow, sixteen_vms_shuffled_close, 300)
{
	unsigned int seed;
	int vms[NR_OPEN_VMS], order[NR_OPEN_VMS];
	int fd, i;

	SLOW_SKIP_ON_KVM();
	HV_OPEN_DEV_OR_SKIP(fd);
	for (seed = 1; seed <= 3; seed++) {
		for (i = 0; i < NR_OPEN_VMS; i++) {
			vms[i] = hv_create_vm(fd, 0);
			ASSERT_LE(0, vms[i]) TH_LOG("VM %d", i);
			check_vm_state(_metadata, fd, i + 1);
			order[i] = i;
		}
		/* Every VM fd is its own, working VM. */
		for (i = 0; i < NR_OPEN_VMS; i++) {
			EXPECT_EQ(1, hv_ioctl(vms[i], KVM_CHECK_EXTENSION,
					      KVM_CAP_CHECK_EXTENSION_VM));
		}
		shuffle(order, NR_OPEN_VMS, seed);
		for (i = 0; i < NR_OPEN_VMS; i++) {
			ASSERT_EQ(0, close(vms[order[i]]));
			check_vm_state(_metadata, fd, NR_OPEN_VMS - 1 - i);
		}
	}
	close(fd);
}

/* Concurrent creation: 4 threads, all VMs alive at one point, then churn. */
#define NR_THREADS	4
#define VMS_PER_THREAD	8
#define CHURN_ROUNDS	50

struct cthread {
	pthread_t tid;
	int sys_fd;
	int vms[VMS_PER_THREAD];
	int err;		/* first -errno seen, 0 if none */
	pthread_barrier_t *barrier;
};

static void *create_thread(void *arg)
{
	struct cthread *t = arg;
	int i, vm;

	for (i = 0; i < VMS_PER_THREAD; i++) {
		t->vms[i] = hv_create_vm(t->sys_fd, 0);
		if (t->vms[i] < 0 && !t->err)
			t->err = t->vms[i];
	}
	/* All VMs exist: let main look, then wait for it. */
	pthread_barrier_wait(t->barrier);
	pthread_barrier_wait(t->barrier);
	for (i = 0; i < VMS_PER_THREAD; i++)
		if (t->vms[i] >= 0)
			close(t->vms[i]);

	/* Churn: first-VM/last-VM transitions racing between threads. */
	pthread_barrier_wait(t->barrier);
	for (i = 0; i < CHURN_ROUNDS; i++) {
		vm = hv_create_vm(t->sys_fd, 0);
		if (vm < 0) {
			if (!t->err)
				t->err = vm;
			continue;
		}
		close(vm);
	}
	return NULL;
}

TEST_F_TIMEOUT(slow, concurrent_create, 300)
{
	struct cthread th[NR_THREADS];
	pthread_barrier_t barrier;
	int fd, i, vm;

	SLOW_SKIP_ON_KVM();
	HV_OPEN_DEV_OR_SKIP(fd);
	check_vm_state(_metadata, fd, 0);
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, NR_THREADS + 1));
	for (i = 0; i < NR_THREADS; i++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].sys_fd = fd;
		th[i].barrier = &barrier;
		ASSERT_EQ(0, pthread_create(&th[i].tid, NULL, create_thread,
					    &th[i]));
	}
	pthread_barrier_wait(&barrier);
	for (i = 0; i < NR_THREADS; i++) {
		EXPECT_EQ(0, th[i].err) TH_LOG("thread %d: %s", i,
					       strerror(-th[i].err));
	}
	/* Don't assert yet: the threads must be released first. */
	if (!dev_is_kvm()) {
		struct minihv_info info;

		EXPECT_EQ(0, hv_get_info(fd, &info));
		EXPECT_EQ(NR_THREADS * VMS_PER_THREAD, (int)info.vm_count);
		EXPECT_EQ(hv_online_cpus(), (int)info.enabled_cpus);
	}
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(th[i].tid, NULL);
		EXPECT_EQ(0, th[i].err) TH_LOG("thread %d: %s", i,
					       strerror(-th[i].err));
	}
	pthread_barrier_destroy(&barrier);
	check_vm_state(_metadata, fd, 0);

	/* After the races, hardware enabling still works everywhere. */
	vm = hv_create_vm(fd, 0);
	ASSERT_LE(0, vm);
	check_vm_state(_metadata, fd, 1);
	close(vm);
	check_vm_state(_metadata, fd, 0);
	close(fd);
}

/* ---------------------------------------------------------------- */
/* minihv-only: MINIHV_GET_INFO */

TEST(info_contents)
{
	unsigned int eax, ebx, ecx, edx;
	bool has_vmx, has_svm;
	struct minihv_info info;
	unsigned int i;
	int fd;

	HV_SKIP_ON_KVM("MINIHV_GET_INFO");
	HV_OPEN_DEV_OR_SKIP(fd);
	ASSERT_EQ(0, hv_get_info(fd, &info));
	EXPECT_EQ(MINIHV_INFO_VERSION, (int)info.version);
	for (i = 0; i < ARRAY_SIZE(info.reserved); i++) {
		EXPECT_EQ(0ULL, info.reserved[i]) TH_LOG("reserved[%u]", i);
	}

	__cpuid(1, eax, ebx, ecx, edx);
	has_vmx = ecx & (1u << 5);
	has_svm = false;
	if (__get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx))
		has_svm = ecx & (1u << 2);
	/* The module loaded, so the CPU has one of them. */
	ASSERT_TRUE(has_vmx || has_svm);

	if (info.vendor == MINIHV_VENDOR_SVM) {
		EXPECT_TRUE(has_svm);
		EXPECT_EQ(0U, info.vmcs_revision);
		EXPECT_FALSE(!!(info.flags & MINIHV_INFO_UG));
		__cpuid(0x8000000a, eax, ebx, ecx, edx);
		EXPECT_EQ(eax, info.svm_revision);
		EXPECT_EQ(!!(edx & (1u << 3)),
			  !!(info.flags & MINIHV_INFO_NRIPS));
		EXPECT_EQ(!!(edx & (1u << 7)),
			  !!(info.flags & MINIHV_INFO_DECODE));
		EXPECT_LE(info.nr_asids, ebx);
	} else {
		ASSERT_EQ(MINIHV_VENDOR_VMX, (int)info.vendor);
		EXPECT_TRUE(has_vmx);
		EXPECT_EQ(0U, info.svm_revision);
		EXPECT_NE(0U, info.vmcs_revision);
		EXPECT_EQ(0U, info.vmcs_revision & (1u << 31));
		EXPECT_FALSE(!!(info.flags & MINIHV_INFO_NRIPS));
		EXPECT_FALSE(!!(info.flags & MINIHV_INFO_DECODE));
	}
	EXPECT_EQ(!!(info.flags & MINIHV_INFO_VPID), info.nr_asids != 0);
	close(fd);
}

TEST(info_tracks_vms)
{
	int fd, vm1, vm2;

	HV_SKIP_ON_KVM("MINIHV_GET_INFO");
	HV_OPEN_DEV_OR_SKIP(fd);
	check_vm_state(_metadata, fd, 0);
	vm1 = hv_create_vm(fd, 0);
	ASSERT_LE(0, vm1);
	check_vm_state(_metadata, fd, 1);
	vm2 = hv_create_vm(fd, 0);
	ASSERT_LE(0, vm2);
	check_vm_state(_metadata, fd, 2);
	close(vm1);
	check_vm_state(_metadata, fd, 1);
	close(vm2);
	check_vm_state(_metadata, fd, 0);
	close(fd);
}

TEST(info_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct minihv_info info;
	char *p, *ro;
	int fd;

	HV_SKIP_ON_KVM("MINIHV_GET_INFO");
	HV_OPEN_DEV_OR_SKIP(fd);

	EXPECT_EQ(-EFAULT, hv_ioctl(fd, MINIHV_GET_INFO, 0));
	EXPECT_EQ(-EFAULT, hv_ioctl(fd, MINIHV_GET_INFO, 1));
	EXPECT_EQ(-EFAULT, hv_ioctl(fd, MINIHV_GET_INFO, -1UL));
	EXPECT_EQ(-EFAULT, hv_ioctl(fd, MINIHV_GET_INFO,
				    0xffffffff81000000UL));

	/* The struct straddles into an unmapped page. */
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + page, page));
	EXPECT_EQ(-EFAULT, hv_ioctl(fd, MINIHV_GET_INFO,
				    (unsigned long)(p + page - 8)));
	/* Fully inside the mapped page it works. */
	EXPECT_EQ(0, hv_ioctl(fd, MINIHV_GET_INFO,
			      (unsigned long)(p + page - sizeof(info))));
	munmap(p, page);

	/* Read-only memory cannot take the result. */
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, hv_ioctl(fd, MINIHV_GET_INFO, (unsigned long)ro));
	munmap(ro, page);

	/* Nothing was disturbed. */
	check_vm_state(_metadata, fd, 0);
	close(fd);
}

/* ---------------------------------------------------------------- */
/* The device node */

TEST(dev_node)
{
	const char *path = hv_dev_path();
	struct stat st;
	int fd;

	HV_OPEN_DEV_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	if (dev_is_kvm() && (st.st_mode & 07777) != 0600)
		SKIP(return, "%s mode %o: set by udev, not KVM", path,
		     st.st_mode & 07777);
	EXPECT_EQ(0600U, st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);
	EXPECT_EQ(0U, st.st_gid);
}

TEST(dev_eacces_unprivileged)
{
	const char *path = hv_dev_path();
	struct stat st;
	int fd, status;
	pid_t pid;

	HV_OPEN_DEV_OR_SKIP(fd);
	close(fd);
	if (geteuid() != 0)
		SKIP(return, "needs root to drop privileges");
	ASSERT_EQ(0, stat(path, &st));
	if (dev_is_kvm() && (st.st_mode & 0006))
		SKIP(return, "%s is world-accessible (mode %o)", path,
		     st.st_mode & 07777);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(100);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			_exit(101);
		_exit(errno == EACCES ? 0 : 102);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_NE(100, WEXITSTATUS(status)) TH_LOG("could not drop to 65534");
	EXPECT_NE(101, WEXITSTATUS(status)) TH_LOG("uid 65534 opened %s",
						   path);
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("open failed, not EACCES");
}

TEST_HARNESS_MAIN
