#!/usr/bin/env bash
# Makes the PKCS#12 keystore Spark's web UIs serve HTTPS from, out of the PEM certificate
# chain and key that cloud-init wrote, under a random password made here: the password never
# leaves this server. Writes the password into spark-defaults.conf (mode 0600, spark's);
# each run replaces the keystore and the password.
#   make-ui-keystore <cert.pem> <key.pem> <keystore.p12> <spark-defaults.conf> [owner]
set -euo pipefail
[ $# -ge 4 ] || {
  echo "usage: make-ui-keystore <cert.pem> <key.pem> <keystore.p12> <spark-defaults.conf> [owner]" >&2
  exit 2
}
cert=$1 key=$2 keystore=$3 conf=$4 owner=${5:-spark:spark}
fail() {
  echo "make-ui-keystore: $*" >&2
  exit 1
}

command -v openssl >/dev/null 2>&1 || fail "openssl is not installed; the image needs it to make the web UI keystore"
[ -r "$cert" ] || fail "no certificate at $cert"
[ -r "$key" ] || fail "no private key at $key"
[ -f "$conf" ] || fail "no $conf to add the keystore password to"

umask 077
password=$(openssl rand -hex 24)
tmp=$keystore.tmp
rm -f "$tmp"
# The password goes through a file descriptor, never the command line (which `ps` shows).
# openssl refuses a key that does not match any certificate in the chain.
if ! output=$(openssl pkcs12 -export -name spark-ui -in "$cert" -inkey "$key" -out "$tmp" -passout fd:3 3<<<"$password" 2>&1); then
  rm -f "$tmp"
  fail "could not make the keystore from $cert and $key: $output"
fi
chown "$owner" "$tmp"
mv -f "$tmp" "$keystore"

# Spark reads the keystore settings of each TLS namespace (spark.ssl.<ns>.*) on their own,
# not from the spark.ssl.* defaults: the password goes to every namespace the config enables.
namespaces=$(sed -n 's/^spark\.ssl\.\([A-Za-z]*\)\.enabled true$/\1/p' "$conf")
[ -n "$namespaces" ] || fail "$conf enables no spark.ssl.<namespace>"
# A new copy with the old passwords dropped and the new ones added, with the file's owner and
# mode, moved into place: a failure half-way leaves the old file whole.
grep -v -E '^spark\.ssl\.([A-Za-z]+\.)?(keyStorePassword|keyPassword) ' "$conf" >"$conf.tmp" || true
for ns in $namespaces; do
  printf 'spark.ssl.%s.keyStorePassword %s\nspark.ssl.%s.keyPassword %s\n' "$ns" "$password" "$ns" "$password"
done >>"$conf.tmp"
chmod --reference="$conf" "$conf.tmp"
chown --reference="$conf" "$conf.tmp"
mv -f "$conf.tmp" "$conf"
echo "make-ui-keystore: $keystore ready ($(openssl x509 -noout -subject -in "$cert"))"
