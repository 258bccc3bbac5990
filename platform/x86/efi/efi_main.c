/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern.efi: the EFI way into Tern (docs/boot.md). A gnu-efi application that
 * carries tern.elf (the same image GRUB loads) inside its signed PE32+ file
 * and, before it gives up the firmware:
 *   - reads its command line (load options, or \EFI\tern\cmdline.txt),
 *   - loads the Service VM kernel named by kernel= from the ESP and verifies
 *     it: its headers (core/boot_image.c), then for a PE32+ kernel under
 *     Secure Boot the firmware's own db (LoadImage), for any other kernel
 *     the SHA-256 digest list built into this image (core/sha256.c);
 *     any failure prints one line naming the file and the problem, and
 *     nothing boots,
 *   - finds the ACPI RSDP in the configuration table and asks its MADT
 *     whether 8259s exist and its SPCR which UART is the console,
 *   - copies tern.elf's segments to their physical addresses,
 * then takes the memory map, calls ExitBootServices and jumps to tern.elf's
 * 64-bit EFI entry (boot.S _start64_efi) with a struct boot_info: from
 * there the hypervisor starts exactly as after multiboot.
 */
#include <efi.h>
#include <efilib.h>
#include "bootinfo.h"
#include "efi_handoff.h"
#include "acpi.h"
#include "boot_image.h"
#include "sha256.h"
#include "lib.h"

/* The build's digest list (build/efi/digests.c) and tern.elf itself. */
extern const uint8_t tern_efi_digests[][SHA256_DIGEST_LEN];
extern const size_t tern_efi_ndigests;
extern const uint8_t _binary_tern_elf_start[], _binary_tern_elf_end[];

#define CMDLINE_FILE "\\EFI\\tern\\cmdline.txt"
#define KERNEL_PATH_LEN 128
/* Guest RAM of the Service VM unless guest_mem=<MiB> (platform/x86/main.c's default). */
#define SERVICE_VM_MEM_MIB 32u
/* Identity map Tern builds: the kernel and the hand-off must be below 4 GiB. */
#define BELOW_4G 0xffffffffull
#define ELF_MEM_LIMIT (1ull << 32)

static EFI_HANDLE self;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One console line; ASCII formatted by core's printf so both entries read alike. */
static void say(const char *fmt, ...)
{
	char line[240];
	CHAR16 wide[sizeof(line) + 2];
	va_list ap;
	va_start(ap, fmt);
	tern_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	size_t n = 0;
	for (; line[n]; n++)
		wide[n] = (CHAR16)line[n];
	wide[n++] = L'\r';
	wide[n++] = L'\n';
	wide[n] = 0;
	uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, wide);
}

/* A refusal: the one line, then back to the firmware with nothing started. */
static EFI_STATUS refuse(EFI_STATUS st, const char *file, const char *why)
{
	say("tern.efi: REFUSED %s: %s", file, why);
	return st;
}

static uint64_t cmdline_mib(const char *cmdline, const char *key, uint64_t dflt)
{
	size_t klen = tern_strlen(key);
	for (const char *p = cmdline; *p; p++) {
		if ((p == cmdline || p[-1] == ' ') && tern_strncmp(p, key, klen) == 0) {
			uint64_t v = 0;
			for (p += klen; *p >= '0' && *p <= '9' && v < (1u << 20); p++)
				v = v * 10 + (uint64_t)(*p - '0');
			return v ? v : dflt;
		}
	}
	return dflt;
}

static void wide_path(const char *path, CHAR16 *out, size_t n)
{
	size_t i = 0;
	for (; path[i] && i + 1 < n; i++)
		out[i] = (CHAR16)path[i];
	out[i] = 0;
}

/*
 * Read a whole file of the ESP into pages below 4 GiB. limit: the most bytes
 * acceptable. On failure *why says what went wrong.
 */
static EFI_STATUS read_file(EFI_FILE_HANDLE root, const char *path, uint64_t limit, const char *too_large,
			    void **buf, UINTN *size, const char **why)
{
	CHAR16 wpath[KERNEL_PATH_LEN];
	EFI_FILE_HANDLE fh;
	wide_path(path, wpath, KERNEL_PATH_LEN);
	EFI_STATUS st = uefi_call_wrapper(root->Open, 5, root, &fh, wpath, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st)) {
		*why = "missing: no such file on the ESP";
		return st;
	}
	EFI_FILE_INFO *info = LibFileInfo(fh);
	if (!info) {
		uefi_call_wrapper(fh->Close, 1, fh);
		*why = "unreadable: no file information";
		return EFI_DEVICE_ERROR;
	}
	UINT64 fsize = info->FileSize;
	FreePool(info);
	if (fsize > limit) {
		uefi_call_wrapper(fh->Close, 1, fh);
		*why = too_large;
		return EFI_BAD_BUFFER_SIZE;
	}
	EFI_PHYSICAL_ADDRESS pa = BELOW_4G;
	UINTN pages = (fsize + EFI_PAGE_BYTES - 1) / EFI_PAGE_BYTES;
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData, pages ? pages : 1, &pa);
	if (EFI_ERROR(st)) {
		uefi_call_wrapper(fh->Close, 1, fh);
		*why = "no memory below 4 GiB for it";
		return st;
	}
	UINTN got = fsize;
	st = uefi_call_wrapper(fh->Read, 3, fh, &got, (void *)(UINTN)pa);
	uefi_call_wrapper(fh->Close, 1, fh);
	if (EFI_ERROR(st) || got != fsize) {
		*why = "truncated: the read ended before the file's size";
		return EFI_END_OF_FILE;
	}
	*buf = (void *)(UINTN)pa;
	*size = fsize;
	return EFI_SUCCESS;
}

static bool secure_boot_on(void)
{
	UINT8 v = 0;
	UINTN n = sizeof(v);
	EFI_GUID g = EFI_GLOBAL_VARIABLE;
	EFI_STATUS st = uefi_call_wrapper(RT->GetVariable, 5, L"SecureBoot", &g, NULL, &n, &v);
	return !EFI_ERROR(st) && n == 1 && v == 1;
}

static void hex_digest(const uint8_t d[SHA256_DIGEST_LEN], char out[2 * SHA256_DIGEST_LEN + 1])
{
	static const char hx[] = "0123456789abcdef";
	for (unsigned i = 0; i < SHA256_DIGEST_LEN; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * SHA256_DIGEST_LEN] = 0;
}

/* Step 2 of the chain: the kernel is in the built-in digest list, or the firmware's db accepts it. */
static EFI_STATUS verify_kernel(const char *path, const void *buf, UINTN size, const struct boot_image *bi,
				bool sb)
{
	char why[160];
	if (bi->kind == BOOT_IMAGE_PE32PLUS && sb) {
		/* UEFI 2.10 7.4.1: LoadImage applies db/dbx under Secure Boot. */
		EFI_HANDLE h = NULL;
		EFI_STATUS st = uefi_call_wrapper(BS->LoadImage, 6, FALSE, self, NULL, (void *)buf, size, &h);
		if (st == EFI_SECURITY_VIOLATION || st == EFI_ACCESS_DENIED) {
			tern_snprintf(why, sizeof(why), "signature: the firmware's db refuses it (LoadImage status 0x%lx)",
				      (unsigned long)st);
			return refuse(st, path, why);
		}
		if (EFI_ERROR(st)) {
			tern_snprintf(why, sizeof(why), "the firmware cannot load it as a PE image (status 0x%lx)",
				      (unsigned long)st);
			return refuse(st, path, why);
		}
		uefi_call_wrapper(BS->UnloadImage, 1, h);
		say("tern.efi: %s: PE32+ signature accepted by the firmware's db", path);
		return EFI_SUCCESS;
	}
	uint8_t d[SHA256_DIGEST_LEN];
	char hex[2 * SHA256_DIGEST_LEN + 1];
	sha256(buf, size, d);
	hex_digest(d, hex);
	if (!sha256_in_list(d, tern_efi_digests, tern_efi_ndigests)) {
		tern_snprintf(why, sizeof(why), "digest mismatch: sha256 %s is not in the built-in list (%lu entries)",
			      hex, (unsigned long)tern_efi_ndigests);
		return refuse(EFI_SECURITY_VIOLATION, path, why);
	}
	say("tern.efi: %s: sha256 %s is in the built-in list", path, hex);
	return EFI_SUCCESS;
}

/*
 * What Tern runs of a verified kernel file: an ELF as it is; of a PE32+, the
 * multiboot ELF its .mbkern section carries (harness/guests/pewrap), from the
 * same bytes LoadImage or the digest verified — the buffer is ours and is not
 * read again from the disk. A PE without one (a Linux bzImage today) is
 * refused: Tern runs multiboot kernels only.
 */
static EFI_STATUS kernel_module(const char *kpath, const uint8_t *kbuf, UINTN ksize, const struct boot_image *kimg,
				uint64_t mem_limit, struct boot_module *mod)
{
	const uint8_t *run = kbuf;
	uint64_t run_len = ksize;
	if (kimg->kind == BOOT_IMAGE_PE32PLUS) {
		char why[160];
		if (!kimg->payload_len)
			return refuse(EFI_UNSUPPORTED, kpath, "PE: no " BOOT_IMAGE_PAYLOAD_SECTION
				      " section: Tern runs multiboot kernels and this PE carries none");
		run = kbuf + kimg->payload_off;
		run_len = kimg->payload_len;
		struct boot_image inner;
		int ret = boot_image_check(run, run_len, mem_limit, &inner);
		if (!ret && inner.kind == BOOT_IMAGE_PE32PLUS) {
			ret = -1;
			tern_strlcpy(inner.why, "a PE again, not a multiboot ELF", sizeof(inner.why));
		}
		if (ret) {
			tern_snprintf(why, sizeof(why), "PE: its " BOOT_IMAGE_PAYLOAD_SECTION " kernel: %s", inner.why);
			return refuse(EFI_LOAD_ERROR, kpath, why);
		}
		say("tern.efi: %s: runs the %s multiboot kernel in its " BOOT_IMAGE_PAYLOAD_SECTION
		    " section (%lu bytes at file offset 0x%lx)", kpath, boot_image_kind_name(inner.kind),
		    (unsigned long)run_len, (unsigned long)kimg->payload_off);
	}
	mod->start = (uint64_t)(UINTN)run;
	mod->end = mod->start + run_len;
	return EFI_SUCCESS;
}

static uint64_t find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	uint64_t v1 = 0;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (!CompareGuid(&t->VendorGuid, &acpi20))
			return (uint64_t)(UINTN)t->VendorTable;
		if (!CompareGuid(&t->VendorGuid, &acpi10))
			v1 = (uint64_t)(UINTN)t->VendorTable;
	}
	return v1;
}

/* Copy tern.elf's segments to their physical addresses; returns the EFI entry or 0. */
static uint64_t place_tern(const char **why)
{
	const uint8_t *img = _binary_tern_elf_start;
	size_t len = (size_t)(_binary_tern_elf_end - _binary_tern_elf_start);
	struct boot_image bi;
	if (boot_image_check(img, len, ELF_MEM_LIMIT, &bi) || bi.kind != BOOT_IMAGE_ELF64) {
		*why = "the built-in tern.elf is not a loadable ELF64 image";
		return 0;
	}
	/* The span of PT_LOAD segments (ELF64 program headers, gABI). */
	uint64_t phoff, lo = UINT64_MAX, hi = 0, entry = 0;
	uint16_t phnum, phentsize;
	tern_memcpy(&phoff, img + 32, 8);
	tern_memcpy(&phentsize, img + 54, 2);
	tern_memcpy(&phnum, img + 56, 2);
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
		uint32_t type;
		uint64_t paddr, memsz;
		tern_memcpy(&type, ph, 4);
		tern_memcpy(&paddr, ph + 24, 8);
		tern_memcpy(&memsz, ph + 40, 8);
		if (type != 1 || !memsz)
			continue;
		if (paddr < lo)
			lo = paddr;
		if (paddr + memsz > hi)
			hi = paddr + memsz;
	}
	lo &= ~(EFI_PAGE_BYTES - 1);
	EFI_PHYSICAL_ADDRESS pa = lo;
	UINTN pages = (hi - lo + EFI_PAGE_BYTES - 1) / EFI_PAGE_BYTES;
	EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiLoaderData, pages, &pa);
	if (EFI_ERROR(st)) {
		static char msg[120];
		tern_snprintf(msg, sizeof(msg), "its load address 0x%lx-0x%lx is not free memory (status 0x%lx)",
			      (unsigned long)lo, (unsigned long)hi, (unsigned long)st);
		*why = msg;
		return 0;
	}
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
		uint32_t type;
		uint64_t off, paddr, filesz, memsz;
		tern_memcpy(&type, ph, 4);
		tern_memcpy(&off, ph + 8, 8);
		tern_memcpy(&paddr, ph + 24, 8);
		tern_memcpy(&filesz, ph + 32, 8);
		tern_memcpy(&memsz, ph + 40, 8);
		if (type != 1)
			continue;
		tern_memcpy((void *)(UINTN)paddr, img + off, filesz);
		tern_memset((void *)(UINTN)(paddr + filesz), 0, memsz - filesz);
		if (!entry && paddr == lo)
			entry = efi_find_entry(img + off, filesz);
	}
	if (entry < lo || entry >= hi) {
		*why = "the built-in tern.elf has no EFI entry marker";
		return 0;
	}
	return entry;
}

static void *alloc_low(UINTN bytes)
{
	EFI_PHYSICAL_ADDRESS pa = BELOW_4G;
	UINTN pages = (bytes + EFI_PAGE_BYTES - 1) / EFI_PAGE_BYTES;
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData, pages, &pa)))
		return NULL;
	tern_memset((void *)(UINTN)pa, 0, pages * EFI_PAGE_BYTES);
	return (void *)(UINTN)pa;
}

/* Called by gnu-efi's crt0 (_start) after it applies the relocations. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	InitializeLib(image, systab);
	self = image;
	say("tern.efi: Tern's EFI entry (UEFI %u.%u, %lu-entry digest list)", ST->Hdr.Revision >> 16,
	    (ST->Hdr.Revision & 0xffff) / 10, (unsigned long)tern_efi_ndigests);

	struct boot_info *bi = alloc_low(sizeof(*bi));
	if (!bi)
		return refuse(EFI_OUT_OF_RESOURCES, "tern.efi", "no memory for the boot information");
	bi->version = 0;
	bi->efi = 1;
	tern_strlcpy(bi->loader, "tern.efi (UEFI)", sizeof(bi->loader));
	bi->info_start = (uint64_t)(UINTN)bi;
	bi->info_end = bi->info_start + sizeof(*bi);

	EFI_LOADED_IMAGE *li = NULL;
	EFI_STATUS st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(st))
		return refuse(st, "tern.efi", "no loaded-image protocol");
	EFI_FILE_HANDLE root = LibOpenRoot(li->DeviceHandle);
	if (!root)
		return refuse(EFI_NOT_FOUND, "tern.efi", "cannot open the ESP it was loaded from");

	/* Tern's command line: the load options, else the file beside it. */
	const char *src = "load options";
	if (!efi_cmdline_from_options(li->LoadOptions, li->LoadOptionsSize, bi->cmdline, sizeof(bi->cmdline))) {
		void *buf;
		UINTN size;
		const char *why;
		src = CMDLINE_FILE;
		if (EFI_ERROR(read_file(root, CMDLINE_FILE, BOOT_CMDLINE_LEN - 1,
					"too large: longer than Tern's command line may be", &buf, &size, &why)))
			return refuse(EFI_NOT_FOUND, CMDLINE_FILE, why);
		size_t n = 0;
		for (const char *c = buf; n < size && c[n] && c[n] != '\n' && c[n] != '\r'; n++)
			bi->cmdline[n] = c[n];
		bi->cmdline[n] = 0;
		uefi_call_wrapper(BS->FreePages, 2, (EFI_PHYSICAL_ADDRESS)(UINTN)buf, (size + EFI_PAGE_BYTES - 1) / EFI_PAGE_BYTES);
	}
	say("tern.efi: command line (%s): \"%s\"", src, bi->cmdline);

	char kpath[KERNEL_PATH_LEN];
	struct boot_module *mod = &bi->modules[0];
	if (!efi_kernel_args(bi->cmdline, kpath, sizeof(kpath), mod->cmdline, sizeof(mod->cmdline)))
		return refuse(EFI_INVALID_PARAMETER, "tern.efi", "no kernel=<path> on the command line");
	uint64_t mem_limit = cmdline_mib(bi->cmdline, "guest_mem=", SERVICE_VM_MEM_MIB) << 20;
	bool sb = secure_boot_on();
	say("tern.efi: Secure Boot %s; Service VM kernel %s (%lu MiB of guest memory)", sb ? "on" : "off", kpath,
	    (unsigned long)(mem_limit >> 20));

	void *kbuf;
	UINTN ksize;
	const char *why;
	st = read_file(root, kpath, mem_limit, "too large: larger than the memory the Service VM may use", &kbuf,
		       &ksize, &why);
	if (EFI_ERROR(st))
		return refuse(st, kpath, why);
	struct boot_image kimg;
	if (boot_image_check(kbuf, ksize, mem_limit, &kimg))
		return refuse(EFI_LOAD_ERROR, kpath, kimg.why);
	say("tern.efi: %s: %s, %lu bytes, %u segment(s)/section(s)", kpath, boot_image_kind_name(kimg.kind),
	    (unsigned long)ksize, kimg.nsections);
	st = verify_kernel(kpath, kbuf, ksize, &kimg, sb);
	if (EFI_ERROR(st))
		return st;
	st = kernel_module(kpath, kbuf, ksize, &kimg, mem_limit, mod);
	if (EFI_ERROR(st))
		return st;
	bi->nmodules = 1;

	bi->acpi_rsdp = find_rsdp();
	struct acpi_facts acpi;
	(void)acpi_init(bi->acpi_rsdp);
	acpi_facts(&acpi);
	bi->have_8259 = acpi.have_8259;
	say("tern.efi: ACPI RSDP at 0x%lx, 8259 PICs %s", (unsigned long)bi->acpi_rsdp, acpi_8259_why(&acpi));
	if (acpi.spcr_port > 0) {
		bi->console_port = (uint32_t)acpi.spcr_port;
		say("tern.efi: console: the ACPI SPCR's UART at I/O port 0x%x", acpi.spcr_port);
	} else if (acpi.spcr_port < 0) {
		say("tern.efi: console: COM1; the ACPI SPCR's UART at 0x%lx is not an I/O-port 16550",
		    (unsigned long)acpi.spcr_address);
	} else {
		say("tern.efi: console: COM1 (no ACPI SPCR table)");
	}

	uint64_t entry = place_tern(&why);
	if (!entry)
		return refuse(EFI_LOAD_ERROR, "tern.elf", why);

	/* UEFI 2.10 7.4.6: GetMemoryMap, then ExitBootServices with its key; retry once if the map moved. */
	UINTN map_size = 0, key = 0, desc_size = 0;
	UINT32 desc_ver = 0;
	uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, NULL, &key, &desc_size, &desc_ver);
	map_size += 16 * desc_size + 4096;
	UINTN map_cap = map_size;
	uint8_t *map = alloc_low(map_cap);
	if (!map)
		return refuse(EFI_OUT_OF_RESOURCES, "tern.efi", "no memory for the memory map");
	say("tern.efi: exiting boot services, entering Tern at 0x%lx", (unsigned long)entry);
	for (int tries = 0;; tries++) {
		map_size = map_cap;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &desc_size,
				       &desc_ver);
		if (!EFI_ERROR(st))
			st = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
		if (!EFI_ERROR(st))
			break;
		if (tries == 1)
			return refuse(st, "tern.efi", "ExitBootServices failed");
	}
	/* Boot services are gone: no console, no allocation, only our own code until Tern's. */
	bi->nregions = efi_regions_from_map(map, map_size, desc_size, bi->regions, BOOT_MAX_REGIONS);
	bi->efi_system_table = (uint64_t)(UINTN)systab;
	__asm__ volatile("cli\n\tjmp *%1" : : "D"(bi), "r"(entry) : "memory");
	__builtin_unreachable();
}
