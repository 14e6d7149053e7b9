// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the AMD SVM backend.
 *
 * Turning SVM on for a CPU is two MSR writes: EFER.SVME, and VM_HSAVE_PA,
 * the page where VMRUN saves the host state it switches.  Neither needs
 * anything else to be undone, and the kernel's own emergency paths (crash,
 * emergency reboot) already clear EFER.SVME on every CPU
 * (cpu_emergency_disable_virtualization()).
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/svm.h>
#include <asm/virtext.h>

#include "minihv.h"

#define SVM_CPUID_FN		0x8000000a
#define SVM_CPUID_NPT		BIT(0)
#define SVM_CPUID_NRIPS		BIT(3)
#define SVM_CPUID_DECODE	BIT(7)

static bool npt = true;
module_param(npt, bool, 0444);
MODULE_PARM_DESC(npt, "Use nested page tables when the CPU has them (default 1; 0 = shadow paging)");

static u32 svm_cpuid_eax, svm_cpuid_ebx, svm_cpuid_edx;
static DEFINE_PER_CPU(struct page *, svm_hsave);

static int svm_setup(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct page *page = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);
		if (!page)
			goto out_free;
		per_cpu(svm_hsave, cpu) = page;
	}
	return 0;

out_free:
	for_each_possible_cpu(cpu) {
		if (per_cpu(svm_hsave, cpu))
			__free_page(per_cpu(svm_hsave, cpu));
		per_cpu(svm_hsave, cpu) = NULL;
	}
	return -ENOMEM;
}

static void svm_unsetup(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		__free_page(per_cpu(svm_hsave, cpu));
		per_cpu(svm_hsave, cpu) = NULL;
	}
}

static int svm_cpu_enable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;	/* another hypervisor */
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(__this_cpu_read(svm_hsave)));
	return 0;
}

static void svm_cpu_disable(void)
{
	/* VM_HSAVE_PA to 0, STGI, EFER.SVME off. */
	cpu_svm_disable();
}

static void svm_fill_info(struct minihv_info *info)
{
	info->svm_revision = svm_cpuid_eax & 0xff;
	info->nr_asids = svm_cpuid_ebx;
	if (npt && (svm_cpuid_edx & SVM_CPUID_NPT))
		info->flags |= MINIHV_INFO_TDP;
	if (svm_cpuid_ebx > 1)
		info->flags |= MINIHV_INFO_VPID;
	if (svm_cpuid_edx & SVM_CPUID_NRIPS)
		info->flags |= MINIHV_INFO_NRIPS;
	if (svm_cpuid_edx & SVM_CPUID_DECODE)
		info->flags |= MINIHV_INFO_DECODE;
	if (pgtable_l5_enabled())
		info->flags |= MINIHV_INFO_HOST_LA57;
}

static const struct minihv_vendor_ops svm_ops = {
	.name		= "svm",
	.vendor		= MINIHV_VENDOR_SVM,
	.setup		= svm_setup,
	.unsetup	= svm_unsetup,
	.cpu_enable	= svm_cpu_enable,
	.cpu_disable	= svm_cpu_disable,
	.fill_info	= svm_fill_info,
};

const struct minihv_vendor_ops *svm_probe(void)
{
	u32 ecx;
	u64 vm_cr;

	if (cpuid_eax(0x80000000) < SVM_CPUID_FN)
		return NULL;
	ecx = cpuid_ecx(0x80000001);
	if (!(ecx & BIT(2)))		/* CPUID 8000_0001h:ECX.SVM */
		return NULL;

	if (rdmsrl_safe(MSR_VM_CR, &vm_cr)) {
		pr_err("SVM unusable: VM_CR MSR cannot be read\n");
		return ERR_PTR(-ENODEV);
	}
	if (vm_cr & (1 << SVM_VM_CR_SVM_DISABLE)) {
		pr_err("SVM disabled by firmware (VM_CR.SVMDIS set)\n");
		return ERR_PTR(-ENODEV);
	}

	cpuid(SVM_CPUID_FN, &svm_cpuid_eax, &svm_cpuid_ebx, &ecx,
	      &svm_cpuid_edx);
	if (!(svm_cpuid_edx & SVM_CPUID_NPT))
		pr_info("no NPT: guests will use shadow paging\n");
	return &svm_ops;
}
