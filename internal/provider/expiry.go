package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jira-align-tf/terraform-provider-jira/internal/customtypes"
)

// A Jira connector whose credential expired stops syncing without a word in Jira Align, so the
// plan says so ahead of time: within expiry_warning of the expiry, then, louder, once it passed.

var (
	pathPasswordExpiresAt    = path.Root("basic").AtName("password_expires_at")
	pathAccessTokenExpiresAt = path.Root("oauth1").AtName("access_token_expires_at")
)

// warnCredentialExpiry adds the expiry warnings for the connector in plan: its
// basic.password_expires_at or oauth1.access_token_expires_at, when known, against now and the
// warning window.
func warnCredentialExpiry(ctx context.Context, plan tfsdk.Plan, now time.Time, window time.Duration, diags *diag.Diagnostics) {
	var name types.String
	var basicExp customtypes.Timestamp
	var oauthExp customtypes.Timestamp
	// A parent that is null yields a null child; any failure simply means no warning.
	var ds diag.Diagnostics
	ds.Append(plan.GetAttribute(ctx, path.Root("name"), &name)...)
	ds.Append(plan.GetAttribute(ctx, pathPasswordExpiresAt, &basicExp)...)
	ds.Append(plan.GetAttribute(ctx, pathAccessTokenExpiresAt, &oauthExp)...)
	if ds.HasError() {
		return
	}
	connector := "this connector"
	if !name.IsNull() && !name.IsUnknown() {
		connector = fmt.Sprintf("connector %q", name.ValueString())
	}
	if exp, ok := customtypes.TimeOf(basicExp); ok {
		addExpiryWarning(diags, pathPasswordExpiresAt, basicExpiry, connector, exp, now, window)
	}
	if exp, ok := customtypes.TimeOf(oauthExp); ok {
		addExpiryWarning(diags, pathAccessTokenExpiresAt, oauthExpiry{window: window}, connector, exp, now, window)
	}
}

// expiryText words the warnings for one kind of credential.
type expiryText interface {
	soon(connector, date, in string) (summary, detail string)
	expired(connector, date, ago string) (summary, detail string)
}

func addExpiryWarning(diags *diag.Diagnostics, p path.Path, text expiryText, connector string, exp, now time.Time, window time.Duration) {
	date := exp.Format(time.DateOnly)
	left := exp.Sub(now)
	switch {
	case left <= 0:
		summary, detail := text.expired(connector, date, ago(-left))
		attrWarning(diags, p, summary, detail)
	case left <= window:
		summary, detail := text.soon(connector, date, in(left))
		attrWarning(diags, p, summary, detail)
	}
}

type basicExpiryText struct{}

var basicExpiry basicExpiryText

func (basicExpiryText) soon(connector, date, in string) (string, string) {
	return "Jira API token expires soon", fmt.Sprintf(
		"the Jira API token of %s expires on %s, %s: rotate it with password_wo + password_wo_version (see the API-token rotation guide)",
		connector, date, in)
}

func (basicExpiryText) expired(connector, date, ago string) (string, string) {
	return "Jira API token expired: the connector has stopped syncing", fmt.Sprintf(
		"the Jira API token of %s expired on %s, %s: Jira rejects it, so the connector has stopped syncing. "+
			"Create a new API token for the connector's Jira user, then rotate it with password_wo + password_wo_version "+
			"and set password_expires_at to its expiry (see the API-token rotation guide)",
		connector, date, ago)
}

type oauthExpiry struct{ window time.Duration }

func (o oauthExpiry) soon(connector, date, in string) (string, string) {
	return "Jira OAuth access token expires soon", fmt.Sprintf(
		"the Jira OAuth access token of %s expires on %s, %s: renew it before then with renew_before on its jira_align_access_token "+
			"(for example renew_before = %q, with create_before_destroy), which replaces the token once it is that close to expiry",
		connector, date, in, durationText(o.window))
}

func (oauthExpiry) expired(connector, date, ago string) (string, string) {
	return "Jira OAuth access token expired: the connector has stopped syncing", fmt.Sprintf(
		"the Jira OAuth access token of %s expired on %s, %s: Jira rejects it, so the connector has stopped syncing. "+
			"Give the connector a new token: a jira_align_access_token replaces an expired token at the next apply, "+
			"and its renew_before replaces it before it expires",
		connector, date, ago)
}

// in says how far away d is: "in 12 days", "in 1 day", "in 5 hours", "in less than an hour".
func in(d time.Duration) string { return "in " + span(d) }

// ago says how long ago d was: "12 days ago", …, "less than an hour ago".
func ago(d time.Duration) string { return span(d) + " ago" }

func span(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= 2*day:
		return fmt.Sprintf("%d days", int(d/day))
	case d >= day:
		return "1 day"
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= time.Hour:
		return "1 hour"
	}
	return "less than an hour"
}

// durationText writes whole hours as "720h" (time.Duration's own form is "720h0m0s").
func durationText(d time.Duration) string {
	if d > 0 && d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}
