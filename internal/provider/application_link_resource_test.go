package provider_test

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/jirasim"
)

func linkConfig(t *testing.T, env *acctest.Env, consumerKey string, key int, description string) string {
	pub, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, key).PublicKey)
	must(t, err)
	return linkConfigPEM(env, consumerKey, pub, description)
}

// linkConfigPEM is linkConfig with the public key's text given.
func linkConfigPEM(env *acctest.Env, consumerKey, pub, description string) string {
	return env.ProviderBlock() + fmt.Sprintf(`
resource "jira_application_link" "test" {
  name    = "Jira Align"
  rpc_url = "https://align.example.com"
  consumer = {
    consumer_key   = %q
    public_key_pem = %s
    description    = %q
  }
}
`, consumerKey, acctest.HCLHeredoc(pub), description)
}

func linkID(s *terraform.State) string { return s.RootModule().Resources[linkAddr].Primary.ID }

func TestAccApplicationLink_lifecycleAndDrift(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	cfg := linkConfig(t, env, "JiraAlignLink", 0, "managed by Terraform")
	var id string
	consumerIn := func(key string, keyIndex int) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			links := env.Jira.Links()
			if len(links) != 1 || links[0].ID != linkID(s) {
				return fmt.Errorf("Jira holds %d links, want the one in state", len(links))
			}
			c := links[0].Consumer
			if c == nil || c.Key != key {
				return fmt.Errorf("consumer is %+v, want key %s", c, key)
			}
			want, _ := keyutil.PublicKeyPEM(&acctest.TestKey(t, keyIndex).PublicKey)
			if !keyutil.SamePublicKey(c.PublicKey, want) {
				return fmt.Errorf("Jira holds another public key")
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(linkAddr, "display_url", "https://align.example.com"),
					resource.TestCheckResourceAttr(linkAddr, "consumer.name", "Jira Align"),
					resource.TestCheckResourceAttrWith(linkAddr, "id", func(v string) error { id = v; return nil }),
					consumerIn("JiraAlignLink", 0),
				),
			},
			{
				// A new public key and description: the consumer is updated in place.
				Config: linkConfig(t, env, "JiraAlignLink", 1, "rotated"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttrPtr(linkAddr, "id", &id), consumerIn("JiraAlignLink", 1)),
			},
			{
				// The consumer is removed in the Jira UI: the plan puts it back.
				PreConfig: func() { must(t, env.Jira.SetConsumer(id, nil)) },
				Config:    linkConfig(t, env, "JiraAlignLink", 1, "rotated"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionUpdate),
				}},
				Check: consumerIn("JiraAlignLink", 1),
			},
			{
				// Someone registers another key for the consumer: the plan restores ours.
				PreConfig: func() {
					pub, _ := keyutil.PublicKeyPEM(&acctest.TestKey(t, 2).PublicKey)
					must(t, env.Jira.SetConsumer(id, &jirasim.Consumer{Key: "JiraAlignLink", Name: "Jira Align", PublicKey: pub}))
				},
				Config: linkConfig(t, env, "JiraAlignLink", 1, "rotated"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionUpdate),
				}},
				Check: consumerIn("JiraAlignLink", 1),
			},
			{
				// The whole link is deleted in the Jira UI: the plan creates it again.
				PreConfig: func() {
					if !env.Jira.DeleteLink(id) {
						t.Fatal("link not found")
					}
				},
				Config: linkConfig(t, env, "JiraAlignLink", 1, "rotated"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionCreate),
				}},
				Check: consumerIn("JiraAlignLink", 1),
			},
			{
				ResourceName:      linkAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// The same key written as PKCS#1 ("RSA PUBLIC KEY"), which Jira does not take:
				// the in-place update sends it as a SubjectPublicKeyInfo, Jira keeps the key, and
				// the plan after the apply is empty.
				Config: linkConfigPEM(env, "JiraAlignLink", string(pem.EncodeToMemory(&pem.Block{
					Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&acctest.TestKey(t, 1).PublicKey),
				})), "rotated"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionUpdate),
				}},
				Check: consumerIn("JiraAlignLink", 1),
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

func TestAccApplicationLink_errors(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	registerConsumer(t, env, "TakenKey", 2)
	oob := env.Jira.Links()[0].ID
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				// A consumer key another link already uses: 409, and the new link is removed again.
				Config:      linkConfig(t, env, "TakenKey", 0, ""),
				ExpectError: regexp.MustCompile(`(?s)consumer\s+key\s+"TakenKey"\s+is\s+already\s+used\s+by\s+another\s+application\s+link`),
			},
			{
				// Not a Jira administrator: 403 says so.
				Config:      acctest.ReplaceProvider(linkConfig(t, env, "FreshKey", 0, ""), env.ProviderBlock(), env.ProviderBlockAsService()),
				ExpectError: regexp.MustCompile(`(?s)"svc-align" is not\s+a\s+Jira\s+administrator`),
			},
			{
				// Bad administrator password: 401 names the provider settings.
				Config: acctest.ReplaceProvider(linkConfig(t, env, "FreshKey", 0, ""), env.ProviderBlock(),
					acctest.ReplaceProvider(env.ProviderBlock(), fmt.Sprintf("%q", env.AdminPass), `"wrong"`)),
				ExpectError: regexp.MustCompile(`(?s)jira_username/jira_password`),
			},
			{
				// A link for the same URL already exists in Jira: 409 names it and the command
				// that imports it.
				Config: env.ProviderBlock() + `
resource "jira_application_link" "test" {
  name    = "again"
  rpc_url = "https://oob.example.com"
  consumer = {
    consumer_key   = "OtherKey"
    public_key_pem = jira_align_key_pair.k.public_key_pem
  }
}
resource "jira_align_key_pair" "k" {
  rsa_bits = 2048
}
`,
				ExpectError: regexp.MustCompile(`(?s)application\s+link\s+` + oob + `\s+\("OOB"\)\s+already\s+has\s+rpc_url.*terraform\s+import\s+jira_application_link\.<name>\s+` + oob + `\)`),
			},
		},
	})
	if links := env.Jira.Links(); len(links) != 1 {
		t.Errorf("Jira holds %d links, want only the out-of-band one (no half-made links)", len(links))
	}
}
