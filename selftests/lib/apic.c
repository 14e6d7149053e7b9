// SPDX-License-Identifier: GPL-2.0
/*
 * apic: local APIC helpers for the selftests; see apic.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <x86intrin.h>

#include "lib/apic.h"

/*
 * The guest library, loaded at APIC_LIB_GPA.  Entry points 16 bytes
 * apart, then the handler stubs (16 bytes each, vectors 0..255, the
 * first one at apic_stubs) and the common handler.
 */
GUEST_LABEL(apic_stubs);
GUEST_ASM(apic_lib, ".code64",
	"jmp 1f\n .balign 16\n"			/* APIC_WR */
	"jmp 2f\n .balign 16\n"			/* APIC_RD */
	"jmp 3f\n .balign 16\n"			/* APIC_ICR */
	"jmp 4f\n .balign 16\n"			/* APIC_ON */
	/* APIC_WR: ecx = offset, eax = value */
	"1: cmpb $0, 0x39000\n"
	"je 5f\n"
	"pushq %rdx\n pushq %rcx\n"
	"shrl $4, %ecx\n addl $0x800, %ecx\n xorl %edx, %edx\n wrmsr\n"
	"popq %rcx\n popq %rdx\n ret\n"
	"5: pushq %rcx\n addl $0xfee00000, %ecx\n movl %eax, (%rcx)\n"
	"popq %rcx\n ret\n"
	/* APIC_RD: ecx = offset; eax = value */
	"2: cmpb $0, 0x39000\n"
	"je 6f\n"
	"pushq %rdx\n pushq %rcx\n"
	"shrl $4, %ecx\n addl $0x800, %ecx\n rdmsr\n"
	"popq %rcx\n popq %rdx\n ret\n"
	"6: pushq %rcx\n addl $0xfee00000, %ecx\n movl (%rcx), %eax\n"
	"popq %rcx\n ret\n"
	/* APIC_ICR: eax = low, edx = destination */
	"3: pushq %rcx\n cmpb $0, 0x39000\n"
	"je 7f\n"
	"movl $0x830, %ecx\n wrmsr\n popq %rcx\n ret\n"
	"7: movl $0xfee00310, %ecx\n movl %edx, %r11d\n shll $24, %r11d\n"
	"movl %r11d, (%rcx)\n"
	"movl $0xfee00300, %ecx\n movl %eax, (%rcx)\n"
	"popq %rcx\n ret\n"
	/* APIC_ON */
	"4: pushq %rax\n pushq %rcx\n pushq %rdx\n"
	"cmpb $0, 0x39000\n je 8f\n"
	"movl $0x1b, %ecx\n rdmsr\n orl $0xc00, %eax\n wrmsr\n"
	"8: movl $0x1ff, %eax\n movl $0xf0, %ecx\n"
	"movl $0x30000, %r11d\n call *%r11\n"
	"popq %rdx\n popq %rcx\n popq %rax\n ret\n"
	/* Stubs: push the vector, go to the common handler. */
	".balign 16\n"
	"apic_stubs:\n"
	".set vec, 0\n"
	".rept 256\n"
	"pushq $vec\n"
	"jmp 9f\n"
	".balign 16\n"
	".set vec, vec + 1\n"
	".endr\n"
	/* Common handler: count, stamp, EOI unless NMI or told not to. */
	"9: pushq %rax\n pushq %rcx\n pushq %rdx\n pushq %r11\n"
	"movq 32(%rsp), %rcx\n"
	"lock incq 0x38000(,%rcx,8)\n"
	"rdtsc\n shlq $32, %rdx\n orq %rdx, %rax\n"
	"movq %rax, 0x38800(,%rcx,8)\n"
	"cmpq $2, %rcx\n je 10f\n"
	"cmpb $0, 0x39001\n jne 10f\n"
	"xorl %eax, %eax\n movl $0xb0, %ecx\n"
	"movl $0x30000, %r11d\n call *%r11\n"
	"10: popq %r11\n popq %rdx\n popq %rcx\n popq %rax\n"
	"addq $8, %rsp\n"
	"iretq\n");

int apic_enable_split(struct gvm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP,
		.args = { 24 },
	};

	return ioctl(vm->fd, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

static void set_gate(struct gvm *vm, int vec, uint64_t h)
{
	uint64_t *idt = gvm_hva(vm, GUEST_IDT64_GPA);

	idt[vec * 2] = (h & 0xffff) | ((uint64_t)GUEST_SEL_CODE64 << 16) |
		       (0x8eULL << 40) | (((h >> 16) & 0xffff) << 48);
	idt[vec * 2 + 1] = h >> 32;
}

struct gvm *apic_vm_create(const void *code, const void *code_end,
			   bool x2apic)
{
	struct gvm *vm = gvm_create();
	int r;

	r = apic_enable_split(vm);
	if (r) {
		errno = -r;
		guest_die("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)");
	}
	apic_vm_setup(vm, code, code_end, x2apic);
	return vm;
}

void apic_vm_setup(struct gvm *vm, const void *code, const void *code_end,
		   bool x2apic)
{
	uint64_t stubs = APIC_LIB_GPA + (apic_stubs - apic_lib);
	uint8_t flag = x2apic;
	int vec;

	gvm_load(vm, APIC_LIB_GPA, apic_lib, apic_lib_end);
	gvm_load(vm, GUEST_CODE_GPA, code, code_end);
	set_gate(vm, 2, stubs + 2 * 16);
	for (vec = 32; vec < 256; vec++)
		set_gate(vm, vec, stubs + vec * 16);
	gvm_write(vm, APIC_FLAGS_GPA, &flag, 1);
}

struct gvcpu *apic_vcpu_create(struct gvm *vm, int id, uint64_t rip)
{
	struct gvcpu *v = gvcpu_create(vm, id, GM_LONG64);
	struct kvm_cpuid2 *c = guest_supported_cpuid(vm->sys_fd);
	struct kvm_cpuid_entry2 *e;

	if (c) {
		e = guest_cpuid_entry(c, 1, 0);
		if (e) {
			e->ecx &= ~(1U << 5);			/* VMX */
			e->ecx |= (1U << 21) | (1U << 24);	/* x2APIC, TSC dl */
		}
		e = guest_cpuid_entry(c, 0x80000001, 0);
		if (e)
			e->ecx &= ~(1U << 2);			/* SVM */
		if (ioctl(v->fd, KVM_SET_CPUID2, c))
			guest_die("KVM_SET_CPUID2");
		free(c);
	}
	gvcpu_set_mode(v, GM_LONG64, rip);
	return v;
}

uint64_t apic_count(struct gvm *vm, int vec)
{
	return gvm_read64(vm, APIC_COUNT_GPA + 8 * vec);
}

uint64_t apic_stamp(struct gvm *vm, int vec)
{
	return gvm_read64(vm, APIC_STAMP_GPA + 8 * vec);
}

uint64_t apic_rdtsc(void)
{
	return __rdtsc();
}

const char *apic_vcpu_state(struct gvcpu *v)
{
	static char buf[160];
	struct kvm_lapic_state s;
	struct kvm_mp_state mp = { 0 };
	struct kvm_regs regs;
	uint32_t *r = (uint32_t *)s.regs;

	gvcpu_get_regs(v, &regs);
	ioctl(v->fd, KVM_GET_MP_STATE, &mp);
	memset(&s, 0, sizeof(s));
	ioctl(v->fd, KVM_GET_LAPIC, &s);
	snprintf(buf, sizeof(buf),
		 "vcpu %d: mp %u rip %#llx rflags %#llx IRR[2] %#x ISR[2] %#x PPR %#x",
		 v->id, mp.mp_state, (unsigned long long)regs.rip,
		 (unsigned long long)regs.rflags, r[0x220 / 4], r[0x120 / 4],
		 r[0xa0 / 4]);
	return buf;
}
