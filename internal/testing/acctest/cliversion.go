package acctest

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// CLIVersion returns the version of the CLI the acceptance tests run (TF_ACC_TERRAFORM_PATH) as
// its `version -json` reports it, asked independently of the provider: Terraform's version, or
// OpenTofu's own (OpenTofu keeps the field name terraform_version).
func CLIVersion(t testing.TB) string {
	t.Helper()
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH is not set: the acceptance tests run a CLI built into bin/ (make testacc)")
	}
	cmd := exec.Command(cli, "version", "-json") //nolint:gosec // the CLI the tests are told to run
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s version -json: %v", cli, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Version == "" {
		t.Fatalf("%s version -json: no terraform_version in %q (%v)", cli, out, err)
	}
	return v.Version
}
