package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

func TestExpiryWarningWindowAndWording(t *testing.T) {
	exp := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	cases := []struct {
		before time.Duration // now = exp - before
		want   string        // "" : no warning
	}{
		{31 * day, ""},
		{30*day + time.Second, ""},
		{30 * day, "expires on 2027-03-01, in 30 days:"},
		{12*day + 5*time.Hour, "expires on 2027-03-01, in 12 days:"},
		{36 * time.Hour, "in 1 day:"},
		{5*time.Hour + 30*time.Minute, "in 5 hours:"},
		{90 * time.Minute, "in 1 hour:"},
		{time.Minute, "in less than an hour:"},
		{0, "expired on 2027-03-01, less than an hour ago: Jira rejects it, so the connector has stopped syncing"},
		{-3*day - time.Hour, "expired on 2027-03-01, 3 days ago:"},
	}
	for _, c := range cases {
		var diags diag.Diagnostics
		addExpiryWarning(&diags, pathPasswordExpiresAt, basicExpiry, `connector "jira-prod"`, exp, exp.Add(-c.before), 30*day)
		switch {
		case c.want == "" && len(diags) != 0:
			t.Errorf("%s before: unexpected %v", c.before, diags)
		case c.want == "":
		case len(diags) != 1 || diags[0].Severity() != diag.SeverityWarning:
			t.Errorf("%s before: %v, want one warning", c.before, diags)
		case !strings.HasPrefix(diags[0].Detail(), `basic.password_expires_at: the Jira API token of connector "jira-prod" `) || !strings.Contains(diags[0].Detail(), c.want):
			t.Errorf("%s before: %q, want %q", c.before, diags[0].Detail(), c.want)
		}
	}
	// A date is shown in the offset it was given in.
	var diags diag.Diagnostics
	local := time.Date(2027, 3, 1, 0, 30, 0, 0, time.FixedZone("", 3600))
	addExpiryWarning(&diags, pathAccessTokenExpiresAt, oauthExpiry{window: 720 * time.Hour}, "this connector", local, local.Add(-2*day), 720*time.Hour)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail(), "expires on 2027-03-01, in 2 days: renew it before then with renew_before on its jira_align_access_token (for example renew_before = \"720h\"") {
		t.Errorf("oauth1: %v", diags)
	}
	if got := durationText(90 * time.Minute); got != "1h30m0s" {
		t.Errorf("durationText = %q", got)
	}
}
