# One connector, by name (compared case-insensitively, as Jira Align compares names).
list "jira_align_connector" "prod" {
  provider = jira

  config {
    name = "jira-prod"
  }
}
