# Import a connector by its numeric Jira Align id. Jira Align never returns secrets, so add
# them to the configuration: the first apply re-sends them (one in-place update), then the
# plan is empty.
terraform import jira_align_connector.oauth 12
