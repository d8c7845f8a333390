package provider

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// The connector's three OAuth secrets come either as plain attributes (kept in state) or as
// write-only ones (Terraform/OpenTofu 1.11+, never in state) with credentials_wo_version, whose
// change tells the provider to send them again.

var _ resource.ResourceWithValidateConfig = (*connectorResource)(nil)

// oauth1Secret is one of the three secrets: its plain and its write-only attribute.
type oauth1Secret struct {
	plain, wo string
	get       func(m *oauth1Model) (plain, wo types.String)
}

var oauth1Secrets = []oauth1Secret{
	{"private_key_pem", "private_key_pem_wo", func(m *oauth1Model) (types.String, types.String) { return m.PrivateKeyPEM, m.PrivateKeyPEMWO }},
	{"access_token", "access_token_wo", func(m *oauth1Model) (types.String, types.String) { return m.AccessToken, m.AccessTokenWO }},
	{"access_token_secret", "access_token_secret_wo", func(m *oauth1Model) (types.String, types.String) {
		return m.AccessTokenSecret, m.AccessTokenSecretWO
	}},
}

const oauth1VersionAttr = "credentials_wo_version"

func oauth1Path(attr string) path.Path { return path.Root("oauth1").AtName(attr) }

// given reports whether a secret is configured. A value not known yet counts: it comes from
// another resource's attribute (a key pair, a token), which is never null once known.
func given(v types.String) bool { return !v.IsNull() }

// configOAuth1 reads the configured oauth1 object, write-only values included; nil when it is
// not set or not known yet.
func configOAuth1(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) *oauth1Model {
	var obj types.Object
	diags.Append(config.GetAttribute(ctx, path.Root("oauth1"), &obj)...)
	if diags.HasError() || obj.IsNull() || obj.IsUnknown() {
		return nil
	}
	var m oauth1Model
	diags.Append(obj.As(ctx, &m, basetypes.ObjectAsOptions{})...)
	if diags.HasError() {
		return nil
	}
	return &m
}

// ValidateConfig checks at plan time that no OAuth secret is given twice, that the secrets given
// are all plain or all write-only, and that the write-only ones come with credentials_wo_version.
func (r *connectorResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	m := configOAuth1(ctx, req.Config, &resp.Diagnostics)
	if m == nil {
		return
	}
	var plainGiven, woGiven []string
	for _, s := range oauth1Secrets {
		plain, wo := s.get(m)
		switch {
		case given(plain) && given(wo):
			resp.Diagnostics.AddAttributeError(oauth1Path(s.wo), "Conflicting OAuth secret",
				fmt.Sprintf("oauth1.%s: set either %s or %s, not both; the write-only %s keeps the value out of state.", s.wo, s.plain, s.wo, s.wo))
		}
		// Neither is not an error here: an imported connector (or one written by
		// -generate-config-out) keeps the secrets Jira Align holds; the plan requires them where
		// a connector is created (checkSecrets).
		if given(plain) {
			plainGiven = append(plainGiven, s.plain)
		}
		if given(wo) {
			woGiven = append(woGiven, s.wo)
		}
	}
	if len(plainGiven) > 0 && len(woGiven) > 0 {
		for _, p := range plainGiven {
			resp.Diagnostics.AddAttributeError(oauth1Path(p), "Mixed OAuth secrets",
				fmt.Sprintf("oauth1.%s: the three secrets are given all plain (private_key_pem, access_token, access_token_secret) "+
					"or all write-only (private_key_pem_wo, access_token_wo, access_token_secret_wo, with %s); %s is write-only here, so use %s_wo.",
					p, oauth1VersionAttr, woGiven[0], p))
		}
	}
	switch {
	case len(woGiven) > 0 && !given(m.CredentialsWOVersion):
		resp.Diagnostics.AddAttributeError(oauth1Path(oauth1VersionAttr), "Missing credentials_wo_version",
			fmt.Sprintf("oauth1.%s: required with the write-only secrets: write-only values are not kept between runs, so a change of this "+
				"string is what sends new ones. Use the token's id (jira_align_access_token.<name>.id), so a new token reaches the connector in the same apply.",
				oauth1VersionAttr))
	case len(woGiven) == 0 && given(m.CredentialsWOVersion):
		resp.Diagnostics.AddAttributeError(oauth1Path(oauth1VersionAttr), "Unused credentials_wo_version",
			fmt.Sprintf("oauth1.%s: only used with the write-only secrets (private_key_pem_wo, access_token_wo, access_token_secret_wo); "+
				"remove it or give the secrets write-only.", oauth1VersionAttr))
	}
}

// oauth1SecretValue returns a secret from the plan (plain attribute) or, on the write-only path,
// from the configuration, and the path it came from; "" when neither holds it.
func oauth1SecretValue(ctx context.Context, plan *oauth1Model, config tfsdk.Config, s oauth1Secret, diags *diag.Diagnostics) (string, path.Path) {
	plain, _ := s.get(plan)
	if v := plain.ValueString(); v != "" {
		return v, oauth1Path(s.plain)
	}
	var wo types.String
	diags.Append(config.GetAttribute(ctx, oauth1Path(s.wo), &wo)...)
	return wo.ValueString(), oauth1Path(s.wo)
}

// oauth1WriteOnlyChanging reports whether the configured write-only secrets change in this
// apply, so that the connector must be updated to send them even when credentials_wo_version
// stays the same: a secret not known at plan time (its source, a token or key, is being
// replaced), or an access_token_wo other than the token last sent. The second case keeps the
// update in the plan Terraform makes again at apply time, once the new token is known: without
// it that plan would equal the prior state whenever nothing else differs, and the update would
// be skipped.
func oauth1WriteOnlyChanging(ctx context.Context, config tfsdk.Config, priv privateData, diags *diag.Diagnostics) bool {
	m := configOAuth1(ctx, config, diags)
	if m == nil {
		return false
	}
	for _, s := range oauth1Secrets {
		if _, wo := s.get(m); wo.IsUnknown() {
			return true
		}
	}
	if tok := m.AccessTokenWO.ValueString(); tok != "" && priv != nil {
		sent, d := priv.GetKey(ctx, privateSentToken)
		diags.Append(d...)
		return len(sent) > 0 && string(sent) != strconv.Quote(tokenID(tok))
	}
	return false
}

// privateSentToken is the private-state key holding the id (tokenID, the value
// jira_align_access_token publishes as its id) of the access token last sent to Jira Align.
const privateSentToken = "sent_access_token_id"

// setSentToken records which access token was last sent ("" for none, as for basic auth).
func setSentToken(ctx context.Context, p privateSetter, token string) diag.Diagnostics {
	if token == "" {
		return p.SetKey(ctx, privateSentToken, nil)
	}
	return p.SetKey(ctx, privateSentToken, []byte(strconv.Quote(tokenID(token))))
}
