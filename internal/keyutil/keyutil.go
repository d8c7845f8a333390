// Package keyutil parses, generates and fingerprints the RSA keys of the OAuth 1.0a setup.
package keyutil

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// MinRSABits is the smallest RSA key Jira Align accepts (docs/guides/http-calls.md, "Jira Align
// connectors").
const MinRSABits = 2048

// ParsePrivateKeyPEM parses a PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") RSA key and
// checks it has at least MinRSABits. Errors never quote the key.
func ParsePrivateKeyPEM(s string) (*rsa.PrivateKey, error) {
	block, rest := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("not a PEM block: expected -----BEGIN RSA PRIVATE KEY----- (PKCS#1) or -----BEGIN PRIVATE KEY----- (PKCS#8)")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("unexpected data after the PEM block: give exactly one private key")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("the PKCS#1 RSA private key does not parse")
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("the PKCS#8 private key does not parse")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the PKCS#8 key is a %T, not an RSA key: Jira's OAuth 1.0a uses RSA-SHA1", k)
		}
		key = rk
	default:
		return nil, fmt.Errorf("PEM block type %q is not a private key: expected RSA PRIVATE KEY (PKCS#1) or PRIVATE KEY (PKCS#8)", block.Type)
	}
	if bits := key.N.BitLen(); bits < MinRSABits {
		return nil, fmt.Errorf("the RSA key has %d bits; Jira Align requires at least %d", bits, MinRSABits)
	}
	return key, nil
}

// ParsePublicKey parses an RSA public key given as a PEM "PUBLIC KEY" block (SubjectPublicKeyInfo),
// a PEM "RSA PUBLIC KEY" block (PKCS#1), or bare base64 of the DER SubjectPublicKeyInfo, the form
// Jira shows and returns.
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	pemType := "PUBLIC KEY"
	if block, _ := pem.Decode([]byte(s)); block != nil {
		der, pemType = block.Bytes, block.Type
	} else {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, errors.New("not a PEM PUBLIC KEY block nor base64 of a DER SubjectPublicKeyInfo")
		}
		der = b
	}
	switch pemType {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return nil, errors.New("the public key does not parse as a SubjectPublicKeyInfo")
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("the public key is a %T, not an RSA key", k)
		}
		return rk, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(der)
		if err != nil {
			return nil, errors.New("the PKCS#1 public key does not parse")
		}
		return k, nil
	default:
		return nil, fmt.Errorf("PEM block type %q is not a public key", pemType)
	}
}

// PublicKeyPEM encodes pub as a PEM "PUBLIC KEY" block (SubjectPublicKeyInfo).
func PublicKeyPEM(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// PrivateKeyPEM encodes key as PKCS#8 PEM ("PRIVATE KEY").
func PrivateKeyPEM(key *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// Fingerprint is "SHA256:" + unpadded standard base64 of SHA-256 over the DER
// SubjectPublicKeyInfo, the format of Jira Align's publicKeyFingerprint (docs/guides/http-calls.md,
// "Jira Align connectors").
func Fingerprint(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}

// SamePublicKey reports whether two public key texts (any form ParsePublicKey takes) hold the same key.
func SamePublicKey(a, b string) bool {
	ka, err := ParsePublicKey(a)
	if err != nil {
		return false
	}
	kb, err := ParsePublicKey(b)
	if err != nil {
		return false
	}
	return ka.Equal(kb)
}

// Generate makes a new RSA key of the given size from crypto/rand.
func Generate(bits int) (*rsa.PrivateKey, error) {
	if bits < MinRSABits {
		return nil, fmt.Errorf("rsa_bits %d is below the minimum of %d", bits, MinRSABits)
	}
	return rsa.GenerateKey(rand.Reader, bits)
}
