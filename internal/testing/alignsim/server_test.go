package alignsim

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	adminToken = "admin-token-3f9a"
	readToken  = "read-token-77c1"

	secretPassword  = "pw-SECRET-1f0e8d"
	secretPassword2 = "pw-SECRET-2b7c44"
	secretAT        = "at-SECRET-a1b2c3"
	secretAT2       = "at-SECRET-d4e5f6"
	secretATS       = "ats-SECRET-0a0b0c"
	secretATS2      = "ats-SECRET-9z8y7x"
)

// baseTime has a sub-second part on purpose: the API must truncate it.
var baseTime = time.Date(2026, 11, 27, 22, 0, 0, 500_000_000, time.UTC)

type testKeys struct {
	key1, key2           *rsa.PrivateKey
	pkcs1, pkcs8, pkcs1b string // key1 as PKCS#1 and PKCS#8, key2 as PKCS#1
	small                string // 1024-bit RSA, PKCS#1
	ec                   string // P-256, PKCS#8
	pub                  string // key1's public key, "PUBLIC KEY"
}

var (
	keysOnce sync.Once
	keys     testKeys
	keysErr  error
)

func getKeys(t *testing.T) *testKeys {
	t.Helper()
	keysOnce.Do(func() {
		gen := func(bits int) *rsa.PrivateKey {
			if keysErr != nil {
				return nil
			}
			k, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				keysErr = err
			}
			return k
		}
		keys.key1, keys.key2 = gen(2048), gen(2048)
		small := gen(1024)
		if keysErr != nil {
			return
		}
		enc := func(typ string, der []byte) string {
			return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
		}
		keys.pkcs1 = enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(keys.key1))
		keys.pkcs1b = enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(keys.key2))
		keys.small = enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small))
		der, err := x509.MarshalPKCS8PrivateKey(keys.key1)
		if err != nil {
			keysErr = err
			return
		}
		keys.pkcs8 = enc("PRIVATE KEY", der)
		ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			keysErr = err
			return
		}
		if der, err = x509.MarshalPKCS8PrivateKey(ecKey); err != nil {
			keysErr = err
			return
		}
		keys.ec = enc("PRIVATE KEY", der)
		if der, err = x509.MarshalPKIXPublicKey(&keys.key1.PublicKey); err != nil {
			keysErr = err
			return
		}
		keys.pub = enc("PUBLIC KEY", der)
	})
	if keysErr != nil {
		t.Fatalf("generating test keys: %v", keysErr)
	}
	return &keys
}

// pemSecrets returns fragments of every private key used in tests: one base64
// line from the middle of each PEM is enough to catch a leak.
func pemSecrets(k *testKeys) []string {
	var out []string
	for _, p := range []string{k.pkcs1, k.pkcs8, k.pkcs1b, k.small, k.ec} {
		lines := strings.Split(strings.TrimSpace(p), "\n")
		out = append(out, lines[len(lines)/2])
	}
	return out
}

// env is one simulator behind an httptest server. Every response passing
// through do is checked against the contract's invariants, and at the end of
// the test every response body and header is searched for secret values.
type env struct {
	t   *testing.T
	sim *Server
	srv *httptest.Server

	mu        sync.Mutex
	responses []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	k := getKeys(t)
	sim := New(Options{
		APITokens: map[string]Role{adminToken: RoleAdmin, readToken: RoleReadOnly},
		Now:       func() time.Time { return baseTime },
	})
	e := &env{t: t, sim: sim, srv: httptest.NewServer(sim.Handler())}
	t.Cleanup(func() {
		e.srv.Close()
		secrets := append([]string{secretPassword, secretPassword2, secretAT, secretAT2, secretATS, secretATS2, "SECRET"}, pemSecrets(k)...)
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, resp := range e.responses {
			for _, s := range secrets {
				if strings.Contains(resp, s) {
					t.Errorf("secret %q leaked in a response:\n%s", s, resp)
				}
			}
		}
	})
	return e
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// errBody decodes the JSON error body.
func (r response) errBody(t *testing.T) apiError {
	t.Helper()
	var ae apiError
	if err := json.Unmarshal(r.body, &ae); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, r.body)
	}
	return ae
}

// errorKeys returns the sorted keys of the error body's "errors" object.
func (r response) errorKeys(t *testing.T) []string {
	t.Helper()
	ae := r.errBody(t)
	keys := make([]string, 0, len(ae.Errors))
	for k := range ae.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (r response) connector(t *testing.T) connectorOutput {
	t.Helper()
	var out connectorOutput
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decoding connector: %v: %s", err, r.body)
	}
	return out
}

func (r response) connectors(t *testing.T) []connectorOutput {
	t.Helper()
	var out []connectorOutput
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decoding connector list: %v: %s", err, r.body)
	}
	if out == nil {
		t.Fatalf("connector list decoded as null: %s", r.body)
	}
	return out
}

// request is a fully specified request for doRaw.
type request struct {
	method, path string
	auth         string // full Authorization header value; "" = none
	contentType  string // "" = none
	body         []byte // nil = no body
}

// do sends body (nil, string, []byte or a value marshalled as JSON) with the
// given bearer token ("" = no Authorization header) and application/json.
func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	req := request{method: method, path: path}
	if token != "" {
		req.auth = "Bearer " + token
	}
	if body != nil {
		req.contentType = "application/json"
		switch b := body.(type) {
		case string:
			req.body = []byte(b)
		case []byte:
			req.body = b
		default:
			j, err := json.Marshal(b)
			if err != nil {
				e.t.Fatalf("marshal: %v", err)
			}
			req.body = j
		}
	}
	return e.doRaw(req)
}

func (e *env) doRaw(rq request) response {
	e.t.Helper()
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	req, err := http.NewRequest(rq.method, e.srv.URL+rq.path, body)
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	if rq.auth != "" {
		req.Header.Set("Authorization", rq.auth)
	}
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: b}

	var dump strings.Builder
	_ = resp.Header.Write(&dump)
	dump.Write(b)
	e.mu.Lock()
	e.responses = append(e.responses, dump.String())
	e.mu.Unlock()

	// Contract invariants of every response (HEAD responses carry no body).
	if rq.method == http.MethodHead {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			e.t.Errorf("%s %s: Content-Type %q, want application/json", rq.method, rq.path, ct)
		}
		return r
	}
	if r.status != http.StatusNoContent {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			e.t.Errorf("%s %s: Content-Type %q, want application/json", rq.method, rq.path, ct)
		}
		if !json.Valid(b) {
			e.t.Errorf("%s %s: body is not JSON: %s", rq.method, rq.path, b)
		}
	} else if len(b) != 0 {
		e.t.Errorf("%s %s: 204 with a body: %s", rq.method, rq.path, b)
	}
	if r.status >= 400 {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			e.t.Errorf("%s %s: error body not a JSON object: %s", rq.method, rq.path, b)
		} else {
			for k := range raw {
				if k != "status" && k != "message" && k != "errors" {
					e.t.Errorf("%s %s: unexpected member %q in error body %s", rq.method, rq.path, k, b)
				}
			}
			ae := r.errBody(e.t)
			if ae.Status != r.status || ae.Message == "" {
				e.t.Errorf("%s %s: error body %s does not match status %d", rq.method, rq.path, b, r.status)
			}
		}
	}
	return r
}

func (e *env) wantStatus(r response, want int) {
	e.t.Helper()
	if r.status != want {
		e.t.Fatalf("status %d, want %d; body %s", r.status, want, r.body)
	}
}

const connectorsPath = "/rest/align/api/2/Connectors"

func connectorPath(id int) string { return connectorLocation(id) }

func basicInput(name string) map[string]any {
	return map[string]any{
		"name": name, "jiraUrl": "https://jira.example.com", "jiraType": 2,
		"authType": "basic", "username": "svc-align", "password": secretPassword,
	}
}

func oauthInput(t *testing.T, name string) map[string]any {
	return map[string]any{
		"name": name, "jiraUrl": "https://jira.example.com/jira", "jiraType": 2,
		"authType": "oauth1", "consumerKey": "JiraAlignProd", "privateKeyPem": getKeys(t).pkcs1,
		"accessToken": secretAT, "accessTokenSecret": secretATS,
		"accessTokenExpiresAt": "2031-11-27T22:00:00Z",
	}
}

// create POSTs input and requires 201.
func (e *env) create(input map[string]any) connectorOutput {
	e.t.Helper()
	r := e.do(http.MethodPost, connectorsPath, adminToken, input)
	e.wantStatus(r, http.StatusCreated)
	return r.connector(e.t)
}

func without(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func with(m map[string]any, kv ...any) map[string]any {
	out := without(m)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	e.create(basicInput("c1"))

	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"unknown token", "Bearer nope", http.StatusUnauthorized},
		{"empty token", "Bearer ", http.StatusUnauthorized},
		{"basic scheme", "Basic " + adminToken, http.StatusUnauthorized},
		{"no scheme", adminToken, http.StatusUnauthorized},
		{"token with suffix", "Bearer " + adminToken + "x", http.StatusUnauthorized},
		{"lower-case scheme", "bearer " + adminToken, http.StatusOK},
		{"upper-case scheme", "BEARER " + adminToken, http.StatusOK},
		{"read-only token", "Bearer " + readToken, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.doRaw(request{method: http.MethodGet, path: connectorPath(1), auth: tc.auth})
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			if tc.want == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}

	// 401 also on unknown paths and on writes, before anything else.
	e.wantStatus(e.do(http.MethodGet, "/rest/align/api/2/Nothing", "", nil), http.StatusUnauthorized)
	e.wantStatus(e.do(http.MethodPost, connectorsPath, "wrong", basicInput("c2")), http.StatusUnauthorized)
	if got := len(e.sim.Connectors()); got != 1 {
		t.Fatalf("unauthenticated POST stored a connector: %d connectors", got)
	}
}

func TestNoTokensConfiguredRejectsEverything(t *testing.T) {
	srv := httptest.NewServer(New(Options{}).Handler())
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL+connectorsPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer anything")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
}

func TestReadOnlyRoleCannotWrite(t *testing.T) {
	e := newEnv(t)
	c := e.create(basicInput("c1"))
	mr := e.do(http.MethodPost, connectorPath(c.ID)+"/TeamMappings", adminToken,
		map[string]any{"teamId": 1, "externalTeamId": "10", "externalTeamName": "A", "externalTeamTypeId": 2})
	e.wantStatus(mr, http.StatusCreated)
	mPath := mr.header.Get("Location")

	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, connectorsPath, basicInput("c2")},
		{http.MethodPut, connectorPath(c.ID), with(basicInput("c1"), "name", "renamed")},
		{http.MethodDelete, connectorPath(c.ID), nil},
		{http.MethodDelete, connectorPath(999), nil},
		{http.MethodPost, connectorPath(c.ID) + "/TeamMappings", map[string]any{"teamId": 2, "externalTeamId": "11", "externalTeamTypeId": 2}},
		{http.MethodPut, mPath, map[string]any{"teamId": 2, "externalTeamId": "11", "externalTeamTypeId": 2}},
		{http.MethodDelete, mPath, nil},
	} {
		r := e.do(tc.method, tc.path, readToken, tc.body)
		if r.status != http.StatusForbidden {
			t.Errorf("%s %s with read-only token: status %d, want 403", tc.method, tc.path, r.status)
		}
	}
	// Nothing changed.
	all := e.sim.Connectors()
	if len(all) != 1 || all[0].Name != "c1" {
		t.Fatalf("read-only writes changed state: %+v", all)
	}
	e.wantStatus(e.do(http.MethodGet, mPath, readToken, nil), http.StatusOK)
	e.wantStatus(e.do(http.MethodGet, connectorsPath, readToken, nil), http.StatusOK)
	e.wantStatus(e.do(http.MethodGet, connectorPath(c.ID)+"/TeamMappings", readToken, nil), http.StatusOK)
}

func TestRoutingNotFoundAndMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	e.create(basicInput("c1"))

	for _, p := range []string{
		"/", "/rest/align/api/2", "/rest/align/api/2/", "/rest/align/api/2/Teams",
		"/rest/align/api/2/connectors", // path is case-sensitive
		"/rest/align/api/1/Connectors",
		connectorsPath + "/", connectorPath(1) + "/", connectorPath(1) + "/Other",
		connectorPath(1) + "/TeamMappings/1/x",
		connectorsPath + "/abc", connectorsPath + "/01", connectorsPath + "/-1", connectorsPath + "/1.0",
		connectorsPath + "/+1", connectorsPath + "/0", connectorsPath + "/99999999999999999999999",
		connectorPath(2), connectorsPath + "/abc/TeamMappings", connectorPath(1) + "/TeamMappings/abc",
	} {
		r := e.do(http.MethodGet, p, adminToken, nil)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, r.status)
		}
	}
	// A non-integer id is 404 for PUT and DELETE too.
	e.wantStatus(e.do(http.MethodPut, connectorsPath+"/abc", adminToken, basicInput("x")), http.StatusNotFound)
	e.wantStatus(e.do(http.MethodDelete, connectorsPath+"/abc", adminToken, nil), http.StatusNotFound)

	for _, tc := range []struct {
		method, path, allow string
	}{
		{http.MethodPatch, connectorsPath, "GET, POST"},
		{http.MethodDelete, connectorsPath, "GET, POST"},
		{http.MethodPut, connectorsPath, "GET, POST"},
		{http.MethodPost, connectorPath(1), "GET, PUT, DELETE"},
		{http.MethodPatch, connectorPath(1), "GET, PUT, DELETE"},
		{http.MethodHead, connectorPath(1), "GET, PUT, DELETE"},
		{http.MethodPut, connectorPath(1) + "/TeamMappings", "GET, POST"},
		{http.MethodPost, connectorPath(1) + "/TeamMappings/1", "GET, PUT, DELETE"},
	} {
		r := e.do(tc.method, tc.path, adminToken, nil)
		if r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: status %d, want 405", tc.method, tc.path, r.status)
			continue
		}
		if got := r.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

func TestRequestCounts(t *testing.T) {
	e := newEnv(t)
	e.create(basicInput("c1"))
	e.do(http.MethodGet, connectorsPath, adminToken, nil)
	e.do(http.MethodGet, connectorsPath+"?$top=5", adminToken, nil)
	e.do(http.MethodGet, connectorsPath, "", nil) // 401 still counts
	e.do(http.MethodGet, connectorPath(1), adminToken, nil)
	e.do(http.MethodGet, connectorsPath+"/abc", adminToken, nil)
	e.do(http.MethodPatch, connectorPath(1), adminToken, nil)
	e.do(http.MethodPut, connectorPath(1), adminToken, basicInput("c1"))
	e.do(http.MethodGet, connectorPath(1)+"/TeamMappings", adminToken, nil)
	e.do(http.MethodPost, connectorPath(1)+"/TeamMappings", adminToken,
		map[string]any{"teamId": 1, "externalTeamId": "x", "externalTeamTypeId": 1})
	e.do(http.MethodGet, connectorPath(1)+"/TeamMappings/1", adminToken, nil)
	e.do(http.MethodDelete, connectorPath(1)+"/TeamMappings/1", adminToken, nil)
	e.do(http.MethodDelete, connectorPath(1), adminToken, nil)
	e.do(http.MethodGet, "/rest/align/api/2/Unknown", adminToken, nil)

	want := map[string]int64{
		"POST /rest/align/api/2/Connectors":                                 1,
		"GET /rest/align/api/2/Connectors":                                  3,
		"GET /rest/align/api/2/Connectors/{id}":                             2,
		"PATCH /rest/align/api/2/Connectors/{id}":                           1,
		"PUT /rest/align/api/2/Connectors/{id}":                             1,
		"DELETE /rest/align/api/2/Connectors/{id}":                          1,
		"GET /rest/align/api/2/Connectors/{id}/TeamMappings":                1,
		"POST /rest/align/api/2/Connectors/{id}/TeamMappings":               1,
		"GET /rest/align/api/2/Connectors/{id}/TeamMappings/{mappingId}":    1,
		"DELETE /rest/align/api/2/Connectors/{id}/TeamMappings/{mappingId}": 1,
	}
	got := e.sim.RequestCounts()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("RequestCounts:\n got %v\nwant %v", got, want)
	}
	if total := e.sim.TotalRequests(); total != 14 {
		t.Fatalf("TotalRequests = %d, want 14", total)
	}
	// The returned map is a copy.
	got["GET /rest/align/api/2/Connectors"] = 100
	if e.sim.RequestCounts()["GET /rest/align/api/2/Connectors"] != 3 {
		t.Fatal("RequestCounts returned the internal map")
	}
}

func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	const n = 20
	var wg sync.WaitGroup
	ids := make(chan int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := "c" + strings.Repeat("x", i)
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+connectorsPath,
				strings.NewReader(`{"name":"`+name+`","jiraUrl":"https://j.example.com","jiraType":1,"authType":"basic","username":"u","password":"p"}`))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Authorization", "Bearer "+adminToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer func() { _ = resp.Body.Close() }()
			var out connectorOutput
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
				t.Errorf("status %d, err %v", resp.StatusCode, err)
				return
			}
			ids <- out.ID
			e.sim.Advance(time.Second)
			_ = e.sim.RequestCounts()
			_ = e.sim.Connectors()
		}(i)
	}
	wg.Wait()
	close(ids)
	seen := map[int]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("duplicate id %d", id)
		}
		seen[id] = true
	}
	if len(seen) != n || len(e.sim.Connectors()) != n {
		t.Fatalf("created %d, stored %d, want %d", len(seen), len(e.sim.Connectors()), n)
	}
}
