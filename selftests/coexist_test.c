// SPDX-License-Identifier: GPL-2.0
/*
 * coexist_test: minihv and KVM share one CPU feature (VMX or SVM).  Whoever
 * has a VM open holds it; the other one's KVM_CREATE_VM fails with EBUSY
 * (for KVM: hardware_enable_all() in 6.1 turns any per-CPU enable failure
 * into -EBUSY), and works again once the holder's last VM fd is closed.
 *
 * Needs both /dev/minihv ($MINIHV_DEV unless that is KVM) and /dev/kvm;
 * skips otherwise.  Assumes nobody else holds VMs while it runs.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/harness.h"

#define ROUNDS		5

struct both {
	int minihv;
	int kvm;
};

static const char *minihv_path(void)
{
	return dev_is_kvm() ? HVTEST_DEFAULT_DEV : hv_dev_path();
}

/* Open both system fds or return false after SKIP/FAIL. */
static bool open_both(struct __test_metadata *_metadata, struct both *b)
{
	b->minihv = hv_open_path(minihv_path());
	b->kvm = hv_open_path(HVTEST_KVM_DEV);
	if (b->minihv == -ENOENT || b->kvm == -ENOENT) {
		if (b->minihv >= 0)
			close(b->minihv);
		if (b->kvm >= 0)
			close(b->kvm);
		SKIP(return false, "needs %s and %s (%s missing)",
		     minihv_path(), HVTEST_KVM_DEV,
		     b->minihv == -ENOENT ? minihv_path() : HVTEST_KVM_DEV);
	}
	EXPECT_LE(0, b->minihv) TH_LOG("open %s: %s", minihv_path(),
				       strerror(-b->minihv));
	EXPECT_LE(0, b->kvm) TH_LOG("open %s: %s", HVTEST_KVM_DEV,
				    strerror(-b->kvm));
	return b->minihv >= 0 && b->kvm >= 0;
}

/* minihv's bookkeeping says @vms VMs and VMX/SVM held accordingly. */
static void check_minihv(struct __test_metadata *_metadata, int fd,
			 unsigned int vms)
{
	struct minihv_info info;

	ASSERT_EQ(0, hv_get_info(fd, &info));
	ASSERT_EQ(vms, info.vm_count);
	if (vms) {
		ASSERT_TRUE(!!(info.flags & MINIHV_INFO_HW_ENABLED));
		ASSERT_EQ(hv_online_cpus(), (int)info.enabled_cpus);
	} else {
		/* A refused KVM_CREATE_VM must roll back every CPU. */
		ASSERT_FALSE(!!(info.flags & MINIHV_INFO_HW_ENABLED));
		ASSERT_EQ(0U, info.enabled_cpus);
	}
}

static bool vm_alive(int vm)
{
	return hv_ioctl(vm, KVM_CHECK_EXTENSION,
			KVM_CAP_CHECK_EXTENSION_VM) == 1;
}

TEST(kvm_vm_blocks_minihv)
{
	struct both b;
	int kvm_vm, vm, i;

	if (!open_both(_metadata, &b))
		return;
	check_minihv(_metadata, b.minihv, 0);

	kvm_vm = hv_create_vm(b.kvm, 0);
	ASSERT_LE(0, kvm_vm) TH_LOG("KVM_CREATE_VM on kvm: %s",
				    strerror(-kvm_vm));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(-EBUSY, hv_create_vm(b.minihv, 0));
		check_minihv(_metadata, b.minihv, 0);
	}
	/* KVM's VM is unharmed by minihv's failed attempts. */
	EXPECT_TRUE(vm_alive(kvm_vm));

	ASSERT_EQ(0, close(kvm_vm));
	vm = hv_create_vm(b.minihv, 0);
	ASSERT_LE(0, vm) TH_LOG("after KVM's VM closed: %s", strerror(-vm));
	check_minihv(_metadata, b.minihv, 1);
	close(vm);
	check_minihv(_metadata, b.minihv, 0);
	close(b.minihv);
	close(b.kvm);
}

TEST(minihv_vm_blocks_kvm)
{
	struct both b;
	int kvm_vm, vm, i;

	if (!open_both(_metadata, &b))
		return;
	vm = hv_create_vm(b.minihv, 0);
	ASSERT_LE(0, vm) TH_LOG("KVM_CREATE_VM on minihv: %s", strerror(-vm));
	check_minihv(_metadata, b.minihv, 1);

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(-EBUSY, hv_create_vm(b.kvm, 0));
		/* KVM's failed enable must not have turned ours off. */
		check_minihv(_metadata, b.minihv, 1);
	}
	EXPECT_TRUE(vm_alive(vm));

	ASSERT_EQ(0, close(vm));
	check_minihv(_metadata, b.minihv, 0);
	kvm_vm = hv_create_vm(b.kvm, 0);
	ASSERT_LE(0, kvm_vm) TH_LOG("after minihv's VM closed: %s",
				    strerror(-kvm_vm));
	close(kvm_vm);
	close(b.minihv);
	close(b.kvm);
}

/* Ownership passes back and forth; several VMs per side each time. */
TEST(alternate_ownership)
{
	int vms[3], kvms[3];
	struct both b;
	int round, i;

	if (!open_both(_metadata, &b))
		return;
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < 3; i++) {
			vms[i] = hv_create_vm(b.minihv, 0);
			ASSERT_LE(0, vms[i]) TH_LOG("round %d", round);
		}
		EXPECT_EQ(-EBUSY, hv_create_vm(b.kvm, 0));
		/* Closing all but one keeps minihv the holder. */
		close(vms[0]);
		close(vms[2]);
		EXPECT_EQ(-EBUSY, hv_create_vm(b.kvm, 0));
		check_minihv(_metadata, b.minihv, 1);
		close(vms[1]);
		check_minihv(_metadata, b.minihv, 0);

		for (i = 0; i < 3; i++) {
			kvms[i] = hv_create_vm(b.kvm, 0);
			ASSERT_LE(0, kvms[i]) TH_LOG("round %d", round);
		}
		EXPECT_EQ(-EBUSY, hv_create_vm(b.minihv, 0));
		close(kvms[1]);
		close(kvms[0]);
		EXPECT_EQ(-EBUSY, hv_create_vm(b.minihv, 0));
		check_minihv(_metadata, b.minihv, 0);
		close(kvms[2]);
	}
	close(b.minihv);
	close(b.kvm);
}

TEST_HARNESS_MAIN
