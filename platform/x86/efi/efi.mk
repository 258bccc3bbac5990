# SPDX-License-Identifier: BSD-3-Clause
# tern.efi: the EFI entry (platform/x86/efi) as a gnu-efi PE32+ application
# carrying tern.elf and the digest list of the Service VM kernels it accepts.
#
#   make efi                          $(BUILD)/tern.efi (unsigned)
#   make efi EFI_KERNELS="a.elf b"    accept these kernel files (default: the test guest)
#   make efi-signed                   $(BUILD)/efi/tern-signed.efi with keys made here
#   make run-efi                      boot tern.efi on Bochs + OVMF with the test guest

EFI_DIR   := $(X86_DIR)/efi
EFI_INC   := -isystem /usr/include/efi -isystem /usr/include/efi/x86_64
# gnu-efi's recipe (PLATFORMS.md): position independent, no red zone, MS ABI through uefi_call_wrapper.
EFI_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -Wno-unused-parameter -O2 -g $(EFI_INC) -Icore -I$(X86_DIR) -I$(EFI_DIR) \
              -fpic -ffreestanding -fno-stack-protector -fshort-wchar -mno-red-zone \
              -maccumulate-outgoing-args -mgeneral-regs-only -DEFI_FUNCTION_WRAPPER
EFI_LDS   := /usr/lib/elf_x86_64_efi.lds
EFI_CRT0  := /usr/lib/crt0-efi-x86_64.o
# The pure core files the entry needs, and the ACPI reader it shares with tern.elf, compiled again for the PE image.
EFI_CORE  := core/sha256.c core/boot_image.c core/lib.c $(X86_DIR)/acpi.c
EFI_SRCS  := $(sort $(wildcard $(EFI_DIR)/*.c))
EFI_OBJS  := $(EFI_SRCS:%.c=$(BUILD)/efi/%.o) $(EFI_CORE:%.c=$(BUILD)/efi/%.o) \
             $(BUILD)/efi/digests.o $(BUILD)/efi/tern_elf.o
EFI_KERNELS ?= $(BUILD)/guests/testguest.elf $(BUILD)/guests/testguest.efi

.PHONY: efi
x86: $(BUILD)/tern.efi
efi: $(BUILD)/tern.efi

$(BUILD)/efi/%.o: %.c $(wildcard $(EFI_DIR)/*.h) $(CORE_HDRS) $(X86_DIR)/bootinfo.h $(X86_DIR)/acpi.h $(EFI_DIR)/efi.mk
	@mkdir -p $(dir $@)
	@echo '  CC [efi] $<'
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@

# Rewritten only when the list changes, so tern.efi is not relinked for nothing.
$(BUILD)/efi/digests.c: $(EFI_KERNELS) $(EFI_DIR)/digests.sh FORCE
	@mkdir -p $(dir $@)
	@sh $(EFI_DIR)/digests.sh $(EFI_KERNELS) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/efi/digests.o: $(BUILD)/efi/digests.c
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@

# tern.elf without its debug information (a fifth of the size): what tern.efi carries and what
# the GRUB EFI medium loads (OVMF's disk reads on Bochs are slow).
$(BUILD)/efi/tern.elf: $(BUILD)/tern.elf
	@mkdir -p $(dir $@)
	$(Q)objcopy --strip-debug $< $@

# The stripped tern.elf as bytes in .data: symbols _binary_tern_elf_start/_end.
$(BUILD)/efi/tern_elf.o: $(BUILD)/efi/tern.elf
	$(Q)cd $(BUILD)/efi && objcopy -I binary -O elf64-x86-64 -B i386:x86-64 \
		--rename-section .data=.data.tern_elf,alloc,load,data,contents tern.elf tern_elf.o

$(BUILD)/efi/tern.so: $(EFI_OBJS)
	@echo '  LD $@'
	$(Q)ld -shared -Bsymbolic -nostdlib -znocombreloc -z noexecstack -T $(EFI_LDS) $(EFI_CRT0) $(EFI_OBJS) \
		-L/usr/lib -lefi -lgnuefi -o $@

$(BUILD)/tern.efi: $(BUILD)/efi/tern.so
	@echo '  EFI $@'
	$(Q)objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

.PHONY: FORCE
FORCE:

# ---- Secure Boot test tools (harness/secboot) ------------------------------------
# enroll.efi enrols keys into a VARS copy; keys and signed images are made by
# the boot tests under $(BUILD)/secboot and never committed.
.PHONY: efi-tools
efi-tools: $(BUILD)/efi/enroll.efi

$(BUILD)/efi/harness/secboot/%.o: harness/secboot/%.c $(EFI_DIR)/efi.mk
	@mkdir -p $(dir $@)
	@echo '  CC [efi] $<'
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@

$(BUILD)/efi/enroll.so: $(BUILD)/efi/harness/secboot/enroll.o
	$(Q)ld -shared -Bsymbolic -nostdlib -znocombreloc -z noexecstack -T $(EFI_LDS) $(EFI_CRT0) $< \
		-L/usr/lib -lefi -lgnuefi -o $@

$(BUILD)/efi/enroll.efi: $(BUILD)/efi/enroll.so
	$(Q)objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

# ---- booting the EFI path on Bochs -----------------------------------------------------
# OVMF as Bochs's ROM: Debian's 2 MiB build, VARS then CODE (PLATFORMS.md).
OVMF_2M := $(BUILD)/efi/ovmf-2m.rom
$(OVMF_2M): /usr/share/OVMF/OVMF_VARS.fd /usr/share/OVMF/OVMF_CODE.fd
	@mkdir -p $(dir $@)
	cat $^ > $@

# The ESP Bochs boots: tern.efi as the removable-media boot file, the test guest, the command line.
$(BUILD)/efi/esp-bochs.img: $(BUILD)/tern.efi $(BUILD)/guests/testguest.elf harness/boot/cmdline-bochs.txt harness/boot/make_esp.py
	python3 harness/boot/make_esp.py $@ EFI/BOOT/BOOTX64.EFI=$(BUILD)/tern.efi \
		EFI/tern/testguest.elf=$(BUILD)/guests/testguest.elf EFI/tern/cmdline.txt=harness/boot/cmdline-bochs.txt

.PHONY: run-efi efi-esp
efi-esp: $(BUILD)/efi/esp-bochs.img $(OVMF_2M)
run-efi: deps $(BUILD)/efi/esp-bochs.img $(OVMF_2M)
	@python3 harness/boot/bochs_run.py --efi-disk $(BUILD)/efi/esp-bochs.img --efi-rom $(OVMF_2M) \
		--out $(BUILD)/boot-efi --stream

# ---- the GRUB EFI way in: GRUB (x86_64-efi) loads tern.elf by multiboot2 -----------------
# An ESP with a small GRUB EFI image as the removable-media boot file, grub-tern.cfg (the ISO's,
# vcpus=3 smp=1 included) as its configuration (prefix /EFI/BOOT, on the ESP it was loaded from)
# and, as on the GRUB ISO, tern.elf (debug information stripped), the test guest and its second
# module under /boot. GRUB exits boot services before it jumps (tern.elf's multiboot2 header has
# no EFI boot-services tag): docs/boot.md.
GRUB_EFI_MODULES := normal configfile multiboot2 fat part_msdos part_gpt boot echo acpi
$(BUILD)/efi/grubx64.efi: $(EFI_DIR)/efi.mk
	@mkdir -p $(dir $@)
	grub-mkimage -O x86_64-efi -d /usr/lib/grub/x86_64-efi -p /EFI/BOOT -o $@ $(GRUB_EFI_MODULES)

GRUB_EFI_FILES := $(BUILD)/efi/grubx64.efi $(BUILD)/efi/tern.elf $(BUILD)/guests/testguest.elf \
		harness/boot/grub-tern.cfg harness/boot/tg-module.txt harness/boot/make_esp.py
GRUB_EFI_ESP := EFI/BOOT/BOOTX64.EFI=$(BUILD)/efi/grubx64.efi boot/tern.elf=$(BUILD)/efi/tern.elf \
		boot/testguest.elf=$(BUILD)/guests/testguest.elf boot/tg-module.txt=harness/boot/tg-module.txt

# For firmware with ACPI tables (QEMU + OVMF, a real machine): grub-tern.cfg as it is.
$(BUILD)/efi/esp-grub.img: $(GRUB_EFI_FILES)
	python3 harness/boot/make_esp.py $@ $(GRUB_EFI_ESP) EFI/BOOT/grub.cfg=harness/boot/grub-tern.cfg

# For Bochs + OVMF, which has no ACPI tables (no fw_cfg): grub-efi-bochs.cfg first has GRUB's
# acpi command install the MADT of the two-CPU Bochs machine (make_madt.py), then reads
# grub-tern.cfg (docs/boot.md).
$(BUILD)/efi/madt-bochs.aml: harness/boot/make_madt.py
	@mkdir -p $(dir $@)
	python3 harness/boot/make_madt.py $@ --cpus 2

$(BUILD)/efi/esp-grub-bochs.img: $(GRUB_EFI_FILES) harness/boot/grub-efi-bochs.cfg $(BUILD)/efi/madt-bochs.aml
	python3 harness/boot/make_esp.py $@ $(GRUB_EFI_ESP) EFI/BOOT/grub.cfg=harness/boot/grub-efi-bochs.cfg \
		EFI/BOOT/grub-tern.cfg=harness/boot/grub-tern.cfg boot/madt-bochs.aml=$(BUILD)/efi/madt-bochs.aml

.PHONY: efi-grub run-grub-efi
efi-grub: $(BUILD)/efi/esp-grub.img $(BUILD)/efi/esp-grub-bochs.img $(OVMF_2M)
run-grub-efi: deps $(BUILD)/efi/esp-grub-bochs.img $(OVMF_2M)
	@python3 harness/boot/bochs_run.py --efi-disk $(BUILD)/efi/esp-grub-bochs.img --efi-rom $(OVMF_2M) \
		--cpus 2 --out $(BUILD)/boot-grub-efi --stream

# ---- a PE32+ Service VM kernel: the test guest wrapped (docs/boot.md) --------------------------
# harness/guests/pewrap/pewrap.c (an EFI application that only says what it is) with
# testguest.elf verbatim as its .mbkern section: tern.efi verifies the PE (LoadImage under
# Secure Boot, else its digest) and runs the ELF in that section.
TG_PE := $(BUILD)/guests/testguest.efi
.PHONY: guest-pe
guest-pe: $(TG_PE)

$(BUILD)/efi/pewrap/testguest_elf.o: $(BUILD)/guests/testguest.elf
	@mkdir -p $(dir $@)
	$(Q)cp $< $(BUILD)/efi/pewrap/testguest.elf
	$(Q)cd $(BUILD)/efi/pewrap && objcopy -I binary -O elf64-x86-64 -B i386:x86-64 \
		--rename-section .data=.mbkern,alloc,load,readonly,data,contents testguest.elf testguest_elf.o

$(BUILD)/efi/pewrap/pewrap.so: $(BUILD)/efi/harness/guests/pewrap/pewrap.o $(BUILD)/efi/pewrap/testguest_elf.o
	$(Q)ld -shared -Bsymbolic -nostdlib -znocombreloc -z noexecstack -T $(EFI_LDS) $(EFI_CRT0) $^ \
		-L/usr/lib -lefi -lgnuefi -o $@

$(TG_PE): $(BUILD)/efi/pewrap/pewrap.so
	@echo '  EFI $@'
	$(Q)objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc -j .mbkern --target efi-app-x86_64 --subsystem=10 $< $@
