package provider_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/simfault"
)

const (
	scaleCount       = 50
	scaleParallelism = 20
)

// withParallelism points terraform-plugin-testing at a wrapper of the CLI that runs every
// command with -parallelism=n. terraform-exec always passes -parallelism=10 explicitly, after
// any TF_CLI_ARGS_<command> (which the CLI inserts right after the command name), so those
// variables cannot raise it; the wrapper rewrites the flag instead. It sets an environment
// variable, so the test using it cannot run in parallel with others.
func withParallelism(t *testing.T, n int) {
	t.Helper()
	real := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if real == "" {
		t.Skip("needs TF_ACC_TERRAFORM_PATH")
	}
	wrapper := filepath.Join(t.TempDir(), filepath.Base(real))
	script := fmt.Sprintf(`#!/bin/sh
# Runs %[1]s with -parallelism=%[2]d instead of any -parallelism given.
for a do
  shift
  case $a in -parallelism=*) a=-parallelism=%[2]d ;; esac
  set -- "$@" "$a"
done
exec '%[1]s' "$@"
`, strings.ReplaceAll(real, "'", `'\''`), n)
	must(t, os.WriteFile(wrapper, []byte(script), 0o700))
	t.Setenv("TF_ACC_TERRAFORM_PATH", wrapper)
}

// TestAccScale_50ConnectorsAnd50Tokens applies 50 basic connectors and 50 access tokens (one key
// pair, one application link) at -parallelism=20 against the simulators: it converges, the
// simulators hold exactly what the state says, every token took exactly one handshake, and
// destroy leaves nothing.
func TestAccScale_50ConnectorsAnd50Tokens(t *testing.T) {
	acctest.PreCheck(t)
	withParallelism(t, scaleParallelism)
	env := acctest.New(t)
	workDir := t.TempDir()
	// A short delay on the first call of each create shows how many run at once.
	env.JiraFaults.Add(simfault.Rule{Kind: simfault.Latency, Delay: 150 * time.Millisecond, Method: "POST", PathContains: "/oauth/request-token", Times: scaleCount})
	env.AlignFaults.Add(simfault.Rule{Kind: simfault.Latency, Delay: 150 * time.Millisecond, Method: "POST", PathContains: "/Connectors", Times: scaleCount})
	cfg := env.ProviderBlockWith(acctest.BlockOptions{RequestTimeout: "30s"}) + fmt.Sprintf(`
resource "jira_align_key_pair" "scale" {
  rsa_bits = 2048
}

resource "jira_application_link" "scale" {
  name    = "Jira Align"
  rpc_url = %q
  consumer = {
    consumer_key   = "JiraAlignScale"
    public_key_pem = jira_align_key_pair.scale.public_key_pem
  }
}

resource "jira_align_access_token" "scale" {
  count           = %[2]d
  consumer_key    = jira_application_link.scale.consumer.consumer_key
  private_key_pem = jira_align_key_pair.scale.private_key_pem
}

resource "jira_align_connector" "scale" {
  count     = %[2]d
  name      = "scale-${count.index}"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  basic = {
    username = "svc-align"
    password = "pw-${count.index}"
  }
}
`, env.AlignURL, scaleCount)
	start := time.Now()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		WorkingDir:               workDir,
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: resource.ComposeAggregateTestCheckFunc(
				simsMatchState(env, workDir),
				func(*terraform.State) error {
					held := env.Held()
					if len(held.Connectors) != scaleCount || len(held.Tokens) != scaleCount || len(held.Links) != 1 {
						return fmt.Errorf("simulators hold %d connectors, %d live tokens, %d links; want %d, %d, 1",
							len(held.Connectors), len(held.Tokens), len(held.Links), scaleCount, scaleCount)
					}
					return nil
				},
			),
		}},
		CheckDestroy: nothingLive(env),
	})
	if t.Failed() {
		return
	}
	counts := env.Jira.RequestCounts()
	for _, k := range []string{"POST /plugins/servlet/oauth/request-token", "POST /plugins/servlet/oauth/authorize", "POST /plugins/servlet/oauth/access-token"} {
		if counts[k] != scaleCount {
			t.Errorf("%s was called %d times, want %d (one handshake per token)", k, counts[k], scaleCount)
		}
	}
	if n := counts["POST /plugins/servlet/oauth/users/access-tokens"]; n != scaleCount {
		t.Errorf("revoke was called %d times, want %d", n, scaleCount)
	}
	if n := env.Align.RequestCounts()["POST /rest/align/api/2/Connectors"]; n != scaleCount {
		t.Errorf("POST /Connectors was called %d times, want %d", n, scaleCount)
	}
	jiraPeak, alignPeak := env.JiraFaults.MaxActive(), env.AlignFaults.MaxActive()
	if peak := max(jiraPeak, alignPeak); peak <= 10 || peak > scaleParallelism {
		t.Errorf("at most %d creates ran at once, want more than 10 (terraform-exec's default) and at most %d", peak, scaleParallelism)
	}
	t.Logf("scale (%s): %d connectors and %d tokens at -parallelism=%d in %s; peak concurrent creates: %d handshakes, %d connector POSTs",
		cliLabel(), scaleCount, scaleCount, scaleParallelism, time.Since(start).Round(time.Millisecond), jiraPeak, alignPeak)
}
