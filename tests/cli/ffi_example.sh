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
# (ldd's output is captured first: grep -q exiting early would SIGPIPE ldd under pipefail)
linked=$(ldd "$WORK/ffi_test")
grep -q "$prefix" <<<"$linked" || fail "ffi_test is not linked against the installed library"
mkdir -p "$WORK/www"
echo "ffi" >"$WORK/www/index.html"
start_zquic_serve "$WORK/www"
"$WORK/ffi_test" "localhost:$ZQ_PORT" "$CERTS/ca.pem" / >"$WORK/ffi.out" 2>&1 || { cat "$WORK/ffi.out"; fail "ffi_test failed"; }
grep -q "status 200" "$WORK/ffi.out" || fail "no status 200"
grep -q "body 4 bytes" "$WORK/ffi.out" || fail "wrong body size: $(cat "$WORK/ffi.out")"
pass "ffi_test against the installed library"

# The CMake package: a consumer project finds zquic with find_package and links zquic::zquic.
mkdir -p "$WORK/consumer"
cat >"$WORK/consumer/CMakeLists.txt" <<CMK
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(zquic 0.1 REQUIRED)
add_executable(ffi_test $ZQUIC_SOURCE_DIR/examples/ffi_test.c)
target_link_libraries(ffi_test PRIVATE zquic::zquic)
CMK
cmake -S "$WORK/consumer" -B "$WORK/consumer/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_FLAGS="$san" >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log"; fail "find_package(zquic)"; }
cmake --build "$WORK/consumer/build" >>"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log"; fail "consumer build"; }
LD_LIBRARY_PATH=$(dirname "$lib") "$WORK/consumer/build/ffi_test" "localhost:$ZQ_PORT" "$CERTS/ca.pem" / \
  >"$WORK/ffi2.out" 2>&1 || { cat "$WORK/ffi2.out"; fail "CMake-built ffi_test failed"; }
pass "find_package(zquic) consumer"
