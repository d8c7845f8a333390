package jiraapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
)

// Every secret the fake Jira hands out contains secretMark, so that a test can assert that no
// error message carries one.
const (
	secretMark       = "SEKRET"
	approverName     = "svc-align"
	approverPassword = "pw-" + secretMark + "-approver"
	adminName        = "jira-admin"
	adminPassword    = "pw-" + secretMark + "-admin"
	testConsumerKey  = "JiraAlignTest"
)

var (
	keysOnce          sync.Once
	testKey, otherKey *rsa.PrivateKey
	keysErr           error
)

// keys returns two 2048-bit RSA keys, generated once per test binary.
func keys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		if testKey, keysErr = rsa.GenerateKey(rand.Reader, 2048); keysErr != nil {
			return
		}
		otherKey, keysErr = rsa.GenerateKey(rand.Reader, 2048)
	})
	if keysErr != nil {
		t.Fatalf("generating RSA keys: %v", keysErr)
	}
	return testKey, otherKey
}

func privatePEM(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func publicPEM(t testing.TB, k *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func testConsumer(t testing.TB) OAuthConsumer {
	k, _ := keys(t)
	return OAuthConsumer{Key: testConsumerKey, PrivateKey: k}
}

// assertNoSecret fails when msg carries a secret: the fake's marker, a password, or a line of
// the private key's PEM.
func assertNoSecret(t testing.TB, msg string, extra ...string) {
	t.Helper()
	if strings.Contains(msg, secretMark) {
		t.Errorf("message carries a secret: %s", msg)
	}
	for _, s := range extra {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("message carries secret %q: %s", s, msg)
		}
	}
	k, _ := keys(t)
	for _, line := range strings.Split(privatePEM(k), "\n") {
		if len(line) > 20 && !strings.HasPrefix(line, "-----") && strings.Contains(msg, line) {
			t.Errorf("message carries the private key: %s", msg)
		}
	}
}

// newHTTPX returns an httpx client trusting srv's certificate, with fast backoff.
func newHTTPX(t testing.TB, srv *httptest.Server, maxRetries int) *httpx.Client {
	t.Helper()
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	hc, err := httpx.New(httpx.Settings{
		CACertPEM: string(certPEM), MaxRetries: maxRetries, RequestTimeout: 10 * time.Second,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, UserAgent: "jiraapi-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

// oauthParams parses an "Authorization: OAuth k="v", …" header (percent-decoding values).
func oauthParams(h string) map[string]string {
	out := map[string]string{}
	h = strings.TrimSpace(h)
	if !strings.HasPrefix(h, "OAuth ") {
		return out
	}
	for _, part := range strings.Split(h[len("OAuth "):], ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		if dec, err := url.PathUnescape(v); err == nil {
			v = dec
		}
		out[k] = v
	}
	return out
}

// writeOAuthProblem answers like Jira does for an OAuth problem.
func writeOAuthProblem(w http.ResponseWriter, status int, problem, advice string) {
	w.Header().Set("WWW-Authenticate", `OAuth realm="https://jira.example", oauth_problem="`+problem+`"`)
	w.Header().Set("Content-Type", contentTypeForm)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, url.Values{paramProblem: {problem}, paramProblemAdvice: {advice}}.Encode())
}

// approvalRequest is what the fake saw of one approval POST.
type approvalRequest struct {
	method, contentType, xsrf, body string
	user, pass                      string
	basicOK                         bool
}

// fakeJira is a scripted Jira for unit tests, served under the context path /jira. Each path has
// a default behaviour (a correct peer) that a test can override per hit.
type fakeJira struct {
	t      *testing.T
	srv    *httptest.Server
	client *Client

	mu           sync.Mutex
	hits         map[string]int
	override     map[string]func(w http.ResponseWriter, r *http.Request, n int) bool
	callbacks    map[string]string // request token -> oauth_callback
	verifierOf   map[string]string // request token -> verifier
	verifierSent map[string]int    // verifier -> times sent to access-token
	approvals    []approvalRequest
	revoked      []string
	revokeBodies []string
	nonces       []string
	accessExtra  string // appended to the access-token answer
}

func newFakeJira(t *testing.T) *fakeJira {
	f := &fakeJira{
		t: t, hits: map[string]int{}, override: map[string]func(http.ResponseWriter, *http.Request, int) bool{},
		callbacks: map[string]string{}, verifierOf: map[string]string{}, verifierSent: map[string]int{},
		accessExtra: "&oauth_expires_in=157680000&oauth_session_handle=sh-" + secretMark + "&oauth_authorization_expires_in=160272000",
	}
	f.srv = httptest.NewTLSServer(f)
	t.Cleanup(f.srv.Close)
	c, err := New(f.srv.URL+"/jira/", newHTTPX(t, f.srv, 3))
	if err != nil {
		t.Fatal(err)
	}
	f.client = c
	return f
}

// on overrides path's behaviour: h runs for every hit (n is 1-based) and returns true when it
// answered, false to fall back to the default.
func (f *fakeJira) on(path string, h func(w http.ResponseWriter, r *http.Request, n int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.override[path] = h
}

// onFirst answers the first call of path with h; later calls get the fake's normal answer.
func (f *fakeJira) onFirst(path string, h func(w http.ResponseWriter, r *http.Request)) {
	f.on(path, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n != 1 {
			return false
		}
		h(w, r)
		return true
	})
}

// handshake runs the client's handshake against the fake, as the test consumer and approver.
func (f *fakeJira) handshake(t *testing.T) (*AccessToken, error) {
	t.Helper()
	return f.client.Handshake(context.Background(), testConsumer(t), testApprover, f.callbackURL())
}

func (f *fakeJira) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *fakeJira) callbackURL() string { return f.srv.URL + "/cb?x=1" }

func (f *fakeJira) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/cb" {
		f.t.Errorf("the client followed the approval redirect to the callback")
		http.Error(w, "callback must not be followed", http.StatusTeapot)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/jira")
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	if p := oauthParams(r.Header.Get("Authorization")); p["oauth_nonce"] != "" {
		f.mu.Lock()
		f.nonces = append(f.nonces, p["oauth_nonce"])
		f.mu.Unlock()
	}
	f.mu.Lock()
	f.hits[path]++
	n := f.hits[path]
	h := f.override[path]
	f.mu.Unlock()
	if h != nil && h(w, r, n) {
		return
	}
	switch path {
	case pathRequestToken:
		f.requestToken(w, r, n)
	case pathAuthorize:
		f.authorize(w, r, string(body))
	case pathAccessToken:
		f.accessToken(w, r, n)
	case pathAccessTokens:
		f.revoke(w, r, string(body))
	case pathMyself:
		f.myself(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeJira) requestToken(w http.ResponseWriter, r *http.Request, n int) {
	p := oauthParams(r.Header.Get("Authorization"))
	switch {
	case r.Method != http.MethodPost:
		f.t.Errorf("request token: method %s", r.Method)
	case p["oauth_consumer_key"] != testConsumerKey || p["oauth_signature_method"] != "RSA-SHA1" || p["oauth_signature"] == "":
		f.t.Errorf("request token: bad OAuth parameters %v", p)
	case p["oauth_callback"] == "" || p["oauth_token"] != "":
		f.t.Errorf("request token: want oauth_callback and no oauth_token, got %v", p)
	}
	tok := fmt.Sprintf("rt-%s-%d", secretMark, n)
	f.mu.Lock()
	f.callbacks[tok] = p["oauth_callback"]
	f.mu.Unlock()
	w.Header().Set("Content-Type", contentTypeForm)
	_, _ = fmt.Fprintf(w, "oauth_token=%s&oauth_token_secret=rts-%s-%d&oauth_callback_confirmed=true", tok, secretMark, n)
}

func (f *fakeJira) authorize(w http.ResponseWriter, r *http.Request, body string) {
	user, pass, ok := r.BasicAuth()
	f.mu.Lock()
	f.approvals = append(f.approvals, approvalRequest{
		method: r.Method, contentType: r.Header.Get("Content-Type"), xsrf: r.Header.Get(headerXSRF),
		body: body, user: user, pass: pass, basicOK: ok,
	})
	f.mu.Unlock()
	if !ok || user != approverName || pass != approverPassword {
		w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
		http.Error(w, "authentication failed", http.StatusUnauthorized)
		return
	}
	vals, _ := url.ParseQuery(body)
	tok := vals.Get("oauth_token")
	f.mu.Lock()
	cb, known := f.callbacks[tok]
	_, used := f.verifierOf[tok]
	verifier := fmt.Sprintf("ver-%s-%d", secretMark, len(f.verifierOf)+1)
	if known && !used {
		f.verifierOf[tok] = verifier
	}
	f.mu.Unlock()
	if !known || used {
		writeOAuthProblem(w, http.StatusUnauthorized, ProblemTokenRejected, "request token is unknown or was already used")
		return
	}
	sep := "?"
	if strings.Contains(cb, "?") {
		sep = "&"
	}
	w.Header().Set("Location", cb+sep+"oauth_token="+url.QueryEscape(tok)+"&oauth_verifier="+url.QueryEscape(verifier))
	w.WriteHeader(http.StatusFound)
}

func (f *fakeJira) accessToken(w http.ResponseWriter, r *http.Request, n int) {
	p := oauthParams(r.Header.Get("Authorization"))
	f.mu.Lock()
	f.verifierSent[p["oauth_verifier"]]++
	want, ok := f.verifierOf[p["oauth_token"]]
	if ok {
		delete(f.verifierOf, p["oauth_token"])
	}
	extra := f.accessExtra
	f.mu.Unlock()
	if !ok || want != p["oauth_verifier"] {
		writeOAuthProblem(w, http.StatusUnauthorized, ProblemTokenRejected, "oauth_verifier does not match")
		return
	}
	w.Header().Set("Content-Type", contentTypeForm)
	_, _ = fmt.Fprintf(w, "oauth_token=at-%s-%d&oauth_token_secret=ats-%s-%d%s", secretMark, n, secretMark, n, extra)
}

func (f *fakeJira) revoke(w http.ResponseWriter, r *http.Request, body string) {
	p := oauthParams(r.Header.Get("Authorization"))
	f.mu.Lock()
	f.revoked = append(f.revoked, p["oauth_token"])
	f.revokeBodies = append(f.revokeBodies, body)
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeJira) myself(w http.ResponseWriter, r *http.Request) {
	p := oauthParams(r.Header.Get("Authorization"))
	if !strings.HasPrefix(p["oauth_token"], "at-") {
		writeOAuthProblem(w, http.StatusUnauthorized, ProblemTokenRejected, "unknown token")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"name":"svc-align","key":"svc-align","displayName":"Align Service","emailAddress":"svc@example.com","active":true}`)
}

func (f *fakeJira) revokedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.revoked...)
}

// fakeState is a copy of what the fake recorded, taken under its lock.
type fakeState struct {
	approvals    []approvalRequest
	callbacks    map[string]string
	verifierSent map[string]int
	nonces       []string
	revokeBodies []string
}

func (f *fakeJira) state() fakeState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakeState{
		approvals:    append([]approvalRequest(nil), f.approvals...),
		callbacks:    maps.Clone(f.callbacks),
		verifierSent: maps.Clone(f.verifierSent),
		nonces:       append([]string(nil), f.nonces...),
		revokeBodies: append([]string(nil), f.revokeBodies...),
	}
}
