package jirasim

import (
	"bytes"
	"cmp"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // RSA-SHA1 is what RFC 5849 and Jira mandate.
	"encoding/base64"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The fuzz targets of this file check the simulator's RFC 5849 parts (percent-encoding, form
// parsing, Authorization header, base string, RSA-SHA1 verification) against properties the RFC
// states. FuzzParseAuthorizationHeader (arbitrary headers) lives in oauthverify_test.go. Seed
// corpora live in testdata/fuzz/<target>/ and run as ordinary tests with `go test`;
// internal/devtools/fuzz.sh fuzzes each target for a bounded time.

// checkEncoded fails unless s consists of RFC 3986 unreserved characters and "%XX" escapes
// with upper-case hexadecimal digits only (RFC 5849 §3.6).
func checkEncoded(t *testing.T, what, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c):
		case c == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]):
			i += 2
		default:
			t.Fatalf("%s %q has %q at offset %d: not unreserved nor an upper-case %%XX escape", what, s, c, i)
		}
	}
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func FuzzPercentEncode(f *testing.F) {
	for _, s := range []string{
		"", "abcXYZ019-._~", "Ladies + Gentlemen", "An encoded string!", "Dogs, Cats & Mice", "☃", "*'()", "=%3D",
		"a/b?c#d@e:f", "\x00\xff", "%", "%zz", "+", "r b", "\xe2\x98", "oauth_signature=bYT5CMsGcbgUdFHObYMEfcx6bsw=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := PercentEncode(s)
		checkEncoded(t, "PercentEncode output", enc)
		dec, err := url.PathUnescape(enc)
		if err != nil || dec != s {
			t.Fatalf("PercentEncode(%q) = %q decodes to %q, %v", s, enc, dec, err)
		}
		reserved := 0
		for i := 0; i < len(s); i++ {
			if !isUnreserved(s[i]) {
				reserved++
			}
		}
		if len(enc) != len(s)+2*reserved {
			t.Fatalf("PercentEncode(%q) = %q: %d bytes, want %d", s, enc, len(enc), len(s)+2*reserved)
		}
		// Encoding is injective and idempotent exactly on already-unreserved text.
		if (PercentEncode(enc) == enc) != (reserved == 0) {
			t.Fatalf("PercentEncode(PercentEncode(%q)) idempotence wrong", s)
		}
		// The signature parameter decoder reads it back (a "+" stays a plus).
		if d, err := percentDecode(enc); err != nil || d != s {
			t.Fatalf("percentDecode(%q) = %q, %v; want %q", enc, d, err, s)
		}
	})
}

// formEncode formats pairs as application/x-www-form-urlencoded.
func formEncode(ps []param) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = url.QueryEscape(p.name) + "=" + url.QueryEscape(p.value)
	}
	return strings.Join(parts, "&")
}

func FuzzParseFormEncoded(f *testing.F) {
	for _, s := range []string{
		"", rfcBody, "c2&a3=2+q", "a=1&&b&c=x+y%21&a=2&=v", "oauth_token=t&oauth_token_secret=s&oauth_callback_confirmed=true",
		"oauth_token=a%2Bb%3D&oauth_verifier=v", "a=%G1", "a=%4", "a=1;b=2", "a==b", "&&&", "%E2%98%83=%E2%98%83", "a=%zz&b=1",
		"action=revoke", "oauth_token=r&approve=Allow",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := parseFormEncoded(s)
		lenient := parseFormLenient(s)
		if err != nil {
			if ps != nil {
				t.Fatalf("parseFormEncoded(%q) returned %v with error %v", s, ps, err)
			}
			return
		}
		// The strict and the lenient parser agree on well-formed input.
		if !slices.Equal(ps, lenient) {
			t.Fatalf("parseFormEncoded(%q) = %v, but parseFormLenient = %v", s, ps, lenient)
		}
		// Re-encoding the pairs gives back the same pairs, in order.
		again, err := parseFormEncoded(formEncode(ps))
		if err != nil || !slices.Equal(again, ps) {
			t.Fatalf("parseFormEncoded(%q) = %v; re-encoded as %q it parses to %v, %v", s, ps, formEncode(ps), again, err)
		}
		// Where net/url accepts the input, both see the same values in the same order.
		if q, err := url.ParseQuery(s); err == nil {
			mine := url.Values{}
			for _, p := range ps {
				mine[p.name] = append(mine[p.name], p.value)
			}
			if (len(mine) > 0 || len(q) > 0) && !reflect.DeepEqual(mine, q) {
				t.Fatalf("parseFormEncoded(%q) = %v, url.ParseQuery = %v", s, mine, q)
			}
		}
	})
}

func FuzzAuthorizationHeaderRoundTrip(f *testing.F) {
	f.Add("oauth_consumer_key", "9djdj82h48djs9d2", "oauth_signature", "bYT5CMsGcbgUdFHObYMEfcx6bsw=", "realm", "Example", byte(0))
	f.Add("oauth_token", "kkk9d7dh3k39sjv7", "oauth_verifier", "a b+c/d", "oauth_callback", "https://align.example.com/cb?x=1", byte(0x3f))
	f.Add("a", "", "☃", "\"quoted\"\\", "x,y", "=", byte(0x15))
	f.Add("oauth_nonce", "\x00\x7f\xff", "oauth_timestamp", "137131201", "oauth_version", "1.0", byte(0x2a))
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string, style byte) {
		want := map[string]string{}
		for _, kv := range [][2]string{{k1, v1}, {k2, v2}, {k3, v3}} {
			if kv[0] != "" { // a parameter name is never empty
				want[kv[0]] = kv[1]
			}
		}
		h := buildAuthHeader(want, style)
		got, err := ParseAuthorizationHeader(h)
		if err != nil {
			t.Fatalf("ParseAuthorizationHeader(%q) (from %q, style %#x): %v", h, want, style, err)
		}
		if !maps.Equal(got, want) {
			t.Fatalf("ParseAuthorizationHeader(%q) = %q, want %q", h, got, want)
		}
		// A repeated parameter is an error, whatever the spelling of its escapes.
		if len(want) > 0 {
			k := slices.Sorted(maps.Keys(want))[0]
			dup := h + `, ` + PercentEncode(k) + `="x"`
			if _, err := ParseAuthorizationHeader(dup); err == nil {
				t.Fatalf("ParseAuthorizationHeader(%q) accepted a repeated %q", dup, k)
			}
		}
	})
}

// buildAuthHeader formats params as an RFC 5849 §3.5.1 header, in a style chosen by the bits of
// style, all of which the RFC (and RFC 9110 for the header syntax) allows:
//
//	0x01 linear whitespace (tabs, CRLF) around "," and "="   0x02 empty list elements
//	0x04 quoted-pair escapes in values                       0x08 scheme in lower case
//	0x10 unreserved characters escaped too                    0x20 lower-case hex digits
func buildAuthHeader(params map[string]string, style byte) string {
	enc := func(s string) string {
		e := PercentEncode(s)
		if style&0x10 != 0 {
			var b strings.Builder
			for i := 0; i < len(s); i++ {
				fmt.Fprintf(&b, "%%%02X", s[i])
			}
			e = b.String()
		}
		if style&0x20 != 0 {
			var b strings.Builder
			for i := 0; i < len(e); i++ {
				if e[i] == '%' {
					b.WriteString("%" + strings.ToLower(e[i+1:i+3]))
					i += 2
					continue
				}
				b.WriteByte(e[i])
			}
			e = b.String()
		}
		return e
	}
	sep, eq := ", ", "="
	if style&0x01 != 0 {
		sep, eq = " \t,\r\n ", " = "
	}
	if style&0x02 != 0 {
		sep = "," + sep + ","
	}
	var b strings.Builder
	if style&0x08 != 0 {
		b.WriteString("oauth ")
	} else {
		b.WriteString("OAuth ")
	}
	for i, k := range slices.Sorted(maps.Keys(params)) {
		if i > 0 {
			b.WriteString(sep)
		}
		v := enc(params[k])
		if style&0x04 != 0 {
			var q strings.Builder
			for j := 0; j < len(v); j++ {
				q.WriteByte('\\')
				q.WriteByte(v[j])
			}
			v = q.String()
		}
		b.WriteString(enc(k) + eq + `"` + v + `"`)
	}
	return b.String()
}

// normalizedPairs splits the third part of a base string into its encoded name/value pairs.
func normalizedPairs(t *testing.T, base string) []param {
	t.Helper()
	parts := strings.Split(base, "&")
	if len(parts) != 3 {
		t.Fatalf("base string %q has %d parts, want 3", base, len(parts))
	}
	for _, p := range parts {
		checkEncoded(t, "base string part", p)
	}
	norm, err := url.PathUnescape(parts[2])
	if err != nil {
		t.Fatalf("base string parameters %q: %v", parts[2], err)
	}
	var out []param
	if norm == "" {
		return out
	}
	for _, pair := range strings.Split(norm, "&") {
		n, v, ok := strings.Cut(pair, "=")
		if !ok {
			t.Fatalf("normalized pair %q has no \"=\"", pair)
		}
		checkEncoded(t, "normalized name", n)
		checkEncoded(t, "normalized value", v)
		out = append(out, param{n, v})
	}
	return out
}

func reversedQuery(raw string) string {
	parts := strings.Split(raw, "&")
	slices.Reverse(parts)
	return strings.Join(parts, "&")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func FuzzBaseString(f *testing.F) {
	f.Add("POST", "http://example.com/request", "b5=%3D%253D&a3=a&c%40=&a2=r%20b", rfcBody, "oauth_token", "kkk9d7dh3k39sjv7")
	f.Add("get", "https://jira.example.com:443/jira/rest/api/2/myself", "", "", "oauth_verifier", "v")
	f.Add("POST", "https://[::1]:8443/plugins/servlet/oauth/access-token", "x=1&x=1&x=0", "action=revoke", "", "")
	f.Add("Delete", "HTTP://Example.COM:80", "a=%zz&b", "a=%G1", "realm", "r")
	f.Add("p☃st", "https://h/r%20x/~%7E?ignored=1#frag", "=&&=", "+=+", "oauth_signature", "sig")
	f.Fuzz(func(t *testing.T, method, rawURL, rawQuery, body, hk, hv string) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return
		}
		u.RawQuery = rawQuery
		oauth := map[string]string{"oauth_consumer_key": "JiraAlignProd", "oauth_nonce": "n", "oauth_timestamp": "1"}
		oauth[hk] = hv
		form, _ := url.ParseQuery(body) // keeps what parses, as a server would
		base := BaseString(method, u, oauth, form)

		// Deterministic, whatever the map iteration order.
		for range 3 {
			if again := BaseString(method, u, maps.Clone(oauth), form); again != base {
				t.Fatalf("BaseString not deterministic:\n%s\n%s", base, again)
			}
		}
		// Its first part is the upper-cased method; its parameters are encoded and sorted by
		// name, then value (RFC 5849 §3.4.1.3.2).
		if first, _, _ := strings.Cut(base, "&"); first != PercentEncode(strings.ToUpper(method)) {
			t.Fatalf("method part %q, want %q", first, PercentEncode(strings.ToUpper(method)))
		}
		pairs := normalizedPairs(t, base)
		if !slices.IsSortedFunc(pairs, func(a, b param) int {
			return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.value, b.value))
		}) {
			t.Fatalf("parameters not sorted: %v", pairs)
		}
		if len(pairs) < len(oauth)-1 {
			t.Fatalf("base string %s lacks header parameters of %v", base, oauth)
		}
		for _, p := range pairs {
			if p.name == "realm" || p.name == "oauth_signature" {
				inQuery := slices.ContainsFunc(parseFormLenient(rawQuery), func(q param) bool { return PercentEncode(q.name) == p.name })
				if !inQuery && form[p.name] == nil {
					t.Fatalf("%s taken from the Authorization header into %s", p.name, base)
				}
			}
		}

		// The order of the query pairs and of repeated form values does not matter.
		u2 := *u
		u2.RawQuery = reversedQuery(rawQuery)
		form2 := url.Values{}
		for k, vs := range form {
			form2[k] = slices.Clone(vs)
			slices.Reverse(form2[k])
		}
		if got := BaseString(method, &u2, oauth, form2); got != base {
			t.Fatalf("parameter order changed the base string:\n%s\n%s", base, got)
		}
		// Nor does where a parameter travels: the body's parameters moved into the query.
		if len(form) > 0 {
			u3 := *u
			u3.RawQuery = rawQuery + "&" + form.Encode()
			if got := BaseString(method, &u3, oauth, nil); got != base {
				t.Fatalf("moving the form into the query changed the base string:\n%s\n%s", base, got)
			}
		}
		// realm and oauth_signature in the header are not signed.
		withExtras := maps.Clone(oauth)
		withExtras["realm"], withExtras["oauth_signature"] = "Example", "c2ln"
		if hk != "realm" && hk != "oauth_signature" {
			if got := BaseString(method, u, withExtras, form); got != base {
				t.Fatalf("realm/oauth_signature changed the base string:\n%s\n%s", base, got)
			}
		}
		// The method, scheme and host are case-insensitive (ASCII).
		if isASCII(method) && isASCII(u.Scheme) && isASCII(u.Host) {
			u4 := *u
			u4.Scheme, u4.Host = strings.ToUpper(u.Scheme), strings.ToUpper(u.Host)
			if got := BaseString(strings.ToLower(method), &u4, oauth, form); got != base {
				t.Fatalf("case changed the base string:\n%s\n%s", base, got)
			}
		}
		// An explicit default port is the same as none; any other port is kept (RFC 5849
		// §3.4.1.2), including the other scheme's default.
		scheme := strings.ToLower(u.Scheme)
		defPort, otherPort := map[string]string{"http": "80", "https": "443"}[scheme], map[string]string{"http": "443", "https": "80"}[scheme]
		if defPort != "" && u.Host != "" && u.Port() == "" && !strings.HasSuffix(u.Host, ":") {
			u5 := *u
			u5.Host += ":" + defPort
			if got := BaseString(method, &u5, oauth, form); got != base {
				t.Fatalf("default port %s changed the base string:\n%s\n%s", defPort, base, got)
			}
			u5.Host = u.Host + ":" + otherPort
			if got := BaseString(method, &u5, oauth, form); got == base || !strings.Contains(got, "%3A"+otherPort+"%2F") {
				t.Fatalf("port %s of %s dropped from the base string: %s", otherPort, scheme, got)
			}
		}
	})
}

func FuzzVerifyRSASHA1(f *testing.F) {
	f.Add(rfcBaseString, rfcBaseString+"x", "", uint16(0), byte(1))
	f.Add("", "\x00", "bYT5CMsGcbgUdFHObYMEfcx6bsw=", uint16(255), byte(0x80))
	f.Add("GET&https%3A%2F%2Fjira.example.com%2Frest%2Fapi%2F2%2Fmyself&oauth_consumer_key%3DJiraAlignProd",
		"GET&https%3A%2F%2Fjira.example.com%2Frest%2Fapi%2F2%2Fmyself&oauth_consumer_key%3DJiraAlignProD", "!!!!", uint16(7), byte(0))
	f.Fuzz(func(t *testing.T, base, other, sig string, pos uint16, mask byte) {
		a, b, _, _ := testKeys(t)
		digest := sha1.Sum([]byte(base)) //nolint:gosec // RFC 5849 RSA-SHA1
		raw, err := rsa.SignPKCS1v15(rand.Reader, a, crypto.SHA1, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		good := base64.StdEncoding.EncodeToString(raw)
		if err := VerifyRSASHA1(&a.PublicKey, base, good); err != nil {
			t.Fatalf("genuine signature rejected: %v", err)
		}
		if other != base {
			if err := VerifyRSASHA1(&a.PublicKey, other, good); err == nil {
				t.Fatalf("signature of %q accepted for %q", base, other)
			}
		}
		if err := VerifyRSASHA1(&b.PublicKey, base, good); err == nil {
			t.Fatal("signature accepted with another consumer's key")
		}
		if err := VerifyRSASHA1(nil, base, good); err == nil {
			t.Fatal("signature accepted without a key")
		}
		// Any change of the signature bytes is rejected.
		if mask == 0 {
			mask = 1
		}
		mutated := bytes.Clone(raw)
		mutated[int(pos)%len(mutated)] ^= mask
		if err := VerifyRSASHA1(&a.PublicKey, base, base64.StdEncoding.EncodeToString(mutated)); err == nil {
			t.Fatalf("signature with byte %d changed by %#x accepted", int(pos)%len(mutated), mask)
		}
		if err := VerifyRSASHA1(&a.PublicKey, base, good[:len(good)-4]); err == nil {
			t.Fatal("truncated signature accepted")
		}
		// An arbitrary oauth_signature verifies exactly when it decodes to the genuine bytes
		// (PKCS#1 v1.5 signatures are deterministic).
		dec, decErr := base64.StdEncoding.DecodeString(sig)
		err = VerifyRSASHA1(&a.PublicKey, base, sig)
		if want := decErr == nil && bytes.Equal(dec, raw); (err == nil) != want {
			t.Fatalf("VerifyRSASHA1(%q) = %v, want accepted=%v", sig, err, want)
		}
		if err != nil && strings.Contains(err.Error(), base) && len(base) > 8 {
			t.Fatalf("verification error quotes the base string: %v", err)
		}
	})
}
