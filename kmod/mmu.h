/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv: the guest page-table walker and the shadow MMU, see mmu.c and
 * Documentation/mmu.rst.
 */
#ifndef MINIHV_MMU_H
#define MINIHV_MMU_H

#include <linux/types.h>

struct minihv_vcpu;
struct page;

/* #PF error code bits; also the access type given to the walker. */
#define PFERR_P		BIT(0)	/* protection violation (else not present) */
#define PFERR_W		BIT(1)	/* write */
#define PFERR_U		BIT(2)	/* CPL 3 */
#define PFERR_RSVD	BIT(3)	/* reserved bit set in an entry */
#define PFERR_I		BIT(4)	/* instruction fetch */

/* The guest's paging controls, as the guest sees them. */
struct minihv_paging {
	u64 cr0;
	u64 cr3;
	u64 cr4;
	u64 efer;
	u64 rflags;		/* for SMAP's AC */
};

/**
 * struct minihv_walk - the result of a guest page walk
 * @gva:	the linear address walked (the faulting one, on a fault)
 * @gpa:	the guest physical address
 * @error:	on failure, the #PF error code
 * @user:	U/S set at every level
 * @write:	R/W set at every level
 * @nx:		XD set at some level (and EFER.NXE on)
 * @dirty:	the leaf's D bit (after this walk's update)
 * @level:	the leaf's level: 1 for 4 KiB, 2 for 2/4 MiB, 3 for 1 GiB
 * @pte_gpa:	where the leaf entry is, and @pte_size its size (4 or 8)
 * @up_user, @up_write, @up_nx: @user, @write, @nx of the levels above
 *		the leaf only
 */
struct minihv_walk {
	u64 gva;
	u64 gpa;
	u32 error;
	bool user;
	bool write;
	bool nx;
	bool dirty;
	int level;
	u64 pte_gpa;
	unsigned int pte_size;
	bool up_user;
	bool up_write;
	bool up_nx;
};

int minihv_mmu_walk(struct minihv_vcpu *vcpu, const struct minihv_paging *p,
		    u64 gva, u32 access, struct minihv_walk *w);

/* Per-vCPU shadow page tables (see mmu.c). */
#define MINIHV_SHADOW_MAX_PAGES	1024	/* per vCPU: 4 MiB of tables */

struct minihv_shadow {
	struct page *root;
	u64 root_pa;
	int levels;		/* 3: PAE (legacy guests), 4: long mode */
	unsigned int pages;	/* table pages in use, root included */
	bool flush;		/* entries dropped: the vendor flushes the TLB */
	u64 zaps;		/* statistics */
	u64 faults;
};

struct minihv_crs;

void minihv_shadow_hw_crs(const struct minihv_crs *guest,
			  struct minihv_crs *hw);
int minihv_shadow_root(struct minihv_shadow *sh, int levels);
void minihv_shadow_zap(struct minihv_shadow *sh);
void minihv_shadow_destroy(struct minihv_shadow *sh);
void minihv_shadow_invlpg(struct minihv_shadow *sh, u64 gva);
int minihv_shadow_map_host(struct minihv_shadow *sh, u64 gva, u64 pa,
			   unsigned int npages);
int minihv_shadow_fault(struct minihv_vcpu *vcpu, struct minihv_shadow *sh,
			const struct minihv_paging *p, u64 gva, u32 error);
int minihv_read_gva(struct minihv_vcpu *vcpu, const struct minihv_paging *p,
		    u64 gva, void *buf, unsigned int len, u32 access,
		    struct minihv_walk *w);

#endif /* MINIHV_MMU_H */
