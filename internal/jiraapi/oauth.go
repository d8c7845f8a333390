package jiraapi

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/dghubble/oauth1"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
)

// maxRecordedBody bounds the response body the recorder keeps (OAuth answers are tiny).
const maxRecordedBody = 1 << 20

// OAuthConsumer is the consumer side of OAuth 1.0a with RSA-SHA1: the consumer key registered
// on the application link and the private key matching its public key. Its String and GoString
// methods never print the key.
type OAuthConsumer struct {
	Key        string
	PrivateKey *rsa.PrivateKey
}

// String names the consumer key only.
func (o OAuthConsumer) String() string {
	key := "<nil>"
	if o.PrivateKey != nil {
		key = "<redacted>"
	}
	return fmt.Sprintf("OAuthConsumer{Key:%q, PrivateKey:%s}", o.Key, key)
}

// GoString is String, so %#v never prints the key.
func (o OAuthConsumer) GoString() string { return o.String() }

func (o OAuthConsumer) validate() error {
	if o.Key == "" {
		return errors.New("the OAuth consumer key is empty")
	}
	if o.PrivateKey == nil {
		return fmt.Errorf("no private key for OAuth consumer %q", o.Key)
	}
	return nil
}

// User is the Jira user an access token acts as (GET /rest/api/2/myself).
type User struct {
	Name         string `json:"name"`
	Key          string `json:"key"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
	Active       bool   `json:"active"`
}

// recordedResponse is what the recorder keeps of a response.
type recordedResponse struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// recorder wraps the shared transport for the oauth1.Config token calls, which build their
// requests without a context: it (a) runs each request under the caller's ctx (and still under
// the request's own context, which carries the http.Client timeout), and (b) keeps the last
// response's status, headers and body, handing the body back to the library, so that the caller
// can read oauth_expires_in and classify oauth_problem answers itself (the library only returns
// a string error).
type recorder struct {
	base      http.RoundTripper
	ctx       context.Context
	userAgent string

	mu   sync.Mutex
	last *recordedResponse
}

// RoundTrip implements http.RoundTripper.
func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	stop := context.AfterFunc(req.Context(), cancel)
	defer stop()
	req2 := req.Clone(ctx)
	if r.userAgent != "" && req2.Header.Get("User-Agent") == "" {
		req2.Header.Set("User-Agent", r.userAgent)
	}
	resp, err := r.base.RoundTrip(req2)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRecordedBody+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the response body: %w", err)
	}
	if len(body) > maxRecordedBody {
		// Never hand a body cut short to the library: what remains could parse as a token.
		return nil, fmt.Errorf("the answer's body is larger than %d MiB, more than any OAuth answer: it is refused", maxRecordedBody>>20)
	}
	r.mu.Lock()
	r.last = &recordedResponse{StatusCode: resp.StatusCode, Header: resp.Header.Clone(), Body: body}
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// response returns the last recorded response, nil when none arrived.
func (r *recorder) response() *recordedResponse {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// oauthConfig returns an oauth1.Config for one token call (request token or access token), and
// the recorder its HTTP client goes through.
func (c *Client) oauthConfig(ctx context.Context, consumer OAuthConsumer, callbackURL string) (*oauth1.Config, *recorder) {
	rec := &recorder{base: c.hc.Transport(), ctx: ctx, userAgent: c.hc.Settings().UserAgent}
	return &oauth1.Config{
		ConsumerKey: consumer.Key,
		CallbackURL: callbackURL,
		Endpoint: oauth1.Endpoint{
			RequestTokenURL: c.url(pathRequestToken),
			AuthorizeURL:    c.url(pathAuthorize),
			AccessTokenURL:  c.url(pathAccessToken),
		},
		Signer:     &oauth1.RSASigner{PrivateKey: consumer.PrivateKey},
		HTTPClient: c.hc.HTTPClient(rec),
	}, rec
}

// signedTransport returns a RoundTripper that signs every request it sends (so every httpx
// attempt gets a fresh nonce and timestamp) with the consumer's key and the access token.
func (c *Client) signedTransport(ctx context.Context, consumer OAuthConsumer, token, tokenSecret string) http.RoundTripper {
	cfg := &oauth1.Config{
		ConsumerKey: consumer.Key,
		Signer:      &oauth1.RSASigner{PrivateKey: consumer.PrivateKey},
	}
	octx := context.WithValue(ctx, oauth1.HTTPClient, &http.Client{Transport: c.hc.Transport()})
	return oauth1.NewClient(octx, cfg, &oauth1.Token{Token: token, TokenSecret: tokenSecret}).Transport
}

// oauthProblem returns the OAuthError an answer carries: any 400/401/403 naming an oauth_problem,
// or a bare 401. Jira's advice is sanitized and scrubbed of the given secrets. nil otherwise.
func oauthProblem(call, consumerKey string, status int, h http.Header, body []byte, secrets ...string) *OAuthError {
	problem, advice := ParseOAuthProblem(h, body)
	switch {
	case problem != "" && (status == http.StatusUnauthorized || status == http.StatusBadRequest || status == http.StatusForbidden):
	case problem == "" && status == http.StatusUnauthorized:
	default:
		return nil
	}
	return &OAuthError{Call: call, StatusCode: status, Problem: problem, Advice: scrub(advice, secrets...), Consumer: consumerKey}
}

// signedDo sends one OAuth-signed call with an access token through httpx (re-signed on every
// attempt). A nonce_used answer is tried once more with a fresh signature.
func (c *Client) signedDo(ctx context.Context, consumer OAuthConsumer, token, tokenSecret string, r httpx.Request) (*httpx.Response, error) {
	r.Transport = c.signedTransport(ctx, consumer, token, tokenSecret)
	for try := 1; ; try++ {
		res, err := c.hc.Do(ctx, r)
		if err != nil {
			return nil, transportError(ctx, r.Describe, err)
		}
		debug(ctx, "signed call", map[string]any{"call": r.Describe, "status": res.StatusCode, "consumer_key": consumer.Key, "attempts": res.Attempts})
		if try == 1 && res.StatusCode == http.StatusUnauthorized {
			if p, _ := ParseOAuthProblem(res.Header, res.Body); p == ProblemNonceUsed {
				continue
			}
		}
		return res, nil
	}
}

func validateToken(consumer OAuthConsumer, token string) error {
	if err := consumer.validate(); err != nil {
		return err
	}
	if token == "" {
		return errors.New("the OAuth access token is empty")
	}
	return nil
}

// Myself returns the Jira user the access token acts as (GET /rest/api/2/myself, signed). A
// revoked, unknown or expired token, or a consumer Jira no longer knows, fails with an
// *OAuthError for which IsTokenGone is true.
func (c *Client) Myself(ctx context.Context, consumer OAuthConsumer, token, tokenSecret string) (*User, error) {
	const call = "GET /rest/api/2/myself"
	if err := validateToken(consumer, token); err != nil {
		return nil, fmt.Errorf("%s: %w", call, err)
	}
	var user User
	err := c.readRetrying(ctx, call, func(ctx context.Context) error {
		res, err := c.signedDo(ctx, consumer, token, tokenSecret, httpx.Request{
			Method: http.MethodGet, URL: c.url(pathMyself), Header: http.Header{"Accept": {contentTypeJSON}},
			Idempotent: true, Describe: call,
		})
		if err != nil {
			return err
		}
		if res.StatusCode == http.StatusOK {
			if err := json.Unmarshal(res.Body, &user); err != nil {
				return &decodeError{fmt.Errorf("%s: Jira answered HTTP 200 with a body that is not a user: %w", call, err)}
			}
			return nil
		}
		if oe := oauthProblem(call, consumer.Key, res.StatusCode, res.Header, res.Body, token, tokenSecret); oe != nil {
			return oe
		}
		return unexpectedStatus(call, res.StatusCode, res.Header, res.Body)
	})
	if err != nil {
		return nil, err
	}
	return &user, nil
}

// Revoke revokes an access token, signed with that token (CONTRACT §3). A token Jira reports as
// already gone (token_rejected, token_expired, or consumer_key_unknown once its application link
// is deleted) is success. Transient failures are retried, each attempt signed anew.
func (c *Client) Revoke(ctx context.Context, consumer OAuthConsumer, token, tokenSecret string) error {
	const call = "revoke Jira OAuth access token"
	if err := validateToken(consumer, token); err != nil {
		return fmt.Errorf("%s: %w", call, err)
	}
	res, err := c.signedDo(ctx, consumer, token, tokenSecret, httpx.Request{
		Method: http.MethodPost, URL: c.url(pathAccessTokens),
		Header: http.Header{"Content-Type": {contentTypeForm}, headerXSRF: {xsrfNoCheck}},
		Body:   revokeForm(),
		// Revoking twice is harmless: the second answer is "already gone", which is success.
		Idempotent: true, Describe: call,
	})
	if err != nil {
		return err
	}
	switch res.StatusCode {
	case http.StatusNoContent, http.StatusOK:
		return nil
	}
	if oe := oauthProblem(call, consumer.Key, res.StatusCode, res.Header, res.Body, token, tokenSecret); oe != nil {
		if IsTokenGone(oe) {
			debug(ctx, "access token already gone", map[string]any{"call": call, "consumer_key": consumer.Key, "problem": oe.Problem})
			return nil
		}
		return oe
	}
	return unexpectedStatus(call, res.StatusCode, res.Header, res.Body)
}
