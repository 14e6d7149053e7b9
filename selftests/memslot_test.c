// SPDX-License-Identifier: GPL-2.0
/*
 * memslot_test: KVM_SET_USER_MEMORY_REGION: create, delete, move, flags,
 * every bad argument with KVM's errno, and what a running guest sees after
 * slot changes made while its vCPU is stopped.
 *
 * KVM 6.1 semantics relied on (virt/kvm/kvm_main.c __kvm_set_memory_region;
 * checks in this order, the first failing one decides):
 *
 *   argument                                       errno
 *   NULL argument pointer                          EFAULT
 *   (u16)slot >= KVM_CAP_NR_MEMSLOTS               EINVAL
 *   flags other than LOG_DIRTY_PAGES | READONLY    EINVAL
 *   memory_size not a multiple of 4096             EINVAL
 *   guest_phys_addr not 4096-aligned               EINVAL
 *   userspace_addr not 4096-aligned                EINVAL
 *   userspace_addr..+size not all user addresses   EINVAL (access_ok)
 *   address space (slot >> 16) >= 2 (x86: 2)       EINVAL
 *   guest_phys_addr + memory_size wraps            EINVAL
 *   memory_size 0 (delete) of a slot not in use    EINVAL
 *   existing slot: other size or userspace_addr    EINVAL
 *   existing slot: READONLY flag toggled           EINVAL
 *   new or moved range overlaps another slot       EEXIST
 *   existing slot, identical arguments             0 (nothing happens)
 *   existing slot, other guest_phys_addr           0 (move: KVM_MR_MOVE)
 *   existing slot, LOG_DIRTY_PAGES toggled         0 (flags only)
 *   memory_size 0 of a slot in use                 0 (delete)
 *
 * Slot ids 0..NR_MEMSLOTS-1 are usable.  KVM: the memory need not be
 * mapped when the slot is created; minihv pins slot memory at creation
 * (documented deviation, Documentation/api.rst): EFAULT there.
 *
 * After any change made while the vCPU is outside
 * KVM_RUN, the guest sees the new mapping on its next access: moved
 * memory at its new GPA, the old GPA (and a deleted slot's) as MMIO.
 * KVM_MEM_LOG_DIRTY_PAGES is always accepted (dirtylog_test tests the
 * log); KVM_MEM_READONLY needs KVM_CAP_READONLY_MEM.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "lib/harness.h"
#include "lib/guest.h"

#define SLOT_GPA	0x40000000UL	/* 1 GiB: no slot there by default */
#define SLOT_GPA2	0x80000000UL
#define SLOT_SIZE	0x200000UL
#define REPORT_PORT	0x30

/* Read the qword at rdi, report its low half, again and again. */
GUEST_ASM(guest_reader, ".code64",
	"1: movq (%rdi), %rax\n"
	"outl %eax, $0x30\n"
	"jmp 1b\n");

/*
 * Have the guest read the qword at @gpa: the value it saw.  An MMIO exit
 * on the way (no slot) is answered with @mmio_val and counted in *mmio.
 */
static uint32_t guest_read(struct __test_metadata *_metadata, struct gvcpu *v, uint64_t gpa,
			   uint64_t mmio_val, bool *mmio)
{
	struct kvm_regs regs;
	uint32_t reason;

	gvcpu_set_mode(v, GM_LONG64, GUEST_CODE_GPA);
	gvcpu_get_regs(v, &regs);
	regs.rdi = gpa;
	gvcpu_set_regs(v, &regs);
	*mmio = false;
	reason = gvcpu_run_exit(v);
	if (reason == KVM_EXIT_MMIO) {
		*mmio = true;
		EXPECT_EQ(gpa, (uint64_t)v->run->mmio.phys_addr);
		EXPECT_EQ(8U, v->run->mmio.len);
		EXPECT_EQ(0, v->run->mmio.is_write);
		memcpy(v->run->mmio.data, &mmio_val, 8);
		reason = gvcpu_run_exit(v);
	}
	EXPECT_EQ((uint32_t)KVM_EXIT_IO, reason) {
		TH_LOG("%s", gvcpu_exit_str(v));
		return 0;
	}
	EXPECT_EQ(REPORT_PORT, v->run->io.port);
	return *(uint32_t *)gvcpu_io_data(v);
}

/* The guest reads @want from memory at @gpa (no exit). */
#define EXPECT_MEM(v, gpa, want) do {					\
	bool __mmio;							\
	uint32_t __got = guest_read(_metadata, v, gpa, 0x0bad0bad, &__mmio); \
	EXPECT_FALSE(__mmio) {						\
		TH_LOG("gpa %#lx: MMIO exit, want memory", (unsigned long)(gpa)); \
	}								\
	EXPECT_EQ((uint32_t)(want), __got);				\
} while (0)

/* The guest's read of @gpa exits as MMIO. */
#define EXPECT_MMIO(v, gpa) do {					\
	bool __mmio;							\
	uint32_t __got = guest_read(_metadata, v, gpa, 0x600d600d, &__mmio); \
	EXPECT_TRUE(__mmio) {						\
		TH_LOG("gpa %#lx: read memory (%#x), want MMIO",	\
		       (unsigned long)(gpa), __got);			\
	}								\
	EXPECT_EQ(0x600d600dU, __got);					\
} while (0)

FIXTURE(slot) {
	struct gvm *vm;
	struct gvcpu *v;
	void *mem;		/* SLOT_SIZE bytes, not a slot yet */
	int nr_slots;
};

FIXTURE_SETUP(slot)
{
	int fd;

	HV_OPEN_DEV_OR_SKIP(fd);
	close(fd);
	self->vm = gvm_create();
	gvm_load(self->vm, GUEST_CODE_GPA, guest_reader, guest_reader_end);
	self->v = gvcpu_create(self->vm, 0, GM_LONG64);
	self->mem = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	((uint64_t *)self->mem)[0] = 0x11110000;
	((uint64_t *)self->mem)[1] = 0x11110008;
	((uint64_t *)self->mem)[SLOT_SIZE / 8 - 1] = 0x1111fff8;
	self->nr_slots = ioctl(self->vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	ASSERT_GT(self->nr_slots, 1);
}

FIXTURE_TEARDOWN(slot)
{
	if (!self->vm)
		return;
	gvcpu_destroy(self->v);
	gvm_destroy(self->vm);
	munmap(self->mem, SLOT_SIZE);
}

static int set_region(struct gvm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		      uint64_t size, uint64_t hva)
{
	return gvm_set_region(vm, slot, flags, gpa, size, (void *)(uintptr_t)hva);
}

TEST_F(slot, create_read_delete)
{
	uint64_t hva = (uintptr_t)self->mem;

	EXPECT_MMIO(self->v, SLOT_GPA);
	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA, 0x11110000);
	EXPECT_MEM(self->v, SLOT_GPA + SLOT_SIZE - 8, 0x1111fff8);
	EXPECT_MMIO(self->v, SLOT_GPA + SLOT_SIZE);
	EXPECT_MMIO(self->v, SLOT_GPA - 8);

	/* Userspace writes are seen by the guest, and the other way. */
	((uint64_t *)self->mem)[0] = 0x22220000;
	EXPECT_MEM(self->v, SLOT_GPA, 0x22220000);

	/* Delete: MMIO again; deleting twice is EINVAL. */
	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, 0, hva));
	EXPECT_MMIO(self->v, SLOT_GPA);
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, 0, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 7, 0, 0, 0, 0));

	/* Re-create, under another id, bigger. */
	ASSERT_EQ(0, set_region(self->vm, 5, 0, SLOT_GPA2, SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA2 + 8, 0x11110008);
	EXPECT_MMIO(self->v, SLOT_GPA);
}

TEST_F(slot, move)
{
	uint64_t hva = (uintptr_t)self->mem;

	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA + 8, 0x11110008);

	/* Same arguments again: nothing changes. */
	EXPECT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA + 8, 0x11110008);

	/* Move (same id, size, hva; new GPA). */
	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA2, SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA2 + 8, 0x11110008);
	EXPECT_MMIO(self->v, SLOT_GPA + 8);

	/* Moving onto another slot: EEXIST, nothing changes. */
	EXPECT_EQ(-EEXIST, set_region(self->vm, 1, 0, 0, SLOT_SIZE, hva));
	EXPECT_EQ(-EEXIST, set_region(self->vm, 1, 0, GUEST_LOW_MEM_SIZE - 0x1000,
				      SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA2 + 8, 0x11110008);

	/* Move back, by less than its size (overlapping its own old range). */
	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA2 + 0x1000, SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA2 + 0x1008, 0x11110008);
	EXPECT_MMIO(self->v, SLOT_GPA2 + 8);
}

TEST_F(slot, modify_rules)
{
	uint64_t hva = (uintptr_t)self->mem;

	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE, hva));
	/* Resize in place: EINVAL (delete and re-create instead). */
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE / 2, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE * 2, hva));
	/* Other userspace address: EINVAL. */
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE, hva + 0x1000));
	/* Toggle READONLY: EINVAL. */
	if (ioctl(self->vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0)
		EXPECT_EQ(-EINVAL, set_region(self->vm, 1, KVM_MEM_READONLY, SLOT_GPA,
					      SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA, 0x11110000);

	/* Resize = delete + create. */
	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, 0, 0));
	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE / 2, hva));
	EXPECT_MEM(self->v, SLOT_GPA + 8, 0x11110008);
	EXPECT_MMIO(self->v, SLOT_GPA + SLOT_SIZE / 2);
}

TEST_F(slot, overlap_eexist)
{
	uint64_t hva = (uintptr_t)self->mem;
	uint64_t s = SLOT_SIZE;

	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, s, hva));
	EXPECT_EQ(-EEXIST, set_region(self->vm, 2, 0, SLOT_GPA, s, hva));
	EXPECT_EQ(-EEXIST, set_region(self->vm, 2, 0, SLOT_GPA - 0x1000, 0x2000, hva));
	EXPECT_EQ(-EEXIST, set_region(self->vm, 2, 0, SLOT_GPA + s - 0x1000, s, hva));
	EXPECT_EQ(-EEXIST, set_region(self->vm, 2, 0, SLOT_GPA + 0x1000, 0x1000, hva));
	EXPECT_EQ(-EEXIST, set_region(self->vm, 2, 0, SLOT_GPA - s, 3 * s, hva));
	EXPECT_EQ(-EEXIST, set_region(self->vm, 2, 0, 0, 0x1000, hva));
	EXPECT_EQ(-EEXIST, set_region(self->vm, 2, 0, GUEST_LOW_MEM_SIZE - 0x1000, s,
				      hva));
	/* Adjacent on both sides is fine; the same hva twice is fine. */
	EXPECT_EQ(0, set_region(self->vm, 2, 0, SLOT_GPA - s, s, hva));
	EXPECT_EQ(0, set_region(self->vm, 3, 0, SLOT_GPA + s, s, hva));
	EXPECT_EQ(0, set_region(self->vm, 4, 0, GUEST_LOW_MEM_SIZE, 0x1000, hva));
	EXPECT_MEM(self->v, SLOT_GPA - s + 8, 0x11110008);
	EXPECT_MEM(self->v, SLOT_GPA + s + 8, 0x11110008);
	EXPECT_MEM(self->v, GUEST_LOW_MEM_SIZE, 0x11110000);
}

TEST_F(slot, bad_args)
{
	uint64_t hva = (uintptr_t)self->mem;
	uint32_t nr = self->nr_slots;

	/* Baseline: these arguments are good. */
	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE, hva));
	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, 0, hva));

	EXPECT_EQ(-1, ioctl(self->vm->fd, KVM_SET_USER_MEMORY_REGION, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* Unknown flags. */
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 1U << 2, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 1U << 31, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0xfffffffc, SLOT_GPA, SLOT_SIZE, hva));

	/* Alignment. */
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE - 1, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, 0x800, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA + 0x800, SLOT_SIZE, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA + 1, SLOT_SIZE, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE, hva + 0x800));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE, hva + 8));

	/* Not user addresses (access_ok). */
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE,
				      0xffff888000000000ULL));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE,
				      0xfffffffffff00000ULL));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, 0x2000,
				      0x00007ffffffff000ULL));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE,
				      0x8000000000000000ULL));

	/* Slot ids and address spaces. */
	EXPECT_EQ(-EINVAL, set_region(self->vm, nr, 0, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, nr + 1, 0, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 0xffff, 0, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, (2U << 16) | 1, 0, SLOT_GPA, SLOT_SIZE,
				      hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 0xffff0001, 0, SLOT_GPA, SLOT_SIZE, hva));

	/* The GPA range wraps. */
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, 0xfffffffffffff000ULL, 0x2000, hva));
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, 0xffffffffffe00000ULL,
				      0x400000, hva));

	/* The highest id works. */
	EXPECT_EQ(0, set_region(self->vm, nr - 1, 0, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA, 0x11110000);
	EXPECT_EQ(0, set_region(self->vm, nr - 1, 0, SLOT_GPA, 0, hva));
	EXPECT_MMIO(self->v, SLOT_GPA);

	/* Nothing above left a slot behind. */
	EXPECT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA + 8, 0x11110008);
}

TEST_F(slot, unmapped_hva_accepted)
{
	void *p = mmap(NULL, SLOT_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, SLOT_SIZE));
	/*
	 * KVM looks at the memory behind a slot only when the guest uses it.
	 * minihv pins it when the slot is created (Documentation/api.rst),
	 * so an unmapped range is refused there and then.
	 */
	if (!dev_is_kvm()) {
		EXPECT_EQ(-EFAULT, set_region(self->vm, 1, 0, SLOT_GPA,
					      SLOT_SIZE, (uintptr_t)p));
		return;
	}
	EXPECT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE, (uintptr_t)p));
	EXPECT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, 0, (uintptr_t)p));
}

TEST_F(slot, dirty_log_flag)
{
	uint64_t hva = (uintptr_t)self->mem;

	ASSERT_EQ(0, set_region(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES, SLOT_GPA,
				SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA, 0x11110000);
	/* Toggling it is a flags-only change. */
	EXPECT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA + 8, 0x11110008);
	EXPECT_EQ(0, set_region(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES, SLOT_GPA, SLOT_SIZE,
				hva));
	EXPECT_MEM(self->v, SLOT_GPA, 0x11110000);
}

TEST_F(slot, readonly_flag)
{
	uint64_t hva = (uintptr_t)self->mem;

	if (ioctl(self->vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
		SKIP(return, "no KVM_CAP_READONLY_MEM");
	ASSERT_EQ(0, set_region(self->vm, 1, KVM_MEM_READONLY, SLOT_GPA, SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA + 8, 0x11110008);
	/* Moving a read-only slot keeps it read-only; dropping the flag: EINVAL. */
	EXPECT_EQ(-EINVAL, set_region(self->vm, 1, 0, SLOT_GPA2, SLOT_SIZE, hva));
	ASSERT_EQ(0, set_region(self->vm, 1, KVM_MEM_READONLY, SLOT_GPA2, SLOT_SIZE, hva));
	EXPECT_MEM(self->v, SLOT_GPA2 + 8, 0x11110008);
	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT_GPA2, 0, hva));
	EXPECT_MMIO(self->v, SLOT_GPA2 + 8);
}

#define MANY_SLOTS	64

TEST_F(slot, many_slots)
{
	int i, n = MANY_SLOTS;

	if (n > self->nr_slots - 1)
		n = self->nr_slots - 1;
	/* One page each, 2 pages apart: page i holds i. */
	for (i = 0; i < n; i++) {
		((uint64_t *)self->mem)[i * 512] = 0x5000 + i;
		ASSERT_EQ(0, set_region(self->vm, 1 + i, 0, SLOT_GPA + i * 0x2000, 0x1000,
					(uintptr_t)self->mem + i * 0x1000)) {
			TH_LOG("slot %d", 1 + i);
		}
	}
	for (i = 0; i < n; i++) {
		EXPECT_MEM(self->v, SLOT_GPA + i * 0x2000, 0x5000 + i);
		EXPECT_MMIO(self->v, SLOT_GPA + i * 0x2000 + 0x1000);
	}
	/* Delete every other one. */
	for (i = 0; i < n; i += 2)
		ASSERT_EQ(0, set_region(self->vm, 1 + i, 0, 0, 0, 0));
	for (i = 0; i < n; i++) {
		if (i % 2)
			EXPECT_MEM(self->v, SLOT_GPA + i * 0x2000, 0x5000 + i);
		else
			EXPECT_MMIO(self->v, SLOT_GPA + i * 0x2000);
	}
}

TEST_HARNESS_MAIN
