/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The image's C entry: console, descriptor tables, boot information, then
 * the VMX checks and the Service VM.
 */
#include "machine.h"
#include "boot_defs.h"
#include "bootinfo.h"
#include "cpu.h"
#include "desc.h"
#include "serial.h"
#include "lib.h"
#include "clock.h"
#include "vmx.h"
#include "mem.h"
#include "xvm.h"
#include "vm_memory.h"
#include "vmcs.h"
#include "vm.h"
#include "vm_mgr.h"
#include "platform.h"
#include "err.h"
#include "trace_rec.h"
#include "acpi.h"
#include "smp.h"
#include "host_timer.h"
#include "vmx_controls.h"

/* Guest RAM of the Service VM unless the command line says guest_mem=<MiB>. */
#define SERVICE_VM_MEM_MIB 32u

uint8_t x86_stack[X86_STACK_SIZE] __attribute__((aligned(16)));
/* boot.S loads RSP from this symbol. */
__asm__(".global x86_stack_top\n.set x86_stack_top, x86_stack + " "16384");

static struct boot_info boot_info;
/* The host's CPUs as the ACPI MADT lists them (acpi.c); ncpus 0 when unknown. */
static struct acpi_madt host_madt;
/* The hypervisor instance: all of core's state. */
static struct tern tern;

const char *x86_cmdline(void)
{
	return boot_info.cmdline;
}

static bool cmdline_has(const char *cmdline, const char *word);

bool x86_cmdline_has(const char *word)
{
	return cmdline_has(boot_info.cmdline, word);
}

/* The decimal number after `key` (e.g. "guest_mem="); dflt when absent or 0. */
static uint64_t cmdline_num(const char *cmdline, const char *key, uint64_t dflt)
{
	size_t klen = tern_strlen(key);
	for (const char *p = cmdline; *p; p++) {
		if ((p == cmdline || p[-1] == ' ') && tern_strncmp(p, key, klen) == 0) {
			uint64_t v = 0;
			for (p += klen; *p >= '0' && *p <= '9'; p++)
				v = v * 10 + (uint64_t)(*p - '0');
			return v ? v : dflt;
		}
	}
	return dflt;
}

/* True when the command line holds `word` as a whole word. */
static bool cmdline_has(const char *cmdline, const char *word)
{
	size_t wlen = tern_strlen(word);
	for (const char *p = cmdline; *p; p++)
		if ((p == cmdline || p[-1] == ' ') && tern_strncmp(p, word, wlen) == 0 &&
		    (p[wlen] == ' ' || p[wlen] == 0))
			return true;
	return false;
}

static void run_service_vm(const struct vmx_caps *caps)
{
	if (boot_info.nmodules == 0) {
		x86_log("FATAL: no guest kernel: give one as the first GRUB module");
		x86_power_off(X86_EXIT_BOOT);
	}
	tern_init(&tern);
	tern.hv_hpa_base = mem_image_base();
	tern.hv_hpa_size = mem_image_size();
	/* Before any VM exists: a VM's affinity may only name online pCPUs. */
	unsigned online = smp_start_aps(&host_madt, &boot_info, &tern, caps);
	x86_log("%u CPU(s) online (pCPU mask 0x%lx)", online, (unsigned long)plat_pcpu_mask());

	struct vm_config cfg = { .vcpu_count = 1, .service_vm = true };
	tern_strlcpy(cfg.name, "service", sizeof(cfg.name));
	uint64_t mib = cmdline_num(boot_info.cmdline, "guest_mem=", SERVICE_VM_MEM_MIB);
	cfg.mem_size = mib << 20;
	/* triple_fault=reset: a triple fault resets the Service VM (a warm
	 * reset into its Multiboot entry, vm_mgr_set_boot_state) instead of
	 * stopping it. */
	cfg.reset_on_triple_fault = cmdline_has(boot_info.cmdline, "triple_fault=reset");
	/* vcpus=N: vCPU i runs on the i-th online pCPU modulo their number
	 * (sched_vcpu_pcpu), so N larger than the pCPUs shares them; the APs
	 * wait for the guest's INIT and SIPI. One vCPU keeps affinity 0 (the
	 * BSP), the configuration every earlier recorded run has. */
	uint64_t vcpus = cmdline_num(boot_info.cmdline, "vcpus=", 1);
	if (vcpus > TERN_MAX_VCPUS) {
		x86_log("FATAL: vcpus=%lu: a VM has at most %u vCPUs", (unsigned long)vcpus,
			TERN_MAX_VCPUS);
		x86_power_off(X86_EXIT_BOOT);
	}
	cfg.vcpu_count = (uint16_t)vcpus;
	if (vcpus > 1)
		cfg.cpu_affinity = plat_pcpu_mask();
	cfg.ram_hpa = x86_vm_ram(cfg.mem_size);
	struct vm *vm;
	/* The VM manager maps the RAM at GPA 0 (RWX, write-back), owned by the
	 * Service VM, which may lend it to User VMs. */
	int ret = cfg.ram_hpa ? vm_mgr_create(&tern, &cfg, &vm) : -TERN_ENOMEM;
	if (ret) {
		x86_log("FATAL: cannot create the Service VM (%d)", ret);
		x86_power_off(X86_EXIT_BOOT);
	}
	struct x86_vm *x = xvm_of(vm);
	x86_log("Service VM: %lu MiB of RAM at host 0x%lx, %u page-table pages at 0x%lx",
		(unsigned long)mib, (unsigned long)x->ram_hpa, x->pt_pages, (unsigned long)x->pt_hpa);

	uint64_t entry;
	uint32_t mbi;
	const struct boot_module *mod = &boot_info.modules[0];
	x86_log("loading guest \"%s\" (%lu bytes)", mod->cmdline, (unsigned long)(mod->end - mod->start));
	ret = guest_load_multiboot(vm, mod, boot_info.nmodules, &entry, &mbi);
	if (ret)
		x86_power_off(X86_EXIT_BOOT); /* the loader logged why */
	/* The Multiboot hand-off is core's, like every VM's start state. */
	struct vcpu_load_state boot;
	vm_mgr_multiboot_state(&boot, (uint32_t)entry, MB1_BOOT_MAGIC, mbi);
	if ((entry >> 32) || (ret = vm_mgr_set_boot_state(vm, &boot))) {
		x86_log("FATAL: the guest's entry 0x%lx is not a valid start state (%d)",
			(unsigned long)entry, ret);
		x86_power_off(X86_EXIT_BOOT);
	}
	struct x86_pcpu *pcpu = smp_pcpu(0);
	pcpu->caps = caps;
	for (uint16_t i = 0; i < vm->config.vcpu_count; i++) {
		/* A VMCS is set up on the pCPU that runs it (it is active on one
		 * CPU only, SDM Vol. 3C 24.1): the others' when their pCPU's
		 * scheduler first picks them (x86_pcpu_run). */
		if (vm->vcpus[i].pcpu != pcpu->cpu)
			continue;
		ret = x86_vcpu_ready(pcpu, &vm->vcpus[i]);
		if (ret == -TERN_ENOTSUP)
			x86_power_off(X86_EXIT_NO_VMX); /* refused, the control named (vmcs.c) */
		if (ret || x86_pcpu_assign(pcpu, &vm->vcpus[i])) {
			x86_log("FATAL: VMCS set-up failed");
			x86_power_off(X86_EXIT_BOOT);
		}
	}
	struct vcpu *vcpu = &vm->vcpus[0];
	trace_rec_vm(vm);
	if (cfg.reset_on_triple_fault)
		x86_log("Service VM resets on a triple fault");
	x86_log("starting Service VM at 0x%lx (multiboot info at 0x%x)", (unsigned long)entry, mbi);
	(void)vm_mgr_start(vm);
	/* After the start's own requests, which a replay takes as the platform's start-up. */
	smp_release_aps();
	uint64_t t0 = plat_clock_ns();
	x86_pcpu_run(pcpu, &tern);
	uint64_t t1 = plat_clock_ns();
	trace_rec_end();
	x86_console_flush_all();

	x86_log("Service VM stopped: %s, detail 0x%x, exit status %u, %lu exits in %lu ms",
		vm_stop_cause_name(vm->stop_cause), vm->stop_detail, vm->exit_status,
		/* Every exit of the run: core's count starts again at a reset. */
		(unsigned long)xvcpu_of(vcpu)->entries, (unsigned long)((t1 - t0) / 1000000));
	bool ok = vm->stop_cause == VM_STOP_GUEST_EXIT && vm->exit_status == 0;
	x86_power_off(ok ? X86_EXIT_OK : X86_EXIT_VM_FAILED);
}

static void x86_start(void);

/*
 * The console: the UART the ACPI SPCR names when Tern can drive it, else
 * COM1 if a 16550 answers there, else none (the log is dropped: a machine
 * without a legacy UART, whose firmware says nothing about one). Returns
 * what it chose, for the log line.
 */
static const char *console_start(uint32_t spcr_port)
{
	const char *why = "COM1";
	if (spcr_port) {
		serial_console_use((uint16_t)spcr_port);
		why = "the ACPI SPCR's UART";
	} else if (!serial_probe(SERIAL_COM1)) {
		serial_console_use(0);
		return "none";
	}
	serial_init(serial_console_port());
	return why;
}

/*
 * The multiboot way in (boot.S _start32): GRUB on a BIOS or on UEFI. Nothing
 * assumes a BIOS: the ACPI tables (the loader's RSDP tag; else, on UEFI, the
 * EFI system table's configuration table; else the BIOS area) say whether
 * the 8259s exist and which UART is the console.
 */
void x86_main(uint32_t magic, uint32_t info_pa)
{
	int parsed = bootinfo_parse(magic, info_pa, &boot_info);
	const char *rsdp_from = "from the loader";
	if (!boot_info.acpi_rsdp && boot_info.efi_system_table) {
		/* The loader gave the system table (tag 12) but no ACPI tag. */
		boot_info.acpi_rsdp = acpi_efi_rsdp(boot_info.efi_system_table);
		rsdp_from = "from the EFI configuration table";
	} else if (!boot_info.acpi_rsdp) {
		boot_info.acpi_rsdp = acpi_scan_bios();
		rsdp_from = "found in the BIOS area";
	}
	struct acpi_facts acpi;
	(void)acpi_init(boot_info.acpi_rsdp);
	acpi_facts(&acpi);
	const char *console = console_start(acpi.spcr_port > 0 ? (uint32_t)acpi.spcr_port : 0);
	desc_init();
	if (acpi.have_8259)
		pic_init();
	x86_log("Tern x86 image starting");
	if (parsed < 0) {
		x86_log("FATAL: not started by a multiboot loader (magic 0x%x)", magic);
		x86_power_off(X86_EXIT_BOOT);
	}
	x86_log("multiboot%u from %s, cmdline \"%s\", %u module(s), %u memory region(s)",
		boot_info.version, boot_info.loader[0] ? boot_info.loader : "?",
		boot_info.cmdline, boot_info.nmodules, boot_info.nregions);
	/* Nothing the loader gave is dropped silently: too much is refused, with why. */
	if (boot_info.cmdline_cut) {
		x86_log("FATAL: Tern's command line is longer than %u bytes; refused rather than cut",
			BOOT_CMDLINE_LEN - 1);
		x86_power_off(X86_EXIT_BOOT);
	}
	if (boot_info.modules_seen > BOOT_MAX_MODULES) {
		x86_log("FATAL: the loader gave %u modules; Tern takes one guest kernel and at most %u more",
			boot_info.modules_seen, BOOT_MAX_MODULES - 1);
		x86_power_off(X86_EXIT_BOOT);
	}
	/* GRUB on UEFI: tern.elf's multiboot2 header asks for no EFI boot-services
	 * tag, so GRUB has called ExitBootServices (docs/boot.md). */
	if (boot_info.efi_boot_services) {
		x86_log("FATAL: the loader left UEFI boot services running; Tern needs them exited");
		x86_power_off(X86_EXIT_BOOT);
	}
	if (boot_info.efi_system_table)
		x86_log("UEFI firmware: EFI system table 0x%lx, boot services exited by the loader, "
			"EFI memory map of %u descriptor(s), ACPI RSDP 0x%lx",
			(unsigned long)boot_info.efi_system_table, boot_info.efi_mmap_descs,
			(unsigned long)boot_info.acpi_rsdp);
	if (boot_info.acpi_rsdp)
		x86_log("ACPI RSDP at 0x%lx (%s)%s", (unsigned long)boot_info.acpi_rsdp, rsdp_from,
			acpi.tables ? "" : ": no valid root table");
	else
		x86_log("no ACPI tables");
	x86_log("8259 PICs %s; console %s at I/O port 0x%x", acpi_8259_why(&acpi), console,
		serial_console_port());
	if (acpi.spcr_port < 0)
		x86_log("  the ACPI SPCR's UART at 0x%lx is not an I/O-port 16550: not used",
			(unsigned long)acpi.spcr_address);
	x86_start();
}

/*
 * The EFI way in (boot.S _start64_efi, from tern.efi after ExitBootServices):
 * tern.efi has read the ACPI tables (the same acpi_facts) into bi.
 */
void x86_efi_main(const struct boot_info *bi)
{
	tern_memcpy(&boot_info, bi, sizeof(boot_info));
	const char *console = console_start(boot_info.console_port);
	desc_init();
	if (boot_info.have_8259)
		pic_init();
	x86_log("Tern x86 image starting");
	x86_log("UEFI entry from %s, cmdline \"%s\", %u module(s), %u memory region(s), ACPI RSDP 0x%lx, 8259 %s",
		boot_info.loader, boot_info.cmdline, boot_info.nmodules, boot_info.nregions,
		(unsigned long)boot_info.acpi_rsdp, boot_info.have_8259 ? "masked" : "not present");
	x86_log("console %s at I/O port 0x%x", console, serial_console_port());
	x86_start();
}

/*
 * The host's ACPI tables: the RSDP the loader's tag or the EFI
 * configuration table gave, else (a BIOS machine) the one in the BIOS
 * areas; then the MADT's CPUs. Without a MADT the BSP runs alone.
 */
static bool host_acpi_init(void)
{
	/* Both ways in found the RSDP (the loader's tag, EFI, or the BIOS area). */
	uint64_t rsdp = boot_info.acpi_rsdp;
	int ret = acpi_init(rsdp);
	if (ret == 0)
		ret = acpi_madt_parse(&host_madt);
	if (ret) {
		x86_log("ACPI: no usable MADT (RSDP 0x%lx, %d): the boot CPU runs alone",
			(unsigned long)rsdp, ret);
		return false;
	}
	x86_log("ACPI: RSDP 0x%lx, MADT: %u CPU(s), %u disabled, local APIC at 0x%lx, %s",
		(unsigned long)rsdp, host_madt.ncpus, host_madt.disabled,
		(unsigned long)host_madt.lapic_base,
		host_madt.pcat_compat ? "PCAT_COMPAT (8259s present)" : "no 8259s");
	for (unsigned i = 0; i < host_madt.ncpus; i++)
		x86_log("  cpu APIC ID %u (ACPI UID %u%s)", host_madt.cpus[i].apic_id,
			host_madt.cpus[i].uid, host_madt.cpus[i].x2apic ? ", x2APIC entry" : "");
	if (host_madt.dropped)
		x86_log("ACPI: %u more CPU(s) than Tern keeps (%u) left out", host_madt.dropped,
			ACPI_MAX_CPUS);
	return true;
}

/* The hypervisor's start-up, the same after either entry. */
static void x86_start(void)
{
	for (unsigned i = 0; i < boot_info.nregions; i++)
		x86_log("  mem %016lx-%016lx type %u", (unsigned long)boot_info.regions[i].base,
			(unsigned long)(boot_info.regions[i].base + boot_info.regions[i].len),
			boot_info.regions[i].type);
	for (unsigned i = 0; i < boot_info.nmodules; i++)
		x86_log("  module %lx-%lx \"%s\"", (unsigned long)boot_info.modules[i].start,
			(unsigned long)boot_info.modules[i].end, boot_info.modules[i].cmdline);

	/* Before the VMX check: the memory line says what this machine offers either way. */
	mem_init(&boot_info);
	x86_log("hypervisor image at 0x%lx-0x%lx, %lu MiB free for VMs, %lu MiB of it above 4 GiB",
		(unsigned long)mem_image_base(), (unsigned long)(mem_image_base() + mem_image_size()),
		(unsigned long)(mem_free_bytes() >> 20), (unsigned long)(mem_high_bytes() >> 20));
	if (mem_high_unmapped())
		x86_log("  %lu MiB of RAM above 4 GiB not usable (beyond the physical-address width or "
			"no page-table page left)", (unsigned long)(mem_high_unmapped() >> 20));

	(void)host_acpi_init();
	smp_init_bsp(&host_madt);
	uint64_t hz = clock_calibrate();
	x86_log("TSC %lu MHz", (unsigned long)(hz / 1000000));

	static struct vmx_caps caps;
	const char *why = vmx_check(&caps);
	if (why) {
		x86_log("REFUSED: Tern needs VMX with EPT and unrestricted guest: %s", why);
		x86_power_off(X86_EXIT_NO_VMX);
	}
	x86_vmx_caps = &caps;
	/* Before VMXON, so that its CR4 fixed-bit adjustment has the last word. */
	xstate_host_init();
	x86_log("VMX: revision 0x%x, %s controls, EPT/VPID caps 0x%lx", caps.revision,
		caps.true_ctls ? "true" : "default", (unsigned long)caps.ept_vpid);
	/* The host timer core's timers need (host_timer.h): pin-based allowed-1 bit 6, IA32_VMX_MISC 4:0. */
	x86_log("VMX-preemption timer %s, rate TSC/2^%u",
		((caps.pin >> 32) & VMXC_PIN_PREEMPTION_TIMER) ? "available" : "NOT available",
		(unsigned)(caps.misc & VMX_MISC_PREEMPT_RATE_MASK));
	/* Whether the CPU could virtualize the xAPIC (vmx_controls.h: vmxc_apic_virt). */
	x86_log("VMX secondary controls allowed-1 0x%x, TPR shadow %s",
		(unsigned)(caps.proc2 >> 32), ((caps.proc >> 32) & VMXC_PROC_USE_TPR_SHADOW) ? "yes" : "no");
	if (vmx_on(&caps) < 0) {
		x86_log("FATAL: VMXON failed");
		x86_power_off(X86_EXIT_NO_VMX);
	}
	x86_log("VMXON done");

	trace_rec_init();
	run_service_vm(&caps);
}
