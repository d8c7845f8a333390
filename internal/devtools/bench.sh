#!/usr/bin/env bash
# make bench: the provider's refresh and apply cost through a real Terraform CLI, against the
# same N terraform_data resources and N resources of a no-op framework provider, plus the Go
# benchmarks of the hot paths. Prints a Markdown table and writes it to .bench/results.md.
# Missed targets are marked MISSED in the table; the exit status is non-zero only when
# something failed to run.
#
# Knobs (environment):
#   BENCH_QUICK=1            smoke run: N=10,50 connectors, N=5 tokens, 1 round, 1 plan
#   BENCH_CONNECTORS=10,100,500   BENCH_TOKENS=10,100   sizes N ("" skips a scenario)
#   BENCH_RUNS=3             rounds of apply + plans + destroy per cell (median of the rounds)
#   BENCH_PLANS=3            refresh plans after each apply (the plan median is over RUNS×PLANS)
#   BENCH_PARALLELISM=10     terraform -parallelism
#   BENCH_GO=0               skip the Go benchmarks
#   BENCH_PROFILE=DIR        run the provider's pprof build; CPU and allocation profiles go to DIR
#   TF=path                  Terraform CLI (default bin/terraform, Terraform 1.5.7)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
WORK=$ROOT/.bench
TF=${TF:-$ROOT/bin/terraform}
mkdir -p "$WORK/bin"

[ -x "$TF" ] || { echo "bench: $TF not found; run: bash internal/devtools/install-tools.sh terraform" >&2; exit 1; }

connectors=${BENCH_CONNECTORS-10,100,500}
tokens=${BENCH_TOKENS-10,100}
runs=${BENCH_RUNS:-3}
plans=${BENCH_PLANS:-3}
label=""
command="make bench"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  connectors=${BENCH_CONNECTORS-10,50}
  tokens=${BENCH_TOKENS-5}
  runs=${BENCH_RUNS:-1}
  plans=${BENCH_PLANS:-1}
  label="quick smoke run"
  command="BENCH_QUICK=1 make bench"
fi

echo "bench: building the driver"
go build -o "$WORK/bin/bench" ./internal/testing/bench/cmd/bench

args=(-root "$ROOT" -work "$WORK" -terraform "$TF" -connectors "$connectors" -tokens "$tokens"
  -runs "$runs" -plans "$plans" -parallelism "${BENCH_PARALLELISM:-10}" -out "$WORK/results.md"
  -command "$command")
[ -n "$label" ] && args+=(-label "$label")
[ -n "${BENCH_PROFILE:-}" ] && args+=(-profile "$BENCH_PROFILE")
"$WORK/bin/bench" "${args[@]}"

if [ "${BENCH_GO:-1}" != 0 ]; then
  echo
  echo "bench: Go benchmarks of the hot paths (signing, verifying, connector JSON, RSA keys)"
  go test -run '^$' -bench . -benchmem -count 1 \
    ./internal/jiraapi ./internal/testing/jirasim ./internal/alignapi ./internal/keyutil | tee "$WORK/gobench.txt"
  {
    printf '\n### Go benchmarks\n\n`go test -run '"'"'^$'"'"' -bench . -benchmem ./internal/jiraapi ./internal/testing/jirasim ./internal/alignapi ./internal/keyutil`\n\n```text\n'
    grep -E '^(Benchmark|goos|goarch|cpu|pkg)' "$WORK/gobench.txt"
    printf '```\n'
  } >>"$WORK/results.md"
fi
echo
echo "bench: results in .bench/results.md"
