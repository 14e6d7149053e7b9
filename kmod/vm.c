// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the VM file descriptor.
 *
 * A VM is an anonymous-inode file.  Creating one takes a reference on
 * hardware virtualization (minihv_hw_get(): VMX/SVM on, on every CPU);
 * releasing the file drops it.  The file also pins the module, so the
 * module cannot go away under a VM.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "minihv.h"

struct minihv_vm {
	/* Nothing yet: vCPUs and memory slots come with KVM_RUN. */
	int unused;
};

/*
 * KVM_CHECK_EXTENSION, on the system fd and on a VM fd.  Honest: 1 (or a
 * count) only for what minihv implements, 0 for everything else, including
 * numbers no kernel knows.
 */
long minihv_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_CHECK_EXTENSION_VM:
		return 1;
	default:
		return 0;
	}
}

static long minihv_vm_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	switch (ioctl) {
	case KVM_CHECK_EXTENSION:
		return minihv_check_extension(arg);
	default:
		/* Same as KVM's VM fd. */
		return -ENOTTY;
	}
}

static int minihv_vm_release(struct inode *inode, struct file *filp)
{
	struct minihv_vm *vm = filp->private_data;

	kfree(vm);
	minihv_hw_put();
	return 0;
}

static const struct file_operations minihv_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= minihv_vm_release,
	.unlocked_ioctl	= minihv_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* KVM_CREATE_VM: returns the new VM's fd. */
int minihv_create_vm(unsigned long type)
{
	struct minihv_vm *vm;
	int r;

	/* x86 KVM knows only the default machine type, 0. */
	if (type)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;

	r = minihv_hw_get();
	if (r)
		goto out_free;

	r = anon_inode_getfd("minihv-vm", &minihv_vm_fops, vm,
			     O_RDWR | O_CLOEXEC);
	if (r < 0)
		goto out_put;
	return r;

out_put:
	minihv_hw_put();
out_free:
	kfree(vm);
	return r;
}
