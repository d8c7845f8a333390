package validators

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Terraform before 1.6 and OpenTofu show a diagnostic about an attribute inside an object (such
// as oauth1.consumer_key) only with the resource's line, not the attribute's. So every
// diagnostic the provider returns about an attribute starts its detail with the attribute's path:
// "oauth1.consumer_key: the consumer key has a space at position 5 …".

// AtPath returns detail prefixed with "<p>: ", unless it already starts with p's name.
func AtPath(p path.Path, detail string) string {
	name := p.String()
	if name == "" || strings.HasPrefix(detail, name+":") || strings.HasPrefix(detail, name+" ") {
		return detail
	}
	return name + ": " + detail
}

// PrefixPaths rewrites every diagnostic that carries an attribute path so that its detail starts
// with that path (AtPath). Diagnostics without a path are kept as they are.
func PrefixPaths(in diag.Diagnostics) diag.Diagnostics {
	if len(in) == 0 {
		return in
	}
	out := make(diag.Diagnostics, 0, len(in))
	for _, d := range in {
		wp, ok := d.(diag.DiagnosticWithPath)
		if !ok {
			out = append(out, d)
			continue
		}
		detail := AtPath(wp.Path(), d.Detail())
		if d.Severity() == diag.SeverityWarning {
			out = append(out, diag.NewAttributeWarningDiagnostic(wp.Path(), d.Summary(), detail))
		} else {
			out = append(out, diag.NewAttributeErrorDiagnostic(wp.Path(), d.Summary(), detail))
		}
	}
	return out
}

// Named wraps string validators (for example the framework's stringvalidator ones, whose
// messages start "Attribute basic.username string length …") so that their diagnostics start
// with the attribute's path.
func Named(vs ...validator.String) validator.String { return namedString(vs) }

// NamedInt64 is Named for int64 validators.
func NamedInt64(vs ...validator.Int64) validator.Int64 { return namedInt64(vs) }

type namedString []validator.String

func (n namedString) Description(ctx context.Context) string { return describe(ctx, n) }
func (n namedString) MarkdownDescription(ctx context.Context) string {
	return describeMarkdown(ctx, n)
}

func (n namedString) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	for _, v := range n {
		var inner validator.StringResponse
		v.ValidateString(ctx, req, &inner)
		resp.Diagnostics.Append(PrefixPaths(inner.Diagnostics)...)
	}
}

type namedInt64 []validator.Int64

func (n namedInt64) Description(ctx context.Context) string { return describe(ctx, n) }
func (n namedInt64) MarkdownDescription(ctx context.Context) string {
	return describeMarkdown(ctx, n)
}

func (n namedInt64) ValidateInt64(ctx context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	for _, v := range n {
		var inner validator.Int64Response
		v.ValidateInt64(ctx, req, &inner)
		resp.Diagnostics.Append(PrefixPaths(inner.Diagnostics)...)
	}
}

type described interface {
	Description(context.Context) string
	MarkdownDescription(context.Context) string
}

func describe[T described](ctx context.Context, vs []T) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.Description(ctx)
	}
	return strings.Join(parts, "; ")
}

func describeMarkdown[T described](ctx context.Context, vs []T) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.MarkdownDescription(ctx)
	}
	return strings.Join(parts, "; ")
}
