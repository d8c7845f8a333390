// Package alignapi is the client of the Jira Align connector API (docs/guides/http-calls.md,
// "Jira Align connectors"), built on the shared httpx layer. Every path and verb lives in
// endpoints.go.
//
// Every retry is httpx's: reads, updates and deletes are idempotent, and a 2xx whose body cannot
// be decoded (usually a truncated transfer) is read again. Creating is not idempotent: after a
// failure whose outcome is unknown httpx posts again only once a lookup of the name shows no such
// connector, so a retry never creates a duplicate; what stays unknown CreateConnector settles in
// straight-line steps.
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

// request is one call of an endpoint: its body, how to read a 2xx answer (nil: ignored), and,
// for the create, how httpx learns whether a POST whose outcome is unknown took effect.
type request struct {
	ep     endpoint
	body   []byte
	decode func([]byte) error
	landed func(context.Context) (bool, error)
}

// do sends r through httpx, which owns every retry: transient failures, a 2xx whose body decode
// rejects (read again when the call is idempotent; an *httpx.DecodeError otherwise), and a POST
// that r.landed shows did not take effect. A non-2xx status becomes an *APIError whose text s
// has cleaned; errors of httpx (an *httpx.AmbiguousError among them) are returned as they are.
func (c *Client) do(ctx context.Context, r request, s *redact.Set) error {
	ep := r.ep
	req := httpx.Request{
		Method:     ep.method,
		URL:        c.base + ep.path,
		Header:     authHeaders(c.token, r.body != nil),
		Body:       r.body,
		Idempotent: ep.idempotent,
		Describe:   ep.call,
		Landed:     r.landed,
	}
	if ep.rawQuery != "" {
		req.URL += "?" + ep.rawQuery
	}
	if r.decode != nil {
		req.Decode = func(res *httpx.Response) error {
			if err := r.decode(res.Body); err != nil {
				return fmt.Errorf("%s: the response from Jira Align (HTTP %d) could not be decoded: %w", ep.call, res.StatusCode, err)
			}
			return nil
		}
	}
	resp, err := c.hc.Do(ctx, req)
	if err != nil {
		tflog.Debug(ctx, "Jira Align call failed without a usable response", logFields(ep, 0))
		return err
	}
	tflog.Debug(ctx, "Jira Align call", logFields(ep, resp.StatusCode))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(ep.call, resp.StatusCode, resp.Header, resp.Body, s)
	}
	return nil
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
