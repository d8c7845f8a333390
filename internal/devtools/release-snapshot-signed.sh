#!/usr/bin/env bash
# make release-snapshot-signed: make release-snapshot with the checksums signed, as a release is,
# by a throwaway GPG key made for this run in a temporary keyring (deleted afterwards). Its
# public half is left in dist/signing-key.asc, where make install-test verifies the signature
# with it. The signature check the registries make is then tested on every run, without the
# release key.
set -euo pipefail
cd "$(dirname "$0")/../.."
GNUPGHOME=$(mktemp -d)
export GNUPGHOME
cleanup() {
  gpgconf --kill gpg-agent 2>/dev/null || true # the agent gpg started for this keyring only
  rm -rf "$GNUPGHOME"
}
trap cleanup EXIT
gpg --batch --quiet --passphrase '' --quick-gen-key "terraform-provider-jira snapshot (throwaway) <snapshot@invalid>" rsa3072 sign 1d
fpr=$(gpg --list-secret-keys --with-colons | awk -F: '/^fpr/ {print $10; exit}')
echo "release-snapshot-signed: throwaway key $fpr"
make release-snapshot GPG_FINGERPRINT="$fpr"
gpg --armor --export "$fpr" >dist/signing-key.asc
