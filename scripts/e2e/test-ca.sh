#!/usr/bin/env bash
# A private CA and server certificates it signed, as a cloud with an internal CA has: for the
# end-to-end test's object endpoint (trusted through the stack's trustedCaCertificates) and
# the Spark web UIs (webUiTls), and for the unit tests of the UI keystore. The CA's key is
# deleted once the certificates are signed; the servers' keys never leave <dir>.
#   test-ca.sh <dir> <name>=<subjectAltName> ...
#     e.g. test-ca.sh /tmp/tls server=IP:10.42.0.200 ui=IP:10.42.0.10,IP:10.42.0.21
#   writes ca.pem, and <name>.pem, <name>.key and <name>-chain.pem (certificate + CA) per name
# TEST_CA_KEY_TYPE=ec makes the servers' keys with `openssl ecparam -genkey` (P-256) instead
# of RSA-2048, for tests of that key file layout.
set -euo pipefail
[ $# -ge 2 ] || {
  echo "usage: test-ca.sh <dir> <name>=<subjectAltName> ..." >&2
  exit 1
}
dir=$1
shift
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=spark-e2e test CA" \
  -keyout ca.key -out ca.pem 2>/dev/null
for spec in "$@"; do
  name=${spec%%=*}
  san=${spec#*=}
  [[ $name =~ ^[a-z0-9-]+$ && -n $san && $san != "$spec" ]] || {
    echo "test-ca.sh: expected <name>=<subjectAltName>, got $spec" >&2
    exit 1
  }
  if [ "${TEST_CA_KEY_TYPE:-rsa}" = ec ]; then
    openssl ecparam -name prime256v1 -genkey -out "$name.key" 2>/dev/null
    openssl req -new -key "$name.key" -subj "/CN=$name" -out "$name.csr" 2>/dev/null
  else
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$name.key" -out "$name.csr" 2>/dev/null
  fi
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  cat "$name.pem" ca.pem >"$name-chain.pem"
  chmod 0600 "$name.key"
  rm -f "$name.csr" "$name.ext"
done
rm -f ca.key ca.srl
