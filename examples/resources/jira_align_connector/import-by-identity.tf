# The identity is the connector's numeric Jira Align id, as `terraform query` shows it.
import {
  to       = jira_align_connector.prod
  identity = { id = "12" }
}
