// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the Intel VMX backend.
 *
 * Turning VMX on for a CPU: CR4.VMXE, then VMXON with the physical address
 * of a 4 KiB "VMXON region" whose first word is the VMCS revision id from
 * IA32_VMX_BASIC.  Off: VMXOFF, CR4.VMXE clear.  A CPU in VMX operation
 * blocks INIT, so a crashing kernel must VMXOFF every CPU before it boots a
 * kdump kernel or resets: that is the emergency callback below.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <asm/asm.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <asm/reboot.h>
#include <asm/tlbflush.h>
#include <asm/virtext.h>
#include <asm/vmx.h>

#include "vmx.h"

static bool ept = true;
module_param(ept, bool, 0444);
MODULE_PARM_DESC(ept, "Use EPT when the CPU has it (default 1; 0 = shadow paging)");

static u64 vmx_basic;
u32 vmx_vmcs_revision;
struct vmx_config vmx_cfg;
DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu);
static u32 vmx_procbased2_allowed1;	/* allowed-1 of secondary controls */
static u64 vmx_ept_vpid_cap;
static DEFINE_PER_CPU(struct page *, vmxon_region);
static bool vmx_emergency_registered;

static int vmx_setup(void)
{
	unsigned int cpu;

	/* L1TF: guests with EPT map their own page tables (kmod/spec.c). */
	if (minihv_l1d_flush_setup(vmx_cfg.ept_ug))
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct page *page = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);
		if (!page)
			goto out_free;
		*(u32 *)page_address(page) = vmx_vmcs_revision;
		per_cpu(vmxon_region, cpu) = page;
		INIT_LIST_HEAD(&per_cpu(vmx_cpu, cpu).loaded);
	}
	if (!vmx_guest_setup())
		return 0;

out_free:
	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_region, cpu))
			__free_page(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
	minihv_l1d_flush_unsetup();
	return -ENOMEM;
}

static void vmx_unsetup(void)
{
	unsigned int cpu;

	vmx_guest_unsetup();
	for_each_possible_cpu(cpu) {
		__free_page(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
	minihv_l1d_flush_unsetup();
}

static int vmx_cpu_enable(void)
{
	u64 pa = page_to_phys(__this_cpu_read(vmxon_region));
	u64 feat;
	u8 fail = 1;

	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;	/* another hypervisor */

	/* The MSR is per core: firmware could have left one CPU unlocked. */
	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat) ||
	    !(feat & FEAT_CTL_LOCKED) ||
	    !(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX))
		return -EIO;

	cr4_set_bits(X86_CR4_VMXE);
	/* fail stays 1 on a fault; else VMfailInvalid (CF=1) sets it. */
	asm volatile("1: vmxon %[pa]\n\t"
		     "setbe %[fail]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [fail] "+qm" (fail) : [pa] "m" (pa) : "cc", "memory");
	if (fail) {
		cr4_clear_bits(X86_CR4_VMXE);
		return -EIO;
	}
	__this_cpu_write(vmx_cpu.current_vcpu, NULL);
	__this_cpu_write(vmx_cpu.on, true);
	return 0;
}

/*
 * VMCLEAR every VMCS active on this CPU (IRQs off), so that its data is
 * in memory and the vCPU can be loaded elsewhere: before VMXOFF, a VMCS
 * left active could be lost.
 */
void vmx_clear_all_loaded(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	struct vmx_vcpu *vmx, *tmp;

	list_for_each_entry_safe(vmx, tmp, &vc->loaded, loaded_node) {
		vmcs_clear(vmx->vmcs_pa);
		list_del_init(&vmx->loaded_node);
		vmx->launched = false;
		/* Pairs with the READ_ONCE() in guest.c's vmx_load(). */
		smp_wmb();
		WRITE_ONCE(vmx->cpu, -1);
	}
	vc->current_vcpu = NULL;
}

static void vmx_cpu_disable(void)
{
	vmx_clear_all_loaded();
	__this_cpu_write(vmx_cpu.on, false);
	/* VMXOFF, eating a fault, and CR4.VMXE off. */
	cpu_vmxoff();
}

/* Crash or emergency reboot, any context, on every CPU (NMI). */
static void vmx_emergency_disable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	struct vmx_vcpu *vmx;

	/* Best effort: the VMCSs to memory (kdump), then VMXOFF. */
	if (vc->on && vc->loaded.next)
		list_for_each_entry(vmx, &vc->loaded, loaded_node)
			vmcs_clear(vmx->vmcs_pa);
	vc->on = false;
	__cpu_emergency_vmxoff();
}

/*
 * The kernel has one emergency-virtualization callback slot, and
 * kvm_intel fills it at load.  Its callback VMXOFFs whichever hypervisor
 * has VMX on, minihv included, so while kvm.ko is loaded minihv leaves the
 * slot alone (filling a taken slot WARNs).  Otherwise minihv holds it while
 * it has VMX on.  Load kvm_intel while no minihv VM exists.
 */
static void vmx_hw_first(void)
{
	void *kvm_present = __symbol_get("kvm_rebooting");

	if (kvm_present) {
		__symbol_put("kvm_rebooting");
		return;
	}
	cpu_emergency_register_virt_callback(vmx_emergency_disable);
	vmx_emergency_registered = true;
}

static void vmx_hw_last(void)
{
	if (!vmx_emergency_registered)
		return;
	cpu_emergency_unregister_virt_callback(vmx_emergency_disable);
	vmx_emergency_registered = false;
}

static void vmx_fill_info(struct minihv_info *info)
{
	info->vmcs_revision = vmx_vmcs_revision;
	if (vmx_cfg.ept_ug)		/* else shadow paging */
		info->flags |= MINIHV_INFO_TDP;
	if (vmx_procbased2_allowed1 & SECONDARY_EXEC_ENABLE_VPID) {
		info->flags |= MINIHV_INFO_VPID;
		info->nr_asids = (1 << 16) - 1;	/* VPIDs 1..0xffff */
	}
	if (vmx_procbased2_allowed1 & SECONDARY_EXEC_UNRESTRICTED_GUEST)
		info->flags |= MINIHV_INFO_UG;
	if (pgtable_l5_enabled())
		info->flags |= MINIHV_INFO_HOST_LA57;
}

static const struct minihv_vendor_ops vmx_ops = {
	.name		= "vmx",
	.vendor		= MINIHV_VENDOR_VMX,
	.setup		= vmx_setup,
	.unsetup	= vmx_unsetup,
	.cpu_enable	= vmx_cpu_enable,
	.cpu_disable	= vmx_cpu_disable,
	.hw_first	= vmx_hw_first,
	.hw_last	= vmx_hw_last,
	.fill_info	= vmx_fill_info,
	.exit_name	= vmx_exit_name,
	.vm_init	= vmx_vm_init,
	.vm_destroy	= vmx_vm_destroy,
	.vm_zap		= vmx_vm_zap,
	.vcpu_create	= vmx_vcpu_create,
	.vcpu_free	= vmx_vcpu_free,
	.vcpu_run	= vmx_vcpu_run,
	.handle_exit	= vmx_handle_exit,
	.get_sregs	= vmx_get_sregs,
	.set_sregs	= vmx_set_sregs,
	.get_msr	= vmx_get_msr,
	.set_msr	= vmx_set_msr,
	.get_crs	= vmx_get_crs,
	.set_crs	= vmx_set_crs,
	.reset_mmu	= vmx_reset_mmu,
	.set_cr2	= vmx_set_cr2,
	.queue_exception = vmx_queue_exception,
	.queued_exception = vmx_queued_exception,
	.cancel_event	= vmx_cancel_event,
	.get_cpl	= vmx_get_cpl,
	.get_dr		= vmx_get_dr,
	.set_dr		= vmx_set_dr,
	.after_set_cpuid = vmx_after_set_cpuid,
	.interrupt_allowed = vmx_interrupt_allowed,
	.nmi_allowed	= vmx_nmi_allowed,
	.inject_irq	= vmx_inject_irq,
	.inject_nmi	= vmx_inject_nmi,
	.request_window	= vmx_request_window,
	.vcpu_reset	= vmx_vcpu_reset,
};

/*
 * One control word: @want must be allowed to be 1, @opt is used when it
 * is, and whatever the CPU forces to 1 is added.  The capability MSR has
 * the allowed-0 settings in its low half, the allowed-1 in the high half.
 */
static u32 vmx_adjust(u32 msr, u32 true_msr, u32 want, u32 opt,
		      const char *what)
{
	u64 cap;

	rdmsrl((vmx_basic & VMX_BASIC_TRUE_CTLS) ? true_msr : msr, cap);
	if ((want & ~(u32)(cap >> 32)) && !vmx_cfg.missing)
		vmx_cfg.missing = what;
	return ((want | opt) & (u32)(cap >> 32)) | (u32)cap;
}

/*
 * The controls every VMCS uses.  Anything required that is missing makes
 * VM creation fail (vmx_vm_init()) with one message, never an entry.
 */
static void vmx_setup_config(void)
{
	struct vmx_config *c = &vmx_cfg;
	u64 cap, ept_cap = vmx_ept_vpid_cap;

	c->pin = vmx_adjust(MSR_IA32_VMX_PINBASED_CTLS,
			    MSR_IA32_VMX_TRUE_PINBASED_CTLS,
			    PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING,
			    PIN_BASED_VIRTUAL_NMIS,
			    "external-interrupt/NMI exiting");
	c->proc = vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS,
			     MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
			     CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING |
			     CPU_BASED_CR8_LOAD_EXITING |
			     CPU_BASED_CR8_STORE_EXITING |
			     CPU_BASED_RDPMC_EXITING | CPU_BASED_MWAIT_EXITING |
			     CPU_BASED_MONITOR_EXITING |
			     CPU_BASED_MOV_DR_EXITING |
			     CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			     CPU_BASED_USE_MSR_BITMAPS |
			     CPU_BASED_USE_TSC_OFFSETTING,
			     "HLT/unconditional I/O/CR8/RDPMC/MONITOR/MWAIT/MOV-DR exiting, secondary controls");
	/*
	 * Not wanted; only there if the CPU insists.  (CR8 exiting is wanted:
	 * with neither it nor a TPR shadow, the guest's MOV to CR8 would
	 * write the host CPU's own TPR.)
	 */
	c->proc &= ~(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
		     CPU_BASED_INVLPG_EXITING);
	rdmsrl((vmx_basic & VMX_BASIC_TRUE_CTLS) ?
	       MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
	       cap);
	c->proc |= (u32)cap;
	/* Virtual NMIs need NMI-window exiting to be of use. */
	c->vnmi = (c->pin & PIN_BASED_VIRTUAL_NMIS) &&
		  ((cap >> 32) & CPU_BASED_NMI_WINDOW_EXITING);
	if (!c->vnmi)
		c->pin &= ~PIN_BASED_VIRTUAL_NMIS;
	c->msr_bitmap = c->proc & CPU_BASED_USE_MSR_BITMAPS;

	/*
	 * Without "enable RDTSCP" RDTSCP is #UD in the guest, which
	 * KVM_GET_SUPPORTED_CPUID shows it (every VMX CPU with RDTSCP has
	 * the control).  With it, RDTSCP reads the CPU's IA32_TSC_AUX,
	 * which then holds the guest's value while the guest runs.
	 */
	if (c->proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		c->proc2 = vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS2,
				      MSR_IA32_VMX_PROCBASED_CTLS2,
				      SECONDARY_EXEC_ENABLE_EPT |
				      SECONDARY_EXEC_UNRESTRICTED_GUEST,
				      SECONDARY_EXEC_ENABLE_VPID |
				      SECONDARY_EXEC_ENABLE_RDTSCP |
				      SECONDARY_EXEC_PAUSE_LOOP_EXITING |
				      SECONDARY_EXEC_WBINVD_EXITING, NULL);
	c->ept_ug = ept && (c->proc2 & SECONDARY_EXEC_ENABLE_EPT) &&
		    (c->proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST);
	/*
	 * Otherwise shadow paging (shadow.c), which needs neither, but sees
	 * every CR3 load and store and every INVLPG: in every VMCS, from
	 * here, as vmx_prepare_entry() rewrites the controls from these.
	 */
	if (!c->ept_ug) {
		c->proc2 &= ~(SECONDARY_EXEC_ENABLE_EPT |
			      SECONDARY_EXEC_UNRESTRICTED_GUEST);
		c->proc |= CPU_BASED_CR3_LOAD_EXITING |
			   CPU_BASED_CR3_STORE_EXITING |
			   CPU_BASED_INVLPG_EXITING;
	}
	c->rdtscp = c->proc2 & SECONDARY_EXEC_ENABLE_RDTSCP;
	c->ple = c->proc2 & SECONDARY_EXEC_PAUSE_LOOP_EXITING;

	/* VPID only with INVVPID to flush it. */
	c->invvpid_single = ept_cap & ((u64)VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT << 32);
	c->invvpid_all = ept_cap & ((u64)VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT << 32);
	c->vpid = (c->proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
		  (ept_cap & ((u64)VMX_VPID_INVVPID_BIT << 32)) &&
		  (c->invvpid_single || c->invvpid_all);
	if (!c->vpid)
		c->proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;

	/* EPT: WB tables, INVEPT, 4 levels (5 on a 5-level host if it can). */
	c->invept_single = ept_cap & VMX_EPT_EXTENT_CONTEXT_BIT;
	if (pgtable_l5_enabled() && (ept_cap & VMX_EPT_PAGE_WALK_5_BIT))
		c->ept_levels = 5;
	else if (ept_cap & VMX_EPT_PAGE_WALK_4_BIT)
		c->ept_levels = 4;
	if (c->ept_ug && (!c->ept_levels || !(ept_cap & VMX_EPTP_WB_BIT) ||
			  !(ept_cap & VMX_EPT_INVEPT_BIT) ||
			  !(ept_cap & (VMX_EPT_EXTENT_CONTEXT_BIT |
				       VMX_EPT_EXTENT_GLOBAL_BIT))) &&
	    !c->missing)
		c->missing = "EPT with write-back 4-level tables and INVEPT";

	c->exit = vmx_adjust(MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS,
			     VM_EXIT_HOST_ADDR_SPACE_SIZE |
			     VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER |
			     VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT,
			     VM_EXIT_SAVE_DEBUG_CONTROLS,
			     "64-bit host, EFER/PAT save/load on exit");
	c->exit &= ~VM_EXIT_ACK_INTR_ON_EXIT;
	c->entry = vmx_adjust(MSR_IA32_VMX_ENTRY_CTLS,
			      MSR_IA32_VMX_TRUE_ENTRY_CTLS,
			      VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT |
			      VM_ENTRY_IA32E_MODE, VM_ENTRY_LOAD_DEBUG_CONTROLS,
			      "EFER/PAT load and IA-32e mode on entry");
	c->entry_ia32e = c->entry & VM_ENTRY_IA32E_MODE;
	c->entry &= ~VM_ENTRY_IA32E_MODE;

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, c->cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, c->cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, c->cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, c->cr4_fixed1);
	c->usable = !c->missing;

	/*
	 * What kmod/x86.c refuses besides the architecture: CR bits VMX
	 * fixes to 0 (CD/NW are never in the real CR0), LA57 on four-level
	 * shadow tables, long mode without "IA-32e mode guest".
	 */
	minihv_hw_cr0_reserved = ~c->cr0_fixed1 & 0xffffffffULL &
				 ~(u64)(X86_CR0_CD | X86_CR0_NW);
	minihv_hw_cr4_reserved = ~c->cr4_fixed1 |
				 (c->ept_ug ? 0 : X86_CR4_LA57);
	minihv_hw_long_mode = c->entry_ia32e;
}

const struct minihv_vendor_ops *vmx_probe(void)
{
	u64 feat, procbased, procbased2, vmcs_size, mem_type;

	if (!cpu_has_vmx())		/* raw CPUID.1:ECX.VMX */
		return NULL;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat))
		feat = 0;
	if (!(feat & FEAT_CTL_LOCKED)) {
		pr_err("VMX disabled by firmware (IA32_FEATURE_CONTROL not locked)\n");
		return ERR_PTR(-ENODEV);
	}
	if (!(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX disabled by firmware (IA32_FEATURE_CONTROL locked without VMXON outside SMX)\n");
		return ERR_PTR(-ENODEV);
	}

	rdmsrl(MSR_IA32_VMX_BASIC, vmx_basic);
	vmx_vmcs_revision = vmx_basic & GENMASK_ULL(30, 0);
	vmcs_size = (vmx_basic >> VMX_BASIC_VMCS_SIZE_SHIFT) & GENMASK_ULL(12, 0);
	mem_type = (vmx_basic & VMX_BASIC_MEM_TYPE_MASK) >>
		   VMX_BASIC_MEM_TYPE_SHIFT;
	if (vmcs_size > PAGE_SIZE || mem_type != VMX_BASIC_MEM_TYPE_WB) {
		pr_err("VMX unusable: VMCS larger than a page or not write-back (IA32_VMX_BASIC %#llx)\n",
		       vmx_basic);
		return ERR_PTR(-ENODEV);
	}

	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS, procbased);
	if ((procbased >> 32) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) {
		rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, procbased2);
		vmx_procbased2_allowed1 = procbased2 >> 32;
	}
	if (vmx_procbased2_allowed1 &
	    (SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID))
		rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &vmx_ept_vpid_cap);
	if (!(vmx_procbased2_allowed1 & SECONDARY_EXEC_ENABLE_EPT))
		pr_info("no EPT: guests will use shadow paging\n");
	vmx_setup_config();
	if (!vmx_cfg.ept_ug &&
	    (vmx_procbased2_allowed1 & SECONDARY_EXEC_ENABLE_EPT))
		pr_info("ept=0 or no unrestricted guest: guests will use shadow paging\n");
	return &vmx_ops;
}
