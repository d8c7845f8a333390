package jiraapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
)

func TestParseOAuthProblem(t *testing.T) {
	cases := []struct {
		name                    string
		header                  []string
		body                    string
		wantProblem, wantAdvice string
	}{
		{"header and body", []string{`OAuth realm="https://j/jira", oauth_problem="token_rejected"`}, "oauth_problem=token_rejected&oauth_problem_advice=The+token+is+unknown", ProblemTokenRejected, "The token is unknown"},
		{"header wins", []string{`OAuth realm="x", oauth_problem="signature_invalid"`}, "oauth_problem=nonce_used", ProblemSignatureInvalid, ""},
		{"body only", nil, "oauth_problem=timestamp_refused&oauth_acceptable_timestamps=1-2", ProblemTimestampRefused, ""},
		{"basic challenge ignored", []string{`Basic realm="protected-area"`}, "authentication failed", "", ""},
		{"second challenge", []string{`Basic realm="x"`, `oauth oauth_problem=consumer_key_unknown, oauth_problem_advice="a%20b"`}, "", ProblemConsumerKeyUnknown, "a b"},
		{"escaped quote", []string{`OAuth oauth_problem="nonce_used", oauth_problem_advice="say \"hi\""`}, "", ProblemNonceUsed, `say "hi"`},
		{"junk problem sanitized", []string{`OAuth oauth_problem="tok<script>en"`}, "", "tokscripten", ""},
		{"OAuthX is another scheme", []string{`OAuthX oauth_problem="token_rejected"`}, "", "", ""},
		{"controls stripped", nil, "oauth_problem=x&oauth_problem_advice=a%1B%5B31m%0Ab%E2%80%AEc", "x", "a [31m b c"},
		{"empty", nil, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.header {
				h.Add("WWW-Authenticate", v)
			}
			p, a := ParseOAuthProblem(h, []byte(tc.body))
			if p != tc.wantProblem || a != tc.wantAdvice {
				t.Errorf("ParseOAuthProblem = %q, %q; want %q, %q", p, a, tc.wantProblem, tc.wantAdvice)
			}
		})
	}
}

func TestAdviceIsCapped(t *testing.T) {
	_, a := ParseOAuthProblem(nil, []byte("oauth_problem_advice="+strings.Repeat("é", 5000)))
	if n := utf8.RuneCountInString(a); n != maxAdviceRunes+1 || !strings.HasSuffix(a, "…") {
		t.Errorf("advice has %d runes: %q", n, a)
	}
}

func FuzzParseOAuthProblem(f *testing.F) {
	f.Add(`OAuth realm="x", oauth_problem="token_rejected"`, "oauth_problem=token_rejected&oauth_problem_advice=x")
	f.Add(`OAuth oauth_problem="a\`, "%zz&oauth_problem")
	f.Add(`oauth ,,=,"=`, "oauth_problem_advice=%E2%80%AE")
	f.Add("OAuth\toauth_problem=x,oauth_problem_advice=\"\\", "")
	f.Fuzz(func(t *testing.T, header, body string) {
		h := http.Header{"Www-Authenticate": {header}}
		p, a := ParseOAuthProblem(h, []byte(body))
		if len(p) > maxProblemLen {
			t.Errorf("problem too long: %d", len(p))
		}
		for _, c := range p {
			if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", c) {
				t.Errorf("problem has %q", c)
			}
		}
		if !utf8.ValidString(a) {
			t.Errorf("advice is not UTF-8: %q", a)
		}
		if utf8.RuneCountInString(a) > maxAdviceRunes+1 {
			t.Errorf("advice too long: %d runes", utf8.RuneCountInString(a))
		}
		for _, r := range a {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Errorf("advice has control/format rune %U", r)
			}
		}
	})
}

func TestErrorPredicates(t *testing.T) {
	gone := &OAuthError{Problem: ProblemTokenExpired}
	wrapped := fmt.Errorf("context: %w", gone)
	if !IsTokenGone(wrapped) {
		t.Error("IsTokenGone(wrapped token_expired) = false")
	}
	if IsTokenGone(&OAuthError{Problem: ProblemSignatureInvalid}) || IsTokenGone(errors.New("x")) || IsTokenGone(nil) {
		t.Error("IsTokenGone true for a non-gone error")
	}
	if !IsNotFound(fmt.Errorf("x: %w", &HTTPError{StatusCode: 404})) || IsNotFound(&HTTPError{StatusCode: 410}) {
		t.Error("IsNotFound wrong")
	}
	if IsNotFound(&OAuthError{StatusCode: 404}) {
		t.Error("IsNotFound true for an OAuthError")
	}
}

func TestOAuthErrorMessageIncludesAdvice(t *testing.T) {
	e := &OAuthError{Call: "c", StatusCode: 401, Problem: ProblemTimestampRefused, Advice: "server clock is 123"}
	s := e.Error()
	for _, want := range []string{"c: ", "5 minutes", "oauth_problem=timestamp_refused", "HTTP 401", "Jira says: server clock is 123"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
}

func TestJiraMessage(t *testing.T) {
	cases := map[string]string{
		`{"status":409,"message":"exists"}`:                "exists",
		`{"errorMessages":["a","b"]}`:                      "a; b",
		`{"errors":[{"message":"bad key"}]}`:               "bad key",
		`{"errors":{"rpcUrl":"invalid","name":["x","y"]}}`: "name: x, y; rpcUrl: invalid",
		`<html>nope</html>`:                                "",
	}
	for body, want := range cases {
		if got := jiraMessage(http.Header{}, []byte(body)); got != want {
			t.Errorf("jiraMessage(%s) = %q, want %q", body, got, want)
		}
	}
	if got := jiraMessage(http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, []byte("XSRF check failed\n")); got != "XSRF check failed" {
		t.Errorf("plain text = %q", got)
	}
}

func TestNew(t *testing.T) {
	hc, err := httpx.New(httpx.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]string{
		"https://jira.example.com":        "https://jira.example.com",
		"https://jira.example.com/":       "https://jira.example.com",
		"https://jira.example.com/jira/":  "https://jira.example.com/jira",
		"http://127.0.0.1:8080/jira//":    "http://127.0.0.1:8080/jira",
		" https://jira.example.com/jira ": "https://jira.example.com/jira",
	}
	for in, want := range good {
		c, err := New(in, hc)
		if err != nil {
			t.Errorf("New(%q): %v", in, err)
			continue
		}
		if c.BaseURL() != want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", in, c.BaseURL(), want)
		}
		if got := c.url(pathMyself); got != want+"/rest/api/2/myself" {
			t.Errorf("url = %q", got)
		}
	}
	for _, in := range []string{"", "jira.example.com", "ftp://jira.example.com", "https://", "https://j.example/?a=1", "https://j.example/#f", "https://user:" + secretMark + "@j.example/", "https://j.example/%zz"} {
		_, err := New(in, hc)
		if err == nil {
			t.Errorf("New(%q) succeeded", in)
			continue
		}
		assertNoSecret(t, err.Error())
	}
	if _, err := New("https://j.example", nil); err == nil {
		t.Error("New with nil httpx client succeeded")
	}
}
