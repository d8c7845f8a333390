# Every connector. A query returns at most 100 results unless limit says otherwise.
list "jira_align_connector" "all" {
  provider = jira
  limit    = 1000
}
