#!/usr/bin/env bash
# Makes OpenTofu and the OpenStack provider available to this project, offline from any
# Terraform registry: both are built from their Go modules (through the Go module proxy)
# into .tools/, and a CLI config points `tofu init` at a local filesystem mirror.
#
# Idempotent: a second run finds the pinned binaries and only rewrites the small config
# files. A fresh clone on the same machine rebuilds from Go's module and build caches,
# which takes seconds rather than minutes.
#
# Environment:
#   TOOLS_TF_BINARY=terraform  use a `terraform` (>= 1.5) already on PATH instead of tofu
#   TOOLS_DIR=/path            install somewhere other than <repo>/.tools
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/tool-versions.env
source "$repo_root/scripts/tool-versions.env"

tools_dir=${TOOLS_DIR:-$repo_root/.tools}
bin_dir=$tools_dir/bin
mirror_dir=$tools_dir/providers
cli_config=$tools_dir/tofurc
tf_binary=${TOOLS_TF_BINARY:-tofu}

log() { printf '[install-tools] %s\n' "$*" >&2; }
die() { printf '[install-tools] error: %s\n' "$*" >&2; exit 1; }

# version_ge A B: true when version A >= version B.
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# Prints a heartbeat every 30 s while a long build runs, so CI logs show progress.
run_with_heartbeat() {
  local label=$1; shift
  local started=$SECONDS
  ( while sleep 30; do log "$label: still building ($((SECONDS - started)) s)"; done ) &
  local beat=$!
  local status=0
  "$@" || status=$?
  kill "$beat" 2>/dev/null || true
  wait "$beat" 2>/dev/null || true
  [ "$status" -eq 0 ] || die "$label failed (exit $status); see the Go output above"
  log "$label: done in $((SECONDS - started)) s"
}

require_go() {
  command -v go >/dev/null 2>&1 || die "Go is not on PATH. Install Go >= 1.26.6 (OpenTofu $OPENTOFU_VERSION needs it; https://go.dev/dl) and run this script again: it builds OpenTofu and the OpenStack provider from their Go modules."
}

mkdir -p "$bin_dir" "$mirror_dir"

# --- OpenTofu (or a terraform the user chose) -----------------------------------------
# The version a tofu/terraform binary reports, e.g. 1.12.6 (empty when it cannot run).
tofu_version_of() {
  TF_CLI_CONFIG_FILE=/dev/null "$1" version -json 2>/dev/null |
    sed -n 's/^[[:space:]]*"terraform_version": "\([^"]*\)".*/\1/p'
}

if [ "$tf_binary" = terraform ]; then
  existing=$(command -v terraform || true)
  [ -n "$existing" ] || die "TOOLS_TF_BINARY=terraform but no terraform is on PATH"
  have=$(tofu_version_of "$existing")
  version_ge "$have" 1.5.0 || die "terraform $have on PATH is older than 1.5.0"
  log "using terraform $have at $existing (TOOLS_TF_BINARY=terraform)"
  tf_path=$existing
elif [ "$tf_binary" = tofu ]; then
  tf_path=$bin_dir/tofu
  existing=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$bin_dir" | paste -sd: -) command -v tofu || true)
  if [ -x "$tf_path" ] && [ "$(tofu_version_of "$tf_path")" = "$OPENTOFU_VERSION" ]; then
    log "OpenTofu $OPENTOFU_VERSION already built at $tf_path"
  elif [ -n "$existing" ] && version_ge "$(tofu_version_of "$existing")" "$OPENTOFU_MIN_VERSION"; then
    log "using OpenTofu $(tofu_version_of "$existing") already on PATH at $existing"
    ln -sf "$existing" "$tf_path"
  else
    require_go
    log "building OpenTofu v$OPENTOFU_VERSION from its Go module (a cold build takes several minutes on 2 cores)"
    # OpenTofu's go.mod carries a `replace`, which `go install module@version` refuses.
    # Building inside the downloaded module honours it, with the release's own go.sum.
    # version.dev=no is what OpenTofu's release build sets; without it tofu says -dev.
    module_dir=$(go mod download -json "github.com/opentofu/opentofu@v$OPENTOFU_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -d "$module_dir" ] || die "could not download github.com/opentofu/opentofu@v$OPENTOFU_VERSION through the Go module proxy"
    rm -f "$tf_path"
    run_with_heartbeat "OpenTofu v$OPENTOFU_VERSION" \
      env -C "$module_dir" go build -trimpath -buildvcs=false \
      -ldflags="-s -w -X 'github.com/opentofu/opentofu/version.dev=no'" -o "$tf_path" ./cmd/tofu
    built=$(tofu_version_of "$tf_path")
    [ "$built" = "$OPENTOFU_VERSION" ] || die "built tofu reports version '$built', expected $OPENTOFU_VERSION"
  fi
else
  die "TOOLS_TF_BINARY must be tofu or terraform, got '$tf_binary'"
fi

# --- terraform-provider-openstack ------------------------------------------------------
provider_type=${OPENSTACK_PROVIDER_SOURCE#*/}
provider_file=terraform-provider-${provider_type}_v$OPENSTACK_PROVIDER_VERSION
platform=$(go env GOOS 2>/dev/null || uname -s | tr '[:upper:]' '[:lower:]')_$(go env GOARCH 2>/dev/null || echo amd64)
# tofu resolves a bare source address on registry.opentofu.org and terraform on
# registry.terraform.io; the mirror serves the same binary under both hostnames.
primary=$mirror_dir/registry.opentofu.org/$OPENSTACK_PROVIDER_SOURCE/$OPENSTACK_PROVIDER_VERSION/$platform/$provider_file
secondary=$mirror_dir/registry.terraform.io/$OPENSTACK_PROVIDER_SOURCE/$OPENSTACK_PROVIDER_VERSION/$platform/$provider_file

if [ -x "$primary" ]; then
  log "OpenStack provider v$OPENSTACK_PROVIDER_VERSION already built at $primary"
else
  require_go
  log "building terraform-provider-openstack v$OPENSTACK_PROVIDER_VERSION from its Go module"
  # The checksum database does not answer for this module through the reachable proxy, so
  # the download is checked against the hash pinned in tool-versions.env instead
  # (GONOSUMDB for this one module; its dependencies are still checked by its go.sum).
  download=$(GONOSUMDB=$OPENSTACK_PROVIDER_MODULE go mod download -json "$OPENSTACK_PROVIDER_MODULE@v$OPENSTACK_PROVIDER_VERSION")
  sum=$(printf '%s\n' "$download" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p')
  module_dir=$(printf '%s\n' "$download" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ "$sum" = "$OPENSTACK_PROVIDER_MODULE_SUM" ] ||
    die "$OPENSTACK_PROVIDER_MODULE@v$OPENSTACK_PROVIDER_VERSION has hash '$sum', expected $OPENSTACK_PROVIDER_MODULE_SUM (scripts/tool-versions.env)"
  # Built inside the module like `go install module@version` would, which cannot run here:
  # it asks the proxy for the module's version list, and the proxy refuses that request.
  # The version stamp is the one the provider's release build sets.
  mkdir -p "$(dirname "$primary")"
  run_with_heartbeat "terraform-provider-openstack v$OPENSTACK_PROVIDER_VERSION" \
    env -C "$module_dir" go build -trimpath -buildvcs=false \
    -ldflags="-s -w -X $OPENSTACK_PROVIDER_MODULE/openstack.version=$OPENSTACK_PROVIDER_VERSION" \
    -o "$primary.tmp" .
  mv "$primary.tmp" "$primary"
fi
mkdir -p "$(dirname "$secondary")"
ln -f "$primary" "$secondary"

# --- actionlint (lints the CI example) -------------------------------------------------
actionlint_version_of() { "$1" --version 2>/dev/null | head -n 1; }
if [ "$(actionlint_version_of "$bin_dir/actionlint")" = "v$ACTIONLINT_VERSION" ]; then
  log "actionlint v$ACTIONLINT_VERSION already built"
else
  require_go
  run_with_heartbeat "actionlint v$ACTIONLINT_VERSION" \
    env GOBIN="$bin_dir" go install -trimpath "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
fi

# --- CLI config and environment (always rewritten: cheap, and correct after a move) ----
mkdir -p "$tools_dir/plugin-cache"
cat >"$cli_config" <<EOF
# Written by scripts/install-tools.sh. Providers come from the local mirror only.
provider_installation {
  filesystem_mirror {
    path    = "$mirror_dir"
    include = ["registry.opentofu.org/$OPENSTACK_PROVIDER_SOURCE", "registry.terraform.io/$OPENSTACK_PROVIDER_SOURCE"]
  }
  direct {
    exclude = ["registry.opentofu.org/$OPENSTACK_PROVIDER_SOURCE", "registry.terraform.io/$OPENSTACK_PROVIDER_SOURCE"]
  }
}
plugin_cache_dir = "$tools_dir/plugin-cache"
# The mirror is built here from source, so linking from the cache is safe even when a
# freshly synthesized stack has no lock file yet.
plugin_cache_may_break_dependency_lock_file = true
EOF

cat >"$tools_dir/env.sh" <<EOF
# Written by scripts/install-tools.sh: source it to use the project's tools in a shell.
export PATH="$bin_dir:\$PATH"
export TERRAFORM_BINARY_NAME="$tf_binary"
export TF_CLI_CONFIG_FILE="$cli_config"
export CHECKPOINT_DISABLE=1
EOF

cat >"$tools_dir/env.json" <<EOF
{
  "binDir": "$bin_dir",
  "TERRAFORM_BINARY_NAME": "$tf_binary",
  "TF_CLI_CONFIG_FILE": "$cli_config",
  "terraformPath": "$tf_path",
  "openTofuVersion": "$OPENTOFU_VERSION",
  "openstackProviderVersion": "$OPENSTACK_PROVIDER_VERSION"
}
EOF

log "ready: $tf_binary $(tofu_version_of "$tf_path"), provider $OPENSTACK_PROVIDER_SOURCE v$OPENSTACK_PROVIDER_VERSION"
log "in a shell: source $tools_dir/env.sh"
