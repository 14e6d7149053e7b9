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
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "lib/harness.h"
#include "lib/guest.h"
#include "lib/hvtest.h"

/* ---- guest-visible CPU state: CR8, MSRs, intercepts (VMX and SVM) ---- */

/* ---- ioctl input: FPU, sregs, memslots, timers ---- */

/* ---- backends: decoder, world switch, failed entry, triple fault ---- */

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
	e = guest_cpuid_entry(c, 1, 0);
	if (e)
		e->ecx &= ~(1U << 5);			/* VMX */
	e = guest_cpuid_entry(c, 0x80000001, 0);
	if (e)
		e->ecx &= ~(1U << 2);			/* SVM */
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
