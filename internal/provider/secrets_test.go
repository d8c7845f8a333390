package provider_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

func randomSecret(prefix string) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b)
}

// secretsConfig is the full chain plus two basic connectors: the service account's (its Jira
// password) and one behind an API-token proxy (a distinct password).
func secretsConfig(env *acctest.Env, providerBlock, proxyPass string) string {
	return providerBlock + chainHCL{consumerKey: "JiraAlignSecrets", connectorName: "secrets-oauth"}.render(env) + fmt.Sprintf(`
resource "jira_align_connector" "service" {
  name      = "secrets-service-account"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  basic = {
    username = %q
    password = %q
  }
}

resource "jira_align_connector" "proxy" {
  name      = "secrets-token-proxy"
  jira_url  = "https://jira.example.com"
  jira_type = "cloud"
  basic = {
    username = "api-token-proxy"
    password = %q
  }
}
`, acctest.ServiceUser, env.ServicePass, proxyPass)
}

// namedSecret is a secret and what it is, for a report that never prints the value.
type namedSecret struct{ name, value string }

// pemBodyLines returns the base64 lines of a PEM block (not the BEGIN/END lines).
func pemBodyLines(pemText string) []string {
	var out []string
	for _, line := range strings.Split(pemText, "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	return out
}

// findSecrets returns the names of the secrets that text contains.
func findSecrets(text string, secrets []namedSecret) []string {
	var hits []string
	for _, s := range secrets {
		if s.value != "" && strings.Contains(text, s.value) {
			hits = append(hits, s.name)
		}
	}
	return hits
}

// logEntries splits an hclog text log into entries: a line starting with a timestamp opens an
// entry, the lines after it (multi-line values) belong to it.
func logEntries(log string) []string {
	start := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`)
	var entries []string
	var cur strings.Builder
	for _, line := range strings.Split(log, "\n") {
		if start.MatchString(line) && cur.Len() > 0 {
			entries = append(entries, cur.String())
			cur.Reset()
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	if cur.Len() > 0 {
		entries = append(entries, cur.String())
	}
	return entries
}

// TestAccSecrets_notInLogsOrDiagnostics runs the full chain (apply, a failing plan with wrong
// credentials, apply again, destroy) with TRACE logging of both the CLI and the in-process
// provider into one file, then scans that file, every diagnostic the provider returned and
// every error the CLI printed for any secret.
//
// terraform-plugin-testing hands TF_ACC_LOG/TF_ACC_LOG_PATH to the CLI as TF_LOG=TRACE and
// TF_LOG_PATH (terraform-exec strips TF_LOG* from the environment), and writes the in-process
// provider's logs (the tflog sink, TRACE) to the same file.
func TestAccSecrets_notInLogsOrDiagnostics(t *testing.T) {
	acctest.PreCheck(t)
	logPath := filepath.Join(t.TempDir(), "trace.log")
	t.Setenv("TF_ACC_LOG_PATH", logPath)
	t.Setenv("TF_ACC_LOG", "TRACE")
	env := acctest.New(t)
	rec := &acctest.Diagnostics{}
	proxyPass := randomSecret("proxy-token-")
	wrongJiraPass := randomSecret("wrong-jira-password-")
	wrongAlignToken := randomSecret("wrong-align-token-")

	good := secretsConfig(env, env.ProviderBlock(), proxyPass)
	bad := secretsConfig(env, strings.NewReplacer(
		fmt.Sprintf("%q", env.AdminPass), fmt.Sprintf("%q", wrongJiraPass),
		fmt.Sprintf("%q", env.AlignToken), fmt.Sprintf("%q", wrongAlignToken),
	).Replace(env.ProviderBlock()), proxyPass)

	var fromState []namedSecret
	var cliErrors []string
	expectFailure := false
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
		// The wrong-credentials step must fail; its complete error text (the CLI's output) is
		// kept for the scan. Any other error fails the test.
		ErrorCheck: func(err error) error {
			if !expectFailure {
				return err
			}
			cliErrors = append(cliErrors, err.Error())
			want := tolerantRegexp(regexp.MustCompile(`(?s)Jira rejected the credentials of user "jira-admin".*jira_password.*check align_api_token`))
			if !want.MatchString(err.Error()) {
				return err
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: good,
				Check: func(s *terraform.State) error {
					key := s.RootModule().Resources["jira_align_key_pair.test"].Primary.Attributes["private_key_pem"]
					tok := s.RootModule().Resources[tokenAddr].Primary.Attributes
					for i, line := range pemBodyLines(key) {
						fromState = append(fromState, namedSecret{fmt.Sprintf("private key line %d", i+1), line})
					}
					fromState = append(fromState, namedSecret{"access token", tok["token"]}, namedSecret{"access token secret", tok["token_secret"]})
					if len(fromState) < 20 || tok["token"] == "" || tok["token_secret"] == "" {
						return fmt.Errorf("could not read the secrets from state (%d values)", len(fromState))
					}
					return nil
				},
			},
			{
				// Wrong Jira password and Align token: the refresh fails with clear messages.
				PreConfig: func() { expectFailure = true },
				Config:    bad,
			},
			{
				PreConfig: func() {
					expectFailure = false
					if len(cliErrors) == 0 {
						t.Error("the step with wrong credentials did not fail")
					}
				},
				Config: good,
			},
		},
		CheckDestroy: nothingLive(env),
	})
	if t.Failed() {
		return
	}

	secrets := append([]namedSecret{
		{"Jira Align API token", env.AlignToken},
		{"Jira admin password", env.AdminPass},
		{"Jira service account password", env.ServicePass},
		{"basic connector password (API-token proxy)", proxyPass},
		{"wrong Jira password", wrongJiraPass},
		{"wrong Jira Align API token", wrongAlignToken},
	}, fromState...)

	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the log: %v", err)
	}
	log := string(raw)
	// Not vacuous: the CLI's and the provider's TRACE output are both there.
	for _, want := range []string{
		`\[TRACE\]`,                            // TRACE level
		`(Terraform|OpenTofu) version: `,       // the CLI's own log
		`jira: jira: OAuth handshake complete`, // the provider's handshake
		`jira: Jira Align call: .*create connector`,
		`jira: jira: signed call: .*revoke Jira OAuth access token`, // destroy ran
		`tf_rpc=ApplyResourceChange`,
		`Jira rejected the credentials|HTTP 401`, // the failing step
	} {
		if !regexp.MustCompile(want).MatchString(log) {
			t.Errorf("the log has no line matching %q: the scan would be vacuous", want)
		}
	}
	// terraform-plugin-testing logs each test configuration (which holds the test's passwords
	// in clear) through its own logger, sdk.helper_resource. That is the test harness echoing
	// its input, not something Terraform or the provider writes, so those entries are skipped.
	entries := logEntries(log)
	scanned, skipped, traceLines := 0, 0, 0
	harnessHits := map[string]bool{}
	for _, e := range entries {
		if strings.Contains(strings.SplitN(e, "\n", 2)[0], "sdk.helper_resource:") {
			skipped++
			for _, h := range findSecrets(e, secrets) {
				harnessHits[h] = true
			}
			continue
		}
		scanned++
		if strings.Contains(e, "[TRACE]") {
			traceLines++
		}
		if hits := findSecrets(e, secrets); len(hits) > 0 {
			first := strings.SplitN(e, "\n", 2)[0]
			t.Errorf("the log holds %v in an entry starting %.120q", hits, first)
		}
	}
	// The scanner does find secrets in this very log: the harness's echo of the configuration
	// holds the typed ones.
	for _, want := range []string{"Jira Align API token", "Jira admin password", "basic connector password (API-token proxy)"} {
		if !harnessHits[want] {
			t.Errorf("the scanner did not find the %s in the harness's configuration echo: it cannot be trusted", want)
		}
	}
	if traceLines < 500 {
		t.Errorf("only %d TRACE entries in the log", traceLines)
	}
	diags := rec.All()
	if len(diags) == 0 {
		t.Error("no diagnostic was recorded: the diagnostic scan would be vacuous")
	}
	for _, d := range diags {
		if hits := findSecrets(d.Text(), secrets); len(hits) > 0 {
			t.Errorf("a diagnostic of %s holds %v: %q", d.RPC, hits, d.Summary)
		}
	}
	for _, e := range cliErrors {
		if hits := findSecrets(e, secrets); len(hits) > 0 {
			t.Errorf("the CLI's error output holds %v", hits)
		}
	}
	t.Logf("secrets in logs (%s): %d log entries scanned (%d at TRACE, %.1f MB; %d test-harness entries skipped), %d diagnostics, %d CLI error outputs, %d secret values; hits: see errors above, none if this test passed",
		cliLabel(), scanned, traceLines, float64(len(raw))/(1<<20), skipped, len(diags), len(cliErrors), len(secrets))
}

// TestAccSecrets_writeOnlyNotInRawState applies the chain with the write-only variants (basic
// password_wo, approver_password_wo) and reads the raw state file the CLI wrote: no typed secret
// may be in it. The private key and the access token are documented as stored in state, so
// finding them proves the scan reads the right file.
func TestAccSecrets_writeOnlyNotInRawState(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	workDir := t.TempDir()
	wo1, wo2 := randomSecret("basic-wo-1-"), randomSecret("basic-wo-2-")
	cfg := func(basicPass string, version int) string {
		return env.ProviderBlock() + chainHCL{consumerKey: "JiraAlignState", tokenExtra: approverWO(env), noConnector: true}.render(env) + fmt.Sprintf(`
resource "jira_align_connector" "test" {
  name      = "state-basic"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  basic = {
    username            = %q
    password_wo         = %q
    password_wo_version = %d
  }
}
`, acctest.ServiceUser, basicPass, version)
	}
	typed := []namedSecret{
		{"basic password_wo (first)", wo1},
		{"basic password_wo (second)", wo2},
		{"approver password", env.ServicePass},
		{"Jira Align API token", env.AlignToken},
		{"Jira admin password", env.AdminPass},
	}
	rawStateCheck := func(wantBasic string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			raw, res, err := acctest.ReadState(workDir)
			if err != nil {
				return err
			}
			if len(raw) == 0 {
				return fmt.Errorf("no state file under %s", workDir)
			}
			if hits := findSecrets(string(raw), typed); len(hits) > 0 {
				return fmt.Errorf("the raw state file holds %v", hits)
			}
			// Not vacuous: what the docs say is stored is found in the same bytes.
			var stored []namedSecret
			for _, r := range res {
				switch r.Type {
				case "jira_align_key_pair":
					lines := pemBodyLines(r.Attr("private_key_pem"))
					if len(lines) == 0 {
						return fmt.Errorf("no private key in the parsed state")
					}
					stored = append(stored, namedSecret{"a private key line", lines[len(lines)/2]})
				case "jira_align_access_token":
					stored = append(stored, namedSecret{"the access token", r.Attr("token")}, namedSecret{"the token secret", r.Attr("token_secret")})
				}
			}
			if len(stored) != 3 {
				return fmt.Errorf("found %d of the stored secrets in the parsed state, want 3", len(stored))
			}
			if got := findSecrets(string(raw), stored); len(got) != len(stored) {
				return fmt.Errorf("the raw state holds only %v of the documented stored secrets: the scan does not read what the CLI wrote", got)
			}
			if c := env.Align.Connectors(); len(c) != 1 || c[0].Password != wantBasic {
				return fmt.Errorf("Jira Align did not receive the write-only password")
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		TerraformVersionChecks:   writeOnlyCLI(),
		WorkingDir:               workDir,
		Steps: []resource.TestStep{
			{Config: cfg(wo1, 1), Check: rawStateCheck(wo1)},
			{Config: cfg(wo2, 2), Check: rawStateCheck(wo2)}, // a new write-only value, sent in place
		},
		CheckDestroy: nothingLive(env),
	})
}
