// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: one episode, in its own process.  A VM (the selftests' guest
 * layout, guest.h) with fz_opts.vcpus vCPUs running generated code, and
 * fz_opts.threads threads making random calls on every object of the
 * episode: the system, VM and vCPU fds (every ioctl minihv implements,
 * KVM ioctls it does not, and made-up ones), guest memory (munmap,
 * mprotect, remap), the vCPUs' mmaps, close().  Threads 0 .. vcpus-1 run
 * "their" vCPU most of the time; a kicker thread interrupts every thread
 * every 10 ms (SIGUSR1, no SA_RESTART), so KVM_RUN always comes back.
 *
 * Arguments: boundary values (rnd_interesting()), pointers that are NULL,
 * unaligned, unmapped, read-only, kernel or non-canonical addresses or
 * straddle into an unmapped page, counts that are too large, and ioctl
 * numbers with their size or direction field changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fuzz/fuzz.h"
#include "lib/hvtest.h"
#include "lib/guest.h"

#define MAX_VMS		4
#define MAX_VCPUS	8
#define MAX_REGIONS	6
#define MAX_THREADS	16
#define BUF_SIZE	(64 * 1024)
#define PAGE		4096UL
#define CODE_MMIO	(GUEST_CODE_GPA + 0x4000)	/* the MMIO race */
#define CODE_AP		(GUEST_CODE_GPA + 0x8000)	/* vCPU 1 and up */
#define KVM_CAP_DISABLE_EXITS_NR 143	/* never: Bochs spins forever */
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

struct vcpu_obj {
	int fd;
	struct kvm_run *run;	/* never unmapped while the episode lives */
};

enum { R_RW, R_RO, R_GONE };

struct region {
	uint8_t *hva;
	size_t size;
	int state;
};

struct worker {
	struct rng r;
	int idx;
	int vcpu;		/* the vCPU this thread runs, -1: none */
	pid_t tid;
	int done;
	uint8_t *buf;		/* BUF_SIZE + 1 bytes */
};

static struct {
	uint32_t episode;
	int sys_fd;
	int vms[MAX_VMS];
	struct vcpu_obj vcpus[MAX_VCPUS];
	struct region regions[MAX_REGIONS];
	pthread_mutex_t lock;	/* the tables above, region contents */
	long run_size;
	bool split_irqchip;
	struct kvm_sregs sregs[3];
	struct kvm_regs regs[3];
	struct kvm_cpuid2 *cpuid;
	uint8_t *bad;		/* 3 pages: RW, PROT_NONE, RO */
	int pipe[2];
	struct worker workers[MAX_THREADS];
	int stop_kicker;
} ep;

/* ---------------------------------------------------------------------
 * Calls, remembered in the shared ring
 */

static struct fuzz_call *call_vrecord(struct worker *w, bool count,
					const char *fmt, va_list ap)
{
	uint64_t seq = __atomic_add_fetch(&fz_shared->seq, 1, __ATOMIC_RELAXED);
	struct fuzz_call *c = &fz_shared->ring[seq % FUZZ_RING];

	__atomic_store_n(&c->seq, 0, __ATOMIC_RELAXED);
	c->done = !count;
	c->ret = 0;
	c->err = 0;
	c->episode = ep.episode;
	c->thread = w->idx;
	vsnprintf(c->what, sizeof(c->what), fmt, ap);
	__atomic_store_n(&c->seq, seq, __ATOMIC_RELEASE);
	if (count)
		__atomic_add_fetch(&fz_shared->calls, 1, __ATOMIC_RELAXED);
	if (fz_opts.verbose)
		fprintf(stderr, "# e%u t%d %s\n", ep.episode, w->idx, c->what);
	return c;
}

/* A call about to be made: counted, and remembered in the ring. */
static struct fuzz_call *call_begin(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct fuzz_call *call_begin(struct worker *w, const char *fmt, ...)
{
	struct fuzz_call *c;
	va_list ap;

	va_start(ap, fmt);
	c = call_vrecord(w, true, fmt, ap);
	va_end(ap);
	return c;
}

/* Something done without a system call (guest code written...). */
static void note(struct worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	call_vrecord(w, false, fmt, ap);
	va_end(ap);
}

static long call_end(struct fuzz_call *c, long ret)
{
	int err = errno;

	c->ret = ret;
	c->err = ret < 0 ? err : 0;
	c->done = 1;
	errno = err;
	return ret;
}

#define FZ(w, expr, ...) ({						\
	struct fuzz_call *__c = call_begin(w, __VA_ARGS__);		\
	call_end(__c, (long)(expr));					\
})

static bool stopping(void)
{
	return __atomic_load_n(&fz_shared->stop, __ATOMIC_RELAXED) ||
	       (fz_shared->max_calls &&
		__atomic_load_n(&fz_shared->calls, __ATOMIC_RELAXED) >=
		fz_shared->max_calls);
}

/* ---------------------------------------------------------------------
 * Picking objects and arguments
 */

static int bad_fd(struct worker *w)
{
	return one_in(&w->r, 2) ? -1 : 1000000;
}

static int pick_vm(struct worker *w)
{
	if (one_in(&w->r, 64))
		return bad_fd(w);
	if (one_in(&w->r, 32))
		return ep.vcpus[rnd_below(&w->r, MAX_VCPUS)].fd;
	return one_in(&w->r, 4) ? ep.vms[rnd_below(&w->r, MAX_VMS)] : ep.vms[0];
}

static int pick_vcpu_idx(struct worker *w)
{
	if (w->vcpu >= 0 && !one_in(&w->r, 4))
		return w->vcpu;
	if (one_in(&w->r, 2))
		return rnd_below(&w->r, fz_opts.vcpus);
	return rnd_below(&w->r, MAX_VCPUS);
}

static int pick_vcpu(struct worker *w, int *idx)
{
	int i = pick_vcpu_idx(w);

	*idx = i;
	if (one_in(&w->r, 64))
		return bad_fd(w);
	if (one_in(&w->r, 32))
		return ep.vms[0];
	return ep.vcpus[i].fd;
}

static const char * const ptr_kind[] = {
	"ok", "NULL", "unaligned", "unmapped", "read-only", "straddling",
	"kernel", "non-canonical",
};

/*
 * An argument pointer: @good (BUF_SIZE + 1 bytes, holding @size bytes
 * of argument) or a bad one.  *kind says which.
 */
static void *arg_ptr(struct worker *w, void *good, size_t size, int *kind)
{
	int k = one_in(&w->r, 3) ? rnd_below(&w->r, ARRAY_LEN(ptr_kind)) : 0;

	*kind = k;
	switch (k) {
	case 1:
		return NULL;
	case 2:
		memmove((char *)good + 1, good, size);
		return (char *)good + 1;
	case 3:
		return ep.bad + PAGE;
	case 4:
		return ep.bad + 2 * PAGE;
	case 5:
		if (size > PAGE)
			size = PAGE;
		memcpy(ep.bad + PAGE - size / 2, good, size / 2);
		return ep.bad + PAGE - size / 2;
	case 6:
		return (void *)0xffffffff81000000UL;
	case 7:
		return (void *)0x8000000000000000UL;
	default:
		return good;
	}
}

/* Sometimes, another size or direction in the ioctl number. */
static unsigned long req_mutate(struct worker *w, unsigned long req)
{
	if (!one_in(&w->r, 12))
		return req;
	switch (rnd_below(&w->r, 3)) {
	case 0:
		req &= ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT);
		return req | ((rnd_below(&w->r, 2) ? rnd_below(&w->r, 0x400) :
			       rnd(&w->r)) & _IOC_SIZEMASK) << _IOC_SIZESHIFT;
	case 1:
		return req ^ ((unsigned long)(1 + rnd_below(&w->r, 3)) <<
			      _IOC_DIRSHIFT);
	default:
		return req ^ (1UL << _IOC_SIZESHIFT);
	}
}

static void fill_random(struct worker *w, void *p, size_t n)
{
	uint8_t *b = p;
	uint64_t v;

	while (n >= 8) {
		v = rnd(&w->r);
		memcpy(b, &v, 8);
		b += 8;
		n -= 8;
	}
	while (n--)
		*b++ = rnd(&w->r);
}

/* ---------------------------------------------------------------------
 * System fd
 */

static void op_sys(struct worker *w)
{
	unsigned long arg = one_in(&w->r, 4) ? rnd_interesting(&w->r) : 0;
	int fd = one_in(&w->r, 32) ? pick_vm(w) : ep.sys_fd;
	int kind;
	void *p;

	switch (rnd_below(&w->r, 6)) {
	case 0:
		FZ(w, ioctl(fd, req_mutate(w, KVM_GET_API_VERSION), arg),
		   "sys KVM_GET_API_VERSION fd=%d arg=%#lx", fd, arg);
		break;
	case 1:
		FZ(w, ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, arg),
		   "sys KVM_GET_VCPU_MMAP_SIZE fd=%d arg=%#lx", fd, arg);
		break;
	case 2:
		arg = one_in(&w->r, 2) ? rnd_below(&w->r, 256) : arg;
		FZ(w, ioctl(fd, KVM_CHECK_EXTENSION, arg),
		   "sys KVM_CHECK_EXTENSION fd=%d cap=%lu", fd, arg);
		break;
	case 3: {
		struct kvm_msr_list *l = (void *)w->buf;

		l->nmsrs = one_in(&w->r, 2) ? rnd_interesting(&w->r) :
			   rnd_below(&w->r, 300);
		p = arg_ptr(w, l, 4, &kind);
		FZ(w, ioctl(fd, req_mutate(w, KVM_GET_MSR_INDEX_LIST), p),
		   "sys KVM_GET_MSR_INDEX_LIST fd=%d nmsrs=%u ptr=%s", fd,
		   l->nmsrs, ptr_kind[kind]);
		break;
	}
	case 4: {
		struct kvm_cpuid2 *c = (void *)w->buf;

		c->nent = one_in(&w->r, 2) ? rnd_interesting(&w->r) :
			  rnd_below(&w->r, 300);
		if (c->nent <= (BUF_SIZE - sizeof(*c)) / sizeof(c->entries[0]))
			fill_random(w, c->entries, c->nent * sizeof(c->entries[0]));
		p = arg_ptr(w, c, 8, &kind);
		FZ(w, ioctl(fd, req_mutate(w, KVM_GET_SUPPORTED_CPUID), p),
		   "sys KVM_GET_SUPPORTED_CPUID fd=%d nent=%u ptr=%s", fd,
		   c->nent, ptr_kind[kind]);
		break;
	}
	default:
		p = arg_ptr(w, w->buf, sizeof(struct minihv_info), &kind);
		FZ(w, ioctl(fd, req_mutate(w, MINIHV_GET_INFO), p),
		   "sys MINIHV_GET_INFO fd=%d ptr=%s", fd, ptr_kind[kind]);
		break;
	}
}

static void op_create_vm(struct worker *w)
{
	unsigned long type = one_in(&w->r, 4) ? rnd_interesting(&w->r) : 0;
	int fd, i = 1 + rnd_below(&w->r, MAX_VMS - 1), old;

	fd = FZ(w, ioctl(ep.sys_fd, KVM_CREATE_VM, type),
		"sys KVM_CREATE_VM fd=%d type=%#lx", ep.sys_fd, type);
	if (fd < 0)
		return;
	__atomic_add_fetch(&fz_shared->guests, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&ep.lock);
	old = ep.vms[i];
	ep.vms[i] = fd;
	pthread_mutex_unlock(&ep.lock);
	if (old >= 0)
		FZ(w, close(old), "close vm fd=%d", old);
}

static void op_reopen(struct worker *w)
{
	int fd = FZ(w, open(hv_dev_path(), O_RDWR | O_CLOEXEC), "open %s",
		    hv_dev_path());
	int old;

	if (fd < 0)
		return;
	pthread_mutex_lock(&ep.lock);
	old = ep.sys_fd;
	ep.sys_fd = fd;
	pthread_mutex_unlock(&ep.lock);
	FZ(w, close(old), "close sys fd=%d", old);
}

/* ---------------------------------------------------------------------
 * VM fd
 */

static void op_create_vcpu(struct worker *w)
{
	static const long ids[] = { 0, 1, 2, 3, 7, 15, 16, 17, 254, 255,
				    1023, 1024, 4095, 4096, -1, 0x7fffffff };
	long id = one_in(&w->r, 8) ? (long)rnd_interesting(&w->r) :
		  ids[rnd_below(&w->r, ARRAY_LEN(ids))];
	int vm = pick_vm(w), fd, i, old = -1;
	void *run;

	fd = FZ(w, ioctl(vm, KVM_CREATE_VCPU, id),
		"vm KVM_CREATE_VCPU fd=%d id=%ld", vm, id);
	if (fd < 0)
		return;
	run = mmap(NULL, ep.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	pthread_mutex_lock(&ep.lock);
	i = fz_opts.vcpus + rnd_below(&w->r, MAX_VCPUS - fz_opts.vcpus);
	if (i < MAX_VCPUS) {
		old = ep.vcpus[i].fd;
		ep.vcpus[i].fd = fd;
		/* The old mapping stays: another thread may be reading it. */
		ep.vcpus[i].run = run == MAP_FAILED ? NULL : run;
	}
	pthread_mutex_unlock(&ep.lock);
	if (i >= MAX_VCPUS)
		old = fd;
	if (old >= 0)
		FZ(w, close(old), "close vcpu fd=%d", old);
}

static void op_enable_cap(struct worker *w)
{
	struct kvm_enable_cap *cap = (void *)w->buf;
	int vm = pick_vm(w), kind;
	void *p;

	memset(cap, 0, sizeof(*cap));
	cap->cap = KVM_CAP_SPLIT_IRQCHIP;
	if (one_in(&w->r, 4))
		cap->cap = rnd_below(&w->r, 256);
	if (cap->cap == KVM_CAP_DISABLE_EXITS_NR)
		cap->cap = KVM_CAP_SPLIT_IRQCHIP;
	cap->args[0] = one_in(&w->r, 2) ? 24 : rnd_interesting(&w->r);
	if (one_in(&w->r, 8))
		cap->flags = rnd_interesting(&w->r);
	if (one_in(&w->r, 8))
		fill_random(w, &cap->args[1], sizeof(cap->args) - 8);
	p = arg_ptr(w, cap, sizeof(*cap), &kind);
	if (!FZ(w, ioctl(vm, req_mutate(w, KVM_ENABLE_CAP), p),
		"vm KVM_ENABLE_CAP fd=%d cap=%u args0=%#llx flags=%#x ptr=%s",
		vm, cap->cap, (unsigned long long)cap->args[0], cap->flags,
		ptr_kind[kind]) && vm == ep.vms[0])
		ep.split_irqchip = true;
}

static void op_signal_msi(struct worker *w)
{
	struct kvm_msi *m = (void *)w->buf;
	unsigned int mode = rnd_below(&w->r, 8);
	int vm = pick_vm(w), kind;
	void *p;

	/* INIT and SIPI start a vCPU in real mode: it may spin in Bochs. */
	if (fz_opts.no_spin && (mode == 5 || mode == 6))
		mode = 0;
	memset(m, 0, sizeof(*m));
	m->address_lo = 0xfee00000 | (rnd_below(&w->r, 4) << 12) |
			(rnd_below(&w->r, 4) << 2);
	if (one_in(&w->r, 8))
		m->address_lo = rnd(&w->r);
	if (one_in(&w->r, 8))
		m->address_hi = rnd(&w->r);
	m->data = rnd_below(&w->r, 256) | mode << 8 |
		  (one_in(&w->r, 4) ? 0xc000 : 0);
	if (one_in(&w->r, 8))
		m->flags = rnd(&w->r);
	p = arg_ptr(w, m, sizeof(*m), &kind);
	FZ(w, ioctl(vm, req_mutate(w, KVM_SIGNAL_MSI), p),
	   "vm KVM_SIGNAL_MSI fd=%d addr=%#x:%#x data=%#x flags=%#x ptr=%s",
	   vm, m->address_hi, m->address_lo, m->data, m->flags,
	   ptr_kind[kind]);
}

static void op_set_region(struct worker *w)
{
	static const uint32_t slots[] = { 0, 1, 2, 3, 4, 5, 31, 32, 33, 509,
					  510, 511, 512, 0x10000, 0x10001,
					  0xffff, 0xffffffff };
	static const uint64_t gpas[] = { 0, 0xa0000, 0x100000, 0x200000,
					 0x400000, 0x1000000, 0xd0000000,
					 0xfee00000, 0xfec00000, 0xfffff000,
					 0x100000000ULL, 0x1000000000ULL,
					 0xffffffffff000ULL,
					 0xfffffffffffff000ULL, 0x10001 };
	struct kvm_userspace_memory_region *m = (void *)w->buf;
	struct region *r = &ep.regions[rnd_below(&w->r, MAX_REGIONS)];
	int vm = pick_vm(w), kind;
	void *p;

	memset(m, 0, sizeof(*m));
	m->slot = one_in(&w->r, 2) ? 1 + rnd_below(&w->r, 4) :
		  slots[rnd_below(&w->r, ARRAY_LEN(slots))];
	m->flags = rnd_below(&w->r, 4);
	if (one_in(&w->r, 16))
		m->flags = rnd(&w->r);
	m->guest_phys_addr = one_in(&w->r, 2) ? 0x100000 * (1 + m->slot % 8) :
			     gpas[rnd_below(&w->r, ARRAY_LEN(gpas))];
	if (one_in(&w->r, 8))
		m->guest_phys_addr = rnd_interesting(&w->r);
	m->userspace_addr = (uintptr_t)r->hva;
	m->memory_size = r->size;
	if (m->slot == 0 && one_in(&w->r, 2)) {
		/* slot 0 back as it was (or deleted) */
		m->userspace_addr = (uintptr_t)ep.regions[0].hva;
		m->memory_size = GUEST_LOW_MEM_SIZE;
		m->guest_phys_addr = 0;
		m->flags = 0;
	}
	switch (rnd_below(&w->r, 12)) {
	case 0:
		m->memory_size = 0;			/* delete */
		break;
	case 1:
		m->memory_size = rnd_interesting(&w->r);
		break;
	case 2:
		m->memory_size = 1ULL << (30 + rnd_below(&w->r, 20));
		break;
	case 3:
		m->memory_size = PAGE * (1 + rnd_below(&w->r, 16));
		break;
	case 4:
		m->userspace_addr = (uintptr_t)ep.bad + PAGE *
				    rnd_below(&w->r, 3);
		m->memory_size = PAGE * (1 + rnd_below(&w->r, 2));
		break;
	case 5:
		m->userspace_addr = one_in(&w->r, 2) ? rnd_interesting(&w->r) :
				    m->userspace_addr + 1;
		break;
	default:
		break;
	}
	p = arg_ptr(w, m, sizeof(*m), &kind);
	FZ(w, ioctl(vm, req_mutate(w, KVM_SET_USER_MEMORY_REGION), p),
	   "vm KVM_SET_USER_MEMORY_REGION fd=%d slot=%#x flags=%#x gpa=%#llx size=%#llx hva=%#llx ptr=%s",
	   vm, m->slot, m->flags, (unsigned long long)m->guest_phys_addr,
	   (unsigned long long)m->memory_size,
	   (unsigned long long)m->userspace_addr, ptr_kind[kind]);
}

static void op_dirty_log(struct worker *w)
{
	struct kvm_dirty_log *l = (void *)w->buf;
	int vm = pick_vm(w), kind;

	memset(l, 0, sizeof(*l));
	l->slot = one_in(&w->r, 4) ? rnd_interesting(&w->r) :
		  rnd_below(&w->r, 6);
	l->dirty_bitmap = arg_ptr(w, w->buf + PAGE, PAGE, &kind);
	FZ(w, ioctl(vm, req_mutate(w, KVM_GET_DIRTY_LOG), l),
	   "vm KVM_GET_DIRTY_LOG fd=%d slot=%#x bitmap=%s", vm, l->slot,
	   ptr_kind[kind]);
}

static void op_vm_misc(struct worker *w)
{
	int vm = pick_vm(w), kind;
	unsigned long arg = one_in(&w->r, 2) ? rnd_below(&w->r, 256) :
			    rnd_interesting(&w->r);
	struct minihv_stats_req *q = (void *)w->buf;
	void *p;

	if (one_in(&w->r, 2)) {
		FZ(w, ioctl(vm, KVM_CHECK_EXTENSION, arg),
		   "vm KVM_CHECK_EXTENSION fd=%d cap=%lu", vm, arg);
		return;
	}
	memset(q, 0, sizeof(*q));
	q->size = one_in(&w->r, 2) ? sizeof(struct minihv_stats) :
		  rnd_interesting(&w->r);
	q->data = (uintptr_t)arg_ptr(w, w->buf + PAGE, 0, &kind);
	if (one_in(&w->r, 8))
		fill_random(w, q, sizeof(*q));
	p = arg_ptr(w, q, sizeof(*q), &kind);
	FZ(w, ioctl(vm, req_mutate(w, MINIHV_GET_STATS), p),
	   "vm MINIHV_GET_STATS fd=%d size=%#x data=%#llx ptr=%s", vm,
	   (unsigned int)q->size, (unsigned long long)q->data,
	   ptr_kind[kind]);
}

/* ---------------------------------------------------------------------
 * vCPU fd
 */

/* The vCPU back in a mode at its entry point, its code unchanged. */
static void vcpu_reset(struct worker *w, int i)
{
	int mode = fz_opts.no_spin ? GM_LONG64 : rnd_below(&w->r, 3);
	struct kvm_sregs s = ep.sregs[mode];
	struct kvm_regs r = ep.regs[mode];
	int fd = ep.vcpus[i].fd;
	uint64_t entry = i ? CODE_AP : GUEST_CODE_GPA;

	if (!one_in(&w->r, 4))
		mode = GM_LONG64, s = ep.sregs[mode], r = ep.regs[mode];
	r.rip = mode == GM_REAL ? entry - GUEST_CODE_GPA : entry;
	if (mode != GM_REAL)
		r.rsp = GUEST_STACK_TOP(i);
	if (one_in(&w->r, 8))
		r.rip = CODE_MMIO;
	FZ(w, ioctl(fd, KVM_SET_SREGS, &s), "vcpu%d KVM_SET_SREGS fd=%d reset mode %d",
	   i, fd, mode);
	FZ(w, ioctl(fd, KVM_SET_REGS, &r), "vcpu%d KVM_SET_REGS fd=%d rip=%#llx",
	   i, fd, (unsigned long long)r.rip);
	if (ep.split_irqchip) {
		struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };

		FZ(w, ioctl(fd, KVM_SET_MP_STATE, &mp),
		   "vcpu%d KVM_SET_MP_STATE fd=%d RUNNABLE", i, fd);
	}
}

static void op_run(struct worker *w)
{
	int i, fd = pick_vcpu(w, &i);
	struct kvm_run *run = ep.vcpus[i].run;
	unsigned long arg = one_in(&w->r, 64) ? rnd_interesting(&w->r) : 0;
	struct fuzz_call *c;
	long r;

	/*
	 * KVM 6.1's WARN of op_mp_state(), reached another way: a vCPU that
	 * never ran (an AP, UNINITIALIZED) whose APIC timer KVM_SET_LAPIC or
	 * the TSC-deadline MSR put on the VMX preemption timer.  On KVM such
	 * a vCPU is made RUNNABLE before it runs.
	 */
	if (fz_opts.kvm) {
		struct kvm_mp_state mp;

		if (!ioctl(fd, KVM_GET_MP_STATE, &mp) &&
		    mp.mp_state == KVM_MP_STATE_UNINITIALIZED) {
			mp.mp_state = KVM_MP_STATE_RUNNABLE;
			FZ(w, ioctl(fd, KVM_SET_MP_STATE, &mp),
			   "vcpu%d KVM_SET_MP_STATE fd=%d RUNNABLE (KVM: not UNINITIALIZED)",
			   i, fd);
		}
	}
	if (run && one_in(&w->r, 32))
		run->immediate_exit = 1;
	if (run && one_in(&w->r, 16))
		run->request_interrupt_window = 1;
	c = call_begin(w, "vcpu%d KVM_RUN fd=%d arg=%#lx", i, fd, arg);
	r = call_end(c, ioctl(fd, KVM_RUN, arg));
	if (!run)
		return;
	run->immediate_exit = 0;
	if (r)
		return;
	snprintf(c->what + strlen(c->what), FUZZ_WHAT - strlen(c->what),
		 " -> %s", guest_exit_name(run->exit_reason));
	switch (run->exit_reason) {
	case KVM_EXIT_HLT:
	case KVM_EXIT_SHUTDOWN:
	case KVM_EXIT_FAIL_ENTRY:
	case KVM_EXIT_INTERNAL_ERROR:
	case KVM_EXIT_UNKNOWN:
		if (!one_in(&w->r, 4))
			vcpu_reset(w, i);
		break;
	case KVM_EXIT_IO:
		if (run->io.port == GUEST_EXC_PORT && one_in(&w->r, 2))
			vcpu_reset(w, i);
		break;
	default:
		break;
	}
}

/*
 * --avail-tss (the SVM lab): TR holds a present, available TSS.  QEMU 7.2's
 * TCG reads the TSS of an inter-privilege interrupt only through a TR of
 * that type and aborts the whole lab otherwise ("invalid tss"/"invalid
 * tss type"), where real CPUs, KVM and minihv keep TR's busy type.
 */
static void avail_tss(struct kvm_sregs *s)
{
	if (!fz_opts.avail_tss)
		return;
	s->tr.present = 1;
	s->tr.unusable = 0;	/* SVM: attributes 0, not present */
	s->tr.type = (s->tr.type & 8) | 1;
}

#define EFER_LME	(1ULL << 8)
#define CR4_PAE		(1ULL << 5)

/*
 * --lme-pae (the SVM lab): EFER.LME only with CR4.PAE.  At a #VMEXIT,
 * QEMU 7.2's TCG loads the host's CR0 before its CR4 and EFER, through
 * its MOV-to-CR0 helper, with the guest's CR4 and EFER still in place:
 * for a guest with LME set and PG, PAE clear, that is "turning paging on
 * in long mode without PAE", which the helper ignores.  The lab's CPU then
 * runs the host with the guest's CR0, paging off, and never comes back.
 * Real CPUs load the host's state whatever the guest's (and the state is
 * a legal one: KVM and minihv run it).  Here the sregs get PAE with LME;
 * op_msrs() and the guest's WRMSRs (gen.c) clear LME, the guest's CR4
 * writes set PAE.
 */
static void lme_pae(struct kvm_sregs *s)
{
	if (fz_opts.lme_pae && (s->efer & EFER_LME))
		s->cr4 |= CR4_PAE;
}

static void mutate_sregs(struct worker *w, struct kvm_sregs *s)
{
	struct kvm_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs,
				       &s->gs, &s->ss, &s->tr, &s->ldt };
	struct kvm_segment *g;
	int n = 1 + rnd_below(&w->r, 3);

	while (n--) {
		switch (rnd_below(&w->r, fz_opts.no_spin ? 8 : 11)) {
		case 0:
			s->cr4 ^= 1ULL << rnd_below(&w->r, 32);
			break;
		case 1:
			s->efer ^= 1ULL << (fz_opts.no_spin ? 11 + rnd_below(&w->r, 53) :
					    rnd_below(&w->r, 64));
			break;
		case 2:
			s->cr3 = one_in(&w->r, 2) ? rnd_interesting(&w->r) :
				 s->cr3 ^ (1ULL << rnd_below(&w->r, 64));
			break;
		case 3:
			s->cr8 = one_in(&w->r, 2) ? rnd_below(&w->r, 16) :
				 rnd_interesting(&w->r);
			break;
		case 4:
			s->apic_base = one_in(&w->r, 2) ?
				0xfee00000 | (rnd_below(&w->r, 4) << 10) | 0x100 :
				rnd_interesting(&w->r);
			break;
		case 5:
			if (one_in(&w->r, 2)) {
				s->gdt.base = rnd_interesting(&w->r);
				s->gdt.limit = rnd(&w->r);
			} else {
				s->idt.base = rnd_interesting(&w->r);
				s->idt.limit = rnd(&w->r);
			}
			break;
		case 6:
			s->interrupt_bitmap[rnd_below(&w->r, 4)] |=
				1ULL << rnd_below(&w->r, 64);
			break;
		case 7:
			s->cr2 = rnd_interesting(&w->r);
			s->cr0 ^= 1ULL << (fz_opts.no_spin ?
					   1 + rnd_below(&w->r, 30) :
					   rnd_below(&w->r, 64));
			break;
		default:
			g = segs[rnd_below(&w->r, ARRAY_LEN(segs))];
			switch (rnd_below(&w->r, 6)) {
			case 0:
				g->base = rnd_interesting(&w->r);
				break;
			case 1:
				g->limit = rnd(&w->r);
				break;
			case 2:
				g->selector = rnd(&w->r);
				break;
			case 3:
				g->type = rnd_below(&w->r, 16);
				break;
			case 4:
				g->unusable ^= 1;
				g->present ^= one_in(&w->r, 2);
				break;
			default:
				g->l ^= 1;
				g->db ^= one_in(&w->r, 2);
				g->dpl = rnd_below(&w->r, 4);
				g->s ^= one_in(&w->r, 4);
				g->g ^= one_in(&w->r, 2);
				break;
			}
			break;
		}
	}
}

static void op_regs(struct worker *w)
{
	int i, fd = pick_vcpu(w, &i), kind;
	struct kvm_regs *r = (void *)w->buf;
	void *p;

	if (one_in(&w->r, 3)) {
		p = arg_ptr(w, r, sizeof(*r), &kind);
		FZ(w, ioctl(fd, req_mutate(w, KVM_GET_REGS), p),
		   "vcpu%d KVM_GET_REGS fd=%d ptr=%s", i, fd, ptr_kind[kind]);
		return;
	}
	if (ioctl(fd, KVM_GET_REGS, r))
		memset(r, 0, sizeof(*r));
	switch (rnd_below(&w->r, 4)) {
	case 0:
		fill_random(w, r, sizeof(*r));
		break;
	case 1:
		r->rflags = rnd_interesting(&w->r) | 2;
		break;
	case 2:
		if (!fz_opts.no_spin)
			r->rip = rnd_interesting(&w->r);
		break;
	default:
		(&r->rax)[rnd_below(&w->r, 16)] = rnd_interesting(&w->r);
		break;
	}
	if (fz_opts.no_spin)
		r->rflags &= ~(1ULL << 17);	/* no virtual-8086 mode */
	p = arg_ptr(w, r, sizeof(*r), &kind);
	FZ(w, ioctl(fd, req_mutate(w, KVM_SET_REGS), p),
	   "vcpu%d KVM_SET_REGS fd=%d rip=%#llx rflags=%#llx ptr=%s", i, fd,
	   (unsigned long long)r->rip, (unsigned long long)r->rflags,
	   ptr_kind[kind]);
}

static void op_sregs(struct worker *w)
{
	int i, fd = pick_vcpu(w, &i), kind;
	struct kvm_sregs *s = (void *)w->buf;
	void *p;

	if (one_in(&w->r, 3)) {
		p = arg_ptr(w, s, sizeof(*s), &kind);
		FZ(w, ioctl(fd, req_mutate(w, KVM_GET_SREGS), p),
		   "vcpu%d KVM_GET_SREGS fd=%d ptr=%s", i, fd, ptr_kind[kind]);
		return;
	}
	if (one_in(&w->r, 2) || ioctl(fd, KVM_GET_SREGS, s))
		*s = ep.sregs[fz_opts.no_spin ? GM_LONG64 : rnd_below(&w->r, 3)];
	if (!fz_opts.no_spin && one_in(&w->r, 16))
		fill_random(w, s, sizeof(*s));
	else
		mutate_sregs(w, s);
	avail_tss(s);
	lme_pae(s);
	p = arg_ptr(w, s, sizeof(*s), &kind);
	FZ(w, ioctl(fd, req_mutate(w, KVM_SET_SREGS), p),
	   "vcpu%d KVM_SET_SREGS fd=%d cr0=%#llx cr3=%#llx cr4=%#llx efer=%#llx cs.l=%d ptr=%s",
	   i, fd, (unsigned long long)s->cr0, (unsigned long long)s->cr3,
	   (unsigned long long)s->cr4, (unsigned long long)s->efer,
	   s->cs.l, ptr_kind[kind]);
}

static void op_fpu(struct worker *w)
{
	int i, fd = pick_vcpu(w, &i), kind;
	struct kvm_fpu *f = (void *)w->buf;
	void *p;

	if (one_in(&w->r, 3)) {
		p = arg_ptr(w, f, sizeof(*f), &kind);
		FZ(w, ioctl(fd, req_mutate(w, KVM_GET_FPU), p),
		   "vcpu%d KVM_GET_FPU fd=%d ptr=%s", i, fd, ptr_kind[kind]);
		return;
	}
	if (one_in(&w->r, 2))
		fill_random(w, f, sizeof(*f));
	else if (ioctl(fd, KVM_GET_FPU, f))
		memset(f, 0, sizeof(*f));
	f->mxcsr = one_in(&w->r, 2) ? 0x1f80 | (rnd(&w->r) & 0x3f) :
		   (uint32_t)rnd_interesting(&w->r);
	p = arg_ptr(w, f, sizeof(*f), &kind);
	FZ(w, ioctl(fd, req_mutate(w, KVM_SET_FPU), p),
	   "vcpu%d KVM_SET_FPU fd=%d mxcsr=%#x fcw=%#x ptr=%s", i, fd,
	   f->mxcsr, f->fcw, ptr_kind[kind]);
}

static void op_msrs(struct worker *w)
{
	int i, fd = pick_vcpu(w, &i), kind;
	struct kvm_msrs *m = (void *)w->buf;
	bool set = one_in(&w->r, 2);
	unsigned int n = rnd_below(&w->r, 8), k;
	void *p;

	memset(m, 0, sizeof(*m));
	m->nmsrs = one_in(&w->r, 8) ? rnd_interesting(&w->r) : n;
	for (k = 0; k < n; k++) {
		m->entries[k].index = rnd_msr(&w->r);
		m->entries[k].reserved = one_in(&w->r, 16) ? rnd(&w->r) : 0;
		m->entries[k].data = rnd_interesting(&w->r);
		if (fz_opts.lme_pae && m->entries[k].index == 0xc0000080)
			m->entries[k].data &= ~EFER_LME;
	}
	p = arg_ptr(w, m, sizeof(*m) + n * sizeof(m->entries[0]), &kind);
	FZ(w, ioctl(fd, req_mutate(w, set ? KVM_SET_MSRS : KVM_GET_MSRS), p),
	   "vcpu%d KVM_%s_MSRS fd=%d nmsrs=%u [0]=%#x:%#llx ptr=%s", i,
	   set ? "SET" : "GET", fd, m->nmsrs, n ? m->entries[0].index : 0,
	   n ? (unsigned long long)m->entries[0].data : 0ULL,
	   ptr_kind[kind]);
}

static void op_cpuid(struct worker *w)
{
	int i, fd = pick_vcpu(w, &i), kind, k;
	struct kvm_cpuid2 *c = (void *)w->buf;
	size_t max = (BUF_SIZE - sizeof(*c)) / sizeof(c->entries[0]);
	bool set = !one_in(&w->r, 3);
	void *p;

	if (ep.cpuid && ep.cpuid->nent <= max)
		memcpy(c, ep.cpuid, sizeof(*c) + ep.cpuid->nent *
		       sizeof(c->entries[0]));
	else
		c->nent = 0;
	for (k = rnd_below(&w->r, 4); k > 0 && c->nent; k--) {
		struct kvm_cpuid_entry2 *e = &c->entries[rnd_below(&w->r, c->nent)];

		(&e->eax)[rnd_below(&w->r, 4)] ^= 1U << rnd_below(&w->r, 32);
		if (one_in(&w->r, 8))
			e->function = rnd_interesting(&w->r);
		if (one_in(&w->r, 16))
			e->flags = rnd(&w->r);
	}
	if (one_in(&w->r, 8))
		c->nent = rnd_interesting(&w->r);
	else if (!set)
		c->nent = rnd_below(&w->r, 120);
	p = arg_ptr(w, c, c->nent <= max ? sizeof(*c) + c->nent *
		    sizeof(c->entries[0]) : sizeof(*c), &kind);
	FZ(w, ioctl(fd, req_mutate(w, set ? KVM_SET_CPUID2 : KVM_GET_CPUID2), p),
	   "vcpu%d KVM_%s_CPUID2 fd=%d nent=%u ptr=%s", i, set ? "SET" : "GET",
	   fd, c->nent, ptr_kind[kind]);
}

static void op_mp_state(struct worker *w)
{
	int i, fd = pick_vcpu(w, &i), kind;
	struct kvm_mp_state *m = (void *)w->buf;
	void *p;

	if (one_in(&w->r, 2)) {
		p = arg_ptr(w, m, sizeof(*m), &kind);
		FZ(w, ioctl(fd, req_mutate(w, KVM_GET_MP_STATE), p),
		   "vcpu%d KVM_GET_MP_STATE fd=%d ptr=%s", i, fd,
		   ptr_kind[kind]);
		return;
	}
	m->mp_state = one_in(&w->r, 4) ? rnd_interesting(&w->r) :
		      rnd_below(&w->r, 10);
	if (fz_opts.no_spin && m->mp_state == KVM_MP_STATE_SIPI_RECEIVED)
		m->mp_state = KVM_MP_STATE_RUNNABLE;
	/*
	 * KVM 6.1 WARNs (x86.c: kvm_lapic_hv_timer_in_use() on an
	 * UNINITIALIZED vCPU; the WARN is gone upstream since 6.4) when a
	 * vCPU put back in UNINITIALIZED has its APIC timer on the VMX
	 * preemption timer: a known bug of the reference, not minihv's.
	 */
	if (fz_opts.kvm && m->mp_state == KVM_MP_STATE_UNINITIALIZED)
		m->mp_state = KVM_MP_STATE_RUNNABLE;
	p = arg_ptr(w, m, sizeof(*m), &kind);
	FZ(w, ioctl(fd, req_mutate(w, KVM_SET_MP_STATE), p),
	   "vcpu%d KVM_SET_MP_STATE fd=%d state=%u ptr=%s", i, fd,
	   m->mp_state, ptr_kind[kind]);
}

static void op_lapic(struct worker *w)
{
	static const uint16_t regs[] = { 0x20, 0x30, 0x80, 0xb0, 0xd0, 0xe0,
					 0xf0, 0x280, 0x300, 0x310, 0x320,
					 0x330, 0x340, 0x350, 0x360, 0x370,
					 0x380, 0x390, 0x3e0, 0x3f0 };
	int i, fd = pick_vcpu(w, &i), kind, k;
	struct kvm_lapic_state *l = (void *)w->buf;
	uint32_t v;
	void *p;

	if (ioctl(fd, KVM_GET_LAPIC, l) || one_in(&w->r, 8))
		fill_random(w, l, sizeof(*l));
	if (one_in(&w->r, 3)) {
		p = arg_ptr(w, l, sizeof(*l), &kind);
		FZ(w, ioctl(fd, req_mutate(w, KVM_GET_LAPIC), p),
		   "vcpu%d KVM_GET_LAPIC fd=%d ptr=%s", i, fd, ptr_kind[kind]);
		return;
	}
	for (k = 1 + rnd_below(&w->r, 4); k > 0; k--) {
		uint16_t off = regs[rnd_below(&w->r, ARRAY_LEN(regs))];

		v = one_in(&w->r, 2) ? rnd_below(&w->r, 0x400) :
		    rnd_interesting(&w->r);
		if (off == 0x320 && one_in(&w->r, 2))	/* LVTT periodic */
			v = (1 << 17) | rnd_below(&w->r, 256);
		if (fz_opts.no_spin && off == 0x300)	/* no INIT/SIPI */
			v &= ~0x400U;
		memcpy(l->regs + off, &v, 4);
	}
	p = arg_ptr(w, l, sizeof(*l), &kind);
	FZ(w, ioctl(fd, req_mutate(w, KVM_SET_LAPIC), p),
	   "vcpu%d KVM_SET_LAPIC fd=%d ptr=%s", i, fd, ptr_kind[kind]);
}

static void op_irq(struct worker *w)
{
	int i, fd = pick_vcpu(w, &i), kind;
	struct kvm_interrupt *q = (void *)w->buf;
	void *p;

	if (one_in(&w->r, 2)) {
		FZ(w, ioctl(fd, KVM_NMI, 0), "vcpu%d KVM_NMI fd=%d", i, fd);
		return;
	}
	q->irq = one_in(&w->r, 4) ? rnd_interesting(&w->r) :
		 rnd_below(&w->r, 256);
	p = arg_ptr(w, q, sizeof(*q), &kind);
	FZ(w, ioctl(fd, req_mutate(w, KVM_INTERRUPT), p),
	   "vcpu%d KVM_INTERRUPT fd=%d irq=%u ptr=%s", i, fd, q->irq,
	   ptr_kind[kind]);
}

/* Scribble on a kvm_run page: userspace may write all of it. */
static void op_run_page(struct worker *w)
{
	int i = pick_vcpu_idx(w), k;
	uint8_t *run = (uint8_t *)ep.vcpus[i].run;

	if (!run)
		return;
	note(w, "vcpu%d scribble on kvm_run", i);
	for (k = 1 + rnd_below(&w->r, 8); k > 0; k--)
		run[rnd_below(&w->r, ep.run_size)] = rnd(&w->r);
}

/* ---------------------------------------------------------------------
 * Memory, mmaps, fds, unknown ioctls
 */

/*
 * Guest memory unmapped, mapped again, made read-only or writable, under
 * the vCPUs' feet.  An unmapped region's addresses may be given to
 * another mapping of ours (a thread stack...): only a mapped region is
 * unmapped or protected, and it comes back where it was only if that
 * place is still free (MAP_FIXED_NOREPLACE).
 */
static void op_memory(struct worker *w)
{
	int i = one_in(&w->r, 16) ? 0 : 1 + rnd_below(&w->r, MAX_REGIONS - 1);
	struct region *r = &ep.regions[i];
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *p;

	pthread_mutex_lock(&ep.lock);
	switch (rnd_below(&w->r, 4)) {
	case 0:
		if (r->state == R_GONE)
			break;
		FZ(w, munmap(r->hva, r->size), "munmap region%d %p+%#zx", i,
		   r->hva, r->size);
		r->state = R_GONE;
		break;
	case 1:
		flags |= r->state == R_GONE ? MAP_FIXED_NOREPLACE : MAP_FIXED;
		p = (void *)FZ(w, mmap(r->hva, r->size, PROT_READ | PROT_WRITE,
				       flags, -1, 0),
			       "mmap region%d %p+%#zx%s", i, r->hva, r->size,
			       flags & MAP_FIXED ? " MAP_FIXED" : "");
		if (p == MAP_FAILED && r->state == R_GONE)
			p = (void *)FZ(w, mmap(NULL, r->size,
					       PROT_READ | PROT_WRITE, flags &
					       ~MAP_FIXED_NOREPLACE, -1, 0),
				       "mmap region%d elsewhere", i);
		if (p == MAP_FAILED)
			break;
		r->hva = p;
		r->state = R_RW;
		fill_random(w, r->hva, r->size < 0x10000 ? r->size : 0x10000);
		break;
	case 2:
		if (r->state != R_GONE &&
		    !FZ(w, mprotect(r->hva, r->size, PROT_READ),
			"mprotect region%d PROT_READ", i))
			r->state = R_RO;
		break;
	default:
		if (r->state != R_GONE &&
		    !FZ(w, mprotect(r->hva, r->size, PROT_READ | PROT_WRITE),
			"mprotect region%d RW", i))
			r->state = R_RW;
		break;
	}
	pthread_mutex_unlock(&ep.lock);
}

/* New guest code, or a few bytes of it rewritten while vCPUs run it. */
static void op_code(struct worker *w)
{
	struct region *r0 = &ep.regions[0];
	uint8_t *code = r0->hva + GUEST_CODE_GPA;
	uint8_t tmp[64];
	size_t n, off;
	int k;

	pthread_mutex_lock(&ep.lock);
	if (r0->state != R_RW)
		goto out;
	switch (rnd_below(&w->r, 5)) {
	case 0:
		note(w, "new program for vcpu0");
		gen_program(&w->r, code, 0x1000, GUEST_CODE_GPA);
		break;
	case 1:
		note(w, "new program for the APs");
		gen_program(&w->r, code + (CODE_AP - GUEST_CODE_GPA), 0x1000,
			    CODE_AP);
		break;
	case 2:
		note(w, "random guest data");
		fill_random(w, r0->hva + GUEST_DATA_GPA, 0x1000);
		break;
	default:
		/* the MMIO access at CODE_MMIO + 10, rewritten repeatedly */
		n = gen_mmio_loop(&w->r, tmp, sizeof(tmp), CODE_MMIO);
		memcpy(code + (CODE_MMIO - GUEST_CODE_GPA), tmp, n);
		note(w, "rewrite the MMIO access at %#lx", CODE_MMIO + 10);
		for (k = 0; k < 32; k++) {
			uint8_t b[16];

			n = gen_insn_bytes(&w->r, b, sizeof(b));
			off = CODE_MMIO - GUEST_CODE_GPA + 10;
			memcpy(code + off, b, n > 2 && fz_opts.no_spin ? 2 : n);
			sched_yield();
			memcpy(code + off, "\x8b\x03", 2);
		}
		break;
	}
out:
	pthread_mutex_unlock(&ep.lock);
}

/* A vCPU sent to the MMIO loop, or an AP that rewrites vCPU 0's code. */
static void op_race_setup(struct worker *w)
{
	struct region *r0 = &ep.regions[0];
	uint8_t tmp[256];
	struct kvm_regs regs;
	bool smc = fz_opts.vcpus > 1 && !fz_opts.no_spin && one_in(&w->r, 2);
	int i = smc ? 1 + rnd_below(&w->r, fz_opts.vcpus - 1) : 0;
	int fd = ep.vcpus[i].fd;
	size_t n;

	pthread_mutex_lock(&ep.lock);
	if (r0->state == R_RW) {
		n = gen_mmio_loop(&w->r, tmp, sizeof(tmp), CODE_MMIO);
		memcpy(r0->hva + CODE_MMIO, tmp, n);
		if (smc) {
			n = gen_smc_writer(&w->r, tmp, sizeof(tmp), CODE_AP,
					   CODE_MMIO + 10);
			memcpy(r0->hva + CODE_AP, tmp, n);
		}
	}
	pthread_mutex_unlock(&ep.lock);
	regs = ep.regs[GM_LONG64];
	regs.rip = smc ? CODE_AP : CODE_MMIO;
	regs.rsp = GUEST_STACK_TOP(i);
	FZ(w, ioctl(fd, KVM_SET_SREGS, &ep.sregs[GM_LONG64]),
	   "vcpu%d KVM_SET_SREGS fd=%d long mode", i, fd);
	FZ(w, ioctl(fd, KVM_SET_REGS, &regs),
	   "vcpu%d KVM_SET_REGS fd=%d rip=%#llx (%s)", i, fd,
	   (unsigned long long)regs.rip, smc ? "code writer" : "MMIO loop");
	if (ep.split_irqchip) {
		struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };

		FZ(w, ioctl(fd, KVM_SET_MP_STATE, &mp),
		   "vcpu%d KVM_SET_MP_STATE fd=%d RUNNABLE", i, fd);
	}
}

/* mmap() of a vCPU (or other) fd at any offset, touched, unmapped. */
static void op_mmap(struct worker *w)
{
	static const size_t lens[] = { PAGE, 2 * PAGE, 3 * PAGE, 1 << 20 };
	static const off_t offs[] = { 0, PAGE, 2 * PAGE, 3 * PAGE,
				      1L << 40 };
	int i, fd = one_in(&w->r, 8) ? pick_vm(w) : pick_vcpu(w, &i);
	size_t len = lens[rnd_below(&w->r, ARRAY_LEN(lens))];
	off_t off = offs[rnd_below(&w->r, ARRAY_LEN(offs))];
	int prot = one_in(&w->r, 4) ? PROT_READ : PROT_READ | PROT_WRITE;
	uint8_t *p, sink[PAGE];
	size_t k;

	p = (void *)FZ(w, mmap(NULL, len, prot, MAP_SHARED, fd, off),
		       "mmap fd=%d len=%#zx off=%#lx prot=%d", fd, len,
		       (long)off, prot);
	if (p == MAP_FAILED)
		return;
	/* Fault the pages in through the kernel: EFAULT, never SIGBUS. */
	for (k = 0; k < len && k < 4 * PAGE; k += PAGE) {
		if (write(ep.pipe[1], p + k, PAGE) > 0)
			(void)!read(ep.pipe[0], sink, sizeof(sink));
	}
	FZ(w, munmap(p, len), "munmap %p+%#zx", p, len);
}

static void op_close(struct worker *w)
{
	int i, fd = -1;

	pthread_mutex_lock(&ep.lock);
	switch (rnd_below(&w->r, 8)) {
	case 0:
		i = rnd_below(&w->r, MAX_VMS);
		if (i || one_in(&w->r, 4)) {
			fd = ep.vms[i];
			ep.vms[i] = -1;
		}
		break;
	case 1:
		if (one_in(&w->r, 4)) {
			fd = ep.sys_fd;
			ep.sys_fd = -1;
		}
		break;
	default:
		i = rnd_below(&w->r, MAX_VCPUS);
		if (i >= (int)fz_opts.vcpus || one_in(&w->r, 8)) {
			fd = ep.vcpus[i].fd;
			ep.vcpus[i].fd = -1;
		}
		break;
	}
	pthread_mutex_unlock(&ep.lock);
	if (fd >= 0)
		FZ(w, close(fd), "close fd=%d", fd);
}

static void op_unknown(struct worker *w)
{
	static const uint8_t types[] = { KVMIO, KVMIO, KVMIO, MINIHV_IO, 0 };
	int i, fd, kind;
	unsigned long req, arg;
	unsigned int dir = rnd_below(&w->r, 4), nr = rnd_below(&w->r, 256);
	unsigned int size = one_in(&w->r, 2) ? rnd_below(&w->r, 512) :
			    rnd(&w->r) & _IOC_SIZEMASK;
	uint8_t type = types[rnd_below(&w->r, ARRAY_LEN(types))];

	switch (rnd_below(&w->r, 3)) {
	case 0:
		fd = ep.sys_fd;
		break;
	case 1:
		fd = pick_vm(w);
		break;
	default:
		fd = pick_vcpu(w, &i);
		break;
	}
	if (!type)
		type = rnd(&w->r);
	/*
	 * KVM's SMI, SET_VCPU_EVENTS (SMM state) and ENABLE_CAP (disabled
	 * exits) can leave a guest spinning without exits: not in Bochs.
	 */
	if (type == KVMIO && (nr == 0xb7 || nr == 0xa0 || nr == 0xa3 ||
			      nr == 0x9b)) {
		if (fz_opts.no_spin)
			nr = 0xff;
		if (nr == 0xa3)		/* KVM_CAP_X86_DISABLE_EXITS */
			nr = 0xff;
	}
	if (type == KVMIO && nr == 0x99 && fz_opts.kvm) {
		/* KVM_SET_MP_STATE with junk: see op_mp_state() */
		nr = 0xff;
	}
	req = _IOC(dir, type, nr, size);
	fill_random(w, w->buf, PAGE);
	arg = one_in(&w->r, 4) ? rnd_interesting(&w->r) :
	      (uintptr_t)arg_ptr(w, w->buf, PAGE, &kind);
	FZ(w, ioctl(fd, req, arg), "ioctl fd=%d req=%#lx arg=%#lx", fd, req,
	   arg);
}

/* ---------------------------------------------------------------------
 * Threads
 */

struct op {
	const char *name;
	void (*fn)(struct worker *w);
	unsigned int weight;
	bool skip;
};

static struct op ops[] = {
	{ "run", op_run, 40, false },
	{ "sys", op_sys, 3, false },
	{ "create_vm", op_create_vm, 1, false },
	{ "reopen", op_reopen, 1, false },
	{ "create_vcpu", op_create_vcpu, 2, false },
	{ "enable_cap", op_enable_cap, 2, false },
	{ "signal_msi", op_signal_msi, 4, false },
	{ "set_region", op_set_region, 8, false },
	{ "dirty_log", op_dirty_log, 3, false },
	{ "vm_misc", op_vm_misc, 2, false },
	{ "regs", op_regs, 6, false },
	{ "sregs", op_sregs, 8, false },
	{ "fpu", op_fpu, 4, false },
	{ "msrs", op_msrs, 6, false },
	{ "cpuid", op_cpuid, 3, false },
	{ "mp_state", op_mp_state, 3, false },
	{ "lapic", op_lapic, 4, false },
	{ "irq", op_irq, 3, false },
	{ "run_page", op_run_page, 2, false },
	{ "memory", op_memory, 3, false },
	{ "code", op_code, 8, false },
	{ "race", op_race_setup, 3, false },
	{ "mmap", op_mmap, 2, false },
	{ "close", op_close, 1, false },
	{ "unknown", op_unknown, 6, false },
};

static unsigned int ops_total;

static void ops_init(void)
{
	const char *s = fz_opts.skip;
	size_t k, n;

	ops_total = 0;
	for (k = 0; k < ARRAY_LEN(ops); k++) {
		n = strlen(ops[k].name);
		ops[k].skip = false;
		for (s = fz_opts.skip; s && *s; s += strcspn(s, ","),
		     s += *s == ',') {
			if (strcspn(s, ",") == n && !strncmp(s, ops[k].name, n))
				ops[k].skip = true;
		}
		if (!ops[k].skip)
			ops_total += ops[k].weight;
	}
}

static void do_op(struct worker *w)
{
	unsigned int k, x;

	if (!ops_total)
		return;
	/* A vCPU's own thread mostly runs it. */
	if (w->vcpu >= 0 && !ops[0].skip && one_in(&w->r, 2)) {
		op_run(w);
		return;
	}
	x = rnd_below(&w->r, ops_total);
	for (k = 0; k < ARRAY_LEN(ops); k++) {
		if (ops[k].skip)
			continue;
		if (x < ops[k].weight) {
			ops[k].fn(w);
			return;
		}
		x -= ops[k].weight;
	}
}

static void kick(int sig)
{
	(void)sig;
}

/* The fuzzer's own crash: say where, then die of the signal. */
static void crashed(int sig, siginfo_t *si, void *uc)
{
	char msg[128];
	int n;

	(void)uc;
	n = snprintf(msg, sizeof(msg),
		     "# episode %u: signal %d at address %p in thread %ld\n",
		     ep.episode, sig, si->si_addr, (long)syscall(SYS_gettid));
	if (write(2, msg, n) < 0)
		n = 0;
	raise(sig);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int n = 50 + rnd_below(&w->r, 1000);

	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (n-- && !stopping())
		do_op(w);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Interrupt every worker every 10 ms: KVM_RUN must come back. */
static void *kicker_main(void *arg)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	unsigned int k;
	pid_t tid;

	(void)arg;
	while (!__atomic_load_n(&ep.stop_kicker, __ATOMIC_ACQUIRE)) {
		nanosleep(&ts, NULL);
		for (k = 0; k < fz_opts.threads; k++) {
			tid = __atomic_load_n(&ep.workers[k].tid, __ATOMIC_ACQUIRE);
			if (tid > 0 && !__atomic_load_n(&ep.workers[k].done,
							 __ATOMIC_ACQUIRE))
				syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------------
 * The episode
 */

static void setup(struct rng *r)
{
	struct gvm *vm = gvm_create();	/* dies on failure: exit status 1 */
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP,
				      .args = { 24 } };
	struct gvcpu *v;
	unsigned int i, m;

	__atomic_add_fetch(&fz_shared->guests, 1, __ATOMIC_RELAXED);
	ep.sys_fd = vm->sys_fd;
	ep.run_size = vm->run_size;
	for (i = 0; i < MAX_VMS; i++)
		ep.vms[i] = -1;
	ep.vms[0] = vm->fd;
	for (i = 0; i < MAX_VCPUS; i++)
		ep.vcpus[i].fd = -1;
	if (one_in(r, 2) && !ioctl(vm->fd, KVM_ENABLE_CAP, &cap))
		ep.split_irqchip = true;
	for (i = 0; i < fz_opts.vcpus; i++) {
		v = gvcpu_create(vm, i, GM_LONG64);
		ep.vcpus[i].fd = v->fd;
		ep.vcpus[i].run = v->run;
		if (!i) {
			for (m = GM_REAL; m <= GM_LONG64; m++) {
				gvcpu_set_mode(v, m, GUEST_CODE_GPA);
				gvcpu_get_sregs(v, &ep.sregs[m]);
				avail_tss(&ep.sregs[m]);
				lme_pae(&ep.sregs[m]);
				gvcpu_get_regs(v, &ep.regs[m]);
			}
		}
	}
	ep.cpuid = guest_supported_cpuid(vm->sys_fd);

	ep.regions[0].hva = gvm_hva(vm, 0);
	ep.regions[0].size = GUEST_LOW_MEM_SIZE;
	for (i = 1; i < MAX_REGIONS; i++) {
		ep.regions[i].size = (size_t)PAGE << (2 * i);
		ep.regions[i].hva = mmap(NULL, ep.regions[i].size,
					 PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ep.regions[i].hva == MAP_FAILED)
			guest_die("mmap");
	}
	ep.bad = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ep.bad == MAP_FAILED)
		guest_die("mmap");
	memset(ep.bad, 0x5a, 3 * PAGE);
	mprotect(ep.bad + PAGE, PAGE, PROT_NONE);
	mprotect(ep.bad + 2 * PAGE, PAGE, PROT_READ);
	if (pipe2(ep.pipe, O_NONBLOCK | O_CLOEXEC))
		guest_die("pipe");

	gen_program(r, ep.regions[0].hva + GUEST_CODE_GPA, 0x1000,
		    GUEST_CODE_GPA);
	gen_program(r, ep.regions[0].hva + CODE_AP, 0x1000, CODE_AP);
	for (i = 1; i < fz_opts.vcpus; i++) {
		struct kvm_regs regs = ep.regs[GM_LONG64];

		regs.rip = CODE_AP;
		regs.rsp = GUEST_STACK_TOP(i);
		ioctl(ep.vcpus[i].fd, KVM_SET_REGS, &regs);
	}
}

int fuzz_episode(uint32_t episode)
{
	struct rng r = { mix_seed(fz_opts.seed, episode, 0) };
	pthread_t th[MAX_THREADS], kicker;
	struct sigaction sa;
	unsigned int k;

	ep.episode = episode;
	pthread_mutex_init(&ep.lock, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick;		/* no SA_RESTART */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = NULL;
	sa.sa_sigaction = crashed;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ops_init();
	setup(&r);

	for (k = 0; k < fz_opts.threads; k++) {
		struct worker *w = &ep.workers[k];

		w->r.s = mix_seed(fz_opts.seed, episode, k + 1);
		w->idx = k;
		w->vcpu = k < fz_opts.vcpus ? (int)k : -1;
		w->buf = aligned_alloc(PAGE, BUF_SIZE + PAGE);
		if (!w->buf || pthread_create(&th[k], NULL, worker_main, w))
			guest_die("thread");
	}
	if (pthread_create(&kicker, NULL, kicker_main, NULL))
		guest_die("thread");

	/* Now and then the process exits with vCPUs still in KVM_RUN. */
	if (one_in(&r, 4)) {
		for (k = fz_opts.vcpus; k < fz_opts.threads; k++)
			pthread_join(th[k], NULL);
		return 0;	/* exit_group() ends the rest */
	}
	for (k = 0; k < fz_opts.threads; k++)
		pthread_join(th[k], NULL);
	__atomic_store_n(&ep.stop_kicker, 1, __ATOMIC_RELEASE);
	pthread_join(kicker, NULL);
	/* Or closes everything in order. */
	for (k = 0; k < MAX_VCPUS; k++)
		if (ep.vcpus[k].fd >= 0)
			close(ep.vcpus[k].fd);
	for (k = 0; k < MAX_VMS; k++)
		if (ep.vms[k] >= 0)
			close(ep.vms[k]);
	return 0;
}
