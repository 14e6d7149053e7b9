// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: a small, readable hypervisor with KVM's ABI.
 *
 * Module load: find VMX or SVM and check that it can be used (refuse with
 * -ENODEV and one line saying why otherwise), set the backend up and
 * register /dev/minihv.  VMX/SVM itself is only turned on when the first
 * VM is created (kmod/hw.c).
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/compat.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "minihv.h"

const struct minihv_vendor_ops *minihv_ops;
DEFINE_STATIC_CALL_NULL(minihv_vcpu_run,
			*((struct minihv_vendor_ops *)0)->vcpu_run);
DEFINE_STATIC_CALL_NULL(minihv_handle_exit,
			*((struct minihv_vendor_ops *)0)->handle_exit);

static long minihv_get_info(void __user *argp)
{
	struct minihv_info info = {
		.version = MINIHV_INFO_VERSION,
		.vendor = minihv_ops->vendor,
	};

	minihv_ops->fill_info(&info);
	minihv_hw_fill_info(&info);
	minihv_spec_fill_info(&info);
	if (copy_to_user(argp, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long minihv_dev_ioctl(struct file *filp, unsigned int ioctl,
			     unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION;
	case KVM_CREATE_VM:
		return minihv_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return minihv_check_extension(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return MINIHV_RUN_PAGES * PAGE_SIZE;
	case KVM_GET_MSR_INDEX_LIST:
		return minihv_get_msr_index_list((void __user *)arg);
	case KVM_GET_SUPPORTED_CPUID:
		return minihv_get_supported_cpuid((void __user *)arg);
	case MINIHV_GET_INFO:
		return minihv_get_info((void __user *)arg);
	default:
		/*
		 * KVM answers -EINVAL here; -ENOTTY is what ioctl(2) promises
		 * for an unknown request (Documentation/api.rst).
		 */
		return -ENOTTY;
	}
}

static const struct file_operations minihv_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= minihv_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice minihv_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "minihv",
	.fops	= &minihv_dev_fops,
	.mode	= 0600,
};

static int __init minihv_init(void)
{
	const struct minihv_vendor_ops *ops;
	int r;

	ops = vmx_probe();
	if (!ops)
		ops = svm_probe();
	if (!ops) {
		pr_err("CPU has neither VMX nor SVM: no hardware virtualization\n");
		return -ENODEV;
	}
	if (IS_ERR(ops))
		return PTR_ERR(ops);
	minihv_ops = ops;
	static_call_update(minihv_vcpu_run, ops->vcpu_run);
	static_call_update(minihv_handle_exit, ops->handle_exit);

	minihv_uret_init();
	r = minihv_ops->setup();
	if (r)
		return r;
	r = minihv_hw_init();
	if (r)
		goto out_unsetup;
	minihv_stats_init();
	minihv_debugfs_init();
	r = misc_register(&minihv_dev);
	if (r) {
		pr_err("cannot register /dev/minihv: %d\n", r);
		goto out_debugfs;
	}
	pr_info("loaded, using %s\n", minihv_ops->name);
	return 0;

out_debugfs:
	minihv_debugfs_exit();
	minihv_hw_exit();
out_unsetup:
	minihv_ops->unsetup();
	return r;
}

static void __exit minihv_exit(void)
{
	misc_deregister(&minihv_dev);
	minihv_debugfs_exit();
	minihv_hw_exit();
	minihv_ops->unsetup();
}

module_init(minihv_init);
module_exit(minihv_exit);

MODULE_DESCRIPTION("minihv: a small hypervisor with KVM's ABI (VMX and SVM)");
MODULE_AUTHOR("The minihv developers");
MODULE_LICENSE("GPL");
