package provider_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/alignsim"
)

// woConnectorHCL is the chain's connector on the write-only path: the three OAuth secrets as
// *_wo attributes and credentials_wo_version set to version (an HCL expression).
func woConnectorHCL(version string) string {
	return fmt.Sprintf(`
resource "jira_align_connector" "test" {
  name      = "oauth-wo"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  oauth1 = {
    consumer_key            = jira_application_link.test.consumer.consumer_key
    private_key_pem_wo      = jira_align_key_pair.test.private_key_pem
    access_token_wo         = jira_align_access_token.test.token
    access_token_secret_wo  = jira_align_access_token.test.token_secret
    credentials_wo_version  = %s
    access_token_expires_at = jira_align_access_token.test.expires_at
  }
}
`, version)
}

// rawInstance is one resource instance of the raw state file: its bytes as the CLI wrote them,
// with its private data (base64 in the file) and its string values (unescaped) appended, and
// its attributes.
type rawInstance struct {
	text  string
	attrs map[string]any
}

// rawInstances reads the state file under workDir and returns the single instance of every
// managed resource, by "type.name".
func rawInstances(workDir string) (map[string]rawInstance, error) {
	p, err := acctest.StateFile(workDir)
	if err != nil {
		return nil, err
	}
	if p == "" {
		return nil, fmt.Errorf("no state file under %s", workDir)
	}
	raw, err := os.ReadFile(p) //nolint:gosec // the test's own state file
	if err != nil {
		return nil, err
	}
	var doc struct {
		Resources []struct {
			Mode, Type, Name string
			Instances        []json.RawMessage
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	out := map[string]rawInstance{}
	for _, r := range doc.Resources {
		if r.Mode != "managed" || len(r.Instances) != 1 {
			continue
		}
		var inst struct {
			Private    string         `json:"private"`
			Attributes map[string]any `json:"attributes"`
		}
		if err := json.Unmarshal(r.Instances[0], &inst); err != nil {
			return nil, err
		}
		text := string(r.Instances[0])
		if inst.Private != "" {
			dec, err := base64.StdEncoding.DecodeString(inst.Private)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: private data is not base64: %w", r.Type, r.Name, err)
			}
			text += "\n" + string(dec)
		}
		// The file escapes line breaks inside strings: add every string value unescaped, so a
		// multi-line secret (a PEM block) is found whole.
		var strs []string
		collectStrings(inst.Attributes, &strs)
		text += "\n" + strings.Join(strs, "\n")
		out[r.Type+"."+r.Name] = rawInstance{text: text, attrs: inst.Attributes}
	}
	return out, nil
}

func collectStrings(v any, out *[]string) {
	switch v := v.(type) {
	case string:
		*out = append(*out, v)
	case map[string]any:
		for _, e := range v {
			collectStrings(e, out)
		}
	case []any:
		for _, e := range v {
			collectStrings(e, out)
		}
	}
}

// issuedSecrets are the key pair's private key (whole and per line) and the token and its
// secret, as the key pair's and token's own instances in the raw state hold them.
func issuedSecrets(inst map[string]rawInstance) ([]namedSecret, error) {
	key, _ := inst["jira_align_key_pair.test"].attrs["private_key_pem"].(string)
	tok, _ := inst[tokenAddr].attrs["token"].(string)
	sec, _ := inst[tokenAddr].attrs["token_secret"].(string)
	lines := pemBodyLines(key)
	if len(lines) < 10 || tok == "" || sec == "" {
		return nil, fmt.Errorf("the raw state lacks the key pair's key or the token (%d key lines)", len(lines))
	}
	out := []namedSecret{{"the private key", key}, {"the access token", tok}, {"the token secret", sec}}
	for i, l := range lines {
		out = append(out, namedSecret{fmt.Sprintf("private key line %d", i+1), l})
	}
	return out, nil
}

// connectorWriteOnly checks the write-only path after an apply: Jira Align stores exactly the
// key and token the key pair and the token resource hold; the connector's instance in the raw
// state file (attributes, private data) and in `show -json` holds none of them, while the key
// pair's and token's instances do (so the scan reads the file the CLI wrote); and
// credentials_wo_version is the token's id.
func connectorWriteOnly(t *testing.T, env *acctest.Env, workDir string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		inst, err := rawInstances(workDir)
		if err != nil {
			return err
		}
		secrets, err := issuedSecrets(inst)
		if err != nil {
			return err
		}
		conn, ok := inst[connAddr]
		if !ok {
			return fmt.Errorf("%s not in the raw state", connAddr)
		}
		if hits := findSecrets(conn.text, secrets); len(hits) > 0 {
			return fmt.Errorf("the connector's raw state holds %v", hits)
		}
		for addr, rs := range s.RootModule().Resources {
			if addr != connAddr {
				continue
			}
			for k, v := range rs.Primary.Attributes {
				if hits := findSecrets(v, secrets); len(hits) > 0 {
					return fmt.Errorf("the connector's state from show -json holds %v in %s", hits, k)
				}
			}
		}
		if got := findSecrets(inst["jira_align_key_pair.test"].text+inst[tokenAddr].text, secrets); len(got) != len(secrets) {
			return fmt.Errorf("the key pair's and token's raw state hold only %d of %d secrets: the scan is not reading the state", len(got), len(secrets))
		}
		o, _ := conn.attrs["oauth1"].(map[string]any)
		for _, a := range []string{"private_key_pem", "access_token", "access_token_secret", "private_key_pem_wo", "access_token_wo", "access_token_secret_wo"} {
			if v, present := o[a]; !present || v != nil {
				return fmt.Errorf("the connector's state has oauth1.%s = %v, want null", a, v)
			}
		}
		tokID, _ := inst[tokenAddr].attrs["id"].(string)
		if v, _ := o["credentials_wo_version"].(string); v != tokID || tokID == "" {
			return fmt.Errorf("credentials_wo_version is %q, want the token's id %q", v, tokID)
		}
		return storedIsIssued(t, env, s, secrets)
	}
}

// storedIsIssued asserts the simulator's connector holds the key and token in secrets (from
// issuedSecrets) and that exactly one token is live in Jira, the one in state.
func storedIsIssued(t *testing.T, env *acctest.Env, s *terraform.State, secrets []namedSecret) error {
	c := stored(t, env, s)
	if c.AuthType != "oauth1" || c.PrivateKeyPEM != secrets[0].value || c.AccessToken != secrets[1].value || c.AccessTokenSecret != secrets[2].value {
		return fmt.Errorf("Jira Align does not hold the issued key and token (auth %s; key %v, token %v, secret %v)", c.AuthType,
			c.PrivateKeyPEM == secrets[0].value, c.AccessToken == secrets[1].value, c.AccessTokenSecret == secrets[2].value)
	}
	return exactlyOneLiveToken(t, env, true)(s)
}

// TestAccConnector_oauth1WriteOnly runs the chain with the connector's OAuth secrets on the
// write-only path: a switch from the plain attributes, then every way the token changes
// (keepers, revocation in Jira, renew_before) and a credential change in Jira Align. After each
// apply Jira Align holds the issued key and token, one token is live, the next plan is empty,
// and the connector's raw state holds none of the secrets.
func TestAccConnector_oauth1WriteOnly(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	workDir := t.TempDir()
	chain := func(keepers string) string {
		return chainConfig(t, env, chainOpts{tokenKeyIndex: -1, noConnector: true, keepers: keepers, tokenExtra: `renew_before = "1440h"`})
	}
	wo := func(keepers string) string { return chain(keepers) + woConnectorHCL("jira_align_access_token.test.id") }
	plain := chainConfig(t, env, chainOpts{tokenKeyIndex: -1, keepers: "k1", tokenExtra: `renew_before = "1440h"`})
	var id int
	rotated := func(tokenAction plancheck.ResourceActionType) resource.ConfigPlanChecks {
		return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(tokenAddr, tokenAction),
			plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
			plancheck.ExpectUnknownValue(connAddr, tfjsonPath("oauth1").AtMapKey("credentials_wo_version")),
			plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionNoop),
		}}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		TerraformVersionChecks:   writeOnlyCLI(),
		WorkingDir:               workDir,
		Steps: []resource.TestStep{
			{
				// The plain attributes: the same scan finds the secrets in the connector's state.
				Config: plain,
				Check: func(s *terraform.State) error {
					inst, err := rawInstances(workDir)
					if err != nil {
						return err
					}
					secrets, err := issuedSecrets(inst)
					if err != nil {
						return err
					}
					if hits := findSecrets(inst[connAddr].text, secrets[:3]); len(hits) != 3 {
						return fmt.Errorf("on the plain path the scan finds only %v in the connector's raw state", hits)
					}
					id, err = strconv.Atoi(s.RootModule().Resources[connAddr].Primary.ID)
					if err != nil {
						return err
					}
					return storedIsIssued(t, env, s, secrets)
				},
			},
			{
				// Switching to the write-only path is an in-place update; state forgets the secrets.
				Config: wo("k1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionNoop),
				}},
				Check: connectorWriteOnly(t, env, workDir),
			},
			{
				// keepers: a new token first, the connector moves to it, the old one is revoked.
				Config:           wo("k2"),
				ConfigPlanChecks: rotated(plancheck.ResourceActionCreateBeforeDestroy),
				Check:            connectorWriteOnly(t, env, workDir),
			},
			{
				// The token revoked in Jira: a new token, and the connector follows.
				PreConfig: func() {
					if n := env.Jira.RevokeAll(); n != 1 {
						t.Fatalf("revoked %d tokens, want 1", n)
					}
				},
				Config:           wo("k2"),
				ConfigPlanChecks: rotated(plancheck.ResourceActionCreate),
				Check:            connectorWriteOnly(t, env, workDir),
			},
			{
				// 50 days before expiry, inside renew_before: renewed, and the connector follows.
				PreConfig:        func() { env.ClockOffset.Store(int64(5*365*24*time.Hour - 50*24*time.Hour)) },
				Config:           wo("k2"),
				ConfigPlanChecks: rotated(plancheck.ResourceActionCreateBeforeDestroy),
				Check: func(s *terraform.State) error {
					env.ClockOffset.Store(0)
					return connectorWriteOnly(t, env, workDir)(s)
				},
			},
			{
				// Someone pastes another token in the Jira Align UI: the plan re-sends the
				// write-only secrets from the configuration.
				PreConfig: func() {
					must(t, env.Align.EditConnector(id, func(c *alignsim.StoredConnector) { c.AccessToken = "pasted-in-ui" }))
				},
				Config: wo("k2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionNoop),
					plancheck.ExpectUnknownValue(connAddr, tfjsonPath("credential_version")),
				}},
				Check: connectorWriteOnly(t, env, workDir),
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

// TestAccConnector_oauth1WriteOnlyFixedVersion: with a credentials_wo_version that does not
// follow the token, a token replaced in the same apply still reaches the connector (its
// write-only value is unknown at plan, which plans an update), and a new version alone
// re-sends the three secrets.
func TestAccConnector_oauth1WriteOnlyFixedVersion(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	workDir := t.TempDir()
	cfg := func(keepers, version string) string {
		return chainConfig(t, env, chainOpts{tokenKeyIndex: -1, noConnector: true, keepers: keepers}) + woConnectorHCL(strconv.Quote(version))
	}
	puts := func() int64 { return env.Align.RequestCounts()["PUT /rest/align/api/2/Connectors/{id}"] }
	var putsBefore int64
	check := func(version string, wantPuts int64) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			inst, err := rawInstances(workDir)
			if err != nil {
				return err
			}
			secrets, err := issuedSecrets(inst)
			if err != nil {
				return err
			}
			if hits := findSecrets(inst[connAddr].text, secrets); len(hits) > 0 {
				return fmt.Errorf("the connector's raw state holds %v", hits)
			}
			if got := s.RootModule().Resources[connAddr].Primary.Attributes["oauth1.credentials_wo_version"]; got != version {
				return fmt.Errorf("credentials_wo_version %q, want %q", got, version)
			}
			if got := puts() - putsBefore; got != wantPuts {
				return fmt.Errorf("%d connector updates in this step, want %d", got, wantPuts)
			}
			return storedIsIssued(t, env, s, secrets)
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		TerraformVersionChecks:   writeOnlyCLI(),
		WorkingDir:               workDir,
		Steps: []resource.TestStep{
			{Config: cfg("k1", "v1"), PreConfig: func() { putsBefore = puts() }, Check: check("v1", 0)},
			{
				PreConfig: func() { putsBefore = puts() },
				Config:    cfg("k2", "v1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionCreateBeforeDestroy),
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(connAddr, tfjsonPath("credential_version")),
				}},
				Check: check("v1", 1),
			},
			{
				// Only the version changes: one update that sends the same three secrets.
				PreConfig: func() { putsBefore = puts() },
				Config:    cfg("k2", "v2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
				Check: check("v2", 1),
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

// TestAccConnector_oauth1SecretsValidation: every wrong combination of the OAuth secrets fails
// at plan with a message that starts with the attribute path, before any request.
func TestAccConnector_oauth1SecretsValidation(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	key := acctest.HCLHeredoc(acctest.TestKeyPEM(t, 0))
	conn := func(lines string) string {
		return env.ProviderBlock() + fmt.Sprintf(`
resource "jira_align_key_pair" "k" {}

resource "jira_align_connector" "test" {
  name      = "v"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  oauth1 = {
    consumer_key = "JiraAlign"
    %s
  }
}
`, lines)
	}
	plainAll := fmt.Sprintf("private_key_pem = %s\n    access_token = \"t\"\n    access_token_secret = \"s\"", key)
	woAll := fmt.Sprintf("private_key_pem_wo = %s\n    access_token_wo = \"t\"\n    access_token_secret_wo = \"s\"", key)
	type tc struct{ name, lines, want string }
	anyCLI := []tc{
		{"no secrets", "", `oauth1\.private_key_pem: the RSA private key is missing\. A new connector needs it: set it, for example to jira_align_key_pair\.<name>\.private_key_pem, or private_key_pem_wo with credentials_wo_version`},
		{"token missing", fmt.Sprintf("private_key_pem = %s\n    access_token_secret = \"s\"", key), `oauth1\.access_token: the OAuth access token is missing\. A new connector needs it`},
		{"version without write-only secrets", plainAll + "\n    credentials_wo_version = \"1\"", `oauth1\.credentials_wo_version: only used with the write-only secrets`},
	}
	writeOnly := []tc{
		{"plain and write-only key", plainAll + fmt.Sprintf("\n    private_key_pem_wo = %s\n    credentials_wo_version = \"1\"", key),
			`oauth1\.private_key_pem_wo: set either private_key_pem or private_key_pem_wo, not both`},
		{"mixed", fmt.Sprintf("private_key_pem_wo = %s\n    access_token = \"t\"\n    access_token_secret_wo = \"s\"\n    credentials_wo_version = \"1\"", key),
			`oauth1\.access_token: the three secrets are given all plain .* or all write-only .*; private_key_pem_wo is\s+write-only here, so use access_token_wo`},
		{"no version", woAll, `oauth1\.credentials_wo_version: required with the write-only secrets`},
		{"no version, secrets not known until apply", "private_key_pem_wo = jira_align_key_pair.k.private_key_pem\n    access_token_wo = jira_align_key_pair.k.id\n    access_token_secret_wo = jira_align_key_pair.k.id",
			`oauth1\.credentials_wo_version: required with the write-only secrets`},
		{"mixed, secrets not known until apply", "private_key_pem_wo = jira_align_key_pair.k.private_key_pem\n    access_token = jira_align_key_pair.k.id\n    access_token_secret_wo = jira_align_key_pair.k.id\n    credentials_wo_version = jira_align_key_pair.k.id",
			`oauth1\.access_token: the three secrets are given all plain`},
		{"bad write-only key", "private_key_pem_wo = \"not a key\"\n    access_token_wo = \"t\"\n    access_token_secret_wo = \"s\"\n    credentials_wo_version = \"1\"",
			// OpenTofu points at the resource block, not at the write-only attribute; the
			// rule's message does not start with the attribute path yet.
			`Invalid private key.*not a PEM block`},
	}
	steps := func(cases []tc) []resource.TestStep {
		var out []resource.TestStep
		for _, c := range cases {
			out = append(out, resource.TestStep{Config: conn(c.lines), PlanOnly: true, ExpectError: tolerantRegexp(regexp.MustCompile(`(?s)` + c.want))})
		}
		return out
	}
	t.Run("any CLI", func(t *testing.T) {
		resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: acctest.ProviderFactories(), Steps: steps(anyCLI)})
	})
	t.Run("write-only", func(t *testing.T) {
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: acctest.ProviderFactories(),
			TerraformVersionChecks:   writeOnlyCLI(),
			Steps:                    steps(writeOnly),
		})
	})
	if n := env.Align.TotalRequests(); n != 0 {
		t.Errorf("plan-time validation sent %d requests to Jira Align, want 0", n)
	}
}

// TestAccConnector_oauth1WriteOnlyNeedsNewCLI: before 1.11 the CLI cannot send write-only
// values; the error names the attribute and the version that can.
func TestAccConnector_oauth1WriteOnlyNeedsNewCLI(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		TerraformVersionChecks:   noWriteOnlyCLI(),
		Steps: []resource.TestStep{{
			Config: env.ProviderBlock() + fmt.Sprintf(`
resource "jira_align_connector" "test" {
  name      = "wo"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  oauth1 = {
    consumer_key           = "JiraAlign"
    private_key_pem_wo     = %s
    access_token_wo        = "t"
    access_token_secret_wo = "s"
    credentials_wo_version = "1"
  }
}
`, acctest.HCLHeredoc(acctest.TestKeyPEM(t, 0))),
			PlanOnly: true,
			ExpectError: tolerantRegexp(regexp.MustCompile(
				`(?s)WriteOnly attribute\s+oauth1\.private_key_pem_wo\. Write-only attributes are only supported in\s+Terraform 1\.11 and later`)),
		}},
	})
}
