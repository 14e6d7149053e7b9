// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the vCPU file descriptor and KVM_RUN.
 *
 * A vCPU is an anonymous-inode file whose mmap exposes struct kvm_run
 * (page 0) and the port I/O data page (page 1).  Its ioctls are serialized
 * by vcpu->mutex, like KVM's.  The vCPU lives as long as its VM: its file
 * holds a VM reference, and the last VM reference frees the vCPUs
 * (kmod/vm.c).
 *
 * KVM_RUN: finish what the last exit to userspace left pending (the data
 * of an IN or an MMIO read), then enter the guest over and over, each exit
 * handled in the kernel by the backend's ->vcpu_run(), until one needs
 * userspace or a signal is pending.  The loop holds vm->slots_lock for
 * read and lets go whenever a memory slot change waits for it.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "minihv.h"
#include "trace.h"
#include "lapic.h"

/* The MSRs userspace can save and restore (KVM_GET_MSR_INDEX_LIST). */
static const u32 minihv_msrs[] = {
	MSR_EFER, MSR_IA32_CR_PAT, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
	MSR_SYSCALL_MASK, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_IA32_TSC, MSR_IA32_MISC_ENABLE, MSR_IA32_TSC_DEADLINE, MSR_TSC_AUX,
	MSR_MTRRcap, MSR_MTRRdefType,
	MTRRphysBase_MSR(0), MTRRphysMask_MSR(0),
	MTRRphysBase_MSR(1), MTRRphysMask_MSR(1),
	MTRRphysBase_MSR(2), MTRRphysMask_MSR(2),
	MTRRphysBase_MSR(3), MTRRphysMask_MSR(3),
	MTRRphysBase_MSR(4), MTRRphysMask_MSR(4),
	MTRRphysBase_MSR(5), MTRRphysMask_MSR(5),
	MTRRphysBase_MSR(6), MTRRphysMask_MSR(6),
	MTRRphysBase_MSR(7), MTRRphysMask_MSR(7),
	MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000,
	MSR_MTRRfix4K_C0000, MSR_MTRRfix4K_C8000, MSR_MTRRfix4K_D0000,
	MSR_MTRRfix4K_D8000, MSR_MTRRfix4K_E0000, MSR_MTRRfix4K_E8000,
	MSR_MTRRfix4K_F0000, MSR_MTRRfix4K_F8000,
};

/* KVM_GET_MSR_INDEX_LIST (system fd). */
long minihv_get_msr_index_list(struct kvm_msr_list __user *user)
{
	u32 n = ARRAY_SIZE(minihv_msrs), req;

	if (get_user(req, &user->nmsrs))
		return -EFAULT;
	if (put_user(n, &user->nmsrs))
		return -EFAULT;
	if (req < n)
		return -E2BIG;
	if (copy_to_user(user->indices, minihv_msrs, sizeof(minihv_msrs)))
		return -EFAULT;
	return 0;
}

/* ---------------------------------------------------------------------
 * KVM_RUN
 */

/*
 * Enter the guest until an exit needs userspace.  Called with vcpu->mutex
 * held and the guest FPU state loaded.
 */
static int vcpu_run_loop(struct minihv_vcpu *vcpu)
{
	struct minihv_vm *vm = vcpu->vm;
	int r;

	down_read(&vm->slots_lock);
	for (;;) {
		/* Set by an exit handler, or by minihv_complete_pending(). */
		if (unlikely(vcpu->triple_fault)) {
			r = minihv_exit_triple_fault(vcpu);
			break;
		}
		if (signal_pending(current) ||
		    minihv_task_work_pending(read_thread_flags())) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			r = -EINTR;
			break;
		}
		if (atomic_read(&vm->slots_writer)) {
			/* A memory slot change waits for every vCPU. */
			up_read(&vm->slots_lock);
			down_read(&vm->slots_lock);
		}
		cond_resched();

		/* Halted, or an AP waiting for SIPI: sleep (kmod/events.c). */
		if (vcpu->apic) {
			minihv_lapic_accept_events(vcpu);
			if (vcpu->mp_state != KVM_MP_STATE_RUNNABLE) {
				minihv_vcpu_block(vcpu);
				continue;
			}
		}
		minihv_inject_events(vcpu);
		/* Here rather than in the backend: no register pressure there. */
		trace_minihv_entry(vcpu);
		r = static_call(minihv_vcpu_run)(vcpu);
		if (likely(r == MINIHV_RUN_EXITED))
			r = static_call(minihv_handle_exit)(vcpu);
		if (trace_minihv_exit_enabled())
			minihv_trace_exit(vcpu, r);
		if (r <= 0)
			break;
		/* Userspace's PIC asked for the interrupt window (as KVM). */
		if (unlikely(READ_ONCE(vcpu->run->request_interrupt_window)) &&
		    minihv_ready_for_injection(vcpu)) {
			vcpu->run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			r = 0;
			break;
		}
	}
	up_read(&vm->slots_lock);
	return r;
}

/*
 * INIT and SIPI from outside the run loop (KVM_GET_MP_STATE, an AP's
 * first KVM_RUN): the SIPI sets CS through ->set_sregs(), which may read
 * guest memory (VMX: the PDPTEs of PAE paging), so under slots_lock.
 */
static void accept_events(struct minihv_vcpu *vcpu)
{
	down_read(&vcpu->vm->slots_lock);
	minihv_lapic_accept_events(vcpu);
	up_read(&vcpu->vm->slots_lock);
}

static long __vcpu_run(struct minihv_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	run->flags = 0;
	/* Without an in-kernel APIC, run->cr8 is userspace's CR8 (KVM). */
	if (!vcpu->apic && minihv_set_cr8(vcpu, READ_ONCE(run->cr8))) {
		run->cr8 = vcpu->cr8;
		return -EINVAL;
	}
	/* Userspace has answered the last exit: put its data in place. */
	if (vcpu->pending) {
		down_read(&vcpu->vm->slots_lock);
		minihv_complete_pending(vcpu);
		up_read(&vcpu->vm->slots_lock);
	}
	/* Checked after completion, as KVM does. */
	if (READ_ONCE(run->immediate_exit))
		return -EINTR;
	/*
	 * An AP that never got INIT: as KVM, wait for INIT/SIPI, take them,
	 * and return -EAGAIN (userspace calls KVM_RUN again).
	 */
	if (vcpu->mp_state == KVM_MP_STATE_UNINITIALIZED) {
		if (wait_event_interruptible(vcpu->wq,
					     READ_ONCE(vcpu->apic->pending_events))) {
			run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		accept_events(vcpu);
		return -EAGAIN;
	}

	fpu_swap_kvm_fpstate(vcpu->guest_fpu, true);
	r = vcpu_run_loop(vcpu);
	fpu_swap_kvm_fpstate(vcpu->guest_fpu, false);
	minihv_post_run(vcpu);
	return r;
}

/* KVM_RUN, timed and traced on the way in and out (kmod/stats.c). */
static long vcpu_run(struct minihv_vcpu *vcpu)
{
	long r;

	minihv_stats_run_begin(vcpu);
	minihv_vcpu_note_task(vcpu);
	vcpu->l1d.req = true;	/* userspace ran: flush the L1D (L1TF) */
	r = __vcpu_run(vcpu);
	minihv_stats_run_end(vcpu, r);
	return r;
}

/* ---------------------------------------------------------------------
 * Registers
 */

static void get_regs(struct minihv_vcpu *vcpu, struct kvm_regs *regs)
{
	const u64 *r = vcpu->regs;

	*regs = (struct kvm_regs) {
		.rax = r[VCPU_RAX], .rbx = r[VCPU_RBX], .rcx = r[VCPU_RCX],
		.rdx = r[VCPU_RDX], .rsi = r[VCPU_RSI], .rdi = r[VCPU_RDI],
		.rsp = r[VCPU_RSP], .rbp = r[VCPU_RBP],
		.r8 = r[VCPU_R8], .r9 = r[VCPU_R9], .r10 = r[VCPU_R10],
		.r11 = r[VCPU_R11], .r12 = r[VCPU_R12], .r13 = r[VCPU_R13],
		.r14 = r[VCPU_R14], .r15 = r[VCPU_R15],
		.rip = vcpu->rip, .rflags = vcpu->rflags,
	};
}

static void set_regs(struct minihv_vcpu *vcpu, const struct kvm_regs *regs)
{
	u64 *r = vcpu->regs;

	r[VCPU_RAX] = regs->rax;
	r[VCPU_RBX] = regs->rbx;
	r[VCPU_RCX] = regs->rcx;
	r[VCPU_RDX] = regs->rdx;
	r[VCPU_RSI] = regs->rsi;
	r[VCPU_RDI] = regs->rdi;
	r[VCPU_RSP] = regs->rsp;
	r[VCPU_RBP] = regs->rbp;
	r[VCPU_R8] = regs->r8;
	r[VCPU_R9] = regs->r9;
	r[VCPU_R10] = regs->r10;
	r[VCPU_R11] = regs->r11;
	r[VCPU_R12] = regs->r12;
	r[VCPU_R13] = regs->r13;
	r[VCPU_R14] = regs->r14;
	r[VCPU_R15] = regs->r15;
	vcpu->rip = regs->rip;
	/* Bit 1 always reads as one; KVM forces it too. */
	vcpu->rflags = regs->rflags | X86_EFLAGS_FIXED;
}

/*
 * KVM_GET/SET_FPU: the legacy FXSAVE view of the guest FPU state, as KVM's
 * kvm_arch_vcpu_ioctl_get/set_fpu(): MXCSR is neither read nor written
 * (KVM_GET_FPU gives 0 there).  Userspace's MXCSR must not reach the
 * FXSAVE area: reserved bits there make the kernel's FXRSTOR/XRSTOR
 * fault when KVM_RUN loads the guest state (a WARN and a reset FPU).
 */
static void get_fpu(struct minihv_vcpu *vcpu, struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = &vcpu->guest_fpu->fpstate->regs.fxsave;

	memset(fpu, 0, sizeof(*fpu));
	memcpy(fpu->fpr, fx->st_space, 128);
	fpu->fcw = fx->cwd;
	fpu->fsw = fx->swd;
	fpu->ftwx = fx->twd;
	fpu->last_opcode = fx->fop;
	fpu->last_ip = fx->rip;
	fpu->last_dp = fx->rdp;
	memcpy(fpu->xmm, fx->xmm_space, sizeof(fpu->xmm));
}

static void set_fpu(struct minihv_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = &vcpu->guest_fpu->fpstate->regs.fxsave;

	memcpy(fx->st_space, fpu->fpr, 128);
	fx->cwd = fpu->fcw;
	fx->swd = fpu->fsw;
	fx->twd = fpu->ftwx;
	fx->fop = fpu->last_opcode;
	fx->rip = fpu->last_ip;
	fx->rdp = fpu->last_dp;
	memcpy(fx->xmm_space, fpu->xmm, sizeof(fpu->xmm));
}

/* At most this many MSRs per KVM_GET/SET_MSRS, KVM's MAX_IO_MSRS. */
#define MAX_IO_MSRS	256

/*
 * KVM_GET/SET_MSRS: returns the number of MSRs done, stopping at the
 * first one that fails, as KVM does.
 */
static long vcpu_msrs(struct minihv_vcpu *vcpu, struct kvm_msrs __user *user,
		      bool set)
{
	struct kvm_msr_entry *entries;
	struct kvm_msrs msrs;
	long r;
	u32 i;

	if (copy_from_user(&msrs, user, sizeof(msrs)))
		return -EFAULT;
	if (msrs.nmsrs >= MAX_IO_MSRS)
		return -E2BIG;
	entries = memdup_user(user->entries,
			      array_size(sizeof(*entries), msrs.nmsrs));
	if (IS_ERR(entries))
		return PTR_ERR(entries);

	for (i = 0; i < msrs.nmsrs; i++) {
		if (set) {
			if (minihv_set_msr(vcpu, entries[i].index,
					   entries[i].data, true))
				break;
		} else {
			if (minihv_get_msr(vcpu, entries[i].index,
					   &entries[i].data))
				break;
		}
	}
	r = i;
	if (!set && copy_to_user(user->entries, entries,
				 array_size(sizeof(*entries), i)))
		r = -EFAULT;
	kfree(entries);
	return r;
}

/* KVM_SET_CPUID2: the table CPUID exits answer from (kmod/cpuid.c). */
static long set_cpuid2(struct minihv_vcpu *vcpu,
		       struct kvm_cpuid2 __user *user)
{
	struct kvm_cpuid_entry2 *entries;
	struct kvm_cpuid2 cpuid;

	if (copy_from_user(&cpuid, user, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent > MINIHV_MAX_CPUID)
		return -E2BIG;
	entries = NULL;
	if (cpuid.nent) {
		entries = vmemdup_user(user->entries,
				       array_size(sizeof(*entries),
						  cpuid.nent));
		if (IS_ERR(entries))
			return PTR_ERR(entries);
	}
	kvfree(vcpu->cpuid);
	vcpu->cpuid = entries;
	vcpu->cpuid_nent = cpuid.nent;
	minihv_x86_after_set_cpuid(vcpu);
	return 0;
}

static long get_cpuid2(struct minihv_vcpu *vcpu,
		       struct kvm_cpuid2 __user *user)
{
	struct kvm_cpuid2 cpuid;

	if (copy_from_user(&cpuid, user, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent < vcpu->cpuid_nent) {
		cpuid.nent = vcpu->cpuid_nent;
		if (put_user(cpuid.nent, &user->nent))
			return -EFAULT;
		return -E2BIG;
	}
	if (copy_to_user(user->entries, vcpu->cpuid,
			 array_size(sizeof(*vcpu->cpuid), vcpu->cpuid_nent)))
		return -EFAULT;
	if (put_user(vcpu->cpuid_nent, &user->nent))
		return -EFAULT;
	return 0;
}

/*
 * KVM_SET_MP_STATE.  Without an in-kernel APIC only RUNNABLE, as KVM;
 * with one, the x86 states (KVM takes any number there; minihv refuses
 * the ones x86 never uses).  SIPI_RECEIVED is INIT_RECEIVED with a SIPI
 * pending, as in KVM.
 */
static long set_mp_state(struct minihv_vcpu *vcpu, u32 state)
{
	if (!vcpu->apic)
		return state == KVM_MP_STATE_RUNNABLE ? 0 : -EINVAL;
	switch (state) {
	case KVM_MP_STATE_SIPI_RECEIVED:
		vcpu->mp_state = KVM_MP_STATE_INIT_RECEIVED;
		set_bit(MINIHV_APIC_SIPI, &vcpu->apic->pending_events);
		return 0;
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_HALTED:
		vcpu->mp_state = state;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * KVM_INTERRUPT: the userspace PIC's interrupt (ExtINT), any vector below
 * 256.  Without an in-kernel APIC a new one replaces the waiting one, as
 * in KVM, and goes in once the guest has IF=1 (KVM injects it at once and
 * leaves that check to userspace); with a split irqchip, -EEXIST while
 * one waits, and it goes in only when LVT0 accepts ExtINT.
 */
static long set_interrupt(struct minihv_vcpu *vcpu, u32 irq)
{
	if (irq >= 256)
		return -EINVAL;
	if (vcpu->apic && vcpu->irq_pending >= 0)
		return -EEXIST;
	vcpu->irq_pending = irq;
	minihv_vcpu_kick(vcpu);
	return 0;
}

/* ---------------------------------------------------------------------
 * The vCPU file
 */

static long vcpu_ioctl_locked(struct minihv_vcpu *vcpu, unsigned int ioctl,
			      void __user *argp, unsigned long arg)
{
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_fpu fpu;
		struct kvm_mp_state mp;
		struct kvm_lapic_state lapic;
		struct kvm_interrupt irq;
	} *u;
	long r;

	if (ioctl == KVM_RUN)
		return arg ? -EINVAL : vcpu_run(vcpu);
	if (ioctl == KVM_GET_MSRS || ioctl == KVM_SET_MSRS)
		return vcpu_msrs(vcpu, argp, ioctl == KVM_SET_MSRS);
	if (ioctl == KVM_SET_CPUID2)
		return set_cpuid2(vcpu, argp);
	if (ioctl == KVM_GET_CPUID2)
		return get_cpuid2(vcpu, argp);

	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return -ENOMEM;
	switch (ioctl) {
	case KVM_GET_REGS:
		get_regs(vcpu, &u->regs);
		r = copy_to_user(argp, &u->regs, sizeof(u->regs)) ? -EFAULT : 0;
		break;
	case KVM_SET_REGS:
		r = -EFAULT;
		if (copy_from_user(&u->regs, argp, sizeof(u->regs)))
			break;
		set_regs(vcpu, &u->regs);
		r = 0;
		break;
	case KVM_GET_SREGS:
		minihv_ops->get_sregs(vcpu, &u->sregs);
		u->sregs.cr8 = minihv_get_cr8(vcpu);
		if (vcpu->apic)
			u->sregs.apic_base = vcpu->apic->base;
		r = copy_to_user(argp, &u->sregs, sizeof(u->sregs)) ?
		    -EFAULT : 0;
		break;
	case KVM_SET_SREGS:
		r = -EFAULT;
		if (copy_from_user(&u->sregs, argp, sizeof(u->sregs)))
			break;
		r = -EINVAL;
		if (!minihv_sregs_valid(vcpu, &u->sregs))
			break;
		/* VMX reads the PDPTEs of PAE paging from guest memory. */
		down_read(&vcpu->vm->slots_lock);
		r = minihv_ops->set_sregs(vcpu, &u->sregs);
		up_read(&vcpu->vm->slots_lock);
		/* A CR8 with reserved bits is ignored, as KVM does. */
		if (!r)
			minihv_set_cr8(vcpu, u->sregs.cr8);
		if (!r && vcpu->apic)
			r = minihv_lapic_set_base(vcpu, u->sregs.apic_base,
						  true);
		break;
	case KVM_GET_FPU:
		get_fpu(vcpu, &u->fpu);
		r = copy_to_user(argp, &u->fpu, sizeof(u->fpu)) ? -EFAULT : 0;
		break;
	case KVM_SET_FPU:
		r = -EFAULT;
		if (copy_from_user(&u->fpu, argp, sizeof(u->fpu)))
			break;
		set_fpu(vcpu, &u->fpu);
		r = 0;
		break;
	case KVM_GET_MP_STATE:
		if (vcpu->apic)
			accept_events(vcpu);
		u->mp.mp_state = vcpu->mp_state;
		r = copy_to_user(argp, &u->mp, sizeof(u->mp)) ? -EFAULT : 0;
		break;
	case KVM_SET_MP_STATE:
		r = -EFAULT;
		if (copy_from_user(&u->mp, argp, sizeof(u->mp)))
			break;
		r = set_mp_state(vcpu, u->mp.mp_state);
		break;
	case KVM_GET_LAPIC:
		r = -EINVAL;	/* KVM's answer without an in-kernel APIC */
		if (!vcpu->apic)
			break;
		minihv_lapic_get_state(vcpu, &u->lapic);
		r = copy_to_user(argp, &u->lapic, sizeof(u->lapic)) ?
		    -EFAULT : 0;
		break;
	case KVM_SET_LAPIC:
		r = -EINVAL;
		if (!vcpu->apic)
			break;
		r = -EFAULT;
		if (copy_from_user(&u->lapic, argp, sizeof(u->lapic)))
			break;
		r = minihv_lapic_set_state(vcpu, &u->lapic);
		break;
	case KVM_INTERRUPT:
		r = -EFAULT;
		if (copy_from_user(&u->irq, argp, sizeof(u->irq)))
			break;
		r = set_interrupt(vcpu, u->irq.irq);
		break;
	case KVM_NMI:
		atomic_inc(&vcpu->nmi_queued);
		minihv_vcpu_kick(vcpu);
		r = 0;
		break;
	default:
		/* KVM's kvm_arch_vcpu_ioctl() answers -EINVAL too. */
		r = -EINVAL;
		break;
	}
	kfree(u);
	return r;
}

static long minihv_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			      unsigned long arg)
{
	struct minihv_vcpu *vcpu = filp->private_data;
	long r;

	/* As in KVM: a vCPU belongs to the process that created the VM. */
	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	r = vcpu_ioctl_locked(vcpu, ioctl, (void __user *)arg, arg);
	mutex_unlock(&vcpu->mutex);
	return r;
}

static vm_fault_t vcpu_fault(struct vm_fault *vmf)
{
	struct minihv_vcpu *vcpu = vmf->vma->vm_file->private_data;
	void *addr;

	if (vmf->pgoff == 0)
		addr = vcpu->run;
	else if (vmf->pgoff == MINIHV_PIO_PAGE)
		addr = vcpu->pio_data;
	else
		return VM_FAULT_SIGBUS;
	vmf->page = virt_to_page(addr);
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct vcpu_vm_ops = {
	.fault = vcpu_fault,
};

static int minihv_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	vma->vm_ops = &vcpu_vm_ops;
	return 0;
}

static int minihv_vcpu_release(struct inode *inode, struct file *filp)
{
	struct minihv_vcpu *vcpu = filp->private_data;

	minihv_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations minihv_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= minihv_vcpu_release,
	.unlocked_ioctl	= minihv_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= minihv_vcpu_mmap,
	.llseek		= noop_llseek,
};

/* Called by the last minihv_vm_put(); no file refers to the vCPU. */
void minihv_vcpu_free(struct minihv_vcpu *vcpu)
{
	minihv_debugfs_vcpu_remove(vcpu);
	minihv_events_free(vcpu);
	minihv_ops->vcpu_free(vcpu);
	minihv_stats_vcpu_free(vcpu);
	kvfree(vcpu->cpuid);
	fpu_free_guest_fpstate(vcpu->guest_fpu);
	kfree(vcpu->guest_fpu);
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

/* KVM_CREATE_VCPU: returns the new vCPU's fd. */
int minihv_create_vcpu(struct minihv_vm *vm, unsigned long id)
{
	struct minihv_vcpu *vcpu;
	char name[32];
	int r;

	if (id >= MINIHV_MAX_VCPUS)
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
	mutex_init(&vcpu->mutex);

	r = -ENOMEM;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->guest_fpu = kzalloc(sizeof(*vcpu->guest_fpu),
				  GFP_KERNEL_ACCOUNT);
	if (!vcpu->run || !vcpu->pio_data || !vcpu->guest_fpu)
		goto out_free;
	if (minihv_stats_vcpu_alloc(vcpu))
		goto out_free;
	if (!fpu_alloc_guest_fpstate(vcpu->guest_fpu))
		goto out_free;

	r = minihv_ops->vcpu_create(vcpu);
	if (r)
		goto out_fpu;
	r = minihv_events_init(vcpu);
	if (r)
		goto out_vendor;

	mutex_lock(&vm->lock);
	/* KVM_CAP_SPLIT_IRQCHIP raced with us: refuse, it is too late. */
	r = -EINVAL;
	if (vm->split_irqchip != !!vcpu->apic)
		goto out_unlock;
	/* KVM's order: the count first, then the id. */
	r = -EINVAL;
	if (atomic_read(&vm->online_vcpus) >= MINIHV_MAX_VCPUS)
		goto out_unlock;
	r = -EEXIST;
	if (vm->vcpus[id])
		goto out_unlock;
	refcount_inc(&vm->users);
	snprintf(name, sizeof(name), "minihv-vcpu:%lu", id);
	r = anon_inode_getfd(name, &minihv_vcpu_fops, vcpu,
			     O_RDWR | O_CLOEXEC);
	if (r < 0) {
		refcount_dec(&vm->users);	/* the VM file holds one */
		goto out_unlock;
	}
	vm->vcpus[id] = vcpu;
	atomic_inc(&vm->online_vcpus);
	minihv_debugfs_vcpu_add(vcpu);
	mutex_unlock(&vm->lock);
	return r;

out_unlock:
	mutex_unlock(&vm->lock);
	minihv_events_free(vcpu);
out_vendor:
	minihv_ops->vcpu_free(vcpu);
out_fpu:
	fpu_free_guest_fpstate(vcpu->guest_fpu);
out_free:
	minihv_stats_vcpu_free(vcpu);
	kfree(vcpu->guest_fpu);
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
	return r;
}
