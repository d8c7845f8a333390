// Package jirasim simulates the Jira Server/Data Center peer of the wire
// calls of docs/guides/http-calls.md: OAuth 1.0a RSA-SHA1 request
// verification, the three-legged handshake, the "who am I" and revoke calls,
// and the application-link REST API through which OAuth consumers are
// registered. It accepts what the contract allows and rejects everything
// else with the errors the contract names, so that any client implementation
// can be tested against it.
//
// Everything is served by Server.Handler, normally wrapped in an
// httptest.Server; the remaining Server methods are goroutine-safe test hooks.
package jirasim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultTokenLifetime is Jira's default access-token lifetime (5 years),
// used when Options.TokenLifetime is zero.
const DefaultTokenLifetime = 157680000 * time.Second

const (
	// timestampWindow is how far oauth_timestamp may be from the clock.
	timestampWindow = 300 * time.Second
	// requestTokenLifetime is how long a request token can be approved and
	// exchanged.
	requestTokenLifetime = 10 * time.Minute
	// expiredRequestTokenGrace is how long an expired request token is kept
	// so that it is reported as token_expired rather than token_rejected.
	expiredRequestTokenGrace = time.Hour
	// authorizationExtra is what oauth_authorization_expires_in adds to the
	// token lifetime (Jira: 160272000 - 157680000 s, 30 days).
	authorizationExtra = 30 * 24 * time.Hour
	// pruneInterval is how often (simulator clock) nonces and request tokens
	// are pruned.
	pruneInterval = 10 * time.Second
	// maxBodyBytes bounds request bodies.
	maxBodyBytes = 1 << 20
	// xsrfHeader is the header Jira requires on state-changing calls.
	xsrfHeader = "X-Atlassian-Token"
	xsrfValue  = "no-check"
)

// User is a Jira user account.
type User struct {
	// Password is checked by HTTP Basic authentication.
	Password string
	// Admin marks a Jira administrator (required by the application-link API).
	Admin bool
	// DisplayName and Email are returned by /rest/api/2/myself.
	DisplayName, Email string
	// Active is returned by /rest/api/2/myself; inactive users cannot log in
	// with HTTP Basic.
	Active bool
}

// Options configures a Server.
type Options struct {
	// ContextPath is the Jira context path, "" or e.g. "/jira"; every
	// endpoint is served under it. A trailing "/" is ignored.
	ContextPath string
	// Users maps user names to accounts; HTTP Basic is checked against it.
	Users map[string]User
	// TokenLifetime is the access-token lifetime; 0 means
	// DefaultTokenLifetime (157680000 s).
	TokenLifetime time.Duration
	// OmitExpiryFields makes the access-token response carry only
	// oauth_token and oauth_token_secret.
	OmitExpiryFields bool
	// LinkObjectOnCreate makes the link create answer 201 with the link
	// object, as some plugin versions may, instead of the status entity
	// naming the new link in resources-created.
	LinkObjectOnCreate bool
	// EmptyConsumerPut makes the consumer PUT answer 201 with no body
	// instead of a status entity.
	EmptyConsumerPut bool
	// NoContentDeletes makes link and consumer deletes answer 204 with no
	// body instead of 200 with a status entity.
	NoContentDeletes bool
	// Now is the base clock; nil means time.Now. The server adds its own
	// Advance offset on top.
	Now func() time.Time
}

// AccessToken describes an issued OAuth access token.
type AccessToken struct {
	// Token is the oauth_token value.
	Token string
	// ConsumerKey is the consumer the token was issued to.
	ConsumerKey string
	// User is the Jira user who approved the token.
	User string
	// CreatedAt and ExpiresAt are on the simulator clock.
	CreatedAt, ExpiresAt time.Time
}

// ApplicationLink is an application link and its incoming OAuth consumer.
type ApplicationLink struct {
	// ID is the link's UUID.
	ID string
	// Name, RPCURL, DisplayURL and TypeID are as created.
	Name, RPCURL, DisplayURL, TypeID string
	// Consumer is the link's incoming consumer, nil when none.
	Consumer *Consumer
}

// Consumer is an incoming OAuth consumer registered on an application link.
type Consumer struct {
	// Key is the oauth_consumer_key.
	Key string
	// Name and Description are free text.
	Name, Description string
	// PublicKey is the consumer's RSA public key. On input it may be a PEM
	// "PUBLIC KEY" block or bare base64 of the DER SubjectPublicKeyInfo; on
	// output it is always bare base64 DER.
	PublicKey string
	// Outgoing and TwoLOAllowed are stored and echoed.
	Outgoing, TwoLOAllowed bool
}

// Server is a simulated Jira peer. Create it with New.
type Server struct {
	ctxPath   string
	users     map[string]User
	lifetime  time.Duration
	omitExp   bool
	answers   answerForms
	baseClock func() time.Time
	handler   http.Handler

	mu         sync.Mutex
	offset     time.Duration
	links      map[string]*link   // by id
	byKey      map[string]*link   // consumer key -> link owning it
	reqTokens  map[string]*reqTok // request tokens
	accTokens  map[string]*accTok // access tokens (live or expired)
	nonces     map[nonceKey]int64 // -> oauth_timestamp
	lastPrune  time.Time
	linkSeq    int64
	tokenSeq   int64
	counts     map[string]int64
	totalCount int64
	// renamed maps the key of each renamed user (its name at New) to its current name.
	renamed    map[string]string
	userAgents map[string]int64
	lastUA     string
}

type link struct {
	seq                              int64
	id, name, rpcURL, displayURL, tp string
	consumer                         *consumerState
}

type consumerState struct {
	Consumer // PublicKey holds bare base64 DER
	pub      *rsa.PublicKey
}

type reqTokState int

const (
	rtPending reqTokState = iota
	rtApproved
	rtDenied
)

type reqTok struct {
	token, secret, consumerKey, callback string
	createdAt, expiresAt                 time.Time
	state                                reqTokState
	verifier, user                       string
}

type accTok struct {
	seq                              int64
	token, secret, consumerKey, user string
	sessionHandle                    string
	createdAt, expiresAt             time.Time
}

type nonceKey struct{ consumerKey, nonce string }

// New returns a Server configured by opts. It panics if opts.ContextPath
// contains characters that cannot appear in a plain URL path.
func New(opts Options) *Server {
	ctx := strings.TrimRight(opts.ContextPath, "/")
	if ctx != "" && !strings.HasPrefix(ctx, "/") {
		ctx = "/" + ctx
	}
	if strings.ContainsAny(ctx, "?#{}% \t\r\n") || strings.Contains(ctx, "//") {
		panic(fmt.Sprintf("jirasim: invalid ContextPath %q", opts.ContextPath))
	}
	s := &Server{
		ctxPath:  ctx,
		users:    maps.Clone(opts.Users),
		lifetime: opts.TokenLifetime,
		omitExp:  opts.OmitExpiryFields,
		answers: answerForms{
			linkObject: opts.LinkObjectOnCreate, emptyConsumerPut: opts.EmptyConsumerPut, noContentDelete: opts.NoContentDeletes,
		},
		baseClock:  opts.Now,
		links:      map[string]*link{},
		byKey:      map[string]*link{},
		reqTokens:  map[string]*reqTok{},
		accTokens:  map[string]*accTok{},
		nonces:     map[nonceKey]int64{},
		counts:     map[string]int64{},
		renamed:    map[string]string{},
		userAgents: map[string]int64{},
	}
	if s.users == nil {
		s.users = map[string]User{}
	}
	if s.lifetime <= 0 {
		s.lifetime = DefaultTokenLifetime
	}
	if s.baseClock == nil {
		s.baseClock = time.Now
	}
	s.handler = s.routes()
	return s
}

// Handler returns the HTTP handler serving every path (endpoints live under
// Options.ContextPath; anything else is 404).
func (s *Server) Handler() http.Handler { return s.handler }

// route is one endpoint: template is the path below the context path, as
// used in RequestCounts keys.
type route struct {
	template string
	methods  map[string]http.HandlerFunc
}

const (
	pathRequestToken = "/plugins/servlet/oauth/request-token"
	pathAuthorize    = "/plugins/servlet/oauth/authorize"
	pathAccessToken  = "/plugins/servlet/oauth/access-token"
	pathRevoke       = "/plugins/servlet/oauth/users/access-tokens"
	pathMyself       = "/rest/api/2/myself"
	pathLinks        = "/rest/applinks/3.0/applicationlink"
	pathLink         = "/rest/applinks/3.0/applicationlink/{id}"
	pathConsumer     = "/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer"
)

func (s *Server) routes() http.Handler {
	rs := []route{
		{pathRequestToken, map[string]http.HandlerFunc{http.MethodPost: s.handleRequestToken}},
		{pathAuthorize, map[string]http.HandlerFunc{http.MethodPost: s.handleAuthorize}},
		{pathAccessToken, map[string]http.HandlerFunc{http.MethodPost: s.handleAccessToken}},
		{pathRevoke, map[string]http.HandlerFunc{http.MethodPost: s.handleRevoke}},
		{pathMyself, map[string]http.HandlerFunc{http.MethodGet: s.handleMyself}},
		{pathLinks, map[string]http.HandlerFunc{
			http.MethodPut: s.admin(s.handleCreateLink),
			http.MethodGet: s.admin(s.handleListLinks),
		}},
		{pathLink, map[string]http.HandlerFunc{
			http.MethodGet:    s.admin(s.handleGetLink),
			http.MethodDelete: s.admin(s.handleDeleteLink),
		}},
		{pathConsumer, map[string]http.HandlerFunc{
			http.MethodPut:    s.admin(s.handlePutConsumer),
			http.MethodGet:    s.admin(s.handleGetConsumer),
			http.MethodDelete: s.admin(s.handleDeleteConsumer),
		}},
	}
	mux := http.NewServeMux()
	for _, rt := range rs {
		mux.Handle(s.ctxPath+rt.template, s.dispatch(rt))
	}
	mux.HandleFunc("/", s.notFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.totalCount++
		s.userAgents[r.UserAgent()]++
		s.lastUA = r.UserAgent()
		s.mu.Unlock()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
		mux.ServeHTTP(w, r)
	})
}

type bodyKey struct{}

// requestBody returns the request body read by the outer handler. For a
// request that did not pass through it (unit tests), the body is read and
// put back.
func requestBody(r *http.Request) []byte {
	if b, ok := r.Context().Value(bodyKey{}).([]byte); ok {
		return b
	}
	if r.Body == nil {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil
	}
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

func (s *Server) dispatch(rt route) http.Handler {
	allowed := make([]string, 0, len(rt.methods))
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete} {
		if _, ok := rt.methods[m]; ok {
			allowed = append(allowed, m)
		}
	}
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[r.Method+" "+rt.template]++
		s.mu.Unlock()
		h, ok := rt.methods[r.Method]
		if !ok {
			w.Header().Set("Allow", allow)
			s.writeError(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed; use "+allow)
			return
		}
		h(w, r)
	})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, http.StatusNotFound, "no such resource: "+r.URL.Path)
}

// writeError writes a JSON error for REST paths and plain text elsewhere.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, s.ctxPath+"/rest/") {
		writeJSONError(w, status, msg)
		return
	}
	http.Error(w, msg, status)
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "cannot encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// jsonError is the error body of the REST endpoints.
type jsonError struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, jsonError{Status: status, Message: msg})
}

// writeForm writes an application/x-www-form-urlencoded response body built
// from ordered pairs.
func writeForm(w http.ResponseWriter, status int, pairs ...[2]string) {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(formEscape(p[0]))
		b.WriteByte('=')
		b.WriteString(formEscape(p[1]))
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, b.String())
}

// formEscape encodes for an application/x-www-form-urlencoded body. It uses
// RFC 5849 §3.6 encoding, which every form decoder accepts.
func formEscape(s string) string { return PercentEncode(s) }

// baseURL is {jira} as the client addressed it: scheme://host + context path.
func (s *Server) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + s.ctxPath
}

// isForm reports whether the request carries an
// application/x-www-form-urlencoded body.
func isForm(r *http.Request) bool {
	return mediaType(r) == "application/x-www-form-urlencoded"
}

func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return mt
}

// xsrfOK reports whether the request carries X-Atlassian-Token: no-check.
func xsrfOK(r *http.Request) bool {
	for _, v := range r.Header.Values(xsrfHeader) {
		if v == xsrfValue {
			return true
		}
	}
	return false
}

// now is the simulator clock; the caller must hold s.mu.
func (s *Server) nowLocked() time.Time { return s.baseClock().Add(s.offset) }

// randomHex returns n random bytes as lower-case hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("jirasim: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("jirasim: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
