package jirasim

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// The RFC 5849 §3.4.1.1 worked example.
const (
	rfcURL    = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"
	rfcBody   = "c2&a3=2+q"
	rfcHeader = `OAuth realm="Example",
                oauth_consumer_key="9djdj82h48djs9d2",
                oauth_token="kkk9d7dh3k39sjv7",
                oauth_signature_method="HMAC-SHA1",
                oauth_timestamp="137131201",
                oauth_nonce="7d8f3e4a",
                oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"`
	rfcBaseString = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q" +
		"%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_" +
		"key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m" +
		"ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk" +
		"9d7dh3k39sjv7"
)

func TestPercentEncodeRFC5849(t *testing.T) {
	cases := map[string]string{
		"":                   "",
		"abcXYZ019":          "abcXYZ019",
		"-._~":               "-._~",
		"Ladies + Gentlemen": "Ladies%20%2B%20Gentlemen",
		"An encoded string!": "An%20encoded%20string%21",
		"Dogs, Cats & Mice":  "Dogs%2C%20Cats%20%26%20Mice",
		"☃":                  "%E2%98%83",
		"*'()":               "%2A%27%28%29",
		"=%3D":               "%3D%253D",
		"a/b?c#d@e:f":        "a%2Fb%3Fc%23d%40e%3Af",
		"\x00\xff":           "%00%FF",
	}
	for in, want := range cases {
		if got := PercentEncode(in); got != want {
			t.Errorf("PercentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseAuthorizationHeaderRFCExample(t *testing.T) {
	got, err := ParseAuthorizationHeader(rfcHeader)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"realm":                  "Example",
		"oauth_consumer_key":     "9djdj82h48djs9d2",
		"oauth_token":            "kkk9d7dh3k39sjv7",
		"oauth_signature_method": "HMAC-SHA1",
		"oauth_timestamp":        "137131201",
		"oauth_nonce":            "7d8f3e4a",
		"oauth_signature":        "bYT5CMsGcbgUdFHObYMEfcx6bsw=",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func TestParseAuthorizationHeaderSyntax(t *testing.T) {
	ok := map[string]map[string]string{
		`OAuth`:                     {},
		`oauth a="1"`:               {"a": "1"},
		`OAUTH a = "1" ,b="x%20y" `: {"a": "1", "b": "x y"},
		`OAuth a="1%2B2"`:           {"a": "1+2"},
		// realm comes from RFC 2617 and may be unencoded; it is kept as sent.
		`OAuth realm="https://jira.example.com/jira", a="1"`: {"realm": "https://jira.example.com/jira", "a": "1"},
		`OAuth a="", b="%E2%98%83"`:                          {"a": "", "b": "☃"},
		`OAuth a="1",,b="2"`:                                 {"a": "1", "b": "2"},
		`OAuth oauth%5Fx="1"`:                                {"oauth_x": "1"},
		`OAuth a="\q%22uote"`:                                {"a": `q"uote`}, // a quoted-pair, then §3.6
		"OAuth\ta=\"1\",\tb=\"2\"":                           {"a": "1", "b": "2"},
		`  OAuth realm="", oauth_token=""`:                   {"realm": "", "oauth_token": ""},
	}
	for h, want := range ok {
		got, err := ParseAuthorizationHeader(h)
		if err != nil {
			t.Errorf("ParseAuthorizationHeader(%q): %v", h, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseAuthorizationHeader(%q) = %v, want %v", h, got, want)
		}
	}
	bad := []string{
		``,
		`Basic dXNlcjpwYXNz`,
		`OAuthx a="1"`,
		`OAuth a=1`,
		`OAuth a="1`,
		`OAuth a`,
		`OAuth a="1" b="2"`,
		`OAuth a="1", a="2"`,
		`OAuth a="%zz"`,
		// §3.6 leaves only unreserved characters raw: a "+" (a space to a form-decoding
		// peer), "/", ":", "=" or a space must be percent-encoded.
		`OAuth a="1+2"`,
		`OAuth oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw="`,
		`OAuth oauth_callback="https://align.example.com/cb"`,
		`OAuth a="x y"`,
		`OAuth a+b="1"`,
		`OAuth a="q\"uote"`, // a valid quoted-pair, but the quote itself is not encoded
		`OAuth a="%4"`,
		`OAuth ="1"`,
		"OAuth a=\"x\x01y\"",
		`OAuth a="1", b`,
	}
	for _, h := range bad {
		if got, err := ParseAuthorizationHeader(h); err == nil {
			t.Errorf("ParseAuthorizationHeader(%q) = %v, want an error", h, got)
		}
	}
}

func TestBaseStringRFC5849Example(t *testing.T) {
	u, err := url.Parse(rfcURL)
	if err != nil {
		t.Fatal(err)
	}
	oauth, err := ParseAuthorizationHeader(rfcHeader)
	if err != nil {
		t.Fatal(err)
	}
	form, err := url.ParseQuery(rfcBody)
	if err != nil {
		t.Fatal(err)
	}
	if got := BaseString("post", u, oauth, form); got != rfcBaseString {
		t.Fatalf("BaseString:\n got %s\nwant %s", got, rfcBaseString)
	}
}

func TestRequestBaseStringRFC5849Example(t *testing.T) {
	newReq := func(target, host, contentType string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(rfcBody))
		r.Host = host
		r.Header.Set("Content-Type", contentType)
		r.Header.Set("Authorization", rfcHeader)
		return r
	}
	for _, tc := range []struct{ target, host, ct string }{
		{rfcURL, "example.com", "application/x-www-form-urlencoded"},
		{"/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", "example.com", "application/x-www-form-urlencoded"},
		{"/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", "EXAMPLE.com:80", "application/x-www-form-urlencoded; charset=UTF-8"},
	} {
		got, err := requestBaseString(newReq(tc.target, tc.host, tc.ct))
		if err != nil {
			t.Fatal(err)
		}
		if got != rfcBaseString {
			t.Errorf("%+v:\n got %s\nwant %s", tc, got, rfcBaseString)
		}
	}

	// Over TLS the scheme is https and 443 is the default port.
	r := newReq("/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", "example.com:443", "application/x-www-form-urlencoded")
	r.TLS = &tls.ConnectionState{}
	got, err := requestBaseString(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(rfcBaseString, "http%3A", "https%3A", 1); got != want {
		t.Errorf("TLS:\n got %s\nwant %s", got, want)
	}

	// A body that is not a form is not part of the base string.
	r = newReq("/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", "example.com", "text/plain")
	got, err = requestBaseString(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "c2") || strings.Contains(got, "2%2520q") {
		t.Errorf("text/plain body leaked into base string: %s", got)
	}
}

func TestBaseStringURI(t *testing.T) {
	cases := []struct{ scheme, host, path, want string }{
		{"HTTP", "Example.COM", "/r%20x/", "http://example.com/r%20x/"},
		{"http", "example.com:80", "/a", "http://example.com/a"},
		{"https", "example.com:443", "/a", "https://example.com/a"},
		{"http", "example.com:443", "/a", "http://example.com:443/a"},
		{"https", "example.com:80", "/a", "https://example.com:80/a"},
		{"https", "127.0.0.1:8443", "/jira/rest", "https://127.0.0.1:8443/jira/rest"},
		{"https", "[::1]:443", "/", "https://[::1]/"},
		{"https", "[::1]:8443", "/", "https://[::1]:8443/"},
		{"http", "[::1]", "", "http://[::1]/"},
	}
	for _, c := range cases {
		if got := baseStringURI(c.scheme, c.host, c.path); got != c.want {
			t.Errorf("baseStringURI(%q,%q,%q) = %q, want %q", c.scheme, c.host, c.path, got, c.want)
		}
	}
}

func TestBaseStringKeepsDuplicatesAndSortsByValue(t *testing.T) {
	u, _ := url.Parse("https://jira.example.com/jira/x?b=2&a=z&b=1&a=+&e=")
	got := BaseString("get", u, map[string]string{"oauth_token": "t", "realm": "r", "oauth_signature": "s"},
		url.Values{"b": {"1"}})
	want := "GET&https%3A%2F%2Fjira.example.com%2Fjira%2Fx&" +
		PercentEncode("a=%20&a=z&b=1&b=1&b=2&e=&oauth_token=t")
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestParseFormEncoded(t *testing.T) {
	got, err := parseFormEncoded("a=1&&b&c=x+y%21&a=2&=v")
	if err != nil {
		t.Fatal(err)
	}
	want := []param{{"a", "1"}, {"b", ""}, {"c", "x y!"}, {"a", "2"}, {"", "v"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := parseFormEncoded("a=%G1"); err == nil {
		t.Fatal("bad escape accepted")
	}
	if ps := parseFormLenient("a=%G1&b=%41"); !reflect.DeepEqual(ps, []param{{"a", "%G1"}, {"b", "A"}}) {
		t.Fatalf("lenient: %v", ps)
	}
}

func TestVerifyRSASHA1(t *testing.T) {
	a, b, _, _ := testKeys(t)
	sig := signBase(t, a, rfcBaseString)
	if err := VerifyRSASHA1(&a.PublicKey, rfcBaseString, sig); err != nil {
		t.Fatalf("valid signature rejected: %v", err)
	}
	if err := VerifyRSASHA1(&b.PublicKey, rfcBaseString, sig); err == nil {
		t.Fatal("signature accepted with the wrong key")
	}
	if err := VerifyRSASHA1(&a.PublicKey, rfcBaseString+"x", sig); err == nil {
		t.Fatal("signature accepted for another base string")
	}
	if err := VerifyRSASHA1(&a.PublicKey, rfcBaseString, "not base64!"); err == nil {
		t.Fatal("non-base64 signature accepted")
	}
	if err := VerifyRSASHA1(nil, rfcBaseString, sig); err == nil {
		t.Fatal("nil key accepted")
	}
}

// FuzzParseAuthorizationHeader checks the parser never panics and that what
// it accepts round-trips through §3.6 encoding.
func FuzzParseAuthorizationHeader(f *testing.F) {
	for _, s := range []string{rfcHeader, `OAuth a="1"`, `OAuth a="\"", b=""`, `OAuth ,,`, `OAuth a="%`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		p, err := ParseAuthorizationHeader(h)
		if err != nil {
			return
		}
		again, err := ParseAuthorizationHeader(authHeader(p))
		if err != nil {
			t.Fatalf("re-encoded header rejected: %v", err)
		}
		if !reflect.DeepEqual(p, again) {
			t.Fatalf("round trip: %v != %v", p, again)
		}
	})
}
