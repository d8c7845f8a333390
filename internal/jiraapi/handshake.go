package jiraapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
)

const (
	// DefaultAccessTokenLifetime is Jira's default access-token lifetime (157680000 s, 5 years),
	// assumed when the access-token answer carries no oauth_expires_in.
	DefaultAccessTokenLifetime = 157680000 * time.Second

	// maxHandshakeAttempts bounds how many times the handshake runs from a new request token
	// (the first run and up to 3 restarts).
	maxHandshakeAttempts = 4
	// orphanRevokeTimeout bounds the revocation of a token issued to a handshake that then
	// failed, when the caller's context is already done.
	orphanRevokeTimeout = 30 * time.Second
	// exchangeGrace is how long an access-token exchange already on its way may still wait for
	// Jira's answer after the caller's context ended (an interrupt, a CLI that died): a token
	// Jira issues in that time is received, and revoked, instead of being left live and
	// unknown. Jira answers the exchange at once, so a short grace covers an answer in flight.
	exchangeGrace = 2 * time.Second
	// maxLifetime caps a lifetime read from Jira so that time arithmetic cannot overflow.
	maxLifetime = 100 * 365 * 24 * time.Hour

	callHandshake    = "OAuth handshake with Jira"
	callRequestToken = "OAuth request token"
	callApproval     = "OAuth approval"
	callAccessToken  = "OAuth access token"
)

// AccessToken is the result of a handshake. Its String and GoString methods redact Token and
// Secret.
type AccessToken struct {
	Token, Secret, SessionHandle string
	// ExpiresAt is when the token stops working: now + oauth_expires_in, or now + 5 years
	// (Jira's default) when Jira did not say. "Now" is when the access-token request was sent.
	ExpiresAt time.Time
	// AuthorizationExpiresAt is now + oauth_authorization_expires_in; zero when Jira did not
	// say.
	AuthorizationExpiresAt time.Time
	// Unconfirmed counts earlier access-token exchanges of this handshake whose outcome is
	// unknown (the answer was lost, garbled or a server error): for each, Jira may have issued
	// a token this client never received. See UnconfirmedAdvice.
	Unconfirmed int
	// UnconfirmedAt is when the first unconfirmed exchange was sent (zero when none).
	UnconfirmedAt time.Time
}

// String describes the token without its secrets.
func (t AccessToken) String() string {
	return fmt.Sprintf("AccessToken{Token:%s, Secret:%s, SessionHandle:%s, ExpiresAt:%s, AuthorizationExpiresAt:%s}",
		redact.Field(t.Token), redact.Field(t.Secret), redact.Field(t.SessionHandle),
		t.ExpiresAt.Format(time.RFC3339), t.AuthorizationExpiresAt.Format(time.RFC3339))
}

// GoString is String, so %#v redacts too.
func (t AccessToken) GoString() string { return t.String() }

// restartError asks Handshake to start again from a new request token (after at least `after`).
type restartError struct {
	err   error
	after time.Duration
	// unconfirmed marks an access-token exchange that may have made Jira issue a token.
	unconfirmed bool
}

// unconfirmedError is a final failure of an access-token exchange whose request may have
// reached Jira (the context ended while waiting for the answer): Jira may have issued a token.
type unconfirmedError struct{ err error }

func (e *unconfirmedError) Error() string { return e.err.Error() }
func (e *unconfirmedError) Unwrap() error { return e.err }

func (e *restartError) Error() string { return e.err.Error() }
func (e *restartError) Unwrap() error { return e.err }

// Handshake runs the OAuth 1.0a three-legged handshake (docs/guides/http-calls.md, "The
// three-legged handshake") for consumer and returns the access token: a request token (with
// oauth_callback callbackURL), its approval by approver over HTTP Basic (the verifier is read
// from the 302 Location; the redirect is never followed), and the exchange of request token and
// verifier for an access token.
//
// Retries are httpx's. The request-token call is retried on transient failures, each time freshly
// signed. The approval is retried only when Jira certainly did not act on it (429, 503,
// connection refused); after an ambiguous failure, or a request token that expired or was
// consumed by an earlier attempt, the handshake restarts from a new request token
// (httpx.Client.Repeat). A verifier is never sent twice: any transient failure of the
// access-token call restarts the handshake. At most 4 runs are made, all bounded by ctx.
//
// If the handshake fails after Jira issued the access token (ctx done, invalid expiry fields),
// the token is revoked before the error is returned, so no token is left orphaned.
//
// One case cannot be repaired: an access-token exchange whose answer is lost (connection reset
// or timeout after sending, a truncated or garbled 200, a 500/502/504). Jira may have issued a
// token the client never saw, and RFC 5849 has no call to find or revoke a token one does not
// hold. The handshake then starts again; the returned token counts such exchanges in
// Unconfirmed, and a failed handshake says so in its error (UnconfirmedAdvice), so the user can
// revoke that token in Jira.
func (c *Client) Handshake(ctx context.Context, consumer OAuthConsumer, approver BasicAuth, callbackURL string) (*AccessToken, error) {
	const call = callHandshake
	if err := consumer.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", call, err)
	}
	if err := approver.validate("approving user"); err != nil {
		return nil, fmt.Errorf("%s: %w", call, err)
	}
	if u, err := url.Parse(callbackURL); err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: the OAuth callback URL must be an absolute URL without fragment", call)
	}
	var (
		tok  *AccessToken
		lost lostExchanges
	)
	err := c.hc.Repeat(ctx, call, maxHandshakeAttempts, func(ctx context.Context, run int) error {
		started := time.Now()
		var err error
		tok, err = c.handshakeOnce(ctx, consumer, approver, callbackURL)
		var ue *unconfirmedError
		var re *restartError
		switch {
		case err == nil:
			debug(ctx, "OAuth handshake complete", map[string]any{"consumer_key": consumer.Key, "attempt": run, "unconfirmed_exchanges": lost.n})
			return nil
		case errors.As(err, &ue):
			lost.add(started)
			return httpx.Permanent(err)
		case !errors.As(err, &re):
			return httpx.Permanent(err)
		}
		if re.unconfirmed {
			lost.add(started)
		}
		debug(ctx, "restarting the OAuth handshake from a new request token", map[string]any{
			"consumer_key": consumer.Key, "attempt": run, "reason": re.err.Error(),
		})
		return httpx.Transient(re.err, re.after)
	})
	if err != nil {
		return nil, c.handshakeFailed(err, consumer, approver, lost)
	}
	tok.Unconfirmed, tok.UnconfirmedAt = lost.n, lost.first
	return tok, nil
}

// lostExchanges counts the access-token exchanges of a handshake whose outcome is unknown.
type lostExchanges struct {
	n     int
	first time.Time // when the first was sent
}

func (l *lostExchanges) add(sent time.Time) {
	if l.n == 0 {
		l.first = sent
	}
	l.n++
}

// handshakeFailed words the failure of a handshake: runs used up or a Retry-After beyond
// request_timeout in the handshake's terms, then the advice about lost exchanges, if any.
func (c *Client) handshakeFailed(err error, consumer OAuthConsumer, approver BasicAuth, lost lostExchanges) error {
	const call = callHandshake
	var (
		exhausted *httpx.RetriesExhaustedError
		tooLong   *httpx.RetryAfterTooLongError
	)
	switch {
	case errors.As(err, &exhausted):
		err = fmt.Errorf("%s for consumer %q did not complete after %d attempts, each from a new request token: %w", call, consumer.Key, exhausted.Attempts, exhausted.Err)
	case errors.As(err, &tooLong):
		err = fmt.Errorf("%s for consumer %q: Jira asked to retry after %s, longer than request_timeout (%s): %w", call, consumer.Key, tooLong.After, tooLong.Limit, tooLong.Err)
	}
	if lost.n > 0 {
		err = fmt.Errorf("%w\n\n%s", err, c.UnconfirmedAdvice(lost.n, lost.first, consumer.Key, approver.Username))
	}
	return err
}

// UnconfirmedAdvice tells the user that n access-token exchanges for consumer, approved by
// approver, the first sent at `at`, failed after their request may have reached Jira, and where
// to revoke a token Jira may have issued. [assumed]: the page is the one docs/guides/http-calls.md
// names ("Revoke").
func (c *Client) UnconfirmedAdvice(n int, at time.Time, consumer, approver string) string {
	exchanges := "An OAuth access-token exchange"
	if n > 1 {
		exchanges = fmt.Sprintf("%d OAuth access-token exchanges", n)
	}
	return fmt.Sprintf("%s with Jira failed after the request may have reached Jira (the answer was lost, garbled or a server error), "+
		"so Jira may have issued an access token that this provider never received. OAuth 1.0a has no call to find or revoke a token "+
		"one does not hold, so the provider cannot take it back: revoke it in Jira as user %q (profile > Tools > View OAuth Access Tokens, "+
		"%s): the token of consumer %q issued at about %s. Deleting the consumer's application link revokes it too.",
		exchanges, approver, c.url(pathAccessTokens), consumer, at.UTC().Format(time.RFC3339))
}

// RevokeAdvice says where to revoke by hand an access token of consumer, approved by user and
// issued at issuedAt (RFC 3339), that the provider could not revoke. [assumed]: the page is the
// one the revoke call is modelled on.
func (c *Client) RevokeAdvice(consumer, user, issuedAt string) string {
	return fmt.Sprintf("revoke it in Jira as user %q (profile > Tools > View OAuth Access Tokens, %s): the token of consumer %q issued at %s. "+
		"Deleting the consumer's application link revokes it too.", user, c.url(pathAccessTokens), consumer, issuedAt)
}

// handshakeOnce runs the three steps once. A *restartError asks for a new run.
func (c *Client) handshakeOnce(ctx context.Context, consumer OAuthConsumer, approver BasicAuth, callbackURL string) (*AccessToken, error) {
	reqToken, reqSecret, err := c.requestToken(ctx, consumer, callbackURL)
	if err != nil {
		return nil, err
	}
	verifier, err := c.approve(ctx, consumer, approver, reqToken)
	if err != nil {
		return nil, err
	}
	return c.accessToken(ctx, consumer, reqToken, reqSecret, verifier)
}

// requestToken obtains a request token (step 1). Unused request tokens are harmless, so httpx
// retries the call like an idempotent one: after every transient failure, after a nonce_used
// answer and after an answer that lacks the token (garbled on the way), each attempt freshly
// signed by the library.
func (c *Client) requestToken(ctx context.Context, consumer OAuthConsumer, callbackURL string) (token, secret string, err error) {
	const call = callRequestToken
	var vals url.Values
	res, err := c.hc.Do(ctx, httpx.Request{
		Method: http.MethodPost, URL: c.url(pathRequestToken), Idempotent: true, Describe: call,
		Transport: c.tokenCall(consumer, callbackURL, func(cfg *oauth1.Config) { _, _, _ = cfg.RequestToken() }),
		Refused:   nonceUsed,
		Decode: func(res *httpx.Response) error {
			if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated ||
				!c.fromJira(endpointOAuth, http.MethodPost, pathRequestToken, res) {
				return nil // not a garbled answer: reported below
			}
			// The library parses the body as it is; so does this, to tell a garbled answer.
			vals, _ = url.ParseQuery(string(res.Body))
			if vals.Get(paramToken) == "" || vals.Get(paramTokenSecret) == "" {
				return fmt.Errorf("%s: Jira's answer (HTTP %d) lacks oauth_token or oauth_token_secret", call, res.StatusCode)
			}
			return nil
		},
	})
	if err != nil {
		return "", "", transportError(ctx, call, err)
	}
	debug(ctx, "request token answered", map[string]any{"consumer_key": consumer.Key, "status": res.StatusCode, "attempts": res.Attempts})
	if nj := c.classifyPeer(endpointOAuth, http.MethodPost, pathRequestToken, res.StatusCode, res.Header, res.Body); nj != nil {
		return "", "", nj
	}
	if oe := oauthProblem(call, consumer.Key, res.StatusCode, res.Header, res.Body, redact.FromContext(ctx)); oe != nil {
		return "", "", oe
	}
	switch res.StatusCode {
	case http.StatusOK, http.StatusCreated:
		if vals.Get("oauth_callback_confirmed") != "true" {
			return "", "", fmt.Errorf("%s: Jira did not confirm the callback URL (oauth_callback_confirmed is not true)", call)
		}
		return vals.Get(paramToken), vals.Get(paramTokenSecret), nil
	}
	return "", "", unexpectedStatus(call, res.StatusCode, res.Header, res.Body)
}

// approve has the approving user allow the request token (step 2) and returns the verifier.
func (c *Client) approve(ctx context.Context, consumer OAuthConsumer, approver BasicAuth, reqToken string) (string, error) {
	const call = callApproval
	s := redact.FromContext(ctx).With(reqToken)
	h := http.Header{}
	h.Set("Authorization", approver.header())
	h.Set(headerXSRF, xsrfNoCheck)
	h.Set("Content-Type", contentTypeForm)
	res, err := c.hc.Do(ctx, httpx.Request{
		Method: http.MethodPost, URL: c.url(pathAuthorize), Header: h, Body: approvalForm(reqToken),
		// Approving is not idempotent (a request token is approved once): httpx retries only
		// what Jira certainly did not act on and reports anything else as ambiguous.
		Idempotent: false, Describe: call,
	})
	if err != nil {
		if ctx.Err() != nil || tlsTrustError(call, err) != nil {
			return "", transportError(ctx, call, err)
		}
		var amb *httpx.AmbiguousError
		if errors.As(err, &amb) {
			return "", &restartError{err: err}
		}
		return "", err
	}
	debug(ctx, "approval answered", map[string]any{"consumer_key": consumer.Key, "status": res.StatusCode, "attempts": res.Attempts})
	if ctx.Err() != nil && res.StatusCode != http.StatusFound {
		// An answer racing the cancellation: the handshake is abandoned either way.
		return "", ctxError(ctx, call)
	}
	if nj := c.classifyPeer(endpointApproval, http.MethodPost, pathAuthorize, res.StatusCode, res.Header, res.Body); nj != nil {
		return "", nj
	}
	return approvalAnswer(consumer, approver, reqToken, res, s)
}

// approvalAnswer reads Jira's answer to the approval: the verifier from a 302 Found, else what
// went wrong and whether starting the handshake again can help.
func approvalAnswer(consumer OAuthConsumer, approver BasicAuth, reqToken string, res *httpx.Response, s *redact.Set) (string, error) {
	const call = callApproval
	switch {
	case res.StatusCode == http.StatusFound:
		// Only a 302 Found carries the verifier: another redirect is not Jira approving.
		return verifierFromRedirect(consumer, approver, reqToken, res, s)
	case res.StatusCode >= 300 && res.StatusCode < 400:
		return "", &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf(
			"Jira answered the approval with HTTP %d %s%s instead of the 302 Found that carries the verifier, so the approval is not taken as given: "+
				"check that jira_url is Jira's own address (a proxy or load balancer in front of it may redirect)",
			res.StatusCode, http.StatusText(res.StatusCode), locationOrigin(res.Header.Get("Location")))}
	case res.StatusCode == http.StatusUnauthorized:
		oe := oauthProblem(call, consumer.Key, res.StatusCode, res.Header, res.Body, s)
		switch oe.Problem {
		case "":
			return "", &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf(
				"Jira rejected the approving user's credentials (approver %q): check jira_username/jira_password (JIRA_USERNAME/JIRA_PASSWORD) or approver_username/approver_password_wo", approver.Username)}
		case ProblemTokenExpired:
			// The request token expired before it was approved: start again.
			return "", &restartError{err: oe}
		case ProblemTokenRejected:
			if res.Attempts > 1 {
				// An earlier attempt (answered 429/503, perhaps by a proxy) may have used it.
				return "", &restartError{err: oe}
			}
		}
		return "", oe
	case res.StatusCode == http.StatusForbidden:
		if oe := oauthProblem(call, consumer.Key, res.StatusCode, res.Header, res.Body, s); oe != nil {
			oe.approver = approver.Username
			return "", oe
		}
		return "", &HTTPError{Call: call, StatusCode: res.StatusCode, Message: joinMsg(fmt.Sprintf(
			"Jira refused the approval by %q: its XSRF check failed (a proxy may strip the X-Atlassian-Token: no-check header) or the user may not approve OAuth access (check that the account is active, has the Jira login permission and is not locked behind a CAPTCHA)", approver.Username),
			jiraMessage(res.Header, res.Body))}
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusServiceUnavailable:
		// httpx already retried these; Jira did not act.
		return "", unexpectedStatus(call, res.StatusCode, res.Header, res.Body)
	case res.StatusCode >= 500:
		// Jira may or may not have approved: start again from a new request token.
		return "", &restartError{err: unexpectedStatus(call, res.StatusCode, res.Header, res.Body)}
	case res.StatusCode == http.StatusOK:
		return "", &HTTPError{Call: call, StatusCode: res.StatusCode, Message: "Jira answered the approval with a page instead of a redirect to the callback: the approval form was not accepted (is the approval page behind single sign-on, or does it need a browser session?)"}
	}
	return "", unexpectedStatus(call, res.StatusCode, res.Header, res.Body)
}

// locationOrigin describes where a redirect points, by its origin only (the rest of a Location
// may carry the request token): " to https://host", " to a page of the same server", or ""
// when there is no Location.
func locationOrigin(loc string) string {
	if strings.TrimSpace(loc) == "" {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(loc))
	switch {
	case err != nil:
		return " (with a Location that is not a URL)"
	case u.Host == "":
		return " to a page of the same server"
	}
	return " to " + redact.Printable(truncate(strings.ToLower(u.Scheme)+"://"+u.Host, 200), maxAdviceRunes)
}

// verifierFromRedirect reads oauth_verifier (or oauth_problem) from the approval redirect's
// Location. No part of the Location (it carries the request token and verifier) reaches an error.
func verifierFromRedirect(consumer OAuthConsumer, approver BasicAuth, reqToken string, res *httpx.Response, s *redact.Set) (string, error) {
	const call = callApproval
	loc := res.Header.Get("Location")
	if loc == "" {
		return "", &HTTPError{Call: call, StatusCode: res.StatusCode, Message: "Jira redirected the approval without a Location header"}
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", &HTTPError{Call: call, StatusCode: res.StatusCode, Message: "the Location of Jira's approval redirect is not a valid URL"}
	}
	q := u.Query()
	if p := sanitizeProblem(q.Get(paramProblem)); p != "" {
		oe := &OAuthError{Call: call, StatusCode: res.StatusCode, Problem: p, Consumer: consumer.Key,
			Advice: s.Clean(q.Get(paramProblemAdvice), maxAdviceRunes)}
		if p == ProblemPermissionDenied {
			oe.approver = approver.Username
		}
		return "", oe
	}
	if t := q.Get(paramToken); t != "" && t != reqToken {
		return "", &HTTPError{Call: call, StatusCode: res.StatusCode, Message: "Jira's approval redirect names another request token than the one approved"}
	}
	v := q.Get(paramVerifier)
	if v == "" {
		return "", &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf(
			"Jira's approval redirect (to path %q) carries no oauth_verifier: Jira may have redirected to its login page (check that approver %q can log in with HTTP Basic authentication)", u.EscapedPath(), approver.Username)}
	}
	return v, nil
}

// accessToken exchanges the approved request token for an access token (step 3). It sends the
// verifier exactly once: every transient failure asks for a restart. Once sent, the exchange
// waits up to exchangeGrace for its answer after ctx ends, so that a token Jira issued can be
// revoked.
func (c *Client) accessToken(ctx context.Context, consumer OAuthConsumer, reqToken, reqSecret, verifier string) (*AccessToken, error) {
	const call = callAccessToken
	if ctx.Err() != nil {
		// Given up before the verifier was sent: nothing was issued.
		return nil, ctxError(ctx, call)
	}
	xctx, release := graceContext(ctx, exchangeGrace)
	defer release()
	cfg, rec := c.recordedConfig(xctx, consumer)
	sent := time.Now()
	at, as, err := cfg.AccessToken(reqToken, reqSecret, verifier)
	res := rec.response()
	if res != nil {
		debug(ctx, "access token answered", map[string]any{"consumer_key": consumer.Key, "status": res.StatusCode})
	}
	if err != nil {
		return nil, c.accessTokenFailure(ctx, consumer, res, err, reqToken, reqSecret, verifier)
	}
	tok := &AccessToken{Token: at, Secret: as}
	if ctx.Err() != nil {
		return nil, c.revokeOrphan(ctx, consumer, tok, ctxError(ctx, call))
	}
	if res == nil { // cannot happen: the library succeeded, so a response went through rec
		return nil, c.revokeOrphan(ctx, consumer, tok, fmt.Errorf("%s: the answer was not recorded", call))
	}
	if err := readAccessToken(ctx, consumer, res, sent, tok); err != nil {
		return nil, c.revokeOrphan(ctx, consumer, tok, err)
	}
	return tok, nil
}

// accessTokenFailure tells what a failed access-token exchange means: whether Jira may have
// issued a token (unconfirmedError, or a restartError that counts it) and whether starting the
// handshake again can help. res is Jira's answer, nil when none came back.
func (c *Client) accessTokenFailure(ctx context.Context, consumer OAuthConsumer, res *recordedResponse, err error, reqToken, reqSecret, verifier string) error {
	const call = callAccessToken
	if res == nil {
		if tlsTrustError(call, err) != nil {
			return transportError(ctx, call, err) // nothing was sent
		}
		if ctx.Err() != nil {
			// The request may have reached Jira, which may issue the token anyway.
			return &unconfirmedError{err: transportError(ctx, call, err)}
		}
		// Jira may have issued a token we never saw; nothing can revoke it. Start again,
		// and count the exchange so that the user is told.
		return &restartError{err: fmt.Errorf("%s: %w", call, err), unconfirmed: true}
	}
	if nj := c.classifyPeer(endpointOAuth, http.MethodPost, pathAccessToken, res.StatusCode, res.Header, res.Body); nj != nil {
		return nj
	}
	if oe := oauthProblem(call, consumer.Key, res.StatusCode, res.Header, res.Body, redact.FromContext(ctx).With(reqToken, reqSecret, verifier)); oe != nil {
		switch oe.Problem {
		case ProblemNonceUsed, ProblemTokenExpired:
			return &restartError{err: oe}
		}
		return oe
	}
	switch {
	case httpx.RetryableStatus(res.StatusCode):
		// 429 and 503 say Jira did not act; any other 5xx (often from a proxy) may hide an
		// issued token.
		notActed := res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusServiceUnavailable
		return &restartError{err: unexpectedStatus(call, res.StatusCode, res.Header, res.Body),
			after: httpx.RetryAfter(res.Header, time.Now()), unconfirmed: !notActed}
	case res.StatusCode == http.StatusOK || res.StatusCode == http.StatusCreated:
		// Jira answered success, so it issued a token, but the answer is unreadable (garbled
		// or cut short on the way): start again, and count the lost token.
		return &restartError{err: fmt.Errorf("%s: Jira's answer (HTTP %d) lacks oauth_token or oauth_token_secret", call, res.StatusCode), unconfirmed: true}
	}
	return unexpectedStatus(call, res.StatusCode, res.Header, res.Body)
}

// readAccessToken completes tok from Jira's answer: the token and secret as the trimmed body
// gives them, the session handle and the lifetimes (counted from sent, when the request left).
func readAccessToken(ctx context.Context, consumer OAuthConsumer, res *recordedResponse, sent time.Time, tok *AccessToken) error {
	// The library parses the body as it is, so a peer that ends its answer with a newline would
	// leave that newline in the last value (the token secret when the optional fields are
	// absent). Parse the trimmed body, as the library does for the request token, and take the
	// token and its secret from there.
	vals, _ := url.ParseQuery(strings.TrimSpace(string(res.Body)))
	if t, s := vals.Get(paramToken), vals.Get(paramTokenSecret); t != "" && s != "" {
		tok.Token, tok.Secret = t, s
	}
	tok.SessionHandle = vals.Get(paramSessionHandle)
	d, ok, err := lifetime(vals, paramExpiresIn)
	if err != nil {
		return fmt.Errorf("%s: %w", callAccessToken, err)
	}
	if !ok {
		d = DefaultAccessTokenLifetime
	}
	tok.ExpiresAt = sent.Add(d).UTC()
	// The session's lifetime is informational (nothing renews a session): a value that does not
	// parse leaves it unknown instead of failing a handshake that succeeded.
	if d, ok, err = lifetime(vals, paramAuthorizationExpireIn); err != nil {
		debug(ctx, "ignored an unreadable "+paramAuthorizationExpireIn, map[string]any{"consumer_key": consumer.Key})
	} else if ok {
		tok.AuthorizationExpiresAt = sent.Add(d).UTC()
	}
	return nil
}

// graceContext returns a context that ends grace after ctx does (or when release is called), for
// a call whose answer matters even when the caller has given up. The request's own timeout
// (request_timeout) still bounds it.
func graceContext(ctx context.Context, grace time.Duration) (_ context.Context, release func()) {
	gctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var timer *time.Timer
	var mu sync.Mutex
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		timer = time.AfterFunc(grace, cancel)
	})
	return gctx, func() {
		stop()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// lifetime parses an optional lifetime in seconds; ok is false when the field is absent.
func lifetime(vals url.Values, name string) (d time.Duration, ok bool, err error) {
	raw := vals.Get(name)
	if raw == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 {
		return 0, false, fmt.Errorf("invalid %s (%q) from Jira: expected a positive number of seconds", name, redact.Printable(truncate(raw, 32), maxAdviceRunes))
	}
	if n >= int64(maxLifetime/time.Second) {
		return maxLifetime, true, nil
	}
	return time.Duration(n) * time.Second, true, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// revokeOrphan revokes an access token that a failed handshake received, so that it is not left
// usable without anyone knowing it, and returns cause annotated with the outcome. When ctx is
// already done, a fresh context bounded by orphanRevokeTimeout is used.
func (c *Client) revokeOrphan(ctx context.Context, consumer OAuthConsumer, tok *AccessToken, cause error) error {
	rctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), orphanRevokeTimeout)
		defer cancel()
	}
	if err := c.Revoke(rctx, consumer, tok.Token, tok.Secret); err != nil {
		debug(ctx, "could not revoke the access token of a failed handshake", map[string]any{"consumer_key": consumer.Key})
		return fmt.Errorf("%w; revoking the access token Jira had already issued failed too (%w): revoke it in Jira under the approving user's profile, OAuth access tokens", cause, err)
	}
	debug(ctx, "revoked the access token of a failed handshake", map[string]any{"consumer_key": consumer.Key})
	return fmt.Errorf("%w (the access token Jira had already issued was revoked)", cause)
}
