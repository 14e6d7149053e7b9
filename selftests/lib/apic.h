/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apic: local APIC helpers for the selftests (split irqchip VMs, guest
 * interrupt handlers that count, APIC access from 64-bit guest code).
 *
 * Guest memory used, on top of guest.h's layout:
 *   0x30000  APIC_LIB_GPA: entry points (16 bytes apart, called with
 *            "movl $addr, %r11d; call *%r11"), then one stub per vector
 *            that the IDT gates point at
 *   0x38000  APIC_COUNT_GPA: a 64-bit interrupt count per vector
 *   0x38800  APIC_STAMP_GPA: the TSC at the last interrupt, per vector
 *   0x39000  APIC_FLAGS_GPA: byte 0 = 1 in x2APIC mode (EOIs, helpers use
 *            MSRs), byte 1 = 1 to skip the EOI in the handler
 *
 * The handlers (vectors 2 and 32..255, 64-bit mode) count, stamp, EOI
 * (not for NMIs) and IRETQ; registers are preserved.
 *
 * Entry points (64-bit; clobber r11 and what they return in):
 *   APIC_WR   ecx = register offset (0x20..0x3f0), eax = value
 *   APIC_RD   ecx = register offset; eax = value
 *   APIC_ICR  eax = ICR low half, edx = destination APIC ID (xAPIC: the
 *             8-bit ID, written to ICR2 bits 31:24 first)
 *   APIC_ON   software-enable (SVR = 0x1ff), x2APIC mode first if the
 *             flag says so
 */
#ifndef _APIC_H
#define _APIC_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"

#define APIC_LIB_GPA		0x30000UL
#define APIC_WR_GPA		(APIC_LIB_GPA + 0x00)
#define APIC_RD_GPA		(APIC_LIB_GPA + 0x10)
#define APIC_ICR_GPA		(APIC_LIB_GPA + 0x20)
#define APIC_ON_GPA		(APIC_LIB_GPA + 0x30)
#define APIC_COUNT_GPA		0x38000UL
#define APIC_STAMP_GPA		0x38800UL
#define APIC_FLAGS_GPA		0x39000UL

#define XAPIC_BASE		0xfee00000UL
#define MSR_APIC_BASE		0x1b
#define MSR_TSC_DEADLINE	0x6e0

/* Guest assembly snippets (64-bit), numbers as strings. */
#define G_APIC_WR(off, val)						\
	"movl $" val ", %eax\n movl $" off ", %ecx\n"			\
	"movl $0x30000, %r11d\n call *%r11\n"
#define G_APIC_RD(off)							\
	"movl $" off ", %ecx\n movl $0x30010, %r11d\n call *%r11\n"
#define G_APIC_ICR(low, dest)						\
	"movl $" low ", %eax\n movl $" dest ", %edx\n"			\
	"movl $0x30020, %r11d\n call *%r11\n"
#define G_APIC_ON "movl $0x30030, %r11d\n call *%r11\n"
/* Report %eax on port @port (out %eax). */
#define G_OUT(port) "movw $" port ", %dx\n outl %eax, %dx\n"
/* The count of vector @vec (a number string, e.g. "0x40") into %rax. */
#define G_COUNT(vec) "movq 0x38000 + 8 * " vec ", %rax\n"

/* KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP, 24): 0 or -errno. */
int apic_enable_split(struct gvm *vm);

/*
 * A VM with a split irqchip, the handlers installed, @code loaded at
 * GUEST_CODE_GPA; dies on error.  @x2apic sets the mode flag.
 */
struct gvm *apic_vm_create(const void *code, const void *code_end,
			   bool x2apic);

/*
 * vCPU @id in 64-bit mode at @rip, with CPUID.1:ECX x2APIC and TSC
 * deadline set (both devices emulate them with an in-kernel APIC).
 */
struct gvcpu *apic_vcpu_create(struct gvm *vm, int id, uint64_t rip);

/* The same for a @vm made by the caller (no split irqchip, say). */
void apic_vm_setup(struct gvm *vm, const void *code, const void *code_end,
		   bool x2apic);

/* Interrupt count / last TSC of @vec, read from guest memory. */
uint64_t apic_count(struct gvm *vm, int vec);
uint64_t apic_stamp(struct gvm *vm, int vec);

/* Host TSC (same rate as the guest's). */
uint64_t apic_rdtsc(void);

/*
 * One line on vCPU @v for a loop that did not finish: MP state, RIP,
 * RFLAGS, the IRR/ISR word of vectors 0x40-0x5f, PPR (static buffer).
 */
const char *apic_vcpu_state(struct gvcpu *v);

#endif /* _APIC_H */
