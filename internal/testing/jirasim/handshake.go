package jirasim

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// handleRequestToken serves POST {jira}/plugins/servlet/oauth/request-token
// (docs/guides/http-calls.md, "Request token").
func (s *Server) handleRequestToken(w http.ResponseWriter, r *http.Request) {
	call, ok := s.authenticateOAuth(w, r, kindRequestToken)
	if !ok {
		return
	}
	callback := call.params["oauth_callback"]
	if !validCallback(callback) {
		s.oauthError(w, r, http.StatusBadRequest, problemParameterRejected,
			"oauth_callback must be an absolute http or https URL",
			[2]string{"oauth_parameters_rejected", "oauth_callback"})
		return
	}
	s.mu.Lock()
	now := s.nowLocked()
	rt := &reqTok{
		token:       randomHex(16),
		secret:      randomHex(16),
		consumerKey: call.consumerKey,
		callback:    callback,
		createdAt:   now,
		expiresAt:   now.Add(requestTokenLifetime),
	}
	s.reqTokens[rt.token] = rt
	s.mu.Unlock()
	writeForm(w, http.StatusOK,
		[2]string{"oauth_token", rt.token},
		[2]string{"oauth_token_secret", rt.secret},
		[2]string{"oauth_callback_confirmed", "true"})
}

func validCallback(cb string) bool {
	u, err := url.Parse(cb)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// handleAuthorize serves POST {jira}/plugins/servlet/oauth/authorize
// (docs/guides/http-calls.md, "Approval"): a Jira user approves or denies a request token.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	user, ok := s.basicAuth(w, r, false)
	if !ok {
		return
	}
	if !xsrfOK(r) {
		http.Error(w, "XSRF check failed", http.StatusForbidden)
		return
	}
	if !isForm(r) {
		http.Error(w, "expected an application/x-www-form-urlencoded body", http.StatusBadRequest)
		return
	}
	form, err := parseFormEncoded(string(requestBody(r)))
	if err != nil {
		http.Error(w, "malformed form body: "+err.Error(), http.StatusBadRequest)
		return
	}
	values := url.Values{}
	for _, p := range form {
		values.Add(p.name, p.value)
	}
	token := values.Get("oauth_token")
	if token == "" {
		s.oauthError(w, r, http.StatusBadRequest, problemParameterAbsent, "missing oauth_token",
			[2]string{"oauth_parameters_absent", "oauth_token"})
		return
	}
	_, hasApprove := values["approve"]
	_, hasDeny := values["deny"]
	switch {
	case hasApprove && hasDeny:
		http.Error(w, "send either approve=Allow or deny=Deny, not both", http.StatusBadRequest)
		return
	case hasApprove && values.Get("approve") != "Allow":
		http.Error(w, "approve must be Allow", http.StatusBadRequest)
		return
	case hasDeny && values.Get("deny") != "Deny":
		http.Error(w, "deny must be Deny", http.StatusBadRequest)
		return
	case !hasApprove && !hasDeny:
		http.Error(w, "missing approve=Allow or deny=Deny", http.StatusBadRequest)
		return
	}

	s.mu.Lock()
	now := s.nowLocked()
	rt := s.reqTokens[token]
	switch {
	case rt == nil || rt.state != rtPending:
		s.mu.Unlock()
		s.oauthError(w, r, http.StatusUnauthorized, problemTokenRejected, "request token is unknown or was already used")
		return
	case !now.Before(rt.expiresAt):
		s.mu.Unlock()
		s.oauthError(w, r, http.StatusUnauthorized, problemTokenExpired, "request token has expired")
		return
	}
	callback := rt.callback
	var extra string
	if hasApprove {
		rt.state = rtApproved
		rt.user = user
		rt.verifier = randomHex(8)
		extra = "oauth_token=" + PercentEncode(token) + "&oauth_verifier=" + PercentEncode(rt.verifier)
	} else {
		rt.state = rtDenied
		rt.user = user
		extra = "oauth_token=" + PercentEncode(token) + "&oauth_problem=" + problemPermissionDenied
	}
	s.mu.Unlock()
	w.Header().Set("Location", appendQuery(callback, extra))
	w.WriteHeader(http.StatusFound)
}

// appendQuery appends an encoded query fragment to a URL, with "&" when the
// URL already has a query, keeping any fragment last.
func appendQuery(rawURL, extra string) string {
	base, frag, hasFrag := strings.Cut(rawURL, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?"
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		base += "&"
	}
	out := base + extra
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// handleAccessToken serves POST {jira}/plugins/servlet/oauth/access-token
// (docs/guides/http-calls.md, "Access token"): exchanges an approved request
// token and its verifier for an access token.
func (s *Server) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	call, ok := s.authenticateOAuth(w, r, kindAccessToken)
	if !ok {
		return
	}
	s.mu.Lock()
	now := s.nowLocked()
	rt := s.reqTokens[call.token]
	var problem, advice string
	switch {
	case rt == nil || rt.consumerKey != call.consumerKey:
		problem, advice = problemTokenRejected, "oauth_token is not a live request token of this consumer"
	case !now.Before(rt.expiresAt):
		problem, advice = problemTokenExpired, "request token has expired"
	case rt.state == rtDenied:
		problem, advice = problemPermissionDenied, "the user denied access"
	case rt.state == rtPending:
		problem, advice = problemPermissionUnknown, "the request token has not been approved yet"
	case subtle.ConstantTimeCompare([]byte(rt.verifier), []byte(call.params["oauth_verifier"])) != 1:
		problem, advice = problemTokenRejected, "oauth_verifier does not match"
	}
	if problem != "" {
		s.mu.Unlock()
		s.oauthError(w, r, http.StatusUnauthorized, problem, advice)
		return
	}
	delete(s.reqTokens, rt.token)
	s.tokenSeq++
	at := &accTok{
		seq:           s.tokenSeq,
		token:         randomHex(16),
		secret:        randomHex(16),
		consumerKey:   rt.consumerKey,
		user:          rt.user,
		sessionHandle: randomHex(16),
		createdAt:     now,
		expiresAt:     now.Add(s.lifetime),
	}
	s.accTokens[at.token] = at
	s.mu.Unlock()

	pairs := [][2]string{{"oauth_token", at.token}, {"oauth_token_secret", at.secret}}
	if !s.omitExp {
		secs := int64(s.lifetime / 1e9)
		pairs = append(pairs,
			[2]string{"oauth_expires_in", strconv.FormatInt(secs, 10)},
			[2]string{"oauth_session_handle", at.sessionHandle},
			[2]string{"oauth_authorization_expires_in", strconv.FormatInt(secs+int64(authorizationExtra/1e9), 10)})
	}
	writeForm(w, http.StatusOK, pairs...)
}

// basicAuth checks HTTP Basic credentials against Options.Users (an inactive
// user cannot log in). It writes 401 (and, with needAdmin, 403 for a
// non-administrator) and returns false on failure. REST paths get JSON error
// bodies.
func (s *Server) basicAuth(w http.ResponseWriter, r *http.Request, needAdmin bool) (string, bool) {
	name, pass, ok := r.BasicAuth()
	s.mu.Lock()
	key, known := s.userKeyLocked(name)
	s.mu.Unlock()
	u := s.users[key]
	if !ok || !known || !u.Active || subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
		s.writeError(w, r, http.StatusUnauthorized, "authentication failed: bad or missing HTTP Basic credentials")
		return "", false
	}
	if needAdmin && !u.Admin {
		s.writeError(w, r, http.StatusForbidden, "user "+name+" is not a Jira administrator")
		return "", false
	}
	return key, true
}
