#!/usr/bin/env bash
# gen-certs.sh DIR — test PKI made with GnuTLS certtool (independent of zquic's own `cert gen`):
#   ca.pem/ca.key              a test CA
#   server.pem/server.key      signed by it; SANs localhost, 127.0.0.1, ::1
#   other-ca.pem               an unrelated CA (the "wrong CA" case)
#   wronghost.pem/.key         signed by ca, SAN only wrong.example
#   expired.pem/.key           signed by ca, valid for localhost but expired yesterday
# Idempotent: does nothing when DIR/stamp exists.
set -euo pipefail
dir=${1:?usage: gen-certs.sh DIR}
mkdir -p "$dir"
[ -f "$dir/stamp" ] && exit 0
cd "$dir"
tmpl() { printf '%s\n' "$@" > t.cfg; }
key() { certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$1" 2>/dev/null; }

key ca.key
tmpl 'cn = "zquic test CA"' 'ca' 'cert_signing_key' 'expiration_days = 3650'
certtool --generate-self-signed --load-privkey ca.key --template t.cfg --outfile ca.pem 2>/dev/null

key other-ca.key
tmpl 'cn = "unrelated CA"' 'ca' 'cert_signing_key' 'expiration_days = 3650'
certtool --generate-self-signed --load-privkey other-ca.key --template t.cfg --outfile other-ca.pem 2>/dev/null

leaf() { # name template-lines...
  local name=$1; shift
  key "$name.key"
  tmpl "$@" 'tls_www_server' 'signing_key' 'encryption_key'
  certtool --generate-certificate --load-privkey "$name.key" --load-ca-certificate ca.pem \
    --load-ca-privkey ca.key --template t.cfg --outfile "$name.pem" 2>/dev/null
}
leaf server 'cn = "localhost"' 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
  'ip_address = "::1"' 'expiration_days = 3650'
leaf wronghost 'cn = "wrong.example"' 'dns_name = "wrong.example"' 'expiration_days = 3650'
leaf expired 'cn = "localhost"' 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
  "activation_date = \"$(date -u -d '-10 days' '+%Y-%m-%d %H:%M:%S')\"" \
  "expiration_date = \"$(date -u -d '-1 day' '+%Y-%m-%d %H:%M:%S')\""
# A chain file for servers: leaf then CA (what gtlsserver and quic-go expect as "cert").
cat server.pem ca.pem > server-chain.pem
rm -f t.cfg
touch stamp
