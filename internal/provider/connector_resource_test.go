package provider_test

import (
	"fmt"
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
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/simfault"
)

const connAddr = "jira_align_connector.test"

func basicConnector(name, url, jiraType, user, password string) string {
	return fmt.Sprintf(`
resource "jira_align_connector" "test" {
  name      = %q
  jira_url  = %q
  jira_type = %q
  basic = {
    username = %q
    password = %q
  }
}
`, name, url, jiraType, user, password)
}

func oauthConnector(t *testing.T, name string, key int, consumerKey, token string) string {
	return fmt.Sprintf(`
resource "jira_align_connector" "test" {
  name      = %q
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  oauth1 = {
    consumer_key            = %q
    private_key_pem         = %s
    access_token            = %q
    access_token_secret     = "secret-of-%s"
    access_token_expires_at = "2031-11-27T22:00:00Z"
  }
}
`, name, consumerKey, acctest.HCLHeredoc(acctest.TestKeyPEM(t, key)), token, token)
}

// stored returns the simulator's record of the connector in state.
func stored(t *testing.T, env *acctest.Env, s *terraform.State) alignsim.StoredConnector {
	t.Helper()
	rs, ok := s.RootModule().Resources[connAddr]
	if !ok {
		t.Fatalf("%s not in state", connAddr)
	}
	id, err := strconv.Atoi(rs.Primary.ID)
	if err != nil {
		t.Fatalf("id %q: %v", rs.Primary.ID, err)
	}
	c, ok := env.Align.Connector(id)
	if !ok {
		t.Fatalf("connector %d not in the simulator", id)
	}
	return c
}

func TestAccConnector_basicLifecycle(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: env.ProviderBlock() + basicConnector("jira-prod", "https://jira.example.com", "data_center", "svc-align", "pw-one"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(connAddr, "name", "jira-prod"),
					resource.TestCheckResourceAttr(connAddr, "jira_type", "data_center"),
					resource.TestCheckResourceAttr(connAddr, "basic.username", "svc-align"),
					resource.TestCheckResourceAttr(connAddr, "credential_version", "1"),
					resource.TestCheckNoResourceAttr(connAddr, "public_key_fingerprint"),
					resource.TestMatchResourceAttr(connAddr, "updated_at", regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)),
					resource.TestCheckResourceAttrWith(connAddr, "id", func(v string) error { id = v; return nil }),
					func(s *terraform.State) error {
						c := stored(t, env, s)
						if c.AuthType != "basic" || c.Username != "svc-align" || c.Password != "pw-one" || c.JiraType != 2 {
							return fmt.Errorf("simulator holds %+v", c)
						}
						return nil
					},
				),
			},
			{
				// Every attribute changes in place.
				Config: env.ProviderBlock() + basicConnector("jira-prod-2", "https://jira2.example.com/jira", "cloud", "svc-two", "pw-two"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr(connAddr, "id", &id),
					resource.TestCheckResourceAttr(connAddr, "name", "jira-prod-2"),
					resource.TestCheckResourceAttr(connAddr, "jira_url", "https://jira2.example.com/jira"),
					resource.TestCheckResourceAttr(connAddr, "jira_type", "cloud"),
					resource.TestCheckResourceAttr(connAddr, "basic.username", "svc-two"),
					resource.TestCheckResourceAttr(connAddr, "credential_version", "2"),
					func(s *terraform.State) error {
						c := stored(t, env, s)
						if c.Name != "jira-prod-2" || c.JiraURL != "https://jira2.example.com/jira" || c.JiraType != 1 || c.Username != "svc-two" || c.Password != "pw-two" {
							return fmt.Errorf("simulator holds %+v", c)
						}
						return nil
					},
				),
			},
			{
				ResourceName:            connAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"basic.password"},
			},
			{
				// Switching the auth method is an in-place update.
				Config: env.ProviderBlock() + oauthConnector(t, "jira-prod-2", 0, "JiraAlignProd", "tok-1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr(connAddr, "id", &id),
					resource.TestCheckNoResourceAttr(connAddr, "basic"),
					resource.TestCheckResourceAttr(connAddr, "oauth1.consumer_key", "JiraAlignProd"),
					resource.TestCheckResourceAttr(connAddr, "oauth1.access_token_expires_at", "2031-11-27T22:00:00Z"),
					resource.TestCheckResourceAttr(connAddr, "public_key_fingerprint", acctest.Fingerprint(t, 0)),
					func(s *terraform.State) error {
						c := stored(t, env, s)
						if c.AuthType != "oauth1" || c.AccessToken != "tok-1" || c.AccessTokenSecret != "secret-of-tok-1" || c.Password != "" || c.Username != "" {
							return fmt.Errorf("simulator holds %+v", c)
						}
						return nil
					},
				),
			},
			{
				ResourceName:      connAddr,
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{
					"oauth1.private_key_pem", "oauth1.access_token", "oauth1.access_token_secret",
				},
			},
			{
				// A new key and token, in place.
				Config: env.ProviderBlock() + oauthConnector(t, "jira-prod-2", 1, "JiraAlignProd2", "tok-2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(connAddr, "public_key_fingerprint", acctest.Fingerprint(t, 1)),
					resource.TestCheckResourceAttr(connAddr, "oauth1.consumer_key", "JiraAlignProd2"),
					func(s *terraform.State) error {
						if c := stored(t, env, s); c.AccessToken != "tok-2" || c.ConsumerKey != "JiraAlignProd2" {
							return fmt.Errorf("simulator holds %+v", c)
						}
						return nil
					},
				),
			},
			{
				// And back to basic.
				Config: env.ProviderBlock() + basicConnector("jira-prod-2", "https://jira2.example.com/jira", "cloud", "svc-two", "pw-three"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckNoResourceAttr(connAddr, "oauth1"),
					resource.TestCheckNoResourceAttr(connAddr, "public_key_fingerprint"),
					func(s *terraform.State) error {
						if c := stored(t, env, s); c.AuthType != "basic" || c.Password != "pw-three" || c.PrivateKeyPEM != "" {
							return fmt.Errorf("simulator holds %+v", c)
						}
						return nil
					},
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

func TestAccConnector_drift(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	cfg := env.ProviderBlock() + basicConnector("drifty", "https://jira.example.com", "data_center", "svc-align", "the-password")
	var id int
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.TestCheckResourceAttrWith(connAddr, "id", func(v string) error {
					var err error
					id, err = strconv.Atoi(v)
					return err
				}),
			},
			{
				// Someone renames it in the Jira Align UI: the plan renames it back.
				PreConfig: func() {
					must(t, env.Align.EditConnector(id, func(c *alignsim.StoredConnector) { c.Name = "renamed-in-ui"; c.JiraType = 1 }))
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
				Check: func(s *terraform.State) error {
					if c, _ := env.Align.Connector(id); c.Name != "drifty" || c.JiraType != 2 {
						return fmt.Errorf("not restored: %+v", c)
					}
					return nil
				},
			},
			{
				// Someone types another password in the UI: credential_version moves, the plan
				// re-sends the configured secret.
				PreConfig: func() {
					must(t, env.Align.EditConnector(id, func(c *alignsim.StoredConnector) { c.Password = "changed-in-ui" }))
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(connAddr, tfjsonPath("credential_version")),
				}},
				Check: func(s *terraform.State) error {
					c, _ := env.Align.Connector(id)
					if c.Password != "the-password" {
						return fmt.Errorf("password not re-sent: simulator holds %q", c.Password)
					}
					if c.CredentialVersion != 3 {
						return fmt.Errorf("credential version %d, want 3", c.CredentialVersion)
					}
					return nil
				},
			},
			{
				// Deleted in the UI: the plan creates it again.
				PreConfig: func() {
					if !env.Align.DeleteConnector(id) {
						t.Fatalf("connector %d was not there to delete", id)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionCreate),
				}},
				Check: func(s *terraform.State) error {
					if n := len(env.Align.Connectors()); n != 1 {
						return fmt.Errorf("%d connectors, want 1", n)
					}
					if c := stored(t, env, s); c.Password != "the-password" || c.Name != "drifty" {
						return fmt.Errorf("recreated as %+v", c)
					}
					return nil
				},
			},
		},
	})
}

func TestAccConnector_passwordWriteOnly(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	cfg := func(pw string, version int) string {
		return env.ProviderBlock() + fmt.Sprintf(`
resource "jira_align_connector" "test" {
  name      = "wo"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  basic = {
    username            = "svc-align"
    password_wo         = %q
    password_wo_version = %d
  }
}
`, pw, version)
	}
	noSecretInState := func(secret string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			for addr, rs := range s.RootModule().Resources {
				for k, v := range rs.Primary.Attributes {
					if strings.Contains(v, secret) {
						return fmt.Errorf("state attribute %s.%s holds the write-only password", addr, k)
					}
				}
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		TerraformVersionChecks:   writeOnlyCLI(),
		Steps: []resource.TestStep{
			{
				Config: cfg("wo-secret-one", 1),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckNoResourceAttr(connAddr, "basic.password"),
					resource.TestCheckNoResourceAttr(connAddr, "basic.password_wo"),
					resource.TestCheckResourceAttr(connAddr, "basic.password_wo_version", "1"),
					noSecretInState("wo-secret-one"),
					func(s *terraform.State) error {
						if c := stored(t, env, s); c.Password != "wo-secret-one" {
							return fmt.Errorf("simulator holds password %q", c.Password)
						}
						return nil
					},
				),
			},
			{
				// A new value with a new version is sent.
				Config: cfg("wo-secret-two", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					noSecretInState("wo-secret-two"),
					resource.TestCheckResourceAttr(connAddr, "credential_version", "2"),
					func(s *terraform.State) error {
						if c := stored(t, env, s); c.Password != "wo-secret-two" {
							return fmt.Errorf("simulator holds password %q", c.Password)
						}
						return nil
					},
				),
			},
		},
	})
}

func TestAccConnector_writeOnlyNeedsNewCLI(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		TerraformVersionChecks:   noWriteOnlyCLI(),
		Steps: []resource.TestStep{{
			Config: env.ProviderBlock() + `
resource "jira_align_connector" "test" {
  name      = "wo"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  basic = {
    username    = "svc-align"
    password_wo = "x"
  }
}
`,
			ExpectError: regexp.MustCompile(`(?i)write-only`),
		}},
	})
}

func TestAccConnector_validation(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	key := acctest.HCLHeredoc(acctest.TestKeyPEM(t, 0))
	smallKey := acctest.HCLHeredoc(smallKeyPEM(t))
	oauth := func(consumerKey, keyPEM string) string {
		return fmt.Sprintf(`
resource "jira_align_connector" "test" {
  name      = "v"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  oauth1 = {
    consumer_key        = %q
    private_key_pem     = %s
    access_token        = "t"
    access_token_secret = "s"
  }
}
`, consumerKey, keyPEM)
	}
	cases := []struct {
		name, config string
		want         string
	}{
		{"consumer key with a space", oauth("Jira Align", key), `(?s)Invalid consumer key.*spaces and symbols break Jira's\s+OAuth setup`},
		{"consumer key with a symbol", oauth("jira-align", key), `(?s)Invalid consumer key.*letters and digits only`},
		{"consumer key too long", oauth(strings.Repeat("a", 101), key), `(?s)Invalid consumer key.*101 characters`},
		{"empty consumer key", oauth("", key), `(?s)Invalid consumer key.*empty`},
		{"not a PEM", oauth("JiraAlign", `"not a key"`), `(?s)Invalid private key.*not a PEM block`},
		{"1024-bit key", oauth("JiraAlign", smallKey), `(?s)Invalid private key.*1024 bits`},
		{"http URL", basicConnector("v", "http://jira.example.com", "data_center", "u", "p"), `(?s)Invalid URL.*uses http`},
		{"URL with query", basicConnector("v", "https://jira.example.com/?a=b", "data_center", "u", "p"), `(?s)Invalid URL.*query or fragment`},
		{"relative URL", basicConnector("v", "jira.example.com", "data_center", "u", "p"), `(?s)Invalid URL.*not an absolute URL`},
		{"name too long", basicConnector(strings.Repeat("n", 101), "https://jira.example.com", "data_center", "u", "p"), `(?s)Invalid name.*101 characters`},
		{"empty name", basicConnector("", "https://jira.example.com", "data_center", "u", "p"), `(?s)Invalid name.*empty`},
		{"bad jira_type", basicConnector("v", "https://jira.example.com", "server", "u", "p"), `(?s)jira_type.*cloud.*data_center`},
		{"no auth method", `
resource "jira_align_connector" "test" {
  name      = "v"
  jira_url  = "https://jira.example.com"
  jira_type = "cloud"
}
`, `(?s)Missing Attribute Configuration.*Exactly one of these attributes must be configured:\s+\[basic,oauth1\]`},
		{"both auth methods", strings.Replace(oauth("JiraAlign", key), `oauth1 = {`, "basic = {\n    username = \"u\"\n    password = \"p\"\n  }\n  oauth1 = {", 1), `(?s)Invalid Attribute Combination.*\[basic,oauth1\]`},
		{"no password", `
resource "jira_align_connector" "test" {
  name      = "v"
  jira_url  = "https://jira.example.com"
  jira_type = "cloud"
  basic = { username = "u" }
}
`, `(?s)Missing connector secret.*basic.password: the password or API token is\s+missing\.\s+A\s+new\s+connector\s+needs\s+it`},
		{"password and password_wo", `
resource "jira_align_connector" "test" {
  name      = "v"
  jira_url  = "https://jira.example.com"
  jira_type = "cloud"
  basic = {
    username    = "u"
    password    = "p"
    password_wo = "p"
  }
}
`, `(?s)Invalid Attribute Combination.*password_wo`},
		{"oauth1 without secrets", `
resource "jira_align_connector" "test" {
  name      = "v"
  jira_url  = "https://jira.example.com"
  jira_type = "cloud"
  oauth1 = { consumer_key = "JiraAlign" }
}
`, `(?s)oauth1.private_key_pem: the RSA private key is\s+missing.*oauth1.access_token: the OAuth access token is\s+missing.*oauth1.access_token_secret: the OAuth access token\s+secret\s+is\s+missing`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:   env.ProviderBlock() + c.config,
			PlanOnly: true,
			// Terraform wraps a diagnostic's text at spaces: any space may be a line break.
			ExpectError: regexp.MustCompile(strings.ReplaceAll(c.want, " ", `\s+`)),
		})
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: acctest.ProviderFactories(), Steps: steps})
	if n := env.Align.TotalRequests(); n != 0 {
		t.Errorf("plan-time validation sent %d requests to Jira Align, want 0", n)
	}
}

func TestAccConnector_rateLimited(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	env.AlignFaults.Add(simfault.Rule{Kind: simfault.Status, Status: 429, RetryAfter: "1", Method: "POST", Times: 2})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: env.ProviderBlock() + basicConnector("limited", "https://jira.example.com", "data_center", "u", "p"),
			Check: func(*terraform.State) error {
				if got := env.AlignFaults.Fired()[simfault.Status]; got != 2 {
					return fmt.Errorf("429 fired %d times, want 2", got)
				}
				if n := len(env.Align.Connectors()); n != 1 {
					return fmt.Errorf("%d connectors after retries, want exactly 1", n)
				}
				return nil
			},
		}},
	})
}

func TestAccConnector_nameConflict(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: env.ProviderBlock() + basicConnector("dup", "https://jira.example.com", "data_center", "u", "p") +
				strings.Replace(basicConnector("DUP", "https://jira.example.com", "data_center", "u", "p"), `"test"`, `"other"`, 1),
			ExpectError: regexp.MustCompile(`(?s)already exists.*import`),
		}},
	})
}

// What Jira Align says in other words than the configuration is not drift: a timestamp it
// answers in UTC ("…22:00:00Z" for a configured "…23:00:00+01:00"), a URL it answers without
// the trailing slash. The apply succeeds, state keeps the configuration's text, and no plan
// shows a change (resource.Test plans again after every step and fails on any diff).
func TestAccConnector_sameMeaningIsNotDrift(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	cfg := env.ProviderBlock() + strings.NewReplacer(
		`"https://jira.example.com"`, `"https://jira.example.com/"`,
		`"2031-11-27T22:00:00Z"`, `"2031-11-27T23:00:00+01:00"`,
	).Replace(oauthConnector(t, "same-meaning", 1, "JiraAlignSame", "tok-same"))
	want := time.Date(2031, 11, 27, 22, 0, 0, 0, time.UTC)
	var id int
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(connAddr, "jira_url", "https://jira.example.com/"),
					resource.TestCheckResourceAttr(connAddr, "oauth1.access_token_expires_at", "2031-11-27T23:00:00+01:00"),
					func(s *terraform.State) error {
						c := stored(t, env, s)
						id = c.ID
						if c.AccessTokenExpiresAt == nil || !c.AccessTokenExpiresAt.Equal(want) {
							return fmt.Errorf("Jira Align holds access token expiry %v, want %v", c.AccessTokenExpiresAt, want)
						}
						return nil
					},
				),
			},
			{
				// Jira Align drops the trailing slash (as a peer that normalises URLs would).
				PreConfig: func() {
					must(t, env.Align.EditConnector(id, func(c *alignsim.StoredConnector) { c.JiraURL = strings.TrimRight(c.JiraURL, "/") }))
				},
				Config:           cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(connAddr, "jira_url", "https://jira.example.com/"),
					func(s *terraform.State) error {
						if c := stored(t, env, s); c.JiraURL != "https://jira.example.com" {
							return fmt.Errorf("Jira Align holds jira_url %q, want it without the slash", c.JiraURL)
						}
						return nil
					},
				),
			},
		},
	})
}
