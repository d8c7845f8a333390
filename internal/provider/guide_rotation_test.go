package provider_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

const rotationGuide = "../../docs/guides/api-token-rotation.md"

// TestAccGuide_apiTokenRotation runs the API-token rotation guide as printed: its main.tf and
// terraform.tfvars blocks verbatim, its environment variables (Jira Align on a loopback address,
// where the provider allows plain http), the year of the first token, the two warnings the guide
// shows, word for word, and the rotation.
func TestAccGuide_apiTokenRotation(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	rec := &acctest.Diagnostics{}

	mainTF := acctest.FindGuideBlock(t, rotationGuide, "The configuration", "terraform", `resource "jira_align_connector" "jira_cloud"`).Text
	yearOne := acctest.FindGuideBlock(t, rotationGuide, "The configuration", "terraform", `jira_api_token_expires_at = "`).Text
	rotated := acctest.FindGuideBlock(t, rotationGuide, "Rotating", "terraform", `jira_api_token_expires_at = "`).Text
	soonText := acctest.FindGuideBlock(t, rotationGuide, "The warning", "text", "Warning:").Text
	expiredText := acctest.FindGuideBlock(t, rotationGuide, "expired", "text", "Warning:").Text
	// The guide's commands are what this test does: export these variables, then apply.
	for shell, vars := range map[string][]string{
		acctest.FindGuideBlock(t, rotationGuide, "The configuration", "shell", "terraform apply").Text: {"JIRA_ALIGN_URL", "JIRA_ALIGN_API_TOKEN", "TF_VAR_jira_api_token"},
		acctest.FindGuideBlock(t, rotationGuide, "Rotating", "shell", "terraform apply").Text:          {"TF_VAR_jira_api_token"},
	} {
		for _, v := range vars {
			if !regexp.MustCompile(`(?m)^export ` + v + `=`).MatchString(shell) {
				t.Fatalf("the guide's commands no longer set %s:\n%s", v, shell)
			}
		}
	}

	dir := func(name, tfvars string) string {
		d := filepath.Join(t.TempDir(), name)
		must(t, os.MkdirAll(d, 0o700))
		must(t, os.WriteFile(filepath.Join(d, "main.tf"), []byte(mainTF), 0o600))
		must(t, os.WriteFile(filepath.Join(d, "terraform.tfvars"), []byte(tfvars), 0o600))
		return d
	}
	firstDir, rotatedDir := dir("year-one", yearOne), dir("rotated", rotated)
	expires := tfvarTime(t, yearOne, "jira_api_token_expires_at")
	nextExpires := tfvarTime(t, rotated, "jira_api_token_expires_at")

	// What the guide shows, and when: "in 12 days", "3 days ago".
	soonSummary, soonDetail := acctest.TerraformOutputMessage(soonText)
	expiredSummary, expiredDetail := acctest.TerraformOutputMessage(expiredText)
	soonAt := expires.Add(-time.Duration(daysIn(t, soonDetail, `in (\d+) days`))*24*time.Hour - time.Hour)
	expiredAt := expires.Add(time.Duration(daysIn(t, expiredDetail, `(\d+) days ago`))*24*time.Hour + time.Hour)
	for _, text := range []string{soonText, expiredText} {
		checkWarningLocation(t, text, mainTF)
	}

	// The environment the guide sets. Jira Align is served on loopback over plain http (allowed
	// there), so the guide's provider block needs no CA certificate.
	alignHTTP := httptest.NewServer(env.AlignFaults)
	t.Cleanup(alignHTTP.Close)
	t.Setenv("JIRA_ALIGN_URL", alignHTTP.URL)
	t.Setenv("JIRA_ALIGN_API_TOKEN", env.AlignToken)
	for _, v := range []string{"JIRA_URL", "JIRA_USERNAME", "JIRA_PASSWORD", "JIRA_EXPIRY_WARNING"} {
		t.Setenv(v, "")
	}
	// The guide's required_providers names the provider by its registry address.
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", "jira-align-tf")
	const tokenOne, tokenTwo = "atlassian-api-token-2026", "atlassian-api-token-2027"

	const addr = "jira_align_connector.jira_cloud"
	var since time.Time
	step := func(clock time.Time, token string) func() {
		return func() {
			setClock(env, clock)
			t.Setenv("TF_VAR_jira_api_token", token)
			since = time.Now()
		}
	}
	storedPassword := func(want string, version int) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			conns := env.Align.Connectors()
			if len(conns) != 1 {
				return fmt.Errorf("Jira Align holds %d connectors, want 1", len(conns))
			}
			c := conns[0]
			if c.Name != "jira-cloud" || c.AuthType != "basic" || c.Username != "svc-align@example.com" || c.Password != want || c.CredentialVersion != version {
				return fmt.Errorf("Jira Align holds %+v, want password %q at credential version %d", c, want, version)
			}
			if id := s.RootModule().Resources[addr].Primary.ID; id != strconv.Itoa(c.ID) {
				return fmt.Errorf("state names connector %s, Jira Align holds %d", id, c.ID)
			}
			return nil
		}
	}
	noTokenInState := func(s *terraform.State) error {
		for k, v := range s.RootModule().Resources[addr].Primary.Attributes {
			if strings.Contains(v, tokenOne) || strings.Contains(v, tokenTwo) {
				return fmt.Errorf("state attribute %s holds the API token", k)
			}
		}
		return nil
	}

	// The guide's main.tf has a provider block, so the provider goes on each step (a test case
	// with providers refuses a configuration that has its own).
	factories := env.RecordingProviderFactories(rec)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{
			// The recipe's password_wo is a write-only attribute.
			tfversion.SkipBelow(tfversion.Version1_11_0),
		},
		Steps: []resource.TestStep{
			{
				// The first token, a year before it expires: created, no warning.
				PreConfig:                step(expires.AddDate(-1, 0, 0), tokenOne),
				ProtoV6ProviderFactories: factories,
				ConfigDirectory:          config.StaticDirectory(firstDir),
				Check: resource.ComposeAggregateTestCheckFunc(
					storedPassword(tokenOne, 1),
					resource.TestCheckResourceAttr(addr, "basic.password_expires_at", expires.Format(time.RFC3339)),
					resource.TestCheckResourceAttr(addr, "basic.password_wo_version", "1"),
					noTokenInState,
					wantWarnings(rec, &since, ""),
				),
			},
			{
				// Within 30 days of the expiry: the guide's first warning, word for word.
				PreConfig:                step(soonAt, tokenOne),
				ProtoV6ProviderFactories: factories,
				ConfigDirectory:          config.StaticDirectory(firstDir),
				Check:                    wantWarnings(rec, &since, soonSummary+"\n"+soonDetail),
			},
			{
				// Expired: the louder one.
				PreConfig:                step(expiredAt, tokenOne),
				ProtoV6ProviderFactories: factories,
				ConfigDirectory:          config.StaticDirectory(firstDir),
				Check:                    wantWarnings(rec, &since, expiredSummary+"\n"+expiredDetail),
			},
			{
				// The rotation: the guide's new terraform.tfvars and a new token, one in-place
				// update that sends it; then no warning.
				PreConfig:                step(expiredAt, tokenTwo),
				ProtoV6ProviderFactories: factories,
				ConfigDirectory:          config.StaticDirectory(rotatedDir),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					storedPassword(tokenTwo, 2),
					resource.TestCheckResourceAttr(addr, "basic.password_expires_at", nextExpires.Format(time.RFC3339)),
					resource.TestCheckResourceAttr(addr, "basic.password_wo_version", "2"),
					noTokenInState,
					wantWarnings(rec, &since, ""),
				),
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if n := len(env.Align.Connectors()); n != 0 {
				return fmt.Errorf("%d connectors left after destroy", n)
			}
			return nil
		},
	})
}

// tfvarTime reads an RFC 3339 value assigned in a tfvars text.
func tfvarTime(t *testing.T, tfvars, name string) time.Time {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `\s*=\s*"([^"]+)"`).FindStringSubmatch(tfvars)
	if m == nil {
		t.Fatalf("%s is not set in:\n%s", name, tfvars)
	}
	v, err := time.Parse(time.RFC3339, m[1])
	must(t, err)
	return v
}

func daysIn(t *testing.T, text, pattern string) int {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("%q does not match %s", text, pattern)
	}
	n, err := strconv.Atoi(m[1])
	must(t, err)
	return n
}

// checkWarningLocation checks that the guide's "on main.tf line N" and the quoted source line are
// those of the guide's main.tf.
func checkWarningLocation(t *testing.T, text, mainTF string) {
	t.Helper()
	m := regexp.MustCompile(`on main\.tf line (\d+),[^\n]*\n[│\s]*(\d+):(.*)`).FindStringSubmatch(text)
	if m == nil || m[1] != m[2] {
		t.Fatalf("the guide's warning names no consistent main.tf line:\n%s", text)
	}
	n, err := strconv.Atoi(m[1])
	must(t, err)
	lines := strings.Split(mainTF, "\n")
	if n < 1 || n > len(lines) || strings.TrimSpace(lines[n-1]) != strings.TrimSpace(m[3]) {
		t.Fatalf("the guide quotes main.tf line %d as %q; main.tf has %q", n, strings.TrimSpace(m[3]), strings.TrimSpace(lines[min(max(n, 1), len(lines))-1]))
	}
}
