/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * enroll.efi: enrol the test keys into a copy of OVMF's empty VARS store
 * (setup mode), as PLATFORMS.md measured it: SetVariable with
 * NV|BS|RT|TIME_BASED_AUTHENTICATED_WRITE_ACCESS (0x27) for db, then KEK,
 * then PK (which ends setup mode), each from a signed .auth file on the ESP
 * (\keys\db.auth, \keys\KEK.auth, \keys\PK.auth, made by
 * harness/secboot/keys.sh). Prints one line per variable and
 * "enroll: SecureBoot=<n> SetupMode=<n>", then powers the machine off.
 * (efitools' UpdateVars.efi is broken in Debian 12; this replaces it.)
 */
#include <efi.h>
#include <efilib.h>

#define ATTRS (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS | \
	       EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS)

static EFI_GUID image_security_db = { 0xd719b2cb, 0x3d3a, 0x4596, { 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f } };
static EFI_GUID global_var = EFI_GLOBAL_VARIABLE;

static EFI_STATUS enrol(EFI_FILE_HANDLE root, CHAR16 *file, CHAR16 *var, EFI_GUID *guid)
{
	EFI_FILE_HANDLE fh;
	EFI_STATUS st = uefi_call_wrapper(root->Open, 5, root, &fh, file, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st)) {
		Print(L"enroll: %s: cannot open (%r)\r\n", file, st);
		return st;
	}
	EFI_FILE_INFO *info = LibFileInfo(fh);
	UINTN size = info ? info->FileSize : 0;
	void *buf = size ? AllocatePool(size) : NULL;
	if (!buf) {
		Print(L"enroll: %s: no memory\r\n", file);
		return EFI_OUT_OF_RESOURCES;
	}
	st = uefi_call_wrapper(fh->Read, 3, fh, &size, buf);
	uefi_call_wrapper(fh->Close, 1, fh);
	if (!EFI_ERROR(st))
		st = uefi_call_wrapper(RT->SetVariable, 5, var, guid, ATTRS, size, buf);
	Print(L"enroll: %s from %s (%u bytes): %r\r\n", var, file, size, st);
	FreePool(buf);
	return st;
}

static UINT8 read_u8(CHAR16 *var)
{
	UINT8 v = 0xff;
	UINTN n = 1;
	uefi_call_wrapper(RT->GetVariable, 5, var, &global_var, NULL, &n, &v);
	return v;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	InitializeLib(image, systab);
	EFI_LOADED_IMAGE *li = NULL;
	uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	EFI_FILE_HANDLE root = li ? LibOpenRoot(li->DeviceHandle) : NULL;
	if (!root) {
		Print(L"enroll: cannot open the ESP\r\n");
	} else if (!EFI_ERROR(enrol(root, L"\\keys\\db.auth", L"db", &image_security_db)) &&
		   !EFI_ERROR(enrol(root, L"\\keys\\KEK.auth", L"KEK", &global_var))) {
		enrol(root, L"\\keys\\PK.auth", L"PK", &global_var);
	}
	Print(L"enroll: SecureBoot=%d SetupMode=%d\r\n", read_u8(L"SecureBoot"), read_u8(L"SetupMode"));
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS, 0, NULL);
	return EFI_SUCCESS;
}
