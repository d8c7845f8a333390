package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jira-align-tf/terraform-provider-jira/internal/jiraapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/validators"
)

var (
	_ list.ListResource                   = (*applicationLinkListResource)(nil)
	_ list.ListResourceWithConfigure      = (*applicationLinkListResource)(nil)
	_ list.ListResourceWithValidateConfig = (*applicationLinkListResource)(nil)
)

// NewApplicationLinkListResource is the factory of the jira_application_link list resource
// (`terraform query`, Terraform 1.14+).
func NewApplicationLinkListResource() list.ListResource { return &applicationLinkListResource{} }

type applicationLinkListResource struct{ c *clients }

type applicationLinkListModel struct {
	RPCURL types.String `tfsdk:"rpc_url"`
}

func (r *applicationLinkListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_application_link"
}

func (r *applicationLinkListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Lists Jira's generic application links (the kind `jira_application_link` manages; links to other Atlassian " +
			"applications are left out) for `terraform query` (Terraform 1.14+), with the provider's `jira_username`, a Jira administrator. " +
			"Each result's identity is the link's id; with `-generate-config-out` each becomes a `jira_application_link` resource, " +
			"with its incoming consumer, and an `import` block.",
		Attributes: map[string]listschema.Attribute{
			"rpc_url": listschema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Only the link to this Jira Align URL, compared as Jira compares them (scheme and host case-insensitively, " +
					"trailing slashes ignored). Default: every generic link.",
			},
		},
	}
}

func (r *applicationLinkListResource) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	var cfg applicationLinkListModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if u := cfg.RPCURL.ValueString(); u != "" && !isLinkURL(u) {
		resp.Diagnostics.AddError("Invalid rpc_url", fmt.Sprintf("rpc_url: %q is not an absolute http or https URL.", u))
	}
}

func (r *applicationLinkListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.c = providerClients(req.ProviderData, &resp.Diagnostics)
}

func (r *applicationLinkListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg applicationLinkListModel
	diags := req.Config.Get(ctx, &cfg)
	var (
		api   *jiraapi.Client
		admin jiraapi.BasicAuth
	)
	if r.c == nil {
		diags.AddError("Provider not configured", "The jira provider was not configured before listing application links; please report this bug.")
	} else {
		api = r.c.needJira(&diags)
		admin, _ = r.c.jiraAdmin(&diags, "listing jira_application_link")
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	ctx = r.c.logContext(ctx)
	stream.Results = func(push func(list.ListResult) bool) {
		links, err := api.ListApplicationLinks(ctx, admin)
		if err != nil {
			var d diag.Diagnostics
			d.AddError("Cannot list the Jira application links", errorDetail(ctx, err))
			push(list.ListResult{Diagnostics: d})
			return
		}
		n := int64(0)
		for _, l := range links {
			if l.TypeID != jiraapi.DefaultLinkType {
				continue
			}
			if want := cfg.RPCURL.ValueString(); want != "" && jiraapi.SameLinkURL(l.RPCURL) != jiraapi.SameLinkURL(want) {
				continue
			}
			result := req.NewListResult(ctx)
			result.DisplayName = fmt.Sprintf("%s (%s)", l.Name, l.RPCURL)
			result.Diagnostics.Append(setIdentity(ctx, result.Identity, l.ID)...)
			if req.IncludeResource {
				r.includeLink(ctx, api, admin, l, &result)
				if result.Diagnostics.HasError() {
					push(result)
					return
				}
			}
			if !push(result) {
				return
			}
			if n++; req.Limit > 0 && n >= req.Limit {
				return
			}
		}
	}
}

// includeLink sets the result's resource: the link as the resource's Read would store it.
func (r *applicationLinkListResource) includeLink(ctx context.Context, api *jiraapi.Client, admin jiraapi.BasicAuth, l jiraapi.ApplicationLink, result *list.ListResult) {
	cons, err := api.GetConsumer(ctx, admin, l.ID)
	switch {
	case jiraapi.IsNotFound(err):
		cons = nil
		result.Diagnostics.AddWarning("Application link without an incoming consumer",
			fmt.Sprintf("consumer: application link %q (%s) has no incoming consumer, which jira_application_link requires. "+
				"Configuration generated for it needs a consumer block (consumer_key and public_key_pem) before it validates; "+
				"applying it registers that consumer on the link.", l.Name, l.ID))
	case err != nil:
		result.Diagnostics.AddError("Cannot read an application link's incoming consumer", errorDetail(ctx, err))
		return
	}
	m := applicationLinkModel{Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutAttrTypes)}}
	m.fromAPI(&l, cons)
	if err := validators.CheckURL(l.RPCURL); err != nil {
		result.Diagnostics.AddWarning("Application link URL the resource does not accept",
			fmt.Sprintf("rpc_url: application link %q (%s) points at %q, which jira_application_link does not accept (%v).",
				l.Name, l.ID, l.RPCURL, err))
	}
	result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
}
