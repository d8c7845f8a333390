package provider_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func tfjsonPath(name string) tfjsonpath.Path { return tfjsonpath.New(name) }

var (
	smallOnce sync.Once
	smallPEM  string
)

// smallKeyPEM is a 1024-bit RSA key: valid PEM, too small for Jira Align.
func smallKeyPEM(t *testing.T) string {
	t.Helper()
	smallOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // deliberately too small: the test checks it is rejected
		if err != nil {
			t.Fatal(err)
		}
		smallPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	})
	return smallPEM
}
