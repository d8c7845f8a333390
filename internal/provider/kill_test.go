package provider_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/simfault"
)

// killPoint is a call of the OAuth chain's apply during which the CLI is killed.
type killPoint struct {
	name   string
	align  bool // the call goes to Jira Align (else to Jira)
	method string
	path   string
}

var killPoints = []killPoint{
	{name: "request-token", method: "POST", path: "/oauth/request-token"},
	{name: "authorize", method: "POST", path: "/oauth/authorize"},
	{name: "access-token", method: "POST", path: "/oauth/access-token"},
	{name: "myself", method: "GET", path: "/rest/api/2/myself"},
	{name: "link-create", method: "PUT", path: "/rest/applinks/3.0/applicationlink"},
	{name: "connector-create", align: true, method: "POST", path: "/rest/align/api/2/Connectors"},
}

// killCIPoints are the points CI runs on every CLI: the token exchange (a token Jira issues
// as the CLI dies), the token check (a token the provider holds) and the connector's create
// (the last call of the chain: everything made before it is in no state).
var killCIPoints = map[string]bool{"access-token": true, "myself": true, "connector-create": true}

// diagStart begins a diagnostic in the CLI's output.
var diagStart = regexp.MustCompile(`(Error|Warning): `)

// sourceLine is a configuration line the CLI quotes under an error ("61: resource ...").
var sourceLine = regexp.MustCompile(`^\d+: `)

// importHint is the import command an error names for an object the state does not hold.
var importHint = regexp.MustCompile(`terraform\s+import\s+(jira_[a-z_]+)\.<name>\s+([0-9A-Za-z-]+)`)

// killResult is what one kill left behind and what the user was told.
type killResult struct {
	point     string
	providers int           // provider processes of the CLI when it was killed
	left2s    int           // of those, alive 2 s after the kill
	left10s   int           // and 10 s after it
	exitedIn  time.Duration // when the last of them had exited (0: not within 10 s)
	orphans   acctest.Mismatch
	// revokedInState counts the tokens the state names that were revoked as the provider
	// exited (it cannot know whether the dead CLI saved them); the next plan renews them.
	revokedInState int
	told           []string // the errors of the applies that followed
	// tokensMatch: after the first plain apply, the live tokens are exactly those in state.
	tokensMatch bool
	// recovered: following the import commands the errors named, an apply succeeded and the
	// simulators hold exactly what the state names.
	recovered bool
}

// TestAccKill_cliSIGKILL runs a real `apply` of the OAuth chain through the CLI, with the
// provider built from this repository (dev_overrides), holds one call of the chain in the
// simulator, and kills the CLI process alone with SIGKILL, as the OOM killer or a CI runner's
// timeout would. The call is then let through, as a server that had it queued answers it.
//
// The provider process must be gone within about a second, and no access token may be left
// live that no state holds: the provider revokes every token it obtained, since it cannot know
// whether the dead CLI saved it (Terraform saves the local state after each resource, OpenTofu
// only at the end of the apply), and the next plan renews a saved one. Links and connectors the dead CLI never saved are left (deleting them
// would act on objects no state names); the next plain apply must name each of them with the
// import command that adopts it, and following those commands must end in an apply after which
// the simulators hold exactly what the state names.
//
// CI runs three kill points; JIRA_KILL_TRIALS=n runs every point n times and reports totals, and
// JIRA_KILL_PROVIDER_DIR measures the provider binary in that directory instead of a fresh build.
func TestAccKill_cliSIGKILL(t *testing.T) {
	acctest.PreCheck(t)
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		t.Skip("needs TF_ACC_TERRAFORM_PATH")
	}
	if _, err := acctest.ProcessesOf("/", 0); err != nil {
		t.Skip(err.Error())
	}
	rounds, all := 1, false
	if s := os.Getenv("JIRA_KILL_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		must(t, err)
		rounds, all = n, true
	}
	bin := os.Getenv("JIRA_KILL_PROVIDER_DIR") // another build to measure, e.g. of an earlier commit
	if bin == "" {
		bin = providerBinary(t)
	}
	var results []killResult
	for round := 1; round <= rounds; round++ {
		for _, p := range killPoints {
			if !all && !killCIPoints[p.name] {
				continue
			}
			t.Run(fmt.Sprintf("%s/%d", p.name, round), func(t *testing.T) {
				r := runKillTrial(t, bin, p)
				results = append(results, r)
				checkKillResult(t, r)
			})
		}
	}
	reportKills(t, results)
	if left, _ := acctest.ProcessesOf(filepath.Join(bin, "terraform-provider-jira"), 0); len(left) > 0 {
		t.Errorf("provider processes still running at the end: %v", left)
	}
}

func checkKillResult(t *testing.T, r killResult) {
	t.Helper()
	if r.providers == 0 {
		t.Errorf("no provider process of the CLI was found at the kill")
	}
	if r.left2s > 0 {
		t.Errorf("%d of %d provider processes still alive 2 s after the CLI was killed (%d after 10 s)", r.left2s, r.providers, r.left10s)
	}
	if n := len(r.orphans.OrphanTokens); n > 0 {
		t.Errorf("%d live access tokens no state holds after the kill", n)
	}
	if !r.tokensMatch {
		t.Errorf("after a plain apply, the live tokens are not those in state")
	}
	if !r.recovered {
		t.Errorf("following the import commands the errors named did not end in an apply that matches the simulators; told: %q", r.told)
	}
}

func devOverridesRC(t *testing.T, dir, bin string) string {
	t.Helper()
	rc := filepath.Join(dir, "cli.tfrc")
	must(t, os.WriteFile(rc, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n}\n", "jira-align-tf/jira", bin)), 0o600))
	return rc
}

const devOverridesTerraformBlock = `terraform {
  required_providers {
    jira = { source = "jira-align-tf/jira" }
  }
}
`

func runKillTrial(t *testing.T, bin string, p killPoint) killResult {
	r := killResult{point: p.name}
	env := acctest.New(t)
	dir := t.TempDir()
	rc := devOverridesRC(t, dir, bin)
	cfg := devOverridesTerraformBlock + env.ProviderBlockWith(acctest.BlockOptions{RequestTimeout: "10s"}) +
		chainHCL{consumerKey: "JiraAlignKill", connectorName: "kill"}.render(env)
	must(t, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg), 0o600))
	faults := env.JiraFaults
	if p.align {
		faults = env.AlignFaults
	}
	faults.Add(simfault.Rule{Kind: simfault.Hold, Method: p.method, PathContains: p.path})

	apply := startCLI(t, dir, rc, "apply", "-auto-approve", "-input=false", "-no-color")
	cli := apply.cmd.Process.Pid
	if !waitFor(time.Minute, func() bool { return faults.Fired()[simfault.Hold] == 1 }) {
		_ = syscall.Kill(-cli, syscall.SIGKILL)
		faults.Release()
		t.Fatalf("the held call was never made:\n%s", apply.out.String())
	}
	exe := filepath.Join(bin, "terraform-provider-jira")
	pids, err := acctest.ProcessesOf(exe, cli)
	must(t, err)
	r.providers = len(pids)
	killed := time.Now()
	must(t, syscall.Kill(cli, syscall.SIGKILL))
	apply.wait(t, 10*time.Second)
	// The server answers right after the kill, as one that had the request queued does.
	time.Sleep(300 * time.Millisecond)
	faults.Release()

	alive := func() int {
		n := 0
		for _, pid := range pids {
			if acctest.Alive(pid) {
				n++
			}
		}
		return n
	}
	r.left2s, r.left10s = -1, -1
	for {
		since := time.Since(killed)
		n := alive()
		if n == 0 && r.exitedIn == 0 {
			r.exitedIn = since
		}
		if since >= 2*time.Second && r.left2s < 0 {
			r.left2s = n
		}
		if since >= 10*time.Second || n == 0 && r.left2s >= 0 {
			r.left10s = n
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r.left2s < 0 {
		r.left2s = 0
	}
	for _, pid := range pids {
		if acctest.Alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL) // a provider this test's CLI started
		}
	}
	waitFor(5*time.Second, func() bool { return alive() == 0 })
	faults.Clear()
	faults.Release()
	if !faults.Wait(time.Minute) {
		t.Fatal("the held call is still being served")
	}
	_, res, err := acctest.ReadStateFile(filepath.Join(dir, "terraform.tfstate"))
	must(t, err)
	r.orphans = acctest.Compare(env.Held(), acctest.TrackedBy(res))
	r.revokedInState = r.orphans.DanglingTokens
	gone := "not all gone within 10 s"
	if r.exitedIn > 0 {
		gone = "all gone after " + r.exitedIn.Round(time.Millisecond).String()
	}
	t.Logf("%s: killed at %s; %d provider processes, %d alive after 2 s, %d after 10 s, %s; left that no state holds: %s",
		cliLabel(), p.name, r.providers, r.left2s, r.left10s, gone, r.orphans)

	// Plain applies, following the import commands the errors name.
	for attempt := 1; attempt <= 4; attempt++ {
		code, out := runCLI(t, dir, rc, "apply", "-auto-approve", "-input=false", "-no-color")
		_, res, err := acctest.ReadStateFile(filepath.Join(dir, "terraform.tfstate"))
		must(t, err)
		if attempt == 1 {
			held, tracked := env.Held(), acctest.TrackedBy(res)
			r.tokensMatch = strings.Join(held.Tokens, ",") == strings.Join(tracked.Tokens, ",")
		}
		if code == 0 {
			m := acctest.Compare(env.Held(), acctest.TrackedBy(res))
			r.recovered = m.Empty()
			if !m.Empty() {
				t.Logf("after a successful apply: %s", m)
			}
			break
		}
		r.told = append(r.told, cliErrors(out)...)
		hints := importHint.FindAllStringSubmatch(out, -1)
		if len(hints) == 0 {
			t.Logf("apply %d failed without naming an import command:\n%s", attempt, out)
			break
		}
		for _, h := range hints {
			if code, out := runCLI(t, dir, rc, "import", "-input=false", "-no-color", h[1]+".test", h[2]); code != 0 {
				t.Errorf("the named import command failed (%d):\n%s", code, out)
			}
		}
	}
	for _, msg := range r.told {
		t.Logf("told: %s", msg)
	}
	return r
}

// cliErrors returns each "Error:" and "Warning:" block of the CLI's output on one line (but the
// warning about dev_overrides), without the lines that say where in the configuration it arose.
func cliErrors(out string) []string {
	var msgs []string
	parts := diagStart.Split(out, -1)
	kinds := diagStart.FindAllString(out, -1)
	for i, p := range parts[1:] {
		if strings.HasPrefix(p, "Provider development overrides") {
			continue
		}
		if strings.HasPrefix(kinds[i], "Warning") {
			p = "(warning) " + p
		}
		var keep []string
		for _, line := range strings.Split(p, "\n") {
			l := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "│"))
			where := strings.HasPrefix(l, "with jira_") || strings.HasPrefix(l, "on ") && strings.Contains(l, " line ")
			if where || l == "" || strings.HasPrefix(l, "╵") || sourceLine.MatchString(l) {
				continue
			}
			keep = append(keep, l)
		}
		msgs = append(msgs, strings.Join(keep, " "))
	}
	return msgs
}

func reportKills(t *testing.T, results []killResult) {
	var providers, left2s, left10s, tokens, links, connectors, revoked, tokensMismatch, unrecovered int
	var slowest time.Duration
	for _, r := range results {
		providers += r.providers
		left2s += r.left2s
		left10s += r.left10s
		tokens += len(r.orphans.OrphanTokens)
		links += len(r.orphans.OrphanLinks)
		connectors += len(r.orphans.OrphanConnectors)
		revoked += r.revokedInState
		if !r.tokensMatch {
			tokensMismatch++
		}
		if !r.recovered {
			unrecovered++
		}
		if r.exitedIn == 0 {
			slowest = -1
		} else if slowest >= 0 && r.exitedIn > slowest {
			slowest = r.exitedIn
		}
	}
	exit := "never within 10 s for some"
	if slowest >= 0 {
		exit = "all within " + slowest.Round(time.Millisecond).String()
	}
	t.Logf("kill trials (%s): %d kills, %d provider processes; alive 2 s after the kill %d, after 10 s %d (exit: %s); "+
		"left that no state holds: %d live tokens, %d links, %d connectors; tokens in state revoked at the exit (renewed by the next apply): %d; "+
		"tokens not those in state after a plain apply: %d; not recovered by the named import commands: %d",
		cliLabel(), len(results), providers, left2s, left10s, exit, tokens, links, connectors, revoked, tokensMismatch, unrecovered)
}
