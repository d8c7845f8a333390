package jiraapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
)

const (
	testToken  = "at-" + secretMark + "-9"
	testSecret = "ats-" + secretMark + "-9"
)

func TestMyself(t *testing.T) {
	f := newFakeJira(t)
	u, err := f.client.Myself(context.Background(), testConsumer(t), testToken, testSecret)
	if err != nil {
		t.Fatalf("Myself: %v", err)
	}
	want := User{Name: "svc-align", Key: "svc-align", DisplayName: "Align Service", EmailAddress: "svc@example.com", Active: true}
	if *u != want {
		t.Errorf("Myself = %+v, want %+v", *u, want)
	}
}

func TestMyselfSignedWithToken(t *testing.T) {
	f := newFakeJira(t)
	f.on(pathMyself, func(w http.ResponseWriter, r *http.Request, n int) bool {
		p := oauthParams(r.Header.Get("Authorization"))
		if r.Method != http.MethodGet || p["oauth_token"] != testToken || p["oauth_consumer_key"] != testConsumerKey ||
			p["oauth_signature_method"] != "RSA-SHA1" || p["oauth_signature"] == "" || p["oauth_version"] != "1.0" {
			t.Errorf("myself request: %s %v", r.Method, p)
		}
		if n == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	if _, err := f.client.Myself(context.Background(), testConsumer(t), testToken, testSecret); err != nil {
		t.Fatalf("Myself: %v", err)
	}
	st := f.state()
	if f.count(pathMyself) != 2 || len(st.nonces) != 2 || st.nonces[0] == st.nonces[1] {
		t.Errorf("the retry was not re-signed with a fresh nonce: calls=%d nonces=%v", f.count(pathMyself), st.nonces)
	}
}

func TestMyselfTokenGone(t *testing.T) {
	for _, tc := range []struct {
		problem string
		gone    bool
	}{
		{ProblemTokenRejected, true},
		{ProblemTokenExpired, true},
		{ProblemConsumerKeyUnknown, true},
		{ProblemSignatureInvalid, false},
		{ProblemTimestampRefused, false},
	} {
		t.Run(tc.problem, func(t *testing.T) {
			f := newFakeJira(t)
			f.on(pathMyself, func(w http.ResponseWriter, r *http.Request, n int) bool {
				// A careless peer echoing the token in its advice must not leak it.
				writeOAuthProblem(w, http.StatusUnauthorized, tc.problem, "token "+testToken+" is bad")
				return true
			})
			_, err := f.client.Myself(context.Background(), testConsumer(t), testToken, testSecret)
			var oe *OAuthError
			if !errors.As(err, &oe) || oe.Problem != tc.problem || oe.StatusCode != http.StatusUnauthorized {
				t.Fatalf("err = %v, want OAuthError %s", err, tc.problem)
			}
			if IsTokenGone(err) != tc.gone {
				t.Errorf("IsTokenGone = %v, want %v", IsTokenGone(err), tc.gone)
			}
			if !strings.Contains(oe.Advice, redact.Mark) {
				t.Errorf("advice not scrubbed: %q", oe.Advice)
			}
			assertNoSecret(t, err.Error())
			if n := f.count(pathMyself); n != 1 {
				t.Errorf("calls = %d, want 1 (a 401 is not retried)", n)
			}
		})
	}
}

func TestMyselfNonceUsedRetriedOnce(t *testing.T) {
	f := newFakeJira(t)
	f.on(pathMyself, func(w http.ResponseWriter, r *http.Request, n int) bool {
		writeOAuthProblem(w, http.StatusUnauthorized, ProblemNonceUsed, "nonce seen")
		return true
	})
	_, err := f.client.Myself(context.Background(), testConsumer(t), testToken, testSecret)
	var oe *OAuthError
	if !errors.As(err, &oe) || oe.Problem != ProblemNonceUsed {
		t.Fatalf("err = %v", err)
	}
	if n := f.count(pathMyself); n != 2 {
		t.Errorf("calls = %d, want 2", n)
	}
}

func TestRevokeRequestShape(t *testing.T) {
	f := newFakeJira(t)
	f.on(pathAccessTokens, func(w http.ResponseWriter, r *http.Request, n int) bool {
		p := oauthParams(r.Header.Get("Authorization"))
		body := readBody(r)
		if r.Method != http.MethodPost || body != "action=revoke" ||
			r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.Header.Get("X-Atlassian-Token") != "no-check" ||
			p["oauth_token"] != testToken || p["oauth_consumer_key"] != testConsumerKey || p["oauth_signature"] == "" {
			t.Errorf("revoke request: %s %q %v %v", r.Method, body, r.Header, p)
		}
		if _, basic := r.Header["Authorization"]; basic && !strings.HasPrefix(r.Header.Get("Authorization"), "OAuth ") {
			t.Errorf("revoke carries non-OAuth credentials")
		}
		if n == 1 {
			http.Error(w, "oops", http.StatusInternalServerError)
			return true
		}
		w.WriteHeader(http.StatusNoContent)
		return true
	})
	if err := f.client.Revoke(context.Background(), testConsumer(t), testToken, testSecret); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	st := f.state()
	if f.count(pathAccessTokens) != 2 || st.nonces[0] == st.nonces[1] {
		t.Errorf("the retried revoke was not re-signed: calls=%d nonces=%v", f.count(pathAccessTokens), st.nonces)
	}
}

func TestRevokeAlreadyGoneIsSuccess(t *testing.T) {
	for _, problem := range []string{ProblemTokenRejected, ProblemTokenExpired, ProblemConsumerKeyUnknown} {
		t.Run(problem, func(t *testing.T) {
			f := newFakeJira(t)
			f.on(pathAccessTokens, func(w http.ResponseWriter, r *http.Request, n int) bool {
				writeOAuthProblem(w, http.StatusUnauthorized, problem, "gone")
				return true
			})
			if err := f.client.Revoke(context.Background(), testConsumer(t), testToken, testSecret); err != nil {
				t.Errorf("Revoke = %v, want nil for an already-gone token", err)
			}
		})
	}
}

func TestRevokeFailures(t *testing.T) {
	cases := []struct {
		name    string
		handler func(w http.ResponseWriter)
		check   func(t *testing.T, err error)
	}{
		{"signature invalid", func(w http.ResponseWriter) {
			writeOAuthProblem(w, http.StatusUnauthorized, ProblemSignatureInvalid, "bad signature")
		}, func(t *testing.T, err error) {
			var oe *OAuthError
			if !errors.As(err, &oe) || oe.Problem != ProblemSignatureInvalid || IsTokenGone(err) {
				t.Errorf("err = %v", err)
			}
		}},
		{"forbidden", func(w http.ResponseWriter) {
			http.Error(w, "XSRF check failed", http.StatusForbidden)
		}, func(t *testing.T, err error) {
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden {
				t.Errorf("err = %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJira(t)
			f.on(pathAccessTokens, func(w http.ResponseWriter, r *http.Request, n int) bool {
				tc.handler(w)
				return true
			})
			err := f.client.Revoke(context.Background(), testConsumer(t), testToken, testSecret)
			if err == nil {
				t.Fatal("Revoke succeeded")
			}
			tc.check(t, err)
			assertNoSecret(t, err.Error())
		})
	}
}

func TestSignedCallsValidateInput(t *testing.T) {
	f := newFakeJira(t)
	c := testConsumer(t)
	if _, err := f.client.Myself(context.Background(), c, "", testSecret); err == nil {
		t.Error("Myself with an empty token succeeded")
	}
	if err := f.client.Revoke(context.Background(), OAuthConsumer{Key: "k"}, testToken, testSecret); err == nil {
		t.Error("Revoke without a private key succeeded")
	}
	if n := f.count(pathMyself) + f.count(pathAccessTokens); n != 0 {
		t.Errorf("invalid input reached Jira %d times", n)
	}
}

func TestRedactingStringers(t *testing.T) {
	k, _ := keys(t)
	values := []any{
		BasicAuth{Username: "u", Password: approverPassword},
		OAuthConsumer{Key: testConsumerKey, PrivateKey: k},
		AccessToken{Token: testToken, Secret: testSecret, SessionHandle: "sh-" + secretMark},
	}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			s := fmt.Sprintf(verb, v)
			assertNoSecret(t, s, approverPassword, k.D.String())
			if strings.Contains(s, k.D.String()[:20]) {
				t.Errorf("%s of %T prints the private key", verb, v)
			}
		}
	}
	if s := (BasicAuth{Username: "alice", Password: "x"}).String(); !strings.Contains(s, "alice") || !strings.Contains(s, "<redacted>") {
		t.Errorf("BasicAuth.String = %q", s)
	}
}
