package httpx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/hostile"
)

// TestTLSHints: each kind of TLS failure gets its own message, naming what the certificate
// holds and what the provider expected; every one is final (no retry, nothing sent), also for a
// POST.
func TestTLSHints(t *testing.T) {
	ca := hostile.NewCA(t, "Test Root CA")
	other := hostile.NewCA(t, "Some Other CA")
	loopback := hostile.Loopback
	now := time.Now()
	valid := ca.Leaf(t, now.Add(-time.Hour), now.Add(time.Hour), []string{"localhost"}, loopback)
	cases := []struct {
		name    string
		cert    *tls.Certificate
		tls     *tls.Config // server settings, when not just the certificate
		plain   bool        // a server without TLS
		caPEM   string
		want    []string
		notWant []string
	}{
		{
			name: "unknown authority", cert: &valid, caPEM: other.PEM,
			want: []string{"signed by an authority this machine does not trust", `issuer "CN=Test Root CA,O=Test"`, "ca_cert_pem"},
		},
		{
			name: "unknown authority, no ca_cert_pem", cert: &valid,
			want: []string{"signed by an authority this machine does not trust", "give that CA's certificate in the provider's ca_cert_pem"},
		},
		{
			name: "expired", caPEM: ca.PEM,
			cert:    ptr(ca.Leaf(t, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), nil, loopback)),
			want:    []string{"has expired", "valid from 2020-01-01T00:00:00Z to 2021-01-01T00:00:00Z", "this machine's clock says " + now.UTC().Format("2006-01-02T"), "renewed", "clock"},
			notWant: []string{"ca_cert_pem"},
		},
		{
			name: "not yet valid", caPEM: ca.PEM,
			cert:    ptr(ca.Leaf(t, now.Add(48*time.Hour), now.Add(96*time.Hour), nil, loopback)),
			want:    []string{"not valid yet", "valid from " + now.Add(48*time.Hour).UTC().Format("2006-01-02T"), "this machine's clock says", "clock"},
			notWant: []string{"ca_cert_pem"},
		},
		{
			name: "name mismatch", caPEM: ca.PEM,
			cert:    ptr(ca.Leaf(t, now.Add(-time.Hour), now.Add(time.Hour), []string{"jira.example.com", "*.jira.example.com"}, []net.IP{net.ParseIP("10.0.0.7")})),
			want:    []string{`is for jira.example.com, *.jira.example.com, 10.0.0.7, not for "127.0.0.1", the host in the URL`},
			notWant: []string{"ca_cert_pem"},
		},
		{
			name: "TLS 1.1", caPEM: ca.PEM, cert: &valid,
			tls:     &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, //nolint:gosec // deliberately old: the client must refuse it
			want:    []string{"does not offer TLS 1.2 or later", "TLS 1.0 and 1.1 are refused"},
			notWant: []string{"ca_cert_pem"},
		},
		{
			name: "not TLS", plain: true,
			want: []string{"does not speak TLS at this address", "scheme (https) and port"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var handled atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { handled.Add(1) }))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the point
			url := ""
			if c.plain {
				srv.Start()
				url = "https://" + srv.Listener.Addr().String() + "/x"
			} else {
				srv.TLS = c.tls
				if srv.TLS == nil {
					srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
				}
				srv.TLS.Certificates = []tls.Certificate{*c.cert}
				srv.StartTLS()
				url = srv.URL + "/x"
			}
			defer srv.Close()
			hc, err := New(Settings{CACertPEM: c.caPEM, MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			_, err = hc.Do(context.Background(), Request{Method: http.MethodPost, URL: url, Body: []byte("{}"), Describe: "create thing"})
			var te *TLSError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v (%T), want *TLSError", err, err)
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(msg, w) {
					t.Errorf("message has %q, which does not apply:\n%s", w, msg)
				}
			}
			if n := handled.Load(); n != 0 {
				t.Errorf("the handler ran %d times", n)
			}
			t.Logf("%s", msg)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Names taken from a peer's certificate are shown printable and bounded.
func TestCertNamesSanitized(t *testing.T) {
	c := &x509.Certificate{DNSNames: []string{"a\x1b[31m.example", strings.Repeat("b", 300)}}
	got := certNames(c)
	if strings.ContainsRune(got, 0x1b) || len(got) > 250 {
		t.Errorf("certNames = %q", got)
	}
	if got := certNames(&x509.Certificate{Subject: pkix.Name{CommonName: "legacy.example"}}); !strings.Contains(got, "legacy.example (common name only") {
		t.Errorf("common name only: %q", got)
	}
}
