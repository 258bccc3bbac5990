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

# The record flag is part of the image's identity: a file holding it is
# rewritten (at parse time) only when it changes, and every object depends on
# it. (A missing stamp target would not do: the top Makefile's .SECONDARY
# lets make skip rebuilding for missing intermediates.)
X86_MODE := $(BUILD)/x86/mode
$(shell mkdir -p $(BUILD)/x86 && { echo "TERN_RECORD=$(TERN_RECORD)" | cmp -s - $(X86_MODE) || echo "TERN_RECORD=$(TERN_RECORD)" > $(X86_MODE); })

x86: $(BUILD)/tern.elf

$(BUILD)/x86/%.o: %.c $(X86_HDRS) $(X86_DIR)/x86.mk $(X86_MODE)
	@mkdir -p $(dir $@)
	@echo '  CC [x86] $<'
	$(Q)$(CC) $(X86_CFLAGS) -c $< -o $@

$(BUILD)/x86/%.o: %.S $(X86_HDRS)
	@mkdir -p $(dir $@)
	@echo '  AS [x86] $<'
	$(Q)$(CC) -I$(X86_DIR) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/tern.elf: $(X86_DIR)/link.ld $(X86_OBJS) $(BUILD)/core-free.o
	@echo '  LD $@'
	$(Q)ld -n -nostdlib --no-warn-rwx-segments -z max-page-size=0x1000 -T $(X86_DIR)/link.ld -o $@ $(X86_OBJS) $(BUILD)/core-free.o
	sh $(X86_DIR)/check_image.sh $@

# QEMU's -kernel wants a 32-bit multiboot ELF.
$(BUILD)/tern32.elf: $(BUILD)/tern.elf
	objcopy -O elf32-i386 $< $@

# Bring-up: the image with a tiny guest of its own (platform/x86/bringup).
$(BUILD)/x86/mini_guest.elf: $(X86_DIR)/bringup/mini_guest.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m32 -c $< -o $(BUILD)/x86/mini_guest.o
	$(Q)ld -m elf_i386 -Ttext=0x100000 -o $@ $(BUILD)/x86/mini_guest.o

$(BUILD)/tern-bringup.iso: $(BUILD)/tern.elf $(BUILD)/x86/mini_guest.elf $(X86_DIR)/bringup/grub.cfg
	@rm -rf $(BUILD)/x86/iso && mkdir -p $(BUILD)/x86/iso/boot/grub
	cp $(X86_DIR)/bringup/grub.cfg $(BUILD)/x86/iso/boot/grub/grub.cfg
	cp $(BUILD)/tern.elf $(BUILD)/x86/mini_guest.elf $(BUILD)/x86/iso/boot/
	grub-mkrescue -o $@ $(BUILD)/x86/iso >/dev/null 2>&1

.PHONY: x86-iso x86-bringup
x86-iso: $(BUILD)/tern-bringup.iso
x86-bringup: $(BUILD)/tern-bringup.iso
	@rm -f $(BUILD)/x86/com1.txt
	-timeout 120 bochs -f $(X86_DIR)/bringup/bochsrc -q -rc $(X86_DIR)/bringup/bochs.rc >$(BUILD)/x86/bochs.out 2>&1
	@tr -d '\r' < $(BUILD)/x86/com1.txt | grep -v '^\s*$$' | grep -v '\[' ; true

# Unit tests of platform/x86 code (harness/unit/test_x86_*.c) compile its
# sources on the host by #include: rebuild them when those change.
$(filter $(BUILD)/host/tests/test_x86_%,$(TEST_BINS)): $(X86_CSRCS) $(X86_HDRS) $(wildcard $(X86_DIR)/efi/*.c $(X86_DIR)/efi/*.h)
# The control-set conformance test compiles the platform's pure check the same way.
$(BUILD)/host/tests/test_vmx_controls: $(X86_DIR)/vmx_ctls.c $(X86_HDRS)
-include $(X86_DIR)/efi/efi.mk
