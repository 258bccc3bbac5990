# SPDX-License-Identifier: BSD-3-Clause
# Guests run under Tern, and the boot harness around them (included by the
# top Makefile). Guests are freestanding 64-bit code entered through a
# 32-bit multiboot (v1) header; the image handed to loaders is elf32-i386
# (QEMU's -kernel insists on it, GRUB and Tern's loader take it as is).
#
#   make guests        $(BUILD)/guests/testguest.elf (with the User VM payload,
#                      $(BUILD)/guests/uvm.bin, inside: t_uvm.c launches it)
#   make iso           $(BUILD)/tern.iso: GRUB -> tern.elf (multiboot2) + testguest module
#   make guest-iso     $(BUILD)/testguest.iso: GRUB -> testguest.elf alone (no Tern)
#   make boot          boot tern.iso on Bochs, stream COM1 (BOOT_ISO= to pick another ISO)
#   make boot-guest    boot the test guest alone on Bochs
#   make boot-qemu-guest   the test guest alone on QEMU (-kernel)

TG_DIR    := harness/guests/testguest
TG_SRCS_C := $(sort $(wildcard $(TG_DIR)/*.c))
TG_SRCS_S := $(sort $(wildcard $(TG_DIR)/*.S))
TG_HDRS   := $(wildcard $(TG_DIR)/*.h)
TG_OBJS   := $(TG_SRCS_C:%.c=$(BUILD)/guests/%.o) $(TG_SRCS_S:%.S=$(BUILD)/guests/%.o)
TG_ELF    := $(BUILD)/guests/testguest.elf
# Freestanding, identity-mapped at 1 MiB: small code model, no red zone
# (exceptions arrive on the same stack), no SSE, no libc.
TG_CFLAGS := $(WARN) -O2 -g -m64 -ffreestanding -nostdlib -fno-builtin \
             -fno-tree-loop-distribute-patterns -mno-red-zone -mgeneral-regs-only \
             -fno-stack-protector -fno-pic -fno-pie -mcmodel=small \
             -fno-asynchronous-unwind-tables -I$(TG_DIR)

# The User VM payload: 32-bit, paging off, a flat image the test guest
# embeds (uvm_image.S, .incbin) and loads into the memory it lends.
UVM_DIR   := harness/guests/uvm
UVM_OBJS  := $(BUILD)/guests/uvm/entry.o $(BUILD)/guests/uvm/main.o $(BUILD)/guests/uvm/ioreq_checks.o
UVM_BIN   := $(BUILD)/guests/uvm.bin
UVM_CFLAGS := $(WARN) -O2 -g -m32 -ffreestanding -nostdlib -fno-builtin \
             -fno-tree-loop-distribute-patterns -mgeneral-regs-only \
             -fno-stack-protector -fno-pic -fno-pie -fno-asynchronous-unwind-tables -I$(UVM_DIR)
TG_CFLAGS += -I$(UVM_DIR) -DUVM_BIN='"$(UVM_BIN)"'

$(BUILD)/guests/uvm/%.o: $(UVM_DIR)/%.c $(UVM_DIR)/uvm_abi.h $(UVM_DIR)/uvm.h
	@mkdir -p $(dir $@)
	$(CC) $(UVM_CFLAGS) -c $< -o $@

$(BUILD)/guests/uvm/%.o: $(UVM_DIR)/%.S
	@mkdir -p $(dir $@)
	$(CC) $(UVM_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/guests/uvm.elf: $(UVM_OBJS) $(UVM_DIR)/link.ld
	ld -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments -T $(UVM_DIR)/link.ld $(UVM_OBJS) -o $@

$(UVM_BIN): $(BUILD)/guests/uvm.elf
	objcopy -O binary $< $@

$(BUILD)/guests/$(TG_DIR)/uvm_image.o: $(UVM_BIN)
$(BUILD)/guests/$(TG_DIR)/t_uvm.o: $(UVM_DIR)/uvm_abi.h

TERN_ELF  ?= $(BUILD)/tern.elf
TERN_ISO  := $(BUILD)/tern.iso
TG_ISO    := $(BUILD)/testguest.iso
BOOT_DIR  := harness/boot
BOOT_ISO  ?= $(TERN_ISO)
GRUB_MKRESCUE_FLAGS := -d /usr/lib/grub/i386-pc --fonts= --locales= --themes= \
	--install-modules="multiboot multiboot2 normal configfile iso9660 biosdisk part_msdos echo"

.PHONY: guests iso guest-iso boot boot-guest boot-qemu-guest
all: guests
guests: $(TG_ELF)

$(BUILD)/guests/$(TG_DIR)/%.o: $(TG_DIR)/%.c $(TG_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -c $< -o $@

$(BUILD)/guests/$(TG_DIR)/%.o: $(TG_DIR)/%.S $(TG_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/guests/testguest64.elf: $(TG_OBJS) $(TG_DIR)/link.ld
	ld -m elf_x86_64 -nostdlib -z max-page-size=0x1000 --no-warn-rwx-segments -T $(TG_DIR)/link.ld $(TG_OBJS) -o $@

$(TG_ELF): $(BUILD)/guests/testguest64.elf
	objcopy -O elf32-i386 $< $@

# ---- GRUB rescue ISOs ---------------------------------------------------------
$(TERN_ISO): $(TERN_ELF) $(TG_ELF) $(BOOT_DIR)/grub-tern.cfg $(BOOT_DIR)/tg-module.txt
	@rm -rf $(BUILD)/iso-tern && mkdir -p $(BUILD)/iso-tern/boot/grub
	cp $(BOOT_DIR)/grub-tern.cfg $(BUILD)/iso-tern/boot/grub/grub.cfg
	cp $(TERN_ELF) $(BUILD)/iso-tern/boot/tern.elf
	cp $(TG_ELF) $(BUILD)/iso-tern/boot/testguest.elf
	cp $(BOOT_DIR)/tg-module.txt $(BUILD)/iso-tern/boot/tg-module.txt
	grub-mkrescue $(GRUB_MKRESCUE_FLAGS) -o $@ $(BUILD)/iso-tern 2>$(BUILD)/iso-tern.log || \
		{ cat $(BUILD)/iso-tern.log; exit 1; }

$(TG_ISO): $(TG_ELF) $(BOOT_DIR)/grub-guest.cfg
	@rm -rf $(BUILD)/iso-guest && mkdir -p $(BUILD)/iso-guest/boot/grub
	cp $(BOOT_DIR)/grub-guest.cfg $(BUILD)/iso-guest/boot/grub/grub.cfg
	cp $(TG_ELF) $(BUILD)/iso-guest/boot/testguest.elf
	grub-mkrescue $(GRUB_MKRESCUE_FLAGS) -o $@ $(BUILD)/iso-guest 2>$(BUILD)/iso-guest.log || \
		{ cat $(BUILD)/iso-guest.log; exit 1; }

iso: $(TERN_ISO)
guest-iso: $(TG_ISO)

# ---- booting ------------------------------------------------------------------------
ifeq ($(wildcard platform/x86/x86.mk)$(filter-out $(TERN_ISO),$(BOOT_ISO)),)
boot:
	@echo "make boot: this tree has no platform/x86, so no image to boot;" \
	      "make boot-guest boots the test guest alone" >&2; exit 1
else
boot: $(BOOT_ISO)
	@python3 $(BOOT_DIR)/bochs_run.py --iso $(BOOT_ISO) --out $(BUILD)/boot --stream --cpus 2
endif

boot-guest: $(TG_ISO)
	@python3 $(BOOT_DIR)/bochs_run.py --iso $(TG_ISO) --out $(BUILD)/boot-guest --stream

boot-qemu-guest: $(TG_ELF)
	qemu-system-x86_64 -accel tcg -M pc -cpu max -m 256 -display none -serial stdio -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -smp 2 -kernel $(TG_ELF) -append "irq=1 smp=1"; \
		echo "qemu exit status $$? (2*verdict+1)"
