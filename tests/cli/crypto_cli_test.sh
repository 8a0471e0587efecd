#!/usr/bin/env bash
# crypto_cli_test.sh — `zquic crypto` as a user meets it: --help on every subcommand, key files
# (hex, secret mode 0600, no silent overwrite), sign/verify round trips for every algorithm and
# signature format, tampering (exit 1), malformed input (exit 2), X25519 agreement between two
# key pairs, the Ethereum address of a known key, and hashing files and stdin.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"


# --- help and usage ---
expect_exit 0 "crypto --help" "$ZQUIC" crypto --help
for sub in keygen sign verify hash x25519 address; do
  expect_exit 0 "crypto $sub --help" "$ZQUIC" crypto "$sub" --help
  grep -q "usage: zquic crypto $sub" "$WORK/out" || fail "crypto $sub --help has no usage line"
done
grep -q "crypto" <<<"$("$ZQUIC" --help)" || fail "zquic --help does not list crypto"
expect_exit 2 "crypto without subcommand" "$ZQUIC" crypto
expect_exit 2 "unknown subcommand" "$ZQUIC" crypto frobnicate
expect_exit 2 "keygen without --out" "$ZQUIC" crypto keygen --alg ed25519
expect_exit 2 "keygen with unknown alg" "$ZQUIC" crypto keygen --alg rsa --out "$WORK/x"
expect_exit 2 "sign with x25519" "$ZQUIC" crypto sign --alg x25519 --key "$WORK/x" "$WORK/x"
expect_exit 2 "hash with unknown alg" "$ZQUIC" crypto hash --alg md5
expect_exit 2 "--length with sha256" "$ZQUIC" crypto hash --alg sha256 --length 64
pass "help and usage errors"

# --- keygen: files and modes ---
cd "$WORK"
for alg in ed25519 secp256k1 x25519; do
  expect_exit 0 "keygen $alg" "$ZQUIC" crypto keygen --alg "$alg" --out "$alg"
  [ "$(stat -c %a "$alg.key")" = 600 ] || fail "$alg.key is not mode 0600"
  grep -Eqx '[0-9a-f]{64}' "$alg.key" || fail "$alg.key is not 32 bytes of hex"
done
grep -Eqx '[0-9a-f]{64}' ed25519.pub || fail "ed25519.pub is not 32 bytes of hex"
grep -Eqx '0[23][0-9a-f]{64}' secp256k1.pub || fail "secp256k1.pub is not a compressed point"
cp ed25519.key ed25519.key.orig
expect_exit 1 "keygen over an existing key" "$ZQUIC" crypto keygen --alg ed25519 --out ed25519
cmp -s ed25519.key ed25519.key.orig || fail "keygen overwrote a key without --force"
expect_exit 0 "keygen --force" "$ZQUIC" crypto keygen --alg ed25519 --out ed25519 --force
cmp -s ed25519.key ed25519.key.orig && fail "keygen --force did not write a new key"
pass "keygen files"

# --- sign / verify / tamper ---
head -c 100000 /dev/urandom >msg
cp msg tampered
printf '\x01' | dd of=tampered bs=1 seek=5000 conv=notrunc 2>/dev/null
cmp -s msg tampered && printf '\x02' | dd of=tampered bs=1 seek=5000 conv=notrunc 2>/dev/null
round_trip() { # ALG [FORMAT]
  local alg=$1 fmt=${2:-} sig=$WORK/$1${2:+.$2}.sig
  "$ZQUIC" crypto sign --alg "$alg" --key "$alg.key" ${fmt:+--format "$fmt"} msg >"$sig" ||
    fail "sign $alg $fmt"
  expect_exit 0 "verify $alg $fmt" "$ZQUIC" crypto verify --alg "$alg" --key "$alg.pub" --sig "$sig" msg
  grep -q "signature OK" "$WORK/out" || fail "verify $alg $fmt printed no OK"
  expect_exit 1 "verify $alg $fmt of a tampered file" \
    "$ZQUIC" crypto verify --alg "$alg" --key "$alg.pub" --sig "$sig" tampered
  # A flipped hex digit in the signature.
  local hex digit
  hex=$(tr -d '\n' <"$sig")
  digit=0
  [ "${hex:20:1}" = 0 ] && digit=1
  echo "${hex:0:20}$digit${hex:21}" >"$sig.bad"
  cmp -s "$sig" "$sig.bad" && fail "test bug: signature not changed"
  expect_exit 1 "verify $alg $fmt with a changed signature" \
    "$ZQUIC" crypto verify --alg "$alg" --key "$alg.pub" --sig "$sig.bad" msg
}
round_trip ed25519
round_trip secp256k1
round_trip secp256k1 compact
round_trip secp256k1 der
round_trip secp256k1 recoverable
[ "$(tr -d '\n' <ed25519.sig | wc -c)" = 128 ] || fail "Ed25519 signature is not 64 bytes"
[ "$(tr -d '\n' <secp256k1.sig | wc -c)" = 128 ] || fail "secp256k1 default signature is not compact"
[ "$(tr -d '\n' <secp256k1.recoverable.sig | wc -c)" = 130 ] || fail "recoverable is not 65 bytes"
# Deterministic signatures: signing twice gives the same bytes.
"$ZQUIC" crypto sign --alg ed25519 --key ed25519.key msg | cmp -s - ed25519.sig || fail "Ed25519 not deterministic"
"$ZQUIC" crypto sign --alg secp256k1 --key secp256k1.key msg | cmp -s - secp256k1.sig || fail "RFC 6979 not deterministic"
# Stdin as the message.
"$ZQUIC" crypto sign --alg ed25519 --key ed25519.key - <msg | cmp -s - ed25519.sig || fail "sign from stdin"
# The other key pair's public key does not verify.
"$ZQUIC" crypto keygen --alg ed25519 --out other >/dev/null
expect_exit 1 "verify with another key" "$ZQUIC" crypto verify --alg ed25519 --key other.pub --sig ed25519.sig msg
pass "sign, verify, tamper"

# --- bad input: exit 2 ---
echo "not hex at all" >bad.key
expect_exit 2 "sign with a bad hex key" "$ZQUIC" crypto sign --alg ed25519 --key bad.key msg
grep -q "not hex" "$WORK/err" || fail "bad hex key message: $(cat "$WORK/err")"
echo "00112233" >short.key
expect_exit 2 "sign with a short key" "$ZQUIC" crypto sign --alg secp256k1 --key short.key msg
printf '%064d\n' 0 >zero.key
expect_exit 2 "sign with the zero secp256k1 scalar" "$ZQUIC" crypto sign --alg secp256k1 --key zero.key msg
expect_exit 2 "verify with a bad hex public key" "$ZQUIC" crypto verify --alg ed25519 --key bad.key --sig ed25519.sig msg
# An off-curve secp256k1 point: x = 5 has no y on the curve.
printf '02%064x\n' 5 >offcurve.pub
expect_exit 2 "verify with an off-curve key" "$ZQUIC" crypto verify --alg secp256k1 --key offcurve.pub --sig secp256k1.sig msg
expect_exit 2 "verify with a bad signature file" "$ZQUIC" crypto verify --alg ed25519 --key ed25519.pub --sig bad.key msg
expect_exit 2 "verify a missing file" "$ZQUIC" crypto verify --alg ed25519 --key ed25519.pub --sig ed25519.sig nope
expect_exit 2 "sign with a missing key file" "$ZQUIC" crypto sign --alg ed25519 --key nope.key msg
expect_exit 2 "address of garbage" "$ZQUIC" crypto address zz
pass "bad input"

# --- x25519 and address ---
"$ZQUIC" crypto keygen --alg x25519 --out peer >/dev/null
ab=$("$ZQUIC" crypto x25519 --key x25519.key --peer "$(cat peer.pub)")
ba=$("$ZQUIC" crypto x25519 --key peer.key --peer "$(cat x25519.pub)")
[ "$ab" = "$ba" ] && [ ${#ab} = 64 ] || fail "X25519 shared secrets differ: $ab / $ba"
expect_exit 2 "x25519 with the zero point" "$ZQUIC" crypto x25519 --key x25519.key --peer "$(printf '%064d' 0)"
addr=$("$ZQUIC" crypto address 0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)
[ "$addr" = 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf ] || fail "address of private key 1: $addr"
pass "x25519 and address"

# --- hash ---
printf abc >abc
line=$("$ZQUIC" crypto hash --alg sha256 abc)
[ "$line" = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  abc" ] || fail "sha256 line: $line"
line=$(printf abc | "$ZQUIC" crypto hash --alg keccak256)
[ "$line" = "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45  -" ] || fail "keccak256 stdin: $line"
line=$("$ZQUIC" crypto hash abc)
[ "${line%% *}" = 6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85 ] || fail "default blake3: $line"
[ "$("$ZQUIC" crypto hash --alg blake3 --length 100 abc | cut -c1-64)" = 6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85 ] || fail "--length prefix"
[ "$("$ZQUIC" crypto hash --alg sha512 abc msg | wc -l)" = 2 ] || fail "two files, two lines"
expect_exit 1 "hash a missing file" "$ZQUIC" crypto hash --alg sha256 abc nope
grep -q "^ba7816bf" "$WORK/out" || fail "the readable file was not hashed"
pass "hash"
