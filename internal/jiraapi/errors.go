package jiraapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// OAuth problems named by CONTRACT §1 (RFC 5849 problem reporting extension).
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
	return sanitizeProblem(problem), sanitizeText(advice)
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

// sanitizeText makes peer-supplied free text safe to show: valid UTF-8, control and format
// characters (including bidi overrides) replaced by spaces, whitespace collapsed, at most
// maxAdviceRunes runes.
func sanitizeText(s string) string {
	if s == "" {
		return ""
	}
	fields := strings.FieldsFunc(strings.ToValidUTF8(s, "\uFFFD"), func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r)
	})
	out := strings.Join(fields, " ")
	if utf8.RuneCountInString(out) > maxAdviceRunes {
		out = string([]rune(out)[:maxAdviceRunes]) + "…"
	}
	return out
}

// scrub removes every occurrence of the given secret values from s (defence in depth: a peer
// should never echo a token in its advice, but if it does the value must not reach a log).
func scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "<redacted>")
		}
	}
	return s
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
		return sanitizeText(strings.Join(parts, "; "))
	}
	if strings.HasPrefix(header.Get("Content-Type"), "text/plain") {
		return sanitizeText(string(body))
	}
	return ""
}
