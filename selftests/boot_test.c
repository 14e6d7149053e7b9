// SPDX-License-Identifier: GPL-2.0
/*
 * boot_test: minihv-run run boots an unmodified Linux kernel (Debian's
 * own vmlinuz, the lab's /minihv/guest/vmlinuz) with a busybox initramfs
 * (/minihv/guest/initrd.cpio, lab/guest/init) to a shell that runs a
 * command, prints a marker and powers off; the launcher exits 0.
 * MINIHV_DEV picks the device (minihv or kvm: the same launcher).
 *
 *  - bzImage with 1 and 2 vCPUs; PVH vmlinux (when the lab has one)
 *  - --on-reboot restart boots the guest again (the guest counts its
 *    boots in CMOS NVRAM, which survives the restart)
 *  - a kernel panic maps to --on-crash destroy: exit status 4
 *  - SIGTERM ends a busy guest: exit status 143, with --stats
 *  - the debug exit port: exit status (N << 1) | 1, from a raw flat
 *    binary and from a multiboot kernel that checks its boot magic
 *  - --pin puts each vCPU thread ("vcpuN") on its CPU; --hugepages runs
 *    a guest on huge pages, and says how to reserve them when none are
 *  - a bogus kernel file, too little memory, a missing device node, a
 *    bad option or CPU list: exit status 2 and a message that says what to fix;
 *    --help exits 0 (these need no device: `make launcher-test` runs
 *    them on the build host)
 * A device without the split irqchip (in-kernel local APICs) cannot boot
 * Linux: the launcher says so (exit 2) and the boot tests SKIP with its
 * message.
 *
 * MINIHV_RUN (default /minihv/bin/minihv-run), MINIHV_GUEST (default
 * /minihv/guest) and MINIHV_BOOT_TIMEOUT (seconds; default 150, 900 with
 * lab=vmx; make check-debug sets 900) override the paths and the time one boot may take.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "lib/harness.h"

#define MARKER	"MINIHV-GUEST-MARKER"
#define OUT_MAX	(4 << 20)

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static const char *launcher(void)
{
	return env_or("MINIHV_RUN", "/minihv/bin/minihv-run");
}

/* A file of the guest's folder (allocated: argv arrays keep it). */
static char *guest_file(const char *name)
{
	char *p = malloc(256);

	if (p)
		snprintf(p, 256, "%s/%s",
			 env_or("MINIHV_GUEST", "/minihv/guest"), name);
	return p;
}

struct result {
	int status;		/* exit status, -1 timeout, -2 signal */
	char *out;		/* stdout and stderr */
	double secs;
};

static struct result launch_term(const char *const *argv, double term_after);

/* Run minihv-run with ARGV (NULL-terminated), output to a file. */
static struct result launch(const char *const *argv)
{
	return launch_term(argv, 0);
}

/* The same, with SIGTERM after TERM_AFTER seconds (if not 0). */
static struct result launch_term(const char *const *argv, double term_after)
{
	bool termed = false;
	struct result r = { .status = -1 };
	char path[] = "/tmp/boot_test.XXXXXX";
	/* Bochs (lab=vmx) is several times slower than the QEMU labs. */
	int timeout = atoi(env_or("MINIHV_BOOT_TIMEOUT",
				  !strcmp(env_or("lab", ""), "vmx") ? "900" :
				  "150"));
	struct timespec t0, t1;
	int fd = mkstemp(path), st;
	pid_t pid;
	ssize_t n;

	r.out = calloc(1, OUT_MAX + 1);
	if (fd < 0 || !r.out)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		perror("execv");
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		clock_gettime(CLOCK_MONOTONIC, &t1);
		r.secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (w == pid)
			break;
		if (term_after > 0 && !termed && r.secs > term_after) {
			kill(pid, SIGTERM);
			termed = true;
		}
		if (r.secs > timeout) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			st = -1;
			break;
		}
		usleep(100000);
	}
	if (st == -1)
		r.status = -1;
	else if (WIFEXITED(st))
		r.status = WEXITSTATUS(st);
	else
		r.status = -2;
	lseek(fd, 0, SEEK_SET);
	n = read(fd, r.out, OUT_MAX);
	r.out[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	return r;
}

/*
 * The last lines of the output, as TAP comments; without minihv's long
 * --stats table (after the launcher's own "minihv-run stats:").
 */
static void show_tail(const char *out, int lines)
{
	const char *st = strstr(out, "minihv-run stats:");
	const char *kt = st ? strstr(st, "\nVM ") : NULL;
	const char *end = kt ? kt + 1 : out + strlen(out);
	const char *p = end;
	int n = 0;

	while (p > out && n <= lines)
		if (*--p == '\n')
			n++;
	printf("# --- minihv-run output (tail) ---\n");
	while (p < end) {
		const char *e = memchr(p, '\n', end - p);
		int len = e ? e - p : (int)(end - p);

		if (len)
			printf("# %.*s\n", len > 200 ? 200 : len, p);
		p += len + (e ? 1 : 0);
	}
	if (kt)
		printf("# (minihv's --stats table left out)\n");
}

/* A device that cannot boot Linux (yet): the launcher's own words. */
static const char *cannot_boot(const struct result *r)
{
	const char *p;

	if (r->status != 2)
		return NULL;
	p = strstr(r->out, "lacks KVM_CAP_");
	if (!p)
		return NULL;
	while (p > r->out && p[-1] != '\n' && p[-1] != ' ')
		p--;
	while (p > r->out && p[-1] != '\n' && p[-1] != ':')
		p--;
	return p[0] == ' ' ? p + 1 : p;	/* "/dev/minihv lacks ..." */
}

static int count(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

FIXTURE(boot) {
	char unused;
};

FIXTURE_SETUP(boot)
{
}

FIXTURE_TEARDOWN(boot)
{
}

/* SKIP (and leave the test) unless the launcher, guest and device exist. */
#define REQUIRE_GUEST() do {						\
	struct stat st;							\
	if (stat(launcher(), &st) || stat(guest_file("vmlinuz"), &st) ||\
	    stat(guest_file("initrd.cpio"), &st))			\
		SKIP(return, "needs %s, %s and %s (lab/initramfs.sh)",	\
		     launcher(), guest_file("vmlinuz"),			\
		     guest_file("initrd.cpio"));			\
	if (!hv_path_exists(hv_dev_path()))				\
		SKIP(return, "%s missing", hv_dev_path());		\
} while (0)

#define BOOT_ARGS(kernel, cpus, params, ...)				\
	{ launcher(), "run", "--dev", hv_dev_path(), "-k", kernel,	\
	  "-i", guest_file("initrd.cpio"), "-m", "256", "-c", cpus,	\
	  "-p", "console=ttyS0 panic=-1 quiet " params, "--stats",	\
	  ##__VA_ARGS__, NULL }

/* Boot; SKIP if the device cannot boot Linux; the result otherwise. */
#define BOOT(r, argv) do {						\
	r = launch(argv);						\
	printf("# %s on %s: exit %d after %.1fs\n", _metadata->name,	\
	       hv_dev_path(), r.status, r.secs);			\
	if (cannot_boot(&r)) {						\
		char why[160];						\
		snprintf(why, sizeof(why), "%.*s", 150, cannot_boot(&r)); \
		*strchrnul(why, '\n') = 0;				\
		SKIP(return, "%s", why);				\
	}								\
} while (0)

static void boot_marker(struct __test_metadata *_metadata,
			const char *const *argv, const char *want_cpus)
{
	struct result r;
	char want[64];

	REQUIRE_GUEST();
	BOOT(r, argv);
	snprintf(want, sizeof(want), "cpus=%s ok", want_cpus);
	if (r.status != 0 || !strstr(r.out, MARKER) || !strstr(r.out, want))
		show_tail(r.out, 40);
	/*
	 * QEMU TCG's nested SVM now and then delivers an EVENTINJ interrupt
	 * twice, and kvm_amd injects that way (labs.rst): in the SVM lab a
	 * boot on kvm_amd that failed gets one more try; the failure above
	 * stays in the log.  minihv gets none.
	 */
	if ((r.status != 0 || !strstr(r.out, want)) && dev_is_kvm() &&
	    !strcmp(env_or("lab", ""), "svm")) {
		printf("# %s: one more try (TCG's nested SVM, labs.rst)\n",
		       _metadata->name);
		free(r.out);
		BOOT(r, argv);
		if (r.status != 0 || !strstr(r.out, want))
			show_tail(r.out, 40);
	}
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, MARKER));
	EXPECT_NE(NULL, strstr(r.out, want));
	EXPECT_NE(NULL, strstr(r.out, "minihv-run stats:"));	/* --stats */
	free(r.out);
}

/*
 * Bochs (lab=vmx) boots Linux in a minute or more: there each device
 * boots twice, Debian's vmlinuz with 1 vCPU (bzimage_1cpu) and the PVH
 * vmlinux with 2 (smp_2cpu), on minihv with EPT, on minihv with ept=0
 * (shadow paging, the APs' real mode in virtual-8086 mode) and on KVM;
 * the SVM lab boots every way in every paging mode.
 */
static bool in_bochs(void)
{
	return !strcmp(env_or("lab", ""), "vmx");
}

#define BOCHS_ONE_BOOT_WHY "Bochs: two Linux boots per device, bzimage_1cpu and smp_2cpu (time)"

TEST_F_TIMEOUT(boot, bzimage_1cpu, 1300)
{
	const char *argv[] = BOOT_ARGS(guest_file("vmlinuz"), "1", "");

	boot_marker(_metadata, argv, "1");
}

/* MemAvailable in MiB, from /proc/meminfo. */
static long mem_available_mib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib / 1024;
}

/*
 * The uncompressed vmlinux (66 MB for Debian's) travels gzipped; it is
 * unpacked once to TMPDIR, where the lab has the memory for it and for
 * the guest, and removed when the test program exits.
 */
/* Does the device have the split irqchip that booting Linux needs? */
static bool split_irqchip(void)
{
	int sys = open(hv_dev_path(), O_RDWR), vm;
	bool ok = false;

	if (sys < 0)
		return false;
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm >= 0) {
		ok = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_SPLIT_IRQCHIP) > 0;
		close(vm);
	}
	close(sys);
	return ok;
}

static char vmlinux_path[256];
static pid_t owner;		/* the test program; tests run in children */

static void __attribute__((constructor)) vmlinux_init(void)
{
	/* Our "#" lines must survive the children's _exit() into a file. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	owner = getpid();
	snprintf(vmlinux_path, sizeof(vmlinux_path), "%s/boot_test-vmlinux.%d",
		 env_or("TMPDIR", "/tmp"), owner);
}

static void __attribute__((destructor)) vmlinux_cleanup(void)
{
	if (getpid() == owner)
		unlink(vmlinux_path);
}

/* The unpacked vmlinux, or NULL with the reason in WHY. */
static const char *vmlinux(char *why, size_t len)
{
	char cmd[1100];
	struct stat st;
	long avail;

	if (!stat(vmlinux_path, &st) && st.st_size > 0)
		return vmlinux_path;
	if (!split_irqchip()) {		/* no Linux boot: save the unpacking */
		snprintf(why, len, "%s lacks KVM_CAP_SPLIT_IRQCHIP (in-kernel local APICs)",
			 hv_dev_path());
		return NULL;
	}
	if (stat(guest_file("vmlinux.gz"), &st)) {
		snprintf(why, len, "no %s in this lab (lab/initramfs.sh could not extract it)",
			 guest_file("vmlinux.gz"));
		return NULL;
	}
	avail = mem_available_mib();
	if (avail < 512) {
		snprintf(why, len, "%ld MiB available, the unpacked vmlinux and the guest need 512",
			 avail);
		return NULL;
	}
	snprintf(cmd, sizeof(cmd), "gunzip -c %s > %s.tmp && mv %s.tmp %s",
		 guest_file("vmlinux.gz"), vmlinux_path, vmlinux_path,
		 vmlinux_path);
	if (system(cmd)) {
		snprintf(why, len, "cannot unpack %s", guest_file("vmlinux.gz"));
		return NULL;
	}
	return vmlinux_path;
}

/*
 * The kernel for the tests that are not about the format: Debian's
 * bzImage, but in Bochs (lab=vmx), where the kernel's decompression
 * costs most of a boot, the PVH vmlinux when there is one.
 */
static const char *any_kernel(void)
{
	char why[200];
	const char *k;

	if (strcmp(env_or("lab", ""), "vmx"))
		return guest_file("vmlinuz");
	k = vmlinux(why, sizeof(why));
	printf("# Bochs: %s\n", k ? "PVH vmlinux, faster" : why);
	return k ? k : guest_file("vmlinuz");
}

TEST_F_TIMEOUT(boot, pvh_1cpu, 1300)
{
	char why[200];
	const char *k;

	REQUIRE_GUEST();
	if (in_bochs())
		SKIP(return, BOCHS_ONE_BOOT_WHY);
	k = vmlinux(why, sizeof(why));
	if (!k)
		SKIP(return, "%s", why);
	{
		const char *argv[] = BOOT_ARGS(k, "1", "");

		boot_marker(_metadata, argv, "1");
	}
}

TEST_F_TIMEOUT(boot, smp_2cpu, 1300)
{
	REQUIRE_GUEST();
	{
		const char *argv[] = BOOT_ARGS(any_kernel(), "2", "");

		boot_marker(_metadata, argv, "2");
	}
}

TEST_F_TIMEOUT(boot, reboot_restarts, 1300)
{
	struct result r;

	REQUIRE_GUEST();
	if (in_bochs())
		SKIP(return, BOCHS_ONE_BOOT_WHY);
	const char *argv[] = BOOT_ARGS(any_kernel(), "1",
				       "mhtest=reboot", "--on-reboot",
				       "restart");

	BOOT(r, argv);
	if (r.status != 0 || count(r.out, "MINIHV-GUEST-BOOT") != 2)
		show_tail(r.out, 40);
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(2, count(r.out, "MINIHV-GUEST-BOOT"));
	EXPECT_NE(NULL, strstr(r.out, "restarting it"));
	EXPECT_NE(NULL, strstr(r.out, MARKER));
	free(r.out);
}

TEST_F_TIMEOUT(boot, panic_is_crash, 1300)
{
	struct result r;

	REQUIRE_GUEST();
	if (in_bochs())
		SKIP(return, BOCHS_ONE_BOOT_WHY);
	const char *argv[] = BOOT_ARGS(any_kernel(), "1",
				       "mhtest=panic", "--on-crash",
				       "destroy", "--on-reboot", "restart");

	BOOT(r, argv);
	if (r.status != 4)
		show_tail(r.out, 40);
	EXPECT_EQ(4, r.status);
	EXPECT_NE(NULL, strstr(r.out, "Kernel panic"));
	EXPECT_NE(NULL, strstr(r.out, "guest crashed"));
	free(r.out);
}

/* Error paths: no guest runs; exit 2 and a message that says what to do. */
static void expect_error(struct __test_metadata *_metadata,
			 const char *const *argv, const char *msg)
{
	struct result r = launch(argv);

	printf("# %s: exit %d\n", _metadata->name, r.status);
	if (r.status != 2 || !strstr(r.out, msg))
		show_tail(r.out, 10);
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.out, msg));
	free(r.out);
}

TEST(bogus_kernel)
{
	char path[] = "/tmp/boot_test_bogus.XXXXXX";
	int fd = mkstemp(path);
	const char *const argv[] = { launcher(), "run", "--dev", hv_dev_path(),
			       "-k", path, NULL };

	ASSERT_LE(0, fd);
	ASSERT_EQ(4096, write(fd, calloc(1, 4096), 4096));
	close(fd);
	expect_error(_metadata, argv, "is not a kernel this launcher knows");
	unlink(path);
}

TEST(too_little_memory)
{
	const char *const argv[] = { launcher(), "run", "--dev", hv_dev_path(),
			       "-k", guest_file("vmlinuz"), "-m", "16", NULL };
	struct stat st;

	if (stat(guest_file("vmlinuz"), &st))
		SKIP(return, "needs %s", guest_file("vmlinuz"));
	expect_error(_metadata, argv, "use -m");
}

/* Write BYTES to a temporary file; its path in PATH (a mkstemp template). */
static int write_image(char *path, const uint8_t *bytes, size_t len)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	if (write(fd, bytes, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

TEST(missing_device)
{
	static const uint8_t code[] = { 0xf4 };	/* hlt */
	char path[] = "/tmp/boot_test_hlt.XXXXXX";
	const char *const argv[] = { launcher(), "run", "--dev",
				     "/dev/minihv-no-such-node", "-k", path,
				     "--raw", "0x100000", "-m", "16", NULL };

	ASSERT_EQ(0, write_image(path, code, sizeof(code)));
	expect_error(_metadata, argv, "cannot open /dev/minihv-no-such-node");
	unlink(path);
}

/* Run a tiny image; SKIP where the device cannot run the launcher. */
static void tiny_guest(struct __test_metadata *_metadata,
		       const char *const *argv, int want)
{
	struct result r;

	if (!hv_path_exists(hv_dev_path()))
		SKIP(return, "%s missing", hv_dev_path());
	BOOT(r, argv);
	if (r.status != want)
		show_tail(r.out, 10);
	EXPECT_EQ(want, r.status);
	free(r.out);
}

/* --raw: a flat binary that writes 0x21 to the debug exit port. */
TEST(raw_debug_exit)
{
	static const uint8_t code[] = {
		0xb0, 0x21,		/* mov $0x21, %al */
		0xe6, 0xf4,		/* out %al, $0xf4 */
		0xf4,			/* hlt */
	};
	char path[] = "/tmp/boot_test_raw.XXXXXX";
	const char *const argv[] = { launcher(), "run", "--dev", hv_dev_path(),
				     "-k", path, "--raw", "0x100000", "-m", "16",
				     NULL };

	ASSERT_EQ(0, write_image(path, code, sizeof(code)));
	tiny_guest(_metadata, argv, (0x21 << 1) | 1);
	unlink(path);
}

/*
 * Multiboot v1 (a.out kludge): the kernel checks EAX = 0x2badb002 and
 * writes 0x2a (0x13 if wrong) to the debug exit port.
 */
TEST(multiboot_debug_exit)
{
	static const uint32_t hdr[8] = {
		0x1badb002, 0x10000, -(0x1badb002U + 0x10000),
		0x100000, 0x100000, 0, 0, 0x100020,
	};
	static const uint8_t code[] = {
		0x3d, 0x02, 0xb0, 0xad, 0x2b,	/* cmp $0x2badb002, %eax */
		0x75, 0x04,			/* jne 1f */
		0xb0, 0x2a,			/* mov $0x2a, %al */
		0xeb, 0x02,			/* jmp 2f */
		0xb0, 0x13,			/* 1: mov $0x13, %al */
		0xe6, 0xf4,			/* 2: out %al, $0xf4 */
		0xf4,				/* hlt */
	};
	uint8_t image[0x40] = { 0 };
	char path[] = "/tmp/boot_test_mb.XXXXXX";
	const char *const argv[] = { launcher(), "run", "--dev", hv_dev_path(),
				     "-k", path, "-m", "16", NULL };

	memcpy(image, hdr, sizeof(hdr));
	memcpy(image + 0x20, code, sizeof(code));
	ASSERT_EQ(0, write_image(path, image, sizeof(image)));
	tiny_guest(_metadata, argv, (0x2a << 1) | 1);
	unlink(path);
}

/*
 * A busy raw guest for --raw: it loops on OUTs to port 0x80 (exits), not
 * on a bare jmp: Bochs gives a spinning guest no host timer interrupt, so
 * nothing could stop it there (Documentation/labs.rst).
 */
static const uint8_t busy_code[] = {
	0xe6, 0x80,		/* 1: out %al, $0x80 */
	0xeb, 0xfc,		/* jmp 1b */
};

/* SIGTERM ends a busy guest: exit 128 + 15, and it says why. */
TEST(sigterm)
{
	char path[] = "/tmp/boot_test_spin.XXXXXX";
	const char *const argv[] = { launcher(), "run", "--dev", hv_dev_path(),
				     "-k", path, "--raw", "0x100000", "-m", "16",
				     "--stats", NULL };
	struct result r;

	if (!hv_path_exists(hv_dev_path()))
		SKIP(return, "%s missing", hv_dev_path());
	ASSERT_EQ(0, write_image(path, busy_code, sizeof(busy_code)));
	r = launch_term(argv, 2);
	printf("# sigterm on %s: exit %d after %.1fs\n", hv_dev_path(),
	       r.status, r.secs);
	if (r.status != 128 + SIGTERM)
		show_tail(r.out, 10);
	EXPECT_EQ(128 + SIGTERM, r.status);
	EXPECT_NE(NULL, strstr(r.out, "stopped by the user"));
	EXPECT_NE(NULL, strstr(r.out, "minihv-run stats:"));
	free(r.out);
	unlink(path);
}

TEST(pin_bad_list)
{
	const char *const argv[] = { launcher(), "run", "-k", "x", "--pin",
				     "1-x", NULL };

	expect_error(_metadata, argv, "--pin: bad CPU list '1-x'");
}

/* The "Cpus_allowed_list:" of PID's thread named NAME, "" if none. */
static void thread_cpus(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[96], line[128];
	int tid;

	buf[0] = 0;
	/* Thread IDs follow the launcher's: look a few hundred ahead. */
	for (tid = pid; tid < pid + 512 && !buf[0]; tid++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(line, sizeof(line), f) ||
		    strncmp(line, name, strlen(name)) ||
		    line[strlen(name)] != '\n') {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid,
			 tid);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "Cpus_allowed_list:", 18))
				snprintf(buf, size, "%s", line + 18 +
					 strspn(line + 18, " \t"));
		if (f)
			fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
}

/*
 * --pin: each vCPU thread ("vcpuN") runs on its CPU of the list, round
 * robin: with --pin 1 and 2 vCPUs both are on CPU 1.
 */
TEST(pin_vcpu_threads)
{
	char path[] = "/tmp/boot_test_pin.XXXXXX";
	const char *const argv[] = { launcher(), "run", "--dev", hv_dev_path(),
				     "-k", path, "--raw", "0x100000", "-m", "16",
				     "-c", "2", "--pin", "1", NULL };
	char cpus0[64] = "", cpus1[64] = "";
	int i, st;
	pid_t pid;

	if (!hv_path_exists(hv_dev_path()))
		SKIP(return, "%s missing", hv_dev_path());
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU online: nothing to pin to");
	ASSERT_EQ(0, write_image(path, busy_code, sizeof(busy_code)));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 100 && (!cpus0[0] || !cpus1[0]); i++) {
		usleep(100000);
		thread_cpus(pid, "vcpu0", cpus0, sizeof(cpus0));
		thread_cpus(pid, "vcpu1", cpus1, sizeof(cpus1));
	}
	kill(pid, SIGTERM);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	unlink(path);
	EXPECT_STREQ("1", cpus0);
	EXPECT_STREQ("1", cpus1);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM);
}

static int write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), r;

	if (fd < 0)
		return -1;
	r = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return r;
}

/*
 * --hugepages: RAM from 2 MiB huge pages (hugetlbfs) runs the raw guest;
 * with no huge pages reserved the launcher says how to reserve them.
 */
TEST(hugepages)
{
	static const uint8_t code[] = {
		0xb0, 0x21,		/* mov $0x21, %al */
		0xe6, 0xf4,		/* out %al, $0xf4 */
		0xf4,			/* hlt */
	};
	static const char nr[] = "/proc/sys/vm/nr_hugepages";
	char path[] = "/tmp/boot_test_huge.XXXXXX", old[32] = "0";
	const char *const argv[] = { launcher(), "run", "--dev", hv_dev_path(),
				     "-k", path, "--raw", "0x100000", "-m", "16",
				     "--hugepages", NULL };
	FILE *f;

	if (!hv_path_exists(hv_dev_path()))
		SKIP(return, "%s missing", hv_dev_path());
	f = fopen(nr, "r");
	if (!f)
		SKIP(return, "no %s (kernel without hugetlbfs)", nr);
	if (!fgets(old, sizeof(old), f))
		strcpy(old, "0");
	fclose(f);
	ASSERT_EQ(0, write_image(path, code, sizeof(code)));
	if (write_sysctl(nr, "8"))
		SKIP(return, "cannot write %s: %s", nr, strerror(errno));
	tiny_guest(_metadata, argv, (0x21 << 1) | 1);
	ASSERT_EQ(0, write_sysctl(nr, "0"));
	expect_error(_metadata, argv, "--hugepages: cannot map 16 MiB of 2 MiB pages");
	write_sysctl(nr, old);
	unlink(path);
}

TEST(help)
{
	const char *const argv[] = { launcher(), "run", "--help", NULL };
	struct result r = launch(argv);

	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "--on-crash"));
	EXPECT_NE(NULL, strstr(r.out, "exit status"));
	free(r.out);
}

TEST(bad_option)
{
	const char *const argv[] = { launcher(), "run", "-k", "x", "--frob",
				     NULL };

	expect_error(_metadata, argv, "unknown option '--frob'");
}

TEST_HARNESS_MAIN
