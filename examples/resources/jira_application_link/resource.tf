resource "jira_application_link" "align" {
  name    = "Jira Align"
  rpc_url = "https://example.jiraalign.com"

  consumer = {
    consumer_key   = "JiraAlignProd"
    public_key_pem = jira_align_key_pair.align.public_key_pem
    name           = "Jira Align"
    description    = "Jira Align connector (managed by Terraform)"
  }
}
