package provider

import (
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/jira-align-tf/terraform-provider-jira/internal/customtypes"
	"github.com/jira-align-tf/terraform-provider-jira/internal/jiraapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
)

// The application link's one mapping: toAPI builds the link and the consumer sent from the
// plan; fromAPI maps what Jira holds into the resource's model, for the resource's read and for
// the list resource. Where Jira's answer means what state already says (a URL's trailing slash,
// a public key in another encoding) the custom types keep state's text.

type applicationLinkModel struct {
	Timeouts   timeouts.Value  `tfsdk:"timeouts"`
	ID         types.String    `tfsdk:"id"`
	Name       types.String    `tfsdk:"name"`
	RPCURL     customtypes.URL `tfsdk:"rpc_url"`
	DisplayURL customtypes.URL `tfsdk:"display_url"`
	Consumer   *consumerModel  `tfsdk:"consumer"`
}

type consumerModel struct {
	ConsumerKey  types.String          `tfsdk:"consumer_key"`
	PublicKeyPEM customtypes.PublicKey `tfsdk:"public_key_pem"`
	Name         types.String          `tfsdk:"name"`
	Description  types.String          `tfsdk:"description"`
}

// toAPI is the link a create sends.
func (m *applicationLinkModel) toAPI() jiraapi.ApplicationLink {
	return jiraapi.ApplicationLink{Name: m.Name.ValueString(), RPCURL: m.RPCURL.ValueString(), DisplayURL: m.DisplayURL.ValueString(), TypeID: jiraapi.DefaultLinkType}
}

// fromAPI maps the link Jira holds and its incoming consumer (nil when it has none) into m. A
// known id stays as m spells it: the client refuses an answer about another link.
func (m *applicationLinkModel) fromAPI(l *jiraapi.ApplicationLink, cons *jiraapi.Consumer) {
	if m.ID.IsNull() || m.ID.IsUnknown() {
		m.ID = types.StringValue(l.ID)
	}
	m.Name = types.StringValue(l.Name)
	m.RPCURL, m.DisplayURL = customtypes.NewURL(l.RPCURL), customtypes.NewURL(l.DisplayURL)
	m.Consumer = nil
	if cons != nil {
		m.Consumer = consumerFromAPI(cons)
	}
}

// toAPI is the consumer a create or update registers.
func (m *consumerModel) toAPI() jiraapi.Consumer {
	return jiraapi.Consumer{
		Key:         m.ConsumerKey.ValueString(),
		Name:        m.Name.ValueString(),
		Description: m.Description.ValueString(),
		PublicKey:   m.PublicKeyPEM.ValueString(),
	}
}

// consumerFromAPI maps the consumer Jira holds: its key as a PEM "PUBLIC KEY" block (state keeps
// its own text when it holds the same key, see customtypes.PublicKey).
func consumerFromAPI(cons *jiraapi.Consumer) *consumerModel {
	pub := customtypes.NewPublicKey(cons.PublicKey)
	if k, err := keyutil.ParsePublicKey(cons.PublicKey); err == nil {
		if p, err := keyutil.PublicKeyPEM(k); err == nil {
			pub = customtypes.NewPublicKey(p)
		}
	}
	return &consumerModel{
		ConsumerKey:  types.StringValue(cons.Key),
		Name:         types.StringValue(cons.Name),
		Description:  types.StringValue(cons.Description),
		PublicKeyPEM: pub,
	}
}
