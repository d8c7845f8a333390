package alignsim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Authentication methods of a connector.
const (
	authBasic  = "basic"
	authOAuth1 = "oauth1"
)

// connectorOutput is the wire form of a connector. Secret fields have no
// place in it, by construction.
type connectorOutput struct {
	ID                   int     `json:"id"`
	Name                 string  `json:"name"`
	JiraURL              string  `json:"jiraUrl"`
	JiraType             int     `json:"jiraType"`
	AuthType             string  `json:"authType"`
	Username             *string `json:"username"`
	ConsumerKey          *string `json:"consumerKey"`
	PublicKeyFingerprint *string `json:"publicKeyFingerprint"`
	AccessTokenExpiresAt *string `json:"accessTokenExpiresAt"`
	CredentialVersion    int     `json:"credentialVersion"`
	UpdatedAt            string  `json:"updatedAt"`
}

func toOutput(c *StoredConnector) connectorOutput {
	out := connectorOutput{
		ID:                c.ID,
		Name:              c.Name,
		JiraURL:           c.JiraURL,
		JiraType:          c.JiraType,
		AuthType:          c.AuthType,
		CredentialVersion: c.CredentialVersion,
		UpdatedAt:         c.UpdatedAt.UTC().Format(time.RFC3339),
	}
	switch c.AuthType {
	case authBasic:
		u := c.Username
		out.Username = &u
	case authOAuth1:
		k := c.ConsumerKey
		out.ConsumerKey = &k
		if fp, ok := fingerprintPEM(c.PrivateKeyPEM); ok {
			out.PublicKeyFingerprint = &fp
		}
	}
	if c.AccessTokenExpiresAt != nil {
		t := c.AccessTokenExpiresAt.UTC().Format(time.RFC3339)
		out.AccessTokenExpiresAt = &t
	}
	return out
}

func connectorLocation(id int) string {
	return basePath + "/Connectors/" + strconv.Itoa(id)
}

// secretsDiffer reports whether any secret field differs between a and b.
func secretsDiffer(a, b *StoredConnector) bool {
	return a.Password != b.Password || a.PrivateKeyPEM != b.PrivateKeyPEM ||
		a.AccessToken != b.AccessToken || a.AccessTokenSecret != b.AccessTokenSecret
}

// sortedConnectorsLocked returns the stored connectors ordered by id.
func (s *Server) sortedConnectorsLocked() []*StoredConnector {
	out := make([]*StoredConnector, 0, len(s.connectors))
	for _, c := range s.connectors {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// nameTakenLocked reports whether another connector (not exceptID) has name,
// compared case-insensitively.
func (s *Server) nameTakenLocked(name string, exceptID int) bool {
	for id, c := range s.connectors {
		if id != exceptID && strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

func (s *Server) listConnectors(w http.ResponseWriter, r *http.Request) {
	lq, fe, err := parseListQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed query string", nil)
		return
	}
	if len(fe) > 0 {
		writeError(w, http.StatusBadRequest, "invalid query parameters", fe)
		return
	}
	s.mu.Lock()
	all := s.sortedConnectorsLocked()
	matched := make([]connectorOutput, 0, len(all))
	for _, c := range all {
		if lq.hasFilter && !strings.EqualFold(c.Name, lq.name) {
			continue
		}
		matched = append(matched, toOutput(c))
	}
	s.mu.Unlock()

	page := []connectorOutput{}
	if lq.skip < len(matched) {
		end := len(matched)
		if lq.top < end-lq.skip {
			end = lq.skip + lq.top
		}
		page = matched[lq.skip:end]
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) getConnector(w http.ResponseWriter, r *http.Request, id int) {
	if rejectQuery(w, r) {
		return
	}
	s.mu.Lock()
	c, ok := s.connectors[id]
	var out connectorOutput
	if ok {
		out = toOutput(c)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "connector not found", nil)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createConnector(w http.ResponseWriter, r *http.Request) {
	if rejectQuery(w, r) {
		return
	}
	obj, ok := readJSONObject(w, r)
	if !ok {
		return
	}
	next, fe := buildConnector(obj, nil)
	if len(fe) > 0 {
		writeError(w, http.StatusBadRequest, "validation failed", fe)
		return
	}

	s.mu.Lock()
	if s.nameTakenLocked(next.Name, 0) {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "a connector with this name already exists",
			fieldErrors{"name": {"is already used by another connector"}})
		return
	}
	next.ID = s.nextConnectorID
	s.nextConnectorID++
	next.CredentialVersion = 1
	next.UpdatedAt = s.nowLocked()
	s.connectors[next.ID] = &next
	out := toOutput(&next)
	s.mu.Unlock()

	w.Header().Set("Location", connectorLocation(out.ID))
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) updateConnector(w http.ResponseWriter, r *http.Request, id int) {
	if rejectQuery(w, r) {
		return
	}
	s.mu.Lock()
	_, exists := s.connectors[id]
	s.mu.Unlock()
	if !exists {
		writeError(w, http.StatusNotFound, "connector not found", nil)
		return
	}
	obj, ok := readJSONObject(w, r)
	if !ok {
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	prev, exists := s.connectors[id]
	if !exists { // deleted while the body was being read
		writeError(w, http.StatusNotFound, "connector not found", nil)
		return
	}
	next, fe := buildConnector(obj, prev)
	if len(fe) > 0 {
		writeError(w, http.StatusBadRequest, "validation failed", fe)
		return
	}
	if s.nameTakenLocked(next.Name, id) {
		writeError(w, http.StatusConflict, "a connector with this name already exists",
			fieldErrors{"name": {"is already used by another connector"}})
		return
	}
	next.ID = id
	next.CredentialVersion = prev.CredentialVersion
	if secretsDiffer(prev, &next) {
		next.CredentialVersion++
	}
	next.UpdatedAt = s.nowLocked()
	s.connectors[id] = &next
	writeJSON(w, http.StatusOK, toOutput(&next))
}

func (s *Server) deleteConnector(w http.ResponseWriter, r *http.Request, id int) {
	if rejectQuery(w, r) {
		return
	}
	if !s.DeleteConnector(id) {
		writeError(w, http.StatusNotFound, "connector not found", nil)
		return
	}
	writeNoContent(w)
}

// secretFieldNames are the write-only members of the connector input.
var (
	basicOnlyFields  = []string{"username", "password"}
	oauth1OnlyFields = []string{"consumerKey", "privateKeyPem", "accessToken", "accessTokenSecret", "accessTokenExpiresAt"}
)

// buildConnector validates a connector input object and returns the record it
// describes (without ID, CredentialVersion and UpdatedAt). prev is the stored
// record on PUT and nil on POST: every non-secret field is required either
// way, while an omitted secret keeps prev's value unless the authentication
// method changes (or prev has no value for it), in which case it is required.
// All problems are collected, keyed by JSON member name.
func buildConnector(obj map[string]json.RawMessage, prev *StoredConnector) (StoredConnector, fieldErrors) {
	f := newFields(obj)
	var c StoredConnector

	if name, ok := f.requiredStr("name"); ok {
		if msg := validateName(name); msg != "" {
			f.errs.add("name", msg)
		}
		c.Name = name
	}
	if u, ok := f.requiredStr("jiraUrl"); ok {
		if msg := validateJiraURL(u); msg != "" {
			f.errs.add("jiraUrl", msg)
		}
		c.JiraURL = u
	}
	if jt, ok := f.requiredInt("jiraType"); ok {
		if jt != 1 && jt != 2 {
			f.errs.add("jiraType", "must be 1 (Jira Cloud) or 2 (Jira Data Center)")
		}
		c.JiraType = jt
	}
	authType, ok := f.requiredStr("authType")
	if ok && authType != authBasic && authType != authOAuth1 {
		f.errs.add("authType", `must be "basic" or "oauth1"`)
	}
	c.AuthType = authType

	sameMethod := prev != nil && prev.AuthType == authType
	// secret reads an optional-on-PUT secret member: when omitted it keeps
	// the stored value, or is required if there is none to keep.
	secret := func(name, stored string) string {
		if !f.present(name) {
			if sameMethod && stored != "" {
				return stored
			}
			f.errs.add(name, "is required")
			return ""
		}
		v, ok := f.str(name)
		if ok && v == "" {
			f.errs.add(name, "must not be empty")
		}
		return v
	}
	var stored StoredConnector
	if prev != nil {
		stored = *prev
	}

	switch authType {
	case authBasic:
		f.forbid(`is not allowed when authType is "basic"`, oauth1OnlyFields...)
		if u, ok := f.requiredStr("username"); ok {
			if u == "" {
				f.errs.add("username", "must not be empty")
			}
			c.Username = u
		}
		c.Password = secret("password", stored.Password)
	case authOAuth1:
		f.forbid(`is not allowed when authType is "oauth1"`, basicOnlyFields...)
		if k, ok := f.requiredStr("consumerKey"); ok {
			if msg := validateConsumerKey(k); msg != "" {
				f.errs.add("consumerKey", msg)
			}
			c.ConsumerKey = k
		}
		c.PrivateKeyPEM = secret("privateKeyPem", stored.PrivateKeyPEM)
		if f.present("privateKeyPem") && c.PrivateKeyPEM != "" {
			if _, err := parseRSAPrivateKeyPEM(c.PrivateKeyPEM); err != nil {
				f.errs.add("privateKeyPem", err.Error())
			}
		}
		c.AccessToken = secret("accessToken", stored.AccessToken)
		c.AccessTokenSecret = secret("accessTokenSecret", stored.AccessTokenSecret)
		if s, ok := f.str("accessTokenExpiresAt"); ok {
			if t, ok := parseRFC3339(s); ok {
				c.AccessTokenExpiresAt = &t
			} else {
				f.errs.add("accessTokenExpiresAt", "must be an RFC 3339 timestamp")
			}
		}
	default:
		// The method is unknown, so its members cannot be judged; mark them
		// as known so that only the authType error is reported for them.
		for _, n := range append(append([]string{}, basicOnlyFields...), oauth1OnlyFields...) {
			f.seen[n] = true
		}
	}
	f.rejectUnknown()
	return c, f.errs
}
