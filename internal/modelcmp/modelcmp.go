// Package modelcmp compares terraform-plugin-framework models (structs of attr.Value fields and
// pointers to nested model structs) without going through the framework's reflection.
//
// A resource's Read uses it to skip State.Set when the refreshed model equals the state it was
// given: the framework has already copied that state into the response, and State.Set converts
// the whole model by reflection (and, in terraform-plugin-framework v1.19, compiles a regular
// expression per struct field), which was the largest cost of a refresh that changed nothing.
package modelcmp

import (
	"reflect"

	"github.com/hashicorp/terraform-plugin-framework/attr"
)

var attrValue = reflect.TypeFor[attr.Value]()

// Equal reports whether a and b are values of the same model type whose attribute values are
// all equal (attr.Value.Equal; nested models through pointers, nil equal only to nil). A field
// of any other kind makes the models unequal, so a caller falls back to writing the state.
func Equal(a, b any) bool {
	return equal(reflect.ValueOf(a), reflect.ValueOf(b))
}

func equal(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() || a.Type() != b.Type() || !a.CanInterface() {
		return false
	}
	if a.Type().Implements(attrValue) && a.Kind() != reflect.Pointer && a.Kind() != reflect.Interface {
		return a.Interface().(attr.Value).Equal(b.Interface().(attr.Value))
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() && b.IsNil()
		}
		return equal(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !equal(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return false
}
