# The identity is the link's id in Jira (a UUID), as `terraform query` shows it.
import {
  to       = jira_application_link.align
  identity = { id = "1c0bd3f6-2b8f-3a4c-9d1e-7f0a5b6c4d21" }
}
