# The link to one Jira Align.
list "jira_application_link" "align" {
  provider = jira

  config {
    rpc_url = "https://example.jiraalign.com"
  }
}
