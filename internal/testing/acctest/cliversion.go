package acctest

import (
	"os"
	"os/exec"
	"regexp"
	"testing"
)

// CLI is the command-line tool the acceptance tests run (TF_ACC_TERRAFORM_PATH), as its
// `version` command names itself, asked independently of the provider.
type CLI struct {
	Name    string // "Terraform" or "OpenTofu"
	Version string // e.g. "1.5.7"
}

var cliVersionLine = regexp.MustCompile(`^(Terraform|OpenTofu) v(\S+)`)

// RunningCLI returns the CLI the acceptance tests run.
func RunningCLI(t testing.TB) CLI {
	t.Helper()
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH is not set: the acceptance tests run a CLI built into bin/ (make testacc)")
	}
	cmd := exec.Command(cli, "version") //nolint:gosec // the CLI the tests are told to run
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s version: %v", cli, err)
	}
	m := cliVersionLine.FindSubmatch(out)
	if m == nil {
		t.Fatalf("%s version: no \"Terraform vX\" or \"OpenTofu vX\" line in %q", cli, out)
	}
	return CLI{Name: string(m[1]), Version: string(m[2])}
}
