# Every generic application link (the kind jira_application_link manages).
list "jira_application_link" "all" {
  provider = jira
}
