// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: two-dimensional paging tables (NPT on SVM, EPT on VMX).
 *
 * Both formats are 4- or 5-level radix trees of 512 64-bit entries with
 * the physical address in bits 51:12; they differ only in the permission
 * and memory-type bits, which the backend gives as ready-made masks.  The
 * tree is built lazily, of 4 KiB mappings, all those of the faulting 2 MiB
 * region per nested page fault or EPT violation (minihv_tdp_fault()),
 * and torn down whole when the memory slots change (minihv_tdp_zap()).
 *
 * Locking: tdp->lock serializes map and zap.  Entries are written with
 * WRITE_ONCE() because the CPU walks the tree concurrently.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mutex.h>

#include "minihv.h"
#include "tdp.h"
#include "trace.h"

#define TDP_ADDR_MASK	GENMASK_ULL(51, 12)
#define TDP_PRESENT	0x7ULL	/* NPT: P (bit 0); EPT: R|W|X (bits 2:0) */

static u64 *tdp_table(u64 entry)
{
	return phys_to_virt(entry & TDP_ADDR_MASK);
}

int minihv_tdp_init(struct minihv_tdp *tdp, int levels, u64 table_bits,
		    u64 leaf_bits, u64 write_bit)
{
	tdp->root = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!tdp->root)
		return -ENOMEM;
	tdp->root_pa = page_to_phys(tdp->root);
	tdp->levels = levels;
	tdp->table_bits = table_bits;
	tdp->leaf_bits = leaf_bits;
	tdp->write_bit = write_bit;
	atomic64_set(&tdp->gen, 0);
	mutex_init(&tdp->lock);
	return 0;
}

/* Free the tables under @table, a table at @level (1 = page table). */
static void tdp_free_level(u64 *table, int level)
{
	int i;

	if (level == 1)
		return;
	for (i = 0; i < 512; i++) {
		u64 e = table[i];

		if (!(e & TDP_PRESENT))
			continue;
		tdp_free_level(tdp_table(e), level - 1);
		free_page((unsigned long)tdp_table(e));
	}
}

/*
 * Drop every mapping.  The caller makes sure no vCPU is in the guest; the
 * new generation makes every vCPU flush its TLB (new ASID, INVEPT) before
 * entering again.
 */
void minihv_tdp_zap(struct minihv_tdp *tdp)
{
	u64 *root = page_address(tdp->root);

	mutex_lock(&tdp->lock);
	tdp_free_level(root, tdp->levels);
	memset(root, 0, PAGE_SIZE);
	atomic64_inc(&tdp->gen);
	mutex_unlock(&tdp->lock);
}

void minihv_tdp_destroy(struct minihv_tdp *tdp)
{
	if (!tdp->root)
		return;
	minihv_tdp_zap(tdp);
	__free_page(tdp->root);
	tdp->root = NULL;
}

/*
 * Map guest-physical @gpa to host-physical @hpa (4 KiB), writable or not.
 * Replaces an existing mapping.  Process context.
 */
int minihv_tdp_map(struct minihv_tdp *tdp, u64 gpa, u64 hpa, bool writable)
{
	u64 *table = page_address(tdp->root);
	int level, r = 0;

	mutex_lock(&tdp->lock);
	for (level = tdp->levels; level > 1; level--) {
		unsigned int idx = (gpa >> (12 + 9 * (level - 1))) & 511;
		u64 e = table[idx];

		if (!(e & TDP_PRESENT)) {
			struct page *page;

			page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
			if (!page) {
				r = -ENOMEM;
				goto out;
			}
			e = page_to_phys(page) | tdp->table_bits;
			WRITE_ONCE(table[idx], e);
		}
		table = tdp_table(e);
	}
	WRITE_ONCE(table[(gpa >> 12) & 511], (hpa & TDP_ADDR_MASK) |
		   tdp->leaf_bits | (writable ? tdp->write_bit : 0));
out:
	mutex_unlock(&tdp->lock);
	return r;
}

/*
 * Map all the RAM of the aligned 2 MiB region around @gpa: each page a
 * memslot backs, writable as its slot is (and, where the slot logs dirty
 * pages, once the page is logged: minihv_slot_map_writable()); holes
 * (MMIO, the local APIC page) stay unmapped.  One nested fault per region
 * instead of one per page: fewer exits, and fewer exits in the middle of
 * an event delivery (an interrupt's push onto a fresh stack page), which
 * QEMU TCG's nested SVM has been seen to deliver twice
 * (Documentation/labs.rst).  Slot pages stay pinned for the slot's life
 * and a slot change zaps the table, so no entry outlives its page.
 * Process context, vm->slots_lock held (read).
 */
static int tdp_map_around(struct minihv_tdp *tdp, struct minihv_vm *vm,
			  u64 gpa)
{
	u64 gfn = (gpa >> PAGE_SHIFT) & ~511ULL, end = gfn + 512;
	struct minihv_memslot *s = NULL;
	int r;

	lockdep_assert_held_read(&vm->slots_lock);

	for (; gfn < end; gfn++) {
		if (!s || gfn - s->base_gfn >= s->npages) {
			s = minihv_gfn_to_slot(vm, gfn);
			if (!s)
				continue;
		}
		r = minihv_tdp_map(tdp, gfn << PAGE_SHIFT,
				   page_to_phys(s->pages[gfn - s->base_gfn]),
				   minihv_slot_map_writable(s, gfn));
		if (r)
			return r;
	}
	return 0;
}

/**
 * minihv_tdp_fault() - a nested page fault (NPT) or EPT violation
 * @vcpu:	the vCPU that took it
 * @tdp:	its VM's table
 * @gpa:	the guest-physical address
 * @write:	the access was a write
 * @info:	the backend's own description of the fault, for the tracepoint
 *		(EXITINFO1, the exit qualification)
 *
 * Outside every slot, or a write to a read-only slot: MMIO, for the common
 * emulation.  Otherwise a write is logged (dirty logging: the page is then
 * mapped writable) and the RAM of the 2 MiB region is mapped.
 *
 * Return: as an exit handler.
 */
int minihv_tdp_fault(struct minihv_vcpu *vcpu, struct minihv_tdp *tdp,
		     u64 gpa, bool write, u64 info)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct minihv_memslot *s = minihv_gfn_to_slot(vcpu->vm, gfn);
	bool mmio = !s || (write && (s->flags & KVM_MEM_READONLY));

	trace_minihv_page_fault(vcpu, MINIHV_PF_TDP, gpa, info,
				mmio ? MINIHV_PF_MMIO : MINIHV_PF_MAPPED);
	if (mmio)
		return minihv_handle_mmio(vcpu, gpa);
	if (write)
		minihv_slot_mark_dirty(s, gfn);
	if (tdp_map_around(tdp, vcpu->vm, gpa))
		return -ENOMEM;
	return 1;
}
