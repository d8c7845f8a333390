package jirasim

import (
	"net/http"
)

// checkAccessTokenLocked validates call.token as an access token of the
// calling consumer (docs/guides/http-calls.md, "Checking and revoking an
// access token"). It returns the token, or an OAuth problem
// and advice. s.mu must be held.
func (s *Server) checkAccessTokenLocked(call *oauthCall) (*accTok, string, string) {
	at := s.accTokens[call.token]
	switch {
	case at == nil || at.consumerKey != call.consumerKey:
		return nil, problemTokenRejected, "oauth_token is not a valid access token of this consumer (unknown or revoked)"
	case !s.nowLocked().Before(at.expiresAt):
		return nil, problemTokenExpired, "the access token has expired"
	}
	return at, "", ""
}

// myself is the body of GET /rest/api/2/myself.
type myself struct {
	Name         string `json:"name"`
	Key          string `json:"key"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
	Active       bool   `json:"active"`
}

// handleMyself serves GET {jira}/rest/api/2/myself (docs/guides/http-calls.md,
// "Who am I"), signed with an access token.
func (s *Server) handleMyself(w http.ResponseWriter, r *http.Request) {
	call, ok := s.authenticateOAuth(w, r, kindResource)
	if !ok {
		return
	}
	s.mu.Lock()
	at, problem, advice := s.checkAccessTokenLocked(call)
	var name string
	if at != nil {
		name = s.userNameLocked(at.user)
	}
	s.mu.Unlock()
	if at == nil {
		s.oauthError(w, r, http.StatusUnauthorized, problem, advice)
		return
	}
	u := s.users[at.user]
	// Like Jira, a renamed user keeps its key and answers with its new name.
	writeJSON(w, http.StatusOK, myself{
		Name:         name,
		Key:          at.user,
		DisplayName:  u.DisplayName,
		EmailAddress: u.Email,
		Active:       u.Active,
	})
}

// handleRevoke serves POST {jira}/plugins/servlet/oauth/users/access-tokens
// (docs/guides/http-calls.md, "Revoke"): form action=revoke, X-Atlassian-Token: no-check, signed
// with the access token to revoke.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	// The XSRF header comes first: a client that forgets it fails on every revoke, not only
	// on tokens that are still live (the "already gone" answers would hide it otherwise).
	if !xsrfOK(r) {
		http.Error(w, "XSRF check failed", http.StatusForbidden)
		return
	}
	call, ok := s.authenticateOAuth(w, r, kindResource)
	if !ok {
		return
	}
	s.mu.Lock()
	at, problem, advice := s.checkAccessTokenLocked(call)
	s.mu.Unlock()
	if at == nil {
		s.oauthError(w, r, http.StatusUnauthorized, problem, advice)
		return
	}
	var actions []string
	for _, p := range call.body {
		if p.name == "action" {
			actions = append(actions, p.value)
		}
	}
	if len(actions) != 1 || actions[0] != "revoke" {
		http.Error(w, "expected a form body with action=revoke", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	// Re-check: another request may have revoked it meanwhile.
	at, problem, advice = s.checkAccessTokenLocked(call)
	if at != nil {
		delete(s.accTokens, at.token)
	}
	s.mu.Unlock()
	if at == nil {
		s.oauthError(w, r, http.StatusUnauthorized, problem, advice)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
