package acctest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// ProviderSource is the provider's source address as users write it in required_providers.
const ProviderSource = "jira-align-tf/jira"

// CLIBinary is the Terraform or OpenTofu binary the acceptance tests run (TF_ACC_TERRAFORM_PATH).
type CLIBinary struct {
	Path    string
	Tofu    bool
	Version *version.Version
}

// Name is "OpenTofu 1.12.6" or "Terraform 1.16.4".
func (c *CLIBinary) Name() string {
	if c.Tofu {
		return "OpenTofu " + c.Version.String()
	}
	return "Terraform " + c.Version.String()
}

// TerraformAtLeast reports whether the CLI is Terraform (not OpenTofu) at version v or later.
func (c *CLIBinary) TerraformAtLeast(v string) bool {
	return !c.Tofu && c.Version.GreaterThanOrEqual(version.Must(version.NewVersion(v)))
}

// TofuAtLeast reports whether the CLI is OpenTofu at version v or later.
func (c *CLIBinary) TofuAtLeast(v string) bool {
	return c.Tofu && c.Version.GreaterThanOrEqual(version.Must(version.NewVersion(v)))
}

// CLIFromEnv returns the CLI named by TF_ACC_TERRAFORM_PATH, skipping the test unless TF_ACC is
// set and failing it when the variable names no working binary.
func CLIFromEnv(t testing.TB) *CLIBinary {
	t.Helper()
	PreCheck(t)
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH must name the Terraform or OpenTofu binary to test with")
	}
	out, err := exec.Command(path, "version", "-json").Output() //nolint:gosec // the CLI under test
	if err != nil {
		t.Fatalf("%s version -json: %v", path, err)
	}
	var v struct {
		TerraformVersion string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json: %v\n%s", path, err, out)
	}
	ver, err := version.NewVersion(v.TerraformVersion)
	if err != nil {
		t.Fatalf("%s version -json: %v", path, err)
	}
	human, _ := exec.Command(path, "version").Output() //nolint:gosec // the CLI under test
	return &CLIBinary{Path: path, Tofu: bytes.HasPrefix(human, []byte("OpenTofu")), Version: ver}
}

// Workspace is a working directory in which a test runs CLI commands as a user would, against
// the provider served in-process (the CLI reattaches to it, as terraform-plugin-testing does), so
// that multi-command flows (import, plan -generate-config-out, query, apply) run exactly as
// typed.
type Workspace struct {
	t       *testing.T
	CLI     *CLIBinary
	Dir     string
	factory func() (tfprotov6.ProviderServer, error)
	env     []string
}

// NewWorkspace makes an empty working directory for t, served by the provider of factories
// ("jira").
func NewWorkspace(t *testing.T, cli *CLIBinary, factories map[string]func() (tfprotov6.ProviderServer, error)) *Workspace {
	t.Helper()
	dir, err := os.MkdirTemp(os.Getenv("TF_ACC_TEMP_DIR"), "workspace-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) }) //nolint:gosec // the directory MkdirTemp just made
	return &Workspace{t: t, CLI: cli, Dir: dir, factory: factories["jira"]}
}

// Setenv adds a variable to the environment of every command (for example TF_VAR_x).
func (w *Workspace) Setenv(name, value string) { w.env = append(w.env, name+"="+value) }

// Write writes a file of the working directory.
func (w *Workspace) Write(name, content string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.Dir, name), []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// Read returns a file of the working directory.
func (w *Workspace) Read(name string) string {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join(w.Dir, name)) //nolint:gosec // the test's own directory
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b)
}

// Remove deletes a file of the working directory.
func (w *Workspace) Remove(name string) {
	w.t.Helper()
	if err := os.Remove(filepath.Join(w.Dir, name)); err != nil {
		w.t.Fatal(err)
	}
}

// Run runs one CLI command in the working directory and returns its combined output and exit
// code. Only a failure to start the command fails the test.
func (w *Workspace) Run(args ...string) (string, int) {
	w.t.Helper()
	return w.RunWithInput("", args...)
}

// RunWithInput is Run with the given text on the command's standard input, as a user answering
// its prompts (for example "yes\n" to apply's confirmation).
func (w *Workspace) RunWithInput(input string, args ...string) (string, int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	reattach, stop, err := w.serve(ctx)
	if err != nil {
		w.t.Fatalf("serving the provider: %v", err)
	}
	defer stop()

	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, w.CLI.Path, args...) //nolint:gosec // the CLI under test
	cmd.Dir = w.Dir
	cmd.Env = append(append(os.Environ(),
		"TF_REATTACH_PROVIDERS="+reattach,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		"NO_COLOR=1",
	), w.env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Stdin = strings.NewReader(input)
	err = cmd.Run()
	text := ansiEscape.ReplaceAllString(out.String(), "")
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return text, ee.ExitCode()
	case err != nil:
		w.t.Fatalf("%s %s: %v", w.CLI.Path, strings.Join(args, " "), err)
	}
	return text, 0
}

// ansiEscape matches the colour codes some CLI versions print even in automation.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// MustRun is Run that fails the test unless the command exits 0.
func (w *Workspace) MustRun(args ...string) string {
	w.t.Helper()
	out, code := w.Run(args...)
	if code != 0 {
		w.t.Fatalf("%s %s exited %d:\n%s", w.CLI.Name(), strings.Join(args, " "), code, out)
	}
	return out
}

// Fails runs a command that must exit non-zero and returns its output.
func (w *Workspace) Fails(args ...string) string {
	w.t.Helper()
	out, code := w.Run(args...)
	if code == 0 {
		w.t.Fatalf("%s %s succeeded, want a failure:\n%s", w.CLI.Name(), strings.Join(args, " "), out)
	}
	return out
}

// serve starts the provider for one command and returns the TF_REATTACH_PROVIDERS value and a
// function that stops it.
func (w *Workspace) serve(ctx context.Context) (string, func(), error) {
	host := "registry.terraform.io"
	if w.CLI.Tofu {
		host = "registry.opentofu.org"
	}
	addr := host + "/" + ProviderSource
	server, err := w.factory()
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	configCh := make(chan *plugin.ReattachConfig)
	closeCh := make(chan struct{})
	go func() {
		_ = tf6server.Serve(addr, func() tfprotov6.ProviderServer { return server },
			tf6server.WithDebug(ctx, configCh, closeCh),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf6server.WithLoggingSink(w.t), // provider logs go to the test log, as TF_LOG asks
		)
	}()
	var cfg *plugin.ReattachConfig
	select {
	case cfg = <-configCh:
	case <-time.After(10 * time.Second):
		cancel()
		return "", nil, errors.New("timeout waiting for the provider's reattach configuration")
	}
	type reattachAddr struct{ Network, String string }
	type reattachConfig struct {
		Protocol        string
		ProtocolVersion int
		Pid             int
		Test            bool
		Addr            reattachAddr
	}
	b, err := json.Marshal(map[string]reattachConfig{addr: {
		Protocol: string(cfg.Protocol), ProtocolVersion: cfg.ProtocolVersion, Pid: cfg.Pid, Test: cfg.Test,
		Addr: reattachAddr{Network: cfg.Addr.Network(), String: cfg.Addr.String()},
	}})
	if err != nil {
		cancel()
		return "", nil, err
	}
	return string(b), func() {
		cancel()
		select {
		case <-closeCh:
		case <-time.After(10 * time.Second):
			w.t.Errorf("the provider did not stop")
		}
	}, nil
}

// TerraformBlock is the terraform block of a configuration that uses this provider.
func TerraformBlock() string {
	return fmt.Sprintf("terraform {\n  required_providers {\n    jira = {\n      source = %q\n    }\n  }\n}\n", ProviderSource)
}
