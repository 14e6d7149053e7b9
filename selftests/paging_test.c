// SPDX-License-Identifier: GPL-2.0
/*
 * paging_test: guests that build their own page tables and switch to them
 * in every paging mode, and rely on what the MMU does with them.  They run
 * the same on nested paging and on shadow paging (minihv with npt=0 or
 * ept=0, see run.sh), and on KVM.
 *
 * Each guest (32-bit paging with a 4 MiB PSE page, PAE, 4-level long mode
 * with a 2 MiB page) maps PG_VA onto data frames and reports, in order:
 *  - reads through its mapping (frames 0 and 1);
 *  - the A and D bits of the entry: A after a read, A|D after a write,
 *    and the write landed in the frame;
 *  - a remap of PG_VA to frame 1 followed by INVLPG is seen;
 *  - CR0.WP=0: a kernel write through a read-only entry succeeds;
 *  - CR0.WP=1: the same write faults (#PF, error P|W, CR2 the address);
 *    the guest's own #PF handler makes the entry writable, INVLPGs and
 *    returns, and the write is retried and lands;
 *  - a not-present page faults (error 0); the handler maps it, the read
 *    is retried;
 *  - an entry changed without INVLPG is seen after MOV CR3;
 *  - PAE and long mode: a fetch from an XD page faults (error P|I); the
 *    handler clears XD and the call is retried;
 *  - long mode: a write through a 2 MiB page sets the PDE's D bit.
 * A guest also enters long mode by itself from 32-bit protected mode and
 * changes a CR0 bit there; the guest and userspace see its CRs.
 * The stress guest remaps 64 pages onto 16 frames 2000 times (INVLPG or
 * MOV CR3 each time), reads and increments through each new mapping; its
 * checksum and the frames must match a model of the same walk.  The churn
 * guest reads through 1024 different 2 MiB pages three times: more shadow
 * page tables than minihv allows a vCPU, which must only cost time.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/harness.h"
#include "lib/guest.h"
#include "lib/paging.h"

#define OUTV	"outl %eax, $0x32\n"

/* Frames 0 and 1 hold known values; frame 2 holds `mov $0x77, %eax; ret`. */
#define INIT_FRAMES							\
	"movl $0xaaaa0001, 0x80000\n"					\
	"movl $0xbbbb0002, 0x81000\n"					\
	"movl $0x000077b8, 0x82000\n"					\
	"movl $0x0000c300, 0x82004\n"

/* Zero the table pages 0x70000..0x74fff. */
#define ZERO_TABLES							\
	"movl $0x70000, %edi\n"						\
	"xorl %eax, %eax\n"						\
	"movl $5120, %ecx\n"						\
	"cld\n"								\
	"rep stosl\n"

/*
 * The common script.  PTE(n) is the address of PG_VA page n's entry, CR
 * the register for CR moves.
 */
#define BODY(pte0, pte2, cr)						\
	"movl 0x40000000, %eax\n" OUTV					\
	"movl 0x40001000, %eax\n" OUTV					\
	"movl " pte0 ", %eax\n andl $0x60, %eax\n" OUTV			\
	"movl $0x12345678, 0x40000000\n"				\
	"movl " pte0 ", %eax\n andl $0x60, %eax\n" OUTV			\
	"movl 0x80000, %eax\n" OUTV					\
	"movl $0x81003, " pte0 "\n"					\
	"invlpg 0x40000000\n"						\
	"movl 0x40000000, %eax\n" OUTV					\
	"mov %cr0, " cr "\n"						\
	"and $0xfffffffffffeffff, " cr "\n"				\
	"mov " cr ", %cr0\n"						\
	"movl $0x55aa55aa, 0x40001000\n"				\
	"movl 0x81000, %eax\n" OUTV					\
	"mov %cr0, " cr "\n"						\
	"or $0x10000, " cr "\n"						\
	"mov " cr ", %cr0\n"						\
	"movl $0x66, 0x40001004\n"					\
	"movl 0x81004, %eax\n" OUTV					\
	"movl 0x40002000, %eax\n" OUTV					\
	"movl $0x81003, " pte2 "\n"					\
	"mov %cr3, " cr "\n"						\
	"mov " cr ", %cr3\n"						\
	"movl 0x40002000, %eax\n" OUTV

/* ---------------------------------------------------------------------
 * 32-bit paging: PD at table 0 (a 4 MiB page at 0), PT for PG_VA table 1.
 */
GUEST_ASM(guest_pg32, ".code32",
	INIT_FRAMES
	ZERO_TABLES
	"movl $0x00000083, 0x70000\n"
	"movl $0x71003, 0x70400\n"
	"movl $0x80003, 0x71000\n"
	"movl $0x81001, 0x71004\n"
	"movl %cr4, %eax\n orl $0x10, %eax\n movl %eax, %cr4\n"
	"movl $0x70000, %eax\n movl %eax, %cr3\n"
	"movl %cr0, %eax\n orl $0x80010000, %eax\n movl %eax, %cr0\n"
	"jmp 1f\n"
	"1:\n"
	BODY("0x71000", "0x71008", "%eax")
	"hlt\n"
	"guest_pg32_pf:\n"
	"pushl %eax\n"
	"pushl %ebx\n"
	"movl %cr2, %eax\n outl %eax, $0x33\n"
	"movl 8(%esp), %eax\n outl %eax, $0x34\n"
	"movl %cr2, %ebx\n shrl $12, %ebx\n andl $0x3ff, %ebx\n"
	"leal 0x71000(,%ebx,4), %ebx\n"
	"testl $1, (%ebx)\n jnz 1f\n"
	"movl $0x80003, (%ebx)\n jmp 2f\n"
	"1: orl $2, (%ebx)\n"
	"2: movl %cr2, %eax\n invlpg (%eax)\n"
	"popl %ebx\n popl %eax\n addl $4, %esp\n iret\n");
GUEST_LABEL(guest_pg32_pf);

/* The #PF handler of PAE and long mode: PT at table 3, 8-byte entries. */
#define PF_FIX_PAE(bx)							\
	"testl $1, (" bx ")\n jnz 1f\n"					\
	"movl $0x80003, (" bx ")\n movl $0, 4(" bx ")\n jmp 2f\n"	\
	"1: orl $2, (" bx ")\n andl $0x7fffffff, 4(" bx ")\n"		\
	"2:\n"

/* PAE and long mode: PT (table 3) entries 0..3 for PG_VA. */
#define PAE_PT								\
	"movl $0x80003, 0x73000\n"					\
	"movl $0x81001, 0x73008\n"					\
	"movl $0x82003, 0x73018\n"					\
	"movl $0x80000000, 0x7301c\n"					\
	"movl $0xc0000080, %ecx\n rdmsr\n orl $0x800, %eax\n wrmsr\n"

/* ---------------------------------------------------------------------
 * PAE: PDPT at table 0, PD 0 (a 2 MiB page at 0) table 1, PD 1 table 2.
 */
GUEST_ASM(guest_pae, ".code32",
	INIT_FRAMES
	ZERO_TABLES
	"movl $0x71001, 0x70000\n"
	"movl $0x72001, 0x70008\n"
	"movl $0x00000083, 0x71000\n"
	"movl $0x73003, 0x72000\n"
	PAE_PT
	"movl %cr4, %eax\n orl $0x20, %eax\n movl %eax, %cr4\n"
	"movl $0x70000, %eax\n movl %eax, %cr3\n"
	"movl %cr0, %eax\n orl $0x80010000, %eax\n movl %eax, %cr0\n"
	"jmp 1f\n"
	"1:\n"
	BODY("0x73000", "0x73010", "%eax")
	"movl $0x40003000, %ecx\n call *%ecx\n" OUTV
	"hlt\n"
	"guest_pae_pf:\n"
	"pushl %eax\n"
	"pushl %ebx\n"
	"movl %cr2, %eax\n outl %eax, $0x33\n"
	"movl 8(%esp), %eax\n outl %eax, $0x34\n"
	"movl %cr2, %ebx\n shrl $12, %ebx\n andl $0x1ff, %ebx\n"
	"leal 0x73000(,%ebx,8), %ebx\n"
	PF_FIX_PAE("%ebx")
	"movl %cr2, %eax\n invlpg (%eax)\n"
	"popl %ebx\n popl %eax\n addl $4, %esp\n iret\n");
GUEST_LABEL(guest_pae_pf);

/*
 * 4-level: PML4 table 0, PDPT table 1, PD for PG_VA table 2 (PT, then a
 * 2 MiB page at 0x400000), PT table 3, PD for 0..1 GiB table 4 (a 2 MiB
 * page at 0).
 */
#define LONG_TABLES							\
	INIT_FRAMES							\
	ZERO_TABLES							\
	"movl $0x71003, 0x70000\n"					\
	"movl $0x74003, 0x71000\n"					\
	"movl $0x72003, 0x71008\n"					\
	"movl $0x00000083, 0x74000\n"					\
	"movl $0x73003, 0x72000\n"					\
	"movl $0x00400083, 0x72008\n"					\
	PAE_PT								\
	"movl $0x70000, %eax\n movq %rax, %cr3\n"

#define PF_HANDLER64(name)						\
	#name ":\n"							\
	"pushq %rax\n"							\
	"pushq %rbx\n"							\
	"movq %cr2, %rax\n outl %eax, $0x33\n"				\
	"movq 16(%rsp), %rax\n outl %eax, $0x34\n"			\
	"movq %cr2, %rbx\n shrq $12, %rbx\n andl $0x1ff, %ebx\n"	\
	"leaq 0x73000(,%rbx,8), %rbx\n"					\
	PF_FIX_PAE("%rbx")						\
	"movq %cr2, %rax\n invlpg (%rax)\n"				\
	"popq %rbx\n popq %rax\n addq $8, %rsp\n iretq\n"

GUEST_ASM(guest_long, ".code64",
	LONG_TABLES
	BODY("0x73000", "0x73010", "%rax")
	"movl $0x40003000, %ecx\n call *%rcx\n" OUTV
	"movl $0x99, 0x40200010\n"
	"movl 0x72008, %eax\n andl $0x60, %eax\n" OUTV
	"movl 0x40200010, %eax\n" OUTV
	"hlt\n"
	PF_HANDLER64(guest_long_pf));
GUEST_LABEL(guest_long_pf);

#define V(x)	{ PG_PORT_VAL, (x) }
#define CR2(x)	{ PG_PORT_CR2, (x) }
#define ERR(x)	{ PG_PORT_ERR, (x) }

static const struct pg_report trace32[] = {
	V(0xaaaa0001), V(0xbbbb0002), V(0x20), V(0x60), V(0x12345678),
	V(0xbbbb0002), V(0x55aa55aa),
	CR2(0x40001004), ERR(3), V(0x66),
	CR2(0x40002000), ERR(0), V(0x12345678),
	V(0x55aa55aa),
};

/* PAE and long mode: the same, then the XD fetch... */
static const struct pg_report trace_xd[] = {
	CR2(0x40003000), ERR(0x11), V(0x77),
};

/* ...and in long mode the 2 MiB page. */
static const struct pg_report trace_2m[] = { V(0x60), V(0x99) };

/* Reports [@from, @from + @n) of @t must be @want. */
static void check_part(struct __test_metadata *_metadata,
		       const struct pg_trace *t, int from,
		       const struct pg_report *want, int n)
{
	int i;

	for (i = 0; i < n && from + i < t->n; i++) {
		EXPECT_EQ(want[i].port, t->r[from + i].port) {
			TH_LOG("report %d", from + i);
		}
		EXPECT_EQ(want[i].val, t->r[from + i].val) {
			TH_LOG("report %d: want %x:%x, got %s", from + i,
			       want[i].port, want[i].val, pg_trace_str(t));
		}
	}
}

static void check_trace(struct __test_metadata *_metadata,
			const struct pg_trace *t, int n)
{
	ASSERT_EQ(0, t->why[0]) {
		TH_LOG("guest stopped: %s; reports: %s", t->why,
		       pg_trace_str(t));
	}
	EXPECT_EQ(n, t->n) TH_LOG("reports: %s", pg_trace_str(t));
	check_part(_metadata, t, 0, trace32, ARRAY_SIZE(trace32));
}

/* A 2 MiB slot at 0x400000 for the long-mode guest's large page. */
static void add_large_slot(struct gvm *vm)
{
	gvm_add_slot(vm, 1, 0x400000, 0x200000, 0);
}

TEST(paging32_pse)
{
	struct gvcpu *v = guest_create(GM_PROT32, guest_pg32, guest_pg32_end);
	struct pg_trace t;

	pg_set_gate32(v->vm, GV_PF, pg_code_gpa(guest_pg32, guest_pg32_pf));
	pg_run(v, &t);
	check_trace(_metadata, &t, ARRAY_SIZE(trace32));
	guest_destroy(v);
}

TEST(paging_pae_nx)
{
	struct gvcpu *v = guest_create(GM_PROT32, guest_pae, guest_pae_end);
	struct pg_trace t;

	pg_set_gate32(v->vm, GV_PF, pg_code_gpa(guest_pae, guest_pae_pf));
	pg_run(v, &t);
	check_trace(_metadata, &t, ARRAY_SIZE(trace32) + ARRAY_SIZE(trace_xd));
	check_part(_metadata, &t, ARRAY_SIZE(trace32), trace_xd,
		   ARRAY_SIZE(trace_xd));
	guest_destroy(v);
}

TEST(paging_long_4level)
{
	struct gvcpu *v = guest_create(GM_LONG64, guest_long, guest_long_end);
	struct pg_trace t;

	add_large_slot(v->vm);
	pg_set_gate64(v->vm, GV_PF, pg_code_gpa(guest_long, guest_long_pf));
	pg_run(v, &t);
	check_trace(_metadata, &t, ARRAY_SIZE(trace32) + ARRAY_SIZE(trace_xd) +
		    ARRAY_SIZE(trace_2m));
	check_part(_metadata, &t, ARRAY_SIZE(trace32), trace_xd,
		   ARRAY_SIZE(trace_xd));
	check_part(_metadata, &t, ARRAY_SIZE(trace32) + ARRAY_SIZE(trace_xd),
		   trace_2m, ARRAY_SIZE(trace_2m));
	EXPECT_EQ(0x99u, gvm_read32(v->vm, 0x400010));
	guest_destroy(v);
}

/* ---------------------------------------------------------------------
 * A guest that goes from 32-bit protected mode to long mode by itself
 * (CR4.PAE, CR3, EFER.LME, CR0.PG: the library's identity tables), as
 * Linux's PVH entry and its AP trampoline do, reports CR0, then clears
 * CR0.NE and reports CR0 again.  On VMX with EPT the first steps change
 * guest-owned CR bits without an exit and CR0.NE is host-owned: its
 * write exits and must be emulated on the guest's current CR0/CR4 (a #GP
 * there, in long mode with a 32-bit IDT, is a triple fault).  Userspace
 * sees the guest's CRs after each report.
 */
#define CR0_PE		(1u << 0)
#define CR0_NE		(1u << 5)
#define CR0_PG		(1u << 31)
#define CR4_PAE		(1u << 5)
#define EFER_LMA	(1u << 10)

GUEST_ASM(guest_to_long, ".code32",
	"movl %cr4, %eax\n orl $0x20, %eax\n movl %eax, %cr4\n"
	"movl $0x5000, %eax\n movl %eax, %cr3\n"
	"movl $0xc0000080, %ecx\n rdmsr\n orl $0x100, %eax\n wrmsr\n"
	"movl %cr0, %eax\n orl $0x80000000, %eax\n movl %eax, %cr0\n"
	"jmp 1f\n"
	"1: movl %cr0, %eax\n" OUTV
	"andl $0xffffffdf, %eax\n movl %eax, %cr0\n"
	"movl %cr0, %eax\n" OUTV
	"hlt\n");

/* The next exit is a report of CR0 with @want's PE, NE and PG bits. */
static void expect_cr0_report(struct __test_metadata *_metadata,
			      struct gvcpu *v, uint32_t want)
{
	const uint32_t bits = CR0_PE | CR0_NE | CR0_PG;
	struct kvm_sregs s;

	GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
	ASSERT_EQ(PG_PORT_VAL, v->run->io.port) {
		TH_LOG("%s", gvcpu_exit_str(v));
	}
	EXPECT_EQ(want, *(uint32_t *)gvcpu_io_data(v) & bits);
	gvcpu_get_sregs(v, &s);
	EXPECT_EQ(want, s.cr0 & bits);
	EXPECT_EQ(CR4_PAE, s.cr4 & CR4_PAE);
	EXPECT_EQ(EFER_LMA, s.efer & EFER_LMA);
}

TEST(guest_enters_long_mode)
{
	struct gvcpu *v = guest_create(GM_PROT32, guest_to_long,
				       guest_to_long_end);

	expect_cr0_report(_metadata, v, CR0_PE | CR0_NE | CR0_PG);
	expect_cr0_report(_metadata, v, CR0_PE | CR0_PG);
	GUEST_RUN_EXPECT(v, KVM_EXIT_HLT);
	guest_destroy(v);
}

/* ---------------------------------------------------------------------
 * Stress: 2000 remaps of 64 pages of PG_VA onto frames 8..23.
 */
#define STRESS_ITERS	2000
#define STRESS_SEED	12345u

GUEST_ASM(guest_stress, ".code64",
	LONG_TABLES
	"xorl %eax, %eax\n"
	"movl $0x88000, %edi\n"
	"6: movl %eax, (%rdi)\n addl $0x1000, %edi\n incl %eax\n"
	"cmpl $16, %eax\n jne 6b\n"
	"movl $12345, %esi\n"
	"xorl %r8d, %r8d\n"
	"movl $2000, %r9d\n"
	"3:\n"
	"imull $1103515245, %esi, %esi\n addl $12345, %esi\n"
	"movl %esi, %eax\n shrl $8, %eax\n andl $63, %eax\n"
	"movl %esi, %edx\n shrl $16, %edx\n andl $15, %edx\n"
	"shll $12, %edx\n addl $0x88003, %edx\n"
	"movl %edx, 0x73000(,%rax,8)\n"
	"shll $12, %eax\n addl $0x40000000, %eax\n"
	"testl $0x100000, %esi\n jz 4f\n"
	"invlpg (%rax)\n jmp 5f\n"
	"4: movq %cr3, %rcx\n movq %rcx, %cr3\n"
	"5: movl (%rax), %ecx\n addl %ecx, %r8d\n incl %ecx\n movl %ecx, (%rax)\n"
	"decl %r9d\n jnz 3b\n"
	"movl %r8d, %eax\n" OUTV
	"hlt\n"
	PF_HANDLER64(guest_stress_pf));
GUEST_LABEL(guest_stress_pf);

TEST(paging_stress_model)
{
	struct gvcpu *v = guest_create(GM_LONG64, guest_stress, guest_stress_end);
	uint32_t x = STRESS_SEED, sum = 0, frames[16];
	struct pg_trace t;
	int i;

	add_large_slot(v->vm);
	pg_set_gate64(v->vm, GV_PF, pg_code_gpa(guest_stress, guest_stress_pf));
	for (i = 0; i < 16; i++)
		frames[i] = i;
	for (i = 0; i < STRESS_ITERS; i++) {
		uint32_t f;

		x = x * 1103515245u + 12345u;
		f = (x >> 16) & 15;
		sum += frames[f]++;
	}

	pg_run(v, &t);
	ASSERT_EQ(0, t.why[0]) TH_LOG("guest stopped: %s", t.why);
	ASSERT_EQ(1, t.n) TH_LOG("reports: %s", pg_trace_str(&t));
	EXPECT_EQ(sum, t.r[0].val);
	for (i = 0; i < 16; i++)
		EXPECT_EQ((uint32_t)frames[i], gvm_read32(v->vm, PG_FRAME(8 + i))) {
			TH_LOG("frame %d", 8 + i);
		}
	TH_LOG("checksum %#x after %d remaps", t.r[0].val, STRESS_ITERS);
	guest_destroy(v);
}

/* ---------------------------------------------------------------------
 * Churn: 2 GiB of linear space in 2 MiB pages, all onto the same low
 * 2 MiB, read once per 2 MiB three times over.  On shadow paging each
 * 2 MiB needs its own shadow page table: 1024 of them, past the per-vCPU
 * budget, so the tree is dropped and rebuilt on the way; the guest only
 * sees its reads.
 */
GUEST_ASM(guest_churn, ".code64",
	LONG_TABLES
	"movl $0x75003, 0x71010\n"
	"movl $0x76003, 0x71018\n"
	"movl $0x75000, %edi\n"
	"movl $1024, %ecx\n"
	"7: movl $0x83, (%rdi)\n movl $0, 4(%rdi)\n addl $8, %edi\n"
	"decl %ecx\n jnz 7b\n"
	"movq %cr3, %rax\n movq %rax, %cr3\n"
	"xorl %r8d, %r8d\n"
	"movl $3, %r9d\n"
	"8: movl $1024, %ecx\n movl $0x80080000, %edi\n"
	"9: addl (%rdi), %r8d\n addq $0x200000, %rdi\n decl %ecx\n jnz 9b\n"
	"decl %r9d\n jnz 8b\n"
	"movl %r8d, %eax\n" OUTV
	"hlt\n"
	PF_HANDLER64(guest_churn_pf));
GUEST_LABEL(guest_churn_pf);

TEST(paging_churn_bounded)
{
	struct gvcpu *v = guest_create(GM_LONG64, guest_churn, guest_churn_end);
	struct pg_trace t;

	add_large_slot(v->vm);
	pg_set_gate64(v->vm, GV_PF, pg_code_gpa(guest_churn, guest_churn_pf));
	pg_run(v, &t);
	ASSERT_EQ(0, t.why[0]) TH_LOG("guest stopped: %s", t.why);
	ASSERT_EQ(1, t.n) TH_LOG("reports: %s", pg_trace_str(&t));
	EXPECT_EQ((uint32_t)(3 * 1024 * 0xaaaa0001u), t.r[0].val);
	guest_destroy(v);
}

/* ---------------------------------------------------------------------
 * SMEP and SMAP (where the CPU has them: r12 = SMEP, r13 = SMAP).  PG_VA
 * pages 0, 1 and 3 are user pages; the kernel fetching from page 3 (SMEP)
 * or reading page 0 with RFLAGS.AC clear (SMAP) faults with P|I or P; the
 * handler makes the page a supervisor one and the access is retried.
 * With AC set (STAC) the read of user page 1 does not fault.
 */
GUEST_ASM(guest_smep, ".code64",
	LONG_TABLES
	"orl $4, 0x70000\n"		/* PML4[0], PDPT[1], PD[0]: U */
	"orl $4, 0x71008\n"
	"orl $4, 0x72000\n"
	"orl $4, 0x73000\n orl $4, 0x73008\n orl $4, 0x73018\n"
	"movl $0, 0x7301c\n"		/* page 3: no XD here */
	"movq %cr3, %rax\n movq %rax, %cr3\n"
	"testl %r12d, %r12d\n jz 1f\n"
	"movq %cr4, %rax\n orl $0x100000, %eax\n movq %rax, %cr4\n"
	"movl $0x40003000, %ecx\n call *%rcx\n" OUTV
	"1: testl %r13d, %r13d\n jz 2f\n"
	"movq %cr4, %rax\n orl $0x200000, %eax\n movq %rax, %cr4\n"
	"movl 0x40000000, %eax\n" OUTV
	"stac\n movl 0x40001000, %eax\n clac\n" OUTV
	"2: hlt\n"
	"guest_smep_pf:\n"
	"pushq %rax\n"
	"pushq %rbx\n"
	"movq %cr2, %rax\n outl %eax, $0x33\n"
	"movq 16(%rsp), %rax\n outl %eax, $0x34\n"
	"movq %cr2, %rbx\n shrq $12, %rbx\n andl $0x1ff, %ebx\n"
	"leaq 0x73000(,%rbx,8), %rbx\n"
	"andl $0xfffffffb, (%rbx)\n"
	"movq %cr2, %rax\n invlpg (%rax)\n"
	"popq %rbx\n popq %rax\n addq $8, %rsp\n iretq\n");
GUEST_LABEL(guest_smep_pf);

TEST(paging_smep_smap)
{
	struct gvcpu *v = guest_create(GM_LONG64, guest_smep, guest_smep_end);
	struct kvm_cpuid2 *cpuid = guest_supported_cpuid(v->vm->sys_fd);
	struct kvm_cpuid_entry2 *e7 = NULL;
	struct pg_report want[8];
	struct kvm_regs regs;
	struct pg_trace t;
	bool smep, smap;
	int n = 0;

	if (cpuid)
		e7 = guest_cpuid_entry(cpuid, 7, 0);
	smep = e7 && (e7->ebx & (1u << 7));
	smap = e7 && (e7->ebx & (1u << 20));
	free(cpuid);
	if (!smep && !smap) {
		guest_destroy(v);
		SKIP(return, "the CPU has neither SMEP nor SMAP");
	}
	TH_LOG("SMEP %s, SMAP %s", smep ? "yes" : "no", smap ? "yes" : "no");
	gvcpu_get_regs(v, &regs);
	regs.r12 = smep;
	regs.r13 = smap;
	gvcpu_set_regs(v, &regs);
	pg_set_gate64(v->vm, GV_PF, pg_code_gpa(guest_smep, guest_smep_pf));
	if (smep) {
		want[n++] = (struct pg_report)CR2(0x40003000);
		want[n++] = (struct pg_report)ERR(0x11);
		want[n++] = (struct pg_report)V(0x77);
	}
	if (smap) {
		want[n++] = (struct pg_report)CR2(0x40000000);
		want[n++] = (struct pg_report)ERR(0x1);
		want[n++] = (struct pg_report)V(0xaaaa0001);
		want[n++] = (struct pg_report)V(0xbbbb0002);
	}
	pg_run(v, &t);
	ASSERT_EQ(0, t.why[0]) {
		TH_LOG("guest stopped: %s; reports: %s", t.why, pg_trace_str(&t));
	}
	EXPECT_EQ(n, t.n) TH_LOG("reports: %s", pg_trace_str(&t));
	check_part(_metadata, &t, 0, want, n);
	guest_destroy(v);
}

/* ---------------------------------------------------------------------
 * The instruction emulator's page walks fault like the CPU: MOVSB from
 * MMIO to an unmapped address is a #PF (W, not present) with CR2 the
 * destination, whichever order the MMIO read and the fault come in.
 */
GUEST_ASM(guest_emul_pf, ".code64",
	"movl $0xc0000000, %esi\n"
	"movabsq $0x140000000, %rdi\n"
	"cld\n"
	"movsb\n"
	"hlt\n");

TEST(emulated_access_faults)
{
	struct gvcpu *v = guest_create(GM_LONG64, guest_emul_pf, guest_emul_pf_end);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint32_t reason;
	int i;

	for (i = 0; i < 4; i++) {
		reason = gvcpu_run_exit(v);
		if (reason != KVM_EXIT_MMIO)
			break;
		/* KVM reads the source first: give it a byte, go on. */
		ASSERT_EQ(0, v->run->mmio.is_write);
		v->run->mmio.data[0] = 0x5a;
	}
	ASSERT_EQ(GV_PF, gvcpu_exc_vector(v)) TH_LOG("%s", gvcpu_exit_str(v));
	gvcpu_get_regs(v, &regs);
	EXPECT_EQ(2u, (uint32_t)regs.rbx);	/* W, not present */
	gvcpu_get_sregs(v, &sregs);
	EXPECT_EQ(0x140000000ULL, sregs.cr2);
	guest_destroy(v);
}

/* ---------------------------------------------------------------------
 * MOV CR3 while userspace waits for an interrupt window (IF=0): the
 * window must not cost shadow paging its CR3 exits (VMX with ept=0 lost
 * them, and the guest then ran on its own tables as if they were the
 * host's).  PG_TABLE(0..3): the library's identity map, but PG_VA on
 * frame 0.
 */
GUEST_ASM(guest_cr3_window, ".code64",
	"cli\n"
	"movl $1, %eax\n" OUTV
	"movl $0x70000, %eax\n movq %rax, %cr3\n"
	"movl 0x40000000, %eax\n" OUTV
	"movq %cr3, %rax\n" OUTV
	"movl $0x5000, %eax\n movq %rax, %cr3\n"
	"hlt\n");

TEST(cr3_switch_in_interrupt_window)
{
	struct gvcpu *v = guest_create(GM_LONG64, guest_cr3_window,
				       guest_cr3_window_end);
	struct pg_trace t;
	int i;

	gvm_write32(v->vm, PG_FRAME(0), 0xaaaa0001);
	gvm_write64(v->vm, PG_TABLE(0), PG_TABLE(1) | 3);
	for (i = 0; i < 4; i++)
		gvm_write64(v->vm, PG_TABLE(1) + i * 8,
			    (GUEST_PD_GPA + i * 0x1000) | 3);
	gvm_write64(v->vm, PG_TABLE(1) + 8, PG_TABLE(2) | 3);
	gvm_write64(v->vm, PG_TABLE(2), PG_TABLE(3) | 3);
	gvm_write64(v->vm, PG_TABLE(3), PG_FRAME(0) | 3);

	GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
	ASSERT_EQ(PG_PORT_VAL, v->run->io.port);
	EXPECT_FALSE(v->run->if_flag);
	/* IF=0: the hypervisor asks the CPU for the window, and waits. */
	v->run->request_interrupt_window = 1;
	ASSERT_EQ(0, pg_run(v, &t)) TH_LOG("%s", t.why);
	v->run->request_interrupt_window = 0;
	ASSERT_EQ(2, t.n) TH_LOG("%s", pg_trace_str(&t));
	EXPECT_EQ(0xaaaa0001u, t.r[0].val);
	EXPECT_EQ((uint32_t)PG_TABLE(0), t.r[1].val);
	guest_destroy(v);
}

TEST_HARNESS_MAIN
