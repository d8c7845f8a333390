#!/usr/bin/env bash
# Fuzzes every fuzz target of the module, one at a time, for FUZZTIME each (default 15s), and
# prints a summary table. Exits non-zero when any target fails: a crash (panic or a broken
# property) makes `go test` write the failing input to <package>/testdata/fuzz/<target>/, which
# this script names together with the command that replays it. Commit that file with the fix: it
# becomes a regression test that plain `go test` runs.
#
# A bare deadline error is not a finding: Go 1.26's fuzz coordinator can end a duration -fuzztime
# with a bare "context deadline exceeded" and no failing input (go.dev/issue/75804, fixed in Go
# 1.27).
# Such a target is fuzzed once more, for as many executions as the first run got through
# (-fuzztime Nx, which sets no deadline), and it fails only if the second run fails too; the
# summary names every target that was retried. Failure reports are printed after the table, last.
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

# fuzz_once DIR NAME LOG [FUZZTIME]: one bounded fuzzing run of one target.
fuzz_once() {
  go test -run '^$' -fuzz "^${2}\$" -fuzztime "${4:-$FUZZTIME}" -fuzzminimizetime "$FUZZMINIMIZETIME" \
    -timeout "$FUZZ_TIMEOUT" "./$1" >"$3" 2>&1
}

# execs_of LOG: the executions the last progress line of LOG counts ("fuzz: elapsed: 15s, execs:
# 123456 (8230/sec), ..."), or nothing.
execs_of() {
  grep -oE 'execs: [0-9]+' "$1" | tail -n 1 | awk '{print $2}'
}

# new_inputs CORPUS BEFORE: the files of CORPUS that were not listed in BEFORE (failing inputs
# that go test wrote during this run).
new_inputs() {
  ls -1 "$1" 2>/dev/null | sort | comm -13 "$2" -
}

# is_deadline_race LOG: the run failed only with the coordinator's deadline error, that is the
# failure report is "--- FAIL: FuzzX (...)" followed by "context deadline exceeded" and nothing
# else of substance (no panic, no t.Fatal message, no "Failing input written").
is_deadline_race() {
  local report
  report="$(sed -n '/^--- FAIL/,$p' "$1" | sed -E '/^--- FAIL/d; /^(FAIL|exit status [0-9]+)$/d; /^FAIL[[:space:]]/d; /^[[:space:]]*$/d')"
  [ "$(echo "$report" | sed -E 's/^[[:space:]]+//')" = "context deadline exceeded" ]
}

echo "fuzz: ${#targets[@]} targets, ${FUZZTIME} each (minimise ${FUZZMINIMIZETIME}, timeout ${FUZZ_TIMEOUT}), $(nproc) cores"
start_all=$SECONDS
rows=()
failed=0
retried=0
for t in "${targets[@]}"; do
  dir="${t% *}" name="${t#* }"
  log="$workdir/$name.log"
  corpus="$dir/testdata/fuzz/$name"
  before="$workdir/$name.before"
  ls -1 "$corpus" 2>/dev/null | sort >"$before"

  printf '==> %-36s ./%s\n' "$name" "$dir"
  start=$SECONDS
  fuzz_once "$dir" "$name" "$log"
  rc=$?
  new="$(new_inputs "$corpus" "$before")"
  note=""
  if [ $rc -ne 0 ] && [ -z "$new" ] && is_deadline_race "$log"; then
    # go.dev/issue/75804: Go 1.26's fuzz coordinator can report the end of a duration -fuzztime as
    # a failure ("context deadline exceeded") after fuzzing normally. A real finding always writes
    # its input under testdata/fuzz/, and none was written, so fuzz the target once more: a second
    # failure of any kind fails the target.
    # The second run fuzzes as many inputs as the first one got through, counted (-fuzztime Nx)
    # rather than timed: a count sets no deadline, so the race cannot recur.
    first="$(execs_of "$log")"
    budget="$FUZZTIME"
    [ -z "$first" ] || [ "$first" -eq 0 ] || budget="${first}x"
    echo "    go test exited $rc with a bare \"context deadline exceeded\" and no failing input (go.dev/issue/75804); fuzzing once more, for $budget"
    fuzz_once "$dir" "$name" "$log" "$budget"
    rc=$?
    new="$(new_inputs "$corpus" "$before")"
    note="retried after go.dev/issue/75804"
    retried=$((retried + 1))
  fi
  took=$((SECONDS - start))

  # The last progress line holds the total: "fuzz: elapsed: 15s, execs: 123456 (8230/sec), ...".
  execs="$(execs_of "$log")"
  execs="${execs:--}"
  if [ $rc -eq 0 ]; then
    result=ok
    printf '    %s execs in %ds: ok\n' "$execs" "$took"
  else
    result=FAIL
    failed=$((failed + 1))
    printf '    %s execs in %ds: FAIL (exit %d)\n' "$execs" "$took" "$rc"
    {
      echo "$name (./$dir): go test exited $rc"
      # The failure report of go test (the property that broke, or the panic and its stack).
      sed -n '/^--- FAIL/,$p' "$log" | head -n 40 | sed 's/^/  | /'
      grep -q '^--- FAIL' "$log" || tail -n 20 "$log" | sed 's/^/  | /'
      for f in $new; do
        echo "  crashing input: $corpus/$f"
        echo "  replay with:    go test -run '^${name}/${f}\$' ./$dir"
      done
      [ -n "$new" ] || echo "  (no new input under $corpus: a build error, a timeout or a failing seed; see above)"
    } >>"$workdir/failures"
  fi
  [ -z "$note" ] || echo "$name: $note, then $result" >>"$workdir/notes"
  rows+=("$name|$dir|$execs|$result|${took}s")
done

echo
printf '%-36s %-22s %12s  %-6s %s\n' target package execs result time
for r in "${rows[@]}"; do
  IFS='|' read -r name dir execs result took <<<"$r"
  printf '%-36s %-22s %12s  %-6s %s\n' "$name" "$dir" "$execs" "$result" "$took"
done
if [ -s "$workdir/notes" ]; then
  echo
  cat "$workdir/notes"
fi
# The failure reports come last, so that the tail of a CI log shows them.
if [ -s "$workdir/failures" ]; then
  echo
  echo "failures:"
  cat "$workdir/failures"
fi
echo
echo "fuzz: ${#targets[@]} targets in $((SECONDS - start_all))s, $failed failed, $retried retried after go.dev/issue/75804"
[ $failed -eq 0 ]
