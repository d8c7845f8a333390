package jirasim

import (
	"cmp"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // RSA-SHA1 is what RFC 5849 and Jira mandate.
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// This file holds the stateless parts of RFC 5849 (OAuth 1.0) that a service
// provider needs: Authorization header parsing (§3.5.1), the signature base
// string (§3.4.1), percent-encoding (§3.6) and RSA-SHA1 verification (§3.4.3).
// It deliberately shares no code with any client library.

// param is one name/value pair of the signature base string's parameter list.
// Names may repeat (RFC 5849 §3.4.1.3.1 keeps duplicates).
type param struct {
	name, value string
}

// PercentEncode encodes s as RFC 5849 §3.6 requires: s is taken as UTF-8
// bytes, the unreserved characters ALPHA, DIGIT, "-", ".", "_" and "~" are
// kept, and every other byte becomes "%" followed by two upper-case
// hexadecimal digits.
func PercentEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	case c == '-', c == '.', c == '_', c == '~':
		return true
	}
	return false
}

// percentDecode reverses RFC 5849 §3.6 percent-encoding strictly: every byte
// is an unreserved character or a "%" followed by two hexadecimal digits.
// Anything else was not encoded: a "+" for instance, which a peer that
// form-decodes (as Jira's Java OAuth library does) reads as a space, so a
// client that leaves it raw fails there; it is refused here as well.
func percentDecode(s string) (string, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", fmt.Errorf("%q is not a valid percent-escape", truncateEscape(s[i:]))
			}
			i += 2
		case !isUnreserved(c):
			return "", fmt.Errorf("character %q is not percent-encoded (RFC 5849 §3.6)", c)
		}
	}
	if !strings.Contains(s, "%") {
		return s, nil
	}
	return url.PathUnescape(s)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func truncateEscape(s string) string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

// formDecode decodes one application/x-www-form-urlencoded component: "+"
// is a space and "%XX" a byte.
func formDecode(s string) (string, error) {
	return url.QueryUnescape(s)
}

// parseFormEncoded parses an application/x-www-form-urlencoded string (a URI
// query or an entity body) into its name/value pairs, in order, keeping
// duplicates and empty values (RFC 5849 §3.4.1.3.1: "c2" yields c2="").
// Pairs are separated by "&" only; empty pairs are skipped. An invalid
// percent-escape is an error.
func parseFormEncoded(s string) ([]param, error) {
	var out []param
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := formDecode(rawName)
		if err != nil {
			return nil, fmt.Errorf("invalid encoding in parameter name %q: %w", rawName, err)
		}
		value, err := formDecode(rawValue)
		if err != nil {
			return nil, fmt.Errorf("invalid encoding in value of parameter %q: %w", name, err)
		}
		out = append(out, param{name, value})
	}
	return out, nil
}

// parseFormLenient is parseFormEncoded that never fails: a component whose
// escapes are invalid is kept verbatim.
func parseFormLenient(s string) []param {
	var out []param
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := formDecode(rawName)
		if err != nil {
			name = rawName
		}
		value, err := formDecode(rawValue)
		if err != nil {
			value = rawValue
		}
		out = append(out, param{name, value})
	}
	return out
}

// ParseAuthorizationHeader parses the value of an "Authorization: OAuth …"
// header (RFC 5849 §3.5.1) into its parameters. The scheme name "OAuth" is
// matched case-insensitively; parameters are comma-separated name="value"
// pairs with optional whitespace around "," and "="; every value must be a
// quoted string and is strictly percent-decoded (§3.6: a raw "+", "/" or
// space is an error; the realm alone may be unencoded); names are
// percent-decoded too. The realm parameter, if present, is returned like any
// other. A repeated parameter name, an unquoted value, a bad escape or any
// other syntax error is reported as an error.
func ParseAuthorizationHeader(h string) (map[string]string, error) {
	h = strings.TrimLeft(h, " \t")
	const scheme = "oauth"
	if len(h) < len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return nil, errors.New("authorization scheme is not OAuth")
	}
	rest := h[len(scheme):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return nil, errors.New("authorization scheme is not OAuth")
	}
	p := headerParser{s: rest}
	out := map[string]string{}
	for {
		p.skipSpace()
		if p.eof() {
			return out, nil
		}
		if p.peek() == ',' { // null list element (RFC 9110 §5.6.1)
			p.i++
			continue
		}
		rawName := p.token()
		if rawName == "" {
			return nil, fmt.Errorf("expected a parameter name at offset %d", p.i)
		}
		p.skipSpace()
		if p.eof() || p.peek() != '=' {
			return nil, fmt.Errorf("parameter %q has no value", rawName)
		}
		p.i++
		p.skipSpace()
		if p.eof() || p.peek() != '"' {
			return nil, fmt.Errorf("value of parameter %q is not a quoted string", rawName)
		}
		rawValue, err := p.quoted()
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", rawName, err)
		}
		name, err := percentDecode(rawName)
		if err != nil {
			return nil, fmt.Errorf("parameter name %q: %w", rawName, err)
		}
		value, err := percentDecode(rawValue)
		if err != nil {
			if name != "realm" {
				return nil, fmt.Errorf("value of parameter %q: %w", name, err)
			}
			// realm is not an OAuth parameter: RFC 5849 §3.5.1 takes it from RFC 2617,
			// unencoded (realm="https://jira.example.com").
			value = rawValue
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("parameter %q appears more than once", name)
		}
		out[name] = value
		p.skipSpace()
		if p.eof() {
			return out, nil
		}
		if p.peek() != ',' {
			return nil, fmt.Errorf("expected \",\" after parameter %q", name)
		}
		p.i++
	}
}

type headerParser struct {
	s string
	i int
}

func (p *headerParser) eof() bool  { return p.i >= len(p.s) }
func (p *headerParser) peek() byte { return p.s[p.i] }

func (p *headerParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\r' || p.s[p.i] == '\n') {
		p.i++
	}
}

// token reads an RFC 9110 token.
func (p *headerParser) token() string {
	start := p.i
	for p.i < len(p.s) && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// quoted reads a quoted-string starting at the opening quote and returns its
// unescaped content.
func (p *headerParser) quoted() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", errors.New("unterminated quoted string")
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case c < 0x20 && c != '\t', c == 0x7f:
			return "", errors.New("control character in quoted string")
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", errors.New("unterminated quoted string")
}

func isTokenChar(c byte) bool {
	if c <= 0x20 || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune("\"(),/:;<=>?@[\\]{}", rune(c))
}

// BaseString returns the RFC 5849 §3.4.1 signature base string of a request.
//
//   - method is upper-cased.
//   - The base string URI (§3.4.1.2) is built from u.Scheme and u.Host (both
//     lower-cased, the port dropped when it is the scheme's default: 80 for
//     http, 443 for https) and u.EscapedPath() ("/" when empty); the query
//     and fragment are not part of it.
//   - The parameters (§3.4.1.3) are: oauthParams (the Authorization header's
//     parameters; "realm" and "oauth_signature" are skipped if present), the
//     pairs of u.RawQuery decoded as application/x-www-form-urlencoded (an
//     undecodable component is kept verbatim), and form, which holds the
//     decoded application/x-www-form-urlencoded entity-body parameters (nil
//     when the body does not qualify). Duplicates are kept, each name and
//     value is encoded with PercentEncode, and pairs are sorted by encoded
//     name, then encoded value, in byte order and joined with "=" and "&".
//
// The three parts are each percent-encoded and joined with "&".
func BaseString(method string, u *url.URL, oauthParams map[string]string, form url.Values) string {
	var ps []param
	for k, v := range oauthParams {
		if k == "realm" || k == "oauth_signature" {
			continue
		}
		ps = append(ps, param{k, v})
	}
	ps = append(ps, parseFormLenient(u.RawQuery)...)
	for k, vs := range form {
		for _, v := range vs {
			ps = append(ps, param{k, v})
		}
	}
	return buildBaseString(method, baseStringURI(u.Scheme, u.Host, u.EscapedPath()), ps)
}

// baseStringURI builds the RFC 5849 §3.4.1.2 base string URI.
func baseStringURI(scheme, host, escapedPath string) string {
	scheme = strings.ToLower(scheme)
	host = strings.ToLower(host)
	if h, port, ok := splitHostPort(host); ok {
		if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
			host = h
		}
	}
	if escapedPath == "" {
		escapedPath = "/"
	}
	return scheme + "://" + host + escapedPath
}

// splitHostPort splits "host:port" or "[v6]:port"; ok is false when there
// is no port.
func splitHostPort(hostport string) (host, port string, ok bool) {
	if strings.HasPrefix(hostport, "[") {
		end := strings.LastIndexByte(hostport, ']')
		if end < 0 || end+1 >= len(hostport) || hostport[end+1] != ':' {
			return hostport, "", false
		}
		return hostport[:end+1], hostport[end+2:], true
	}
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 || strings.IndexByte(hostport, ':') != i {
		return hostport, "", false
	}
	return hostport[:i], hostport[i+1:], true
}

// normalizeParams is RFC 5849 §3.4.1.3.2: encode, sort, join.
func normalizeParams(ps []param) string {
	enc := make([]param, len(ps))
	for i, p := range ps {
		enc[i] = param{PercentEncode(p.name), PercentEncode(p.value)}
	}
	slices.SortFunc(enc, func(a, b param) int {
		if c := cmp.Compare(a.name, b.name); c != 0 {
			return c
		}
		return cmp.Compare(a.value, b.value)
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

func buildBaseString(method, baseURI string, ps []param) string {
	return PercentEncode(strings.ToUpper(method)) + "&" + PercentEncode(baseURI) + "&" + PercentEncode(normalizeParams(ps))
}

// VerifyRSASHA1 checks an RSA-SHA1 signature (RFC 5849 §3.4.3): signature is
// the base64 value of oauth_signature (already percent-decoded), verified as
// RSASSA-PKCS1-v1_5 over the SHA-1 digest of baseString.
func VerifyRSASHA1(pub *rsa.PublicKey, baseString, signature string) error {
	if pub == nil {
		return errors.New("no public key")
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("oauth_signature is not valid base64: %w", err)
	}
	digest := sha1.Sum([]byte(baseString)) //nolint:gosec // mandated by RFC 5849 RSA-SHA1
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA1, digest[:], sig); err != nil {
		return errors.New("signature does not verify with the consumer's public key")
	}
	return nil
}
