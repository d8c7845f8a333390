// Package alignapi is the client of the Jira Align connector API (CONTRACT §5), built on the
// shared httpx layer. Every path and verb lives in endpoints.go.
//
// Reads, updates and deletes are idempotent and retried by httpx; a 2xx whose body cannot be
// decoded (usually a truncated transfer) is retried too. Creating is not idempotent: after an
// ambiguous failure the client looks the name up before it posts again, so a retry never creates
// a duplicate connector.
//
// No error and no log line ever holds a secret: the operation's secret set (package redact), the
// API token and the secrets of a request are removed from whatever the server echoes, and
// ConnectorInput prints redacted.
package alignapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
)

// Client calls the Jira Align connector API. It is safe for concurrent use.
type Client struct {
	base  string // scheme://host[/path] of {align}, without a trailing slash
	token string
	hc    *httpx.Client
}

// New returns a client for the Jira Align instance at baseURL ({align}: an absolute http(s) URL,
// possibly with a path; a trailing slash is tolerated) authenticating with apiToken.
func New(baseURL, apiToken string, hc *httpx.Client) (*Client, error) {
	if hc == nil {
		return nil, errors.New("alignapi: no HTTP client")
	}
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, errors.New("align_url is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("align_url must be an absolute http or https URL, got %q", u.Redacted())
	}
	if u.User != nil {
		return nil, errors.New("align_url must not carry credentials (user info); use align_api_token")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("align_url must not have a query or a fragment, got %q", u.Redacted())
	}
	token := strings.TrimSpace(apiToken)
	if token == "" {
		return nil, errors.New("align_api_token is empty (set it or env JIRA_ALIGN_API_TOKEN)")
	}
	if strings.IndexFunc(token, func(r rune) bool { return unicode.IsControl(r) || r > unicode.MaxASCII }) >= 0 {
		return nil, errors.New("align_api_token holds control or non-ASCII characters")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return &Client{base: u.String(), token: token, hc: hc}, nil
}

// decodeError is a 2xx whose body could not be decoded.
type decodeError struct {
	call   string
	status int
	err    error
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("%s: the response from Jira Align (HTTP %d) could not be decoded: %v", e.call, e.status, e.err)
}

func (e *decodeError) Unwrap() error { return e.err }

// do sends ep once through httpx (which retries transient failures). A non-2xx status becomes an
// *APIError; a 2xx is handed to decode (nil: body ignored), whose failure is a *decodeError.
// Errors of httpx (among them *httpx.AmbiguousError for POST) are returned as they are.
func (c *Client) do(ctx context.Context, ep endpoint, body []byte, s *redact.Set, decode func([]byte) error) error {
	req := httpx.Request{
		Method:     ep.method,
		URL:        c.base + ep.path,
		Header:     authHeaders(c.token, body != nil),
		Body:       body,
		Idempotent: ep.idempotent,
		Describe:   ep.call,
	}
	if ep.rawQuery != "" {
		req.URL += "?" + ep.rawQuery
	}
	resp, err := c.hc.Do(ctx, req)
	if err != nil {
		tflog.Debug(ctx, "Jira Align call failed without a response", logFields(ep, 0))
		return err
	}
	tflog.Debug(ctx, "Jira Align call", logFields(ep, resp.StatusCode))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(ep.call, resp.StatusCode, resp.Header, resp.Body, s)
	}
	if decode != nil {
		if err := decode(resp.Body); err != nil {
			return &decodeError{call: ep.call, status: resp.StatusCode, err: err}
		}
	}
	return nil
}

// call is do for idempotent endpoints, with decoding failures of a 2xx retried as transient
// (a truncated transfer) within the httpx retry budget.
func (c *Client) call(ctx context.Context, ep endpoint, body []byte, s *redact.Set, decode func([]byte) error) error {
	return c.hc.Retry(ctx, ep.call, func(ctx context.Context, _ int) error {
		err := c.do(ctx, ep, body, s, decode)
		var de *decodeError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &de) && ep.idempotent:
			return httpx.Transient(err, 0)
		default:
			return httpx.Permanent(err)
		}
	})
}

func logFields(ep endpoint, status int) map[string]any {
	f := map[string]any{"call": ep.call}
	if ep.id > 0 {
		f["id"] = ep.id
	}
	if status > 0 {
		f["status"] = status
	}
	return f
}

func retryAfter(h http.Header) time.Duration { return httpx.RetryAfter(h, time.Now()) }

// secrets is the operation's secret set (from ctx) plus the API token and the secrets of in.
func (c *Client) secrets(ctx context.Context, in *ConnectorInput) *redact.Set {
	s := redact.FromContext(ctx).With(c.token)
	if in != nil {
		s = s.With(in.secrets()...)
	}
	return s
}

func encodeInput(in ConnectorInput) ([]byte, error) {
	body, err := json.Marshal(in)
	if err != nil {
		// Only a time out of JSON's range can fail; say so without echoing the input.
		return nil, fmt.Errorf("encoding the connector %q: %w", in.Name, err)
	}
	return body, nil
}
