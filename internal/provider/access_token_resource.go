package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/jira-align-tf/terraform-provider-jira/internal/jiraapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/lifeline"
	"github.com/jira-align-tf/terraform-provider-jira/internal/validators"
)

var (
	_ resource.Resource               = (*accessTokenResource)(nil)
	_ resource.ResourceWithConfigure  = (*accessTokenResource)(nil)
	_ resource.ResourceWithModifyPlan = (*accessTokenResource)(nil)
)

// DefaultCallbackURL is sent as oauth_callback. It is a loopback URL the provider never contacts:
// the verifier is read from the approval's redirect Location without following it.
const DefaultCallbackURL = "https://127.0.0.1/jira-align-oauth-callback"

// NewAccessTokenResource is the factory of jira_align_access_token.
func NewAccessTokenResource() resource.Resource { return &accessTokenResource{} }

type accessTokenResource struct{ c *clients }

type accessTokenModel struct {
	Timeouts                  timeouts.Value `tfsdk:"timeouts"`
	ID                        types.String   `tfsdk:"id"`
	ConsumerKey               types.String   `tfsdk:"consumer_key"`
	PrivateKeyPEM             types.String   `tfsdk:"private_key_pem"`
	JiraURL                   types.String   `tfsdk:"jira_url"`
	CallbackURL               types.String   `tfsdk:"callback_url"`
	ApproverUsername          types.String   `tfsdk:"approver_username"`
	ApproverPasswordWO        types.String   `tfsdk:"approver_password_wo"`
	ApproverPasswordWOVersion types.Int64    `tfsdk:"approver_password_wo_version"`
	RenewBefore               types.String   `tfsdk:"renew_before"`
	Keepers                   types.Map      `tfsdk:"keepers"`
	Token                     types.String   `tfsdk:"token"`
	TokenSecret               types.String   `tfsdk:"token_secret"`
	AuthorizedUser            types.String   `tfsdk:"authorized_user"`
	CreatedAt                 types.String   `tfsdk:"created_at"`
	ExpiresAt                 types.String   `tfsdk:"expires_at"`
}

func (r *accessTokenResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_align_access_token"
}

func (r *accessTokenResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
		MarkdownDescription: "An OAuth 1.0a access token for Jira Align, obtained by the provider with the three-legged handshake " +
			"(request token, approval by the Jira service account, access token): the \"Authorize Jira OAuth Access\" step. " +
			"Destroying it revokes the token in Jira. A token revoked or expired outside Terraform disappears from state at refresh, " +
			"so the next plan creates a new one.\n\n" +
			"~> **Security notice** `token`, `token_secret` and `private_key_pem` are stored in state. Use encrypted state.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "A non-secret identifier: the first 16 bytes of SHA-256 over the token, hex.",
				PlanModifiers:       keep,
			},
			"consumer_key": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Consumer key registered in a `jira_application_link` (1 to 100 letters and digits).",
				Validators:          []validator.String{validators.ConsumerKey()},
				PlanModifiers:       replace,
			},
			"private_key_pem": schema.StringAttribute{
				Required:            true,
				Sensitive:           true,
				MarkdownDescription: "The consumer's RSA private key (PKCS#1 or PKCS#8 PEM, at least 2048 bits), matching the public key registered in Jira.",
				Validators:          []validator.String{validators.PrivateKeyPEM()},
				PlanModifiers:       replace,
			},
			"jira_url": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				MarkdownDescription: "Jira base URL; defaults to the provider's `jira_url`. Changing it makes a new token.",
				Validators:          []validator.String{validators.URL()},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace()},
			},
			"callback_url": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(DefaultCallbackURL),
				MarkdownDescription: "`oauth_callback` sent with the request token. Never contacted: the provider reads the verifier from the redirect. Default `" + DefaultCallbackURL + "`.",
				PlanModifiers:       replace,
			},
			"approver_username": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Jira user who approves the token (the connector's service account). Defaults to the provider's `jira_username`. Needs `approver_password_wo`.",
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.AlsoRequires(path.MatchRoot("approver_password_wo")),
				},
				PlanModifiers: replace,
			},
			"approver_password_wo": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				WriteOnly:           true,
				MarkdownDescription: "Write-only password or API token of `approver_username` (Terraform/OpenTofu 1.11+); used once, at create, never stored.",
				Validators:          []validator.String{stringvalidator.AlsoRequires(path.MatchRoot("approver_username"))},
			},
			"approver_password_wo_version": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "Change it to get a new token approved with a new `approver_password_wo`.",
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"renew_before": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "A duration such as `720h`: once `expires_at` is that close, the plan replaces the token. " +
					"Combine with `create_before_destroy` so the connector moves to the new token before the old one is revoked.",
				Validators: []validator.String{validators.Duration()},
			},
			"keepers": schema.MapAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Arbitrary values; any change makes a new token (manual rotation).",
				PlanModifiers:       []planmodifier.Map{mapplanmodifier.RequiresReplace()},
			},
			"token": schema.StringAttribute{
				Computed:            true,
				Sensitive:           true,
				MarkdownDescription: "The OAuth access token (stored in state).",
				PlanModifiers:       keep,
			},
			"token_secret": schema.StringAttribute{
				Computed:            true,
				Sensitive:           true,
				MarkdownDescription: "The OAuth access token secret (stored in state).",
				PlanModifiers:       keep,
			},
			"authorized_user": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The Jira user the token acts as (`name` from `/rest/api/2/myself`).",
				PlanModifiers:       keep,
			},
			"created_at": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "When the token was issued (RFC 3339).",
				PlanModifiers:       keep,
			},
			"expires_at": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "When the token expires (RFC 3339): from Jira's `oauth_expires_in`, else 5 years, Jira's default.",
				PlanModifiers:       keep,
			},
		},
	}
}

func (r *accessTokenResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.c = providerClients(req.ProviderData, &resp.Diagnostics)
}

// jiraFor returns the client for the token's Jira URL (the provider's, or the resource's own).
func (r *accessTokenResource) jiraFor(url string, diags interface{ AddError(string, string) }) *jiraapi.Client {
	if url == "" || url == r.c.jiraURL {
		if r.c.jira == nil {
			diags.AddError("Jira is not configured", r.c.jiraErr)
		}
		return r.c.jira
	}
	jc, err := jiraapi.New(url, r.c.http)
	if err != nil {
		diags.AddError("Invalid jira_url", err.Error())
		return nil
	}
	return jc
}

func (r *accessTokenResource) consumer(m *accessTokenModel) (jiraapi.OAuthConsumer, error) {
	key, err := keyutil.ParsePrivateKeyPEM(m.PrivateKeyPEM.ValueString())
	if err != nil {
		return jiraapi.OAuthConsumer{}, err
	}
	return jiraapi.OAuthConsumer{Key: m.ConsumerKey.ValueString(), PrivateKey: key}, nil
}

func (r *accessTokenResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan accessTokenModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, cancel := withTimeout(ctx, plan.Timeouts, opCreate, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.JiraURL.IsUnknown() || plan.JiraURL.IsNull() {
		plan.JiraURL = types.StringValue(r.c.jiraURL)
	}
	api := r.jiraFor(plan.JiraURL.ValueString(), &resp.Diagnostics)
	if err := validators.CheckConsumerKey(plan.ConsumerKey.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("consumer_key"), "Invalid consumer key", err.Error())
	}
	consumer, err := r.consumer(&plan)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("private_key_pem"), "Invalid private key", err.Error())
	}
	approver := r.c.jiraUser
	if u := plan.ApproverUsername.ValueString(); u != "" {
		var pw types.String
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("approver_password_wo"), &pw)...)
		approver = jiraapi.BasicAuth{Username: u, Password: pw.ValueString()}
	} else if _, ok := r.c.jiraAdmin(&resp.Diagnostics, "jira_align_access_token (the approving service account)"); !ok {
		return
	}
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = r.c.logContext(ctx, approver.Password, plan.PrivateKeyPEM.ValueString())

	tok, err := api.Handshake(ctx, consumer, approver, plan.CallbackURL.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Cannot obtain a Jira OAuth access token", errorDetail(ctx, err))
		return
	}
	if tok.Unconfirmed > 0 {
		// The handshake succeeded only after an exchange whose answer was lost: Jira may hold a
		// token nobody can revoke through the API. Say so, with where to revoke it.
		resp.Diagnostics.AddWarning("Jira may hold an access token the provider never received",
			api.UnconfirmedAdvice(tok.Unconfirmed, tok.UnconfirmedAt, consumer.Key, approver.Username))
	}
	ctx = r.c.logContext(ctx, tok.Token, tok.Secret)
	user, err := api.Myself(ctx, consumer, tok.Token, tok.Secret)
	if err != nil {
		// No orphan: the token exists in Jira but not in state, so take it back.
		msg := errorDetail(ctx, err)
		if rerr := revokeDetached(ctx, api, consumer, tok.Token, tok.Secret); rerr != nil {
			msg += fmt.Sprintf("\n\nRevoking the new token failed too (%v): revoke it in Jira under Profile > OAuth access tokens.", rerr)
		} else {
			msg += "\n\nThe new token was revoked again."
		}
		resp.Diagnostics.AddError("Cannot verify the new Jira OAuth access token", msg)
		return
	}
	// If the CLI dies before it saves this token (OpenTofu saves state only at the end of an
	// apply), the exiting provider revokes it: it cannot know whether the token was saved, and
	// an unsaved one is a live credential nobody knows of. A saved one is renewed by the next plan.
	lifeline.OnCut(func(ctx context.Context) { _ = api.Revoke(ctx, consumer, tok.Token, tok.Secret) })
	now := r.c.now().UTC()
	plan.ID = types.StringValue(tokenID(tok.Token))
	plan.Token = types.StringValue(tok.Token)
	plan.TokenSecret = types.StringValue(tok.Secret)
	plan.AuthorizedUser = types.StringValue(user.Name)
	plan.CreatedAt = types.StringValue(now.Format(time.RFC3339))
	plan.ExpiresAt = types.StringValue(tok.ExpiresAt.UTC().Format(time.RFC3339))
	plan.ApproverPasswordWO = types.StringNull()
	tflog.Info(ctx, "obtained Jira OAuth access token", map[string]any{"id": plan.ID.ValueString(), "consumer_key": consumer.Key, "user": user.Name})
	if diags := resp.State.Set(ctx, &plan); diags.HasError() {
		resp.Diagnostics.Append(diags...)
		if rerr := revokeDetached(ctx, api, consumer, tok.Token, tok.Secret); rerr != nil {
			resp.Diagnostics.AddError("Cannot revoke the unsaved token", rerr.Error())
		}
	}
}

// revokeDetached revokes with a context that survives the caller's cancellation (an interrupted
// apply must still take back a token it obtained), bounded to one minute.
func revokeDetached(ctx context.Context, api *jiraapi.Client, consumer jiraapi.OAuthConsumer, token, secret string) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return api.Revoke(rctx, consumer, token, secret)
}

func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:16])
}

func (r *accessTokenResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state accessTokenModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := withTimeout(ctx, state.Timeouts, opRead, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	if exp, err := time.Parse(time.RFC3339, state.ExpiresAt.ValueString()); err == nil && !r.c.now().Before(exp) {
		resp.Diagnostics.AddWarning("Jira OAuth access token expired",
			fmt.Sprintf("Access token %s expired at %s; it is removed from state and the plan will obtain a new one.", state.ID.ValueString(), state.ExpiresAt.ValueString()))
		resp.State.RemoveResource(ctx)
		return
	}
	ctx, api, consumer, ok := r.forState(ctx, &state, &resp.Diagnostics)
	if !ok {
		return
	}
	user, err := api.Myself(ctx, consumer, state.Token.ValueString(), state.TokenSecret.ValueString())
	if jiraapi.IsTokenGone(err) {
		resp.Diagnostics.AddWarning("Jira OAuth access token no longer valid",
			fmt.Sprintf("Jira rejects access token %s (%v). It was revoked or expired outside Terraform, or its application link was removed; "+
				"it is removed from state and the plan will obtain a new one.", state.ID.ValueString(), err))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot check the Jira OAuth access token", errorDetail(ctx, err))
		return
	}
	// resp.State already holds the prior state: write it only when the user changed.
	if user := types.StringValue(user.Name); !state.AuthorizedUser.Equal(user) {
		state.AuthorizedUser = user
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	}
}

// Update only stores settings that need no call (renew_before); the rest forces replacement.
func (r *accessTokenResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan accessTokenModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	plan.ApproverPasswordWO = types.StringNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *accessTokenResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state accessTokenModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := withTimeout(ctx, state.Timeouts, opDelete, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, api, consumer, ok := r.forState(ctx, &state, &resp.Diagnostics)
	if !ok {
		return
	}
	if err := api.Revoke(ctx, consumer, state.Token.ValueString(), state.TokenSecret.ValueString()); err != nil {
		resp.Diagnostics.AddError("Cannot revoke the Jira OAuth access token", errorDetail(ctx, err))
	}
}

// ModifyPlan fills jira_url from the provider and plans a replacement once the token is within
// renew_before of expiring.
func (r *accessTokenResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.c == nil {
		return
	}
	var jiraURL types.String
	resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("jira_url"), &jiraURL)...)
	if jiraURL.IsUnknown() && req.State.Raw.IsNull() && r.c.jiraURL != "" {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("jira_url"), r.c.jiraURL)...)
	}
	if req.State.Raw.IsNull() {
		return
	}
	var renew, expires types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("renew_before"), &renew)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("expires_at"), &expires)...)
	if renew.IsNull() || renew.IsUnknown() || resp.Diagnostics.HasError() {
		return
	}
	d, err := validators.CheckDuration(renew.ValueString())
	if err != nil {
		return // reported by the attribute validator
	}
	exp, err := time.Parse(time.RFC3339, expires.ValueString())
	if err != nil {
		return
	}
	if now := r.c.now(); !now.Before(exp.Add(-d)) {
		tflog.Info(ctx, "access token is due for renewal", map[string]any{"expires_at": expires.ValueString(), "renew_before": renew.ValueString()})
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("expires_at"), types.StringUnknown())...)
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("expires_at"))
	}
}

// forState returns what Read and Delete need to sign with the token in state: the Jira client
// for its URL, the consumer with its key, and a context that masks the token's secrets in logs.
func (r *accessTokenResource) forState(ctx context.Context, state *accessTokenModel, diags *diag.Diagnostics) (context.Context, *jiraapi.Client, jiraapi.OAuthConsumer, bool) {
	api := r.jiraFor(state.JiraURL.ValueString(), diags)
	consumer, err := r.consumer(state)
	if err != nil {
		diags.AddAttributeError(path.Root("private_key_pem"), "Invalid private key in state", err.Error())
	}
	if diags.HasError() {
		return ctx, nil, jiraapi.OAuthConsumer{}, false
	}
	return r.c.logContext(ctx, state.Token.ValueString(), state.TokenSecret.ValueString(), state.PrivateKeyPEM.ValueString()), api, consumer, true
}
