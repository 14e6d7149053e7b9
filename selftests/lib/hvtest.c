// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers for the minihv selftests: device selection and thin
 * errno-returning wrappers around the ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "lib/hvtest.h"

/* KVM's misc minor (KVM_MINOR in <linux/miscdevice.h>). */
#define KVM_MISC_MAJOR	10
#define KVM_MISC_MINOR	232

const char *hv_dev_path(void)
{
	const char *p = getenv("MINIHV_DEV");

	return p && *p ? p : HVTEST_DEFAULT_DEV;
}

bool dev_is_kvm(void)
{
	const char *path = hv_dev_path();
	const char *base = strrchr(path, '/');
	struct stat st;

	base = base ? base + 1 : path;
	if (!strcmp(base, "kvm"))
		return true;
	if (stat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
	    major(st.st_rdev) == KVM_MISC_MAJOR &&
	    minor(st.st_rdev) == KVM_MISC_MINOR)
		return true;
	return false;
}

const char *hv_dev_name(void)
{
	return dev_is_kvm() ? "kvm" : "minihv";
}

bool hv_dev_required(void)
{
	const char *p = getenv("MINIHV_REQUIRE_DEV");

	return p && !strcmp(p, "1");
}

int hv_open_path(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int hv_open_dev(void)
{
	return hv_open_path(hv_dev_path());
}

long hv_ioctl(int fd, unsigned long req, unsigned long arg)
{
	long r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

int hv_create_vm(int sys_fd, unsigned long type)
{
	return hv_ioctl(sys_fd, KVM_CREATE_VM, type);
}

int hv_get_info(int sys_fd, struct minihv_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	return hv_ioctl(sys_fd, MINIHV_GET_INFO, (unsigned long)info);
}

int hv_online_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

bool hv_path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
