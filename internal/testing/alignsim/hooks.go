package alignsim

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

// StoredConnector is the full stored record of a connector, secrets
// included, for tests to assert on. The API never returns the secret fields
// (Password, PrivateKeyPEM, AccessToken, AccessTokenSecret).
type StoredConnector struct {
	ID                int
	Name, JiraURL     string
	JiraType          int
	AuthType          string
	Username          string
	Password          string
	ConsumerKey       string
	PrivateKeyPEM     string
	AccessToken       string
	AccessTokenSecret string
	// AccessTokenExpiresAt is nil when unset.
	AccessTokenExpiresAt *time.Time
	CredentialVersion    int
	UpdatedAt            time.Time
}

// clone returns a deep copy, so callers never share memory with the server.
func (c *StoredConnector) clone() StoredConnector {
	out := *c
	if c.AccessTokenExpiresAt != nil {
		t := *c.AccessTokenExpiresAt
		out.AccessTokenExpiresAt = &t
	}
	return out
}

// Connectors returns copies of all stored connectors, sorted by ID.
func (s *Server) Connectors() []StoredConnector {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.sortedConnectorsLocked()
	out := make([]StoredConnector, 0, len(all))
	for _, c := range all {
		out = append(out, c.clone())
	}
	return out
}

// Connector returns a copy of the stored connector id.
func (s *Server) Connector(id int) (StoredConnector, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.connectors[id]
	if !ok {
		return StoredConnector{}, false
	}
	return c.clone(), true
}

// EditConnector simulates an out-of-band edit "in the Jira Align UI": it
// calls edit on a copy of connector id and stores the result, with no
// validation. The ID cannot be changed. CredentialVersion is bumped by 1 when
// any secret field (Password, PrivateKeyPEM, AccessToken, AccessTokenSecret)
// changed, and UpdatedAt is set to the simulated current time. edit runs with
// the server's lock held and must not call back into the Server. It returns an
// error when the connector does not exist.
func (s *Server) EditConnector(id int, edit func(c *StoredConnector)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, ok := s.connectors[id]
	if !ok {
		return fmt.Errorf("alignsim: connector %d not found", id)
	}
	next := prev.clone()
	if edit != nil {
		edit(&next)
	}
	next.ID = id
	if secretsDiffer(prev, &next) {
		next.CredentialVersion++
	}
	next.UpdatedAt = s.nowLocked()
	if next.AccessTokenExpiresAt != nil {
		t := *next.AccessTokenExpiresAt
		next.AccessTokenExpiresAt = &t
	}
	s.connectors[id] = &next
	return nil
}

// DeleteConnector simulates an out-of-band deletion of connector id together
// with its team mappings. It reports whether the connector existed.
func (s *Server) DeleteConnector(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.connectors[id]; !ok {
		return false
	}
	delete(s.connectors, id)
	for mid, m := range s.mappings {
		if m.ConnectorID == id {
			delete(s.mappings, mid)
		}
	}
	return true
}

// Advance moves the simulated clock forward by d (backward if d < 0).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// RequestCounts returns how many requests arrived per route, keyed
// "METHOD /route-template", for example
// "GET /rest/align/api/2/Connectors/{id}" or
// "PUT /rest/align/api/2/Connectors/{id}/TeamMappings/{mappingId}". Every
// request whose path matches a route counts, whatever its outcome (401, 404,
// 405, ...). Requests to unknown paths count only in TotalRequests.
func (s *Server) RequestCounts() map[string]int64 {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return maps.Clone(s.counts)
}

// TotalRequests returns the number of requests received, including those to
// unknown paths.
func (s *Server) TotalRequests() int64 {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return s.total
}

// AddConnector creates a connector out of band, as an administrator would in the Jira Align UI
// (Administration > Connectors > Jira Settings), with exactly the create call's validation and
// name uniqueness. c's ID, CredentialVersion and UpdatedAt are assigned as the create call
// assigns them; the fields of the other auth method must be empty. It returns the stored record.
func (s *Server) AddConnector(c StoredConnector) (StoredConnector, error) {
	in := map[string]any{"name": c.Name, "jiraUrl": c.JiraURL, "jiraType": c.JiraType, "authType": c.AuthType}
	set := func(member, v string) {
		if v != "" {
			in[member] = v
		}
	}
	set("username", c.Username)
	set("password", c.Password)
	set("consumerKey", c.ConsumerKey)
	set("privateKeyPem", c.PrivateKeyPEM)
	set("accessToken", c.AccessToken)
	set("accessTokenSecret", c.AccessTokenSecret)
	if c.AccessTokenExpiresAt != nil {
		in["accessTokenExpiresAt"] = c.AccessTokenExpiresAt.UTC().Format(time.RFC3339)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return StoredConnector{}, err
	}
	obj := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &obj); err != nil {
		return StoredConnector{}, err
	}
	next, fe := buildConnector(obj, nil)
	if len(fe) > 0 {
		return StoredConnector{}, fmt.Errorf("alignsim: invalid connector: %v", map[string][]string(fe))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nameTakenLocked(next.Name, 0) {
		return StoredConnector{}, fmt.Errorf("alignsim: a connector named %q already exists", next.Name)
	}
	next.ID = s.nextConnectorID
	s.nextConnectorID++
	next.CredentialVersion = 1
	next.UpdatedAt = s.nowLocked()
	s.connectors[next.ID] = &next
	return next.clone(), nil
}

// UserAgents returns how many requests arrived with each User-Agent header value ("" for a
// request without one), every request counted, whatever its path or outcome.
func (s *Server) UserAgents() map[string]int64 {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return maps.Clone(s.userAgents)
}

// LastUserAgent returns the User-Agent of the latest request ("" before the first).
func (s *Server) LastUserAgent() string {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return s.lastUA
}
