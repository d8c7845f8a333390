package alignapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
)

// Limits on what an APIError keeps of a server's answer.
const (
	maxMessageRunes    = 500
	maxFieldErrorRunes = 200
	maxFieldErrors     = 20
	maxExcerptRunes    = 200
)

// Hints appended by APIError.Error.
const (
	hint401      = "check align_api_token (env JIRA_ALIGN_API_TOKEN)"
	hint403      = "the API token's role lacks admin rights on connectors"
	hint409      = "a connector with this name already exists: choose another name or import it (terraform import jira_align_connector.<name> <id>)"
	hint429      = "rate limited"
	hintRedirect = "Jira Align answered with a redirect, which is not followed: check align_url (scheme, host and path)"
)

// APIError is a non-2xx answer from Jira Align. Message and Errors come from the JSON error body
// (or, for a body that is not the contract's JSON, Message holds a short printable excerpt);
// both are already scrubbed of the API token and of every secret sent in the request.
type APIError struct {
	// Call names the call, e.g. "create connector" or "get connector 12".
	Call       string
	StatusCode int
	Message    string
	// Errors maps a field name to its validation messages.
	Errors map[string][]string
	// RetryAfter is the server's Retry-After (429, 503), 0 when absent.
	RetryAfter time.Duration

	// conflictID is the id of the connector that holds the name, when a 409 lookup found it.
	conflictID int
	// location is a sanitised redirect target, for 3xx.
	location string
}

// Error describes the call, the status, the server's message, every field error sorted by field,
// and a hint for the statuses a user can act on. It never contains a secret.
func (e *APIError) Error() string {
	var b strings.Builder
	call := e.Call
	if call == "" {
		call = "Jira Align call"
	}
	fmt.Fprintf(&b, "%s: Jira Align answered HTTP %d", call, e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" " + text)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	fields := make([]string, 0, len(e.Errors))
	for f := range e.Errors {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		msgs := e.Errors[f]
		if len(msgs) == 0 {
			fmt.Fprintf(&b, "; %s: invalid", f)
		}
		for _, m := range msgs {
			fmt.Fprintf(&b, "; %s: %s", f, m)
		}
	}
	if h := e.hint(); h != "" {
		b.WriteString(" (hint: " + h + ")")
	}
	return b.String()
}

func (e *APIError) hint() string {
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		return hint401
	case e.StatusCode == http.StatusForbidden:
		return hint403
	case e.StatusCode == http.StatusConflict && (strings.HasPrefix(e.Call, callCreate) || strings.HasPrefix(e.Call, callUpdate)):
		if e.conflictID > 0 {
			return strings.Replace(hint409, "<id>", strconv.Itoa(e.conflictID), 1)
		}
		return hint409
	case e.StatusCode == http.StatusTooManyRequests:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("%s; the server asked to retry after %s: try again later or raise max_retries", hint429, e.RetryAfter)
		}
		return hint429 + ": try again later or raise max_retries"
	case e.StatusCode >= 300 && e.StatusCode < 400:
		if e.location != "" {
			return hintRedirect + "; it redirected to " + e.location
		}
		return hintRedirect
	}
	return ""
}

// IsNotFound reports whether err is (or wraps) an APIError with status 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}

// errorBody is the contract's error body: {"status":400,"message":"…","errors":{"f":["…"]}}.
// Fields are raw so a body of slightly different shape still yields a message.
type errorBody struct {
	Message json.RawMessage `json:"message"`
	Errors  json.RawMessage `json:"errors"`
}

// newAPIError builds the error for a non-2xx response; s removes every secret of the operation.
func newAPIError(call string, status int, header http.Header, body []byte, s *redact.Set) *APIError {
	e := &APIError{Call: call, StatusCode: status}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = retryAfter(header)
	}
	if status >= 300 && status < 400 {
		if loc := header.Get("Location"); loc != "" {
			e.location = s.Clean(loc, maxExcerptRunes)
		}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return e
	}
	var eb errorBody
	if trimmed[0] == '{' && json.Unmarshal(trimmed, &eb) == nil {
		e.Message = s.Clean(rawText(eb.Message), maxMessageRunes)
		e.Errors = fieldErrors(eb.Errors, s)
		if e.Message != "" || len(e.Errors) > 0 {
			return e
		}
	}
	e.Message = "(unexpected response body) " + s.Clean(string(trimmed), maxExcerptRunes)
	return e
}

// rawText is a JSON string's value, or the compact JSON text of any other value ("" for null).
func rawText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return string(raw)
}

// fieldErrors reads {"field":["msg",…]} and tolerates a single string or another value per field.
func fieldErrors(raw json.RawMessage, s *redact.Set) map[string][]string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		if t := s.Clean(rawText(raw), maxFieldErrorRunes); t != "" {
			return map[string][]string{"errors": {t}}
		}
		return nil
	}
	fields := make([]string, 0, len(obj))
	for f := range obj {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	out := make(map[string][]string, len(obj))
	n := 0
	for _, f := range fields {
		var msgs []string
		var list []json.RawMessage
		if json.Unmarshal(obj[f], &list) == nil {
			for _, m := range list {
				msgs = append(msgs, rawText(m))
			}
		} else if t := rawText(obj[f]); t != "" {
			msgs = []string{t}
		}
		name := s.Clean(f, maxFieldErrorRunes)
		if name == "" {
			name = "(unnamed)"
		}
		for _, m := range msgs {
			if n == maxFieldErrors {
				out["…"] = []string{fmt.Sprintf("%d more field errors not shown", countMsgs(obj)-n)}
				return out
			}
			out[name] = append(out[name], s.Clean(m, maxFieldErrorRunes))
			n++
		}
		if len(msgs) == 0 {
			out[name] = append(out[name], "invalid")
		}
	}
	return out
}

func countMsgs(obj map[string]json.RawMessage) int {
	n := 0
	for _, v := range obj {
		var list []json.RawMessage
		if json.Unmarshal(v, &list) == nil {
			n += len(list)
		} else {
			n++
		}
	}
	return n
}
