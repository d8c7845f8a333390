# Import an application link by its id (the UUID in Jira's application link URL).
terraform import jira_application_link.align 1c0bd3f6-2b8f-3a4c-9d1e-7f0a5b6c4d21
