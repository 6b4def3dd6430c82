#!/usr/bin/env bash
# Makes the PKCS#12 keystore Spark's web UIs serve HTTPS from, out of the PEM certificate
# chain and key that cloud-init wrote. The keystore's password is the library's fixed, public
# one (see SECURITY.md): the file's mode (0600, the Spark user's) is what protects the key.
# Each run replaces the keystore; a failed run leaves the old one in place.
#   make-ui-keystore <cert.pem> <key.pem> <keystore.p12> <password> [owner]
set -euo pipefail
[ $# -ge 4 ] || {
  echo "usage: make-ui-keystore <cert.pem> <key.pem> <keystore.p12> <password> [owner]" >&2
  exit 2
}
cert=$1 key=$2 keystore=$3 password=$4 owner=${5:-spark:spark}
fail() {
  echo "make-ui-keystore: $*" >&2
  exit 1
}

command -v openssl >/dev/null 2>&1 || fail "openssl is not installed; the image needs it to make the web UI keystore"
[ -r "$cert" ] || fail "no certificate at $cert"
[ -r "$key" ] || fail "no private key at $key"

umask 077
tmp=$keystore.tmp
rm -f "$tmp"
# openssl refuses a key that does not match any certificate in the chain.
if ! output=$(openssl pkcs12 -export -name spark-ui -in "$cert" -inkey "$key" -out "$tmp" -passout fd:3 3<<<"$password" 2>&1); then
  rm -f "$tmp"
  fail "could not make the keystore from $cert and $key: $output"
fi
chown "$owner" "$tmp"
mv -f "$tmp" "$keystore"
echo "make-ui-keystore: $keystore ready ($(openssl x509 -noout -subject -in "$cert"))"
