terraform {
  required_providers {
    jira = {
      source = "jira-align-tf/jira"
    }
  }
}

# Jira Align settings from the environment (JIRA_ALIGN_URL, JIRA_ALIGN_API_TOKEN), and for the
# OAuth 1.0a connector a Jira administrator (JIRA_URL, JIRA_USERNAME, JIRA_PASSWORD).
provider "jira" {}

# Basic auth: a Jira service account and its password or API token.
resource "jira_align_connector" "basic" {
  name      = "jira-cloud"
  jira_url  = "https://example.atlassian.net"
  jira_type = "cloud"
  basic = {
    username = "svc-align@example.com"
    password = var.jira_api_token
  }
}

# Basic auth with a write-only secret (Terraform/OpenTofu 1.11+): never stored in state.
# Bump password_wo_version to send a new value. Atlassian API tokens expire within a year: with
# password_expires_at, plans warn 30 days ahead (the provider's expiry_warning).
resource "jira_align_connector" "basic_wo" {
  name      = "jira-cloud-wo"
  jira_url  = "https://example.atlassian.net"
  jira_type = "cloud"
  basic = {
    username            = "svc-align@example.com"
    password_wo         = var.jira_api_token
    password_wo_version = 1
    password_expires_at = "2027-03-01T00:00:00Z"
  }
}

# OAuth 1.0a: key pair, application link and access token, all managed by Terraform.
resource "jira_align_connector" "oauth" {
  name      = "jira-data-center"
  jira_url  = jira_align_access_token.align.jira_url
  jira_type = "data_center"
  oauth1 = {
    consumer_key            = jira_application_link.align.consumer.consumer_key
    private_key_pem         = jira_align_key_pair.align.private_key_pem
    access_token            = jira_align_access_token.align.token
    access_token_secret     = jira_align_access_token.align.token_secret
    access_token_expires_at = jira_align_access_token.align.expires_at
  }
}

# OAuth 1.0a with write-only secrets (Terraform/OpenTofu 1.11+): the connector's state holds
# neither key nor token. credentials_wo_version = the token's id sends a new token in the same
# apply that creates it.
resource "jira_align_connector" "oauth_wo" {
  name      = "jira-data-center-wo"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  oauth1 = {
    consumer_key            = jira_application_link.align.consumer.consumer_key
    private_key_pem_wo      = jira_align_key_pair.align.private_key_pem
    access_token_wo         = jira_align_access_token.align.token
    access_token_secret_wo  = jira_align_access_token.align.token_secret
    credentials_wo_version  = jira_align_access_token.align.id
    access_token_expires_at = jira_align_access_token.align.expires_at
  }
}

variable "jira_api_token" {
  type      = string
  sensitive = true
}

# What the OAuth 1.0a connector uses: a key pair, an application link whose incoming consumer
# holds the public key, and an access token approved by the service account.
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
  provider        = jira.service
  consumer_key    = jira_application_link.align.consumer.consumer_key
  private_key_pem = jira_align_key_pair.align.private_key_pem

  lifecycle {
    create_before_destroy = true
  }
}
