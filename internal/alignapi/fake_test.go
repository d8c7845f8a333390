package alignapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
)

const testToken = "tok-Sup3rS3cret-API"

// recorded is one request the fake saw.
type recorded struct {
	Method   string
	Path     string
	RawQuery string
	Query    url.Values
	Header   http.Header
	Body     []byte
}

// fakeAlign is a small in-test Jira Align: a connector store plus hooks to misbehave.
type fakeAlign struct {
	t      *testing.T
	prefix string // path before /rest/align/api/2

	mu      sync.Mutex
	conns   map[int]*Connector
	secrets map[int]map[string]string
	nextID  int
	reqs    []recorded
	creates int // connectors actually created

	// hook, when set, runs first; it returns true when it answered the request itself.
	hook func(w http.ResponseWriter, r *http.Request, body []byte, n int) bool
}

func newFake(t *testing.T) *fakeAlign {
	return &fakeAlign{t: t, conns: map[int]*Connector{}, secrets: map[int]map[string]string{}, nextID: 1}
}

func (f *fakeAlign) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeAlign) count(method string) int {
	n := 0
	for _, r := range f.requests() {
		if r.Method == method {
			n++
		}
	}
	return n
}

func (f *fakeAlign) createdCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates
}

// add stores a connector as if made in the UI.
func (f *fakeAlign) add(c Connector) *Connector {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.ID == 0 {
		c.ID = f.nextID
	}
	if c.ID >= f.nextID {
		f.nextID = c.ID + 1
	}
	if c.CredentialVersion == 0 {
		c.CredentialVersion = 1
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)
	}
	cp := c
	f.conns[c.ID] = &cp
	return &cp
}

// create stores a connector from an input body, as POST does.
func (f *fakeAlign) create(body []byte) *Connector {
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		f.t.Errorf("fake: bad POST body: %v", err)
	}
	c := connectorFromInput(in)
	out := f.add(c)
	f.mu.Lock()
	f.creates++
	f.secrets[out.ID] = secretsOf(in)
	f.mu.Unlock()
	return out
}

func connectorFromInput(in map[string]any) Connector {
	str := func(k string) string { s, _ := in[k].(string); return s }
	ptr := func(k string) *string {
		if s := str(k); s != "" {
			return &s
		}
		return nil
	}
	jt, _ := in["jiraType"].(float64)
	c := Connector{Name: str("name"), JiraURL: str("jiraUrl"), JiraType: int(jt), AuthType: str("authType"),
		Username: ptr("username"), ConsumerKey: ptr("consumerKey")}
	if s := str("accessTokenExpiresAt"); s != "" {
		tm, _ := time.Parse(time.RFC3339, s)
		c.AccessTokenExpiresAt = &tm
	}
	return c
}

func secretsOf(in map[string]any) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"password", "privateKeyPem", "accessToken", "accessTokenSecret"} {
		if s, ok := in[k].(string); ok {
			out[k] = s
		}
	}
	return out
}

func (f *fakeAlign) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	n := len(f.reqs)
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && hook(w, r, body, n) {
		return
	}
	if r.Header.Get("Authorization") != "bearer "+testToken {
		writeErr(w, http.StatusUnauthorized, "bad token", nil)
		return
	}
	base := f.prefix + "/rest/align/api/2/Connectors"
	switch {
	case r.URL.Path == base && r.Method == http.MethodGet:
		f.list(w, r)
	case r.URL.Path == base && r.Method == http.MethodPost:
		c := f.create(body)
		w.Header().Set("Location", base+"/"+strconv.Itoa(c.ID))
		writeJSON(w, http.StatusCreated, c)
	case strings.HasPrefix(r.URL.Path, base+"/"):
		id, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, base+"/"))
		if err != nil {
			writeErr(w, http.StatusNotFound, "no such path", nil)
			return
		}
		f.one(w, r, id, body)
	default:
		writeErr(w, http.StatusNotFound, "no such path", nil)
	}
}

func (f *fakeAlign) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	top, err1 := strconv.Atoi(q.Get("$top"))
	skip, err2 := strconv.Atoi(q.Get("$skip"))
	if err1 != nil || err2 != nil || top > 100 || top < 1 || skip < 0 {
		writeErr(w, http.StatusBadRequest, "bad paging", nil)
		return
	}
	var name string
	filtered := false
	if fl := q.Get("$filter"); fl != "" {
		if !strings.HasPrefix(fl, "name eq '") || !strings.HasSuffix(fl, "'") {
			writeErr(w, http.StatusBadRequest, "bad filter", nil)
			return
		}
		name = strings.ReplaceAll(fl[len("name eq '"):len(fl)-1], "''", "'")
		filtered = true
	}
	f.mu.Lock()
	var all []Connector
	for _, c := range f.conns {
		if !filtered || strings.EqualFold(c.Name, name) {
			all = append(all, *c)
		}
	}
	f.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	page := []Connector{}
	for i := skip; i < len(all) && i < skip+top; i++ {
		page = append(page, all[i])
	}
	writeJSON(w, http.StatusOK, page)
}

func (f *fakeAlign) one(w http.ResponseWriter, r *http.Request, id int, body []byte) {
	f.mu.Lock()
	c, ok := f.conns[id]
	f.mu.Unlock()
	if !ok {
		writeErr(w, http.StatusNotFound, "connector "+strconv.Itoa(id)+" not found", nil)
		return
	}
	switch r.Method {
	case http.MethodGet:
		f.mu.Lock()
		cp := *c
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, cp)
	case http.MethodPut:
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			writeErr(w, http.StatusBadRequest, "bad body", nil)
			return
		}
		nc := connectorFromInput(in)
		f.mu.Lock()
		nc.ID = id
		nc.CredentialVersion = c.CredentialVersion
		sec := secretsOf(in)
		changed := false
		for k, v := range sec {
			if f.secrets[id][k] != v {
				changed = true
			}
			if f.secrets[id] == nil {
				f.secrets[id] = map[string]string{}
			}
			f.secrets[id][k] = v
		}
		if changed {
			nc.CredentialVersion++
		}
		nc.UpdatedAt = c.UpdatedAt.Add(time.Second)
		f.conns[id] = &nc
		cp := nc
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, cp)
	case http.MethodDelete:
		f.mu.Lock()
		delete(f.conns, id)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeErr(w, http.StatusMethodNotAllowed, "method", nil)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, msg string, fields map[string][]string) {
	writeJSON(w, status, map[string]any{"status": status, "message": msg, "errors": fields})
}

// hijackClose drops the connection without an answer.
func hijackClose(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Errorf("cannot hijack")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

func testHTTPX(t *testing.T, maxRetries int) *httpx.Client {
	t.Helper()
	hc, err := httpx.New(httpx.Settings{MaxRetries: maxRetries, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

// start serves the fake and returns a client for it with a 3-retry budget.
func (f *fakeAlign) start(t *testing.T) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+f.prefix, testToken, testHTTPX(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func strp(s string) *string { return &s }
