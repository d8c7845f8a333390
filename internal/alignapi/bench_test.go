package alignapi

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"testing"
	"time"
)

// Benchmarks of the connector JSON hot paths (make bench runs them; `go test` without -bench
// does not): a full page (100, the API's maximum) decoded as ListConnectors does, and the
// request bodies the provider sends.

func benchPage(b *testing.B) []byte {
	b.Helper()
	exp := time.Date(2031, 11, 27, 22, 0, 0, 0, time.UTC)
	page := make([]Connector, pageSize)
	for i := range page {
		user, key, fp := "svc-align", fmt.Sprintf("JiraAlign%d", i), "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
		c := Connector{ID: i + 1, Name: fmt.Sprintf("bench-%d", i), JiraURL: "https://jira.example.com", JiraType: JiraTypeDataCenter,
			CredentialVersion: 3, UpdatedAt: exp.AddDate(-5, 0, 0)}
		if i%2 == 0 {
			c.AuthType, c.Username = AuthBasic, &user
		} else {
			c.AuthType, c.ConsumerKey, c.PublicKeyFingerprint, c.AccessTokenExpiresAt = AuthOAuth1, &key, &fp, &exp
		}
		page[i] = c
	}
	body, err := json.Marshal(page)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkDecodeConnectorsPage decodes a page of 100 connectors (half basic, half oauth1).
func BenchmarkDecodeConnectorsPage(b *testing.B) {
	body := benchPage(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		cs, err := DecodeConnectors(body)
		if err != nil || len(cs) != pageSize {
			b.Fatalf("decoded %d, %v", len(cs), err)
		}
	}
}

// BenchmarkEncodeConnectorsPage encodes the same page (the simulator's side of a listing).
func BenchmarkEncodeConnectorsPage(b *testing.B) {
	cs, err := DecodeConnectors(benchPage(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(cs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshalConnectorInputs encodes 100 POST/PUT bodies (json.Marshal of ConnectorInput,
// half basic, half oauth1 with a 3072-bit PKCS#8 PEM key and an expiry), one page's worth of creates.
func BenchmarkMarshalConnectorInputs(b *testing.B) {
	exp := time.Date(2031, 11, 27, 22, 0, 0, 0, time.UTC)
	key, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		b.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		b.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	ins := make([]ConnectorInput, pageSize)
	for i := range ins {
		in := ConnectorInput{Name: fmt.Sprintf("bench-%d", i), JiraURL: "https://jira.example.com", JiraType: JiraTypeDataCenter}
		if i%2 == 0 {
			in.AuthType, in.Username, in.Password = AuthBasic, "svc-align", "bench-password"
		} else {
			in.AuthType, in.ConsumerKey, in.PrivateKeyPEM = AuthOAuth1, "JiraAlignBench", pemKey
			in.AccessToken, in.AccessTokenSecret, in.AccessTokenExpiresAt = "access-token", "token-secret", &exp
		}
		ins[i] = in
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range ins {
			if _, err := json.Marshal(ins[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
