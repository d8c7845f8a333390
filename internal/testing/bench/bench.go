// Package bench is the driver behind `make bench`: it builds the provider, a no-op framework
// provider (the floor for any plugin provider) and the simulators, starts the simulators on
// loopback, and times a real Terraform CLI running `plan` (with refresh) and `apply` over N
// jira_align_connector or jira_align_access_token resources against the same N noop_thing and
// terraform_data resources. It also records, per terraform command, the HTTP requests and TCP
// connections the simulators saw and the provider process's peak RSS, and renders the results
// as a Markdown table with the performance targets marked MET or MISSED.
//
// Nothing here talks to a registry or to anything but loopback: dev_overrides run the built
// binaries and a filesystem mirror answers `terraform init`.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Op is a timed terraform command.
type Op string

// Operations.
const (
	OpApply   Op = "apply"
	OpPlan    Op = "plan"
	OpDestroy Op = "destroy"
)

// Options configure a benchmark run.
type Options struct {
	// Root is the repository root; Work the scratch directory (git-ignored .bench).
	Root, Work string
	// Terraform is the CLI binary (Terraform 1.5.7).
	Terraform string
	// Connectors and Tokens are the sizes N of the two scenarios.
	Connectors, Tokens []int
	// Runs is how many rounds of apply, plan (PlansPerRound times) and destroy each
	// (scenario, N, kind) gets; medians are taken.
	Runs int
	// PlansPerRound is how many refresh plans follow each apply.
	PlansPerRound int
	// Parallelism is terraform's -parallelism.
	Parallelism int
	// Progress receives one line per terraform command.
	Progress io.Writer
	// Label describes the run mode in the report (e.g. "quick").
	Label string
	// ProfileDir, when set, runs the jira kind with the pprof build of the provider
	// (internal/testing/bench/profprovider), which writes CPU and allocation profiles there.
	ProfileDir string
	// JiraSource, when set, is another checkout of the repository to build the provider from
	// (for before/after comparisons); default Root.
	JiraSource string
	// ExtraEnv is added to the environment of every terraform command (and so of the providers).
	ExtraEnv map[string]string
}

// Measurement is one terraform command.
type Measurement struct {
	Scenario Scenario
	Kind     Kind
	N        int
	Op       Op
	Round    int
	Wall     time.Duration
	// CPU is the user+system time of terraform and its provider processes, ProviderCPU the
	// provider processes' share, SimCPU the simulators'.
	CPU, ProviderCPU, SimCPU time.Duration
	Traffic                  Diff
	// PeakRSS is the largest VmHWM of the kind's provider processes (0 for terraform_data).
	PeakRSS int64
	// Procs is how many provider processes Terraform started for the command.
	Procs int
	// Changes is set when a plan right after apply was not empty (exit code 2).
	Changes bool
}

// Machine describes where the benchmark ran.
type Machine struct {
	CPUs      int
	CPUModel  string
	Memory    string
	Kernel    string
	Go        string
	Terraform string
}

// Results of a run.
type Results struct {
	Options      Options
	Machine      Machine
	Started      time.Time
	Elapsed      time.Duration
	Measurements []Measurement
	// Leftovers counts objects the simulators still held after the final destroys.
	Leftovers Objects
	// LoadStart and LoadEnd are /proc/loadavg at the start and the end of the run.
	LoadStart, LoadEnd string
}

// Run executes the benchmark.
func Run(ctx context.Context, o Options) (*Results, error) {
	if o.Runs < 1 || o.Parallelism < 1 || o.PlansPerRound < 1 {
		return nil, fmt.Errorf("runs (%d), plans per round (%d) and parallelism (%d) must be at least 1", o.Runs, o.PlansPerRound, o.Parallelism)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	res := &Results{Options: o, Started: time.Now(), LoadStart: loadavg()}
	binDir := filepath.Join(o.Work, "bin")
	jiraDir, noopDir := filepath.Join(binDir, "jira"), filepath.Join(binDir, "noop")
	mirror := filepath.Join(o.Work, "mirror")
	logDir := filepath.Join(o.Work, "logs")
	runsDir := filepath.Join(o.Work, "runs")
	for _, d := range []string{logDir, runsDir, mirror} {
		if err := os.RemoveAll(d); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{jiraDir, noopDir, logDir, runsDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}

	fmt.Fprintln(o.Progress, "bench: building the provider, the no-op provider and the simulators")
	jiraBin := filepath.Join(jiraDir, "terraform-provider-jira")
	noopBin := filepath.Join(noopDir, "terraform-provider-noop")
	simBin := filepath.Join(binDir, "simulators")
	jiraPkg := "."
	if o.ProfileDir != "" {
		jiraPkg = "./internal/testing/bench/profprovider"
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return nil, err
		}
	}
	jiraRoot := o.Root
	if o.JiraSource != "" {
		jiraRoot = o.JiraSource
	}
	for _, b := range []struct{ root, out, pkg string }{
		{jiraRoot, jiraBin, jiraPkg}, {o.Root, noopBin, "./internal/testing/bench/noopprovider"}, {o.Root, simBin, "./internal/testing/cmd/simulators"},
	} {
		if err := goBuild(ctx, b.root, b.out, b.pkg); err != nil {
			return nil, err
		}
	}
	platform := runtime.GOOS + "_" + runtime.GOARCH
	for _, m := range []struct{ bin, addr, name string }{
		{jiraBin, "registry.terraform.io/jira-align-tf/jira", "terraform-provider-jira"},
		{noopBin, "registry.terraform.io/bench/noop", "terraform-provider-noop"},
	} {
		dir := filepath.Join(mirror, filepath.FromSlash(m.addr), "0.0.1", platform)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := copyFile(m.bin, filepath.Join(dir, m.name+"_v0.0.1")); err != nil {
			return nil, err
		}
	}
	rc := filepath.Join(o.Work, "terraformrc")
	if err := os.WriteFile(rc, []byte(CLIConfig(jiraDir, noopDir, mirror)), 0o644); err != nil {
		return nil, err
	}
	res.Machine = machine(ctx, o.Terraform)

	sims, err := StartSims(ctx, simBin, o.Work, filepath.Join(logDir, "simulators.log"))
	if err != nil {
		return nil, err
	}
	defer sims.Stop()

	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		return nil, err
	}
	env := map[string]string{
		"TF_CLI_CONFIG_FILE": rc,
		"TF_IN_AUTOMATION":   "1",
		"TF_INPUT":           "0",
		"CHECKPOINT_DISABLE": "1",
		"TF_VAR_password":    "bench-" + hex.EncodeToString(pw),
		"TF_VAR_align_url":   sims.Env["JIRA_ALIGN_URL"],
	}
	for _, k := range []string{"JIRA_ALIGN_URL", "JIRA_ALIGN_API_TOKEN", "JIRA_URL", "JIRA_USERNAME", "JIRA_PASSWORD"} {
		env[k] = sims.Env[k]
	}
	if o.ProfileDir != "" {
		env["BENCH_PPROF_DIR"] = o.ProfileDir
	}
	for k, v := range o.ExtraEnv {
		env[k] = v
	}
	b := &bencher{
		o: o, sims: sims, res: res, runsDir: runsDir,
		r:    &runner{terraform: o.Terraform, env: terraformEnv(env), logDir: logDir},
		exes: []string{jiraBin, noopBin},
	}
	for _, sc := range []struct {
		s  Scenario
		ns []int
	}{{ScenarioConnectors, o.Connectors}, {ScenarioTokens, o.Tokens}} {
		for _, n := range sc.ns {
			if err := b.scenario(ctx, sc.s, n); err != nil {
				return res, err
			}
		}
	}
	_, left, err := sims.State(ctx)
	if err != nil {
		return res, err
	}
	res.Leftovers = left
	res.Elapsed = time.Since(res.Started)
	res.LoadEnd = loadavg()
	return res, nil
}

type bencher struct {
	o       Options
	sims    *Sims
	res     *Results
	r       *runner
	runsDir string
	exes    []string
}

// scenario runs Runs rounds of apply, plan, destroy for each kind at size n, the kinds
// interleaved (and their order rotated each round) so that drift in the machine's speed hits
// every kind alike.
func (b *bencher) scenario(ctx context.Context, s Scenario, n int) error {
	wss := map[Kind]*Workspace{}
	for _, k := range Kinds {
		ws := &Workspace{Scenario: s, Kind: k, N: n, Dir: filepath.Join(b.runsDir, fmt.Sprintf("%s-%d-%s", s, n, k))}
		if err := os.MkdirAll(ws.Dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(ws.Dir, "main.tf"), []byte(Config(s, k, n)), 0o644); err != nil {
			return err
		}
		if _, err := b.r.run(ctx, ws, nil, "init", "-input=false", "-no-color"); err != nil {
			return err
		}
		wss[k] = ws
	}
	par := fmt.Sprintf("-parallelism=%d", b.o.Parallelism)
	for round := 1; round <= b.o.Runs; round++ {
		for i := range Kinds {
			ws := wss[Kinds[(i+round-1)%len(Kinds)]]
			if _, err := b.measure(ctx, ws, round, OpApply, nil, "apply", "-auto-approve", "-input=false", "-no-color", par); err != nil {
				return err
			}
			for range b.o.PlansPerRound {
				if _, err := b.measure(ctx, ws, round, OpPlan, []int{2}, "plan", "-refresh=true", "-detailed-exitcode", "-input=false", "-no-color", par); err != nil {
					return err
				}
			}
			if _, err := b.measure(ctx, ws, round, OpDestroy, nil, "destroy", "-refresh=false", "-auto-approve", "-input=false", "-no-color", par); err != nil {
				return err
			}
		}
	}
	return nil
}

// measure runs one terraform command and records its wall time, the simulators' traffic and the
// provider's peak RSS.
func (b *bencher) measure(ctx context.Context, ws *Workspace, round int, op Op, allowed []int, args ...string) (Measurement, error) {
	before, _, err := b.sims.State(ctx)
	if err != nil {
		return Measurement{}, err
	}
	if err := b.sims.ResetConnections(ctx); err != nil {
		return Measurement{}, err
	}
	simBefore, _ := readCPU(b.sims.Pid())
	poll := startProcPoller(b.exes, b.o.Terraform, 20*time.Millisecond)
	cr, runErr := b.r.run(ctx, ws, allowed, args...)
	peak, pcpu, procs := poll.Stop()
	simAfter, _ := readCPU(b.sims.Pid())
	if runErr != nil {
		return Measurement{}, runErr
	}
	after, _, err := b.sims.State(ctx)
	if err != nil {
		return Measurement{}, err
	}
	m := Measurement{
		Scenario: ws.Scenario, Kind: ws.Kind, N: ws.N, Op: op, Round: round, Wall: cr.wall,
		CPU: cr.cpu, ProviderCPU: pcpu, SimCPU: simAfter - simBefore,
		Traffic: Sub(before, after), PeakRSS: peak, Procs: procs, Changes: op == OpPlan && cr.exitCode == 2,
	}
	b.res.Measurements = append(b.res.Measurements, m)
	extra := ""
	if m.Changes {
		extra = "  PLAN NOT EMPTY (see " + cr.output + ")"
	}
	fmt.Fprintf(b.o.Progress, "  %-10s N=%-4d %-14s %-7s round %d: %6.2fs wall, CPU %6.2fs (provider %5.2fs, sims %5.2fs)  %5d requests  %3d connections  %d procs  peak RSS %5.1f MiB%s\n",
		ws.Scenario, ws.N, ws.Kind, op, round, m.Wall.Seconds(), (m.CPU + m.SimCPU).Seconds(), m.ProviderCPU.Seconds(), m.SimCPU.Seconds(),
		m.Traffic.Requests(), m.Traffic.Conns(), procs, float64(peak)/(1<<20), extra)
	return m, nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func goBuild(ctx context.Context, root, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

func machine(ctx context.Context, terraform string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if n, ok := parseKB(v); ok {
					m.Memory = fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		m.Go = strings.TrimSpace(string(b))
	}
	cmd := exec.CommandContext(ctx, terraform, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	if b, err := cmd.Output(); err == nil {
		m.Terraform = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	return m
}
