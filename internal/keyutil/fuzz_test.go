package keyutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// The fuzz targets of this file check the key parsers. Their seed corpora live in
// testdata/fuzz/<target>/ (throwaway keys made for the corpus, used nowhere else) and run as
// ordinary tests with `go test`; internal/devtools/fuzz.sh fuzzes each target for a bounded time.

var (
	seedOnce sync.Once
	seedRSA  *rsa.PrivateKey // 2048 bits: accepted
	seedRSA1 *rsa.PrivateKey // 1024 bits: too small
	seedEC   *ecdsa.PrivateKey
)

// seedKeys generates the in-code seed keys once per process.
func seedKeys(tb testing.TB) {
	tb.Helper()
	seedOnce.Do(func() {
		var err error
		if seedRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			tb.Fatal(err)
		}
		if seedRSA1, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			tb.Fatal(err)
		}
		if seedEC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			tb.Fatal(err)
		}
	})
}

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func pkcs8(tb testing.TB, key any) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

func spki(tb testing.TB, key any) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// base64Run matches what could be key material in an error message.
var base64Run = regexp.MustCompile(`^[A-Za-z0-9+/=]{16,}$`)

// assertNoKeyMaterial fails when msg quotes any base64 line of the input (a PEM body line or a
// bare base64 key): parse errors must never quote a key.
func assertNoKeyMaterial(t *testing.T, input, msg string) {
	t.Helper()
	for _, line := range strings.Split(input, "\n") {
		line = strings.TrimSpace(line)
		if base64Run.MatchString(line) && strings.Contains(msg, line) {
			t.Fatalf("error quotes key material %q: %s", line, msg)
		}
	}
}

func FuzzParsePrivateKeyPEM(f *testing.F) {
	seedKeys(f)
	good1 := pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(seedRSA))
	good8 := pemOf("PRIVATE KEY", pkcs8(f, seedRSA))
	for _, s := range []string{
		good1, good8, "\n  " + good8 + "\n\n",
		good8 + good8, // two keys
		pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(seedRSA1)),
		pemOf("PRIVATE KEY", pkcs8(f, seedEC)),
		pemOf("PUBLIC KEY", spki(f, &seedRSA.PublicKey)),
		pemOf("EC PRIVATE KEY", []byte{0x30, 0x00}),
		strings.Replace(good8, "PRIVATE KEY", "RSA PRIVATE KEY", 2), // PKCS#8 under a PKCS#1 label
		good8[:len(good8)/2],
		"-----BEGIN PRIVATE KEY-----\nnot-a-key-material-at-all\n-----END PRIVATE KEY-----\n",
		"-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
		"", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParsePrivateKeyPEM(s)
		if err != nil {
			if key != nil {
				t.Fatal("a key returned with an error")
			}
			assertNoKeyMaterial(t, s, err.Error())
			return
		}
		if bits := key.N.BitLen(); bits < MinRSABits {
			t.Fatalf("accepted a %d-bit key", bits)
		}
		if err := key.Validate(); err != nil {
			t.Fatalf("accepted an inconsistent key: %v", err)
		}
		// Surrounding whitespace does not matter.
		if k, err := ParsePrivateKeyPEM(" \r\n\t" + s + "\n\n"); err != nil || !k.Equal(key) {
			t.Fatalf("accepted, but not with surrounding whitespace: %v", err)
		}
		// The PKCS#8 and PKCS#1 encodings of the key parse back to the same key.
		p8, err := PrivateKeyPEM(key)
		if err != nil {
			t.Fatalf("PrivateKeyPEM: %v", err)
		}
		if k, err := ParsePrivateKeyPEM(p8); err != nil || !k.Equal(key) {
			t.Fatalf("PKCS#8 round trip: %v", err)
		}
		p1 := pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
		if k, err := ParsePrivateKeyPEM(p1); err != nil || !k.Equal(key) {
			t.Fatalf("PKCS#1 round trip: %v", err)
		}
		// Its public half goes through the public key parser and fingerprint unchanged.
		pub, err := PublicKeyPEM(&key.PublicKey)
		if err != nil {
			t.Fatalf("PublicKeyPEM: %v", err)
		}
		if k, err := ParsePublicKey(pub); err != nil || !k.Equal(&key.PublicKey) {
			t.Fatalf("public half round trip: %v", err)
		}
		if _, err := Fingerprint(&key.PublicKey); err != nil {
			t.Fatalf("Fingerprint: %v", err)
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	seedKeys(f)
	der := spki(f, &seedRSA.PublicKey)
	b64 := base64.StdEncoding.EncodeToString(der)
	for _, s := range []string{
		pemOf("PUBLIC KEY", der),
		pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&seedRSA.PublicKey)),
		b64,
		b64[:64] + "\n " + b64[64:128] + "\r\n" + b64[128:], // wrapped bare base64
		base64.RawStdEncoding.EncodeToString(der),
		base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&seedRSA.PublicKey)), // bare PKCS#1
		pemOf("PUBLIC KEY", spki(f, &seedRSA1.PublicKey)),
		pemOf("PUBLIC KEY", spki(f, &seedEC.PublicKey)),
		pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(seedRSA1)),
		pemOf("CERTIFICATE", []byte{0x30, 0x03, 0x02, 0x01, 0x01}),
		"", "====", "MA==", "not base64",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParsePublicKey(s)
		if err != nil {
			if key != nil {
				t.Fatal("a key returned with an error")
			}
			assertNoKeyMaterial(t, s, err.Error())
			if SamePublicKey(s, s) {
				t.Fatal("SamePublicKey true for a text that does not parse")
			}
			return
		}
		if key.N == nil || key.N.Sign() <= 0 || key.E < 1 {
			t.Fatalf("accepted a degenerate key: N=%v E=%d", key.N, key.E)
		}
		if !SamePublicKey(s, s) {
			t.Fatal("SamePublicKey(s, s) = false")
		}
		// Every form the parser takes holds the same key.
		p, err := PublicKeyPEM(key)
		if err != nil {
			t.Fatalf("PublicKeyPEM of an accepted key: %v", err)
		}
		spkiDER, err := x509.MarshalPKIXPublicKey(key)
		if err != nil {
			t.Fatal(err)
		}
		for _, form := range []string{
			p,
			pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(key)),
			base64.StdEncoding.EncodeToString(spkiDER),
		} {
			k, err := ParsePublicKey(form)
			if err != nil || !k.Equal(key) {
				t.Fatalf("round trip through %q: %v", form, err)
			}
			if !SamePublicKey(s, form) || !SamePublicKey(form, s) {
				t.Fatalf("SamePublicKey(%q, %q) = false", s, form)
			}
		}
		fp1, err1 := Fingerprint(key)
		fp2, err2 := Fingerprint(key)
		if err1 != nil || err2 != nil || fp1 != fp2 || !strings.HasPrefix(fp1, "SHA256:") || len(fp1) != len("SHA256:")+43 {
			t.Fatalf("Fingerprint = %q, %v / %q, %v", fp1, err1, fp2, err2)
		}
	})
}
