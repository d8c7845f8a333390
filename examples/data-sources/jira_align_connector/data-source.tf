data "jira_align_connector" "prod" {
  name = "jira-data-center"
}

# Check that Jira Align holds the key Terraform generated.
output "key_matches" {
  value = data.jira_align_connector.prod.public_key_fingerprint == jira_align_key_pair.align.public_key_fingerprint
}
