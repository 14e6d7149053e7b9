// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_test: what a hostile guest or /dev/minihv user tries, one test
 * per attack (Documentation/security.rst lists them).
 *
 * Each test runs against /dev/minihv (nested and shadow paging) and, as
 * the differential, against /dev/kvm: a guest or an ioctl may end its own
 * VM (with a clear exit reason) but never hurt the host.  The lab judges
 * the host side: it must finish (no hang) with a clean kernel log (no
 * WARN, BUG, oops, slab corruption).  A test whose failure would hang the
 * host sets an alarm first, so that a hang shows as this test's failure
 * when only the vCPU thread is stuck.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "lib/harness.h"
#include "lib/apic.h"
#include "lib/guest.h"
#include "lib/hvtest.h"

/* ---- guest-visible CPU state: CR8, MSRs, intercepts (VMX and SVM) ---- */

#define GVS_PORT		0x10	/* the guests below report here */
#define GVS_MSR_STAR		0xc0000081
#define GVS_MSR_LSTAR		0xc0000082
#define GVS_MSR_CSTAR		0xc0000083
#define GVS_MSR_TSC_AUX		0xc0000103
#define GVS_NONCANONICAL	0x0000800000000000ULL

/* Run @v and expect the OUT to GVS_PORT; @regs gets the registers. */
static void gvs_run_port(struct __test_metadata *_metadata, struct gvcpu *v,
			 struct kvm_regs *regs)
{
	GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
	ASSERT_EQ(GVS_PORT, (int)v->run->io.port) {
		TH_LOG("got %s", gvcpu_exit_str(v));
	}
	gvcpu_get_regs(v, regs);
}

static uint64_t gvs_sregs_cr8(struct gvcpu *v)
{
	struct kvm_sregs sregs;

	gvcpu_get_sregs(v, &sregs);
	return sregs.cr8;
}

/*
 * The program.  With neither CR8 exiting nor a TPR shadow (VMX
 * before the fix), the MOV to CR8 wrote the host CPU's TPR: the host
 * took no interrupt any more and hung (the lab timed out).  The sleep
 * needs the host's timer.
 */
GUEST_ASM(gvs_cr8_15, ".code64",
	"mov $15, %rax\n"
	"mov %rax, %cr8\n"
	"out %al, $0x10\n"
	"hlt\n");

TEST(cr8_write_spares_host_tpr)
{
	struct gvcpu *v = guest_create(GM_LONG64, gvs_cr8_15, gvs_cr8_15_end);
	struct kvm_regs regs;

	alarm(20);
	gvs_run_port(_metadata, v, &regs);
	usleep(100 * 1000);
	alarm(0);
	guest_destroy(v);
}

/*
 * Without an in-kernel APIC, CR8 is kept per vCPU as KVM keeps it: the
 * guest reads back what it wrote, KVM_GET_SREGS and run->cr8 show it, a
 * lowered TPR exits to userspace (KVM_EXIT_SET_TPR), userspace's run->cr8
 * is the guest's CR8 at the next KVM_RUN (EINVAL if reserved bits are
 * set), and the guest's reserved bits 63:4 are #GP.
 */
GUEST_ASM(gvs_cr8_rw, ".code64",
	"mov $15, %rax\n"
	"mov %rax, %cr8\n"
	"mov %cr8, %rbx\n"
	"out %al, $0x10\n"
	"mov $3, %rax\n"
	"mov %rax, %cr8\n"
	"mov %cr8, %rbx\n"
	"out %al, $0x10\n"
	"mov %cr8, %rbx\n"
	"out %al, $0x10\n"
	"mov $0x10, %rax\n"
	"mov %rax, %cr8\n"
	"hlt\n");

TEST(cr8_without_apic)
{
	struct gvcpu *v = guest_create(GM_LONG64, gvs_cr8_rw, gvs_cr8_rw_end);
	struct kvm_regs regs;

	gvs_run_port(_metadata, v, &regs);
	EXPECT_EQ(15ULL, (uint64_t)regs.rbx);
	EXPECT_EQ(15ULL, (uint64_t)gvs_sregs_cr8(v));
	EXPECT_EQ(15ULL, (uint64_t)v->run->cr8);

	/* Lowered: userspace's PIC may have something to deliver now. */
	GUEST_RUN_EXPECT(v, KVM_EXIT_SET_TPR);
	EXPECT_EQ(3ULL, (uint64_t)v->run->cr8);
	gvs_run_port(_metadata, v, &regs);
	EXPECT_EQ(3ULL, (uint64_t)regs.rbx);
	EXPECT_EQ(3ULL, (uint64_t)gvs_sregs_cr8(v));

	/* run->cr8 is an input too. */
	v->run->cr8 = 0x10;
	EXPECT_EQ(-EINVAL, gvcpu_run(v));
	EXPECT_EQ(3ULL, (uint64_t)v->run->cr8);
	v->run->cr8 = 9;
	gvs_run_port(_metadata, v, &regs);
	EXPECT_EQ(9ULL, (uint64_t)regs.rbx);
	EXPECT_EQ(9ULL, (uint64_t)gvs_sregs_cr8(v));

	GUEST_RUN_EXPECT_EXC(v, GV_GP);
	EXPECT_EQ(9ULL, (uint64_t)gvs_sregs_cr8(v));
	guest_destroy(v);
}

/*
 * With the in-kernel APIC, CR8 is TPR[7:4]: a MOV to CR8 shows in the
 * APIC's TPR register (the guest's MMIO read, KVM_GET_LAPIC, sregs), and
 * a TPR written through the APIC page is what MOV from CR8 reads.
 */
GUEST_ASM(gvs_cr8_apic, ".code64",
	"mov $11, %rax\n"
	"mov %rax, %cr8\n"
	G_APIC_RD("0x80")
	"out %eax, $0x10\n"
	G_APIC_WR("0x80", "0x70")
	"mov %cr8, %rax\n"
	"out %eax, $0x10\n"
	"hlt\n");

TEST(cr8_is_apic_tpr)
{
	struct gvm *vm = apic_vm_create(gvs_cr8_apic, gvs_cr8_apic_end, false);
	struct gvcpu *v = apic_vcpu_create(vm, 0, GUEST_CODE_GPA);
	struct kvm_lapic_state lapic;
	struct kvm_regs regs;
	uint32_t tpr;

	gvs_run_port(_metadata, v, &regs);
	EXPECT_EQ(0xb0ULL, (uint64_t)(uint32_t)regs.rax);
	ASSERT_EQ(0, ioctl(v->fd, KVM_GET_LAPIC, &lapic));
	memcpy(&tpr, &lapic.regs[0x80], sizeof(tpr));
	EXPECT_EQ(0xb0ULL, (uint64_t)tpr);
	EXPECT_EQ(11ULL, (uint64_t)gvs_sregs_cr8(v));
	EXPECT_EQ(11ULL, (uint64_t)v->run->cr8);

	gvs_run_port(_metadata, v, &regs);
	EXPECT_EQ(7ULL, (uint64_t)(uint32_t)regs.rax);
	gvcpu_destroy(v);
	gvm_destroy(vm);
}

/* WRMSR RCX <- RDX:RAX, RDMSR it back, report on GVS_PORT. */
GUEST_ASM(gvs_wrmsr, ".code64",
	"wrmsr\n"
	"xor %eax, %eax\n"
	"xor %edx, %edx\n"
	"rdmsr\n"
	"out %al, $0x10\n"
	"hlt\n");

/*
 * The guest's WRMSR of @val to @index: the value it reads back, or -1 if
 * it took #GP (*@gp set).
 */
static uint64_t gvs_guest_wrmsr(struct __test_metadata *_metadata,
				uint32_t index, uint64_t val, bool *gp)
{
	struct gvcpu *v = guest_create(GM_LONG64, gvs_wrmsr, gvs_wrmsr_end);
	struct kvm_regs regs;
	uint64_t r = -1;

	gvcpu_get_regs(v, &regs);
	regs.rcx = index;
	regs.rax = (uint32_t)val;
	regs.rdx = val >> 32;
	gvcpu_set_regs(v, &regs);
	*gp = false;
	if (gvcpu_run_exit(v) == KVM_EXIT_IO && gvcpu_exc_vector(v) == GV_GP) {
		*gp = true;
	} else {
		EXPECT_EQ(GVS_PORT, (int)v->run->io.port) {
			TH_LOG("MSR %#x: %s", index, gvcpu_exit_str(v));
		}
		gvcpu_get_regs(v, &regs);
		r = (regs.rdx << 32) | (uint32_t)regs.rax;
	}
	guest_destroy(v);
	return r;
}

/* The guest's CPUID vendor is Intel, and it has RDTSCP. */
static void gvs_guest_cpu(bool *intel, bool *rdtscp)
{
	struct gvm *vm = gvm_create();
	struct kvm_cpuid2 *c = guest_supported_cpuid(vm->sys_fd);
	struct kvm_cpuid_entry2 *e;

	*intel = false;
	*rdtscp = false;
	if (c) {
		e = guest_cpuid_entry(c, 0, 0);
		*intel = e && e->ebx == 0x756e6547 && e->ecx == 0x6c65746e &&
			 e->edx == 0x49656e69;
		e = guest_cpuid_entry(c, 0x80000001, 0);
		*rdtscp = e && (e->edx & (1U << 27));
		free(c);
	}
	gvm_destroy(vm);
}

/*
 * The syscall MSRs and TSC_AUX are loaded into the CPU for the guest
 * (user-return MSRs): values the CPU would refuse never get there.  A
 * non-canonical LSTAR/CSTAR is #GP; TSC_AUX bits 63:32 are #GP for an
 * Intel guest and ignored otherwise (as KVM, following AMD CPUs).
 */
TEST(msr_uret_guest_reserved)
{
	bool gp, intel, rdtscp;
	uint64_t val;

	gvs_guest_cpu(&intel, &rdtscp);
	/*
	 * kvm_amd lets the guest write LSTAR/CSTAR itself (not intercepted):
	 * the CPU's #GP then, which QEMU's TCG (the SVM lab) does not raise.
	 */
	val = gvs_guest_wrmsr(_metadata, GVS_MSR_LSTAR, GVS_NONCANONICAL, &gp);
	if (!dev_is_kvm() || intel) {
		EXPECT_TRUE(gp) {
			TH_LOG("LSTAR %#llx read back",
			       (unsigned long long)val);
		}
	}
	val = gvs_guest_wrmsr(_metadata, GVS_MSR_CSTAR, GVS_NONCANONICAL, &gp);
	if (!dev_is_kvm() || intel) {
		EXPECT_TRUE(gp) {
			TH_LOG("CSTAR %#llx read back",
			       (unsigned long long)val);
		}
	}
	val = gvs_guest_wrmsr(_metadata, GVS_MSR_LSTAR, 0xffffffff81000000ULL,
			      &gp);
	EXPECT_FALSE(gp);
	EXPECT_EQ(0xffffffff81000000ULL, val);

	if (!rdtscp)
		SKIP(return, "no RDTSCP in the guest's CPUID: TSC_AUX is #GP anyway");
	val = gvs_guest_wrmsr(_metadata, GVS_MSR_TSC_AUX, 0x100000005ULL, &gp);
	if (intel) {
		EXPECT_TRUE(gp) {
			TH_LOG("TSC_AUX %#llx read back",
			       (unsigned long long)val);
		}
	} else {
		EXPECT_FALSE(gp);
		EXPECT_EQ(5ULL, (uint64_t)val);
	}
}

/* KVM_SET_MSRS of @n entries: its result. */
static int gvs_set_msrs(struct gvcpu *v, const struct kvm_msr_entry *e, int n)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[4];
	} m = { .hdr.nmsrs = n };

	memcpy(m.e, e, n * sizeof(*e));
	return ioctl(v->fd, KVM_SET_MSRS, &m);
}

/* KVM_SET_MSRS refuses the same values, stopping at the bad one. */
TEST(msr_uret_set_msrs_reserved)
{
	struct gvcpu *v = guest_create(GM_LONG64, gvs_wrmsr, gvs_wrmsr_end);
	const struct kvm_msr_entry e[] = {
		{ .index = GVS_MSR_STAR, .data = 0x0023001000000000ULL },
		{ .index = GVS_MSR_LSTAR, .data = GVS_NONCANONICAL },
		{ .index = GVS_MSR_CSTAR, .data = 0xffffffff81000000ULL },
	};
	const struct kvm_msr_entry aux = {
		.index = GVS_MSR_TSC_AUX, .data = 0x100000005ULL,
	};
	bool intel, rdtscp;
	uint64_t val;

	ASSERT_EQ(1, gvcpu_set_msr(v, GVS_MSR_LSTAR, 0xffffffff82000000ULL));
	EXPECT_EQ(1, gvs_set_msrs(v, e, 3));
	ASSERT_EQ(1, gvcpu_get_msr(v, GVS_MSR_STAR, &val));
	EXPECT_EQ(0x0023001000000000ULL, val);
	ASSERT_EQ(1, gvcpu_get_msr(v, GVS_MSR_LSTAR, &val));
	EXPECT_EQ(0xffffffff82000000ULL, val);
	ASSERT_EQ(1, gvcpu_get_msr(v, GVS_MSR_CSTAR, &val));
	EXPECT_EQ(0ULL, (uint64_t)val);
	EXPECT_EQ(0, gvs_set_msrs(v, &e[1], 1));

	gvs_guest_cpu(&intel, &rdtscp);
	if (!rdtscp) {
		guest_destroy(v);
		SKIP(return, "no RDTSCP: the host has no TSC_AUX to load");
	}
	if (intel) {
		EXPECT_EQ(0, gvs_set_msrs(v, &aux, 1));
	} else {
		EXPECT_EQ(1, gvs_set_msrs(v, &aux, 1));
		ASSERT_EQ(1, gvcpu_get_msr(v, GVS_MSR_TSC_AUX, &val));
		EXPECT_EQ(5ULL, (uint64_t)val);
	}
	guest_destroy(v);
}

/*
 * Instructions that would reach the host CPU unless intercepted: RDPMC
 * (the host's performance counters) is #GP, as KVM without a virtual PMU
 * (kvm_amd has one in the SVM lab: its guest reads a counter that never
 * counts); WBINVD (flushing the host's caches) completes as a NOP.
 */
GUEST_ASM(gvs_rdpmc, ".code64",
	"xor %ecx, %ecx\n"
	"rdpmc\n"
	"out %al, $0x10\n"
	"hlt\n");

GUEST_ASM(gvs_wbinvd, ".code64",
	"wbinvd\n"
	"mov $0x5a, %eax\n"
	"out %al, $0x10\n"
	"hlt\n");

TEST(rdpmc_wbinvd_intercepted)
{
	struct gvcpu *v = guest_create(GM_LONG64, gvs_rdpmc, gvs_rdpmc_end);
	struct kvm_regs regs;

	GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
	if (gvcpu_exc_vector(v) != GV_GP && dev_is_kvm()) {
		EXPECT_EQ(GVS_PORT, (int)v->run->io.port);
		TH_LOG("KVM has a virtual PMU: %s", gvcpu_exit_str(v));
	} else {
		EXPECT_EQ(GV_GP, gvcpu_exc_vector(v)) {
			TH_LOG("RDPMC: %s", gvcpu_exit_str(v));
		}
	}
	guest_destroy(v);

	v = guest_create(GM_LONG64, gvs_wbinvd, gvs_wbinvd_end);
	gvs_run_port(_metadata, v, &regs);
	EXPECT_EQ(0x5aULL, (uint64_t)(uint32_t)regs.rax);
	guest_destroy(v);
}

/*
 * MONITOR/MWAIT would arm and wait on the host CPU: #UD in the guest, as
 * Documentation/api.rst says.
 */
GUEST_ASM(gvs_monitor, ".code64",
	"mov $0x20000, %eax\n"
	"xor %ecx, %ecx\n"
	"xor %edx, %edx\n"
	"monitor\n"
	"out %al, $0x10\n"
	"hlt\n");

GUEST_ASM(gvs_mwait, ".code64",
	"xor %eax, %eax\n"
	"xor %ecx, %ecx\n"
	"mwait\n"
	"out %al, $0x10\n"
	"hlt\n");

TEST(monitor_mwait_ud)
{
	struct gvcpu *v;

	if (dev_is_kvm())
		SKIP(return, "KVM runs them as NOPs (KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS)");
	v = guest_create(GM_LONG64, gvs_monitor, gvs_monitor_end);
	GUEST_RUN_EXPECT_EXC(v, GV_UD);
	guest_destroy(v);
	v = guest_create(GM_LONG64, gvs_mwait, gvs_mwait_end);
	GUEST_RUN_EXPECT_EXC(v, GV_UD);
	guest_destroy(v);
}

#define GVS_VPID_MAX	"/sys/module/minihv/parameters/vpid_max"

/* Read or write minihv's vpid_max parameter: 0, or -1. */
static int gvs_vpid_max(const char *set, char *old, size_t len)
{
	int fd = open(GVS_VPID_MAX, O_RDWR);
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	if (old) {
		n = read(fd, old, len - 1);
		if (n > 0)
			old[n] = 0;
	}
	if (set && n >= 0)
		n = pwrite(fd, set, strlen(set), 0);
	close(fd);
	return n < 0 ? -1 : 0;
}

/*
 * VPID exhaustion: with the pool capped at one VPID (minihv's vpid_max),
 * the vCPUs past it run without VPID (VM entry refuses VPID 0 with
 * "enable VPID" on), as KVM does when it runs out.
 */
GUEST_ASM(gvs_vpid, ".code64",
	"mov $0x77, %eax\n"
	"out %al, $0x10\n"
	"hlt\n");

TEST(vpid_exhausted_vcpus_run)
{
	struct gvcpu *v[3];
	struct kvm_regs regs;
	struct gvm *vm;
	char old[32];
	int i;

	if (dev_is_kvm())
		SKIP(return, "vpid_max is a minihv (VMX) module parameter");
	if (gvs_vpid_max(NULL, old, sizeof(old)))
		SKIP(return, "no %s: not the VMX backend", GVS_VPID_MAX);
	ASSERT_EQ(0, gvs_vpid_max("1", NULL, 0));
	vm = gvm_create();
	gvm_load(vm, GUEST_CODE_GPA, gvs_vpid, gvs_vpid_end);
	for (i = 0; i < 3; i++)
		v[i] = gvcpu_create(vm, i, GM_LONG64);
	ASSERT_EQ(0, gvs_vpid_max(old, NULL, 0));
	for (i = 0; i < 3; i++) {
		gvs_run_port(_metadata, v[i], &regs);
		EXPECT_EQ(0x77ULL, (uint64_t)(uint32_t)regs.rax);
	}
	for (i = 0; i < 3; i++)
		gvcpu_destroy(v[i]);
	gvm_destroy(vm);
}

/*
 * Debug registers (item 8): the guest's DR0-3 and DR6 are its vCPU's, not
 * the host CPU's (VMX before the fix switched DR7 only and let MOV DR run:
 * a second VM read the first one's breakpoint addresses and DR6).  The
 * values survive exits with a breakpoint enabled (DR0-3 loaded around the
 * entry); DR6/DR7 keep their fixed bits (KVM's masks, BLD written as 1).
 */
#define GVS_DR0		0xffff800012345678ULL
#define GVS_DR1		0x00007fff12345678ULL

GUEST_ASM(gvs_dr_set, ".code64",
	"movabs $0xffff800012345678, %rax\n"
	"mov %rax, %dr0\n"
	"movabs $0x7fff12345678, %rax\n"
	"mov %rax, %dr1\n"
	"mov $0x20008, %eax\n"
	"mov %rax, %dr2\n"
	"mov $0x30010, %eax\n"
	"mov %rax, %dr3\n"
	"mov $0x4801, %eax\n"
	"mov %rax, %dr6\n"
	"mov $0x1, %eax\n"		/* L0: execution of GVS_DR0 */
	"mov %rax, %dr7\n"
	"out %al, $0x10\n"
	"mov %dr0, %rbx\n"
	"mov %dr1, %rcx\n"
	"mov %dr2, %rdx\n"
	"mov %dr3, %rsi\n"
	"mov %dr6, %rdi\n"
	"mov %dr7, %r8\n"
	"xor %eax, %eax\n"
	"mov %rax, %dr7\n"
	"out %al, $0x10\n"
	"hlt\n");

GUEST_ASM(gvs_dr_get, ".code64",
	"mov %dr0, %rbx\n"
	"mov %dr1, %rcx\n"
	"mov %dr2, %rdx\n"
	"mov %dr3, %rsi\n"
	"mov %dr6, %rdi\n"
	"mov %dr7, %r8\n"
	"out %al, $0x10\n"
	"hlt\n");

TEST(debug_registers_are_the_vcpus)
{
	struct gvcpu *v = guest_create(GM_LONG64, gvs_dr_set, gvs_dr_set_end);
	struct kvm_regs regs;

	gvs_run_port(_metadata, v, &regs);
	gvs_run_port(_metadata, v, &regs);
	EXPECT_EQ(GVS_DR0, regs.rbx);
	EXPECT_EQ(GVS_DR1, regs.rcx);
	EXPECT_EQ(0x20008ULL, regs.rdx);
	EXPECT_EQ(0x30010ULL, regs.rsi);
	EXPECT_EQ(0xffff4ff1ULL, regs.rdi);
	EXPECT_EQ(0x401ULL, regs.r8);
	guest_destroy(v);

	/* A fresh VM sees the reset values, not the previous guest's. */
	v = guest_create(GM_LONG64, gvs_dr_get, gvs_dr_get_end);
	gvs_run_port(_metadata, v, &regs);
	EXPECT_EQ(0ULL, regs.rbx);
	EXPECT_EQ(0ULL, regs.rcx);
	EXPECT_EQ(0ULL, regs.rdx);
	EXPECT_EQ(0ULL, regs.rsi);
	EXPECT_EQ(0xffff0ff0ULL, regs.rdi);
	EXPECT_EQ(0x400ULL, regs.r8);
	guest_destroy(v);
}

/*
 * What MOV DR checks: DR4/DR5 are DR6/DR7 unless CR4.DE (then #UD), a
 * DR6/DR7 value above 32 bits is #GP, and with DR7.GD the next access is
 * a #DB that sets DR6.BD and clears GD.
 */
GUEST_ASM(gvs_dr_alias, ".code64",
	"mov $0x4801, %eax\n"
	"mov %rax, %dr4\n"
	"mov %dr6, %rbx\n"
	"mov $0x300, %eax\n"		/* LE, GE: no breakpoint */
	"mov %rax, %dr5\n"
	"mov %dr7, %rcx\n"
	"mov %dr4, %rdx\n"
	"mov %dr5, %rsi\n"
	"out %al, $0x10\n"
	"hlt\n");

GUEST_ASM(gvs_dr_de, ".code64",
	"mov %cr4, %rax\n"
	"or $0x8, %rax\n"		/* CR4.DE */
	"mov %rax, %cr4\n"
	"mov %dr4, %rax\n"
	"out %al, $0x10\n"
	"hlt\n");

GUEST_ASM(gvs_dr7_high, ".code64",
	"mov $1, %eax\n"
	"shl $32, %rax\n"
	"mov %rax, %dr7\n"
	"out %al, $0x10\n"
	"hlt\n");

GUEST_ASM(gvs_dr6_high, ".code64",
	"mov $1, %eax\n"
	"shl $32, %rax\n"
	"mov %rax, %dr6\n"
	"out %al, $0x10\n"
	"hlt\n");

GUEST_ASM(gvs_dr_gd, ".code64",
	"mov $0x2000, %eax\n"		/* DR7.GD */
	"mov %rax, %dr7\n"
	"mov %dr0, %rax\n"
	"out %al, $0x10\n"
	"hlt\n"
	"gvs_dr_gd_after:\n"
	"mov %dr6, %rbx\n"
	"mov %dr7, %rcx\n"
	"out %al, $0x10\n"
	"hlt\n");
GUEST_LABEL(gvs_dr_gd_after);

TEST(debug_register_access_checks)
{
	struct gvcpu *v = guest_create(GM_LONG64, gvs_dr_alias,
				       gvs_dr_alias_end);
	struct kvm_regs regs;

	gvs_run_port(_metadata, v, &regs);
	EXPECT_EQ(0xffff4ff1ULL, regs.rbx);
	EXPECT_EQ(0x700ULL, regs.rcx);
	EXPECT_EQ(0xffff4ff1ULL, regs.rdx);
	EXPECT_EQ(0x700ULL, regs.rsi);
	guest_destroy(v);

	v = guest_create(GM_LONG64, gvs_dr_de, gvs_dr_de_end);
	GUEST_RUN_EXPECT_EXC(v, GV_UD);
	guest_destroy(v);
	v = guest_create(GM_LONG64, gvs_dr7_high, gvs_dr7_high_end);
	GUEST_RUN_EXPECT_EXC(v, GV_GP);
	guest_destroy(v);
	v = guest_create(GM_LONG64, gvs_dr6_high, gvs_dr6_high_end);
	GUEST_RUN_EXPECT_EXC(v, GV_GP);
	guest_destroy(v);

	v = guest_create(GM_LONG64, gvs_dr_gd, gvs_dr_gd_end);
	GUEST_RUN_EXPECT_EXC(v, GV_DB);
	gvcpu_get_regs(v, &regs);
	regs.rip = GUEST_CODE_GPA + (gvs_dr_gd_after - gvs_dr_gd);
	gvcpu_set_regs(v, &regs);
	gvs_run_port(_metadata, v, &regs);
	EXPECT_EQ(0xffff2ff0ULL, regs.rbx);	/* BD */
	EXPECT_EQ(0x400ULL, regs.rcx);		/* GD cleared */
	guest_destroy(v);
}

/*
 * Guest breakpoints still work: DR0-3 are in the CPU for an entry whose
 * DR7 enables one, and the #DB's DR6 (B0) is what the guest reads back.
 */
GUEST_ASM(gvs_dr_bp, ".code64",
	"lea gvs_dr_bp_at(%rip), %rax\n"
	"mov %rax, %dr0\n"
	"mov $0x1, %eax\n"		/* L0: execution */
	"mov %rax, %dr7\n"
	"nop\n"
	"gvs_dr_bp_at:\n"
	"nop\n"
	"out %al, $0x10\n"
	"hlt\n"
	"gvs_dr_bp_after:\n"
	"mov %dr6, %rbx\n"
	"xor %eax, %eax\n"
	"mov %rax, %dr7\n"
	"out %al, $0x10\n"
	"hlt\n");
GUEST_LABEL(gvs_dr_bp_at);
GUEST_LABEL(gvs_dr_bp_after);

TEST(debug_register_breakpoint_fires)
{
	struct gvcpu *v = guest_create(GM_LONG64, gvs_dr_bp, gvs_dr_bp_end);
	struct kvm_regs regs;

	GUEST_RUN_EXPECT_EXC(v, GV_DB);
	gvcpu_get_regs(v, &regs);
	EXPECT_EQ(GUEST_CODE_GPA + (gvs_dr_bp_at - gvs_dr_bp), regs.rcx);
	regs.rip = GUEST_CODE_GPA + (gvs_dr_bp_after - gvs_dr_bp);
	gvcpu_set_regs(v, &regs);
	gvs_run_port(_metadata, v, &regs);
	EXPECT_EQ(0xffff0ff1ULL, regs.rbx);	/* B0 */
	guest_destroy(v);
}

/* ---- ioctl input: FPU, sregs, memslots, timers ---- */

/* ---- backends: decoder, world switch, failed entry, triple fault ---- */

/* ---- speculative-execution mitigations ---- */

TEST_HARNESS_MAIN
