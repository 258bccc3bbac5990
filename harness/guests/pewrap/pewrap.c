/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PE32+ wrapper of a multiboot Service VM kernel (docs/boot.md, "A PE
 * Service VM kernel"): an EFI application whose .mbkern section holds the
 * kernel's ELF file verbatim (platform/x86/efi/efi.mk links it in). Signed
 * with a db key, the firmware's LoadImage vouches for the whole image, so
 * for the ELF inside; tern.efi then runs that ELF from the same bytes.
 * Started by the firmware itself it only says what it is.
 */
#include <efi.h>
#include <efilib.h>

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	InitializeLib(image, systab);
	Print(L"tern-pewrap: a Service VM kernel for tern.efi (kernel=<this file>), not an application\r\n");
	return EFI_UNSUPPORTED;
}
