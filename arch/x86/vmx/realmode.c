// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: real mode on VMX without unrestricted guest (ept=0, or a CPU
 * without EPT or unrestricted guest).
 *
 * VM entry refuses CR0.PE=0 there, so while the guest's CR0.PE is clear it
 * runs in virtual-8086 mode, which addresses memory as real mode does
 * (selector << 4), on the identity shadow tree of paging-off guests:
 *
 *  - GUEST_RFLAGS is the guest's RFLAGS with VM and IOPL=3
 *    (vmx->rflags_set, applied around every entry by guest.c): CLI, STI,
 *    PUSHF, POPF and IRET then act on the real IF without faulting.  The
 *    guest reads back its own RFLAGS.
 *  - CS, SS, DS, ES, FS, GS in the VMCS are what VM entry demands for v86
 *    mode: base = selector << 4, limit 0xffff, access rights 0xf3.  The
 *    guest's own view of them (what KVM_GET_SREGS returns and the MMIO and
 *    string I/O emulation see) is kept in struct vmx_rmode and follows the
 *    selectors the guest loads (rm_sync()).  A segment whose base v86 mode
 *    cannot hold (not a multiple of 16 below 1 MiB: the reset state's CS
 *    base 0xffff0000, a protected-mode segment left behind by a switch to
 *    real mode) stops KVM_RUN with KVM_EXIT_INTERNAL_ERROR before the
 *    guest runs; a limit above 64 KiB ("unreal mode") is kept in the view
 *    and honoured by the emulated instructions, but an access the v86
 *    limit faults is an internal error too (not emulated).
 *  - TR is minihv's own 32-bit TSS (rm_tss, one for all vCPUs: the CPU
 *    only reads it), mapped supervisor-only and read-only into the shadow
 *    tree at RM_TSS_LA, which a v86 guest cannot address (above 0x10ffef).
 *    Its interrupt redirection bitmap is all zero and GUEST_CR4.VME is set:
 *    INT n goes through the real-mode IVT at linear 0 without an exit.
 *    Its I/O permission bitmap is all zero: IN/OUT/INS/OUTS are allowed,
 *    then take the usual I/O exits.  The guest's TR is kept aside.
 *  - Every exception exits (EXCEPTION_BITMAP ~0; #MC is the host's, as
 *    in every other mode: guest.c).  #PF is the shadow MMU's.  #GP
 *    from a privileged instruction (v86 runs at CPL 3) is emulated here
 *    (rm_emulate(), decoded by minihv_decode_sys()); any other exception
 *    is delivered the real-mode way (rm_interrupt(): FLAGS, CS, IP pushed
 *    on SS:SP, IF/TF/AC cleared, CS:IP from the IVT), and so are the
 *    interrupts and NMIs injected while the guest is in real mode: event
 *    injection at VM entry would use the protected-mode IDT.
 *  - MOV to CR0 or LMSW setting PE leaves v86 mode (vmx_rm_leave()): the
 *    real-mode segments become protected-mode ones VM entry accepts
 *    (CS/SS RPL and DPL 0, data DPL = RPL, base and limit kept), so the
 *    far jump that follows runs natively.  Clearing PE again, INIT and
 *    KVM_SET_SREGS with PE=0 enter it (vmx_rm_enter()).
 *
 * Documentation/mmu.rst says why; Documentation/transitions.rst follows a
 * round trip.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <asm/unaligned.h>

#include "vmx.h"
#include "kmod/decode.h"

/*
 * minihv's TSS: 104 bytes, the 32-byte interrupt redirection bitmap, the
 * 8 KiB I/O permission bitmap and its closing 0xff byte.  At a linear
 * address no v86 address reaches (0xffff:0xffff = 0x10ffef).
 */
#define RM_TSS_LA	0xfff00000UL
#define RM_TSS_IOMAP	(104 + 32)
#define RM_TSS_LIMIT	(RM_TSS_IOMAP + 65536 / 8)
#define RM_TSS_PAGES	3
#define RM_TSS_ORDER	2

#define VM86_AR		0xf3	/* present, DPL 3, read/write data, accessed */
#define TSS_BUSY_AR	0x8b	/* present, busy 32-bit TSS */

#define RM_EXCEPTIONS	(~0u)
#define PM_EXCEPTIONS	(BIT(X86_TRAP_PF) | BIT(X86_TRAP_MC))	/* shadow paging's */

static struct page *rm_tss;

int vmx_rm_setup(void)
{
	u8 *tss;

	if (vmx_cfg.ept_ug)
		return 0;
	BUILD_BUG_ON(RM_TSS_PAGES * PAGE_SIZE <= RM_TSS_LIMIT);
	BUILD_BUG_ON(get_order(RM_TSS_PAGES * PAGE_SIZE) != RM_TSS_ORDER);
	rm_tss = alloc_pages(GFP_KERNEL | __GFP_ZERO, RM_TSS_ORDER);
	if (!rm_tss)
		return -ENOMEM;
	tss = page_address(rm_tss);
	put_unaligned_le16(RM_TSS_IOMAP, tss + 0x66);
	tss[RM_TSS_LIMIT] = 0xff;
	return 0;
}

void vmx_rm_unsetup(void)
{
	if (rm_tss)
		__free_pages(rm_tss, RM_TSS_ORDER);
	rm_tss = NULL;
}

/* ---------------------------------------------------------------------
 * Segments.  VMCS loaded.
 */

static void write_vm86_seg(int seg, u16 sel)
{
	vmcs_write(vmx_seg_field(GUEST_ES_SELECTOR, seg), sel);
	vmcs_write(vmx_seg_field(GUEST_ES_BASE, seg), (u32)sel << 4);
	vmcs_write(vmx_seg_field(GUEST_ES_LIMIT, seg), 0xffff);
	vmcs_write(vmx_seg_field(GUEST_ES_AR_BYTES, seg), VM86_AR);
}

/*
 * Fold the segment loads the guest made in v86 mode into its view: a
 * selector other than the one minihv put there was loaded by the guest,
 * which in real mode sets the base and keeps the limit and attributes.
 * The view's selector is the VMCS's (vmx_rm_enter()), so a load of the
 * same selector changes nothing, as on the CPU.
 */
static void rm_sync(struct vmx_vcpu *vmx)
{
	struct vmx_rmode *rm = &vmx->rm;
	int seg;

	for (seg = SEG_ES; seg <= SEG_GS; seg++) {
		struct kvm_segment *s = &rm->seg[seg];
		u16 sel = vmcs_read(vmx_seg_field(GUEST_ES_SELECTOR, seg));

		if (sel == rm->sel[seg])
			continue;
		rm->sel[seg] = sel;
		rm->bad &= ~BIT(seg);
		s->selector = sel;
		s->base = (u32)sel << 4;
	}
}

/**
 * vmx_rm_enter() - the guest's CR0.PE is now clear: run it in v86 mode
 * @vcpu:	the vCPU, whose VMCS (loaded) holds its segments as they are
 *
 * Those segments become the guest's real-mode view; the VMCS gets v86
 * ones, minihv's TSS, every exception intercepted and RFLAGS.VM/IOPL.
 * Also from the reset state and KVM_SET_SREGS, after their VMCS writes.
 *
 * In the view, a segment's selector becomes base >> 4, what the guest
 * reads with MOV from a segment register in v86 mode anyway: a stale
 * protected-mode selector (right after CR0.PE was cleared) would be
 * ambiguous once the guest loads the same value; an unusable segment
 * becomes the real-mode segment 0.  A base v86 mode cannot hold keeps
 * its selector; such a guest does not run (vmx_rm_prepare()).
 */
void vmx_rm_enter(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_rmode *rm = &vmx->rm;
	int seg;

	rm->bad = 0;
	rm->unreal = false;
	for (seg = SEG_ES; seg <= SEG_GS; seg++) {
		struct kvm_segment *s = &rm->seg[seg];

		vmx_get_seg(seg, s);
		if (s->unusable)
			*s = (struct kvm_segment) {
				.limit = 0xffff, .type = 3, .s = 1, .present = 1,
			};
		if ((s->base & 0xf) || s->base > 0xffff0) {
			rm->bad |= BIT(seg);
		} else {
			s->selector = s->base >> 4;
			if (s->limit > 0xffff)
				rm->unreal = true;
		}
		rm->sel[seg] = s->selector;
		write_vm86_seg(seg, rm->sel[seg]);
	}
	vmx_get_seg(SEG_TR, &rm->tr);
	vmcs_write(GUEST_TR_SELECTOR, 0);
	vmcs_write(GUEST_TR_BASE, RM_TSS_LA);
	vmcs_write(GUEST_TR_LIMIT, RM_TSS_LIMIT);
	vmcs_write(GUEST_TR_AR_BYTES, TSS_BUSY_AR);
	vmcs_write(EXCEPTION_BITMAP, RM_EXCEPTIONS);
	vmx->rflags_set = X86_EFLAGS_VM | X86_EFLAGS_IOPL;
	rm->vm86 = true;
	rm->tss_mapped = false;
}

/**
 * vmx_rm_leave() - the guest leaves real mode
 * @vcpu:	the vCPU (VMCS loaded)
 * @fix:	its CR0.PE was just set: make its real-mode segments ones VM
 *		entry accepts in protected mode, as KVM does (CS and SS with
 *		RPL and DPL 0, data segments with DPL = RPL; present, S=1,
 *		base, limit and size kept), until the guest loads its own.
 *		Without @fix the caller (KVM_SET_SREGS) writes every segment.
 */
void vmx_rm_leave(struct minihv_vcpu *vcpu, bool fix)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_rmode *rm = &vmx->rm;
	int seg;

	if (!rm->vm86)
		return;
	rm_sync(vmx);
	for (seg = SEG_ES; fix && seg <= SEG_GS; seg++) {
		struct kvm_segment s = rm->seg[seg];
		bool data = seg != SEG_CS && seg != SEG_SS;

		if (!data)
			s.selector &= ~3;
		s.dpl = s.selector & 3;
		s.s = 1;
		s.present = 1;
		if (seg == SEG_CS && !(s.type & 8))
			s.type = 0xb;		/* execute/read code */
		else if (seg == SEG_SS && (s.type & 0xa) != 2)
			s.type = 3;		/* read/write data */
		else if (data && (s.type & 0xa) == 8)
			s.type |= 2;		/* readable */
		vmx_set_seg(seg, &s);
	}
	vmx_set_seg(SEG_TR, &rm->tr);
	vmcs_write(EXCEPTION_BITMAP, PM_EXCEPTIONS);
	vmx->rflags_set = 0;
	rm->vm86 = false;
}

/* KVM_GET_SREGS in v86 mode: the guest's view.  VMCS loaded. */
void vmx_rm_get_segs(struct minihv_vcpu *vcpu, struct kvm_sregs *sregs)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rm;

	rm_sync(to_vmx(vcpu));
	sregs->es = rm->seg[SEG_ES];
	sregs->cs = rm->seg[SEG_CS];
	sregs->ss = rm->seg[SEG_SS];
	sregs->ds = rm->seg[SEG_DS];
	sregs->fs = rm->seg[SEG_FS];
	sregs->gs = rm->seg[SEG_GS];
	sregs->tr = rm->tr;
}

/* ---------------------------------------------------------------------
 * Interrupts and exceptions, delivered the real-mode way
 */

/* Guest memory that must be RAM (the IVT, the stack) is not. */
static int rm_fail(struct minihv_vcpu *vcpu, u64 addr, u8 vector)
{
	u64 data[3] = { addr, vector, vcpu->rip };

	return minihv_exit_internal(vcpu, KVM_INTERNAL_ERROR_DELIVERY_EV, 3,
				    data);
}

/*
 * Deliver @vector as a real-mode CPU does: push FLAGS, CS and IP on SS:SP,
 * clear IF, TF and AC, jump to the IVT's CS:IP (the guest's IDTR, which
 * the VMCS holds in v86 mode).  A vector beyond the IDTR limit is a #GP,
 * then a #DF, then a shutdown.  Preemptible.
 */
static int rm_interrupt(struct minihv_vcpu *vcpu, u8 vector)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_rmode *rm = &vmx->rm;
	struct minihv_vm *vm = vcpu->vm;
	u64 idt_base, idt_limit, sp, ss_base;
	u16 frame[3], cs;
	u32 ivt;
	int i;

	if (!vmx_get(vcpu))
		return -EIO;
	rm_sync(vmx);
	cs = vmcs_read(GUEST_CS_SELECTOR);
	ss_base = vmcs_read(GUEST_SS_BASE);
	idt_base = vmcs_read(GUEST_IDTR_BASE);
	idt_limit = vmcs_read(GUEST_IDTR_LIMIT);
	vmx_put();

	while ((u32)vector * 4 + 3 > idt_limit) {
		if (vector == X86_TRAP_DF) {
			vmx_vcpu_reset(vcpu);	/* as after a triple fault */
			return minihv_exit_shutdown(vcpu);
		}
		vector = vector == X86_TRAP_GP ? X86_TRAP_DF : X86_TRAP_GP;
	}
	if (minihv_read_guest(vm, (u32)(idt_base + vector * 4), &ivt, 4))
		return rm_fail(vcpu, (u32)(idt_base + vector * 4), vector);

	frame[0] = vcpu->rflags;
	frame[1] = cs;
	frame[2] = vcpu->rip;
	sp = vcpu->regs[VCPU_RSP];
	for (i = 0; i < 3; i++) {
		sp = (sp - 2) & 0xffff;
		if (minihv_write_guest(vm, ss_base + sp, &frame[i], 2))
			return rm_fail(vcpu, ss_base + sp, vector);
	}
	vcpu->regs[VCPU_RSP] = (vcpu->regs[VCPU_RSP] & ~0xffffULL) | sp;
	vcpu->rflags &= ~(X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_AC |
			  X86_EFLAGS_RF);
	vcpu->rip = ivt & 0xffff;
	cs = ivt >> 16;

	if (!vmx_get(vcpu))
		return -EIO;
	vmcs_write(GUEST_CS_SELECTOR, cs);
	vmcs_write(GUEST_CS_BASE, (u32)cs << 4);
	vmx_put();
	rm->sel[SEG_CS] = cs;
	rm->seg[SEG_CS].selector = cs;
	rm->seg[SEG_CS].base = (u32)cs << 4;
	return 1;
}

/*
 * The event queued for the next entry (an interrupt, an NMI, an
 * exception), delivered through the IVT instead of VM entry.
 */
static int rm_deliver_event(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 info = vmx->event_inj;
	int r;

	vmx->event_inj = 0;
	r = rm_interrupt(vcpu, info & INTR_INFO_VECTOR_MASK);
	/* NMIs stay blocked until the guest's IRET (virtual NMIs). */
	if (r == 1 && vmx_cfg.vnmi &&
	    (info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR) {
		if (!vmx_get(vcpu))
			return -EIO;
		vmx->intr_state |= GUEST_INTR_STATE_NMI;
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, vmx->intr_state);
		vmx_put();
	}
	return r;
}

/* A segment v86 mode cannot hold: what KVM_RUN says instead. */
static int rm_refuse(struct minihv_vcpu *vcpu)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rm;
	int seg = __ffs(rm->bad);
	u64 data[4] = { seg, rm->seg[seg].selector, rm->seg[seg].base,
			vcpu->rip };

	pr_info_once("real mode without unrestricted guest: segment %d base %#llx is not selector << 4 (not emulated)\n",
		     seg, rm->seg[seg].base);
	return minihv_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION, 4,
				    data);
}

/**
 * vmx_rm_prepare() - before an entry in v86 mode (preemptible)
 * @vcpu:	the vCPU
 *
 * Refuses a segment v86 mode cannot hold, maps minihv's TSS into the
 * shadow tree again after a zap, delivers a queued event through the IVT.
 *
 * Return: 1 to enter, else what vcpu_run returns.
 */
int vmx_rm_prepare(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_rmode *rm = &vmx->rm;
	struct minihv_shadow *sh = &vmx->sp.mmu;
	int r;

	if (unlikely(rm->bad))
		return rm_refuse(vcpu);
	if (!rm->tss_mapped || rm->tss_zaps != sh->zaps) {
		r = minihv_shadow_map_host(sh, RM_TSS_LA, page_to_phys(rm_tss),
					   RM_TSS_PAGES);
		if (r)
			return r;
		rm->tss_mapped = true;
		rm->tss_zaps = sh->zaps;
	}
	if (vmx->event_inj & INTR_INFO_VALID_MASK)
		return rm_deliver_event(vcpu);
	return 1;
}

/* ---------------------------------------------------------------------
 * The instructions v86 mode faults on
 */

/* Up to 15 bytes at linear (= physical) @la: how many could be read. */
static unsigned int rm_fetch(struct minihv_vm *vm, u64 la, u8 *buf)
{
	unsigned int n = 0;

	while (n < MINIHV_INSN_MAX) {
		unsigned int chunk = min_t(unsigned int, MINIHV_INSN_MAX - n,
					   PAGE_SIZE - offset_in_page(la + n));

		if (minihv_read_guest(vm, la + n, buf + n, chunk))
			break;
		n += chunk;
	}
	return n;
}

/*
 * The linear address of @in's memory operand of @size bytes in the
 * guest's view of its segment: -EFAULT past the segment's limit (#GP).
 */
static int rm_operand(struct minihv_vcpu *vcpu, const struct minihv_insn *in,
		      unsigned int size, u64 next_ip, u64 *la)
{
	const struct kvm_segment *s = &to_vmx(vcpu)->rm.seg[in->mem.seg];
	u64 ea = minihv_insn_ea(in, &in->mem, vcpu->regs, next_ip);

	if (ea + size - 1 > s->limit)
		return -EFAULT;
	*la = (u32)(s->base + ea);
	return 0;
}

static int rm_read(struct minihv_vcpu *vcpu, const struct minihv_insn *in,
		   void *buf, unsigned int size, u64 next_ip)
{
	u64 la;

	if (rm_operand(vcpu, in, size, next_ip, &la))
		return -EFAULT;
	return minihv_read_guest(vcpu->vm, la, buf, size) ? -EIO : 0;
}

static int rm_write(struct minihv_vcpu *vcpu, const struct minihv_insn *in,
		    const void *buf, unsigned int size, u64 next_ip)
{
	u64 la;

	if (rm_operand(vcpu, in, size, next_ip, &la))
		return -EFAULT;
	return minihv_write_guest(vcpu->vm, la, buf, size) ? -EIO : 0;
}

/* Decoded, but not emulated here (MOV DR), or its operand is not RAM. */
static int rm_not_emulated(struct minihv_vcpu *vcpu, const u8 *insn,
			   unsigned int len)
{
	u64 data[2] = { 0, vcpu->rip };

	memcpy(data, insn, min_t(unsigned int, len, 8));
	return minihv_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION, 2,
				    data);
}

/* LGDT, LIDT, SGDT, SIDT on the guest's GDTR/IDTR, which the VMCS holds. */
static int rm_dtr(struct minihv_vcpu *vcpu, const struct minihv_insn *in,
		  u64 next_ip)
{
	bool idt = in->op == MINIHV_OP_LIDT || in->op == MINIHV_OP_SIDT;
	unsigned long base_f = idt ? GUEST_IDTR_BASE : GUEST_GDTR_BASE;
	unsigned long limit_f = idt ? GUEST_IDTR_LIMIT : GUEST_GDTR_LIMIT;
	u8 dt[6];
	u32 base;
	int r;

	if (in->op == MINIHV_OP_LGDT || in->op == MINIHV_OP_LIDT) {
		r = rm_read(vcpu, in, dt, 6, next_ip);
		if (r)
			return r;
		base = get_unaligned_le32(dt + 2);
		if (in->opsize == 2)
			base &= 0xffffff;
		if (!vmx_get(vcpu))
			return -EIO;
		vmcs_write(base_f, base);
		vmcs_write(limit_f, get_unaligned_le16(dt));
		vmx_put();
		return 0;
	}
	if (!vmx_get(vcpu))
		return -EIO;
	put_unaligned_le16(vmcs_read(limit_f), dt);
	put_unaligned_le32(vmcs_read(base_f), dt + 2);
	vmx_put();
	return rm_write(vcpu, in, dt, 6, next_ip);
}

/* kmod/x86.c's 1 (an exception queued) as rm_emulate() says it. */
static int rm_result(int r)
{
	return r == 1 ? -EALREADY : r;
}

/* MOV from/to CRn: 32-bit registers.  -ENODEV for #UD. */
static int rm_mov_cr(struct minihv_vcpu *vcpu, const struct minihv_insn *in)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 *reg = &vcpu->regs[in->rm];
	u64 val;

	if (in->op == MINIHV_OP_MOV_TO_CR) {
		val = (u32)*reg;
		switch (in->ctl) {
		case 0:
		case 3:
		case 4:
			return rm_result(minihv_set_cr(vcpu, in->ctl, val));
		case 2:
			vmx->cr2 = val;
			return 0;
		}
		return -ENODEV;
	}
	switch (in->ctl) {
	case 0:
	case 3:
	case 4:
		val = minihv_get_cr(vcpu, in->ctl);
		break;
	case 2:
		val = vmx->cr2;
		break;
	default:
		return -ENODEV;
	}
	*reg = (u32)val;
	return 0;
}

/*
 * A #GP in v86 mode: emulate the privileged instruction that caused it.
 * Returns -ENOENT when it was no such instruction (a real #GP), else as
 * an exit handler.
 */
static int rm_emulate(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct minihv_insn in;
	u8 buf[MINIHV_INSN_MAX];
	unsigned int n;
	u64 next, val = 0;
	int r = 0;

	/* Past v86 mode's CS limit: that was the #GP. */
	if (vcpu->rip > 0xffff)
		return -ENOENT;
	if (!vmx_get(vcpu))
		return -EIO;
	rm_sync(vmx);
	vmx_put();
	n = rm_fetch(vcpu->vm, (u32)(vmx->rm.seg[SEG_CS].base + vcpu->rip),
		     buf);
	if (minihv_decode_sys(&in, buf, n, MINIHV_MODE_16))
		return -ENOENT;
	next = (vcpu->rip + in.len) & 0xffff;

	switch (in.op) {
	case MINIHV_OP_LGDT:
	case MINIHV_OP_LIDT:
	case MINIHV_OP_SGDT:
	case MINIHV_OP_SIDT:
		r = rm_dtr(vcpu, &in, next);
		break;
	case MINIHV_OP_SMSW:
		if (in.rm >= 0)
			vcpu->regs[in.rm] = minihv_reg_put(vcpu->regs[in.rm],
							   vmx->cr0, in.opsize,
							   false);
		else
			r = rm_write(vcpu, &in, &vmx->cr0, 2, next);
		break;
	case MINIHV_OP_LMSW:
		if (in.rm >= 0)
			val = vcpu->regs[in.rm];
		else
			r = rm_read(vcpu, &in, &val, 2, next);
		/* LMSW sets PE but never clears it. */
		if (!r)
			r = rm_result(minihv_lmsw(vcpu, val));
		break;
	case MINIHV_OP_CLTS:
		r = rm_result(minihv_clts(vcpu));
		break;
	case MINIHV_OP_MOV_TO_CR:
	case MINIHV_OP_MOV_FROM_CR:
		r = rm_mov_cr(vcpu, &in);
		break;
	case MINIHV_OP_HLT:
		return minihv_handle_hlt(vcpu, next);
	case MINIHV_OP_INVD:
	case MINIHV_OP_WBINVD:
	case MINIHV_OP_INVLPG:
		break;		/* no caches to flush, no paging */
	case MINIHV_OP_RDMSR:
		if (minihv_get_msr(vcpu, vcpu->regs[VCPU_RCX], &val)) {
			r = -EINVAL;
			break;
		}
		vcpu->regs[VCPU_RAX] = (u32)val;
		vcpu->regs[VCPU_RDX] = val >> 32;
		break;
	case MINIHV_OP_WRMSR:
		val = (u32)vcpu->regs[VCPU_RAX] | vcpu->regs[VCPU_RDX] << 32;
		r = minihv_set_msr(vcpu, vcpu->regs[VCPU_RCX], val, false);
		if (r == MINIHV_MSR_USER_EXIT) {
			vcpu->rip = next;
			return 0;
		}
		break;
	default:
		return rm_not_emulated(vcpu, buf, in.len);
	}

	switch (r) {
	case 0:
		vcpu->rip = next;
		return 1;
	case -EALREADY:		/* kmod/x86.c queued the exception */
		return 1;
	case -EIO:
		return rm_not_emulated(vcpu, buf, in.len);
	case -ENODEV:
		minihv_queue_ud(vcpu);
		return 1;
	default:		/* -EINVAL, -EFAULT: #GP */
		minihv_queue_gp(vcpu, 0);
		return 1;
	}
}

/**
 * vmx_rm_exception() - an exception in v86 mode (not #PF)
 * @vcpu:	the vCPU
 * @intr_info:	VM_EXIT_INTR_INFO
 * @len:	VM_EXIT_INSTRUCTION_LEN (INT3, INTO, INT1)
 *
 * A #GP from a privileged instruction is emulated; any other exception is
 * the guest's, delivered through its IVT at the next entry.
 *
 * Return: as an exit handler.
 */
int vmx_rm_exception(struct minihv_vcpu *vcpu, u32 intr_info, u32 len)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rm;
	u8 vector = intr_info & INTR_INFO_VECTOR_MASK;
	u32 type = intr_info & INTR_INFO_INTR_TYPE_MASK;
	int r;

	if (type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION) {
		/* A trap: the IVT's handler returns after the instruction. */
		vcpu->rip = (vcpu->rip + len) & 0xffff;
	} else if (vector == X86_TRAP_GP) {
		r = rm_emulate(vcpu);
		if (r != -ENOENT)
			return r;
	}
	/* An access beyond 64 KiB that real mode's limit allowed. */
	if ((vector == X86_TRAP_GP || vector == X86_TRAP_SS) && rm->unreal) {
		u64 data[3] = { vector, vcpu->rip, rm->seg[SEG_DS].limit };

		pr_info_once("real mode without unrestricted guest: segment limits above 64 KiB are not emulated\n");
		return minihv_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					    3, data);
	}
	minihv_ops->queue_exception(vcpu, vector, false, 0);
	return 1;
}
