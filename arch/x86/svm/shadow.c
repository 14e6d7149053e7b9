// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: SVM without nested paging (npt=0, or no NPT): shadow paging.
 *
 * The guest runs on the host-built tables of kmod/mmu.c.  The VMCB's CR0,
 * CR3, CR4 and EFER are what the CPU runs with: always paging and CR0.WP
 * (real mode and paging-off protected mode run with PG=1 and PE=0 or an
 * identity shadow, which SVM allows), always CR4.PAE and EFER.NX,
 * EFER.LME/LMA only in long mode (kmod/mmu.c: minihv_shadow_hw_crs(),
 * the rule for both backends), CR3 the shadow root.  The guest's own
 * values live in struct svm_shadow; every read and write of CR0, CR3 and
 * CR4 is intercepted and done by kmod/x86.c (guest.c's exit_cr()), #PF
 * and INVLPG here.
 *
 * Without decode assists (the lab's QEMU has none) the exits say neither
 * which register a MOV CR uses nor the INVLPG address, so the instruction
 * is fetched and decoded by kmod/decode.c (minihv_decode_sys()): MOV
 * to/from CR0/3/4, CLTS, LMSW and SMSW with a register operand, INVLPG
 * with its memory operand's address.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/svm.h>
#include <asm/trapnr.h>

#include "decode.h"
#include "svm.h"

#define SEG_L		BIT(9)
#define SEG_DB		BIT(10)

static void shadow_paging(struct minihv_vcpu *vcpu, struct minihv_paging *p)
{
	const struct minihv_crs *crs = &to_svm(vcpu)->sp.crs;

	p->cr0 = crs->cr0;
	p->cr3 = crs->cr3;
	p->cr4 = crs->cr4;
	p->efer = crs->efer;
	p->rflags = vcpu->rflags;
}

/* What the CPU runs with, from the guest's view. */
static void shadow_update_hw(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *s = &svm->vmcb->save;
	struct minihv_crs hw;

	minihv_shadow_hw_crs(&svm->sp.crs, &hw);
	s->cr0 = hw.cr0;
	s->cr4 = hw.cr4;
	s->efer = hw.efer | EFER_SVME;
}

/* From svm_init_vmcb(): the reset state is the guest's view. */
void svm_shadow_init(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	struct vmcb_save_area *s = &svm->vmcb->save;
	struct svm_shadow *sp = &svm->sp;
	static const int intercepts[] = {
		INTERCEPT_CR0_READ, INTERCEPT_CR3_READ, INTERCEPT_CR4_READ,
		INTERCEPT_CR0_WRITE, INTERCEPT_CR3_WRITE, INTERCEPT_CR4_WRITE,
		INTERCEPT_INVLPG, INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_PF,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		svm_set_intercept(c, intercepts[i], true);
	c->nested_ctl = 0;
	c->nested_cr3 = 0;
	sp->crs.cr0 = s->cr0;
	sp->crs.cr3 = s->cr3;
	sp->crs.cr4 = s->cr4;
	sp->crs.efer = s->efer & ~EFER_SVME;
	minihv_shadow_zap(&sp->mmu);
	shadow_update_hw(vcpu);
}

void svm_shadow_free(struct minihv_vcpu *vcpu)
{
	minihv_shadow_destroy(&to_svm(vcpu)->sp.mmu);
}

/*
 * Before each entry (preemption enabled): drop the tree if the slots
 * changed, make sure its root has the guest's format, and take a new
 * ASID if entries were dropped.  Returns 1 to go on, else what
 * svm_vcpu_run() returns (as vmx_shadow_prepare()).
 */
int svm_shadow_prepare(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_vm *svm_vm = vcpu->vm->arch;
	struct svm_shadow *sp = &svm->sp;
	s64 gen = atomic64_read(&svm_vm->npt.gen);
	int r;

	if (sp->gen != gen) {
		minihv_shadow_zap(&sp->mmu);
		sp->gen = gen;
	}
	r = minihv_shadow_root(&sp->mmu, (sp->crs.efer & EFER_LMA) ? 4 : 3);
	if (r)
		return r;
	svm->vmcb->save.cr3 = sp->mmu.root_pa;
	if (sp->mmu.flush) {
		svm->cpu = -1;		/* svm_load_asid(): a fresh ASID */
		sp->mmu.flush = false;
	}
	return 1;
}

/* The guest's new CR0/CR3/CR4/EFER (kmod/x86.c allowed them). */
void svm_shadow_set_crs(struct minihv_vcpu *vcpu,
			const struct minihv_crs *crs)
{
	to_svm(vcpu)->sp.crs = *crs;
	shadow_update_hw(vcpu);
}

/* A paging control changed, or CR3 was loaded: the tree starts again. */
void svm_shadow_reset(struct minihv_vcpu *vcpu)
{
	minihv_shadow_zap(&to_svm(vcpu)->sp.mmu);
}

/* ---------------------------------------------------------------------
 * Decoding the intercepted instruction
 */

/* The guest's paging controls: its own view, with either paging. */
static void guest_paging(struct minihv_vcpu *vcpu, struct minihv_paging *p)
{
	struct minihv_crs crs;

	svm_get_crs(vcpu, &crs);
	p->cr0 = crs.cr0;
	p->cr3 = crs.cr3;
	p->cr4 = crs.cr4;
	p->efer = crs.efer;
	p->rflags = vcpu->rflags;
}

static enum minihv_dec_mode dec_mode(struct minihv_vcpu *vcpu,
				     const struct minihv_paging *p)
{
	u16 attrib = to_svm(vcpu)->vmcb->save.cs.attrib;

	if ((p->efer & EFER_LMA) && (attrib & SEG_L))
		return MINIHV_MODE_64;
	if (attrib & SEG_DB)
		return MINIHV_MODE_32;
	return MINIHV_MODE_16;
}

/*
 * Fetch and decode (kmod/decode.c, minihv_decode_sys()) the instruction
 * at CS:RIP, for the exits without decode assists (shadow paging's, MOV
 * DR's): the bytes of its page, and of the next one only if the
 * instruction goes on there.  The decoder never reads past the bytes
 * fetched.  The guest may have rewritten the instruction since the exit
 * (another vCPU, a DMA): a fetch fault is its #PF, more than 15 bytes its
 * #GP, as the CPU would give them.  Returns 0, 1 if an exception was
 * queued, or a negative decode error.
 */
int svm_decode_insn(struct minihv_vcpu *vcpu, struct minihv_insn *in)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;
	u32 access = PFERR_I | (s->cpl == 3 ? PFERR_U : 0);
	enum minihv_dec_mode mode;
	u8 b[MINIHV_INSN_MAX];
	struct minihv_paging p;
	struct minihv_walk w;
	unsigned int n;
	u64 la;
	int r;

	guest_paging(vcpu, &p);
	mode = dec_mode(vcpu, &p);
	la = s->cs.base + vcpu->rip;
	if (mode != MINIHV_MODE_64)
		la = (u32)la;
	n = min_t(unsigned int, MINIHV_INSN_MAX,
		  PAGE_SIZE - offset_in_page(la));
	r = minihv_read_gva(vcpu, &p, la, b, n, access, &w);
	if (!r) {
		r = minihv_decode_sys(in, b, n, mode);
		if (r != MINIHV_DEC_E_TRUNC || n == MINIHV_INSN_MAX)
			goto out;
		/* It goes on in the next page. */
		la += n;
		if (mode != MINIHV_MODE_64)
			la = (u32)la;
		r = minihv_read_gva(vcpu, &p, la, b + n, MINIHV_INSN_MAX - n,
				    access, &w);
		if (!r)
			r = minihv_decode_sys(in, b, MINIHV_INSN_MAX, mode);
	}
	if (r == -EFAULT) {
		minihv_inject_page_fault(vcpu, w.gva, w.error);
		return 1;
	}
	if (r && r != MINIHV_DEC_E_LONG)
		return -EOPNOTSUPP;
out:
	if (r == MINIHV_DEC_E_LONG) {
		minihv_queue_gp(vcpu, 0);
		return 1;
	}
	return r;
}

/* The linear address of INVLPG's operand (limits are not checked). */
static u64 shadow_ea(struct minihv_vcpu *vcpu, const struct minihv_insn *in)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;
	u64 off = minihv_insn_ea(in, &in->mem, vcpu->regs,
				 minihv_insn_next_rip(in, vcpu->rip));
	const struct vmcb_seg *seg;

	switch (in->mem.seg) {
	case MINIHV_SEG_ES:
		seg = &s->es;
		break;
	case MINIHV_SEG_CS:
		seg = &s->cs;
		break;
	case MINIHV_SEG_SS:
		seg = &s->ss;
		break;
	case MINIHV_SEG_FS:
		seg = &s->fs;
		break;
	case MINIHV_SEG_GS:
		seg = &s->gs;
		break;
	default:
		seg = &s->ds;
	}
	if (in->mode != MINIHV_MODE_64)
		return (u32)(seg->base + off);
	if (in->mem.seg == MINIHV_SEG_FS || in->mem.seg == MINIHV_SEG_GS)
		return seg->base + off;
	return off;
}

static int shadow_unsupported(struct minihv_vcpu *vcpu, int r)
{
	u64 data[2] = { vcpu->rip, r };

	return minihv_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION, 2,
				    data);
}

int svm_shadow_exit_pf(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	struct minihv_paging p;

	shadow_paging(vcpu, &p);
	return minihv_shadow_fault(vcpu, &svm->sp.mmu, &p, c->exit_info_2,
				   c->exit_info_1);
}

/* INVLPG m: that page. */
int svm_shadow_exit_invlpg(struct minihv_vcpu *vcpu)
{
	struct svm_shadow *sp = &to_svm(vcpu)->sp;
	struct minihv_insn in;
	int r;

	r = svm_decode_insn(vcpu, &in);
	if (r > 0)
		return 1;
	if (r || in.op != MINIHV_OP_INVLPG)
		return shadow_unsupported(vcpu, r ? r : in.op);
	minihv_shadow_invlpg(&sp->mmu, shadow_ea(vcpu, &in));
	vcpu->rip = minihv_insn_next_rip(&in, vcpu->rip);
	return 1;
}
