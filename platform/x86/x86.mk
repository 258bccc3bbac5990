# SPDX-License-Identifier: BSD-3-Clause
# The real image: platform/x86 + core/ compiled freestanding, linked into
# $(BUILD)/tern.elf (a 64-bit ELF with multiboot2 and multiboot1 headers).
#
#   make x86                  the image
#   make x86 TERN_RECORD=1    the image that streams every exit out COM2
#   make x86-iso              a GRUB rescue ISO with the image alone (bring-up)

X86_DIR   := platform/x86
X86_CSRCS := $(sort $(wildcard $(X86_DIR)/*.c))
X86_SSRCS := $(sort $(wildcard $(X86_DIR)/*.S))
X86_HDRS  := $(wildcard $(X86_DIR)/*.h) $(CORE_HDRS)
X86_OBJS  := $(X86_CSRCS:%.c=$(BUILD)/x86/%.o) $(X86_SSRCS:%.S=$(BUILD)/x86/%.o)
TERN_RECORD ?= 0
X86_CFLAGS := $(FREE_CFLAGS) -I$(X86_DIR) -DTERN_RECORD=$(TERN_RECORD)

x86: $(BUILD)/tern.elf

$(BUILD)/x86/%.o: %.c $(X86_HDRS) $(X86_DIR)/x86.mk
	@mkdir -p $(dir $@)
	$(CC) $(X86_CFLAGS) -c $< -o $@

$(BUILD)/x86/%.o: %.S $(X86_HDRS)
	@mkdir -p $(dir $@)
	$(CC) -I$(X86_DIR) -D__ASSEMBLY__ -c $< -o $@

# The record flag is part of the image's identity: rebuild when it changes.
$(BUILD)/x86/record-$(TERN_RECORD).stamp:
	@mkdir -p $(dir $@)
	@rm -f $(BUILD)/x86/record-*.stamp
	@touch $@

$(BUILD)/tern.elf: $(X86_DIR)/link.ld $(X86_OBJS) $(BUILD)/core-free.o $(BUILD)/x86/record-$(TERN_RECORD).stamp
	ld -n -nostdlib --no-warn-rwx-segments -z max-page-size=0x1000 -T $(X86_DIR)/link.ld -o $@ $(X86_OBJS) $(BUILD)/core-free.o
	sh $(X86_DIR)/check_image.sh $@

# QEMU's -kernel wants a 32-bit multiboot ELF.
$(BUILD)/tern32.elf: $(BUILD)/tern.elf
	objcopy -O elf32-i386 $< $@

$(BUILD)/x86/iso/boot/grub/grub.cfg: $(X86_DIR)/grub-bringup.cfg
	@mkdir -p $(dir $@)
	cp $< $@

$(BUILD)/tern-bringup.iso: $(BUILD)/tern.elf $(BUILD)/x86/iso/boot/grub/grub.cfg
	cp $(BUILD)/tern.elf $(BUILD)/x86/iso/boot/tern.elf
	grub-mkrescue -o $@ $(BUILD)/x86/iso >/dev/null 2>&1

.PHONY: x86-iso
x86-iso: $(BUILD)/tern-bringup.iso
