/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv: internal interfaces between the common code (kmod/) and the
 * vendor backends (arch/x86/vmx, arch/x86/svm).
 *
 * Common code never touches VMX or SVM state directly: everything that is
 * vendor specific goes through the one ops table below, chosen at module
 * load by vmx_probe()/svm_probe().
 */
#ifndef MINIHV_MINIHV_H
#define MINIHV_MINIHV_H

#include <linux/jump_label.h>
#include <linux/task_work.h>
#include <linux/thread_info.h>
#include <linux/kvm.h>
#include <asm/cpufeature.h>
#include <asm/mtrr.h>
#include <asm/nospec-branch.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/static_call.h>
#include <linux/types.h>
#include <linux/vtime.h>
#include <linux/wait.h>
#include "uapi/minihv.h"

struct dentry;
struct minihv_crs;
struct minihv_lapic;
struct fpu_guest;
struct page;

#define MINIHV_MAX_VCPUS	16	/* KVM_CAP_NR_VCPUS, _MAX_VCPUS */
#define MINIHV_MAX_MEMSLOTS	32	/* KVM_CAP_NR_MEMSLOTS */
#define MINIHV_MAX_CPUID	256	/* entries in KVM_SET_CPUID2 */
#define MINIHV_PIO_PAGE		1	/* mmap page offset of PIO data */
#define MINIHV_RUN_PAGES	2	/* kvm_run + PIO data */

/* General purpose registers, in x86 encoding order. */
enum minihv_reg {
	VCPU_RAX, VCPU_RCX, VCPU_RDX, VCPU_RBX,
	VCPU_RSP, VCPU_RBP, VCPU_RSI, VCPU_RDI,
	VCPU_R8, VCPU_R9, VCPU_R10, VCPU_R11,
	VCPU_R12, VCPU_R13, VCPU_R14, VCPU_R15,
	NR_VCPU_REGS
};

/**
 * struct minihv_memslot - one KVM_SET_USER_MEMORY_REGION slot
 * @id:		slot number (the low 16 bits of kvm_userspace_memory_region.slot)
 * @flags:	KVM_MEM_* flags
 * @base_gfn:	first guest frame
 * @npages:	size in pages
 * @uaddr:	userspace_addr
 * @pages:	the pinned pages backing it, @npages of them (see vm.c)
 */
struct minihv_memslot {
	u32 id;
	u32 flags;
	u64 base_gfn;
	u64 npages;
	u64 uaddr;
	struct page **pages;
	unsigned long *dirty;	/* KVM_MEM_LOG_DIRTY_PAGES: a bit a page */
};

/*
 * May a mapping of @gfn (in @s) be writable now?  Not in a read-only slot;
 * in a slot that logs dirty pages, only once the page is logged, so that
 * the guest's first write after KVM_GET_DIRTY_LOG faults (and is logged).
 */
static inline bool minihv_slot_map_writable(const struct minihv_memslot *s,
					    u64 gfn)
{
	if (s->flags & KVM_MEM_READONLY)
		return false;
	return !s->dirty || test_bit(gfn - s->base_gfn, s->dirty);
}

/*
 * The guest's page @gfn of writable slot @s is written (by the guest
 * through a writable mapping, or by minihv for it): logged if the slot
 * logs dirty pages.  vm->slots_lock held (read), which KVM_GET_DIRTY_LOG
 * takes for write; atomic against other vCPUs.
 */
static inline void minihv_slot_mark_dirty(struct minihv_memslot *s, u64 gfn)
{
	if (s->dirty)
		set_bit(gfn - s->base_gfn, s->dirty);
}

/* Exit counters by reason, for debugfs (vendor-defined reasons). */
#define MINIHV_NR_EXIT_STATS	MINIHV_STATS_NR_REASONS

/**
 * struct minihv_exit_info - one VM exit, as the backend saw it
 * @stat:	statistics index (< MINIHV_NR_EXIT_STATS), ->exit_name's
 * @reason:	the raw reason: VMX exit reason, SVM exit code
 * @qual:	VMX exit qualification, SVM EXITINFO1
 * @info2:	VMX guest-physical address (EPT exits), SVM EXITINFO2
 * @rip:	guest RIP at the exit
 * @len:	instruction length (0 when the CPU does not say)
 * @guest_ns:	time in the guest before this exit (set by kmod/stats.c)
 */
struct minihv_exit_info {
	u32 stat;
	u32 reason;
	u64 qual;
	u64 info2;
	u64 rip;
	u32 len;
	u64 guest_ns;
};

/**
 * struct minihv_vcpu_stats - per-vCPU times and histograms (kmod/stats.c)
 *
 * Written only by the vCPU's thread (KVM_RUN, vcpu->mutex held), read
 * lock-free by MINIHV_GET_STATS and debugfs: every counter is a naturally
 * aligned u64 written with WRITE_ONCE() and read with READ_ONCE(), which
 * x86-64 never tears.  A reader may see one counter updated and another
 * not yet (a snapshot is not atomic as a whole), never half a counter.
 */
struct minihv_vcpu_stats {
	/* The vCPU's own bookkeeping (TSC values). */
	u64 t_entry;			/* last VM entry */
	u64 t_exit;			/* last VM exit */
	u64 t_user;			/* last return to userspace */
	u64 user_in_exit;		/* ns in userspace since t_exit */
	u32 exit_open;			/* t_exit's exit awaits re-entry */
	u32 exit_stat;			/* its statistics index */
	u64 exit_guest_ns;		/* the guest ran that long before it */
	bool exit_copied;		/* @exit holds it, not yet traced */
	struct minihv_exit_info exit;	/* the last exit, for minihv_exit */

	/* Counters (ns), readable lock-free. */
	u64 guest_ns;
	u64 kernel_ns;
	u64 user_ns;
	u64 exit_ns[MINIHV_STATS_NR_REASONS];
	u64 hist[MINIHV_STATS_NR_REASONS][MINIHV_STATS_NR_BUCKETS];
};

/**
 * struct minihv_vcpu - a virtual CPU
 *
 * Locking: @mutex serializes the vCPU's ioctls (KVM_RUN included), as in
 * KVM; everything below is protected by it unless noted.
 */
/* Variable-range MTRRs shown in MTRRcap (as KVM). */
#define MINIHV_MTRR_VAR		8

struct minihv_vcpu {
	struct minihv_vm *vm;
	int id;
	struct mutex mutex;
	struct kvm_run *run;		/* shared with userspace */
	void *pio_data;			/* page after kvm_run in the mmap */
	struct fpu_guest *guest_fpu;

	/* Register cache, loaded to/saved from the hardware around entry. */
	u64 regs[NR_VCPU_REGS];
	u64 rip;
	u64 rflags;
	/*
	 * Length of the instruction that caused the last exit, as the CPU
	 * said it (VMX, SVM's next RIP) or the backend knows it (SVM without
	 * next RIP: the fixed-length instructions it intercepts); 0 for exits
	 * no instruction caused.  minihv_skip_instruction() goes past it.
	 */
	u8 exit_len;
	u64 cr8;			/* TPR[7:4] without an in-kernel APIC */

	/* Guest CPUID (KVM_SET_CPUID2). */
	struct kvm_cpuid_entry2 *cpuid;
	int cpuid_nent;
	/* CR4 and EFER bits its CPUID does not offer (x86.c), as KVM's. */
	u64 cr4_guest_rsvd;
	u64 efer_guest_rsvd;

	/* Non-vendor MSRs. */
	u64 msr_misc_enable;
	struct minihv_mtrr {		/* kept, not applied (kmod/msr.c) */
		u64 def_type;
		u64 var[MINIHV_MTRR_VAR * 2];	/* base, mask pairs */
		u64 fixed[11];
	} mtrr;
	u64 tsc_offset;
	u64 spec_ctrl;			/* IA32_SPEC_CTRL (kmod/spec.c) */
	struct minihv_l1d {		/* L1D flush "cond" (kmod/spec.c) */
		bool req;		/* flush at the next entry */
		int cpu;		/* of the last entry */
		unsigned long switches;	/* the task's context switches then */
	} l1d;

	u32 mp_state;

	/*
	 * Interrupts and blocking (kmod/events.c).  @mode and @requests are
	 * shared with other vCPUs, timers and ioctls (atomics, READ_ONCE).
	 */
	struct minihv_lapic *apic;	/* NULL without split irqchip */
	wait_queue_head_t wq;		/* HLT, waiting for INIT/SIPI */
	int cpu;			/* where it entered the guest last */
	int mode;			/* MINIHV_IN/OUTSIDE_GUEST */
	unsigned long requests;		/* MINIHV_REQ_* */
	atomic_t nmi_queued;		/* NMIs to inject */
	int irq_pending;		/* KVM_INTERRUPT vector, -1 none */
	struct pid __rcu *pid;		/* of the task in KVM_RUN, last */

	/*
	 * A KVM_EXIT_IO/KVM_EXIT_MMIO read awaits its data from userspace:
	 * completed at the next KVM_RUN (kmod/emulate.c).
	 */
	int pending;			/* MINIHV_PENDING_* */
	u64 pending_rip;		/* RIP after the instruction */
	u8 pending_reg;			/* destination register */
	u8 pending_size;		/* bytes */
	u8 pending_flags;		/* decode.h extension flags */

	/*
	 * A guest page walk of the instruction emulator faulted: the
	 * emulation ends in this #PF, not in an internal error (exit.c).
	 */
	bool emul_pf;
	u32 emul_pf_error;
	u64 emul_pf_gva;

	/*
	 * A fault while a #DF was being delivered, found in software (the
	 * backends' exception merging, on any paging mode): the run loop
	 * ends it in KVM_EXIT_SHUTDOWN before the next entry.
	 */
	bool triple_fault;

	/* Statistics (written by the vCPU only, read lock-free). */
	u64 exits[MINIHV_NR_EXIT_STATS];
	struct minihv_vcpu_stats *stats;
	struct dentry *debugfs;

	void *arch;			/* vendor per-vCPU state */
};

/* vcpu->mode: in guest mode, a kick must IPI the vCPU's CPU. */
#define MINIHV_OUTSIDE_GUEST	0
#define MINIHV_IN_GUEST		1
/* vcpu->requests */
#define MINIHV_REQ_EVENT	0	/* re-evaluate interrupts before entry */

enum {
	MINIHV_PENDING_NONE,
	MINIHV_PENDING_PIO_IN,		/* copy pio_data into RAX */
	MINIHV_PENDING_MMIO_READ,	/* copy run->mmio.data into a reg */
};

/**
 * struct minihv_vm - a virtual machine
 *
 * Locking: @lock serializes vCPU creation and memory slot changes.
 * @slots_lock (read) is held by a vCPU while it runs the guest and handles
 * exits in the kernel; a slot change takes it for write, kicking running
 * vCPUs out first (@slots_writer), so no vCPU can use a slot, or a nested
 * page table entry pointing into it, once the change is done.
 *
 * Every reader of guest memory or of the slots (minihv_read_guest(),
 * minihv_write_guest(), minihv_gfn_to_page(), minihv_gfn_to_slot(), the
 * page walker, the nested and shadow page tables) holds @slots_lock, for
 * read in a vCPU (the run loop, and ioctls that can read guest memory:
 * KVM_SET_SREGS, the SIPI of KVM_GET_MP_STATE and of an AP's first
 * KVM_RUN), asserted with lockdep; a slot deleted meanwhile would be read
 * after it was freed.  Lock order: vcpu->mutex, then @lock, then
 * @slots_lock; mmap_lock (pinning) is taken under @lock, never under
 * @slots_lock.  A reader of @slots_lock never waits for anything else
 * while holding it (minihv_vcpu_block() drops it to sleep).
 */
struct minihv_vm {
	struct mutex lock;
	struct rw_semaphore slots_lock;
	atomic_t slots_writer;
	struct minihv_memslot *slots[MINIHV_MAX_MEMSLOTS];
	struct minihv_vcpu *vcpus[MINIHV_MAX_VCPUS];
	atomic_t online_vcpus;
	refcount_t users;		/* the VM file and each vCPU file */
	struct mm_struct *mm;		/* creator's, for accounting */
	unsigned long locked_pages;	/* charged to RLIMIT_MEMLOCK */
	struct dentry *debugfs;
	u32 id;				/* unique, for tracing and stats */
	bool split_irqchip;		/* KVM_CAP_SPLIT_IRQCHIP, under @lock */
	void *arch;			/* vendor per-VM state */
};

/**
 * struct minihv_vendor_ops - what a vendor backend provides
 * @name:	"vmx" or "svm", for messages
 * @vendor:	MINIHV_VENDOR_*
 * @legacy_pmcs: the performance counters a guest of this vendor has
 *		without a virtual PMU, which RDPMC reads as 0: AMD's four
 *		legacy ones; none on Intel (minihv_exit_rdpmc()).
 * @setup:	at module load, after the probe succeeded: allocate the
 *		per-CPU state (VMXON regions, host save areas) for every
 *		possible CPU.  Process context.
 * @unsetup:	undo @setup.  Process context, VMX/SVM off on every CPU.
 * @cpu_enable:	turn VMX/SVM on for the calling CPU.  Called with IRQs
 *		off.  Returns -EBUSY if someone else (another hypervisor)
 *		already has it on, leaving the CPU exactly as it was.
 * @cpu_disable: turn VMX/SVM off for the calling CPU, IRQs off.  Only
 *		called on a CPU where @cpu_enable succeeded.
 * @hw_first:	optional: process context, cpus_read_lock() held, called
 *		after VMX/SVM was turned on everywhere for the first VM.
 * @hw_last:	optional: the counterpart of @hw_first, called after
 *		VMX/SVM was turned off everywhere when the last VM went away.
 * @fill_info:	fill the vendor part of struct minihv_info.
 * @exit_name:	name of a vendor exit reason (debugfs), or NULL.
 *
 * VMs and vCPUs (process context; sleeping allowed unless noted):
 * @vm_init:	allocate vm->arch (nested page table root, ASID...).
 * @vm_destroy:	free it; no vCPU left.
 * @vm_zap:	drop every nested page table entry (slots changed).  Called
 *		with slots_lock held for write: no vCPU is in the guest.
 * @vcpu_create: allocate vcpu->arch and put the vCPU in its reset state
 *		(KVM's: real mode, CS.base 0xffff0000, RIP 0xfff0...).
 * @vcpu_free:	free it.
 * @vcpu_run:	the world switch: enter the guest once and read back what
 *		the exit left (registers, the exit's information for
 *		@handle_exit, vcpu->exit_len).  Returns MINIHV_RUN_EXITED
 *		after an exit; without one (an event to inject first, a
 *		failed entry) what an exit handler returns: > 0 to go on in
 *		the kernel, 0 to return to userspace (run->exit_reason set),
 *		< 0 for an error.  Called with vcpu->mutex and vm->slots_lock
 *		(read) held, preemption enabled.
 * @handle_exit: dispatch the exit @vcpu_run read to its handler (a
 *		table, one handler per reason) and return its result.  Same
 *		context as @vcpu_run.
 * @get_sregs/@set_sregs: KVM_GET/SET_SREGS.  The caller checked the
 *		architecture's rules (minihv_sregs_valid()); @set_sregs
 *		checks what its hardware adds (VMX's segment rules).
 * @get_msr/@set_msr: the MSRs kept in vendor state (PAT, STAR family,
 *		SYSENTER, FS/GS/KERNEL_GS_BASE, TSC...).  Return
 *		MINIHV_MSR_UNHANDLED if the MSR is not the vendor's, -EINVAL
 *		for a bad value.
 * @get_crs:	the guest's CR0, CR3, CR4 and EFER (struct minihv_crs).
 * @set_crs:	program the hardware for the guest's @crs, which the
 *		architecture's rules (kmod/x86.c) allowed; @old is what
 *		@get_crs gave; @pdptrs the four PDPTEs of PAE paging if
 *		the architecture loaded them again, else NULL.  Returns 0
 *		or a negative error.
 * @reset_mmu:	the guest's translations changed (a paging control, a CR3
 *		load): drop what the TLB or the shadow tables hold of them.
 * @set_cr2:	the guest's CR2, for a #PF being queued.
 * @queue_exception: inject an exception at the next entry (the
 *		hardware's part of minihv_queue_exception()).
 * @queued_exception: the vector of an exception queued for the next
 *		entry, -1 if none.
 * @cancel_event: forget the event queued for the next entry.
 * @after_set_cpuid: optional: KVM_SET_CPUID2 changed what the guest has.
 * @get_cpl:	the guest's current privilege level.
 * @get_dr/@set_dr: the guest's DR0-DR3, DR6, DR7 (minihv_emulate_dr()
 *		checked the access and the value).
 *
 * Interrupts (kmod/events.c calls these before each entry, preemption
 * enabled; the backend keeps an injected event until an entry really
 * happened, and re-injects one whose delivery an exit interrupted):
 * @interrupt_allowed: RFLAGS.IF set, no STI/MOV SS shadow, no event
 *		already queued for the next entry.
 * @nmi_allowed: no NMI blocking, no shadow, no event queued.
 * @inject_irq:	queue external interrupt @vector for the next entry.
 * @inject_nmi:	queue an NMI; NMIs are blocked until the guest's IRET.
 * @request_window: exit as soon as an interrupt (@nmi: an NMI) can be
 *		injected; the window exit turns itself off.
 * @vcpu_reset:	INIT: the architectural INIT state (vcpu->mutex held).
 */
struct minihv_vendor_ops {
	const char *name;
	u32 vendor;
	u32 legacy_pmcs;
	int (*setup)(void);
	void (*unsetup)(void);
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);
	void (*hw_first)(void);
	void (*hw_last)(void);
	void (*fill_info)(struct minihv_info *info);
	const char *(*exit_name)(unsigned int reason);

	int (*vm_init)(struct minihv_vm *vm);
	void (*vm_destroy)(struct minihv_vm *vm);
	void (*vm_zap)(struct minihv_vm *vm);
	int (*vcpu_create)(struct minihv_vcpu *vcpu);
	void (*vcpu_free)(struct minihv_vcpu *vcpu);
	int (*vcpu_run)(struct minihv_vcpu *vcpu);
	int (*handle_exit)(struct minihv_vcpu *vcpu);
	void (*get_sregs)(struct minihv_vcpu *vcpu, struct kvm_sregs *sregs);
	int (*set_sregs)(struct minihv_vcpu *vcpu, const struct kvm_sregs *sregs);
	int (*get_msr)(struct minihv_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct minihv_vcpu *vcpu, u32 index, u64 data,
		       bool host);
	void (*get_crs)(struct minihv_vcpu *vcpu, struct minihv_crs *crs);
	int (*set_crs)(struct minihv_vcpu *vcpu, const struct minihv_crs *old,
		       const struct minihv_crs *crs, const u64 *pdptrs);
	void (*reset_mmu)(struct minihv_vcpu *vcpu);
	void (*set_cr2)(struct minihv_vcpu *vcpu, u64 cr2);
	void (*queue_exception)(struct minihv_vcpu *vcpu, u8 vector,
				bool has_error, u32 error);
	int (*queued_exception)(struct minihv_vcpu *vcpu);
	void (*cancel_event)(struct minihv_vcpu *vcpu);
	void (*after_set_cpuid)(struct minihv_vcpu *vcpu);
	int (*get_cpl)(struct minihv_vcpu *vcpu);
	u64 (*get_dr)(struct minihv_vcpu *vcpu, int dr);
	void (*set_dr)(struct minihv_vcpu *vcpu, int dr, u64 val);
	bool (*interrupt_allowed)(struct minihv_vcpu *vcpu);
	bool (*nmi_allowed)(struct minihv_vcpu *vcpu);
	void (*inject_irq)(struct minihv_vcpu *vcpu, u8 vector);
	void (*inject_nmi)(struct minihv_vcpu *vcpu);
	void (*request_window)(struct minihv_vcpu *vcpu, bool nmi);
	void (*vcpu_reset)(struct minihv_vcpu *vcpu);
};

/* The backend in use; set once at module load, read-only afterwards. */
extern const struct minihv_vendor_ops *minihv_ops;

/*
 * The two ops of every exit, called through static calls (direct calls,
 * patched at load: no retpoline), as KVM calls its kvm_x86_ops.
 */
DECLARE_STATIC_CALL(minihv_vcpu_run, *((struct minihv_vendor_ops *)0)->vcpu_run);
DECLARE_STATIC_CALL(minihv_handle_exit,
		    *((struct minihv_vendor_ops *)0)->handle_exit);

/*
 * Vendor probes, tried in turn at module load.  Each returns its ops if the
 * CPU has that extension and it is usable, ERR_PTR(-ENODEV) after one
 * pr_err() line saying why if the CPU has it but it cannot be used, and
 * NULL if the CPU does not have it at all.
 */
const struct minihv_vendor_ops *vmx_probe(void);
const struct minihv_vendor_ops *svm_probe(void);

/* kmod/hw.c: VMX/SVM on all CPUs while at least one VM exists. */
int minihv_hw_init(void);

/* uret.c: MSRs that keep the guest's value until a return to userspace. */
enum minihv_uret {
	MINIHV_URET_STAR,
	MINIHV_URET_LSTAR,
	MINIHV_URET_CSTAR,
	MINIHV_URET_SFMASK,
	MINIHV_URET_TSC_AUX,
	MINIHV_URET_NR
};
void minihv_uret_init(void);
bool minihv_uret_usable(enum minihv_uret slot);
int minihv_uret_slot(u32 index);
void minihv_uret_cpu_init(void);
void minihv_uret_cpu_drop(void);
int __minihv_uret_set(enum minihv_uret slot, u64 val);
int minihv_uret_try(enum minihv_uret slot, u64 val);
int minihv_uret_check(struct minihv_vcpu *vcpu, u32 index, u64 *data);
DECLARE_PER_CPU(u64 [MINIHV_URET_NR], minihv_uret_curr);

/**
 * minihv_uret_set() - the guest's value of a user-return MSR, for the entry
 * @slot:	which MSR (minihv_uret_usable() must say yes)
 * @val:	the guest's value (valid: minihv_uret_try() took it)
 *
 * IRQs off.  Writes the MSR only if this CPU holds another value:
 * inline, as on the way into the guest that test is all that usually
 * runs (one per-CPU load and a compare).
 */
static __always_inline void minihv_uret_set(enum minihv_uret slot, u64 val)
{
	if (likely(this_cpu_read(minihv_uret_curr[slot]) == val))
		return;
	__minihv_uret_set(slot, val);
}
void minihv_hw_exit(void);
int minihv_hw_get(void);
void minihv_hw_put(void);
void minihv_hw_fill_info(struct minihv_info *info);

/* kmod/vm.c */
int minihv_create_vm(unsigned long type);
long minihv_check_extension(long ext);
struct minihv_memslot *minihv_gfn_to_slot(struct minihv_vm *vm, u64 gfn);
struct page *minihv_gfn_to_page(struct minihv_vm *vm, u64 gfn,
				bool *writable);
int minihv_read_guest(struct minihv_vm *vm, u64 gpa, void *data,
		      unsigned int len);
int minihv_write_guest(struct minihv_vm *vm, u64 gpa, const void *data,
		       unsigned int len);
void minihv_vm_put(struct minihv_vm *vm);
void minihv_vm_kick_all(struct minihv_vm *vm);

/* kmod/vcpu.c */
int minihv_create_vcpu(struct minihv_vm *vm, unsigned long id);
long minihv_get_msr_index_list(struct kvm_msr_list __user *user);

/* kmod/events.c: interrupt injection, kicks, blocking. */
void minihv_vcpu_kick(struct minihv_vcpu *vcpu);
bool minihv_guest_enter(struct minihv_vcpu *vcpu);
void minihv_inject_events(struct minihv_vcpu *vcpu);
bool minihv_vcpu_has_events(struct minihv_vcpu *vcpu);
bool minihv_ready_for_injection(struct minihv_vcpu *vcpu);
void minihv_post_run(struct minihv_vcpu *vcpu);
int minihv_vcpu_block(struct minihv_vcpu *vcpu);
void minihv_vcpu_note_task(struct minihv_vcpu *vcpu);
void minihv_vcpu_on_spin(struct minihv_vcpu *me);
int minihv_events_init(struct minihv_vcpu *vcpu);
void minihv_events_free(struct minihv_vcpu *vcpu);

/*
 * After the exit, IRQs still off: kicks need no IPI any more.  Where the
 * host mitigates VMSCAPE, the next return to userspace from this CPU
 * runs an IBPB first (what the guest trained must not steer the VMM).
 */
static inline void minihv_guest_exit(struct minihv_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->mode, MINIHV_OUTSIDE_GUEST);
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
}

/*
 * Task work for this thread (POSIX CPU timers and RLIMIT_CPU, NUMA
 * balancing, a deferred fput(), ...) runs on the way back to userspace,
 * behind TIF_NOTIFY_RESUME.  KVM runs it in its run loop; nothing the
 * kernel exports for that takes anything but a struct kvm_vcpu, so minihv
 * leaves KVM_RUN with -EINTR (KVM_EXIT_INTR) for it, as for a signal.
 * TIF_NOTIFY_RESUME alone (rseq's after a context switch) waits there.
 */
static inline bool minihv_task_work_pending(unsigned long ti_flags)
{
	return unlikely(ti_flags & _TIF_NOTIFY_RESUME) &&
	       task_work_pending(current);
}

/*
 * The backend's return to IRQs on after minihv_guest_exit().  The
 * interrupt that made the exit (the tick, most often) is taken while the
 * task still counts as in the guest (PF_VCPU): its time is guest time in
 * /proc/stat, as with KVM.  STI opens the window only after the next
 * instruction (its interrupt shadow): with CLI right behind it, no
 * interrupt would get in.  Paravirt kernels pad the patched STI with NOPs;
 * the NOP here makes it so everywhere.
 */
static inline void minihv_guest_irq_window(void)
{
	local_irq_enable();
	asm volatile("nop");
	local_irq_disable();
	vtime_account_guest_exit();
	local_irq_enable();
}

/* kmod/spec.c: speculative-execution mitigations, decided at load. */
DECLARE_STATIC_KEY_FALSE(minihv_l1d_flush_key);
int minihv_l1d_flush_setup(bool ept);
void minihv_l1d_flush_unsetup(void);
void __minihv_l1d_flush(struct minihv_vcpu *vcpu);
void minihv_spec_fill_info(struct minihv_info *info);
int minihv_spec_get_msr(struct minihv_vcpu *vcpu, u32 index, u64 *data);
int minihv_spec_set_msr(struct minihv_vcpu *vcpu, u32 index, u64 data,
			bool host);

/* Right before VM entry, IRQs off: L1TF (VMX with EPT). */
static __always_inline void minihv_l1d_flush(struct minihv_vcpu *vcpu)
{
	if (static_branch_unlikely(&minihv_l1d_flush_key))
		__minihv_l1d_flush(vcpu);
}

/*
 * Whether entries flush the L1D: then, after an exit whose handler may
 * touch more than the vCPU's own state, the backend sets vcpu->l1d.req.
 */
static __always_inline bool minihv_l1d_flush_on(void)
{
	return static_branch_unlikely(&minihv_l1d_flush_key);
}

/* kmod/cpuid.c */
long minihv_get_supported_cpuid(struct kvm_cpuid2 __user *user);
void minihv_vcpu_free(struct minihv_vcpu *vcpu);

/* kmod/debugfs.c: /sys/kernel/debug/minihv; failures are never fatal. */
void minihv_debugfs_init(void);
void minihv_debugfs_exit(void);
void minihv_debugfs_vm_add(struct minihv_vm *vm, int fd);
void minihv_debugfs_vm_remove(struct minihv_vm *vm);
void minihv_debugfs_vcpu_add(struct minihv_vcpu *vcpu);
void minihv_debugfs_vcpu_remove(struct minihv_vcpu *vcpu);

/*
 * kmod/stats.c: times, histograms, MINIHV_GET_STATS.  The hooks the
 * backends call around each round trip are inline, in kmod/stats.h.
 */
void minihv_stats_init(void);
int minihv_stats_vcpu_alloc(struct minihv_vcpu *vcpu);
void minihv_stats_vcpu_free(struct minihv_vcpu *vcpu);
void minihv_stats_run_begin(struct minihv_vcpu *vcpu);
void minihv_stats_run_end(struct minihv_vcpu *vcpu, int r);
void minihv_trace_exit(struct minihv_vcpu *vcpu, int r);
void minihv_trace_exit_info(struct minihv_vcpu *vcpu,
			    const struct minihv_exit_info *e);
void minihv_stats_read(struct minihv_vm *vm, int vcpu_id,
		       struct minihv_stats *st);
long minihv_get_stats(struct minihv_vm *vm,
		      struct minihv_stats_req __user *ureq);

/*
 * What the MSR handlers (the backend's get_msr/set_msr, the in-kernel
 * APIC's, kmod/spec.c's, kmod/msr.c's) return besides 0 (done) and a
 * negative number (a value or MSR refused: #GP for the guest, the end of
 * KVM_SET_MSRS for userspace).
 */
#define MINIHV_MSR_UNHANDLED	1	/* not its MSR: the next handler's */
/* Done; exit to userspace now (an EOI for userspace's IOAPIC). */
#define MINIHV_MSR_USER_EXIT	2

/* ->vcpu_run(): the guest exited, ->handle_exit() is next. */
#define MINIHV_RUN_EXITED	2

/*
 * Exit handlers have one signature, int (*)(struct minihv_vcpu *), so
 * that the backends' tables point straight at common ones (as KVM's): 1
 * to re-enter the guest, 0 to go to userspace (run->exit_reason set),
 * < 0 for an error.  The backend caches what a handler may need of the
 * exit (vcpu->exit_len, its own exit information) before it calls one.
 */

/* RIP after the instruction that caused the exit. */
static inline u64 minihv_next_rip(struct minihv_vcpu *vcpu)
{
	return vcpu->rip + vcpu->exit_len;
}

/* The one way an exit handler completes an instruction: 1, re-enter. */
static inline int minihv_skip_instruction(struct minihv_vcpu *vcpu)
{
	vcpu->rip += vcpu->exit_len;
	return 1;
}

/* kmod/cpuid.c: CPUID exits. */
int minihv_exit_cpuid(struct minihv_vcpu *vcpu);
const struct kvm_cpuid_entry2 *minihv_find_cpuid(struct minihv_vcpu *vcpu,
						  u32 fn, u32 index);

/* kmod/msr.c: RDMSR/WRMSR exits, and KVM_GET/SET_MSRS's access. */
int minihv_exit_rdmsr(struct minihv_vcpu *vcpu);
int minihv_exit_wrmsr(struct minihv_vcpu *vcpu);
int minihv_get_msr(struct minihv_vcpu *vcpu, u32 index, u64 *data);
int minihv_set_msr(struct minihv_vcpu *vcpu, u32 index, u64 data, bool host);

/* kmod/exit.c: exit handling shared by both backends. */
int minihv_exit_nop(struct minihv_vcpu *vcpu);
int minihv_exit_ud(struct minihv_vcpu *vcpu);
int minihv_exit_wbinvd(struct minihv_vcpu *vcpu);
int minihv_exit_hypercall(struct minihv_vcpu *vcpu);
int minihv_exit_rdpmc(struct minihv_vcpu *vcpu);
int minihv_exit_hlt(struct minihv_vcpu *vcpu);
int minihv_handle_hlt(struct minihv_vcpu *vcpu, u64 next_rip);
int minihv_exit_shutdown(struct minihv_vcpu *vcpu);
int minihv_exit_triple_fault(struct minihv_vcpu *vcpu);
int minihv_exit_fail_entry(struct minihv_vcpu *vcpu, u64 reason);
int minihv_exit_internal(struct minihv_vcpu *vcpu, u32 suberror,
			 unsigned int ndata, const u64 *data);

/* kmod/emulate.c: the instruction emulator (PIO, MMIO, CR8). */
int minihv_handle_io(struct minihv_vcpu *vcpu, u16 port, u8 size, bool in,
		     bool string, bool rep, u64 next_rip);
int minihv_handle_mmio(struct minihv_vcpu *vcpu, u64 gpa);
bool minihv_insn_is_hlt(struct minihv_vcpu *vcpu);
u64 minihv_get_cr8(struct minihv_vcpu *vcpu);
int minihv_set_cr8(struct minihv_vcpu *vcpu, u64 cr8);
int minihv_handle_cr8_write(struct minihv_vcpu *vcpu, u64 val, u64 next_rip);
int minihv_emulate_cr8_write(struct minihv_vcpu *vcpu);
void minihv_complete_pending(struct minihv_vcpu *vcpu);
int minihv_gva_to_gpa(struct minihv_vcpu *vcpu, u64 gva, bool write,
		      u64 *gpa);

/*
 * kmod/x86.c: the architecture, once for both backends.
 *
 * The guest's paging controls as the guest sees them: what KVM_GET_SREGS
 * shows, whatever the hardware runs with (a shadow root in CR3, PG and
 * PAE forced on, EFER.SVME).  The backends keep them where their
 * hardware wants them and exchange them through ->get_crs/->set_crs.
 */
struct minihv_crs {
	u64 cr0;
	u64 cr3;
	u64 cr4;
	u64 efer;
};

#define MINIHV_EFER_ALLOWED	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

/*
 * What the backend's hardware cannot run, whatever the guest's CPUID
 * says; set once by its setup (VMX's fixed bits, LA57 under shadow
 * paging, a CPU without "IA-32e mode guest").
 */
extern u64 minihv_hw_cr0_reserved;
extern u64 minihv_hw_cr4_reserved;
extern bool minihv_hw_long_mode;

bool minihv_cr0_valid(u64 cr0);
bool minihv_cr4_valid(struct minihv_vcpu *vcpu, u64 cr4);
bool minihv_sregs_valid(struct minihv_vcpu *vcpu,
			const struct kvm_sregs *sregs);
bool minihv_pat_valid(u64 pat);
bool minihv_canonical(u64 addr);
void minihv_x86_after_set_cpuid(struct minihv_vcpu *vcpu);

void minihv_load_pdptrs(struct minihv_vcpu *vcpu,
			const struct minihv_crs *crs, u64 *pdpte);
u64 minihv_get_cr(struct minihv_vcpu *vcpu, int cr);
u64 minihv_get_efer(struct minihv_vcpu *vcpu);
int minihv_set_cr(struct minihv_vcpu *vcpu, int cr, u64 val);
int minihv_clts(struct minihv_vcpu *vcpu);
int minihv_lmsw(struct minihv_vcpu *vcpu, u16 val);
int minihv_set_efer(struct minihv_vcpu *vcpu, u64 efer, bool host);
struct minihv_insn;
int minihv_emulate_cr(struct minihv_vcpu *vcpu, const struct minihv_insn *in);

/* DR6 and DR7 at reset, and the bits that always read 1. */
#define MINIHV_DR6_FIXED_1	0xffff0ff0ULL
#define MINIHV_DR7_FIXED_1	0x400ULL
int minihv_emulate_dr(struct minihv_vcpu *vcpu, int dr, bool write, u64 *val);

void minihv_queue_exception(struct minihv_vcpu *vcpu, u8 vector,
			    bool has_error, u32 error);
void minihv_inject_page_fault(struct minihv_vcpu *vcpu, u64 cr2, u32 error);

static inline void minihv_queue_ud(struct minihv_vcpu *vcpu)
{
	minihv_queue_exception(vcpu, 6, false, 0);
}

static inline void minihv_queue_gp(struct minihv_vcpu *vcpu, u32 error)
{
	minihv_queue_exception(vcpu, 13, true, error);
}

/* A fault hit the delivery of a #DF: shut down (minihv_exit_triple_fault). */
static inline void minihv_request_triple_fault(struct minihv_vcpu *vcpu)
{
	vcpu->triple_fault = true;
}

#endif /* MINIHV_MINIHV_H */
