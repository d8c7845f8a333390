# The demo configuration run by `make demo`: the whole Jira Align connector setup, basic and
# OAuth 1.0a, against the simulators. Provider settings come from the environment
# (JIRA_ALIGN_URL, JIRA_ALIGN_API_TOKEN, JIRA_URL, JIRA_USERNAME, JIRA_PASSWORD).
terraform {
  required_providers {
    jira = {
      source = "jira-align-tf/jira"
    }
  }
}

provider "jira" {}

# The Jira service account approves the OAuth token.
provider "jira" {
  alias         = "service"
  jira_username = var.service_username
  jira_password = var.service_password
}

variable "align_url" {
  type        = string
  description = "Jira Align base URL, registered in Jira as the application link's URL."
}

variable "service_username" {
  type = string
}

variable "service_password" {
  type      = string
  sensitive = true
}

variable "basic_password" {
  type      = string
  sensitive = true
}

# Basic auth.
resource "jira_align_connector" "basic" {
  name      = "demo-basic"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  basic = {
    username = var.service_username
    password = var.basic_password
  }
}

# OAuth 1.0a: Generate New Key ...
resource "jira_align_key_pair" "demo" {
  rsa_bits = 2048
}

# ... register it as the incoming consumer of an application link ...
resource "jira_application_link" "align" {
  name    = "Jira Align (demo)"
  rpc_url = var.align_url
  consumer = {
    consumer_key   = "JiraAlignDemo"
    public_key_pem = jira_align_key_pair.demo.public_key_pem
  }
}

# ... run the three-legged handshake as the service account ...
resource "jira_align_access_token" "demo" {
  provider        = jira.service
  consumer_key    = jira_application_link.align.consumer.consumer_key
  private_key_pem = jira_align_key_pair.demo.private_key_pem
  renew_before    = "720h"
  # The connector must act as the service account, never as the administrator.
  expected_authorized_user = var.service_username

  lifecycle {
    create_before_destroy = true
  }
}

# ... and hand everything to the connector.
resource "jira_align_connector" "oauth" {
  name      = "demo-oauth"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  oauth1 = {
    consumer_key            = jira_application_link.align.consumer.consumer_key
    private_key_pem         = jira_align_key_pair.demo.private_key_pem
    access_token            = jira_align_access_token.demo.token
    access_token_secret     = jira_align_access_token.demo.token_secret
    access_token_expires_at = jira_align_access_token.demo.expires_at
  }
}

output "oauth_connector_id" {
  value = jira_align_connector.oauth.id
}

output "token_authorized_user" {
  value = jira_align_access_token.demo.authorized_user
}

output "fingerprints_match" {
  value = jira_align_connector.oauth.public_key_fingerprint == jira_align_key_pair.demo.public_key_fingerprint
}
