package provider_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

const keyAddr = "jira_align_key_pair.test"

func keyPairConfig(bits int, keeper string) string {
	return fmt.Sprintf(`
resource "jira_align_key_pair" "test" {
  rsa_bits = %d
  keepers  = { rotation = %q }
}
`, bits, keeper)
}

func TestAccKeyPair(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	var first string
	checkKey := func(bits int) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			a := s.RootModule().Resources[keyAddr].Primary.Attributes
			k, err := keyutil.ParsePrivateKeyPEM(a["private_key_pem"])
			if err != nil {
				return err
			}
			if k.N.BitLen() != bits {
				return fmt.Errorf("key has %d bits, want %d", k.N.BitLen(), bits)
			}
			pub, err := keyutil.ParsePublicKey(a["public_key_pem"])
			if err != nil || !pub.Equal(&k.PublicKey) {
				return fmt.Errorf("public_key_pem is not the private key's public half (%w)", err)
			}
			fp, _ := keyutil.Fingerprint(pub)
			if a["public_key_fingerprint"] != fp || a["id"] != fp {
				return fmt.Errorf("fingerprint %q, want %q", a["public_key_fingerprint"], fp)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:      env.ProviderBlock() + keyPairConfig(1024, "b"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)rsa_bits value must be one of: \["2048" "3072" "4096"\], got: 1024`),
			},
			{
				Config: env.ProviderBlock() + `resource "jira_align_key_pair" "test" {}`,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(keyAddr, "rsa_bits", "3072"),
					resource.TestMatchResourceAttr(keyAddr, "public_key_pem", regexp.MustCompile(`^-----BEGIN PUBLIC KEY-----`)),
					resource.TestMatchResourceAttr(keyAddr, "created_at", regexp.MustCompile(`^\d{4}-\d\d-\d\dT`)),
					checkKey(3072),
				),
			},
			{
				Config: env.ProviderBlock() + keyPairConfig(2048, "a"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(checkKey(2048),
					resource.TestCheckResourceAttrWith(keyAddr, "id", func(v string) error { first = v; return nil })),
			},
			{
				// A keeper change makes a new key.
				Config: env.ProviderBlock() + keyPairConfig(2048, "b"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(checkKey(2048),
					resource.TestCheckResourceAttrWith(keyAddr, "id", func(v string) error {
						if v == first {
							return fmt.Errorf("key not replaced")
						}
						return nil
					})),
			},
		},
	})
}
