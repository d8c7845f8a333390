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
