#!/usr/bin/env bash
# make install-test: the release snapshot (make release-snapshot, dist/) installed the way a user
# installs a provider, without dev_overrides. For each CLI (bin/terraform, bin/tofu, and
# bin/terraform-1.16.4 when built):
#
#   1. the linux_amd64 zip unpacked into a filesystem_mirror
#      (<registry host>/jira-align-tf/jira/<version>/linux_amd64/), the CLI configuration naming
#      only that mirror; examples/demo/main.tf with `version = "<version>"` in required_providers;
#   2. `init` must install exactly that version, and the lock file must pin it with the h1: hash
#      of the zip's contents (computed here from the zip);
#   3. apply, `plan -detailed-exitcode` (must be empty) and destroy against the simulators, which
#      must have seen every request with User-Agent
#      "terraform-provider-jira/<version> (Terraform/<CLI version>)", and the provider's log lines
#      must carry provider_version=<version>; the CLI version is Terraform's own, and for
#      OpenTofu the Terraform version it reports to providers;
#   4. `init` again from the zip itself, as released, in a packed mirror
#      (<registry host>/jira-align-tf/jira/terraform-provider-jira_<version>_linux_amd64.zip): the
#      same version and h1: hash must be locked.
#
# The zh: hashes a registry install adds to the lock file are the sums SHA256SUMS lists (a
# filesystem mirror records h1: only); the test checks those sums against the files.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=$ROOT/bin
DIST=$ROOT/dist
WORK=$ROOT/.install-test
PLATFORM=linux_amd64
rm -rf "$WORK"
mkdir -p "$WORK"

say() { printf 'install-test: %s\n' "$*"; }
fail() { printf 'install-test: FAIL: %s\n' "$*" >&2; exit 1; }

[ -f "$DIST/metadata.json" ] || fail "no $DIST/metadata.json: run make release-snapshot first"
VER=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$DIST/metadata.json")
# The CLIs accept a provider version only if it is a semantic version; a prerelease (the
# snapshot's -SNAPSHOT-<commit>) is selected only by a constraint that names it exactly.
python3 - "$VER" <<'EOF' || fail "version $VER is not a semantic version"
import re, sys
ident = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
ok = re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-%s(?:\.%s)*)?" % (ident, ident), sys.argv[1])
sys.exit(0 if ok else 1)
EOF
# The CLIs lower-case the file names in a packed mirror (and so the version they read from them).
[ "$VER" = "${VER,,}" ] || fail "version $VER has capitals: in a packed mirror the CLIs read it as ${VER,,}, which no constraint naming $VER matches"
ZIP=$DIST/terraform-provider-jira_${VER}_${PLATFORM}.zip
SUMS=$DIST/terraform-provider-jira_${VER}_SHA256SUMS
[ -f "$ZIP" ] || fail "no $ZIP"
[ -f "$SUMS" ] || fail "no $SUMS"
say "release $VER: $(basename "$ZIP") ($(stat -c %s "$ZIP") bytes)"

# The checksums file: every archive and the manifest, with the right sums.
ZH=$(python3 - "$DIST" "$VER" "$ROOT/terraform-registry-manifest.json" <<'EOF'
import hashlib, os, sys
dist, ver, manifest = sys.argv[1:]
sums = {}
for line in open(os.path.join(dist, "terraform-provider-jira_%s_SHA256SUMS" % ver)):
    digest, name = line.split()
    sums[name] = digest
prefix = "terraform-provider-jira_%s_" % ver
want = {prefix + p + ".zip" for p in ["linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64",
                                      "windows_amd64", "windows_arm64", "freebsd_amd64", "freebsd_arm64"]}
want.add(prefix + "manifest.json")
if set(sums) != want:
    sys.exit("SHA256SUMS lists %s, want exactly %s" % (sorted(sums), sorted(want)))
def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()
for name, digest in sums.items():
    path = manifest if name.endswith("_manifest.json") else os.path.join(dist, name)
    if sha(path) != digest:
        sys.exit("SHA256SUMS: %s does not match %s" % (name, path))
print(sums[prefix + "linux_amd64.zip"])
EOF
) || fail "checksums"
say "SHA256SUMS lists the 8 archives and the manifest, and every sum matches (linux_amd64: zh:$ZH)"

# The signature the registries check: a detached binary GPG signature of SHA256SUMS.
if [ -f "$SUMS.sig" ]; then
  if [ -f "$DIST/signing-key.asc" ]; then # make release-snapshot-signed's throwaway key
    keyring=$(mktemp -d)
    out=$(GNUPGHOME=$keyring gpg --batch --quiet --import "$DIST/signing-key.asc" 2>&1 &&
      GNUPGHOME=$keyring gpg --batch --status-fd 1 --verify "$SUMS.sig" "$SUMS" 2>/dev/null) || true
    GNUPGHOME=$keyring gpgconf --kill gpg-agent 2>/dev/null || true
    rm -rf "$keyring"
  else # signed with a key of the caller's keyring
    out=$(gpg --batch --status-fd 1 --verify "$SUMS.sig" "$SUMS" 2>/dev/null) || true
  fi
  grep -q '^\[GNUPG:\] GOODSIG' <<<"$out" && grep -q '^\[GNUPG:\] VALIDSIG' <<<"$out" || fail "$(basename "$SUMS").sig does not verify: $out"
  say "$(basename "$SUMS").sig: good signature by $(grep '^\[GNUPG:\] VALIDSIG' <<<"$out" | awk '{print $3}')"
else
  say "unsigned snapshot (make release-snapshot-signed signs it with a throwaway key)"
fi

# h1: is the CLIs' hash of a package's contents (golang.org/x/mod/sumdb/dirhash Hash1).
H1=$(python3 - "$ZIP" "$VER" <<'EOF'
import base64, hashlib, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = sorted(n for n in z.namelist() if not n.endswith("/"))
exe = "terraform-provider-jira_v" + sys.argv[2]
if names != sorted(["LICENSE", exe]):
    sys.exit("the zip holds %s, want %s and LICENSE" % (names, exe))
h = hashlib.sha256()
for n in names:
    h.update(("%s  %s\n" % (hashlib.sha256(z.read(n)).hexdigest(), n)).encode())
print("h1:" + base64.b64encode(h.digest()).decode())
EOF
) || fail "zip contents"

go build -o "$WORK/simulators" ./internal/testing/cmd/simulators

CLIS=("$BIN/terraform" "$BIN/tofu")
[ -x "$BIN/terraform-1.16.4" ] && CLIS+=("$BIN/terraform-1.16.4")

SIM_PID=
stop_sims() {
  if [ -n "$SIM_PID" ]; then
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=
  fi
}
trap stop_sims EXIT

export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

for CLI in "${CLIS[@]}"; do
  [ -x "$CLI" ] || fail "$CLI is not built (make tools)"
  name=$(basename "$CLI")
  dir=$WORK/$name
  mkdir -p "$dir/run" "$dir/packed-run"
  CLI_VERSION=$(TF_CLI_CONFIG_FILE=/dev/null "$CLI" version -json | python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])')
  case "$name" in
    tofu*) HOST=registry.opentofu.org ;;
    *) HOST=registry.terraform.io ;;
  esac
  ADDR=$HOST/jira-align-tf/jira
  say "== $name $CLI_VERSION: $ADDR $VER from a filesystem mirror"

  # 1. Unpacked mirror, and a CLI configuration with nothing but that mirror.
  pkg=$dir/mirror/$ADDR/$VER/$PLATFORM
  mkdir -p "$pkg"
  unzip -q "$ZIP" -d "$pkg"
  got=$("$pkg/terraform-provider-jira_v$VER" -version)
  [ "$got" = "terraform-provider-jira $VER" ] || fail "$name: the binary says \"$got\" to -version, want \"terraform-provider-jira $VER\""
  cat >"$dir/cli.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$dir/mirror"
    include = ["$ADDR"]
  }
}
EOF
  sed "s|^      source = \"jira-align-tf/jira\"\$|&\n      version = \"$VER\"|" "$ROOT/examples/demo/main.tf" >"$dir/run/main.tf"
  grep -q "version = \"$VER\"" "$dir/run/main.tf" || fail "could not add the version constraint to examples/demo/main.tf"

  # Fresh simulators for this CLI, so what they record is this run's alone.
  rm -f "$dir/sims.env"
  "$WORK/simulators" -env-file "$dir/sims.env" >"$dir/simulators.log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 1 100); do [ -s "$dir/sims.env" ] && break; sleep 0.1; done
  [ -s "$dir/sims.env" ] || { cat "$dir/simulators.log"; fail "the simulators did not start"; }
  (
    set -a
    # shellcheck disable=SC1091
    . "$dir/sims.env"
    set +a
    export TF_CLI_CONFIG_FILE=$dir/cli.tfrc
    export TF_VAR_align_url=$JIRA_ALIGN_URL TF_VAR_service_username=$JIRA_SERVICE_USERNAME
    export TF_VAR_service_password=$JIRA_SERVICE_PASSWORD TF_VAR_basic_password=install-test-basic-password
    cd "$dir/run"
    run() { # run <log> <args...>
      local log=$1
      shift
      "$CLI" "$@" -no-color -input=false >"$dir/$log" 2>&1 || { cat "$dir/$log"; fail "$name $*"; }
    }

    # 2. init installs the version asked for, from the mirror, and locks it with its h1: hash.
    run init.out init
    grep -E "Installing jira-align-tf/jira|Installed jira-align-tf/jira" "$dir/init.out" | sed 's/^- /    /' || true
    grep -q "Installed jira-align-tf/jira v$VER" "$dir/init.out" || fail "$name init did not install v$VER"
    if grep -qi "dev_overrides\|development overrides" "$dir/init.out"; then fail "$name init used dev_overrides"; fi
    python3 - "$dir/run/.terraform.lock.hcl" "$ADDR" "$VER" "$H1" <<'EOF' || fail "$name: lock file"
import re, sys
path, addr, ver, h1 = sys.argv[1:]
text = open(path).read()
m = re.search(r'provider "%s" \{(.*?)\n\}' % re.escape(addr), text, re.S)
if not m:
    sys.exit("no provider %s in the lock file:\n%s" % (addr, text))
block = m.group(1)
got = re.search(r'^\s*version\s*=\s*"([^"]+)"', block, re.M)
hashes = re.findall(r'"((?:h1|zh):[^"]+)"', block)
if not got or got.group(1) != ver:
    sys.exit("the lock file pins %s, want %s" % (got and got.group(1), ver))
if h1 not in hashes:
    sys.exit("the lock file's hashes %s lack %s, the zip's" % (hashes, h1))
print("    .terraform.lock.hcl: %s version = %s, hashes = %s" % (addr, ver, hashes))
EOF
    "$CLI" version -no-color | grep -F "provider $ADDR v$VER" | sed 's/^/    version: /' || fail "$name version does not list $ADDR v$VER"

    # 3. The installed provider against the simulators, with provider logs on.
    export TF_LOG_PROVIDER=INFO TF_LOG_PATH=$dir/provider.log
    run apply.out apply -auto-approve
    grep -E '^Apply complete' "$dir/apply.out" | sed 's/^/    apply: /' || true
    rc=0
    "$CLI" plan -detailed-exitcode -no-color -input=false >"$dir/plan.out" 2>&1 || rc=$?
    [ "$rc" = 0 ] || { cat "$dir/plan.out"; fail "$name plan -detailed-exitcode exited $rc after apply, want 0"; }
    grep -E '^No changes' "$dir/plan.out" | sed 's/^/    plan: /' || true
    run destroy.out destroy -auto-approve
    grep -E '^Destroy complete' "$dir/destroy.out" | sed 's/^/    destroy: /' || true
    unset TF_LOG_PROVIDER TF_LOG_PATH
    n=$(grep -c "provider_version=$VER" "$dir/provider.log" || true)
    [ "$n" -gt 0 ] || fail "$name: no provider log line with provider_version=$VER in $dir/provider.log"
    line=$(grep -m1 "configuring the jira provider:" "$dir/provider.log" || true)
    say "$n provider log lines with provider_version=$VER; configure: $(grep -o 'provider_version=[^ ]*' <<<"$line") $(grep -o 'terraform_version=[^ ]*' <<<"$line")"

    # The CLI version in the User-Agent is the one the CLI sends the provider: Terraform's own;
    # OpenTofu sends the Terraform version whose provider features it supports (1.13.0 from
    # OpenTofu 1.12), which the provider's configure log line shows.
    sent=$(grep -o 'terraform_version=[^ ]*' <<<"$line" | sed 's/^terraform_version=//' || true)
    case "$name" in
      tofu*) [[ "$sent" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "$name: sent TerraformVersion \"$sent\"" ;;
      *) [ "$sent" = "$CLI_VERSION" ] || fail "$name $CLI_VERSION: sent TerraformVersion \"$sent\"" ;;
    esac
    curl -fsS "$SIM_CONTROL_URL/state" >"$dir/state.json"
    python3 - "$dir/state.json" "terraform-provider-jira/$VER (Terraform/$sent)" <<'EOF' || fail "$name: simulators"
import json, sys
s = json.load(open(sys.argv[1]))
want = sys.argv[2]
for peer in ("align", "jira"):
    seen = s[peer + "_user_agents"] or {}
    if set(seen) != {want}:
        sys.exit("the %s simulator saw User-Agents %s, want only %r" % (peer, seen, want))
    print("    %s simulator: %d requests, every one with User-Agent %r" % (peer, seen[want], want))
left = len(s["connectors"] or []) + len(s["links"] or []) + len(s["live_tokens"] or [])
if left:
    sys.exit("%d objects left in the simulators after destroy" % left)
EOF
  )
  stop_sims

  # 4. The zip as released, in a packed mirror.
  packed=$dir/packed-mirror/$ADDR
  mkdir -p "$packed"
  cp "$ZIP" "$packed/"
  sed "s|$dir/mirror|$dir/packed-mirror|" "$dir/cli.tfrc" >"$dir/packed.tfrc"
  cp "$dir/run/main.tf" "$dir/packed-run/"
  (cd "$dir/packed-run" && TF_CLI_CONFIG_FILE=$dir/packed.tfrc "$CLI" init -no-color -input=false >"$dir/packed-init.out" 2>&1) ||
    { cat "$dir/packed-init.out"; fail "$name init from the packed mirror"; }
  grep -q "Installed jira-align-tf/jira v$VER" "$dir/packed-init.out" || fail "$name init (packed) did not install v$VER"
  grep -q "^  version *= \"$VER\"" "$dir/packed-run/.terraform.lock.hcl" && grep -q "\"$H1\"" "$dir/packed-run/.terraform.lock.hcl" ||
    { cat "$dir/packed-run/.terraform.lock.hcl"; fail "$name: the packed install's lock file does not pin $VER with $H1"; }
  say "packed mirror (the zip as released): $VER locked with $H1"
  say "$name $CLI_VERSION: ok"
done
say "passed on ${#CLIS[@]} CLIs"
