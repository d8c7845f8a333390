package jirasim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// OAuth problems (RFC 5849 problem reporting; the list of docs/guides/http-calls.md plus
// parameter_rejected, version_rejected and permission_unknown for cases the
// contract leaves unnamed).
const (
	problemConsumerKeyUnknown      = "consumer_key_unknown"
	problemSignatureInvalid        = "signature_invalid"
	problemSignatureMethodRejected = "signature_method_rejected"
	problemTimestampRefused        = "timestamp_refused"
	problemNonceUsed               = "nonce_used"
	problemTokenRejected           = "token_rejected"
	problemTokenExpired            = "token_expired"
	problemPermissionDenied        = "permission_denied"
	problemPermissionUnknown       = "permission_unknown"
	problemParameterAbsent         = "parameter_absent"
	problemParameterRejected       = "parameter_rejected"
	problemVersionRejected         = "version_rejected"
)

// oauthError writes an OAuth problem report: the status, a
// WWW-Authenticate: OAuth realm="{jira}", oauth_problem="…" header and a
// form-encoded body oauth_problem=…&oauth_problem_advice=… followed by any
// extra pairs.
func (s *Server) oauthError(w http.ResponseWriter, r *http.Request, status int, problem, advice string, extra ...[2]string) {
	w.Header().Set("WWW-Authenticate", `OAuth realm="`+s.baseURL(r)+`", oauth_problem="`+problem+`"`)
	pairs := append([][2]string{{"oauth_problem", problem}, {"oauth_problem_advice", advice}}, extra...)
	writeForm(w, status, pairs...)
}

// endpointKind selects the protocol parameters an endpoint requires.
type endpointKind int

const (
	// kindRequestToken: temporary-credential request; oauth_callback
	// required, no oauth_token.
	kindRequestToken endpointKind = iota
	// kindAccessToken: token request; oauth_token (request token) and
	// oauth_verifier required.
	kindAccessToken
	// kindResource: a protected resource; oauth_token (access token)
	// required.
	kindResource
)

// oauthCall is a request whose OAuth signature verified.
type oauthCall struct {
	params      map[string]string // Authorization header parameters, realm removed
	consumerKey string
	token       string
	body        []param // form body parameters (nil when the body is not a form)
}

// authenticateOAuth verifies the request's OAuth 1.0a RSA-SHA1 signature
// (docs/guides/http-calls.md, "OAuth 1.0a signing"). On failure it writes the
// OAuth error and returns false. On success the nonce has been recorded; token
// checks are the caller's.
func (s *Server) authenticateOAuth(w http.ResponseWriter, r *http.Request, kind endpointKind) (*oauthCall, bool) {
	var header string
	n := 0
	for _, h := range r.Header.Values("Authorization") {
		if isOAuthHeader(h) {
			header = h
			n++
		}
	}
	if n > 1 {
		s.oauthError(w, r, http.StatusBadRequest, problemParameterRejected, "more than one OAuth Authorization header")
		return nil, false
	}
	params := map[string]string{}
	if n == 1 {
		p, err := ParseAuthorizationHeader(header)
		if err != nil {
			s.oauthError(w, r, http.StatusBadRequest, problemParameterRejected, "malformed Authorization header: "+err.Error())
			return nil, false
		}
		params = p
	}
	delete(params, "realm")

	required := []string{"oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce"}
	switch kind {
	case kindRequestToken:
		required = append(required, "oauth_callback")
	case kindAccessToken:
		required = append(required, "oauth_token", "oauth_verifier")
	case kindResource:
		required = append(required, "oauth_token")
	}
	var absent []string
	for _, name := range required {
		if params[name] == "" {
			absent = append(absent, name)
		}
	}
	if len(absent) > 0 {
		enc := make([]string, len(absent))
		for i, a := range absent {
			enc[i] = PercentEncode(a)
		}
		s.oauthError(w, r, http.StatusBadRequest, problemParameterAbsent,
			"missing OAuth parameter(s): "+strings.Join(absent, ", "),
			[2]string{"oauth_parameters_absent", strings.Join(enc, "&")})
		return nil, false
	}
	if kind == kindRequestToken && params["oauth_token"] != "" {
		s.oauthError(w, r, http.StatusBadRequest, problemParameterRejected,
			"a request-token request must not carry oauth_token",
			[2]string{"oauth_parameters_rejected", "oauth_token"})
		return nil, false
	}
	if v, ok := params["oauth_version"]; ok && v != "1.0" {
		s.oauthError(w, r, http.StatusBadRequest, problemVersionRejected,
			"oauth_version must be 1.0", [2]string{"oauth_acceptable_versions", "1.0-1.0"})
		return nil, false
	}
	if m := params["oauth_signature_method"]; m != "RSA-SHA1" {
		s.oauthError(w, r, http.StatusUnauthorized, problemSignatureMethodRejected,
			"signature method "+m+" is not accepted; use RSA-SHA1",
			[2]string{"oauth_acceptable_signature_methods", "RSA-SHA1"})
		return nil, false
	}
	query, body, err := requestParams(r)
	if err != nil {
		s.oauthError(w, r, http.StatusBadRequest, problemParameterRejected, err.Error())
		return nil, false
	}
	// The protocol parameters travel in the Authorization header only (docs/guides/http-calls.md,
	// "OAuth 1.0a signing"). One sent in the query or the form body as well would appear twice in
	// the base string, which some client libraries collapse (the reason the revoke body repeats
	// none, "Revoke"), so it is refused wherever it appears.
	for _, ps := range [][]param{query, body} {
		for _, p := range ps {
			if strings.HasPrefix(p.name, "oauth_") {
				s.oauthError(w, r, http.StatusBadRequest, problemParameterRejected,
					"OAuth parameter "+p.name+" must be sent in the Authorization header only, not in the query or the body",
					[2]string{"oauth_parameters_rejected", PercentEncode(p.name)})
				return nil, false
			}
		}
	}

	consumerKey := params["oauth_consumer_key"]
	s.mu.Lock()
	var cons *consumerState
	if l := s.byKey[consumerKey]; l != nil {
		cons = l.consumer
	}
	now := s.nowLocked()
	s.mu.Unlock()
	if cons == nil {
		s.oauthError(w, r, http.StatusUnauthorized, problemConsumerKeyUnknown,
			"consumer key "+consumerKey+" is not registered by any application link")
		return nil, false
	}

	ts, ok := parseTimestamp(params["oauth_timestamp"])
	lo, hi := now.Add(-timestampWindow).Unix(), now.Add(timestampWindow).Unix()
	if !ok || ts < lo || ts > hi {
		s.oauthError(w, r, http.StatusUnauthorized, problemTimestampRefused,
			"oauth_timestamp must be within 300 seconds of the server clock ("+strconv.FormatInt(now.Unix(), 10)+")",
			[2]string{"oauth_acceptable_timestamps", strconv.FormatInt(lo, 10) + "-" + strconv.FormatInt(hi, 10)})
		return nil, false
	}

	base := requestBaseStringFrom(r, params, query, body)
	if err := VerifyRSASHA1(cons.pub, base, params["oauth_signature"]); err != nil {
		s.oauthError(w, r, http.StatusUnauthorized, problemSignatureInvalid, err.Error(),
			[2]string{"oauth_signature_base_string", base})
		return nil, false
	}

	nk := nonceKey{consumerKey, params["oauth_nonce"]}
	s.mu.Lock()
	now = s.nowLocked()
	s.pruneLocked(now)
	_, seen := s.nonces[nk]
	if !seen {
		s.nonces[nk] = ts
	}
	s.mu.Unlock()
	if seen {
		s.oauthError(w, r, http.StatusUnauthorized, problemNonceUsed,
			"nonce "+params["oauth_nonce"]+" was already used by this consumer")
		return nil, false
	}
	return &oauthCall{params: params, consumerKey: consumerKey, token: params["oauth_token"], body: body}, true
}

// pruneLocked forgets nonces whose timestamps fell out of the window and
// request tokens expired for longer than the grace period. s.mu must be held.
func (s *Server) pruneLocked(now time.Time) {
	if !s.lastPrune.IsZero() && now.Sub(s.lastPrune) < pruneInterval && !now.Before(s.lastPrune) {
		return
	}
	s.lastPrune = now
	oldest := now.Add(-timestampWindow).Unix()
	for k, ts := range s.nonces {
		if ts < oldest {
			delete(s.nonces, k)
		}
	}
	for k, rt := range s.reqTokens {
		if now.After(rt.expiresAt.Add(expiredRequestTokenGrace)) {
			delete(s.reqTokens, k)
		}
	}
}

func schemeOf(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// receivedPath is the request path exactly as the client sent it (still
// percent-encoded), from the request target.
func receivedPath(r *http.Request) string {
	rt := r.RequestURI
	if strings.HasPrefix(rt, "/") {
		p, _, _ := strings.Cut(rt, "?")
		return p
	}
	if rt != "" && rt != "*" {
		if u, err := url.Parse(rt); err == nil {
			return u.EscapedPath()
		}
	}
	return r.URL.EscapedPath()
}

func isOAuthHeader(h string) bool {
	h = strings.TrimLeft(h, " \t")
	return len(h) >= 5 && strings.EqualFold(h[:5], "oauth") && (len(h) == 5 || h[5] == ' ' || h[5] == '\t')
}

// parseTimestamp parses oauth_timestamp: a positive decimal integer of
// seconds since the Unix epoch, digits only.
func parseTimestamp(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	ts, err := strconv.ParseInt(v, 10, 64)
	return ts, err == nil
}

// requestParams returns the decoded query parameters and, when the body is
// application/x-www-form-urlencoded, the body parameters (RFC 5849
// §3.4.1.3.1).
func requestParams(r *http.Request) (query, body []param, err error) {
	query, err = parseFormEncoded(r.URL.RawQuery)
	if err != nil {
		return nil, nil, fmt.Errorf("malformed query: %w", err)
	}
	if isForm(r) {
		body, err = parseFormEncoded(string(requestBody(r)))
		if err != nil {
			return nil, nil, fmt.Errorf("malformed form body: %w", err)
		}
	}
	return query, body, nil
}

// requestBaseStringFrom builds the signature base string of a server-side
// request from its Authorization header parameters (realm and
// oauth_signature are skipped) and its query and body parameters.
func requestBaseStringFrom(r *http.Request, headerParams map[string]string, query, body []param) string {
	ps := make([]param, 0, len(headerParams)+len(query)+len(body))
	for k, v := range headerParams {
		if k != "oauth_signature" && k != "realm" {
			ps = append(ps, param{k, v})
		}
	}
	ps = append(ps, query...)
	ps = append(ps, body...)
	return buildBaseString(r.Method, baseStringURI(schemeOf(r), r.Host, receivedPath(r)), ps)
}

// requestBaseString is the signature base string of a server-side request
// carrying an OAuth Authorization header, as authenticateOAuth computes it.
func requestBaseString(r *http.Request) (string, error) {
	var params map[string]string
	for _, h := range r.Header.Values("Authorization") {
		if isOAuthHeader(h) {
			p, err := ParseAuthorizationHeader(h)
			if err != nil {
				return "", err
			}
			params = p
		}
	}
	query, body, err := requestParams(r)
	if err != nil {
		return "", err
	}
	return requestBaseStringFrom(r, params, query, body), nil
}
