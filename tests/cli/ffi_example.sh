#!/usr/bin/env bash
# ffi_example.sh — install zquic into a scratch prefix, compile examples/ffi_test.c against the
# installed header with pkg-config (as a user would), check the exported symbols, and run it
# against a live `zquic serve`, connecting by host name.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
: "${ZQUIC_BUILD_DIR:?}" "${ZQUIC_SOURCE_DIR:?}"
prefix=$WORK/prefix
cmake --install "$ZQUIC_BUILD_DIR" --prefix "$prefix" >/dev/null
lib=$(ls "$prefix"/lib*/libzquic.so.0 2>/dev/null || ls "$prefix"/lib/*/libzquic.so.0)
[ -f "$prefix/include/zquic.h" ] || fail "header not installed"
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$soname" = "libzquic.so.0" ] || fail "SONAME is '$soname'"
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^zquic_' | grep -v '^ZQUIC_0$' || true)
[ -z "$bad" ] || fail "symbols other than zquic_* exported: $bad"
pcdir=$(dirname "$(find "$prefix" -name zquic.pc | head -1)")
[ -f "$(dirname "$pcdir")/cmake/zquic/zquicConfig.cmake" ] || fail "CMake package config not installed"
# A sanitizer build of the library needs the sanitizer runtime in the program too.
san=""
[ "${ZQUIC_SANITIZE:-OFF}" = ON ] && san="-fsanitize=address,undefined"
PKG_CONFIG_PATH=$pcdir cc -Wall -Wextra -Werror $san "$ZQUIC_SOURCE_DIR/examples/ffi_test.c" \
  $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs zquic) -Wl,-rpath,"$(dirname "$lib")" \
  -o "$WORK/ffi_test"
# It must be the installed header that was used, not the source tree's.
# (Through a file: with pipefail, `ldd | grep -q` fails whenever grep exits before ldd's last write.)
ldd "$WORK/ffi_test" >"$WORK/ldd.out"
grep -q "$prefix" "$WORK/ldd.out" || fail "ffi_test is not linked against the installed library"
mkdir -p "$WORK/www"
echo "ffi" >"$WORK/www/index.html"
start_zquic_serve "$WORK/www"
"$WORK/ffi_test" "localhost:$ZQ_PORT" "$CERTS/ca.pem" / >"$WORK/ffi.out" 2>&1 || { cat "$WORK/ffi.out"; fail "ffi_test failed"; }
grep -q "status 200" "$WORK/ffi.out" || fail "no status 200"
grep -q "body 4 bytes" "$WORK/ffi.out" || fail "wrong body size: $(cat "$WORK/ffi.out")"
pass "ffi_test against the installed library"
