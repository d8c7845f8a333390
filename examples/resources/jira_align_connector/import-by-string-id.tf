# The id is the connector's name, matched as Jira Align matches names (case-insensitively), or
# its numeric Jira Align id ("12"): an id of only digits is always the numeric id.
import {
  to = jira_align_connector.prod
  id = "jira-prod"
}
