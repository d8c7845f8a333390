package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/jira-align-tf/terraform-provider-jira/internal/alignapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/customtypes"
	"github.com/jira-align-tf/terraform-provider-jira/internal/validators"
)

var (
	_ resource.Resource                     = (*connectorResource)(nil)
	_ resource.ResourceWithConfigure        = (*connectorResource)(nil)
	_ resource.ResourceWithImportState      = (*connectorResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*connectorResource)(nil)
	_ resource.ResourceWithConfigValidators = (*connectorResource)(nil)
)

// privateAppliedVersion is the private-state key holding the credentialVersion this provider
// last wrote (or saw at import). A refreshed credential_version that differs from it means the
// secrets were changed outside Terraform.
const privateAppliedVersion = "applied_credential_version"

// NewConnectorResource is the factory of jira_align_connector.
func NewConnectorResource() resource.Resource { return &connectorResource{} }

type connectorResource struct{ c *clients }

func (r *connectorResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_align_connector"
}

func (r *connectorResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
		MarkdownDescription: "A Jira connector in Jira Align (Administration > Connectors > Jira Settings), authenticated to Jira " +
			"with basic auth or OAuth 1.0a. Exactly one of `basic` and `oauth1` is set; switching between them is an in-place update.\n\n" +
			"Jira Align never returns a secret, so secrets are not refreshed. Instead `credential_version` is: when someone changes " +
			"the connector's credentials outside Terraform, the next plan shows an in-place update that re-sends the configured secrets.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The connector's numeric Jira Align id.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Connector name, 1 to 100 characters, unique in Jira Align (case-insensitive).",
				Validators:          []validator.String{validators.Name()},
			},
			"jira_url": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Base URL of the Jira the connector talks to: `https` (http only for loopback hosts), no query or fragment.",
				CustomType:          customtypes.URLType{},
				Validators:          []validator.String{validators.URL()},
			},
			"jira_type": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "`cloud` or `data_center` (Jira Server and Data Center).",
				Validators:          []validator.String{stringvalidator.OneOf("cloud", "data_center")},
			},
			"basic": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "Basic auth: a Jira service account and its password or API token, sent Base64-encoded on every request " +
					"(so Jira must use TLS). Behind an API-token proxy `username` may be any label and the password is the proxy's token. " +
					"Give one of `password` and `password_wo`; a new connector needs one, an imported one keeps the password Jira Align holds while neither is set.",
				Attributes: map[string]schema.Attribute{
					"username": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "Jira service-account username (any label behind an API-token proxy).",
						Validators:          []validator.String{validators.Named(stringvalidator.LengthAtLeast(1))},
					},
					"password": schema.StringAttribute{
						Optional:            true,
						Sensitive:           true,
						MarkdownDescription: "Password or API token. Stored in state; prefer `password_wo` on Terraform/OpenTofu 1.11+.",
						Validators: []validator.String{validators.Named(
							stringvalidator.LengthAtLeast(1),
							stringvalidator.ConflictsWith(path.MatchRoot("basic").AtName("password_wo")),
						)},
					},
					"password_wo": schema.StringAttribute{
						Optional:  true,
						Sensitive: true,
						WriteOnly: true,
						MarkdownDescription: "Write-only password or API token (Terraform/OpenTofu 1.11+): sent to Jira Align, never stored in state or plan. " +
							"Change `password_wo_version` to send a new value.",
						Validators: []validator.String{validators.Named(stringvalidator.LengthAtLeast(1))},
					},
					"password_wo_version": schema.Int64Attribute{
						Optional:            true,
						MarkdownDescription: "Any number; change it to re-send `password_wo` (write-only values are not compared between runs).",
						Validators:          []validator.Int64{validators.NamedInt64(int64validator.AlsoRequires(path.MatchRoot("basic").AtName("password_wo")))},
					},
					"password_expires_at": schema.StringAttribute{
						Optional:   true,
						CustomType: customtypes.TimestampType{},
						Validators: []validator.String{validators.RFC3339()},
						MarkdownDescription: "When the password or API token expires, RFC 3339 (`2027-03-01T00:00:00Z`); Atlassian API tokens expire within a year. " +
							"Kept in state only (Jira Align does not store it). Once it is within the provider's `expiry_warning` (default 30 days) every plan warns, " +
							"and louder once it has passed, because the connector then stops syncing: rotate the token with `password_wo` + `password_wo_version` " +
							"and set the new expiry here (see the [API-token rotation guide](../guides/api-token-rotation.md)).",
					},
				},
			},
			"oauth1": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "OAuth 1.0a (RSA-SHA1): wire it to `jira_align_key_pair` and `jira_align_access_token`. " +
					"Give the three secrets either as `private_key_pem`, `access_token` and `access_token_secret` (stored in state: use encrypted state) " +
					"or, on Terraform/OpenTofu 1.11+, as the write-only `private_key_pem_wo`, `access_token_wo` and `access_token_secret_wo` " +
					"with `credentials_wo_version` (never stored in this resource's state). A new connector needs all three; " +
					"an imported one keeps those Jira Align holds while none of them is set.",
				Attributes: map[string]schema.Attribute{
					"consumer_key": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "Consumer key registered in Jira's application link: 1 to 100 letters and digits (spaces and symbols break Jira's OAuth setup).",
						Validators:          []validator.String{validators.ConsumerKey()},
					},
					"private_key_pem": schema.StringAttribute{
						Optional:            true,
						Sensitive:           true,
						MarkdownDescription: "PKCS#1 or PKCS#8 PEM RSA private key, at least 2048 bits (`jira_align_key_pair.<name>.private_key_pem`). Stored in state; or use `private_key_pem_wo`.",
						Validators:          []validator.String{validators.PrivateKeyPEM()},
					},
					"access_token": schema.StringAttribute{
						Optional:            true,
						Sensitive:           true,
						MarkdownDescription: "OAuth access token (`jira_align_access_token.<name>.token`). Stored in state; or use `access_token_wo`.",
						Validators:          []validator.String{validators.Named(stringvalidator.LengthAtLeast(1))},
					},
					"access_token_secret": schema.StringAttribute{
						Optional:            true,
						Sensitive:           true,
						MarkdownDescription: "OAuth access token secret (`jira_align_access_token.<name>.token_secret`). Stored in state; or use `access_token_secret_wo`.",
						Validators:          []validator.String{validators.Named(stringvalidator.LengthAtLeast(1))},
					},
					"private_key_pem_wo": schema.StringAttribute{
						Optional:            true,
						Sensitive:           true,
						WriteOnly:           true,
						MarkdownDescription: "Write-only `private_key_pem` (Terraform/OpenTofu 1.11+): sent to Jira Align, never stored in state or plan.",
						Validators:          []validator.String{validators.PrivateKeyPEM()},
					},
					"access_token_wo": schema.StringAttribute{
						Optional:            true,
						Sensitive:           true,
						WriteOnly:           true,
						MarkdownDescription: "Write-only `access_token` (Terraform/OpenTofu 1.11+): sent to Jira Align, never stored in state or plan.",
						Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
					},
					"access_token_secret_wo": schema.StringAttribute{
						Optional:            true,
						Sensitive:           true,
						WriteOnly:           true,
						MarkdownDescription: "Write-only `access_token_secret` (Terraform/OpenTofu 1.11+): sent to Jira Align, never stored in state or plan.",
						Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
					},
					"credentials_wo_version": schema.StringAttribute{
						Optional: true,
						MarkdownDescription: "Required with the write-only secrets: any string; a change re-sends all three (write-only values are not compared between runs). " +
							"Use `jira_align_access_token.<name>.id`, so a new token (rotation, renewal, revocation) is sent in the same apply.",
						Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
					},
					"access_token_expires_at": schema.StringAttribute{
						Optional:   true,
						CustomType: customtypes.TimestampType{},
						Validators: []validator.String{validators.RFC3339()},
						MarkdownDescription: "When the access token expires, RFC 3339 (`jira_align_access_token.<name>.expires_at`). Once it is within the provider's " +
							"`expiry_warning` (default 30 days) every plan warns, and louder once it has passed: set `renew_before` on the token resource to replace it in time.",
					},
				},
			},
			"public_key_fingerprint": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "For oauth1: `SHA256:` fingerprint of the stored key's public half, as Jira Align reports it; compare with `jira_align_key_pair.public_key_fingerprint`.",
			},
			"credential_version": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Jira Align's counter of credential changes. A change made outside Terraform shows up here and triggers an update that re-sends the configured secrets.",
			},
			"updated_at": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "When Jira Align last changed the connector (RFC 3339).",
			},
		},
	}
}

func (r *connectorResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.ExactlyOneOf(path.MatchRoot("basic"), path.MatchRoot("oauth1")),
	}
}

func (r *connectorResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.c = providerClients(req.ProviderData, &resp.Diagnostics)
}

func (r *connectorResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	api := r.c.needAlign(&resp.Diagnostics)
	var plan connectorModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, cancel := withTimeout(ctx, plan.Timeouts, opCreate, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	in, diags := plan.toAPI(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = r.c.logContext(ctx, in.Password, in.PrivateKeyPEM, in.AccessToken, in.AccessTokenSecret)
	conn, err := api.CreateConnector(ctx, in)
	if err != nil {
		var uc *alignapi.UnconfirmedCreateError
		if errors.As(err, &uc) && uc.Connector != nil {
			// The operation ran out of time, but the connector exists: keep it in state with
			// the error, so Terraform tracks it (as tainted, replaced at the next apply)
			// instead of leaving it behind.
			plan.fromAPI(uc.Connector)
			resp.Diagnostics.Append(saveConnector(ctx, &resp.State, resp.Identity, resp.Private, &plan, uc.Connector.CredentialVersion, nil)...)
		}
		addConnectorAPIError(ctx, &resp.Diagnostics, "Cannot create the Jira Align connector", err, plan.Basic != nil && plan.Basic.Password.IsNull())
		return
	}
	tflog.Info(ctx, "created Jira Align connector", map[string]any{"id": conn.ID, "credential_version": conn.CredentialVersion})
	plan.fromAPI(conn)
	resp.Diagnostics.Append(saveConnector(ctx, &resp.State, resp.Identity, resp.Private, &plan, conn.CredentialVersion, &in.AccessToken)...)
}

func (r *connectorResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	api := r.c.needAlign(&resp.Diagnostics)
	var state connectorModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := withTimeout(ctx, state.Timeouts, opRead, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	// The identity is the id, on every path (the framework wants one even when the connector is gone).
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, state.ID.ValueString())...)
	id, ok := connectorID(state.ID, &resp.Diagnostics)
	if !ok {
		return
	}
	conn, err := api.GetConnector(r.c.logContext(ctx), id)
	if alignapi.IsNotFound(err) {
		resp.Diagnostics.AddWarning("Connector deleted outside Terraform",
			fmt.Sprintf("Jira Align connector %d no longer exists; it is removed from state and the plan will create it again.", id))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the Jira Align connector", errorDetail(ctx, err))
		return
	}
	prior := state
	state.fromAPI(conn)
	resp.Diagnostics.Append(writeState(ctx, &resp.State, &prior, &state)...)
	if _, ok := appliedVersion(ctx, req.Private); !ok {
		// Imported: adopt the current credentials as the baseline.
		resp.Diagnostics.Append(setAppliedVersion(ctx, resp.Private, conn.CredentialVersion)...)
	}
}

func (r *connectorResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	api := r.c.needAlign(&resp.Diagnostics)
	var plan, state connectorModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, cancel := withTimeout(ctx, plan.Timeouts, opUpdate, &resp.Diagnostics)
	defer cancel()
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, ok := connectorID(state.ID, &resp.Diagnostics)
	if !ok {
		return
	}
	in, diags := plan.toAPI(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = r.c.logContext(ctx, in.Password, in.PrivateKeyPEM, in.AccessToken, in.AccessTokenSecret)
	conn, err := api.UpdateConnector(ctx, id, in)
	if err != nil {
		addConnectorAPIError(ctx, &resp.Diagnostics, "Cannot update the Jira Align connector", err, plan.Basic != nil && plan.Basic.Password.IsNull())
		return
	}
	plan.fromAPI(conn)
	resp.Diagnostics.Append(saveConnector(ctx, &resp.State, resp.Identity, resp.Private, &plan, conn.CredentialVersion, &in.AccessToken)...)
}

func (r *connectorResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	api := r.c.needAlign(&resp.Diagnostics)
	var state connectorModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := withTimeout(ctx, state.Timeouts, opDelete, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	id, ok := connectorID(state.ID, &resp.Diagnostics)
	if !ok {
		return
	}
	if err := api.DeleteConnector(r.c.logContext(ctx), id); err != nil {
		resp.Diagnostics.AddError("Cannot delete the Jira Align connector", errorDetail(ctx, err))
	}
}

// ModifyPlan requires the secrets a new connector needs, warns when the connector's credential
// expires soon or has expired, and turns an out-of-band credential change, or a write-only secret
// whose source is replaced in this apply, into an in-place update that re-sends the configured
// secrets.
func (r *connectorResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	r.checkSecrets(ctx, req, resp)
	if r.c != nil {
		warnCredentialExpiry(ctx, req.Plan, r.c.now(), r.c.expiryWarning, &resp.Diagnostics)
	}
	if req.State.Raw.IsNull() {
		return
	}
	var stateVersion types.Int64
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("credential_version"), &stateVersion)...)
	applied, ok := appliedVersion(ctx, req.Private)
	if oauth1WriteOnlyChanging(ctx, req.Config, req.Private, &resp.Diagnostics) {
		// A write-only secret's source is replaced in this apply: send the new value even if
		// credentials_wo_version did not change.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("credential_version"), types.Int64Unknown())...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("updated_at"), types.StringUnknown())...)
	}
	if ok && !stateVersion.IsNull() && stateVersion.ValueInt64() != int64(applied) {
		var name types.String
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("name"), &name)...)
		resend := "This plan re-sends the configured secrets."
		if !r.anySecretConfigured(ctx, req) {
			resend = "No secret is configured, so this plan re-sends none: Jira Align keeps the new credentials, and the update records their credential_version."
		}
		resp.Diagnostics.AddWarning("Connector credentials changed outside Terraform",
			fmt.Sprintf("The credentials of Jira Align connector %q were changed outside Terraform (credential_version %d, last applied %d). "+
				"%s", name.ValueString(), stateVersion.ValueInt64(), applied, resend))
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("credential_version"), types.Int64Unknown())...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("updated_at"), types.StringUnknown())...)
	}
}

// privateData is the part of privatestate.ProviderData the resources use.
type privateData interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// saveConnector writes a connector Jira Align holds to state after a create or update: the
// model, the identity, the credential version now applied and, when one was sent, the id of the
// access token sent (see setSentToken; nil when the create is not confirmed).
func saveConnector(ctx context.Context, st *tfsdk.State, id *tfsdk.ResourceIdentity, p privateSetter, m *connectorModel, version int, sentToken *string) diag.Diagnostics {
	diags := writeState(ctx, st, nil, m)
	diags.Append(setIdentity(ctx, id, m.ID.ValueString())...)
	diags.Append(setAppliedVersion(ctx, p, version)...)
	if sentToken != nil {
		diags.Append(setSentToken(ctx, p, *sentToken)...)
	}
	return diags
}

func appliedVersion(ctx context.Context, p privateData) (int, bool) {
	if p == nil {
		return 0, false
	}
	b, diags := p.GetKey(ctx, privateAppliedVersion)
	if diags.HasError() || len(b) == 0 {
		return 0, false
	}
	v, err := strconv.Atoi(string(b))
	return v, err == nil
}

func setAppliedVersion(ctx context.Context, p privateSetter, v int) diag.Diagnostics {
	return p.SetKey(ctx, privateAppliedVersion, []byte(strconv.Itoa(v)))
}
