// SPDX-License-Identifier: GPL-2.0
/*
 * sregs_test: bad segment and control-register state from userspace.
 *
 * KVM_SET_SREGS must refuse (EINVAL) the states KVM's kvm_is_valid_sregs()
 * refuses, on every device.  Other bad states (a data segment in CS, SS
 * and CS privilege mismatch, an unusable TR, a non-canonical base...) may
 * be refused, or accepted and then fail at entry (KVM_EXIT_FAIL_ENTRY),
 * be emulated, or end the guest (SHUTDOWN, INTERNAL_ERROR): the test
 * accepts any of those, never a host crash (the lab checks the kernel
 * log), and checks that the vCPU runs normally again once good state is
 * restored.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/harness.h"
#include "lib/guest.h"
#include "lib/hvtest.h"

GUEST_ASM(guest_halt, ".code64",
	"1: hlt\n"
	"jmp 1b\n");

#define CR0_PE	(1ULL << 0)
#define CR0_PG	(1ULL << 31)
#define CR4_PAE	(1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

static int set_sregs(struct gvcpu *v, struct kvm_sregs *s)
{
	return ioctl(v->fd, KVM_SET_SREGS, s) ? -errno : 0;
}

/*
 * States the CPU cannot run, that minihv refuses in KVM_SET_SREGS before
 * changing anything.  KVM 6.1 refuses only some of them (kvm_refuses),
 * possibly after applying part of the state, so on KVM each case gets a
 * fresh vCPU and only those are required to fail.
 */
#define NR_INVALID	6

static bool make_invalid(int which, struct kvm_sregs *s)
{
	switch (which) {
	case 0:
		s->cr0 &= ~CR0_PE;	/* paging without protection */
		return true;
	case 1:
		s->cr0 |= 1ULL << 40;	/* reserved CR0 bits */
		return true;
	case 2:
		s->cr4 &= ~CR4_PAE;	/* long mode without PAE */
		return false;
	case 3:
		s->cs.db = 1;		/* CS.L and CS.D together */
		return false;
	case 4:
		s->efer &= ~EFER_LMA;	/* LME and PG but not LMA */
		return false;
	default:
		/* a 64-bit code segment outside long mode */
		s->efer &= ~(EFER_LME | EFER_LMA);
		s->cr0 &= ~CR0_PG;
		return true;
	}
}

TEST(invalid_sregs_einval)
{
	struct kvm_sregs good, s;
	struct gvcpu *v;
	int i;

	for (i = 0; i < NR_INVALID; i++) {
		v = guest_create(GM_LONG64, guest_halt, guest_halt_end);
		gvcpu_get_sregs(v, &good);
		s = good;
		if (make_invalid(i, &s) || !dev_is_kvm()) {
			EXPECT_EQ(-EINVAL, set_sregs(v, &s)) {
				TH_LOG("case %d", i);
			}
		}

		/* minihv changed nothing: the vCPU is as it was. */
		if (!dev_is_kvm()) {
			gvcpu_get_sregs(v, &s);
			EXPECT_EQ(good.cr0, s.cr0);
			EXPECT_EQ(good.cr4, s.cr4);
			EXPECT_EQ(good.efer, s.efer);
			EXPECT_EQ(good.cs.db, s.cs.db);
			GUEST_RUN_EXPECT(v, KVM_EXIT_HLT);
		}
		guest_destroy(v);
	}
}

static void mangle(int which, struct kvm_sregs *s)
{
	switch (which) {
	case 0:
		s->cs.type = 3;			/* a data segment in CS */
		break;
	case 1:
		s->ss.dpl = 3;			/* SS.DPL != CS.DPL */
		break;
	case 2:
		s->tr.type = 9;			/* available, not busy, TSS */
		break;
	case 3:
		s->tr.unusable = 1;
		s->tr.present = 0;
		break;
	case 4:
		s->cs.present = 0;
		break;
	case 5:
		s->ldt.type = 5;		/* not an LDT */
		s->ldt.present = 1;
		s->ldt.unusable = 0;
		s->ldt.s = 0;
		break;
	case 6:
		s->ss.type = 0xb;		/* code segment in SS */
		break;
	case 7:
		s->cr0 &= ~CR0_PG;		/* LMA without paging */
		break;
	}
}

#define NR_MANGLE	8

/* May be refused or fail later, never hurts the host, and recoverable. */
TEST(bad_segments_refused_or_contained)
{
	struct gvcpu *v = guest_create(GM_LONG64, guest_halt, guest_halt_end);
	struct kvm_sregs good, s;
	int i, r;

	gvcpu_get_sregs(v, &good);
	for (i = 0; i < NR_MANGLE; i++) {
		s = good;
		mangle(i, &s);
		r = set_sregs(v, &s);
		if (r) {
			EXPECT_EQ(-EINVAL, r) TH_LOG("case %d", i);
		} else {
			uint32_t reason = gvcpu_run_exit(v);

			TH_LOG("case %d accepted: %s", i, gvcpu_exit_str(v));
			EXPECT_TRUE(reason == KVM_EXIT_FAIL_ENTRY ||
				    reason == KVM_EXIT_INTERNAL_ERROR ||
				    reason == KVM_EXIT_SHUTDOWN ||
				    reason == KVM_EXIT_HLT ||
				    reason == KVM_EXIT_IO) {
				TH_LOG("case %d: %s", i, gvcpu_exit_str(v));
			}
		}
		/* Good state back: the guest runs again. */
		ASSERT_EQ(0, set_sregs(v, &good)) TH_LOG("case %d", i);
		{
			struct kvm_regs regs;

			gvcpu_get_regs(v, &regs);
			regs.rip = GUEST_CODE_GPA;
			gvcpu_set_regs(v, &regs);
		}
		GUEST_RUN_EXPECT(v, KVM_EXIT_HLT);
	}
	guest_destroy(v);
}

TEST_HARNESS_MAIN
