package validators

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzz targets of this file check the plan-time rules against independent oracles. Their
// seed corpora live in testdata/fuzz/<target>/ and run as ordinary tests with `go test`;
// internal/devtools/fuzz.sh fuzzes each target for a bounded time.

// consumerKeyRE is the consumer-key rule of docs/guides/http-calls.md ("Jira Align connectors"),
// written independently of CheckConsumerKey.
var consumerKeyRE = regexp.MustCompile(`^[A-Za-z0-9]{1,100}$`)

// maxErrLen bounds the error messages of rules that do not quote their input.
const maxErrLen = 300

func FuzzCheckConsumerKey(f *testing.F) {
	for _, s := range []string{
		"JiraAlignProd", "a", "", " ", "Jira Align", "jira-align", "key_1", "ключ", "\x00", "\xff",
		strings.Repeat("k", 100), strings.Repeat("k", 101), "abc\n", "abc\u200b", "ＡＢＣ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckConsumerKey(s)
		if want := consumerKeyRE.MatchString(s); (err == nil) != want {
			t.Fatalf("CheckConsumerKey(%q) = %v; the rule says accepted=%v", s, err, want)
		}
		if err == nil {
			return
		}
		msg := err.Error()
		if len(msg) > maxErrLen || !utf8.ValidString(msg) {
			t.Fatalf("error for %q is not a short UTF-8 message: %q", s, msg)
		}
		if len(s) > 20 && strings.Contains(msg, s) {
			t.Fatalf("error quotes the whole input %q: %q", s, msg)
		}
		// A key of the right length names the first offending character by its position.
		if s != "" && len(s) <= MaxConsumerKeyLength {
			i := strings.IndexFunc(s, func(r rune) bool {
				return r >= utf8.RuneSelf || !consumerKeyRE.MatchString(string(r))
			})
			if want := fmt.Sprintf("position %d:", i+1); i < 0 || !strings.Contains(msg, want) {
				t.Fatalf("error for %q does not say %q: %q", s, want, msg)
			}
		}
	})
}

// loopbackOracle is an independent notion of a loopback host: "localhost" in any case, or an IP
// literal (IPv4, IPv6, IPv4-mapped IPv6, with or without zone) in 127.0.0.0/8 or ::1.
func loopbackOracle(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// checkLoopback compares IsLoopbackHost with the oracle: it may be narrower (it does not take
// zones), never broader, and agrees exactly on names and zone-less IP literals.
func checkLoopback(t *testing.T, host string) {
	t.Helper()
	got := IsLoopbackHost(host)
	if got && !loopbackOracle(host) {
		t.Fatalf("IsLoopbackHost(%q) = true, but it is not a loopback host", host)
	}
	if a, err := netip.ParseAddr(host); err != nil || a.Zone() == "" {
		if want := loopbackOracle(host); got != want {
			t.Fatalf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// secretMark marks a password in the seeds of FuzzCheckURL.
const secretMark = "s3cret"

// userinfoOf returns the user information of a "[scheme:]//userinfo@host…" string found by
// plain string search (not by net/url), or "" when there is none.
func userinfoOf(s string) string {
	_, rest, ok := strings.Cut(s, "//")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		return rest[:i]
	}
	return ""
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://jira.example.com", "https://jira.example.com/jira", "https://jira.example.com:8443/jira/",
		"http://127.0.0.1:8080", "http://127.0.0.2", "http://[::1]:8080", "http://[::ffff:127.0.0.1]/", "HTTP://LOCALHOST",
		"http://localhost.", "http://jira.example.com", "https://user@host", "https://user:s3cretPassw0rd@host/?q=1",
		"https://user:s3cretPassw0rd@host:bad/", "//user:s3cretPassw0rd@host/", "https://:8443/", "https://h/#",
		"https://h/?", "https://h/?a=b", "ftp://h/", "//h/x", "jira.example.com", "https://", "https:///path",
		"https://h/%zz", "http://127.1/", "http://[::1%25lo]/", "",
	} {
		f.Add(s)
	}
	// Hosts, for IsLoopbackHost (the input is checked as a host too).
	for _, s := range []string{
		"localhost", "LocalHost", "127.0.0.1", "127.255.255.254", "128.0.0.1", "::1", "[::1]", "::ffff:127.0.0.1",
		"0:0:0:0:0:0:0:1", "::1%lo", "0177.0.0.1", "2130706433", "example.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkLoopback(t, s)
		err := CheckURL(s)
		u, perr := url.Parse(s)

		// No error may echo the user information (user:password@) it was given.
		if err != nil {
			ui := userinfoOf(s)
			quoted := strconv.Quote(s)
			if ui != "" && strings.Contains(err.Error(), quoted[1:len(quoted)-1]) {
				t.Fatalf("CheckURL(%q) error quotes the URL with its user information: %v", s, err)
			}
			if p := "//" + ui + "@"; ui != "" && strings.Count(s, p) == 1 && strings.Contains(err.Error(), p) {
				t.Fatalf("CheckURL(%q) error reveals the user information: %v", s, err)
			}
			// The seeds carry the marker "s3cret" in their user information.
			if n := strings.Count(ui, secretMark); n > 0 && strings.Count(s, secretMark) == n && strings.Contains(err.Error(), secretMark) {
				t.Fatalf("CheckURL(%q) error reveals the user information: %v", s, err)
			}
			if perr == nil && u.User != nil {
				if p, ok := u.User.Password(); ok && p != "" && strings.Count(s, ":"+p+"@") == 1 && strings.Contains(err.Error(), ":"+p+"@") {
					t.Fatalf("CheckURL(%q) error reveals the password: %v", s, err)
				}
			}
		}
		if strings.ContainsAny(s, "?#") && err == nil {
			t.Fatalf("CheckURL(%q) accepted a query or fragment", s)
		}
		if perr != nil {
			if err == nil {
				t.Fatalf("CheckURL(%q) accepted what url.Parse rejects: %v", s, perr)
			}
			return
		}
		checkLoopback(t, u.Hostname())
		if err != nil {
			return
		}
		// Accepted: an absolute http(s) URL with a host, no query, fragment or user information,
		// and http only towards a loopback host.
		if !u.IsAbs() || u.Hostname() == "" {
			t.Fatalf("CheckURL(%q) accepted a URL without scheme or host: %#v", s, u)
		}
		if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil || u.Opaque != "" {
			t.Fatalf("CheckURL(%q) accepted a query, fragment, user information or opaque part: %#v", s, u)
		}
		switch strings.ToLower(u.Scheme) {
		case "https":
		case "http":
			if !loopbackOracle(u.Hostname()) {
				t.Fatalf("CheckURL(%q) accepted http towards non-loopback host %q", s, u.Hostname())
			}
		default:
			t.Fatalf("CheckURL(%q) accepted scheme %q", s, u.Scheme)
		}
		// Re-serialising the parsed URL gives a URL the rule accepts as well.
		if err := CheckURL(u.String()); err != nil {
			t.Fatalf("CheckURL(%q) accepted, but not its normal form %q: %v", s, u.String(), err)
		}
	})
}

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"jira-prod", "", " ", "\t\n", "é", strings.Repeat("n", 100), strings.Repeat("n", 101),
		strings.Repeat("é", 100), strings.Repeat("é", 101), "\xff", " a ", "\u3000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckName(s)
		n := utf8.RuneCountInString(s)
		want := n >= 1 && n <= MaxNameLength && strings.TrimSpace(s) != ""
		if (err == nil) != want {
			t.Fatalf("CheckName(%q) = %v; want accepted=%v (%d characters)", s, err, want, n)
		}
		if err != nil && len(err.Error()) > maxErrLen {
			t.Fatalf("CheckName error too long: %q", err)
		}
	})
}

func FuzzCheckDuration(f *testing.F) {
	for _, s := range []string{"720h", "30s", "1h30m", "0", "0s", "-1h", "1", "h", "", "1.5h", "9223372036854775807ns",
		"9223372036854775808ns", "2562047h47m16.854775807s", "1µs", "+5m", ".5s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := CheckDuration(s)
		pd, perr := time.ParseDuration(s)
		want := perr == nil && pd > 0
		if (err == nil) != want {
			t.Fatalf("CheckDuration(%q) = %v, %v; time.ParseDuration says %v, %v", s, d, err, pd, perr)
		}
		if err != nil {
			if d != 0 {
				t.Fatalf("CheckDuration(%q) returned %v with an error", s, d)
			}
			return
		}
		if d != pd {
			t.Fatalf("CheckDuration(%q) = %v, want %v", s, d, pd)
		}
		// The canonical form is accepted and denotes the same duration.
		if again, err := CheckDuration(d.String()); err != nil || again != d {
			t.Fatalf("CheckDuration(%q) = %v, %v; want %v", d.String(), again, err, d)
		}
	})
}

func FuzzCheckRFC3339(f *testing.F) {
	for _, s := range []string{"2031-11-27T22:00:00Z", "2031-11-27T22:00:00+02:00", "2031-11-27T22:00:00.123456789-07:30",
		"2031-11-27 22:00:00Z", "2031-11-27T22:00:00", "9999-12-31T23:59:59-01:00", "0000-01-01T00:00:00+00:01",
		"0000-01-01T00:00:00Z", "2031-02-30T00:00:00Z", "2031-11-27T24:00:00Z", "2031-11-27t22:00:00z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := CheckRFC3339(s)
		pt, perr := time.Parse(time.RFC3339, s)
		if err != nil {
			if !ts.IsZero() {
				t.Fatalf("CheckRFC3339(%q) returned %v with an error", s, ts)
			}
			return
		}
		if perr != nil || !ts.Equal(pt) {
			t.Fatalf("CheckRFC3339(%q) = %v; time.Parse says %v, %v", s, ts, pt, perr)
		}
		// The provider sends the instant in UTC (docs/guides/http-calls.md, "Jira Align
		// connectors"): that form must be RFC 3339 again.
		utc := ts.UTC().Format(time.RFC3339Nano)
		back, err := CheckRFC3339(utc)
		if err != nil || !back.Equal(ts) {
			t.Fatalf("CheckRFC3339(%q) accepted, but its UTC form %q gives %v, %v", s, utc, back, err)
		}
	})
}
