/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * minihv-only extensions to the KVM ABI.
 *
 * Everything minihv shares with KVM uses <linux/kvm.h> unchanged (ioctl type
 * KVMIO, 0xAE).  Extensions live here, under their own ioctl type
 * MINIHV_IO (0xBA, unassigned in Documentation/userspace-api/ioctl/
 * ioctl-number.rst), so that they can never collide with a KVM ioctl.
 * See Documentation/api.rst.
 */
#ifndef _UAPI_MINIHV_H
#define _UAPI_MINIHV_H

#include <linux/types.h>
#include <linux/const.h>
#include <linux/ioctl.h>

#define MINIHV_IO		0xBA

/* struct minihv_info.vendor */
#define MINIHV_VENDOR_VMX	1	/* Intel VT-x */
#define MINIHV_VENDOR_SVM	2	/* AMD-V */

/* struct minihv_info.flags: what the CPU offers minihv */
#define MINIHV_INFO_TDP		_BITUL(0) /* EPT (VMX) or NPT (SVM) */
#define MINIHV_INFO_VPID	_BITUL(1) /* VPID (VMX) or ASIDs (SVM) */
#define MINIHV_INFO_UG		_BITUL(2) /* VMX unrestricted guest */
#define MINIHV_INFO_NRIPS	_BITUL(3) /* SVM next-RIP save */
#define MINIHV_INFO_DECODE	_BITUL(4) /* SVM decode assists */
#define MINIHV_INFO_HOST_LA57	_BITUL(5) /* host uses 5-level paging */
#define MINIHV_INFO_HW_ENABLED	_BITUL(6) /* VMX/SVM on in minihv's hands now */

/*
 * MINIHV_GET_INFO (system fd): what minihv found at load time and its
 * current state.  Never fails on a valid pointer (-EFAULT otherwise).
 */
struct minihv_info {
	__u32 version;		/* MINIHV_INFO_VERSION */
	__u32 vendor;		/* MINIHV_VENDOR_* */
	__u32 flags;		/* MINIHV_INFO_* */
	__u32 nr_asids;		/* usable ASIDs/VPIDs, 0 if none */
	__u32 vm_count;		/* VMs alive (they hold VMX/SVM enabled) */
	__u32 enabled_cpus;	/* CPUs with VMX/SVM enabled by minihv */
	__u32 vmcs_revision;	/* VMX: IA32_VMX_BASIC[30:0]; SVM: 0 */
	__u32 svm_revision;	/* SVM: CPUID 0x8000000A EAX; VMX: 0 */
	__u64 reserved[6];	/* zero */
};

#define MINIHV_INFO_VERSION	1

#define MINIHV_GET_INFO		_IOR(MINIHV_IO, 0x00, struct minihv_info)

/*
 * Hypercalls (VMMCALL on SVM, VMCALL on VMX): the number in RAX, the
 * result in RAX.  Any other number raises #UD in the guest.
 *   MINIHV_HC_NOP: does nothing, returns 0, never leaves the kernel
 *   (the cheapest round trip there is, for benchmarks).
 */
#define MINIHV_HC_NOP		0x6d680000	/* "mh" << 16 */

#endif /* _UAPI_MINIHV_H */
