#!/usr/bin/env bash
# install-deps.sh [EXTRA-PACKAGE...]: bring a fresh Debian 12 machine to the point where zquic builds
# and its whole test suite runs. Idempotent: a second run installs nothing and changes no file.
# Extra packages are what a benchmark needs besides the suite (bench/proxy: caddy); any service
# they ship is kept from starting like nginx's.
#
# Why backports for four packages only: bookworm main ships ngtcp2 0.12, whose API predates the
# stable 1.x ABI we build on. Pulling *everything* from bookworm-backports would move Go to 1.23 and
# quic-go to 0.46 and break the Go interop peers (they need Go 1.19 + quic-go 0.29), so an apt
# preferences file pins only libngtcp2*, libnghttp3*, ngtcp2-client and ngtcp2-server there.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake pkg-config
  libngtcp2-dev libngtcp2-crypto-gnutls-dev libnghttp3-dev ngtcp2-client ngtcp2-server
  libgnutls28-dev gnutls-bin nettle-dev libuv1-dev libsodium-dev libsecp256k1-dev
  libldns-dev libjansson-dev libconfig-dev libcurl4-gnutls-dev libhttp-parser-dev zlib1g-dev
  libprotobuf-c-dev protobuf-c-compiler
  protobuf-compiler # protoc: an independent encoder/decoder for the GhostChain messages (tests)
  libcmocka-dev valgrind clang clang-tidy libclang-rt-14-dev time
  golang-go golang-github-lucas-clemente-quic-go-dev golang-github-miekg-dns-dev
  xxd openssl python3 iproute2
  nsd # an authoritative DNS server: the upstream the forwarding tests run on loopback
  nginx-light # a real HTTP/1.1 backend for Wraith's upstream pool tests, run on loopback by them
  rustc cargo
)
PACKAGES+=("$@")

# The mirror the machine's own sources already use: never write a host into the project.
find_mirror() {
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
      awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}')
  if [ -z "$m" ]; then
    m=$(cat /etc/apt/sources.list 2>/dev/null | awk '$1 == "deb" && $2 ~ /debian\/?$/ {print $2; exit}')
  fi
  printf '%s' "$m"
}

changed=0
backports_list=/etc/apt/sources.list.d/zquic-bookworm-backports.list
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  mirror=$(find_mirror)
  if [ -z "$mirror" ]; then
    echo "install-deps: no Debian mirror found in /etc/apt/sources.list(.d)" >&2
    exit 2
  fi
  echo "deb $mirror bookworm-backports main" | $SUDO tee "$backports_list" >/dev/null
  changed=1
fi

pin=/etc/apt/preferences.d/zquic-backports-pin
want_pin='Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100

Package: libngtcp2* libnghttp3* ngtcp2-client ngtcp2-server
Pin: release n=bookworm-backports
Pin-Priority: 990
'
if [ "$(cat "$pin" 2>/dev/null)" != "$(printf '%s' "$want_pin")" ]; then
  printf '%s' "$want_pin" | $SUDO tee "$pin" >/dev/null
  changed=1
fi

# Node.js and npm run the ENS test chain (tests/interop/ens.sh: ganache and the ENS contracts from
# the npm registry). A machine that already has them (any packaging) keeps its own.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# An old ngtcp2 (0.12 from bookworm main) counts as missing: we need the 1.x API.
if dpkg-query -W -f='${Version}' libngtcp2-dev 2>/dev/null | grep -q '^0\.'; then
  missing+=(libngtcp2-dev)
fi

if [ "${#missing[@]}" -gt 0 ] || [ "$changed" = 1 ]; then
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >/dev/null
    # Packages with a service (nginx on port 80, nsd on 53, caddy on 80/443) must not start it: the tests run
    # their own instances on loopback ports. A policy-rc.d denying starts does that on any init;
    # one the machine already has (containers ship one) is left as it is.
    policy=/usr/sbin/policy-rc.d
    own_policy=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\n# install-deps.sh: no service starts during the install\nexit 101\n' |
        $SUDO tee "$policy" >/dev/null
      $SUDO chmod 755 "$policy"
      own_policy=1
    fi
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    if [ "$own_policy" = 1 ]; then $SUDO rm -f "$policy"; fi
    # On systemd the unit is still enabled for the next boot: disable it (and stop it, in case).
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      for unit in nginx nsd caddy; do
        $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
      done
    fi
  fi
fi

ver=$(pkg-config --modversion libngtcp2 2>/dev/null || echo none)
case "$ver" in
  1.*) ;;
  *) echo "install-deps: libngtcp2 1.x expected, found $ver" >&2; exit 2 ;;
esac
echo "install-deps: ready (ngtcp2 $ver, nghttp3 $(pkg-config --modversion libnghttp3))" >&2
