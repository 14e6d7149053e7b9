/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv: internal interfaces between the common code (kmod/) and the
 * vendor backends (arch/x86/vmx, arch/x86/svm).
 *
 * Common code never touches VMX or SVM state directly: everything that is
 * vendor specific goes through the one ops table below, chosen at module
 * load by minihv_vendor_probe().
 */
#ifndef MINIHV_MINIHV_H
#define MINIHV_MINIHV_H

#include <linux/types.h>
#include "uapi/minihv.h"

/**
 * struct minihv_vendor_ops - what a vendor backend provides
 * @name:	"vmx" or "svm", for messages
 * @vendor:	MINIHV_VENDOR_*
 * @setup:	at module load, after the probe succeeded: allocate the
 *		per-CPU state (VMXON regions, host save areas) for every
 *		possible CPU.  Process context.
 * @unsetup:	undo @setup.  Process context, VMX/SVM off on every CPU.
 * @cpu_enable:	turn VMX/SVM on for the calling CPU.  Called with IRQs
 *		off.  Returns -EBUSY if someone else (another hypervisor)
 *		already has it on, leaving the CPU exactly as it was.
 * @cpu_disable: turn VMX/SVM off for the calling CPU, IRQs off.  Only
 *		called on a CPU where @cpu_enable succeeded.
 * @hw_first:	optional: process context, cpus_read_lock() held, called
 *		after VMX/SVM was turned on everywhere for the first VM.
 * @hw_last:	optional: the counterpart of @hw_first, called after
 *		VMX/SVM was turned off everywhere when the last VM went away.
 * @fill_info:	fill the vendor part of struct minihv_info.
 */
struct minihv_vendor_ops {
	const char *name;
	u32 vendor;
	int (*setup)(void);
	void (*unsetup)(void);
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);
	void (*hw_first)(void);
	void (*hw_last)(void);
	void (*fill_info)(struct minihv_info *info);
};

/* The backend in use; set once at module load, read-only afterwards. */
extern const struct minihv_vendor_ops *minihv_ops;

/*
 * Vendor probes, tried in turn at module load.  Each returns its ops if the
 * CPU has that extension and it is usable, ERR_PTR(-ENODEV) after one
 * pr_err() line saying why if the CPU has it but it cannot be used, and
 * NULL if the CPU does not have it at all.
 */
const struct minihv_vendor_ops *vmx_probe(void);
const struct minihv_vendor_ops *svm_probe(void);

/* kmod/hw.c: VMX/SVM on all CPUs while at least one VM exists. */
int minihv_hw_init(void);
void minihv_hw_exit(void);
int minihv_hw_get(void);
void minihv_hw_put(void);
void minihv_hw_fill_info(struct minihv_info *info);

/* kmod/vm.c */
int minihv_create_vm(unsigned long type);
long minihv_check_extension(long ext);

#endif /* MINIHV_MINIHV_H */
