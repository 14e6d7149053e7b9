/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest: a small VM builder over the KVM ABI for the minihv selftests.
 *
 * A gvm is a VM on the device under test (hvtest.h: $MINIHV_DEV) with one
 * memory slot (slot 0) covering the low 640 KiB of guest-physical memory,
 * laid out like this:
 *
 *   0x00000  real-mode IVT (vectors 0..31 point at the 16-bit stubs)
 *   0x01000  GDT (selectors below)
 *   0x01800  32-bit IDT (256 gates, 0..31 present)
 *   0x02000  64-bit IDT (256 gates, 0..31 present)
 *   0x03000  exception stubs: 16-bit at 0x3000, 32-bit 0x3400, 64-bit 0x3800
 *   0x04000  TSS
 *   0x05000  PML4, 0x6000 PDPT, 0x7000..0xafff four PDs: the low 4 GiB
 *            identity mapped with 2 MiB pages (also the unbacked holes,
 *            so that MMIO there exits to userspace)
 *   0x10000  guest code (GUEST_CODE_GPA, up to 64 KiB)
 *   0x20000  guest data (GUEST_DATA_GPA, 64 KiB)
 *   0x40000  stacks: vCPU n's stack top is GUEST_STACK_TOP(n), n < 16
 *
 * 0xa0000..0xfffff and everything above has no slot: MMIO.
 *
 * Exceptions: vectors 0..31 have handlers in every mode.  A handler does
 * `out %eax, (GUEST_EXC_PORT)` (4 bytes) with eax = vector, ebx = error
 * code (0 if none), ecx = the faulting (e)ip; then it halts forever.  So a
 * test sees KVM_EXIT_IO on GUEST_EXC_PORT; gvcpu_exc_vector() decodes it.
 *
 * Modes (gvcpu_create):
 *   GM_REAL: CS = 0x1000 (base 0x10000, so IP 0 is GUEST_CODE_GPA),
 *            DS = ES = FS = GS = 0x2000 (base GUEST_DATA_GPA),
 *            SS:SP = the vCPU's stack.
 *   GM_PROT32: flat 4 GiB segments (CS = 0x18, data 0x10), paging off.
 *   GM_LONG64: CS = 0x08 (L=1), data 0x10, CR3 = 0x5000, EFER.LME|LMA.
 *
 * Guest code lives in the test binary as GNU assembler (GUEST_ASM below)
 * and is copied to GUEST_CODE_GPA, so it must be position independent
 * (relative jumps, RIP-relative or absolute data addresses).
 *
 * Library functions die (print the failing operation and errno, exit(1):
 * the harness reports the test as failed) on setup errors; the raw ioctls
 * stay available for tests that check errnos.
 */
#ifndef _GUEST_H
#define _GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define GUEST_LOW_MEM_SIZE	0xa0000UL
#define GUEST_IVT_GPA		0x0UL
#define GUEST_GDT_GPA		0x1000UL
#define GUEST_IDT32_GPA		0x1800UL
#define GUEST_IDT64_GPA		0x2000UL
#define GUEST_STUB16_GPA	0x3000UL
#define GUEST_STUB32_GPA	0x3400UL
#define GUEST_STUB64_GPA	0x3800UL
#define GUEST_TSS_GPA		0x4000UL
#define GUEST_PML4_GPA		0x5000UL
#define GUEST_PDPT_GPA		0x6000UL
#define GUEST_PD_GPA		0x7000UL
#define GUEST_CODE_GPA		0x10000UL
#define GUEST_CODE_MAX		0x10000UL
#define GUEST_DATA_GPA		0x20000UL
#define GUEST_DATA_SIZE		0x10000UL
#define GUEST_STACK_TOP(n)	(0x42000UL + 0x2000UL * (n))
#define GUEST_MAX_VCPU_STACKS	16

/* GDT selectors. */
#define GUEST_SEL_CODE64	0x08
#define GUEST_SEL_DATA		0x10
#define GUEST_SEL_CODE32	0x18
#define GUEST_SEL_TSS		0x20

/* The exception handlers' report port. */
#define GUEST_EXC_PORT		0xee0

/* Exception vectors. */
#define GV_DE	0
#define GV_DB	1
#define GV_BP	3
#define GV_UD	6
#define GV_DF	8
#define GV_GP	13
#define GV_PF	14

#define GVM_MAX_SLOTS		32

enum gmode {
	GM_REAL,
	GM_PROT32,
	GM_LONG64,
};

struct gslot {
	bool used;
	uint32_t slot;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

struct gvm {
	int sys_fd;
	int fd;
	long run_size;
	struct gslot slots[GVM_MAX_SLOTS];
};

struct gvcpu {
	struct gvm *vm;
	int fd;
	int id;
	struct kvm_run *run;
};

/*
 * Guest code: GUEST_ASM(name, ".code64", "insn\n" ...) defines the byte
 * arrays name[] .. name_end[].  The assembler's mode is put back to
 * .code64 afterwards.
 */
#define GUEST_ASM(name, mode, body)					\
	extern const unsigned char name[], name##_end[];		\
	asm(".pushsection .rodata.guest, \"a\"\n"			\
	    ".balign 16\n"						\
	    #name ":\n"							\
	    mode "\n"							\
	    body							\
	    "\n" #name "_end:\n"					\
	    ".code64\n"							\
	    ".popsection\n")

/* Declare a label defined inside GUEST_ASM code. */
#define GUEST_LABEL(name) extern const unsigned char name[]

/* Print a message with strerror(errno) and exit(1). */
_Noreturn void guest_die(const char *fmt, ...);

/* VMs and memory. */
struct gvm *gvm_create(void);
void gvm_destroy(struct gvm *vm);

/* KVM_SET_USER_MEMORY_REGION: 0 or -errno. */
int gvm_set_region(struct gvm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		   uint64_t size, void *hva);

/* mmap anonymous memory and add it as a slot (dies on failure): the hva. */
void *gvm_add_slot(struct gvm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		   uint32_t flags);

/* Host address of guest-physical @gpa, NULL if no slot covers it. */
void *gvm_hva(struct gvm *vm, uint64_t gpa);

/* Copy to/from guest memory (dies if a byte has no slot). */
void gvm_write(struct gvm *vm, uint64_t gpa, const void *src, size_t len);
void gvm_read(struct gvm *vm, uint64_t gpa, void *dst, size_t len);
uint64_t gvm_read64(struct gvm *vm, uint64_t gpa);
uint32_t gvm_read32(struct gvm *vm, uint64_t gpa);
void gvm_write64(struct gvm *vm, uint64_t gpa, uint64_t val);
void gvm_write32(struct gvm *vm, uint64_t gpa, uint32_t val);

/* Copy guest code [start, end) to @gpa (GUEST_CODE_GPA usually). */
void gvm_load(struct gvm *vm, uint64_t gpa, const void *start, const void *end);

/*
 * Create vCPU @id (< GUEST_MAX_VCPU_STACKS for its stack), map its kvm_run,
 * give it KVM_GET_SUPPORTED_CPUID minus SVM and VMX (if the device has that
 * ioctl), and put it in @mode at GUEST_CODE_GPA with its stack.
 */
struct gvcpu *gvcpu_create(struct gvm *vm, int id, enum gmode mode);
void gvcpu_destroy(struct gvcpu *v);

/* Put an existing vCPU in @mode at @rip (registers otherwise zeroed). */
void gvcpu_set_mode(struct gvcpu *v, enum gmode mode, uint64_t rip);

/* One VM, code loaded at GUEST_CODE_GPA, vCPU 0 in @mode. */
struct gvcpu *guest_create(enum gmode mode, const void *start, const void *end);
/* Destroy the vCPU and its VM. */
void guest_destroy(struct gvcpu *v);

/* KVM_RUN: 0 or -errno. */
int gvcpu_run(struct gvcpu *v);
/* KVM_RUN and expect "out %eax, $port": 0 and the value, else -1. */
int gvcpu_run_out(struct gvcpu *v, uint16_t port, uint32_t *val);
/* KVM_RUN, die on error: the exit reason. */
uint32_t gvcpu_run_exit(struct gvcpu *v);

const char *guest_exit_name(uint32_t reason);
/* A one-line description of the vCPU's last exit (static buffer). */
const char *gvcpu_exit_str(struct gvcpu *v);

/* The last exit was an exception report: the vector, else -1. */
int gvcpu_exc_vector(struct gvcpu *v);

/* Pointer to the data of an IO exit. */
static inline void *gvcpu_io_data(struct gvcpu *v)
{
	return (char *)v->run + v->run->io.data_offset;
}

/* Register access (die on error). */
void gvcpu_get_regs(struct gvcpu *v, struct kvm_regs *regs);
void gvcpu_set_regs(struct gvcpu *v, const struct kvm_regs *regs);
void gvcpu_get_sregs(struct gvcpu *v, struct kvm_sregs *sregs);
void gvcpu_set_sregs(struct gvcpu *v, const struct kvm_sregs *sregs);
uint64_t gvcpu_rip(struct gvcpu *v);

/* KVM_GET_SUPPORTED_CPUID into a malloc'ed table, NULL if unsupported. */
struct kvm_cpuid2 *guest_supported_cpuid(int sys_fd);
/* The entry for @function/@index in @cpuid, NULL if none. */
struct kvm_cpuid_entry2 *guest_cpuid_entry(struct kvm_cpuid2 *cpuid, uint32_t function,
					   uint32_t index);
/*
 * Clear VMX and SVM in @cpuid: what every guest of these tests gets
 * (guest_create()'s default CPUID), since no test runs a nested guest.
 */
void guest_cpuid_hide_virt(struct kvm_cpuid2 *cpuid);

/* KVM_GET_MSRS / KVM_SET_MSRS of one MSR: the ioctl's result or -errno. */
int gvcpu_get_msr(struct gvcpu *v, uint32_t index, uint64_t *val);
int gvcpu_set_msr(struct gvcpu *v, uint32_t index, uint64_t val);

/*
 * For kselftest_harness.h test bodies (they use _metadata): run the vCPU
 * and assert the exit reason, logging the exit if it differs.
 */
#define GUEST_RUN_EXPECT(v, reason) do {				\
	uint32_t __reason = gvcpu_run_exit(v);				\
	ASSERT_EQ((uint32_t)(reason), __reason) {			\
		TH_LOG("want exit %s, got %s",				\
		       guest_exit_name(reason), gvcpu_exit_str(v));	\
	}								\
} while (0)

/* Run the vCPU and assert that its exception handler reported @vec. */
#define GUEST_RUN_EXPECT_EXC(v, vec) do {				\
	GUEST_RUN_EXPECT(v, KVM_EXIT_IO);				\
	ASSERT_EQ((int)(vec), gvcpu_exc_vector(v)) {			\
		TH_LOG("want exception %d, got %s", (int)(vec),		\
		       gvcpu_exit_str(v));				\
	}								\
} while (0)

#endif /* _GUEST_H */
