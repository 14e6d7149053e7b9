// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the SVM world switch, svm_vcpu_run() (->vcpu_run()): ASIDs,
 * V_IRQ before the VMRUN and the events after it (svm_load_virq(),
 * svm_sync_events()), the guest's debug registers and TSC_AUX,
 * __svm_vcpu_run() (vmenter.S), and reading the exit back for
 * svm_handle_exit() (exit.c).
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/hw_breakpoint.h>
#include <linux/io.h>
#include <linux/sched.h>
#include <asm/asm.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/svm.h>
#include <asm/thread_info.h>
#include <asm/trapnr.h>

#include "svm.h"
#include "kmod/stats.h"
#include "kmod/trace.h"

/*
 * The SVM instructions #UD once SVM is off (EFER.SVME clear: reboot or a
 * crash turned it off under this CPU): each goes on after a fault, as in
 * vmenter.S, and svm_vcpu_run() finds out that the VMRUN did not happen.
 */
static inline void svm_clgi(void)
{
	asm volatile("1: clgi\n2:\n" _ASM_EXTABLE(1b, 2b) ::: "memory");
}

static inline void svm_stgi(void)
{
	asm volatile("1: stgi\n2:\n" _ASM_EXTABLE(1b, 2b) ::: "memory");
}

static inline void svm_vmsave(u64 pa)
{
	asm volatile("1: vmsave %%rax\n2:\n" _ASM_EXTABLE(1b, 2b)
		     : : "a" (pa) : "memory");
}

/* In the VMCB's exit code until a VMRUN writes its own there. */
#define SVM_EXIT_NOT_RUN	0xfffffffeU

/*
 * Without next RIP (nRIP save): the lengths of the instructions whose
 * exits kmod/exit.c's handlers complete with minihv_skip_instruction(),
 * without prefixes.  A prefix (ignored by the CPU on these) would make
 * one longer: KVM decodes then, minihv assumes none, as it always has; a
 * guest that prefixes them on purpose only misleads itself.
 */
static const u8 svm_insn_len[] = {
	[SVM_EXIT_CPUID]	= 2,
	[SVM_EXIT_HLT]		= 1,
	[SVM_EXIT_MSR]		= 2,
	[SVM_EXIT_VMMCALL]	= 3,
	[SVM_EXIT_RDPMC]	= 2,
	[SVM_EXIT_WBINVD]	= 2,
};

/*
 * Before VMRUN: the interrupt for V_IRQ.  V_IRQ has one use at a time: if
 * a window is armed as well (userspace's PIC asked for one, or an NMI waits
 * for it), the interrupt goes through EVENTINJ, as long as no exception
 * holds that; otherwise it waits for the window exit.
 */
static void svm_load_virq(struct svm_vcpu *svm)
{
	struct vmcb_control_area *c = &svm->vmcb->control;

	if (svm->virq < 0)
		return;
	if (svm_window_armed(c)) {
		if (!(svm->event_inj & SVM_EVTINJ_VALID)) {
			svm->event_inj = SVM_EVTINJ_VALID |
					 SVM_EVTINJ_TYPE_INTR | svm->virq;
			svm->event_inj_err = 0;
			svm->virq = -1;
		}
		return;
	}
	c->int_ctl = (c->int_ctl & ~V_IRQ_INJECTION_BITS_MASK) | V_IRQ_MASK |
		     V_IGN_TPR_MASK | (0xf << V_INTR_PRIO_SHIFT);
	c->int_vector = svm->virq;
}

/*
 * After #VMEXIT: what became of the events.  V_IRQ clear: the guest took
 * the interrupt.  EXITINTINFO: an exit during an event's delivery left it
 * undelivered; it goes in again (an interrupt through V_IRQ).  QEMU's TCG
 * reports an interrupted V_IRQ delivery as an exception (type 3) with the
 * interrupt's vector, which hardware never does (vectors >= 32 are not
 * exceptions): that is an interrupt too.  Software interrupts (INT n)
 * re-execute by themselves.
 */
static void svm_sync_events(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	u32 intinfo = c->exit_int_info;
	u32 type = intinfo & SVM_EXITINTINFO_TYPE_MASK;
	u8 vec = intinfo & SVM_EXITINTINFO_VEC_MASK;

	c->event_inj = 0;
	if (svm->nmi_iret) {
		if (vcpu->rip != svm->nmi_iret_rip) {
			/* The IRET retired: its RFLAGS.TF is the guest's. */
			svm->nmi_iret = false;
			svm->nmi_masked = false;
			svm->nmi_step = false;
			svm_set_intercept(c, INTERCEPT_EXCEPTION_OFFSET +
				      X86_TRAP_DB, false);
		} else if (svm->nmi_step) {
			/* Not yet: the TF is minihv's (set again at entry). */
			vcpu->rflags &= ~X86_EFLAGS_TF;
		}
	}
	if (svm->virq >= 0 && !svm_window_armed(c)) {
		if (!(c->int_ctl & V_IRQ_MASK))
			svm->virq = -1;
		c->int_ctl &= ~V_IRQ_INJECTION_BITS_MASK;
	}
	if (!(intinfo & SVM_EXITINTINFO_VALID))
		return;
	if (type == SVM_EXITINTINFO_TYPE_INTR ||
	    (type == SVM_EXITINTINFO_TYPE_EXEPT && vec >= 32)) {
		svm->virq = vec;
	} else if (type == SVM_EXITINTINFO_TYPE_EXEPT ||
		   type == SVM_EXITINTINFO_TYPE_NMI) {
		svm->event_inj = intinfo;
		svm->event_inj_err = c->exit_int_info_err;
	}
}

/*
 * ASIDs tag the guest's TLB entries.  Each CPU hands them out in order;
 * when it runs out it starts a new generation and flushes every ASID, so
 * a vCPU whose generation is old (or that moved to another CPU, or whose
 * VM's nested page tables changed) takes a fresh one.  Preemption off.
 */
static void svm_load_asid(struct minihv_vcpu *vcpu, int cpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	s64 tlb_gen = atomic64_read(&to_svm_vm(vcpu->vm)->npt.gen);

	c->tlb_ctl = TLB_CONTROL_DO_NOTHING;
	if (svm->cpu == cpu && svm->asid_generation == sd->asid_generation &&
	    svm->tlb_gen == tlb_gen)
		return;
	if (sd->next_asid > svm_max_asid) {
		sd->asid_generation++;
		sd->next_asid = 1;
		c->tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	}
	svm->asid = sd->next_asid++;
	svm->asid_generation = sd->asid_generation;
	svm->cpu = cpu;
	svm->tlb_gen = tlb_gen;
	c->asid = svm->asid;
}

/* The 10 segments from ES to TR follow each other in the save area. */
static_assert(offsetof(struct vmcb_save_area, tr) -
	      offsetof(struct vmcb_save_area, es) ==
	      9 * sizeof(struct vmcb_seg));

static struct vmcb_seg *save_segs(struct vmcb_save_area *s)
{
	return (struct vmcb_seg *)((char *)s +
				   offsetof(struct vmcb_save_area, es));
}

static void svm_save_entry(struct svm_vcpu *svm)
{
	struct vmcb_save_area *s = &svm->vmcb->save;
	struct svm_entry_save *e = &svm->entry;

	memcpy(e->seg, save_segs(s), sizeof(e->seg));
	e->efer = s->efer;
	e->cr0 = s->cr0;
	e->cr2 = s->cr2;
	e->cr3 = s->cr3;
	e->cr4 = s->cr4;
	e->dr6 = s->dr6;
	e->dr7 = s->dr7;
	e->cpl = s->cpl;
	e->event_inj = svm->event_inj;
	e->event_inj_err = svm->event_inj_err;
}

/*
 * VMRUN refused the state (VMEXIT_INVALID): nothing ran.  The save area
 * gets back what was entered with, RAX/RSP/RIP/RFLAGS stay the vCPU's,
 * and the event that was to be injected is still to be.
 */
static void svm_entry_failed(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *s = &svm->vmcb->save;
	struct svm_entry_save *e = &svm->entry;

	memcpy(save_segs(s), e->seg, sizeof(e->seg));
	s->efer = e->efer;
	s->cr0 = e->cr0;
	s->cr2 = e->cr2;
	s->cr3 = e->cr3;
	s->cr4 = e->cr4;
	s->dr6 = e->dr6;
	s->dr7 = e->dr7;
	s->cpl = e->cpl;
	s->rax = vcpu->regs[VCPU_RAX];
	s->rsp = vcpu->regs[VCPU_RSP];
	s->rip = vcpu->rip;
	s->rflags = vcpu->rflags;
	svm->event_inj = e->event_inj;
	svm->event_inj_err = e->event_inj_err;
	svm->vmcb->control.event_inj = 0;
}

/* A machine check in the guest: the host's handler takes it (as KVM). */
static void svm_handle_mce(void)
{
#ifdef CONFIG_X86_MCE
	/* As a user-mode #MC: the guest, not the kernel, was interrupted. */
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
#endif
}

/*
 * VMRUN faulted and the guest did not run: SVM was turned off under this
 * CPU (a reboot or crash in progress: no more entries), or, with SVM still
 * on, a minihv bug.  Either way this KVM_RUN ends in -EIO.
 */
static int svm_vmrun_faulted(struct minihv_vcpu *vcpu)
{
	u64 efer;

	svm_entry_failed(vcpu);
	rdmsrl(MSR_EFER, efer);
	WARN_ONCE(efer & EFER_SVME, "minihv: VMRUN faulted with SVM on\n");
	return -EIO;
}

/*
 * IBPB when this CPU runs another vCPU than last time (of this VM or
 * another), where the host uses IBPB and does not already do one on every
 * VM exit, as KVM.  A vCPU is known here by its ASID and the generation
 * it was handed out in (never reused on this CPU, unlike a VMCB's
 * address).  Preemption off, after svm_load_asid().
 */
static DEFINE_PER_CPU(u64, svm_ibpb_gen);
static DEFINE_PER_CPU(u32, svm_ibpb_asid);

static void svm_ibpb_switch(struct svm_vcpu *svm)
{
	if (__this_cpu_read(svm_ibpb_asid) == svm->asid &&
	    __this_cpu_read(svm_ibpb_gen) == svm->asid_generation)
		return;
	__this_cpu_write(svm_ibpb_asid, svm->asid);
	__this_cpu_write(svm_ibpb_gen, svm->asid_generation);
	if (!cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT))
		indirect_branch_prediction_barrier();
}

/*
 * The world switch: enter the guest, come back, read the exit back
 * (MINIHV_RUN_EXITED: svm_handle_exit() is next).  Called with
 * vcpu->mutex and slots_lock (read) held, preemption enabled, the
 * guest's FPU state current.
 */
int svm_vcpu_run(struct minihv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_control_area *c = &vmcb->control;
	u64 host_save_pa, code;

	if (!svm_npt) {
		int r = svm_shadow_prepare(vcpu);

		if (r != 1)
			return r;
	}
	vmcb->save.rax = vcpu->regs[VCPU_RAX];
	vmcb->save.rsp = vcpu->regs[VCPU_RSP];
	vmcb->save.rip = vcpu->rip;
	vmcb->save.rflags = vcpu->rflags |
			    (svm->nmi_step ? X86_EFLAGS_TF : 0);
	svm_load_virq(svm);
	/*
	 * With V_INTR_MASKING the guest's CR8 is V_TPR, never the CPU's TPR:
	 * it reads it there; its writes exit (kmod/emulate.c).  And the host's
	 * interrupts exit whatever the guest's RFLAGS.IF: without it a guest
	 * spinning with IF=0 holds this CPU, no tick, no IPI (RCU stalls).
	 * Set on every entry: no CPU clears it, but QEMU's TCG writes its
	 * own int_ctl, 0, into the VMCB when VMRUN fails an early check.
	 */
	c->int_ctl = (c->int_ctl & ~V_TPR_MASK) | V_INTR_MASKING_MASK |
		     minihv_get_cr8(vcpu);
	c->event_inj = svm->event_inj;
	c->event_inj_err = svm->event_inj_err;
	/* An emulated instruction ends the STI/MOV SS shadow. */
	if (vcpu->rip != svm->exit_rip)
		c->int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	svm_save_entry(svm);

	preempt_disable();
	local_irq_disable();
	/* SVM went off on this CPU (reboot) since the VM was made. */
	if (unlikely(!__this_cpu_read(svm_cpu.on))) {
		local_irq_enable();
		preempt_enable();
		return -EIO;
	}
	svm_load_asid(vcpu, smp_processor_id());
	svm_ibpb_switch(svm);
	/*
	 * TSC_AUX (RDTSCP, RDPID): SVM does not switch it; the guest's stays
	 * loaded until this CPU returns to userspace (kmod/uret.c).
	 */
	if (svm_tsc_aux)
		minihv_uret_set(MINIHV_URET_TSC_AUX, svm->tsc_aux);
	/* A context switch may have left the guest's FPU state unloaded. */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	/* An event came since minihv_inject_events(): go round again. */
	if (!minihv_guest_enter(vcpu)) {
		local_irq_enable();
		preempt_enable();
		return 1;
	}
	svm->event_inj = 0;	/* now in the VMCB for this entry */
	c->exit_code = SVM_EXIT_NOT_RUN;
	/* The guest's breakpoint addresses, only while its DR7 uses them. */
	if (unlikely(vmcb->save.dr7 & DR7_BP_ENABLES)) {
		set_debugreg(svm->db[0], 0);
		set_debugreg(svm->db[1], 1);
		set_debugreg(svm->db[2], 2);
		set_debugreg(svm->db[3], 3);
		svm->db_loaded = true;
	}
	minihv_stats_entry(vcpu);
	svm_clgi();
	/* What VMRUN leaves alone: FS/GS/TR/LDTR, syscall MSRs... */
	host_save_pa = page_to_phys(this_cpu_read(svm_cpu.host_save));
	svm_vmsave(host_save_pa);
	__svm_vcpu_run(svm->vmcb_pa, vcpu->regs, host_save_pa,
		       vcpu->spec_ctrl);
	minihv_guest_exit(vcpu);
	svm_stgi();
	/* #MC: the host's, handled by the host as if it had taken it. */
	if (unlikely(c->exit_code == SVM_EXIT_EXCP_BASE + X86_TRAP_MC))
		svm_handle_mce();
	/*
	 * #VMEXIT disabled the host's breakpoints (DR7 = 0x400); no guest
	 * breakpoint address stays in DR0-3 either.
	 */
	if (hw_breakpoint_active()) {
		hw_breakpoint_restore();
	} else if (unlikely(svm->db_loaded)) {
		set_debugreg(0, 0);
		set_debugreg(0, 1);
		set_debugreg(0, 2);
		set_debugreg(0, 3);
	}
	svm->db_loaded = false;
	minihv_guest_irq_window();
	preempt_enable();

	if (unlikely(c->exit_code == SVM_EXIT_NOT_RUN))
		return svm_vmrun_faulted(vcpu);
	code = c->exit_code | (u64)c->exit_code_hi << 32;
	if (code == (u64)SVM_EXIT_ERR)
		code = (u32)SVM_EXIT_ERR;
	svm->exit_code = code;
	if (unlikely(code == (u32)SVM_EXIT_ERR)) {
		/* Not the guest's state: never read it back. */
		svm_entry_failed(vcpu);
		vcpu->exit_len = 0;
		return MINIHV_RUN_EXITED;
	}
	vcpu->regs[VCPU_RAX] = vmcb->save.rax;
	vcpu->regs[VCPU_RSP] = vmcb->save.rsp;
	vcpu->rip = vmcb->save.rip;
	vcpu->rflags = vmcb->save.rflags;
	svm->exit_rip = vcpu->rip;
	/* NRIPS: next_rip is 0 when no instruction caused the exit. */
	if (c->next_rip && c->next_rip - vcpu->rip <= 15)
		vcpu->exit_len = c->next_rip - vcpu->rip;
	else if (code < ARRAY_SIZE(svm_insn_len))
		vcpu->exit_len = svm_insn_len[code];
	else
		vcpu->exit_len = 0;
	svm_sync_events(vcpu);
	return MINIHV_RUN_EXITED;
}
