package provider_test

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

func TestAccConnectorDataSource(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	base := env.ProviderBlock() + oauthConnector(t, "Lookup Me", 0, "JiraAlignDS", "tok")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:      base + `data "jira_align_connector" "x" { name = "nope" }`,
				ExpectError: regexp.MustCompile(`(?s)Connector not found.*"nope"`),
			},
			{
				Config:      base + `data "jira_align_connector" "x" { id = "999" }`,
				ExpectError: regexp.MustCompile(`(?s)Connector not found.*999`),
			},
			{
				Config:      base + `data "jira_align_connector" "x" {}`,
				ExpectError: regexp.MustCompile(`(?s)Exactly one of these attributes must be configured:\s+\[id,name\]`),
			},
			{
				Config: base + `
data "jira_align_connector" "by_id" {
  id = jira_align_connector.test.id
}
data "jira_align_connector" "by_name" {
  name = lower(jira_align_connector.test.name)
}
`,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPair("data.jira_align_connector.by_id", "id", connAddr, "id"),
					resource.TestCheckResourceAttrPair("data.jira_align_connector.by_name", "id", connAddr, "id"),
					resource.TestCheckResourceAttr("data.jira_align_connector.by_name", "name", "Lookup Me"),
					resource.TestCheckResourceAttr("data.jira_align_connector.by_id", "auth_type", "oauth1"),
					resource.TestCheckResourceAttr("data.jira_align_connector.by_id", "jira_type", "data_center"),
					resource.TestCheckResourceAttr("data.jira_align_connector.by_id", "consumer_key", "JiraAlignDS"),
					resource.TestCheckNoResourceAttr("data.jira_align_connector.by_id", "username"),
					resource.TestCheckResourceAttr("data.jira_align_connector.by_id", "public_key_fingerprint", acctest.Fingerprint(t, 0)),
					resource.TestCheckResourceAttr("data.jira_align_connector.by_id", "access_token_expires_at", "2031-11-27T22:00:00Z"),
					resource.TestCheckResourceAttrPair("data.jira_align_connector.by_id", "credential_version", connAddr, "credential_version"),
				),
			},
		},
	})
}
