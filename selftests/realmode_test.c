// SPDX-License-Identifier: GPL-2.0
/*
 * realmode_test: real-mode guests, on every device: KVM (unrestricted
 * guest on VMX), minihv with nested paging (unrestricted guest), minihv
 * on VMX with ept=0 (virtual-8086 mode, arch/x86/vmx/realmode.c) and on
 * SVM with npt=0 (paged real mode).
 *
 * KVM semantics relied on (and so required of minihv):
 *  - IN/OUT exit as KVM_EXIT_IO in real mode; INT n goes through the IVT
 *    the guest wrote itself (IF clear in the handler, back after IRET);
 *    #UD and #BP go through the IVT with the faulting IP and the IP after
 *    the INT3 on the stack.
 *  - KVM_GET_SREGS shows a segment the guest loaded (selector and base
 *    selector << 4); KVM_GET_REGS shows RFLAGS as the guest has it
 *    (no VM flag, IOPL 0: minihv's v86 mode keeps those to itself).
 *  - LGDT, MOV to CR0 setting PE and a far jump enter 32-bit protected
 *    mode (CR0 reads 0x31); a 16-bit code segment, clearing PE and a far
 *    jump come back to real mode (CR0 reads 0x30), where INT n works
 *    again.
 *  - KVM_INTERRUPT and KVM_NMI while the guest is in real mode go through
 *    the IVT (the NMI with IF=0), the IP after the interrupted
 *    instruction pushed.
 *  - With an in-kernel APIC (split irqchip), a real-mode guest turns on
 *    x2APIC with RDMSR/WRMSR, sends itself an IPI with IF=0, and takes it
 *    through the IVT right after STI; HLT: the IP after the HLT pushed.
 *  - The reset state (CS base 0xffff0000, IP 0xfff0) runs the code at
 *    0xfffffff0.  Not on minihv's VMX backend with ept=0: v86 mode cannot
 *    hold a CS base that is not selector << 4, and KVM_RUN says so
 *    (KVM_EXIT_INTERNAL_ERROR, suberror EMULATION, data: segment 1 (CS),
 *    selector, base, IP); checked there instead.
 */
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/harness.h"
#include "lib/guest.h"
#include "lib/apic.h"
#include "lib/hvtest.h"

#define RM_PORT		0x30	/* out %eax: a report */
#define RM_PORT_IN	0x31	/* in %eax: the host answers RM_IN_VAL */
#define RM_PORT_CHECK	0x32	/* the host looks at the registers now */
#define RM_PORT_IRQ	0x33	/* the host injects vector 0x40 */
#define RM_PORT_NMI	0x34	/* the host injects an NMI */
#define RM_PORT_DONE	0x3f
#define RM_IN_VAL	0xcafe1234u
#define RM_GDTR_GPA	(GUEST_DATA_GPA + 0x100)	/* DS:0x100 */
#define RM_SEL_CODE16	0x30
#define RM_SEL_DATA16	0x38
#define RM_MAX		32

#define EFLAGS_IF	0x200ULL
#define EFLAGS_IOPL	0x3000ULL
#define EFLAGS_VM	0x20000ULL

/*
 * IN/OUT, INT 0x80, #UD and #BP through the guest's own IVT entries, a
 * segment load for the host to see, then protected mode and back.
 */
GUEST_ASM(guest_rm, ".code16",
	"inl $0x31, %eax\n"
	"xorl $0x11111111, %eax\n"
	"outl %eax, $0x30\n"
	/* Vectors 0x80, 6, 3: this code segment. */
	"xorw %ax, %ax\n mov %ax, %es\n"
	"movw $(rm_int80 - guest_rm), %es:0x200\n movw %cs, %es:0x202\n"
	"movw $(rm_ud - guest_rm), %es:0x18\n movw %cs, %es:0x1a\n"
	"movw $(rm_bp - guest_rm), %es:0x0c\n movw %cs, %es:0x0e\n"
	"movw $0x2000, %ax\n mov %ax, %es\n"
	"sti\n"
	"int $0x80\n"
	"pushfl\n popl %eax\n andl $0x200, %eax\n orl $0x81000000, %eax\n"
	"outl %eax, $0x30\n"
	"rm_ud_insn: ud2\n"
	"int3\n"
	"rm_bp_after:\n"
	"movw $0x2345, %ax\n mov %ax, %fs\n"
	"outl %eax, $0x32\n"
	/* Protected mode: the library's GDT, its flat 32-bit code (0x18). */
	"cli\n"
	"lgdtl %ds:0x100\n"
	"movl %cr0, %eax\n orl $1, %eax\n movl %eax, %cr0\n"
	"ljmpl $0x18, $(0x10000 + rm_pm32 - guest_rm)\n"
	".code32\n"
	"rm_pm32:\n"
	"movl $0x10, %eax\n mov %ax, %ds\n mov %ax, %es\n mov %ax, %ss\n"
	"movl $0x42000, %esp\n"
	"movl %cr0, %eax\n outl %eax, $0x30\n"
	"movl $0x32323232, %eax\n outl %eax, $0x30\n"
	/* Back: 16-bit segments (base 0x10000 and 0x20000), then PE off. */
	"ljmpl $0x30, $(rm_pm16 - guest_rm)\n"
	".code16\n"
	"rm_pm16:\n"
	"movw $0x38, %ax\n mov %ax, %ds\n mov %ax, %es\n mov %ax, %ss\n"
	"mov %ax, %fs\n mov %ax, %gs\n"
	"movl %cr0, %eax\n andl $0xfffffffe, %eax\n movl %eax, %cr0\n"
	"ljmp $0x1000, $(rm_back - guest_rm)\n"
	"rm_back:\n"
	"movw $0x2000, %ax\n mov %ax, %ds\n mov %ax, %es\n mov %ax, %fs\n"
	"mov %ax, %gs\n movw $0x4000, %ax\n mov %ax, %ss\n movw $0x2000, %sp\n"
	"movl %cr0, %eax\n outl %eax, $0x30\n"
	"sti\n int $0x80\n"
	"movl $0x16161616, %eax\n outl %eax, $0x30\n"
	"hlt\n"
	"rm_hlt_after:\n"
	"rm_int80:\n"
	"pushfl\n popl %eax\n andl $0x200, %eax\n orl $0x80000000, %eax\n"
	"outl %eax, $0x30\n"
	"iret\n"
	/* #UD: report the IP, skip the 2-byte ud2. */
	"rm_ud:\n push %bp\n mov %sp, %bp\n movzwl 2(%bp), %eax\n"
	"addw $2, 2(%bp)\n pop %bp\n"
	"orl $0x06000000, %eax\n outl %eax, $0x30\n iret\n"
	"rm_bp:\n push %bp\n mov %sp, %bp\n movzwl 2(%bp), %eax\n pop %bp\n"
	"orl $0x03000000, %eax\n outl %eax, $0x30\n iret\n");
GUEST_LABEL(rm_ud_insn);
GUEST_LABEL(rm_bp_after);
GUEST_LABEL(rm_hlt_after);

/* KVM_INTERRUPT (vector 0x40) with IF=1, then KVM_NMI with IF=0. */
GUEST_ASM(guest_rm_irq, ".code16",
	"xorw %ax, %ax\n mov %ax, %es\n"
	"movw $(rm_irq40 - guest_rm_irq), %es:0x100\n movw %cs, %es:0x102\n"
	"movw $(rm_nmi - guest_rm_irq), %es:0x08\n movw %cs, %es:0x0a\n"
	"movw $0x2000, %ax\n mov %ax, %es\n"
	"xorl %ebx, %ebx\n"
	"sti\n nop\n"
	"outl %eax, $0x33\n"
	"rm_irq_after:\n"
	"movl %ebx, %eax\n outl %eax, $0x30\n"
	"cli\n"
	"outl %eax, $0x34\n"
	"rm_nmi_after:\n"
	"movl %ebx, %eax\n outl %eax, $0x30\n"
	"hlt\n"
	"rm_irq40:\n"
	"pushfl\n popl %eax\n andl $0x200, %eax\n orl $0x40000000, %eax\n"
	"outl %eax, $0x30\n"
	"push %bp\n mov %sp, %bp\n movzwl 2(%bp), %eax\n pop %bp\n"
	"outl %eax, $0x30\n"
	"movl $0x40, %ebx\n iret\n"
	"rm_nmi:\n"
	"push %bp\n mov %sp, %bp\n movzwl 2(%bp), %eax\n pop %bp\n"
	"orl $0x02000000, %eax\n outl %eax, $0x30\n"
	"movl $0x02, %ebx\n iret\n");
GUEST_LABEL(rm_irq_after);
GUEST_LABEL(rm_nmi_after);

/* x2APIC from real mode: a self-IPI (vector 0x41) taken after STI; HLT. */
GUEST_ASM(guest_rm_apic, ".code16",
	"xorw %ax, %ax\n mov %ax, %es\n"
	"movw $(rm_ipi - guest_rm_apic), %es:0x104\n movw %cs, %es:0x106\n"
	"movw $0x2000, %ax\n mov %ax, %es\n"
	"xorl %ebx, %ebx\n"
	"movl $0x1b, %ecx\n rdmsr\n orl $0xc00, %eax\n wrmsr\n"
	"movl $0x80f, %ecx\n movl $0x1ff, %eax\n xorl %edx, %edx\n wrmsr\n"
	"cli\n"
	"movl $0x830, %ecx\n movl $0x40041, %eax\n xorl %edx, %edx\n wrmsr\n"
	"movl %ebx, %eax\n outl %eax, $0x30\n"
	"sti\n hlt\n"
	"rm_apic_after:\n"
	"movl %ebx, %eax\n outl %eax, $0x30\n"
	"outl %eax, $0x3f\n"
	"rm_ipi:\n"
	"push %bp\n mov %sp, %bp\n movzwl 2(%bp), %eax\n pop %bp\n"
	"outl %eax, $0x30\n"
	"movl $0x41, %ebx\n"
	"movl $0x80b, %ecx\n xorl %eax, %eax\n xorl %edx, %edx\n wrmsr\n"
	"iret\n");
GUEST_LABEL(rm_apic_after);

/*
 * Protected mode with paging off reads and writes its own memory at
 * 0xfff00000..0xfff02fff, where minihv's v86 TSS sat while the guest was
 * in real mode (arch/x86/vmx/realmode.c, RM_TSS_LA).
 */
GUEST_ASM(guest_rm_tss, ".code16",
	"cli\n"
	"lgdtl %ds:0x100\n"
	"movl %cr0, %eax\n orl $1, %eax\n movl %eax, %cr0\n"
	"ljmpl $0x18, $(0x10000 + rm_tss32 - guest_rm_tss)\n"
	".code32\n"
	"rm_tss32:\n"
	"movl $0x10, %eax\n mov %ax, %ds\n"
	"movl 0xfff00000, %eax\n outl %eax, $0x30\n"
	"movl 0xfff01000, %eax\n outl %eax, $0x30\n"
	"movl 0xfff02ffc, %eax\n outl %eax, $0x30\n"
	"movl $0x5a5a5a5a, 0xfff00068\n"
	"movl 0xfff00068, %eax\n outl %eax, $0x30\n"
	"hlt\n");

/* minihv on VMX without EPT/unrestricted guest: real mode in v86 mode. */
static bool vmx_vm86(void)
{
	struct minihv_info info;
	int fd, r;

	if (dev_is_kvm())
		return false;
	fd = hv_open_dev();
	if (fd < 0)
		return false;
	r = hv_get_info(fd, &info);
	close(fd);
	return !r && info.vendor == MINIHV_VENDOR_VMX &&
	       !(info.flags & MINIHV_INFO_TDP);
}

struct rm_run {
	int n;
	uint32_t val[RM_MAX];
};

/*
 * Run until an exit that is not a report or IN (returned), collecting
 * the reports; IN on RM_PORT_IN gets RM_IN_VAL.
 */
static uint32_t rm_run(struct gvcpu *v, struct rm_run *t)
{
	struct kvm_run *r = v->run;

	for (;;) {
		uint32_t reason = gvcpu_run_exit(v);
		uint32_t val = RM_IN_VAL;

		if (reason != KVM_EXIT_IO || r->io.size != 4)
			return reason;
		if (r->io.direction == KVM_EXIT_IO_IN &&
		    r->io.port == RM_PORT_IN) {
			memcpy(gvcpu_io_data(v), &val, 4);
			continue;
		}
		if (r->io.direction != KVM_EXIT_IO_OUT || r->io.port != RM_PORT ||
		    t->n == RM_MAX)
			return reason;
		memcpy(&t->val[t->n++], gvcpu_io_data(v), 4);
	}
}

static uint64_t gdt_desc(uint32_t base, uint32_t limit, uint8_t access)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) | ((uint64_t)(limit >> 16) << 48) |
	       ((uint64_t)(base >> 24) << 56);
}

static void expect_reports(struct __test_metadata *_metadata,
			   const struct rm_run *t, const uint32_t *want, int n)
{
	int i;

	EXPECT_EQ(n, t->n);
	for (i = 0; i < n && i < t->n; i++)
		EXPECT_EQ(want[i], t->val[i]) {
			TH_LOG("report %d: %#x, want %#x", i, t->val[i],
			       want[i]);
		}
}

TEST(io_int_exceptions_protected_mode_and_back)
{
	struct gvcpu *v = guest_create(GM_REAL, guest_rm, guest_rm_end);
	uint16_t ud_ip = rm_ud_insn - guest_rm, bp_ip = rm_bp_after - guest_rm;
	const uint32_t want1[] = {
		RM_IN_VAL ^ 0x11111111, 0x80000000, 0x81000200,
		0x06000000 | ud_ip, 0x03000000 | bp_ip,
	};
	const uint32_t want2[] = {
		0x31, 0x32323232, 0x30, 0x80000000, 0x16161616,
	};
	struct rm_run t = { 0 };
	struct kvm_sregs sr;
	struct kvm_regs regs;
	uint8_t gdtr[6] = { 0xff, 0, 0, 0x10, 0, 0 };	/* 0x1000, 255 */

	gvm_write(v->vm, RM_GDTR_GPA, gdtr, sizeof(gdtr));
	gvm_write64(v->vm, GUEST_GDT_GPA + RM_SEL_CODE16,
		    gdt_desc(GUEST_CODE_GPA, 0xffff, 0x9b));
	gvm_write64(v->vm, GUEST_GDT_GPA + RM_SEL_DATA16,
		    gdt_desc(GUEST_DATA_GPA, 0xffff, 0x93));

	/* Up to the register check. */
	ASSERT_EQ((uint32_t)KVM_EXIT_IO, rm_run(v, &t)) {
		TH_LOG("%s", gvcpu_exit_str(v));
	}
	ASSERT_EQ(RM_PORT_CHECK, v->run->io.port) {
		TH_LOG("%s after %d reports", gvcpu_exit_str(v), t.n);
	}
	expect_reports(_metadata, &t, want1, 5);
	gvcpu_get_sregs(v, &sr);
	EXPECT_EQ(0x2345, sr.fs.selector);
	EXPECT_EQ(0x23450ULL, sr.fs.base);
	EXPECT_EQ(0x1000, sr.cs.selector);
	EXPECT_EQ(GUEST_CODE_GPA, sr.cs.base);
	EXPECT_EQ(0x40000ULL, sr.ss.base);
	EXPECT_EQ(0ULL, sr.cr0 & 1);
	gvcpu_get_regs(v, &regs);
	EXPECT_EQ(EFLAGS_IF, regs.rflags & (EFLAGS_IF | EFLAGS_IOPL | EFLAGS_VM)) {
		TH_LOG("rflags %#llx", (unsigned long long)regs.rflags);
	}

	/* Protected mode and back, to the HLT. */
	t.n = 0;
	ASSERT_EQ((uint32_t)KVM_EXIT_HLT, rm_run(v, &t)) {
		TH_LOG("%s after %d reports", gvcpu_exit_str(v), t.n);
	}
	expect_reports(_metadata, &t, want2, 5);
	EXPECT_EQ((uint64_t)(rm_hlt_after - guest_rm), gvcpu_rip(v));
	gvcpu_get_sregs(v, &sr);
	EXPECT_EQ(0x2000, sr.ds.selector);
	EXPECT_EQ(GUEST_DATA_GPA, sr.ds.base);
	EXPECT_EQ(0x4000, sr.ss.selector);
	EXPECT_EQ(0x30ULL, sr.cr0);
	guest_destroy(v);
}

TEST(injected_interrupt_and_nmi)
{
	struct gvcpu *v = guest_create(GM_REAL, guest_rm_irq, guest_rm_irq_end);
	const uint32_t want[] = {
		0x40000000, (uint32_t)(rm_irq_after - guest_rm_irq), 0x40,
		0x02000000 | (uint32_t)(rm_nmi_after - guest_rm_irq), 0x02,
	};
	struct kvm_interrupt irq = { .irq = 0x40 };
	struct rm_run t = { 0 };

	ASSERT_EQ((uint32_t)KVM_EXIT_IO, rm_run(v, &t));
	ASSERT_EQ(RM_PORT_IRQ, v->run->io.port) {
		TH_LOG("%s", gvcpu_exit_str(v));
	}
	EXPECT_TRUE(v->run->if_flag);
	ASSERT_EQ(0, ioctl(v->fd, KVM_INTERRUPT, &irq));
	ASSERT_EQ((uint32_t)KVM_EXIT_IO, rm_run(v, &t));
	ASSERT_EQ(RM_PORT_NMI, v->run->io.port) {
		TH_LOG("%s after %d reports", gvcpu_exit_str(v), t.n);
	}
	EXPECT_FALSE(v->run->if_flag);
	ASSERT_EQ(0, ioctl(v->fd, KVM_NMI, 0));
	ASSERT_EQ((uint32_t)KVM_EXIT_HLT, rm_run(v, &t)) {
		TH_LOG("%s after %d reports", gvcpu_exit_str(v), t.n);
	}
	expect_reports(_metadata, &t, want, 5);
	guest_destroy(v);
}

TEST(apic_self_ipi_and_hlt)
{
	struct gvm *vm = apic_vm_create(guest_rm_apic, guest_rm_apic_end, true);
	struct gvcpu *v = apic_vcpu_create(vm, 0, GUEST_CODE_GPA);
	const uint32_t want[] = {
		0, (uint32_t)(rm_apic_after - guest_rm_apic), 0x41,
	};
	struct rm_run t = { 0 };

	gvcpu_set_mode(v, GM_REAL, GUEST_CODE_GPA);
	ASSERT_EQ((uint32_t)KVM_EXIT_IO, rm_run(v, &t)) {
		TH_LOG("%s", gvcpu_exit_str(v));
	}
	EXPECT_EQ(RM_PORT_DONE, v->run->io.port) {
		TH_LOG("%s after %d reports", gvcpu_exit_str(v), t.n);
	}
	expect_reports(_metadata, &t, want, 3);
	gvcpu_destroy(v);
	gvm_destroy(vm);
}

TEST(protected_mode_memory_where_the_v86_tss_was)
{
	struct gvcpu *v = guest_create(GM_REAL, guest_rm_tss, guest_rm_tss_end);
	const uint32_t want[] = {
		0x11110000, 0x22220000, 0x33330000, 0x5a5a5a5a,
	};
	uint8_t gdtr[6] = { 0xff, 0, 0, 0x10, 0, 0 };	/* 0x1000, 255 */
	struct rm_run t = { 0 };
	uint8_t *mem;

	mem = gvm_add_slot(v->vm, 1, 0xfff00000UL, 0x3000, 0);
	memcpy(mem, &want[0], 4);
	memcpy(mem + 0x1000, &want[1], 4);
	memcpy(mem + 0x2ffc, &want[2], 4);
	gvm_write(v->vm, RM_GDTR_GPA, gdtr, sizeof(gdtr));
	ASSERT_EQ((uint32_t)KVM_EXIT_HLT, rm_run(v, &t)) {
		TH_LOG("%s after %d reports", gvcpu_exit_str(v), t.n);
	}
	expect_reports(_metadata, &t, want, 4);
	EXPECT_EQ(0, memcmp(mem + 0x68, &want[3], 4));
	guest_destroy(v);
}

TEST(reset_state)
{
	struct gvm *vm = gvm_create();
	uint8_t *rom = gvm_add_slot(vm, 1, 0xffff0000UL, 0x10000, 0);
	struct kvm_regs regs;
	struct kvm_run *run;
	int fd;

	rom[0xfff0] = 0xf4;	/* hlt at 0xfffffff0 */
	fd = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, fd);
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, run);
	ASSERT_EQ(0, ioctl(fd, KVM_RUN, 0));
	if (vmx_vm86()) {
		ASSERT_EQ((uint32_t)KVM_EXIT_INTERNAL_ERROR, run->exit_reason);
		EXPECT_EQ((uint32_t)KVM_INTERNAL_ERROR_EMULATION,
			  run->internal.suberror);
		ASSERT_EQ(4U, run->internal.ndata);
		EXPECT_EQ(1ULL, run->internal.data[0]);		/* CS */
		EXPECT_EQ(0xf000ULL, run->internal.data[1]);
		EXPECT_EQ(0xffff0000ULL, run->internal.data[2]);
		EXPECT_EQ(0xfff0ULL, run->internal.data[3]);
	} else {
		EXPECT_EQ((uint32_t)KVM_EXIT_HLT, run->exit_reason);
		ASSERT_EQ(0, ioctl(fd, KVM_GET_REGS, &regs));
		EXPECT_EQ(0xfff1ULL, regs.rip);
	}
	munmap(run, vm->run_size);
	close(fd);
	gvm_destroy(vm);
}

TEST_HARNESS_MAIN
