package alignapi

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
)

// Fake secrets, only to check that none leaks.
const (
	secretPassword = "pw-Hunter2-very-secret" //nolint:gosec // a test value, not a credential
	secretAccess   = "at-AccessTok3n-value"
	secretAccessS  = "ats-AccessTok3nS3cret"
)

// secretPEM is a fake PEM: it is only a string here, never parsed.
const secretPEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n"

func basicInput() ConnectorInput {
	return ConnectorInput{Name: "jira-prod", JiraURL: "https://jira.example.com", JiraType: JiraTypeDataCenter,
		AuthType: AuthBasic, Username: "svc-align", Password: secretPassword}
}

func oauthInput() ConnectorInput {
	exp := time.Date(2031, 11, 28, 0, 0, 0, 123456789, time.FixedZone("CET+2", 2*3600))
	return ConnectorInput{Name: "jira-oauth", JiraURL: "https://jira.example.com/jira", JiraType: JiraTypeDataCenter,
		AuthType: AuthOAuth1, ConsumerKey: "JiraAlignProd", PrivateKeyPEM: secretPEM, AccessToken: secretAccess,
		AccessTokenSecret: secretAccessS, AccessTokenExpiresAt: &exp}
}

func allSecrets() []string {
	return []string{testToken, secretPassword, secretAccess, secretAccessS, secretPEM,
		"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"}
}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range allSecrets() {
		if strings.Contains(s, sec) {
			t.Errorf("%s leaks a secret %q…: %s", what, sec[:6], s)
		}
	}
}

func bodyKeys(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("request body is not a JSON object: %v", err)
	}
	return m
}

func sortedKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestNew(t *testing.T) {
	hc := testHTTPX(t, 0)
	good := []struct{ in, base string }{
		{"https://align.example.com", "https://align.example.com"},
		{"https://align.example.com/", "https://align.example.com"},
		{"http://127.0.0.1:8080/align/", "http://127.0.0.1:8080/align"},
		{" https://align.example.com/a/b// ", "https://align.example.com/a/b"},
	}
	for _, g := range good {
		c, err := New(g.in, "t", hc)
		if err != nil {
			t.Errorf("New(%q): %v", g.in, err)
			continue
		}
		if c.base != g.base {
			t.Errorf("New(%q).base = %q, want %q", g.in, c.base, g.base)
		}
	}
	bad := []string{"", "align.example.com", "/rest", "ftp://align.example.com", "https://", "https:opaque",
		"https://user:pa55word@align.example.com", "https://align.example.com/?x=1", "https://align.example.com/#f", "::"}
	for _, b := range bad {
		if _, err := New(b, "t", hc); err == nil {
			t.Errorf("New(%q) accepted a bad URL", b)
		} else if strings.Contains(err.Error(), "pa55word") {
			t.Errorf("New error leaks the URL password: %v", err)
		}
	}
	if _, err := New("https://a.example.com", "  ", hc); err == nil {
		t.Error("empty token accepted")
	}
	if _, err := New("https://a.example.com", "to\nken", hc); err == nil {
		t.Error("token with a newline accepted")
	} else if strings.Contains(err.Error(), "to\nken") {
		t.Error("token echoed in error")
	}
	if _, err := New("https://a.example.com", "t", nil); err == nil {
		t.Error("nil httpx client accepted")
	}
}

func TestCreateBasicRequestShape(t *testing.T) {
	f := newFake(t)
	f.prefix = "/align"
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := New(srv.URL+"/align/", testToken, testHTTPX(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.CreateConnector(context.Background(), basicInput())
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != 1 || got.Name != "jira-prod" || got.AuthType != AuthBasic || got.JiraType != JiraTypeDataCenter ||
		got.Username == nil || *got.Username != "svc-align" || got.ConsumerKey != nil || got.CredentialVersion != 1 {
		t.Errorf("decoded connector = %+v", got)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("want 1 request, got %d", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/align/rest/align/api/2/Connectors" || r.RawQuery != "" {
		t.Errorf("request = %s %s?%s", r.Method, r.Path, r.RawQuery)
	}
	if h := r.Header.Get("Authorization"); h != "bearer "+testToken {
		t.Errorf("Authorization = %q", h)
	}
	if h := r.Header.Get("Accept"); h != "application/json" {
		t.Errorf("Accept = %q", h)
	}
	if h := r.Header.Get("Content-Type"); h != "application/json" {
		t.Errorf("Content-Type = %q", h)
	}
	m := bodyKeys(t, r.Body)
	if keys := strings.Join(sortedKeys(m), ","); keys != "authType,jiraType,jiraUrl,name,password,username" {
		t.Errorf("body keys = %s", keys)
	}
	if m["jiraType"] != float64(2) || m["password"] != secretPassword || m["jiraUrl"] != "https://jira.example.com" {
		t.Errorf("body = %v", m)
	}
}

func TestCreateOAuthBodyAndTime(t *testing.T) {
	f := newFake(t)
	c := f.start(t)
	got, err := c.CreateConnector(context.Background(), oauthInput())
	if err != nil {
		t.Fatal(err)
	}
	m := bodyKeys(t, f.requests()[0].Body)
	if keys := strings.Join(sortedKeys(m), ","); keys != "accessToken,accessTokenExpiresAt,accessTokenSecret,authType,consumerKey,jiraType,jiraUrl,name,privateKeyPem" {
		t.Errorf("body keys = %s", keys)
	}
	if m["accessTokenExpiresAt"] != "2031-11-27T22:00:00Z" {
		t.Errorf("accessTokenExpiresAt = %v, want RFC 3339 UTC seconds", m["accessTokenExpiresAt"])
	}
	if m["privateKeyPem"] != secretPEM || m["authType"] != "oauth1" {
		t.Errorf("body = %v", m)
	}
	want := time.Date(2031, 11, 27, 22, 0, 0, 0, time.UTC)
	if got.AccessTokenExpiresAt == nil || !got.AccessTokenExpiresAt.Equal(want) || got.AccessTokenExpiresAt.Location() != time.UTC {
		t.Errorf("AccessTokenExpiresAt = %v", got.AccessTokenExpiresAt)
	}
	if got.ConsumerKey == nil || *got.ConsumerKey != "JiraAlignProd" || got.Username != nil {
		t.Errorf("connector = %+v", got)
	}
}

func TestUpdateShapeOmitsEmptySecrets(t *testing.T) {
	f := newFake(t)
	f.add(Connector{ID: 7, Name: "old", JiraURL: "https://j.example.com", JiraType: 2, AuthType: AuthBasic, Username: strp("u")})
	c := f.start(t)
	in := basicInput()
	in.Password = ""
	got, err := c.UpdateConnector(context.Background(), 7, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != 7 || got.Name != "jira-prod" || got.CredentialVersion != 1 {
		t.Errorf("got %+v", got)
	}
	r := f.requests()[0]
	if r.Method != http.MethodPut || r.Path != "/rest/align/api/2/Connectors/7" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") != "bearer "+testToken {
		t.Errorf("headers = %v", r.Header)
	}
	if keys := strings.Join(sortedKeys(bodyKeys(t, r.Body)), ","); keys != "authType,jiraType,jiraUrl,name,username" {
		t.Errorf("body keys = %s (empty secrets must be omitted)", keys)
	}
	if _, err := c.UpdateConnector(context.Background(), 0, in); err == nil {
		t.Error("id 0 accepted")
	}
}

func TestListQueryEscaping(t *testing.T) {
	f := newFake(t)
	f.add(Connector{Name: "O'Brien team x", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	f.add(Connector{Name: "other", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	c := f.start(t)
	list, err := c.ListConnectors(context.Background(), "O'Brien team x")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "O'Brien team x" {
		t.Fatalf("list = %+v", list)
	}
	r := f.requests()[0]
	if r.Method != http.MethodGet || r.Path != "/rest/align/api/2/Connectors" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if got := r.Query.Get("$filter"); got != "name eq 'O''Brien team x'" {
		t.Errorf("$filter = %q", got)
	}
	if r.Query.Get("$top") != "100" || r.Query.Get("$skip") != "0" {
		t.Errorf("paging = %q", r.RawQuery)
	}
	if !strings.HasPrefix(r.RawQuery, "$top=100&$skip=0&$filter=") || strings.Contains(r.RawQuery, "+") ||
		!strings.Contains(r.RawQuery, "%20") || !strings.Contains(r.RawQuery, "%27%27") {
		t.Errorf("raw query = %q", r.RawQuery)
	}
	if r.Header.Get("Content-Type") != "" {
		t.Errorf("GET carries a Content-Type")
	}
	if r.Header.Get("Authorization") != "bearer "+testToken || r.Header.Get("Accept") != "application/json" {
		t.Errorf("headers = %v", r.Header)
	}
}

func TestListPaging250(t *testing.T) {
	f := newFake(t)
	for i := 1; i <= 250; i++ {
		f.add(Connector{Name: fmt.Sprintf("c%03d", i), JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	}
	c := f.start(t)
	list, err := c.ListConnectors(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 250 {
		t.Fatalf("got %d connectors", len(list))
	}
	for i, it := range list {
		if it.ID != i+1 {
			t.Fatalf("item %d has id %d", i, it.ID)
		}
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("want 3 requests, got %d", len(reqs))
	}
	for i, wantSkip := range []string{"0", "100", "200"} {
		q := reqs[i].Query
		if q.Get("$top") != "100" || q.Get("$skip") != wantSkip || q.Has("$filter") {
			t.Errorf("request %d query = %q", i, reqs[i].RawQuery)
		}
	}
}

func TestListExactPageMultiple(t *testing.T) {
	f := newFake(t)
	for i := 1; i <= 100; i++ {
		f.add(Connector{Name: fmt.Sprintf("c%03d", i), JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	}
	c := f.start(t)
	list, err := c.ListConnectors(context.Background(), "")
	if err != nil || len(list) != 100 {
		t.Fatalf("list: %d, %v", len(list), err)
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("want 2 requests (full page, then empty), got %d", n)
	}
}

func TestListServerIgnoringSkipFails(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		page := make([]Connector, 100)
		for i := range page {
			page[i] = Connector{ID: i + 1, Name: "c" + strconv.Itoa(i)}
		}
		writeJSON(w, http.StatusOK, page)
	}))
	defer srv.Close()
	c, _ := New(srv.URL, testToken, testHTTPX(t, 0))
	if _, err := c.ListConnectors(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "$skip") {
		t.Fatalf("err = %v", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("calls = %d, want 2", n)
	}
}

func TestFindConnectorByName(t *testing.T) {
	f := newFake(t)
	f.add(Connector{Name: "Jira-Prod", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	c := f.start(t)
	ctx := context.Background()
	got, err := c.FindConnectorByName(ctx, "jira-prod")
	if err != nil || got == nil || got.Name != "Jira-Prod" {
		t.Fatalf("find = %+v, %v", got, err)
	}
	got, err = c.FindConnectorByName(ctx, "absent")
	if err != nil || got != nil {
		t.Fatalf("find absent = %+v, %v", got, err)
	}
	before := len(f.requests())
	got, err = c.FindConnectorByName(ctx, "")
	if err != nil || got != nil || len(f.requests()) != before {
		t.Fatalf("find empty name = %+v, %v (requests %d→%d)", got, err, before, len(f.requests()))
	}
}

func TestFindIgnoredFilterStillExact(t *testing.T) {
	// A server that ignores $filter: the client keeps only the name asked for.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, []Connector{{ID: 1, Name: "a"}, {ID: 2, Name: "b"}})
	}))
	defer srv.Close()
	c, _ := New(srv.URL, testToken, testHTTPX(t, 0))
	got, err := c.FindConnectorByName(context.Background(), "B")
	if err != nil || got == nil || got.ID != 2 {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestGetAndNotFound(t *testing.T) {
	f := newFake(t)
	f.add(Connector{ID: 3, Name: "x", JiraURL: "https://j", JiraType: 1, AuthType: AuthOAuth1, ConsumerKey: strp("K"),
		PublicKeyFingerprint: strp("SHA256:abc")})
	c := f.start(t)
	got, err := c.GetConnector(context.Background(), 3)
	if err != nil || got.ID != 3 || got.PublicKeyFingerprint == nil || *got.PublicKeyFingerprint != "SHA256:abc" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if r := f.requests()[0]; r.Method != http.MethodGet || r.Path != "/rest/align/api/2/Connectors/3" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	_, err = c.GetConnector(context.Background(), 99)
	if !IsNotFound(err) {
		t.Fatalf("err = %v, want not found", err)
	}
	if !IsNotFound(fmt.Errorf("wrapped: %w", err)) {
		t.Error("IsNotFound does not see through wrapping")
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Call != "get connector 99" || !strings.Contains(ae.Message, "not found") {
		t.Errorf("APIError = %+v", ae)
	}
	if IsNotFound(errors.New("404")) || IsNotFound(nil) || IsNotFound(&APIError{StatusCode: 410}) {
		t.Error("IsNotFound too broad")
	}
	if n := f.count(http.MethodGet); n != 2 {
		t.Errorf("404 was retried: %d GETs", n)
	}
}

func TestDelete(t *testing.T) {
	f := newFake(t)
	f.add(Connector{ID: 4, Name: "x", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	c := f.start(t)
	ctx := context.Background()
	if err := c.DeleteConnector(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if r := f.requests()[0]; r.Method != http.MethodDelete || r.Path != "/rest/align/api/2/Connectors/4" || len(r.Body) != 0 {
		t.Errorf("request = %s %s body %q", r.Method, r.Path, r.Body)
	}
	if err := c.DeleteConnector(ctx, 4); err != nil {
		t.Fatalf("deleting a gone connector: %v", err)
	}
	f.hook = func(w http.ResponseWriter, _ *http.Request, _ []byte, _ int) bool {
		writeErr(w, http.StatusForbidden, "nope", nil)
		return true
	}
	err := c.DeleteConnector(ctx, 4)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 403 || !strings.Contains(err.Error(), hint403) {
		t.Errorf("err = %v", err)
	}
}

func TestRetryAfter429(t *testing.T) {
	f := newFake(t)
	f.add(Connector{ID: 1, Name: "x", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	f.hook = func(w http.ResponseWriter, _ *http.Request, _ []byte, n int) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			writeErr(w, http.StatusTooManyRequests, "slow down", nil)
			return true
		}
		return false
	}
	c := f.start(t)
	start := time.Now()
	got, err := c.GetConnector(context.Background(), 1)
	if err != nil || got.ID != 1 {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("Retry-After ignored: retried after %s", d)
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("requests = %d", n)
	}
}

func Test503RetriedThenExhausted(t *testing.T) {
	f := newFake(t)
	f.add(Connector{ID: 1, Name: "x", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	f.hook = func(w http.ResponseWriter, _ *http.Request, _ []byte, n int) bool {
		if n <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	c := f.start(t)
	if got, err := c.GetConnector(context.Background(), 1); err != nil || got.ID != 1 {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if n := len(f.requests()); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}

	// Always 503: the budget (3 retries) runs out and the status is reported.
	f.hook = func(w http.ResponseWriter, _ *http.Request, _ []byte, _ int) bool {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html><body>\x1b[31mMaintenance\x00 window</body></html>"))
		return true
	}
	before := len(f.requests())
	_, err := c.GetConnector(context.Background(), 1)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.requests()) - before; n != 4 {
		t.Errorf("attempts = %d, want 4", n)
	}
	msg := err.Error()
	if !strings.Contains(msg, "Maintenance window") || strings.ContainsAny(msg, "\x1b\x00") {
		t.Errorf("message = %q", msg)
	}
}

func TestCreateAmbiguousFoundByName(t *testing.T) {
	f := newFake(t)
	f.hook = func(w http.ResponseWriter, r *http.Request, body []byte, _ int) bool {
		if r.Method == http.MethodPost {
			f.create(body) // the server acts …
			hijackClose(t, w)
			return true // … but the answer never arrives
		}
		return false
	}
	c := f.start(t)
	in := oauthInput()
	in.Name = "Jira 'Prod'"
	got, err := c.CreateConnector(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.createdCount(); n != 1 {
		t.Fatalf("server created %d connectors, want exactly 1", n)
	}
	if n := f.count(http.MethodPost); n != 1 {
		t.Errorf("POSTs = %d, want 1", n)
	}
	if got.ID != 1 || got.Name != in.Name {
		t.Errorf("got %+v", got)
	}
	// The input was PUT to the found connector, secrets included.
	var put *recorded
	for _, r := range f.requests() {
		if r.Method == http.MethodPut {
			r := r
			put = &r
		}
	}
	if put == nil || put.Path != "/rest/align/api/2/Connectors/1" {
		t.Fatalf("no PUT to the found connector: %+v", f.requests())
	}
	if m := bodyKeys(t, put.Body); m["accessTokenSecret"] != secretAccessS || m["privateKeyPem"] != secretPEM {
		t.Errorf("PUT body lacks the secrets: %v", sortedKeys(m))
	}
}

func TestCreateAmbiguousNotCreatedPostsAgain(t *testing.T) {
	f := newFake(t)
	f.hook = func(w http.ResponseWriter, r *http.Request, _ []byte, _ int) bool {
		if r.Method == http.MethodPost && f.count(http.MethodPost) == 1 {
			hijackClose(t, w) // dropped before acting
			return true
		}
		return false
	}
	c := f.start(t)
	got, err := c.CreateConnector(context.Background(), basicInput())
	if err != nil {
		t.Fatal(err)
	}
	if f.createdCount() != 1 || f.count(http.MethodPost) != 2 || f.count(http.MethodPut) != 0 {
		t.Errorf("created %d, POSTs %d, PUTs %d", f.createdCount(), f.count(http.MethodPost), f.count(http.MethodPut))
	}
	if got.ID != 1 {
		t.Errorf("got %+v", got)
	}
	// Order: POST, lookup GET, POST.
	var seq []string
	for _, r := range f.requests() {
		seq = append(seq, r.Method)
	}
	if strings.Join(seq, ",") != "POST,GET,POST" {
		t.Errorf("sequence = %v", seq)
	}
}

func TestCreateAmbiguousBounded(t *testing.T) {
	f := newFake(t)
	f.hook = func(w http.ResponseWriter, r *http.Request, _ []byte, _ int) bool {
		if r.Method == http.MethodPost {
			hijackClose(t, w)
			return true
		}
		return false
	}
	c := f.start(t) // MaxRetries 3
	_, err := c.CreateConnector(context.Background(), basicInput())
	var amb *httpx.AmbiguousError
	if !errors.As(err, &amb) {
		t.Fatalf("err = %v, want an AmbiguousError inside", err)
	}
	if n := f.count(http.MethodPost); n != 4 {
		t.Errorf("POSTs = %d, want 1 + 3 retries", n)
	}
	assertNoSecret(t, "error", err.Error())
}

func TestCreateAmbiguousOtherConnectorConflicts(t *testing.T) {
	f := newFake(t)
	f.hook = func(w http.ResponseWriter, r *http.Request, _ []byte, _ int) bool {
		if r.Method == http.MethodPost {
			f.add(Connector{ID: 42, Name: "JIRA-PROD", JiraURL: "https://other.example.com", JiraType: 2, AuthType: AuthBasic, Username: strp("svc-align")})
			hijackClose(t, w)
			return true
		}
		return false
	}
	c := f.start(t)
	_, err := c.CreateConnector(context.Background(), basicInput())
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusConflict {
		t.Fatalf("err = %v, want 409", err)
	}
	if !strings.Contains(err.Error(), "terraform import jira_align_connector.<name> 42") {
		t.Errorf("hint lacks the id: %v", err)
	}
	if f.count(http.MethodPut) != 0 || f.count(http.MethodPost) != 1 {
		t.Errorf("PUTs %d POSTs %d", f.count(http.MethodPut), f.count(http.MethodPost))
	}
}

func TestCreate502AfterActingAdopts(t *testing.T) {
	f := newFake(t)
	f.hook = func(w http.ResponseWriter, r *http.Request, body []byte, _ int) bool {
		if r.Method == http.MethodPost && f.createdCount() == 0 {
			f.create(body)
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
		return false
	}
	c := f.start(t)
	got, err := c.CreateConnector(context.Background(), basicInput())
	if err != nil {
		t.Fatal(err)
	}
	if f.createdCount() != 1 || f.count(http.MethodPost) != 1 || f.count(http.MethodPut) != 1 || got.ID != 1 {
		t.Errorf("created %d POST %d PUT %d got %+v", f.createdCount(), f.count(http.MethodPost), f.count(http.MethodPut), got)
	}
}

func TestCreateTruncated201Adopts(t *testing.T) {
	f := newFake(t)
	f.hook = func(w http.ResponseWriter, r *http.Request, body []byte, _ int) bool {
		if r.Method == http.MethodPost {
			f.create(body)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":1,"name":"jira-pr`))
			return true
		}
		return false
	}
	c := f.start(t)
	got, err := c.CreateConnector(context.Background(), basicInput())
	if err != nil || got.ID != 1 {
		t.Fatalf("got %+v, %v", got, err)
	}
	if f.createdCount() != 1 || f.count(http.MethodPost) != 1 {
		t.Errorf("created %d POSTs %d", f.createdCount(), f.count(http.MethodPost))
	}
}

func TestCreateConflict409(t *testing.T) {
	f := newFake(t)
	f.add(Connector{ID: 5, Name: "jira-prod", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	f.hook = func(w http.ResponseWriter, r *http.Request, body []byte, _ int) bool {
		if r.Method == http.MethodPost {
			// A careless server echoing the request body.
			writeErr(w, http.StatusConflict, "name taken; request was "+string(body), map[string][]string{"name": {"must be unique"}})
			return true
		}
		return false
	}
	c := f.start(t)
	_, err := c.CreateConnector(context.Background(), oauthInput())
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 409 {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"create connector", "409", "name: must be unique",
		"a connector with this name already exists: choose another name or import it (terraform import jira_align_connector.<name> <id>)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	assertNoSecret(t, "error", msg)
	assertNoSecret(t, "APIError.Message", ae.Message)
	if f.count(http.MethodPost) != 1 || f.createdCount() != 0 {
		t.Errorf("409 was retried")
	}

	// When the name is found the hint names its id.
	_, err = c.CreateConnector(context.Background(), basicInput())
	if err == nil || !strings.Contains(err.Error(), "terraform import jira_align_connector.<name> 5)") {
		t.Errorf("err = %v", err)
	}
}

func TestTruncatedJSONOnGetRetried(t *testing.T) {
	f := newFake(t)
	f.add(Connector{ID: 1, Name: "x", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	f.hook = func(w http.ResponseWriter, _ *http.Request, _ []byte, n int) bool {
		switch n {
		case 1: // well-framed but cut JSON
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":1,"name":"x","jiraU`))
			return true
		case 2: // Content-Length promises more than is sent
			w.Header().Set("Content-Length", "500")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"id":1,`))
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			hijackClose(t, w)
			return true
		}
		return false
	}
	c := f.start(t)
	got, err := c.GetConnector(context.Background(), 1)
	if err != nil || got.ID != 1 || got.JiraURL != "https://j" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if n := len(f.requests()); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}

	// Always malformed: fails after the budget, saying it could not decode.
	f.hook = func(w http.ResponseWriter, _ *http.Request, _ []byte, _ int) bool {
		_, _ = w.Write([]byte(`{"id":"one"}`))
		return true
	}
	before := len(f.requests())
	_, err = c.GetConnector(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "could not be decoded") {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.requests()) - before; n != 4 {
		t.Errorf("attempts = %d, want 4", n)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	hc, err := httpx.New(httpx.Settings{MaxRetries: 10, MinBackoff: 2 * time.Second, MaxBackoff: 10 * time.Second, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := New(srv.URL, testToken, hc)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	for _, op := range []func() error{
		func() error { _, err := c.GetConnector(ctx, 1); return err },
		func() error { _, err := c.CreateConnector(ctx, basicInput()); return err },
		func() error { return c.DeleteConnector(ctx, 1) },
	} {
		err := op()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the context's error", err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s after cancellation", d)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("server calls = %d, want 1 (no retry after cancel)", n)
	}
}

// A POST whose answer is lost while the context ends is not sent again; one detached lookup
// (bounded by request_timeout) tells whether it took effect, so that the connector can be
// tracked or reported instead of silently orphaned.
func TestCreateCancelledDuringAmbiguousRecovery(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFake(t)
	f.hook = func(w http.ResponseWriter, r *http.Request, _ []byte, _ int) bool {
		if r.Method != http.MethodPost {
			return false
		}
		cancel()
		hijackClose(t, w)
		return true
	}
	c := f.start(t)
	_, err := c.CreateConnector(ctx, basicInput())
	var uc *UnconfirmedCreateError
	if !errors.As(err, &uc) || uc.Connector != nil {
		t.Fatalf("err = %v, want an UnconfirmedCreateError without a connector", err)
	}
	if !strings.Contains(err.Error(), "may still create connector") || !strings.Contains(err.Error(), "terraform import") {
		t.Errorf("err does not say what to do: %v", err)
	}
	if posts, gets := f.count(http.MethodPost), f.count(http.MethodGet); posts != 1 || gets != 1 {
		t.Errorf("after cancel: %d POSTs (want 1, never resent), %d lookups (want 1)", posts, gets)
	}
}

// When the lookup after the context ended finds the connector, the error carries it.
func TestCreateCancelledButCreatedIsReported(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFake(t)
	var posted atomic.Bool
	f.hook = func(w http.ResponseWriter, r *http.Request, body []byte, _ int) bool {
		if r.Method != http.MethodPost || posted.Swap(true) {
			return false
		}
		// Created, then the answer is lost while the caller gives up.
		f.create(body)
		cancel()
		hijackClose(t, w)
		return true
	}
	c := f.start(t)
	_, err := c.CreateConnector(ctx, basicInput())
	var uc *UnconfirmedCreateError
	if !errors.As(err, &uc) || uc.Connector == nil || uc.Connector.Name != basicInput().Name {
		t.Fatalf("err = %v, want an UnconfirmedCreateError carrying the created connector", err)
	}
}

func TestTLSServer(t *testing.T) {
	f := newFake(t)
	f.add(Connector{ID: 1, Name: "x", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	srv := httptest.NewUnstartedServer(f)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshake is expected
	srv.StartTLS()
	defer srv.Close()
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	hc := testHTTPX(t, 0)
	c, _ := New(srv.URL, testToken, hc)
	if _, err := c.GetConnector(context.Background(), 1); err == nil {
		t.Fatal("an untrusted certificate was accepted")
	}
	// A failed handshake sent nothing: no "outcome unknown", no lookup, no second POST.
	_, err := c.CreateConnector(context.Background(), basicInput())
	if err == nil || !strings.Contains(err.Error(), "certificate") || strings.Contains(err.Error(), "outcome is unknown") ||
		strings.Contains(err.Error(), "looking the name up") {
		t.Fatalf("create over an untrusted certificate: %v", err)
	}
	var amb *httpx.AmbiguousError
	if errors.As(err, &amb) {
		t.Errorf("handshake failure reported as ambiguous: %v", err)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("server saw %d requests", n)
	}

	hc, err = httpx.New(httpx.Settings{CACertPEM: caPEM, MaxRetries: 1, MinBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, _ = New(srv.URL, testToken, hc)
	if got, err := c.GetConnector(context.Background(), 1); err != nil || got.ID != 1 {
		t.Fatalf("get over TLS = %+v, %v", got, err)
	}
}

func TestInputStringRedacts(t *testing.T) {
	in := oauthInput()
	in.Password = secretPassword
	for _, s := range []string{
		fmt.Sprint(in), fmt.Sprintf("%v", in), fmt.Sprintf("%+v", in), fmt.Sprintf("%#v", in), fmt.Sprintf("%s", in), //nolint:staticcheck // the %s verb is under test
		fmt.Sprintf("%v", &in), fmt.Sprintf("%+v", []ConnectorInput{in}), fmt.Sprintf("%#v", &in),
	} {
		assertNoSecret(t, "formatted input", s)
		if !strings.Contains(s, "JiraAlignProd") || !strings.Contains(s, "<redacted>") {
			t.Errorf("formatted input lacks its public fields or the redaction mark: %s", s)
		}
	}
	if s := (ConnectorInput{Name: "n"}).String(); strings.Contains(s, "<redacted>") {
		t.Errorf("unset secrets shown as redacted: %s", s)
	}
}

func TestConnectorsStopsPagingWhenTheConsumerStops(t *testing.T) {
	f := newFake(t)
	for i := 1; i <= 250; i++ {
		f.add(Connector{Name: fmt.Sprintf("c%03d", i), JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	}
	c := f.start(t)
	var got []int
	for conn, err := range c.Connectors(context.Background(), "") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, conn.ID)
		if len(got) == 150 {
			break
		}
	}
	if len(got) != 150 || got[0] != 1 || got[149] != 150 {
		t.Fatalf("got %d connectors, first %d, last %d", len(got), got[0], got[len(got)-1])
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("want 2 pages fetched for 150 connectors, got %d requests", len(reqs))
	}
	if q := reqs[1].Query; q.Get("$top") != "100" || q.Get("$skip") != "100" {
		t.Errorf("second page query = %q", reqs[1].RawQuery)
	}
}

func TestConnectorsYieldsAFailureOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeErr(w, http.StatusForbidden, "role without admin rights", nil)
	}))
	defer srv.Close()
	c, _ := New(srv.URL, testToken, testHTTPX(t, 0))
	n := 0
	for _, err := range c.Connectors(context.Background(), "x") {
		n++
		if err == nil || !strings.Contains(err.Error(), "403") {
			t.Errorf("err = %v", err)
		}
	}
	if n != 1 {
		t.Errorf("yielded %d pairs, want one failure", n)
	}
}

// A read or an update of connector 3 answered with connector 7 (a misrouting proxy or cache) is
// refused, naming both ids, and not retried: the caller must never adopt connector 7.
func TestAnswerAboutAnotherConnectorRefused(t *testing.T) {
	f := newFake(t)
	f.add(Connector{ID: 3, Name: "mine", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	f.add(Connector{ID: 7, Name: "theirs", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	f.hook = func(w http.ResponseWriter, r *http.Request, _ []byte, _ int) bool {
		if r.URL.Path != "/rest/align/api/2/Connectors/3" {
			return false
		}
		f.mu.Lock()
		other := *f.conns[7]
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(other)
		return true
	}
	c := f.start(t)
	ctx := context.Background()
	for name, call := range map[string]func() (*Connector, error){
		"get": func() (*Connector, error) { return c.GetConnector(ctx, 3) },
		"update": func() (*Connector, error) {
			return c.UpdateConnector(ctx, 3, ConnectorInput{Name: "mine", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic, Username: "u"})
		},
	} {
		before := len(f.requests())
		got, err := call()
		var me *IDMismatchError
		if got != nil || !errors.As(err, &me) || me.Asked != 3 || me.Got != 7 {
			t.Fatalf("%s: got %+v, %v; want an IDMismatchError 3/7", name, got, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "connector 7, not connector 3") {
			t.Errorf("%s: message %q does not name both ids", name, msg)
		}
		if n := len(f.requests()) - before; n != 1 {
			t.Errorf("%s: %d requests, want 1 (not retried)", name, n)
		}
	}
}

// A create answered with another connector (here one that already existed) is refused: the
// caller must never record that connector as the one it created.
func TestCreateAnsweredWithAnotherConnectorRefused(t *testing.T) {
	f := newFake(t)
	f.add(Connector{ID: 7, Name: "theirs", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic})
	f.hook = func(w http.ResponseWriter, r *http.Request, _ []byte, _ int) bool {
		if r.Method != http.MethodPost {
			return false
		}
		f.mu.Lock()
		other := *f.conns[7]
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(other)
		return true
	}
	c := f.start(t)
	got, err := c.CreateConnector(context.Background(), ConnectorInput{Name: "mine", JiraURL: "https://j", JiraType: 1, AuthType: AuthBasic, Username: "u", Password: "p"})
	if got != nil || err == nil || !strings.Contains(err.Error(), `answered the create with connector 7 named "theirs", not a connector named "mine"`) {
		t.Fatalf("got %+v, %v; want the answer refused", got, err)
	}
	if n := f.count(http.MethodPost); n != 1 {
		t.Errorf("%d POSTs, want 1", n)
	}
	if n := f.count(http.MethodPut) + f.count(http.MethodDelete); n != 0 {
		t.Errorf("%d writes after the refused answer", n)
	}
}
