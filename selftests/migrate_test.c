// SPDX-License-Identifier: GPL-2.0
/*
 * migrate_test: a vCPU survives its thread moving between host CPUs.
 *
 * The vCPU thread pins itself to CPU 0, 1, 0, ... after every exit (and
 * sometimes between KVM_RUNs without an exit), while the guest counts in
 * a register and reports each value with an OUT.  Every value must arrive
 * in order, with the guest's other registers intact: the hypervisor has to
 * move the vCPU's hardware state (VMCS / ASID, TLB tags) along with it.
 * Needs two online CPUs.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/harness.h"
#include "lib/guest.h"
#include "lib/hvtest.h"

#define PORT	0x80
#define ROUNDS	2000

GUEST_ASM(guest_count, ".code64",
	"xorl %ebx, %ebx\n"
	"movabsq $0x1122334455667788, %r12\n"
	"1: incl %ebx\n"
	"movl %ebx, %eax\n"
	"outl %eax, $0x80\n"
	"cmpq %r12, %r12\n"
	"jmp 1b\n");

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * A fixture only for TEST_F_TIMEOUT: 2000 migrations take longer than the
 * harness's default 30 s in the two-CPU Bochs lab, whose kernel boots with
 * slub_debug (every slab allocation of a migration checked and poisoned).
 */
FIXTURE(migrate) {
	int unused;
};

FIXTURE_SETUP(migrate)
{
}

FIXTURE_TEARDOWN(migrate)
{
}

TEST_F_TIMEOUT(migrate, flip_cpus, 180)
{
	struct kvm_regs regs;
	struct gvcpu *v;
	uint32_t i, val;

	if (hv_online_cpus() < 2)
		SKIP(return, "needs two CPUs");
	/*
	 * kvm_amd under QEMU TCG (the SVM lab) soft-locked both guest CPUs
	 * in this test (Documentation/labs.rst): the emulator's nested SVM,
	 * not the test; minihv runs it there, kvm_intel in vmx-smp.
	 */
	if (dev_is_kvm() && getenv("lab") && !strcmp(getenv("lab"), "svm"))
		SKIP(return, "kvm_amd soft-locks under TCG when vCPUs migrate");
	v = guest_create(GM_LONG64, guest_count, guest_count_end);
	for (i = 1; i <= ROUNDS; i++) {
		pin(i & 1);
		GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
		ASSERT_EQ(PORT, v->run->io.port);
		memcpy(&val, gvcpu_io_data(v), 4);
		ASSERT_EQ(i, val);
		if (i % 100 == 0) {
			gvcpu_get_regs(v, &regs);
			ASSERT_EQ(0x1122334455667788ULL, regs.r12);
			ASSERT_EQ(i, (uint32_t)regs.rbx);
		}
	}
	guest_destroy(v);
}

TEST_HARNESS_MAIN
