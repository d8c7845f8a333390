#!/usr/bin/env bash
# make demo: the provider against the simulators on loopback, through a real Terraform CLI with
# dev_overrides (no registry). Applies examples/demo, checks the plan is empty, revokes the OAuth
# token out of band, shows the plan that repairs it, applies, and destroys.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=$ROOT/bin
TF=${TF:-$BIN/terraform}
WORK=$ROOT/.demo
rm -rf "$WORK"
mkdir -p "$WORK/run"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "building the simulators"
go build -o "$WORK/simulators" ./internal/testing/cmd/simulators

"$WORK/simulators" -env-file "$WORK/sims.env" >"$WORK/simulators.log" 2>&1 &
SIM_PID=$!
cleanup() {
  kill "$SIM_PID" 2>/dev/null || true
  wait "$SIM_PID" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -s "$WORK/sims.env" ] && break; sleep 0.1; done
[ -s "$WORK/sims.env" ] || { cat "$WORK/simulators.log"; echo "simulators did not start" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$WORK/sims.env"
set +a
sed 's/^/    /' "$WORK/simulators.log"

# dev_overrides runs the provider built in the repository. terraform init still looks the
# provider up, so a filesystem mirror holding the same binary answers it offline: nothing here
# talks to a registry.
PLATFORM=$(go env GOOS)_$(go env GOARCH)
MIRROR=$WORK/mirror/registry.terraform.io/jira-align-tf/jira/0.0.1/$PLATFORM
mkdir -p "$MIRROR"
cp "$ROOT/terraform-provider-jira" "$MIRROR/terraform-provider-jira_v0.0.1"
cat >"$WORK/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "jira-align-tf/jira" = "$ROOT"
  }
  filesystem_mirror {
    path    = "$WORK/mirror"
    include = ["jira-align-tf/jira"]
  }
}
EOF
export TF_CLI_CONFIG_FILE=$WORK/terraformrc
export TF_IN_AUTOMATION=1
export TF_VAR_align_url=$JIRA_ALIGN_URL
export TF_VAR_service_username=$JIRA_SERVICE_USERNAME
export TF_VAR_service_password=$JIRA_SERVICE_PASSWORD
export TF_VAR_basic_password=demo-basic-password
cp "$ROOT/examples/demo/main.tf" "$WORK/run/"
cd "$WORK/run"

tf() { "$TF" "$@" -no-color; }
state() { curl -fsS "$SIM_CONTROL_URL/state"; }
summary() {
  state | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("    simulators hold: %d connectors, %d application links, %d live access tokens" % (
    len(s["connectors"] or []), len(s["links"] or []), len(s["live_tokens"] or [])))'
}
plan_exit() { # plan_exit <want>: runs plan -detailed-exitcode and checks its exit code
  local want=$1 rc=0
  tf plan -detailed-exitcode -input=false >"$WORK/plan.out" 2>&1 || rc=$?
  grep -E '^(  # |Plan:|No changes|Warning:|│ )' "$WORK/plan.out" | sed 's/^/    /' || true
  echo "    terraform plan -detailed-exitcode exited $rc (want $want)"
  if [ "$rc" != "$want" ]; then cat "$WORK/plan.out"; exit 1; fi
}

step "$("$TF" version | head -1), provider from dev_overrides ($ROOT)"
step "terraform init"
tf init -input=false >"$WORK/init.out" 2>&1 || { cat "$WORK/init.out"; exit 1; }
grep -E 'Installing|Installed|initialized|overrides' "$WORK/init.out" | sed 's/^/    /' || true

step "terraform apply: basic connector + key pair -> application link -> access token -> oauth1 connector"
tf apply -auto-approve -input=false >"$WORK/apply1.out" 2>&1 || { cat "$WORK/apply1.out"; exit 1; }
grep -E 'Creation complete|Apply complete|^[a-z_]+ = ' "$WORK/apply1.out" | sed 's/^/    /'
summary

step "terraform plan -detailed-exitcode right after apply: expect no changes"
plan_exit 0

step "revoking the access token out of band (Jira: View OAuth Access Tokens > Revoke)"
curl -fsS -X POST "$SIM_CONTROL_URL/jira/revoke-all" | sed 's/^/    /'
summary

step "terraform plan -detailed-exitcode: the revoked token shows up as drift"
plan_exit 2

step "terraform apply: a new token, the connector moved to it"
tf apply -auto-approve -input=false >"$WORK/apply2.out" 2>&1 || { cat "$WORK/apply2.out"; exit 1; }
grep -E 'complete|Apply complete' "$WORK/apply2.out" | sed 's/^/    /'
summary

step "terraform plan -detailed-exitcode: converged"
plan_exit 0

step "terraform destroy: connectors deleted, token revoked, application link removed"
tf destroy -auto-approve -input=false >"$WORK/destroy.out" 2>&1 || { cat "$WORK/destroy.out"; exit 1; }
grep -E 'Destruction complete|Destroy complete' "$WORK/destroy.out" | sed 's/^/    /'
summary
state | python3 -c '
import json, sys
s = json.load(sys.stdin)
left = len(s["connectors"] or []) + len(s["links"] or []) + len(s["live_tokens"] or [])
sys.exit("demo: %d objects left in the simulators after destroy" % left if left else 0)'

step "demo complete: apply, empty plan, drift detected (exit 2), repaired, empty plan, destroyed with nothing left"
