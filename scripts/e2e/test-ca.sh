#!/usr/bin/env bash
# A private CA and a server certificate for one IP address, for the end-to-end test's object
# endpoint: the cluster trusts the CA through the stack's trustedCaCertificates, as it would a
# cloud's internal CA. Keys never leave <dir>.
#   test-ca.sh <dir> <server-ip>    writes ca.pem, server.pem, server.key
set -euo pipefail
[ $# -eq 2 ] || {
  echo "usage: test-ca.sh <dir> <server-ip>" >&2
  exit 1
}
dir=$1 ip=$2
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=spark-e2e test CA" \
  -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$ip" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$ip" >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl ca.key
chmod 0600 server.key
