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
/* Speculative-execution mitigations of VM entry/exit (kmod/spec.c). */
#define MINIHV_INFO_L1D_FLUSH	_BITUL(16) /* L1D flushed before entry (L1TF) */
#define MINIHV_INFO_CLEAR_CPU_BUF _BITUL(17) /* VERW before entry (MDS...) */
#define MINIHV_INFO_SPEC_CTRL	_BITUL(18) /* guest/host SPEC_CTRL switched */
#define MINIHV_INFO_IBPB	_BITUL(19) /* IBPB when a CPU changes vCPU */

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

/*
 * MINIHV_GET_STATS (VM fd): exit statistics of one vCPU or of the whole VM
 * (the sum over its vCPUs), into a struct minihv_stats in the caller's
 * memory.  The request names the buffer; the statistics are too large
 * for an ioctl number's size field.
 *
 *   struct minihv_stats_req req = {
 *	.version = MINIHV_STATS_VERSION, .vcpu = -1,
 *	.size = sizeof(st), .data = (__u64)(uintptr_t)&st,
 *   };
 *   ioctl(vm_fd, MINIHV_GET_STATS, &req);
 *
 * Errors: EFAULT (req or data unreadable/unwritable), EINVAL (version
 * not MINIHV_STATS_VERSION, flags or pad not zero, vcpu < -1 or >= the
 * maximum vCPU count), ENOENT (no vCPU with that id), E2BIG (size smaller
 * than struct minihv_stats: req.size is set to the size needed).  On
 * success req.size is set to the bytes written (sizeof(struct
 * minihv_stats); a larger buffer is fine).
 *
 * The counters are read while the vCPUs run, without stopping them: each
 * counter is read whole (never torn), but the snapshot is not atomic as a
 * whole (an exit may be counted in exits[] and not yet in hist[]).
 */
#define MINIHV_STATS_VERSION	1
#define MINIHV_STATS_NR_REASONS	256	/* exit statistics indexes */
#define MINIHV_STATS_NR_BUCKETS	32	/* log2 latency buckets */
#define MINIHV_STATS_NAME_LEN	32

struct minihv_stats_req {
	__u32 version;		/* in: MINIHV_STATS_VERSION */
	__u32 flags;		/* in: 0 */
	__s32 vcpu;		/* in: vCPU id, or -1 for the whole VM */
	__u32 size;		/* in: size of *data; out: bytes written/needed */
	__u64 data;		/* in: address of a struct minihv_stats */
};

/*
 * Exit reasons are indexed by the backend's statistics index (VMX: the
 * basic exit reason; SVM: the exit code, with NPF at 0xf0 and VMEXIT_INVALID
 * at 0xf1; 0xff: any other), named in names[] ("" if never named).
 *
 * Times in nanoseconds, from the TSC:
 *   guest_ns   between VM entry and VM exit
 *   kernel_ns  between VM exit and the next VM entry, less user_ns
 *   user_ns    between KVM_RUN's return and the next KVM_RUN
 *   exit_ns[r] the sum, over the exits of reason r, of the time from the
 *              exit to the next VM entry (userspace included)
 *   hist[r][b] how many exits of reason r took between 2^(b-1) and 2^b - 1
 *              ns from exit to next entry (b = 0: 0 ns; the last bucket:
 *              2^30 ns or more).  An exit is added when the guest is
 *              entered again, so the VM's last exit is not in hist[].
 */
struct minihv_stats {
	__u32 version;		/* MINIHV_STATS_VERSION */
	__u32 vendor;		/* MINIHV_VENDOR_* */
	__u32 vm_id;		/* the "vm" field of the minihv tracepoints */
	__u32 nr_vcpus;		/* vCPUs summed (1 for one vCPU) */
	__u32 nr_reasons;	/* MINIHV_STATS_NR_REASONS */
	__u32 nr_buckets;	/* MINIHV_STATS_NR_BUCKETS */
	__u64 total_exits;
	__u64 guest_ns;
	__u64 kernel_ns;
	__u64 user_ns;
	__u64 reserved[8];	/* zero */
	__u64 exits[MINIHV_STATS_NR_REASONS];
	__u64 exit_ns[MINIHV_STATS_NR_REASONS];
	__u64 hist[MINIHV_STATS_NR_REASONS][MINIHV_STATS_NR_BUCKETS];
	char names[MINIHV_STATS_NR_REASONS][MINIHV_STATS_NAME_LEN];
};

#define MINIHV_GET_STATS	_IOWR(MINIHV_IO, 0x01, struct minihv_stats_req)

#endif /* _UAPI_MINIHV_H */
