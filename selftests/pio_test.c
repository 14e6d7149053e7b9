// SPDX-License-Identifier: GPL-2.0
/*
 * pio_test: port I/O exits (KVM_EXIT_IO) in real mode, 32-bit protected
 * mode and 64-bit long mode.
 *
 * KVM semantics relied on (and so required of minihv):
 *  - Every in/out to a port (no in-kernel device is created) exits with
 *    KVM_EXIT_IO: io.direction KVM_EXIT_IO_OUT (1) / KVM_EXIT_IO_IN (0),
 *    io.size 1/2/4, io.port, io.count (1 for a plain in/out), and
 *    io.data_offset: the data lies at (char *)run + data_offset, inside
 *    the KVM_GET_VCPU_MMAP_SIZE mapping.
 *  - OUT: the data is there at exit time.  IN: userspace writes it there
 *    and the next KVM_RUN completes the instruction: in al/ax merge into
 *    rax (upper bits kept), in eax zero-extends rax in 64-bit mode.
 *  - rep outsb / rep insb: the element stream arrives in one or more
 *    exits; each exit has count >= 1 elements of io.size back to back at
 *    data_offset.  (KVM: outs exits once per element, ins reads ahead up
 *    to the end of the destination page or 1024 bytes.)  The test only
 *    relies on the concatenation and the total.
 *  - RIP after the exit is past the instruction (checked by the final
 *    KVM_EXIT_HLT landing right after the hlt).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/harness.h"
#include "lib/guest.h"

#define PORT_B		0x10
#define PORT_W		0x12
#define PORT_L		0x14
#define PORT_DX		0x1234
#define PORT_IN_B	0x20
#define PORT_IN_W	0x22
#define PORT_IN_L	0x24
#define PORT_REPORT	0x30
#define PORT_OUTS	0x40
#define PORT_INS	0x41
#define PORT_MARK	0x42

#define STR_LEN		37
#define OUTS_OFF	0x100	/* offsets in the data page */
#define INS_OFF		0x200

#define S_(x) #x
#define S(x) S_(x)

/*
 * The same body in every mode: INIT loads rax, OUTS/INS are the string
 * addresses as the mode's addressing sees them.
 */
#define PIO_BODY(INIT, OUTS, INS, PRE_INL)				\
	INIT "\n"							\
	"outb %al, $" S(PORT_B) "\n"					\
	"outw %ax, $" S(PORT_W) "\n"					\
	"outl %eax, $" S(PORT_L) "\n"					\
	"movw $" S(PORT_DX) ", %dx\n"					\
	"outb %al, %dx\n"						\
	"outw %ax, %dx\n"						\
	"outl %eax, %dx\n"						\
	"inb $" S(PORT_IN_B) ", %al\n"					\
	"outl %eax, $" S(PORT_REPORT) "\n"				\
	"inw $" S(PORT_IN_W) ", %ax\n"					\
	"outl %eax, $" S(PORT_REPORT) "\n"				\
	PRE_INL "\n"							\
	"inl $" S(PORT_IN_L) ", %eax\n"					\
	"outl %eax, $" S(PORT_REPORT) "\n"				\
	"movw $" S(PORT_DX) ", %dx\n"					\
	"inb %dx, %al\n"						\
	"outl %eax, $" S(PORT_REPORT) "\n"				\
	"inw %dx, %ax\n"						\
	"outl %eax, $" S(PORT_REPORT) "\n"				\
	"inl %dx, %eax\n"						\
	"outl %eax, $" S(PORT_REPORT) "\n"				\
	"cld\n"								\
	"movl $" OUTS ", %esi\n"					\
	"movl $" S(STR_LEN) ", %ecx\n"					\
	"movw $" S(PORT_OUTS) ", %dx\n"					\
	"rep outsb\n"							\
	"movl %ecx, %eax\n"						\
	"outl %eax, $" S(PORT_MARK) "\n"				\
	"movl $" INS ", %edi\n"						\
	"movl $" S(STR_LEN) ", %ecx\n"					\
	"movw $" S(PORT_INS) ", %dx\n"					\
	"rep insb\n"							\
	"movl %ecx, %eax\n"						\
	"outl %eax, $" S(PORT_MARK) "\n"				\
	"hlt\n"

GUEST_ASM(guest_pio16, ".code16",
	PIO_BODY("movl $0xaabbccdd, %eax", S(OUTS_OFF), S(INS_OFF), ""));
GUEST_ASM(guest_pio32, ".code32",
	PIO_BODY("movl $0xaabbccdd, %eax", "0x20100", "0x20200", ""));
GUEST_ASM(guest_pio64, ".code64",
	PIO_BODY("movabsq $0x99887766aabbccdd, %rax", "0x20100", "0x20200",
		 "movq $-1, %rax"));

static const char outs_str[STR_LEN + 1] = "minihv rep outsb: the quick brown fox";
static const char ins_str[STR_LEN + 1] = "minihv rep insb <- jumps over the dog";

/* Run to the next exit and check that it is the IO exit described. */
static void *expect_io(struct __test_metadata *_metadata, struct gvcpu *v, int dir,
		       int size, int port, int count)
{
	struct kvm_run *run = v->run;

	GUEST_RUN_EXPECT(v, KVM_EXIT_IO);
	EXPECT_EQ(dir, run->io.direction);
	EXPECT_EQ(size, run->io.size);
	EXPECT_EQ(port, run->io.port) {
		TH_LOG("%s", gvcpu_exit_str(v));
	}
	if (count)
		EXPECT_EQ((uint32_t)count, run->io.count);
	EXPECT_GE(run->io.data_offset, sizeof(*run));
	EXPECT_LE(run->io.data_offset + run->io.size * run->io.count,
		  (uint64_t)v->vm->run_size);
	return gvcpu_io_data(v);
}

/* An OUT of @size bytes to @port whose data must be @val. */
static void expect_out(struct __test_metadata *_metadata, struct gvcpu *v, int size,
		       int port, uint32_t val)
{
	uint32_t got = 0;
	void *d = expect_io(_metadata, v, KVM_EXIT_IO_OUT, size, port, 1);

	memcpy(&got, d, size);
	EXPECT_EQ(val, got) {
		TH_LOG("out size %d port %#x: data %#x, want %#x", size, port, got, val);
	}
}

/* An IN of @size bytes from @port: answer @val. */
static void answer_in(struct __test_metadata *_metadata, struct gvcpu *v, int size,
		      int port, uint32_t val)
{
	void *d = expect_io(_metadata, v, KVM_EXIT_IO_IN, size, port, 1);

	memcpy(d, &val, size);
}

static void pio_test(struct __test_metadata *_metadata, enum gmode mode,
		     const unsigned char *start, const unsigned char *end)
{
	struct gvcpu *v = guest_create(mode, start, end);
	bool m64 = mode == GM_LONG64;
	uint32_t lo = 0xaabbccdd;
	struct kvm_regs regs;
	char buf[STR_LEN];
	unsigned int n;
	uint64_t hlt_rip;

	gvm_write(v->vm, GUEST_DATA_GPA + OUTS_OFF, outs_str, STR_LEN);
	memset(gvm_hva(v->vm, GUEST_DATA_GPA + INS_OFF), 0, STR_LEN);

	expect_out(_metadata, v, 1, PORT_B, lo & 0xff);
	expect_out(_metadata, v, 2, PORT_W, lo & 0xffff);
	expect_out(_metadata, v, 4, PORT_L, lo);
	expect_out(_metadata, v, 1, PORT_DX, lo & 0xff);
	expect_out(_metadata, v, 2, PORT_DX, lo & 0xffff);
	expect_out(_metadata, v, 4, PORT_DX, lo);

	/* in al merges into eax/rax. */
	answer_in(_metadata, v, 1, PORT_IN_B, 0x5a);
	expect_out(_metadata, v, 4, PORT_REPORT, 0xaabbcc5a);
	if (m64) {
		gvcpu_get_regs(v, &regs);
		EXPECT_EQ(0x99887766aabbcc5aULL, regs.rax);
	}
	answer_in(_metadata, v, 2, PORT_IN_W, 0x7e81);
	expect_out(_metadata, v, 4, PORT_REPORT, 0xaabb7e81);
	if (m64) {
		gvcpu_get_regs(v, &regs);
		EXPECT_EQ(0x99887766aabb7e81ULL, regs.rax);
	}
	/* in eax: all of eax; in 64-bit mode rax is zero-extended. */
	answer_in(_metadata, v, 4, PORT_IN_L, 0xdeadbeef);
	expect_out(_metadata, v, 4, PORT_REPORT, 0xdeadbeef);
	if (m64) {
		gvcpu_get_regs(v, &regs);
		EXPECT_EQ(0xdeadbeefULL, regs.rax);
	}
	answer_in(_metadata, v, 1, PORT_DX, 0x11);
	expect_out(_metadata, v, 4, PORT_REPORT, 0xdeadbe11);
	answer_in(_metadata, v, 2, PORT_DX, 0x2233);
	expect_out(_metadata, v, 4, PORT_REPORT, 0xdead2233);
	answer_in(_metadata, v, 4, PORT_DX, 0x01020304);
	expect_out(_metadata, v, 4, PORT_REPORT, 0x01020304);

	/* rep outsb: the string, in one or more exits. */
	n = 0;
	while (n < STR_LEN) {
		char *d = expect_io(_metadata, v, KVM_EXIT_IO_OUT, 1, PORT_OUTS, 0);

		ASSERT_GE(v->run->io.count, 1U);
		ASSERT_LE(n + v->run->io.count, (unsigned int)STR_LEN);
		memcpy(buf + n, d, v->run->io.count);
		n += v->run->io.count;
	}
	EXPECT_EQ(0, memcmp(buf, outs_str, STR_LEN)) {
		TH_LOG("rep outsb sent '%.*s'", STR_LEN, buf);
	}
	/* The guest reports rcx after the rep: 0. */
	expect_out(_metadata, v, 4, PORT_MARK, 0);

	/* rep insb: feed the string, in as many exits as asked for. */
	n = 0;
	while (n < STR_LEN) {
		char *d = expect_io(_metadata, v, KVM_EXIT_IO_IN, 1, PORT_INS, 0);

		ASSERT_GE(v->run->io.count, 1U);
		ASSERT_LE(n + v->run->io.count, (unsigned int)STR_LEN);
		memcpy(d, ins_str + n, v->run->io.count);
		n += v->run->io.count;
	}
	expect_out(_metadata, v, 4, PORT_MARK, 0);
	EXPECT_EQ(0, memcmp(gvm_hva(v->vm, GUEST_DATA_GPA + INS_OFF), ins_str, STR_LEN)) {
		TH_LOG("rep insb stored '%.*s'", STR_LEN,
		       (char *)gvm_hva(v->vm, GUEST_DATA_GPA + INS_OFF));
	}
	EXPECT_EQ(0, *(char *)gvm_hva(v->vm, GUEST_DATA_GPA + INS_OFF + STR_LEN));

	GUEST_RUN_EXPECT(v, KVM_EXIT_HLT);
	hlt_rip = GUEST_CODE_GPA + (end - start);
	if (mode == GM_REAL)
		hlt_rip -= GUEST_CODE_GPA;
	EXPECT_EQ(hlt_rip, gvcpu_rip(v));
	guest_destroy(v);
}

TEST(pio_real_mode)
{
	pio_test(_metadata, GM_REAL, guest_pio16, guest_pio16_end);
}

TEST(pio_protected_mode_32)
{
	pio_test(_metadata, GM_PROT32, guest_pio32, guest_pio32_end);
}

TEST(pio_long_mode_64)
{
	pio_test(_metadata, GM_LONG64, guest_pio64, guest_pio64_end);
}

/* An OUT exit's fields stay put when userspace reads them twice. */
GUEST_ASM(guest_pio_loop, ".code64",
	"xorl %eax, %eax\n"
	"1: incl %eax\n"
	"outl %eax, $0x50\n"
	"cmpl $1000, %eax\n"
	"jne 1b\n"
	"hlt\n");

TEST(pio_many_exits)
{
	struct gvcpu *v = guest_create(GM_LONG64, guest_pio_loop, guest_pio_loop_end);
	uint32_t i;

	for (i = 1; i <= 1000; i++) {
		expect_out(_metadata, v, 4, 0x50, i);
		if (_metadata->passed == 0)
			break;
	}
	GUEST_RUN_EXPECT(v, KVM_EXIT_HLT);
	guest_destroy(v);
}

TEST_HARNESS_MAIN
