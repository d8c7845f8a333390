package jiraapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dghubble/oauth1"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/jirasim"
)

// Benchmarks of the OAuth hot path (make bench runs them; `go test` without -bench does not).

// okTransport answers every request with an empty 200 without any I/O, so that a benchmark
// through it measures the signing alone.
type okTransport struct{}

func (okTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Header: http.Header{}}, nil
}

func benchKey(b *testing.B, bits int) *rsa.PrivateKey {
	b.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// BenchmarkSignRequest signs GET /rest/api/2/myself with an access token the way
// signedTransport does (dghubble/oauth1 with RSASigner: nonce, timestamp, RFC 5849 base string,
// RSA-SHA1 over SHA-1, Authorization header), over a transport that does no I/O.
func BenchmarkSignRequest(b *testing.B) {
	for _, bits := range []int{2048, 3072, 4096} {
		b.Run(fmt.Sprintf("rsa-%d", bits), func(b *testing.B) {
			key := benchKey(b, bits)
			cfg := &oauth1.Config{ConsumerKey: "JiraAlignBench", Signer: &oauth1.RSASigner{PrivateKey: key}}
			ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: okTransport{}})
			rt := oauth1.NewClient(ctx, cfg, &oauth1.Token{Token: "access-token", TokenSecret: "secret"}).Transport
			b.ReportAllocs()
			for b.Loop() {
				req, err := http.NewRequest(http.MethodGet, "https://jira.example.com/jira/rest/api/2/myself", nil)
				if err != nil {
					b.Fatal(err)
				}
				res, err := rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				_ = res.Body.Close()
			}
		})
	}
}

// BenchmarkMyselfLoopback is the whole refresh call of one jira_align_access_token: Client.Myself
// through httpx and the real keep-alive transport to the Jira simulator on loopback, which
// parses the header, rebuilds the base string and verifies the RSA-SHA1 signature.
func BenchmarkMyselfLoopback(b *testing.B) {
	const adminPass, svcPass = "admin-pass", "svc-pass"
	sim := jirasim.New(jirasim.Options{ContextPath: "/jira", Users: map[string]jirasim.User{
		"admin":     {Password: adminPass, Admin: true, DisplayName: "Admin", Active: true},
		"svc-align": {Password: svcPass, DisplayName: "Service", Active: true},
	}})
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	hc, err := httpx.New(httpx.Settings{MaxRetries: 0})
	if err != nil {
		b.Fatal(err)
	}
	c, err := New(srv.URL+"/jira", hc)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	key := benchKey(b, 2048)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	admin := BasicAuth{Username: "admin", Password: adminPass}
	link, err := c.CreateApplicationLink(ctx, admin, ApplicationLink{Name: "bench", RPCURL: "https://align.example.com", DisplayURL: "https://align.example.com", TypeID: "generic"})
	if err != nil {
		b.Fatal(err)
	}
	consumer := OAuthConsumer{Key: "JiraAlignBench", PrivateKey: key}
	if err := c.PutConsumer(ctx, admin, link.ID, Consumer{Key: consumer.Key, Name: "bench",
		PublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}); err != nil {
		b.Fatal(err)
	}
	tok, err := c.Handshake(ctx, consumer, BasicAuth{Username: "svc-align", Password: svcPass}, "https://127.0.0.1/cb")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		u, err := c.Myself(ctx, consumer, tok.Token, tok.Secret)
		if err != nil || u.Name != "svc-align" {
			b.Fatalf("Myself = %v, %v", u, err)
		}
	}
	b.StopTimer()
	if n := sim.RequestCounts()["GET /rest/api/2/myself"]; n < int64(b.N) {
		b.Fatalf("the simulator saw %d /myself calls for b.N=%d", n, b.N)
	}
}
