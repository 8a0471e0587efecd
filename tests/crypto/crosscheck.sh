#!/usr/bin/env bash
# crosscheck.sh — ZCrypto against programs nobody on this team wrote, on random inputs:
#   BLAKE3      b3sum 1.8.1 (Debian trixie, unpacked into the build directory by
#               ../shared/tools/fetch-deb.sh when missing), on every SIMD path, default and
#               131-byte extended output, files around chunk and batch boundaries and stdin
#   SHA-256/512 sha256sum, sha512sum (coreutils)
#   SHA3-256    openssl dgst -sha3-256
#   BLAKE2b-256 Python's hashlib (the BLAKE2 reference code)
#   Ed25519     openssl pkeyutl: it verifies our signatures, signs with our seed, and we agree
#   secp256k1   openssl dgst -sha256 -verify checks our DER signatures
# Prints SKIPPED (exit 77) only when no b3sum can be had at all (no apt lists, no network).
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
: "${ZQUIC_BUILD_DIR:?}" "${ZQUIC_SOURCE_DIR:?}"
shared=${ZQUIC_SHARED:-$ZQUIC_SOURCE_DIR/../shared}

# --- files: empty, around the 1 KiB chunk and 64 KiB batch boundaries, and larger ---
cd "$WORK"
sizes="0 1 63 64 65 1023 1024 1025 2048 4097 65535 65536 65537 131073 1048577 5255555"
for n in $sizes; do make_file "f$n" "$n"; done
files=$(for n in $sizes; do printf 'f%s ' "$n"; done)

# --- BLAKE3 vs b3sum ---
b3sum=$ZQUIC_BUILD_DIR/b3sum-deb/usr/bin/b3sum
if [ ! -x "$b3sum" ]; then
  if ! sh "$shared/tools/fetch-deb.sh" trixie b3sum "$ZQUIC_BUILD_DIR/b3sum-deb" >"$WORK/fetch.log" 2>&1; then
    cat "$WORK/fetch.log" >&2
    if command -v b3sum >/dev/null; then
      b3sum=$(command -v b3sum) # bookworm's 1.2.0: older, still independent
    else
      skip "b3sum could not be fetched (see above) and none is installed"
    fi
  fi
fi
"$b3sum" --version
for path in portable sse41 avx2 avx512; do
  # shellcheck disable=SC2086
  ZQUIC_BLAKE3_PATH=$path "$ZQUIC" crypto hash --alg blake3 $files >"ours.$path"
  # shellcheck disable=SC2086
  "$b3sum" --num-threads 1 $files >theirs
  diff theirs "ours.$path" || fail "BLAKE3 ($path) differs from b3sum"
  # shellcheck disable=SC2086
  ZQUIC_BLAKE3_PATH=$path "$ZQUIC" crypto hash --alg blake3 --length 131 $files >"ours.$path"
  # shellcheck disable=SC2086
  "$b3sum" --length 131 $files >theirs
  diff theirs "ours.$path" || fail "BLAKE3 ($path) extended output differs from b3sum"
done
[ "$(ZQUIC_BLAKE3_PATH=avx2 "$ZQUIC" crypto hash - <f1048577)" = "$("$b3sum" - <f1048577)" ] ||
  fail "BLAKE3 of stdin differs from b3sum"
pass "BLAKE3 = b3sum on $(echo $sizes | wc -w) files, 4 paths, 32 and 131 bytes, stdin"

# --- SHA-2, SHA-3, BLAKE2b ---
# shellcheck disable=SC2086
"$ZQUIC" crypto hash --alg sha256 $files >ours
# shellcheck disable=SC2086
sha256sum $files >theirs
diff theirs ours || fail "SHA-256 differs from sha256sum"
# shellcheck disable=SC2086
"$ZQUIC" crypto hash --alg sha512 $files >ours
# shellcheck disable=SC2086
sha512sum $files >theirs
diff theirs ours || fail "SHA-512 differs from sha512sum"
for f in $files; do
  want=$(openssl dgst -sha3-256 -r "$f" | cut -d' ' -f1)
  got=$("$ZQUIC" crypto hash --alg sha3-256 "$f" | cut -d' ' -f1)
  [ "$want" = "$got" ] || fail "SHA3-256 of $f: openssl $want, zquic $got"
  want=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b(open(sys.argv[1],"rb").read(), digest_size=32).hexdigest())' "$f")
  got=$("$ZQUIC" crypto hash --alg blake2b-256 "$f" | cut -d' ' -f1)
  [ "$want" = "$got" ] || fail "BLAKE2b-256 of $f: python $want, zquic $got"
done
pass "SHA-256, SHA-512 (coreutils), SHA3-256 (openssl), BLAKE2b-256 (python)"

# --- Ed25519 with openssl ---
unhex() { xxd -r -p; }
for i in 1 2 3; do
  "$ZQUIC" crypto keygen --alg ed25519 --out "ed$i" >/dev/null
  msg=f$(echo $sizes | cut -d' ' -f$((i * 4)))
  "$ZQUIC" crypto sign --alg ed25519 --key "ed$i.key" "$msg" | unhex >"ed$i.sig"
  # SubjectPublicKeyInfo and PKCS#8 wrappers around the raw keys (RFC 8410).
  { printf '302a300506032b6570032100'; cat "ed$i.pub"; } | unhex >"ed$i.pub.der"
  { printf '302e020100300506032b657004220420'; cat "ed$i.key"; } | unhex >"ed$i.key.der"
  openssl pkeyutl -verify -pubin -inkey "ed$i.pub.der" -keyform DER -rawin -in "$msg" \
    -sigfile "ed$i.sig" >/dev/null || fail "openssl rejects our Ed25519 signature $i"
  openssl pkeyutl -sign -inkey "ed$i.key.der" -keyform DER -rawin -in "$msg" -out "ed$i.ossl.sig"
  cmp -s "ed$i.sig" "ed$i.ossl.sig" || fail "openssl's Ed25519 signature with our seed differs"
  xxd -p -c 256 "ed$i.ossl.sig" >"ed$i.ossl.hex"
  "$ZQUIC" crypto verify --alg ed25519 --key "ed$i.pub" --sig "ed$i.ossl.hex" "$msg" >/dev/null ||
    fail "we reject openssl's Ed25519 signature $i"
  # A signature openssl rejects for a changed message, and so do we.
  openssl pkeyutl -verify -pubin -inkey "ed$i.pub.der" -keyform DER -rawin -in f1 \
    -sigfile "ed$i.sig" >/dev/null 2>&1 && fail "openssl accepts a signature of another message"
done
pass "Ed25519 interoperates with openssl pkeyutl"

# --- secp256k1 DER signatures with openssl ---
for i in 1 2 3; do
  "$ZQUIC" crypto keygen --alg secp256k1 --out "k$i" >/dev/null
  msg=f$(echo $sizes | cut -d' ' -f$((i * 5)))
  "$ZQUIC" crypto sign --alg secp256k1 --format der --key "k$i.key" "$msg" | unhex >"k$i.sig"
  { printf '3036301006072a8648ce3d020106052b8104000a032200'; cat "k$i.pub"; } | unhex >"k$i.pub.der"
  openssl dgst -sha256 -verify "k$i.pub.der" -keyform DER -signature "k$i.sig" "$msg" >/dev/null ||
    fail "openssl rejects our secp256k1 signature $i"
done
pass "secp256k1 DER signatures verify with openssl"
