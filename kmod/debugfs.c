// SPDX-License-Identifier: GPL-2.0
/*
 * minihv: statistics in debugfs.
 *
 *   /sys/kernel/debug/minihv/<pid>-<vmfd>/vcpu<N>/exits
 *
 * one line per exit reason seen at least once, "<name> <count>", with the
 * backend's name for the reason (->exit_name) or its number when it has
 * none.
 *
 *   /sys/kernel/debug/minihv/<pid>-<vmfd>/stats		the whole VM
 *   /sys/kernel/debug/minihv/<pid>-<vmfd>/vcpu<N>/stats	one vCPU
 *
 * the MINIHV_GET_STATS numbers (uapi/minihv.h) as text: "vm <id>",
 * "vcpus <n>", "exits <total>", "guest_ns", "kernel_ns", "user_ns" lines,
 * then one line per exit reason seen,
 *   "reason <name> <exits> <exit_ns> <bucket>:<count>..."
 * with the non-empty log2 latency buckets (bucket b: 2^(b-1) to 2^b - 1 ns
 * from the exit to the next entry).  Like KVM's "<pid>-<fd>" directories, the name is the creating
 * process and the VM's fd number at creation (with a ".N" suffix if an
 * older VM that had the same fd number still lives).
 *
 * debugfs is a debugging aid: if it is absent or a file cannot be created,
 * everything else works the same, so no error here is ever returned.
 * Files are created with debugfs_create_file(), whose removal waits for
 * the readers in progress, so a vCPU can be freed right after
 * minihv_debugfs_vcpu_remove().
 */
#define pr_fmt(fmt) "minihv: " fmt

#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "minihv.h"

static struct dentry *minihv_debugfs_dir;

void minihv_debugfs_init(void)
{
	struct dentry *d = debugfs_create_dir("minihv", NULL);

	minihv_debugfs_dir = IS_ERR(d) ? NULL : d;
}

void minihv_debugfs_exit(void)
{
	debugfs_remove_recursive(minihv_debugfs_dir);
	minihv_debugfs_dir = NULL;
}

static void stats_print(struct seq_file *m, const struct minihv_stats *st)
{
	unsigned int i, b;

	seq_printf(m, "vm %u\nvcpus %u\nexits %llu\n", st->vm_id,
		   st->nr_vcpus, st->total_exits);
	seq_printf(m, "guest_ns %llu\nkernel_ns %llu\nuser_ns %llu\n",
		   st->guest_ns, st->kernel_ns, st->user_ns);
	for (i = 0; i < MINIHV_STATS_NR_REASONS; i++) {
		if (!st->exits[i])
			continue;
		if (st->names[i][0])
			seq_printf(m, "reason %s", st->names[i]);
		else
			seq_printf(m, "reason %u", i);
		seq_printf(m, " %llu %llu", st->exits[i], st->exit_ns[i]);
		for (b = 0; b < MINIHV_STATS_NR_BUCKETS; b++)
			if (st->hist[i][b])
				seq_printf(m, " %u:%llu", b, st->hist[i][b]);
		seq_putc(m, '\n');
	}
}

/* The VM's stats (@vcpu_id -1) or one vCPU's. */
static int stats_show_one(struct seq_file *m, struct minihv_vm *vm,
			  int vcpu_id)
{
	struct minihv_stats *st = kvzalloc(sizeof(*st), GFP_KERNEL);

	if (!st)
		return -ENOMEM;
	minihv_stats_read(vm, vcpu_id, st);
	stats_print(m, st);
	kvfree(st);
	return 0;
}

static int vm_stats_show(struct seq_file *m, void *unused)
{
	return stats_show_one(m, m->private, -1);
}
DEFINE_SHOW_ATTRIBUTE(vm_stats);

static int vcpu_stats_show(struct seq_file *m, void *unused)
{
	struct minihv_vcpu *vcpu = m->private;

	return stats_show_one(m, vcpu->vm, vcpu->id);
}
DEFINE_SHOW_ATTRIBUTE(vcpu_stats);

void minihv_debugfs_vm_add(struct minihv_vm *vm, int fd)
{
	static atomic_t seq = ATOMIC_INIT(0);
	struct dentry *d;
	char name[48];
	int len;

	vm->debugfs = NULL;
	if (!minihv_debugfs_dir)
		return;
	len = snprintf(name, sizeof(name), "%d-%d", task_pid_nr(current), fd);
	/*
	 * A VM outlives its fd while a vCPU fd holds it, so a new VM may get
	 * the same fd number: give it a unique suffix then.
	 */
	d = debugfs_lookup(name, minihv_debugfs_dir);
	if (d) {
		dput(d);
		snprintf(name + len, sizeof(name) - len, ".%d",
			 atomic_inc_return(&seq));
	}
	d = debugfs_create_dir(name, minihv_debugfs_dir);
	if (IS_ERR(d))
		return;
	vm->debugfs = d;
	debugfs_create_file("stats", 0444, d, vm, &vm_stats_fops);
}

/*
 * Also removes the vCPU directories inside, waiting for their readers:
 * called before the vCPUs are freed (the VM's stats file reads them all).
 */
void minihv_debugfs_vm_remove(struct minihv_vm *vm)
{
	debugfs_remove_recursive(vm->debugfs);
	vm->debugfs = NULL;
}

/*
 * The counters are written by the vCPU thread without a lock; a read here
 * may see a count that is one behind, never a torn one (u64 on x86-64).
 */
static int exits_show(struct seq_file *m, void *unused)
{
	struct minihv_vcpu *vcpu = m->private;
	unsigned int i;

	for (i = 0; i < MINIHV_NR_EXIT_STATS; i++) {
		u64 n = READ_ONCE(vcpu->exits[i]);
		const char *name;

		if (!n)
			continue;
		name = minihv_ops->exit_name ? minihv_ops->exit_name(i) : NULL;
		if (name)
			seq_printf(m, "%s %llu\n", name, n);
		else
			seq_printf(m, "%u %llu\n", i, n);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(exits);

void minihv_debugfs_vcpu_add(struct minihv_vcpu *vcpu)
{
	char name[16];
	struct dentry *d;

	vcpu->debugfs = NULL;
	if (!vcpu->vm->debugfs)
		return;
	snprintf(name, sizeof(name), "vcpu%d", vcpu->id);
	d = debugfs_create_dir(name, vcpu->vm->debugfs);
	if (IS_ERR(d))
		return;
	vcpu->debugfs = d;
	debugfs_create_file("exits", 0444, d, vcpu, &exits_fops);
	debugfs_create_file("stats", 0444, d, vcpu, &vcpu_stats_fops);
}

/* Before the vCPU is freed; nothing left if its VM's directory went. */
void minihv_debugfs_vcpu_remove(struct minihv_vcpu *vcpu)
{
	if (vcpu->vm->debugfs)
		debugfs_remove_recursive(vcpu->debugfs);
	vcpu->debugfs = NULL;
}
