// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: SVM without nested paging (npt=0, or no NPT): shadow paging.
 *
 * The guest runs on the host-built tables of kmod/mmu.c.  The VMCB's CR0,
 * CR3, CR4 and EFER are what the CPU runs with: always paging and CR0.WP
 * (real mode and paging-off protected mode run with PG=1 and PE=0 or an
 * identity shadow, which SVM allows), always CR4.PAE, EFER.LME/LMA only in
 * long mode, CR3 the shadow root.  The guest's own values live in struct
 * svm_shadow; every read and write of CR0, CR3 and CR4 is intercepted and
 * emulated here, as are #PF and INVLPG.
 *
 * Without decode assists (the lab's QEMU has none) the exits say neither
 * which register a MOV CR uses nor the INVLPG address, so the instruction
 * is fetched and decoded: MOV to/from CR0/3/4, CLTS, LMSW and SMSW with a
 * register operand, INVLPG with its memory operand's address (32/64-bit
 * addressing; otherwise it drops the whole shadow tree, which is always
 * allowed).
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <asm/unaligned.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/svm.h>
#include <asm/trapnr.h>

#include "decode.h"
#include "svm.h"

#define SEG_L		BIT(9)
#define SEG_DB		BIT(10)

/* CR0, CR4 and EFER bits that change what a walk gives. */
#define CR0_PAGING	(X86_CR0_PG | X86_CR0_WP | X86_CR0_PE)
#define CR4_PAGING	(X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE | \
			 X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PCIDE)

static struct svm_vcpu *to_svm(struct minihv_vcpu *vcpu)
{
	return vcpu->arch;
}

static void shadow_paging(struct minihv_vcpu *vcpu, struct minihv_paging *p)
{
	struct svm_shadow *sp = &to_svm(vcpu)->sp;

	p->cr0 = sp->cr0;
	p->cr3 = sp->cr3;
	p->cr4 = sp->cr4;
	p->efer = sp->efer;
	p->rflags = vcpu->rflags;
}

/* What the CPU runs with, from the guest's view. */
static void shadow_update_hw(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *s = &svm->vmcb->save;
	struct svm_shadow *sp = &svm->sp;

	s->cr0 = sp->cr0 | X86_CR0_PG | X86_CR0_WP;
	s->cr4 = sp->cr4 | X86_CR4_PAE;
	if (!(sp->cr0 & X86_CR0_PG))
		s->cr4 &= ~(X86_CR4_SMEP | X86_CR4_SMAP);
	s->efer = (sp->efer & ~(EFER_LME | EFER_LMA)) | EFER_SVME;
	if (sp->efer & EFER_LMA)
		s->efer |= EFER_LME | EFER_LMA;
}

static void set_intercept(struct vmcb_control_area *c, int bit)
{
	c->intercepts[bit / 32] |= BIT(bit % 32);
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
		set_intercept(c, intercepts[i]);
	c->nested_ctl = 0;
	c->nested_cr3 = 0;
	sp->cr0 = s->cr0;
	sp->cr3 = s->cr3;
	sp->cr4 = s->cr4;
	sp->efer = s->efer & ~EFER_SVME;
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
 * ASID if entries were dropped.
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
	r = minihv_shadow_root(&sp->mmu, (sp->efer & EFER_LMA) ? 4 : 3);
	if (r)
		return r;
	svm->vmcb->save.cr3 = sp->mmu.root_pa;
	if (sp->mmu.flush) {
		svm->cpu = -1;		/* svm_load_asid(): a fresh ASID */
		sp->mmu.flush = false;
	}
	return 0;
}

void svm_shadow_get_sregs(struct minihv_vcpu *vcpu, struct kvm_sregs *sregs)
{
	struct svm_shadow *sp = &to_svm(vcpu)->sp;

	sregs->cr0 = sp->cr0;
	sregs->cr3 = sp->cr3;
	sregs->cr4 = sp->cr4;
	sregs->efer = sp->efer;
}

/* After svm_set_sregs() stored the (valid) state. */
void svm_shadow_set_sregs(struct minihv_vcpu *vcpu,
			  const struct kvm_sregs *sregs)
{
	struct svm_shadow *sp = &to_svm(vcpu)->sp;

	sp->cr0 = sregs->cr0;
	sp->cr3 = sregs->cr3;
	sp->cr4 = sregs->cr4;
	sp->efer = sregs->efer;
	minihv_shadow_zap(&sp->mmu);
	shadow_update_hw(vcpu);
}

/* WRMSR EFER (or KVM_SET_MSRS): the rules of svm_set_msr(). */
int svm_shadow_set_efer(struct minihv_vcpu *vcpu, u64 data, bool host)
{
	struct svm_shadow *sp = &to_svm(vcpu)->sp;

	if (data & ~(u64)MINIHV_EFER_ALLOWED)
		return -EINVAL;
	if (!host) {
		data = (data & ~EFER_LMA) | (sp->efer & EFER_LMA);
		if ((sp->cr0 & X86_CR0_PG) && ((data ^ sp->efer) & EFER_LME))
			return -EINVAL;
	}
	if ((data ^ sp->efer) & (EFER_NX | EFER_LMA))
		minihv_shadow_zap(&sp->mmu);
	sp->efer = data;
	shadow_update_hw(vcpu);
	return 0;
}

/**
 * svm_inject_page_fault() - reflect a #PF into the guest
 * @vcpu:	the vCPU
 * @cr2:	the faulting linear address
 * @error:	the error code
 *
 * A fault while another #PF or a contributory exception was being
 * delivered is a #DF, one while a #DF was being delivered a triple fault
 * (with either paging: the run loop ends it, minihv_exit_triple_fault()).
 * An external interrupt whose delivery faulted stays pending in V_IRQ:
 * the guest takes it after its #PF handler.
 */
void svm_inject_page_fault(struct minihv_vcpu *vcpu, u64 cr2, u32 error)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u32 prev = svm->event_inj;

	if ((prev & SVM_EVTINJ_VALID) &&
	    (prev & SVM_EVTINJ_TYPE_MASK) == SVM_EVTINJ_TYPE_EXEPT) {
		u8 vec = prev & SVM_EVTINJ_VEC_MASK;

		if (vec == X86_TRAP_DF) {
			svm->event_inj = 0;
			minihv_request_triple_fault(vcpu);
			return;
		}
		if (vec == X86_TRAP_PF || vec == X86_TRAP_DE ||
		    (vec >= X86_TRAP_TS && vec <= X86_TRAP_GP)) {
			svm_queue_exception(vcpu, X86_TRAP_DF, true, 0);
			return;
		}
	}
	svm->vmcb->save.cr2 = cr2;
	svm_queue_exception(vcpu, X86_TRAP_PF, true, error);
}

/* ---------------------------------------------------------------------
 * Decoding the intercepted instruction
 */

struct shadow_insn {
	u8 op;			/* second opcode byte (after 0F) */
	u8 modrm;
	u8 reg;			/* ModRM.reg | REX.R << 3 */
	u8 rm;			/* ModRM.rm | REX.B << 3 */
	u8 len;
	bool mode64;
	bool has_ea;		/* @ea is the memory operand's linear address */
	u64 ea;
};

static bool mode64(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return (svm->sp.efer & EFER_LMA) && (svm->vmcb->save.cs.attrib & SEG_L);
}

/* Bytes of a memory operand after the opcode: ModRM, SIB, displacement. */
static unsigned int modrm_len(const u8 *b, unsigned int asz)
{
	unsigned int mod = b[0] >> 6, rm = b[0] & 7, len = 1;

	if (asz == 2) {
		if (mod == 0 && rm == 6)
			return 3;
		return 1 + (mod == 1 ? 1 : mod == 2 ? 2 : 0);
	}
	if (mod != 3 && rm == 4) {
		len++;
		if (mod == 0 && (b[1] & 7) == 5)
			len += 4;
	}
	if (mod == 0 && rm == 5)
		len += 4;
	else if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

/*
 * The linear address of the memory operand whose ModRM is at @b (32- or
 * 64-bit addressing; 16-bit is not done), with segment override @seg
 * (a prefix byte, or 0).  False if it cannot say.
 */
static bool modrm_ea(struct minihv_vcpu *vcpu, const u8 *b, unsigned int asz,
		     u8 rex, u8 seg, u64 next_rip, bool mode64, u64 *la)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;
	unsigned int mod = b[0] >> 6, rm = b[0] & 7, off = 1;
	int base = -1, index = -1, scale = 0;
	bool rip_rel = false, stack = false;
	u64 ea = 0, sbase;

	if (asz == 2 || mod == 3)
		return false;
	if (rm == 4) {
		u8 sib = b[1];

		off++;
		scale = sib >> 6;
		index = ((sib >> 3) & 7) | ((rex & 2) << 2);
		if (index == 4)
			index = -1;
		base = (sib & 7) | ((rex & 1) << 3);
		if ((sib & 7) == 5 && mod == 0)
			base = -1;
	} else if (rm == 5 && mod == 0) {
		rip_rel = mode64;
	} else {
		base = rm | ((rex & 1) << 3);
	}
	if (mod == 1)
		ea = (s64)(s8)b[off];
	else if (mod == 2 || (mod == 0 && (base < 0 || rip_rel || rm == 5)))
		ea = (s64)(s32)get_unaligned((u32 *)&b[off]);
	if (base >= 0) {
		ea += vcpu->regs[base];
		stack = base == VCPU_RSP || base == VCPU_RBP;
	}
	if (index >= 0)
		ea += vcpu->regs[index] << scale;
	if (rip_rel)
		ea += next_rip;
	if (asz == 4)
		ea = (u32)ea;

	switch (seg) {
	case 0x26:
		sbase = s->es.base;
		break;
	case 0x2e:
		sbase = s->cs.base;
		break;
	case 0x36:
		sbase = s->ss.base;
		break;
	case 0x64:
		sbase = s->fs.base;
		break;
	case 0x65:
		sbase = s->gs.base;
		break;
	case 0x3e:
		sbase = s->ds.base;
		break;
	default:
		sbase = stack ? s->ss.base : s->ds.base;
	}
	if (mode64 && seg != 0x64 && seg != 0x65)
		sbase = 0;
	*la = mode64 ? sbase + ea : (u32)(sbase + ea);
	return true;
}

/*
 * Fetch and decode the 0F-prefixed instruction at RIP.  Returns 0, 1 if
 * a #PF was injected (the fetch faulted), or -EOPNOTSUPP.
 */
static int shadow_decode(struct minihv_vcpu *vcpu, struct shadow_insn *in)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;
	struct minihv_paging p;
	struct minihv_walk w;
	unsigned int i = 0, n, asz;
	u8 b[MINIHV_INSN_MAX + 4] = { };
	u8 rex = 0, seg = 0;
	bool asz_override = false;
	u64 la;
	int r;

	shadow_paging(vcpu, &p);
	in->mode64 = mode64(vcpu);
	la = s->cs.base + vcpu->rip;
	if (!in->mode64)
		la = (u32)la;
	n = min_t(unsigned int, MINIHV_INSN_MAX,
		  PAGE_SIZE - offset_in_page(la));
	r = minihv_read_gva(vcpu, &p, la, b, n,
			    PFERR_I | (s->cpl == 3 ? PFERR_U : 0), &w);
	if (r == -EFAULT) {
		svm_inject_page_fault(vcpu, w.gva, w.error);
		return 1;
	}
	if (r)
		return -EOPNOTSUPP;
	/* The rest, if it is there: a short instruction does not need it. */
	if (n < MINIHV_INSN_MAX)
		minihv_read_gva(vcpu, &p, in->mode64 ? la + n : (u32)(la + n),
				b + n, MINIHV_INSN_MAX - n,
				PFERR_I | (s->cpl == 3 ? PFERR_U : 0), &w);

	for (; i < MINIHV_INSN_MAX; i++) {
		if (b[i] == 0x67)
			asz_override = true;
		else if (b[i] == 0x26 || b[i] == 0x2e || b[i] == 0x36 ||
			 b[i] == 0x3e || b[i] == 0x64 || b[i] == 0x65)
			seg = b[i];
		else if (b[i] != 0x26 && b[i] != 0x2e && b[i] != 0x36 &&
			 b[i] != 0x3e && b[i] != 0x64 && b[i] != 0x65 &&
			 b[i] != 0x66 && b[i] != 0xf0 && b[i] != 0xf2 &&
			 b[i] != 0xf3)
			break;
	}
	if (in->mode64 && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i > MINIHV_INSN_MAX - 3 || b[i] != 0x0f)
		return -EOPNOTSUPP;
	in->op = b[i + 1];
	in->has_ea = false;
	in->modrm = b[i + 2];
	in->reg = ((in->modrm >> 3) & 7) | ((rex & 4) << 1);
	in->rm = (in->modrm & 7) | ((rex & 1) << 3);
	if (in->mode64)
		asz = asz_override ? 4 : 8;
	else if (s->cs.attrib & SEG_DB)
		asz = asz_override ? 2 : 4;
	else
		asz = asz_override ? 4 : 2;
	switch (in->op) {
	case 0x06:			/* CLTS */
		in->len = i + 2;
		break;
	case 0x20:			/* MOV r, CRn */
	case 0x22:			/* MOV CRn, r */
		in->len = i + 3;
		break;
	case 0x01:			/* group 7: INVLPG, LMSW, SMSW */
		in->len = i + 2 + modrm_len(&b[i + 2], asz);
		in->has_ea = modrm_ea(vcpu, &b[i + 2], asz, rex, seg,
				      vcpu->rip + in->len, in->mode64,
				      &in->ea);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

static u64 gpr_read(struct minihv_vcpu *vcpu, const struct shadow_insn *in)
{
	u64 v = vcpu->regs[in->rm];

	return in->mode64 ? v : (u32)v;
}

static void gpr_write(struct minihv_vcpu *vcpu, const struct shadow_insn *in,
		      u64 v)
{
	vcpu->regs[in->rm] = in->mode64 ? v : (u32)v;
}

static int shadow_unsupported(struct minihv_vcpu *vcpu, int r)
{
	u64 data[2] = { vcpu->rip, r };

	return minihv_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION, 2,
				    data);
}

/* ---------------------------------------------------------------------
 * The guest's CR writes.  Each returns 0, or -EINVAL for #GP.
 */

static int shadow_set_cr0(struct minihv_vcpu *vcpu, u64 val)
{
	struct svm_shadow *sp = &to_svm(vcpu)->sp;
	u64 old = sp->cr0;

	val |= X86_CR0_ET;
	if (!minihv_cr0_valid(val))
		return -EINVAL;
	if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) &&
	    (sp->efer & EFER_LME)) {
		if (!(sp->cr4 & X86_CR4_PAE))
			return -EINVAL;
		sp->efer |= EFER_LMA;
	}
	if (!(val & X86_CR0_PG) && (old & X86_CR0_PG))
		sp->efer &= ~EFER_LMA;
	if ((val ^ old) & CR0_PAGING)
		minihv_shadow_zap(&sp->mmu);
	sp->cr0 = val;
	shadow_update_hw(vcpu);
	return 0;
}

static int shadow_set_cr4(struct minihv_vcpu *vcpu, u64 val)
{
	struct svm_shadow *sp = &to_svm(vcpu)->sp;

	if (!minihv_cr4_valid(val) || (val & X86_CR4_LA57))
		return -EINVAL;
	if ((sp->efer & EFER_LMA) && !(val & X86_CR4_PAE))
		return -EINVAL;
	if ((val & X86_CR4_PCIDE) && !(sp->efer & EFER_LMA))
		return -EINVAL;
	if ((val ^ sp->cr4) & CR4_PAGING)
		minihv_shadow_zap(&sp->mmu);
	sp->cr4 = val;
	shadow_update_hw(vcpu);
	return 0;
}

/*
 * MOV CR3 drops the whole tree, whatever PCID's no-flush bit says: a TLB
 * may always forget more than it is told to.
 */
static int shadow_set_cr3(struct minihv_vcpu *vcpu, u64 val)
{
	struct svm_shadow *sp = &to_svm(vcpu)->sp;

	if (sp->efer & EFER_LMA) {
		if (sp->cr4 & X86_CR4_PCIDE)
			val &= ~BIT_ULL(63);
		if (val >> boot_cpu_data.x86_phys_bits)
			return -EINVAL;
	}
	sp->cr3 = val;
	minihv_shadow_zap(&sp->mmu);
	return 0;
}

/* CR0/CR3/CR4 read and write exits, CLTS, LMSW, SMSW. */
int svm_shadow_exit_cr(struct minihv_vcpu *vcpu)
{
	struct svm_shadow *sp = &to_svm(vcpu)->sp;
	struct shadow_insn in;
	u64 val;
	int r;

	r = shadow_decode(vcpu, &in);
	if (r > 0)
		return 1;
	if (r)
		return shadow_unsupported(vcpu, r);

	switch (in.op) {
	case 0x06:
		r = shadow_set_cr0(vcpu, sp->cr0 & ~X86_CR0_TS);
		break;
	case 0x20:
		if (in.reg == 0)
			val = sp->cr0;
		else if (in.reg == 3)
			val = sp->cr3;
		else if (in.reg == 4)
			val = sp->cr4;
		else
			return shadow_unsupported(vcpu, in.reg);
		gpr_write(vcpu, &in, val);
		break;
	case 0x22:
		val = gpr_read(vcpu, &in);
		if (in.reg == 0)
			r = shadow_set_cr0(vcpu, val);
		else if (in.reg == 3)
			r = shadow_set_cr3(vcpu, val);
		else if (in.reg == 4)
			r = shadow_set_cr4(vcpu, val);
		else
			return shadow_unsupported(vcpu, in.reg);
		break;
	case 0x01:
		if ((in.modrm >> 6) != 3)
			return shadow_unsupported(vcpu, in.modrm);
		if (((in.modrm >> 3) & 7) == 4) {		/* SMSW */
			gpr_write(vcpu, &in, (u32)sp->cr0);
		} else if (((in.modrm >> 3) & 7) == 6) {	/* LMSW */
			val = gpr_read(vcpu, &in) & 0xf;
			/* LMSW sets PE but never clears it. */
			val |= sp->cr0 & X86_CR0_PE;
			r = shadow_set_cr0(vcpu, (sp->cr0 & ~0xfULL) | val);
		} else {
			return shadow_unsupported(vcpu, in.modrm);
		}
		break;
	}
	if (r) {
		minihv_queue_gp(vcpu, 0);
		return 1;
	}
	vcpu->rip += in.len;
	return 1;
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

/* INVLPG m: that page, or the whole tree if the address is not known. */
int svm_shadow_exit_invlpg(struct minihv_vcpu *vcpu)
{
	struct svm_shadow *sp = &to_svm(vcpu)->sp;
	struct shadow_insn in;
	int r;

	r = shadow_decode(vcpu, &in);
	if (r > 0)
		return 1;
	if (r || in.op != 0x01 || ((in.modrm >> 3) & 7) != 7 ||
	    (in.modrm >> 6) == 3)
		return shadow_unsupported(vcpu, r);
	if (in.has_ea)
		minihv_shadow_invlpg(&sp->mmu, in.ea);
	else
		minihv_shadow_zap(&sp->mmu);
	vcpu->rip += in.len;
	return 1;
}
