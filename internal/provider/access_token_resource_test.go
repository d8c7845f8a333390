package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/jiraapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

const (
	tokenAddr = "jira_align_access_token.test"
	linkAddr  = "jira_application_link.test"
)

// chainOpts varies the full-chain configuration.
type chainOpts struct {
	consumerKey   string
	tokenKeyIndex int    // -1: the key pair's own key; else a fixed test key (a wrong key)
	tokenExtra    string // extra lines in the token resource
	keepers       string
	noConnector   bool
}

// chainConfig is the whole setup: key pair -> application link -> access token -> oauth1
// connector. The token is approved by the provider's Jira user: in-process test providers share
// one server across aliases, so the alias recipe (a "service" provider for the approver) is
// exercised by make demo, and approver_username by TestAccChain_approverWriteOnly.
func chainConfig(t *testing.T, env *acctest.Env, o chainOpts) string {
	if o.consumerKey == "" {
		o.consumerKey = "JiraAlignTest"
	}
	h := chainHCL{consumerKey: o.consumerKey, connectorName: "oauth-chain", noConnector: o.noConnector, tokenExtra: o.tokenExtra + `
  lifecycle {
    create_before_destroy = true
  }`}
	if o.tokenKeyIndex >= 0 {
		h.tokenKey = acctest.HCLHeredoc(acctest.TestKeyPEM(t, o.tokenKeyIndex))
	}
	if o.keepers != "" {
		h.tokenExtra = fmt.Sprintf("keepers = { rotation = %q }\n", o.keepers) + h.tokenExtra
	}
	return env.ProviderBlock() + h.render(env)
}

// chainHCL renders the OAuth chain's resources, all named "test": jira_align_key_pair (2048
// bits), jira_application_link to the Align simulator with consumerKey, jira_align_access_token
// and, unless noConnector, an oauth1 jira_align_connector fed by the other three. The *Extra
// fields are lines added to a block; the tests that need more resources append their own.
type chainHCL struct {
	keyPair       string // the whole jira_align_key_pair "test" block; default 2048 bits
	consumerKey   string
	consumerExtra string // in the link's consumer object
	linkExtra     string
	tokenKey      string // the token's private_key_pem expression; default the key pair's
	tokenExtra    string
	connectorName string
	connExtra     string
	noConnector   bool
}

func (h chainHCL) render(env *acctest.Env) string {
	if h.tokenKey == "" {
		h.tokenKey = "jira_align_key_pair.test.private_key_pem"
	}
	if h.keyPair == "" {
		h.keyPair = `resource "jira_align_key_pair" "test" {
  rsa_bits = 2048
}`
	}
	cfg := fmt.Sprintf(`
%s

resource "jira_application_link" "test" {
  name    = "Jira Align"
  rpc_url = %q
  consumer = {
    consumer_key   = %q
    public_key_pem = jira_align_key_pair.test.public_key_pem
    %s
  }
  %s
}

resource "jira_align_access_token" "test" {
  consumer_key    = jira_application_link.test.consumer.consumer_key
  private_key_pem = %s
  %s
}
`, h.keyPair, env.AlignURL, h.consumerKey, h.consumerExtra, h.linkExtra, h.tokenKey, h.tokenExtra)
	if h.noConnector {
		return cfg
	}
	return cfg + fmt.Sprintf(`
resource "jira_align_connector" "test" {
  name      = %q
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  oauth1 = {
    consumer_key            = jira_application_link.test.consumer.consumer_key
    private_key_pem         = jira_align_key_pair.test.private_key_pem
    access_token            = jira_align_access_token.test.token
    access_token_secret     = jira_align_access_token.test.token_secret
    access_token_expires_at = jira_align_access_token.test.expires_at
  }
  %s
}
`, h.connectorName, h.connExtra)
}

// approverWO is the token's lines for approval by the service account with a write-only password.
func approverWO(env *acctest.Env) string {
	return fmt.Sprintf(`approver_username            = %q
  approver_password_wo         = %q
  approver_password_wo_version = 1`, acctest.ServiceUser, env.ServicePass)
}

// nothingLive asserts both simulators hold no connector, link or live token.
func nothingLive(env *acctest.Env) func(*terraform.State) error {
	return func(*terraform.State) error {
		if n := len(env.Align.Connectors()); n != 0 {
			return fmt.Errorf("%d connectors left in Jira Align", n)
		}
		if n := len(env.Jira.Links()); n != 0 {
			return fmt.Errorf("%d application links left in Jira", n)
		}
		if n := len(env.Jira.LiveTokens()); n != 0 {
			return fmt.Errorf("%d live access tokens left in Jira", n)
		}
		return nil
	}
}

// exactlyOneLiveToken asserts Jira holds one live token, the one in state, and that the
// connector in Jira Align uses it.
func exactlyOneLiveToken(t *testing.T, env *acctest.Env, withConnector bool) resource.TestCheckFunc {
	return exactlyOneLiveTokenOf(t, env, withConnector, acctest.AdminUser)
}

func exactlyOneLiveTokenOf(t *testing.T, env *acctest.Env, withConnector bool, user string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		live := env.Jira.LiveTokens()
		if len(live) != 1 {
			return fmt.Errorf("%d live tokens in Jira, want exactly 1", len(live))
		}
		tok := s.RootModule().Resources[tokenAddr].Primary.Attributes["token"]
		if live[0].Token != tok {
			return fmt.Errorf("the live token is not the one in state")
		}
		if live[0].User != user {
			return fmt.Errorf("token approved by %q, want %q", live[0].User, user)
		}
		if withConnector {
			if c := stored(t, env, s); c.AccessToken != tok {
				return fmt.Errorf("the connector does not use the live token")
			}
		}
		return nil
	}
}

func TestAccChain_fullSetup(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t, acctest.Options{JiraContextPath: "/jira"})
	cfg := chainConfig(t, env, chainOpts{tokenKeyIndex: -1})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(tokenAddr, "authorized_user", acctest.AdminUser),
					resource.TestCheckResourceAttr(tokenAddr, "jira_url", env.JiraURL),
					resource.TestMatchResourceAttr(tokenAddr, "expires_at", regexp.MustCompile(`^20\d\d-`)),
					resource.TestCheckResourceAttrPair(tokenAddr, "expires_at", connAddr, "oauth1.access_token_expires_at"),
					resource.TestCheckResourceAttrPair("jira_align_key_pair.test", "public_key_fingerprint", connAddr, "public_key_fingerprint"),
					resource.TestCheckResourceAttr(linkAddr, "consumer.consumer_key", "JiraAlignTest"),
					resource.TestCheckResourceAttr(linkAddr, "display_url", env.AlignURL),
					exactlyOneLiveToken(t, env, true),
					func(s *terraform.State) error {
						exp, err := time.Parse(time.RFC3339, s.RootModule().Resources[tokenAddr].Primary.Attributes["expires_at"])
						if err != nil {
							return err
						}
						if d := time.Until(exp); d < 5*365*24*time.Hour-48*time.Hour || d > 5*365*24*time.Hour+48*time.Hour {
							return fmt.Errorf("expires_at is %s away, want about 5 years (Jira's oauth_expires_in)", d)
						}
						links := env.Jira.Links()
						if len(links) != 1 || links[0].Consumer == nil || links[0].Consumer.Key != "JiraAlignTest" {
							return fmt.Errorf("Jira holds links %+v", links)
						}
						return nil
					},
				),
			},
			{
				ResourceName:      linkAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				ResourceName:            connAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"oauth1.private_key_pem", "oauth1.access_token", "oauth1.access_token_secret"},
			},
		},
		CheckDestroy: nothingLive(env),
	})
	// A handshake is exactly 3 Jira round trips plus one /myself per create and refresh.
	counts := env.Jira.RequestCounts()
	for _, k := range []string{"POST /plugins/servlet/oauth/request-token", "POST /plugins/servlet/oauth/authorize", "POST /plugins/servlet/oauth/access-token"} {
		if counts[k] != 1 {
			t.Errorf("%s was called %d times, want 1 (counts %v)", k, counts[k], counts)
		}
	}
	if counts["POST /plugins/servlet/oauth/users/access-tokens"] != 1 {
		t.Errorf("revoke called %d times, want 1", counts["POST /plugins/servlet/oauth/users/access-tokens"])
	}
}

func TestAccChain_revokedOutOfBand(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	cfg := chainConfig(t, env, chainOpts{tokenKeyIndex: -1})
	var first string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check:  resource.TestCheckResourceAttrWith(tokenAddr, "id", func(v string) error { first = v; return nil }),
			},
			{
				PreConfig: func() {
					if n := env.Jira.RevokeAll(); n != 1 {
						t.Fatalf("revoked %d tokens, want 1", n)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionNoop),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrWith(tokenAddr, "id", func(v string) error {
						if v == first {
							return fmt.Errorf("token id unchanged")
						}
						return nil
					}),
					exactlyOneLiveToken(t, env, true),
				),
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

func TestAccChain_expiry(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	cfg := chainConfig(t, env, chainOpts{tokenKeyIndex: -1})
	tokenInState := func(s *terraform.State) string {
		return s.RootModule().Resources[tokenAddr].Primary.Attributes["token"]
	}
	var current string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check:  func(s *terraform.State) error { current = tokenInState(s); return nil },
			},
			{
				// Jira says the token expired (401 token_expired from /myself).
				PreConfig: func() {
					if !env.Jira.ExpireToken(current) {
						t.Fatal("token not found in Jira")
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(exactlyOneLiveToken(t, env, true),
					func(s *terraform.State) error { current = tokenInState(s); return nil }),
			},
			{
				// The provider's own clock passes expires_at: removed at refresh without asking Jira.
				PreConfig: func() {
					env.ClockOffset.Store(int64(5*365*24*time.Hour + 48*time.Hour))
					env.Jira.ExpireToken(current)
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionCreate),
				}},
				Check: func(s *terraform.State) error {
					env.ClockOffset.Store(0)
					return exactlyOneLiveToken(t, env, true)(s)
				},
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

func TestAccChain_renewBefore(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	var first string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: chainConfig(t, env, chainOpts{tokenKeyIndex: -1, tokenExtra: `renew_before = "720h"`}),
				Check:  resource.TestCheckResourceAttrWith(tokenAddr, "id", func(v string) error { first = v; return nil }),
			},
			{
				// Far from expiry: changing renew_before is an in-place no-call update.
				Config: chainConfig(t, env, chainOpts{tokenKeyIndex: -1, tokenExtra: `renew_before = "1440h"`}),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionNoop),
				}},
				Check: resource.TestCheckResourceAttrPtr(tokenAddr, "id", &first),
			},
			{
				// 50 days before expiry, inside the 60-day window: the plan replaces the token,
				// new one first, and the connector follows in place.
				PreConfig: func() { env.ClockOffset.Store(int64(5*365*24*time.Hour - 50*24*time.Hour)) },
				Config:    chainConfig(t, env, chainOpts{tokenKeyIndex: -1, tokenExtra: `renew_before = "1440h"`}),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionCreateBeforeDestroy),
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
				Check: func(s *terraform.State) error {
					env.ClockOffset.Store(0)
					if s.RootModule().Resources[tokenAddr].Primary.ID == first {
						return fmt.Errorf("token not renewed")
					}
					return exactlyOneLiveToken(t, env, true)(s)
				},
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

func TestAccChain_keepersRotation(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: chainConfig(t, env, chainOpts{tokenKeyIndex: -1, keepers: "2026-11"}),
				Check:  exactlyOneLiveToken(t, env, true),
			},
			{
				Config: chainConfig(t, env, chainOpts{tokenKeyIndex: -1, keepers: "2026-12"}),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionCreateBeforeDestroy),
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionNoop),
				}},
				Check: exactlyOneLiveToken(t, env, true),
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

func TestAccChain_wrongPrivateKey(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				// The token is signed with a key that is not the registered one.
				Config:      chainConfig(t, env, chainOpts{tokenKeyIndex: 2, noConnector: true}),
				ExpectError: regexp.MustCompile(`(?s)signature.*private key does not match the public key registered`),
			},
			{
				// Nothing half-made: no token in Jira, and only what state tracks exists.
				Config: chainConfig(t, env, chainOpts{tokenKeyIndex: -1, noConnector: true}),
				PreConfig: func() {
					if n := len(env.Jira.LiveTokens()); n != 0 {
						t.Errorf("%d live tokens after the failed handshake, want 0", n)
					}
					if n := len(env.Jira.Links()); n != 1 {
						t.Errorf("%d links after the failed apply, want the 1 in state", n)
					}
				},
				Check: exactlyOneLiveToken(t, env, false),
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

func TestAccChain_unregisteredConsumer(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: env.ProviderBlock() + fmt.Sprintf(`
resource "jira_align_access_token" "test" {
  consumer_key    = "NeverRegistered"
  private_key_pem = %s
}
`, acctest.HCLHeredoc(acctest.TestKeyPEM(t, 0))),
			ExpectError: regexp.MustCompile(`(?s)NeverRegistered.*jira_application_link`),
		}},
		CheckDestroy: nothingLive(env),
	})
}

func TestAccChain_badConsumerKeyAtPlan(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:      chainConfig(t, env, chainOpts{tokenKeyIndex: -1, consumerKey: "Jira Align!"}),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid consumer key.*spaces\s+and\s+symbols\s+break\s+Jira's\s+OAuth\s+setup`),
			},
			{
				Config: env.ProviderBlock() + fmt.Sprintf(`
resource "jira_align_access_token" "test" {
  consumer_key    = "bad_key"
  private_key_pem = %s
}
`, acctest.HCLHeredoc(acctest.TestKeyPEM(t, 0))),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid consumer key.*letters\s+and\s+digits\s+only`),
			},
		},
	})
	if n := env.Jira.TotalRequests(); n != 0 {
		t.Errorf("plan-time validation sent %d requests to Jira, want 0", n)
	}
}

func TestAccChain_badApprover(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	registerConsumer(t, env, "JiraAlignOOB", 0)
	cfg := strings.Replace(env.ProviderBlockAsService(), fmt.Sprintf("%q", env.ServicePass), `"wrong-password"`, 1) + fmt.Sprintf(`
resource "jira_align_access_token" "test" {
  consumer_key    = "JiraAlignOOB"
  private_key_pem = %s
}
`, acctest.HCLHeredoc(acctest.TestKeyPEM(t, 0)))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      cfg,
			ExpectError: regexp.MustCompile(`(?s)approv.*svc-align.*jira_username`),
		}},
	})
	if n := len(env.Jira.LiveTokens()); n != 0 {
		t.Errorf("%d live tokens, want 0", n)
	}
	if strings.Contains(fmt.Sprint(env.Jira.RequestCounts()), "access-token") {
		t.Errorf("the access-token step ran after a failed approval: %v", env.Jira.RequestCounts())
	}
}

// registerConsumer creates an application link with test key i's public half out of band, as
// an administrator would in the Jira UI.
func registerConsumer(t *testing.T, env *acctest.Env, consumerKey string, i int) {
	t.Helper()
	hc, err := httpx.New(httpx.Settings{CACertPEM: env.CAPEM, MaxRetries: 0})
	must(t, err)
	jc, err := jiraapi.New(env.JiraURL, hc)
	must(t, err)
	admin := jiraapi.BasicAuth{Username: acctest.AdminUser, Password: env.AdminPass}
	link, err := jc.CreateApplicationLink(context.Background(), admin, jiraapi.ApplicationLink{Name: "OOB", RPCURL: "https://oob.example.com", DisplayURL: "https://oob.example.com"})
	must(t, err)
	pub, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, i).PublicKey)
	must(t, err)
	must(t, jc.PutConsumer(context.Background(), admin, link.ID, jiraapi.Consumer{Key: consumerKey, Name: "OOB", PublicKey: pub}))
}

func TestAccChain_approverWriteOnly(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	cfg := env.ProviderBlock() + chainHCL{consumerKey: "JiraAlignWO", tokenExtra: approverWO(env), noConnector: true}.render(env)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		TerraformVersionChecks:   writeOnlyCLI(),
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(tokenAddr, "authorized_user", acctest.ServiceUser),
				resource.TestCheckNoResourceAttr(tokenAddr, "approver_password_wo"),
				func(s *terraform.State) error {
					for addr, rs := range s.RootModule().Resources {
						for k, v := range rs.Primary.Attributes {
							if strings.Contains(v, env.ServicePass) {
								return fmt.Errorf("state %s.%s holds the approver password", addr, k)
							}
						}
					}
					return nil
				},
			),
		}},
		CheckDestroy: nothingLive(env),
	})
}
