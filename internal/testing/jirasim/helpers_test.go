package jirasim

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // RSA-SHA1 per RFC 5849
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dghubble/oauth1"
)

// Test accounts.
const (
	adminUser   = "admin"
	adminPass   = "admin-secret"
	svcUser     = "svc-align"
	svcPass     = "svc-secret"
	plainUser   = "bob"
	plainPass   = "bob-secret"
	idleUser    = "idle"
	idlePass    = "idle-secret"
	testKey     = "JiraAlignProd"
	callbackURL = "https://align.example.com/oauth/callback"
)

func testUsers() map[string]User {
	return map[string]User{
		adminUser: {Password: adminPass, Admin: true, DisplayName: "Admin", Email: "admin@example.com", Active: true},
		svcUser:   {Password: svcPass, DisplayName: "Align Service", Email: "svc-align@example.com", Active: true},
		plainUser: {Password: plainPass, DisplayName: "Bob", Email: "bob@example.com", Active: true},
		idleUser:  {Password: idlePass, DisplayName: "Idle", Email: "idle@example.com", Active: false},
	}
}

var (
	keysOnce             sync.Once
	keyA, keyB, keySmall *rsa.PrivateKey
	keyEC                *ecdsa.PrivateKey
	errKeys              error
)

// testKeys returns two 2048-bit keys, a 1024-bit key and an EC key,
// generated once per test binary.
func testKeys(t testing.TB) (a, b, small *rsa.PrivateKey, ec *ecdsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		if keyA, errKeys = rsa.GenerateKey(rand.Reader, 2048); errKeys != nil {
			return
		}
		if keyB, errKeys = rsa.GenerateKey(rand.Reader, 2048); errKeys != nil {
			return
		}
		if keySmall, errKeys = rsa.GenerateKey(rand.Reader, 1024); errKeys != nil {
			return
		}
		keyEC, errKeys = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	})
	if errKeys != nil {
		t.Fatalf("generating keys: %v", errKeys)
	}
	return keyA, keyB, keySmall, keyEC
}

func spkiDER(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pemPublic(t testing.TB, pub any) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spkiDER(t, pub)}))
}

func b64Public(t testing.TB, pub any) string {
	return base64.StdEncoding.EncodeToString(spkiDER(t, pub))
}

// fixture is a simulator behind a TLS test server.
type fixture struct {
	t      *testing.T
	sim    *Server
	srv    *httptest.Server
	base   string // {jira}
	client *http.Client
	nLinks int
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	if opts.Users == nil {
		opts.Users = testUsers()
	}
	sim := New(opts)
	srv := httptest.NewTLSServer(sim.Handler())
	t.Cleanup(srv.Close)
	c := srv.Client()
	noRedirect := *c
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &fixture{t: t, sim: sim, srv: srv, base: srv.URL + sim.ctxPath, client: &noRedirect}
}

// do sends req and returns the response with its body read.
func (f *fixture) do(req *http.Request) (*http.Response, []byte) {
	f.t.Helper()
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, b
}

func newRequest(t testing.TB, method, rawURL, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, r)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// adminCall sends an application-link API call as user:pass with the XSRF
// header, Accept: application/json and, when body is not nil, a JSON body.
func (f *fixture) adminCall(method, path string, body any, user, pass string, xsrf bool) (*http.Response, []byte) {
	f.t.Helper()
	return f.adminCallAccept(method, path, body, user, pass, xsrf, "application/json")
}

// adminCallAccept is adminCall with the given Accept header ("" sends none).
func (f *fixture) adminCallAccept(method, path string, body any, user, pass string, xsrf bool, accept string) (*http.Response, []byte) {
	f.t.Helper()
	var payload string
	if body != nil {
		if s, ok := body.(string); ok {
			payload = s
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				f.t.Fatal(err)
			}
			payload = string(b)
		}
	}
	req := newRequest(f.t, method, f.base+path, payload)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if xsrf {
		req.Header.Set("X-Atlassian-Token", "no-check")
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return f.do(req)
}

func (f *fixture) admin(method, path string, body any) (*http.Response, []byte) {
	f.t.Helper()
	return f.adminCall(method, path, body, adminUser, adminPass, true)
}

// createLink creates an application link with a unique rpcUrl.
func (f *fixture) createLink() string {
	f.t.Helper()
	f.nLinks++
	u := fmt.Sprintf("https://align%d.example.com", f.nLinks)
	resp, body := f.admin(http.MethodPut, "/rest/applinks/3.0/applicationlink",
		map[string]any{"name": "Jira Align", "rpcUrl": u, "displayUrl": u, "typeId": "generic"})
	if resp.StatusCode != http.StatusCreated {
		f.t.Fatalf("create link: %d %s", resp.StatusCode, body)
	}
	return createdID(f.t, f.base, body)
}

// createdID returns the id of the link a create's status entity names in
// resources-created, checking the entity's shape.
func createdID(t testing.TB, base string, body []byte) string {
	t.Helper()
	var st statusEntity
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("create answer %s: %v", body, err)
	}
	if st.Code != http.StatusCreated || len(st.Created) != 1 || st.Created[0].Rel != "self" {
		t.Fatalf("create answer %s is not a 201 status entity naming one link", body)
	}
	id, ok := strings.CutPrefix(st.Created[0].Href, base+"/rest/applinks/3.0/applicationlink/")
	if !ok || id == "" || strings.Contains(id, "/") {
		t.Fatalf("resources-created href %q is not a link under %s", st.Created[0].Href, base)
	}
	return id
}

func consumerPath(id string) string {
	return "/rest/applinks-oauth/1.0/applicationlink/" + id + "/authentication/consumer"
}

func consumerBody(key, publicKey string) map[string]any {
	return map[string]any{
		"key": key, "name": "Jira Align", "description": "Jira Align connector",
		"publicKey": publicKey, "outgoing": false, "twoLOAllowed": false,
	}
}

// register creates a link and registers consumer key with pub on it.
func (f *fixture) register(key string, pub *rsa.PublicKey) {
	f.t.Helper()
	id := f.createLink()
	resp, body := f.admin(http.MethodPut, consumerPath(id), consumerBody(key, pemPublic(f.t, pub)))
	if resp.StatusCode != http.StatusCreated {
		f.t.Fatalf("put consumer: %d %s", resp.StatusCode, body)
	}
}

func (f *fixture) endpoint() oauth1.Endpoint {
	return oauth1.Endpoint{
		RequestTokenURL: f.base + "/plugins/servlet/oauth/request-token",
		AuthorizeURL:    f.base + "/plugins/servlet/oauth/authorize",
		AccessTokenURL:  f.base + "/plugins/servlet/oauth/access-token",
	}
}

// config is a dghubble/oauth1 RSA-SHA1 client configuration.
func (f *fixture) config(key string, priv *rsa.PrivateKey) *oauth1.Config {
	return &oauth1.Config{
		ConsumerKey: key,
		CallbackURL: callbackURL,
		Endpoint:    f.endpoint(),
		Signer:      &oauth1.RSASigner{PrivateKey: priv},
		HTTPClient:  f.srv.Client(),
	}
}

// oauthClient is an http.Client signing with cfg and the access token.
func (f *fixture) oauthClient(cfg *oauth1.Config, token, secret string) *http.Client {
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, f.srv.Client())
	return oauth1.NewClient(ctx, cfg, oauth1.NewToken(token, secret))
}

// authorize posts the approval form as user:pass.
func (f *fixture) authorize(form, user, pass string, xsrf bool) (*http.Response, []byte) {
	f.t.Helper()
	req := newRequest(f.t, http.MethodPost, f.base+"/plugins/servlet/oauth/authorize", form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if xsrf {
		req.Header.Set("X-Atlassian-Token", "no-check")
	}
	return f.do(req)
}

// approve approves a request token as svc-align and returns the verifier.
func (f *fixture) approve(requestToken string) string {
	f.t.Helper()
	resp, body := f.authorize("oauth_token="+url.QueryEscape(requestToken)+"&approve=Allow", svcUser, svcPass, true)
	if resp.StatusCode != http.StatusFound {
		f.t.Fatalf("authorize: %d %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		f.t.Fatal(err)
	}
	v := loc.Query().Get("oauth_verifier")
	if v == "" {
		f.t.Fatalf("no verifier in Location %q", loc)
	}
	return v
}

// handshake runs the whole three-legged flow with dghubble/oauth1.
func (f *fixture) handshake(cfg *oauth1.Config) (token, secret string) {
	f.t.Helper()
	rt, rs, err := cfg.RequestToken()
	if err != nil {
		f.t.Fatalf("RequestToken: %v", err)
	}
	v := f.approve(rt)
	token, secret, err = cfg.AccessToken(rt, rs, v)
	if err != nil {
		f.t.Fatalf("AccessToken: %v", err)
	}
	return token, secret
}

// myself calls /rest/api/2/myself with a dghubble client.
func (f *fixture) myself(c *http.Client) (*http.Response, []byte) {
	f.t.Helper()
	resp, err := c.Get(f.base + "/rest/api/2/myself")
	if err != nil {
		f.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, b
}

// oauthParams returns a full set of protocol parameters signed "now" on the
// simulator clock, plus extra (a "" value deletes a parameter).
func (f *fixture) oauthParams(consumerKey string, extra map[string]string) map[string]string {
	p := map[string]string{
		"oauth_consumer_key":     consumerKey,
		"oauth_signature_method": "RSA-SHA1",
		"oauth_timestamp":        strconv.FormatInt(f.sim.Now().Unix(), 10),
		"oauth_nonce":            randomHex(12),
		"oauth_version":          "1.0",
	}
	for k, v := range extra {
		if v == "" {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return p
}

// signBase signs a base string with RSA-SHA1.
func signBase(t testing.TB, priv *rsa.PrivateKey, base string) string {
	t.Helper()
	d := sha1.Sum([]byte(base)) //nolint:gosec
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA1, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// authHeader formats protocol parameters as an OAuth Authorization header.
func authHeader(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = PercentEncode(k) + `="` + PercentEncode(params[k]) + `"`
	}
	return "OAuth " + strings.Join(parts, ", ")
}

// sign signs req (whose body, if a form, is given as form) with params
// using this package's BaseString and sets the Authorization header.
func sign(t testing.TB, req *http.Request, priv *rsa.PrivateKey, params map[string]string, form url.Values) {
	t.Helper()
	base := BaseString(req.Method, req.URL, params, form)
	params["oauth_signature"] = signBase(t, priv, base)
	req.Header.Set("Authorization", authHeader(params))
}

// signedDo builds, signs and sends a request. With a non-empty form body it
// is sent as application/x-www-form-urlencoded and included in the
// signature.
func (f *fixture) signedDo(method, rawURL, formBody string, priv *rsa.PrivateKey, params map[string]string, hdr map[string]string) (*http.Response, []byte) {
	f.t.Helper()
	req := newRequest(f.t, method, rawURL, formBody)
	var form url.Values
	if formBody != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var err error
		if form, err = url.ParseQuery(formBody); err != nil {
			f.t.Fatal(err)
		}
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	sign(f.t, req, priv, params, form)
	return f.do(req)
}

// expectProblem asserts an OAuth problem report: status, the
// WWW-Authenticate header with the realm {jira}, and the form body.
func (f *fixture) expectProblem(resp *http.Response, body []byte, status int, problem string) url.Values {
	f.t.Helper()
	if resp.StatusCode != status {
		f.t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, status, body)
	}
	wantHdr := `OAuth realm="` + f.base + `", oauth_problem="` + problem + `"`
	if got := resp.Header.Get("WWW-Authenticate"); got != wantHdr {
		f.t.Fatalf("WWW-Authenticate = %q, want %q", got, wantHdr)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Fatalf("Content-Type = %q", ct)
	}
	if !bytes.HasPrefix(body, []byte("oauth_problem="+problem+"&oauth_problem_advice=")) {
		f.t.Fatalf("body = %q, want oauth_problem=%s&oauth_problem_advice=…", body, problem)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		f.t.Fatalf("body %q: %v", body, err)
	}
	if v.Get("oauth_problem") != problem || v.Get("oauth_problem_advice") == "" {
		f.t.Fatalf("body = %q", body)
	}
	return v
}

// expectJSONError asserts a REST error {"status":N,"message":"…"}.
func expectJSONError(t testing.TB, resp *http.Response, body []byte, status int) jsonError {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q", ct)
	}
	var e jsonError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if e.Status != status || e.Message == "" {
		t.Fatalf("error body = %s", body)
	}
	return e
}
