#!/bin/sh
# Install the Debian packages Tern needs; fast when all are present.
# As root: apt-get install what is missing. Otherwise: print the line, fail.
set -u
PKGS="build-essential check libsubunit-dev pkg-config lcov gnu-efi qemu-system-x86 ovmf \
bochs bochsbios vgabios bochs-term grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools \
python3 python3-pytest clang llvm libclang-rt-14-dev valgrind nasm binutils \
sbsigntool efitools dosfstools openssl"
missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "make deps: missing Debian packages. As root, run:" >&2
	echo "  apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "make deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends $missing >/tmp/tern-deps.log 2>&1 || {
	apt-get update >>/tmp/tern-deps.log 2>&1
	apt-get install -y --no-install-recommends $missing >>/tmp/tern-deps.log 2>&1 || {
		echo "make deps: apt-get failed; see /tmp/tern-deps.log" >&2
		tail -n 20 /tmp/tern-deps.log >&2
		exit 1
	}
}
