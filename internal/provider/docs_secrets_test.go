package provider_test

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

const secretsGuide = "../../docs/guides/secrets-and-state.md"

// guideBlock returns the one ```terraform block of a guide that contains marker, verbatim.
func guideBlock(t *testing.T, guide, marker string) string {
	t.Helper()
	return acctest.FindGuideBlock(t, guide, "", "terraform", marker).Text
}

// guideChainIssued checks the guide's chain (resources named "align", connector "prod") after
// an apply: Jira Align's connector holds the key and the token of the key pair and the token
// resource, the one live token is that token, approved by the service account, and the
// connector's state holds none of those secrets.
func guideChainIssued(t *testing.T, env *acctest.Env) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		res := s.RootModule().Resources
		key := res["jira_align_key_pair.align"].Primary.Attributes["private_key_pem"]
		tok := res["jira_align_access_token.align"].Primary.Attributes
		conn := res["jira_align_connector.prod"].Primary
		if key == "" || tok["token"] == "" || tok["token_secret"] == "" {
			return fmt.Errorf("the key pair or the token has no secret in state")
		}
		secrets := []namedSecret{{"the private key", key}, {"the access token", tok["token"]}, {"the token secret", tok["token_secret"]}}
		for _, l := range pemBodyLines(key) {
			secrets = append(secrets, namedSecret{"a private key line", l})
		}
		for k, v := range conn.Attributes {
			if hits := findSecrets(v, secrets); len(hits) > 0 {
				return fmt.Errorf("the connector's state holds %v in %s", hits, k)
			}
		}
		var id int
		if _, err := fmt.Sscan(conn.ID, &id); err != nil {
			return err
		}
		c, ok := env.Align.Connector(id)
		if !ok {
			return fmt.Errorf("connector %d not in Jira Align", id)
		}
		if c.PrivateKeyPEM != key || c.AccessToken != tok["token"] || c.AccessTokenSecret != tok["token_secret"] {
			return fmt.Errorf("Jira Align's connector does not hold the issued key and token")
		}
		live := env.Jira.LiveTokens()
		if len(live) != 1 || live[0].Token != tok["token"] || live[0].User != acctest.ServiceUser {
			return fmt.Errorf("Jira holds %d live tokens, want exactly the one in state, approved by %s", len(live), acctest.ServiceUser)
		}
		return nil
	}
}

// TestAccDocs_secretsGuideWriteOnly applies the guide's write-only chain verbatim (after the
// test's provider block), then revokes the token in Jira: the next apply issues a new one and
// moves the connector to it.
func TestAccDocs_secretsGuideWriteOnly(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	cfg := env.ProviderBlock() + guideBlock(t, secretsGuide, "credentials_wo_version")
	vars := config.Variables{"service_password": config.StringVariable(env.ServicePass)}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		TerraformVersionChecks:   writeOnlyCLI(),
		Steps: []resource.TestStep{
			{Config: cfg, ConfigVariables: vars, Check: guideChainIssued(t, env)},
			{
				PreConfig: func() {
					if n := env.Jira.RevokeAll(); n != 1 {
						t.Fatalf("revoked %d tokens, want 1", n)
					}
				},
				Config:          cfg,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("jira_align_access_token.align", plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction("jira_align_connector.prod", plancheck.ResourceActionUpdate),
				}},
				Check: guideChainIssued(t, env),
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

// TestAccDocs_secretsGuideStateEncryption applies the guide's write-only chain with its
// OpenTofu state-encryption block, both verbatim: the state file on disk is ciphertext that
// holds no secret, and OpenTofu still reads it (the checks see the decrypted state).
func TestAccDocs_secretsGuideStateEncryption(t *testing.T) {
	acctest.PreCheck(t)
	if cliName() != "tofu" {
		t.Skip("state encryption is an OpenTofu feature; Terraform has none")
	}
	env := acctest.New(t)
	workDir := t.TempDir()
	cfg := env.ProviderBlock() + guideBlock(t, secretsGuide, "credentials_wo_version") + guideBlock(t, secretsGuide, "encryption {")
	passphrase := randomSecret("state-passphrase-")
	vars := config.Variables{
		"service_password": config.StringVariable(env.ServicePass),
		"state_passphrase": config.StringVariable(passphrase),
	}
	encrypted := func(s *terraform.State) error {
		p, err := acctest.StateFile(workDir)
		if err != nil {
			return err
		}
		if p == "" {
			return fmt.Errorf("no state file under %s", workDir)
		}
		raw, err := os.ReadFile(p) //nolint:gosec // the test's own state file
		if err != nil {
			return err
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(raw, &doc); err != nil {
			return fmt.Errorf("the state file is not JSON: %w", err)
		}
		if _, ok := doc["encrypted_data"]; !ok {
			return fmt.Errorf("the state file is not encrypted (members %v)", keys(doc))
		}
		if _, ok := doc["resources"]; ok {
			return fmt.Errorf("the encrypted state file lists resources in clear")
		}
		tok := s.RootModule().Resources["jira_align_access_token.align"].Primary.Attributes
		key := s.RootModule().Resources["jira_align_key_pair.align"].Primary.Attributes["private_key_pem"]
		secrets := []namedSecret{{"the access token", tok["token"]}, {"the token secret", tok["token_secret"]}, {"the passphrase", passphrase}}
		for _, l := range pemBodyLines(key) {
			secrets = append(secrets, namedSecret{"a private key line", l})
		}
		if len(secrets) < 10 || tok["token"] == "" {
			return fmt.Errorf("OpenTofu did not read the secrets back from the encrypted state")
		}
		if hits := findSecrets(string(raw), secrets); len(hits) > 0 {
			return fmt.Errorf("the encrypted state file holds %v", hits)
		}
		return guideChainIssued(t, env)(s)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		WorkingDir:               workDir,
		Steps:                    []resource.TestStep{{Config: cfg, ConfigVariables: vars, Check: encrypted}},
		CheckDestroy:             nothingLive(env),
	})
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
