// SPDX-License-Identifier: GPL-2.0
/*
 * stats_test: minihv's per-vCPU exit counters in debugfs,
 *
 *   /sys/kernel/debug/minihv/<pid>-<vmfd>/vcpu<N>/exits
 *
 * A guest makes a known sequence of exits (OUTs, CPUIDs, one HLT); the
 * counters must show exactly those, by name.  The counters are minihv's:
 * SKIP on /dev/kvm (KVM's debugfs has another layout).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

TEST_HARNESS_MAIN
