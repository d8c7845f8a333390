package jiraapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
)

// OAuth problems named by docs/guides/http-calls.md, "OAuth 1.0a signing" (RFC 5849 problem
// reporting extension).
const (
	ProblemConsumerKeyUnknown      = "consumer_key_unknown"
	ProblemSignatureInvalid        = "signature_invalid"
	ProblemSignatureMethodRejected = "signature_method_rejected"
	ProblemTimestampRefused        = "timestamp_refused"
	ProblemNonceUsed               = "nonce_used"
	ProblemTokenRejected           = "token_rejected"
	ProblemTokenExpired            = "token_expired"
	ProblemPermissionDenied        = "permission_denied"
	ProblemParameterAbsent         = "parameter_absent"
)

const (
	// maxAdviceRunes caps how much of Jira's free text (oauth_problem_advice, JSON error
	// messages) ends up in an error message.
	maxAdviceRunes = 300
	// maxProblemLen caps an oauth_problem value; real ones are short identifiers.
	maxProblemLen = 64
)

// OAuthError is an OAuth 1.0a failure reported by Jira (an oauth_problem), or a permission
// denial at the approval step. Its message tells the user how to fix the cause; it never carries
// a token, secret, verifier, password or key.
type OAuthError struct {
	// Call names the step, e.g. "OAuth request token".
	Call string
	// StatusCode is the HTTP status (0 when the problem came from a redirect Location).
	StatusCode int
	// Problem is the oauth_problem value ("" when Jira named none).
	Problem string
	// Advice is Jira's oauth_problem_advice, sanitized and capped ("" when absent).
	Advice string
	// Consumer is the consumer key the call was made for.
	Consumer string

	// approver names the approving user, when the error comes from the approval step.
	approver string
}

// Error returns an actionable description of the failure.
func (e *OAuthError) Error() string {
	var b strings.Builder
	if e.Call != "" {
		b.WriteString(e.Call)
		b.WriteString(": ")
	}
	b.WriteString(e.explain())
	b.WriteString(" [")
	if e.Problem != "" {
		b.WriteString("oauth_problem=" + e.Problem)
	} else {
		b.WriteString("no oauth_problem")
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ", HTTP %d", e.StatusCode)
	}
	b.WriteString("]")
	if e.Advice != "" {
		b.WriteString("; Jira says: ")
		b.WriteString(e.Advice)
	}
	return b.String()
}

func (e *OAuthError) explain() string {
	switch e.Problem {
	case ProblemConsumerKeyUnknown:
		return fmt.Sprintf("Jira does not know consumer key %q: register it as the incoming consumer of a jira_application_link (consumer.consumer_key) before requesting a token", e.Consumer)
	case ProblemSignatureInvalid:
		return fmt.Sprintf("Jira rejected the signature for consumer %q: the private key does not match the public key registered for that consumer (check private_key_pem against the application link's consumer.public_key_pem)", e.Consumer)
	case ProblemTimestampRefused:
		return "Jira refused the request timestamp: the clocks of this machine and Jira differ by more than 5 minutes (clock skew); synchronise both with NTP and try again"
	case ProblemNonceUsed:
		return fmt.Sprintf("Jira reported the request nonce as already used for consumer %q, even after a retry with a fresh signature (is another client replaying requests, or is Jira's clock far off?)", e.Consumer)
	case ProblemSignatureMethodRejected:
		return fmt.Sprintf("Jira does not accept the RSA-SHA1 signature method for consumer %q: the consumer must be registered with an RSA public key", e.Consumer)
	case ProblemTokenRejected:
		return "Jira rejected the OAuth token: it is unknown, revoked or already used (a token whose application link was deleted is gone too)"
	case ProblemTokenExpired:
		return "the OAuth token has expired (a request token lives 10 minutes; an access token lives as long as Jira's oauth_expires_in)"
	case ProblemPermissionDenied:
		if e.approver != "" {
			return fmt.Sprintf("the approving Jira user %q denied access to consumer %q (or Jira does not let that user grant it)", e.approver, e.Consumer)
		}
		return fmt.Sprintf("the approving Jira user denied access to consumer %q (or Jira does not let that user grant it)", e.Consumer)
	case ProblemParameterAbsent:
		return "Jira reported a missing OAuth parameter (a proxy between this machine and Jira may strip the Authorization header)"
	case "":
		return fmt.Sprintf("Jira rejected the OAuth-signed request for consumer %q without naming a problem (a proxy may strip the Authorization header)", e.Consumer)
	default:
		return fmt.Sprintf("Jira rejected the OAuth-signed request for consumer %q", e.Consumer)
	}
}

// HTTPError is a failure that is not an OAuth problem: an application-link error, an approval
// rejected by HTTP authentication or the XSRF check, or an unexpected status. Message is
// actionable and free of secrets.
type HTTPError struct {
	// Call names the operation, e.g. "create application link".
	Call string
	// StatusCode is the HTTP status.
	StatusCode int
	// Message explains the failure (it may quote Jira's own message, sanitized and capped).
	Message string
}

// Error returns the call, the status and the message.
func (e *HTTPError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("%s: Jira answered HTTP %d: %s", e.Call, e.StatusCode, msg)
}

// IsNotFound reports whether err is (or wraps) an HTTPError with status 404.
func IsNotFound(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && he.StatusCode == http.StatusNotFound
}

// IsConflict reports whether err is (or wraps) an HTTPError with status 409.
func IsConflict(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && he.StatusCode == http.StatusConflict
}

// IsTokenGone reports whether err is (or wraps) an OAuthError saying the token can no longer be
// used: token_rejected, token_expired, or consumer_key_unknown (the consumer's application link
// was deleted, which invalidates its tokens).
func IsTokenGone(err error) bool {
	var oe *OAuthError
	if !errors.As(err, &oe) {
		return false
	}
	switch oe.Problem {
	case ProblemTokenRejected, ProblemTokenExpired, ProblemConsumerKeyUnknown:
		return true
	}
	return false
}

// IsSignatureInvalid reports whether err is (or wraps) an OAuthError signature_invalid: Jira
// holds another public key for the consumer than the one matching the signing key. A token
// refused that way is not gone: if the consumer's key was replaced after it was issued, it is
// still live, and a request signed with the consumer's current key can use or revoke it.
func IsSignatureInvalid(err error) bool {
	var oe *OAuthError
	return errors.As(err, &oe) && oe.Problem == ProblemSignatureInvalid
}

// ParseOAuthProblem extracts oauth_problem and oauth_problem_advice from an OAuth error response:
// the WWW-Authenticate: OAuth … header first, then the form-encoded body. Both results are
// sanitized: the problem keeps only [A-Za-z0-9_] (at most 64 bytes), the advice loses control
// characters and is capped. It never panics, whatever the input.
func ParseOAuthProblem(h http.Header, body []byte) (problem, advice string) {
	for _, v := range h.Values("WWW-Authenticate") {
		params := parseOAuthChallenge(v)
		if params == nil {
			continue
		}
		if problem == "" {
			problem = params[paramProblem]
		}
		if advice == "" {
			advice = params[paramProblemAdvice]
		}
	}
	if len(body) > 0 && len(body) <= 64<<10 {
		// ParseQuery keeps what it could parse even when it also reports an error.
		vals, _ := url.ParseQuery(strings.TrimSpace(string(body)))
		if problem == "" {
			problem = vals.Get(paramProblem)
		}
		if advice == "" {
			advice = vals.Get(paramProblemAdvice)
		}
	}
	return sanitizeProblem(problem), redact.Printable(advice, maxAdviceRunes)
}

// parseOAuthChallenge returns the auth-params of an "OAuth" challenge, or nil when v is another
// scheme. Values may be quoted (with backslash escapes) or bare tokens, and are percent-decoded
// (RFC 5849 §3.5.1) when that decoding succeeds.
func parseOAuthChallenge(v string) map[string]string {
	v = strings.TrimSpace(v)
	const scheme = "oauth"
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return nil
	}
	rest := v[len(scheme):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return nil
	}
	params := map[string]string{}
	i := 0
	for i < len(rest) {
		// Skip separators.
		for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t' || rest[i] == ',') {
			i++
		}
		start := i
		for i < len(rest) && rest[i] != '=' && rest[i] != ',' && rest[i] != ' ' && rest[i] != '\t' {
			i++
		}
		key := strings.ToLower(rest[start:i])
		for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t') {
			i++
		}
		if i >= len(rest) || rest[i] != '=' {
			continue // a bare token (or another scheme's name): no value
		}
		i++ // '='
		for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t') {
			i++
		}
		var val strings.Builder
		if i < len(rest) && rest[i] == '"' {
			i++
			for i < len(rest) && rest[i] != '"' {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				val.WriteByte(rest[i])
				i++
			}
			i++ // closing quote (or past the end)
		} else {
			for i < len(rest) && rest[i] != ',' && rest[i] != ' ' && rest[i] != '\t' {
				val.WriteByte(rest[i])
				i++
			}
		}
		if key == "" {
			continue
		}
		s := val.String()
		if dec, err := url.PathUnescape(s); err == nil {
			s = dec
		}
		if _, dup := params[key]; !dup {
			params[key] = s
		}
	}
	return params
}

func sanitizeProblem(p string) string {
	var b strings.Builder
	for i := 0; i < len(p) && b.Len() < maxProblemLen; i++ {
		c := p[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// jiraMessage extracts a human message from a Jira JSON error body ({"message":…},
// {"errorMessages":[…]}, {"errors":[{"message":…}]} or {"errors":{"field":"…"}}), or a short
// plain-text body; sanitized and capped. "" when nothing usable is found.
func jiraMessage(header http.Header, body []byte) string {
	if len(body) == 0 || len(body) > 1<<20 {
		return ""
	}
	var doc struct {
		Message       string          `json:"message"`
		ErrorMessages []string        `json:"errorMessages"`
		Errors        json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(body, &doc) == nil {
		var parts []string
		if doc.Message != "" {
			parts = append(parts, doc.Message)
		}
		parts = append(parts, doc.ErrorMessages...)
		var list []struct {
			Message string `json:"message"`
		}
		var byField map[string]json.RawMessage
		if json.Unmarshal(doc.Errors, &list) == nil {
			for _, e := range list {
				if e.Message != "" {
					parts = append(parts, e.Message)
				}
			}
		} else if json.Unmarshal(doc.Errors, &byField) == nil {
			for _, k := range slices.Sorted(maps.Keys(byField)) {
				raw := byField[k]
				var one string
				var many []string
				switch {
				case json.Unmarshal(raw, &one) == nil && one != "":
					parts = append(parts, k+": "+one)
				case json.Unmarshal(raw, &many) == nil && len(many) > 0:
					parts = append(parts, k+": "+strings.Join(many, ", "))
				}
			}
		}
		return redact.Printable(strings.Join(parts, "; "), maxAdviceRunes)
	}
	if strings.HasPrefix(header.Get("Content-Type"), "text/plain") {
		return redact.Printable(string(body), maxAdviceRunes)
	}
	return ""
}

// NotJiraError is an answer that Jira never gives, so that the Jira URL points at something else:
// Jira Align (a common mix-up, since both URLs are configured side by side), another web
// application, a login proxy, or the right host without its context path. Its message starts
// with the attribute to fix, jira_url, instead of blaming a credential that was never checked.
type NotJiraError struct {
	// BaseURL is the Jira URL the client was given (it never carries credentials).
	BaseURL string
	// Request is the call, "METHOD /path" below the base URL.
	Request string
	// StatusCode is the answer's HTTP status.
	StatusCode int
	// Answer describes what answered, e.g. `an error in Jira Align's format ("…")`.
	Answer string
	// Align is set when the answer is Jira Align's own.
	Align bool
	// expected is set when the endpoint is one every Jira serves (its 404 gave it away).
	expected bool
}

// Error names jira_url, what answered and how to fix it. It never carries a secret: peer text is
// sanitized and capped, and the base URL has no user information.
func (e *NotJiraError) Error() string {
	var why string
	switch {
	case e.Align:
		why = ": that is how Jira Align answers, so jira_url is probably the Jira Align URL (align_url). Set jira_url to the base URL of Jira itself"
	case e.expected:
		why = ", but every Jira serves that endpoint. Set jira_url to the base URL of Jira"
	default:
		why = ", which Jira never sends there. Set jira_url to the base URL of Jira"
	}
	return fmt.Sprintf("jira_url (%q) does not look like a Jira: %s answered HTTP %d with %s%s, with its context path if it has one (such as https://jira.example.com/jira).",
		e.BaseURL, e.Request, e.StatusCode, e.Answer, why)
}

// IsNotJira reports whether err is (or wraps) a NotJiraError.
func IsNotJira(err error) bool {
	var nj *NotJiraError
	return errors.As(err, &nj)
}

// peerEndpoint tells classifyPeer what a real Jira answers on an endpoint.
type peerEndpoint int

const (
	// endpointOAuth: the OAuth token servlets (request token, access token, revoke). Every Jira
	// serves them, and answers with form data or an oauth_problem, never an HTML page (except
	// Jira's own error pages).
	endpointOAuth peerEndpoint = iota
	// endpointApproval: the approval page. In Jira it is a web page, so HTML (a login page, an
	// error page) may be Jira's own answer.
	endpointApproval
	// endpointREST: a REST endpoint every Jira serves (/rest/api/2/myself, the application-link
	// collection): JSON (or XML) only.
	endpointREST
	// endpointRESTObject: a REST URL naming one object (an application link, its consumer),
	// where 404 means "no such object", so only the body can tell that the peer is not a Jira.
	endpointRESTObject
)

// classifyPeer returns a *NotJiraError when an answer from base shows the peer is not a Jira, nil
// when it may be Jira's (the caller then reports it as usual). This is the one place that decides
// it. It never classifies what may be transient (429, 5xx) or what carries an oauth_problem, and
// of the 2xx answers only those that should have been form data or JSON and are an HTML page.
//
// The signs: an error body in Jira Align's JSON format ({"status":…,"message":…,"errors":{…}});
// a 404 from an endpoint every Jira serves; an HTML page where Jira answers with form data or
// JSON (an HTML page whose title names Jira, not Jira Align, passes as Jira's own error page on
// the web endpoints).
func classifyPeer(base string, kind peerEndpoint, method, path string, status int, h http.Header, body []byte) *NotJiraError {
	if status == http.StatusTooManyRequests || status >= 500 || status >= 300 && status < 400 {
		return nil
	}
	if p, _ := ParseOAuthProblem(h, body); p != "" {
		return nil
	}
	e := &NotJiraError{BaseURL: base, Request: method + " " + path, StatusCode: status}
	if msg, ok := alignErrorBody(body); ok {
		e.Answer, e.Align = "an error in Jira Align's format", true
		if msg != "" {
			e.Answer += fmt.Sprintf(" (%q)", msg)
		}
		return e
	}
	html, title := htmlPage(h, body)
	success := status >= 200 && status < 300
	switch {
	case html && strings.Contains(strings.ToLower(title), "jira align"):
		e.Align = true
	case status == http.StatusNotFound && kind != endpointRESTObject:
		e.expected = true
	case success && kind != endpointOAuth && kind != endpointREST:
		return nil
	case !html:
		return nil
	case kind == endpointREST || kind == endpointRESTObject:
	case kind == endpointOAuth && !strings.Contains(strings.ToLower(title), "jira"):
	default:
		return nil
	}
	e.Answer = describeBody(h, body, html, title)
	if server := redact.Printable(truncate(h.Get("Server"), 64), maxAdviceRunes); server != "" {
		e.Answer += fmt.Sprintf(" (Server: %s)", server)
	}
	return e
}

// alignErrorBody reports whether body is Jira Align's error body {"status":400,"message":"…",
// "errors":{"field":["…"]}} (a numeric status, a message and an errors object of lists), and
// returns its message. Jira's REST errors have another shape ({"errorMessages":[…],"errors":{…}}
// with string values, or a status and message without errors).
func alignErrorBody(body []byte) (string, bool) {
	if len(body) == 0 || len(body) > 1<<20 {
		return "", false
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return "", false
	}
	var status float64
	var msg string
	var errs map[string][]json.RawMessage
	if json.Unmarshal(doc["status"], &status) != nil || json.Unmarshal(doc["message"], &msg) != nil ||
		doc["errors"] == nil || json.Unmarshal(doc["errors"], &errs) != nil || errs == nil {
		return "", false
	}
	if _, jira := doc["errorMessages"]; jira {
		return "", false
	}
	return truncateRunes(redact.Printable(msg, maxAdviceRunes), 120), true
}

// htmlPage reports whether the answer is an HTML page, with its <title> (sanitized, capped).
func htmlPage(h http.Header, body []byte) (bool, string) {
	ct := strings.ToLower(h.Get("Content-Type"))
	head := strings.TrimSpace(asciiLower(body[:min(len(body), 512)]))
	if !strings.HasPrefix(ct, "text/html") && !strings.HasPrefix(ct, "application/xhtml") &&
		!strings.HasPrefix(head, "<!doctype html") && !strings.HasPrefix(head, "<html") {
		return false, ""
	}
	// ASCII-only lowering keeps byte offsets, so indexes into lower are indexes into body.
	lower := asciiLower(body[:min(len(body), 64<<10)])
	i := strings.Index(lower, "<title")
	if i < 0 {
		return true, ""
	}
	j := strings.IndexByte(lower[i:], '>')
	if j < 0 {
		return true, ""
	}
	start := i + j + 1
	end := strings.Index(lower[start:], "</title")
	if end < 0 {
		return true, ""
	}
	title := string(body[start : start+end])
	if r := []rune(redact.Printable(title, maxAdviceRunes)); len(r) > 80 {
		return true, string(r[:80]) + "…"
	}
	return true, redact.Printable(title, maxAdviceRunes)
}

func asciiLower(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

// describeBody says in a few words what an answer's body is.
func describeBody(h http.Header, body []byte, html bool, title string) string {
	switch {
	case html && title != "":
		return fmt.Sprintf("an HTML page titled %q", title)
	case html:
		return "an HTML page"
	case len(bytes.TrimSpace(body)) == 0:
		return "an empty body"
	}
	if msg := jiraMessage(h, body); msg != "" {
		return fmt.Sprintf("the message %q", truncateRunes(msg, 120))
	}
	if ct := h.Get("Content-Type"); ct != "" {
		return "a " + redact.Printable(truncate(ct, 64), maxAdviceRunes) + " body"
	}
	return "a body that is neither JSON nor form data"
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// classifyPeer is classifyPeer for this client's base URL.
func (c *Client) classifyPeer(kind peerEndpoint, method, path string, status int, h http.Header, body []byte) *NotJiraError {
	return classifyPeer(c.base, kind, method, path, status, h, body)
}
