/* SPDX-License-Identifier: GPL-2.0 */
/* minihv: SVM backend internals shared by svm.c and guest.c. */
#ifndef MINIHV_SVM_H
#define MINIHV_SVM_H

#include <linux/percpu.h>
#include <linux/types.h>
#include <asm/svm.h>

#include "minihv.h"
#include "mmu.h"
#include "tdp.h"

/* Per physical CPU. */
struct svm_cpu {
	struct page *hsave;		/* VM_HSAVE_PA */
	struct page *host_save;		/* VMSAVE area for the host */
	u32 next_asid;			/* ASID allocator, see guest.c */
	u64 asid_generation;
	bool on;			/* EFER.SVME set by minihv */
};

DECLARE_PER_CPU(struct svm_cpu, svm_cpu);

extern u32 svm_max_asid;
extern bool svm_npt;			/* NPT usable and enabled */

/* Per VM. */
struct svm_vm {
	struct minihv_tdp npt;
};

/*
 * Shadow paging (npt=0): the guest's own view of its paging controls;
 * the VMCB holds what the CPU runs with (see shadow.c).
 */
struct svm_shadow {
	struct minihv_shadow mmu;
	struct minihv_crs crs;		/* EFER without SVME */
	s64 gen;			/* of the memory slots, last synced */
};

/*
 * What a VMRUN that fails its consistency checks (VMEXIT_INVALID) may have
 * overwritten in the save area: QEMU's TCG stores its current state there,
 * by then the host's (RIP, RSP, CR3, segments).  Copied before each VMRUN
 * and put back after a failed one (see svm_vcpu_run()), so that userspace
 * reads the refused guest state, never the host's.
 */
struct svm_entry_save {
	struct vmcb_seg seg[10];	/* ES CS SS DS FS GS GDTR LDTR IDTR TR */
	u64 efer;
	u64 cr0;
	u64 cr2;
	u64 cr3;
	u64 cr4;
	u64 dr6;
	u64 dr7;
	u8 cpl;
	u32 event_inj;
	u32 event_inj_err;
};

/* Per vCPU. */
struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	int cpu;			/* where it last ran, -1 never */
	u32 asid;
	u64 asid_generation;
	s64 tlb_gen;			/* of the NPT, last flushed */
	u32 event_inj;			/* to inject at the next VMRUN */
	u32 event_inj_err;
	int virq;			/* interrupt for V_IRQ, -1 none */
	u64 apic_base;
	u64 tsc_aux;			/* loaded as a user-return MSR */
	u64 exit_rip;			/* RIP at the last exit */
	u64 exit_code;			/* of the last exit (svm_handle_exit()) */
	bool nmi_masked;		/* NMI injected, its IRET not retired */
	bool nmi_iret;			/* that IRET intercepted, at ... */
	u64 nmi_iret_rip;		/* ... this RIP */
	bool nmi_step;			/* TF set to see the IRET retire */
	struct svm_shadow sp;		/* npt=0 only, see shadow.c */
	struct svm_entry_save entry;	/* the state of the last VMRUN */
	u64 db[4];			/* the guest's DR0-3 (see exit_dr()) */
	bool db_loaded;			/* in the CPU for this entry */
};

static inline struct svm_vm *to_svm_vm(struct minihv_vm *vm)
{
	return vm->arch;
}

static inline struct svm_vcpu *to_svm(struct minihv_vcpu *vcpu)
{
	return vcpu->arch;
}

#define DR7_BP_ENABLES	0xffULL		/* L0-3, G0-3 */

/* An interrupt window is armed (the VINTR intercept). */
static inline bool svm_window_armed(const struct vmcb_control_area *c)
{
	return c->intercepts[INTERCEPT_VINTR / 32] & BIT(INTERCEPT_VINTR % 32);
}

static inline void svm_set_intercept(struct vmcb_control_area *c, int bit,
				     bool on)
{
	if (on)
		c->intercepts[bit / 32] |= BIT(bit % 32);
	else
		c->intercepts[bit / 32] &= ~BIT(bit % 32);
}

/* guest.c: what exit.c and run.c share with it. */
extern bool svm_tsc_aux;
void svm_cancel_window(struct vmcb_control_area *c);

void __svm_vcpu_run(u64 vmcb_pa, u64 *regs, u64 host_save_pa,
		    u64 spec_ctrl);

int svm_vm_init(struct minihv_vm *vm);
void svm_vm_destroy(struct minihv_vm *vm);
void svm_vm_zap(struct minihv_vm *vm);
int svm_vcpu_create(struct minihv_vcpu *vcpu);
void svm_vcpu_free(struct minihv_vcpu *vcpu);
int svm_vcpu_run(struct minihv_vcpu *vcpu);
int svm_handle_exit(struct minihv_vcpu *vcpu);
void svm_get_sregs(struct minihv_vcpu *vcpu, struct kvm_sregs *sregs);
int svm_set_sregs(struct minihv_vcpu *vcpu, const struct kvm_sregs *sregs);
int svm_get_msr(struct minihv_vcpu *vcpu, u32 index, u64 *data);
int svm_set_msr(struct minihv_vcpu *vcpu, u32 index, u64 data, bool host);
void svm_get_crs(struct minihv_vcpu *vcpu, struct minihv_crs *crs);
int svm_set_crs(struct minihv_vcpu *vcpu, const struct minihv_crs *old,
		const struct minihv_crs *crs, const u64 *pdptrs);
void svm_reset_mmu(struct minihv_vcpu *vcpu);
void svm_set_cr2(struct minihv_vcpu *vcpu, u64 cr2);
int svm_get_cpl(struct minihv_vcpu *vcpu);
u64 svm_get_dr(struct minihv_vcpu *vcpu, int dr);
void svm_set_dr(struct minihv_vcpu *vcpu, int dr, u64 val);
void svm_queue_exception(struct minihv_vcpu *vcpu, u8 vector,
			 bool has_error, u32 error);
int svm_queued_exception(struct minihv_vcpu *vcpu);
void svm_cancel_event(struct minihv_vcpu *vcpu);
bool svm_interrupt_allowed(struct minihv_vcpu *vcpu);
bool svm_nmi_allowed(struct minihv_vcpu *vcpu);
void svm_inject_irq(struct minihv_vcpu *vcpu, u8 vector);
void svm_inject_nmi(struct minihv_vcpu *vcpu);
void svm_request_window(struct minihv_vcpu *vcpu, bool nmi);
void svm_vcpu_reset(struct minihv_vcpu *vcpu);
const char *svm_exit_name(unsigned int reason);

/* shadow.c: shadow paging, when svm_npt is off. */
void svm_shadow_init(struct minihv_vcpu *vcpu);
void svm_shadow_free(struct minihv_vcpu *vcpu);
int svm_shadow_prepare(struct minihv_vcpu *vcpu);
void svm_shadow_set_crs(struct minihv_vcpu *vcpu,
			const struct minihv_crs *crs);
void svm_shadow_reset(struct minihv_vcpu *vcpu);
int svm_shadow_exit_pf(struct minihv_vcpu *vcpu);
int svm_shadow_exit_invlpg(struct minihv_vcpu *vcpu);
struct minihv_insn;
int svm_decode_insn(struct minihv_vcpu *vcpu, struct minihv_insn *in);
int svm_guest_setup(void);
void svm_guest_unsetup(void);

#endif /* MINIHV_SVM_H */
