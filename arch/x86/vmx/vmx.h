/* SPDX-License-Identifier: GPL-2.0 */
/* minihv: VMX backend internals shared by vmx.c, guest.c and vmenter.S. */
#ifndef MINIHV_VMX_H
#define MINIHV_VMX_H

/* __vmx_vcpu_run() results, besides 0 (a VM exit happened). */
#define VMX_RUN_FAIL_VALID	1	/* VMfailValid: VM_INSTRUCTION_ERROR */
#define VMX_RUN_FAIL_INVALID	2	/* VMfailInvalid: no current VMCS */
#define VMX_RUN_FAULT		3	/* VMLAUNCH/VMRESUME faulted (VMX off) */

/* asm/vmx.h's HOST_RSP, for vmenter.S (checked in guest.c). */
#define VMX_HOST_RSP_FIELD	0x6c14

#ifndef __ASSEMBLY__

#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/types.h>
#include <asm/asm.h>
#include <asm/vmx.h>

#include "minihv.h"
#include "mmu.h"
#include "tdp.h"

/*
 * What the probe found (vmx.c): the controls every VMCS uses, already
 * adjusted to the capability MSRs, and the CR0/CR4 bits VMX fixes.
 */
struct vmx_config {
	bool usable;			/* every required control is there */
	bool ept_ug;			/* EPT and unrestricted guest */
	const char *missing;		/* first required thing missing */
	u32 pin, proc, proc2, exit, entry;
	u32 entry_ia32e;		/* VM_ENTRY_IA32E_MODE if allowed */
	bool msr_bitmap, vpid;
	bool rdtscp;			/* "enable RDTSCP": IA32_TSC_AUX is switched */
	bool ple;			/* PAUSE-loop exiting */
	bool vnmi;			/* virtual NMIs, NMI-window exiting */
	int ept_levels;
	bool invept_single, invvpid_single, invvpid_all;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

extern struct vmx_config vmx_cfg;
extern u32 vmx_vmcs_revision;

/* Per physical CPU. */
struct vmx_cpu {
	bool on;			/* in VMX operation (VMXON done) */
	struct list_head loaded;	/* vmx_vcpu.loaded_node, VMCSs active here */
	struct vmx_vcpu *current_vcpu;	/* whose VMCS is current (VMPTRLD) */
};

DECLARE_PER_CPU(struct vmx_cpu, vmx_cpu);

/* Per VM. */
struct vmx_vm {
	struct minihv_tdp ept;
	u64 eptp;
};

/* Per vCPU. */
/* Shadow paging (ept=0): the guest's CR3 and EFER; see shadow.c. */
struct vmx_shadow {
	struct minihv_shadow mmu;
	u64 cr3;
	u64 efer;
	u64 loaded_root;		/* in GUEST_CR3 */
	s64 gen;			/* of the memory slots, last synced */
};

/*
 * Real mode without unrestricted guest (ept=0): virtual-8086 mode, see
 * realmode.c.  The VMCS holds v86 segments; the guest's own real-mode
 * view of them, and its TR, are kept here.
 */
struct vmx_rmode {
	bool vm86;			/* CR0.PE=0: the guest runs in v86 mode */
	bool unreal;			/* a segment limit above 64 KiB */
	u8 bad;				/* BIT(SEG_*): v86 cannot hold its base */
	u16 sel[6];			/* the v86 selectors put in the VMCS */
	struct kvm_segment seg[6];	/* the guest's ES, CS, SS, DS, FS, GS */
	struct kvm_segment tr;		/* and TR */
	bool tss_mapped;		/* minihv's TSS is in the shadow tree */
	u64 tss_zaps;			/* as of this many zaps */
};

#define DR7_BP_ENABLES	0xffULL		/* L0-3, G0-3 */
/* DR6, as KVM's for a guest without RTM or bus-lock detection. */
#define DR6_RESET	MINIHV_DR6_FIXED_1	/* = the host's DR6_RESERVED */

/* The last exit, read by vmx_read_exit(). */
struct vmx_exit {
	u32 reason;
	u64 qual;
	u32 len;		/* VM_EXIT_INSTRUCTION_LEN */
	u32 intr_info;		/* VM_EXIT_INTR_INFO */
	u64 gpa;		/* EPT exits */
};

struct vmx_vcpu {
	struct minihv_vcpu *vcpu;
	void *vmcs;
	u64 vmcs_pa;
	int cpu;			/* where the VMCS is active, -1 none */
	bool launched;			/* VMLAUNCH done since the VMCLEAR */
	bool initialized;		/* VMCS fields written */
	bool need_flush;		/* INVEPT/INVVPID before the next entry */
	struct list_head loaded_node;
	u16 vpid;
	s64 tlb_gen;			/* of the EPT, last flushed */
	struct vmx_exit exit;

	/* Registers VMX does not switch. */
	u64 cr2;
	u64 kernel_gs_base, star, lstar, cstar, sfmask;
	u64 tsc_aux;			/* in the CPU only if vmx_cfg.rdtscp */
	/* The guest's debug registers (exit_dr()); DR7 also in GUEST_DR7. */
	u64 db[4], dr6, dr7;

	/*
	 * CR0/CR4 as the guest sees them.  With EPT the guest owns most
	 * bits (PE, PG, PAE...) and changes them without an exit: after
	 * an exit these are stale (crs_stale) until vmx_sync_crs().
	 */
	u64 cr0, cr4;
	bool crs_stale;
	u64 cr4_host_mask;		/* CR4_GUEST_HOST_MASK */
	struct vmx_shadow sp;		/* ept=0 only, see shadow.c */
	struct vmx_rmode rm;		/* ept=0 only, see realmode.c */
	u64 rflags_set;			/* forced in GUEST_RFLAGS: v86's VM, IOPL */

	u32 event_inj;			/* VM_ENTRY_INTR_INFO_FIELD to write */
	u32 event_inj_err;
	u64 entry_rip;			/* RIP at the last exit */
	u32 intr_state;			/* GUEST_INTERRUPTIBILITY_INFO then */
	u64 apic_base;
	u64 tsc_offset;
	u32 proc;			/* CPU_BASED_VM_EXEC_CONTROL now */
	bool irq_window, nmi_window;	/* wanted at the next entry */
};
static inline struct vmx_vm *to_vmx_vm(struct minihv_vm *vm)
{
	return vm->arch;
}

static inline struct vmx_vcpu *to_vmx(struct minihv_vcpu *vcpu)
{
	return vcpu->arch;
}

/* Segment registers, in the order of the VMCS field encodings. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

/* Field encodings: each kind is consecutive in x86 segment order. */
static inline unsigned long vmx_seg_field(unsigned long es_field, int seg)
{
	return es_field + 2 * seg;
}

int __vmx_vcpu_run(u64 *regs, bool launched, u64 spec_ctrl);
void vmx_vmexit(void);

/* Loaded-VMCS bookkeeping: VMCLEAR everything active on this CPU. */
void vmx_clear_all_loaded(void);

int vmx_vm_init(struct minihv_vm *vm);
void vmx_vm_destroy(struct minihv_vm *vm);
void vmx_vm_zap(struct minihv_vm *vm);
int vmx_vcpu_create(struct minihv_vcpu *vcpu);
void vmx_vcpu_free(struct minihv_vcpu *vcpu);
int vmx_vcpu_run(struct minihv_vcpu *vcpu);
int vmx_handle_exit(struct minihv_vcpu *vcpu);
void vmx_get_sregs(struct minihv_vcpu *vcpu, struct kvm_sregs *sregs);
int vmx_set_sregs(struct minihv_vcpu *vcpu, const struct kvm_sregs *sregs);
int vmx_get_msr(struct minihv_vcpu *vcpu, u32 index, u64 *data);
int vmx_set_msr(struct minihv_vcpu *vcpu, u32 index, u64 data, bool host);
void vmx_queue_exception(struct minihv_vcpu *vcpu, u8 vector,
			 bool has_error, u32 error);
bool vmx_interrupt_allowed(struct minihv_vcpu *vcpu);
bool vmx_nmi_allowed(struct minihv_vcpu *vcpu);
void vmx_inject_irq(struct minihv_vcpu *vcpu, u8 vector);
void vmx_inject_nmi(struct minihv_vcpu *vcpu);
void vmx_request_window(struct minihv_vcpu *vcpu, bool nmi);
void vmx_vcpu_reset(struct minihv_vcpu *vcpu);
int vmx_queued_exception(struct minihv_vcpu *vcpu);
void vmx_cancel_event(struct minihv_vcpu *vcpu);
void vmx_set_cr2(struct minihv_vcpu *vcpu, u64 cr2);
int vmx_get_cpl(struct minihv_vcpu *vcpu);
u64 vmx_get_dr(struct minihv_vcpu *vcpu, int dr);
void vmx_set_dr(struct minihv_vcpu *vcpu, int dr, u64 val);
void vmx_get_crs(struct minihv_vcpu *vcpu, struct minihv_crs *crs);
int vmx_set_crs(struct minihv_vcpu *vcpu, const struct minihv_crs *old,
		const struct minihv_crs *crs, const u64 *pdptrs);
void vmx_reset_mmu(struct minihv_vcpu *vcpu);
void vmx_after_set_cpuid(struct minihv_vcpu *vcpu);
const char *vmx_exit_name(unsigned int reason);
int vmx_guest_setup(void);
bool vmx_get(struct minihv_vcpu *vcpu);
void vmx_put(void);
void vmx_clear_here(void *info);
void vmx_sync_crs(struct vmx_vcpu *vmx);
void vmx_reset_guest(struct minihv_vcpu *vcpu);
void vmx_init_vmcs(struct minihv_vcpu *vcpu);

/* shadow.c: shadow paging, when vmx_cfg.ept_ug is off. */
void vmx_shadow_init_vmcs(struct minihv_vcpu *vcpu);
void vmx_shadow_set_state(struct minihv_vcpu *vcpu, u64 cr3, u64 efer);
void vmx_shadow_free(struct minihv_vcpu *vcpu);
int vmx_shadow_prepare(struct minihv_vcpu *vcpu);
int vmx_shadow_set_crs(struct minihv_vcpu *vcpu, const struct minihv_crs *old,
		       const struct minihv_crs *crs);
void vmx_shadow_reset(struct minihv_vcpu *vcpu);
int vmx_shadow_exit_pf(struct minihv_vcpu *vcpu, u64 cr2, u32 error);
int vmx_shadow_exit_invlpg(struct minihv_vcpu *vcpu, u64 gva, u32 len);
void vmx_guest_unsetup(void);

/* guest.c: segments in the VMCS <-> kvm_segment.  VMCS loaded. */
void vmx_get_seg(int seg, struct kvm_segment *k);
void vmx_set_seg(int seg, const struct kvm_segment *k);

/* realmode.c: real mode in virtual-8086 mode, when vmx_cfg.ept_ug is off. */
int vmx_rm_setup(void);
void vmx_rm_unsetup(void);
void vmx_rm_enter(struct minihv_vcpu *vcpu);
void vmx_rm_leave(struct minihv_vcpu *vcpu, bool fix);
void vmx_rm_get_segs(struct minihv_vcpu *vcpu, struct kvm_sregs *sregs);
int vmx_rm_prepare(struct minihv_vcpu *vcpu);
int vmx_rm_exception(struct minihv_vcpu *vcpu, u32 intr_info, u32 len);

/*
 * VMX instructions.  A fault (VMX turned off under us by a reboot) is
 * caught and reads as a failure, like KVM, rather than an oops.
 */
static inline u64 vmcs_read(unsigned long field)
{
	u64 value = 0;

	asm volatile("1: vmread %[field], %[value]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [value] "+r" (value) : [field] "r" (field) : "cc");
	return value;
}

void vmcs_write_error(unsigned long field, u64 value);

static inline void vmcs_write(unsigned long field, u64 value)
{
	u8 fail = 1;

	asm volatile("1: vmwrite %[value], %[field]\n\t"
		     "setna %[fail]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [fail] "+qm" (fail)
		     : [value] "rm" (value), [field] "r" (field)
		     : "cc", "memory");
	if (unlikely(fail))
		vmcs_write_error(field, value);
}

static inline bool vmcs_clear(u64 pa)
{
	u8 fail = 1;

	asm volatile("1: vmclear %[pa]\n\t"
		     "setna %[fail]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [fail] "+qm" (fail) : [pa] "m" (pa) : "cc", "memory");
	return !fail;
}

static inline bool vmcs_load(u64 pa)
{
	u8 fail = 1;

	asm volatile("1: vmptrld %[pa]\n\t"
		     "setna %[fail]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [fail] "+qm" (fail) : [pa] "m" (pa) : "cc", "memory");
	return !fail;
}

#endif /* __ASSEMBLY__ */
#endif /* MINIHV_VMX_H */
