// SPDX-License-Identifier: GPL-2.0
/*
 * minihv-run check: a kvm-ok for minihv.  Reports what the CPU offers,
 * whether the module is loaded, the device node, what the device says, and
 * ends with one verdict line:
 *
 *   minihv: usable
 *   minihv: NOT usable: <reason and what to do>
 *
 * (with --dev /dev/kvm the prefix is "kvm:").  The first problem found is
 * the reason; everything is still reported.
 */
#include <cpuid.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/kvm.h>

#include <minihv.h>

#include "minihv-run.h"

#define KVM_MISC_MAJOR	10
#define KVM_MISC_MINOR	232

struct check {
	const char *dev;
	bool kvm;		/* checking /dev/kvm instead of minihv */
	const char *name;	/* "minihv" or "kvm": verdict prefix */
	char reason[512];	/* first problem found, empty if none */
};

/* Remember the first reason the device is not usable. */
static void fail(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->reason[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

/* ---------------------------------------------------------------- */
/* CPU */

static void cpuid_str(unsigned int leaf, char out[13])
{
	unsigned int a, b, c, d;

	__cpuid(leaf, a, b, c, d);
	if (leaf == 0) {
		memcpy(out, &b, 4);
		memcpy(out + 4, &d, 4);
		memcpy(out + 8, &c, 4);
	} else {
		memcpy(out, &b, 4);
		memcpy(out + 4, &c, 4);
		memcpy(out + 8, &d, 4);
	}
	out[12] = '\0';
}

/*
 * Find the first "@key : value" line of /proc/cpuinfo; copy the value.
 * Returns false if there is no such line.
 */
static bool cpuinfo_line(const char *key, char *val, size_t len)
{
	char line[4096];
	bool found = false;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *p;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) ||
		    (line[klen] != '\t' && line[klen] != ' ' &&
		     line[klen] != ':'))
			continue;
		p = strchr(line, ':');
		if (!p)
			continue;
		p++;
		while (*p == ' ')
			p++;
		p[strcspn(p, "\n")] = '\0';
		snprintf(val, len, "%s", p);
		found = true;
		break;
	}
	fclose(f);
	return found;
}

/* Is @word one of the space-separated words of @list? */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static void check_cpu(struct check *c)
{
	static char flags[4096], vmxflags[4096];
	unsigned int a, b, cx, d, max_ext;
	bool vmx, svm, hv, have_flags;
	char vendor[13];

	cpuid_str(0, vendor);
	__cpuid(1, a, b, cx, d);
	vmx = cx & (1u << 5);
	hv = cx & (1u << 31);
	max_ext = __get_cpuid_max(0x80000000, NULL);
	svm = false;
	if (max_ext >= 0x80000001) {
		__cpuid(0x80000001, a, b, cx, d);
		svm = cx & (1u << 2);
	}
	have_flags = cpuinfo_line("flags", flags, sizeof(flags));

	printf("CPU\n");
	printf("  vendor:               %s\n", vendor);
	printf("  VMX (CPUID.1:ECX[5]): %s\n", yesno(vmx));
	printf("  SVM (CPUID.80000001:ECX[2]): %s\n", yesno(svm));

	if (svm && max_ext >= 0x8000000a) {
		__cpuid(0x8000000a, a, b, cx, d);
		printf("  SVM revision:         %u\n", a & 0xff);
		printf("  NPT:                  %s\n", yesno(d & (1u << 0)));
		printf("  nRIP save:            %s\n", yesno(d & (1u << 3)));
		printf("  decode assists:       %s\n", yesno(d & (1u << 7)));
		printf("  ASIDs:                %u\n", b);
	}
	if (vmx) {
		if (cpuinfo_line("vmx flags", vmxflags, sizeof(vmxflags))) {
			printf("  EPT:                  %s\n",
			       yesno(has_word(vmxflags, "ept")));
			printf("  VPID:                 %s\n",
			       yesno(has_word(vmxflags, "vpid")));
			printf("  unrestricted guest:   %s\n",
			       yesno(has_word(vmxflags, "unrestricted_guest")));
		} else {
			printf("  vmx flags:            (no \"vmx flags\" line in /proc/cpuinfo)\n");
		}
	}

	printf("  under a hypervisor:   %s", yesno(hv));
	if (hv) {
		char sig[13];
		unsigned int i;

		cpuid_str(0x40000000, sig);
		for (i = 0; i < 12; i++)
			if (sig[i] && (sig[i] < 0x20 || sig[i] > 0x7e))
				sig[i] = '?';
		printf(" (CPUID.1:ECX[31]; signature \"%s\")", sig);
	}
	printf("\n");

	if (!vmx && !svm) {
		fail(c, "CPU has neither VMX nor SVM: run on a CPU with Intel VT-x or AMD-V, or give this VM nested virtualization (e.g. QEMU -cpu host or +vmx/+svm, with nested=1 on the host)");
		return;
	}
	/* The kernel hides vmx/svm from "flags" if firmware disabled them. */
	if (have_flags && vmx && !svm && !has_word(flags, "vmx")) {
		printf("  kernel:               vmx missing from /proc/cpuinfo flags\n");
		fail(c, "VMX is disabled by firmware (IA32_FEATURE_CONTROL): enable Intel VT-x in the BIOS/firmware setup");
	}
}

/* ---------------------------------------------------------------- */
/* Module */

static void print_params(const char *module)
{
	char dir[256], path[512], val[256];
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(dir, sizeof(dir), "/sys/module/%s/parameters", module);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		val[0] = '\0';
		f = fopen(path, "r");
		if (f) {
			if (!fgets(val, sizeof(val), f))
				val[0] = '\0';
			fclose(f);
		}
		val[strcspn(val, "\n")] = '\0';
		printf("    %s.%s = %s\n", module, de->d_name,
		       f ? val : "(unreadable)");
	}
	closedir(d);
}

static bool module_loaded(const char *module)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", module);
	return stat(path, &st) == 0;
}

static void check_module(struct check *c)
{
	static const char *const kvm_mods[] = { "kvm", "kvm_amd", "kvm_intel" };
	bool any;
	unsigned int i;

	printf("Module\n");
	if (!c->kvm) {
		any = module_loaded("minihv");
		printf("  minihv loaded:        %s\n", yesno(any));
		if (any)
			print_params("minihv");
		else
			fail(c, "the minihv module is not loaded: insmod minihv.ko (if that fails, 'dmesg | grep minihv' says why)");
		/* Note a competitor: it is fine until it holds a VM. */
		for (i = 1; i < 3; i++)
			if (module_loaded(kvm_mods[i]))
				printf("  %s loaded:     yes (a KVM VM would make minihv's KVM_CREATE_VM fail with EBUSY)\n",
				       kvm_mods[i]);
		return;
	}
	any = false;
	for (i = 0; i < 3; i++) {
		bool l = module_loaded(kvm_mods[i]);

		printf("  %-10s loaded:    %s\n", kvm_mods[i], yesno(l));
		if (l && i)
			print_params(kvm_mods[i]);
		any |= l && i;
	}
	if (!any)
		fail(c, "neither kvm_amd nor kvm_intel is loaded: modprobe kvm_amd (AMD) or modprobe kvm_intel (Intel)");
	if (module_loaded("minihv"))
		printf("  minihv loaded:        yes (a minihv VM would make KVM_CREATE_VM fail with EBUSY)\n");
}

/* ---------------------------------------------------------------- */
/* Device node and what the device says */

/* Name for @id from /etc/passwd or /etc/group (field 3), or "". */
static void id_name(const char *file, unsigned int id, char *out, size_t len)
{
	char line[512], *name, *p;
	FILE *f = fopen(file, "r");

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		name = line;
		p = strchr(line, ':');		/* end of name */
		if (!p)
			continue;
		*p++ = '\0';
		p = strchr(p, ':');		/* skip password */
		if (!p)
			continue;
		if ((unsigned int)strtoul(p + 1, NULL, 10) == id &&
		    isdigit((unsigned char)p[1])) {
			strncpy(out, name, len - 1);
			out[len - 1] = '\0';
			break;
		}
	}
	fclose(f);
}

static const char *file_type(mode_t m)
{
	if (S_ISCHR(m))
		return "character device";
	if (S_ISBLK(m))
		return "block device";
	if (S_ISDIR(m))
		return "directory";
	if (S_ISREG(m))
		return "regular file";
	if (S_ISLNK(m))
		return "symlink";
	return "special file";
}

static void print_info(const struct minihv_info *i)
{
	static const char *const fnames[] = {
		"TDP", "VPID", "UG", "NRIPS", "DECODE", "HOST_LA57",
		"HW_ENABLED",
	};
	unsigned int b;

	printf("  MINIHV_GET_INFO:\n");
	printf("    version:            %u\n", i->version);
	printf("    vendor:             %s\n",
	       i->vendor == MINIHV_VENDOR_VMX ? "VMX (Intel VT-x)" :
	       i->vendor == MINIHV_VENDOR_SVM ? "SVM (AMD-V)" : "unknown");
	printf("    flags:              %#x", i->flags);
	for (b = 0; b < sizeof(fnames) / sizeof(fnames[0]); b++)
		if (i->flags & (1u << b))
			printf(" %s", fnames[b]);
	printf("\n");
	printf("    paging:             %s\n", (i->flags & MINIHV_INFO_TDP) ?
	       "nested (EPT/NPT)" : "shadow (no EPT/NPT, or ept=0/npt=0)");
	printf("    nr_asids:           %u\n", i->nr_asids);
	printf("    vm_count:           %u\n", i->vm_count);
	printf("    enabled_cpus:       %u\n", i->enabled_cpus);
	if (i->vendor == MINIHV_VENDOR_VMX)
		printf("    vmcs_revision:      %#x\n", i->vmcs_revision);
	if (i->vendor == MINIHV_VENDOR_SVM)
		printf("    svm_revision:       %#x\n", i->svm_revision);
}

static void check_device(struct check *c)
{
	char uname[64], gname[64];
	struct minihv_info info;
	struct stat st;
	long r;
	int fd, vm;

	printf("Device\n");
	if (stat(c->dev, &st)) {
		printf("  %s: %s\n", c->dev, strerror(errno));
		if (c->kvm)
			fail(c, "%s: %s: load kvm_amd or kvm_intel (and is devtmpfs mounted on /dev?)",
			     c->dev, strerror(errno));
		else
			fail(c, "%s: %s: load the module (insmod minihv.ko); is devtmpfs mounted on /dev?",
			     c->dev, strerror(errno));
		return;
	}
	id_name("/etc/passwd", st.st_uid, uname, sizeof(uname));
	id_name("/etc/group", st.st_gid, gname, sizeof(gname));
	printf("  %s: %s", c->dev, file_type(st.st_mode));
	if (S_ISCHR(st.st_mode))
		printf(" %u:%u", major(st.st_rdev), minor(st.st_rdev));
	printf(", mode %04o, owner %s(%u), group %s(%u)\n",
	       st.st_mode & 07777, uname[0] ? uname : "?", st.st_uid,
	       gname[0] ? gname : "?", st.st_gid);
	if (!S_ISCHR(st.st_mode)) {
		fail(c, "%s is a %s, not a character device: remove it and reload the module",
		     c->dev, file_type(st.st_mode));
		return;
	}

	fd = open(c->dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		printf("  open for read/write:  %s (uid %u)\n", strerror(e),
		       geteuid());
		if (e == EACCES || e == EPERM)
			fail(c, "cannot open %s: %s: run as root (the node is mode %04o, owner %u)",
			     c->dev, strerror(e), st.st_mode & 07777,
			     st.st_uid);
		else
			fail(c, "cannot open %s: %s", c->dev, strerror(e));
		return;
	}
	printf("  open for read/write:  ok (uid %u)\n", geteuid());

	r = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (r < 0) {
		printf("  KVM_GET_API_VERSION:  %s\n", strerror(errno));
		fail(c, "KVM_GET_API_VERSION failed (%s): %s is not a KVM-compatible device",
		     strerror(errno), c->dev);
	} else {
		printf("  KVM_GET_API_VERSION:  %ld%s\n", r,
		       r == KVM_API_VERSION ? "" : " (expected 12)");
		if (r != KVM_API_VERSION)
			fail(c, "API version %ld, expected %d: mismatched module and tools",
			     r, KVM_API_VERSION);
	}

	if (!c->kvm) {
		if (ioctl(fd, MINIHV_GET_INFO, &info)) {
			printf("  MINIHV_GET_INFO:      %s\n", strerror(errno));
			fail(c, "MINIHV_GET_INFO failed (%s): is %s really minihv?",
			     strerror(errno), c->dev);
		} else {
			print_info(&info);
			if (info.version != MINIHV_INFO_VERSION)
				fail(c, "MINIHV_GET_INFO version %u, expected %u: rebuild minihv-run and the module together",
				     info.version, MINIHV_INFO_VERSION);
		}
	} else {
		printf("  KVM_CAP_USER_MEMORY:  %d\n",
		       ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
		printf("  KVM_CAP_NR_VCPUS:     %d\n",
		       ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS));
		printf("  KVM_CAP_MAX_VCPUS:    %d\n",
		       ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	}

	/* The real test: can a VM be created (VMX/SVM enabled) right now? */
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		int e = errno;

		printf("  KVM_CREATE_VM:        %s\n", strerror(e));
		if (e == EBUSY)
			fail(c, "KVM_CREATE_VM: %s: another hypervisor holds %s; close its VMs (%s)",
			     strerror(e), "VMX/SVM",
			     c->kvm ? "is a minihv VM open?" :
			     "is a KVM VM open? or rmmod kvm_amd/kvm_intel");
		else
			fail(c, "KVM_CREATE_VM: %s (see dmesg)", strerror(e));
	} else {
		printf("  KVM_CREATE_VM:        ok (test VM created and closed)\n");
		close(vm);
	}
	close(fd);
}

int cmd_check(const char *dev_path)
{
	struct check c = { .dev = dev_path };
	const char *base = strrchr(dev_path, '/');
	struct stat st;

	base = base ? base + 1 : dev_path;
	c.kvm = !strcmp(base, "kvm") ||
		(stat(dev_path, &st) == 0 && S_ISCHR(st.st_mode) &&
		 major(st.st_rdev) == KVM_MISC_MAJOR &&
		 minor(st.st_rdev) == KVM_MISC_MINOR);
	c.name = c.kvm ? "kvm" : "minihv";

	printf("minihv-run check: %s (%s)\n", c.dev,
	       c.kvm ? "KVM" : "minihv");
	check_cpu(&c);
	check_module(&c);
	check_device(&c);

	if (c.reason[0]) {
		printf("%s: NOT usable: %s\n", c.name, c.reason);
		return EXIT_UNUSABLE;
	}
	printf("%s: usable\n", c.name);
	return EXIT_USABLE;
}
