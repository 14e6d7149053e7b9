// SPDX-License-Identifier: GPL-2.0
/*
 * hotplug_test: VMX/SVM follows CPU hotplug while a VM exists.
 *
 * With a VM open, minihv has VMX/SVM enabled on every online CPU.  A CPU taken
 * offline must be turned off (MINIHV_GET_INFO's enabled_cpus drops by
 * one), and turned on again when it comes back online; with no VM, a CPU
 * coming online stays off.  minihv only (the counts are minihv's); needs
 * root and a second CPU that can go offline.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/harness.h"
#include "lib/hvtest.h"

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

static int set_online(int on)
{
	int fd = open(CPU1_ONLINE, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, on ? "1" : "0", 1);
	close(fd);
	return n == 1 ? 0 : -errno;
}

static unsigned int enabled_cpus(struct __test_metadata *_metadata, int fd)
{
	struct minihv_info info;

	EXPECT_EQ(0, hv_get_info(fd, &info));
	return info.enabled_cpus;
}

TEST(cpu_offline_online)
{
	int fd, vm, n;

	HV_SKIP_ON_KVM("MINIHV_GET_INFO counts");
	HV_OPEN_DEV_OR_SKIP(fd);
	n = hv_online_cpus();
	if (n < 2 || access(CPU1_ONLINE, W_OK))
		SKIP(return, "needs a CPU 1 that can go offline");

	vm = hv_create_vm(fd, 0);
	ASSERT_LE(0, vm);
	EXPECT_EQ((unsigned int)n, enabled_cpus(_metadata, fd));

	ASSERT_EQ(0, set_online(0));
	EXPECT_EQ((unsigned int)n - 1, enabled_cpus(_metadata, fd));
	ASSERT_EQ(0, set_online(1));
	EXPECT_EQ((unsigned int)n, enabled_cpus(_metadata, fd));

	/* Without VMs, a CPU coming back stays off. */
	close(vm);
	EXPECT_EQ(0U, enabled_cpus(_metadata, fd));
	ASSERT_EQ(0, set_online(0));
	ASSERT_EQ(0, set_online(1));
	EXPECT_EQ(0U, enabled_cpus(_metadata, fd));

	/* And a VM created afterwards gets every CPU again. */
	vm = hv_create_vm(fd, 0);
	ASSERT_LE(0, vm);
	EXPECT_EQ((unsigned int)n, enabled_cpus(_metadata, fd));
	close(vm);
	close(fd);
}

TEST_HARNESS_MAIN
