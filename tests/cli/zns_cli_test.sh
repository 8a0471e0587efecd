#!/usr/bin/env bash
# zns_cli_test.sh — `zquic zns` as a registry operator meets it: keys from `zquic crypto keygen`,
# two signed entries that verify, the signed message rebuilt by hand from docs/ZNS.md (sort +
# BLAKE3 + `zquic crypto verify`), a hand-tampered file naming the broken entry, updates that keep
# or replace records, another key refused, removal, bad input, --help.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"

cd "$WORK"

# --- help and usage ---
expect_exit 0 "zns --help" "$ZQUIC" zns --help
grep -q "usage: zquic zns" "$WORK/out" || fail "zns --help has no usage line"
for sub in sign verify; do
  expect_exit 0 "zns $sub --help" "$ZQUIC" zns "$sub" --help
  grep -q "usage: zquic zns $sub" "$WORK/out" || fail "zns $sub --help has no usage line"
done
grep -q "zns" <<<"$("$ZQUIC" --help)" || fail "zquic --help does not list zns"
expect_exit 2 "zns without subcommand" "$ZQUIC" zns
expect_exit 2 "unknown subcommand" "$ZQUIC" zns frobnicate
expect_exit 2 "verify without --registry" "$ZQUIC" zns verify
pass "help and usage errors"

# --- keys, two entries, verify ---
"$ZQUIC" crypto keygen --alg ed25519 --out alice >/dev/null
"$ZQUIC" crypto keygen --alg ed25519 --out bob >/dev/null
expect_exit 0 "sign alice.zns" "$ZQUIC" zns sign --key alice.key --registry reg.json \
  --domain Alice.ZNS. --record "A 300 192.0.2.1" --record "AAAA 300 2001:DB8:0::1" \
  --record "TXT 60 hello world" --record "mx 300 10 Mail.Example.com."
expect_exit 0 "sign bob.ghost" "$ZQUIC" zns sign --key bob.key --registry reg.json \
  --domain bob.ghost --record "CNAME 120 alice.zns" --expires-in 30
[ "$(stat -c %a reg.json)" = 644 ] || fail "registry is not mode 0644"
ls reg.json.tmp.* >/dev/null 2>&1 && fail "a temp file was left behind"
expect_exit 0 "verify two entries" "$ZQUIC" zns verify --registry reg.json
grep -q "^OK alice.zns " out || fail "alice.zns not OK: $(cat out)"
grep -q "^OK bob.ghost " out || fail "bob.ghost not OK: $(cat out)"
# Values are stored canonical: what was signed is what the resolver serves.
grep -q '"value": "2001:db8::1"' reg.json || fail "AAAA not canonical in the file"
grep -q '"value": "10 mail.example.com"' reg.json || fail "MX not canonical in the file"
grep -q '"domain": "alice.zns"' reg.json || fail "domain not canonical in the file"
pass "sign and verify"

# --- the signed message, rebuilt from docs/ZNS.md ---
field() { # DOMAIN KEY: a scalar of the entry, by python (no jq needed)
  python3 -c 'import json,sys; e=[e for e in json.load(open("reg.json"))["entries"] if e["domain"]==sys.argv[1]][0]; print(e[sys.argv[2]])' "$1" "$2"
}
python3 -c 'import json; e=[e for e in json.load(open("reg.json"))["entries"] if e["domain"]=="alice.zns"][0]
print("".join("%s\t%d\t%s\n" % (r["type"], r["ttl"], r["value"]) for r in e["records"]), end="")' |
  LC_ALL=C sort >canonical
digest=$("$ZQUIC" crypto hash --alg blake3 canonical | cut -d' ' -f1)
printf '%s|%s|%s|%s|%s' alice.zns "$(cat alice.pub)" "$digest" "$(field alice.zns last_updated)" \
  "$(field alice.zns expiry)" >message
field alice.zns signature >sig
expect_exit 0 "signature over the documented message" \
  "$ZQUIC" crypto verify --alg ed25519 --key alice.pub --sig sig message
# The example file of docs/ZNS.md is valid (its test key: 32 bytes 0x11).
expect_exit 0 "docs example verifies" "$ZQUIC" zns verify --registry "$here/data/zns-example.json"
grep -q "2 served, 0 rejected" out || fail "docs example: $(cat out)"
printf '11%.0s' {1..32} >example.key
expect_exit 0 "sign with the docs' test key" "$ZQUIC" zns sign --key example.key \
  --registry example.json --domain alice.zns --record "A 300 192.0.2.10" --expiry 4102444800
grep -q '"owner": "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737"' example.json ||
  fail "the docs' test key is not the example's owner"
pass "signed message matches docs/ZNS.md"

# --- tampering by hand ---
cp reg.json good.json
sed -i 's/192\.0\.2\.1/192.0.2.66/' reg.json
expect_exit 1 "verify a tampered record" "$ZQUIC" zns verify --registry reg.json
grep -q "^REJECTED alice.zns: bad signature" out || fail "tampered entry not named: $(cat out)"
grep -q "^OK bob.ghost " out || fail "untouched entry not OK after tampering"
cp good.json reg.json
exp=$(field bob.ghost expiry)
sed -i "s/\"expiry\": $exp/\"expiry\": $((exp + 86400 * 365))/" reg.json
expect_exit 1 "verify an extended expiry" "$ZQUIC" zns verify --registry reg.json
grep -q "^REJECTED bob.ghost: bad signature" out || fail "extended expiry not rejected: $(cat out)"
cp good.json reg.json
# Expiry as seen at a later time: bob.ghost lapses after 30 days.
expect_exit 1 "verify in 31 days" "$ZQUIC" zns verify --registry reg.json \
  --at $(($(date +%s) + 31 * 86400))
grep -q "^REJECTED bob.ghost: expired" out || fail "expired entry not rejected: $(cat out)"
printf '{"zns_registry": 1,\n "entries": [\n  {,\n]}\n' >broken.json
expect_exit 2 "verify a broken file" "$ZQUIC" zns verify --registry broken.json
grep -q "broken.json:3:" err || fail "no FILE:LINE in: $(cat err)"
expect_exit 2 "verify a missing file" "$ZQUIC" zns verify --registry missing.json
pass "tampering, expiry and broken files"

# --- updates ---
before=$(field alice.zns last_updated)
expect_exit 0 "update alice.zns records" "$ZQUIC" zns sign --key alice.key --registry reg.json \
  --domain alice.zns --record "A 60 192.0.2.7"
[ "$(field alice.zns last_updated)" -gt "$before" ] || fail "last_updated not bumped"
grep -q "192.0.2.7" reg.json || fail "new record missing"
grep -q "192.0.2.1\"" reg.json && fail "old record kept after --record"
[ "$(grep -c '"domain": "alice.zns"' reg.json)" = 1 ] || fail "update duplicated the entry"
expect_exit 0 "renew keeps records" "$ZQUIC" zns sign --key alice.key --registry reg.json \
  --domain alice.zns --expires-in 90
grep -q "192.0.2.7" reg.json || fail "renewal lost the records"
expect_exit 0 "verify after updates" "$ZQUIC" zns verify --registry reg.json
cp reg.json before-bob.json
expect_exit 1 "bob cannot update alice.zns" "$ZQUIC" zns sign --key bob.key --registry reg.json \
  --domain ALICE.zns --record "A 60 203.0.113.1"
grep -q "belongs to another key" err || fail "no owner error: $(cat err)"
expect_exit 1 "bob cannot remove alice.zns" "$ZQUIC" zns sign --key bob.key --registry reg.json \
  --domain alice.zns --remove
cmp -s reg.json before-bob.json || fail "a refused update changed the file"
expect_exit 0 "bob removes bob.ghost" "$ZQUIC" zns sign --key bob.key --registry reg.json \
  --domain bob.ghost --remove
grep -q "bob.ghost" reg.json && fail "bob.ghost still in the file"
expect_exit 1 "remove twice" "$ZQUIC" zns sign --key bob.key --registry reg.json \
  --domain bob.ghost --remove
expect_exit 0 "verify after removal" "$ZQUIC" zns verify --registry reg.json
grep -q "1 served, 0 rejected" out || fail "unexpected summary: $(cat out)"
pass "updates, owners and removal"

# --- bad input (exit 2, file untouched) ---
cp reg.json before-bad.json
bad() { # DESCRIPTION ARGS...
  local what=$1; shift
  expect_exit 2 "$what" "$ZQUIC" zns sign --registry reg.json "$@"
  cmp -s reg.json before-bad.json || fail "$what changed the file"
}
bad "bad A" --key alice.key --domain c.zns --record "A 60 1.2.3"
bad "bad type" --key alice.key --domain c.zns --record "SRV 60 x"
bad "bad ttl" --key alice.key --domain c.zns --record "A 604801 1.2.3.4"
bad "record without value" --key alice.key --domain c.zns --record "A 60"
bad "CNAME with more" --key alice.key --domain c.zns --record "CNAME 60 x.zns" --record "A 60 1.2.3.4"
bad "domain outside" --key alice.key --domain c.com --record "A 60 1.2.3.4"
bad "bad domain" --key alice.key --domain "c d.zns" --record "A 60 1.2.3.4"
bad "new entry without records" --key alice.key --domain c.zns
bad "expiry in the past" --key alice.key --domain c.zns --record "A 60 1.2.3.4" --expiry 1000
bad "both expiries" --key alice.key --domain c.zns --record "A 60 1.2.3.4" --expiry 9999999999 --expires-in 3
bad "public key as --key" --key alice.pub --domain c.zns --record "A 60 1.2.3.4"
bad "missing key" --key nope.key --domain c.zns --record "A 60 1.2.3.4"
echo "not hex" >junk.key
bad "junk key" --key junk.key --domain c.zns --record "A 60 1.2.3.4"
bad "remove with records" --key alice.key --domain alice.zns --remove --record "A 60 1.2.3.4"
expect_exit 2 "sign into a broken registry" "$ZQUIC" zns sign --key alice.key \
  --registry broken.json --domain c.zns --record "A 60 1.2.3.4"
grep -q '{,' broken.json || fail "a broken registry was overwritten"
pass "bad input"

echo "zns_cli_test: all passed"
