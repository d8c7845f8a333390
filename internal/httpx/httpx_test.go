package httpx

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func quick(t *testing.T, retries int) *Client {
	t.Helper()
	c, err := New(Settings{MaxRetries: retries, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRetryAfterHonouredThenSuccess(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	start := time.Now()
	res, err := quick(t, 3).Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || string(res.Body) != "ok" || res.Attempts != 2 {
		t.Fatalf("got %d %q after %d attempts", res.StatusCode, res.Body, res.Attempts)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("retried after %s, before Retry-After's 1s", d)
	}
}

func TestRetriesBoundedByMaxRetries(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	res, err := quick(t, 2).Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusBadGateway || n.Load() != 3 {
		t.Fatalf("status %d after %d requests, want 502 after 3", res.StatusCode, n.Load())
	}
}

func TestRetryAfterBeyondTimeoutStops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	_, err := quick(t, 3).Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true})
	var tooLong *RetryAfterTooLongError
	if !errors.As(err, &tooLong) || !strings.Contains(err.Error(), "request_timeout") {
		t.Fatalf("err = %v, want RetryAfterTooLongError naming request_timeout", err)
	}
}

func TestNonIdempotentAmbiguousFailureNotRetried(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	defer srv.Close()
	_, err := quick(t, 3).Do(context.Background(), Request{Method: "POST", URL: srv.URL, Body: []byte("{}")})
	var amb *AmbiguousError
	if !errors.As(err, &amb) {
		t.Fatalf("err = %v, want AmbiguousError", err)
	}
	if n.Load() != 1 {
		t.Fatalf("POST sent %d times, want 1", n.Load())
	}
}

func TestNonIdempotentRetriedOn503(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	res, err := quick(t, 3).Do(context.Background(), Request{Method: "POST", URL: srv.URL})
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("res %+v err %v", res, err)
	}
}

func TestUntrustedCertificateIsFinalAndNamesCACert(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	defer srv.Close()
	_, err := quick(t, 3).Do(context.Background(), Request{Method: "POST", URL: srv.URL})
	var tlsErr *TLSError
	if !errors.As(err, &tlsErr) {
		t.Fatalf("err = %v, want TLSError", err)
	}
	if !strings.Contains(err.Error(), "certificate") || !strings.Contains(err.Error(), "ca_cert_pem") {
		t.Fatalf("message %q should name the certificate problem and ca_cert_pem", err)
	}
	if n.Load() != 0 {
		t.Fatalf("server saw %d requests", n.Load())
	}
}

func TestCACertPEMTrusted(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS.Version < 0x0303 {
			t.Errorf("TLS version %x below 1.2", r.TLS.Version)
		}
	}))
	defer srv.Close()
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	c, err := New(Settings{CACertPEM: pemText, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("res %+v err %v", res, err)
	}
	if _, err := New(Settings{CACertPEM: "not a certificate"}); err == nil {
		t.Fatal("a CA PEM without certificates was accepted")
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := quick(t, 5).Do(ctx, Request{Method: "GET", URL: srv.URL, Idempotent: true})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("cancellation took %s", d)
	}
}

func TestBackoffBounds(t *testing.T) {
	for attempt := 1; attempt < 20; attempt++ {
		d := Backoff(attempt, 100*time.Millisecond, 2*time.Second)
		if d < 50*time.Millisecond || d > 2*time.Second {
			t.Fatalf("attempt %d: %s out of bounds", attempt, d)
		}
	}
	if RetryAfter(http.Header{"Retry-After": {"7"}}, time.Now()) != 7*time.Second {
		t.Fatal("Retry-After seconds")
	}
	future := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	if d := RetryAfter(http.Header{"Retry-After": {future}}, time.Now()); d < 80*time.Second || d > 91*time.Second {
		t.Fatalf("Retry-After date gave %s", d)
	}
}

// The documented worst case of one call with the default settings.
func TestMaxCallTimeDefaults(t *testing.T) {
	if got := (Settings{MaxRetries: -1}).MaxCallTime(); got != 11*time.Minute {
		t.Fatalf("MaxCallTime with the defaults = %s, want 11m0s (6 × 60 s attempts + 5 × 60 s waits)", got)
	}
	if got := (Settings{MaxRetries: 0}).MaxCallTime(); got != DefaultRequestTimeout {
		t.Fatalf("MaxCallTime without retries = %s, want one request_timeout", got)
	}
	// The backoff ceiling counts where it is longer than request_timeout.
	s := Settings{RequestTimeout: time.Second, MaxRetries: 3, MinBackoff: time.Second, MaxBackoff: 3 * time.Second}
	if got, want := s.MaxCallTime(), 4*time.Second+(1+2+3)*time.Second; got != want {
		t.Fatalf("MaxCallTime = %s, want %s", got, want)
	}
}

// A peer that never answers in time, and one that answers 503 with a Retry-After as long as
// request_timeout just before each attempt times out, both end the call within MaxCallTime, after
// using the whole budget.
func TestCallEndsWithinMaxCallTime(t *testing.T) {
	cases := []struct {
		name     string
		settings Settings
		handler  func(w http.ResponseWriter, r *http.Request)
		atLeast  time.Duration
	}{
		{
			name:     "hanging peer",
			settings: Settings{RequestTimeout: 300 * time.Millisecond, MaxRetries: 3, MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
			handler:  func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			atLeast:  4 * 300 * time.Millisecond,
		},
		{
			name:     "slow 503 with Retry-After",
			settings: Settings{RequestTimeout: time.Second, MaxRetries: 2, MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(900 * time.Millisecond):
				}
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusServiceUnavailable)
			},
			atLeast: 3*900*time.Millisecond + 2*time.Second,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				tc.handler(w, r)
			}))
			defer srv.Close()
			c, err := New(tc.settings)
			if err != nil {
				t.Fatal(err)
			}
			bound := tc.settings.MaxCallTime()
			start := time.Now()
			_, _ = c.Do(context.Background(), Request{Method: http.MethodGet, URL: srv.URL, Idempotent: true})
			took := time.Since(start)
			if limit := bound + 500*time.Millisecond; took > limit {
				t.Errorf("the call took %s, beyond its worst case %s (+ 500 ms)", took, bound)
			}
			if took < tc.atLeast {
				t.Errorf("the call took %s, less than %s: it did not use its budget, so the bound was not tested", took, tc.atLeast)
			}
			if got, want := int(n.Load()), tc.settings.MaxRetries+1; got != want {
				t.Errorf("attempts = %d, want %d", got, want)
			}
		})
	}
}

// A 2xx that Decode rejects is read again for an idempotent request, within the budget; for
// another request its outcome is unknown and it is not sent again.
func TestDecodeRetriesGarbled2xx(t *testing.T) {
	var n atomic.Int32
	garbled := atomic.Int32{} // how many answers are garbled before a good one
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) <= garbled.Load() {
			_, _ = w.Write([]byte(`{"id":`))
			return
		}
		_, _ = w.Write([]byte(`{"id":1}`))
	}))
	defer srv.Close()
	decode := func(res *Response) error {
		if !strings.HasSuffix(string(res.Body), "}") {
			return errors.New("cut short")
		}
		return nil
	}
	c := quick(t, 2)
	garbled.Store(1)
	res, err := c.Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true, Decode: decode})
	if err != nil || res.Attempts != 2 || string(res.Body) != `{"id":1}` {
		t.Fatalf("res %+v err %v, want the second answer", res, err)
	}

	n.Store(0)
	garbled.Store(100)
	_, err = c.Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true, Decode: decode, Describe: "get thing"})
	var ex *RetriesExhaustedError
	var de *DecodeError
	if !errors.As(err, &ex) || ex.Attempts != 3 || !errors.As(err, &de) || de.StatusCode != 200 || de.Call != "get thing" {
		t.Fatalf("err = %v, want a DecodeError after 3 attempts", err)
	}

	n.Store(0)
	_, err = c.Do(context.Background(), Request{Method: "POST", URL: srv.URL, Decode: decode})
	if !errors.As(err, &de) || errors.As(err, &ex) || n.Load() != 1 {
		t.Fatalf("POST: err = %v after %d requests, want a DecodeError after 1", err, n.Load())
	}
}

// The first answer Refused reports is retried, even for a request that is not idempotent; a
// second one is returned.
func TestRefusedAnswerRetriedOnce(t *testing.T) {
	var n, refusals atomic.Int32
	refusals.Store(1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) <= refusals.Load() {
			w.Header().Set("WWW-Authenticate", `OAuth oauth_problem="nonce_used"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	refused := func(res *Response) bool {
		return strings.Contains(res.Header.Get("WWW-Authenticate"), "nonce_used")
	}
	res, err := quick(t, 2).Do(context.Background(), Request{Method: "POST", URL: srv.URL, Refused: refused})
	if err != nil || res.StatusCode != http.StatusNoContent || n.Load() != 2 {
		t.Fatalf("res %+v err %v after %d requests", res, err, n.Load())
	}
	n.Store(0)
	refusals.Store(100)
	res, err = quick(t, 2).Do(context.Background(), Request{Method: "POST", URL: srv.URL, Refused: refused})
	if err != nil || res.StatusCode != http.StatusUnauthorized || n.Load() != 2 || res.Attempts != 2 {
		t.Fatalf("always refused: res %+v err %v after %d requests, want the 401 after 2", res, err, n.Load())
	}
	// Without Refused the 401 is an answer like any other.
	n.Store(0)
	res, err = quick(t, 2).Do(context.Background(), Request{Method: "POST", URL: srv.URL})
	if err != nil || res.StatusCode != http.StatusUnauthorized || n.Load() != 1 {
		t.Fatalf("res %+v err %v after %d requests", res, err, n.Load())
	}
}

// After a failure whose outcome is unknown, Landed decides whether a request that is not
// idempotent is sent again.
func TestLandedDecidesResend(t *testing.T) {
	var posts atomic.Int32
	var mode atomic.Value // "drop" or "502 then 201"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		k := posts.Add(1)
		switch {
		case mode.Load() == "drop":
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
		case k == 1:
			w.WriteHeader(http.StatusBadGateway)
		default:
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer srv.Close()
	c := quick(t, 3)
	var lookups atomic.Int32
	landed := func(answer bool) func(context.Context) (bool, error) {
		return func(context.Context) (bool, error) { lookups.Add(1); return answer, nil }
	}

	mode.Store("drop")
	_, err := c.Do(context.Background(), Request{Method: "POST", URL: srv.URL, Landed: landed(false)})
	var amb *AmbiguousError
	var ex *RetriesExhaustedError
	if !errors.As(err, &amb) || !errors.As(err, &ex) || posts.Load() != 4 || lookups.Load() != 4 {
		t.Fatalf("not landed: err = %v after %d POSTs and %d lookups, want 4 of each", err, posts.Load(), lookups.Load())
	}

	posts.Store(0)
	lookups.Store(0)
	_, err = c.Do(context.Background(), Request{Method: "POST", URL: srv.URL, Landed: landed(true)})
	if !errors.As(err, &amb) || errors.As(err, &ex) || posts.Load() != 1 || lookups.Load() != 1 {
		t.Fatalf("landed: err = %v after %d POSTs and %d lookups, want 1 of each", err, posts.Load(), lookups.Load())
	}

	posts.Store(0)
	lookups.Store(0)
	mode.Store("502 then 201")
	res, err := c.Do(context.Background(), Request{Method: "POST", URL: srv.URL, Landed: landed(false)})
	if err != nil || res.StatusCode != http.StatusCreated || posts.Load() != 2 || lookups.Load() != 1 {
		t.Fatalf("502: res %+v err %v after %d POSTs and %d lookups", res, err, posts.Load(), lookups.Load())
	}
	// Without Landed a 502 to a POST is returned as it is.
	posts.Store(0)
	res, err = c.Do(context.Background(), Request{Method: "POST", URL: srv.URL})
	if err != nil || res.StatusCode != http.StatusBadGateway || posts.Load() != 1 {
		t.Fatalf("502 without Landed: res %+v err %v after %d POSTs", res, err, posts.Load())
	}
}
