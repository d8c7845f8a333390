package validators

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
)

// checkFunc adapts a plain rule to a framework string validator. Values unknown at plan are
// skipped: they are checked by the API at apply. The diagnostic's detail starts with the
// attribute's path (see AtPath).
type checkFunc struct {
	desc  string
	check func(string) error
	// summary is the diagnostic's headline.
	summary string
}

func (v checkFunc) Description(context.Context) string         { return v.desc }
func (v checkFunc) MarkdownDescription(context.Context) string { return v.desc }

func (v checkFunc) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, AtPath(req.Path, err.Error()))
	}
}

// ConsumerKey validates an OAuth consumer key: 1–100 letters and digits.
func ConsumerKey() validator.String {
	return checkFunc{desc: "1 to 100 letters and digits", summary: "Invalid consumer key", check: CheckConsumerKey}
}

// Name validates a 1–100 character name.
func Name() validator.String {
	return checkFunc{desc: "1 to 100 characters", summary: "Invalid name", check: CheckName}
}

// URL validates an https base URL (http only for loopback hosts).
func URL() validator.String {
	return checkFunc{desc: "an absolute https URL without query or fragment (http only for loopback hosts)", summary: "Invalid URL", check: CheckURL}
}

// Duration validates a positive Go duration string.
func Duration() validator.String {
	return checkFunc{desc: "a positive duration such as \"720h\"", summary: "Invalid duration", check: func(s string) error {
		_, err := CheckDuration(s)
		return err
	}}
}

// RFC3339 validates an RFC 3339 timestamp.
func RFC3339() validator.String {
	return checkFunc{desc: "an RFC 3339 timestamp", summary: "Invalid timestamp", check: func(s string) error {
		_, err := CheckRFC3339(s)
		return err
	}}
}

// PrivateKeyPEM validates a PKCS#1 or PKCS#8 RSA private key of at least 2048 bits.
func PrivateKeyPEM() validator.String {
	return checkFunc{desc: "a PKCS#1 or PKCS#8 PEM RSA private key of at least 2048 bits", summary: "Invalid private key", check: func(s string) error {
		_, err := keyutil.ParsePrivateKeyPEM(s)
		return err
	}}
}

// PublicKeyPEM validates an RSA public key (PEM or bare base64 SubjectPublicKeyInfo) of at least 2048 bits.
func PublicKeyPEM() validator.String {
	return checkFunc{desc: "an RSA public key as PEM or bare base64 SubjectPublicKeyInfo, at least 2048 bits", summary: "Invalid public key", check: CheckPublicKey}
}

// CheckPublicKey enforces an RSA public key (PEM or bare base64 SubjectPublicKeyInfo) of at
// least 2048 bits.
func CheckPublicKey(s string) error {
	k, err := keyutil.ParsePublicKey(s)
	if err != nil {
		return err
	}
	if k.N.BitLen() < keyutil.MinRSABits {
		return errTooSmall(k.N.BitLen())
	}
	return nil
}
