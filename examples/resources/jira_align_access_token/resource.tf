terraform {
  required_providers {
    jira = {
      source = "jira-align-tf/jira"
    }
  }
}

# A Jira administrator, for the application link: JIRA_URL, JIRA_USERNAME, JIRA_PASSWORD.
provider "jira" {}

# The connector's service account, which approves the token (Terraform/OpenTofu 1.11+ can use
# approver_username and approver_password_wo on the token instead).
provider "jira" {
  alias         = "service"
  jira_username = "svc-align"
  jira_password = var.jira_service_password
}

variable "jira_service_password" {
  type      = string
  sensitive = true
}

resource "jira_align_key_pair" "align" {
  rsa_bits = 3072
}

resource "jira_application_link" "align" {
  name    = "Jira Align"
  rpc_url = "https://example.jiraalign.com"
  consumer = {
    consumer_key   = "JiraAlignProd"
    public_key_pem = jira_align_key_pair.align.public_key_pem
  }
}

resource "jira_align_access_token" "align" {
  # Approved by the connector's service account (the "service" provider configuration above),
  # and pinned to it: a token that acts as another Jira user is refused.
  provider                 = jira.service
  expected_authorized_user = "svc-align"

  consumer_key    = jira_application_link.align.consumer.consumer_key
  private_key_pem = jira_align_key_pair.align.private_key_pem

  # Rotate a month before the 5-year expiry. With create_before_destroy the connector moves to
  # the new token before the old one is revoked.
  renew_before = "720h"

  lifecycle {
    create_before_destroy = true
  }
}
