package customtypes

import (
	"testing"
)

// Semantic equality never panics (timetypes' Must constructors would, on an invalid text), is
// symmetric, and holds for a value and itself, whatever the texts.
func FuzzSemanticEquals(f *testing.F) {
	for _, seed := range [][2]string{
		{"2031-11-27T22:00:00Z", "2031-11-27T23:00:00+01:00"},
		{"1h", "60m"},
		{"https://a.example/", "https://a.example"},
		{"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "AAAA"},
		{"", "0"},
	} {
		f.Add(seed[0], seed[1])
	}
	kinds := map[string]func(a, b string) bool{
		"timestamp": sameBy(stringOf[timestampKind]), "duration": sameBy(stringOf[durationKind]),
		"url": sameBy(NewURL), "public key": sameBy(NewPublicKey),
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for kind, same := range kinds {
			if same(a, b) != same(b, a) {
				t.Errorf("%s: same(%q, %q) is not symmetric", kind, a, b)
			}
			if !same(a, a) {
				t.Errorf("%s: %q is not the same as itself", kind, a)
			}
		}
	})
}
