// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_test: accesses to guest-physical addresses without a memory slot
 * exit to userspace as KVM_EXIT_MMIO, in real mode, 32-bit protected
 * mode and 64-bit long mode, through many instruction forms.
 *
 * KVM semantics relied on (and so required of minihv):
 *  - A load or store to a GPA no memslot covers exits with
 *    KVM_EXIT_MMIO: mmio.phys_addr = the GPA of the first byte,
 *    mmio.len = the access size (1, 2, 4, 8), mmio.is_write = 1 for
 *    stores (data[0..len) = the stored bytes, little endian) and 0 for
 *    loads.
 *  - For a load, userspace puts the bytes in mmio.data[0..len) and the
 *    next KVM_RUN completes the instruction: mov to an 8/16-bit register
 *    merges (upper bits kept), mov to a 32-bit register zero-extends
 *    into the 64-bit one in long mode, movzx/movsx extend as the
 *    instruction says, ah/ch style high-byte registers work, REX
 *    registers (r9) work.
 *  - Forms covered: mov imm8/16/32 to memory (and mov imm32
 *    sign-extended to a 64-bit store), mov reg to memory and memory to
 *    reg at every width, base+disp8, base+index*scale+disp (SIB), stos
 *    (b/w/l/q, es:rdi), moffs (mov eax from an absolute address: A1), and
 *    in real mode es-segment overrides with 16-bit addressing and
 *    operand-size prefixes.
 *  - RIP advances past each emulated instruction (checked by the final
 *    KVM_EXIT_HLT at the right RIP).
 *  - KVM_MEM_READONLY (KVM_CAP_READONLY_MEM): loads read the slot's
 *    memory without an exit; stores exit as KVM_EXIT_MMIO with the
 *    store's GPA and data, and memory stays unchanged.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/harness.h"
#include "lib/guest.h"

#define MMIO_BASE	0xc0000000UL	/* no slot; identity mapped in 64-bit */
#define MMIO_REAL	0xa0000UL	/* the real-mode hole (es = 0xa000) */
#define SYNC_PORT	0x31
#define REPORT_PORT	0x30

#define SYNC		"outb %al, $0x31\n"

enum reg { R_NONE, R_RAX, R_RDX, R_R9 };

struct step {
	bool write;
	uint64_t gpa;
	unsigned int len;
	uint64_t data;		/* stored data, or the answer for a load */
	enum reg reg;		/* loads: the register then checked */
	uint64_t want;		/* its value */
};

GUEST_ASM(guest_mmio64, ".code64",
	"movl $0xc0000000, %ebx\n"
	"movabsq $0x1122334455667788, %rcx\n"
	"movl $3, %esi\n"
	"movb $0x12, (%rbx)\n"
	"movw $0x3456, 2(%rbx)\n"
	"movl $0x789abcde, 4(%rbx)\n"
	"movq $-2, 8(%rbx)\n"
	"movb %cl, 0x10(%rbx)\n"
	"movw %cx, 0x12(%rbx)\n"
	"movl %ecx, 0x14(%rbx)\n"
	"movq %rcx, 0x18(%rbx)\n"
	"movl %ecx, 0x20(%rbx,%rsi,4)\n"
	"movb %ch, 0x30(%rbx)\n"
	"leaq 0x40(%rbx), %rdi\n"
	"movl %ecx, %eax\n"
	"cld\n"
	"stosl\n"
	"stosq\n"
	"movq $-1, %rdx\n"
	"movb 0x50(%rbx), %dl\n" SYNC
	"movw 0x52(%rbx), %dx\n" SYNC
	"movl 0x54(%rbx), %edx\n" SYNC
	"movq 0x58(%rbx), %rdx\n" SYNC
	"movzbl 0x60(%rbx), %edx\n" SYNC
	"movzwq 0x62(%rbx), %rdx\n" SYNC
	"movsbq 0x64(%rbx), %rdx\n" SYNC
	"movswl 0x66(%rbx), %edx\n" SYNC
	"movslq 0x68(%rbx), %rdx\n" SYNC
	"movq 0x70(%rbx,%rsi,8), %r9\n" SYNC
	"movq $-1, %rax\n"
	"movabs 0xc0000100, %eax\n" SYNC
	"movq $-1, %rdx\n"
	"movb 0x101(%rbx), %dh\n" SYNC
	"hlt\n");

static const struct step steps64[] = {
	{ true, MMIO_BASE + 0x00, 1, 0x12, R_NONE, 0 },
	{ true, MMIO_BASE + 0x02, 2, 0x3456, R_NONE, 0 },
	{ true, MMIO_BASE + 0x04, 4, 0x789abcde, R_NONE, 0 },
	{ true, MMIO_BASE + 0x08, 8, 0xfffffffffffffffeULL, R_NONE, 0 },
	{ true, MMIO_BASE + 0x10, 1, 0x88, R_NONE, 0 },
	{ true, MMIO_BASE + 0x12, 2, 0x7788, R_NONE, 0 },
	{ true, MMIO_BASE + 0x14, 4, 0x55667788, R_NONE, 0 },
	{ true, MMIO_BASE + 0x18, 8, 0x1122334455667788ULL, R_NONE, 0 },
	{ true, MMIO_BASE + 0x2c, 4, 0x55667788, R_NONE, 0 },
	{ true, MMIO_BASE + 0x30, 1, 0x77, R_NONE, 0 },
	{ true, MMIO_BASE + 0x40, 4, 0x55667788, R_NONE, 0 },
	{ true, MMIO_BASE + 0x44, 8, 0x55667788, R_NONE, 0 },
	{ false, MMIO_BASE + 0x50, 1, 0x81, R_RDX, 0xffffffffffffff81ULL },
	{ false, MMIO_BASE + 0x52, 2, 0x8234, R_RDX, 0xffffffffffff8234ULL },
	{ false, MMIO_BASE + 0x54, 4, 0x87654321, R_RDX, 0x87654321ULL },
	{ false, MMIO_BASE + 0x58, 8, 0x8877665544332211ULL, R_RDX, 0x8877665544332211ULL },
	{ false, MMIO_BASE + 0x60, 1, 0x80, R_RDX, 0x80 },
	{ false, MMIO_BASE + 0x62, 2, 0x8000, R_RDX, 0x8000 },
	{ false, MMIO_BASE + 0x64, 1, 0x80, R_RDX, 0xffffffffffffff80ULL },
	{ false, MMIO_BASE + 0x66, 2, 0x8001, R_RDX, 0xffff8001ULL },
	{ false, MMIO_BASE + 0x68, 4, 0x80000002, R_RDX, 0xffffffff80000002ULL },
	{ false, MMIO_BASE + 0x88, 8, 0x0123456789abcdefULL, R_R9, 0x0123456789abcdefULL },
	{ false, MMIO_BASE + 0x100, 4, 0xcafef00d, R_RAX, 0xcafef00dULL },
	{ false, MMIO_BASE + 0x101, 1, 0x5a, R_RDX, 0xffffffffffff5affULL },
};

GUEST_ASM(guest_mmio32, ".code32",
	"movl $0xc0000000, %ebx\n"
	"movl $0x55667788, %ecx\n"
	"movl $3, %esi\n"
	"movb $0x12, (%ebx)\n"
	"movw $0x3456, 2(%ebx)\n"
	"movl $0x789abcde, 4(%ebx)\n"
	"movb %cl, 0x10(%ebx)\n"
	"movw %cx, 0x12(%ebx)\n"
	"movl %ecx, 0x20(%ebx,%esi,4)\n"
	"movb %ch, 0x30(%ebx)\n"
	"leal 0x40(%ebx), %edi\n"
	"movl %ecx, %eax\n"
	"cld\n"
	"stosb\n"
	"stosw\n"
	"stosl\n"
	"movl $-1, %edx\n"
	"movb 0x50(%ebx), %dl\n" SYNC
	"movw 0x52(%ebx), %dx\n" SYNC
	"movl 0x54(%ebx), %edx\n" SYNC
	"movzbl 0x60(%ebx), %edx\n" SYNC
	"movzwl 0x62(%ebx), %edx\n" SYNC
	"movsbl 0x64(%ebx), %edx\n" SYNC
	"movswl 0x66(%ebx), %edx\n" SYNC
	"movl 0x70(%ebx,%esi,8), %edx\n" SYNC
	"movl $-1, %eax\n"
	"movl 0xc0000100, %eax\n" SYNC
	"movl $-1, %edx\n"
	"movb 0x101(%ebx), %dh\n" SYNC
	"hlt\n");

static const struct step steps32[] = {
	{ true, MMIO_BASE + 0x00, 1, 0x12, R_NONE, 0 },
	{ true, MMIO_BASE + 0x02, 2, 0x3456, R_NONE, 0 },
	{ true, MMIO_BASE + 0x04, 4, 0x789abcde, R_NONE, 0 },
	{ true, MMIO_BASE + 0x10, 1, 0x88, R_NONE, 0 },
	{ true, MMIO_BASE + 0x12, 2, 0x7788, R_NONE, 0 },
	{ true, MMIO_BASE + 0x2c, 4, 0x55667788, R_NONE, 0 },
	{ true, MMIO_BASE + 0x30, 1, 0x77, R_NONE, 0 },
	{ true, MMIO_BASE + 0x40, 1, 0x88, R_NONE, 0 },
	{ true, MMIO_BASE + 0x41, 2, 0x7788, R_NONE, 0 },
	{ true, MMIO_BASE + 0x43, 4, 0x55667788, R_NONE, 0 },
	{ false, MMIO_BASE + 0x50, 1, 0x81, R_RDX, 0xffffff81 },
	{ false, MMIO_BASE + 0x52, 2, 0x8234, R_RDX, 0xffff8234 },
	{ false, MMIO_BASE + 0x54, 4, 0x87654321, R_RDX, 0x87654321 },
	{ false, MMIO_BASE + 0x60, 1, 0x80, R_RDX, 0x80 },
	{ false, MMIO_BASE + 0x62, 2, 0x8000, R_RDX, 0x8000 },
	{ false, MMIO_BASE + 0x64, 1, 0x80, R_RDX, 0xffffff80 },
	{ false, MMIO_BASE + 0x66, 2, 0x8001, R_RDX, 0xffff8001 },
	{ false, MMIO_BASE + 0x88, 4, 0x13579bdf, R_RDX, 0x13579bdf },
	{ false, MMIO_BASE + 0x100, 4, 0xcafef00d, R_RAX, 0xcafef00d },
	{ false, MMIO_BASE + 0x101, 1, 0x5a, R_RDX, 0xffff5aff },
};

GUEST_ASM(guest_mmio16, ".code16",
	"movw $0xa000, %ax\n"
	"movw %ax, %es\n"
	"movl $0x55667788, %ecx\n"
	"movw $0x10, %bx\n"
	"movw $3, %si\n"
	"movb $0x12, %es:0\n"
	"movw $0x3456, %es:2\n"
	"movl $0x789abcde, %es:4\n"
	"movb %cl, %es:0x10\n"
	"movw %cx, %es:2(%bx,%si)\n"
	"movl %ecx, %es:0x20(%bx)\n"
	"movw $0x40, %di\n"
	"movl %ecx, %eax\n"
	"cld\n"
	"stosb\n"
	"stosl\n"
	"movl $-1, %edx\n"
	"movb %es:0x50, %dl\n" SYNC
	"movw %es:0x52, %dx\n" SYNC
	"movl %es:0x54, %edx\n" SYNC
	"movl $-1, %edx\n"
	"movzbw %es:0x60, %dx\n" SYNC
	"movsbl %es:0x64, %edx\n" SYNC
	"movw %es:0x66(%bx,%si), %dx\n" SYNC
	"hlt\n");

static const struct step steps16[] = {
	{ true, MMIO_REAL + 0x00, 1, 0x12, R_NONE, 0 },
	{ true, MMIO_REAL + 0x02, 2, 0x3456, R_NONE, 0 },
	{ true, MMIO_REAL + 0x04, 4, 0x789abcde, R_NONE, 0 },
	{ true, MMIO_REAL + 0x10, 1, 0x88, R_NONE, 0 },
	{ true, MMIO_REAL + 0x15, 2, 0x7788, R_NONE, 0 },
	{ true, MMIO_REAL + 0x30, 4, 0x55667788, R_NONE, 0 },
	{ true, MMIO_REAL + 0x40, 1, 0x88, R_NONE, 0 },
	{ true, MMIO_REAL + 0x41, 4, 0x55667788, R_NONE, 0 },
	{ false, MMIO_REAL + 0x50, 1, 0x81, R_RDX, 0xffffff81 },
	{ false, MMIO_REAL + 0x52, 2, 0x8234, R_RDX, 0xffff8234 },
	{ false, MMIO_REAL + 0x54, 4, 0x87654321, R_RDX, 0x87654321 },
	{ false, MMIO_REAL + 0x60, 1, 0x80, R_RDX, 0xffff0080 },
	{ false, MMIO_REAL + 0x64, 1, 0x80, R_RDX, 0xffffff80 },
	{ false, MMIO_REAL + 0x79, 2, 0xbeef, R_RDX, 0xffffbeef },
};

static uint64_t reg_of(struct kvm_regs *regs, enum reg r)
{
	switch (r) {
	case R_RAX:
		return regs->rax;
	case R_RDX:
		return regs->rdx;
	case R_R9:
		return regs->r9;
	default:
		return 0;
	}
}

static void mmio_steps(struct __test_metadata *_metadata, enum gmode mode,
		       const unsigned char *start, const unsigned char *end,
		       const struct step *steps, size_t n)
{
	struct gvcpu *v = guest_create(mode, start, end);
	uint64_t mask = mode == GM_LONG64 ? ~0ULL : 0xffffffffULL;
	struct kvm_run *run = v->run;
	struct kvm_regs regs;
	uint64_t hlt_rip;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct step *s = &steps[i];
		uint64_t data = 0;

		GUEST_RUN_EXPECT(v, KVM_EXIT_MMIO);
		ASSERT_EQ(s->gpa, (uint64_t)run->mmio.phys_addr) {
			TH_LOG("step %zu: %s", i, gvcpu_exit_str(v));
		}
		ASSERT_EQ(s->len, run->mmio.len) {
			TH_LOG("step %zu: %s", i, gvcpu_exit_str(v));
		}
		ASSERT_EQ(s->write, !!run->mmio.is_write) {
			TH_LOG("step %zu: %s", i, gvcpu_exit_str(v));
		}
		if (s->write) {
			memcpy(&data, run->mmio.data, s->len);
			EXPECT_EQ(s->data, data) {
				TH_LOG("step %zu: wrote %#llx, want %#llx", i,
				       (unsigned long long)data, (unsigned long long)s->data);
			}
			continue;
		}
		memcpy(run->mmio.data, &s->data, s->len);
		GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
		ASSERT_EQ(SYNC_PORT, run->io.port) {
			TH_LOG("step %zu: %s", i, gvcpu_exit_str(v));
		}
		gvcpu_get_regs(v, &regs);
		EXPECT_EQ(s->want & mask, reg_of(&regs, s->reg) & mask) {
			TH_LOG("step %zu: load of %u bytes at %#llx: register %#llx, want %#llx",
			       i, s->len, (unsigned long long)s->gpa,
			       (unsigned long long)reg_of(&regs, s->reg),
			       (unsigned long long)s->want);
		}
	}
	GUEST_RUN_EXPECT(v, KVM_EXIT_HLT);
	hlt_rip = GUEST_CODE_GPA + (end - start);
	if (mode == GM_REAL)
		hlt_rip -= GUEST_CODE_GPA;
	EXPECT_EQ(hlt_rip, gvcpu_rip(v));
	guest_destroy(v);
}

TEST(mmio_real_mode)
{
	mmio_steps(_metadata, GM_REAL, guest_mmio16, guest_mmio16_end, steps16,
		   ARRAY_SIZE(steps16));
}

TEST(mmio_protected_mode_32)
{
	mmio_steps(_metadata, GM_PROT32, guest_mmio32, guest_mmio32_end, steps32,
		   ARRAY_SIZE(steps32));
}

TEST(mmio_long_mode_64)
{
	mmio_steps(_metadata, GM_LONG64, guest_mmio64, guest_mmio64_end, steps64,
		   ARRAY_SIZE(steps64));
}

/* The same MMIO address read many times: every access exits. */
GUEST_ASM(guest_mmio_loop, ".code64",
	"movl $0xc0000000, %ebx\n"
	"xorl %ecx, %ecx\n"
	"1: movl (%rbx), %eax\n"
	"movl %eax, 4(%rbx)\n"
	"incl %ecx\n"
	"cmpl $500, %ecx\n"
	"jne 1b\n"
	"hlt\n");

TEST(mmio_many_exits)
{
	struct gvcpu *v = guest_create(GM_LONG64, guest_mmio_loop, guest_mmio_loop_end);
	struct kvm_run *run = v->run;
	uint32_t i, val;

	for (i = 0; i < 500; i++) {
		GUEST_RUN_EXPECT(v, KVM_EXIT_MMIO);
		ASSERT_EQ(0, run->mmio.is_write);
		ASSERT_EQ(MMIO_BASE, (uint64_t)run->mmio.phys_addr);
		val = i * 7 + 1;
		memcpy(run->mmio.data, &val, 4);
		GUEST_RUN_EXPECT(v, KVM_EXIT_MMIO);
		ASSERT_EQ(1, run->mmio.is_write);
		ASSERT_EQ(MMIO_BASE + 4, (uint64_t)run->mmio.phys_addr);
		ASSERT_EQ(4U, run->mmio.len);
		memcpy(&val, run->mmio.data, 4);
		ASSERT_EQ(i * 7 + 1, val);
	}
	GUEST_RUN_EXPECT(v, KVM_EXIT_HLT);
	guest_destroy(v);
}

#define RO_GPA		0x100000UL
#define RO_SIZE		0x10000UL

GUEST_ASM(guest_mmio_ro, ".code64",
	"movl $0x100000, %ebx\n"
	"movq (%rbx), %rax\n"
	"outl %eax, $0x30\n"
	"movq $0x77, 8(%rbx)\n"
	"movq 8(%rbx), %rax\n"
	"outl %eax, $0x30\n"
	"movl $0xabcd, 0x2000(%rbx)\n"
	"movl 0x2000(%rbx), %eax\n"
	"outl %eax, $0x30\n"
	"hlt\n");

TEST(mmio_readonly_slot)
{
	struct gvcpu *v;
	struct gvm *vm;
	struct kvm_run *run;
	uint64_t *ro;
	uint64_t data = 0;

	vm = gvm_create();
	if (ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
		gvm_destroy(vm);
		SKIP(return, "KVM_CAP_READONLY_MEM not supported");
	}
	gvm_load(vm, GUEST_CODE_GPA, guest_mmio_ro, guest_mmio_ro_end);
	ro = gvm_add_slot(vm, 1, RO_GPA, RO_SIZE, KVM_MEM_READONLY);
	ro[0] = 0x1234567890abcdefULL;
	ro[1] = 0x600df00d;
	ro[0x2000 / 8] = 0x5555;
	v = gvcpu_create(vm, 0, GM_LONG64);
	run = v->run;

	/* A load reads the slot's memory, no exit. */
	GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
	ASSERT_EQ(REPORT_PORT, run->io.port);
	EXPECT_EQ(0x90abcdefU, *(uint32_t *)gvcpu_io_data(v));

	/* A store exits as MMIO and leaves memory alone. */
	GUEST_RUN_EXPECT(v, KVM_EXIT_MMIO);
	EXPECT_EQ(RO_GPA + 8, (uint64_t)run->mmio.phys_addr);
	EXPECT_EQ(8U, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	memcpy(&data, run->mmio.data, 8);
	EXPECT_EQ(0x77ULL, data);

	GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
	ASSERT_EQ(REPORT_PORT, run->io.port);
	EXPECT_EQ(0x600df00dU, *(uint32_t *)gvcpu_io_data(v));
	EXPECT_EQ(0x600df00dULL, ro[1]);

	GUEST_RUN_EXPECT(v, KVM_EXIT_MMIO);
	EXPECT_EQ(RO_GPA + 0x2000, (uint64_t)run->mmio.phys_addr);
	EXPECT_EQ(4U, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
	EXPECT_EQ(0x5555U, *(uint32_t *)gvcpu_io_data(v));
	EXPECT_EQ(0x5555ULL, ro[0x2000 / 8]);

	GUEST_RUN_EXPECT(v, KVM_EXIT_HLT);
	gvcpu_destroy(v);
	gvm_destroy(vm);
}

TEST_HARNESS_MAIN
