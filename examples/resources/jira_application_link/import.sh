# By the link's id, the UUID Jira's application-link API shows
# (GET {jira}/rest/applinks/3.0/applicationlink); `terraform query` lists it (Terraform 1.14+).
terraform import jira_application_link.align 1c0bd3f6-2b8f-3a4c-9d1e-7f0a5b6c4d21

# By the Jira Align URL the link points at (its rpc_url): scheme and host are compared
# case-insensitively and trailing slashes are ignored, as Jira compares them.
terraform import jira_application_link.align https://example.jiraalign.com
