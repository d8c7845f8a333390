package jiraapi

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzAccessTokenLifetime fuzzes the reading of the access-token response
// (docs/guides/http-calls.md, "Access token"): the form-encoded body is parsed as accessToken
// parses it, and both lifetimes go through lifetime. FuzzParseOAuthProblem (errors_test.go)
// covers the OAuth error responses. Seed corpora live in testdata/fuzz/<target>/ and run as
// ordinary tests with `go test`; internal/devtools/fuzz.sh fuzzes each target for a bounded time.
func FuzzAccessTokenLifetime(f *testing.F) {
	for _, s := range []string{
		"oauth_token=t&oauth_token_secret=s&oauth_expires_in=157680000&oauth_session_handle=h&oauth_authorization_expires_in=160272000",
		"oauth_token=t&oauth_token_secret=s",
		"oauth_expires_in=0", "oauth_expires_in=-1", "oauth_expires_in=+5", "oauth_expires_in=1e9", "oauth_expires_in=%20300",
		"oauth_expires_in=9223372036854775807", "oauth_expires_in=9223372036854775808", "oauth_expires_in=3153600000",
		"oauth_expires_in=3153599999", "oauth_expires_in=" + strings.Repeat("9", 80), "oauth_expires_in=%1B%5B31m%E2%80%AE",
		"oauth_expires_in=1&oauth_expires_in=x", "oauth_expires_in=1;oauth_authorization_expires_in=2", "oauth_expires_in=%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		vals, _ := url.ParseQuery(body) // as accessToken does: keep what parses
		for _, name := range []string{paramExpiresIn, paramAuthorizationExpireIn} {
			raw := vals.Get(name)
			d, ok, err := lifetime(vals, name)
			if err != nil {
				if ok || d != 0 {
					t.Fatalf("lifetime(%q) = %v, %v with error %v", raw, d, ok, err)
				}
				msg := err.Error()
				if !utf8.ValidString(msg) || len(msg) > 300 {
					t.Fatalf("error is not a short UTF-8 message: %q", msg)
				}
				for _, r := range msg {
					if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
						t.Fatalf("error has control/format rune %U: %q", r, msg)
					}
				}
				if len(raw) > 32 && strings.Contains(msg, raw) {
					t.Fatalf("error quotes the whole %d-byte value: %q", len(raw), msg)
				}
				if !strings.Contains(msg, name) {
					t.Fatalf("error does not name %s: %q", name, msg)
				}
				continue
			}
			if raw == "" {
				if ok || d != 0 {
					t.Fatalf("absent %s gave %v, %v", name, d, ok)
				}
				continue
			}
			// Present and accepted: a positive whole number of seconds, capped.
			n, perr := strconv.ParseInt(raw, 10, 64)
			if !ok || perr != nil || n <= 0 {
				t.Fatalf("lifetime accepted %s=%q (ParseInt: %d, %v) as %v, %v", name, raw, n, perr, d, ok)
			}
			if d <= 0 || d > maxLifetime || d%time.Second != 0 {
				t.Fatalf("lifetime(%q) = %v: not a positive whole number of seconds up to %v", raw, d, maxLifetime)
			}
			if d < maxLifetime && d != time.Duration(n)*time.Second {
				t.Fatalf("lifetime(%q) = %v, want %d s", raw, d, n)
			}
			// The expiry computed from it cannot overflow.
			if exp := time.Now().Add(d); !exp.After(time.Now()) {
				t.Fatalf("expiry %v from lifetime %v is not in the future", exp, d)
			}
		}
	})
}
