// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the VMX world switch, vmx_vcpu_run() (->vcpu_run()): making
 * the VMCS current on this CPU (vmx_load(), vmx_get()/vmx_put() for the
 * rest of the backend), the TLB flushes before an entry, the host state
 * VM exits lose, the guest's MSRs and debug registers around
 * the entry, __vmx_vcpu_run() (vmenter.S), and vmx_read_exit(), which
 * reads the exit into vmx->exit for vmx_handle_exit() (exit.c).
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/hw_breakpoint.h>
#include <linux/sched.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/special_insns.h>
#include <asm/thread_info.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>

#include "vmx.h"
#include "kmod/stats.h"
#include "kmod/trace.h"

/* ---------------------------------------------------------------------
 * TLB flushes
 */

static void vmx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, gpa; } desc = { eptp, 0 };

	asm volatile("1: invept %[desc], %[type]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

static void vmx_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gva; } desc = { vpid, 0 };

	asm volatile("1: invvpid %[desc], %[type]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

/* Everything this vCPU may have cached on this CPU.  Preemption off. */
static void vmx_flush(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 eptp = to_vmx_vm(vcpu->vm)->eptp;

	if (!vmx_cfg.ept_ug)
		;	/* shadow paging: no EPT */
	else if (vmx_cfg.invept_single)
		vmx_invept(VMX_EPT_EXTENT_CONTEXT, eptp);
	else
		vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	if (vmx->vpid) {
		if (vmx_cfg.invvpid_single)
			vmx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid);
		else
			vmx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
	}
	vmx->need_flush = false;
}

/* ---------------------------------------------------------------------
 * Loading the VMCS on a CPU
 */

/* IPI, IRQs off: VMCLEAR @info's VMCS if it is still active here. */
void vmx_clear_here(void *info)
{
	struct vmx_vcpu *vmx = info;
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);

	if (READ_ONCE(vmx->cpu) != smp_processor_id())
		return;		/* VMXOFF already cleared it */
	vmcs_clear(vmx->vmcs_pa);
	if (vc->current_vcpu == vmx)
		vc->current_vcpu = NULL;
	list_del_init(&vmx->loaded_node);
	vmx->launched = false;
	/* The VMCLEAR is done before anyone sees cpu == -1 (vmx_load()). */
	smp_wmb();
	WRITE_ONCE(vmx->cpu, -1);
}

/* Host state that depends on the CPU only. */
static void vmx_set_host_cpu_state(int cpu)
{
	struct desc_ptr dt;
	u64 msr;

	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	native_store_gdt(&dt);
	vmcs_write(HOST_GDTR_BASE, dt.address);
	store_idt(&dt);
	vmcs_write(HOST_IDTR_BASE, dt.address);
	vmcs_write(HOST_GS_BASE, cpu_kernelmode_gs_base(cpu));
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write(HOST_IA32_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_ESP, msr);
	vmcs_write(HOST_IA32_SYSENTER_ESP, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_SYSENTER_EIP, msr);
	rdmsrl(MSR_EFER, msr);
	vmcs_write(HOST_IA32_EFER, msr);
	rdmsrl(MSR_IA32_CR_PAT, msr);
	vmcs_write(HOST_IA32_PAT, msr);
}

/*
 * Another vCPU's VMCS became current here: what the last guest trained in
 * the indirect branch predictors must not steer this one (or another VM),
 * where the host uses IBPB (X86_FEATURE_USE_IBPB), as KVM does.
 */
static void vmx_ibpb_switch(void)
{
	indirect_branch_prediction_barrier();
}

/*
 * Make the vCPU's VMCS current on this CPU.  Preemption off, IRQs on (the
 * VMCLEAR on another CPU is an IPI).  Returns false if VMX is off here.
 */
static bool vmx_load(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	int cpu = smp_processor_id();
	int old = READ_ONCE(vmx->cpu);

	if (!vc->on)
		return false;
	if (old == cpu) {
		if (vc->current_vcpu != vmx) {
			if (!vmcs_load(vmx->vmcs_pa))
				return false;
			vc->current_vcpu = vmx;
			vmx_ibpb_switch();
		}
		return true;
	}

	if (old >= 0)
		smp_call_function_single(old, vmx_clear_here, vmx, 1);
	/* Pairs with the smp_wmb() of whoever cleared it. */
	smp_rmb();

	local_irq_disable();
	if (!vc->on) {
		local_irq_enable();
		return false;
	}
	/* Launch state "clear", contents written back: then make it current. */
	vmcs_clear(vmx->vmcs_pa);
	if (!vmcs_load(vmx->vmcs_pa)) {
		local_irq_enable();
		return false;
	}
	vc->current_vcpu = vmx;
	vmx_ibpb_switch();
	list_add(&vmx->loaded_node, &vc->loaded);
	vmx->launched = false;
	WRITE_ONCE(vmx->cpu, cpu);
	local_irq_enable();

	if (!vmx->initialized)
		vmx_init_vmcs(vcpu);
	vmx_set_host_cpu_state(cpu);
	/* This CPU may have stale translations from an earlier stay. */
	vmx->need_flush = true;
	return true;
}

/* Access the VMCS from preemptible code. */
bool vmx_get(struct minihv_vcpu *vcpu)
{
	preempt_disable();
	if (vmx_load(vcpu))
		return true;
	preempt_enable();
	return false;
}

void vmx_put(void)
{
	preempt_enable();
}

/* ---------------------------------------------------------------------
 * Entering the guest
 */

/* Host segment state VM exits lose; saved before entry, restored after. */
struct vmx_host_state {
	u16 ds, es, fs, gs, ldt;
	u64 fs_base, kernel_gs_base;
	struct desc_ptr gdt, idt;
};

static void vmx_save_host(struct vmx_host_state *h)
{
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	asm volatile("sldt %0" : "=g" (h->ldt));
	rdmsrl(MSR_FS_BASE, h->fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	native_store_gdt(&h->gdt);
	store_idt(&h->idt);
}

/* IRQs off, right after the exit. */
static void vmx_restore_host(const struct vmx_host_state *h)
{
	/* The exit set the GDTR/IDTR limits to 0xffff and TR's to 0x67. */
	native_load_gdt(&h->gdt);
	native_load_idt(&h->idt);
	invalidate_tss_limit();
	if (h->ldt)
		asm volatile("lldt %0" : : "rm" (h->ldt));
	/* Selectors: the exit loaded 0 (HOST_*_SELECTOR). */
	if (h->ds)
		loadsegment(ds, h->ds);
	if (h->es)
		loadsegment(es, h->es);
	if (h->fs) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	if (h->gs)
		load_gs_index(h->gs);
	wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
}

/*
 * The MSRs VMX does not switch, the guest's in for the entry.  IRQs off.
 *
 * KERNEL_GS_BASE is the host task's user GS base, which a context switch
 * saves from the MSR: swapped around every entry.  The syscall MSRs, and
 * TSC_AUX for RDTSCP, only matter to the host in user mode: the guest's
 * stay loaded until this CPU returns to userspace (kmod/uret.c), so a
 * round trip handled in the kernel writes none of them.
 */
static void vmx_load_guest_msrs(struct vmx_vcpu *vmx)
{
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	minihv_uret_set(MINIHV_URET_STAR, vmx->star);
	minihv_uret_set(MINIHV_URET_LSTAR, vmx->lstar);
	minihv_uret_set(MINIHV_URET_CSTAR, vmx->cstar);
	minihv_uret_set(MINIHV_URET_SFMASK, vmx->sfmask);
	if (vmx_cfg.rdtscp)
		minihv_uret_set(MINIHV_URET_TSC_AUX, vmx->tsc_aux);
}

/* After the exit, IRQs off: what the guest may have changed unseen. */
static void vmx_put_guest_msrs(struct vmx_vcpu *vmx)
{
	/* SWAPGS is the only way the guest changes one without an exit. */
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
}

/* Before entry, VMCS loaded: registers, events, flushes. */
static void vmx_prepare_entry(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	s64 tlb_gen = atomic64_read(&to_vmx_vm(vcpu->vm)->ept.gen);
	u32 proc;

	vmcs_write(GUEST_RSP, vcpu->regs[VCPU_RSP]);
	vmcs_write(GUEST_RIP, vcpu->rip);
	/* VM and IOPL=3 in v86 mode (realmode.c), else nothing. */
	vmcs_write(GUEST_RFLAGS, vcpu->rflags | vmx->rflags_set);
	/* An emulated instruction ends STI/MOV SS blocking. */
	if (vcpu->rip != vmx->entry_rip &&
	    (vmx->intr_state & (GUEST_INTR_STATE_STI |
				GUEST_INTR_STATE_MOV_SS))) {
		vmx->intr_state &= ~(GUEST_INTR_STATE_STI |
				     GUEST_INTR_STATE_MOV_SS);
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, vmx->intr_state);
	}
	if (vmx->event_inj & INTR_INFO_VALID_MASK) {
		u32 info = vmx->event_inj;

		/* Real mode (unrestricted guest) delivers no error code. */
		vmx_sync_crs(vmx);
		if (!(vmx->cr0 & X86_CR0_PE))
			info &= ~INTR_INFO_DELIVER_CODE_MASK;
		vmcs_write(VM_ENTRY_INTR_INFO_FIELD, info);
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vmx->event_inj_err);
		vmcs_write(VM_ENTRY_INSTRUCTION_LEN, 0);
		/* Cleared once the entry really happened. */
	}
	proc = vmx_cfg.proc |
	       (vmx->irq_window ? CPU_BASED_INTR_WINDOW_EXITING : 0) |
	       (vmx->nmi_window ? CPU_BASED_NMI_WINDOW_EXITING : 0);
	if (proc != vmx->proc) {
		vmcs_write(CPU_BASED_VM_EXEC_CONTROL, proc);
		vmx->proc = proc;
	}
	if (vmx->tlb_gen != tlb_gen) {
		vmx->tlb_gen = tlb_gen;
		vmx->need_flush = true;
	}
	if (vmx->need_flush)
		vmx_flush(vcpu);
}

/* After the exit, VMCS loaded: what the handlers need. */
static void vmx_read_exit(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_exit *e = &vmx->exit;
	u32 idt;

	e->reason = vmcs_read(VM_EXIT_REASON);
	e->qual = vmcs_read(EXIT_QUALIFICATION);
	e->len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	vcpu->exit_len = e->len;
	e->intr_info = vmcs_read(VM_EXIT_INTR_INFO);
	e->gpa = 0;
	if ((u16)e->reason == EXIT_REASON_EPT_VIOLATION ||
	    (u16)e->reason == EXIT_REASON_EPT_MISCONFIG)
		e->gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);

	vcpu->regs[VCPU_RSP] = vmcs_read(GUEST_RSP);
	vcpu->rip = vmcs_read(GUEST_RIP);
	/* The guest's own view: v86 mode's VM and IOPL are minihv's. */
	vcpu->rflags = (vmcs_read(GUEST_RFLAGS) & ~vmx->rflags_set) |
		       (vcpu->rflags & vmx->rflags_set & X86_EFLAGS_IOPL);
	vmx->entry_rip = vcpu->rip;
	vmx->intr_state = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	if (e->reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
		return;

	/*
	 * An exit during event delivery (an EPT violation on the IDT...)
	 * leaves the event undelivered: deliver it again.  Software
	 * interrupts and exceptions re-execute by themselves (RIP is still
	 * at the instruction).
	 */
	idt = vmcs_read(IDT_VECTORING_INFO_FIELD);
	if (idt & VECTORING_INFO_VALID_MASK) {
		u32 type = idt & VECTORING_INFO_TYPE_MASK;

		if (type == INTR_TYPE_EXT_INTR || type == INTR_TYPE_NMI_INTR ||
		    type == INTR_TYPE_HARD_EXCEPTION) {
			vmx->event_inj = idt & ~INTR_INFO_UNBLOCK_NMI;
			vmx->event_inj_err =
				vmcs_read(IDT_VECTORING_ERROR_CODE);
		}
	}
}

/*
 * L1TF (kmod/spec.c): exits whose handling touches only the vCPU's own
 * state, so that the L1D need not be flushed before the next entry (KVM
 * flushes after emulation and faults, not after these).  External
 * interrupts: their handlers set the kernel's per-CPU flag.
 */
static bool vmx_exit_keeps_l1d(u32 reason)
{
	switch (reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_INTERRUPT_WINDOW:
	case EXIT_REASON_NMI_WINDOW:
	case EXIT_REASON_CPUID:
	case EXIT_REASON_HLT:
	case EXIT_REASON_VMCALL:
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
	case EXIT_REASON_PAUSE_INSTRUCTION:
		return true;
	default:
		return false;
	}
}

/*
 * The host's machine-check handler, as if the #MC had hit the host in
 * user mode (as KVM does): recovery waits for the return to userspace.
 */
static void vmx_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
#endif
}

/*
 * The world switch: enter the guest, come back, read the exit into
 * vmx->exit (MINIHV_RUN_EXITED: vmx_handle_exit() is next).  Called with
 * vcpu->mutex and slots_lock (read) held, preemption enabled, the
 * guest's FPU state current.
 */
int vmx_vcpu_run(struct minihv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_host_state host;
	unsigned long debugctl, dr6;
	u32 reason;
	bool db_loaded;
	u64 err;
	int r;

	if (!vmx_cfg.ept_ug) {
		r = vmx_shadow_prepare(vcpu);
		if (r != 1)
			return r;
	}
	preempt_disable();
	if (!vmx_load(vcpu)) {
		preempt_enable();
		return -EIO;
	}
	vmx_prepare_entry(vcpu);

	local_irq_disable();
	if (!this_cpu_read(vmx_cpu.on) ||
	    this_cpu_read(vmx_cpu.current_vcpu) != vmx) {
		/* VMX went off (reboot) since the load. */
		local_irq_enable();
		preempt_enable();
		return -EIO;
	}
	/* A context switch may have left the guest's FPU state unloaded. */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	/* An event came since minihv_inject_events(): go round again. */
	if (!minihv_guest_enter(vcpu)) {
		local_irq_enable();
		preempt_enable();
		return 1;
	}

	vmcs_write(HOST_CR3, __read_cr3());
	vmcs_write(HOST_CR4, cr4_read_shadow());
	vmx_save_host(&host);
	vmcs_write(HOST_FS_BASE, host.fs_base);
	vmx_load_guest_msrs(vmx);
	if (vmx->cr2 != native_read_cr2())
		native_write_cr2(vmx->cr2);

	/* A VM exit clears IA32_DEBUGCTL (LBR, BTF): put the host's back. */
	debugctl = get_debugctlmsr();
	/*
	 * VMX switches DR7 only.  The guest's DR0-3 go in while its DR7
	 * enables a breakpoint (host breakpoints off first), and its DR6
	 * unless it is the host's: Linux keeps DR6 = DR6_RESERVED outside
	 * its #DB handler.
	 */
	db_loaded = vmx->dr7 & DR7_BP_ENABLES;
	if (unlikely(db_loaded)) {
		if (hw_breakpoint_active())
			set_debugreg(0, 7);
		set_debugreg(vmx->db[0], 0);
		set_debugreg(vmx->db[1], 1);
		set_debugreg(vmx->db[2], 2);
		set_debugreg(vmx->db[3], 3);
	}
	if (unlikely(vmx->dr6 != DR6_RESET))
		set_debugreg(vmx->dr6, 6);

	minihv_stats_entry(vcpu);
	minihv_l1d_flush(vcpu);
	r = __vmx_vcpu_run(vcpu->regs, vmx->launched, vcpu->spec_ctrl);
	minihv_guest_exit(vcpu);
	if (debugctl)
		update_debugctlmsr(debugctl);
	/* A #DB in the guest changed DR6: the guest's, the host's back. */
	get_debugreg(dr6, 6);
	if (unlikely(dr6 != DR6_RESET)) {
		vmx->dr6 = dr6;
		set_debugreg(DR6_RESET, 6);
	}
	vmx->event_inj = 0;	/* delivered, or back in IDT vectoring */

	vmx->cr2 = native_read_cr2();
	vmx_put_guest_msrs(vmx);
	vmx_restore_host(&host);
	/*
	 * The exit disabled the host's breakpoints (DR7 = 0x400); no guest
	 * breakpoint address stays in DR0-3 either.
	 */
	if (hw_breakpoint_active()) {
		hw_breakpoint_restore();
	} else if (unlikely(db_loaded)) {
		set_debugreg(0, 0);
		set_debugreg(0, 1);
		set_debugreg(0, 2);
		set_debugreg(0, 3);
	}

	if (!r) {
		reason = vmcs_read(VM_EXIT_REASON);
		if (!(reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
			vmx->launched = true;
		if (minihv_l1d_flush_on() && !vmx_exit_keeps_l1d(reason))
			vcpu->l1d.req = true;
		/* Shadow paging owns all of CR0/CR4: nothing changes there. */
		vmx->crs_stale = vmx_cfg.ept_ug;
		/*
		 * An NMI or a machine check that made the exit is the host's:
		 * handle it now (never injected into the guest).
		 */
		if ((u16)reason == EXIT_REASON_EXCEPTION_NMI) {
			u32 info = vmcs_read(VM_EXIT_INTR_INFO);

			if ((info & INTR_INFO_INTR_TYPE_MASK) ==
			    INTR_TYPE_NMI_INTR)
				asm volatile("int $2");
			else if ((info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC)
				vmx_machine_check();
		} else if ((u16)reason == EXIT_REASON_MCE_DURING_VMENTRY) {
			vmx_machine_check();
		}
	}
	minihv_guest_irq_window();

	if (r) {
		err = r == VMX_RUN_FAIL_VALID ? vmcs_read(VM_INSTRUCTION_ERROR) : 0;
		preempt_enable();
		if (r == VMX_RUN_FAIL_VALID)
			return minihv_exit_fail_entry(vcpu, err);
		err = r;
		return minihv_exit_internal(vcpu,
					    KVM_INTERNAL_ERROR_EMULATION, 1,
					    &err);
	}
	vmx_read_exit(vcpu);
	preempt_enable();
	return MINIHV_RUN_EXITED;
}
