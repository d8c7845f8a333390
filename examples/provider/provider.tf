terraform {
  required_providers {
    jira = {
      source = "jira-align-tf/jira"
    }
  }
}

# Every setting can come from the environment instead:
# JIRA_ALIGN_URL, JIRA_ALIGN_API_TOKEN, JIRA_URL, JIRA_USERNAME, JIRA_PASSWORD, JIRA_EXPIRY_WARNING.
provider "jira" {
  align_url       = "https://example.jiraalign.com"
  align_api_token = var.align_api_token

  # A Jira administrator: manages application links and, by default, approves access tokens.
  jira_url      = "https://jira.example.com"
  jira_username = "jira-admin"
  jira_password = var.jira_admin_password

  request_timeout = "60s"
  max_retries     = 5

  # Plans warn this long before a connector's API token or access token expires.
  expiry_warning = "720h"
}

# The service account that approves the connector's access token, as a second provider
# configuration (works on every Terraform version; on 1.11+ approver_username and
# approver_password_wo on the token resource do the same).
provider "jira" {
  alias         = "service"
  align_url     = "https://example.jiraalign.com"
  jira_url      = "https://jira.example.com"
  jira_username = "svc-align"
  jira_password = var.jira_service_password
}

variable "align_api_token" {
  type      = string
  sensitive = true
}

variable "jira_admin_password" {
  type      = string
  sensitive = true
}

variable "jira_service_password" {
  type      = string
  sensitive = true
}
