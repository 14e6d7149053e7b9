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

#include "minihv.h"

static bool ept = true;
module_param(ept, bool, 0444);
MODULE_PARM_DESC(ept, "Use EPT when the CPU has it (default 1; 0 = shadow paging)");

static u64 vmx_basic;
static u32 vmcs_revision;
static u32 vmx_procbased2_allowed1;	/* allowed-1 of secondary controls */
static u64 vmx_ept_vpid_cap;
static DEFINE_PER_CPU(struct page *, vmxon_region);
static bool vmx_emergency_registered;

static int vmx_setup(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct page *page = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);
		if (!page)
			goto out_free;
		*(u32 *)page_address(page) = vmcs_revision;
		per_cpu(vmxon_region, cpu) = page;
	}
	return 0;

out_free:
	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_region, cpu))
			__free_page(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
	return -ENOMEM;
}

static void vmx_unsetup(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		__free_page(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
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
	return 0;
}

static void vmx_cpu_disable(void)
{
	/* VMXOFF, eating a fault, and CR4.VMXE off. */
	cpu_vmxoff();
}

/* Crash or emergency reboot, any context, on every CPU (NMI). */
static void vmx_emergency_disable(void)
{
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
	info->vmcs_revision = vmcs_revision;
	if (ept && (vmx_procbased2_allowed1 & SECONDARY_EXEC_ENABLE_EPT))
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
};

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
	vmcs_revision = vmx_basic & GENMASK_ULL(30, 0);
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
	return &vmx_ops;
}
