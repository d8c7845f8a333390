package validators

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

var (
	_ basetypes.StringTypable                    = TimestampType{}
	_ basetypes.StringValuableWithSemanticEquals = Timestamp{}
	_ xattr.ValidateableAttribute                = Timestamp{}
)

// TimestampType is timetypes.RFC3339Type (an RFC 3339 string, "Z" and "+00:00" being the same)
// whose values are validated by CheckRFC3339, with a diagnostic that starts with the
// attribute's path like every other diagnostic of the provider.
type TimestampType struct {
	timetypes.RFC3339Type
}

// String names the type.
func (t TimestampType) String() string { return "validators.TimestampType" }

// ValueType returns a Timestamp.
func (t TimestampType) ValueType(context.Context) attr.Value { return Timestamp{} }

// Equal reports whether o is a TimestampType.
func (t TimestampType) Equal(o attr.Type) bool {
	other, ok := o.(TimestampType)
	return ok && t.RFC3339Type.Equal(other.RFC3339Type)
}

// ValueFromString wraps a string value.
func (t TimestampType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return Timestamp{RFC3339: timetypes.RFC3339{StringValue: in}}, nil
}

// ValueFromTerraform converts a Terraform value into a Timestamp.
func (t TimestampType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	out, _ := t.ValueFromString(ctx, s)
	return out, nil
}

// Timestamp is a value of TimestampType.
type Timestamp struct {
	timetypes.RFC3339
}

// NewTimestampNull is a null Timestamp.
func NewTimestampNull() Timestamp { return Timestamp{RFC3339: timetypes.NewRFC3339Null()} }

// NewTimestampValue is a known Timestamp holding s as given.
func NewTimestampValue(s string) Timestamp {
	return Timestamp{RFC3339: timetypes.RFC3339{StringValue: basetypes.NewStringValue(s)}}
}

// Type returns TimestampType.
func (v Timestamp) Type(context.Context) attr.Type { return TimestampType{} }

// Equal reports whether o is a Timestamp with the same text.
func (v Timestamp) Equal(o attr.Value) bool {
	other, ok := o.(Timestamp)
	return ok && v.RFC3339.Equal(other.RFC3339)
}

// StringSemanticEquals is timetypes.RFC3339's: "Z" and "+00:00" name the same instant.
func (v Timestamp) StringSemanticEquals(ctx context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	other, ok := newValuable.(Timestamp)
	if !ok {
		var diags diag.Diagnostics
		diags.AddError("Semantic equality check error", fmt.Sprintf("expected a validators.Timestamp, got %T; please report this bug", newValuable))
		return false, diags
	}
	return v.RFC3339.StringSemanticEquals(ctx, other.RFC3339)
}

// ValidateAttribute checks the value with CheckRFC3339.
func (v Timestamp) ValidateAttribute(_ context.Context, req xattr.ValidateAttributeRequest, resp *xattr.ValidateAttributeResponse) {
	if v.IsNull() || v.IsUnknown() {
		return
	}
	if _, err := CheckRFC3339(v.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid timestamp", AtPath(req.Path, err.Error()))
	}
}

// Time returns the instant; ok is false when the value is null, unknown or not RFC 3339.
func (v Timestamp) Time() (t time.Time, ok bool) {
	if v.IsNull() || v.IsUnknown() {
		return time.Time{}, false
	}
	t, err := CheckRFC3339(v.ValueString())
	return t, err == nil
}
