// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the AMD SVM backend.
 *
 * Turning SVM on for a CPU is two MSR writes: EFER.SVME, and VM_HSAVE_PA,
 * the page where VMRUN saves the host state it switches.  Neither needs
 * anything else to be undone.  The kernel's own emergency paths (crash,
 * emergency reboot) clear EFER.SVME on every CPU
 * (cpu_emergency_disable_virtualization(), which on 6.1 does it for SVM
 * whoever uses it); minihv also fills the emergency callback slot while it
 * has SVM on, as for VMX, so that its per-CPU state says SVM is off too.
 * A vCPU finds SVM off before it enters (svm_cpu.on, with IRQs off), and
 * an SVM instruction that faults because SVM went off under it is caught
 * by its exception-table fixup (vmenter.S, guest.c).
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
#include <asm/reboot.h>
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
static bool svm_emergency_registered;
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
	__this_cpu_write(svm_cpu.on, true);
	return 0;
}

static void svm_cpu_disable(void)
{
	__this_cpu_write(svm_cpu.on, false);
	/* VM_HSAVE_PA to 0, STGI, EFER.SVME off. */
	cpu_svm_disable();
}

/* Crash or emergency reboot, any context, on every CPU (NMI). */
static void svm_emergency_disable(void)
{
	__this_cpu_write(svm_cpu.on, false);
	cpu_emergency_svm_disable();
}

/*
 * The one emergency callback slot: kvm_intel fills it, and later kernels'
 * kvm_amd too, while kvm.ko is loaded: then minihv leaves it alone (filling
 * a taken slot WARNs), and the kernel turns SVM off by itself.
 */
static void svm_hw_first(void)
{
	void *kvm_present = __symbol_get("kvm_rebooting");

	if (kvm_present) {
		__symbol_put("kvm_rebooting");
		return;
	}
	cpu_emergency_register_virt_callback(svm_emergency_disable);
	svm_emergency_registered = true;
}

static void svm_hw_last(void)
{
	if (!svm_emergency_registered)
		return;
	cpu_emergency_unregister_virt_callback(svm_emergency_disable);
	svm_emergency_registered = false;
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
	.legacy_pmcs	= 4,
	.setup		= svm_setup,
	.unsetup	= svm_unsetup,
	.cpu_enable	= svm_cpu_enable,
	.cpu_disable	= svm_cpu_disable,
	.hw_first	= svm_hw_first,
	.hw_last	= svm_hw_last,
	.fill_info	= svm_fill_info,
	.exit_name	= svm_exit_name,
	.vm_init	= svm_vm_init,
	.vm_destroy	= svm_vm_destroy,
	.vm_zap		= svm_vm_zap,
	.vcpu_create	= svm_vcpu_create,
	.vcpu_free	= svm_vcpu_free,
	.vcpu_run	= svm_vcpu_run,
	.handle_exit	= svm_handle_exit,
	.get_sregs	= svm_get_sregs,
	.set_sregs	= svm_set_sregs,
	.get_msr	= svm_get_msr,
	.set_msr	= svm_set_msr,
	.get_crs	= svm_get_crs,
	.set_crs	= svm_set_crs,
	.reset_mmu	= svm_reset_mmu,
	.set_cr2	= svm_set_cr2,
	.queue_exception = svm_queue_exception,
	.queued_exception = svm_queued_exception,
	.cancel_event	= svm_cancel_event,
	.get_cpl	= svm_get_cpl,
	.get_dr		= svm_get_dr,
	.set_dr		= svm_set_dr,
	.interrupt_allowed = svm_interrupt_allowed,
	.nmi_allowed	= svm_nmi_allowed,
	.inject_irq	= svm_inject_irq,
	.inject_nmi	= svm_inject_nmi,
	.request_window	= svm_request_window,
	.vcpu_reset	= svm_vcpu_reset,
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
	/* The shadow tables have four levels: no 5-level guest on them. */
	if (!svm_npt)
		minihv_hw_cr4_reserved = X86_CR4_LA57;
	return &svm_ops;
}
