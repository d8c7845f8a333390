package customtypes

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/validators"
)

// The kinds. A duration means what timetypes.GoDuration says it means; the rules are
// validators' (an instant in the years 0000–9999, a positive duration, an https URL, a key of
// at least 2048 bits).
type (
	timestampKind struct{}
	durationKind  struct{}
	urlKind       struct{}
	publicKeyKind struct{}
)

// The provider's types and their values.
type (
	// Timestamp is an RFC 3339 timestamp; texts naming one instant ("…22:00:00Z", "…23:00:00+01:00") are the same.
	Timestamp     = Value[timestampKind]
	TimestampType = Type[timestampKind]
	// Duration is a positive Go duration; "1h" and "60m" are the same.
	Duration     = Value[durationKind]
	DurationType = Type[durationKind]
	// URL is an https base URL (http only for loopback hosts); a trailing slash means nothing.
	URL     = Value[urlKind]
	URLType = Type[urlKind]
	// PublicKey is an RSA public key of at least 2048 bits, as PEM or bare base64; two texts
	// are the same when they hold the same key.
	PublicKey     = Value[publicKeyKind]
	PublicKeyType = Type[publicKeyKind]
)

func (timestampKind) name() string { return "TimestampType" }
func (timestampKind) check(s string) error {
	_, err := validators.CheckRFC3339(s)
	return err
}

// same is the same instant, whatever the offset: Jira Align answers in UTC, and a configured
// "…+01:00" must stay as written. (timetypes.RFC3339 equates only texts that differ in "Z" and
// "+00:00", which would turn such a value into a diff after every apply.)
func (timestampKind) same(_ context.Context, a, b string) (bool, diag.Diagnostics) {
	ta, _ := validators.CheckRFC3339(a)
	tb, _ := validators.CheckRFC3339(b)
	return ta.Equal(tb), nil
}

func (durationKind) name() string { return "DurationType" }
func (durationKind) check(s string) error {
	_, err := validators.CheckDuration(s)
	return err
}
func (durationKind) same(ctx context.Context, a, b string) (bool, diag.Diagnostics) {
	return timetypes.NewGoDurationValueFromStringMust(a).StringSemanticEquals(ctx, timetypes.NewGoDurationValueFromStringMust(b))
}

func (urlKind) name() string         { return "URLType" }
func (urlKind) check(s string) error { return validators.CheckURL(s) }
func (urlKind) same(_ context.Context, a, b string) (bool, diag.Diagnostics) {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/"), nil
}

func (publicKeyKind) name() string         { return "PublicKeyType" }
func (publicKeyKind) check(s string) error { return validators.CheckPublicKey(s) }
func (publicKeyKind) same(_ context.Context, a, b string) (bool, diag.Diagnostics) {
	return keyutil.SamePublicKey(a, b), nil
}

// NewURL is a known URL holding s as given.
func NewURL(s string) URL { return stringOf[urlKind](s) }

// NewPublicKey is a known PublicKey holding s as given.
func NewPublicKey(s string) PublicKey { return stringOf[publicKeyKind](s) }

// NullTimestamp is a null Timestamp.
func NullTimestamp() Timestamp { return Timestamp{StringValue: basetypes.NewStringNull()} }

// TimestampOrNull is *t in RFC 3339, UTC, or null for nil.
func TimestampOrNull(t *time.Time) Timestamp {
	if t == nil {
		return NullTimestamp()
	}
	return stringOf[timestampKind](t.UTC().Format(time.RFC3339))
}

// TimeOf returns the instant of a known, valid Timestamp.
func TimeOf(v Timestamp) (time.Time, bool) {
	if v.IsNull() || v.IsUnknown() {
		return time.Time{}, false
	}
	t, err := validators.CheckRFC3339(v.ValueString())
	return t, err == nil
}

// DurationOf returns the length of a known, valid Duration.
func DurationOf(v Duration) (time.Duration, bool) {
	if v.IsNull() || v.IsUnknown() {
		return 0, false
	}
	d, err := validators.CheckDuration(v.ValueString())
	return d, err == nil
}
