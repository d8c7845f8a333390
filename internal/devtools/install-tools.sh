#!/usr/bin/env bash
# Installs the pinned tools this project tests and documents with into ./bin.
# Terraform 1.5.7, golangci-lint, tfplugindocs and goreleaser are Go tools pinned the Go way: each
# has a module under internal/devtools/tools/ whose go.mod names it in a `tool` line and whose
# go.sum pins its whole dependency graph; `go install tool` there is a no-op when bin/ is current.
# Terraform 1.16.4 and OpenTofu cannot be built as dependencies (their go.mod files replace
# modules), so they are built from copies of their released modules, and skipped when the binary
# already reports the pinned version.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="$PWD/bin"
mkdir -p "$BIN"
export GOBIN="$BIN"
export GOFLAGS=-buildvcs=false

TERRAFORM_NEW_VERSION=1.16.4
TOFU_VERSION=1.12.6

want() { # want <tool> -> 0 when the tool must be built
  case "$1" in
    terraform-new) [ -x "$BIN/terraform-$TERRAFORM_NEW_VERSION" ] && "$BIN/terraform-$TERRAFORM_NEW_VERSION" version 2>/dev/null | head -1 | grep -qx "Terraform v$TERRAFORM_NEW_VERSION" && return 1 ;;
    tofu) [ -x "$BIN/tofu" ] && TF_CLI_CONFIG_FILE=/dev/null "$BIN/tofu" version 2>/dev/null | head -1 | grep -qx "OpenTofu v$TOFU_VERSION" && return 1 ;;
  esac
  return 0
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(terraform terraform-new tofu golangci-lint tfplugindocs)

for t in "${tools[@]}"; do
  want "$t" || { echo "install-tools: $t already at pinned version"; continue; }
  echo "install-tools: $t"
  case "$t" in
    terraform | golangci-lint | tfplugindocs | goreleaser)
      # goreleaser is for make release-snapshot; not in the default set, which make test needs.
      (cd "internal/devtools/tools/$t" && go install tool) ;;
    terraform-new)
      # Terraform 1.16's go.mod requires and replaces nested modules under internal/ that the
      # module zip does not carry, so `go install mod@ver` refuses it. Build from a copy of the
      # module with those lines and the remote-state backends (which live in those nested
      # modules) removed; the local backend, providers and every command stay as released.
      dir=$(go mod download -json "github.com/hashicorp/terraform@v$TERRAFORM_NEW_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
      [ -n "$dir" ] || { echo "install-tools: could not download terraform $TERRAFORM_NEW_VERSION" >&2; exit 1; }
      work=$(mktemp -d)
      cp -r "$dir/." "$work/"
      chmod -R u+w "$work"
      (cd "$work" && python3 "$OLDPWD/internal/devtools/strip-terraform-backends.py" && \
        go build -ldflags "-X github.com/hashicorp/terraform/version.dev=no" -o "$BIN/terraform-$TERRAFORM_NEW_VERSION" .)
      rm -rf "$work" ;;
    tofu)
      # OpenTofu's go.mod carries a replace directive, so `go install mod@ver` refuses it.
      dir=$(go mod download -json "github.com/opentofu/opentofu@v$TOFU_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
      [ -n "$dir" ] || { echo "install-tools: could not download opentofu" >&2; exit 1; }
      work=$(mktemp -d)
      cp -r "$dir/." "$work/"
      chmod -R u+w "$work"
      (cd "$work" && go build -ldflags "-X github.com/opentofu/opentofu/version.dev=no" -o "$BIN/tofu" ./cmd/tofu)
      rm -rf "$work" ;;
    *) echo "install-tools: unknown tool $t" >&2; exit 2 ;;
  esac
done
