// SPDX-License-Identifier: GPL-2.0
/*
 * memlock_test: guest memory is charged to RLIMIT_MEMLOCK.
 *
 * minihv pins a memory slot's pages when the slot is created and charges
 * them to the creator's locked-memory limit, so one user cannot take the
 * host's RAM (Documentation/api.rst).  A child that keeps an open
 * /dev/minihv fd, lowers its RLIMIT_MEMLOCK to 256 KiB and gives up root
 * (and with it CAP_IPC_LOCK) gets ENOMEM for a 1 MiB slot, but can add a
 * 128 KiB one, and the charge is returned when the slot is deleted.  KVM
 * pins nothing at slot creation: minihv only.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/harness.h"
#include "lib/hvtest.h"

#define LIMIT	(256 << 10)

static int set_slot(int vm, uint32_t slot, uint64_t gpa, uint64_t size,
		    void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

/* In the child: 0 if everything went as expected, else a step number. */
static int child(int sys_fd)
{
	struct rlimit rl = { LIMIT, LIMIT };
	void *big, *small;
	int vm;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) || setuid(65534))
		return 1;
	vm = ioctl(sys_fd, KVM_CREATE_VM, 0);
	if (vm < 0)
		return 2;
	big = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	small = mmap(NULL, 128 << 10, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (big == MAP_FAILED || small == MAP_FAILED)
		return 3;
	if (set_slot(vm, 0, 0, 1 << 20, big) != -ENOMEM)
		return 4;
	if (set_slot(vm, 1, 1 << 20, 128 << 10, small))
		return 5;
	/* 128 KiB charged: another 256 KiB does not fit... */
	if (set_slot(vm, 2, 2 << 20, 256 << 10, big) != -ENOMEM)
		return 6;
	/* ...until the first slot is deleted. */
	if (set_slot(vm, 1, 1 << 20, 0, small))
		return 7;
	if (set_slot(vm, 2, 2 << 20, 256 << 10, big))
		return 8;
	close(vm);
	return 0;
}

TEST(slot_charged_to_memlock)
{
	int fd, status;
	pid_t pid;

	HV_SKIP_ON_KVM("KVM does not pin slots at creation");
	HV_OPEN_DEV_OR_SKIP(fd);
	if (getuid() != 0)
		SKIP(return, "needs root to drop privileges");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(child(fd));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("the child failed at step %d", WEXITSTATUS(status));
	}
	close(fd);
}

TEST_HARNESS_MAIN
