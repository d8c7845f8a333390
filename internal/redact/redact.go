// Package redact keeps secrets out of everything the provider prints: log lines, error messages
// and diagnostics.
//
// A Set holds the secrets of one operation (the provider's credentials plus those of the plan at
// hand) in every form a peer might echo them in. The provider builds it once per operation and
// puts it in the context with NewContext, which also masks it in every tflog line written under
// that context. The clients take it back with FromContext, add the few values only they see (a
// request token, a verifier) with With, and pass the text a peer sent through Clean before it
// reaches an error.
package redact

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Mark replaces a secret inside text.
const Mark = "[REDACTED]"

// Hidden stands for the value of a secret field when a value that holds secrets prints itself
// (String and GoString methods).
const Hidden = "<redacted>"

// Field is what a String method prints for a secret field: Hidden, or `""` when the secret is
// empty (an unset secret is no secret, and saying so helps debugging).
func Field(secret string) string {
	if secret == "" {
		return `""`
	}
	return Hidden
}

// shortSecret is the length under which a secret is redacted only where it stands as a whole
// word: replacing a one-letter test password inside every word would garble the message, while a
// secret this short standing alone is still caught.
const shortSecret = 8

// Set is the secrets of one operation. The zero value and nil hold none. A Set never changes:
// With returns a new one.
type Set struct {
	values []string // as given, for With's duplicate check
	forms  []string // every form to remove, longest first
}

// New returns the set of the given secrets; empty strings are ignored.
func New(secrets ...string) *Set { return (*Set)(nil).With(secrets...) }

// With returns the set plus the given secrets (s itself when they are all known or empty).
func (s *Set) With(secrets ...string) *Set {
	var values, forms []string
	if s != nil {
		values, forms = s.values, s.forms
	}
	var added []string
	for _, v := range secrets {
		if v != "" && !slices.Contains(values, v) && !slices.Contains(added, v) {
			added = append(added, v)
		}
	}
	if len(added) == 0 && s != nil {
		return s
	}
	out := &Set{values: append(slices.Clip(values), added...), forms: slices.Clone(forms)}
	for _, v := range added {
		for _, f := range formsOf(v) {
			if !slices.Contains(out.forms, f) {
				out.forms = append(out.forms, f)
			}
		}
	}
	slices.SortStableFunc(out.forms, func(a, b string) int { return len(b) - len(a) })
	return out
}

// formsOf lists the forms of a secret a peer may echo: as it is, trimmed, JSON-escaped (with
// and without HTML escaping), and each long line of a multi-line secret (a PEM key echoed in
// part).
func formsOf(secret string) []string {
	forms := []string{secret, strings.TrimSpace(secret)}
	for _, esc := range []bool{true, false} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(esc)
		if enc.Encode(secret) == nil {
			q := strings.TrimSpace(buf.String())
			forms = append(forms, strings.TrimSuffix(strings.TrimPrefix(q, `"`), `"`))
		}
	}
	if strings.ContainsAny(secret, "\r\n") {
		for _, line := range strings.FieldsFunc(secret, func(r rune) bool { return r == '\n' || r == '\r' }) {
			line = strings.TrimSpace(line)
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				forms = append(forms, line)
			}
		}
	}
	return slices.DeleteFunc(forms, func(f string) bool { return f == "" })
}

// Redact replaces every secret of the set in text with Mark; a secret shorter than 8 bytes only
// where it stands as a whole word.
func (s *Set) Redact(text string) string {
	if s == nil {
		return text
	}
	for _, sec := range s.forms {
		if !strings.Contains(text, sec) {
			continue
		}
		if len(sec) >= shortSecret {
			text = strings.ReplaceAll(text, sec, Mark)
		} else {
			text = replaceWord(text, sec, Mark)
		}
	}
	return text
}

// Clean makes text a peer sent fit for an error message: secrets redacted, then Printable.
func (s *Set) Clean(text string, maxRunes int) string {
	// Collapsing white space can join the lines of a secret: redact once more after it.
	return s.Redact(Printable(s.Redact(text), maxRunes))
}

// Printable makes text a peer sent safe to show: invalid UTF-8, control and format characters
// (bidi overrides among them) and line breaks become single spaces, and the text is cut at
// maxRunes runes, a cut marked with "…".
func Printable(text string, maxRunes int) string {
	var b strings.Builder
	space := false
	n := 0
	for i, w := 0, 0; i < len(text); i += w {
		r, size := utf8.DecodeRuneInString(text[i:])
		w = size
		if r == utf8.RuneError && size == 1 {
			r = '\uFFFD'
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			space = b.Len() > 0
			continue
		}
		if space && n < maxRunes {
			b.WriteByte(' ') // counted like any rune, so that the cut below still holds
			n++
		}
		space = false
		if n >= maxRunes {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// replaceWord replaces the occurrences of word not adjacent to a letter or digit.
func replaceWord(text, word, with string) string {
	var b strings.Builder
	done := 0 // text[:done] is written
	for from := 0; from < len(text); {
		i := strings.Index(text[from:], word)
		if i < 0 {
			break
		}
		i += from
		end := i + len(word)
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if i > 0 && isWordRune(before) || end < len(text) && isWordRune(after) {
			_, n := utf8.DecodeRuneInString(text[i:])
			from = i + n
			continue
		}
		b.WriteString(text[done:i])
		b.WriteString(with)
		done, from = end, end
	}
	b.WriteString(text[done:])
	return b.String()
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

type contextKey struct{}

// NewContext returns ctx carrying s (added to any set ctx already carries), with every form of
// its secrets masked in the tflog lines written under it. Log fields named like a credential,
// PEM blocks and OAuth header values are masked whatever their value.
func NewContext(ctx context.Context, s *Set) context.Context {
	s = FromContext(ctx).With(s.secrets()...)
	ctx = context.WithValue(ctx, contextKey{}, s)
	ctx = tflog.MaskAllFieldValuesStrings(ctx, s.forms...)
	ctx = tflog.MaskMessageStrings(ctx, s.forms...)
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, sensitiveLogKeys...)
	ctx = tflog.MaskAllFieldValuesRegexes(ctx, pemBlock, oauthHeaderValue)
	return tflog.MaskMessageRegexes(ctx, pemBlock, oauthHeaderValue)
}

// FromContext returns the set NewContext put in ctx; nil (no secrets) when there is none.
func FromContext(ctx context.Context) *Set {
	s, _ := ctx.Value(contextKey{}).(*Set)
	return s
}

func (s *Set) secrets() []string {
	if s == nil {
		return nil
	}
	return s.values
}

var (
	sensitiveLogKeys = []string{"password", "token", "token_secret", "private_key_pem", "api_token", "authorization", "access_token", "access_token_secret", "oauth_verifier"}
	pemBlock         = regexp.MustCompile(`-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----`)
	oauthHeaderValue = regexp.MustCompile(`(oauth_(?:token|signature|verifier|token_secret)="?)[^",&\s]+`)
)
