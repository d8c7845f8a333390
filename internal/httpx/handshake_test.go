package httpx

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A server that speaks only TLS 1.0/1.1 fails the handshake: the error is a final *TLSError
// naming the protocol version, not an ambiguous or retried failure, even for a POST.
func TestOldTLSVersionIsFinalAndNamed(t *testing.T) {
	var handled atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { handled.Add(1) }))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11} //nolint:gosec // deliberately old
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	c, err := New(Settings{CACertPEM: ca, MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), Request{Method: http.MethodPost, URL: srv.URL + "/x", Body: []byte("{}"), Describe: "create thing"})
	var te *TLSError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T), want *TLSError", err, err)
	}
	var amb *AmbiguousError
	if errors.As(err, &amb) {
		t.Errorf("a handshake failure is reported as ambiguous: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "protocol version") || !strings.Contains(msg, "TLS 1.2") {
		t.Errorf("message does not name the protocol version problem: %s", msg)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1 (no retry)", n)
	}
	if n := handled.Load(); n != 0 {
		t.Errorf("the handler ran %d times", n)
	}
}

// A connection reset after the request was written is ambiguous for a POST; one that fails
// before anything is written (a refused connection) is retried.
func TestWrittenDecidesAmbiguity(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	defer srv.Close()
	c := quick(t, 3)
	_, err := c.Do(context.Background(), Request{Method: http.MethodPost, URL: srv.URL, Body: []byte("x")})
	var amb *AmbiguousError
	if !errors.As(err, &amb) {
		t.Fatalf("err = %v, want *AmbiguousError", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens: connections are refused
	_, err = c.Do(context.Background(), Request{Method: http.MethodPost, URL: "http://" + addr + "/", Body: []byte("x")})
	var ex *RetriesExhaustedError
	if !errors.As(err, &ex) || ex.Attempts != 4 {
		t.Fatalf("err = %v, want retries exhausted after 4 attempts", err)
	}
}
