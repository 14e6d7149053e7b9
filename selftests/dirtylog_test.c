// SPDX-License-Identifier: GPL-2.0
/*
 * dirtylog_test: dirty-page logging, KVM_MEM_LOG_DIRTY_PAGES and
 * KVM_GET_DIRTY_LOG, on a 130-page slot (three longs of log, the last one
 * partly used) with a 64-bit guest, in every paging mode of every device.
 *
 * KVM 6.1 semantics relied on (virt/kvm/kvm_main.c, without
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled):
 *  - KVM_GET_DIRTY_LOG copies one bit per page of the slot, from its
 *    first page, rounded up to whole 64-bit words (24 bytes here: the
 *    word after them is not written), and clears the log.
 *  - A page is in the log when the guest wrote it since the previous
 *    KVM_GET_DIRTY_LOG, through its own stores (whether the page was
 *    mapped already, for reading, or not) or through the kernel's
 *    emulation (a REP INSB the kernel completes into guest memory); a
 *    page only read is not.  So every round of writes is logged exactly,
 *    including a page written in consecutive rounds (the log write-
 *    protects again) and no page of an earlier round.
 *  - A log of a slot that does not log (never did, or no longer) or of no
 *    slot: ENOENT; slot id >= KVM_CAP_NR_MEMSLOTS or address space >= 2:
 *    EINVAL; (address space 1, SMM, has no slots here: ENOENT); a bad
 *    buffer: EFAULT.
 *  - With the guest writing all the time on another CPU (no exits), a
 *    page whose content changed between two snapshots of memory, each
 *    taken right after a log, is in the log before the second snapshot or
 *    in the next one: no write escapes the log.
 *  - Turning logging on gives an empty log; a slot that moves while it
 *    logs keeps its log.  After the move, KVM maps a page the host can
 *    write writable on the guest's first access, a read too, and logs it
 *    then: the first round there may log such a page without a write
 *    (minihv does not); the rounds after are exact again.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/harness.h"
#include "lib/guest.h"

#define DL_SLOT		1
#define DL_GPA		0x40000000UL	/* 1 GiB: mapped by GM_LONG64 */
#define DL_GPA2		0x80000000UL
#define DL_PAGES	130
#define DL_WORDS	3		/* (130 + 63) / 64 */
#define DL_PORT		0x30
#define DL_IN_PORT	0x31
#define DL_SET_GPA	GUEST_DATA_GPA	/* the pages to write, a bitmap */
#define POISON		0x5a5a5a5a5a5a5a5aULL

/*
 * Each round: write RDX to the second qword of every page whose bit is set
 * in the bitmap at RSI, read the first qword of every page (so that pages
 * are mapped for reading before a later round writes them), then report.
 * RDI: the slot's GPA; RBX: its pages.
 */
GUEST_ASM(guest_dirty, ".code64",
	"1: xorl %ecx, %ecx\n"
	"2: movq %rcx, %rax\n shlq $12, %rax\n"
	"btq %rcx, (%rsi)\n jnc 3f\n"
	"movq %rdx, 8(%rdi,%rax)\n"
	"3: movq (%rdi,%rax), %r8\n"
	"incl %ecx\n cmpl %ebx, %ecx\n jb 2b\n"
	"outb %al, $0x30\n"
	"jmp 1b\n");

/* REP INSB of 4 bytes from port DL_IN_PORT to RDI, then report. */
GUEST_ASM(guest_ins, ".code64",
	"movl $4, %ecx\n movw $0x31, %dx\n cld\n rep insb\n"
	"outb %al, $0x30\n"
	"hlt\n");

/* Forever, no exits: page i % RBX gets i (i from 1), RDI the slot. */
GUEST_ASM(guest_churn, ".code64",
	"movl $1, %edx\n"
	"1: xorl %ecx, %ecx\n"
	"2: movq %rcx, %rax\n shlq $12, %rax\n"
	"movq %rdx, 8(%rdi,%rax)\n"
	"incq %rdx\n incl %ecx\n cmpl %ebx, %ecx\n jb 2b\n"
	"jmp 1b\n");

struct dl {
	struct gvcpu *v;
	uint8_t *mem;		/* the slot's memory */
	int nr_slots;
};

static int get_log(struct gvm *vm, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	return ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log) < 0 ? -errno : 0;
}

static int set_slot(struct dl *d, uint32_t flags, uint64_t gpa)
{
	return gvm_set_region(d->v->vm, DL_SLOT, flags, gpa,
			      DL_PAGES * 4096UL, d->mem);
}

static void dl_create(struct __test_metadata *_metadata, struct dl *d,
		      const void *start, const void *end, uint32_t flags)
{
	d->v = guest_create(GM_LONG64, start, end);
	d->mem = mmap(NULL, DL_PAGES * 4096UL, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, d->mem);
	ASSERT_EQ(0, set_slot(d, flags, DL_GPA));
	d->nr_slots = ioctl(d->v->vm->sys_fd, KVM_CHECK_EXTENSION,
			    KVM_CAP_NR_MEMSLOTS);
}

static void dl_destroy(struct dl *d)
{
	guest_destroy(d->v);
	munmap(d->mem, DL_PAGES * 4096UL);
}

/* One round of guest_dirty writing @val to the pages of @set. */
static void dl_round(struct __test_metadata *_metadata, struct dl *d,
		     uint64_t gpa, const uint64_t *set, uint64_t val)
{
	struct kvm_regs regs;

	gvm_write(d->v->vm, DL_SET_GPA, set, DL_WORDS * 8);
	gvcpu_get_regs(d->v, &regs);
	regs.rdi = gpa;
	regs.rsi = DL_SET_GPA;
	regs.rdx = val;
	regs.rbx = DL_PAGES;
	gvcpu_set_regs(d->v, &regs);
	ASSERT_EQ((uint32_t)KVM_EXIT_IO, gvcpu_run_exit(d->v)) {
		TH_LOG("%s", gvcpu_exit_str(d->v));
	}
	ASSERT_EQ(DL_PORT, d->v->run->io.port);
}

/* KVM_GET_DIRTY_LOG of DL_SLOT equals @want, and wrote 24 bytes only. */
static void expect_log(struct __test_metadata *_metadata, struct dl *d,
		       const uint64_t *want, int round)
{
	uint64_t log[DL_WORDS + 1];
	int i;

	for (i = 0; i <= DL_WORDS; i++)
		log[i] = POISON;
	ASSERT_EQ(0, get_log(d->v->vm, DL_SLOT, log));
	for (i = 0; i < DL_WORDS; i++) {
		EXPECT_EQ(want[i], log[i]) {
			TH_LOG("round %d word %d: %#llx, want %#llx", round, i,
			       (unsigned long long)log[i],
			       (unsigned long long)want[i]);
		}
	}
	EXPECT_EQ(POISON, log[DL_WORDS]);
}

static const uint64_t none[DL_WORDS];

/* A deterministic pseudo-random page set; some rounds empty or full. */
static void pick(uint64_t *set, int round, uint32_t *seed)
{
	int i;

	memset(set, 0, DL_WORDS * 8);
	if (round % 7 == 3)
		return;
	for (i = 0; i < DL_PAGES; i++) {
		*seed = *seed * 1103515245u + 12345u;
		if (round % 7 == 5 || ((*seed >> 16) & 3) == 0)
			set[i / 64] |= 1ULL << (i % 64);
	}
	/* The edges of the words, often. */
	if (round & 1)
		set[0] |= 1ULL << 63 | 1ULL;
	if (round & 2)
		set[1] |= 1ULL;
	if (round & 4)
		set[2] |= 1ULL << (DL_PAGES - 129);
}

TEST(writes_logged_exactly_round_by_round)
{
	uint64_t set[DL_WORDS];
	uint32_t seed = 1;
	struct dl d;
	int round, i;

	dl_create(_metadata, &d, guest_dirty, guest_dirty_end,
		  KVM_MEM_LOG_DIRTY_PAGES);
	expect_log(_metadata, &d, none, -1);
	for (round = 0; round < 40; round++) {
		pick(set, round, &seed);
		dl_round(_metadata, &d, DL_GPA, set, 0x1000 + round);
		expect_log(_metadata, &d, set, round);
		for (i = 0; i < DL_PAGES; i++) {
			uint64_t got;

			if (!(set[i / 64] & (1ULL << (i % 64))))
				continue;
			memcpy(&got, d.mem + i * 4096UL + 8, 8);
			EXPECT_EQ(0x1000ULL + round, got);
		}
		/* Taken: the next log starts empty. */
		expect_log(_metadata, &d, none, round);
	}
	dl_destroy(&d);
}

TEST(kernel_writes_logged)
{
	uint64_t want[DL_WORDS] = { 1ULL << 5 };
	struct kvm_regs regs;
	struct dl d;

	dl_create(_metadata, &d, guest_ins, guest_ins_end,
		  KVM_MEM_LOG_DIRTY_PAGES);
	gvcpu_get_regs(d.v, &regs);
	regs.rdi = DL_GPA + 5 * 4096 + 16;
	gvcpu_set_regs(d.v, &regs);
	ASSERT_EQ((uint32_t)KVM_EXIT_IO, gvcpu_run_exit(d.v));
	ASSERT_EQ(DL_IN_PORT, d.v->run->io.port);
	ASSERT_EQ(KVM_EXIT_IO_IN, d.v->run->io.direction);
	memset(gvcpu_io_data(d.v), 0xab, d.v->run->io.size *
	       d.v->run->io.count);
	ASSERT_EQ((uint32_t)KVM_EXIT_IO, gvcpu_run_exit(d.v)) {
		TH_LOG("%s", gvcpu_exit_str(d.v));
	}
	ASSERT_EQ(DL_PORT, d.v->run->io.port);
	EXPECT_EQ(0xababababU, *(uint32_t *)(d.mem + 5 * 4096 + 16));
	expect_log(_metadata, &d, want, 0);
	dl_destroy(&d);
}

TEST(errors)
{
	uint64_t log[DL_WORDS];
	struct dl d;

	dl_create(_metadata, &d, guest_dirty, guest_dirty_end, 0);
	ASSERT_GT(d.nr_slots, DL_SLOT + 1);
	/* A slot that does not log, a slot that does not exist. */
	EXPECT_EQ(-ENOENT, get_log(d.v->vm, DL_SLOT, log));
	EXPECT_EQ(-ENOENT, get_log(d.v->vm, DL_SLOT + 1, log));
	EXPECT_EQ(-ENOENT, get_log(d.v->vm, 1 << 16 | DL_SLOT, log));
	/* Out of range. */
	EXPECT_EQ(-EINVAL, get_log(d.v->vm, d.nr_slots, log));
	EXPECT_EQ(-EINVAL, get_log(d.v->vm, 2 << 16 | DL_SLOT, log));
	EXPECT_EQ(-EINVAL, get_log(d.v->vm, 0xffffffffu, log));
	/* A bad buffer. */
	ASSERT_EQ(0, set_slot(&d, KVM_MEM_LOG_DIRTY_PAGES, DL_GPA));
	EXPECT_EQ(-EFAULT, get_log(d.v->vm, DL_SLOT, (void *)8));
	EXPECT_EQ(-EFAULT, ioctl(d.v->vm->fd, KVM_GET_DIRTY_LOG, NULL) < 0 ?
			   -errno : 0);
	EXPECT_EQ(0, get_log(d.v->vm, DL_SLOT, log));
	dl_destroy(&d);
}

TEST(toggle_and_move)
{
	uint64_t two[DL_WORDS] = { 1ULL << 2 }, seven[DL_WORDS] = { 1ULL << 7 };
	uint64_t log[DL_WORDS];
	struct dl d;

	dl_create(_metadata, &d, guest_dirty, guest_dirty_end, 0);
	/* Not logging: writes go unrecorded, the slot has no log. */
	dl_round(_metadata, &d, DL_GPA, seven, 1);
	EXPECT_EQ(-ENOENT, get_log(d.v->vm, DL_SLOT, log));
	/* On: an empty log, then what is written. */
	ASSERT_EQ(0, set_slot(&d, KVM_MEM_LOG_DIRTY_PAGES, DL_GPA));
	expect_log(_metadata, &d, none, 0);
	dl_round(_metadata, &d, DL_GPA, seven, 2);
	expect_log(_metadata, &d, seven, 1);
	/* Off, and on again: the old log is gone. */
	dl_round(_metadata, &d, DL_GPA, seven, 3);
	ASSERT_EQ(0, set_slot(&d, 0, DL_GPA));
	EXPECT_EQ(-ENOENT, get_log(d.v->vm, DL_SLOT, log));
	dl_round(_metadata, &d, DL_GPA, seven, 4);
	ASSERT_EQ(0, set_slot(&d, KVM_MEM_LOG_DIRTY_PAGES, DL_GPA));
	expect_log(_metadata, &d, none, 2);
	/* A move keeps the log, and logging goes on at the new address. */
	dl_round(_metadata, &d, DL_GPA, two, 5);
	ASSERT_EQ(0, set_slot(&d, KVM_MEM_LOG_DIRTY_PAGES, DL_GPA2));
	expect_log(_metadata, &d, two, 3);
	/*
	 * At the new address the guest's first access to a page maps it:
	 * KVM maps a page the host can write writable even for a read, and
	 * logs it then (page 2 here); minihv maps it writable on the first
	 * write only.  Page 7, written, is there; nothing else may be.
	 */
	dl_round(_metadata, &d, DL_GPA2, seven, 6);
	ASSERT_EQ(0, get_log(d.v->vm, DL_SLOT, log));
	EXPECT_EQ(1ULL << 7, log[0] & (1ULL << 7));
	EXPECT_EQ(0ULL, log[0] & ~(1ULL << 7 | 1ULL << 2));
	EXPECT_EQ(0ULL, log[1] | log[2]);
	EXPECT_EQ(6U, *(uint32_t *)(d.mem + 7 * 4096 + 8));
	/* Mapped now: the next round is exact on both. */
	dl_round(_metadata, &d, DL_GPA2, seven, 7);
	expect_log(_metadata, &d, seven, 5);
	dl_destroy(&d);
}

#define CHURN_LOGS	100

static void nop_handler(int sig)
{
}

/* This thread on CPU @cpu only. */
static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void *churn_vcpu(void *arg)
{
	struct gvcpu *v = arg;

	/* Not the CPU of the thread that takes the logs (see below). */
	if (pin_self(1))
		return (void *)-2L;
	/* Only the signal of the end gets it back: -1, EINTR. */
	return (void *)(long)ioctl(v->fd, KVM_RUN, 0);
}

static void snapshot(const struct dl *d, uint64_t *m)
{
	int i;

	for (i = 0; i < DL_PAGES; i++)
		m[i] = __atomic_load_n((uint64_t *)(d->mem + i * 4096UL + 8),
				       __ATOMIC_SEQ_CST);
}

static bool in_log(const uint64_t *log, int page)
{
	return log[page / 64] & (1ULL << (page % 64));
}

TEST(concurrent_writes_never_escape)
{
	struct sigaction sa = { .sa_handler = nop_handler };
	uint64_t (*log)[DL_WORDS], (*mem)[DL_PAGES];
	long changed = 0, logged = 0;
	struct kvm_regs regs;
	pthread_t t;
	struct dl d;
	void *ret;
	int k, p;

	if (hv_online_cpus() < 2)
		SKIP(return, "needs two CPUs (the guest spins without exits)");
	log = calloc(CHURN_LOGS, sizeof(*log));
	mem = calloc(CHURN_LOGS, sizeof(*mem));
	ASSERT_TRUE(log && mem);
	dl_create(_metadata, &d, guest_churn, guest_churn_end,
		  KVM_MEM_LOG_DIRTY_PAGES);
	gvcpu_get_regs(d.v, &regs);
	regs.rdi = DL_GPA;
	regs.rbx = DL_PAGES;
	gvcpu_set_regs(d.v, &regs);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	/*
	 * Each thread on its own CPU: Bochs delivers no timer interrupt to a
	 * CPU that runs a spinning guest (labs.rst), so a thread sleeping
	 * there would never wake; kicks from the other CPU get through.
	 */
	ASSERT_EQ(0, pin_self(0));
	ASSERT_EQ(0, pthread_create(&t, NULL, churn_vcpu, d.v));
	for (k = 0; k < CHURN_LOGS; k++) {
		usleep(1000);
		ASSERT_EQ(0, get_log(d.v->vm, DL_SLOT, log[k]));
		snapshot(&d, mem[k]);
	}
	d.v->run->immediate_exit = 1;
	pthread_kill(t, SIGUSR1);
	pthread_join(t, &ret);
	EXPECT_EQ(-1L, (long)ret);

	for (k = 1; k + 1 < CHURN_LOGS; k++) {
		for (p = 0; p < DL_PAGES; p++) {
			if (mem[k][p] == mem[k - 1][p])
				continue;
			changed++;
			EXPECT_TRUE(in_log(log[k], p) || in_log(log[k + 1], p)) {
				TH_LOG("log %d: page %d went %#llx -> %#llx unlogged",
				       k, p, (unsigned long long)mem[k - 1][p],
				       (unsigned long long)mem[k][p]);
				break;
			}
			logged++;
		}
	}
	TH_LOG("%ld page changes between snapshots, all logged: %ld",
	       changed, logged);
	EXPECT_GT(changed, 0);
	dl_destroy(&d);
	free(log);
	free(mem);
}

TEST_HARNESS_MAIN
