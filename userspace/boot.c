// SPDX-License-Identifier: GPL-2.0
/*
 * minihv-run: kernel loaders.
 *
 *   bzImage    Linux x86 boot protocol, 64-bit entry (startup_64 at
 *              load address + 0x200): zero page with e820, command line,
 *              initrd at the top of low RAM; long mode with identity
 *              mapped 4 GiB, so no real-mode code runs at all.
 *   PVH        an uncompressed ELF vmlinux with XEN_ELFNOTE_PHYS32_ENTRY:
 *              32-bit protected mode, paging off, %ebx = hvm_start_info.
 *              Skips the kernel's self-decompression.
 *   multiboot  Multiboot v1 (header in the first 8 KiB; a.out kludge or
 *              ELF), modules from -i (comma-separated).
 *   raw        a flat binary at --raw ADDR, entered there in 32-bit
 *              protected mode with flat segments.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

#define E820_RAM	1
#define E820_RESERVED	2

struct e820 {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

static int read_file(const char *path, const char *what, uint8_t **buf,
		     size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	size_t got = 0;

	if (fd < 0)
		return run_error("cannot open %s '%s': %s", what, path,
				 strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return run_error("%s '%s' is not a regular file", what, path);
	}
	*len = st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		close(fd);
		return run_error("out of memory reading %s '%s'", what, path);
	}
	while (got < *len) {
		ssize_t r = read(fd, *buf + got, *len - got);

		if (r <= 0) {
			close(fd);
			free(*buf);
			return run_error("cannot read %s '%s': %s", what, path,
					 r ? strerror(errno) : "short file");
		}
		got += r;
	}
	close(fd);
	return 0;
}

/* e820 map: what the guest's RAM looks like, for every loader. */
static int build_e820(struct vm *vm, struct e820 *e)
{
	int n = 0;

	e[n++] = (struct e820){ 0, GPA_EBDA, E820_RAM };
	e[n++] = (struct e820){ GPA_EBDA, 0xa0000 - GPA_EBDA, E820_RESERVED };
	e[n++] = (struct e820){ GPA_ACPI, 0x100000 - GPA_ACPI, E820_RESERVED };
	e[n++] = (struct e820){ GPA_KERNEL, vm->low_size - GPA_KERNEL,
				E820_RAM };
	if (vm->ram_size > vm->low_size)
		e[n++] = (struct e820){ GPA_HIGHMEM,
					vm->ram_size - vm->low_size,
					E820_RAM };
	return n;
}

static int copy_in(struct vm *vm, uint64_t addr, const void *src,
		   uint64_t len, const char *what)
{
	void *dst = gpa(vm, addr, len);

	if (!dst)
		return run_error("%s (%llu bytes at 0x%llx) does not fit in guest RAM (%llu MiB): use a larger -m",
				 what, (unsigned long long)len,
				 (unsigned long long)addr,
				 (unsigned long long)(vm->ram_size >> 20));
	memcpy(dst, src, len);
	return 0;
}

static void set_cmdline(struct vm *vm, const char *cmdline)
{
	char *p = gpa(vm, GPA_CMDLINE, CMDLINE_MAX);

	snprintf(p, CMDLINE_MAX, "%s", cmdline);
}

/* Place the initrd page aligned at the top of low RAM, below @max. */
static int load_initrd(struct vm *vm, uint64_t max, uint64_t kernel_end,
		       uint64_t *addr, uint64_t *size)
{
	uint8_t *buf;
	size_t len;
	uint64_t top = vm->low_size;

	*addr = *size = 0;
	if (!vm->o->initrd)
		return 0;
	if (read_file(vm->o->initrd, "initrd", &buf, &len))
		return -1;
	if (top > max + 1)
		top = max + 1;
	if (len + kernel_end + (1 << 20) > top) {
		free(buf);
		return run_error("initrd '%s' (%zu KiB) and the kernel do not fit in %llu MiB of guest RAM: use -m %llu or more",
				 vm->o->initrd, len >> 10,
				 (unsigned long long)(vm->ram_size >> 20),
				 (unsigned long long)((kernel_end + len) >> 20) +
				 64);
	}
	*addr = (top - len) & ~0xfffULL;
	*size = len;
	memcpy(gpa(vm, *addr, len), buf, len);
	free(buf);
	return 0;
}

/* Flat 4 GiB identity map with 2 MiB pages, GDT, 64-bit segments. */
static void setup_long_mode(struct vm *vm)
{
	uint64_t *pml4 = gpa(vm, GPA_PML4, 0x1000);
	uint64_t *pdpt = gpa(vm, GPA_PML4 + 0x1000, 0x1000);
	uint64_t *pd = gpa(vm, GPA_PML4 + 0x2000, 0x4000);
	uint64_t *gdt = gpa(vm, GPA_GDT, 32);
	struct kvm_sregs *s = &vm->sregs;
	int i;

	memset(pml4, 0, 0x6000);
	pml4[0] = (GPA_PML4 + 0x1000) | 3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (GPA_PML4 + 0x2000 + i * 0x1000) | 3;
	for (i = 0; i < 2048; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* P, RW, PS */

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL;		/* 0x10: 64-bit code */
	gdt[3] = 0x00cf93000000ffffULL;		/* 0x18: data */

	s->cs = (struct kvm_segment){ .base = 0, .limit = 0xffffffff,
		.selector = 0x10, .type = 0xb, .present = 1, .s = 1,
		.l = 1, .g = 1 };
	s->ds = (struct kvm_segment){ .base = 0, .limit = 0xffffffff,
		.selector = 0x18, .type = 0x3, .present = 1, .s = 1,
		.db = 1, .g = 1 };
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->gdt.base = GPA_GDT;
	s->gdt.limit = 31;
	s->cr0 = 0x80000011;			/* PG, ET, PE */
	s->cr3 = GPA_PML4;
	s->cr4 = 0x20;				/* PAE */
	s->efer = 0x500;			/* LME, LMA */
	vm->sregs_set = true;
}

/* Flat 32-bit protected mode, paging off. */
static void setup_prot_mode(struct vm *vm)
{
	uint64_t *gdt = gpa(vm, GPA_GDT, 32);
	struct kvm_sregs *s = &vm->sregs;

	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffULL;		/* 0x08: 32-bit code */
	gdt[2] = 0x00cf93000000ffffULL;		/* 0x10: data */
	gdt[3] = 0x008b00000000ffffULL;		/* 0x18: TSS */
	s->cs = (struct kvm_segment){ .base = 0, .limit = 0xffffffff,
		.selector = 0x08, .type = 0xb, .present = 1, .s = 1,
		.db = 1, .g = 1 };
	s->ds = (struct kvm_segment){ .base = 0, .limit = 0xffffffff,
		.selector = 0x10, .type = 0x3, .present = 1, .s = 1,
		.db = 1, .g = 1 };
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->gdt.base = GPA_GDT;
	s->gdt.limit = 31;
	s->cr0 = 0x11;				/* ET, PE */
	s->cr3 = 0;
	s->cr4 = 0;
	s->efer = 0;
	vm->sregs_set = true;
}

/* ------------------------------------------------------------------ */
/* bzImage */

#define HDR(off)	(buf + (off))
#define HDR16(off)	(*(uint16_t *)HDR(off))
#define HDR32(off)	(*(uint32_t *)HDR(off))
#define HDR64(off)	(*(uint64_t *)HDR(off))

static bool is_bzimage(const uint8_t *buf, size_t len)
{
	return len > 0x270 && !memcmp(HDR(0x202), "HdrS", 4);
}

static int load_bzimage(struct vm *vm, uint8_t *buf, size_t len,
			const char *cmdline, uint64_t rsdp)
{
	uint8_t *zp = gpa(vm, GPA_ZEROPAGE, 0x1000);
	int setup_sects = buf[0x1f1] ? buf[0x1f1] : 4;
	uint16_t version = HDR16(0x206);
	size_t koff = (setup_sects + 1) * 512, hdr_end;
	uint64_t init_size, need, initrd, initrd_size;
	struct e820 e[8];
	int n, i;

	if (version < 0x20c || !(HDR16(0x236) & 1))
		return run_error("kernel '%s': boot protocol %u.%02u without a 64-bit entry point (need 2.12+ and XLF_KERNEL_64)",
				 vm->o->kernel, version >> 8, version & 0xff);
	if (koff >= len)
		return run_error("kernel '%s': truncated bzImage (setup %zu bytes, file %zu)",
				 vm->o->kernel, koff, len);
	init_size = HDR32(0x260);
	/* The kernel decompresses itself to its preferred address. */
	need = (HDR64(0x258) > GPA_KERNEL ? HDR64(0x258) : GPA_KERNEL) +
	       init_size;
	if (need + (8 << 20) > vm->low_size)
		return run_error("kernel '%s' needs %llu MiB of RAM to decompress and start (-m %llu MiB given): use -m %llu or more",
				 vm->o->kernel,
				 (unsigned long long)(need >> 20) + 8,
				 (unsigned long long)(vm->ram_size >> 20),
				 (unsigned long long)(need >> 20) + 64);
	if (copy_in(vm, GPA_KERNEL, buf + koff, len - koff, "kernel"))
		return -1;

	memset(zp, 0, 0x1000);
	hdr_end = 0x202 + buf[0x201];
	if (hdr_end > 0x1000 || hdr_end > len)
		return run_error("kernel '%s': bad setup header length",
				 vm->o->kernel);
	memcpy(zp + 0x1f1, buf + 0x1f1, hdr_end - 0x1f1);
	zp[0x210] = 0xff;			/* type_of_loader: other */
	zp[0x211] |= 0x80;			/* loadflags: CAN_USE_HEAP */
	*(uint16_t *)(zp + 0x224) = 0xfe00;	/* heap_end_ptr */
	*(uint32_t *)(zp + 0x228) = GPA_CMDLINE;
	set_cmdline(vm, cmdline);
	if (strlen(cmdline) >= HDR32(0x238) && version >= 0x206)
		return run_error("command line too long: %zu bytes, the kernel takes %u",
				 strlen(cmdline), HDR32(0x238) - 1);

	if (load_initrd(vm, HDR32(0x22c), need, &initrd, &initrd_size))
		return -1;
	*(uint32_t *)(zp + 0x218) = initrd;
	*(uint32_t *)(zp + 0x21c) = initrd_size;
	if (version >= 0x20e)
		*(uint64_t *)(zp + 0x070) = rsdp;	/* acpi_rsdp_addr */

	n = build_e820(vm, e);
	zp[0x1e8] = n;
	for (i = 0; i < n; i++)
		memcpy(zp + 0x2d0 + i * 20, &e[i], 20);

	setup_long_mode(vm);
	memset(&vm->regs, 0, sizeof(vm->regs));
	vm->regs.rip = GPA_KERNEL + 0x200;
	vm->regs.rsi = GPA_ZEROPAGE;
	vm->regs.rsp = GPA_ZEROPAGE - 16;
	vm->regs.rflags = 2;
	return 0;
}

/* ------------------------------------------------------------------ */
/* ELF: PVH and multiboot ELF */

static bool is_elf64(const uint8_t *buf, size_t len)
{
	return len >= sizeof(Elf64_Ehdr) && !memcmp(buf, ELFMAG, SELFMAG) &&
	       buf[EI_CLASS] == ELFCLASS64;
}

static bool is_elf32(const uint8_t *buf, size_t len)
{
	return len >= sizeof(Elf32_Ehdr) && !memcmp(buf, ELFMAG, SELFMAG) &&
	       buf[EI_CLASS] == ELFCLASS32;
}

/* Load the PT_LOAD segments at their physical addresses; end of image. */
static int elf_load(struct vm *vm, const uint8_t *buf, size_t len,
		    uint64_t *end)
{
	uint64_t off, filesz, memsz, paddr;
	int i, phnum;

	*end = 0;
	if (is_elf64(buf, len)) {
		const Elf64_Ehdr *eh = (const void *)buf;

		phnum = eh->e_phnum;
		if (eh->e_phoff + (uint64_t)phnum * sizeof(Elf64_Phdr) > len)
			return run_error("kernel '%s': bad ELF program headers",
					 vm->o->kernel);
		for (i = 0; i < phnum; i++) {
			const Elf64_Phdr *ph = (const void *)(buf + eh->e_phoff +
						i * sizeof(*ph));

			if (ph->p_type != PT_LOAD)
				continue;
			off = ph->p_offset;
			filesz = ph->p_filesz;
			memsz = ph->p_memsz;
			paddr = ph->p_paddr;
			if (off + filesz > len || filesz > memsz)
				return run_error("kernel '%s': ELF segment %d outside the file",
						 vm->o->kernel, i);
			if (!gpa(vm, paddr, memsz))
				return run_error("kernel '%s': ELF segment %d (0x%llx..0x%llx) does not fit in %llu MiB of guest RAM: use a larger -m",
						 vm->o->kernel, i,
						 (unsigned long long)paddr,
						 (unsigned long long)(paddr + memsz),
						 (unsigned long long)(vm->ram_size >> 20));
			memcpy(gpa(vm, paddr, filesz), buf + off, filesz);
			memset(gpa(vm, paddr + filesz, memsz - filesz), 0,
			       memsz - filesz);
			if (paddr + memsz > *end)
				*end = paddr + memsz;
		}
	} else {
		const Elf32_Ehdr *eh = (const void *)buf;

		phnum = eh->e_phnum;
		if (eh->e_phoff + (uint64_t)phnum * sizeof(Elf32_Phdr) > len)
			return run_error("kernel '%s': bad ELF program headers",
					 vm->o->kernel);
		for (i = 0; i < phnum; i++) {
			const Elf32_Phdr *ph = (const void *)(buf + eh->e_phoff +
						i * sizeof(*ph));

			if (ph->p_type != PT_LOAD)
				continue;
			off = ph->p_offset;
			filesz = ph->p_filesz;
			memsz = ph->p_memsz;
			paddr = ph->p_paddr;
			if (off + filesz > len || filesz > memsz ||
			    !gpa(vm, paddr, memsz))
				return run_error("kernel '%s': ELF segment %d (0x%llx..0x%llx) outside the file or guest RAM (%llu MiB)",
						 vm->o->kernel, i,
						 (unsigned long long)paddr,
						 (unsigned long long)(paddr + memsz),
						 (unsigned long long)(vm->ram_size >> 20));
			memcpy(gpa(vm, paddr, filesz), buf + off, filesz);
			memset(gpa(vm, paddr + filesz, memsz - filesz), 0,
			       memsz - filesz);
			if (paddr + memsz > *end)
				*end = paddr + memsz;
		}
	}
	if (!*end)
		return run_error("kernel '%s': ELF file without loadable segments",
				 vm->o->kernel);
	return 0;
}

/* XEN_ELFNOTE_PHYS32_ENTRY (18) in a "Xen" note of an ELF64 file. */
static bool pvh_entry(const uint8_t *buf, size_t len, uint32_t *entry)
{
	const Elf64_Ehdr *eh = (const void *)buf;
	int i;

	if (eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len)
		return false;
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(buf + eh->e_phoff +
					i * sizeof(*ph));
		uint64_t p, end;

		if (ph->p_type != PT_NOTE || ph->p_offset + ph->p_filesz > len)
			continue;
		p = ph->p_offset;
		end = p + ph->p_filesz;
		while (p + 12 <= end) {
			const uint32_t *nh = (const void *)(buf + p);
			uint64_t name = p + 12;
			uint64_t desc = name + ((nh[0] + 3) & ~3U);
			uint64_t next = desc + ((nh[1] + 3) & ~3U);

			if (next > end)
				break;
			if (nh[2] == 18 && nh[0] == 4 && nh[1] >= 4 &&
			    !memcmp(buf + name, "Xen", 4)) {
				*entry = *(const uint32_t *)(buf + desc);
				return true;
			}
			p = next;
		}
	}
	return false;
}

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

static int load_pvh(struct vm *vm, uint8_t *buf, size_t len,
		    const char *cmdline, uint64_t rsdp)
{
	uint8_t *page = gpa(vm, GPA_ZEROPAGE, 0x1000);
	struct hvm_start_info *si = (void *)page;
	struct hvm_modlist_entry *mod = (void *)(page + 0x100);
	struct hvm_memmap_entry *mm = (void *)(page + 0x200);
	uint64_t end, initrd, initrd_size;
	struct e820 e[8];
	uint32_t entry;
	int n, i;

	if (!pvh_entry(buf, len, &entry))
		return run_error("kernel '%s': ELF vmlinux without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): build it with CONFIG_PVH=y, or boot the bzImage",
				 vm->o->kernel);
	if (elf_load(vm, buf, len, &end))
		return -1;
	if (load_initrd(vm, 0xffffffffULL, end, &initrd, &initrd_size))
		return -1;
	set_cmdline(vm, cmdline);
	memset(page, 0, 0x1000);
	si->magic = 0x336ec578;
	si->version = 1;
	si->cmdline_paddr = GPA_CMDLINE;
	si->rsdp_paddr = rsdp;
	if (initrd_size) {
		si->nr_modules = 1;
		si->modlist_paddr = GPA_ZEROPAGE + 0x100;
		mod->paddr = initrd;
		mod->size = initrd_size;
	}
	n = build_e820(vm, e);
	for (i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_entry){ e[i].addr, e[i].size,
						   e[i].type, 0 };
	si->memmap_paddr = GPA_ZEROPAGE + 0x200;
	si->memmap_entries = n;

	setup_prot_mode(vm);
	memset(&vm->regs, 0, sizeof(vm->regs));
	vm->regs.rip = entry;
	vm->regs.rbx = GPA_ZEROPAGE;
	vm->regs.rflags = 2;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Multiboot v1 */

#define MB_MAGIC	0x1badb002
#define MB_BOOT_MAGIC	0x2badb002

static const uint32_t *mb_header(const uint8_t *buf, size_t len)
{
	size_t off;

	for (off = 0; off + 12 <= len && off < 8192; off += 4) {
		const uint32_t *h = (const void *)(buf + off);

		if (h[0] == MB_MAGIC && h[0] + h[1] + h[2] == 0)
			return h;
	}
	return NULL;
}

static int load_multiboot(struct vm *vm, uint8_t *buf, size_t len,
			  const char *cmdline)
{
	const uint32_t *h = mb_header(buf, len);
	uint32_t *info = gpa(vm, GPA_MB_INFO, 0x1000);
	uint32_t *mods = info + 64, *mmap = info + 256;
	uint64_t end, entry;
	char *names = (char *)(info + 512);
	struct e820 e[8];
	int n, i, nmods = 0;

	if (h[1] & 0x10000) {			/* a.out kludge */
		uint32_t hdr = h[3], load = h[4], load_end = h[5];
		uint32_t bss_end = h[6];
		size_t off = (const uint8_t *)h - buf - (hdr - load);
		size_t fl = load_end ? load_end - load : len - off;

		if (off > len || fl > len - off || !gpa(vm, load, fl) ||
		    (bss_end && !gpa(vm, load, bss_end - load)))
			return run_error("kernel '%s': multiboot load addresses outside the file or guest RAM",
					 vm->o->kernel);
		memcpy(gpa(vm, load, fl), buf + off, fl);
		if (bss_end > load + fl)
			memset(gpa(vm, load + fl, bss_end - load - fl), 0,
			       bss_end - load - fl);
		end = bss_end > load + fl ? bss_end : load + fl;
		entry = h[7];
	} else if (is_elf32(buf, len) || is_elf64(buf, len)) {
		if (elf_load(vm, buf, len, &end))
			return -1;
		entry = is_elf32(buf, len) ?
			((const Elf32_Ehdr *)buf)->e_entry :
			((const Elf64_Ehdr *)buf)->e_entry;
	} else {
		return run_error("kernel '%s': multiboot image neither ELF nor with load addresses (flag 16)",
				 vm->o->kernel);
	}

	memset(info, 0, 0x1000);
	set_cmdline(vm, cmdline);
	info[0] = 1 | 4 | 0x40;		/* mem, cmdline, mmap */
	info[1] = 640;
	info[2] = (vm->low_size >> 10) - 1024;
	info[4] = GPA_CMDLINE;
	if (vm->o->initrd) {
		char *list = strdup(vm->o->initrd), *save = NULL, *p;
		uint64_t at = (end + 0xfff) & ~0xfffULL;

		for (p = strtok_r(list, ",", &save); p && nmods < 16;
		     p = strtok_r(NULL, ",", &save)) {
			uint8_t *m;
			size_t ml;

			if (read_file(p, "multiboot module", &m, &ml) ||
			    copy_in(vm, at, m, ml, "multiboot module")) {
				free(list);
				return -1;
			}
			free(m);
			mods[nmods * 4] = at;
			mods[nmods * 4 + 1] = at + ml;
			snprintf(names + nmods * 64, 64, "%s", p);
			mods[nmods * 4 + 2] = GPA_MB_INFO + 2048 + nmods * 64;
			at = (at + ml + 0xfff) & ~0xfffULL;
			nmods++;
		}
		free(list);
		info[0] |= 8;
		info[5] = nmods;
		info[6] = GPA_MB_INFO + 256;
	}
	n = build_e820(vm, e);
	for (i = 0; i < n; i++) {
		mmap[i * 6] = 20;
		memcpy(&mmap[i * 6 + 1], &e[i], 20);
	}
	info[11] = n * 24;
	info[12] = GPA_MB_INFO + 1024;

	setup_prot_mode(vm);
	memset(&vm->regs, 0, sizeof(vm->regs));
	vm->regs.rip = entry;
	vm->regs.rax = MB_BOOT_MAGIC;
	vm->regs.rbx = GPA_MB_INFO;
	vm->regs.rflags = 2;
	return 0;
}

static int load_raw(struct vm *vm, uint8_t *buf, size_t len)
{
	if (copy_in(vm, vm->o->raw_addr, buf, len, "raw image"))
		return -1;
	setup_prot_mode(vm);
	memset(&vm->regs, 0, sizeof(vm->regs));
	vm->regs.rip = vm->o->raw_addr;
	vm->regs.rflags = 2;
	return 0;
}

int boot_load(struct vm *vm, const char *cmdline)
{
	enum kernel_format f = vm->o->format;
	uint64_t rsdp;
	uint8_t *buf;
	uint32_t entry;
	size_t len;
	int ret;

	if (read_file(vm->o->kernel, "kernel", &buf, &len))
		return -1;
	rsdp = acpi_build(vm);
	if (f == KFMT_AUTO) {
		if (is_bzimage(buf, len))
			f = KFMT_BZIMAGE;
		else if (is_elf64(buf, len) && pvh_entry(buf, len, &entry))
			f = KFMT_PVH;
		else if (mb_header(buf, len))
			f = KFMT_MULTIBOOT;
	}
	switch (f) {
	case KFMT_BZIMAGE:
		if (!is_bzimage(buf, len)) {
			ret = run_error("kernel '%s' is not a bzImage", vm->o->kernel);
			break;
		}
		ret = load_bzimage(vm, buf, len, cmdline, rsdp);
		break;
	case KFMT_PVH:
		ret = is_elf64(buf, len) ? load_pvh(vm, buf, len, cmdline, rsdp) :
		      run_error("kernel '%s' is not an ELF64 vmlinux", vm->o->kernel);
		break;
	case KFMT_MULTIBOOT:
		ret = mb_header(buf, len) ?
		      load_multiboot(vm, buf, len, cmdline) :
		      run_error("kernel '%s' has no multiboot header in its first 8 KiB",
				vm->o->kernel);
		break;
	case KFMT_RAW:
		ret = load_raw(vm, buf, len);
		break;
	default:
		ret = run_error("kernel '%s' is not a kernel this launcher knows: want a Linux bzImage, an ELF vmlinux with a PVH note, a multiboot image, or --raw ADDR for a flat binary",
				vm->o->kernel);
	}
	free(buf);
	return ret;
}

/*
 * Before any device is opened: is the kernel a format we boot, and does
 * it fit in -m?  So that these mistakes cost nothing and say what to fix.
 */
int boot_check(struct run_opts *o)
{
	uint8_t *buf;
	uint32_t entry;
	size_t len;
	int ret = 0;

	if (read_file(o->kernel, "kernel", &buf, &len))
		return -1;
	if (o->format == KFMT_RAW) {
		if (o->raw_addr + len > o->mem)
			ret = run_error("raw image '%s' (%zu bytes at 0x%llx) does not fit in %llu MiB: use a larger -m",
					o->kernel, len,
					(unsigned long long)o->raw_addr,
					(unsigned long long)(o->mem >> 20));
	} else if (is_bzimage(buf, len)) {
		uint64_t need = (HDR64(0x258) > GPA_KERNEL ? HDR64(0x258) :
				 GPA_KERNEL) + HDR32(0x260);

		if (need + (8 << 20) > o->mem)
			ret = run_error("kernel '%s' needs %llu MiB of RAM to decompress and start (-m %llu MiB given): use -m %llu or more",
					o->kernel,
					(unsigned long long)(need >> 20) + 8,
					(unsigned long long)(o->mem >> 20),
					(unsigned long long)(need >> 20) + 64);
		if (o->format == KFMT_AUTO)
			o->format = KFMT_BZIMAGE;
	} else if (is_elf64(buf, len) && pvh_entry(buf, len, &entry)) {
		if (o->format == KFMT_AUTO)
			o->format = KFMT_PVH;
	} else if (mb_header(buf, len)) {
		if (o->format == KFMT_AUTO)
			o->format = KFMT_MULTIBOOT;
	} else {
		ret = run_error("kernel '%s' is not a kernel this launcher knows: want a Linux bzImage, an ELF vmlinux with a PVH note, a multiboot image, or --raw ADDR for a flat binary",
				o->kernel);
	}
	free(buf);
	return ret;
}
