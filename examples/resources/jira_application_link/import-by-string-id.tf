# The id is the Jira Align URL the link points at (its rpc_url; scheme and host compared
# case-insensitively, trailing slashes ignored), or the link's id (a UUID).
import {
  to = jira_application_link.align
  id = "https://example.jiraalign.com"
}
