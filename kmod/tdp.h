/* SPDX-License-Identifier: GPL-2.0 */
/* minihv: two-dimensional paging tables (NPT/EPT), see tdp.c. */
#ifndef MINIHV_TDP_H
#define MINIHV_TDP_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct page;
struct minihv_vcpu;

struct minihv_tdp {
	struct mutex lock;
	struct page *root;
	u64 root_pa;
	int levels;		/* 4, or 5 on 5-level hosts */
	u64 table_bits;		/* set in every non-leaf entry */
	u64 leaf_bits;		/* set in every leaf (read/exec, type) */
	u64 write_bit;		/* added to writable leaves */
	/* Bumped by every zap: a vCPU that saw an older one flushes. */
	atomic64_t gen;
};

int minihv_tdp_init(struct minihv_tdp *tdp, int levels, u64 table_bits,
		    u64 leaf_bits, u64 write_bit);
void minihv_tdp_destroy(struct minihv_tdp *tdp);
void minihv_tdp_zap(struct minihv_tdp *tdp);
int minihv_tdp_map(struct minihv_tdp *tdp, u64 gpa, u64 hpa, bool writable);
int minihv_tdp_fault(struct minihv_vcpu *vcpu, struct minihv_tdp *tdp,
		     u64 gpa, bool write, u64 info);

#endif /* MINIHV_TDP_H */
