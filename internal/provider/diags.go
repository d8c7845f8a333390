package provider

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/jira-align-tf/terraform-provider-jira/internal/alignapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/jiraapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/validators"
)

// Terraform before 1.6 and OpenTofu show a diagnostic about an attribute inside an object only
// with the resource's line, so every diagnostic about an attribute starts its detail with the
// attribute's path (validators.AtPath): "oauth1.consumer_key: the consumer key has …".

// attrError adds an error about attribute p whose detail starts with p.
func attrError(diags *diag.Diagnostics, p path.Path, summary, detail string) {
	diags.AddAttributeError(p, summary, validators.AtPath(p, detail))
}

// attrWarning adds a warning about attribute p whose detail starts with p.
func attrWarning(diags *diag.Diagnostics, p path.Path, summary, detail string) {
	diags.AddAttributeWarning(p, summary, validators.AtPath(p, detail))
}

// connectorFieldPaths maps the connector fields of Jira Align's API to the attributes that set
// them (the password field to whichever of password and password_wo is used).
var connectorFieldPaths = map[string]path.Path{
	"name":                 path.Root("name"),
	"jiraurl":              path.Root("jira_url"),
	"jiratype":             path.Root("jira_type"),
	"username":             path.Root("basic").AtName("username"),
	"consumerkey":          path.Root("oauth1").AtName("consumer_key"),
	"privatekeypem":        path.Root("oauth1").AtName("private_key_pem"),
	"accesstoken":          path.Root("oauth1").AtName("access_token"),
	"accesstokensecret":    path.Root("oauth1").AtName("access_token_secret"),
	"accesstokenexpiresat": path.Root("oauth1").AtName("access_token_expires_at"),
}

// addConnectorAPIError reports a failed connector call. When Jira Align rejected fields (a 400
// with field errors), each rejected field becomes an error on the attribute that set it, its
// detail starting with the attribute's path; the rest is one error with the whole answer.
// writeOnlyPassword says which attribute carried the password.
func addConnectorAPIError(ctx context.Context, diags *diag.Diagnostics, summary string, err error, writeOnlyPassword bool) {
	detail := errorDetail(ctx, err)
	var ae *alignapi.APIError
	if !errors.As(err, &ae) || len(ae.Errors) == 0 {
		diags.AddError(summary, detail)
		return
	}
	fields := make([]string, 0, len(ae.Errors))
	for f := range ae.Errors {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	mapped := 0
	for _, f := range fields {
		p, ok := connectorFieldPaths[strings.ToLower(f)]
		if strings.EqualFold(f, "password") {
			p, ok = path.Root("basic").AtName("password"), true
			if writeOnlyPassword {
				p = path.Root("basic").AtName("password_wo")
			}
		}
		if !ok {
			continue
		}
		mapped++
		attrError(diags, p, summary, "Jira Align rejected the value: "+strings.Join(ae.Errors[f], "; ")+"\n\n"+detail)
	}
	if mapped < len(fields) {
		diags.AddError(summary, detail)
	}
}

// addConsumerError reports a failed registration of an application link's incoming consumer:
// a key another link holds (409) on consumer.consumer_key, a consumer Jira refused (400) on
// consumer, anything else as it is. suffix is appended to the detail.
func addConsumerError(ctx context.Context, diags *diag.Diagnostics, summary string, err error, suffix string) {
	detail := errorDetail(ctx, err) + suffix
	var he *jiraapi.HTTPError
	switch {
	case errors.As(err, &he) && he.StatusCode == http.StatusConflict:
		attrError(diags, path.Root("consumer").AtName("consumer_key"), summary, detail)
	case errors.As(err, &he) && he.StatusCode == http.StatusBadRequest:
		attrError(diags, path.Root("consumer"), summary, detail)
	default:
		diags.AddError(summary, detail)
	}
}
