# By the connector's numeric Jira Align id: `terraform query` lists it (Terraform 1.14+), and so
# does Jira Align's connector API (GET /rest/align/api/2/Connectors).
terraform import jira_align_connector.prod 12

# By the connector's name, matched as Jira Align matches names (case-insensitively). An id of
# only digits is always taken as the numeric id.
terraform import jira_align_connector.prod jira-prod
