package provider

// Adoption of connectors made by hand: import by id, name or identity, and the plan-time rules
// for secrets that a configuration (one written by -generate-config-out in particular) leaves
// out because Jira Align never returns them.

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jira-align-tf/terraform-provider-jira/internal/alignapi"
)

var _ resource.ResourceWithIdentity = (*connectorResource)(nil)

var numericID = regexp.MustCompile(`^[0-9]+$`)

func (r *connectorResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("The connector's numeric Jira Align id, as a string (for example \"12\").")
}

// ImportState takes a numeric id, a connector name (anything that is not all digits), or, from an
// import block's identity, the id.
func (r *connectorResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, fromIdentity := importID(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if fromIdentity && !numericID.MatchString(id) {
		resp.Diagnostics.AddError("Invalid import identity",
			fmt.Sprintf("identity.id: %q is not a numeric Jira Align connector id. To import a connector by its name, "+
				"give the name as the import block's id instead of an identity: id = %q.", id, id))
		return
	}
	switch {
	case id == "":
		resp.Diagnostics.AddError("Invalid import id",
			"Import a connector by its numeric Jira Align id or by its name, for example `terraform import jira_align_connector.prod 12` "+
				"or `terraform import jira_align_connector.prod jira-prod`.")
		return
	case !numericID.MatchString(id):
		found, ok := r.connectorByName(ctx, id, resp)
		if !ok {
			return
		}
		id = strconv.Itoa(found)
	default:
		// The id as Jira Align writes it ("012" is 12), so that the identity never changes at refresh.
		n, err := strconv.Atoi(id)
		if err != nil || n == 0 {
			resp.Diagnostics.AddError("Invalid import id", fmt.Sprintf("%q is not a Jira Align connector id.", id))
			return
		}
		id = strconv.Itoa(n)
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, id)...)
}

// connectorByName finds the one connector named name, compared as Jira Align compares names
// (case-insensitively).
func (r *connectorResource) connectorByName(ctx context.Context, name string, resp *resource.ImportStateResponse) (int, bool) {
	api := r.c.needAlign(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return 0, false
	}
	list, err := api.ListConnectors(r.c.logContext(ctx), name)
	if err != nil {
		resp.Diagnostics.AddError("Cannot look the connector up by name", fmt.Sprintf("Looking up the Jira Align connector named %q: %s", name, errorDetail(ctx, err)))
		return 0, false
	}
	switch len(list) {
	case 1:
		return list[0].ID, true
	case 0:
		resp.Diagnostics.AddError("No connector with that name",
			fmt.Sprintf("No Jira Align connector is named %q (names are compared case-insensitively). "+
				"See the connectors in Jira Align under Administration > Connectors > Jira Settings, or list them with `terraform query` "+
				"(Terraform 1.14+), and import one by its name or numeric id. An id that is all digits is always taken as the id.", name))
	default:
		resp.Diagnostics.AddError("Several connectors with that name",
			fmt.Sprintf("%d Jira Align connectors are named %q (ids %s); import one by its numeric id.", len(list), name, connectorIDs(list)))
	}
	return 0, false
}

func connectorIDs(list []alignapi.Connector) string {
	ids := make([]int, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	sort.Ints(ids)
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ", ")
}

// connectorSecret is one secret a connector's auth method needs: its plain attribute, the
// write-only attribute that may give it instead (if any), what it is and how to set it.
type connectorSecret struct {
	plain, writeOnly string
	what, how        string
}

// connectorSecrets lists, per auth method (the nested attribute's name), the secrets Jira Align
// requires when a connector is created or switched to that method. On an update an omitted
// secret keeps the value Jira Align holds.
var connectorSecrets = map[string][]connectorSecret{
	"basic": {{plain: "password", writeOnly: "password_wo", what: "the password or API token",
		how: "set password_wo with password_wo_version (Terraform/OpenTofu 1.11+), or password"}},
	"oauth1": {
		{plain: "private_key_pem", writeOnly: "private_key_pem_wo", what: "the RSA private key",
			how: "set it, for example to jira_align_key_pair.<name>.private_key_pem, or private_key_pem_wo with credentials_wo_version (Terraform/OpenTofu 1.11+)"},
		{plain: "access_token", writeOnly: "access_token_wo", what: "the OAuth access token",
			how: "set it, for example to jira_align_access_token.<name>.token, or access_token_wo with credentials_wo_version (Terraform/OpenTofu 1.11+)"},
		{plain: "access_token_secret", writeOnly: "access_token_secret_wo", what: "the OAuth access token secret",
			how: "set it, for example to jira_align_access_token.<name>.token_secret, or access_token_secret_wo with credentials_wo_version (Terraform/OpenTofu 1.11+)"},
	},
}

// checkSecrets runs at plan time. A configuration may leave a connector's secrets out: Jira
// Align never returns them, so an import or `-generate-config-out` yields null secrets, and on an
// update Jira Align keeps what it holds. A connector that does not exist yet, or whose auth method
// changes, needs them all: that is an error naming each missing attribute. For an existing
// connector a warning says which secrets Terraform does not manage.
func (r *connectorResource) checkSecrets(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	method := authMethodOf(ctx, req.Config.GetAttribute, &resp.Diagnostics)
	if method == "" {
		return // none or both: the config validators report it
	}
	missing := missingSecrets(ctx, req.Config.GetAttribute, method, &resp.Diagnostics)
	if len(missing) == 0 || resp.Diagnostics.HasError() {
		return
	}

	stateMethod := ""
	if !req.State.Raw.IsNull() {
		stateMethod = authMethodOf(ctx, req.State.GetAttribute, &resp.Diagnostics)
	}
	if stateMethod != method {
		why := "A new connector needs it"
		if stateMethod != "" {
			why = fmt.Sprintf("The connector switches from %s to %s, and Jira Align needs the new method's secrets", stateMethod, method)
		}
		for _, s := range missing {
			attrError(&resp.Diagnostics, path.Root(method).AtName(s.plain), "Missing connector secret",
				fmt.Sprintf("%s.%s: %s is missing. %s: %s. (A configuration written by -generate-config-out leaves it null, "+
					"because Jira Align never returns secrets.)", method, s.plain, s.what, why, s.how))
		}
		return
	}
	var name types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("name"), &name)...)
	attrs := make([]string, len(missing))
	hows := make([]string, len(missing))
	for i, s := range missing {
		attrs[i] = method + "." + s.plain
		hows[i] = s.how
		if len(missing) > 1 {
			hows[i] = attrs[i] + ": " + s.how
		}
	}
	it, them := "it is", "it"
	if len(missing) > 1 {
		it, them = "they are", "them"
	}
	// The connector's name in the summary keeps Terraform from folding the warnings of several
	// adopted connectors into one.
	resp.Diagnostics.AddAttributeWarning(path.Root(method).AtName(missing[0].plain),
		fmt.Sprintf("Secrets of connector %q not in the configuration", name.ValueString()),
		fmt.Sprintf("%s: not in the configuration, so Jira Align keeps what it holds for connector %q and Terraform does not manage %s "+
			"(an import or -generate-config-out leaves secrets null: Jira Align never returns them). Terraform cannot re-create "+
			"this connector, or rotate %s, until %s set (%s).",
			strings.Join(attrs, ", "), name.ValueString(), them, them, it, strings.Join(hows, "; ")))
}

// anySecretConfigured reports whether the configuration gives any secret of its auth method.
func (r *connectorResource) anySecretConfigured(ctx context.Context, req resource.ModifyPlanRequest) bool {
	var diags diag.Diagnostics
	method := authMethodOf(ctx, req.Config.GetAttribute, &diags)
	missing := missingSecrets(ctx, req.Config.GetAttribute, method, &diags)
	// When in doubt, say the secrets are re-sent.
	return diags.HasError() || len(missing) < len(connectorSecrets[method])
}

// missingSecrets returns the secrets of method that the configuration gives in neither their
// plain nor their write-only attribute. An unknown value counts as given: it has one at apply.
func missingSecrets(ctx context.Context, get func(context.Context, path.Path, any) diag.Diagnostics, method string, diags *diag.Diagnostics) []connectorSecret {
	var missing []connectorSecret
	for _, s := range connectorSecrets[method] {
		given := false
		for _, name := range []string{s.plain, s.writeOnly} {
			if name == "" {
				continue
			}
			var v types.String
			diags.Append(get(ctx, path.Root(method).AtName(name), &v)...)
			given = given || !v.IsNull()
		}
		if !given {
			missing = append(missing, s)
		}
	}
	return missing
}

// authMethodOf returns the auth method ("basic" or "oauth1") whose nested attribute is set, or ""
// when none or both are.
func authMethodOf(ctx context.Context, get func(context.Context, path.Path, any) diag.Diagnostics, diags *diag.Diagnostics) string {
	method := ""
	for _, m := range []string{"basic", "oauth1"} {
		var v types.Object
		diags.Append(get(ctx, path.Root(m), &v)...)
		if v.IsNull() {
			continue
		}
		if method != "" {
			return ""
		}
		method = m
	}
	return method
}
