package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/jira-align-tf/terraform-provider-jira/internal/alignapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/customtypes"
)

var (
	_ datasource.DataSource                     = (*connectorDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*connectorDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*connectorDataSource)(nil)
)

// NewConnectorDataSource is the factory of the jira_align_connector data source.
func NewConnectorDataSource() datasource.DataSource { return &connectorDataSource{} }

type connectorDataSource struct{ c *clients }

func (d *connectorDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_align_connector"
}

func (d *connectorDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up a Jira Align Jira connector by `id` or by `name`. Secrets are never returned by Jira Align, so none are exposed.",
		Attributes: map[string]schema.Attribute{
			"id":                      schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "Numeric connector id. Give `id` or `name`."},
			"name":                    schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "Connector name (matched case-insensitively). Give `id` or `name`."},
			"jira_url":                schema.StringAttribute{Computed: true, CustomType: customtypes.URLType{}, MarkdownDescription: "Jira base URL."},
			"jira_type":               computed("`cloud` or `data_center`."),
			"auth_type":               computed("`basic` or `oauth1`."),
			"username":                computed("Basic-auth username (null for oauth1)."),
			"consumer_key":            computed("OAuth consumer key (null for basic)."),
			"public_key_fingerprint":  computed("`SHA256:` fingerprint of the stored key's public half (null for basic)."),
			"access_token_expires_at": schema.StringAttribute{Computed: true, CustomType: customtypes.TimestampType{}, MarkdownDescription: "When the OAuth access token expires (RFC 3339), if known."},
			"credential_version":      schema.Int64Attribute{Computed: true, MarkdownDescription: "Counter of credential changes."},
			"updated_at":              computed("When the connector last changed (RFC 3339)."),
		},
	}
}

func (d *connectorDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name"))}
}

func (d *connectorDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.c = providerClients(req.ProviderData, &resp.Diagnostics)
}

func (d *connectorDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	api := d.c.needAlign(&resp.Diagnostics)
	var m connectorFields
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = d.c.logContext(ctx)
	var conn *alignapi.Connector
	if s := m.ID.ValueString(); s != "" {
		id, ok := connectorID(m.ID, &resp.Diagnostics)
		if !ok {
			return
		}
		var err error
		conn, err = api.GetConnector(ctx, id)
		if alignapi.IsNotFound(err) {
			resp.Diagnostics.AddAttributeError(path.Root("id"), "Connector not found", fmt.Sprintf("Jira Align has no connector with id %d.", id))
			return
		}
		if err != nil {
			resp.Diagnostics.AddError("Cannot read the Jira Align connector", err.Error())
			return
		}
	} else {
		var err error
		conn, err = api.FindConnectorByName(ctx, m.Name.ValueString())
		if err != nil {
			resp.Diagnostics.AddError("Cannot look up the Jira Align connector", err.Error())
			return
		}
		if conn == nil {
			resp.Diagnostics.AddAttributeError(path.Root("name"), "Connector not found", fmt.Sprintf("Jira Align has no connector named %q.", m.Name.ValueString()))
			return
		}
	}
	m = fields(conn)
	resp.Diagnostics.Append(writeState(ctx, &resp.State, nil, &m)...)
}
