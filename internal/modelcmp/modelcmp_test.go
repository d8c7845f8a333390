package modelcmp

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type inner struct {
	U types.String `tfsdk:"u"`
	V types.Int64  `tfsdk:"v"`
}

type model struct {
	ID    types.String `tfsdk:"id"`
	N     types.Int64  `tfsdk:"n"`
	M     types.Map    `tfsdk:"m"`
	Inner *inner       `tfsdk:"inner"`
}

func base() model {
	return model{
		ID: types.StringValue("1"), N: types.Int64Value(3),
		M:     types.MapValueMust(types.StringType, map[string]attr.Value{"k": types.StringValue("v")}),
		Inner: &inner{U: types.StringValue("u"), V: types.Int64Null()},
	}
}

func TestEqual(t *testing.T) {
	a, b := base(), base()
	if !Equal(a, b) {
		t.Fatal("equal models reported different")
	}
	changes := map[string]func(m *model){
		"string":       func(m *model) { m.ID = types.StringValue("2") },
		"null":         func(m *model) { m.N = types.Int64Null() },
		"unknown":      func(m *model) { m.N = types.Int64Unknown() },
		"map":          func(m *model) { m.M = types.MapNull(types.StringType) },
		"nested":       func(m *model) { m.Inner.V = types.Int64Value(1) },
		"nested gone":  func(m *model) { m.Inner = nil },
		"nested value": func(m *model) { m.Inner = &inner{U: types.StringValue("x"), V: types.Int64Null()} },
	}
	for name, change := range changes {
		c := base()
		change(&c)
		if Equal(a, c) || Equal(c, a) {
			t.Errorf("%s: a change went unnoticed", name)
		}
	}
	if Equal(a, &b) || Equal(a, 1) || Equal(nil, nil) {
		t.Error("values of different types compared equal")
	}
	type odd struct{ X int }
	if Equal(odd{1}, odd{1}) {
		t.Error("a non-attribute field must make Equal false (callers then write the state)")
	}
}
