// Package jiraapi is the provider's client for Jira Server/Data Center: the application-link
// REST API that registers Jira Align as an OAuth consumer, the OAuth 1.0a (RSA-SHA1) three-legged
// handshake that yields an access token, and the calls made with that token (who am I, revoke).
//
// The wire format is described in docs/guides/http-calls.md; endpoints.go lists every call, marked
// [documented] or [assumed]. All traffic goes through the shared httpx layer (TLS, timeouts,
// retries). OAuth signing uses github.com/dghubble/oauth1 with an RSA-SHA1 signer.
//
// No error message or log line of this package carries a password, private key, token, token
// secret or verifier.
package jiraapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
)

// Client talks to one Jira instance. It is safe for concurrent use.
type Client struct {
	base string // scheme://host[:port][/context path], no trailing slash
	hc   *httpx.Client
}

// New returns a Client for the Jira at baseURL ({jira} in the contract). baseURL may carry a
// context path ("https://example.com/jira"); a trailing slash is tolerated. It must be an
// absolute http(s) URL without credentials, query or fragment.
func New(baseURL string, hc *httpx.Client) (*Client, error) {
	if hc == nil {
		return nil, errors.New("jiraapi: nil httpx client")
	}
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		// url.Parse errors quote the input, which could hold credentials: do not wrap it.
		return nil, errors.New("the Jira URL is not a valid URL")
	}
	if u.User != nil {
		return nil, errors.New("the Jira URL must not carry credentials (user:password@); use jira_username/jira_password")
	}
	shown := u.Redacted()
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("the Jira URL %q must be an absolute http(s) URL", shown)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("the Jira URL %q has no host", shown)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("the Jira URL %q must not have a query or fragment", shown)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return &Client{base: u.String(), hc: hc}, nil
}

// BaseURL returns the normalized Jira base URL (no trailing slash).
func (c *Client) BaseURL() string { return c.base }

func (c *Client) url(path string) string { return joinURL(c.base, path) }

// BasicAuth holds HTTP Basic credentials of a Jira user (password or API token). Its String and
// GoString methods redact the password, so printing it with fmt is safe.
type BasicAuth struct{ Username, Password string }

// String returns the username with the password redacted.
func (b BasicAuth) String() string {
	return fmt.Sprintf("BasicAuth{Username:%q, Password:%s}", b.Username, redact.Field(b.Password))
}

// GoString is String, so %#v redacts too.
func (b BasicAuth) GoString() string { return b.String() }

func (b BasicAuth) header() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(b.Username+":"+b.Password))
}

func (b BasicAuth) validate(role string) error {
	if b.Username == "" {
		return fmt.Errorf("the %s's Jira username is empty", role)
	}
	if strings.ContainsRune(b.Username, ':') {
		return fmt.Errorf("the %s's Jira username %q contains ':', which HTTP Basic authentication cannot carry", role, b.Username)
	}
	return nil
}

// debug logs one step at Debug level. Callers pass only non-secret fields (step, status,
// consumer key, link id).
func debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, "jira: "+msg, fields)
}

// ctxError wraps a context error with the call it interrupted.
func ctxError(ctx context.Context, call string) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, ctx.Err()) {
		return fmt.Errorf("%s: %w (%w)", call, ctx.Err(), cause)
	}
	return fmt.Errorf("%s: %w", call, ctx.Err())
}

// unexpectedStatus builds the HTTPError for a status a call does not expect, quoting Jira's own
// message (sanitized) when it sent one.
func unexpectedStatus(call string, status int, h http.Header, body []byte) *HTTPError {
	msg := jiraMessage(h, body)
	switch {
	case status == http.StatusTooManyRequests:
		msg = joinMsg("Jira is rate limiting this client; try again later or raise max_retries", msg)
	case status >= 500:
		msg = joinMsg("Jira failed to handle the request (a server error)", msg)
	case status >= 300 && status < 400:
		msg = joinMsg("Jira redirected the call elsewhere: check the Jira URL (scheme, host and any context path such as /jira)", msg)
	case status == http.StatusNotFound:
		msg = joinMsg("no such endpoint: check the Jira URL, including any context path such as /jira", msg)
	}
	return &HTTPError{Call: call, StatusCode: status, Message: msg}
}

func joinMsg(ours, theirs string) string {
	if theirs == "" {
		return ours
	}
	return ours + " (Jira says: " + theirs + ")"
}

// tlsTrustError returns, when err is a failed TLS handshake with Jira (an untrusted or mismatched
// certificate, a protocol version below TLS 1.2), an *httpx.TLSError for call that says how to fix
// it; nil otherwise. httpx already classifies the calls it makes; this covers the ones
// dghubble/oauth1 makes with the same *http.Client. Nothing was sent in that case, so it is final:
// neither ambiguous nor worth a retry.
func tlsTrustError(call string, err error) error {
	var te *httpx.TLSError
	switch {
	case errors.As(err, &te):
		return err
	case httpx.IsTLSError(err):
		return &httpx.TLSError{Call: call, Err: err}
	}
	return nil
}

// transportError describes a call that got no answer at all.
func transportError(ctx context.Context, call string, err error) error {
	if ctx.Err() != nil {
		return ctxError(ctx, call)
	}
	if te := tlsTrustError(call, err); te != nil {
		return te
	}
	return err
}
