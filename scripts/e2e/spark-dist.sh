#!/usr/bin/env bash
# Builds the Spark mirror the end-to-end test serves to cloud-init.
# This machine cannot reach the Apache archive, so spark-<v>-bin-hadoop3.tgz is assembled from the
# same jars and scripts Apache publishes on PyPI (the pyspark sdist), packed deterministically so
# its SHA-512 is stable across runs; S3A jars come from Maven Central. Both are cached.
#
# Usage: scripts/e2e/spark-dist.sh <spark-version> <mirror-dir> [<maven-path>=<sha256> ...]
# Writes <mirror-dir>/spark-<v>/spark-<v>-bin-hadoop3.tgz{,.sha512} and <mirror-dir>/maven/<path>;
# prints the tarball's SHA-512 as the last line of stdout, progress on stderr.
set -euo pipefail
umask 022
export LC_ALL=C

PYPI_SIMPLE=${PYPI_SIMPLE:-https://pypi.org/simple}
MAVEN_CENTRAL=${MAVEN_CENTRAL:-https://repo1.maven.org/maven2}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${E2E_CACHE:-$repo/.cache/e2e}
work=""
trap '[ -z "$work" ] || rm -rf "$work"' EXIT

log() { printf 'spark-dist: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { die "usage: $0 <spark-version> <mirror-dir> [<maven-path>=<sha256> ...]"; }

# sha256_ok <hex> <file>
sha256_ok() { [ -f "$2" ] && [ "$(sha256sum "$2" | cut -d' ' -f1)" = "$1" ]; }

# fetch_verified <url> <sha256> <dest>: reuses <dest> if it matches, else downloads and checks it.
fetch_verified() {
  sha256_ok "$2" "$3" && return 0
  log "downloading $1"
  mkdir -p "$(dirname "$3")"
  curl --fail --silent --show-error --location --retry 3 --connect-timeout 20 -o "$3.part" "$1" ||
    { rm -f "$3.part"; die "could not download $1"; }
  local got
  got=$(sha256sum "$3.part" | cut -d' ' -f1)
  [ "$got" = "$2" ] || { rm -f "$3.part"; die "SHA-256 of $1 is $got, expected $2"; }
  mv "$3.part" "$3"
}

# place <src> <dest>: hard link, or copy across filesystems.
place() { mkdir -p "$(dirname "$2")" && { ln -f "$1" "$2" 2>/dev/null || cp -f "$1" "$2"; }; }

# sdist_info <version>: prints "<url> <sha256>" of pyspark-<version>.tar.gz from PyPI's JSON simple API.
sdist_info() {
  curl --fail --silent --show-error --location --retry 3 \
    -H 'Accept: application/vnd.pypi.simple.v1+json' "$PYPI_SIMPLE/pyspark/" |
    python3 -c 'import json, sys
name = "pyspark-%s.tar.gz" % sys.argv[1]
for f in json.load(sys.stdin)["files"]:
    if f["filename"] == name:
        print(f["url"], f["hashes"]["sha256"])' "$1"
}

# assemble <version> <sdist> <sdist-sha256>: lays the sdist out in $work like the Apache tarball.
assemble() {
  local v=$1 src=$work/pyspark-$1 dist=$work/spark-$1-bin-hadoop3 hadoop
  tar -xzf "$2" -C "$work"
  [ -d "$src/deps/jars" ] || die "$2 has no deps/jars"
  mkdir -p "$dist/python/lib" "$dist/examples/src/main" "$dist/conf"
  mv "$src/deps/bin" "$src/deps/sbin" "$src/deps/jars" "$src/deps/data" "$src/deps/licenses" "$dist/"
  mv "$src/deps/examples" "$dist/examples/src/main/python"
  mv "$src/pyspark" "$dist/python/pyspark"
  mv "$src"/lib/*.zip "$dist/python/lib/"
  [ -f "$dist/python/lib/pyspark.zip" ] || die "$2 lacks lib/pyspark.zip"
  compgen -G "$dist/python/lib/py4j-*-src.zip" >/dev/null || die "$2 lacks lib/py4j-*-src.zip"
  chmod -R u=rwX,go=rX "$dist"
  find "$dist/bin" "$dist/sbin" -type f ! -name '*.cmd' -exec chmod 755 {} +
  hadoop=$(cd "$dist/jars" && compgen -G 'hadoop-client-api-*.jar') || die "no hadoop-client-api jar"
  hadoop=${hadoop#hadoop-client-api-}
  printf 'Spark %s built for Hadoop %s\nAssembled by scripts/e2e/spark-dist.sh from PyPI pyspark-%s.tar.gz (sha256 %s), not the Apache release tarball.\n' \
    "$v" "${hadoop%.jar}" "$v" "$3" >"$dist/RELEASE"
}

# build_tarball <version> <out.tgz>
build_tarball() {
  local v=$1 url sha sdist
  read -r url sha < <(sdist_info "$v") || die "found no pyspark-$v.tar.gz on $PYPI_SIMPLE/pyspark/"
  sdist=$cache/pyspark-$v.tar.gz
  fetch_verified "$url" "$sha" "$sdist"
  log "assembling spark-$v-bin-hadoop3 from $(basename "$sdist")"
  work=$(mktemp -d "$cache/build.XXXXXX")
  assemble "$v" "$sdist" "$sha"
  log "packing spark-$v-bin-hadoop3.tgz"
  tar -C "$work" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
    -cf - "spark-$v-bin-hadoop3" | gzip -n >"$2.part"
  mv "$2.part" "$2"
  rm -rf "$work"
  work=""
}

main() {
  [ $# -ge 2 ] || usage
  local v=$1 mirror=$2 key tgz name sha512 arg path sha
  shift 2
  [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "not a Spark version: $v"
  for arg in "$@"; do
    [[ $arg =~ ^[^/=][^=]*=[0-9a-f]{64}$ && $arg != *..* ]] || die "expected <maven-path>=<sha256>, got: $arg"
  done
  mkdir -p "$cache" "$mirror"
  name=spark-$v-bin-hadoop3.tgz
  key=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
  tgz=$cache/spark-$v-bin-hadoop3.$key.tgz
  if [ -f "$tgz" ]; then
    log "reusing $tgz"
  else
    rm -f "$cache/spark-$v-bin-hadoop3".*.tgz
    build_tarball "$v" "$tgz"
  fi
  sha512=$(sha512sum "$tgz" | cut -d' ' -f1)
  place "$tgz" "$mirror/spark-$v/$name"
  printf '%s\n' "$sha512" >"$mirror/spark-$v/$name.sha512"
  for arg in "$@"; do
    path=${arg%=*}
    sha=${arg##*=}
    fetch_verified "$MAVEN_CENTRAL/$path" "$sha" "$cache/maven/$path"
    place "$cache/maven/$path" "$mirror/maven/$path"
  done
  log "mirror ready in $mirror ($(du -h "$tgz" | cut -f1) tarball)"
  printf '%s\n' "$sha512"
}

main "$@"
