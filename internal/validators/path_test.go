package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestAtPath(t *testing.T) {
	p := path.Root("oauth1").AtName("consumer_key")
	cases := map[string]string{
		"the consumer key is empty":               "oauth1.consumer_key: the consumer key is empty",
		"oauth1.consumer_key: already prefixed":   "oauth1.consumer_key: already prefixed",
		"oauth1.consumer_key is set and invalid":  "oauth1.consumer_key is set and invalid",
		"oauth1.consumer_keys: not the same name": "oauth1.consumer_key: oauth1.consumer_keys: not the same name",
	}
	for in, want := range cases {
		if got := AtPath(p, in); got != want {
			t.Errorf("AtPath(%q) = %q, want %q", in, got, want)
		}
	}
	if got := AtPath(path.Empty(), "x"); got != "x" {
		t.Errorf("empty path: %q", got)
	}
}

// Every rule's diagnostic starts with the attribute's path, nested or not.
func TestValidatorsStartWithThePath(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		v    validator.String
		p    path.Path
		in   string
		want string
	}{
		{ConsumerKey(), path.Root("oauth1").AtName("consumer_key"), "Jira Align", "oauth1.consumer_key: the consumer key has a space at position 5"},
		{ConsumerKey(), path.Root("consumer").AtName("consumer_key"), "a-b", "consumer.consumer_key: the consumer key has '-' at position 2"},
		{PublicKeyPEM(), path.Root("consumer").AtName("public_key_pem"), "nope", "consumer.public_key_pem: "},
		{PrivateKeyPEM(), path.Root("oauth1").AtName("private_key_pem"), "nope", "oauth1.private_key_pem: "},
		{RFC3339(), path.Root("oauth1").AtName("access_token_expires_at"), "soon", `oauth1.access_token_expires_at: "soon" is not an RFC 3339 timestamp`},
		{RFC3339(), path.Root("basic").AtName("password_expires_at"), "10000-01-01T00:00:00Z", "basic.password_expires_at: "},
		{RFC3339(), path.Root("basic").AtName("password_expires_at"), "0000-01-01T00:00:00+01:00", `basic.password_expires_at: "0000-01-01T00:00:00+01:00" falls outside the years 0000 to 9999`},
		{Duration(), path.Root("renew_before"), "0s", `renew_before: "0s" must be positive`},
		{Duration(), path.Root("request_timeout"), "soon", `request_timeout: "soon" is not a duration`},
		{URL(), path.Root("jira_url"), "http://jira.example.com", `jira_url: "http://jira.example.com" uses http`},
		{Named(stringvalidator.LengthAtLeast(1)), path.Root("basic").AtName("username"), "", "basic.username: Attribute basic.username string length must be at least 1"},
	}
	for _, c := range cases {
		var resp validator.StringResponse
		c.v.ValidateString(ctx, validator.StringRequest{Path: c.p, ConfigValue: types.StringValue(c.in)}, &resp)
		if len(resp.Diagnostics) != 1 {
			t.Errorf("%s %q: %d diagnostics, want 1", c.p, c.in, len(resp.Diagnostics))
			continue
		}
		if d := resp.Diagnostics[0].Detail(); !strings.HasPrefix(d, c.want) {
			t.Errorf("%s %q: detail %q, want it to start with %q", c.p, c.in, d, c.want)
		}
		if wp, ok := resp.Diagnostics[0].(diag.DiagnosticWithPath); !ok || !wp.Path().Equal(c.p) {
			t.Errorf("%s: the diagnostic lost its path", c.p)
		}
	}

	var resp validator.Int64Response
	NamedInt64(int64validator.AtLeast(1)).ValidateInt64(ctx, validator.Int64Request{
		Path: path.Root("basic").AtName("password_wo_version"), ConfigValue: types.Int64Value(0),
	}, &resp)
	if len(resp.Diagnostics) != 1 || !strings.HasPrefix(resp.Diagnostics[0].Detail(), "basic.password_wo_version: ") {
		t.Errorf("int64: %v", resp.Diagnostics)
	}
}

func TestPrefixPathsKeepsSeverityAndPathlessDiagnostics(t *testing.T) {
	p := path.Root("basic").AtName("password")
	in := diag.Diagnostics{
		diag.NewAttributeWarningDiagnostic(p, "W", "careful"),
		diag.NewErrorDiagnostic("E", "no path"),
	}
	out := PrefixPaths(in)
	if out[0].Severity() != diag.SeverityWarning || out[0].Detail() != "basic.password: careful" {
		t.Errorf("warning became %v %q", out[0].Severity(), out[0].Detail())
	}
	if out[1].Detail() != "no path" {
		t.Errorf("pathless diagnostic changed: %q", out[1].Detail())
	}
}
