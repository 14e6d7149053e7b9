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
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

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

/* The lab's CPU (and so the guest's CPUID vendor) is AMD's. */
static bool gvs_host_is_amd(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	return b == 0x68747541;		/* "Auth" of AuthenticAMD */
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
 * (the host's performance counters) is #GP, as KVM without a virtual PMU,
 * except that an AMD guest always has the four legacy counters: kvm_amd
 * (a virtual PMU) reads them, minihv's SVM backend reads 0; WBINVD
 * (flushing the host's caches) completes as a NOP.
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
	if (gvcpu_exc_vector(v) != GV_GP && gvs_host_is_amd()) {
		gvcpu_get_regs(v, &regs);
		EXPECT_EQ(GVS_PORT, (int)v->run->io.port) {
			TH_LOG("RDPMC: %s", gvcpu_exit_str(v));
		}
		if (!dev_is_kvm()) {
			EXPECT_EQ(0ULL, (uint64_t)(uint32_t)regs.rax);
			EXPECT_EQ(0ULL, (uint64_t)(uint32_t)regs.rdx);
		}
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

	/*
	 * kvm_amd lets a guest's MOV DR run on the CPU once it has seen
	 * one, and QEMU 7.2's TCG, the SVM lab's CPU, has no DR7.GD.
	 */
	if (dev_is_kvm() && gvs_host_is_amd())
		SKIP(return, "DR7.GD: kvm_amd leaves it to the CPU, and QEMU's TCG has none");
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
	struct gvcpu *v;
	struct kvm_regs regs;

	/*
	 * minihv's SVM backend gives the guest its DR7 through the VMCB;
	 * QEMU 7.2's TCG, the SVM lab's CPU, arms breakpoints only on a MOV
	 * to DR7, not from the DR7 that VMRUN loads (hardware does).
	 */
	if (!dev_is_kvm() && gvs_host_is_amd())
		SKIP(return, "QEMU 7.2's TCG arms no breakpoint from the DR7 VMRUN loads");
	v = guest_create(GM_LONG64, gvs_dr_bp, gvs_dr_bp_end);
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

/*
 * Helpers of this section start with cm_.  Its includes are here, not at
 * the top, so that the sections merge cleanly.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <cpuid.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lib/apic.h"

#define CM_OUT_PORT	0x10
#define CM_FLAG_GPA	(GUEST_DATA_GPA + 0x100)	/* host -> guest: stop */
#define CM_MODE_GPA	(GUEST_DATA_GPA + 0x108)	/* host -> guest: scenario */

static uint64_t cm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * KVM_SET_FPU with every MXCSR bit set, reserved ones included.  KVM
 * ignores MXCSR there (and KVM_GET_FPU reports 0): the guest keeps its
 * MXCSR (0x1f80 after reset).  minihv used to copy it into the guest's
 * FXSAVE image, and the kernel's FXRSTOR/XRSTOR of it at KVM_RUN faulted:
 * a WARN ("Bad FPU state detected") in the host's log on CPUs that check
 * reserved MXCSR bits (Bochs, real hardware; not QEMU TCG, where the
 * guest then read the bad value back).
 */
GUEST_ASM(cm_guest_stmxcsr, ".code64",
	"stmxcsr 0x20000\n"
	"movl 0x20000, %eax\n"
	"outl %eax, $0x10\n"
	"hlt\n");

TEST(fpu_set_mxcsr_reserved_bits)
{
	struct gvcpu *v = guest_create(GM_LONG64, cm_guest_stmxcsr,
				       cm_guest_stmxcsr_end);
	struct kvm_fpu fpu;
	uint32_t mxcsr = 0;

	ASSERT_EQ(0, ioctl(v->fd, KVM_GET_FPU, &fpu));
	EXPECT_EQ(0U, fpu.mxcsr) {
		TH_LOG("KVM_GET_FPU does not report MXCSR (KVM: 0)");
	}
	fpu.mxcsr = 0xffffffff;
	fpu.pad2 = 0xffffffff;
	ASSERT_EQ(0, ioctl(v->fd, KVM_SET_FPU, &fpu));
	memset(&fpu, 0, sizeof(fpu));
	ASSERT_EQ(0, ioctl(v->fd, KVM_GET_FPU, &fpu));
	EXPECT_EQ(0U, fpu.mxcsr);
	ASSERT_EQ(0, gvcpu_run_out(v, CM_OUT_PORT, &mxcsr)) {
		TH_LOG("%s", gvcpu_exit_str(v));
	}
	EXPECT_EQ(0x1f80U, mxcsr) {
		TH_LOG("the guest's MXCSR is %#x after KVM_SET_FPU", mxcsr);
	}
	ASSERT_EQ(0, ioctl(v->fd, KVM_GET_FPU, &fpu));
	EXPECT_EQ(0U, fpu.mxcsr);
	guest_destroy(v);
}

/*
 * Guest memory read by an ioctl while another thread deletes the slot:
 * KVM_SET_SREGS with PAE paging loads the PDPTEs from CR3 (VMX), and so
 * does the SIPI that KVM_GET_MP_STATE accepts (it rewrites CS through
 * the same path).  minihv read them without vm->slots_lock: a slot
 * deleted meanwhile was read after it was freed.  The race is caught by
 * the lab kernel's slab poisoning (slub_debug=FZPU) and its log check;
 * this test only makes it likely (1.5 s of both) and checks the answers.
 */
#define CM_PDPT_GPA	0x100000UL
#define CM_PDPT_SIZE	0x10000UL

struct cm_flip {
	struct gvm *vm;
	void *hva;
	int stop;		/* __atomic */
	long flips;
	int err;
};

static void *cm_slot_flipper(void *arg)
{
	struct cm_flip *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED)) {
		f->err = gvm_set_region(f->vm, 1, 0, CM_PDPT_GPA, 0, f->hva);
		if (f->err)
			break;
		f->err = gvm_set_region(f->vm, 1, 0, CM_PDPT_GPA,
					CM_PDPT_SIZE, f->hva);
		if (f->err)
			break;
		f->flips++;
	}
	return NULL;
}

TEST(sregs_pdptrs_vs_slot_delete)
{
	struct cm_flip f = { 0 };
	struct kvm_sregs sr;
	struct kvm_mp_state mp;
	struct gvcpu *v;
	uint64_t *pdpt, t_end;
	long rounds = 0;
	pthread_t th;
	int i, r;

	f.vm = gvm_create();
	ASSERT_EQ(0, apic_enable_split(f.vm));
	f.hva = gvm_add_slot(f.vm, 1, CM_PDPT_GPA, CM_PDPT_SIZE, 0);
	pdpt = f.hva;
	for (i = 0; i < 4; i++)	/* present, each a page directory */
		pdpt[i] = (GUEST_PD_GPA + 0x1000 * i) | 1;
	v = gvcpu_create(f.vm, 0, GM_PROT32);
	gvcpu_get_sregs(v, &sr);
	sr.cr0 |= 0x80000000UL;		/* PG */
	sr.cr4 |= 0x20;			/* PAE */
	sr.cr3 = CM_PDPT_GPA;
	ASSERT_EQ(0, ioctl(v->fd, KVM_SET_SREGS, &sr));

	ASSERT_EQ(0, pthread_create(&th, NULL, cm_slot_flipper, &f));
	t_end = cm_now_ns() + 1500000000ULL;
	while (cm_now_ns() < t_end) {
		r = ioctl(v->fd, KVM_SET_SREGS, &sr);
		if (r)
			break;
		mp.mp_state = KVM_MP_STATE_SIPI_RECEIVED;
		r = ioctl(v->fd, KVM_SET_MP_STATE, &mp);
		if (r)
			break;
		/* Accepts the SIPI: CS is rewritten, PDPTEs reloaded. */
		r = ioctl(v->fd, KVM_GET_MP_STATE, &mp);
		if (r || mp.mp_state != KVM_MP_STATE_RUNNABLE)
			break;
		rounds++;
	}
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	EXPECT_EQ(0, r) {
		TH_LOG("round %ld: %s", rounds, strerror(errno));
	}
	EXPECT_EQ((uint32_t)KVM_MP_STATE_RUNNABLE, mp.mp_state);
	EXPECT_EQ(0, f.err) {
		TH_LOG("slot change %ld: %s", f.flips, strerror(-f.err));
	}
	EXPECT_LT(0, rounds);
	EXPECT_LT(0, f.flips);
	TH_LOG("%ld KVM_SET_SREGS + SIPI rounds, %ld slot delete/add", rounds,
	       f.flips);
	gvcpu_destroy(v);
	gvm_destroy(f.vm);
}

/*
 * RLIMIT_MEMLOCK comes before any allocation that grows with a slot.
 * An unprivileged child with a 256 KiB limit asks for slots over
 * reserved, unbacked address space (PROT_NONE, MAP_NORESERVE): 64 GiB
 * (minihv's array of pinned pages would be 128 MiB), then, with dirty
 * logging, as much as the guest's physical address width allows, up to
 * 1 TiB (a 32 MiB log).  minihv: ENOMEM at once, and the memory the
 * kernel charged to the child's memory cgroup (memory.peak) stays small.
 * KVM pins nothing at slot creation: it accepts both slots (one after
 * the other, at GPA 0: KVM refuses a slot beyond MAXPHYADDR), and its
 * per-slot metadata (the dirty log, rmaps) is real for a slot that
 * exists, so on KVM the slots are 4 GiB and the peak is only logged.
 * Host-wide, MemAvailable and Slab come back (within 64 and 8 MiB: a
 * memory cgroup's own memory lingers).
 */
#define CM_CG_ROOT	"/sys/fs/cgroup"

static int cm_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -errno;
	close(fd);
	return r;
}

static long long cm_read_ll(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoll(buf) : -1;
}

/* A memory cgroup of our own: its path, or NULL (none here). */
static const char *cm_cgroup_make(bool *mounted)
{
	static char path[96];

	*mounted = false;
	if (access(CM_CG_ROOT "/cgroup.controllers", F_OK)) {
		if (mount("none", CM_CG_ROOT, "cgroup2", 0, NULL))
			return NULL;
		*mounted = true;
	}
	cm_write_file(CM_CG_ROOT "/cgroup.subtree_control", "+memory");
	snprintf(path, sizeof(path), CM_CG_ROOT "/hostile-%d", getpid());
	if (mkdir(path, 0755) && errno != EEXIST)
		return NULL;
	return path;
}

static void cm_cgroup_drop(const char *path, bool mounted)
{
	if (path)
		rmdir(path);
	if (mounted)
		umount(CM_CG_ROOT);
}

static int cm_set_slot(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		       uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

/* The child: 0 if the answers were right, else a step number. */
static int cm_memlock_child(int sys_fd, const char *cg, bool kvm)
{
	struct rlimit rl = { 256 << 10, 256 << 10 };
	uint64_t big = 64ULL << 30, huge = 1ULL << 40;
	unsigned int eax, ebx, ecx, edx;
	char procs[128];
	void *hva;
	int vm, want;

	/* The slots stay below MAXPHYADDR, for KVM. */
	if (__get_cpuid(0x80000008, &eax, &ebx, &ecx, &edx) &&
	    (eax & 0xff) < 40)
		huge = 1ULL << (eax & 0xff);
	if (big > huge)
		big = huge;
	/*
	 * KVM's per-slot metadata (rmaps, write tracking, the dirty log)
	 * is allocated for the slot it accepts, and grows with it: these
	 * sizes ran the VMX lab (768 MiB) out of memory under kvm_intel.
	 * KVM gets 4 GiB slots.
	 */
	if (kvm)
		big = huge = 4ULL << 30;

	if (cg) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		if (cm_write_file(procs, "0"))
			return 1;
	}
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) || setuid(65534))
		return 2;
	vm = ioctl(sys_fd, KVM_CREATE_VM, 0);
	if (vm < 0)
		return 3;
	hva = mmap(NULL, 1ULL << 40, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (hva == MAP_FAILED)
		return 4;
	want = kvm ? 0 : -ENOMEM;
	if (cm_set_slot(vm, 0, 0, 0, big, hva) != want)
		return 5;
	if (kvm && cm_set_slot(vm, 0, 0, 0, 0, hva))
		return 6;
	if (cm_set_slot(vm, 1, KVM_MEM_LOG_DIRTY_PAGES, 0, huge, hva) != want)
		return 7;
	close(vm);
	munmap(hva, 1ULL << 40);
	return 0;
}

static long long cm_meminfo_kb(const char *key)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atoll(line + strlen(key));
	fclose(f);
	return v;
}

TEST(slot_memlock_checked_before_allocating)
{
	long long avail0, slab0, avail1, slab1, peak = -1;
	char peak_path[128];
	const char *cg;
	bool mounted;
	int fd, status;
	pid_t pid;

	HV_OPEN_DEV_OR_SKIP(fd);
	if (getuid() != 0)
		SKIP(return, "needs root to drop privileges");
	cg = cm_cgroup_make(&mounted);
	avail0 = cm_meminfo_kb("MemAvailable:");
	slab0 = cm_meminfo_kb("Slab:");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(cm_memlock_child(fd, cg, dev_is_kvm()));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	avail1 = cm_meminfo_kb("MemAvailable:");
	slab1 = cm_meminfo_kb("Slab:");
	if (cg) {
		snprintf(peak_path, sizeof(peak_path), "%s/memory.peak", cg);
		peak = cm_read_ll(peak_path);
	}
	cm_cgroup_drop(cg, mounted);
	close(fd);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("the child failed at step %d", WEXITSTATUS(status));
	}
	TH_LOG("memory.peak of the child's cgroup: %lld KiB; MemAvailable %+lld KiB, Slab %+lld KiB",
	       peak < 0 ? -1 : peak >> 10, avail1 - avail0, slab1 - slab0);
	EXPECT_GT(64LL << 10, avail0 - avail1);
	EXPECT_GT(8LL << 10, slab1 - slab0);
	if (dev_is_kvm())
		return;
	if (peak < 0)
		TH_LOG("no memory cgroup here: the transient peak is not measured");
	else
		EXPECT_GT(8LL << 20, peak);
}

/*
 * The periodic APIC timer never runs faster than once per 200 us (KVM's
 * min_timer_period_us), whichever way it was armed: the guest writes
 * TMICT = 1 with divide-by-1 in periodic mode (mode 0); a one-shot of
 * 100 us is switched to periodic before it fires (mode 1: minihv kept
 * the one-shot's 100 us as the period, and its timer callback re-armed
 * itself at that rate, as fast as 1 ns for a one-shot of TMICT = 1 that
 * the guest caught in time); userspace arms it with KVM_SET_LAPIC (mode
 * 2).  Mode 1 is a race (the switch must come before the one-shot
 * fires): the guest retries it, and once it won, samples TMCCT after the
 * first expiry: a count above 100000 shows a period above 100 us.  Then
 * the guest counts its timer interrupts with IF=1 until the host sets a
 * flag, 40 ms later; the count may not exceed the expiries a 200 us
 * period allows in the time KVM_RUN took (plus a quarter, for the
 * occasional double delivery of QEMU TCG's nested SVM under kvm_amd,
 * and 2).  (QEMU TCG's own timers are slower than that: there the rate
 * check passes either way, the TMCCT one does not.)
 */
#define CM_TIMER_VEC	"0x40"
#define CM_MIN_PERIOD_NS 200000ULL
#define CM_ONESHOT	100000U
#define CM_TMCCT_GPA	(GUEST_DATA_GPA + 0x10)

GUEST_ASM(cm_guest_timer, ".code64",
	G_APIC_ON
	"cmpl $2, 0x20108\n je 5f\n"
	G_APIC_WR("0x3e0", "0xb")		/* divide by 1 */
	"cmpl $1, 0x20108\n je 2f\n"
	G_APIC_WR("0x320", "0x20040")		/* periodic */
	G_APIC_WR("0x380", "1")
	"jmp 5f\n"
	/* A one-shot of 100 us, periodic before it fires (retried). */
	"2: xorl %r12d, %r12d\n"
	"3: " G_APIC_WR("0x320", "0x40")
	G_APIC_WR("0x380", "100000")
	G_APIC_WR("0x320", "0x20040")
	G_APIC_RD("0x390")
	"testl %eax, %eax\n jnz 4f\n"
	G_APIC_WR("0x380", "0")
	"incl %r12d\n cmpl $100, %r12d\n jb 3b\n"
	"movl %r12d, %eax\n outl %eax, $0x11\n hlt\n"
	/*
	 * Won: after the first expiry, the highest of 1024 TMCCT reads,
	 * with IF=0 (no interrupt handler between an expiry and a read).
	 */
	"4: movl %r12d, 0x20014\n sti\n"
	"7: pause\n" G_COUNT(CM_TIMER_VEC) "testq %rax, %rax\n jz 7b\n"
	"cli\n xorl %r13d, %r13d\n movl $1024, %r14d\n"
	"8: " G_APIC_RD("0x390")
	"cmpl %r13d, %eax\n jbe 9f\n movl %eax, %r13d\n"
	"9: decl %r14d\n jnz 8b\n"
	"movl %r13d, 0x20010\n"
	/* Count until the host says stop. */
	"5: sti\n"
	"6: pause\n cmpl $0, 0x20100\n je 6b\n"
	"cli\n"
	G_APIC_WR("0x380", "0")
	G_COUNT(CM_TIMER_VEC)
	"outl %eax, $0x10\n hlt\n");

struct cm_stop {
	struct gvm *vm;
	unsigned int ms;
};

static void *cm_stopper(void *arg)
{
	struct cm_stop *s = arg;

	usleep(s->ms * 1000);
	gvm_write32(s->vm, CM_FLAG_GPA, 1);
	return NULL;
}

FIXTURE(cm_timer) {
	struct gvcpu *v;
};

FIXTURE_VARIANT(cm_timer) {
	uint32_t mode;
};

FIXTURE_VARIANT_ADD(cm_timer, periodic_tmict_1) {
	.mode = 0,
};

FIXTURE_VARIANT_ADD(cm_timer, oneshot_to_periodic) {
	.mode = 1,
};

FIXTURE_VARIANT_ADD(cm_timer, set_lapic_tmict_1) {
	.mode = 2,
};

FIXTURE_SETUP(cm_timer)
{
	struct gvm *vm = apic_vm_create(cm_guest_timer, cm_guest_timer_end,
					true);

	self->v = apic_vcpu_create(vm, 0, GUEST_CODE_GPA);
	gvm_write32(vm, CM_MODE_GPA, variant->mode);
}

FIXTURE_TEARDOWN(cm_timer)
{
	guest_destroy(self->v);
}

TEST_F_TIMEOUT(cm_timer, periodic_min_period, 60)
{
	struct cm_stop stop = { self->v->vm, 40 };
	uint64_t t0, ns, max;
	uint32_t n = 0;
	pthread_t th;

	if (variant->mode == 2) {
		struct kvm_lapic_state s;
		uint32_t *r = (uint32_t *)s.regs;

		ASSERT_EQ(0, ioctl(self->v->fd, KVM_GET_LAPIC, &s));
		r[0xf0 / 4] = 0x1ff;		/* SVR: enabled */
		r[0x3e0 / 4] = 0xb;		/* divide by 1 */
		r[0x320 / 4] = 0x20040;		/* periodic */
		r[0x380 / 4] = 1;		/* TMICT */
		ASSERT_EQ(0, ioctl(self->v->fd, KVM_SET_LAPIC, &s));
	}
	ASSERT_EQ(0, pthread_create(&th, NULL, cm_stopper, &stop));
	t0 = cm_now_ns();
	if (gvcpu_run_out(self->v, CM_OUT_PORT, &n)) {
		uint32_t tries = 0;

		pthread_join(th, NULL);
		if (self->v->run->exit_reason == KVM_EXIT_IO &&
		    self->v->run->io.port == 0x11) {
			memcpy(&tries, gvcpu_io_data(self->v), 4);
			SKIP(return, "the 100 us one-shot fired before the guest's next APIC write, %u times: this lab's exits are too slow",
			     tries);
		}
		ASSERT_TRUE(false) {
			TH_LOG("%s", gvcpu_exit_str(self->v));
		}
	}
	ns = cm_now_ns() - t0;
	pthread_join(th, NULL);
	max = ns / CM_MIN_PERIOD_NS;
	max += max / 4 + 2;
	TH_LOG("%u timer interrupts in %llu us (at most %llu allowed)", n,
	       (unsigned long long)(ns / 1000), (unsigned long long)max);
	EXPECT_LE(n, max);
	/* It did tick periodically. */
	EXPECT_LE(2U, n);
	if (variant->mode == 1) {
		uint32_t tmcct = gvm_read32(self->v->vm, CM_TMCCT_GPA);

		TH_LOG("highest TMCCT after the first expiry: %u (%u lost races)",
		       tmcct, gvm_read32(self->v->vm, CM_TMCCT_GPA + 4));
		EXPECT_LT(CM_ONESHOT, tmcct) {
			TH_LOG("the period stayed the one-shot's %u ns",
			       CM_ONESHOT);
		}
	}
}

/*
 * TSC-deadline mode: deadlines anywhere in the 64-bit range.  minihv
 * turned (deadline - TSC) into nanoseconds with a 64-by-32 multiply and a
 * 128-by-64 divide whose quotient overflows when the TSC runs below
 * 1 GHz (a divide error in the host: Bochs' TSC is 100 MHz) and otherwise
 * gave a time past KTIME_MAX, which wrapped to "now".  Far deadlines
 * (2^63 - 1, 2^63, 2^64 - 2, 2^64 - 1) never fire within the test; then a
 * deadline in the past (1) fires at once and reads back 0.
 */
#define CM_DL_VEC	"0x41"

/* Write IA32_TSC_DEADLINE = %rax (clobbers rcx, rdx). */
#define CM_G_DEADLINE							\
	"movq %rax, %rdx\n shrq $32, %rdx\n movl $0x6e0, %ecx\n wrmsr\n"

/* Spin about 2M TSC cycles with IF=1 (clobbers rax, rdx, r12). */
#define CM_G_SPIN(l)							\
	"rdtsc\n shlq $32, %rdx\n orq %rdx, %rax\n"			\
	"leaq 2000000(%rax), %r12\n sti\n"				\
	l ": pause\n rdtsc\n shlq $32, %rdx\n orq %rdx, %rax\n"	\
	"cmpq %r12, %rax\n jb " l "b\n cli\n"

GUEST_ASM(cm_guest_deadline, ".code64",
	G_APIC_ON
	G_APIC_WR("0x320", "0x40041")		/* TSC-deadline mode */
	"movq $0x7fffffffffffffff, %rax\n" CM_G_DEADLINE CM_G_SPIN("1")
	"movq $0x8000000000000000, %rax\n" CM_G_DEADLINE CM_G_SPIN("2")
	"movq $-2, %rax\n" CM_G_DEADLINE CM_G_SPIN("3")
	"movq $-1, %rax\n" CM_G_DEADLINE CM_G_SPIN("4")
	/* Read back: still armed. */
	"movl $0x6e0, %ecx\n rdmsr\n shlq $32, %rdx\n orq %rdx, %rax\n"
	"movq %rax, 0x20000\n"
	G_COUNT(CM_DL_VEC)
	"outl %eax, $0x10\n"
	/* In the past: at once. */
	"movl $1, %eax\n" CM_G_DEADLINE
	"sti\n"
	"movl $1000000, %r12d\n"
	"5: " G_COUNT(CM_DL_VEC)
	"testq %rax, %rax\n jnz 6f\n pause\n decl %r12d\n jnz 5b\n"
	"6: cli\n"
	"movl $0x6e0, %ecx\n rdmsr\n shlq $32, %rdx\n orq %rdx, %rax\n"
	"movq %rax, 0x20008\n"
	G_COUNT(CM_DL_VEC)
	"outl %eax, $0x10\n hlt\n");

TEST(tsc_deadline_extremes)
{
	struct gvm *vm = apic_vm_create(cm_guest_deadline,
					cm_guest_deadline_end, true);
	struct gvcpu *v = apic_vcpu_create(vm, 0, GUEST_CODE_GPA);
	uint32_t n = ~0U;

	ASSERT_EQ(0, gvcpu_run_out(v, CM_OUT_PORT, &n)) {
		TH_LOG("%s", gvcpu_exit_str(v));
	}
	EXPECT_EQ(0U, n) {
		TH_LOG("a deadline near 2^63 or 2^64 fired");
	}
	EXPECT_EQ(~0ULL, gvm_read64(vm, GUEST_DATA_GPA));
	ASSERT_EQ(0, gvcpu_run_out(v, CM_OUT_PORT, &n)) {
		TH_LOG("%s", gvcpu_exit_str(v));
	}
	EXPECT_EQ(1U, n) {
		TH_LOG("a deadline in the past did not fire at once");
	}
	EXPECT_EQ(0ULL, gvm_read64(vm, GUEST_DATA_GPA + 8));
	guest_destroy(v);
}


/* ---- backends: decoder, world switch, failed entry, triple fault ---- */

/*
 * Guest physical pages these tests use in the guest data area (slot 0,
 * identity mapped): a page table, two code pages, tables.
 */
#define SVMB_PT_GPA		(GUEST_DATA_GPA + 0x0000)
#define SVMB_P1_GPA		(GUEST_DATA_GPA + 0x1000)
#define SVMB_P2_GPA		(GUEST_DATA_GPA + 0x2000)
#define SVMB_PD32_GPA		(GUEST_DATA_GPA + 0x3000)
#define SVMB_IDTR_GPA		(GUEST_DATA_GPA + 0x4000)
#define SVMB_HOT_LA		0x40000000UL	/* mapped by SVMB_PT_GPA */
#define SVMB_MMIO_GPA		0xc0000000UL	/* identity mapped, no slot */
#define SVMB_UNMAPPED_LA	0x100000000UL	/* above the 4 GiB mapped */
#define SVMB_DONE_PORT		0xe4
#define SVMB_DONE_VAL		0x5a

#define SVMB_CR0_PG		(1ULL << 31)
#define SVMB_CR4_PSE		(1ULL << 4)
#define SVMB_EFER_LME		(1ULL << 8)
#define SVMB_EFER_LMA		(1ULL << 10)
#define SVMB_MSR_EFER		0xc0000080

/* Did the guest write SVMB_DONE_VAL to SVMB_DONE_PORT? */
static bool svmb_done(struct gvcpu *v)
{
	struct kvm_run *r = v->run;

	return r->exit_reason == KVM_EXIT_IO &&
	       r->io.direction == KVM_EXIT_IO_OUT &&
	       r->io.port == SVMB_DONE_PORT && r->io.size == 1 &&
	       *(uint8_t *)gvcpu_io_data(v) == SVMB_DONE_VAL;
}

/* Is @flag in the host's /proc/cpuinfo flags? */
static bool svmb_host_has(const char *flag)
{
	char line[4096], want[64];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return true;	/* cannot tell: as if it had it */
	snprintf(want, sizeof(want), " %s", flag);
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, "flags", 5))
			continue;
		for (p = strstr(line, want); p; p = strstr(p + 1, want)) {
			char end = p[strlen(want)];

			if (end == ' ' || end == '\n' || end == '\0') {
				found = true;
				break;
			}
		}
		break;
	}
	fclose(f);
	return found;
}

/*
 * A CR4 bit whose feature the host CPU does not have (so the guest's
 * CPUID, a subset, does not have it either), 0 if there is none.
 */
static uint64_t svmb_unsupported_cr4_bit(void)
{
	static const struct {
		const char *flag;
		uint64_t bit;
	} c[] = {
		{ "fsgsbase", 1ULL << 16 },
		{ "smap", 1ULL << 21 },
		{ "smep", 1ULL << 20 },
		{ "xsave", 1ULL << 18 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (!svmb_host_has(c[i].flag))
			return c[i].bit;
	return 0;
}

/*
 * The state userspace reads back is a 64-bit guest's of guest_create():
 * RIP in its code or exception stubs, RSP on its stack, its segments and
 * tables.  Logs what is not.
 */
static bool svmb_guest_state64(struct __test_metadata *_metadata,
			       struct gvcpu *v, size_t code_len)
{
	uint64_t stack = GUEST_STACK_TOP(0);
	struct kvm_sregs s;
	struct kvm_regs r;
	bool ok = true;

	gvcpu_get_regs(v, &r);
	gvcpu_get_sregs(v, &s);
	if (!(r.rip >= GUEST_CODE_GPA && r.rip <= GUEST_CODE_GPA + code_len) &&
	    !(r.rip >= GUEST_STUB64_GPA && r.rip < GUEST_STUB64_GPA + 0x800)) {
		TH_LOG("RIP 0x%llx is not the guest's", r.rip);
		ok = false;
	}
	if (r.rsp > stack || r.rsp < stack - 0x2000) {
		TH_LOG("RSP 0x%llx is not the guest's", r.rsp);
		ok = false;
	}
	if (s.cs.selector != GUEST_SEL_CODE64 || s.ss.selector != GUEST_SEL_DATA ||
	    s.gdt.base != GUEST_GDT_GPA || s.idt.base != GUEST_IDT64_GPA ||
	    s.cr3 != GUEST_PML4_GPA || !(s.efer & SVMB_EFER_LMA)) {
		TH_LOG("sregs not the guest's: cs %#x ss %#x gdt %#llx idt %#llx cr3 %#llx efer %#llx",
		       s.cs.selector, s.ss.selector, s.gdt.base, s.idt.base,
		       s.cr3, s.efer);
		ok = false;
	}
	return ok;
}

GUEST_ASM(svmb_cr4_guest, ".code64",
	"mov %cr4, %rax\n"
	"or %rdi, %rax\n"
	"mov %rax, %cr4\n"
	"mov $0x5a, %al\n"
	"out %al, $0xe4\n"
	"hlt\n");

/*
 * Item 14: a guest sets a CR4 bit its CPU does not have.  KVM: #GP.
 * minihv: #GP too, or (what it did with npt=0) a failed entry, but then
 * with the guest's registers: it used to hand out the module's RIP.
 */
TEST(failed_entry_guest_cr4_bit)
{
	uint64_t bit = svmb_unsupported_cr4_bit();
	struct kvm_regs regs;
	struct gvcpu *v;
	uint32_t reason;

	if (!bit)
		SKIP(return, "the host CPU has every CR4 feature tried");
	v = guest_create(GM_LONG64, svmb_cr4_guest, svmb_cr4_guest_end);
	gvcpu_get_regs(v, &regs);
	regs.rdi = bit;
	gvcpu_set_regs(v, &regs);
	reason = gvcpu_run_exit(v);
	EXPECT_TRUE(gvcpu_exc_vector(v) == GV_GP ||
		    reason == KVM_EXIT_FAIL_ENTRY) {
		TH_LOG("CR4 bit %#llx: want #GP or a failed entry, got %s",
		       (unsigned long long)bit, gvcpu_exit_str(v));
	}
	EXPECT_TRUE(svmb_guest_state64(_metadata, v,
				       svmb_cr4_guest_end - svmb_cr4_guest));
	guest_destroy(v);
}

GUEST_ASM(svmb_done_guest64, ".code64",
	"mov $0x5a, %al\n"
	"out %al, $0xe4\n"
	"hlt\n");

/*
 * Item 14, from userspace: KVM_SET_SREGS with that CR4 bit.  KVM says
 * EINVAL; if a device took it, the entry fails, and what KVM_GET_REGS and
 * KVM_GET_SREGS give back must still be the guest's.
 */
TEST(failed_entry_sregs_cr4_bit)
{
	uint64_t bit = svmb_unsupported_cr4_bit();
	struct kvm_sregs s;
	struct gvcpu *v;
	uint32_t reason;
	int r;

	if (!bit)
		SKIP(return, "the host CPU has every CR4 feature tried");
	v = guest_create(GM_LONG64, svmb_done_guest64, svmb_done_guest64_end);
	gvcpu_get_sregs(v, &s);
	s.cr4 |= bit;
	r = ioctl(v->fd, KVM_SET_SREGS, &s);
	if (r) {
		EXPECT_EQ(EINVAL, errno);
		gvcpu_get_sregs(v, &s);
		EXPECT_EQ(0ULL, (unsigned long long)(s.cr4 & bit));
	}
	reason = gvcpu_run_exit(v);
	EXPECT_TRUE(r ? svmb_done(v) : reason == KVM_EXIT_FAIL_ENTRY) {
		TH_LOG("CR4 %s: got %s", r ? "refused" : "taken",
		       gvcpu_exit_str(v));
	}
	EXPECT_TRUE(svmb_guest_state64(_metadata, v, svmb_done_guest64_end -
				       svmb_done_guest64));
	guest_destroy(v);
}

GUEST_ASM(svmb_done_guest32, ".code32",
	"mov $0x5a, %al\n"
	"out %al, $0xe4\n"
	"hlt\n");

/*
 * Item 14, the failed entry itself: a 32-bit guest with non-PAE paging
 * on, then KVM_SET_MSRS of EFER.LME (a host write, which KVM and minihv
 * take while paging is on).  EFER.LME with CR0.PG and no CR4.PAE is a
 * state VMRUN refuses; VMX enters it with LME dropped (KVM) or refuses
 * it.  Whatever the device does, the registers read back are the ones
 * it was given.
 */
TEST(failed_entry_keeps_guest_registers)
{
	uint32_t *pd;
	struct kvm_sregs s;
	struct kvm_regs regs;
	struct gvcpu *v;
	uint32_t reason, i;
	bool ok;

	v = guest_create(GM_PROT32, svmb_done_guest32, svmb_done_guest32_end);
	pd = gvm_hva(v->vm, SVMB_PD32_GPA);
	for (i = 0; i < 1024; i++)
		pd[i] = (i << 22) | 0x83;	/* 4 MiB, present, writable */
	gvcpu_get_sregs(v, &s);
	s.cr3 = SVMB_PD32_GPA;
	s.cr4 |= SVMB_CR4_PSE;
	s.cr0 |= SVMB_CR0_PG;
	gvcpu_set_sregs(v, &s);
	if (gvcpu_set_msr(v, SVMB_MSR_EFER, SVMB_EFER_LME) != 1) {
		/* Refused: nothing can fail then; it must still run. */
		GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
		EXPECT_TRUE(svmb_done(v));
		guest_destroy(v);
		return;
	}
	reason = gvcpu_run_exit(v);
	EXPECT_TRUE(svmb_done(v) || reason == KVM_EXIT_FAIL_ENTRY) {
		TH_LOG("got %s", gvcpu_exit_str(v));
	}
	if (reason != KVM_EXIT_FAIL_ENTRY) {
		guest_destroy(v);
		return;
	}
	gvcpu_get_regs(v, &regs);
	gvcpu_get_sregs(v, &s);
	ok = regs.rip == GUEST_CODE_GPA && regs.rsp == GUEST_STACK_TOP(0) &&
	     regs.rflags == 2 && s.cs.selector == GUEST_SEL_CODE32 &&
	     s.ss.selector == GUEST_SEL_DATA && s.cr3 == SVMB_PD32_GPA &&
	     s.gdt.base == GUEST_GDT_GPA && s.idt.base == GUEST_IDT32_GPA &&
	     (s.cr0 & SVMB_CR0_PG);
	if (!ok && dev_is_kvm() && svmb_host_has("svm")) {
		guest_destroy(v);
		/*
		 * kvm_amd reads RAX/RSP/RIP back from the VMCB after every
		 * exit, VMEXIT_INVALID included, and QEMU's TCG (this lab)
		 * stores its host state there then: KVM cannot pass this.
		 */
		SKIP(return, "kvm_amd under QEMU TCG reads the failed VMRUN's host state back");
	}
	EXPECT_TRUE(ok) {
		TH_LOG("after the failed entry: rip %#llx rsp %#llx rflags %#llx cs %#x ss %#x cr0 %#llx cr3 %#llx gdt %#llx idt %#llx",
		       regs.rip, regs.rsp, regs.rflags, s.cs.selector,
		       s.ss.selector, s.cr0, s.cr3, s.gdt.base, s.idt.base);
	}
	guest_destroy(v);
}

/*
 * After a failed entry the host's interrupts still end the guest.  A vCPU
 * in real mode with CR3 bits 63:32 set, which KVM and minihv take (CR3 is
 * 32 bits outside long mode) and QEMU's TCG refuses in VMRUN before it
 * loads int_ctl: it then writes its own int_ctl, 0, into the VMCB, and
 * without V_INTR_MASKING the next guest's RFLAGS.IF masks the host's
 * interrupts.  Then a guest spins with IF=0: a signal one second on must
 * end KVM_RUN (EINTR), so the tick and the kick IPI reached the host.
 * minihv used to keep that CPU in the guest until RCU's stall NMI, 21 s
 * on (found by the fuzzer).  Wherever the first entry does not fail, the
 * same spin is checked.
 */
GUEST_ASM(svmb_cli_spin, ".code64",
	"cli\n"		/* the same bytes in 16-bit code */
	"1: jmp 1b\n");

static void svmb_on_alarm(int sig)
{
	(void)sig;
}

/* KVM_RUN with SIGALRM in @secs: its result and errno, timed. */
static int svmb_run_alarm(struct gvcpu *v, unsigned int secs, int *err,
			  double *took)
{
	struct sigaction sa = { .sa_handler = svmb_on_alarm };
	uint64_t t0;
	int r;

	sigaction(SIGALRM, &sa, NULL);
	t0 = cm_now_ns();
	alarm(secs);
	r = ioctl(v->fd, KVM_RUN, 0);
	*err = errno;
	alarm(0);
	*took = (cm_now_ns() - t0) / 1e9;
	return r;
}

TEST(failed_entry_keeps_host_interrupts)
{
	struct kvm_sregs good, bad;
	struct kvm_regs regs;
	struct gvcpu *v;
	double took;
	int r, err;

	if (!svmb_host_has("svm"))
		SKIP(return, "SVM's int_ctl (VMX's external-interrupt exiting is a VMCS control no entry changes)");
	if (dev_is_kvm())
		SKIP(return, "kvm_amd keeps the int_ctl that QEMU's TCG writes back after a failed VMRUN: the lab's CPU would stay in the guest");
	v = guest_create(GM_LONG64, svmb_cli_spin, svmb_cli_spin_end);
	gvcpu_get_sregs(v, &good);
	gvcpu_get_regs(v, &regs);
	gvcpu_set_mode(v, GM_REAL, GUEST_CODE_GPA);
	gvcpu_get_sregs(v, &bad);
	bad.cr3 = 0x4afad41710f08cdbULL;
	ASSERT_EQ(0, ioctl(v->fd, KVM_SET_SREGS, &bad));
	r = svmb_run_alarm(v, 1, &err, &took);
	EXPECT_TRUE(r == 0 ? v->run->exit_reason == KVM_EXIT_FAIL_ENTRY :
			     err == EINTR) {
		TH_LOG("real mode, high CR3: %s (%s)", gvcpu_exit_str(v),
		       r ? strerror(err) : "run returned 0");
	}
	gvcpu_set_sregs(v, &good);
	gvcpu_set_regs(v, &regs);
	r = svmb_run_alarm(v, 1, &err, &took);
	EXPECT_EQ(-1, r) {
		TH_LOG("the spinning guest exited: %s", gvcpu_exit_str(v));
	}
	EXPECT_EQ(EINTR, err);
	/* One second, plus a lab's slowness; never RCU's 21 s stall. */
	EXPECT_LT(took, 10.0) {
		TH_LOG("KVM_RUN took %.1f s to see the signal", took);
	}
	guest_destroy(v);
}

/*
 * A vCPU thread that never leaves KVM_RUN still gets RLIMIT_CPU
 * (and the POSIX CPU-time timers), which the tick hands to task work that
 * runs on the way back to userspace (TIF_NOTIFY_RESUME).  KVM runs that
 * work inside its run loop; minihv returns -EINTR for it (as for a
 * signal), and the work runs on the way out.  The guest makes exits the
 * kernel handles itself (CPUID), so the thread never goes back to
 * userspace on its own.  A child with a 1 s soft, 2 s hard limit must be
 * gone (SIGXCPU, or SIGKILL) well before 20 s.
 */
GUEST_ASM(rlim_cpuid_loop, ".code64",
	"1: xorl %eax, %eax\n"
	"cpuid\n"
	"jmp 1b\n");

static void rlim_child(void)
{
	struct rlimit rl = { .rlim_cur = 1, .rlim_max = 2 };
	struct gvcpu *v = guest_create(GM_LONG64, rlim_cpuid_loop,
				       rlim_cpuid_loop_end);

	if (setrlimit(RLIMIT_CPU, &rl))
		_exit(2);
	for (;;)		/* KVM_RUN returns only for the task work */
		if (ioctl(v->fd, KVM_RUN, 0) && errno != EINTR)
			_exit(3);
}

TEST(rlimit_cpu_stops_a_vcpu)
{
	double t0 = cm_now_ns(), took;
	int status, fd;
	pid_t pid, r;

	HV_OPEN_DEV_OR_SKIP(fd);
	close(fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		rlim_child();
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 &&
	       cm_now_ns() - t0 < 20e9)
		usleep(50000);
	took = (cm_now_ns() - t0) / 1e9;
	if (r == 0) {
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		TH_LOG("the vCPU was still running after %.1f s with RLIMIT_CPU 1 s",
		       took);
	}
	EXPECT_NE(0, r);
	ASSERT_TRUE(WIFSIGNALED(status)) {
		TH_LOG("the child exited with %d", WEXITSTATUS(status));
	}
	if (r)
		EXPECT_TRUE(WTERMSIG(status) == SIGXCPU ||
			    WTERMSIG(status) == SIGKILL) {
			TH_LOG("the child died of signal %d after %.1f s",
			       WTERMSIG(status), took);
		}
}

/*
 * Item 10: the instruction the shadow-paging decoder fetches is not the
 * one the CPU ran.  The guest maps SVMB_HOT_LA to page P1 (4 KiB page
 * table), runs P1's instruction once, then points the entry to P2 without
 * INVLPG (the TLB may keep P1: the architecture allows either) and runs
 * it again.  With npt=0 the CPU runs P1's (a MOV CR or an INVLPG:
 * intercepted) and minihv's decoder reads P2's: more than 15 bytes, the
 * prefixes or the displacement running past the decoder's old 19-byte
 * buffer.  The guest must see what a CPU gives: P1's instruction done, or
 * #GP for P2's length.  Never an emulation failure, never a host fault.
 */
GUEST_ASM(svmb_dec_guest, ".code64",
	"mov %cr4, %rax\n"
	"call *%rbx\n"
	"mov %rsi, (%rdi)\n"
	"call *%rbx\n"
	"mov $0x5a, %al\n"
	"out %al, $0xe4\n"
	"hlt\n");

TEST(shadow_decoder_bytes_rewritten)
{
	static const uint8_t mov_cr4[] = { 0x0f, 0x22, 0xe0, 0xc3 };
	static const uint8_t invlpg[] = { 0x0f, 0x01, 0x3b, 0xc3 };
	/* 13 prefixes + MOV CR4, RAX: 16 bytes. */
	static const uint8_t long_mov_cr4[] = {
		0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
		0x3e, 0x3e, 0x3e, 0x0f, 0x22, 0xe0, 0xc3,
	};
	/* 12 prefixes + INVLPG [rsp + disp32] (ModRM, SIB): 20 bytes. */
	static const uint8_t long_invlpg[] = {
		0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
		0x3e, 0x3e, 0x0f, 0x01, 0xbc, 0x24, 0x00, 0x00, 0x00, 0x40,
		0xc3,
	};
	static const struct {
		const char *name;
		const uint8_t *p1, *p2;
		size_t len1, len2;
	} c[] = {
		{ "mov cr4", mov_cr4, long_mov_cr4, sizeof(mov_cr4),
		  sizeof(long_mov_cr4) },
		{ "invlpg", invlpg, long_invlpg, sizeof(invlpg),
		  sizeof(long_invlpg) },
	};
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct kvm_regs regs;
		struct gvcpu *v;

		v = guest_create(GM_LONG64, svmb_dec_guest, svmb_dec_guest_end);
		/* The 1-2 GiB PD's first entry: a page table. */
		gvm_write64(v->vm, GUEST_PD_GPA + 0x1000, SVMB_PT_GPA | 3);
		gvm_write64(v->vm, SVMB_PT_GPA, SVMB_P1_GPA | 3);
		gvm_write(v->vm, SVMB_P1_GPA, c[i].p1, c[i].len1);
		gvm_write(v->vm, SVMB_P2_GPA, c[i].p2, c[i].len2);
		gvcpu_get_regs(v, &regs);
		regs.rbx = SVMB_HOT_LA;
		regs.rdi = SVMB_PT_GPA;
		regs.rsi = SVMB_P2_GPA | 3;
		gvcpu_set_regs(v, &regs);
		gvcpu_run_exit(v);
		EXPECT_TRUE(svmb_done(v) || gvcpu_exc_vector(v) == GV_GP) {
			TH_LOG("%s: want done or #GP, got %s", c[i].name,
			       gvcpu_exit_str(v));
		}
		guest_destroy(v);
	}
}

/*
 * Item 13: a triple fault that minihv's software finds, with nested
 * paging as with shadow paging.  The IDT is on MMIO (identity mapped, no
 * slot) and the guest jumps to an unmapped address: the #PF's delivery
 * reads the IDT, an MMIO exit, where the emulator's fetch of the
 * instruction faults: a #PF during the #PF's delivery, a #DF; the same
 * again during the #DF's, a triple fault: KVM_EXIT_SHUTDOWN.  With nested
 * paging minihv set a flag only its shadow paging read, and the guest
 * looped.  kvm_intel reports MMIO during an event's delivery as an
 * internal error (KVM_INTERNAL_ERROR_DELIVERY_EV) instead.
 */
GUEST_ASM(svmb_tf_guest, ".code64",
	"lidt (%rdi)\n"
	"jmp *%rbx\n");

static void svmb_set_idtr(struct gvcpu *v, uint16_t limit, uint64_t base)
{
	gvm_write(v->vm, SVMB_IDTR_GPA, &limit, 2);
	gvm_write64(v->vm, SVMB_IDTR_GPA + 2, base);
}

TEST(triple_fault_in_emulation)
{
	struct kvm_regs regs;
	struct gvcpu *v;
	uint32_t reason;

	/*
	 * kvm_amd (6.1) re-enters this guest forever: the run only ends
	 * with the harness's timeout, as minihv's did with nested paging.
	 */
	if (dev_is_kvm() && svmb_host_has("svm"))
		SKIP(return, "kvm_amd never ends this guest (no shutdown)");
	v = guest_create(GM_LONG64, svmb_tf_guest, svmb_tf_guest_end);
	svmb_set_idtr(v, 256 * 16 - 1, SVMB_MMIO_GPA);
	gvcpu_get_regs(v, &regs);
	regs.rdi = SVMB_IDTR_GPA;
	regs.rbx = SVMB_UNMAPPED_LA;
	gvcpu_set_regs(v, &regs);
	reason = gvcpu_run_exit(v);
	if (dev_is_kvm() && reason == KVM_EXIT_INTERNAL_ERROR) {
		EXPECT_EQ((uint32_t)KVM_INTERNAL_ERROR_DELIVERY_EV,
			  v->run->internal.suberror);
	} else {
		EXPECT_EQ((uint32_t)KVM_EXIT_SHUTDOWN, reason) {
			TH_LOG("got %s", gvcpu_exit_str(v));
		}
	}
	guest_destroy(v);
}

/*
 * Item 8 (SVM): debug registers and RDPMC are intercepted and emulated.
 * DR0 keeps the guest's value (SVM does not switch DR0-3: minihv keeps
 * them), DR7 its fixed bit, and RDPMC of counter 0 returns rather than
 * reading the host's counter (QEMU's TCG, without the intercept, #UDs).
 */
GUEST_ASM(svmb_dr_guest, ".code64",
	"mov $0x12345678, %rax\n"
	"mov %rax, %dr0\n"
	"mov $0x1, %rax\n"
	"mov %rax, %dr7\n"
	"mov %dr0, %rbx\n"
	"mov %dr7, %rsi\n"
	"xor %eax, %eax\n"
	"mov %rax, %dr7\n"
	"xor %ecx, %ecx\n"
	"rdpmc\n"
	"mov $0x5a, %al\n"
	"out %al, $0xe4\n"
	"hlt\n");

TEST(svm_debug_registers_rdpmc)
{
	struct kvm_regs regs;
	struct gvcpu *v;

	if (!svmb_host_has("svm"))
		SKIP(return, "SVM's intercepts (VMX: its own section)");
	v = guest_create(GM_LONG64, svmb_dr_guest, svmb_dr_guest_end);
	gvcpu_run_exit(v);
	EXPECT_TRUE(svmb_done(v)) {
		TH_LOG("got %s", gvcpu_exit_str(v));
	}
	gvcpu_get_regs(v, &regs);
	EXPECT_EQ(0x12345678ULL, regs.rbx);
	EXPECT_EQ(0x401ULL, regs.rsi);
	guest_destroy(v);
}

/* Item 13, the hardware's own: an empty IDT, then INT3. */
GUEST_ASM(svmb_tf_plain_guest, ".code64",
	"lidt (%rdi)\n"
	"int3\n"
	"mov $0x5a, %al\n"
	"out %al, $0xe4\n"
	"hlt\n");

TEST(triple_fault_empty_idt)
{
	struct kvm_regs regs;
	struct gvcpu *v;

	v = guest_create(GM_LONG64, svmb_tf_plain_guest,
			 svmb_tf_plain_guest_end);
	svmb_set_idtr(v, 0, 0);
	gvcpu_get_regs(v, &regs);
	regs.rdi = SVMB_IDTR_GPA;
	gvcpu_set_regs(v, &regs);
	GUEST_RUN_EXPECT(v, KVM_EXIT_SHUTDOWN);
	guest_destroy(v);
}

/* ---- speculative-execution mitigations ---- */

/*
 * The guest's IA32_SPEC_CTRL, PRED_CMD and FLUSH_CMD, as KVM 6.1 has them:
 * SPEC_CTRL (0x48) exists for a guest whose CPUID shows it (7.0:EDX[26],
 * or AMD's IBRS/STIBP/SSBD in 0x80000008:EBX), reads back what was
 * written, and takes only what the host CPU takes (bit 63 is reserved
 * everywhere; a host without the MSR takes nothing, except the labs'
 * emulators, which take anything: mitig_host_takes()); PRED_CMD (0x49) is
 * write-only, bit 0 alone, and needs IBPB on the host; FLUSH_CMD (0x10b)
 * is not emulated (#GP).  What the host CPU offers is read from
 * /proc/cpuinfo.  The host's own SPEC_CTRL after an exit cannot be read
 * back here (no lab CPU has the MSR): MINIHV_GET_INFO says whether
 * minihv switches it (mitig_info).
 */
#define MITIG_PORT		0x5f0
#define MITIG_SPEC_CTRL		0x48
#define MITIG_PRED_CMD		0x49
#define MITIG_FLUSH_CMD		0x10b
#define MITIG_L7EDX_SPEC	((1U << 26) | (1U << 27) | (1U << 31))
#define MITIG_L7EDX_FLUSH_L1D	(1U << 28)
#define MITIG_E8EBX_SPEC	((1U << 12) | (1U << 14) | (1U << 15) | (1U << 24))

/* RDMSR, WRMSR, or both (RCX = MSR, EDX:EAX = value): EAX to MITIG_PORT. */
GUEST_ASM(mitig_rd, ".code64",
	"rdmsr\n movl %eax, %ebx\n movl $0x5f0, %edx\n movl %ebx, %eax\n"
	"outl %eax, (%dx)\n hlt\n");
GUEST_ASM(mitig_wr, ".code64",
	"wrmsr\n movl $0x5f0, %edx\n outl %eax, (%dx)\n hlt\n");
GUEST_ASM(mitig_wr_rd, ".code64",
	"wrmsr\n rdmsr\n movl %eax, %ebx\n movl $0x5f0, %edx\n"
	"movl %ebx, %eax\n outl %eax, (%dx)\n hlt\n");

/* Whether the host's /proc/cpuinfo flags have the word @flag. */
static bool mitig_host_flag(const char *flag)
{
	char line[8192], *p;
	size_t n = strlen(flag);
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		for (p = strstr(line, flag); p && !found; p = strstr(p + 1, flag))
			found = p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n');
		break;
	}
	fclose(f);
	return found;
}

/* The host has IA32_SPEC_CTRL (the kernel's IBRS or STIBP flag). */
static bool mitig_host_spec_ctrl(void)
{
	return mitig_host_flag("ibrs") || mitig_host_flag("stibp");
}

/*
 * Whether the host CPU takes a SPEC_CTRL value, @legal or with reserved
 * bits: that decides the guest's WRMSR on both devices, which try the
 * value on the real MSR.  The labs' emulators ignore a write to an MSR
 * their CPU does not have instead of raising #GP (QEMU's TCG; Bochs with
 * its default ignore_bad_msrs): there, everything is taken.
 */
static bool mitig_host_takes(bool legal)
{
	const char *lab = getenv("lab");

	if (lab && (!strcmp(lab, "svm") || !strcmp(lab, "vmx")))
		return true;
	return legal && mitig_host_spec_ctrl();
}

/*
 * A fresh 64-bit guest whose CPUID shows @l7edx of the speculation bits
 * of 7.0:EDX (none of 0x80000008:EBX's) runs @code with RCX = @msr and
 * EDX:EAX = @val.  Returns -1 if it got to the end (*eax: what it sent),
 * else the exception vector.
 */
static int mitig_run(struct __test_metadata *_metadata,
		     const unsigned char *code, const unsigned char *end,
		     uint32_t msr, uint64_t val, uint32_t l7edx, uint32_t *eax)
{
	struct gvcpu *v = guest_create(GM_LONG64, code, end);
	struct kvm_cpuid2 *c = guest_supported_cpuid(v->vm->sys_fd);
	struct kvm_cpuid_entry2 *e;
	struct kvm_regs regs;
	int vec = -1;

	if (!c)
		guest_die("KVM_GET_SUPPORTED_CPUID");
	guest_cpuid_hide_virt(c);
	e = guest_cpuid_entry(c, 0x80000008, 0);
	if (e)
		e->ebx &= ~MITIG_E8EBX_SPEC;
	e = guest_cpuid_entry(c, 7, 0);
	if (!e) {
		free(c);
		guest_destroy(v);
		SKIP(return -2, "no CPUID leaf 7");
	}
	e->edx = (e->edx & ~(MITIG_L7EDX_SPEC | MITIG_L7EDX_FLUSH_L1D)) | l7edx;
	if (ioctl(v->fd, KVM_SET_CPUID2, c))
		guest_die("KVM_SET_CPUID2");
	free(c);

	gvcpu_get_regs(v, &regs);
	regs.rcx = msr;
	regs.rax = (uint32_t)val;
	regs.rdx = val >> 32;
	gvcpu_set_regs(v, &regs);
	EXPECT_EQ((uint32_t)KVM_EXIT_IO, gvcpu_run_exit(v));
	if (v->run->exit_reason == KVM_EXIT_IO &&
	    v->run->io.port == MITIG_PORT) {
		*eax = *(uint32_t *)gvcpu_io_data(v);
	} else {
		vec = gvcpu_exc_vector(v);
		EXPECT_NE(-1, vec) {
			TH_LOG("neither done nor an exception: %s",
			       gvcpu_exit_str(v));
		}
	}
	guest_destroy(v);
	return vec;
}

#define MITIG_EXPECT(want, code, msr, val, l7edx, eax) do {		\
	int __vec = mitig_run(_metadata, code, code##_end, msr, val,	\
			      l7edx, eax);				\
	if (__vec == -2)						\
		return;							\
	EXPECT_EQ(want, __vec) {					\
		TH_LOG(#code " MSR %#x <- %#llx: want %s, got %d",	\
		       msr, (unsigned long long)(val),			\
		       (want) < 0 ? "no exception" : "#GP", __vec);	\
	}								\
} while (0)

TEST(mitig_spec_ctrl_hidden)
{
	uint32_t eax = 0;

	/* CPUID shows none of it: every access is #GP. */
	MITIG_EXPECT(GV_GP, mitig_rd, MITIG_SPEC_CTRL, 0, 0, &eax);
	MITIG_EXPECT(GV_GP, mitig_wr, MITIG_SPEC_CTRL, 0, 0, &eax);
	MITIG_EXPECT(GV_GP, mitig_wr, MITIG_PRED_CMD, 1, 0, &eax);
	MITIG_EXPECT(GV_GP, mitig_rd, MITIG_PRED_CMD, 0, 0, &eax);
	MITIG_EXPECT(GV_GP, mitig_wr, MITIG_FLUSH_CMD, 1, 0, &eax);
}

TEST(mitig_spec_ctrl_shown)
{
	bool legal = mitig_host_takes(true), rsvd = mitig_host_takes(false);
	uint32_t eax = 0xdead;
	struct gvcpu *v;
	uint64_t val;

	/* Reads 0 after reset (minihv before: #GP). */
	MITIG_EXPECT(-1, mitig_rd, MITIG_SPEC_CTRL, 0, 1U << 26, &eax);
	EXPECT_EQ(0U, eax);
	/* Reserved bits: #GP where the host CPU refuses them. */
	MITIG_EXPECT(rsvd ? -1 : GV_GP, mitig_wr, MITIG_SPEC_CTRL, 1ULL << 63,
		     1U << 26, &eax);
	MITIG_EXPECT(rsvd ? -1 : GV_GP, mitig_wr, MITIG_SPEC_CTRL,
		     0xffffffffULL, 1U << 26, &eax);
	/* 0: what the host CPU takes, i.e. nothing without the MSR. */
	eax = 0xdead;
	MITIG_EXPECT(legal ? -1 : GV_GP, mitig_wr_rd, MITIG_SPEC_CTRL, 0,
		     1U << 26, &eax);
	if (legal)
		EXPECT_EQ(0U, eax);
	/*
	 * IBRS (or STIBP), read back as written.  Only on a real MSR: KVM
	 * lets the guest at the MSR after its first nonzero write, and the
	 * labs' emulators then read 0.
	 */
	if (legal && mitig_host_spec_ctrl()) {
		val = mitig_host_flag("stibp") && !mitig_host_flag("ibrs") ?
		      2 : 1;
		MITIG_EXPECT(-1, mitig_wr_rd, MITIG_SPEC_CTRL, val, 1U << 26,
			     &eax);
		EXPECT_EQ(val, eax);
	}

	/* Userspace (KVM_SET_MSRS): the same values refused. */
	v = guest_create(GM_LONG64, mitig_rd, mitig_rd_end);
	EXPECT_EQ(rsvd ? 1 : 0, gvcpu_set_msr(v, MITIG_SPEC_CTRL, 1ULL << 63));
	EXPECT_EQ(legal ? 1 : 0, gvcpu_set_msr(v, MITIG_SPEC_CTRL, 0));
	guest_destroy(v);
}

TEST(mitig_pred_flush_cmd)
{
	uint32_t eax = 0;
	uint32_t both = (1U << 26) | MITIG_L7EDX_FLUSH_L1D;

	/* PRED_CMD: bit 0 only, and only with IBPB on the host. */
	MITIG_EXPECT(GV_GP, mitig_wr, MITIG_PRED_CMD, 2, 1U << 26, &eax);
	MITIG_EXPECT(GV_GP, mitig_wr, MITIG_PRED_CMD, 1ULL << 32, 1U << 26,
		     &eax);
	MITIG_EXPECT(mitig_host_flag("ibpb") ? -1 : GV_GP, mitig_wr,
		     MITIG_PRED_CMD, 1, 1U << 26, &eax);
	MITIG_EXPECT(GV_GP, mitig_rd, MITIG_PRED_CMD, 0, 1U << 26, &eax);
	/* FLUSH_CMD: reserved bits #GP; bit 0 too without the host's. */
	MITIG_EXPECT(GV_GP, mitig_wr, MITIG_FLUSH_CMD, 2, both, &eax);
	MITIG_EXPECT(GV_GP, mitig_rd, MITIG_FLUSH_CMD, 0, both, &eax);
	if (!mitig_host_flag("flush_l1d"))
		MITIG_EXPECT(GV_GP, mitig_wr, MITIG_FLUSH_CMD, 1, both, &eax);
}

/* The first line of @path into @buf ("" if unreadable). */
static const char *mitig_read(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, size, f))
			buf[0] = 0;
		fclose(f);
	}
	return buf;
}

/* The host's vulnerabilities file @name mentions @what. */
static bool mitig_vuln(const char *name, const char *what)
{
	char path[128], buf[512];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/vulnerabilities/%s",
		 name);
	return strstr(mitig_read(path, buf, sizeof(buf)), what);
}

/* The last mitigations= of the kernel command line is "off". */
static bool mitig_cmdline_off(void)
{
	char buf[4096];
	const char *p, *last = NULL;

	mitig_read("/proc/cmdline", buf, sizeof(buf));
	for (p = strstr(buf, "mitigations="); p; p = strstr(p + 1, "mitigations="))
		last = p;
	return (last && !strncmp(last, "mitigations=off", 15)) ||
	       strstr(buf, "l1tf=off");
}

/*
 * MINIHV_GET_INFO says which mitigations VM entries and exits apply: they
 * must follow what the host kernel reports (minihv only).
 */
TEST(mitig_info)
{
	static const char *const bufs[] = {
		"mds", "tsx_async_abort", "mmio_stale_data",
		"reg_file_data_sampling", "tsa",
	};
	bool verw = false, verw_none = true, l1d;
	struct minihv_info info;
	unsigned int i;
	int sys_fd;

	if (dev_is_kvm())
		SKIP(return, "minihv's MINIHV_GET_INFO");
	HV_OPEN_DEV_OR_SKIP(sys_fd);
	ASSERT_EQ(0, hv_get_info(sys_fd, &info));
	close(sys_fd);

	/* SPEC_CTRL switched iff the host has the MSR. */
	if (mitig_host_spec_ctrl())
		EXPECT_TRUE(!!(info.flags & MINIHV_INFO_SPEC_CTRL));
	if (!mitig_host_spec_ctrl() && !mitig_host_flag("ssbd"))
		EXPECT_FALSE(!!(info.flags & MINIHV_INFO_SPEC_CTRL));

	/* IBPB on a vCPU switch iff the host uses IBPB (spectre_v2_user). */
	if (mitig_vuln("spectre_v2", "IBPB: conditional") ||
	    mitig_vuln("spectre_v2", "IBPB: always-on"))
		EXPECT_TRUE(!!(info.flags & MINIHV_INFO_IBPB));
	if (!mitig_vuln("spectre_v2", "IBPB"))
		EXPECT_FALSE(!!(info.flags & MINIHV_INFO_IBPB));

	/* VERW before entry iff the host clears CPU buffers. */
	for (i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		if (mitig_vuln(bufs[i], "Clear CPU buffers"))
			verw_none = false;
		if (i != 2 && mitig_vuln(bufs[i], "Clear CPU buffers"))
			verw = true;
	}
	if (verw)
		EXPECT_TRUE(!!(info.flags & MINIHV_INFO_CLEAR_CPU_BUF));
	if (verw_none)
		EXPECT_FALSE(!!(info.flags & MINIHV_INFO_CLEAR_CPU_BUF));

	/*
	 * L1D flush: VMX with EPT, a host affected by L1TF and mitigating
	 * it.  (A CPU may also say the flush is not needed, which only its
	 * ARCH_CAPABILITIES MSR tells: not the case of any lab CPU.)
	 */
	l1d = info.vendor == MINIHV_VENDOR_VMX &&
	      (info.flags & MINIHV_INFO_TDP) &&
	      !mitig_vuln("l1tf", "Not affected") && !mitig_cmdline_off();
	EXPECT_EQ(l1d, !!(info.flags & MINIHV_INFO_L1D_FLUSH)) {
		TH_LOG("info flags %#x", info.flags);
	}
}

TEST_HARNESS_MAIN
