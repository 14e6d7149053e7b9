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

#include "svm.h"

#define SVM_CPUID_FN		0x8000000a
#define SVM_CPUID_NPT		BIT(0)
#define SVM_CPUID_NRIPS		BIT(3)
#define SVM_CPUID_DECODE	BIT(7)

static bool npt = true;
module_param(npt, bool, 0444);
MODULE_PARM_DESC(npt, "Use nested page tables when the CPU has them (default 1; 0 = shadow paging)");

static u32 svm_cpuid_eax, svm_cpuid_ebx, svm_cpuid_edx;
DEFINE_PER_CPU(struct svm_cpu, svm_cpu);
u32 svm_max_asid;
bool svm_npt;

static void svm_free_cpu_pages(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpu, cpu);

		if (sd->hsave)
			__free_page(sd->hsave);
		if (sd->host_save)
			__free_page(sd->host_save);
		sd->hsave = NULL;
		sd->host_save = NULL;
	}
}

/* Per CPU: the host save area VMRUN uses, and one for VMSAVE. */
static int svm_setup(void)
{
	unsigned int cpu;
	int r;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpu, cpu);
		gfp_t gfp = GFP_KERNEL | __GFP_ZERO;

		sd->hsave = alloc_pages_node(cpu_to_node(cpu), gfp, 0);
		sd->host_save = alloc_pages_node(cpu_to_node(cpu), gfp, 0);
		if (!sd->hsave || !sd->host_save) {
			svm_free_cpu_pages();
			return -ENOMEM;
		}
	}
	r = svm_guest_setup();
	if (r)
		svm_free_cpu_pages();
	return r;
}

static void svm_unsetup(void)
{
	svm_guest_unsetup();
	svm_free_cpu_pages();
}

static int svm_cpu_enable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;	/* another hypervisor */
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(__this_cpu_read(svm_cpu.hsave)));
	/* Force a new ASID generation, with a full flush, at first use. */
	__this_cpu_write(svm_cpu.next_asid, svm_max_asid + 1);
	__this_cpu_inc(svm_cpu.asid_generation);
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
	.exit_name	= svm_exit_name,
	.vm_init	= svm_vm_init,
	.vm_destroy	= svm_vm_destroy,
	.vm_zap		= svm_vm_zap,
	.vcpu_create	= svm_vcpu_create,
	.vcpu_free	= svm_vcpu_free,
	.vcpu_run	= svm_vcpu_run,
	.get_sregs	= svm_get_sregs,
	.set_sregs	= svm_set_sregs,
	.get_msr	= svm_get_msr,
	.set_msr	= svm_set_msr,
	.queue_exception = svm_queue_exception,
	.interrupt_allowed = svm_interrupt_allowed,
	.nmi_allowed	= svm_nmi_allowed,
	.inject_irq	= svm_inject_irq,
	.inject_nmi	= svm_inject_nmi,
	.request_window	= svm_request_window,
	.vcpu_reset	= svm_vcpu_reset,
	.inject_page_fault = svm_inject_page_fault,
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
	svm_max_asid = svm_cpuid_ebx ? svm_cpuid_ebx - 1 : 0;
	svm_npt = npt && (svm_cpuid_edx & SVM_CPUID_NPT);
	if (!(svm_cpuid_edx & SVM_CPUID_NPT))
		pr_info("no NPT: guests will use shadow paging\n");
	else if (!npt)
		pr_info("npt=0: guests will use shadow paging\n");
	return &svm_ops;
}
