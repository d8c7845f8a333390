package jiraapi

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
)

var testApprover = BasicAuth{Username: approverName, Password: approverPassword}

func TestHandshakeApprovalRequestShape(t *testing.T) {
	f := newFakeJira(t)
	before := time.Now()
	tok, err := f.handshake(t)
	if err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if tok.Token != "at-"+secretMark+"-1" || tok.Secret != "ats-"+secretMark+"-1" || tok.SessionHandle != "sh-"+secretMark {
		t.Errorf("token = %+v", *tok)
	}
	if len(f.state().approvals) != 1 {
		t.Fatalf("approvals = %d, want 1", len(f.state().approvals))
	}
	a := f.state().approvals[0]
	if a.method != http.MethodPost {
		t.Errorf("approval method = %s", a.method)
	}
	if a.contentType != "application/x-www-form-urlencoded" {
		t.Errorf("approval Content-Type = %q", a.contentType)
	}
	if a.xsrf != "no-check" {
		t.Errorf("approval X-Atlassian-Token = %q", a.xsrf)
	}
	if !a.basicOK || a.user != approverName || a.pass != approverPassword {
		t.Errorf("approval Basic auth = %v %q", a.basicOK, a.user)
	}
	if want := "oauth_token=rt-" + secretMark + "-1&approve=Allow"; a.body != want {
		t.Errorf("approval body = %q, want %q", a.body, want)
	}
	// The request token carried the callback (with its own query) as oauth_callback.
	if cb := f.state().callbacks["rt-"+secretMark+"-1"]; cb != f.callbackURL() {
		t.Errorf("oauth_callback = %q, want %q", cb, f.callbackURL())
	}
	// The verifier read from the Location (after the callback's own x=1) was sent once.
	if n := f.state().verifierSent["ver-"+secretMark+"-1"]; n != 1 {
		t.Errorf("verifier sent %d times, want 1", n)
	}
	if f.count("/cb") != 0 {
		t.Error("callback was hit")
	}
	if d := tok.ExpiresAt.Sub(before); d < 157680000*time.Second-time.Minute || d > 157680000*time.Second+time.Minute {
		t.Errorf("ExpiresAt is %s from now, want about 157680000 s", d)
	}
	if d := tok.AuthorizationExpiresAt.Sub(before); d < 160272000*time.Second-time.Minute || d > 160272000*time.Second+time.Minute {
		t.Errorf("AuthorizationExpiresAt is %s from now, want about 160272000 s", d)
	}
	if s := tok.String(); strings.Contains(s, secretMark) {
		t.Errorf("AccessToken.String leaks: %s", s)
	}
}

func TestHandshakeExpiryFields(t *testing.T) {
	cases := []struct {
		name       string
		extra      string
		wantExp    time.Duration
		wantAuth   time.Duration // 0: zero time
		wantHandle string
	}{
		{"absent", "", DefaultAccessTokenLifetime, 0, ""},
		{"short", "&oauth_expires_in=3600", time.Hour, 0, ""},
		{"all", "&oauth_expires_in=7200&oauth_session_handle=h1&oauth_authorization_expires_in=86400", 2 * time.Hour, 24 * time.Hour, "h1"},
		{"huge is capped", "&oauth_expires_in=99999999999999", maxLifetime, 0, ""},
		// A line break that ends the answer is framing, not part of the last value: the token
		// secret (last when the optional fields are absent) comes out without it.
		{"secret last, CRLF", "\r\n", DefaultAccessTokenLifetime, 0, ""},
		{"secret last, LF", "\n", DefaultAccessTokenLifetime, 0, ""},
		{"session lifetime last, LF", "&oauth_expires_in=3600&oauth_authorization_expires_in=86400\n", time.Hour, 24 * time.Hour, ""},
		// The session lifetime is informational: one that does not parse is ignored.
		{"unreadable session lifetime", "&oauth_expires_in=3600&oauth_authorization_expires_in=later", time.Hour, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJira(t)
			f.accessExtra = tc.extra
			before := time.Now()
			tok, err := f.handshake(t)
			if err != nil {
				t.Fatalf("Handshake: %v", err)
			}
			after := time.Now()
			if tok.Token != "at-"+secretMark+"-1" || tok.Secret != "ats-"+secretMark+"-1" {
				t.Errorf("token %q, secret %q; want at-%[3]s-1 and ats-%[3]s-1", tok.Token, tok.Secret, secretMark)
			}
			if tok.ExpiresAt.Before(before.Add(tc.wantExp)) || tok.ExpiresAt.After(after.Add(tc.wantExp)) {
				t.Errorf("ExpiresAt = %s, want now + %s", tok.ExpiresAt, tc.wantExp)
			}
			if tc.wantAuth == 0 && !tok.AuthorizationExpiresAt.IsZero() {
				t.Errorf("AuthorizationExpiresAt = %s, want zero", tok.AuthorizationExpiresAt)
			}
			if tc.wantAuth != 0 && (tok.AuthorizationExpiresAt.Before(before.Add(tc.wantAuth)) || tok.AuthorizationExpiresAt.After(after.Add(tc.wantAuth))) {
				t.Errorf("AuthorizationExpiresAt = %s, want now + %s", tok.AuthorizationExpiresAt, tc.wantAuth)
			}
			if tok.SessionHandle != tc.wantHandle {
				t.Errorf("SessionHandle = %q, want %q", tok.SessionHandle, tc.wantHandle)
			}
			if len(f.revokedTokens()) != 0 {
				t.Errorf("a successful handshake revoked %v", f.revokedTokens())
			}
		})
	}
}

// A malformed expiry field fails the handshake after Jira issued the token: the token must be
// revoked, not left orphaned.
func TestHandshakeInvalidExpiryRevokesToken(t *testing.T) {
	f := newFakeJira(t)
	f.accessExtra = "&oauth_expires_in=soon"
	_, err := f.handshake(t)
	if err == nil || !strings.Contains(err.Error(), "oauth_expires_in") || !strings.Contains(err.Error(), "was revoked") {
		t.Fatalf("err = %v, want an invalid oauth_expires_in error saying the token was revoked", err)
	}
	assertNoSecret(t, err.Error())
	if got := f.revokedTokens(); len(got) != 1 || got[0] != "at-"+secretMark+"-1" {
		t.Errorf("revoked = %v, want the issued token", got)
	}
	if got := f.state().revokeBodies; len(got) != 1 || got[0] != "action=revoke" {
		t.Errorf("revoke bodies = %q", got)
	}
}

// A context cancelled right after Jira issued the token: the handshake fails with the context
// error and revokes the token with a fresh context.
func TestHandshakeCancelledAfterTokenRevokes(t *testing.T) {
	f := newFakeJira(t)
	ctx := endedOnceContext{Context: context.Background(), ended: func() bool { return f.count(pathAccessToken) > 0 }}
	_, err := f.client.Handshake(ctx, testConsumer(t), testApprover, f.callbackURL())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertNoSecret(t, err.Error())
	if got := f.revokedTokens(); len(got) != 1 || got[0] != "at-"+secretMark+"-1" {
		t.Errorf("revoked = %v, want the issued token", got)
	}
}

// endedOnceContext reports itself cancelled (Err is context.Canceled) as soon as ended is true,
// while its Done channel never closes. With ended true once Jira has received the access-token
// exchange, the answer already on its way is still read in full, and the client first finds its
// context ended right after Jira issued the token: the moment an interrupt can land. A cancel
// from Jira's handler instead would race the client's read of the answer.
type endedOnceContext struct {
	context.Context
	ended func() bool
}

func (c endedOnceContext) Err() error {
	if c.ended() {
		return context.Canceled
	}
	return c.Context.Err()
}

// A context that ends while the access-token exchange is on its way (an interrupt, a CLI that
// died): Jira's answer, arriving within exchangeGrace, is still read, and the token it carries
// is revoked instead of being left live. An answer later than the grace is not waited for.
func TestHandshakeCancelledDuringExchange(t *testing.T) {
	for _, c := range []struct {
		name    string
		answer  time.Duration
		revoked bool
		want    string
	}{
		{name: "answer within the grace", answer: 300 * time.Millisecond, revoked: true, want: "was revoked"},
		{name: "answer after the grace", answer: exchangeGrace + time.Second, want: "Jira may have issued an access token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeJira(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f.on(pathAccessToken, func(w http.ResponseWriter, r *http.Request, n int) bool {
				cancel() // the caller gives up once the exchange reached Jira
				select {
				case <-time.After(c.answer):
				case <-r.Context().Done():
				}
				f.accessToken(w, r, n) // Jira issues the token whether or not the client is still there
				return true
			})
			start := time.Now()
			_, err := f.client.Handshake(ctx, testConsumer(t), testApprover, f.callbackURL())
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want context.Canceled saying %q", err, c.want)
			}
			assertNoSecret(t, err.Error())
			if d := time.Since(start); d > exchangeGrace+time.Second {
				t.Errorf("Handshake took %s, beyond the grace of %s", d, exchangeGrace)
			}
			got := f.revokedTokens()
			if c.revoked && (len(got) != 1 || got[0] != "at-"+secretMark+"-1") {
				t.Errorf("revoked = %v, want the token issued during the grace", got)
			}
			if !c.revoked && len(got) != 0 {
				t.Errorf("revoked = %v, want none (the answer never arrived)", got)
			}
		})
	}
}

func TestHandshakeContextCancelledDuringApproval(t *testing.T) {
	f := newFakeJira(t)
	f.on(pathAuthorize, func(w http.ResponseWriter, r *http.Request, n int) bool {
		<-r.Context().Done()        // hang until the client gives up,
		panic(http.ErrAbortHandler) // then drop the connection without an answer
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.client.Handshake(ctx, testConsumer(t), testApprover, f.callbackURL())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Handshake took %s after the deadline", d)
	}
	if n := f.count(pathRequestToken); n != 1 {
		t.Errorf("request tokens = %d, want 1 (no restart after cancellation)", n)
	}
	if n := f.count(pathAccessToken); n != 0 {
		t.Errorf("access-token calls = %d, want 0", n)
	}
}

func TestHandshakeContextAlreadyCancelled(t *testing.T) {
	f := newFakeJira(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.client.Handshake(ctx, testConsumer(t), testApprover, f.callbackURL())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := f.count(pathRequestToken); n != 0 {
		t.Errorf("request tokens = %d, want 0", n)
	}
}

// A 502 on the access-token call restarts the handshake from a new request token; the first
// verifier is never sent again.
func TestHandshakeAccessToken502Restarts(t *testing.T) {
	f := newFakeJira(t)
	f.onFirst(pathAccessToken, func(w http.ResponseWriter, r *http.Request) {
		p := oauthParams(r.Header.Get("Authorization"))
		f.mu.Lock()
		f.verifierSent[p["oauth_verifier"]]++
		f.mu.Unlock()
		http.Error(w, "bad gateway", http.StatusBadGateway)
	})
	tok, err := f.handshake(t)
	if err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if tok.Token != "at-"+secretMark+"-2" {
		t.Errorf("token = %q, want the second one", tok.Token)
	}
	if n := f.count(pathRequestToken); n != 2 {
		t.Errorf("request tokens = %d, want 2 (restart from a new request token)", n)
	}
	if n := f.count(pathAccessToken); n != 2 {
		t.Errorf("access-token calls = %d, want 2", n)
	}
	if len(f.state().verifierSent) != 2 {
		t.Errorf("distinct verifiers sent = %v, want 2", f.state().verifierSent)
	}
	for v, n := range f.state().verifierSent {
		if n != 1 {
			t.Errorf("verifier %s sent %d times", v, n)
		}
	}
}

// A network failure on the access-token call (connection closed after the request was sent)
// also restarts instead of replaying the verifier.
func TestHandshakeAccessTokenConnectionLostRestarts(t *testing.T) {
	f := newFakeJira(t)
	f.onFirst(pathAccessToken, func(w http.ResponseWriter, r *http.Request) {
		hijackClose(t, w)
	})
	if _, err := f.handshake(t); err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if n := f.count(pathRequestToken); n != 2 {
		t.Errorf("request tokens = %d, want 2", n)
	}
	if n := f.count(pathAccessToken); n != 2 {
		t.Errorf("access-token calls = %d, want 2 (one per verifier)", n)
	}
}

// Restarts are bounded: an access-token endpoint that always fails ends the handshake.
func TestHandshakeRestartsBounded(t *testing.T) {
	f := newFakeJira(t)
	f.on(pathAccessToken, func(w http.ResponseWriter, r *http.Request, n int) bool {
		http.Error(w, "unavailable", http.StatusInternalServerError)
		return true
	})
	_, err := f.handshake(t)
	if err == nil || !strings.Contains(err.Error(), "did not complete after 4 attempts") {
		t.Fatalf("err = %v, want a bounded-restarts error", err)
	}
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusInternalServerError {
		t.Errorf("err does not wrap the last HTTP 500: %v", err)
	}
	if n := f.count(pathRequestToken); n != maxHandshakeAttempts {
		t.Errorf("request tokens = %d, want %d", n, maxHandshakeAttempts)
	}
	assertNoSecret(t, err.Error())
}

func TestHandshakeRequestToken429RetryAfter(t *testing.T) {
	f := newFakeJira(t)
	f.onFirst(pathRequestToken, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	start := time.Now()
	if _, err := f.handshake(t); err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("Handshake took %s: Retry-After: 1 was not honoured", d)
	}
	if n := f.count(pathRequestToken); n != 2 {
		t.Errorf("request tokens = %d, want 2", n)
	}
	// Each attempt was signed anew.
	if f.state().nonces[0] == f.state().nonces[1] {
		t.Error("the retried request token reused its nonce")
	}
}

func TestHandshakeRequestToken5xxRetriedThenFails(t *testing.T) {
	f := newFakeJira(t)
	f.on(pathRequestToken, func(w http.ResponseWriter, r *http.Request, n int) bool {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return true
	})
	_, err := f.handshake(t)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want an HTTPError 503", err)
	}
	if n := f.count(pathRequestToken); n != 4 { // 1 + MaxRetries(3)
		t.Errorf("request tokens = %d, want 4", n)
	}
}

// Each OAuth problem on the request-token call gives the actionable message, without secrets.
func TestHandshakeOAuthProblemMessages(t *testing.T) {
	cases := []struct {
		problem string
		want    []string
		calls   int
	}{
		{ProblemConsumerKeyUnknown, []string{`Jira does not know consumer key "JiraAlignTest": register it as the incoming consumer of a jira_application_link (consumer.consumer_key) before requesting a token`}, 1},
		{ProblemSignatureInvalid, []string{`Jira rejected the signature for consumer "JiraAlignTest": the private key does not match the public key registered for that consumer (check private_key_pem against the application link's consumer.public_key_pem)`}, 1},
		{ProblemTimestampRefused, []string{"clocks of this machine and Jira differ by more than 5 minutes", "clock skew", "NTP"}, 1},
		{ProblemSignatureMethodRejected, []string{"RSA-SHA1"}, 1},
		{ProblemNonceUsed, []string{"nonce", "fresh signature"}, 2},
		{"something_new", []string{"oauth_problem=something_new"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.problem, func(t *testing.T) {
			f := newFakeJira(t)
			f.on(pathRequestToken, func(w http.ResponseWriter, r *http.Request, n int) bool {
				// The advice carries control characters and is long: it must be sanitized and capped.
				writeOAuthProblem(w, http.StatusUnauthorized, tc.problem, "advice\x1b[31m\nline2 "+strings.Repeat("x", 1000))
				return true
			})
			_, err := f.handshake(t)
			var oe *OAuthError
			if !errors.As(err, &oe) {
				t.Fatalf("err = %v, want *OAuthError", err)
			}
			if oe.Problem != tc.problem || oe.StatusCode != http.StatusUnauthorized || oe.Consumer != testConsumerKey {
				t.Errorf("OAuthError = %+v", oe)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err.Error(), w)
				}
			}
			if strings.ContainsAny(err.Error(), "\x1b\n") {
				t.Errorf("message carries control characters: %q", err.Error())
			}
			if len(oe.Advice) > 4*maxAdviceRunes+10 {
				t.Errorf("advice not capped: %d bytes", len(oe.Advice))
			}
			assertNoSecret(t, err.Error(), approverPassword)
			if n := f.count(pathRequestToken); n != tc.calls {
				t.Errorf("request-token calls = %d, want %d", n, tc.calls)
			}
			if IsTokenGone(err) != (tc.problem == ProblemConsumerKeyUnknown) {
				t.Errorf("IsTokenGone = %v", IsTokenGone(err))
			}
		})
	}
}

func TestHandshakeNonceUsedOnceThenSucceeds(t *testing.T) {
	f := newFakeJira(t)
	f.onFirst(pathRequestToken, func(w http.ResponseWriter, r *http.Request) {
		writeOAuthProblem(w, http.StatusUnauthorized, ProblemNonceUsed, "nonce seen")
	})
	if _, err := f.handshake(t); err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if f.count(pathRequestToken) != 2 || f.state().nonces[0] == f.state().nonces[1] {
		t.Errorf("nonce_used was not retried with a fresh nonce: %d calls", f.count(pathRequestToken))
	}
}

func TestHandshakeApprovalErrors(t *testing.T) {
	cases := []struct {
		name     string
		approver BasicAuth
		handler  func(w http.ResponseWriter, r *http.Request, n int) bool
		want     []string
		status   int
	}{
		{
			name:     "bad credentials",
			approver: BasicAuth{Username: approverName, Password: "wrong-" + secretMark},
			want:     []string{`Jira rejected the approving user's credentials (approver "svc-align"): check jira_username/jira_password (JIRA_USERNAME/JIRA_PASSWORD) or approver_username/approver_password_wo`},
			status:   http.StatusUnauthorized,
		},
		{
			name:     "xsrf",
			approver: testApprover,
			handler: func(w http.ResponseWriter, r *http.Request, n int) bool {
				http.Error(w, "XSRF check failed", http.StatusForbidden)
				return true
			},
			want:   []string{"XSRF", `"svc-align"`},
			status: http.StatusForbidden,
		},
		{
			name:     "denied",
			approver: testApprover,
			handler: func(w http.ResponseWriter, r *http.Request, n int) bool {
				vals, _ := url.ParseQuery(readBody(r))
				w.Header().Set("Location", "https://align.example/cb?x=1&oauth_token="+vals.Get("oauth_token")+"&oauth_problem=permission_denied")
				w.WriteHeader(http.StatusFound)
				return true
			},
			want: []string{`the approving Jira user "svc-align" denied access to consumer "JiraAlignTest"`},
		},
		{
			// A 307 carrying a perfectly good verifier is still not the approval: only a 302
			// is. The error names the status and where it pointed, never the token.
			name:     "307 with a verifier",
			approver: testApprover,
			handler: func(w http.ResponseWriter, r *http.Request, n int) bool {
				vals, _ := url.ParseQuery(readBody(r))
				w.Header().Set("Location", "https://Align.Example:8443/cb?x=1&oauth_token="+vals.Get("oauth_token")+"&oauth_verifier=ver-"+secretMark)
				w.WriteHeader(http.StatusTemporaryRedirect)
				return true
			},
			want:   []string{"HTTP 307 Temporary Redirect to https://Align.Example:8443 instead of the 302 Found that carries the verifier", "jira_url"},
			status: http.StatusTemporaryRedirect,
		},
		{
			name:     "308 on the same server",
			approver: testApprover,
			handler: func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.Header().Set("Location", "/jira/plugins/servlet/oauth/authorize?oauth_token=rt-"+secretMark)
				w.WriteHeader(http.StatusPermanentRedirect)
				return true
			},
			want:   []string{"HTTP 308 Permanent Redirect to a page of the same server instead of the 302 Found"},
			status: http.StatusPermanentRedirect,
		},
		{
			name:     "303 without Location",
			approver: testApprover,
			handler: func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.WriteHeader(http.StatusSeeOther)
				return true
			},
			want:   []string{"HTTP 303 See Other instead of the 302 Found"},
			status: http.StatusSeeOther,
		},
		{
			name:     "login page",
			approver: testApprover,
			handler: func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.Header().Set("Location", "/jira/login.jsp?os_destination=x")
				w.WriteHeader(http.StatusFound)
				return true
			},
			want:   []string{"no oauth_verifier", "/jira/login.jsp"},
			status: http.StatusFound,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJira(t)
			if tc.handler != nil {
				f.on(pathAuthorize, tc.handler)
			}
			_, err := f.client.Handshake(context.Background(), testConsumer(t), tc.approver, f.callbackURL())
			if err == nil {
				t.Fatal("Handshake succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err.Error(), w)
				}
			}
			var he *HTTPError
			if tc.status != 0 && (!errors.As(err, &he) || he.StatusCode != tc.status) {
				t.Errorf("err = %#v, want HTTPError %d", err, tc.status)
			}
			assertNoSecret(t, err.Error(), tc.approver.Password)
			if n := f.count(pathRequestToken); n != 1 {
				t.Errorf("request tokens = %d, want 1 (no restart)", n)
			}
			if n := f.count(pathAccessToken); n != 0 {
				t.Errorf("access-token calls = %d, want 0", n)
			}
		})
	}
}

func readBody(r *http.Request) string {
	var b strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// An expired request token at approval restarts the handshake from a new request token.
func TestHandshakeApprovalTokenExpiredRestarts(t *testing.T) {
	f := newFakeJira(t)
	f.onFirst(pathAuthorize, func(w http.ResponseWriter, r *http.Request) {
		writeOAuthProblem(w, http.StatusUnauthorized, ProblemTokenExpired, "request token has expired")
	})
	if _, err := f.handshake(t); err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if n := f.count(pathRequestToken); n != 2 {
		t.Errorf("request tokens = %d, want 2", n)
	}
}

// An approval token_rejected on the first attempt (nothing ambiguous happened) is final.
func TestHandshakeApprovalTokenRejectedIsFinal(t *testing.T) {
	f := newFakeJira(t)
	f.on(pathAuthorize, func(w http.ResponseWriter, r *http.Request, n int) bool {
		writeOAuthProblem(w, http.StatusUnauthorized, ProblemTokenRejected, "unknown token")
		return true
	})
	_, err := f.handshake(t)
	var oe *OAuthError
	if !errors.As(err, &oe) || oe.Problem != ProblemTokenRejected {
		t.Fatalf("err = %v, want token_rejected", err)
	}
	if n := f.count(pathRequestToken); n != 1 {
		t.Errorf("request tokens = %d, want 1", n)
	}
}

// An approval answered 503 (retried by httpx) then token_rejected: the 503 may have come from a
// proxy after Jira approved, so the handshake restarts.
func TestHandshakeApprovalTokenRejectedAfterRetryRestarts(t *testing.T) {
	f := newFakeJira(t)
	f.on(pathAuthorize, func(w http.ResponseWriter, r *http.Request, n int) bool {
		switch n {
		case 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return true
		case 2:
			writeOAuthProblem(w, http.StatusUnauthorized, ProblemTokenRejected, "already used")
			return true
		}
		return false
	})
	if _, err := f.handshake(t); err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if n := f.count(pathRequestToken); n != 2 {
		t.Errorf("request tokens = %d, want 2", n)
	}
	if n := f.count(pathAuthorize); n != 3 {
		t.Errorf("approvals = %d, want 3", n)
	}
}

// An ambiguous approval (connection lost after the request was sent, or a 5xx) is not replayed:
// the handshake restarts from a new request token.
func TestHandshakeApprovalAmbiguousRestarts(t *testing.T) {
	for _, mode := range []string{"connection lost", "500"} {
		t.Run(mode, func(t *testing.T) {
			f := newFakeJira(t)
			var firstBody string
			f.on(pathAuthorize, func(w http.ResponseWriter, r *http.Request, n int) bool {
				if n != 1 {
					return false
				}
				b := readBody(r)
				f.mu.Lock()
				firstBody = b
				f.mu.Unlock()
				if mode == "500" {
					http.Error(w, "oops", http.StatusInternalServerError)
				} else {
					hijackClose(t, w)
				}
				return true
			})
			if _, err := f.handshake(t); err != nil {
				t.Fatalf("Handshake: %v", err)
			}
			if n := f.count(pathRequestToken); n != 2 {
				t.Errorf("request tokens = %d, want 2", n)
			}
			if n := f.count(pathAuthorize); n != 2 {
				t.Errorf("approvals = %d, want 2 (one per request token)", n)
			}
			// Each approval was for a different request token.
			f.mu.Lock()
			first := firstBody
			f.mu.Unlock()
			if st := f.state(); len(st.approvals) != 1 || st.approvals[0].body == first || !strings.Contains(first, "oauth_token=") {
				t.Errorf("the same request token was approved twice: %q then %v", first, st.approvals)
			}
		})
	}
}

// The approval is retried in place on 503 (Jira did not act).
func TestHandshakeApproval503RetriedInPlace(t *testing.T) {
	f := newFakeJira(t)
	f.onFirst(pathAuthorize, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	if _, err := f.handshake(t); err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if n := f.count(pathRequestToken); n != 1 {
		t.Errorf("request tokens = %d, want 1", n)
	}
	if n := f.count(pathAuthorize); n != 2 {
		t.Errorf("approvals = %d, want 2", n)
	}
}

func TestHandshakeValidatesInput(t *testing.T) {
	f := newFakeJira(t)
	good := testConsumer(t)
	cases := map[string]func() error{
		"no key": func() error {
			_, err := f.client.Handshake(context.Background(), OAuthConsumer{PrivateKey: good.PrivateKey}, testApprover, f.callbackURL())
			return err
		},
		"no private key": func() error {
			_, err := f.client.Handshake(context.Background(), OAuthConsumer{Key: "k"}, testApprover, f.callbackURL())
			return err
		},
		"no approver": func() error {
			_, err := f.client.Handshake(context.Background(), good, BasicAuth{Password: approverPassword}, f.callbackURL())
			return err
		},
		"relative callback": func() error {
			_, err := f.client.Handshake(context.Background(), good, testApprover, "/cb")
			return err
		},
	}
	for name, fn := range cases {
		if err := fn(); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			assertNoSecret(t, err.Error(), approverPassword)
		}
	}
	if n := f.count(pathRequestToken); n != 0 {
		t.Errorf("invalid input still called Jira %d times", n)
	}
}

// hijackClose closes the connection without answering (after the request was read).
func hijackClose(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Errorf("response writer cannot hijack")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

// An untrusted certificate is final: nothing was sent, so the handshake neither retries nor
// restarts, and the error says how to fix it.
func TestHandshakeUntrustedCertificateIsFinal(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("an HTTP request got through: %s", r.URL.Path)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	hc, err := httpx.New(httpx.Settings{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(srv.URL, hc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Handshake(context.Background(), testConsumer(t), testApprover, "https://align.example/cb")
	var cv *tls.CertificateVerificationError
	if !errors.As(err, &cv) || !strings.Contains(err.Error(), "ca_cert_pem") {
		t.Fatalf("err = %v, want a certificate error naming ca_cert_pem", err)
	}
	if strings.Contains(err.Error(), "attempts") {
		t.Errorf("a certificate error was retried: %v", err)
	}
	mu.Lock()
	if conns != 1 {
		t.Errorf("TLS connections = %d, want 1", conns)
	}
	conns = 0
	mu.Unlock()

	// The application-link create is not idempotent: httpx calls the failure ambiguous, but
	// nothing was sent, so it is not sent again either.
	_, err = c.CreateApplicationLink(context.Background(), testAdmin, ApplicationLink{Name: "n", RPCURL: "https://align.example"})
	var amb *httpx.AmbiguousError
	if !errors.As(err, &cv) || errors.As(err, &amb) || !strings.Contains(err.Error(), "ca_cert_pem") {
		t.Errorf("create err = %v, want a (non-ambiguous) certificate error", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("TLS connections for create = %d, want 1", conns)
	}
}
