package provider_test

import (
	"fmt"
	"os"
	"testing"
)

// TestMain gives the acceptance tests a temporary directory of their own, removed at exit.
// terraform-plugin-testing creates a "plugintest*" base directory for every test and, when the
// test sets TestCase.WorkingDir (as the fault, secrets and scale tests do, to read the raw state
// file), replaces it without removing it: an empty directory per test would be left in $TMPDIR.
func TestMain(m *testing.M) {
	if os.Getenv("TF_ACC_TEMP_DIR") != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "provider-acc-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.Setenv("TF_ACC_TEMP_DIR", dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
