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
