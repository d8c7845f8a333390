terraform {
  required_providers {
    jira = {
      source = "jira-align-tf/jira"
    }
  }
}

resource "jira_align_key_pair" "align" {
  rsa_bits = 3072

  # Change a keeper to rotate the key.
  keepers = {
    rotation = "2026-11"
  }
}
