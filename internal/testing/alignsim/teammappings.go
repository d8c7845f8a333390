package alignsim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
)

// teamMapping is a stored team mapping; it belongs to exactly one connector.
type teamMapping struct {
	ID                 int
	ConnectorID        int
	TeamID             int
	ExternalTeamID     string
	ExternalTeamName   string
	ExternalTeamTypeID int
}

// mappingOutput is the wire form of a team mapping.
type mappingOutput struct {
	ID                 int    `json:"id"`
	TeamID             int    `json:"teamId"`
	ExternalTeamID     string `json:"externalTeamId"`
	ExternalTeamName   string `json:"externalTeamName"`
	ExternalTeamTypeID int    `json:"externalTeamTypeId"`
}

func (m *teamMapping) output() mappingOutput {
	return mappingOutput{
		ID:                 m.ID,
		TeamID:             m.TeamID,
		ExternalTeamID:     m.ExternalTeamID,
		ExternalTeamName:   m.ExternalTeamName,
		ExternalTeamTypeID: m.ExternalTeamTypeID,
	}
}

func mappingLocation(connectorID, mappingID int) string {
	return connectorLocation(connectorID) + "/TeamMappings/" + strconv.Itoa(mappingID)
}

// buildMapping validates a team mapping input object: teamId > 0,
// externalTeamId non-empty, externalTeamName a string (optional; absent or
// null means empty), externalTeamTypeId 1 or 2. Unknown members are errors.
func buildMapping(obj map[string]json.RawMessage) (teamMapping, fieldErrors) {
	f := newFields(obj)
	var m teamMapping
	if v, ok := f.requiredInt("teamId"); ok {
		if v <= 0 {
			f.errs.add("teamId", "must be a positive integer")
		}
		m.TeamID = v
	}
	if v, ok := f.requiredStr("externalTeamId"); ok {
		if v == "" {
			f.errs.add("externalTeamId", "must not be empty")
		}
		m.ExternalTeamID = v
	}
	if v, ok := f.str("externalTeamName"); ok {
		m.ExternalTeamName = v
	}
	if v, ok := f.requiredInt("externalTeamTypeId"); ok {
		if v != 1 && v != 2 {
			f.errs.add("externalTeamTypeId", "must be 1 (Jira Cloud) or 2 (Jira Data Center)")
		}
		m.ExternalTeamTypeID = v
	}
	f.rejectUnknown()
	return m, f.errs
}

// mappingLocked returns the mapping mid of connector id, writing a 404 and
// returning nil when either is missing.
func (s *Server) mappingLocked(w http.ResponseWriter, id, mid int) *teamMapping {
	if _, ok := s.connectors[id]; !ok {
		writeError(w, http.StatusNotFound, "connector not found", nil)
		return nil
	}
	m, ok := s.mappings[mid]
	if !ok || m.ConnectorID != id {
		writeError(w, http.StatusNotFound, "team mapping not found", nil)
		return nil
	}
	return m
}

func (s *Server) connectorExists(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.connectors[id]
	return ok
}

func (s *Server) listMappings(w http.ResponseWriter, r *http.Request, id int) {
	if rejectQuery(w, r) {
		return
	}
	s.mu.Lock()
	if _, ok := s.connectors[id]; !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "connector not found", nil)
		return
	}
	out := []mappingOutput{}
	for _, m := range s.mappings {
		if m.ConnectorID == id {
			out = append(out, m.output())
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createMapping(w http.ResponseWriter, r *http.Request, id int) {
	if rejectQuery(w, r) {
		return
	}
	if !s.connectorExists(id) {
		writeError(w, http.StatusNotFound, "connector not found", nil)
		return
	}
	obj, ok := readJSONObject(w, r)
	if !ok {
		return
	}
	m, fe := buildMapping(obj)
	if len(fe) > 0 {
		writeError(w, http.StatusBadRequest, "validation failed", fe)
		return
	}
	s.mu.Lock()
	if _, ok := s.connectors[id]; !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "connector not found", nil)
		return
	}
	m.ID = s.nextMappingID
	s.nextMappingID++
	m.ConnectorID = id
	s.mappings[m.ID] = &m
	out := m.output()
	s.mu.Unlock()
	w.Header().Set("Location", mappingLocation(id, out.ID))
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) getMapping(w http.ResponseWriter, r *http.Request, id, mid int) {
	if rejectQuery(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.mappingLocked(w, id, mid); m != nil {
		writeJSON(w, http.StatusOK, m.output())
	}
}

func (s *Server) updateMapping(w http.ResponseWriter, r *http.Request, id, mid int) {
	if rejectQuery(w, r) {
		return
	}
	s.mu.Lock()
	found := s.mappingLocked(w, id, mid) != nil
	s.mu.Unlock()
	if !found {
		return
	}
	obj, ok := readJSONObject(w, r)
	if !ok {
		return
	}
	next, fe := buildMapping(obj)
	if len(fe) > 0 {
		writeError(w, http.StatusBadRequest, "validation failed", fe)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mappingLocked(w, id, mid) == nil {
		return
	}
	next.ID = mid
	next.ConnectorID = id
	s.mappings[mid] = &next
	writeJSON(w, http.StatusOK, next.output())
}

func (s *Server) deleteMapping(w http.ResponseWriter, r *http.Request, id, mid int) {
	if rejectQuery(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mappingLocked(w, id, mid) == nil {
		return
	}
	delete(s.mappings, mid)
	writeNoContent(w)
}
