package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestUserAgentFormat(t *testing.T) {
	for _, tc := range []struct{ provider, cli, want string }{
		{"0.1.0", "1.5.7", "terraform-provider-jira/0.1.0 (Terraform/1.5.7)"},
		{"0.1.0-SNAPSHOT-abc1234", "1.12.6", "terraform-provider-jira/0.1.0-SNAPSHOT-abc1234 (Terraform/1.12.6)"},
		{"dev", "", "terraform-provider-jira/dev"},
	} {
		if got := UserAgent(tc.provider, tc.cli); got != tc.want {
			t.Errorf("UserAgent(%q, %q) = %q, want %q", tc.provider, tc.cli, got, tc.want)
		}
	}
}

// Every request a Client sends carries the User-Agent, whatever path it takes out: Do over the
// shared transport, Do with a per-call transport (the OAuth signer), a retried attempt, and a
// plain *http.Client from HTTPClient (the OAuth token calls), also when the caller or a library
// set a User-Agent of its own. The caller's request is left as it was.
func TestUserAgentOnEveryRequest(t *testing.T) {
	const ua = "terraform-provider-jira/1.2.3 (Terraform/1.5.7)"
	var (
		mu   sync.Mutex
		seen []string
		n    int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.UserAgent())
		n++
		if r.URL.Path == "/flaky" && n%2 == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	c, err := New(Settings{UserAgent: ua, MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Do(ctx, Request{Method: "GET", URL: srv.URL + "/plain", Idempotent: true}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n = 0
	mu.Unlock()
	res, err := c.Do(ctx, Request{Method: "GET", URL: srv.URL + "/flaky", Idempotent: true, Header: http.Header{"User-Agent": {"caller/1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 {
		t.Fatalf("flaky call took %d attempts, want 2", res.Attempts)
	}
	var signerSaw []string
	perCall := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		signerSaw = append(signerSaw, r.UserAgent())
		return c.Transport().RoundTrip(r)
	})
	if _, err := c.Do(ctx, Request{Method: "POST", URL: srv.URL + "/signed", Body: []byte("x"), Transport: perCall}); err != nil {
		t.Fatal(err)
	}
	if len(signerSaw) != 1 || signerSaw[0] != ua {
		t.Fatalf("the per-call transport saw User-Agent %q, want it set once to %q before it runs", signerSaw, ua)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/token", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "Go-http-client/1.1")
	resp, err := c.HTTPClient(c.Transport()).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if got := req.Header.Get("User-Agent"); got != "Go-http-client/1.1" {
		t.Errorf("the caller's request was modified: User-Agent %q", got)
	}

	mu.Lock()
	defer mu.Unlock()
	// plain, flaky twice, signed, token: all with the provider's User-Agent, the caller's own
	// replaced.
	want := []string{ua, ua, ua, ua, ua}
	if len(seen) != len(want) {
		t.Fatalf("server saw %d requests (%q), want %d", len(seen), seen, len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("request %d: User-Agent %q, want %q", i+1, seen[i], want[i])
		}
	}
}

// Without a configured User-Agent, nothing is replaced (Go's default goes out).
func TestNoUserAgentConfigured(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.UserAgent() }))
	defer srv.Close()
	if _, err := quick(t, 0).Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true}); err != nil {
		t.Fatal(err)
	}
	if got != "Go-http-client/1.1" {
		t.Fatalf("User-Agent %q, want Go's default", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
