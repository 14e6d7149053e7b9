// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: turning hardware virtualization on and off.
 *
 * Like KVM, minihv turns VMX/SVM on when the first VM is created and off
 * when the last one is gone, never at module load: that way minihv and
 * kvm_intel/kvm_amd can both be loaded, and whoever creates a VM first owns
 * the hardware while its VMs live (the other gets -EBUSY).
 *
 * The per-CPU state machine is one bool, hw_enabled: a CPU is turned on by
 * hw_enable_cpu() and off by hw_disable_cpu(), both with IRQs off on the CPU
 * concerned.  Who calls them:
 *   - minihv_hw_get()/minihv_hw_put(): first VM created / last VM gone, all
 *     online CPUs through IPIs;
 *   - CPU hotplug: a CPU coming online while VMs exist is turned on, one
 *     going offline is turned off;
 *   - reboot/kexec (reboot notifier): all CPUs off, and no more VMs;
 *   - suspend/resume (syscore ops): the last CPU off and back on (the
 *     others went through hotplug).
 *
 * Locking: cpus_read_lock() (or the hotplug lock held for write, in the
 * hotplug callbacks) is taken before hw_lock, everywhere.  hw_lock protects
 * vm_count and hw_rebooting.  The syscore callbacks run with one CPU left
 * and IRQs off, so they read vm_count without the lock.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>
#include <linux/syscore_ops.h>

#include "minihv.h"

static DEFINE_MUTEX(hw_lock);
static unsigned int vm_count;		/* VMs alive; hw_lock */
static bool hw_rebooting;		/* no more VMs; hw_lock */
static DEFINE_PER_CPU(bool, hw_enabled);
static atomic_t hw_enable_failed;
static enum cpuhp_state hw_cpuhp_state;

/* IRQs off, on the CPU concerned. */
static void hw_enable_cpu(void *unused)
{
	int r;

	if (__this_cpu_read(hw_enabled))
		return;
	r = minihv_ops->cpu_enable();
	if (r) {
		atomic_inc(&hw_enable_failed);
		pr_info("cannot enable %s on CPU %d: %s\n", minihv_ops->name,
			smp_processor_id(), r == -EBUSY ?
			"in use by another hypervisor" : "hardware error");
		return;
	}
	minihv_uret_cpu_init();
	__this_cpu_write(hw_enabled, true);
}

/* IRQs off, on the CPU concerned. */
static void hw_disable_cpu(void *unused)
{
	if (!__this_cpu_read(hw_enabled))
		return;
	minihv_uret_cpu_drop();
	minihv_ops->cpu_disable();
	__this_cpu_write(hw_enabled, false);
}

/**
 * minihv_hw_get() - a VM is being created: make sure VMX/SVM is on.
 *
 * Return: 0, -EBUSY if another hypervisor holds VMX/SVM on some CPU (or the
 * host is rebooting).  On failure every CPU is left as it was.
 */
int minihv_hw_get(void)
{
	int r = 0;

	cpus_read_lock();
	mutex_lock(&hw_lock);
	if (hw_rebooting) {
		r = -EBUSY;
		goto out;
	}
	if (vm_count == 0) {
		atomic_set(&hw_enable_failed, 0);
		on_each_cpu(hw_enable_cpu, NULL, 1);
		if (atomic_read(&hw_enable_failed)) {
			on_each_cpu(hw_disable_cpu, NULL, 1);
			r = -EBUSY;
			goto out;
		}
		if (minihv_ops->hw_first)
			minihv_ops->hw_first();
	}
	vm_count++;
out:
	mutex_unlock(&hw_lock);
	cpus_read_unlock();
	return r;
}

/* The last reference of a VM is gone. */
void minihv_hw_put(void)
{
	cpus_read_lock();
	mutex_lock(&hw_lock);
	if (!WARN_ON_ONCE(vm_count == 0) && --vm_count == 0) {
		on_each_cpu(hw_disable_cpu, NULL, 1);
		if (minihv_ops->hw_last)
			minihv_ops->hw_last();
	}
	mutex_unlock(&hw_lock);
	cpus_read_unlock();
}

void minihv_hw_fill_info(struct minihv_info *info)
{
	unsigned int cpu;

	cpus_read_lock();
	mutex_lock(&hw_lock);
	info->vm_count = vm_count;
	info->enabled_cpus = 0;
	for_each_online_cpu(cpu)
		info->enabled_cpus += per_cpu(hw_enabled, cpu);
	if (vm_count)
		info->flags |= MINIHV_INFO_HW_ENABLED;
	mutex_unlock(&hw_lock);
	cpus_read_unlock();
}

/* CPU hotplug: runs on @cpu, hotplug lock held for write. */
static int hw_cpu_online(unsigned int cpu)
{
	int r = 0;

	mutex_lock(&hw_lock);
	if (vm_count) {
		atomic_set(&hw_enable_failed, 0);
		local_irq_disable();
		hw_enable_cpu(NULL);
		local_irq_enable();
		if (atomic_read(&hw_enable_failed))
			r = -EBUSY;
	}
	mutex_unlock(&hw_lock);
	return r;
}

static int hw_cpu_offline(unsigned int cpu)
{
	mutex_lock(&hw_lock);
	local_irq_disable();
	hw_disable_cpu(NULL);
	local_irq_enable();
	mutex_unlock(&hw_lock);
	return 0;
}

/*
 * Reboot and kexec: VMX blocks INIT, so every CPU must leave VMX operation
 * before the machine is reset or another kernel takes over.  Refuse new
 * VMs from here on.  (Crashes take the kernel's emergency path instead,
 * see the backends' emergency callbacks.)
 */
static int hw_reboot(struct notifier_block *nb, unsigned long code, void *v)
{
	mutex_lock(&hw_lock);
	hw_rebooting = true;
	mutex_unlock(&hw_lock);
	on_each_cpu(hw_disable_cpu, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block hw_reboot_nb = {
	.notifier_call = hw_reboot,
	.priority = 0,
};

/* Suspend: one CPU left online, IRQs off; the others went offline. */
static int hw_suspend(void)
{
	if (vm_count)
		hw_disable_cpu(NULL);
	return 0;
}

static void hw_resume(void)
{
	if (vm_count) {
		atomic_set(&hw_enable_failed, 0);
		hw_enable_cpu(NULL);
		WARN_ON_ONCE(atomic_read(&hw_enable_failed));
	}
}

static struct syscore_ops hw_syscore_ops = {
	.suspend = hw_suspend,
	.resume = hw_resume,
};

int minihv_hw_init(void)
{
	int r;

	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "minihv:online",
				      hw_cpu_online, hw_cpu_offline);
	if (r < 0)
		return r;
	hw_cpuhp_state = r;
	register_reboot_notifier(&hw_reboot_nb);
	register_syscore_ops(&hw_syscore_ops);
	return 0;
}

/*
 * Module unload.  Every VM holds a reference on the module through its
 * file, so none is left and VMX/SVM is already off everywhere.
 */
void minihv_hw_exit(void)
{
	unregister_syscore_ops(&hw_syscore_ops);
	unregister_reboot_notifier(&hw_reboot_nb);
	cpuhp_remove_state_nocalls(hw_cpuhp_state);
	WARN_ON_ONCE(vm_count);
}
