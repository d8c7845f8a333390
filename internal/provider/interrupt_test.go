package provider_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/simfault"
)

// providerBinary builds the provider into a temporary directory and returns that directory.
func providerBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", filepath.Join(dir, "terraform-provider-jira"), ".")
	cmd.Dir = filepath.Join("..", "..") // the module root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// cliRun is a CLI subprocess in its own process group, as a shell runs it.
type cliRun struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

// cliEnv is the environment of a CLI run with the provider from dev_overrides: the test
// process's environment without anything terraform-plugin-testing or the user set for the CLI.
func cliEnv(rc string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TF_") || k == "PLUGIN_PROTOCOL_VERSIONS" || k == "CHECKPOINT_DISABLE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
}

func startCLI(t *testing.T, dir, rc string, args ...string) *cliRun {
	t.Helper()
	r := &cliRun{cmd: exec.Command(os.Getenv("TF_ACC_TERRAFORM_PATH"), args...)}
	r.cmd.Dir = dir
	r.cmd.Env = cliEnv(rc)
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
			_ = r.cmd.Wait()
		}
	})
	return r
}

// wait waits at most d for the CLI to exit and returns its exit code.
func (r *cliRun) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	done := make(chan struct{})
	go func() {
		_ = r.cmd.Wait() // the exit code is read from ProcessState
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("the CLI did not exit within %s:\n%s", d, r.out.String())
	}
	return r.cmd.ProcessState.ExitCode()
}

func runCLI(t *testing.T, dir, rc string, args ...string) (int, string) {
	t.Helper()
	r := startCLI(t, dir, rc, args...)
	code := r.wait(t, 2*time.Minute)
	return code, r.out.String()
}

// waitFor polls cond every 10 ms for at most d.
func waitFor(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestAccInterrupt_handshake runs a real `apply` of the CLI in a subprocess, with the provider
// built from this repository (dev_overrides), and interrupts it (SIGINT to its process group, as
// Ctrl-C does) in the middle of the access token's creation. The CLI stops the provider, which
// cancels the operation's context; the provider must then leave no live token in Jira.
func TestAccInterrupt_handshake(t *testing.T) {
	acctest.PreCheck(t)
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		t.Skip("needs TF_ACC_TERRAFORM_PATH")
	}
	t.Parallel()
	bin := providerBinary(t)
	cases := []struct {
		name string
		// the delayed call, during which the interrupt arrives
		method, path string
		// liveDuring: Jira holds the new token while the call is delayed
		liveDuring bool
		want       *regexp.Regexp
	}{
		{
			// The token exists; the provider is checking it: the check is cancelled and the
			// provider revokes the token before it returns.
			name: "during the token check", method: "GET", path: "/rest/api/2/myself", liveDuring: true,
			want: tolerantRegexp(regexp.MustCompile(`(?s)Cannot verify the new Jira OAuth access token.*context canceled.*The new token was revoked again`)),
		},
		{
			// The access-token exchange was sent: the provider cannot know whether Jira issued
			// the token, and says so.
			name: "during the access-token exchange", method: "POST", path: "/oauth/access-token",
			want: tolerantRegexp(regexp.MustCompile(`(?s)Cannot obtain a Jira OAuth access token.*OAuth access token: context canceled.*Jira may have issued an access token.*revoke it in Jira`)),
		},
		{
			// Only a request token exists, which expires unused.
			name: "during the approval", method: "POST", path: "/oauth/authorize",
			want: tolerantRegexp(regexp.MustCompile(`(?s)Cannot obtain a Jira OAuth access token.*OAuth approval: context canceled`)),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := acctest.New(t)
			dir := t.TempDir()
			rc := filepath.Join(dir, "cli.tfrc")
			must(t, os.WriteFile(rc, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n}\n", "jira-align-tf/jira", bin)), 0o600))
			cfg := `terraform {
  required_providers {
    jira = { source = "jira-align-tf/jira" }
  }
}
` + env.ProviderBlockWith(acctest.BlockOptions{RequestTimeout: "60s"}) +
				chainHCL{consumerKey: "JiraAlignInterrupt", noConnector: true}.render(env)
			must(t, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg), 0o600))
			// Long enough for the interrupt to arrive; a simulator that does not notice the client
			// leave (a POST with a body) still serves the request afterwards, as Jira would.
			env.JiraFaults.Add(simfault.Rule{Kind: simfault.Latency, Delay: 5 * time.Second, Method: c.method, PathContains: c.path})

			apply := startCLI(t, dir, rc, "apply", "-auto-approve", "-input=false", "-no-color")
			if !waitFor(time.Minute, func() bool { return env.JiraFaults.Fired()[simfault.Latency] == 1 }) {
				_ = syscall.Kill(-apply.cmd.Process.Pid, syscall.SIGKILL)
				t.Fatalf("the delayed call was never made:\n%s", apply.out.String())
			}
			if live := len(env.Jira.LiveTokens()); c.liveDuring != (live == 1) {
				t.Fatalf("%d live tokens while the call is delayed", live)
			}
			interrupted := time.Now()
			must(t, syscall.Kill(-apply.cmd.Process.Pid, syscall.SIGINT))
			code := apply.wait(t, time.Minute)
			exitedAfter := time.Since(interrupted).Round(time.Millisecond)
			out := apply.out.String()
			if code == 0 {
				t.Fatalf("the interrupted apply exited 0:\n%s", out)
			}
			if !c.want.MatchString(out) {
				t.Errorf("the output does not match %q:\n%s", c.want, out)
			}
			env.JiraFaults.Clear()
			if !env.JiraFaults.Wait(time.Minute) {
				t.Fatal("the delayed request is still being served")
			}
			if live := len(env.Jira.LiveTokens()); live != 0 {
				t.Errorf("%d live tokens after the interrupted apply, want 0", live)
			}
			_, res, err := acctest.ReadStateFile(filepath.Join(dir, "terraform.tfstate"))
			must(t, err)
			if m := acctest.Compare(env.Held(), acctest.TrackedBy(res)); !m.Empty() {
				t.Errorf("the simulators do not hold what the state says: %s", m)
			}
			t.Logf("%s: exited %d %s after SIGINT; no live token", cliLabel(), code, exitedAfter)

			// The next apply completes, and destroy removes everything.
			if code, out := runCLI(t, dir, rc, "apply", "-auto-approve", "-input=false", "-no-color"); code != 0 {
				t.Fatalf("apply after the interrupt exited %d:\n%s", code, out)
			}
			if live := len(env.Jira.LiveTokens()); live != 1 {
				t.Errorf("%d live tokens after the second apply, want 1", live)
			}
			if code, out := runCLI(t, dir, rc, "destroy", "-auto-approve", "-input=false", "-no-color"); code != 0 {
				t.Fatalf("destroy exited %d:\n%s", code, out)
			}
			must(t, nothingLive(env)(nil))
		})
	}
}
