/*
 * minihv lab: 32-bit PVH shim for Bochs.
 *
 * Bochs has no -kernel option. lab/boot-bochs.sh gives the guest:
 *   - this shim (flat binary) at 0x100000 and a text parameter block at
 *     PARAMS_ADDR, both as Bochs "optramimage"s (those are only correct up to
 *     Bochs' 128 KiB memory block size, so nothing big goes that way);
 *   - ata0 master: the kernel, flattened from the vmlinux PT_LOAD segments
 *     (gaps and bss as zeros), ata0 slave: the initrd (padded);
 *   - a floppy whose boot sector (boot.S) collects the BIOS E820 map and
 *     enters this shim in flat 32-bit protected mode.
 * Parameter block (text, NUL terminated):
 *     MINIHV-PVH 1
 *     entry 0x1000850                  XEN_ELFNOTE_PHYS32_ENTRY of the vmlinux
 *     load DRIVE LBA SECTORS ADDR      ATA PIO read (drive 0 master, 1 slave)
 *     initrd ADDR SIZE                 handed to Linux as PVH module 0
 *     cmdline console=ttyS0,115200 ... rest of the line
 * The shim performs the loads, builds a struct hvm_start_info (Xen PVH start
 * info, version 1, memory map from E820) and jumps to the PVH entry: 32-bit
 * protected mode, paging off, flat segments, %ebx = &start_info.
 *
 * Freestanding: no system headers, no libgcc (no 64-bit division).
 */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned int uptr;

void enter_pvh(u32 entry, u32 start_info) __attribute__((noreturn));
void shim_die(void) __attribute__((noreturn));

#define BOOT_MAGIC	0x4e494d31
#define PARAMS_ADDR	0x180000
#define PARAMS_MAX	0x10000

/* BIOS E820 entry as stored by boot.S (24 bytes, ACPI 3 layout) */
struct e820_entry { u64 addr, size; u32 type, attr; } __attribute__((packed));

/* ---- Xen PVH (xen/include/public/arch-x86/hvm/start_info.h) ---- */
#define XEN_HVM_START_MAGIC	0x336ec578
struct hvm_start_info {
	u32 magic, version, flags, nr_modules;
	u64 modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	u32 memmap_entries, reserved;
};
struct hvm_modlist_entry { u64 paddr, size, cmdline_paddr, reserved; };
struct hvm_memmap_entry { u64 addr, size; u32 type, reserved; };

#define MAX_MMAP 128
#define CMDLINE_MAX 4096
#define MAX_LOADS 8

static struct hvm_start_info start_info;
static struct hvm_modlist_entry modlist[1];
static struct hvm_memmap_entry memmap[MAX_MMAP];
static char cmdline[CMDLINE_MAX];

/* ---- tiny console: port 0xe9 (Bochs) and COM1 ---- */
static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void uart_init(void)
{
	outb(0x3f8 + 1, 0x00);	/* no interrupts */
	outb(0x3f8 + 3, 0x80);	/* DLAB */
	outb(0x3f8 + 0, 0x01);	/* 115200 */
	outb(0x3f8 + 1, 0x00);
	outb(0x3f8 + 3, 0x03);	/* 8N1 */
	outb(0x3f8 + 2, 0x07);	/* FIFO on, cleared */
}

static void putc_(char c)
{
	int i;
	outb(0xe9, c);
	for (i = 0; i < 100000 && !(inb(0x3f8 + 5) & 0x20); i++)
		;
	outb(0x3f8, c);
}
static void puts_(const char *s) { while (*s) { if (*s == '\n') putc_('\r'); putc_(*s++); } }
static void putx(u64 v)
{
	int i;
	puts_("0x");
	for (i = 60; i >= 0; i -= 4)
		putc_("0123456789abcdef"[(v >> i) & 15]);
}
static void __attribute__((noreturn)) die(const char *msg, u64 v)
{
	uart_init();
	puts_("\nminihv-shim: FATAL: ");
	puts_(msg);
	puts_(" ");
	putx(v);
	puts_("\n");
	shim_die();
}

/* ---- memory helpers (the compiler may emit calls to these) ---- */
void *memmove(void *dst, const void *src, uptr n)
{
	u8 *d = dst;
	const u8 *s = src;

	if (d < s)
		while (n--) *d++ = *s++;
	else
		while (n--) d[n] = s[n];
	return dst;
}
void *memcpy(void *dst, const void *src, uptr n) { return memmove(dst, src, n); }
void *memset(void *dst, int v, uptr n)
{
	u8 *d = dst;
	while (n--) *d++ = (u8)v;
	return dst;
}

/* ---- ATA PIO, primary channel (Bochs ata0) ---- */
#define ATA_DATA	0x1f0
#define ATA_COUNT	0x1f2
#define ATA_LBA0	0x1f3
#define ATA_LBA1	0x1f4
#define ATA_LBA2	0x1f5
#define ATA_DRIVE	0x1f6
#define ATA_CMD		0x1f7	/* status on read */
#define ATA_CTRL	0x3f6	/* alternate status on read */
#define ST_ERR	0x01
#define ST_DRQ	0x08
#define ST_DF	0x20
#define ST_BSY	0x80

static u8 ata_wait(int want_drq)
{
	u32 spins = 0;
	u8 st;

	for (;;) {
		st = inb(ATA_CMD);
		if (!(st & ST_BSY)) {
			if (st & (ST_ERR | ST_DF))
				die("ATA error, status", st);
			if (!want_drq || (st & ST_DRQ))
				return st;
		}
		if (++spins == 0x40000000u)
			die("ATA timeout, status", st);
	}
}

/* read COUNT sectors from DRIVE (0 master, 1 slave) at LBA to DST */
static void ata_read(u32 drive, u32 lba, u32 count, u32 dst)
{
	outb(ATA_CTRL, 0x02);	/* nIEN: no interrupts */
	while (count) {
		u32 n = count > 256 ? 256 : count, i;

		if (lba + n > 0x0fffffffu)
			die("LBA beyond LBA28", lba);
		ata_wait(0);
		outb(ATA_DRIVE, (u8)(0xe0 | (drive << 4) | ((lba >> 24) & 0x0f)));
		outb(ATA_COUNT, (u8)n);	/* 0 = 256 */
		outb(ATA_LBA0, (u8)lba);
		outb(ATA_LBA1, (u8)(lba >> 8));
		outb(ATA_LBA2, (u8)(lba >> 16));
		outb(ATA_CMD, 0x20);	/* READ SECTORS */
		(void)inb(ATA_CTRL); (void)inb(ATA_CTRL); (void)inb(ATA_CTRL); (void)inb(ATA_CTRL);
		for (i = 0; i < n; i++) {
			u32 dwords = 128;	/* 32-bit PIO: half the emulated I/O operations */
			ata_wait(1);
			__asm__ volatile("rep insl" : "+D"(dst), "+c"(dwords) : "d"(ATA_DATA) : "memory");
		}
		lba += n;
		count -= n;
	}
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

static const char *skip_space(const char *p) { while (is_space(*p)) p++; return p; }

static int starts_with(const char *p, const char *w)
{
	while (*w)
		if (*p++ != *w++)
			return 0;
	return 1;
}

static const char *parse_num(const char *p, u64 *out)
{
	u64 v = 0;
	int any = 0;

	p = skip_space(p);
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		for (;; p++, any = 1) {
			char c = *p;
			if (c >= '0' && c <= '9') v = (v << 4) | (u64)(c - '0');
			else if (c >= 'a' && c <= 'f') v = (v << 4) | (u64)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F') v = (v << 4) | (u64)(c - 'A' + 10);
			else break;
		}
	} else {
		for (; *p >= '0' && *p <= '9'; p++, any = 1)
			v = v * 10 + (u64)(*p - '0');	/* multiplication only: no libgcc */
	}
	if (!any)
		die("bad number in parameter block at", (uptr)p);
	*out = v;
	return p;
}

static int in_ram(u32 n, u64 addr, u64 len)
{
	u32 i;
	for (i = 0; i < n; i++)
		if (memmap[i].type == 1 && memmap[i].addr <= addr &&
		    addr + len <= memmap[i].addr + memmap[i].size && addr + len > addr)
			return 1;
	return 0;
}

void __attribute__((noreturn)) shim_main(u32 magic, struct e820_entry *e820, u32 n820)
{
	const char *p = (const char *)PARAMS_ADDR;
	u64 entry = 0, ird_addr = 0, ird_size = 0;
	int have_entry = 0, have_initrd = 0, have_cmdline = 0;
	struct { u32 drive, lba, count; u64 addr; } loads[MAX_LOADS];
	u32 nloads = 0;
	u32 i, n;

	if (magic != BOOT_MAGIC)
		die("bad boot magic", magic);
	if (n820 == 0 || n820 > MAX_MMAP)
		die("no usable E820 memory map from the BIOS; entries", n820);
	if (!starts_with(p, "MINIHV-PVH 1\n"))
		die("no parameter block at", PARAMS_ADDR);

	while (*p && p < (const char *)(PARAMS_ADDR + PARAMS_MAX)) {
		const char *eol = p;
		while (*eol && *eol != '\n')
			eol++;
		if (starts_with(p, "entry ")) {
			parse_num(p + 6, &entry);
			have_entry = 1;
		} else if (starts_with(p, "load ")) {
			u64 drv, lba, cnt, addr;
			const char *q = parse_num(p + 5, &drv);
			q = parse_num(q, &lba);
			q = parse_num(q, &cnt);
			parse_num(q, &addr);
			if (nloads >= MAX_LOADS)
				die("too many load lines", nloads);
			loads[nloads].drive = (u32)drv;
			loads[nloads].lba = (u32)lba;
			loads[nloads].count = (u32)cnt;
			loads[nloads].addr = addr;
			nloads++;
		} else if (starts_with(p, "initrd ")) {
			p = parse_num(p + 7, &ird_addr);
			parse_num(p, &ird_size);
			have_initrd = 1;
		} else if (starts_with(p, "cmdline ")) {
			n = (u32)(eol - (p + 8));
			if (n >= CMDLINE_MAX)
				die("cmdline too long", n);
			memmove(cmdline, p + 8, n);
			cmdline[n] = 0;
			have_cmdline = 1;
		}
		p = *eol ? eol + 1 : eol;
	}
	if (!have_entry || !have_initrd || !have_cmdline)
		die("incomplete parameter block (entry/initrd/cmdline)",
		    (u64)have_entry | (u64)have_initrd << 4 | (u64)have_cmdline << 8);
	if (entry == 0 || entry >= 0xffffffffull)
		die("bad PVH entry", entry);

	for (i = 0; i < n820; i++) {
		memmap[i].addr = e820[i].addr;
		memmap[i].size = e820[i].size;
		memmap[i].type = e820[i].type;
		memmap[i].reserved = 0;
	}
	/* the initrd and what we load must lie in RAM */
	if (ird_size && !in_ram(n820, ird_addr, ird_size))
		die("initrd is not inside a RAM region of the E820 map; address", ird_addr);
	for (i = 0; i < nloads; i++) {
		u64 len = (u64)loads[i].count << 9;
		if (!in_ram(n820, loads[i].addr, len) || loads[i].addr < 0x200000ull)
			die("load target is not inside a RAM region above 2 MiB; address", loads[i].addr);
		ata_read(loads[i].drive, loads[i].lba, loads[i].count, (u32)loads[i].addr);
	}
	modlist[0].paddr = ird_addr;
	modlist[0].size = ird_size;
	modlist[0].cmdline_paddr = 0;
	modlist[0].reserved = 0;

	start_info.magic = XEN_HVM_START_MAGIC;
	start_info.version = 1;
	start_info.flags = 0;
	start_info.nr_modules = ird_size ? 1 : 0;
	start_info.modlist_paddr = (uptr)modlist;
	start_info.cmdline_paddr = (uptr)cmdline;
	start_info.rsdp_paddr = 0;	/* Linux then scans the BIOS area for the RSDP */
	start_info.memmap_paddr = (uptr)memmap;
	start_info.memmap_entries = n820;
	start_info.reserved = 0;

	enter_pvh((u32)entry, (uptr)&start_info);
}
