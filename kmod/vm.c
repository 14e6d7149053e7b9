// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: the VM file descriptor, the VM's lifetime and its memory slots.
 *
 * A VM is an anonymous-inode file.  Creating one takes a reference on
 * hardware virtualization (minihv_hw_get(): VMX/SVM on, on every CPU);
 * destroying it drops that.  The file also pins the module, so the module
 * cannot go away under a VM.
 *
 * Lifetime: struct minihv_vm is reference counted (@users).  The VM file
 * holds one reference and each vCPU file holds one, so the VM, its memory
 * slots and its vCPUs live until the VM file and every vCPU file are
 * closed; the last minihv_vm_put() frees everything, vCPUs first (as in
 * KVM: no vCPU file is left open at that point).
 *
 * Guest memory: every page of a memory slot is pinned when the slot is
 * created (pin_user_pages(FOLL_LONGTERM), all or nothing), charged to the
 * creator's RLIMIT_MEMLOCK like VFIO does, and unpinned when the slot is
 * deleted or the VM destroyed.  Why pin: the nested page tables only ever
 * point to pinned pages, and a slot's pages are unpinned only after the
 * nested page tables were zapped (->vm_zap) with every vCPU out of the
 * guest (slots_lock held for write).  So the guest can never reach host
 * memory that userspace has since unmapped or that the host has freed and
 * reused, without minihv needing MMU notifiers.  The cost: guest memory is
 * resident for the VM's lifetime (no swapping, no page migration, no KSM)
 * and is counted against the memlock limit (ENOMEM beyond it, unless the
 * creator has CAP_IPC_LOCK).  Userspace unmapping or remapping the range
 * after KVM_SET_USER_MEMORY_REGION does not change what the guest sees:
 * the pinned pages stay the slot's until the slot is deleted.
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "minihv.h"
#include "lapic.h"

/* At most this many pages are pinned by one pin_user_pages() call. */
#define PIN_CHUNK	512UL

/* KVM's per-slot limit (KVM_MEM_MAX_NR_PAGES in kvm_host.h). */
#define MAX_SLOT_PAGES	((1UL << 31) - 1)

/*
 * KVM_CHECK_EXTENSION, on the system fd and on a VM fd.  Honest: 1 (or a
 * count) only for what minihv implements, 0 for everything else, including
 * numbers no kernel knows.  KVM_CAP_COALESCED_MMIO (the page offset in
 * KVM), KVM_CAP_SET_TSS_ADDR and KVM_CAP_GET_MSR_FEATURES are among the
 * unsupported ones, and so are the dirty ring and manual dirty-log
 * protection (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): dirty logging itself,
 * KVM_MEM_LOG_DIRTY_PAGES and KVM_GET_DIRTY_LOG, has no capability in
 * KVM either, it is always there.
 */
long minihv_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_ENABLE_CAP_VM:
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_TSC_DEADLINE_TIMER:
	case KVM_CAP_USER_NMI:
		return 1;
	case KVM_CAP_NR_VCPUS:
	case KVM_CAP_MAX_VCPUS:
	case KVM_CAP_MAX_VCPU_ID:
		return MINIHV_MAX_VCPUS;
	case KVM_CAP_NR_MEMSLOTS:
		return MINIHV_MAX_MEMSLOTS;
	default:
		return 0;
	}
}

/*
 * Kick every vCPU out of the guest, so that a slot writer waiting on
 * slots_lock gets it: a vCPU in its run loop drops slots_lock when it sees
 * vm->slots_writer set (kmod/events.c: an IPI if it is in guest mode).
 */
void minihv_vm_kick_all(struct minihv_vm *vm)
{
	int i;

	for (i = 0; i < MINIHV_MAX_VCPUS; i++) {
		struct minihv_vcpu *vcpu = READ_ONCE(vm->vcpus[i]);

		if (vcpu)
			minihv_vcpu_kick(vcpu);
	}
}

/* The dirty bitmap's size, as KVM_GET_DIRTY_LOG copies it: whole longs. */
static size_t dirty_bytes(u64 npages)
{
	return BITS_TO_LONGS(npages) * sizeof(long);
}

/*
 * Unpin a slot's pages and un-charge them: vm->lock held (or the last
 * reference), the slot out of vm->slots, no slots_lock.
 */
static void slot_unpin(struct minihv_vm *vm, struct minihv_memslot *slot)
{
	if (!slot->pages)
		return;
	/* The guest may have written any page of a writable slot. */
	if (slot->flags & KVM_MEM_READONLY)
		unpin_user_pages(slot->pages, slot->npages);
	else
		unpin_user_pages_dirty_lock(slot->pages, slot->npages, true);
	account_locked_vm(vm->mm, slot->npages, false);
	vm->locked_pages -= slot->npages;
	kvfree(slot->pages);
	slot->pages = NULL;
}

/*
 * Pin the pages of a new slot, all or nothing; slot_charge() charged them
 * already.  Called by the VM's process (vm->mm == current->mm), vm->lock
 * held.
 */
static int slot_pin(struct minihv_vm *vm, struct minihv_memslot *slot)
{
	unsigned int gup = FOLL_LONGTERM | FOLL_WRITE;
	unsigned long done = 0;
	struct page **pages;
	int r;

	pages = kvmalloc_array(slot->npages, sizeof(*pages),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!pages)
		return -ENOMEM;

	while (done < slot->npages) {
		unsigned long n = min(slot->npages - done, PIN_CHUNK);
		long got;

		if (fatal_signal_pending(current)) {
			r = -EINTR;
			goto out_unpin;
		}
		mmap_read_lock(vm->mm);
		got = pin_user_pages(slot->uaddr + done * PAGE_SIZE, n, gup,
				     pages + done, NULL);
		/*
		 * Pin for writing even for a read-only slot: that breaks
		 * copy-on-write now, so the guest sees the same page as
		 * userspace, not the zero page a never-written anonymous
		 * page would give.  Only a mapping userspace cannot write
		 * is pinned read-only: what the guest sees of it is then
		 * what it was at pin time.
		 */
		if (got == -EFAULT && (slot->flags & KVM_MEM_READONLY) &&
		    (gup & FOLL_WRITE)) {
			gup &= ~FOLL_WRITE;
			got = pin_user_pages(slot->uaddr + done * PAGE_SIZE, n,
					     gup, pages + done, NULL);
		}
		mmap_read_unlock(vm->mm);
		if (got <= 0) {
			/* Nothing pinned (unmapped, PROT_NONE...). */
			r = got ? got : -EFAULT;
			goto out_unpin;
		}
		done += got;
		cond_resched();
	}

	slot->pages = pages;
	vm->locked_pages += slot->npages;
	return 0;

out_unpin:
	unpin_user_pages(pages, done);
	kvfree(pages);
	return r;
}

/*
 * Charge a new slot's pages to the creator's RLIMIT_MEMLOCK, -ENOMEM over
 * it (unless CAP_IPC_LOCK), as VFIO: before anything whose size grows
 * with the slot's (the array of pinned pages, the dirty log) is
 * allocated, so that a slot over a huge unbacked range costs nothing.
 * slot_uncharge() undoes it; slot_unpin() does for a pinned slot.
 */
static int slot_charge(struct minihv_vm *vm, u64 npages)
{
	return account_locked_vm(vm->mm, npages, true);
}

static void slot_uncharge(struct minihv_vm *vm, u64 npages)
{
	account_locked_vm(vm->mm, npages, false);
}

static bool slot_overlaps(struct minihv_vm *vm, u32 id, u64 gfn, u64 npages)
{
	int i;

	for (i = 0; i < MINIHV_MAX_MEMSLOTS; i++) {
		struct minihv_memslot *s = vm->slots[i];

		if (!s || i == id)
			continue;
		if (gfn < s->base_gfn + s->npages && s->base_gfn < gfn + npages)
			return true;
	}
	return false;
}

/*
 * Replace slot @id by @new (NULL: delete) with no vCPU in the guest and no
 * vCPU handling an exit, then drop the nested page tables.  vm->lock held.
 * Returns the old slot, for the caller to unpin and free outside
 * slots_lock.
 */
static struct minihv_memslot *slot_swap(struct minihv_vm *vm, u32 id,
					struct minihv_memslot *new)
{
	struct minihv_memslot *old;

	atomic_inc(&vm->slots_writer);
	minihv_vm_kick_all(vm);
	down_write(&vm->slots_lock);
	old = vm->slots[id];
	vm->slots[id] = new;
	if (minihv_ops->vm_zap)
		minihv_ops->vm_zap(vm);
	up_write(&vm->slots_lock);
	atomic_dec(&vm->slots_writer);
	return old;
}

/*
 * KVM_SET_USER_MEMORY_REGION, with KVM 6.1's semantics and errnos
 * (kvm_vm_ioctl_set_memory_region(), __kvm_set_memory_region(),
 * check_memory_region_flags()).
 *   - flags other than KVM_MEM_READONLY and KVM_MEM_LOG_DIRTY_PAGES: -EINVAL
 *   - slot id (low 16 bits) >= MINIHV_MAX_MEMSLOTS, or an address space
 *     (high 16 bits) other than 0: -EINVAL
 *   - memory_size, guest_phys_addr or userspace_addr not page aligned, a
 *     tagged userspace_addr, or a range that is not a user range
 *     (access_ok): -EINVAL
 *   - guest_phys_addr + memory_size wrapping around, or more than 2^31 - 1
 *     pages: -EINVAL (like KVM, no check against MAXPHYADDR)
 *   - size 0 on a slot that does not exist: -EINVAL
 *   - existing slot: a different userspace_addr or size, or toggling
 *     KVM_MEM_READONLY: -EINVAL; the same everything: 0, nothing done;
 *     a different guest_phys_addr: the slot moves (same pinned pages);
 *     KVM_MEM_LOG_DIRTY_PAGES toggled: a new (empty) log, or none; a
 *     slot that keeps logging keeps its log across a move
 *   - create or move onto guest frames of another slot: -EEXIST
 *   - a new slot: -ENOMEM over RLIMIT_MEMLOCK, checked before any
 *     allocation that grows with the slot; then pin_user_pages()'s error
 *     (-EFAULT for an unmapped or PROT_NONE range, ...)
 */
static int set_memory_region(struct minihv_vm *vm,
			     const struct kvm_userspace_memory_region *mem)
{
	struct minihv_memslot *old, *new;
	u32 id = (u16)mem->slot;
	u64 base_gfn, npages;
	int r;

	if (id >= MINIHV_MAX_MEMSLOTS)
		return -EINVAL;
	if (mem->flags & ~(KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES))
		return -EINVAL;
	if (mem->memory_size & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->guest_phys_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((mem->userspace_addr & (PAGE_SIZE - 1)) ||
	    mem->userspace_addr != untagged_addr(mem->userspace_addr) ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	if (mem->slot >> 16)
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size >> PAGE_SHIFT) > MAX_SLOT_PAGES)
		return -EINVAL;

	base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	npages = mem->memory_size >> PAGE_SHIFT;

	mutex_lock(&vm->lock);
	old = vm->slots[id];

	if (!npages) {
		/* Delete. */
		r = -EINVAL;
		if (!old)
			goto out_unlock;
		old = slot_swap(vm, id, NULL);
		/* No vCPU can reach the pages now: out of slots_lock. */
		slot_unpin(vm, old);
		kvfree(old->dirty);
		kfree(old);
		mutex_unlock(&vm->lock);
		return 0;
	}

	if (old) {
		r = -EINVAL;
		if (mem->userspace_addr != old->uaddr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			goto out_unlock;
		/* Left: a move, logging turned on or off, or both. */
		r = 0;
		if (base_gfn == old->base_gfn && mem->flags == old->flags)
			goto out_unlock;
	}

	r = -EEXIST;
	if (slot_overlaps(vm, id, base_gfn, npages))
		goto out_unlock;

	/* A new slot: its charge first (a move or a log change has it). */
	if (!old) {
		r = slot_charge(vm, npages);
		if (r)
			goto out_unlock;
	}

	r = -ENOMEM;
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		goto out_uncharge;
	new->id = id;
	new->flags = mem->flags;
	new->base_gfn = base_gfn;
	new->npages = npages;
	new->uaddr = mem->userspace_addr;

	/*
	 * An empty log write-protects every page: slot_swap() drops every
	 * mapping, and a page is mapped writable again only once logged.
	 */
	if (new->flags & KVM_MEM_LOG_DIRTY_PAGES) {
		new->dirty = old ? old->dirty : NULL;
		if (!new->dirty)
			new->dirty = kvzalloc(dirty_bytes(npages),
					      GFP_KERNEL_ACCOUNT);
		if (!new->dirty) {
			kfree(new);
			goto out_uncharge;
		}
	}
	if (old) {
		/* The new slot takes over the old one's pinned pages. */
		new->pages = old->pages;
	} else {
		r = slot_pin(vm, new);
		if (r) {
			kvfree(new->dirty);
			kfree(new);
			goto out_uncharge;
		}
	}

	old = slot_swap(vm, id, new);
	mutex_unlock(&vm->lock);
	/* Its pages are new's now, and so is its log if logging goes on. */
	if (old && old->dirty != new->dirty)
		kvfree(old->dirty);
	kfree(old);
	return 0;

out_uncharge:
	if (!old)
		slot_uncharge(vm, npages);
out_unlock:
	mutex_unlock(&vm->lock);
	return r;
}

/**
 * minihv_gfn_to_slot() - the memory slot holding a guest frame
 * @vm:		the VM
 * @gfn:	guest frame number
 *
 * Called with vm->slots_lock held (read), or vm->lock.  A linear scan: with
 * at most MINIHV_MAX_MEMSLOTS (32) slots, and exits that need it being
 * slow already, a sorted structure is not worth it.
 *
 * Return: the slot, or NULL if @gfn is in none (MMIO).
 */
struct minihv_memslot *minihv_gfn_to_slot(struct minihv_vm *vm, u64 gfn)
{
	int i;

	lockdep_assert(lockdep_is_held(&vm->slots_lock) ||
		       lockdep_is_held(&vm->lock));

	for (i = 0; i < MINIHV_MAX_MEMSLOTS; i++) {
		struct minihv_memslot *s = vm->slots[i];

		if (s && gfn >= s->base_gfn && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

/**
 * minihv_gfn_to_page() - the pinned host page backing a guest frame
 * @vm:		the VM
 * @gfn:	guest frame number
 * @writable:	set to whether the guest may write it (not KVM_MEM_READONLY)
 *
 * Called with vm->slots_lock held (read); the page stays pinned at least
 * until it is dropped.
 *
 * Return: the page, or NULL if @gfn is in no slot.
 */
struct page *minihv_gfn_to_page(struct minihv_vm *vm, u64 gfn,
				bool *writable)
{
	struct minihv_memslot *slot;

	lockdep_assert_held(&vm->slots_lock);
	slot = minihv_gfn_to_slot(vm, gfn);
	if (!slot)
		return NULL;
	*writable = !(slot->flags & KVM_MEM_READONLY);
	return slot->pages[gfn - slot->base_gfn];
}

/* Copy between a buffer and guest memory, page by page. */
static int guest_copy(struct minihv_vm *vm, u64 gpa, void *data,
		      unsigned int len, bool write)
{
	/* The slot and its pages stay while it is held (slot_swap()). */
	lockdep_assert_held(&vm->slots_lock);
	while (len) {
		unsigned int off = offset_in_page(gpa);
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - off);
		u64 gfn = gpa >> PAGE_SHIFT;
		struct minihv_memslot *s = minihv_gfn_to_slot(vm, gfn);
		void *va;

		if (!s || (write && (s->flags & KVM_MEM_READONLY)))
			return -EFAULT;
		if (write)
			minihv_slot_mark_dirty(s, gfn);
		va = kmap_local_page(s->pages[gfn - s->base_gfn]);
		if (write)
			memcpy(va + off, data, n);
		else
			memcpy(data, va + off, n);
		kunmap_local(va);
		gpa += n;
		data += n;
		len -= n;
	}
	return 0;
}

/**
 * minihv_read_guest() - read guest physical memory
 * @vm:		the VM
 * @gpa:	guest physical address
 * @data:	where to put it
 * @len:	how many bytes; may cross pages and slots
 *
 * Called with vm->slots_lock held (read).
 *
 * Return: 0, or -EFAULT if part of the range is in no slot.
 */
int minihv_read_guest(struct minihv_vm *vm, u64 gpa, void *data,
		      unsigned int len)
{
	return guest_copy(vm, gpa, data, len, false);
}

/**
 * minihv_write_guest() - write guest physical memory
 * @vm:		the VM
 * @gpa:	guest physical address
 * @data:	what to write
 * @len:	how many bytes; may cross pages and slots
 *
 * Called with vm->slots_lock held (read).  Nothing is written past the
 * first byte that fails, but the bytes before it are.
 *
 * Logs the pages written in a slot that logs dirty pages.
 *
 * Return: 0, or -EFAULT if part of the range is in no slot or in a
 * read-only one.
 */
int minihv_write_guest(struct minihv_vm *vm, u64 gpa, const void *data,
		       unsigned int len)
{
	return guest_copy(vm, gpa, (void *)data, len, true);
}

/**
 * minihv_vm_put() - drop a reference to a VM
 * @vm:		the VM
 *
 * The last reference frees the vCPUs, the vendor state, the memory slots
 * (unpinning and un-charging their pages) and the VM, and drops the
 * hardware reference taken at creation.
 */
void minihv_vm_put(struct minihv_vm *vm)
{
	int i;

	if (!refcount_dec_and_test(&vm->users))
		return;

	/* No file is left: nobody else can see the VM any more. */
	/* Before the vCPUs: the VM's debugfs stats file reads them. */
	minihv_debugfs_vm_remove(vm);
	for (i = 0; i < MINIHV_MAX_VCPUS; i++) {
		if (vm->vcpus[i])
			minihv_vcpu_free(vm->vcpus[i]);
		vm->vcpus[i] = NULL;
	}
	if (minihv_ops->vm_destroy)
		minihv_ops->vm_destroy(vm);
	for (i = 0; i < MINIHV_MAX_MEMSLOTS; i++) {
		if (!vm->slots[i])
			continue;
		slot_unpin(vm, vm->slots[i]);
		kvfree(vm->slots[i]->dirty);
		kfree(vm->slots[i]);
		vm->slots[i] = NULL;
	}
	WARN_ON(vm->locked_pages);
	mmdrop(vm->mm);
	kfree(vm);
	minihv_hw_put();
	/* The module reference went with the last file's fops. */
}

/*
 * KVM_GET_DIRTY_LOG, as KVM without manual protection: the slot's log
 * (one bit per page, from the slot's first page, in whole longs) is
 * copied out and cleared, and the pages it held are write-protected
 * again, so their next write is logged.  Errors as KVM's: a slot id or
 * address space out of range -EINVAL; no such slot (address space 1,
 * KVM's SMM one, has none) or one that does not log -ENOENT; a bad
 * buffer -EFAULT (the log is cleared all the same).
 *
 * Write-protection drops every nested (and shadow) mapping of the VM,
 * with every vCPU out of the guest as for a slot change: simple and
 * correct; the guest then faults its working set back in.  An empty log
 * needs none of it: its pages are still write-protected.
 */
static long get_dirty_log(struct minihv_vm *vm, const struct kvm_dirty_log *log)
{
	u32 id = (u16)log->slot;
	struct minihv_memslot *s;
	unsigned long *snap;
	size_t n;
	long r;

	/* KVM has a second address space (SMM), empty here: -ENOENT. */
	if ((log->slot >> 16) >= 2 || id >= MINIHV_MAX_MEMSLOTS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	s = (log->slot >> 16) ? NULL : vm->slots[id];
	r = -ENOENT;
	if (!s || !s->dirty)
		goto out_unlock;
	n = dirty_bytes(s->npages);
	r = -ENOMEM;
	snap = kvzalloc(n, GFP_KERNEL_ACCOUNT);
	if (!snap)
		goto out_unlock;
	/* vCPUs set bits under slots_lock (read): a racy look is enough. */
	if (!bitmap_empty(s->dirty, s->npages)) {
		atomic_inc(&vm->slots_writer);
		minihv_vm_kick_all(vm);
		down_write(&vm->slots_lock);
		memcpy(snap, s->dirty, n);
		memset(s->dirty, 0, n);
		if (minihv_ops->vm_zap)
			minihv_ops->vm_zap(vm);
		up_write(&vm->slots_lock);
		atomic_dec(&vm->slots_writer);
	}
	mutex_unlock(&vm->lock);
	r = copy_to_user(log->dirty_bitmap, snap, n) ? -EFAULT : 0;
	kvfree(snap);
	return r;

out_unlock:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * KVM_ENABLE_CAP on the VM: only KVM_CAP_SPLIT_IRQCHIP (local APICs in
 * the kernel, the IOAPIC and PIC in userspace), before the first vCPU,
 * with args[0] IOAPIC pins (at most 4096), as KVM.
 */
static long vm_enable_cap(struct minihv_vm *vm, const struct kvm_enable_cap *cap)
{
	long r;

	if (cap->flags)
		return -EINVAL;
	if (cap->cap != KVM_CAP_SPLIT_IRQCHIP)
		return -EINVAL;
	if (cap->args[0] > MINIHV_MAX_IOAPIC_PINS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	/* KVM answers -EEXIST for both. */
	r = -EEXIST;
	if (vm->split_irqchip || atomic_read(&vm->online_vcpus))
		goto out;
	vm->split_irqchip = true;
	r = 0;
out:
	mutex_unlock(&vm->lock);
	return r;
}

static long minihv_vm_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	struct minihv_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;

	/* As KVM: a VM is only used by the process that created it. */
	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_CHECK_EXTENSION:
		return minihv_check_extension(arg);
	case KVM_CREATE_VCPU:
		return minihv_create_vcpu(vm, arg);
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap cap;

		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		return vm_enable_cap(vm, &cap);
	}
	case KVM_SIGNAL_MSI: {
		struct kvm_msi msi;

		if (copy_from_user(&msi, argp, sizeof(msi)))
			return -EFAULT;
		/* The number of APICs that took it. */
		if (!vm->split_irqchip || msi.flags)
			return -EINVAL;
		return minihv_signal_msi(vm, &msi);
	}
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region mem;

		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return set_memory_region(vm, &mem);
	}
	case KVM_GET_DIRTY_LOG: {
		struct kvm_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return get_dirty_log(vm, &log);
	}
	case MINIHV_GET_STATS:
		return minihv_get_stats(vm, argp);
	default:
		/* Same as KVM's VM fd. */
		return -ENOTTY;
	}
}

static int minihv_vm_release(struct inode *inode, struct file *filp)
{
	minihv_vm_put(filp->private_data);
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
	static atomic_t ids = ATOMIC_INIT(0);
	struct minihv_vm *vm;
	struct file *file;
	int r, fd;

	/* x86 KVM knows only the default machine type, 0. */
	if (type)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	mutex_init(&vm->lock);
	init_rwsem(&vm->slots_lock);
	atomic_set(&vm->slots_writer, 0);
	atomic_set(&vm->online_vcpus, 0);
	refcount_set(&vm->users, 1);
	vm->id = atomic_inc_return(&ids);
	vm->mm = current->mm;
	mmgrab(vm->mm);

	r = minihv_hw_get();
	if (r)
		goto out_free;

	if (minihv_ops->vm_init) {
		r = minihv_ops->vm_init(vm);
		if (r)
			goto out_hw;
	}

	/* From here on, minihv_vm_put() undoes everything. */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		minihv_vm_put(vm);
		return fd;
	}
	file = anon_inode_getfile("minihv-vm", &minihv_vm_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		minihv_vm_put(vm);
		return PTR_ERR(file);
	}
	minihv_debugfs_vm_add(vm, fd);
	fd_install(fd, file);
	return fd;

out_hw:
	minihv_hw_put();
out_free:
	mmdrop(vm->mm);
	kfree(vm);
	return r;
}
