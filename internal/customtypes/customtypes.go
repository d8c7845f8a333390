// Package customtypes holds the provider's string types whose values Terraform should compare by
// meaning, not by text: a timestamp (one instant at any offset), a duration ("1h" or "60m"), a URL with or
// without its trailing slash, an RSA public key in any of its encodings. After a read, create or
// update the framework keeps the prior text when the new value means the same (semantic
// equality), so the form a peer answers in is never drift.
//
// The types do not validate (no xattr.ValidateableAttribute): the framework runs a custom value's
// validation whenever it converts the value, state included, so an odd answer from a peer, once
// in state, would make the resource unreadable and every plan fail. Validation is the schema's
// (internal/validators), which sees the configuration only.
package customtypes

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// kind is what one type adds to a string: its name, its rule and its meaning.
type kind interface {
	name() string
	// check reports a value that breaks the kind's rule; such a value is never the same as
	// another.
	check(s string) error
	// same reports whether two valid values mean the same.
	same(ctx context.Context, prior, next string) (bool, diag.Diagnostics)
}

var (
	_ basetypes.StringTypable                    = Type[urlKind]{}
	_ basetypes.StringValuableWithSemanticEquals = Value[urlKind]{}
)

// Type is the schema's CustomType for values of kind K.
type Type[K kind] struct {
	basetypes.StringType
}

// String names the type.
func (t Type[K]) String() string {
	var k K
	return "customtypes." + k.name()
}

// ValueType returns a Value of the same kind.
func (t Type[K]) ValueType(context.Context) attr.Value { return Value[K]{} }

// Equal reports whether o is the same type.
func (t Type[K]) Equal(o attr.Type) bool {
	_, ok := o.(Type[K])
	return ok
}

// ValueFromString wraps a string value.
func (t Type[K]) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return Value[K]{StringValue: in}, nil
}

// ValueFromTerraform converts a Terraform value.
func (t Type[K]) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return Value[K]{StringValue: s}, nil
}

// Value is a string of kind K.
type Value[K kind] struct {
	basetypes.StringValue
}

// Type returns the value's Type.
func (v Value[K]) Type(context.Context) attr.Type { return Type[K]{} }

// Equal reports whether o is a value of the same kind with the same text (state comparisons
// stay textual; meaning is StringSemanticEquals').
func (v Value[K]) Equal(o attr.Value) bool {
	other, ok := o.(Value[K])
	return ok && v.StringValue.Equal(other.StringValue)
}

// StringSemanticEquals reports whether next means the same as v. A value that breaks the rule
// is never the same as another, so an invalid answer from a peer shows as a change.
func (v Value[K]) StringSemanticEquals(ctx context.Context, next basetypes.StringValuable) (bool, diag.Diagnostics) {
	var k K
	other, ok := next.(Value[K])
	if !ok {
		var diags diag.Diagnostics
		diags.AddError("Semantic equality check error", fmt.Sprintf("expected a %s, got %T; please report this bug", v.Type(ctx), next))
		return false, diags
	}
	a, b := v.ValueString(), other.ValueString()
	if a == b {
		return true, nil
	}
	if k.check(a) != nil || k.check(b) != nil {
		return false, nil
	}
	return k.same(ctx, a, b)
}

// stringOf is a known value of kind K holding s as given.
func stringOf[K kind](s string) Value[K] { return Value[K]{StringValue: basetypes.NewStringValue(s)} }
