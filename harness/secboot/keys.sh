#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Test keys for Secure Boot, made at build time and never committed
# (docs/boot.md): PK, KEK and db (the project's chain) and "other" (a key
# no firmware trusts), as openssl X.509 pairs, with the signed EFI
# signature-list updates enroll.efi writes (PK signs PK and KEK, KEK signs
# db; efitools' cert-to-efi-sig-list and sign-efi-sig-list).
#   keys.sh OUTDIR
set -eu
out=$1
mkdir -p "$out"
cd "$out"
owner=4e9c1b7a-7d0c-4c38-9a77-7465726e0001   # the signature owner GUID: Tern's
for k in PK KEK db other; do
	[ -f $k.key ] || openssl req -new -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-subj "/CN=Tern test $k/" -keyout $k.key -out $k.crt >/dev/null 2>&1
	cert-to-efi-sig-list -g $owner $k.crt $k.esl >/dev/null
done
sign-efi-sig-list -g $owner -k PK.key -c PK.crt PK PK.esl PK.auth >/dev/null
sign-efi-sig-list -g $owner -k PK.key -c PK.crt KEK KEK.esl KEK.auth >/dev/null
sign-efi-sig-list -g $owner -k KEK.key -c KEK.crt db db.esl db.auth >/dev/null
