package provider

// Adoption of application links made by hand: import by id, by rpc_url or by identity.

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/jira-align-tf/terraform-provider-jira/internal/jiraapi"
)

var _ resource.ResourceWithIdentity = (*applicationLinkResource)(nil)

func (r *applicationLinkResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("The application link's id in Jira (a UUID).")
}

// ImportState takes the link's id, its rpc_url (an id that is an http or https URL: the Jira
// Align URL the link points at), or, from an import block's identity, the id.
func (r *applicationLinkResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, fromIdentity := importID(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if fromIdentity && isLinkURL(id) {
		resp.Diagnostics.AddError("Invalid import identity",
			fmt.Sprintf("identity.id: %q is a URL, not an application link id. To import the link by its rpc_url, "+
				"give the URL as the import block's id instead of an identity: id = %q.", id, id))
		return
	}
	switch {
	case id == "":
		resp.Diagnostics.AddError("Invalid import id",
			"Import an application link by its id (the UUID in Jira's application link URL) or by its rpc_url, for example "+
				"`terraform import jira_application_link.align https://example.jiraalign.com`.")
		return
	case isLinkURL(id):
		found, ok := r.linkByRPCURL(ctx, id, resp)
		if !ok {
			return
		}
		id = found
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, id)...)
}

// isLinkURL reports whether an import id is a URL (an rpc_url) rather than a link id.
func isLinkURL(id string) bool {
	u, err := url.Parse(id)
	return err == nil && (strings.EqualFold(u.Scheme, "https") || strings.EqualFold(u.Scheme, "http")) && u.Host != ""
}

// linkByRPCURL finds the one link whose rpcUrl is rpcURL, compared as Jira compares them (scheme
// and host case-insensitively, trailing slashes ignored).
func (r *applicationLinkResource) linkByRPCURL(ctx context.Context, rpcURL string, resp *resource.ImportStateResponse) (string, bool) {
	api := r.c.needJira(&resp.Diagnostics)
	admin, _ := r.c.jiraAdmin(&resp.Diagnostics, "importing jira_application_link by rpc_url")
	if resp.Diagnostics.HasError() {
		return "", false
	}
	links, err := api.ListApplicationLinks(r.c.logContext(ctx), admin)
	if err != nil {
		resp.Diagnostics.AddError("Cannot look the application link up by rpc_url",
			fmt.Sprintf("Listing Jira's application links to find rpc_url %q: %s", rpcURL, errorDetail(ctx, err)))
		return "", false
	}
	var ids []string
	for _, l := range links {
		if jiraapi.SameLinkURL(l.RPCURL) == jiraapi.SameLinkURL(rpcURL) {
			ids = append(ids, l.ID)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], true
	case 0:
		resp.Diagnostics.AddError("No application link with that rpc_url",
			fmt.Sprintf("None of Jira's %d application links has the rpc_url %q (scheme and host compared case-insensitively, trailing "+
				"slashes ignored). See them in Jira under Administration > Applications > Application links, or list them with "+
				"`terraform query` (Terraform 1.14+), and import one by its rpc_url or id.", len(links), rpcURL))
	default:
		resp.Diagnostics.AddError("Several application links with that rpc_url",
			fmt.Sprintf("%d of Jira's application links have the rpc_url %q (ids %s); import one by its id.", len(ids), rpcURL, strings.Join(ids, ", ")))
	}
	return "", false
}
