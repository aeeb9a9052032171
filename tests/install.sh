#!/usr/bin/env bash
# tests/install.sh - make install into a temporary prefix (with DESTDIR),
# build examples/embed.c and examples/plugin.c against it with only `pkg-config --cflags --libs
# sluice`, run it on the installed libsluice.so.0, then make uninstall and
# check that nothing is left. Run by `make install-test` (make test).
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
tmp=$(mktemp -d /tmp/sluice-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=/opt/sluice-test
root=$tmp/root
fail() {
	echo "install-test: FAIL: $*" >&2
	exit 1
}

make --no-print-directory -s install B="$B" DESTDIR="$root" \
	PREFIX="$prefix" > "$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "make install"; }
lib=$root$prefix/lib
for f in include/sluice.h include/sluice_plugin.h lib/libsluice.a lib/libsluice.so.0 lib/libsluice.so \
	lib/pkgconfig/sluice.pc bin/sluice share/doc/sluice/ARCHITECTURE.md; do
	[ -e "$root$prefix/$f" ] || fail "$f was not installed"
done
soname=$(objdump -p "$lib/libsluice.so" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = libsluice.so.0 ] || fail "SONAME is '$soname', not libsluice.so.0"

# The .pc names the prefix it was made for; DESTDIR moves it, so point
# pkg-config at the staged tree as a packager's build would.
export PKG_CONFIG_PATH=$lib/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$root
flags=$(pkg-config --cflags --libs sluice) || fail "pkg-config sluice"
version=$(pkg-config --modversion sluice)
want=$(sed -n 's/^#define SLUICE_VERSION "\(.*\)"/\1/p' include/sluice.h)
[ "$version" = "$want" ] || fail "sluice.pc says version $version, the header $want"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -o "$tmp/embed" examples/embed.c $flags ||
	fail "examples/embed.c does not build with: $flags"
LD_LIBRARY_PATH=$lib "$tmp/embed" > "$tmp/embed.out" 2>&1 ||
	{ cat "$tmp/embed.out" >&2; fail "the installed embed example failed"; }
LD_LIBRARY_PATH=$lib ldd "$tmp/embed" | grep -q "libsluice.so.0 => $lib/libsluice.so.0" ||
	fail "embed did not run on the installed libsluice.so.0"
# The plugin header is installed beside it: examples/plugin.c builds too.
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -o "$tmp/plugin" examples/plugin.c $flags ||
	fail "examples/plugin.c does not build with: $flags"
LD_LIBRARY_PATH=$lib "$tmp/plugin" > "$tmp/plugin.out" 2>&1 ||
	{ cat "$tmp/plugin.out" >&2; fail "the installed plugin example failed"; }
# and the file-format plugin example (its own format read and written)
cc -std=c11 -Wall -Werror -o "$tmp/format_plugin" examples/format_plugin.c $flags ||
	fail "examples/format_plugin.c does not build with: $flags"
LD_LIBRARY_PATH=$lib "$tmp/format_plugin" > "$tmp/format_plugin.out" 2>&1 ||
	{ cat "$tmp/format_plugin.out" >&2; fail "the installed format plugin example failed"; }

make --no-print-directory -s uninstall B="$B" DESTDIR="$root" \
	PREFIX="$prefix" > "$tmp/uninstall.log" 2>&1 || fail "make uninstall"
left=$(find "$root" -type f -o -type l)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "install-test: installed, built examples/embed.c, plugin.c and format_plugin.c with '$flags', ran it, uninstalled"
