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
	"slices"
	"sync"

	"github.com/dghubble/oauth1"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
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
		key = redact.Hidden
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

// tokenTransport makes one token call that dghubble/oauth1 builds, signs and sends itself (the
// request token) one httpx attempt: the request httpx hands it only carries the attempt's context
// (its timeout, and the trace that tells whether anything was sent), under which run makes the
// library's call with a copy of cfg whose HTTPClient records the answer; that answer is httpx's.
// Each attempt is thus signed anew, with a fresh nonce and timestamp.
type tokenTransport struct {
	base      http.RoundTripper
	userAgent string
	cfg       oauth1.Config
	run       func(cfg *oauth1.Config)
}

// RoundTrip implements http.RoundTripper.
func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	rec := &recorder{base: t.base, ctx: req.Context(), userAgent: t.userAgent}
	cfg := t.cfg
	cfg.HTTPClient = &http.Client{
		Transport:     rec,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.run(&cfg)
	res, err := rec.result()
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status: http.StatusText(res.StatusCode), StatusCode: res.StatusCode, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: res.Header, Body: io.NopCloser(bytes.NewReader(res.Body)), ContentLength: int64(len(res.Body)), Request: req,
	}, nil
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

	mu      sync.Mutex
	last    *recordedResponse
	lastErr error // the round trip's failure, when no response came
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
		return nil, r.fail(err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRecordedBody+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, r.fail(fmt.Errorf("reading the response body: %w", err))
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

func (r *recorder) fail(err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastErr = err
	return err
}

// response returns the last recorded response, nil when none arrived.
func (r *recorder) response() *recordedResponse {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// result returns the last recorded response or, when none arrived, the round trip's failure.
func (r *recorder) result() (*recordedResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.last != nil:
		return r.last, nil
	case r.lastErr != nil:
		return nil, r.lastErr
	}
	return nil, errors.New("the OAuth library sent no request")
}

// oauthConfig returns the oauth1.Config of the token calls (request token, access token),
// without its HTTPClient.
func (c *Client) oauthConfig(consumer OAuthConsumer, callbackURL string) oauth1.Config {
	return oauth1.Config{
		ConsumerKey: consumer.Key,
		CallbackURL: callbackURL,
		Endpoint: oauth1.Endpoint{
			RequestTokenURL: c.url(pathRequestToken),
			AuthorizeURL:    c.url(pathAuthorize),
			AccessTokenURL:  c.url(pathAccessToken),
		},
		Signer: &oauth1.RSASigner{PrivateKey: consumer.PrivateKey},
	}
}

// tokenCall returns the transport that makes run, a token call of the library, one httpx
// attempt (see tokenTransport).
func (c *Client) tokenCall(consumer OAuthConsumer, callbackURL string, run func(cfg *oauth1.Config)) http.RoundTripper {
	return &tokenTransport{base: c.hc.Transport(), userAgent: c.hc.Settings().UserAgent, cfg: c.oauthConfig(consumer, callbackURL), run: run}
}

// recordedConfig returns the token calls' oauth1.Config with an HTTPClient that runs under ctx
// and records the answer, for a call made once (the access-token exchange).
func (c *Client) recordedConfig(ctx context.Context, consumer OAuthConsumer) (*oauth1.Config, *recorder) {
	rec := &recorder{base: c.hc.Transport(), ctx: ctx, userAgent: c.hc.Settings().UserAgent}
	cfg := c.oauthConfig(consumer, "")
	cfg.HTTPClient = c.hc.HTTPClient(rec)
	return &cfg, rec
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
// or a bare 401. Jira's advice is sanitized and cleaned of the secrets of s. nil otherwise.
func oauthProblem(call, consumerKey string, status int, h http.Header, body []byte, s *redact.Set) *OAuthError {
	problem, advice := ParseOAuthProblem(h, body)
	switch {
	case problem != "" && (status == http.StatusUnauthorized || status == http.StatusBadRequest || status == http.StatusForbidden):
	case problem == "" && status == http.StatusUnauthorized:
	default:
		return nil
	}
	return &OAuthError{Call: call, StatusCode: status, Problem: problem, Advice: s.Clean(advice, maxAdviceRunes), Consumer: consumerKey}
}

// signedDo sends one OAuth-signed call with an access token through httpx, which signs every
// attempt anew and tries again after a nonce_used answer.
func (c *Client) signedDo(ctx context.Context, consumer OAuthConsumer, token, tokenSecret string, r httpx.Request) (*httpx.Response, error) {
	r.Transport = c.signedTransport(ctx, consumer, token, tokenSecret)
	r.Refused = nonceUsed
	res, err := c.hc.Do(ctx, r)
	if err != nil {
		return nil, transportError(ctx, r.Describe, err)
	}
	debug(ctx, "signed call", map[string]any{"call": r.Describe, "status": res.StatusCode, "consumer_key": consumer.Key, "attempts": res.Attempts})
	return res, nil
}

// nonceUsed reports Jira's refusal of a nonce it has seen: a fresh signature cures it.
func nonceUsed(res *httpx.Response) bool {
	if res.StatusCode != http.StatusUnauthorized {
		return false
	}
	p, _ := ParseOAuthProblem(res.Header, res.Body)
	return p == ProblemNonceUsed
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
	res, err := c.signedDo(ctx, consumer, token, tokenSecret, httpx.Request{
		Method: http.MethodGet, URL: c.url(pathMyself), Header: http.Header{"Accept": {contentTypeJSON}},
		Idempotent: true, Describe: call,
		Decode: func(res *httpx.Response) error {
			if res.StatusCode != http.StatusOK ||
				c.classifyPeer(endpointREST, http.MethodGet, pathMyself, res.StatusCode, res.Header, res.Body) != nil {
				return nil // not a garbled answer: reported below
			}
			user = User{}
			if err := json.Unmarshal(res.Body, &user); err != nil {
				return fmt.Errorf("%s: Jira answered HTTP 200 with a body that is not a user: %w", call, err)
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	if nj := c.classifyPeer(endpointREST, http.MethodGet, pathMyself, res.StatusCode, res.Header, res.Body); nj != nil {
		return nil, nj
	}
	if res.StatusCode == http.StatusOK {
		return &user, nil
	}
	if oe := oauthProblem(call, consumer.Key, res.StatusCode, res.Header, res.Body, redact.FromContext(ctx).With(token, tokenSecret)); oe != nil {
		return nil, oe
	}
	return nil, unexpectedStatus(call, res.StatusCode, res.Header, res.Body)
}

// Revoke revokes an access token, signed with that token (docs/guides/http-calls.md, "Revoke").
// A token Jira reports as already gone (token_rejected, token_expired, or consumer_key_unknown
// once its application link is deleted) is success. Transient failures are retried, each attempt
// signed anew.
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
	if nj := c.classifyPeer(endpointOAuth, http.MethodPost, pathAccessTokens, res.StatusCode, res.Header, res.Body); nj != nil {
		return nj
	}
	if oe := oauthProblem(call, consumer.Key, res.StatusCode, res.Header, res.Body, redact.FromContext(ctx).With(token, tokenSecret)); oe != nil {
		if IsTokenGone(oe) {
			debug(ctx, "access token already gone", map[string]any{"call": call, "consumer_key": consumer.Key, "problem": oe.Problem})
			return nil
		}
		return oe
	}
	return unexpectedStatus(call, res.StatusCode, res.Header, res.Body)
}

// RevokeWithKeys revokes an access token like Revoke, signed with consumer.PrivateKey first and,
// while Jira refuses the signature (signature_invalid), with each of others in turn. Replacing a
// consumer's public key does not invalidate the tokens issued before: they stay live, and only a
// request signed with the key the consumer holds now can revoke them. Keys equal to one already
// tried are skipped. When no key is accepted, the last attempt's error is returned.
func (c *Client) RevokeWithKeys(ctx context.Context, consumer OAuthConsumer, others []*rsa.PrivateKey, token, tokenSecret string) error {
	err := c.Revoke(ctx, consumer, token, tokenSecret)
	tried := []*rsa.PrivateKey{consumer.PrivateKey}
	for _, k := range others {
		if !IsSignatureInvalid(err) {
			return err
		}
		if k == nil || slices.ContainsFunc(tried, func(t *rsa.PrivateKey) bool { return t != nil && t.PublicKey.Equal(&k.PublicKey) }) {
			continue
		}
		tried = append(tried, k)
		debug(ctx, "revoke signature refused; signing with another key of the consumer", map[string]any{"consumer_key": consumer.Key})
		err = c.Revoke(ctx, OAuthConsumer{Key: consumer.Key, PrivateKey: k}, token, tokenSecret)
	}
	return err
}
