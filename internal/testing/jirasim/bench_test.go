package jirasim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // RSA-SHA1 is what RFC 5849 and Jira mandate.
	"encoding/base64"
	"fmt"
	"net/url"
	"testing"
)

// Benchmarks of the simulator's verification path, which every signed call goes through (make
// bench runs them; `go test` without -bench does not).

// benchRequest is a signed GET /rest/api/2/myself as the provider sends it.
func benchRequest() (*url.URL, map[string]string) {
	u, _ := url.Parse("http://127.0.0.1:41234/jira/rest/api/2/myself")
	return u, map[string]string{
		"oauth_consumer_key":     "JiraAlignBench",
		"oauth_nonce":            "dGhpcyBpcyBhIG5vbmNlIGZvciBiZW5jaA",
		"oauth_signature_method": "RSA-SHA1",
		"oauth_timestamp":        "1796000000",
		"oauth_token":            "at-3f2b6c1d9e8a7b6c5d4e3f2a1b0c9d8e",
		"oauth_version":          "1.0",
		"oauth_signature":        "ignored",
	}
}

// BenchmarkBaseString builds the RFC 5849 signature base string of a signed request: the
// header's parameters plus a query and a form body (as the revoke call has).
func BenchmarkBaseString(b *testing.B) {
	u, params := benchRequest()
	u.RawQuery = "expand=groups&x=a%20b"
	form := url.Values{"action": {"revoke"}}
	b.ReportAllocs()
	for b.Loop() {
		if s := BaseString("GET", u, params, form); s == "" {
			b.Fatal("empty base string")
		}
	}
}

// BenchmarkVerifyRSASHA1 verifies an RSA-SHA1 signature over a base string (the public-key
// operation, cheap next to the client's private-key signing).
func BenchmarkVerifyRSASHA1(b *testing.B) {
	u, params := benchRequest()
	base := BaseString("GET", u, params, nil)
	for _, bits := range []int{2048, 3072, 4096} {
		b.Run(fmt.Sprintf("rsa-%d", bits), func(b *testing.B) {
			key, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				b.Fatal(err)
			}
			digest := sha1.Sum([]byte(base)) //nolint:gosec // RFC 5849 RSA-SHA1
			sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, digest[:])
			if err != nil {
				b.Fatal(err)
			}
			signature := base64.StdEncoding.EncodeToString(sig)
			b.ReportAllocs()
			for b.Loop() {
				if err := VerifyRSASHA1(&key.PublicKey, base, signature); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyRequest is the simulator's whole check of one signed request: parse the
// Authorization header, build the base string, verify the signature.
func BenchmarkVerifyRequest(b *testing.B) {
	u, params := benchRequest()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	delete(params, "oauth_signature")
	base := BaseString("GET", u, params, nil)
	digest := sha1.Sum([]byte(base)) //nolint:gosec // RFC 5849 RSA-SHA1
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	header := "OAuth "
	first := true
	for k, v := range params {
		if !first {
			header += ", "
		}
		first = false
		header += k + `="` + PercentEncode(v) + `"`
	}
	header += `, oauth_signature="` + PercentEncode(base64.StdEncoding.EncodeToString(sig)) + `"`
	b.ReportAllocs()
	for b.Loop() {
		got, err := ParseAuthorizationHeader(header)
		if err != nil {
			b.Fatal(err)
		}
		if err := VerifyRSASHA1(&key.PublicKey, BaseString("GET", u, got, nil), got["oauth_signature"]); err != nil {
			b.Fatal(err)
		}
	}
}
