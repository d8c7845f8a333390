package redact

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

func TestShortSecretsWholeWordsOnly(t *testing.T) {
	s := New("t", "p", "pw1", "a-long-secret-value")
	cases := map[string]string{ //nolint:gosec // redaction cases, not credentials
		"connector not found":                "connector not found",
		"token t rejected":                   "token [REDACTED] rejected",
		"t":                                  "[REDACTED]",
		"tt t tt":                            "tt [REDACTED] tt",
		"key=p;":                             "key=[REDACTED];",
		"pw1 and pw12 and xpw1":              "[REDACTED] and pw12 and xpw1",
		"inside-xa-long-secret-valuex-glued": "inside-x[REDACTED]x-glued",
		"é t é":                              "é [REDACTED] é",
		"ét":                                 "ét",
	}
	for in, want := range cases {
		if got := s.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// A peer may echo a secret JSON-escaped, or one line of a PEM key; Clean catches both, also when
// collapsing the white space joins the lines of the key.
func TestEchoedForms(t *testing.T) {
	pem := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n"
	s := New(`pa"ss<word>`, pem)
	for _, echo := range []string{
		`{"message":"bad password pa\"ss\u003cword\u003e"}`,
		`{"message":"bad password pa\"ss<word>"}`,
		"key line BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj rejected",
		"key " + strings.ReplaceAll(pem, "\n", "\r\n"),
		"key " + pem,
	} {
		got := s.Clean(echo, 500)
		if strings.Contains(got, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC") || strings.Contains(got, "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj") ||
			strings.Contains(got, `ss\u003cword`) || strings.Contains(got, "ss<word>") || !strings.Contains(got, Mark) {
			t.Errorf("Clean(%q) = %q", echo, got)
		}
	}
}

func TestPrintable(t *testing.T) {
	if got := Printable("a\x1b[31m\nb\u202ec\xff  d\u2028e", 100); got != "a [31m b c\uFFFD d e" {
		t.Errorf("Printable = %q", got)
	}
	if got := Printable(strings.Repeat("é", 10), 4); got != "éééé…" {
		t.Errorf("cut = %q", got)
	}
	if got := Printable("  abc   ", 3); got != "abc" {
		t.Errorf("trailing space = %q", got)
	}
}

func TestWithKeepsTheSetAndAdds(t *testing.T) {
	var none *Set
	if none.Redact("x secret-value") != "x secret-value" || New().Redact("a") != "a" {
		t.Error("an empty set changed text")
	}
	a := New("first-secret")
	if a.With("first-secret", "") != a {
		t.Error("With of known values made a new set")
	}
	b := a.With("second-secret")
	if got := b.Redact("first-secret second-secret"); got != Mark+" "+Mark {
		t.Errorf("b.Redact = %q", got)
	}
	if got := a.Redact("second-secret"); got != "second-secret" {
		t.Errorf("With changed its receiver: %q", got)
	}
}

func TestField(t *testing.T) {
	if Field("") != `""` || Field("x") != Hidden {
		t.Errorf("Field = %q, %q", Field(""), Field("x"))
	}
}

// NewContext masks the set in log messages and fields, and adds to a set already in ctx.
func TestNewContextMasksLogs(t *testing.T) {
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	ctx = NewContext(ctx, New("outer-secret-1"))
	ctx = NewContext(ctx, New("inner-secret-2"))
	if got := FromContext(ctx).Redact("outer-secret-1 inner-secret-2"); got != Mark+" "+Mark {
		t.Errorf("FromContext set = %q", got)
	}
	if FromContext(context.Background()) != nil {
		t.Error("a bare context has a set")
	}
	tflog.Debug(ctx, "saw outer-secret-1", map[string]any{"detail": "and inner-secret-2", "password": "any"})
	out := buf.String()
	if strings.Contains(out, "outer-secret-1") || strings.Contains(out, "inner-secret-2") || strings.Contains(out, `"any"`) {
		t.Errorf("log not masked: %s", out)
	}
	if !strings.Contains(out, "saw ***") {
		t.Errorf("log lost its message: %s", out)
	}
}
