// SPDX-License-Identifier: GPL-2.0
/*
 * guest: a small VM builder over the KVM ABI (see guest.h for the guest
 * memory layout and the exception-report convention).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "lib/hvtest.h"
#include "lib/guest.h"

#define CR0_PE		(1UL << 0)
#define CR0_MP		(1UL << 1)
#define CR0_ET		(1UL << 4)
#define CR0_NE		(1UL << 5)
#define CR0_WP		(1UL << 16)
#define CR0_PG		(1UL << 31)
#define CR4_PAE		(1UL << 5)
#define CR4_OSFXSR	(1UL << 9)
#define CR4_OSXMMEXCPT	(1UL << 10)
#define EFER_LME	(1UL << 8)
#define EFER_LMA	(1UL << 10)

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define PTE_P		(1UL << 0)
#define PTE_RW		(1UL << 1)
#define PTE_PS		(1UL << 7)

/* Vectors whose exceptions push an error code. */
#define EXC_ERRCODE_MASK ((1U << 8) | (1U << 10) | (1U << 11) | (1U << 12) | \
			  (1U << 13) | (1U << 14) | (1U << 17) | (1U << 21) | \
			  (1U << 29) | (1U << 30))

/*
 * Exception stubs: 32 of 16 bytes each (stub n at n * 16), then the common
 * code.  Each blob is copied to its GUEST_STUB*_GPA.
 */
#define STUB_VECTORS \
	"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31"
#define ERRCODE_COND \
	"(\\n == 8) || (\\n == 10) || (\\n == 11) || (\\n == 12) || (\\n == 13) || " \
	"(\\n == 14) || (\\n == 17) || (\\n == 21) || (\\n == 29) || (\\n == 30)"
#define STR_(x) #x
#define STR(x) STR_(x)

GUEST_ASM(guest_exc16, ".code16",
	".irp n," STUB_VECTORS "\n"
	".balign 16\n"
	"pushw $\\n\n"
	"jmp 1f\n"
	".endr\n"
	".balign 16\n"
	"1: popw %ax\n"
	"movzwl %ax, %eax\n"
	"xorl %ebx, %ebx\n"
	"movw %sp, %bp\n"
	"movzwl (%bp), %ecx\n"
	"movw $" STR(GUEST_EXC_PORT) ", %dx\n"
	"outl %eax, %dx\n"
	"2: hlt\n"
	"jmp 2b\n");

GUEST_ASM(guest_exc32, ".code32",
	".irp n," STUB_VECTORS "\n"
	".balign 16\n"
	".if " ERRCODE_COND "\n"
	".else\n"
	"pushl $0\n"
	".endif\n"
	"pushl $\\n\n"
	"jmp 1f\n"
	".endr\n"
	".balign 16\n"
	"1: popl %eax\n"
	"popl %ebx\n"
	"movl (%esp), %ecx\n"
	"movw $" STR(GUEST_EXC_PORT) ", %dx\n"
	"outl %eax, %dx\n"
	"2: hlt\n"
	"jmp 2b\n");

GUEST_ASM(guest_exc64, ".code64",
	".irp n," STUB_VECTORS "\n"
	".balign 16\n"
	".if " ERRCODE_COND "\n"
	".else\n"
	"pushq $0\n"
	".endif\n"
	"pushq $\\n\n"
	"jmp 1f\n"
	".endr\n"
	".balign 16\n"
	"1: popq %rax\n"
	"popq %rbx\n"
	"movq (%rsp), %rcx\n"
	"movw $" STR(GUEST_EXC_PORT) ", %dx\n"
	"outl %eax, %dx\n"
	"2: hlt\n"
	"jmp 2b\n");

_Noreturn void guest_die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "guest: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(1);
}

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg) < 0)
		guest_die("%s", what);
}

int gvm_set_region(struct gvm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		   uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

void *gvm_add_slot(struct gvm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		   uint32_t flags)
{
	struct gslot *s = NULL;
	void *hva;
	int i, r;

	for (i = 0; i < GVM_MAX_SLOTS; i++) {
		if (!vm->slots[i].used) {
			s = &vm->slots[i];
			break;
		}
	}
	if (!s) {
		errno = ENOSPC;
		guest_die("%s: too many slots", __func__);
	}
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hva == MAP_FAILED)
		guest_die("mmap %#llx bytes", (unsigned long long)size);
	r = gvm_set_region(vm, slot, flags, gpa, size, hva);
	if (r) {
		errno = -r;
		guest_die("KVM_SET_USER_MEMORY_REGION slot %u gpa %#llx size %#llx",
			  slot, (unsigned long long)gpa, (unsigned long long)size);
	}
	s->used = true;
	s->slot = slot;
	s->flags = flags;
	s->gpa = gpa;
	s->size = size;
	s->hva = hva;
	return hva;
}

void *gvm_hva(struct gvm *vm, uint64_t gpa)
{
	int i;

	for (i = 0; i < GVM_MAX_SLOTS; i++) {
		struct gslot *s = &vm->slots[i];

		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size)
			return (char *)s->hva + (gpa - s->gpa);
	}
	return NULL;
}

static void *hva_range(struct gvm *vm, uint64_t gpa, size_t len)
{
	char *p = gvm_hva(vm, gpa);

	if (!p || (len && gvm_hva(vm, gpa + len - 1) != p + len - 1)) {
		errno = EFAULT;
		guest_die("no slot for gpa %#llx+%#zx", (unsigned long long)gpa, len);
	}
	return p;
}

void gvm_write(struct gvm *vm, uint64_t gpa, const void *src, size_t len)
{
	memcpy(hva_range(vm, gpa, len), src, len);
}

void gvm_read(struct gvm *vm, uint64_t gpa, void *dst, size_t len)
{
	memcpy(dst, hva_range(vm, gpa, len), len);
}

uint64_t gvm_read64(struct gvm *vm, uint64_t gpa)
{
	uint64_t v;

	gvm_read(vm, gpa, &v, sizeof(v));
	return v;
}

uint32_t gvm_read32(struct gvm *vm, uint64_t gpa)
{
	uint32_t v;

	gvm_read(vm, gpa, &v, sizeof(v));
	return v;
}

void gvm_write64(struct gvm *vm, uint64_t gpa, uint64_t val)
{
	gvm_write(vm, gpa, &val, sizeof(val));
}

void gvm_write32(struct gvm *vm, uint64_t gpa, uint32_t val)
{
	gvm_write(vm, gpa, &val, sizeof(val));
}

void gvm_load(struct gvm *vm, uint64_t gpa, const void *start, const void *end)
{
	gvm_write(vm, gpa, start, (const char *)end - (const char *)start);
}

/* A GDT code/data descriptor. */
static uint64_t gdt_desc(uint32_t base, uint32_t limit, uint8_t type, bool s, bool l,
			 bool db, bool g)
{
	uint64_t d = 0;

	d |= limit & 0xffff;
	d |= (uint64_t)(base & 0xffffff) << 16;
	d |= (uint64_t)(type & 0xf) << 40;
	d |= (uint64_t)s << 44;
	d |= 1ULL << 47;			/* present, DPL 0 */
	d |= (uint64_t)((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)l << 53;
	d |= (uint64_t)db << 54;
	d |= (uint64_t)g << 55;
	d |= (uint64_t)(base >> 24) << 56;
	return d;
}

static void build_tables(struct gvm *vm)
{
	uint64_t *gdt = gvm_hva(vm, GUEST_GDT_GPA);
	uint64_t *idt32 = gvm_hva(vm, GUEST_IDT32_GPA);
	uint64_t *idt64 = gvm_hva(vm, GUEST_IDT64_GPA);
	uint16_t *ivt = gvm_hva(vm, GUEST_IVT_GPA);
	uint64_t *pml4 = gvm_hva(vm, GUEST_PML4_GPA);
	uint64_t *pdpt = gvm_hva(vm, GUEST_PDPT_GPA);
	uint64_t *pd = gvm_hva(vm, GUEST_PD_GPA);
	int i;

	if (guest_exc16_end - guest_exc16 > 0x400 ||
	    guest_exc32_end - guest_exc32 > 0x400 ||
	    guest_exc64_end - guest_exc64 > 0x800) {
		errno = E2BIG;
		guest_die("exception stubs too big");
	}
	gvm_load(vm, GUEST_STUB16_GPA, guest_exc16, guest_exc16_end);
	gvm_load(vm, GUEST_STUB32_GPA, guest_exc32, guest_exc32_end);
	gvm_load(vm, GUEST_STUB64_GPA, guest_exc64, guest_exc64_end);

	gdt[0] = 0;
	gdt[GUEST_SEL_CODE64 / 8] = gdt_desc(0, 0xfffff, 0xb, true, true, false, true);
	gdt[GUEST_SEL_DATA / 8] = gdt_desc(0, 0xfffff, 0x3, true, false, true, true);
	gdt[GUEST_SEL_CODE32 / 8] = gdt_desc(0, 0xfffff, 0xb, true, false, true, true);
	/* A busy TSS; the upper half is the 64-bit base's high part (0). */
	gdt[GUEST_SEL_TSS / 8] = gdt_desc(GUEST_TSS_GPA, 0x67, 0xb, false, false, false,
					 false);
	gdt[GUEST_SEL_TSS / 8 + 1] = 0;

	for (i = 0; i < 32; i++) {
		uint64_t h32 = GUEST_STUB32_GPA + i * 16;
		uint64_t h64 = GUEST_STUB64_GPA + i * 16;

		/* Real mode: segment 0x300, offset i * 16. */
		ivt[i * 2] = i * 16;
		ivt[i * 2 + 1] = GUEST_STUB16_GPA >> 4;

		/* 32-bit interrupt gate, present, DPL 0. */
		idt32[i] = (h32 & 0xffff) | ((uint64_t)GUEST_SEL_CODE32 << 16) |
			   (0x8eULL << 40) | ((h32 >> 16) << 48);
		/* 64-bit interrupt gate, IST 0. */
		idt64[i * 2] = (h64 & 0xffff) | ((uint64_t)GUEST_SEL_CODE64 << 16) |
			       (0x8eULL << 40) | (((h64 >> 16) & 0xffff) << 48);
		idt64[i * 2 + 1] = h64 >> 32;
	}

	/* Identity map 0..4 GiB with 2 MiB pages. */
	pml4[0] = GUEST_PDPT_GPA | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (GUEST_PD_GPA + i * 0x1000) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
}

struct gvm *gvm_create(void)
{
	struct gvm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		guest_die("calloc");
	vm->sys_fd = hv_open_dev();
	if (vm->sys_fd < 0) {
		errno = -vm->sys_fd;
		guest_die("open %s", hv_dev_path());
	}
	vm->fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		guest_die("KVM_CREATE_VM");
	vm->run_size = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (long)sizeof(struct kvm_run))
		guest_die("KVM_GET_VCPU_MMAP_SIZE returned %ld", vm->run_size);
	gvm_add_slot(vm, 0, 0, GUEST_LOW_MEM_SIZE, 0);
	build_tables(vm);
	return vm;
}

void gvm_destroy(struct gvm *vm)
{
	int i;

	if (!vm)
		return;
	close(vm->fd);
	close(vm->sys_fd);
	for (i = 0; i < GVM_MAX_SLOTS; i++)
		if (vm->slots[i].used)
			munmap(vm->slots[i].hva, vm->slots[i].size);
	free(vm);
}

struct kvm_cpuid2 *guest_supported_cpuid(int sys_fd)
{
	int nent = 256;

	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

		if (!c)
			guest_die("calloc");
		c->nent = nent;
		if (ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || nent >= 4096)
			return NULL;
		nent *= 2;
	}
}

struct kvm_cpuid_entry2 *guest_cpuid_entry(struct kvm_cpuid2 *cpuid, uint32_t function,
					   uint32_t index)
{
	uint32_t i;

	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != index)
			continue;
		return e;
	}
	return NULL;
}

void guest_cpuid_hide_virt(struct kvm_cpuid2 *cpuid)
{
	struct kvm_cpuid_entry2 *e;

	e = guest_cpuid_entry(cpuid, 1, 0);
	if (e)
		e->ecx &= ~(1U << 5);		/* VMX */
	e = guest_cpuid_entry(cpuid, 0x80000001, 0);
	if (e)
		e->ecx &= ~(1U << 2);		/* SVM */
}

static void set_default_cpuid(struct gvcpu *v)
{
	struct kvm_cpuid2 *c = guest_supported_cpuid(v->vm->sys_fd);

	if (!c)
		return;
	guest_cpuid_hide_virt(c);
	xioctl(v->fd, KVM_SET_CPUID2, c, "KVM_SET_CPUID2");
	free(c);
}

static void seg(struct kvm_segment *s, uint16_t sel, uint64_t base, uint32_t limit,
		uint8_t type, bool db, bool l, bool g)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = db;
	s->l = l;
	s->g = g;
}

void gvcpu_set_mode(struct gvcpu *v, enum gmode mode, uint64_t rip)
{
	uint64_t stack = GUEST_STACK_TOP(v->id % GUEST_MAX_VCPU_STACKS);
	struct kvm_sregs sr;
	struct kvm_regs regs;

	gvcpu_get_sregs(v, &sr);
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;

	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.selector = GUEST_SEL_TSS;
	sr.tr.base = GUEST_TSS_GPA;
	sr.tr.limit = 0x67;
	sr.tr.type = 0xb;
	sr.tr.present = 1;
	memset(&sr.ldt, 0, sizeof(sr.ldt));
	sr.ldt.type = 2;
	sr.ldt.unusable = 1;
	sr.ldt.limit = 0xffff;
	sr.gdt.base = GUEST_GDT_GPA;
	sr.gdt.limit = 0x100 - 1;

	switch (mode) {
	case GM_REAL:
		seg(&sr.cs, GUEST_CODE_GPA >> 4, GUEST_CODE_GPA, 0xffff, 0xb, 0, 0, 0);
		seg(&sr.ds, GUEST_DATA_GPA >> 4, GUEST_DATA_GPA, 0xffff, 0x3, 0, 0, 0);
		sr.es = sr.fs = sr.gs = sr.ds;
		seg(&sr.ss, (stack - 0x2000) >> 4, stack - 0x2000, 0xffff, 0x3, 0, 0, 0);
		sr.idt.base = GUEST_IVT_GPA;
		sr.idt.limit = 0x3ff;
		sr.cr0 = CR0_ET | CR0_NE;
		sr.cr3 = 0;
		sr.cr4 = 0;
		sr.efer = 0;
		regs.rip = rip - GUEST_CODE_GPA;
		regs.rsp = 0x2000;
		break;
	case GM_PROT32:
		seg(&sr.cs, GUEST_SEL_CODE32, 0, 0xffffffff, 0xb, 1, 0, 1);
		seg(&sr.ds, GUEST_SEL_DATA, 0, 0xffffffff, 0x3, 1, 0, 1);
		sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
		sr.idt.base = GUEST_IDT32_GPA;
		sr.idt.limit = 256 * 8 - 1;
		sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
		sr.cr3 = 0;
		sr.cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;
		sr.efer = 0;
		regs.rip = rip;
		regs.rsp = stack;
		break;
	case GM_LONG64:
		seg(&sr.cs, GUEST_SEL_CODE64, 0, 0xffffffff, 0xb, 0, 1, 1);
		seg(&sr.ds, GUEST_SEL_DATA, 0, 0xffffffff, 0x3, 1, 0, 1);
		sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
		sr.idt.base = GUEST_IDT64_GPA;
		sr.idt.limit = 256 * 16 - 1;
		sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
		sr.cr3 = GUEST_PML4_GPA;
		sr.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
		sr.efer = EFER_LME | EFER_LMA;
		regs.rip = rip;
		regs.rsp = stack;
		break;
	}
	gvcpu_set_sregs(v, &sr);
	gvcpu_set_regs(v, &regs);
}

struct gvcpu *gvcpu_create(struct gvm *vm, int id, enum gmode mode)
{
	struct gvcpu *v = calloc(1, sizeof(*v));

	if (!v)
		guest_die("calloc");
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		guest_die("KVM_CREATE_VCPU %d", id);
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		guest_die("mmap kvm_run");
	set_default_cpuid(v);
	gvcpu_set_mode(v, mode, GUEST_CODE_GPA);
	return v;
}

void gvcpu_destroy(struct gvcpu *v)
{
	if (!v)
		return;
	munmap(v->run, v->vm->run_size);
	close(v->fd);
	free(v);
}

struct gvcpu *guest_create(enum gmode mode, const void *start, const void *end)
{
	struct gvm *vm = gvm_create();

	if ((const char *)end - (const char *)start > (long)GUEST_CODE_MAX) {
		errno = E2BIG;
		guest_die("guest code too big");
	}
	gvm_load(vm, GUEST_CODE_GPA, start, end);
	return gvcpu_create(vm, 0, mode);
}

void guest_destroy(struct gvcpu *v)
{
	struct gvm *vm;

	if (!v)
		return;
	vm = v->vm;
	gvcpu_destroy(v);
	gvm_destroy(vm);
}

int gvcpu_run(struct gvcpu *v)
{
	return ioctl(v->fd, KVM_RUN, 0) < 0 ? -errno : 0;
}

int gvcpu_run_out(struct gvcpu *v, uint16_t port, uint32_t *val)
{
	struct kvm_run *r = v->run;

	if (gvcpu_run(v))
		return -1;
	if (r->exit_reason != KVM_EXIT_IO || r->io.port != port ||
	    r->io.direction != KVM_EXIT_IO_OUT || r->io.size != 4)
		return -1;
	memcpy(val, gvcpu_io_data(v), 4);
	return 0;
}

uint32_t gvcpu_run_exit(struct gvcpu *v)
{
	if (ioctl(v->fd, KVM_RUN, 0) < 0)
		guest_die("KVM_RUN (vcpu %d, exit_reason %u)", v->id, v->run->exit_reason);
	return v->run->exit_reason;
}

const char *guest_exit_name(uint32_t reason)
{
	static const char * const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "?";
}

const char *gvcpu_exit_str(struct gvcpu *v)
{
	static char buf[256];
	struct kvm_run *r = v->run;
	struct kvm_regs regs;
	int n;

	n = snprintf(buf, sizeof(buf), "exit %u (%s)", r->exit_reason,
		     guest_exit_name(r->exit_reason));
	switch (r->exit_reason) {
	case KVM_EXIT_IO:
		n += snprintf(buf + n, sizeof(buf) - n,
			      " %s port %#x size %u count %u data %#x",
			      r->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			      r->io.port, r->io.size, r->io.count,
			      *(uint32_t *)gvcpu_io_data(v));
		if (r->io.port == GUEST_EXC_PORT) {
			gvcpu_get_regs(v, &regs);
			n += snprintf(buf + n, sizeof(buf) - n,
				      " (exception %llu, error code %#llx, at %#llx)",
				      regs.rax, regs.rbx, regs.rcx);
		}
		break;
	case KVM_EXIT_MMIO:
		n += snprintf(buf + n, sizeof(buf) - n, " %s gpa %#llx len %u",
			      r->mmio.is_write ? "write" : "read",
			      (unsigned long long)r->mmio.phys_addr, r->mmio.len);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		n += snprintf(buf + n, sizeof(buf) - n, " hw reason %#llx",
			      (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		n += snprintf(buf + n, sizeof(buf) - n, " suberror %u",
			      r->internal.suberror);
		break;
	}
	if (ioctl(v->fd, KVM_GET_REGS, &regs) == 0)
		snprintf(buf + n, sizeof(buf) - n, " rip %#llx", regs.rip);
	return buf;
}

int gvcpu_exc_vector(struct gvcpu *v)
{
	struct kvm_run *r = v->run;
	struct kvm_regs regs;

	if (r->exit_reason != KVM_EXIT_IO || r->io.port != GUEST_EXC_PORT ||
	    r->io.direction != KVM_EXIT_IO_OUT || r->io.size != 4)
		return -1;
	gvcpu_get_regs(v, &regs);
	return regs.rax & 0xff;
}

void gvcpu_get_regs(struct gvcpu *v, struct kvm_regs *regs)
{
	xioctl(v->fd, KVM_GET_REGS, regs, "KVM_GET_REGS");
}

void gvcpu_set_regs(struct gvcpu *v, const struct kvm_regs *regs)
{
	xioctl(v->fd, KVM_SET_REGS, (void *)regs, "KVM_SET_REGS");
}

void gvcpu_get_sregs(struct gvcpu *v, struct kvm_sregs *sregs)
{
	xioctl(v->fd, KVM_GET_SREGS, sregs, "KVM_GET_SREGS");
}

void gvcpu_set_sregs(struct gvcpu *v, const struct kvm_sregs *sregs)
{
	xioctl(v->fd, KVM_SET_SREGS, (void *)sregs, "KVM_SET_SREGS");
}

uint64_t gvcpu_rip(struct gvcpu *v)
{
	struct kvm_regs regs;

	gvcpu_get_regs(v, &regs);
	return regs.rip;
}

struct msr1 {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e;
};

int gvcpu_get_msr(struct gvcpu *v, uint32_t index, uint64_t *val)
{
	struct msr1 m = { .hdr.nmsrs = 1, .e.index = index };
	int r = ioctl(v->fd, KVM_GET_MSRS, &m);

	if (r < 0)
		return -errno;
	*val = m.e.data;
	return r;
}

int gvcpu_set_msr(struct gvcpu *v, uint32_t index, uint64_t val)
{
	struct msr1 m = { .hdr.nmsrs = 1, .e.index = index, .e.data = val };
	int r = ioctl(v->fd, KVM_SET_MSRS, &m);

	return r < 0 ? -errno : r;
}
