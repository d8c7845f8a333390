package keyutil

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
)

var (
	once sync.Once
	key  *rsa.PrivateKey
)

func testKey(t *testing.T) *rsa.PrivateKey {
	once.Do(func() {
		var err error
		key, err = Generate(2048)
		if err != nil {
			t.Fatal(err)
		}
	})
	return key
}

func TestPrivateKeyFormats(t *testing.T) {
	k := testKey(t)
	pkcs8, err := PrivateKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	for name, s := range map[string]string{"pkcs8": pkcs8, "pkcs1": pkcs1, "with whitespace": "\n  " + pkcs1 + "\n\n"} {
		got, err := ParsePrivateKeyPEM(s)
		if err != nil || !got.Equal(k) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPrivateKeyRejections(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // deliberately too small
	if err != nil {
		t.Fatal(err)
	}
	smallPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)}))
	good, _ := PrivateKeyPEM(testKey(t))
	cases := map[string]string{
		"":          "not a PEM block",
		"hello":     "not a PEM block",
		smallPEM:    "1024 bits",
		good + good: "unexpected data after the PEM block",
		strings.Replace(good, "PRIVATE KEY", "CERTIFICATE", 2):           "not a private key",
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n": "does not parse",
	}
	for in, want := range cases {
		_, err := ParsePrivateKeyPEM(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err %v, want %q", err, want)
		}
		if err != nil && len(in) > 40 && strings.Contains(err.Error(), in[30:40]) {
			t.Error("the error quotes the key")
		}
	}
}

func TestPublicKeyFormsAndFingerprint(t *testing.T) {
	k := testKey(t)
	pubPEM, err := PublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	bare := base64.StdEncoding.EncodeToString(der)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)}))
	for _, s := range []string{pubPEM, bare, bare[:64] + "\n" + bare[64:], pkcs1} {
		if !SamePublicKey(pubPEM, s) {
			t.Errorf("%.30q not recognised as the same key", s)
		}
	}
	other, _ := Generate(2048)
	otherPEM, _ := PublicKeyPEM(&other.PublicKey)
	if SamePublicKey(pubPEM, otherPEM) || SamePublicKey(pubPEM, "garbage") {
		t.Error("different keys reported the same")
	}
	sum := sha256.Sum256(der)
	want := "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	if fp, _ := Fingerprint(&k.PublicKey); fp != want || strings.HasSuffix(fp, "=") {
		t.Errorf("fingerprint %q, want %q", fp, want)
	}
	if _, err := Generate(1024); err == nil {
		t.Error("Generate(1024) accepted")
	}
}
