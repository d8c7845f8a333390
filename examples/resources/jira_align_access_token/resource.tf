resource "jira_align_access_token" "align" {
  # Approved by the connector's service account (see the provider example's "service" alias),
  # and pinned to it: a token that acts as another Jira user is refused.
  provider                 = jira.service
  expected_authorized_user = "svc-align"

  consumer_key    = jira_application_link.align.consumer.consumer_key
  private_key_pem = jira_align_key_pair.align.private_key_pem

  # Rotate a month before the 5-year expiry. With create_before_destroy the connector moves to
  # the new token before the old one is revoked.
  renew_before = "720h"

  lifecycle {
    create_before_destroy = true
  }
}
