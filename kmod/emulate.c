// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the instruction emulator, for both backends: port I/O (string
 * instructions included), MMIO, the decoded MOV to CR8, and the
 * completion of what userspace answered (minihv_complete_pending()).
 *
 * The handlers work on the register cache (vcpu->regs[], ->rip, ->rflags,
 * synced with the hardware by the backend around each entry) and return
 * 1 to resume the guest, 0 to return to userspace with run->exit_reason
 * and its part of struct kvm_run filled in, or a negative errno.  They are
 * called with vcpu->mutex and vm->slots_lock (read) held, preemption
 * enabled.
 *
 * Exits that need data from userspace (IN, INS, MMIO reads) leave
 * vcpu->pending set; minihv_complete_pending(), at the start of the next
 * KVM_RUN, finishes the instruction: loads the data, steps the string
 * registers and advances RIP.  Until then RIP points at the instruction,
 * as in KVM.  The pending state is kept in vcpu->pending_reg and
 * ->pending_flags:
 *   pending_reg:   bits 3:0 destination GPR, bit 4 AH/CH/DH/BH, bit 5 a REP
 *                  prefix, bit 6 MOVS (the data goes to ES:rDI in memory)
 *   pending_flags: bits 1:0 extension (MINIHV_EXT_*), bits 3:2 string
 *                  address size (0 not a string instruction, 1/2/3 for
 *                  16/32/64-bit), bits 7:4 register operand size
 *
 * Guest virtual addresses are translated by the MMU's page walker
 * (kmod/mmu.c, which sets the accessed/dirty bits as the CPU would).  A
 * fault there, or anything we cannot emulate, becomes a
 * KVM_EXIT_INTERNAL_ERROR for now: injecting #PF (and checking segment
 * limits) is left for later.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <asm/processor-flags.h>

#include "minihv.h"
#include "decode.h"
#include "lapic.h"
#include "mmu.h"

/* pending_reg / pending_flags layout, see above. */
#define PEND_REG_MASK		0x0f
#define PEND_REG_HIGH8		0x10
#define PEND_REG_REP		0x20
#define PEND_REG_MOVS		0x40
#define PEND_EXT_MASK		0x03
#define PEND_ASZ_SHIFT		2
#define PEND_ASZ_MASK		0x0c
#define PEND_OPSIZE_SHIFT	4

static inline u64 asz_mask(unsigned int asz)
{
	return asz == 8 ? ~0ULL : (1ULL << (asz * 8)) - 1;
}

/* Write @val to the low @asz bytes of a register as an address-size op. */
static void reg_put_asz(struct minihv_vcpu *vcpu, int reg, u64 val,
			unsigned int asz)
{
	vcpu->regs[reg] = minihv_reg_put(vcpu->regs[reg], val, asz, false);
}

static unsigned int asz_code(unsigned int asz)
{
	return asz == 2 ? 1 : asz == 4 ? 2 : 3;
}

static unsigned int asz_from_code(unsigned int code)
{
	return code == 1 ? 2 : code == 2 ? 4 : 8;
}

/* ---------------------------------------------------------------------
 * Guest state helpers
 */

static bool long_mode64(const struct kvm_sregs *s)
{
	return (s->efer & EFER_LMA) && s->cs.l;
}

static enum minihv_dec_mode guest_mode(struct minihv_vcpu *vcpu,
				       const struct kvm_sregs *s)
{
	if (!(s->cr0 & X86_CR0_PE) || (vcpu->rflags & X86_EFLAGS_VM))
		return MINIHV_MODE_16;
	if (long_mode64(s))
		return MINIHV_MODE_64;
	return s->cs.db ? MINIHV_MODE_32 : MINIHV_MODE_16;
}

/* Base of a segment (MINIHV_SEG_*); 0 in 64-bit mode except FS/GS. */
static u64 seg_base(const struct kvm_sregs *s, unsigned int seg, bool mode64)
{
	switch (seg) {
	case MINIHV_SEG_ES:
		return mode64 ? 0 : s->es.base;
	case MINIHV_SEG_CS:
		return mode64 ? 0 : s->cs.base;
	case MINIHV_SEG_SS:
		return mode64 ? 0 : s->ss.base;
	case MINIHV_SEG_FS:
		return s->fs.base;
	case MINIHV_SEG_GS:
		return s->gs.base;
	default:
		return mode64 ? 0 : s->ds.base;
	}
}

/* Linear address of seg:offset; 32-bit outside 64-bit mode. */
static u64 linear(const struct kvm_sregs *s, unsigned int seg, u64 off,
		  bool mode64)
{
	u64 la = seg_base(s, seg, mode64) + off;

	return mode64 ? la : (u32)la;
}

/*
 * The page walk, given the control registers: the MMU's walker
 * (kmod/mmu.c), with its permission checks (CPL 3 when CS.DPL is 3) and
 * its accessed/dirty bit updates.  A fault is -EFAULT here, and is kept
 * in vcpu->emul_pf: if the emulation then fails (emulation_failure()),
 * the guest gets that #PF.
 */
static int walk(struct minihv_vcpu *vcpu, const struct kvm_sregs *s, u64 gva,
		bool write, u64 *gpa)
{
	struct minihv_paging p = {
		.cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer,
		.rflags = vcpu->rflags,
	};
	u32 access = (write ? PFERR_W : 0) | (s->cs.dpl == 3 ? PFERR_U : 0);
	struct minihv_walk w;
	int r;

	if (!(s->efer & EFER_LMA))
		gva = (u32)gva;
	r = minihv_mmu_walk(vcpu, &p, gva, access, &w);
	if (r == -EFAULT && !vcpu->emul_pf) {
		vcpu->emul_pf = true;
		vcpu->emul_pf_gva = gva;
		vcpu->emul_pf_error = w.error;
	}
	if (r)
		return -EFAULT;
	*gpa = w.gpa;
	return 0;
}

/**
 * minihv_gva_to_gpa() - translate a guest linear address
 * @vcpu:	the vCPU, whose paging mode (CR0.PG, CR4.PAE/PSE/LA57,
 *		EFER.LMA) and CR3 are used
 * @gva:	linear address
 * @write:	the access is a write
 * @gpa:	the guest physical address, on success
 *
 * Return: 0, or -EFAULT if a level is not present (or not writable for a
 * write, see walk()) or a table is outside guest memory.  No #PF is
 * injected: callers turn this into an internal error for now.
 */
int minihv_gva_to_gpa(struct minihv_vcpu *vcpu, u64 gva, bool write,
		      u64 *gpa)
{
	struct kvm_sregs s;

	minihv_ops->get_sregs(vcpu, &s);
	return walk(vcpu, &s, gva, write, gpa);
}

/*
 * Copy @len bytes from (or to) guest linear address @la, page by page.
 * Returns the number of bytes done before the first failure.
 */
static unsigned int linear_copy(struct minihv_vcpu *vcpu,
				const struct kvm_sregs *s, u64 la, void *buf,
				unsigned int len, bool write)
{
	unsigned int done = 0;

	while (done < len) {
		unsigned int n = min_t(unsigned int, len - done,
				       PAGE_SIZE - offset_in_page(la));
		u64 gpa;
		int r;

		if (walk(vcpu, s, la, write, &gpa))
			break;
		if (write)
			r = minihv_write_guest(vcpu->vm, gpa, buf + done, n);
		else
			r = minihv_read_guest(vcpu->vm, gpa, buf + done, n);
		if (r)
			break;
		done += n;
		la += n;
		if (!long_mode64(s))
			la = (u32)la;
	}
	return done;
}

/* Whether @gpa..+@len is all in writable guest RAM. */
static bool gpa_is_ram(struct minihv_vm *vm, u64 gpa, unsigned int len,
		       bool write)
{
	u64 gfn;

	for (gfn = gpa >> PAGE_SHIFT; gfn <= (gpa + len - 1) >> PAGE_SHIFT;
	     gfn++) {
		struct minihv_memslot *slot = minihv_gfn_to_slot(vm, gfn);

		if (!slot || (write && (slot->flags & KVM_MEM_READONLY)))
			return false;
	}
	return true;
}

/* An instruction we cannot emulate: its first 8 bytes, then @info. */
static int emulation_failure(struct minihv_vcpu *vcpu, const u8 *insn,
			     unsigned int len, u64 info)
{
	u64 data[2] = { 0, info };

	/* It could not go on because of a guest page fault: that is all. */
	if (vcpu->emul_pf) {
		vcpu->emul_pf = false;
		minihv_inject_page_fault(vcpu, vcpu->emul_pf_gva,
					 vcpu->emul_pf_error);
		return 1;
	}
	memcpy(data, insn, min_t(unsigned int, len, 8));
	return minihv_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION, 2,
				    data);
}

/* ---------------------------------------------------------------------
 * Instruction fetch
 */

/*
 * Fetch up to 15 bytes at CS:RIP.  Returns how many could be read (the
 * second page of an instruction crossing pages may be missing).
 */
static unsigned int fetch_insn(struct minihv_vcpu *vcpu,
			       const struct kvm_sregs *s, u8 *buf)
{
	bool mode64 = long_mode64(s);

	memset(buf, 0, MINIHV_INSN_MAX);
	return linear_copy(vcpu, s, linear(s, MINIHV_SEG_CS, vcpu->rip, mode64),
			   buf, MINIHV_INSN_MAX, false);
}

/* Is the instruction at CS:RIP a HLT?  For the backends. */
bool minihv_insn_is_hlt(struct minihv_vcpu *vcpu)
{
	u8 buf[MINIHV_INSN_MAX];
	struct kvm_sregs s;

	minihv_ops->get_sregs(vcpu, &s);
	return fetch_insn(vcpu, &s, buf) && buf[0] == 0xf4;
}

/* ---------------------------------------------------------------------
 * CR8, the task priority: the in-kernel APIC's TPR[7:4], or without one
 * vcpu->cr8 (KVM's vcpu->arch.cr8), which KVM_GET/SET_SREGS and run->cr8
 * show.  The backends intercept every MOV to CR8 (VMX also every read):
 * the guest never reaches the CPU's own TPR.
 */

u64 minihv_get_cr8(struct minihv_vcpu *vcpu)
{
	return vcpu->apic ? minihv_lapic_get_cr8(vcpu) : vcpu->cr8;
}

/* 0, or -EINVAL if a reserved bit (63:4) is set. */
int minihv_set_cr8(struct minihv_vcpu *vcpu, u64 cr8)
{
	if (cr8 & ~0xfULL)
		return -EINVAL;
	if (vcpu->apic)
		minihv_lapic_set_cr8(vcpu, cr8);
	else
		vcpu->cr8 = cr8;
	return 0;
}

/*
 * The guest's MOV to CR8 of @val: #GP for reserved bits.  Without an
 * in-kernel APIC, a TPR that drops goes to userspace (KVM_EXIT_SET_TPR,
 * RIP past the instruction), as KVM does: its PIC may have an interrupt
 * the old TPR held back.
 */
int minihv_handle_cr8_write(struct minihv_vcpu *vcpu, u64 val, u64 next_rip)
{
	u64 old = minihv_get_cr8(vcpu);

	if (minihv_set_cr8(vcpu, val)) {
		minihv_queue_gp(vcpu, 0);
		return 1;
	}
	vcpu->rip = next_rip;
	if (vcpu->apic || val >= old)
		return 1;
	vcpu->run->exit_reason = KVM_EXIT_SET_TPR;
	return 0;
}

/*
 * A MOV to CR8 exit that does not say which register (SVM without decode
 * assists): fetch and decode the instruction.
 */
int minihv_emulate_cr8_write(struct minihv_vcpu *vcpu)
{
	struct minihv_insn in;
	struct kvm_sregs s;
	u8 buf[MINIHV_INSN_MAX];
	unsigned int n;

	minihv_ops->get_sregs(vcpu, &s);
	n = fetch_insn(vcpu, &s, buf);
	if (minihv_decode_sys(&in, buf, n, guest_mode(vcpu, &s)) ||
	    in.op != MINIHV_OP_MOV_TO_CR || in.ctl != 8 || in.rm < 0)
		return emulation_failure(vcpu, buf, n, 0);
	return minihv_handle_cr8_write(vcpu, vcpu->regs[in.rm],
				       minihv_insn_next_rip(&in, vcpu->rip));
}

/* ---------------------------------------------------------------------
 * Port I/O
 */

/*
 * The prefixes of INS/OUTS (not handled by decode.c): the address size
 * and the segment override.  Returns 0, or -EINVAL if the bytes are not
 * an INS/OUTS.
 */
static int string_io_prefixes(const u8 *buf, unsigned int len,
			      enum minihv_dec_mode mode, unsigned int *asz,
			      unsigned int *seg)
{
	unsigned int i;

	*asz = mode;
	*seg = MINIHV_SEG_DS;
	for (i = 0; i < len; i++) {
		u8 b = buf[i];

		switch (b) {
		case 0x67:
			*asz = mode == MINIHV_MODE_32 ? 2 : 4;
			continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			/* Ignored in 64-bit mode, even after 64/65. */
			if (mode != MINIHV_MODE_64)
				*seg = (b >> 3) & 3;	/* ES CS SS DS */
			continue;
		case 0x64:
			*seg = MINIHV_SEG_FS;
			continue;
		case 0x65:
			*seg = MINIHV_SEG_GS;
			continue;
		case 0x66: case 0xf0: case 0xf2: case 0xf3:
			continue;
		}
		if (mode == MINIHV_MODE_64 && (b & 0xf0) == 0x40)
			continue;
		return (b >= 0x6c && b <= 0x6f) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/*
 * INS/OUTS.  One exit moves at most a page of data (PAGE_SIZE / size
 * elements); with REP, RIP stays on the instruction until rCX reaches 0,
 * so the guest executes it again for the rest, as in KVM.  Elements that
 * are not in guest RAM (unmapped, MMIO, read-only for INS) end the round
 * early; if the first one is not, the exit is an internal error.
 */
static int handle_string_io(struct minihv_vcpu *vcpu, u16 port, u8 size,
			    bool in, bool rep, u64 next_rip)
{
	struct kvm_run *run = vcpu->run;
	unsigned int asz, seg, n, count, i;
	u8 buf[MINIHV_INSN_MAX];
	enum minihv_dec_mode mode;
	struct kvm_sregs s;
	bool mode64;
	u64 mask, idx, rcx;
	s64 step;
	int reg;

	minihv_ops->get_sregs(vcpu, &s);
	mode = guest_mode(vcpu, &s);
	mode64 = mode == MINIHV_MODE_64;
	n = fetch_insn(vcpu, &s, buf);
	if (string_io_prefixes(buf, n, mode, &asz, &seg))
		return emulation_failure(vcpu, buf, n, port);
	mask = asz_mask(asz);

	rcx = rep ? vcpu->regs[VCPU_RCX] & mask : 1;
	if (!rcx) {
		vcpu->rip = next_rip;
		return 1;
	}
	count = min_t(u64, rcx, PAGE_SIZE / size);
	step = (vcpu->rflags & X86_EFLAGS_DF) ? -(s64)size : size;
	reg = in ? VCPU_RDI : VCPU_RSI;
	if (in)
		seg = MINIHV_SEG_ES;	/* no override for the destination */
	idx = vcpu->regs[reg];

	for (i = 0; i < count; i++) {
		u64 la = linear(&s, seg, (idx + i * step) & mask, mode64);
		u64 gpa;

		if (in) {
			/* Only check now; written at completion. */
			if (walk(vcpu, &s, la, true, &gpa) ||
			    !gpa_is_ram(vcpu->vm, gpa, size, true))
				break;
			if (offset_in_page(la) + size > PAGE_SIZE &&
			    (walk(vcpu, &s, la + size - 1, true, &gpa) ||
			     !gpa_is_ram(vcpu->vm, gpa, 1, true)))
				break;
		} else if (linear_copy(vcpu, &s, la, vcpu->pio_data + i * size,
				       size, false) != size) {
			break;
		}
	}
	if (!i)
		return emulation_failure(vcpu, buf, n, port);
	count = i;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = MINIHV_PIO_PAGE * PAGE_SIZE;

	if (in) {
		vcpu->pending = MINIHV_PENDING_PIO_IN;
		vcpu->pending_rip = next_rip;
		vcpu->pending_size = size;
		vcpu->pending_reg = rep ? PEND_REG_REP : 0;
		vcpu->pending_flags = asz_code(asz) << PEND_ASZ_SHIFT;
		return 0;
	}

	/* OUTS: the data is copied, the instruction done. */
	reg_put_asz(vcpu, VCPU_RSI, idx + count * step, asz);
	if (rep) {
		rcx -= count;
		reg_put_asz(vcpu, VCPU_RCX, rcx, asz);
	}
	if (!rep || !rcx)
		vcpu->rip = next_rip;
	return 0;
}

/**
 * minihv_handle_io() - an IN/OUT/INS/OUTS intercept
 * @vcpu:	the vCPU
 * @port:	the port
 * @size:	1, 2 or 4
 * @in:		IN/INS
 * @string:	INS/OUTS
 * @rep:	with a REP prefix
 * @next_rip:	RIP after the instruction
 *
 * Always a KVM_EXIT_IO (the layout is in the kernel's
 * Documentation/virt/kvm/api.rst: the data, count elements of size bytes,
 * at data_offset in the vCPU mmap, here the page after kvm_run), except
 * for a REP string instruction with rCX 0, which is just skipped.
 */
int minihv_handle_io(struct minihv_vcpu *vcpu, u16 port, u8 size, bool in,
		     bool string, bool rep, u64 next_rip)
{
	struct kvm_run *run = vcpu->run;

	if (size != 1 && size != 2 && size != 4)
		return -EINVAL;
	vcpu->emul_pf = false;
	if (string)
		return handle_string_io(vcpu, port, size, in, rep, next_rip);

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = MINIHV_PIO_PAGE * PAGE_SIZE;
	if (in) {
		vcpu->pending = MINIHV_PENDING_PIO_IN;
		vcpu->pending_rip = next_rip;
		vcpu->pending_size = size;
		vcpu->pending_reg = VCPU_RAX;
		vcpu->pending_flags = size << PEND_OPSIZE_SHIFT;
		return 0;
	}
	/* Little-endian: the low bytes of RAX are AL/AX/EAX. */
	memcpy(vcpu->pio_data, &vcpu->regs[VCPU_RAX], size);
	vcpu->rip = next_rip;
	return 0;
}

/* INS, at completion: store the data at ES:rDI, step rDI (and rCX). */
static void complete_ins(struct minihv_vcpu *vcpu)
{
	unsigned int size = vcpu->pending_size, count, i, asz;
	bool rep = vcpu->pending_reg & PEND_REG_REP;
	struct kvm_sregs s;
	u64 mask, rcx, rdi;
	bool mode64;
	s64 step;

	asz = asz_from_code((vcpu->pending_flags & PEND_ASZ_MASK) >>
			    PEND_ASZ_SHIFT);
	mask = asz_mask(asz);
	minihv_ops->get_sregs(vcpu, &s);
	mode64 = guest_mode(vcpu, &s) == MINIHV_MODE_64;

	/* Bounded by the PIO page whatever userspace did to run->io. */
	rcx = rep ? vcpu->regs[VCPU_RCX] & mask : 1;
	count = min_t(u64, min_t(u64, vcpu->run->io.count, rcx),
		      PAGE_SIZE / size);
	step = (vcpu->rflags & X86_EFLAGS_DF) ? -(s64)size : size;
	rdi = vcpu->regs[VCPU_RDI];

	/*
	 * Checked at the exit; a write failing now (userspace changed the
	 * registers or the slots) drops that element's data.
	 */
	for (i = 0; i < count; i++)
		linear_copy(vcpu, &s, linear(&s, MINIHV_SEG_ES,
					     (rdi + i * step) & mask, mode64),
			    vcpu->pio_data + i * size, size, true);

	reg_put_asz(vcpu, VCPU_RDI, rdi + count * step, asz);
	if (rep) {
		rcx -= count;
		reg_put_asz(vcpu, VCPU_RCX, rcx, asz);
	}
	if (!rep || !rcx)
		vcpu->rip = vcpu->pending_rip;
}

/* ---------------------------------------------------------------------
 * MMIO
 */

/*
 * MOVS with one side MMIO (the one at @gpa): the other side must be RAM.
 * One element per exit; with REP, RIP stays until rCX reaches 0.
 */
static int mmio_movs(struct minihv_vcpu *vcpu, const struct kvm_sregs *s,
		     const struct minihv_insn *insn, u64 gpa, const u8 *buf,
		     unsigned int n, u64 next_rip)
{
	bool mode64 = insn->mode == MINIHV_MODE_64;
	struct kvm_run *run = vcpu->run;
	unsigned int size = insn->size, asz = insn->addr_size;
	u64 mask = asz_mask(asz), src_la, dst_la, src_gpa, dst_gpa, mmio_gpa;
	u64 val = 0;
	bool src_mmio, dst_mmio, rep = insn->rep != MINIHV_REP_NONE;
	s64 step;

	src_la = linear(s, insn->mem.seg, vcpu->regs[VCPU_RSI] & mask, mode64);
	dst_la = linear(s, MINIHV_SEG_ES, vcpu->regs[VCPU_RDI] & mask, mode64);
	if (walk(vcpu, s, src_la, false, &src_gpa) ||
	    walk(vcpu, s, dst_la, true, &dst_gpa))
		return emulation_failure(vcpu, buf, n, gpa);
	src_mmio = !gpa_is_ram(vcpu->vm, src_gpa, size, false);
	dst_mmio = !gpa_is_ram(vcpu->vm, dst_gpa, size, true);
	mmio_gpa = src_mmio ? src_gpa : dst_gpa;
	/*
	 * MMIO to MMIO would need two exits: not supported; neither is an
	 * element crossing a page, nor a fault not on the MMIO side.
	 */
	if (src_mmio == dst_mmio || (mmio_gpa ^ gpa) >> PAGE_SHIFT ||
	    offset_in_page(mmio_gpa) + size > PAGE_SIZE ||
	    offset_in_page(src_mmio ? dst_gpa : src_gpa) + size > PAGE_SIZE)
		return emulation_failure(vcpu, buf, n, gpa);

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = mmio_gpa;
	run->mmio.len = size;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));

	if (src_mmio) {
		/* The data goes to ES:rDI at completion. */
		run->mmio.is_write = 0;
		vcpu->pending = MINIHV_PENDING_MMIO_READ;
		vcpu->pending_rip = next_rip;
		vcpu->pending_size = size;
		vcpu->pending_reg = PEND_REG_MOVS | (rep ? PEND_REG_REP : 0);
		vcpu->pending_flags = asz_code(asz) << PEND_ASZ_SHIFT;
		return 0;
	}

	if (linear_copy(vcpu, s, src_la, &val, size, false) != size)
		return emulation_failure(vcpu, buf, n, gpa);
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, &val, size);

	step = (vcpu->rflags & X86_EFLAGS_DF) ? -(s64)size : size;
	reg_put_asz(vcpu, VCPU_RSI, vcpu->regs[VCPU_RSI] + step, asz);
	reg_put_asz(vcpu, VCPU_RDI, vcpu->regs[VCPU_RDI] + step, asz);
	if (rep) {
		u64 rcx = (vcpu->regs[VCPU_RCX] & mask) - 1;

		reg_put_asz(vcpu, VCPU_RCX, rcx, asz);
		if (rcx)
			return 0;
	}
	vcpu->rip = next_rip;
	return 0;
}

/**
 * minihv_handle_mmio() - an access to guest physical memory in no slot
 * @vcpu:	the vCPU
 * @gpa:	the address accessed (a write to a read-only slot too)
 *
 * Fetches and decodes the instruction at CS:RIP and exits with
 * KVM_EXIT_MMIO: for a write the data is in run->mmio and RIP advanced;
 * for a read the register is loaded at the next KVM_RUN.  Supported: MOV
 * (all forms decode.c knows, immediate stores included), MOVZX, MOVSX,
 * MOVSXD, STOS, LODS (without REP) and MOVS with one side in RAM; string
 * forms with REP do one element per exit, RIP staying on the instruction
 * until rCX is 0.  Everything else (the ALU, TEST, CMP and XCHG forms,
 * which need a read and a write, or flags), accesses crossing a page and
 * undecodable bytes are a KVM_EXIT_INTERNAL_ERROR (emulation), with the
 * first 8 instruction bytes in data[0] and the GPA in data[1].
 */
static void complete_mmio_read(struct minihv_vcpu *vcpu);

int minihv_handle_mmio(struct minihv_vcpu *vcpu, u64 gpa)
{
	struct kvm_run *run = vcpu->run;
	struct minihv_insn insn;
	u8 buf[MINIHV_INSN_MAX];
	struct kvm_sregs s;
	unsigned int n;
	u64 next_rip, val = 0, mask;
	bool apic = minihv_lapic_mmio_match(vcpu, gpa);
	bool rep;
	s64 step;

	vcpu->emul_pf = false;
	minihv_ops->get_sregs(vcpu, &s);
	n = fetch_insn(vcpu, &s, buf);
	if (!n || minihv_decode(&insn, buf, n, guest_mode(vcpu, &s)))
		return emulation_failure(vcpu, buf, n, gpa);
	next_rip = minihv_insn_next_rip(&insn, vcpu->rip);
	rep = insn.rep != MINIHV_REP_NONE;
	mask = asz_mask(insn.addr_size);

	if (insn.size > 8 || offset_in_page(gpa) + insn.size > PAGE_SIZE)
		return emulation_failure(vcpu, buf, n, gpa);

	/* A REP string instruction with rCX 0 does no access. */
	if (rep && (insn.op == MINIHV_OP_MOVS || insn.op == MINIHV_OP_STOS ||
		    insn.op == MINIHV_OP_LODS) &&
	    !(vcpu->regs[VCPU_RCX] & mask)) {
		vcpu->rip = next_rip;
		return 1;
	}

	switch (insn.op) {
	case MINIHV_OP_MOVS:
		return mmio_movs(vcpu, &s, &insn, gpa, buf, n, next_rip);
	case MINIHV_OP_MOV:
	case MINIHV_OP_STOS:
		if (insn.dir == MINIHV_DIR_WRITE)
			break;
		if (insn.op == MINIHV_OP_STOS)
			return emulation_failure(vcpu, buf, n, gpa);
		fallthrough;
	case MINIHV_OP_MOVZX:
	case MINIHV_OP_MOVSX:
	case MINIHV_OP_LODS:
		if (insn.dir != MINIHV_DIR_READ || !insn.has_reg ||
		    (insn.op == MINIHV_OP_LODS && rep))
			return emulation_failure(vcpu, buf, n, gpa);
		run->exit_reason = KVM_EXIT_MMIO;
		run->mmio.phys_addr = gpa;
		run->mmio.len = insn.size;
		run->mmio.is_write = 0;
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		vcpu->pending = MINIHV_PENDING_MMIO_READ;
		vcpu->pending_rip = next_rip;
		vcpu->pending_size = insn.size;
		vcpu->pending_reg = insn.reg |
				    (insn.reg_high8 ? PEND_REG_HIGH8 : 0);
		vcpu->pending_flags = insn.ext |
				      (insn.opsize << PEND_OPSIZE_SHIFT);
		if (insn.op == MINIHV_OP_LODS)
			vcpu->pending_flags |= asz_code(insn.addr_size) <<
					       PEND_ASZ_SHIFT;
		if (apic) {
			/* The xAPIC page: the data now, no userspace. */
			minihv_lapic_mmio_read(vcpu, gpa, insn.size, &val);
			memcpy(run->mmio.data, &val, sizeof(val));
			complete_mmio_read(vcpu);
			vcpu->pending = MINIHV_PENDING_NONE;
			return 1;
		}
		return 0;
	default:
		/* TODO: ALU/TEST/CMP/XCHG on MMIO (read, then write/flags). */
		return emulation_failure(vcpu, buf, n, gpa);
	}

	/* A store: MOV to memory, or one STOS element. */
	val = minihv_insn_src(&insn, vcpu->regs);
	if (apic && insn.op == MINIHV_OP_MOV) {
		vcpu->rip = next_rip;
		return minihv_lapic_mmio_write(vcpu, gpa, insn.size, val);
	}
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = insn.size;
	run->mmio.is_write = 1;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	memcpy(run->mmio.data, &val, insn.size);

	if (insn.op == MINIHV_OP_STOS) {
		step = (vcpu->rflags & X86_EFLAGS_DF) ? -(s64)insn.size :
							insn.size;
		reg_put_asz(vcpu, VCPU_RDI, vcpu->regs[VCPU_RDI] + step,
			    insn.addr_size);
		if (rep) {
			u64 rcx = (vcpu->regs[VCPU_RCX] & mask) - 1;

			reg_put_asz(vcpu, VCPU_RCX, rcx, insn.addr_size);
			if (rcx)
				return 0;
		}
	}
	vcpu->rip = next_rip;
	return 0;
}

/* Zero- or sign-extend the @size-byte @val per MINIHV_EXT_*. */
static u64 extend(u64 val, unsigned int size, unsigned int ext)
{
	u64 mask = asz_mask(size);

	val &= mask;
	if (ext == MINIHV_EXT_SIGN && size < 8 && (val >> (size * 8 - 1)) & 1)
		val |= ~mask;
	return val;
}

/* An MMIO read, at completion: run->mmio.data to a register or ES:rDI. */
static void complete_mmio_read(struct minihv_vcpu *vcpu)
{
	unsigned int size = vcpu->pending_size;
	unsigned int asz_c = (vcpu->pending_flags & PEND_ASZ_MASK) >>
			     PEND_ASZ_SHIFT;
	unsigned int asz = asz_from_code(asz_c);
	u8 preg = vcpu->pending_reg;
	u64 val = 0, mask = asz_mask(asz);
	s64 step = (vcpu->rflags & X86_EFLAGS_DF) ? -(s64)size : size;

	memcpy(&val, vcpu->run->mmio.data, min_t(unsigned int, size, 8));

	if (preg & PEND_REG_MOVS) {
		struct kvm_sregs s;
		bool mode64;
		u64 la;

		minihv_ops->get_sregs(vcpu, &s);
		mode64 = guest_mode(vcpu, &s) == MINIHV_MODE_64;
		la = linear(&s, MINIHV_SEG_ES, vcpu->regs[VCPU_RDI] & mask,
			    mode64);
		/* Checked at the exit; dropped if it fails now. */
		linear_copy(vcpu, &s, la, &val, size, true);
		reg_put_asz(vcpu, VCPU_RSI, vcpu->regs[VCPU_RSI] + step, asz);
		reg_put_asz(vcpu, VCPU_RDI, vcpu->regs[VCPU_RDI] + step, asz);
		if (preg & PEND_REG_REP) {
			u64 rcx = (vcpu->regs[VCPU_RCX] & mask) - 1;

			reg_put_asz(vcpu, VCPU_RCX, rcx, asz);
			if (rcx)
				return;
		}
		vcpu->rip = vcpu->pending_rip;
		return;
	}

	{
		unsigned int reg = preg & PEND_REG_MASK;
		unsigned int opsize = vcpu->pending_flags >> PEND_OPSIZE_SHIFT;

		val = extend(val, size, vcpu->pending_flags & PEND_EXT_MASK);
		vcpu->regs[reg] = minihv_reg_put(vcpu->regs[reg], val, opsize,
						 preg & PEND_REG_HIGH8);
	}
	if (asz_c)	/* LODS */
		reg_put_asz(vcpu, VCPU_RSI, vcpu->regs[VCPU_RSI] + step, asz);
	vcpu->rip = vcpu->pending_rip;
}

/**
 * minihv_complete_pending() - finish an instruction that exited for data
 * @vcpu:	the vCPU, at the start of KVM_RUN
 *
 * IN: AL/AX/EAX from the PIO page (8 and 16-bit loads keep the other bits
 * of RAX, 32-bit ones clear bits 63:32).  INS: the PIO page to ES:rDI.
 * MMIO reads: run->mmio.data to the register, extended as decoded, or
 * for MOVS to ES:rDI.  Then RIP is advanced (string instructions: once
 * rCX is 0).
 */
void minihv_complete_pending(struct minihv_vcpu *vcpu)
{
	u64 val = 0;

	switch (vcpu->pending) {
	case MINIHV_PENDING_PIO_IN:
		if (vcpu->pending_flags & PEND_ASZ_MASK) {
			complete_ins(vcpu);
			break;
		}
		memcpy(&val, vcpu->pio_data,
		       min_t(unsigned int, vcpu->pending_size, 4));
		vcpu->regs[VCPU_RAX] = minihv_reg_put(vcpu->regs[VCPU_RAX], val,
						     vcpu->pending_size, false);
		vcpu->rip = vcpu->pending_rip;
		break;
	case MINIHV_PENDING_MMIO_READ:
		complete_mmio_read(vcpu);
		break;
	default:
		break;
	}
	vcpu->pending = MINIHV_PENDING_NONE;
}
