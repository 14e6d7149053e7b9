// SPDX-License-Identifier: GPL-2.0
/*
 * cr_test: control registers as the guest's CPUID allows them, and the
 * exceptions the hypervisor injects on the way.
 *
 *  - cr4.BIT.cr4_bit_not_in_guest_cpuid_gp: the guest's CPUID (set with
 *    KVM_SET_CPUID2: the supported one without the feature) lacks the
 *    feature of a CR4 bit, or the bit is reserved; a MOV to CR4 that sets
 *    it is #GP(0) at that MOV, not a failed entry, and CR4 stays as it
 *    was.  LA57 cannot be toggled in long mode at all: #GP too.  Bit 63
 *    on kvm_amd in the SVM lab is the exception: with no decode assists
 *    its emulator drops CR4[63:32] (kvm_drops_cr4_high()); there CR4 is
 *    checked unchanged and the #GP skipped.
 *  - cr4.BIT.sregs_cr4_bit_not_in_guest_cpuid: the same CR4 from
 *    userspace, KVM_SET_SREGS, is EINVAL (KVM: kvm_is_valid_sregs()), CR4
 *    is unchanged and the guest still runs.
 *  - cr4_taken.BIT.cr4_bit_in_guest_cpuid_taken: the positive control of
 *    the first: with the feature in the guest's CPUID the MOV to CR4 is
 *    taken, the guest and KVM_GET_SREGS see the bit.  Skipped for a
 *    feature the device's supported CPUID lacks (the SVM lab's qemu64 has
 *    SMEP and SMAP, not XSAVE, FSGSBASE, PCID, PKU or UMIP; the VMX lab's
 *    Haswell has no SMAP or PKU, and kvm_intel shows UMIP, emulated).
 *  - injected_fault_sets_rf: RDMSR and WRMSR of an MSR nobody has are
 *    #GP(0), which the hypervisor injects; a fault-class exception pushes
 *    RFLAGS with RF set (KVM sets RF before injecting one:
 *    kvm_check_and_inject_events()).  The guest's own #GP handler reports
 *    the frame.  An exception the lab CPU raises by itself is not tried:
 *    QEMU's TCG pushes RF clear for those.
 *  - smep_wp0.MODE.smep_wp0_supervisor_fetch_user_page: with CR4.SMEP
 *    and CR0.WP clear, the kernel may write a read-only user page, but
 *    never fetch from a user page: a CALL into it is #PF, error code
 *    P|I/D, after such a write (_write variants) or without one, in
 *    32-bit, PAE and 4-level paging.  Shadow paging that maps the page
 *    supervisor and writable to let the WP=0 write through must also
 *    keep the kernel's fetches out of it (KVM: the shadow entry gets NX).
 */
#include <cpuid.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/harness.h"
#include "lib/guest.h"
#include "lib/paging.h"

#define CR_PORT		0x32		/* PG_PORT_VAL: pg_run() records it */

#define CR0_WP		(1ULL << 16)
#define CR4_PSE		(1ULL << 4)
#define CR4_PAE		(1ULL << 5)
#define CR4_SMEP	(1ULL << 20)

#define RFLAGS_FIXED	(1u << 1)
#define RFLAGS_RF	(1u << 16)

#define PF_P		(1u << 0)
#define PF_ID		(1u << 4)

#define MSR_NOBODY	0xdeadbeef	/* run_test's msr_unknown_gp: #GP */

enum cpuid_reg { R_EAX, R_EBX, R_ECX, R_EDX };

static uint32_t *cpuid_reg(struct kvm_cpuid_entry2 *e, enum cpuid_reg r)
{
	switch (r) {
	case R_EAX:
		return &e->eax;
	case R_EBX:
		return &e->ebx;
	case R_ECX:
		return &e->ecx;
	default:
		return &e->edx;
	}
}

/* A CR4 bit and the CPUID bit of its feature (mask 0: reserved bit). */
struct cr4_feature {
	const char *name;
	uint64_t cr4;
	uint32_t leaf;
	uint32_t index;
	enum cpuid_reg reg;
	uint32_t mask;
};

#define CR4_FEAT(n, b, l, i, r, m)					\
	{ .name = n, .cr4 = 1ULL << (b), .leaf = l, .index = i,	\
	  .reg = r, .mask = 1u << (m) }
#define CR4_RSVD(b)							\
	{ .name = "reserved", .cr4 = 1ULL << (b) }

/* Does @c have @f's feature?  A reserved bit has none. */
static bool cpuid_has(struct kvm_cpuid2 *c, const struct cr4_feature *f)
{
	struct kvm_cpuid_entry2 *e;

	if (!f->mask)
		return false;
	e = guest_cpuid_entry(c, f->leaf, f->index);
	return e && (*cpuid_reg(e, f->reg) & f->mask);
}

/*
 * Give @v the device's supported CPUID minus VMX and SVM (as
 * guest_create() does) and, if @drop, minus @f's feature.  false if the
 * device has no KVM_GET_SUPPORTED_CPUID; *@had: whether the device
 * supports the feature.
 */
static bool set_cpuid(struct __test_metadata *_metadata, struct gvcpu *v,
		      const struct cr4_feature *f, bool drop, bool *had)
{
	struct kvm_cpuid2 *c = guest_supported_cpuid(v->vm->sys_fd);
	struct kvm_cpuid_entry2 *e;
	int r;

	if (!c)
		return false;
	*had = cpuid_has(c, f);
	guest_cpuid_hide_virt(c);
	if (drop && f->mask) {
		e = guest_cpuid_entry(c, f->leaf, f->index);
		if (e)
			*cpuid_reg(e, f->reg) &= ~f->mask;
	}
	r = ioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	EXPECT_EQ(0, r) TH_LOG("KVM_SET_CPUID2: %s", strerror(errno));
	return r == 0;
}

/* ---------------------------------------------------------------------
 * A CR4 bit whose feature the guest's CPUID lacks.
 */
GUEST_ASM(cr_cr4_guest, ".code64",
	"mov %cr4, %rax\n"
	"or %rdi, %rax\n"
	"cr_cr4_write:\n"
	"mov %rax, %cr4\n"
	"mov %cr4, %rax\n"
	"outl %eax, $0x32\n"
	"hlt\n");
GUEST_LABEL(cr_cr4_write);

/*
 * kvm_amd on a CPU without decode assists (QEMU's TCG has none) emulates
 * a MOV to CR4 with its instruction emulator, whose emulator_set_cr()
 * keeps only the low 32 bits of the value (mk_cr_64()): CR4 bit 63 is
 * dropped, without #GP.  The CPU and KVM with decode assists (or on VMX)
 * fault.
 */
static bool kvm_drops_cr4_high(void)
{
	unsigned int a, b, c, d;

	if (!dev_is_kvm() || !__get_cpuid(0x80000000, &a, &b, &c, &d) ||
	    a < 0x8000000a)
		return false;
	__cpuid(0x80000001, a, b, c, d);
	if (!(c & (1u << 2)))			/* SVM */
		return false;
	__cpuid(0x8000000a, a, b, c, d);
	return !(d & (1u << 7));		/* DecodeAssists */
}

GUEST_ASM(cr_hlt_guest, ".code64",
	"hlt\n");

FIXTURE(cr4) {
	struct gvcpu *v;
};

FIXTURE_VARIANT(cr4) {
	struct cr4_feature f;
};

FIXTURE_VARIANT_ADD(cr4, pcide) {
	.f = CR4_FEAT("PCID", 17, 1, 0, R_ECX, 17),
};

FIXTURE_VARIANT_ADD(cr4, osxsave) {
	.f = CR4_FEAT("XSAVE", 18, 1, 0, R_ECX, 26),
};

FIXTURE_VARIANT_ADD(cr4, fsgsbase) {
	.f = CR4_FEAT("FSGSBASE", 16, 7, 0, R_EBX, 0),
};

FIXTURE_VARIANT_ADD(cr4, smep) {
	.f = CR4_FEAT("SMEP", 20, 7, 0, R_EBX, 7),
};

FIXTURE_VARIANT_ADD(cr4, smap) {
	.f = CR4_FEAT("SMAP", 21, 7, 0, R_EBX, 20),
};

FIXTURE_VARIANT_ADD(cr4, pke) {
	.f = CR4_FEAT("PKU", 22, 7, 0, R_ECX, 3),
};

FIXTURE_VARIANT_ADD(cr4, umip) {
	.f = CR4_FEAT("UMIP", 11, 7, 0, R_ECX, 2),
};

FIXTURE_VARIANT_ADD(cr4, la57) {
	.f = CR4_FEAT("LA57", 12, 7, 0, R_ECX, 16),
};

FIXTURE_VARIANT_ADD(cr4, vmxe) {
	.f = CR4_FEAT("VMX", 13, 1, 0, R_ECX, 5),
};

FIXTURE_VARIANT_ADD(cr4, smxe) {
	.f = CR4_FEAT("SMX", 14, 1, 0, R_ECX, 6),
};

FIXTURE_VARIANT_ADD(cr4, rsvd15) {
	.f = CR4_RSVD(15),
};

FIXTURE_VARIANT_ADD(cr4, rsvd26) {
	.f = CR4_RSVD(26),
};

FIXTURE_VARIANT_ADD(cr4, rsvd31) {
	.f = CR4_RSVD(31),
};

FIXTURE_VARIANT_ADD(cr4, rsvd63) {
	.f = CR4_RSVD(63),
};

FIXTURE_SETUP(cr4)
{
	self->v = NULL;
}

FIXTURE_TEARDOWN(cr4)
{
	guest_destroy(self->v);
}

TEST_F(cr4, cr4_bit_not_in_guest_cpuid_gp)
{
	const struct cr4_feature *f = &variant->f;
	struct kvm_sregs before, after;
	struct kvm_regs regs;
	bool had;

	self->v = guest_create(GM_LONG64, cr_cr4_guest, cr_cr4_guest_end);
	if (!set_cpuid(_metadata, self->v, f, true, &had))
		SKIP(return, "the device has no KVM_GET_SUPPORTED_CPUID");
	TH_LOG("CR4 bit %#llx (%s), the device %s it, the guest's CPUID not",
	       (unsigned long long)f->cr4, f->name,
	       had ? "supports" : "does not support");
	gvcpu_get_regs(self->v, &regs);
	regs.rdi = f->cr4;
	gvcpu_set_regs(self->v, &regs);
	gvcpu_get_sregs(self->v, &before);

	if ((f->cr4 >> 32) && kvm_drops_cr4_high()) {
		GUEST_RUN_EXPECT(self->v, KVM_EXIT_IO);
		EXPECT_EQ(CR_PORT, self->v->run->io.port);
		gvcpu_get_sregs(self->v, &after);
		EXPECT_EQ(before.cr4, after.cr4);
		SKIP(return, "kvm_amd without decode assists drops CR4[63:32] of a MOV to CR4 (emulator_set_cr()), no #GP");
	}
	GUEST_RUN_EXPECT_EXC(self->v, GV_GP);
	gvcpu_get_regs(self->v, &regs);
	EXPECT_EQ(0ULL, regs.rbx);		/* error code */
	EXPECT_EQ(pg_code_gpa(cr_cr4_guest, cr_cr4_write), regs.rcx);
	gvcpu_get_sregs(self->v, &after);
	EXPECT_EQ(before.cr4, after.cr4) {
		TH_LOG("CR4 %#llx, was %#llx", after.cr4, before.cr4);
	}
}

TEST_F(cr4, sregs_cr4_bit_not_in_guest_cpuid)
{
	const struct cr4_feature *f = &variant->f;
	struct kvm_sregs s, after;
	uint64_t cr4;
	bool had;
	int r;

	self->v = guest_create(GM_LONG64, cr_hlt_guest, cr_hlt_guest_end);
	if (!set_cpuid(_metadata, self->v, f, true, &had))
		SKIP(return, "the device has no KVM_GET_SUPPORTED_CPUID");
	gvcpu_get_sregs(self->v, &s);
	cr4 = s.cr4;
	s.cr4 |= f->cr4;
	errno = 0;
	r = ioctl(self->v->fd, KVM_SET_SREGS, &s);
	EXPECT_EQ(-1, r) {
		TH_LOG("KVM_SET_SREGS took CR4 bit %#llx (%s)",
		       (unsigned long long)f->cr4, f->name);
	}
	EXPECT_EQ(EINVAL, errno);
	gvcpu_get_sregs(self->v, &after);
	EXPECT_EQ(cr4, after.cr4) {
		TH_LOG("CR4 %#llx, was %#llx", after.cr4,
		       (unsigned long long)cr4);
	}
	GUEST_RUN_EXPECT(self->v, KVM_EXIT_HLT);
}

/* The positive control: the feature is in the guest's CPUID. */
FIXTURE(cr4_taken) {
	struct gvcpu *v;
};

FIXTURE_VARIANT(cr4_taken) {
	struct cr4_feature f;
};

FIXTURE_VARIANT_ADD(cr4_taken, osxsave) {
	.f = CR4_FEAT("XSAVE", 18, 1, 0, R_ECX, 26),
};

FIXTURE_VARIANT_ADD(cr4_taken, fsgsbase) {
	.f = CR4_FEAT("FSGSBASE", 16, 7, 0, R_EBX, 0),
};

FIXTURE_VARIANT_ADD(cr4_taken, smep) {
	.f = CR4_FEAT("SMEP", 20, 7, 0, R_EBX, 7),
};

FIXTURE_VARIANT_ADD(cr4_taken, smap) {
	.f = CR4_FEAT("SMAP", 21, 7, 0, R_EBX, 20),
};

FIXTURE_VARIANT_ADD(cr4_taken, pcide) {
	.f = CR4_FEAT("PCID", 17, 1, 0, R_ECX, 17),
};

FIXTURE_VARIANT_ADD(cr4_taken, pke) {
	.f = CR4_FEAT("PKU", 22, 7, 0, R_ECX, 3),
};

FIXTURE_VARIANT_ADD(cr4_taken, umip) {
	.f = CR4_FEAT("UMIP", 11, 7, 0, R_ECX, 2),
};

FIXTURE_SETUP(cr4_taken)
{
	self->v = NULL;
}

FIXTURE_TEARDOWN(cr4_taken)
{
	guest_destroy(self->v);
}

TEST_F(cr4_taken, cr4_bit_in_guest_cpuid_taken)
{
	const struct cr4_feature *f = &variant->f;
	struct kvm_regs regs;
	struct kvm_sregs s;
	bool had;

	self->v = guest_create(GM_LONG64, cr_cr4_guest, cr_cr4_guest_end);
	if (!set_cpuid(_metadata, self->v, f, false, &had))
		SKIP(return, "the device has no KVM_GET_SUPPORTED_CPUID");
	if (!had)
		SKIP(return, "%s: not in the device's KVM_GET_SUPPORTED_CPUID (the lab CPU or the device lacks it)",
		     f->name);
	gvcpu_get_regs(self->v, &regs);
	regs.rdi = f->cr4;
	gvcpu_set_regs(self->v, &regs);

	GUEST_RUN_EXPECT(self->v, KVM_EXIT_IO);
	ASSERT_EQ(CR_PORT, self->v->run->io.port) {
		TH_LOG("CR4 bit %#llx (%s): %s", (unsigned long long)f->cr4,
		       f->name, gvcpu_exit_str(self->v));
	}
	EXPECT_EQ((uint32_t)f->cr4, *(uint32_t *)gvcpu_io_data(self->v) & f->cr4);
	gvcpu_get_sregs(self->v, &s);
	EXPECT_EQ(f->cr4, s.cr4 & f->cr4) TH_LOG("CR4 %#llx", s.cr4);
	GUEST_RUN_EXPECT(self->v, KVM_EXIT_HLT);
}

/* ---------------------------------------------------------------------
 * RF in the RFLAGS an injected #GP pushes.  The handler reports the
 * frame's RIP, error code and RFLAGS, and returns past the 2-byte
 * RDMSR/WRMSR.
 */
GUEST_ASM(cr_msr_guest, ".code64",
	"movl $0xdeadbeef, %ecx\n"
	"cr_msr_rdmsr:\n"
	"rdmsr\n"
	"xorl %eax, %eax\n"
	"xorl %edx, %edx\n"
	"cr_msr_wrmsr:\n"
	"wrmsr\n"
	"hlt\n"
	"cr_msr_gp:\n"
	"movq 8(%rsp), %rax\n outl %eax, $0x32\n"
	"movq (%rsp), %rax\n outl %eax, $0x32\n"
	"movq 24(%rsp), %rax\n outl %eax, $0x32\n"
	"addq $2, 8(%rsp)\n"
	"addq $8, %rsp\n"
	"iretq\n");
GUEST_LABEL(cr_msr_rdmsr);
GUEST_LABEL(cr_msr_wrmsr);
GUEST_LABEL(cr_msr_gp);

TEST(injected_fault_sets_rf)
{
	struct gvcpu *v = guest_create(GM_LONG64, cr_msr_guest, cr_msr_guest_end);
	const uint64_t at[2] = {
		pg_code_gpa(cr_msr_guest, cr_msr_rdmsr),
		pg_code_gpa(cr_msr_guest, cr_msr_wrmsr),
	};
	static const char * const insn[2] = { "RDMSR", "WRMSR" };
	struct pg_trace t;
	int i;

	pg_set_gate64(v->vm, GV_GP, pg_code_gpa(cr_msr_guest, cr_msr_gp));
	pg_run(v, &t);
	ASSERT_EQ(0, t.why[0]) {
		TH_LOG("guest stopped: %s; reports: %s", t.why, pg_trace_str(&t));
	}
	ASSERT_EQ(6, t.n) TH_LOG("reports: %s", pg_trace_str(&t));
	for (i = 0; i < 2; i++) {
		uint32_t rflags = t.r[3 * i + 2].val;

		EXPECT_EQ((uint32_t)at[i], t.r[3 * i].val) {
			TH_LOG("%s of MSR %#x: #GP at %#x, want %#llx", insn[i],
			       MSR_NOBODY, t.r[3 * i].val,
			       (unsigned long long)at[i]);
		}
		EXPECT_EQ(0u, t.r[3 * i + 1].val) TH_LOG("%s: error code", insn[i]);
		EXPECT_EQ(RFLAGS_FIXED, rflags & RFLAGS_FIXED) {
			TH_LOG("%s: pushed RFLAGS %#x is not RFLAGS", insn[i], rflags);
		}
		EXPECT_EQ(RFLAGS_RF, rflags & RFLAGS_RF) {
			TH_LOG("%s of MSR %#x: #GP pushed RFLAGS %#x, RF clear",
			       insn[i], MSR_NOBODY, rflags);
		}
	}
	guest_destroy(v);
}

/* ---------------------------------------------------------------------
 * SMEP with CR0.WP clear.  The host builds the tables: the low 2 MiB
 * (4 MiB in 32-bit paging) identity mapped for the kernel, PG_VA page 0 a
 * read-only user page on PG_FRAME(0), which holds `mov $0x77, %eax; ret`.
 * The guest (esi: the CR4 bits to set, edi: CR3, ebp: write first?) turns
 * paging on with SMEP and WP clear, writes PG_VA + 0x800 if asked and
 * reports what the frame then holds, and calls PG_VA: #PF.  Reaching the
 * report after the call (0x77) means the kernel ran user code.
 */
#define SMEP_BODY(cx)							\
	"testl %ebp, %ebp\n"						\
	"jz 2f\n"							\
	"movl $0x5a5a5a5a, 0x40000800\n"				\
	"movl 0x80800, %eax\n"						\
	"outl %eax, $0x32\n"						\
	"2: movl $0x40000000, %ecx\n"					\
	"call *" cx "\n"						\
	"outl %eax, $0x32\n"						\
	"hlt\n"

GUEST_ASM(cr_smep32, ".code32",
	"movl %cr4, %eax\n"
	"orl %esi, %eax\n"
	"movl %eax, %cr4\n"
	"movl %edi, %cr3\n"
	"movl %cr0, %eax\n"
	"andl $0xfffeffff, %eax\n"
	"orl $0x80000000, %eax\n"
	"movl %eax, %cr0\n"
	"jmp 1f\n"
	"1:\n"
	SMEP_BODY("%ecx"));

GUEST_ASM(cr_smep64, ".code64",
	"movq %rdi, %cr3\n"
	"movq %cr4, %rax\n"
	"orq %rsi, %rax\n"
	"movq %rax, %cr4\n"
	"movq %cr0, %rax\n"
	"andq $0xfffffffffffeffff, %rax\n"
	"movq %rax, %cr0\n"
	SMEP_BODY("%rcx"));

#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_US		0x4ULL
#define PTE_PS		0x80ULL

enum smep_paging { SP_32, SP_PAE, SP_LONG };

/* Build @mode's tables at PG_TABLE(0..4); the CR4 bits it needs. */
static uint64_t smep_tables(struct gvm *vm, enum smep_paging mode)
{
	const uint64_t user_pte = PG_FRAME(0) | PTE_P | PTE_US;	/* RO */
	const uint64_t dir = PTE_P | PTE_RW | PTE_US;
	int i;

	for (i = 0; i < 5; i++)
		memset(gvm_hva(vm, PG_TABLE(i)), 0, 0x1000);
	switch (mode) {
	case SP_32:
		/* PD: a 4 MiB kernel page at 0; PDE 256 (PG_VA) a PT. */
		gvm_write32(vm, PG_TABLE(0), PTE_P | PTE_RW | PTE_PS);
		gvm_write32(vm, PG_TABLE(0) + 256 * 4, PG_TABLE(1) | dir);
		gvm_write32(vm, PG_TABLE(1), user_pte);
		return CR4_PSE;
	case SP_PAE:
		/* PDPT: PD 0 (a 2 MiB kernel page at 0), PD 1 (PG_VA). */
		gvm_write64(vm, PG_TABLE(0), PG_TABLE(1) | PTE_P);
		gvm_write64(vm, PG_TABLE(0) + 8, PG_TABLE(2) | PTE_P);
		gvm_write64(vm, PG_TABLE(1), PTE_P | PTE_RW | PTE_PS);
		gvm_write64(vm, PG_TABLE(2), PG_TABLE(3) | dir);
		gvm_write64(vm, PG_TABLE(3), user_pte);
		return CR4_PAE;
	case SP_LONG:
		/* PML4 -> PDPT: [0] the kernel's 2 MiB, [1] PG_VA. */
		gvm_write64(vm, PG_TABLE(0), PG_TABLE(1) | dir);
		gvm_write64(vm, PG_TABLE(1), PG_TABLE(2) | PTE_P | PTE_RW);
		gvm_write64(vm, PG_TABLE(1) + 8, PG_TABLE(3) | dir);
		gvm_write64(vm, PG_TABLE(2), PTE_P | PTE_RW | PTE_PS);
		gvm_write64(vm, PG_TABLE(3), PG_TABLE(4) | dir);
		gvm_write64(vm, PG_TABLE(4), user_pte);
		return 0;
	}
	return 0;
}

FIXTURE(smep_wp0) {
	struct gvcpu *v;
};

FIXTURE_VARIANT(smep_wp0) {
	enum smep_paging mode;
	bool write_first;
};

FIXTURE_VARIANT_ADD(smep_wp0, paging32) {
	.mode = SP_32,
};

FIXTURE_VARIANT_ADD(smep_wp0, paging32_write) {
	.mode = SP_32,
	.write_first = true,
};

FIXTURE_VARIANT_ADD(smep_wp0, pae) {
	.mode = SP_PAE,
};

FIXTURE_VARIANT_ADD(smep_wp0, pae_write) {
	.mode = SP_PAE,
	.write_first = true,
};

FIXTURE_VARIANT_ADD(smep_wp0, long4) {
	.mode = SP_LONG,
};

FIXTURE_VARIANT_ADD(smep_wp0, long4_write) {
	.mode = SP_LONG,
	.write_first = true,
};

FIXTURE_SETUP(smep_wp0)
{
	self->v = NULL;
}

FIXTURE_TEARDOWN(smep_wp0)
{
	guest_destroy(self->v);
}

TEST_F(smep_wp0, smep_wp0_supervisor_fetch_user_page)
{
	static const uint8_t code[] = { 0xb8, 0x77, 0, 0, 0, 0xc3 };
	struct kvm_cpuid_entry2 *e7 = NULL;
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct pg_trace t;
	bool smep;
	int n = 0;

	if (variant->mode == SP_LONG)
		self->v = guest_create(GM_LONG64, cr_smep64, cr_smep64_end);
	else
		self->v = guest_create(GM_PROT32, cr_smep32, cr_smep32_end);
	cpuid = guest_supported_cpuid(self->v->vm->sys_fd);
	if (cpuid)
		e7 = guest_cpuid_entry(cpuid, 7, 0);
	smep = e7 && (e7->ebx & (1u << 7));
	free(cpuid);
	if (!smep)
		SKIP(return, "SMEP is not in the device's KVM_GET_SUPPORTED_CPUID (the lab CPU or the device lacks it)");

	gvm_write(self->v->vm, PG_FRAME(0), code, sizeof(code));
	gvcpu_get_regs(self->v, &regs);
	regs.rsi = smep_tables(self->v->vm, variant->mode) | CR4_SMEP;
	regs.rdi = PG_TABLE(0);
	regs.rbp = variant->write_first;
	gvcpu_set_regs(self->v, &regs);

	pg_run(self->v, &t);
	if (variant->write_first) {
		/* WP=0: the kernel's write to the read-only page landed. */
		ASSERT_LE(1, t.n) TH_LOG("%s", t.why);
		EXPECT_EQ(0x5a5a5a5au, t.r[0].val);
		n = 1;
	}
	ASSERT_EQ(n, t.n) {
		TH_LOG("the kernel ran the user page's code (reports: %s)",
		       pg_trace_str(&t));
	}
	ASSERT_EQ(GV_PF, t.exc) TH_LOG("want #PF, got %s", t.why);
	gvcpu_get_regs(self->v, &regs);
	EXPECT_EQ(PF_P | PF_ID, regs.rbx) {
		TH_LOG("#PF error code %#llx, want P|I/D", regs.rbx);
	}
	EXPECT_EQ(PG_VA, regs.rcx);
	gvcpu_get_sregs(self->v, &sregs);
	EXPECT_EQ(PG_VA, sregs.cr2);
	EXPECT_EQ(CR4_SMEP, sregs.cr4 & CR4_SMEP);
	EXPECT_EQ(0ULL, sregs.cr0 & CR0_WP);
}

TEST_HARNESS_MAIN
