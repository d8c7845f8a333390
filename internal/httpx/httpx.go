// Package httpx is the one HTTP layer shared by the Jira Align and Jira clients: TLS settings,
// per-attempt timeouts, and the provider's only retry loop, with exponential backoff and jitter
// that honours Retry-After.
//
// Do owns the retries of a request, including the re-read of a 2xx whose body does not decode
// (Request.Decode) and, for a request that is not idempotent, the resend after a failure that a
// lookup shows did not take effect (Request.Landed). The clients recover from what is left (an
// outcome that stays unknown) in straight-line steps. Repeat runs the same loop over an operation
// that must start over as a whole (the OAuth handshake).
//
// Worst case: one Do call makes at most MaxRetries+1 attempts, each bounded by RequestTimeout,
// and waits before each retry at most the longer of the backoff ceiling (MinBackoff doubled per
// retry, at most MaxBackoff) and a Retry-After (accepted up to RequestTimeout; a longer one ends
// the call). With the defaults (5 retries, 60 s, 250 ms to 20 s) that is 6 × 60 s + 5 × 60 s =
// 11 minutes, or 6 × 60 s + 7.75 s ≈ 6 minutes 8 seconds without Retry-After; see
// Settings.MaxCallTime. A resource's timeouts bound a whole operation below that.
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
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"syscall"
	"time"
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
	// UserAgent is sent on every request, by every *http.Client this package builds (see
	// UserAgent the function for the provider's value).
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

// HTTPClient returns an *http.Client over rt with this client's timeout and User-Agent, which
// never follows redirects (the OAuth approval step reads its verifier from a 302). It is the
// only way requests leave the provider: Do uses it, and so do the OAuth token calls that
// dghubble/oauth1 makes.
func (c *Client) HTTPClient(rt http.RoundTripper) *http.Client {
	if c.settings.UserAgent != "" {
		rt = &userAgentTransport{base: rt, userAgent: c.settings.UserAgent}
	}
	return &http.Client{
		Transport:     rt,
		Timeout:       c.settings.RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Product is the product token that starts the provider's User-Agent.
const Product = "terraform-provider-jira"

// UserAgent is the User-Agent every request of the provider carries:
// "terraform-provider-jira/<providerVersion> (Terraform/<cliVersion>)", where cliVersion is the
// version the CLI reported when it configured the provider: Terraform's own version, or for
// OpenTofu the Terraform version whose provider features it supports (OpenTofu 1.12 reports
// 1.13.0). Without a CLI version (a client that does not send one) the comment is left out.
func UserAgent(providerVersion, cliVersion string) string {
	ua := Product + "/" + providerVersion
	if cliVersion != "" {
		ua += " (Terraform/" + cliVersion + ")"
	}
	return ua
}

// userAgentTransport sets User-Agent on every request it sends, replacing any the caller or a
// library set.
type userAgentTransport struct {
	base      http.RoundTripper
	userAgent string
}

func (t *userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A RoundTripper must not modify the caller's request.
	r := req.Clone(req.Context())
	r.Header.Set("User-Agent", t.userAgent)
	return t.base.RoundTrip(r)
}

// CloseIdleConnections releases pooled connections.
func (c *Client) CloseIdleConnections() { c.transport.CloseIdleConnections() }

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
