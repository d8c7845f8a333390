package alignapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
)

// Values of Connector.AuthType / ConnectorInput.AuthType and of JiraType
// (docs/guides/http-calls.md, "Jira Align connectors").
const (
	// AuthBasic authenticates Jira Align to Jira with a username and a password or API token.
	AuthBasic = "basic"
	// AuthOAuth1 authenticates Jira Align to Jira with an OAuth 1.0a RSA-SHA1 access token.
	AuthOAuth1 = "oauth1"
	// JiraTypeCloud is a Jira Cloud site.
	JiraTypeCloud = 1
	// JiraTypeDataCenter is a Jira Server / Data Center instance.
	JiraTypeDataCenter = 2
)

// ConnectorInput is the JSON body of POST and PUT /Connectors. Secret fields (Password,
// PrivateKeyPEM, AccessToken, AccessTokenSecret) are omitted when empty, which on PUT keeps the
// stored value. String and GoString redact every secret, so printing an input never leaks one.
type ConnectorInput struct {
	Name              string `json:"name"`
	JiraURL           string `json:"jiraUrl"`
	JiraType          int    `json:"jiraType"`
	AuthType          string `json:"authType"`
	Username          string `json:"username,omitempty"`
	Password          string `json:"password,omitempty"`
	ConsumerKey       string `json:"consumerKey,omitempty"`
	PrivateKeyPEM     string `json:"privateKeyPem,omitempty"`
	AccessToken       string `json:"accessToken,omitempty"`
	AccessTokenSecret string `json:"accessTokenSecret,omitempty"`
	// AccessTokenExpiresAt is sent as RFC 3339 in UTC, truncated to seconds.
	AccessTokenExpiresAt *time.Time `json:"accessTokenExpiresAt,omitempty"`
}

// MarshalJSON encodes the input with AccessTokenExpiresAt as RFC 3339 UTC seconds
// ("2031-11-27T22:00:00Z").
func (in ConnectorInput) MarshalJSON() ([]byte, error) {
	type plain ConnectorInput // no methods: no recursion
	out := struct {
		plain
		// Shallower than the embedded field of the same name, so it wins.
		AccessTokenExpiresAt *string `json:"accessTokenExpiresAt,omitempty"`
	}{plain: plain(in)}
	if in.AccessTokenExpiresAt != nil {
		s := in.AccessTokenExpiresAt.UTC().Truncate(time.Second).Format(time.RFC3339)
		out.AccessTokenExpiresAt = &s
	}
	return json.Marshal(out)
}

// String describes the input with every secret replaced by "<redacted>" (or "" when unset).
func (in ConnectorInput) String() string {
	exp := "<nil>"
	if in.AccessTokenExpiresAt != nil {
		exp = in.AccessTokenExpiresAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("ConnectorInput{Name:%q JiraURL:%q JiraType:%d AuthType:%q Username:%q Password:%s ConsumerKey:%q PrivateKeyPEM:%s AccessToken:%s AccessTokenSecret:%s AccessTokenExpiresAt:%s}",
		in.Name, in.JiraURL, in.JiraType, in.AuthType, in.Username, redact.Field(in.Password), in.ConsumerKey,
		redact.Field(in.PrivateKeyPEM), redact.Field(in.AccessToken), redact.Field(in.AccessTokenSecret), exp)
}

// GoString makes %#v as safe as %v.
func (in ConnectorInput) GoString() string { return "alignapi." + in.String() }

// secrets lists the input's secret values, for scrubbing server messages that echo one.
func (in ConnectorInput) secrets() []string {
	return []string{in.Password, in.PrivateKeyPEM, in.AccessToken, in.AccessTokenSecret}
}

// Connector is a connector as Jira Align returns it. Secrets are write-only and never returned;
// CredentialVersion grows by one whenever any secret changes, whoever changed it.
type Connector struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	JiraURL  string `json:"jiraUrl"`
	JiraType int    `json:"jiraType"`
	AuthType string `json:"authType"`
	// Username is set for basic authentication, nil otherwise.
	Username *string `json:"username"`
	// ConsumerKey is set for OAuth 1.0a, nil otherwise.
	ConsumerKey *string `json:"consumerKey"`
	// PublicKeyFingerprint is "SHA256:" + unpadded standard base64 of SHA-256 over the DER
	// SubjectPublicKeyInfo of the stored private key's public half; nil without a key.
	PublicKeyFingerprint *string    `json:"publicKeyFingerprint"`
	AccessTokenExpiresAt *time.Time `json:"accessTokenExpiresAt"`
	CredentialVersion    int        `json:"credentialVersion"`
	UpdatedAt            time.Time  `json:"updatedAt"`
}

// DecodeConnector decodes one connector object. It is strict: the body must be a single JSON
// object of the right field types, with a positive id, and nothing after it. It never panics.
func DecodeConnector(data []byte) (*Connector, error) {
	if err := wantJSON(data, '{', "an object"); err != nil {
		return nil, err
	}
	var c Connector
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// DecodeConnectors decodes an array of connectors with the same strictness as DecodeConnector.
func DecodeConnectors(data []byte) ([]Connector, error) {
	if err := wantJSON(data, '[', "an array"); err != nil {
		return nil, err
	}
	var cs []Connector
	if err := json.Unmarshal(data, &cs); err != nil {
		return nil, err
	}
	if cs == nil {
		cs = []Connector{}
	}
	for i := range cs {
		if err := cs[i].check(); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
	}
	return cs, nil
}

func wantJSON(data []byte, open byte, what string) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return errors.New("empty body")
	}
	if trimmed[0] != open {
		return fmt.Errorf("expected %s", what)
	}
	return nil
}

func (c *Connector) check() error {
	if c.ID <= 0 {
		return errors.New("connector without a positive id")
	}
	if c.AccessTokenExpiresAt != nil {
		t := c.AccessTokenExpiresAt.UTC()
		if !inRFC3339Range(t) {
			return errors.New("accessTokenExpiresAt is outside the years 0000-9999 in UTC")
		}
		c.AccessTokenExpiresAt = &t
	}
	c.UpdatedAt = c.UpdatedAt.UTC()
	if !inRFC3339Range(c.UpdatedAt) {
		return errors.New("updatedAt is outside the years 0000-9999 in UTC")
	}
	return nil
}

// inRFC3339Range reports whether t (in UTC) can be written as an RFC 3339 timestamp again: an
// offset can push "9999-12-31T23:59:59-01:00" into the year 10000.
func inRFC3339Range(t time.Time) bool {
	return t.Year() >= 0 && t.Year() <= 9999
}
