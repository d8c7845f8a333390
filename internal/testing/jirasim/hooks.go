package jirasim

import (
	"cmp"
	"crypto/rsa"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// This file holds the test hooks: out-of-band views and changes of the
// simulator's state, all goroutine-safe.

// Now returns the simulator's clock: the base clock plus the Advance offset.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

// Advance moves the simulator clock by d (negative d moves it back, which
// simulates clock skew).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// RevokeToken revokes an access token out of band, like Jira's "View OAuth
// Access Tokens > Revoke" page. It reports whether the token existed (and
// was not already revoked); an expired token is revoked too.
func (s *Server) RevokeToken(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accTokens[token]; !ok {
		return false
	}
	delete(s.accTokens, token)
	return true
}

// RevokeAll revokes every live access token and returns how many it revoked.
func (s *Server) RevokeAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	n := 0
	for t, at := range s.accTokens {
		if s.liveLocked(at, now) {
			delete(s.accTokens, t)
			n++
		}
	}
	return n
}

// ExpireToken sets an access token's expiry to the simulator's current time
// (unless it is already past), so that it is reported as token_expired from
// now on. It reports whether the token exists (revoked tokens do not).
func (s *Server) ExpireToken(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.accTokens[token]
	if !ok {
		return false
	}
	if now := s.nowLocked(); at.expiresAt.After(now) {
		at.expiresAt = now
	}
	return true
}

func (s *Server) liveLocked(at *accTok, now time.Time) bool {
	l := s.byKey[at.consumerKey]
	return now.Before(at.expiresAt) && l != nil && l.consumer != nil
}

// LiveTokens returns the access tokens that are not revoked, not expired and
// whose consumer is still registered, oldest first.
func (s *Server) LiveTokens() []AccessToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	var live []*accTok
	for _, at := range s.accTokens {
		if s.liveLocked(at, now) {
			live = append(live, at)
		}
	}
	slices.SortFunc(live, func(a, b *accTok) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]AccessToken, len(live))
	for i, at := range live {
		out[i] = AccessToken{
			Token: at.token, ConsumerKey: at.consumerKey, User: s.userNameLocked(at.user),
			CreatedAt: at.createdAt, ExpiresAt: at.expiresAt,
		}
	}
	return out
}

// Links returns every application link, oldest first, each with a copy of
// its consumer (nil when none; PublicKey as bare base64 DER).
func (s *Server) Links() []ApplicationLink {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := slices.Collect(maps.Values(s.links))
	slices.SortFunc(ls, func(a, b *link) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]ApplicationLink, len(ls))
	for i, l := range ls {
		out[i] = ApplicationLink{ID: l.id, Name: l.name, RPCURL: l.rpcURL, DisplayURL: l.displayURL, TypeID: l.tp}
		if l.consumer != nil {
			c := l.consumer.Consumer
			out[i].Consumer = &c
		}
	}
	return out
}

// DeleteLink deletes an application link out of band, with the same effect
// as the DELETE endpoint: its consumer goes and every token issued to that
// consumer becomes invalid. It reports whether the link existed.
func (s *Server) DeleteLink(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.links[id] == nil {
		return false
	}
	_ = s.setConsumerLocked(id, nil) // cannot fail: the link exists
	delete(s.links, id)
	return true
}

// SetConsumer sets, replaces or (c == nil) removes a link's incoming
// consumer out of band, with the PUT/DELETE endpoints' validation and
// effects: tokens of the previous consumer become invalid when its consumer
// key changes or it is removed; when only its public key changes they stay
// live, usable and revocable only with requests signed by the new key. It
// fails for an unknown link, an invalid consumer, or a key that another link
// uses.
func (s *Server) SetConsumer(linkID string, c *Consumer) error {
	var cs *consumerState
	if c != nil {
		var err error
		if cs, err = newConsumerState(*c); err != nil {
			return fmt.Errorf("jirasim: invalid consumer: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.setConsumerLocked(linkID, cs); err != nil {
		return fmt.Errorf("jirasim: %w", err)
	}
	return nil
}

// RequestCounts returns how many requests each route received, keyed
// "METHOD /route-template" with the template relative to the context path,
// e.g. "GET /rest/api/2/myself" or
// "GET /rest/applinks/3.0/applicationlink/{id}". Requests with a method the
// route does not allow are counted too; paths matching no route are not
// (see TotalRequests).
func (s *Server) RequestCounts() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

// TotalRequests returns how many requests the handler received, whatever
// their path.
func (s *Server) TotalRequests() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totalCount
}

// RenameUser renames a Jira user, as an administrator can in Jira's user management. As in Jira,
// the user keeps its key (its name at New), password and access tokens: those tokens now act as
// the new name (/rest/api/2/myself answers it, with the old key), HTTP Basic takes the new name
// only. It fails when no user is called oldName or newName is taken.
func (s *Server) RenameUser(oldName, newName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.userKeyLocked(oldName)
	if !ok {
		return fmt.Errorf("jirasim: no user %q", oldName)
	}
	if _, taken := s.userKeyLocked(newName); taken || newName == "" {
		return fmt.Errorf("jirasim: user name %q is taken or empty", newName)
	}
	if newName == key {
		delete(s.renamed, key)
	} else {
		s.renamed[key] = newName
	}
	return nil
}

// userKeyLocked returns the key of the user currently called name. s.mu must be held.
func (s *Server) userKeyLocked(name string) (string, bool) {
	for key, current := range s.renamed {
		if current == name {
			return key, true
		}
	}
	if _, renamed := s.renamed[name]; renamed {
		return "", false // the old name of a renamed user
	}
	_, ok := s.users[name]
	return name, ok
}

// userNameLocked returns the current name of the user with key. s.mu must be held.
func (s *Server) userNameLocked(key string) string {
	if name, ok := s.renamed[key]; ok {
		return name
	}
	return key
}

// CheckCredentials says whether Jira would accept, right now, a request
// signed by consumer consumerKey with the private half of signer and carrying
// access token token: nil when it would, else an error naming the
// oauth_problem it would answer (consumer_key_unknown, signature_invalid,
// token_rejected or token_expired). Nonces and timestamps are not part of
// the question. It is cheap enough to be polled every few milliseconds.
func (s *Server) CheckCredentials(consumerKey string, signer *rsa.PublicKey, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.byKey[consumerKey]
	switch {
	case l == nil || l.consumer == nil:
		return fmt.Errorf("%s: no application link registers consumer %q", problemConsumerKeyUnknown, consumerKey)
	case signer == nil || !l.consumer.pub.Equal(signer):
		return fmt.Errorf("%s: consumer %q holds another public key", problemSignatureInvalid, consumerKey)
	}
	at := s.accTokens[token]
	switch {
	case at == nil || at.consumerKey != consumerKey:
		return fmt.Errorf("%s: not a live access token of consumer %q", problemTokenRejected, consumerKey)
	case !s.nowLocked().Before(at.expiresAt):
		return fmt.Errorf("%s: the access token has expired", problemTokenExpired)
	}
	return nil
}

// AddLink creates a generic application link out of band, as an administrator would in Jira
// (Administration > Applications > Application links), with the create call's checks (a name,
// absolute http(s) URLs, one link per rpcUrl) and, when l.Consumer is set, the consumer call's
// (a valid key and RSA public key, unused by another link). A non-empty l.ID is the new link's
// id (so that a test can use the ids its documentation shows); an empty one is a new UUID.
// An empty l.TypeID is "generic"; another one makes a link of that type, as another Atlassian
// application (a Confluence, say) makes its own, which the REST create call never does. An empty
// DisplayURL is the RPCURL. It returns the new link's id.
func (s *Server) AddLink(l ApplicationLink) (string, error) {
	if l.DisplayURL == "" {
		l.DisplayURL = l.RPCURL
	}
	switch {
	case strings.TrimSpace(l.Name) == "":
		return "", errors.New("jirasim: a link needs a name")
	case !validLinkURL(l.RPCURL) || !validLinkURL(l.DisplayURL):
		return "", errors.New("jirasim: rpcUrl and displayUrl must be absolute http or https URLs")
	}
	var cs *consumerState
	if l.Consumer != nil {
		var err error
		if cs, err = newConsumerState(*l.Consumer); err != nil {
			return "", fmt.Errorf("jirasim: invalid consumer: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	norm := normalizeLinkURL(l.RPCURL)
	for _, other := range s.links {
		if normalizeLinkURL(other.rpcURL) == norm {
			return "", fmt.Errorf("jirasim: an application link with rpcUrl %s already exists", l.RPCURL)
		}
	}
	if cs != nil && s.byKey[cs.Key] != nil {
		return "", fmt.Errorf("jirasim: consumer key %s is used by another link", cs.Key)
	}
	id := l.ID
	if id == "" {
		id = newUUID()
	} else if s.links[id] != nil || strings.ContainsAny(id, "/?#") {
		return "", fmt.Errorf("jirasim: application link id %q is taken or not a path segment", id)
	}
	s.linkSeq++
	tp := l.TypeID
	if tp == "" {
		tp = "generic"
	}
	nl := &link{seq: s.linkSeq, id: id, name: l.Name, rpcURL: l.RPCURL, displayURL: l.DisplayURL, tp: tp}
	s.links[nl.id] = nl
	if cs != nil {
		if err := s.setConsumerLocked(nl.id, cs); err != nil {
			delete(s.links, nl.id)
			return "", fmt.Errorf("jirasim: %w", err)
		}
	}
	return nl.id, nil
}

// UserAgents returns how many requests arrived with each User-Agent header value ("" for a
// request without one), every request counted, whatever its path or outcome.
func (s *Server) UserAgents() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.userAgents)
}

// LastUserAgent returns the User-Agent of the latest request ("" before the first).
func (s *Server) LastUserAgent() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastUA
}
