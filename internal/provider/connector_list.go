package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jira-align-tf/terraform-provider-jira/internal/alignapi"
)

var (
	_ list.ListResource              = (*connectorListResource)(nil)
	_ list.ListResourceWithConfigure = (*connectorListResource)(nil)
)

// NewConnectorListResource is the factory of the jira_align_connector list resource
// (`terraform query`, Terraform 1.14+).
func NewConnectorListResource() list.ListResource { return &connectorListResource{} }

type connectorListResource struct{ c *clients }

type connectorListModel struct {
	Name types.String `tfsdk:"name"`
}

func (r *connectorListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_align_connector"
}

func (r *connectorListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Lists the Jira connectors of Jira Align, page by page (100 a page), for `terraform query` (Terraform 1.14+). " +
			"Each result's identity is the connector's id; with `-generate-config-out` each becomes a `jira_align_connector` " +
			"resource and an `import` block. Secrets are never listed (Jira Align does not return them).",
		Attributes: map[string]listschema.Attribute{
			"name": listschema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only the connector with this name, compared as Jira Align compares names (case-insensitively). Default: every connector.",
			},
		},
	}
}

func (r *connectorListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.c = providerClients(req.ProviderData, &resp.Diagnostics)
}

func (r *connectorListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg connectorListModel
	diags := req.Config.Get(ctx, &cfg)
	var api *alignapi.Client
	if r.c == nil {
		diags.AddError("Provider not configured", "The jira provider was not configured before listing connectors; please report this bug.")
	} else {
		api = r.c.needAlign(&diags)
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	ctx = r.c.logContext(ctx)
	stream.Results = func(push func(list.ListResult) bool) {
		n := int64(0)
		for conn, err := range api.Connectors(ctx, cfg.Name.ValueString()) {
			if err != nil {
				var d diag.Diagnostics
				d.AddError("Cannot list the Jira Align connectors", errorDetail(ctx, err))
				push(list.ListResult{Diagnostics: d})
				return
			}
			result := req.NewListResult(ctx)
			result.DisplayName = conn.Name
			id := strconv.Itoa(conn.ID)
			result.Diagnostics.Append(setIdentity(ctx, result.Identity, id)...)
			if req.IncludeResource {
				m := connectorModel{Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutAttrTypes)}}
				m.fromAPI(&conn)
				result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
			}
			if !push(result) {
				return
			}
			if n++; req.Limit > 0 && n >= req.Limit {
				return // no further page is fetched
			}
		}
	}
}

// timeoutAttrTypes is the type of the timeouts block of the connector and link resources.
var timeoutAttrTypes = map[string]attr.Type{
	"create": types.StringType, "read": types.StringType, "update": types.StringType, "delete": types.StringType,
}
