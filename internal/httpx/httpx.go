// Package httpx is the one HTTP layer shared by the Jira Align and Jira clients: TLS settings,
// per-attempt timeouts, and retries with exponential backoff and jitter that honour Retry-After.
//
// It never logs a header or a body, so no credential can leak through it.
package httpx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Defaults for Settings fields left at their zero value.
const (
	DefaultRequestTimeout = 60 * time.Second
	DefaultMaxRetries     = 5
	DefaultMinBackoff     = 250 * time.Millisecond
	DefaultMaxBackoff     = 20 * time.Second
	// maxResponseBytes bounds an answer's body: the largest the APIs send (a page of 100
	// connectors, the list of a Jira's application links) is well below 1 MiB.
	maxResponseBytes = 4 << 20
	// maxHeaderBytes bounds an answer's headers.
	maxHeaderBytes = 1 << 20
)

// Settings configures a Client.
type Settings struct {
	// RequestTimeout bounds each attempt (connect, send, read the whole response).
	// A Retry-After longer than this ends the retries.
	RequestTimeout time.Duration
	// MaxRetries is how many times a failed attempt is tried again (0 disables retries;
	// a negative value means the default).
	MaxRetries int
	// CACertPEM holds extra PEM trust roots, added to the system pool.
	CACertPEM string
	// UserAgent is sent on every request.
	UserAgent string
	// MinBackoff and MaxBackoff bound the exponential backoff between attempts.
	MinBackoff, MaxBackoff time.Duration
}

func (s Settings) withDefaults() Settings {
	if s.RequestTimeout <= 0 {
		s.RequestTimeout = DefaultRequestTimeout
	}
	if s.MaxRetries < 0 {
		s.MaxRetries = DefaultMaxRetries
	}
	if s.MinBackoff <= 0 {
		s.MinBackoff = DefaultMinBackoff
	}
	if s.MaxBackoff <= 0 {
		s.MaxBackoff = DefaultMaxBackoff
	}
	if s.MaxBackoff < s.MinBackoff {
		s.MaxBackoff = s.MinBackoff
	}
	return s
}

// Client sends requests with retries. It is safe for concurrent use and keeps connections alive.
type Client struct {
	settings  Settings
	transport *http.Transport
	http      *http.Client
}

// New builds a Client. It fails when CACertPEM holds no usable certificate.
func New(s Settings) (*Client, error) {
	s = s.withDefaults()
	tlsConfig, err := TLSConfig(s.CACertPEM)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsConfig,
		TLSHandshakeTimeout:    15 * time.Second,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    64,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		ForceAttemptHTTP2:      true,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	c := &Client{settings: s, transport: tr}
	c.http = c.HTTPClient(tr)
	return c, nil
}

// TLSConfig returns the TLS settings every client uses: TLS 1.2 at least, the system roots plus
// the given PEM roots.
func TLSConfig(caCertPEM string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if strings.TrimSpace(caCertPEM) == "" {
		return cfg, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM([]byte(caCertPEM)) {
		return nil, errors.New("ca_cert_pem holds no PEM-encoded certificate")
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// Settings returns the effective settings, defaults applied.
func (c *Client) Settings() Settings { return c.settings }

// Transport returns the shared keep-alive transport, for wrapping (for example by an OAuth signer).
func (c *Client) Transport() http.RoundTripper { return c.transport }

// HTTPClient returns an *http.Client over rt with this client's timeout, which never follows
// redirects (the OAuth approval step reads its verifier from a 302).
func (c *Client) HTTPClient(rt http.RoundTripper) *http.Client {
	return &http.Client{
		Transport:     rt,
		Timeout:       c.settings.RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// CloseIdleConnections releases pooled connections.
func (c *Client) CloseIdleConnections() { c.transport.CloseIdleConnections() }

// Request describes one logical call; Do builds a fresh *http.Request for every attempt.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Idempotent requests are retried after any transient failure. Others are retried only when
	// the server certainly did not act on them (refused connection, 429, 503); after an
	// ambiguous failure Do returns an *AmbiguousError so the caller can check before retrying.
	Idempotent bool
	// Transport, when set, replaces the shared transport for this call (an OAuth signing
	// transport that re-signs, with a fresh nonce, on every attempt).
	Transport http.RoundTripper
	// Describe names the call in logs and errors, e.g. "GET connector"; default METHOD URL path.
	Describe string
}

// Response is a response whose body has been read in full.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	Attempts   int
}

// AmbiguousError reports a non-idempotent request that failed after it may have reached the server.
type AmbiguousError struct {
	Call string
	Err  error
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%s: the outcome is unknown (the request was sent, but no answer came back): %v", e.Call, e.Err)
}

func (e *AmbiguousError) Unwrap() error { return e.Err }

// Do sends the request, retrying transient failures within the configured bounds. Any HTTP
// status is returned as a Response (after retries for 429 and 5xx ran out); only failures to get
// a response at all are errors.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	call := r.Describe
	if call == "" {
		call = r.Method + " " + pathOf(r.URL)
	}
	hc := c.http
	if r.Transport != nil {
		hc = c.HTTPClient(r.Transport)
	}
	var resp *Response
	err := c.Retry(ctx, call, func(ctx context.Context, attempt int) error {
		res, err := c.once(ctx, hc, r)
		var final *permanentError
		if errors.As(err, &final) {
			err = Permanent(fmt.Errorf("%s: %w", call, final.err))
		}
		if err != nil {
			if IsTLSError(err) {
				// A certificate or protocol problem does not go away by retrying, and nothing
				// was sent.
				return Permanent(&TLSError{Call: call, Err: err})
			}
			if !r.Idempotent && !notSent(err) {
				// Sent, and no answer: also when the caller's context ended (a timeout, an
				// interrupt), since the server may still act on it.
				return Permanent(&AmbiguousError{Call: call, Err: err})
			}
			if ctx.Err() != nil {
				return Permanent(err)
			}
			return Transient(err, 0)
		}
		res.Attempts = attempt
		resp = res
		if retryableStatus(res.StatusCode) {
			if !r.Idempotent && res.StatusCode != http.StatusTooManyRequests && res.StatusCode != http.StatusServiceUnavailable {
				return nil
			}
			return Transient(&StatusError{Call: call, StatusCode: res.StatusCode}, RetryAfter(res.Header, time.Now()))
		}
		return nil
	})
	var se *StatusError
	if errors.As(err, &se) && resp != nil && resp.StatusCode == se.StatusCode {
		// Retries ran out on an HTTP status: hand the last response to the caller, who knows
		// how to describe it.
		var bound *RetryAfterTooLongError
		if !errors.As(err, &bound) {
			return resp, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (c *Client) once(ctx context.Context, hc *http.Client, r Request) (*Response, error) {
	actx, cancel := context.WithTimeout(ctx, c.settings.RequestTimeout)
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = strings.NewReader(string(r.Body))
	}
	trace := &sendTrace{}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(actx, trace.clientTrace()), r.Method, r.URL, body)
	if err != nil {
		return nil, Permanent(err)
	}
	for k, v := range r.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	if c.settings.UserAgent != "" {
		req.Header.Set("User-Agent", c.settings.UserAgent)
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, trace.annotate(err)
	}
	defer func() { _ = res.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response body: %w", err)
	}
	if len(data) > maxResponseBytes {
		return nil, Permanent(fmt.Errorf("the answer's body is larger than %d MiB, more than any answer of this API: it is refused", maxResponseBytes>>20))
	}
	return &Response{StatusCode: res.StatusCode, Header: res.Header, Body: data}, nil
}

// sendTrace records, for one attempt, whether the request may have left this machine and how
// the TLS handshake ended, so that a failure can be classified by what happened rather than by
// the wording of the error.
type sendTrace struct {
	mu           sync.Mutex
	written      bool // headers (or more) were written to a connection
	handshakeErr error
}

func (t *sendTrace) clientTrace() *httptrace.ClientTrace {
	mark := func() {
		t.mu.Lock()
		t.written = true
		t.mu.Unlock()
	}
	return &httptrace.ClientTrace{
		WroteHeaders: mark,
		WroteRequest: func(httptrace.WroteRequestInfo) { mark() },
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err != nil {
				t.mu.Lock()
				t.handshakeErr = err
				t.mu.Unlock()
			}
		},
	}
}

// annotate marks err when no byte of the request was written: a *notSentError, holding the
// failed TLS handshake's error when that is why.
func (t *sendTrace) annotate(err error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.written {
		return err
	}
	return &notSentError{err: err, handshake: t.handshakeErr}
}

// notSentError is a failure before any byte of the request was written: the server cannot have
// acted on it.
type notSentError struct {
	err       error
	handshake error // the TLS handshake's failure, if that is what ended the attempt
}

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// StatusError is a transient HTTP status that was retried.
type StatusError struct {
	Call       string
	StatusCode int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d %s", e.Call, e.StatusCode, http.StatusText(e.StatusCode))
}

// RetryAfterTooLongError reports a Retry-After beyond the provider's request_timeout.
type RetryAfterTooLongError struct {
	Call  string
	After time.Duration
	Limit time.Duration
	Err   error
}

func (e *RetryAfterTooLongError) Error() string {
	return fmt.Sprintf("%s: the server asked to retry after %s, longer than request_timeout (%s); try again later or raise request_timeout", e.Call, e.After, e.Limit)
}

func (e *RetryAfterTooLongError) Unwrap() error { return e.Err }

// RetriesExhaustedError wraps the last transient failure once max_retries ran out.
type RetriesExhaustedError struct {
	Call     string
	Attempts int
	Err      error
}

func (e *RetriesExhaustedError) Error() string {
	return fmt.Sprintf("%s failed after %d attempts (raise max_retries or request_timeout if the peer is slow or rate-limited): %v", e.Call, e.Attempts, e.Err)
}

func (e *RetriesExhaustedError) Unwrap() error { return e.Err }

type transientError struct {
	err   error
	after time.Duration
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Transient marks err as worth another attempt, after at least `after` (0: backoff decides).
func Transient(err error, after time.Duration) error { return &transientError{err: err, after: after} }

// Permanent marks err as final: Retry returns it at once.
func Permanent(err error) error { return &permanentError{err: err} }

// Retry runs op until it succeeds, returns a non-transient error, or the retry budget runs out.
// op returns nil, Transient(err, after) or any other error (final). Errors returned are
// unwrapped from the Transient/Permanent markers.
func (c *Client) Retry(ctx context.Context, call string, op func(ctx context.Context, attempt int) error) error {
	s := c.settings
	for attempt := 1; ; attempt++ {
		err := op(ctx, attempt)
		if err == nil {
			return nil
		}
		var p *permanentError
		if errors.As(err, &p) {
			return p.err
		}
		var t *transientError
		if !errors.As(err, &t) {
			if isTransientNetErr(err) && ctx.Err() == nil {
				t = &transientError{err: err}
			} else {
				return err
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w (last error: %s)", call, ctx.Err(), t.err.Error())
		}
		if attempt > s.MaxRetries {
			return &RetriesExhaustedError{Call: call, Attempts: attempt, Err: t.err}
		}
		if t.after > s.RequestTimeout {
			return &RetryAfterTooLongError{Call: call, After: t.after, Limit: s.RequestTimeout, Err: t.err}
		}
		wait := Backoff(attempt, s.MinBackoff, s.MaxBackoff)
		if t.after > wait {
			wait = t.after
		}
		tflog.Debug(ctx, "retrying after a transient failure", map[string]any{
			"call": call, "attempt": attempt, "wait": wait.String(), "error": t.err.Error(),
		})
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%s: %w (last error: %s)", call, ctx.Err(), t.err.Error())
		case <-timer.C:
		}
	}
}

// Backoff is the wait before retry number `attempt` (1-based): exponential with full jitter over
// the upper half, so waits never collapse to zero.
func Backoff(attempt int, minWait, maxWait time.Duration) time.Duration {
	d := minWait
	for i := 1; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	if d > maxWait {
		d = maxWait
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1)) //nolint:gosec // jitter needs no cryptographic randomness
}

// RetryAfter parses a Retry-After header (seconds or an HTTP date); 0 when absent or invalid.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500 && code <= 599 && code != http.StatusNotImplemented
}

// notSent reports errors that prove the request never reached the server.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var ns *notSentError
	return errors.As(err, &ns) || errors.Is(err, syscall.ECONNREFUSED) || IsTLSError(err)
}

// TLSError is a failed TLS handshake: an untrusted or mismatched certificate, or a protocol
// version below TLS 1.2. Nothing was sent, and retrying cannot help.
type TLSError struct {
	Call string
	Err  error
}

func (e *TLSError) Error() string {
	return fmt.Sprintf("%s: TLS handshake failed: %v (%s)", e.Call, e.Err, TLSHint(e.Err))
}

// TLSHint says what went wrong in a failed TLS handshake and what to do about it, one message
// per kind of failure: an unknown authority, a certificate outside its validity period, a
// certificate for other names, a protocol version below TLS 1.2, a server that does not speak
// TLS.
func TLSHint(err error) string {
	var (
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
		rh tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &ua):
		issuer := ""
		if ua.Cert != nil {
			issuer = fmt.Sprintf(" (issuer %q)", certName(ua.Cert.Issuer.String()))
		}
		return "the server's certificate is signed by an authority this machine does not trust" + issuer +
			": if the server uses a private CA, give that CA's certificate in the provider's ca_cert_pem"
	case errors.As(err, &ci) && ci.Reason == x509.Expired && ci.Cert == nil:
		return "the server's certificate has expired or is not valid yet: if this machine's clock is right, the server's certificate must be renewed, otherwise correct the clock"
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		now := time.Now().UTC()
		from, until := ci.Cert.NotBefore.UTC().Format(time.RFC3339), ci.Cert.NotAfter.UTC().Format(time.RFC3339)
		if now.Before(ci.Cert.NotBefore) {
			return fmt.Sprintf("the server's certificate is not valid yet: it is valid from %s to %s, and this machine's clock says %s; "+
				"if the clock is right, the server must use a certificate that is valid now, otherwise correct this machine's clock", from, until, now.Format(time.RFC3339))
		}
		return fmt.Sprintf("the server's certificate has expired: it was valid from %s to %s, and this machine's clock says %s; "+
			"if the clock is right, the server's certificate must be renewed, otherwise correct this machine's clock", from, until, now.Format(time.RFC3339))
	case errors.As(err, &ci):
		return "the server's certificate (or one in its chain) may not be used for a TLS server: the server must use a server certificate"
	case errors.As(err, &he):
		return fmt.Sprintf("the server's certificate is for %s, not for %q, the host in the URL: check the URL's host name, "+
			"or have the server use a certificate that names that host", certNames(he.Certificate), certName(he.Host))
	case strings.Contains(err.Error(), "protocol version"):
		return "the server does not offer TLS 1.2 or later, which the provider requires (TLS 1.0 and 1.1 are refused): the server must enable TLS 1.2 or 1.3"
	case errors.As(err, &rh) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the server does not speak TLS at this address: check the URL's scheme (https) and port"
	}
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		return "the server's certificate could not be verified: if the server uses a private CA, give that CA's certificate in the provider's ca_cert_pem"
	}
	return "check that the URL points at an HTTPS server; if it uses a private CA, give its certificate in the provider's ca_cert_pem"
}

// certNames lists the names a certificate holds (DNS names and IP addresses, else its common
// name), for a message.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "other names"
	}
	var names []string
	for _, n := range c.DNSNames {
		names = append(names, certName(n))
	}
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, certName(c.Subject.CommonName)+" (common name only, which is not used for host names)")
	}
	if len(names) == 0 {
		return "no host name at all"
	}
	const most = 8
	if len(names) > most {
		names = append(names[:most], fmt.Sprintf("and %d more", len(names)-most))
	}
	return strings.Join(names, ", ")
}

// certName makes a name taken from a peer's certificate safe to show: printable ASCII, at most
// 100 characters.
func certName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 100 {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (e *TLSError) Unwrap() error { return e.Err }

// IsTLSError reports certificate verification and TLS handshake failures.
func IsTLSError(err error) bool {
	var (
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		rh  tls.RecordHeaderError
		alt tls.AlertError
		ns  *notSentError
		op  *net.OpError
	)
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) ||
		errors.As(err, &rh) || errors.As(err, &alt) ||
		// The handshake failed before anything was written (any cause: a protocol version
		// the server refuses, a local check).
		errors.As(err, &ns) && ns.handshake != nil ||
		// An alert the peer sent, which crypto/tls reports as a "remote error" (over TCP it is
		// not a tls.AlertError), e.g. "tls: protocol version not supported".
		errors.As(err, &op) && op.Op == "remote error"
}

func isTransientNetErr(err error) bool {
	if IsTLSError(err) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

func pathOf(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			rest = rest[j:]
			if k := strings.IndexAny(rest, "?#"); k >= 0 {
				rest = rest[:k]
			}
			return rest
		}
		return "/"
	}
	return raw
}
