package provider

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
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
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/jira-align-tf/terraform-provider-jira/internal/customtypes"
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
	Timeouts                  timeouts.Value       `tfsdk:"timeouts"`
	ID                        types.String         `tfsdk:"id"`
	ConsumerKey               types.String         `tfsdk:"consumer_key"`
	PrivateKeyPEM             types.String         `tfsdk:"private_key_pem"`
	JiraURL                   types.String         `tfsdk:"jira_url"`
	CallbackURL               types.String         `tfsdk:"callback_url"`
	ApproverUsername          types.String         `tfsdk:"approver_username"`
	ApproverPasswordWO        types.String         `tfsdk:"approver_password_wo"`
	ApproverPasswordWOVersion types.Int64          `tfsdk:"approver_password_wo_version"`
	ExpectedAuthorizedUser    types.String         `tfsdk:"expected_authorized_user"`
	RenewBefore               customtypes.Duration `tfsdk:"renew_before"`
	Keepers                   types.Map            `tfsdk:"keepers"`
	Token                     types.String         `tfsdk:"token"`
	TokenSecret               types.String         `tfsdk:"token_secret"`
	AuthorizedUser            types.String         `tfsdk:"authorized_user"`
	CreatedAt                 types.String         `tfsdk:"created_at"`
	ExpiresAt                 types.String         `tfsdk:"expires_at"`
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
			"so the next plan creates a new one. A new `private_key_pem` (a key rotation) obtains a new token signed with it in place " +
			"and revokes the old one.\n\n" +
			"~> **Security notice** `token`, `token_secret` and `private_key_pem` are stored in state. Use encrypted state.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "A non-secret identifier: the first 16 bytes of SHA-256 over the token, hex.",
				PlanModifiers:       keep,
			},
			"expected_authorized_user": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The Jira user the token must act as (`name` from `/rest/api/2/myself`, compared case-insensitively), " +
					"normally the connector's service account. A new token that acts as anyone else is revoked at once and the apply fails naming both users; " +
					"a token found acting as anyone else at refresh (a renamed user, say) is drift: a warning, and the plan replaces it. " +
					"Without it, and without `approver_username`, the plan warns that the provider's own `jira_username` (usually the administrator that " +
					"manages application links) approves the token, so the connector would act with that user's rights.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"consumer_key": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Consumer key registered in a `jira_application_link` (1 to 100 letters and digits).",
				Validators:          []validator.String{validators.ConsumerKey()},
				PlanModifiers:       replace,
			},
			"private_key_pem": schema.StringAttribute{
				Required:  true,
				Sensitive: true,
				MarkdownDescription: "The consumer's RSA private key (PKCS#1 or PKCS#8 PEM, at least 2048 bits), matching the public key registered in Jira. " +
					"Changing it updates the token in place: a new token is obtained signed with the new key, then the old one is revoked, " +
					"signed with whichever of the two keys Jira accepts.",
				Validators: []validator.String{validators.PrivateKeyPEM()},
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
				CustomType: customtypes.DurationType{},
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
	ctx, api, consumer, ok := r.issue(ctx, req.Config, &plan, &resp.Diagnostics)
	if !ok {
		return
	}
	saveIssued(ctx, &resp.State, &plan, api, consumer, &resp.Diagnostics)
}

// saveIssued writes the model holding a token just issued to state; should that fail, the
// token is revoked, so that no token lives that no state names. It reports whether state holds
// the token.
func saveIssued(ctx context.Context, st *tfsdk.State, m *accessTokenModel, api *jiraapi.Client, consumer jiraapi.OAuthConsumer, diags *diag.Diagnostics) bool {
	d := writeState(ctx, st, nil, m)
	diags.Append(d...)
	if !d.HasError() {
		return true
	}
	if err := revokeDetached(ctx, api, consumer, m.Token.ValueString(), m.TokenSecret.ValueString()); err != nil {
		diags.AddError("Cannot revoke the unsaved token", err.Error())
	}
	return false
}

// issue obtains a new token for m's consumer key and private key, approved as configured (the
// handshake, then /myself), and fills m's computed attributes. On failure it reports the error,
// revoking a token Jira issued but that could not be verified. It returns the context masking
// the new secrets, the Jira client and the consumer.
func (r *accessTokenResource) issue(ctx context.Context, config tfsdk.Config, m *accessTokenModel, diags *diag.Diagnostics) (context.Context, *jiraapi.Client, jiraapi.OAuthConsumer, bool) {
	api := r.jiraFor(m.JiraURL.ValueString(), diags)
	if err := validators.CheckConsumerKey(m.ConsumerKey.ValueString()); err != nil {
		attrError(diags, path.Root("consumer_key"), "Invalid consumer key", err.Error())
	}
	consumer, err := r.consumer(m)
	if err != nil {
		attrError(diags, path.Root("private_key_pem"), "Invalid private key", err.Error())
	}
	approver := r.c.jiraUser
	if u := m.ApproverUsername.ValueString(); u != "" {
		var pw types.String
		diags.Append(config.GetAttribute(ctx, path.Root("approver_password_wo"), &pw)...)
		approver = jiraapi.BasicAuth{Username: u, Password: pw.ValueString()}
	} else if _, ok := r.c.jiraAdmin(diags, "jira_align_access_token (the approving service account)"); !ok {
		return ctx, nil, consumer, false
	}
	if diags.HasError() {
		return ctx, nil, consumer, false
	}
	ctx = r.c.logContext(ctx, approver.Password, m.PrivateKeyPEM.ValueString())

	tok, err := api.Handshake(ctx, consumer, approver, m.CallbackURL.ValueString())
	if err != nil {
		diags.AddError("Cannot obtain a Jira OAuth access token", errorDetail(ctx, err))
		return ctx, nil, consumer, false
	}
	if tok.Unconfirmed > 0 {
		// The handshake succeeded only after an exchange whose answer was lost: Jira may hold a
		// token nobody can revoke through the API. Say so, with where to revoke it.
		diags.AddWarning("Jira may hold an access token the provider never received",
			api.UnconfirmedAdvice(tok.Unconfirmed, tok.UnconfirmedAt, consumer.Key, approver.Username))
	}
	ctx = r.c.logContext(ctx, tok.Token, tok.Secret)
	user, err := api.Myself(ctx, consumer, tok.Token, tok.Secret)
	if err != nil {
		// No orphan: the token exists in Jira but not in state, so take it back.
		diags.AddError("Cannot verify the new Jira OAuth access token",
			errorDetail(ctx, err)+revokeNew(ctx, api, consumer, tok, approver.Username))
		return ctx, nil, consumer, false
	}
	if want := m.ExpectedAuthorizedUser.ValueString(); want != "" && !strings.EqualFold(user.Name, want) {
		// A token acting as someone else must not reach the connector: take it back.
		attrError(diags, path.Root("expected_authorized_user"), "The new access token acts as another Jira user",
			wrongUserDetail(user.Name, want, approver.Username, m.ApproverUsername.ValueString() != "")+revokeNew(ctx, api, consumer, tok, approver.Username))
		return ctx, nil, consumer, false
	}
	r.c.signingKeys.remember(api.BaseURL(), consumer)
	// If the CLI dies before it saves this token (OpenTofu saves state only at the end of an
	// apply), the exiting provider revokes it: it cannot know whether the token was saved, and
	// an unsaved one is a live credential nobody knows of. A saved one is renewed by the next plan.
	lifeline.OnCut(func(ctx context.Context) { _ = api.Revoke(ctx, consumer, tok.Token, tok.Secret) })
	now := r.c.now().UTC()
	m.ID = types.StringValue(tokenID(tok.Token))
	m.Token = types.StringValue(tok.Token)
	m.TokenSecret = types.StringValue(tok.Secret)
	m.AuthorizedUser = types.StringValue(user.Name)
	m.CreatedAt = types.StringValue(now.Format(time.RFC3339))
	m.ExpiresAt = types.StringValue(tok.ExpiresAt.UTC().Format(time.RFC3339))
	m.ApproverPasswordWO = types.StringNull()
	tflog.Info(ctx, "obtained Jira OAuth access token", map[string]any{"id": m.ID.ValueString(), "consumer_key": consumer.Key, "user": user.Name})
	return ctx, api, consumer, true
}

// revokeDetached revokes with a context that survives the caller's cancellation (an interrupted
// apply must still take back a token it obtained), bounded to one minute.
func revokeDetached(ctx context.Context, api *jiraapi.Client, consumer jiraapi.OAuthConsumer, token, secret string) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return api.Revoke(rctx, consumer, token, secret)
}

// revokeNew revokes a token Create obtained but will not keep, and says how that went.
func revokeNew(ctx context.Context, api *jiraapi.Client, consumer jiraapi.OAuthConsumer, tok *jiraapi.AccessToken, approver string) string {
	if err := revokeDetached(ctx, api, consumer, tok.Token, tok.Secret); err != nil {
		return fmt.Sprintf("\n\nRevoking the new token failed too (%v): revoke it in Jira as user %q under Profile > OAuth access tokens.", err, approver)
	}
	return "\n\nThe new token was revoked again."
}

// wrongUserDetail explains a token that acts as got instead of want, approved by approver
// (approver_username when byAttribute, else the provider's jira_username).
func wrongUserDetail(got, want, approver string, byAttribute bool) string {
	source := fmt.Sprintf("approver_username %q", approver)
	if !byAttribute {
		source = fmt.Sprintf("the provider's jira_username %q (approver_username is not set)", approver)
	}
	return fmt.Sprintf("the new access token acts as Jira user %q, not %q: it was approved by %s. "+
		"Have %q approve it: set approver_username = %q and approver_password_wo to its password or API token, "+
		"or give the token a provider configuration (provider = jira.<alias>) whose jira_username is %q.",
		got, want, source, want, want, want)
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
	if jiraapi.IsSignatureInvalid(err) {
		// The consumer's key changed outside Terraform (or private_key_pem no longer matches it):
		// the token may well be live, so it stays in state, and the plan replaces it.
		resp.Diagnostics.AddWarning("Jira refuses the signature of the OAuth access token",
			fmt.Sprintf("Jira refuses requests for access token %s signed with its private_key_pem (%v). The public key registered for consumer %q "+
				"was changed outside Terraform, or no longer matches private_key_pem. The token may still be live: the plan replaces it, and "+
				"its destroy revokes it signed with the key Jira then holds, when this provider knows that key.",
				state.ID.ValueString(), err, consumer.Key))
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateSignatureRefused, []byte(`true`))...)
		return
	}
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateSignatureRefused, nil)...)
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
	if want := state.ExpectedAuthorizedUser.ValueString(); want != "" && !strings.EqualFold(user.Name, want) {
		attrWarning(&resp.Diagnostics, path.Root("expected_authorized_user"), "Jira OAuth access token acts as another user",
			fmt.Sprintf("access token %s now acts as Jira user %q, not %q (the user was renamed in Jira, or the token was replaced outside Terraform): "+
				"the plan replaces it with a token that acts as %q.", state.ID.ValueString(), user.Name, want, want))
	}
	prior := state
	state.AuthorizedUser = types.StringValue(user.Name)
	resp.Diagnostics.Append(writeState(ctx, &resp.State, &prior, &state)...)
}

// Update rotates the token when private_key_pem changed (a new token signed with the new key,
// then the old one revoked) and otherwise only stores settings that need no call
// (renew_before); every other input forces replacement.
func (r *accessTokenResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state accessTokenModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel := withTimeout(ctx, plan.Timeouts, opUpdate, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ApproverPasswordWO = types.StringNull()
	if plan.PrivateKeyPEM.Equal(state.PrivateKeyPEM) {
		resp.Diagnostics.Append(writeState(ctx, &resp.State, nil, &plan)...)
		return
	}
	// Key rotation. The new token comes first: until it exists, the old one (and the state
	// naming it) stays as it was.
	plan.JiraURL = state.JiraURL
	ctx, api, consumer, ok := r.issue(ctx, req.Config, &plan, &resp.Diagnostics)
	if !ok {
		return
	}
	if !saveIssued(ctx, &resp.State, &plan, api, consumer, &resp.Diagnostics) {
		return
	}
	// The new token is signed with the key Jira holds: whatever Read found about the old one no
	// longer applies.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateSignatureRefused, nil)...)
	// The old token: Jira accepted the new key for the handshake, so it holds the new public
	// key, and only the new key can revoke a token issued before the change. The old key is
	// tried next, should the consumer have changed back meanwhile.
	ctx = r.c.logContext(ctx, state.Token.ValueString(), state.TokenSecret.ValueString(), state.PrivateKeyPEM.ValueString())
	var others []*rsa.PrivateKey
	if old, err := r.consumer(&state); err == nil {
		others = append(others, old.PrivateKey)
	}
	err := api.RevokeWithKeys(ctx, consumer, others, state.Token.ValueString(), state.TokenSecret.ValueString())
	if err != nil {
		resp.Diagnostics.AddWarning("The previous Jira OAuth access token was not revoked",
			fmt.Sprintf("The token was renewed for the new private key, but revoking the previous access token %s failed: %s\n\nIt may still be live: %s",
				state.ID.ValueString(), errorDetail(ctx, err), api.RevokeAdvice(state.ConsumerKey.ValueString(), state.AuthorizedUser.ValueString(), state.CreatedAt.ValueString())))
		return
	}
	tflog.Info(ctx, "revoked the previous Jira OAuth access token", map[string]any{"id": state.ID.ValueString(), "consumer_key": consumer.Key})
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
	// Signed with the token's own key first; when Jira refuses that signature (the consumer's
	// key was replaced since), with the keys this provider obtained tokens with for the same
	// consumer during this run (a replacement that also rotated the key).
	err := api.RevokeWithKeys(ctx, consumer, r.c.signingKeys.keys(api.BaseURL(), consumer.Key), state.Token.ValueString(), state.TokenSecret.ValueString())
	switch {
	case err == nil:
	case revokeRefused(err):
		// Jira answered, and will not revoke it with any key the provider has: keeping the token
		// in state would fail every later destroy, so it leaves state, with what to do.
		resp.Diagnostics.AddWarning("Jira OAuth access token not revoked",
			fmt.Sprintf("Jira refused to revoke access token %s: %s\n\nThe token is removed from state but may still be live: %s",
				state.ID.ValueString(), errorDetail(ctx, err), api.RevokeAdvice(consumer.Key, state.AuthorizedUser.ValueString(), state.CreatedAt.ValueString())))
	default:
		resp.Diagnostics.AddError("Cannot revoke the Jira OAuth access token", errorDetail(ctx, err))
	}
}

// revokeRefused reports a revoke that Jira answered with a refusal that no retry changes: a
// signature it refuses with every key tried, or another OAuth or HTTP 4xx answer. A clock skew
// (timestamp_refused) is fixable, and network failures and 5xx are worth another destroy, so
// those remain errors.
func revokeRefused(err error) bool {
	var oe *jiraapi.OAuthError
	if errors.As(err, &oe) {
		return oe.Problem != jiraapi.ProblemTimestampRefused && oe.Problem != jiraapi.ProblemNonceUsed
	}
	var he *jiraapi.HTTPError
	return errors.As(err, &he) && he.StatusCode >= 400 && he.StatusCode < 500 && he.StatusCode != http.StatusTooManyRequests
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
	var approver, expected types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("approver_username"), &approver)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("expected_authorized_user"), &expected)...)
	if approver.IsNull() && expected.IsNull() && r.c.jiraUser.Username != "" {
		attrWarning(&resp.Diagnostics, path.Root("approver_username"), "The access token is approved by the provider's own Jira user", approverWarning(r.c.jiraUser.Username))
	}
	if req.State.Raw.IsNull() {
		return
	}
	var planKey, stateKey types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("private_key_pem"), &planKey)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("private_key_pem"), &stateKey)...)
	if !planKey.Equal(stateKey) {
		// A key rotation: Update obtains a new token, so everything about the token is new.
		for _, a := range []string{"id", "token", "token_secret", "authorized_user", "created_at", "expires_at"} {
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(a), types.StringUnknown())...)
		}
		return
	}
	r.replaceOtherUser(ctx, req, resp, expected)
	if refused, diags := req.Private.GetKey(ctx, privateSignatureRefused); len(refused) > 0 {
		resp.Diagnostics.Append(diags...)
		// Read found that Jira refuses the token's signature (see Read): replace it.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("expires_at"), types.StringUnknown())...)
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("expires_at"))
		return
	}
	var renew customtypes.Duration
	var expires types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("renew_before"), &renew)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("expires_at"), &expires)...)
	if renew.IsNull() || renew.IsUnknown() || resp.Diagnostics.HasError() {
		return
	}
	d, ok := customtypes.DurationOf(renew)
	if !ok {
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

// replaceOtherUser plans a replacement when the token in state acts as another user than
// expected_authorized_user (changed in the configuration, or found at refresh).
func (r *accessTokenResource) replaceOtherUser(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, expected types.String) {
	var actual, prior types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("authorized_user"), &actual)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("expected_authorized_user"), &prior)...)
	if expected.IsNull() || expected.IsUnknown() || actual.IsNull() || strings.EqualFold(actual.ValueString(), expected.ValueString()) {
		return
	}
	reason := path.Root("authorized_user") // found at refresh
	if !prior.Equal(expected) {
		reason = path.Root("expected_authorized_user") // changed in the configuration
	}
	tflog.Info(ctx, "access token acts as another user than expected_authorized_user", map[string]any{"authorized_user": actual.ValueString(), "expected": expected.ValueString()})
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("authorized_user"), types.StringUnknown())...)
	resp.RequiresReplace = append(resp.RequiresReplace, reason)
}

// approverWarning says that the provider's own Jira user approves the token, and the two ways to
// have a service account approve it instead.
func approverWarning(user string) string {
	return fmt.Sprintf("approver_username is not set, so the provider's own jira_username %q approves this access token, "+
		"and the Jira Align connector that uses it acts in Jira as %q, with all of that user's rights "+
		"(the provider's Jira user manages application links, so it is usually a Jira administrator). Have the connector's service account approve it instead, "+
		"in one of two ways: set approver_username and approver_password_wo (Terraform/OpenTofu 1.11+) to the service account's "+
		"name and password or API token; or give the token a second provider configuration, "+
		"provider \"jira\" { alias = \"service\" ... } with the service account as its jira_username, "+
		"and provider = jira.service and expected_authorized_user = \"<service account>\" on the token. "+
		"To keep %q on purpose, set expected_authorized_user = %q.", user, user, user, user)
}

// privateSignatureRefused is the private-state key Read sets when Jira refuses the token's
// signature, so that the plan replaces the token.
const privateSignatureRefused = "signature_refused"

// keyring remembers, per Jira and consumer key, the private keys this provider instance obtained
// tokens with, newest first: a token replaced in the same run as a key rotation is revoked with
// the new key when Jira refuses the old one.
type keyring struct {
	mu   sync.Mutex
	byID map[string][]*rsa.PrivateKey
}

func (k *keyring) remember(jiraURL string, c jiraapi.OAuthConsumer) {
	if k == nil || c.PrivateKey == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.byID == nil {
		k.byID = map[string][]*rsa.PrivateKey{}
	}
	id := jiraURL + "\x00" + c.Key
	keys := slices.DeleteFunc(k.byID[id], func(p *rsa.PrivateKey) bool { return p.PublicKey.Equal(&c.PrivateKey.PublicKey) })
	k.byID[id] = append([]*rsa.PrivateKey{c.PrivateKey}, keys...)
}

func (k *keyring) keys(jiraURL, consumerKey string) []*rsa.PrivateKey {
	if k == nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.byID[jiraURL+"\x00"+consumerKey])
}

// forState returns what Read and Delete need to sign with the token in state: the Jira client
// for its URL, the consumer with its key, and a context that masks the token's secrets in logs.
func (r *accessTokenResource) forState(ctx context.Context, state *accessTokenModel, diags *diag.Diagnostics) (context.Context, *jiraapi.Client, jiraapi.OAuthConsumer, bool) {
	api := r.jiraFor(state.JiraURL.ValueString(), diags)
	consumer, err := r.consumer(state)
	if err != nil {
		attrError(diags, path.Root("private_key_pem"), "Invalid private key in state", err.Error())
	}
	if diags.HasError() {
		return ctx, nil, jiraapi.OAuthConsumer{}, false
	}
	return r.c.logContext(ctx, state.Token.ValueString(), state.TokenSecret.ValueString(), state.PrivateKeyPEM.ValueString()), api, consumer, true
}
