package provider

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jira-align-tf/terraform-provider-jira/internal/alignapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/customtypes"
	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/validators"
)

// The connector's one mapping: toAPI builds what is sent from the plan (and, for write-only
// secrets, the config); fromAPI maps what Jira Align answers into the resource's model, and
// fields does the same for the data source. Where the answer means what state already says
// (a URL's trailing slash, a timestamp's offset) the custom types keep state's text.

type connectorModel struct {
	Timeouts             timeouts.Value  `tfsdk:"timeouts"`
	ID                   types.String    `tfsdk:"id"`
	Name                 types.String    `tfsdk:"name"`
	JiraURL              customtypes.URL `tfsdk:"jira_url"`
	JiraType             types.String    `tfsdk:"jira_type"`
	Basic                *basicModel     `tfsdk:"basic"`
	OAuth1               *oauth1Model    `tfsdk:"oauth1"`
	PublicKeyFingerprint types.String    `tfsdk:"public_key_fingerprint"`
	CredentialVersion    types.Int64     `tfsdk:"credential_version"`
	UpdatedAt            types.String    `tfsdk:"updated_at"`
}

type basicModel struct {
	Username          types.String `tfsdk:"username"`
	Password          types.String `tfsdk:"password"`
	PasswordWO        types.String `tfsdk:"password_wo"`
	PasswordWOVersion types.Int64  `tfsdk:"password_wo_version"`
	// PasswordExpiresAt is known to Terraform only: Jira Align does not store it.
	PasswordExpiresAt customtypes.Timestamp `tfsdk:"password_expires_at"`
}

type oauth1Model struct {
	ConsumerKey          types.String          `tfsdk:"consumer_key"`
	PrivateKeyPEM        types.String          `tfsdk:"private_key_pem"`
	AccessToken          types.String          `tfsdk:"access_token"`
	AccessTokenSecret    types.String          `tfsdk:"access_token_secret"`
	PrivateKeyPEMWO      types.String          `tfsdk:"private_key_pem_wo"`
	AccessTokenWO        types.String          `tfsdk:"access_token_wo"`
	AccessTokenSecretWO  types.String          `tfsdk:"access_token_secret_wo"`
	CredentialsWOVersion types.String          `tfsdk:"credentials_wo_version"`
	AccessTokenExpiresAt customtypes.Timestamp `tfsdk:"access_token_expires_at"`
}

// connectorFields is what Jira Align says about a connector, secrets never included: the data
// source's model, and the source of every non-secret field of the resource's.
type connectorFields struct {
	ID                   types.String          `tfsdk:"id"`
	Name                 types.String          `tfsdk:"name"`
	JiraURL              customtypes.URL       `tfsdk:"jira_url"`
	JiraType             types.String          `tfsdk:"jira_type"`
	AuthType             types.String          `tfsdk:"auth_type"`
	Username             types.String          `tfsdk:"username"`
	ConsumerKey          types.String          `tfsdk:"consumer_key"`
	PublicKeyFingerprint types.String          `tfsdk:"public_key_fingerprint"`
	AccessTokenExpiresAt customtypes.Timestamp `tfsdk:"access_token_expires_at"`
	CredentialVersion    types.Int64           `tfsdk:"credential_version"`
	UpdatedAt            types.String          `tfsdk:"updated_at"`
}

var jiraTypes = map[string]int{"cloud": alignapi.JiraTypeCloud, "data_center": alignapi.JiraTypeDataCenter}

func jiraTypeName(n int) string {
	for k, v := range jiraTypes {
		if v == n {
			return k
		}
	}
	return strconv.Itoa(n)
}

// fields maps the connector Jira Align answered.
func fields(c *alignapi.Connector) connectorFields {
	return connectorFields{
		ID:                   types.StringValue(strconv.Itoa(c.ID)),
		Name:                 types.StringValue(c.Name),
		JiraURL:              customtypes.NewURL(c.JiraURL),
		JiraType:             types.StringValue(jiraTypeName(c.JiraType)),
		AuthType:             types.StringValue(c.AuthType),
		Username:             types.StringPointerValue(c.Username),
		ConsumerKey:          types.StringPointerValue(c.ConsumerKey),
		PublicKeyFingerprint: types.StringPointerValue(c.PublicKeyFingerprint),
		AccessTokenExpiresAt: customtypes.TimestampOrNull(c.AccessTokenExpiresAt),
		CredentialVersion:    types.Int64Value(int64(c.CredentialVersion)),
		UpdatedAt:            types.StringValue(c.UpdatedAt.UTC().Format(time.RFC3339)),
	}
}

// fromAPI maps the connector Jira Align answered into m, which holds the plan (after a create
// or update) or the prior state (after a read). Every field Jira Align returns comes from the
// answer; the secrets, which it never returns, and the fields only Terraform knows stay m's. A
// known id stays as m spells it: the client refuses an answer about another connector.
func (m *connectorModel) fromAPI(c *alignapi.Connector) {
	f := fields(c)
	if m.ID.IsNull() || m.ID.IsUnknown() {
		m.ID = f.ID
	}
	m.Name, m.JiraURL, m.JiraType = f.Name, f.JiraURL, f.JiraType
	m.PublicKeyFingerprint, m.CredentialVersion, m.UpdatedAt = f.PublicKeyFingerprint, f.CredentialVersion, f.UpdatedAt
	switch c.AuthType {
	case alignapi.AuthBasic:
		b := basicModel{Password: types.StringNull(), PasswordWO: types.StringNull(), PasswordWOVersion: types.Int64Null(), PasswordExpiresAt: customtypes.NullTimestamp()}
		if m.Basic != nil {
			b.Password, b.PasswordWOVersion, b.PasswordExpiresAt = m.Basic.Password, m.Basic.PasswordWOVersion, m.Basic.PasswordExpiresAt
		}
		b.Username = f.Username
		m.Basic, m.OAuth1 = &b, nil
	case alignapi.AuthOAuth1:
		o := oauth1Model{PrivateKeyPEM: types.StringNull(), AccessToken: types.StringNull(), AccessTokenSecret: types.StringNull(),
			PrivateKeyPEMWO: types.StringNull(), AccessTokenWO: types.StringNull(), AccessTokenSecretWO: types.StringNull(),
			CredentialsWOVersion: types.StringNull()}
		if m.OAuth1 != nil {
			o.PrivateKeyPEM, o.AccessToken, o.AccessTokenSecret = m.OAuth1.PrivateKeyPEM, m.OAuth1.AccessToken, m.OAuth1.AccessTokenSecret
			o.CredentialsWOVersion = m.OAuth1.CredentialsWOVersion
		}
		o.ConsumerKey, o.AccessTokenExpiresAt = f.ConsumerKey, f.AccessTokenExpiresAt
		m.Basic, m.OAuth1 = nil, &o
	}
}

// toAPI builds the request body from the plan and, for write-only values, the config. Values
// unknown at plan time are checked here, before anything is sent.
func (m *connectorModel) toAPI(ctx context.Context, config tfsdk.Config) (alignapi.ConnectorInput, diag.Diagnostics) {
	var diags diag.Diagnostics
	in := alignapi.ConnectorInput{
		Name:     m.Name.ValueString(),
		JiraURL:  m.JiraURL.ValueString(),
		JiraType: jiraTypes[m.JiraType.ValueString()],
	}
	switch {
	case m.Basic != nil:
		in.AuthType = alignapi.AuthBasic
		in.Username = m.Basic.Username.ValueString()
		in.Password = m.Basic.Password.ValueString()
		if in.Password == "" {
			var wo types.String
			diags.Append(config.GetAttribute(ctx, path.Root("basic").AtName("password_wo"), &wo)...)
			in.Password = wo.ValueString()
		}
		// No password: the plan allowed it only for an existing basic connector, whose stored
		// password Jira Align keeps when the update omits it.
	case m.OAuth1 != nil:
		in.AuthType = alignapi.AuthOAuth1
		in.ConsumerKey = m.OAuth1.ConsumerKey.ValueString()
		var keyPath path.Path
		for i, dst := range []*string{&in.PrivateKeyPEM, &in.AccessToken, &in.AccessTokenSecret} {
			// No value: the plan allowed it only for an existing oauth1 connector, whose stored
			// secret Jira Align keeps when the update omits it.
			v, from := oauth1SecretValue(ctx, m.OAuth1, config, oauth1Secrets[i], &diags)
			*dst = v
			if i == 0 {
				keyPath = from
			}
		}
		if s := m.OAuth1.AccessTokenExpiresAt.ValueString(); s != "" {
			t, err := validators.CheckRFC3339(s)
			if err != nil {
				attrError(&diags, path.Root("oauth1").AtName("access_token_expires_at"), "Invalid timestamp", err.Error())
			}
			t = t.UTC()
			in.AccessTokenExpiresAt = &t
		}
		if err := validators.CheckConsumerKey(in.ConsumerKey); err != nil {
			attrError(&diags, path.Root("oauth1").AtName("consumer_key"), "Invalid consumer key", err.Error())
		}
		if _, err := keyutil.ParsePrivateKeyPEM(in.PrivateKeyPEM); in.PrivateKeyPEM != "" && err != nil {
			attrError(&diags, keyPath, "Invalid private key", err.Error())
		}
	}
	if err := validators.CheckURL(in.JiraURL); err != nil {
		attrError(&diags, path.Root("jira_url"), "Invalid URL", err.Error())
	}
	return in, diags
}

// connectorID parses the numeric Jira Align id kept in state.
func connectorID(v types.String, diags *diag.Diagnostics) (int, bool) {
	id, err := strconv.Atoi(v.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("id"), "Invalid connector id", fmt.Sprintf("%q is not a numeric Jira Align connector id.", v.ValueString()))
		return 0, false
	}
	return id, true
}
