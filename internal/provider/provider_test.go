package provider_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

const basicOnly = `
resource "jira_align_connector" "test" {
  name      = "cfg"
  jira_url  = "https://jira.example.com"
  jira_type = "cloud"
  basic = {
    username = "u"
    password = "p"
  }
}
`

func TestAccProvider_configurationErrors(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	// The environment must not fill in what a case leaves out.
	for _, v := range []string{"JIRA_ALIGN_URL", "JIRA_ALIGN_API_TOKEN", "JIRA_URL", "JIRA_USERNAME", "JIRA_PASSWORD"} {
		t.Setenv(v, "")
	}
	drop := func(attr string) string {
		var out []string
		for _, l := range strings.Split(env.ProviderBlock(), "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), attr+" ") {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	set := func(attr, value string) string {
		return strings.Replace(drop(attr), `provider "jira" {`, "provider \"jira\" {\n  "+attr+" = "+value, 1)
	}
	keyPair := `
resource "jira_align_key_pair" "k" {
  rsa_bits = 2048
}
resource "jira_application_link" "l" {
  name    = "x"
  rpc_url = "https://align.example.com"
  consumer = {
    consumer_key   = "K"
    public_key_pem = jira_align_key_pair.k.public_key_pem
  }
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: drop("align_url") + basicOnly, ExpectError: regexp.MustCompile(`(?s)align_url.*JIRA_ALIGN_URL`)},
			{Config: drop("align_api_token") + basicOnly, ExpectError: regexp.MustCompile(`(?s)align_api_token.*JIRA_ALIGN_API_TOKEN`)},
			{Config: set("align_url", `"http://align.example.com"`) + basicOnly, ExpectError: regexp.MustCompile(`(?s)Invalid align_url.*JIRA_ALIGN_URL.*uses http`)},
			{Config: set("jira_url", `"ftp://jira.example.com"`) + basicOnly, ExpectError: regexp.MustCompile(`(?s)Invalid jira_url.*JIRA_URL`)},
			{Config: set("request_timeout", `"soon"`) + basicOnly, ExpectError: regexp.MustCompile(`(?s)request_timeout.*not a duration`)},
			{Config: set("max_retries", `-1`) + basicOnly, ExpectError: regexp.MustCompile(`(?s)max_retries`)},
			{Config: regexp.MustCompile(`(?s)ca_cert_pem\s*=\s*<<-EOT.*?\nEOT\n`).ReplaceAllString(env.ProviderBlock(), "ca_cert_pem = \"not a certificate\"\n") + basicOnly, ExpectError: regexp.MustCompile(`(?s)ca_cert_pem.*no PEM-encoded certificate`)},
			{Config: drop("jira_url") + keyPair, ExpectError: regexp.MustCompile(`(?s)jira_url.*JIRA_URL`)},
			{Config: drop("jira_password") + keyPair, ExpectError: regexp.MustCompile(`(?s)jira_username and jira_password.*JIRA_PASSWORD`)},
			{Config: drop("jira_username") + keyPair, ExpectError: regexp.MustCompile(`(?s)jira_username.*JIRA_USERNAME`)},
			{
				// Nothing was created by the failed runs; a valid configuration then works.
				PreConfig: func() {
					if n, l := len(env.Align.Connectors()), len(env.Jira.Links()); n+l != 0 {
						t.Errorf("%d connectors and %d links created despite configuration errors", n, l)
					}
				},
				Config: env.ProviderBlock() + basicOnly,
			},
		},
	})
}

func TestAccProvider_environment(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	t.Setenv("JIRA_ALIGN_URL", env.AlignURL)
	t.Setenv("JIRA_ALIGN_API_TOKEN", env.AlignToken)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: "provider \"jira\" {\n  ca_cert_pem = <<-EOT\n" + env.CAPEM + "EOT\n}\n" + basicOnly,
			Check:  resource.TestCheckResourceAttr(connAddr, "name", "cfg"),
		}},
	})
}
