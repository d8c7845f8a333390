#!/usr/bin/env bash
# Fuzzes every fuzz target of the module, one at a time, for FUZZTIME each (default 15s), and
# prints a summary table. Exits non-zero when any target fails: a crash (panic or a broken
# property) makes `go test` write the failing input to <package>/testdata/fuzz/<target>/, which
# this script names together with the command that replays it. Commit that file with the fix: it
# becomes a regression test that plain `go test` runs.
#
#   FUZZTIME=15s bash internal/devtools/fuzz.sh                 # every target
#   bash internal/devtools/fuzz.sh FuzzCheckURL FuzzBaseString  # only these targets
#
# Environment:
#   FUZZTIME           time per target (go test -fuzztime), default 15s
#   FUZZMINIMIZETIME   minimisation budget per new input (go test -fuzzminimizetime), default 300x:
#                      the Go default (60s) lets one large input, such as a PEM key, eat a target's
#                      whole fuzzing time
#   FUZZ_TIMEOUT       hard limit per target (go test -timeout), default 5m: a hang fails too
set -uo pipefail
cd "$(dirname "$0")/../.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

FUZZTIME="${FUZZTIME:-15s}"
FUZZMINIMIZETIME="${FUZZMINIMIZETIME:-300x}"
FUZZ_TIMEOUT="${FUZZ_TIMEOUT:-5m}"

# Discover "pkgdir name" pairs: every func FuzzXxx(f *testing.F) in a _test.go file of the module
# (testdata, hidden directories and ./bin excluded).
mapfile -t targets < <(
  find . \( -path ./bin -o -name testdata -o -name '.?*' \) -prune -o -name '*_test.go' -type f -print0 |
    xargs -0 grep -HoE '^func Fuzz[A-Za-z0-9_]*\(' |
    sed -E 's|^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\($|\1 \2|' |
    sort -u
)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi
if [ $# -gt 0 ]; then
  wanted=" $* "
  selected=()
  for t in "${targets[@]}"; do
    [[ "$wanted" == *" ${t#* } "* ]] && selected+=("$t")
  done
  targets=("${selected[@]}")
  [ ${#targets[@]} -gt 0 ] || { echo "fuzz: none of the targets $* exists" >&2; exit 1; }
fi

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

echo "fuzz: ${#targets[@]} targets, ${FUZZTIME} each (minimise ${FUZZMINIMIZETIME}, timeout ${FUZZ_TIMEOUT}), $(nproc) cores"
start_all=$SECONDS
rows=()
failed=0
for t in "${targets[@]}"; do
  dir="${t% *}" name="${t#* }"
  log="$workdir/$name.log"
  corpus="$dir/testdata/fuzz/$name"
  before="$workdir/$name.before"
  ls -1 "$corpus" 2>/dev/null | sort >"$before"

  printf '==> %-36s ./%s\n' "$name" "$dir"
  start=$SECONDS
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" \
    -timeout "$FUZZ_TIMEOUT" "./$dir" >"$log" 2>&1
  rc=$?
  took=$((SECONDS - start))

  # The last progress line holds the total: "fuzz: elapsed: 15s, execs: 123456 (8230/sec), ...".
  execs="$(grep -oE 'execs: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')"
  execs="${execs:--}"
  if [ $rc -eq 0 ]; then
    result=ok
    printf '    %s execs in %ds: ok\n' "$execs" "$took"
  else
    result=FAIL
    failed=$((failed + 1))
    printf '    %s execs in %ds: FAIL (exit %d)\n' "$execs" "$took" "$rc"
    # The failure report of go test (the property that broke, or the panic and its stack).
    sed -n '/^--- FAIL/,$p' "$log" | head -n 60 | sed 's/^/    | /'
    grep -q '^--- FAIL' "$log" || tail -n 30 "$log" | sed 's/^/    | /'
    new="$(ls -1 "$corpus" 2>/dev/null | sort | comm -13 "$before" -)"
    for f in $new; do
      echo "    crashing input: $corpus/$f"
      echo "    replay with:    go test -run '^${name}/${f}\$' ./$dir"
    done
    [ -n "$new" ] || echo "    (no new input under $corpus: a build error, a timeout or a failing seed; see above)"
  fi
  rows+=("$name|$dir|$execs|$result|${took}s")
done

echo
printf '%-36s %-22s %12s  %-6s %s\n' target package execs result time
for r in "${rows[@]}"; do
  IFS='|' read -r name dir execs result took <<<"$r"
  printf '%-36s %-22s %12s  %-6s %s\n' "$name" "$dir" "$execs" "$result" "$took"
done
echo
echo "fuzz: ${#targets[@]} targets in $((SECONDS - start_all))s, $failed failed"
[ $failed -eq 0 ]
