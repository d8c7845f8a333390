terraform {
  required_providers {
    jira = {
      source = "jira-align-tf/jira"
    }
  }
}

# Provider settings from the environment: JIRA_URL, JIRA_USERNAME and JIRA_PASSWORD of a Jira
# administrator (application links need one).
provider "jira" {}

resource "jira_align_key_pair" "align" {
  rsa_bits = 3072
}

resource "jira_application_link" "align" {
  name    = "Jira Align"
  rpc_url = "https://example.jiraalign.com"

  consumer = {
    consumer_key   = "JiraAlignProd"
    public_key_pem = jira_align_key_pair.align.public_key_pem
    name           = "Jira Align"
    description    = "Jira Align connector (managed by Terraform)"
  }
}
