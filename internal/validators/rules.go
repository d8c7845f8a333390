// Package validators holds the plan-time rules of docs/guides/http-calls.md ("Jira Align
// connectors", what Jira Align refuses) as plain functions and as terraform-plugin-framework
// string validators, so the provider checks at plan what Jira Align would reject at apply.
package validators

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxNameLength and MaxConsumerKeyLength are Jira Align's limits (docs/guides/http-calls.md,
// "Jira Align connectors").
const (
	MaxNameLength        = 100
	MaxConsumerKeyLength = 100
)

// CheckConsumerKey enforces 1–100 ASCII letters and digits.
func CheckConsumerKey(s string) error {
	if s == "" {
		return errors.New("the consumer key is empty: use 1 to 100 letters and digits, for example JiraAlignProd")
	}
	if n := len(s); n > MaxConsumerKeyLength {
		return fmt.Errorf("the consumer key has %d characters; the limit is %d", n, MaxConsumerKeyLength)
	}
	for i, r := range s {
		if !isASCIIAlnum(r) {
			what := fmt.Sprintf("%q", r)
			if r == ' ' {
				what = "a space"
			}
			return fmt.Errorf("the consumer key has %s at position %d: use letters and digits only (A-Z, a-z, 0-9), because spaces and symbols break Jira's OAuth setup", what, i+1)
		}
	}
	return nil
}

// CheckName enforces 1–100 characters.
func CheckName(s string) error {
	n := utf8.RuneCountInString(s)
	if n == 0 || strings.TrimSpace(s) == "" {
		return errors.New("the name is empty: give 1 to 100 characters")
	}
	if n > MaxNameLength {
		return fmt.Errorf("the name has %d characters; the limit is %d", n, MaxNameLength)
	}
	return nil
}

// CheckURL enforces an absolute https URL with a host and without query or fragment; http is
// allowed only for loopback hosts (127.0.0.0/8, ::1, localhost). Errors never show the user
// information (user:password@) of the URL.
func CheckURL(s string) error {
	shown := redactUserinfo(s)
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Hostname() == "" {
		return fmt.Errorf("%q is not an absolute URL: use the form https://host[:port][/path]", shown)
	}
	if u.User != nil {
		return errors.New("the URL carries user information: put credentials in their own attributes, never in a URL")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return fmt.Errorf("%q has a query or fragment: give the base URL only", shown)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q uses http: credentials would cross the network in clear text; use https (http is accepted only for loopback hosts)", shown)
	default:
		return fmt.Errorf("%q has scheme %q: use https", shown, u.Scheme)
	}
}

// redactUserinfo replaces the user information of the authority ("//user:password@host") with
// "<redacted>", found by plain string search so that it works on strings url.Parse rejects too.
func redactUserinfo(s string) string {
	i := strings.Index(s, "//")
	if i < 0 {
		return s
	}
	start := i + 2
	end := len(s)
	if j := strings.IndexAny(s[start:], "/?#"); j >= 0 {
		end = start + j
	}
	at := strings.LastIndexByte(s[start:end], '@')
	if at < 0 {
		return s
	}
	return s[:start] + "<redacted>" + s[start+at:]
}

// IsLoopbackHost reports 127.0.0.0/8, ::1 and localhost.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckDuration parses a Go duration ("720h", "30m") that must be positive.
func CheckDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: use a number with a unit, for example \"720h\" or \"30s\"", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", s)
	}
	return d, nil
}

// CheckRFC3339 parses an RFC 3339 timestamp. Its instant in UTC must fall in the years 0000–9999,
// so that the UTC form sent to Jira Align is RFC 3339 too.
func CheckRFC3339(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp such as 2031-11-27T22:00:00Z", s)
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("%q falls outside the years 0000 to 9999 in UTC", s)
	}
	return t, nil
}

func errTooSmall(bits int) error {
	return fmt.Errorf("the RSA key has %d bits; at least 2048 are required", bits)
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
