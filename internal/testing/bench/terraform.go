package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Kind is what a workspace's N resources are.
type Kind string

// The three kinds compared in every scenario.
const (
	// KindJira is the provider under test (jira_align_connector or jira_align_access_token).
	KindJira Kind = "jira"
	// KindNoop is N noop_thing resources of the benchmark's no-op framework provider.
	KindNoop Kind = "noop"
	// KindData is N terraform_data resources (built into Terraform, no plugin at all).
	KindData Kind = "terraform_data"
)

// Kinds lists the kinds in table order.
var Kinds = []Kind{KindJira, KindNoop, KindData}

// Scenario is a family of configurations.
type Scenario string

// Scenarios.
const (
	// ScenarioConnectors is N basic-auth jira_align_connector resources.
	ScenarioConnectors Scenario = "connectors"
	// ScenarioTokens is one key pair, one application link and N jira_align_access_token
	// resources, each obtained with the full three-legged handshake.
	ScenarioTokens Scenario = "tokens"
)

// Config returns the Terraform configuration of a workspace: n resources of kind for scenario.
// Baselines (noop, terraform_data) are the same n resources whatever the scenario; their
// attributes mirror a basic connector's.
func Config(s Scenario, k Kind, n int) string {
	var b strings.Builder
	switch k {
	case KindJira:
		b.WriteString("terraform {\n  required_providers {\n    jira = {\n      source = \"jira-align-tf/jira\"\n    }\n  }\n}\n\n")
		b.WriteString("# Settings come from JIRA_ALIGN_URL, JIRA_ALIGN_API_TOKEN, JIRA_URL, JIRA_USERNAME, JIRA_PASSWORD.\nprovider \"jira\" {}\n\n")
	case KindNoop:
		b.WriteString("terraform {\n  required_providers {\n    noop = {\n      source = \"bench/noop\"\n    }\n  }\n}\n\nprovider \"noop\" {}\n\n")
	}
	b.WriteString("variable \"password\" {\n  type      = string\n  sensitive = true\n}\n\n")
	b.WriteString("variable \"align_url\" {\n  type = string\n}\n\n")
	switch {
	case k == KindJira && s == ScenarioTokens:
		fmt.Fprintf(&b, `resource "jira_align_key_pair" "bench" {
  rsa_bits = 2048
}

resource "jira_application_link" "bench" {
  name    = "Jira Align (bench)"
  rpc_url = var.align_url
  consumer = {
    consumer_key   = "JiraAlignBench"
    public_key_pem = jira_align_key_pair.bench.public_key_pem
  }
}

resource "jira_align_access_token" "bench" {
  count           = %d
  consumer_key    = jira_application_link.bench.consumer.consumer_key
  private_key_pem = jira_align_key_pair.bench.private_key_pem
}
`, n)
	case k == KindJira || k == KindNoop:
		// The no-op provider's noop_thing mirrors the connector's schema: the same configuration.
		typ := "jira_align_connector"
		if k == KindNoop {
			typ = "noop_thing"
		}
		fmt.Fprintf(&b, `resource %q "bench" {
  count     = %d
  name      = "bench-%d-${count.index}"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  basic = {
    username = "svc-align"
    password = var.password
  }
}
`, typ, n, n)
	default:
		fmt.Fprintf(&b, `resource "terraform_data" "bench" {
  count = %d
  input = {
    name      = "bench-%d-${count.index}"
    jira_url  = "https://jira.example.com"
    jira_type = "data_center"
    username  = "svc-align"
    password  = var.password
  }
}
`, n, n)
	}
	return b.String()
}

// CLIConfig is the Terraform CLI configuration: dev_overrides run the freshly built binaries,
// and a filesystem mirror holding the same binaries answers `terraform init` offline, so no
// registry is ever contacted.
func CLIConfig(jiraDir, noopDir, mirror string) string {
	return fmt.Sprintf(`provider_installation {
  dev_overrides {
    "jira-align-tf/jira" = %q
    "bench/noop"         = %q
  }
  filesystem_mirror {
    path    = %q
    include = ["jira-align-tf/jira", "bench/noop"]
  }
}
`, jiraDir, noopDir, mirror)
}

// Workspace is one Terraform working directory.
type Workspace struct {
	Scenario Scenario
	Kind     Kind
	N        int
	Dir      string
}

// Result of one terraform command.
type cmdResult struct {
	wall time.Duration
	// cpu is the user+system time of terraform and of the children it waited for (providers).
	cpu      time.Duration
	exitCode int
	output   string // path of the captured output
}

// runner runs terraform commands with a fixed environment.
type runner struct {
	terraform string
	env       []string
	logDir    string
	seq       int
}

// run runs `terraform args...` in ws.Dir, its combined output written to a log file. A non-zero
// exit is an error unless allowed lists it.
func (r *runner) run(ctx context.Context, ws *Workspace, allowed []int, args ...string) (cmdResult, error) {
	r.seq++
	logPath := filepath.Join(r.logDir, fmt.Sprintf("%04d-%s-%s-%d-%s.log", r.seq, ws.Scenario, ws.Kind, ws.N, args[0]))
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, r.terraform, args...)
	cmd.Dir = ws.Dir
	cmd.Env = r.env
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if werr := os.WriteFile(logPath, out.Bytes(), 0o600); werr != nil {
		return cmdResult{}, werr
	}
	res := cmdResult{wall: wall, output: logPath}
	if cmd.ProcessState != nil {
		res.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.exitCode = ee.ExitCode()
		for _, a := range allowed {
			if a == res.exitCode {
				return res, nil
			}
		}
		return res, fmt.Errorf("terraform %s (%s, %s, N=%d) exited %d:\n%s\n(full output: %s)",
			args[0], ws.Scenario, ws.Kind, ws.N, res.exitCode, tail(out.String(), 30), logPath)
	}
	if err != nil {
		return res, fmt.Errorf("terraform %s: %w", args[0], err)
	}
	return res, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// terraformEnv is the process environment minus anything that would change how Terraform runs,
// plus extra.
func terraformEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TF_") || strings.HasPrefix(k, "JIRA_") || k == "CHECKPOINT_DISABLE" {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}
