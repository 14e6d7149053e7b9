/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the minihv selftests.
 *
 * The same test binaries run against /dev/minihv and, as the KVM side of a
 * differential, against /dev/kvm.  The device is chosen with the
 * environment variable MINIHV_DEV (default /dev/minihv).  Checks that only
 * make sense for minihv (MINIHV_GET_INFO, ...) are skipped on KVM.
 *
 * All helpers return a negative errno on failure and never touch errno
 * semantics the caller relies on.
 */
#ifndef _HVTEST_H
#define _HVTEST_H

#include <stdbool.h>
#include <linux/kvm.h>
#include <minihv.h>

#define HVTEST_DEFAULT_DEV	"/dev/minihv"
#define HVTEST_KVM_DEV		"/dev/kvm"

/* Path of the device under test: $MINIHV_DEV or /dev/minihv. */
const char *hv_dev_path(void);

/* True if the device under test is KVM (by path or by its misc minor). */
bool dev_is_kvm(void);

/* Short name for messages: "kvm" or "minihv". */
const char *hv_dev_name(void);

/* open(path, O_RDWR | O_CLOEXEC): fd or -errno. */
int hv_open_path(const char *path);

/* Open the device under test: fd or -errno. */
int hv_open_dev(void);

/* ioctl() returning its result, or -errno on failure. */
long hv_ioctl(int fd, unsigned long req, unsigned long arg);

/* KVM_CREATE_VM: VM fd or -errno. */
int hv_create_vm(int sys_fd, unsigned long type);

/* MINIHV_GET_INFO into *info: 0 or -errno. */
int hv_get_info(int sys_fd, struct minihv_info *info);

/* Number of online CPUs, as minihv counts them. */
int hv_online_cpus(void);

/* True if @path exists (any type). */
bool hv_path_exists(const char *path);

/*
 * The macros below need kselftest_harness.h (they use _metadata); they are
 * only for use inside TEST()/TEST_F() bodies.
 */

/*
 * Open the device under test or end the test: SKIP if the node does not
 * exist (unless MINIHV_REQUIRE_DEV=1, as run.sh sets), FAIL otherwise.
 */
#define HV_OPEN_DEV_OR_SKIP(fd) do {					\
	(fd) = hv_open_dev();						\
	if ((fd) == -ENOENT && !hv_dev_required())			\
		SKIP(return, "%s does not exist", hv_dev_path());	\
	ASSERT_LE(0, (fd)) {						\
		TH_LOG("open(%s): %s", hv_dev_path(), strerror(-(fd)));	\
	}								\
} while (0)

/* SKIP the rest of the test when running against KVM. */
#define HV_SKIP_ON_KVM(why) do {					\
	if (dev_is_kvm())						\
		SKIP(return, "minihv-only: %s", why);			\
} while (0)

/* True if MINIHV_REQUIRE_DEV=1: a missing device is a failure. */
bool hv_dev_required(void);

#endif /* _HVTEST_H */
