package customtypes

import (
	"context"
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
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, a, b string) {
		pairs := []struct {
			name       string
			ab, ba, aa func() bool
		}{
			{"timestamp", eq(ctx, NewTimestampString(a), NewTimestampString(b)), eq(ctx, NewTimestampString(b), NewTimestampString(a)), eq(ctx, NewTimestampString(a), NewTimestampString(a))},
			{"duration", eq(ctx, NewDuration(a), NewDuration(b)), eq(ctx, NewDuration(b), NewDuration(a)), eq(ctx, NewDuration(a), NewDuration(a))},
			{"url", eq(ctx, NewURL(a), NewURL(b)), eq(ctx, NewURL(b), NewURL(a)), eq(ctx, NewURL(a), NewURL(a))},
			{"public key", eq(ctx, NewPublicKey(a), NewPublicKey(b)), eq(ctx, NewPublicKey(b), NewPublicKey(a)), eq(ctx, NewPublicKey(a), NewPublicKey(a))},
		}
		for _, p := range pairs {
			if p.ab() != p.ba() {
				t.Errorf("%s: same(%q, %q) is not symmetric", p.name, a, b)
			}
			if !p.aa() {
				t.Errorf("%s: %q is not the same as itself", p.name, a)
			}
		}
	})
}

func eq[K kind](ctx context.Context, a, b Value[K]) func() bool {
	return func() bool {
		ok, d := a.StringSemanticEquals(ctx, b)
		return ok && !d.HasError()
	}
}
