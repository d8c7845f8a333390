package acctest

import (
	"crypto/rsa"
	"strings"
	"sync"
	"testing"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
)

var (
	keysOnce sync.Once
	keys     []*rsa.PrivateKey
	keysErr  error
)

// TestKey returns the i-th (0..2) RSA 2048 test key, generated once per test binary.
func TestKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for range 3 {
			k, err := keyutil.Generate(2048)
			if err != nil {
				keysErr = err
				return
			}
			keys = append(keys, k)
		}
	})
	if keysErr != nil {
		t.Fatalf("generating test keys: %v", keysErr)
	}
	return keys[i]
}

// TestKeyPEM returns the i-th test key as PKCS#8 PEM.
func TestKeyPEM(t testing.TB, i int) string {
	t.Helper()
	s, err := keyutil.PrivateKeyPEM(TestKey(t, i))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Fingerprint returns the publicKeyFingerprint (docs/guides/http-calls.md, "Jira Align
// connectors") of the i-th test key.
func Fingerprint(t testing.TB, i int) string {
	t.Helper()
	fp, err := keyutil.Fingerprint(&TestKey(t, i).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

// HCLHeredoc renders s as an HCL heredoc value.
func HCLHeredoc(s string) string {
	return "<<-EOT\n" + strings.TrimRight(s, "\n") + "\nEOT\n"
}
