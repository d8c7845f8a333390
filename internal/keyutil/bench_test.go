package keyutil

import (
	"fmt"
	"testing"
)

// BenchmarkGenerate is RSA key generation per key size (jira_align_key_pair's Create). Its time
// varies a lot from key to key (prime search), so read it as an order of magnitude; make bench
// runs it, `go test` without -bench does not.
func BenchmarkGenerate(b *testing.B) {
	for _, bits := range []int{2048, 3072, 4096} {
		b.Run(fmt.Sprintf("rsa-%d", bits), func(b *testing.B) {
			for b.Loop() {
				k, err := Generate(bits)
				if err != nil {
					b.Fatal(err)
				}
				if k.N.BitLen() != bits {
					b.Fatalf("got %d bits", k.N.BitLen())
				}
			}
		})
	}
}

// BenchmarkParsePrivateKeyPEM is what every jira_align_access_token Read and every oauth1
// connector plan pays before signing: decoding and validating the PKCS#8 PEM key from state.
func BenchmarkParsePrivateKeyPEM(b *testing.B) {
	for _, bits := range []int{2048, 3072, 4096} {
		b.Run(fmt.Sprintf("rsa-%d", bits), func(b *testing.B) {
			k, err := Generate(bits)
			if err != nil {
				b.Fatal(err)
			}
			p, err := PrivateKeyPEM(k)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParsePrivateKeyPEM(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
