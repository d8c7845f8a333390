package customtypes

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
)

func publicKeyForms(t *testing.T) (pemText, bare, other string) {
	t.Helper()
	k, err := keyutil.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	pemText, err = keyutil.PublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(pemText), "\n")
	bare = strings.Join(lines[1:len(lines)-1], "")
	k2, err := keyutil.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err = keyutil.PublicKeyPEM(&k2.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pemText, bare, other
}

// Two texts are the same value exactly when they mean the same; an invalid text is never the
// same as another.
func TestSemanticEquality(t *testing.T) {
	ctx := context.Background()
	pemText, bare, other := publicKeyForms(t)
	type pair struct {
		a, b string
		same bool
	}
	for _, c := range []struct {
		kind  string
		same  func(a, b string) bool
		pairs []pair
	}{
		{"timestamp", sameBy(stringOf[timestampKind]), []pair{
			{"2031-11-27T22:00:00Z", "2031-11-27T22:00:00+00:00", true},
			{"2031-11-27T23:00:00+01:00", "2031-11-27T22:00:00Z", true},
			{"2031-11-27T22:00:01Z", "2031-11-27T22:00:00Z", false},
			{"soon", "2031-11-27T22:00:00Z", false},
		}},
		{"duration", sameBy(stringOf[durationKind]), []pair{{"1h", "60m", true}, {"720h", "30m", false}, {"-1h", "-60m", false}, {"1h", "1 hour", false}}},
		{"url", sameBy(NewURL), []pair{
			{"https://jira.example.com/", "https://jira.example.com", true},
			{"https://jira.example.com/jira//", "https://jira.example.com/jira", true},
			{"https://jira.example.com/jira", "https://jira.example.com", false},
			{"https://jira.example.com", "http://jira.example.com", false},
		}},
		{"public key", sameBy(NewPublicKey), []pair{{pemText, bare, true}, {bare, pemText, true}, {pemText, other, false}, {"nope", pemText, false}}},
	} {
		for _, p := range c.pairs {
			if got := c.same(p.a, p.b); got != p.same {
				t.Errorf("%s: %.40q vs %.40q: same=%v, want %v", c.kind, p.a, p.b, got, p.same)
			}
		}
	}
	if ok, d := NewURL("https://a").StringSemanticEquals(ctx, stringOf[durationKind]("1h")); ok || !d.HasError() {
		t.Errorf("a URL compared with a duration: same=%v, diagnostics %v", ok, d)
	}
}

// sameBy is semantic equality of two texts of one kind; diagnostics count as "not the same".
func sameBy[K kind](value func(string) Value[K]) func(a, b string) bool {
	return func(a, b string) bool {
		ok, d := value(a).StringSemanticEquals(context.Background(), value(b))
		return ok && !d.HasError()
	}
}

func TestRoundTripAndAccessors(t *testing.T) {
	ctx := context.Background()
	v := NewURL("https://jira.example.com/")
	tv, err := v.ToTerraformValue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	back, err := URLType{}.ValueFromTerraform(ctx, tv)
	if err != nil || !back.Equal(v) {
		t.Errorf("round trip: %v %v", back, err)
	}
	if back.Equal(NewURL("https://jira.example.com")) {
		t.Error("Equal compares by meaning; it must compare text (meaning is StringSemanticEquals')")
	}
	if !(URLType{}).Equal(URLType{}) || (URLType{}).Equal(DurationType{}) {
		t.Error("type equality")
	}
	if s := (TimestampType{}).String(); s != "customtypes.TimestampType" {
		t.Errorf("String() = %q", s)
	}
	if tm, ok := TimeOf(stringOf[timestampKind]("2027-03-01T00:00:00+01:00")); !ok || !tm.Equal(time.Date(2027, 2, 28, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("TimeOf = %v %v", tm, ok)
	}
	if _, ok := TimeOf(NullTimestamp()); ok {
		t.Error("a null timestamp has a time")
	}
	if got := TimestampOrNull(nil); !got.IsNull() {
		t.Errorf("TimestampOrNull(nil) = %v", got)
	}
	at := time.Date(2031, 11, 27, 23, 0, 0, 0, time.FixedZone("CET", 3600))
	if got := TimestampOrNull(&at).ValueString(); got != "2031-11-27T22:00:00Z" {
		t.Errorf("TimestampOrNull = %q, want UTC", got)
	}
	if d, ok := DurationOf(stringOf[durationKind]("90m")); !ok || d != 90*time.Minute {
		t.Errorf("DurationOf = %v %v", d, ok)
	}
	if _, ok := DurationOf(stringOf[durationKind]("-1h")); ok {
		t.Error("a negative duration has a length")
	}
}
