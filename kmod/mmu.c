// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the guest page-table walker and the shadow MMU (npt=0/ept=0).
 *
 * The walker translates a guest linear address the way the CPU does, in
 * every paging mode (off, 32-bit with PSE, PAE, 4-level with 2 MiB and
 * 1 GiB pages), checks the access against U/S, R/W (CR0.WP), XD (EFER.NXE),
 * SMEP and SMAP, sets the accessed and dirty bits in the guest's entries,
 * and gives the #PF error code when the access faults.
 *
 * Shadow paging: the CPU runs the guest on tables the host builds, one
 * tree per vCPU, filled one 4 KiB entry per intercepted #PF from a guest
 * walk: 4-level for long-mode guests, PAE (the root below 4 GiB) for every
 * legacy-mode guest, paging off included (then the tree maps linear =
 * physical).  Guest large pages are shattered into 4 KiB entries.  All the
 * permissions are in the leaf; the upper levels allow everything.
 *
 * Coherence: the tree is a TLB, nothing more.  It is dropped whole when
 * the guest loads CR3, changes a paging control (CR0.PG/WP, CR4 paging
 * bits, EFER.NXE/LMA) or the memory slots change, and per page on INVLPG
 * (the whole region of a shattered large page).  The guest must already
 * invalidate its TLB after changing an entry, except when it makes a
 * non-present entry present or relaxes a permission: then the access
 * faults into us, we walk again and see the new entry.  So guest
 * page-table pages need no write protection; see Documentation/mmu.rst.
 *
 * Locking: the shadow tree is the vCPU's own, touched only by its thread
 * with vcpu->mutex held (and vm->slots_lock for read, which keeps the
 * memory slots, hence the pinned pages the leaves point to, stable).
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <asm/msr-index.h>
#include <asm/pgtable_types.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "minihv.h"
#include "mmu.h"
#include "trace.h"

#define GPTE_P		BIT_ULL(0)
#define GPTE_RW		BIT_ULL(1)
#define GPTE_US		BIT_ULL(2)
#define GPTE_A		BIT_ULL(5)
#define GPTE_D		BIT_ULL(6)
#define GPTE_PS		BIT_ULL(7)
#define GPTE_XD		BIT_ULL(63)
#define GPTE_ADDR	GENMASK_ULL(51, 12)
/* PAE PDPTE bits that must be zero: 2:1, 8:5 and XD. */
#define PDPTE_RSVD	(GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5) | GPTE_XD)

/* ---------------------------------------------------------------------
 * The guest walker
 */

struct gpte {
	u64 gpa;		/* where the entry is */
	u64 val;
	bool upd;		/* A/D may be set in it (not a PDPTE) */
};

static int gpte_read(struct minihv_vm *vm, u64 gpa, unsigned int size,
		     u64 *val)
{
	u32 v32;
	int r;

	if (size == 8)
		return minihv_read_guest(vm, gpa, val, 8);
	r = minihv_read_guest(vm, gpa, &v32, 4);
	*val = v32;
	return r;
}

/*
 * Set @bits in the entry at @gpa if it still holds @old, atomically (other
 * vCPUs may walk or write it).  -EAGAIN if it changed under us.  In a
 * read-only slot the update is dropped, as the CPU's write would be.
 */
static int gpte_set(struct minihv_vm *vm, u64 gpa, unsigned int size,
		    u64 old, u64 bits)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct minihv_memslot *s = minihv_gfn_to_slot(vm, gfn);
	void *va;
	bool ok;

	if (!s || (s->flags & KVM_MEM_READONLY))
		return 0;
	minihv_slot_mark_dirty(s, gfn);
	va = kmap_local_page(s->pages[gfn - s->base_gfn]) + offset_in_page(gpa);
	if (size == 8)
		ok = cmpxchg((u64 *)va, old, old | bits) == old;
	else
		ok = cmpxchg((u32 *)va, (u32)old, (u32)(old | bits)) ==
		     (u32)old;
	kunmap_local(va);
	return ok ? 0 : -EAGAIN;
}

static u32 fault_code(const struct minihv_paging *p, u32 access)
{
	u32 err = access & (PFERR_W | PFERR_U);

	/* I/D is reported where fetches can fault on their own. */
	if ((access & PFERR_I) &&
	    ((p->efer & EFER_NX) || (p->cr4 & X86_CR4_SMEP)))
		err |= PFERR_I;
	return err;
}

static int walk_once(struct minihv_vcpu *vcpu, const struct minihv_paging *p,
		     u64 gva, u32 access, struct minihv_walk *w)
{
	struct minihv_vm *vm = vcpu->vm;
	bool nxe = p->efer & EFER_NX;
	bool user = access & PFERR_U;
	struct gpte e[5];
	unsigned int size, bits;
	int level, n = 0, i;
	u64 table, rsvd_addr;

	w->user = true;
	w->write = true;
	w->nx = false;
	w->gva = gva;
	w->pte_gpa = 0;
	w->pte_size = 0;
	if (!(p->cr0 & X86_CR0_PG)) {
		/* As if one large page: the shadow fills 2 MiB at a time. */
		w->gpa = (u32)gva;
		w->level = 2;
		w->dirty = true;
		return 0;
	}

	rsvd_addr = GPTE_ADDR & ~GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1,
					     0);
	if (p->efer & EFER_LMA) {
		if (p->cr4 & X86_CR4_LA57)
			return -EOPNOTSUPP;
		level = 4;
		size = 8;
		bits = 9;
		table = p->cr3 & GPTE_ADDR;
	} else if (p->cr4 & X86_CR4_PAE) {
		u64 pdpte;

		gva = (u32)gva;
		if (gpte_read(vm, (p->cr3 & 0xffffffe0u) + ((gva >> 30) & 3) * 8,
			      8, &pdpte))
			return -EIO;
		if (!(pdpte & GPTE_P))
			goto not_present;
		if (pdpte & (PDPTE_RSVD | rsvd_addr))
			goto rsvd;
		level = 2;
		size = 8;
		bits = 9;
		table = pdpte & GPTE_ADDR;
	} else {
		gva = (u32)gva;
		level = 2;
		size = 4;
		bits = 10;
		table = p->cr3 & 0xfffff000u;
	}

	for (;;) {
		unsigned int shift = 12 + bits * (level - 1);
		u64 idx = (gva >> shift) & ((1u << bits) - 1);
		bool large;
		u64 pte;

		if (gpte_read(vm, table + idx * size, size, &pte))
			return -EIO;
		/* The levels above this one, for prefetching its neighbours. */
		w->up_user = w->user;
		w->up_write = w->write;
		w->up_nx = w->nx;
		e[n].gpa = table + idx * size;
		e[n].val = pte;
		e[n].upd = true;
		n++;
		if (!(pte & GPTE_P))
			goto not_present;
		if (size == 8) {
			if ((pte & GPTE_XD) && !nxe)
				goto rsvd;
			if (pte & rsvd_addr)
				goto rsvd;
			if (level == 4 && (pte & GPTE_PS))
				goto rsvd;
			if (pte & GPTE_XD)
				w->nx = true;
		}
		if (!(pte & GPTE_US))
			w->user = false;
		if (!(pte & GPTE_RW))
			w->write = false;
		large = level > 1 && (pte & GPTE_PS) &&
			(size == 8 || (p->cr4 & X86_CR4_PSE));
		if (level == 1 || large) {
			u64 mask = BIT_ULL(shift) - 1;

			if (size == 4 && large)
				/* PSE-36: bits 20:13 are address bits 39:32. */
				w->gpa = (pte & 0xffc00000u) |
					 ((pte & 0x1fe000) << 19) |
					 (gva & mask);
			else if (size == 4)
				w->gpa = (pte & 0xfffff000u) | (gva & mask);
			else
				w->gpa = (pte & GPTE_ADDR & ~mask) |
					 (gva & mask);
			w->level = level;
			w->pte_gpa = e[n - 1].gpa;
			w->pte_size = size;
			break;
		}
		table = pte & (size == 8 ? GPTE_ADDR : 0xfffff000u);
		level--;
	}

	/* Permissions. */
	if (user && !w->user)
		goto protection;
	if ((access & PFERR_W) && !w->write &&
	    (user || (p->cr0 & X86_CR0_WP)))
		goto protection;
	if (access & PFERR_I) {
		if (w->nx)
			goto protection;
		if (!user && w->user && (p->cr4 & X86_CR4_SMEP))
			goto protection;
	} else if (!user && w->user && (p->cr4 & X86_CR4_SMAP) &&
		   !(p->rflags & X86_EFLAGS_AC)) {
		goto protection;
	}

	/* Accessed bits on the way down, dirty in the leaf for a write. */
	for (i = 0; i < n; i++) {
		u64 set = GPTE_A;
		int r;

		if (i == n - 1 && (access & PFERR_W))
			set |= GPTE_D;
		if ((e[i].val & set) == set)
			continue;
		r = gpte_set(vm, e[i].gpa, size, e[i].val, set);
		if (r)
			return r;
	}
	w->dirty = (access & PFERR_W) || (e[n - 1].val & GPTE_D);
	return 0;

not_present:
	w->error = fault_code(p, access);
	return -EFAULT;
rsvd:
	w->error = fault_code(p, access) | PFERR_P | PFERR_RSVD;
	return -EFAULT;
protection:
	w->error = fault_code(p, access) | PFERR_P;
	return -EFAULT;
}

/**
 * minihv_mmu_walk() - translate a guest linear address, as the CPU would
 * @vcpu:	the vCPU (its VM's memory holds the tables)
 * @p:		the guest's paging controls
 * @gva:	the linear address
 * @access:	PFERR_W, PFERR_U (CPL 3), PFERR_I (fetch), or 0 for a read
 * @w:		the result
 *
 * Sets the A bits (and D for a write) in the guest's entries, as the CPU
 * does, when the access is allowed.
 *
 * Return: 0; -EFAULT if the access faults (@w->error is the #PF error
 * code); -EIO if a table is outside guest RAM; -EAGAIN if another vCPU
 * kept changing an entry under us; -EOPNOTSUPP for 5-level paging.
 */
int minihv_mmu_walk(struct minihv_vcpu *vcpu, const struct minihv_paging *p,
		    u64 gva, u32 access, struct minihv_walk *w)
{
	int tries, r = -EAGAIN;

	for (tries = 0; tries < 4 && r == -EAGAIN; tries++)
		r = walk_once(vcpu, p, gva, access, w);
	return r;
}

/**
 * minihv_read_gva() - read guest memory at a linear address
 * @vcpu:	the vCPU
 * @p:		its paging controls
 * @gva:	linear address (the caller wraps it to 32 bits where needed)
 * @buf:	destination
 * @len:	bytes
 * @access:	access type for the walk (PFERR_I for instruction bytes)
 * @w:		on -EFAULT, the fault: @w->gva and @w->error
 *
 * Return: 0 or minihv_mmu_walk()'s error; -EIO also for MMIO.
 */
int minihv_read_gva(struct minihv_vcpu *vcpu, const struct minihv_paging *p,
		    u64 gva, void *buf, unsigned int len, u32 access,
		    struct minihv_walk *w)
{
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(gva));
		int r;

		r = minihv_mmu_walk(vcpu, p, gva, access, w);
		if (r)
			return r;
		if (minihv_read_guest(vcpu->vm, w->gpa, buf, n))
			return -EIO;
		buf += n;
		gva += n;
		len -= n;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * Shadow page tables
 */

#define SPTE_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)
#define SPTE_ADDR	GENMASK_ULL(51, 12)

static u64 *spte_table(u64 e)
{
	return phys_to_virt(e & SPTE_ADDR);
}

static struct page *shadow_alloc(struct minihv_shadow *sh, gfp_t extra)
{
	struct page *page;

	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO | extra);
	if (page) {
		set_page_private(page, 0);
		sh->pages++;
	}
	return page;
}

static void shadow_free(struct minihv_shadow *sh, u64 *table)
{
	struct page *page = virt_to_page(table);

	set_page_private(page, 0);
	__free_page(page);
	sh->pages--;
}

/* Free every table under @table, a table at @level (1 = page table). */
static void shadow_free_children(struct minihv_shadow *sh, u64 *table,
				 int level)
{
	int i;

	if (level == 1)
		return;
	for (i = 0; i < 512; i++) {
		u64 e = table[i];

		if (!(e & _PAGE_PRESENT))
			continue;
		shadow_free_children(sh, spte_table(e), level - 1);
		shadow_free(sh, spte_table(e));
		table[i] = 0;
	}
}

/**
 * minihv_shadow_zap() - drop every shadow entry
 * @sh:		the vCPU's shadow tree
 *
 * Keeps the root (and the four PAE directories); sets @sh->flush for the
 * backend to flush the vCPU's TLB before it enters again.
 */
void minihv_shadow_zap(struct minihv_shadow *sh)
{
	u64 *root;
	int i;

	if (!sh->root)
		return;
	root = page_address(sh->root);
	if (sh->levels == 3) {
		for (i = 0; i < 4; i++) {
			u64 *pd = spte_table(root[i]);

			shadow_free_children(sh, pd, 2);
		}
	} else {
		shadow_free_children(sh, root, sh->levels);
	}
	sh->flush = true;
	sh->zaps++;
}

void minihv_shadow_destroy(struct minihv_shadow *sh)
{
	u64 *root;
	int i;

	if (!sh->root)
		return;
	minihv_shadow_zap(sh);
	root = page_address(sh->root);
	if (sh->levels == 3)
		for (i = 0; i < 4; i++)
			shadow_free(sh, spte_table(root[i]));
	shadow_free(sh, root);
	sh->root = NULL;
	sh->root_pa = 0;
	sh->flush = true;
}

/**
 * minihv_shadow_root() - make sure the tree exists in the right format
 * @sh:		the vCPU's shadow tree
 * @levels:	4 for a long-mode guest, 3 (PAE) for any other
 *
 * A PAE root lives below 4 GiB (legacy-mode CR3 is 32 bits) and has its
 * four directories from the start, so its PDPTEs never change.
 *
 * Return: 0 or -ENOMEM.
 */
int minihv_shadow_root(struct minihv_shadow *sh, int levels)
{
	u64 *root;
	int i;

	if (sh->root && sh->levels == levels)
		return 0;
	minihv_shadow_destroy(sh);
	sh->root = shadow_alloc(sh, levels == 3 ? GFP_DMA32 : 0);
	if (!sh->root)
		return -ENOMEM;
	sh->levels = levels;
	sh->root_pa = page_to_phys(sh->root);
	root = page_address(sh->root);
	if (levels == 3) {
		for (i = 0; i < 4; i++) {
			struct page *pd = shadow_alloc(sh, 0);

			if (!pd) {
				while (i--)
					shadow_free(sh, spte_table(root[i]));
				shadow_free(sh, root);
				sh->root = NULL;
				return -ENOMEM;
			}
			root[i] = page_to_phys(pd) | _PAGE_PRESENT;
		}
	}
	sh->flush = true;
	return 0;
}

/* The page directory (level-2 table) covering @gva, or NULL. */
static u64 *shadow_pd(struct minihv_shadow *sh, u64 gva)
{
	u64 *table = page_address(sh->root);
	int level = sh->levels;

	if (level == 3)
		return spte_table(table[(gva >> 30) & 3]);
	for (; level > 2; level--) {
		u64 e = table[(gva >> (12 + 9 * (level - 1))) & 511];

		if (!(e & _PAGE_PRESENT))
			return NULL;
		table = spte_table(e);
	}
	return table;
}

/* Drop the page table under PD entry @idx. */
static void shadow_drop_pde(struct minihv_shadow *sh, u64 *pd, unsigned int idx)
{
	if (!(pd[idx] & _PAGE_PRESENT))
		return;
	shadow_free(sh, spte_table(pd[idx]));
	WRITE_ONCE(pd[idx], 0);
}

/**
 * minihv_shadow_invlpg() - the guest invalidated @gva
 * @sh:		the vCPU's shadow tree
 * @gva:	the linear address
 *
 * Drops the 4 KiB entry, or, where the shadow page table was filled from
 * a guest large page, every table of that large page (4 MiB: two tables,
 * 1 GiB: the whole directory).
 */
void minihv_shadow_invlpg(struct minihv_shadow *sh, u64 gva)
{
	unsigned int idx, i;
	u64 *pd, *pt;
	unsigned long glevel;

	if (!sh->root)
		return;
	if (sh->levels == 3)
		gva = (u32)gva;
	pd = shadow_pd(sh, gva);
	if (!pd)
		return;
	idx = (gva >> 21) & 511;
	if (!(pd[idx] & _PAGE_PRESENT))
		return;
	pt = spte_table(pd[idx]);
	glevel = page_private(virt_to_page(pt));
	if (!glevel) {
		WRITE_ONCE(pt[(gva >> 12) & 511], 0);
	} else if (glevel == 2) {
		/* 2 MiB or a 4 MiB page of 32-bit paging: both halves. */
		shadow_drop_pde(sh, pd, idx & ~1u);
		shadow_drop_pde(sh, pd, idx | 1u);
	} else {
		for (i = 0; i < 512; i++)
			shadow_drop_pde(sh, pd, i);
	}
	sh->flush = true;
}

/* The leaf entry for @gva, with the tables above it; ERR_PTR on failure. */
static u64 *shadow_leaf(struct minihv_shadow *sh, u64 gva, int glevel)
{
	u64 *table = page_address(sh->root);
	int level = sh->levels;

	if (level == 3) {
		table = spte_table(table[(gva >> 30) & 3]);
		level = 2;
	}
	for (; level > 1; level--) {
		unsigned int idx = (gva >> (12 + 9 * (level - 1))) & 511;
		u64 e = table[idx];

		if (!(e & _PAGE_PRESENT)) {
			struct page *page;

			if (sh->pages >= MINIHV_SHADOW_MAX_PAGES)
				return ERR_PTR(-ENOSPC);
			page = shadow_alloc(sh, 0);
			if (!page)
				return ERR_PTR(-ENOMEM);
			e = page_to_phys(page) | SPTE_TABLE;
			WRITE_ONCE(table[idx], e);
		}
		table = spte_table(e);
		if (level == 2 && glevel > 1) {
			struct page *pt = virt_to_page(table);

			set_page_private(pt, max_t(unsigned long, glevel,
						   page_private(pt)));
		}
	}
	return &table[(gva >> 12) & 511];
}

/**
 * minihv_shadow_map_host() - map host pages at guest linear addresses
 * @sh:		the vCPU's shadow tree (its root exists)
 * @gva:	the first linear address, page aligned
 * @pa:		the host physical address of the first page
 * @npages:	consecutive pages, all under one shadow page table (2 MiB)
 *
 * For a backend's own structures that no guest table maps and the guest
 * cannot name (VMX's virtual-8086 TSS, arch/x86/vmx/realmode.c): present,
 * read-only and supervisor-only leaves.  A zap drops them like any other
 * entry; the backend maps them again before the next entry.
 *
 * Return: 0 or -ENOMEM.
 */
int minihv_shadow_map_host(struct minihv_shadow *sh, u64 gva, u64 pa,
			   unsigned int npages)
{
	unsigned int i;
	u64 *sptep;

	/* At most one new page table: make room first, not halfway. */
	if (sh->pages + 1 >= MINIHV_SHADOW_MAX_PAGES)
		minihv_shadow_zap(sh);
	for (i = 0; i < npages; i++) {
		sptep = shadow_leaf(sh, gva + i * PAGE_SIZE, 1);
		if (IS_ERR(sptep))
			return PTR_ERR(sptep);
		WRITE_ONCE(*sptep, (pa + i * PAGE_SIZE) | _PAGE_PRESENT);
	}
	return 0;
}

/*
 * The shadow entry for guest-physical @gpa with these permissions, or 0
 * for MMIO.  *@slot caches the last slot found: prefetches look up
 * neighbouring frames.
 */
static u64 shadow_spte(struct minihv_vm *vm, struct minihv_memslot **slot,
		       u64 gpa, bool user, bool write, bool nx, bool dirty)
{
	struct minihv_memslot *s = *slot;
	u64 gfn = gpa >> PAGE_SHIFT;
	u64 spte;

	if (!s || gfn < s->base_gfn || gfn - s->base_gfn >= s->npages) {
		s = minihv_gfn_to_slot(vm, gfn);
		if (!s)
			return 0;	/* MMIO: stays a fault */
		*slot = s;
	}
	spte = page_to_phys(s->pages[gfn - s->base_gfn]) | _PAGE_PRESENT;
	if (write && dirty && minihv_slot_map_writable(s, gfn))
		spte |= _PAGE_RW;
	if (user)
		spte |= _PAGE_USER;
	if (nx)
		spte |= _PAGE_NX;
	return spte;
}

/*
 * After a fault filled @gva's leaf, fill the empty slots of the same
 * shadow page table from the guest's entries that the CPU could have in
 * its TLB already: the rest of a guest large page, or the guest PTEs of
 * this 2 MiB that are present and accessed.  A guest that changes one of
 * them must invalidate it anyway, which drops it here too.  Turns the
 * one-fault-per-page refill after each CR3 load into one per table.
 */
static void shadow_prefetch(struct minihv_vcpu *vcpu,
			    const struct minihv_paging *p, u64 gva,
			    const struct minihv_walk *w, u64 *sptep)
{
	u64 *pt = sptep - ((gva >> 12) & 511);
	struct minihv_memslot *slot = NULL;
	unsigned int i, first = 0;
	struct page *page;
	bool writable;
	void *table;

	if (w->level > 1) {
		/* Only inside the faulting page's slot: the rest is MMIO. */
		u64 gfn0 = (w->gpa >> PAGE_SHIFT) - ((gva >> 12) & 511);
		u64 lo, hi;

		slot = minihv_gfn_to_slot(vcpu->vm, w->gpa >> PAGE_SHIFT);
		if (!slot)
			return;
		lo = max(slot->base_gfn, gfn0);
		hi = min(slot->base_gfn + slot->npages, gfn0 + 512);
		for (; lo < hi; lo++) {
			i = lo - gfn0;
			if (!(pt[i] & _PAGE_PRESENT))
				WRITE_ONCE(pt[i], shadow_spte(vcpu->vm, &slot,
							      lo << PAGE_SHIFT,
							      w->user, w->write,
							      w->nx, w->dirty));
		}
		return;
	}
	page = minihv_gfn_to_page(vcpu->vm, w->pte_gpa >> PAGE_SHIFT,
				  &writable);
	if (!page)
		return;
	/* A 32-bit page table covers 4 MiB: this shadow table, half of it. */
	if (w->pte_size == 4)
		first = ((gva >> 21) & 1) * 512;
	table = kmap_local_page(page);
	for (i = 0; i < 512; i++) {
		u64 e, gpa;
		bool nx = w->up_nx;

		if (pt[i] & _PAGE_PRESENT)
			continue;
		if (w->pte_size == 8) {
			e = READ_ONCE(((u64 *)table)[i]);
			if ((e & GPTE_XD) && !(p->efer & EFER_NX))
				continue;
			if (e & GPTE_XD)
				nx = true;
			gpa = e & GPTE_ADDR;
			if (gpa >> boot_cpu_data.x86_phys_bits)
				continue;
		} else {
			e = READ_ONCE(((u32 *)table)[first + i]);
			gpa = e & 0xfffff000u;
		}
		if ((e & (GPTE_P | GPTE_A)) != (GPTE_P | GPTE_A))
			continue;
		WRITE_ONCE(pt[i], shadow_spte(vcpu->vm, &slot, gpa,
					      w->up_user && (e & GPTE_US),
					      w->up_write && (e & GPTE_RW),
					      nx, e & GPTE_D));
	}
	kunmap_local(table);
}

/**
 * minihv_shadow_hw_crs() - what the CPU runs a shadow-paged guest with
 * @guest:	the guest's CR0, CR3, CR4 and EFER (its own view)
 * @hw:		the hardware's, filled in (CR3 is the backend's: the root)
 *
 * Always paging and CR0.WP: real mode and paging-off protected mode run
 * on an identity shadow, and the guest's WP=0 is emulated in the shadow
 * entries.  Always CR4.PAE (PAE or 4-level shadow tables), without SMEP
 * and SMAP while the guest's paging is off.  Always EFER.NX (a user page
 * the kernel wrote with WP=0 under SMEP is XD in the shadow), EFER.LME
 * and LMA only in long mode.  The backends add their own (VMX: PE and
 * the fixed bits, v86 mode's; SVM: EFER.SVME).
 */
void minihv_shadow_hw_crs(const struct minihv_crs *guest,
			  struct minihv_crs *hw)
{
	hw->cr0 = guest->cr0 | X86_CR0_PG | X86_CR0_WP;
	hw->cr3 = guest->cr3;
	hw->cr4 = guest->cr4 | X86_CR4_PAE;
	if (!(guest->cr0 & X86_CR0_PG))
		hw->cr4 &= ~(X86_CR4_SMEP | X86_CR4_SMAP);
	hw->efer = (guest->efer & ~(EFER_LME | EFER_LMA)) | EFER_NX;
	if (guest->efer & EFER_LMA)
		hw->efer |= EFER_LME | EFER_LMA;
}

/**
 * minihv_shadow_fault() - an intercepted #PF
 * @vcpu:	the vCPU
 * @sh:		its shadow tree
 * @p:		the guest's paging controls
 * @gva:	the faulting linear address (CR2)
 * @error:	the CPU's error code (its W, U and I bits are the access)
 *
 * Walks the guest's tables: a guest fault is reflected into the guest
 * (minihv_ops->inject_page_fault), a guest physical address outside RAM
 * (or a write to a read-only slot) is MMIO, anything else becomes a shadow
 * entry and the instruction runs again.  A page stays read-only in the
 * shadow until the guest's D bit is set, so the first write comes here.
 *
 * Return: as an exit handler.
 */
int minihv_shadow_fault(struct minihv_vcpu *vcpu, struct minihv_shadow *sh,
			const struct minihv_paging *p, u64 gva, u32 error)
{
	u32 access = error & (PFERR_W | PFERR_U | PFERR_I);
	struct minihv_memslot *slot;
	struct minihv_walk w;
	bool write, user, nx;
	u64 gfn;
	u64 *sptep, spte;
	int r;

	sh->faults++;
	if (sh->levels == 3)
		gva = (u32)gva;
	r = minihv_mmu_walk(vcpu, p, gva, access, &w);
	if (r == -EFAULT) {
		trace_minihv_page_fault(vcpu, MINIHV_PF_SHADOW, gva, error,
					MINIHV_PF_GUEST);
		minihv_inject_page_fault(vcpu, gva, w.error);
		return 1;
	}
	if (r == -EAGAIN)
		return 1;
	if (r) {
		u64 data[3] = { gva, error, r };

		return minihv_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					    3, data);
	}

	gfn = w.gpa >> PAGE_SHIFT;
	slot = minihv_gfn_to_slot(vcpu->vm, gfn);
	if (!slot || ((access & PFERR_W) &&
		      (slot->flags & KVM_MEM_READONLY))) {
		trace_minihv_page_fault(vcpu, MINIHV_PF_SHADOW, gva, error,
					MINIHV_PF_MMIO);
		return minihv_handle_mmio(vcpu, w.gpa);
	}
	/* The write goes ahead through a writable entry: log it. */
	if (access & PFERR_W)
		minihv_slot_mark_dirty(slot, gfn);

	write = w.write;
	user = w.user;
	nx = w.nx;
	/*
	 * CR0.WP=0: the kernel writes through read-only entries.  The CPU
	 * runs with WP=1, so the shadow entry becomes a writable supervisor
	 * one; a later user access faults and gets the user view back.  A
	 * user page made supervisor must not become executable for the
	 * kernel under SMEP: it is mapped NX, and a fetch faults here, where
	 * the walk refuses it (as KVM does).
	 */
	if (!(p->cr0 & X86_CR0_WP) && !(access & PFERR_U) &&
	    (access & PFERR_W) && !w.write) {
		write = true;
		if (user && (p->cr4 & X86_CR4_SMEP))
			nx = true;
		user = false;
	}
	spte = page_to_phys(slot->pages[gfn - slot->base_gfn]) | _PAGE_PRESENT;
	if (write && w.dirty && minihv_slot_map_writable(slot, gfn))
		spte |= _PAGE_RW;
	if (user)
		spte |= _PAGE_USER;
	if (nx)
		spte |= _PAGE_NX;

	sptep = shadow_leaf(sh, gva, w.level);
	if (IS_ERR(sptep) && PTR_ERR(sptep) == -ENOSPC) {
		/* Over the budget: start again from an empty tree. */
		minihv_shadow_zap(sh);
		sptep = shadow_leaf(sh, gva, w.level);
	}
	if (IS_ERR(sptep))
		return PTR_ERR(sptep);
	/* A stale, more restrictive entry may be in the TLB. */
	if (*sptep & _PAGE_PRESENT)
		sh->flush = true;
	WRITE_ONCE(*sptep, spte);
	shadow_prefetch(vcpu, p, gva, &w, sptep);
	trace_minihv_page_fault(vcpu, MINIHV_PF_SHADOW, gva, error,
				MINIHV_PF_MAPPED);
	return 1;
}
