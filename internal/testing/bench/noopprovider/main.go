// Command noopprovider is the benchmark's floor: a terraform-plugin-framework provider "noop"
// (registry.terraform.io/bench/noop, protocol 6) with one resource, noop_thing, whose attribute
// tree is jira_align_connector's (the same 9 attributes, the nested basic and oauth1 objects
// with their 4 and 5 attributes, the same types, sensitivity and write-only flag, and the same
// timeouts block) without any validator, plan modifier or behaviour of its own: Create/Read/Update/Delete only set state, and Read does
// nothing at all. Whatever a refresh of it costs is Terraform plus the framework and the plugin
// protocol for that schema: no plugin provider with this schema can do better.
//
// It is built and run only by `make bench` (internal/devtools/bench.sh), never shipped.
package main

import (
	"context"
	"log"
	"strconv"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jira-align-tf/terraform-provider-jira/internal/quietlog"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/bench/pprofhook"
)

func main() {
	quietlog.WhenUnobserved(false, "noop") // as main.go does
	stop := pprofhook.Start("noop")        // only with BENCH_PPROF_DIR set (make bench -profile)
	err := providerserver.Serve(context.Background(), func() provider.Provider { return noopProvider{} }, providerserver.ServeOpts{
		Address:         "registry.terraform.io/bench/noop",
		ProtocolVersion: 6,
	})
	stop()
	if err != nil {
		log.Fatal(err)
	}
}

type noopProvider struct{}

func (noopProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "noop"
	resp.Version = "0.0.1"
}

func (noopProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = pschema.Schema{}
}

func (noopProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (noopProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return &thing{} }}
}

func (noopProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

type thing struct{}

type thingModel struct {
	Timeouts             timeouts.Value `tfsdk:"timeouts"`
	ID                   types.String   `tfsdk:"id"`
	Name                 types.String   `tfsdk:"name"`
	JiraURL              types.String   `tfsdk:"jira_url"`
	JiraType             types.String   `tfsdk:"jira_type"`
	Basic                *basicModel    `tfsdk:"basic"`
	OAuth1               *oauth1Model   `tfsdk:"oauth1"`
	PublicKeyFingerprint types.String   `tfsdk:"public_key_fingerprint"`
	CredentialVersion    types.Int64    `tfsdk:"credential_version"`
	UpdatedAt            types.String   `tfsdk:"updated_at"`
}

type basicModel struct {
	Username          types.String `tfsdk:"username"`
	Password          types.String `tfsdk:"password"`
	PasswordWO        types.String `tfsdk:"password_wo"`
	PasswordWOVersion types.Int64  `tfsdk:"password_wo_version"`
}

type oauth1Model struct {
	ConsumerKey          types.String `tfsdk:"consumer_key"`
	PrivateKeyPEM        types.String `tfsdk:"private_key_pem"`
	AccessToken          types.String `tfsdk:"access_token"`
	AccessTokenSecret    types.String `tfsdk:"access_token_secret"`
	AccessTokenExpiresAt types.String `tfsdk:"access_token_expires_at"`
}

var nextID atomic.Int64

func (*thing) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_thing"
}

func (*thing) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
		Attributes: map[string]schema.Attribute{
			"id":        schema.StringAttribute{Computed: true},
			"name":      schema.StringAttribute{Required: true},
			"jira_url":  schema.StringAttribute{Required: true},
			"jira_type": schema.StringAttribute{Required: true},
			"basic": schema.SingleNestedAttribute{
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"username":            schema.StringAttribute{Required: true},
					"password":            schema.StringAttribute{Optional: true, Sensitive: true},
					"password_wo":         schema.StringAttribute{Optional: true, Sensitive: true, WriteOnly: true},
					"password_wo_version": schema.Int64Attribute{Optional: true},
				},
			},
			"oauth1": schema.SingleNestedAttribute{
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"consumer_key":            schema.StringAttribute{Required: true},
					"private_key_pem":         schema.StringAttribute{Required: true, Sensitive: true},
					"access_token":            schema.StringAttribute{Required: true, Sensitive: true},
					"access_token_secret":     schema.StringAttribute{Required: true, Sensitive: true},
					"access_token_expires_at": schema.StringAttribute{Optional: true},
				},
			},
			"public_key_fingerprint": schema.StringAttribute{Computed: true},
			"credential_version":     schema.Int64Attribute{Computed: true},
			"updated_at":             schema.StringAttribute{Computed: true},
		},
	}
}

func (*thing) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m thingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.ID = types.StringValue(strconv.FormatInt(nextID.Add(1), 10))
	m.PublicKeyFingerprint = types.StringNull()
	if m.Basic != nil {
		m.Basic.PasswordWO = types.StringNull() // write-only: never in state
	}
	m.CredentialVersion = types.Int64Value(1)
	m.UpdatedAt = types.StringValue("2026-01-01T00:00:00Z")
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Read does nothing: the framework has already copied the prior state into resp.State.
func (*thing) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (*thing) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state thingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID, plan.PublicKeyFingerprint = state.ID, state.PublicKeyFingerprint
	plan.CredentialVersion, plan.UpdatedAt = state.CredentialVersion, state.UpdatedAt
	if plan.Basic != nil {
		plan.Basic.PasswordWO = types.StringNull()
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (*thing) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
