package alignsim

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Fingerprint returns the contract's public key fingerprint: "SHA256:" followed
// by the unpadded standard base64 of the SHA-256 digest of the DER-encoded
// SubjectPublicKeyInfo of pub.
func Fingerprint(pub *rsa.PublicKey) (string, error) {
	if pub == nil || pub.N == nil {
		return "", errors.New("alignsim: nil RSA public key")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("alignsim: marshal public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}

// minRSABits is the smallest accepted RSA modulus.
const minRSABits = 2048

// parseRSAPrivateKeyPEM parses a single PEM block holding a PKCS#1
// ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") RSA private key of at least
// 2048 bits. Error messages never echo the input.
func parseRSAPrivateKeyPEM(s string) (*rsa.PrivateKey, error) {
	data := []byte(s)
	start := bytes.Index(data, []byte("-----BEGIN "))
	if start < 0 {
		return nil, errors.New("must be a PEM-encoded private key")
	}
	if len(bytes.TrimSpace(data[:start])) != 0 {
		return nil, errors.New("must contain nothing but one PEM block")
	}
	block, rest := pem.Decode(data[start:])
	if block == nil {
		return nil, errors.New("must be a PEM-encoded private key")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("must contain nothing but one PEM block")
	}
	if len(block.Headers) != 0 {
		return nil, errors.New("must not be encrypted or carry PEM headers")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("is not a valid PKCS#1 RSA private key")
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("is not a valid PKCS#8 private key")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("must be an RSA private key")
		}
		key = rk
	default:
		return nil, fmt.Errorf("PEM block type %q is not accepted; use \"RSA PRIVATE KEY\" (PKCS#1) or \"PRIVATE KEY\" (PKCS#8)", block.Type)
	}
	if key.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("RSA key must be at least %d bits (got %d)", minRSABits, key.N.BitLen())
	}
	return key, nil
}

// fingerprintPEM returns the fingerprint of the public half of a stored PEM
// private key, or false when it does not parse.
func fingerprintPEM(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	key, err := parseRSAPrivateKeyPEM(s)
	if err != nil {
		return "", false
	}
	fp, err := Fingerprint(&key.PublicKey)
	if err != nil {
		return "", false
	}
	return fp, true
}

// validateName checks a connector name: 1–100 Unicode characters.
func validateName(name string) string {
	n := utf8.RuneCountInString(name)
	if n < 1 || n > 100 {
		return "must be 1-100 characters"
	}
	return ""
}

// validateJiraURL checks an absolute https URL with a host and without query
// or fragment; http is accepted only for loopback hosts.
func validateJiraURL(raw string) string {
	if raw == "" {
		return "must not be empty"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "must be a valid absolute URL"
	}
	if !u.IsAbs() || u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return "must be an absolute URL with a host"
	}
	if u.RawQuery != "" || u.ForceQuery || strings.Contains(raw, "?") {
		return "must not have a query"
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "must not have a fragment"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return "must use https (http is allowed only for loopback hosts)"
		}
	default:
		return "must use https (http is allowed only for loopback hosts)"
	}
	return ""
}

// isLoopbackHost reports whether host is localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if ip4 := ip.To4(); ip4 != nil {
		return ip4[0] == 127
	}
	return ip.Equal(net.IPv6loopback)
}

// validateConsumerKey checks 1–100 ASCII letters and digits.
func validateConsumerKey(k string) string {
	if len(k) < 1 || len(k) > 100 {
		return "must be 1-100 characters"
	}
	for i := 0; i < len(k); i++ {
		if !isASCIIAlnum(k[i]) {
			return "must contain only letters and digits (A-Z, a-z, 0-9)"
		}
	}
	return ""
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseRFC3339 parses an RFC 3339 timestamp and normalises it to UTC at
// second precision, the precision the API returns.
func parseRFC3339(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC().Truncate(time.Second), true
}

// readJSONObject enforces the JSON media type and the body size limit, then
// decodes a single JSON object into its raw members. On failure it writes the
// error response and returns false.
func readJSONObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, bool) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "request body must be sent with Content-Type: application/json", nil)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", maxBodyBytes), nil)
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "could not read the request body", nil)
		return nil, false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		writeError(w, http.StatusBadRequest, "request body is required", nil)
		return nil, false
	}
	obj, dupes, err := decodeObject(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON: "+err.Error(), nil)
		return nil, false
	}
	if len(dupes) > 0 {
		fe := fieldErrors{}
		for _, k := range dupes {
			fe.add(k, "duplicate field")
		}
		writeError(w, http.StatusBadRequest, "malformed JSON: duplicate field", fe)
		return nil, false
	}
	return obj, true
}

// decodeObject decodes exactly one JSON object, keeping member names exactly
// as sent (encoding/json would match them case-insensitively) and reporting
// duplicated names.
func decodeObject(body []byte) (map[string]json.RawMessage, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, describeJSONError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, errors.New("request body must be a JSON object")
	}
	obj := make(map[string]json.RawMessage)
	var dupes []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, describeJSONError(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, errors.New("object member name must be a string")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, describeJSONError(err)
		}
		if _, dup := obj[key]; dup {
			dupes = append(dupes, key)
			continue
		}
		obj[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, describeJSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("unexpected data after the JSON object")
	}
	return obj, dupes, nil
}

func describeJSONError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of JSON input")
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("syntax error at offset %d: %s", syn.Offset, syn.Error())
	}
	return err
}

// isNull reports whether a raw member is JSON null.
func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// fields gives typed access to the members of a decoded JSON object and
// records which members were looked at, so unknown members can be reported.
type fields struct {
	obj  map[string]json.RawMessage
	seen map[string]bool
	errs fieldErrors
}

func newFields(obj map[string]json.RawMessage) *fields {
	return &fields{obj: obj, seen: make(map[string]bool), errs: fieldErrors{}}
}

// present reports whether name was sent with a non-null value.
func (f *fields) present(name string) bool {
	f.seen[name] = true
	raw, ok := f.obj[name]
	return ok && !isNull(raw)
}

// str returns a string member. ok is false when it is absent, null, or not a
// string (the last records an error).
func (f *fields) str(name string) (string, bool) {
	if !f.present(name) {
		return "", false
	}
	var v string
	if err := json.Unmarshal(f.obj[name], &v); err != nil {
		f.errs.add(name, "must be a string")
		return "", false
	}
	return v, true
}

// requiredStr is str with "is required" recorded when absent or null.
func (f *fields) requiredStr(name string) (string, bool) {
	if !f.present(name) {
		f.errs.add(name, "is required")
		return "", false
	}
	return f.str(name)
}

// requiredInt returns a required integer member.
func (f *fields) requiredInt(name string) (int, bool) {
	if !f.present(name) {
		f.errs.add(name, "is required")
		return 0, false
	}
	var v int
	if err := json.Unmarshal(f.obj[name], &v); err != nil {
		f.errs.add(name, "must be an integer")
		return 0, false
	}
	return v, true
}

// forbid records an error for each listed member sent with a non-null value.
func (f *fields) forbid(reason string, names ...string) {
	for _, n := range names {
		if f.present(n) {
			f.errs.add(n, reason)
		}
	}
}

// rejectUnknown records an error for each member never looked at.
func (f *fields) rejectUnknown() {
	for k := range f.obj {
		if !f.seen[k] {
			f.errs.add(k, "unknown field")
		}
	}
}

// parseQuery is url.ParseQuery that also rejects empty parameter names.
func parseQuery(raw string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, err
	}
	if _, ok := q[""]; ok {
		return nil, errors.New("empty query parameter name")
	}
	return q, nil
}

// listQuery is the parsed paging and filter parameters of GET /Connectors.
type listQuery struct {
	top       int
	skip      int
	hasFilter bool
	name      string
}

// parseListQuery parses $top (1..100, default 100), $skip (>= 0, default 0)
// and $filter (only "name eq '<value>'"). Any other parameter, and any
// parameter given twice, is an error keyed by the parameter name.
func parseListQuery(raw string) (listQuery, fieldErrors, error) {
	lq := listQuery{top: 100}
	q, err := parseQuery(raw)
	if err != nil {
		return lq, nil, err
	}
	fe := fieldErrors{}
	for k, vs := range q {
		if len(vs) != 1 {
			fe.add(k, "must be given at most once")
			continue
		}
		v := vs[0]
		switch k {
		case "$top":
			n, err := strconv.Atoi(v)
			switch {
			case err != nil || !isDigits(v):
				fe.add(k, "must be an integer from 0 to 100")
			case n > 100: // at most 100 items a page; $top=0 is an empty page, as in OData
				fe.add(k, "must be an integer from 0 to 100")
			default:
				lq.top = n
			}
		case "$skip":
			n, err := strconv.Atoi(v)
			if err != nil || !isDigits(v) || n < 0 {
				fe.add(k, "must be a non-negative integer")
			} else {
				lq.skip = n
			}
		case "$filter":
			name, ok := parseNameFilter(v)
			if !ok {
				fe.add(k, "only \"name eq '<value>'\" is supported")
			} else {
				lq.hasFilter = true
				lq.name = name
			}
		default:
			fe.add(k, "unknown query parameter")
		}
	}
	return lq, fe, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseNameFilter parses the OData expression name eq '<value>', where a
// single quote inside the value is written twice. Spaces separate the tokens;
// "name" and "eq" are case-sensitive, as in OData.
func parseNameFilter(expr string) (string, bool) {
	s := strings.Trim(expr, " ")
	rest, ok := strings.CutPrefix(s, "name")
	if !ok {
		return "", false
	}
	trimmed := strings.TrimLeft(rest, " ")
	if len(trimmed) == len(rest) {
		return "", false
	}
	rest, ok = strings.CutPrefix(trimmed, "eq")
	if !ok {
		return "", false
	}
	trimmed = strings.TrimLeft(rest, " ")
	if len(trimmed) == len(rest) {
		return "", false
	}
	if len(trimmed) < 2 || trimmed[0] != '\'' || trimmed[len(trimmed)-1] != '\'' {
		return "", false
	}
	inner := trimmed[1 : len(trimmed)-1]
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\'' {
			if i+1 < len(inner) && inner[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return "", false
		}
		b.WriteByte(inner[i])
	}
	return b.String(), true
}
