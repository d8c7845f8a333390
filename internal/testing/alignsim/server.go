// Package alignsim is an in-memory simulator of the Jira Align connector API
// described in docs/guides/http-calls.md ("Jira Align connectors").
//
// It enforces the contract exactly: it accepts what the contract allows and
// rejects everything else with the status and JSON error body the contract
// names. It has no private shortcuts: a client only ever sees the public wire
// protocol. Tests observe and perturb the simulated Jira Align through the
// goroutine-safe hooks in hooks.go (out-of-band edits "in the UI", request
// counters, a controllable clock).
//
// Serve it with httptest.NewServer(sim.Handler()); every route lives under
// /rest/align/api/2.
package alignsim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// basePath is the prefix of every route of the connector API.
const basePath = "/rest/align/api/2"

// maxBodyBytes is the largest request body accepted (1 MiB); larger bodies get 413.
const maxBodyBytes = 1 << 20

// Role is the permission level attached to an API token.
type Role int

const (
	// RoleAdmin may read and write.
	RoleAdmin Role = iota + 1
	// RoleReadOnly may only read: POST, PUT and DELETE get 403.
	RoleReadOnly
)

// Options configures a Server.
type Options struct {
	// APITokens maps a bearer token to its role. Requests with a missing or
	// unknown token get 401. A nil or empty map rejects every request.
	APITokens map[string]Role
	// Now is the base clock; nil means time.Now. Server.Advance adds an offset
	// to it.
	Now func() time.Time
}

// Server is a simulated Jira Align instance. Create it with New; it is safe
// for concurrent use.
type Server struct {
	tokens map[string]Role
	clock  func() time.Time

	mu              sync.Mutex
	offset          time.Duration
	connectors      map[int]*StoredConnector
	nextConnectorID int
	mappings        map[int]*teamMapping
	nextMappingID   int

	countMu    sync.Mutex
	counts     map[string]int64
	total      int64
	userAgents map[string]int64
	lastUA     string
}

// New returns a Server with no connectors.
func New(opts Options) *Server {
	tokens := make(map[string]Role, len(opts.APITokens))
	for k, v := range opts.APITokens {
		tokens[k] = v
	}
	clock := opts.Now
	if clock == nil {
		clock = time.Now
	}
	return &Server{
		tokens:          tokens,
		clock:           clock,
		connectors:      make(map[int]*StoredConnector),
		nextConnectorID: 1,
		mappings:        make(map[int]*teamMapping),
		nextMappingID:   1,
		counts:          make(map[string]int64),
		userAgents:      make(map[string]int64),
	}
}

// Handler returns the HTTP handler serving the connector API.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

// now returns the simulated time, UTC, truncated to whole seconds (the
// precision of every timestamp the API returns). Callers must hold s.mu.
func (s *Server) nowLocked() time.Time {
	return s.clock().Add(s.offset).UTC().Truncate(time.Second)
}

// routeKind identifies one of the route templates.
type routeKind int

const (
	routeConnectors routeKind = iota + 1
	routeConnector
	routeMappings
	routeMapping
)

// route is a matched route template with its raw path parameters.
type route struct {
	kind     routeKind
	template string
	allowed  []string
	rawID    string
	rawMapID string
}

// matchRoute maps a request path onto a route template. Path parameters are
// returned raw; an unparsable id is a 404 decided later by the handler, so
// that such requests still count under their template.
func matchRoute(path string) (route, bool) {
	rest, ok := strings.CutPrefix(path, basePath+"/")
	if !ok {
		return route{}, false
	}
	seg := strings.Split(rest, "/")
	if seg[0] != "Connectors" {
		return route{}, false
	}
	switch len(seg) {
	case 1:
		return route{kind: routeConnectors, template: basePath + "/Connectors",
			allowed: []string{http.MethodGet, http.MethodPost}}, true
	case 2:
		return route{kind: routeConnector, template: basePath + "/Connectors/{id}",
			allowed: []string{http.MethodGet, http.MethodPut, http.MethodDelete}, rawID: seg[1]}, true
	case 3:
		if seg[2] != "TeamMappings" {
			return route{}, false
		}
		return route{kind: routeMappings, template: basePath + "/Connectors/{id}/TeamMappings",
			allowed: []string{http.MethodGet, http.MethodPost}, rawID: seg[1]}, true
	case 4:
		if seg[2] != "TeamMappings" {
			return route{}, false
		}
		return route{kind: routeMapping, template: basePath + "/Connectors/{id}/TeamMappings/{mappingId}",
			allowed: []string{http.MethodGet, http.MethodPut, http.MethodDelete}, rawID: seg[1], rawMapID: seg[3]}, true
	}
	return route{}, false
}

// parseID parses a path id: a positive decimal integer in canonical form
// (no sign, no leading zeros). Anything else is reported as not found.
func parseID(raw string) (int, bool) {
	if raw == "" || raw[0] < '1' || raw[0] > '9' {
		return 0, false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, false
	}
	return n, true
}

func (s *Server) count(r *http.Request, rt route, matched bool) {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	s.total++
	ua := r.UserAgent()
	s.userAgents[ua]++
	s.lastUA = ua
	if matched {
		s.counts[r.Method+" "+rt.template]++
	}
}

// authenticate returns the role of the request's bearer token.
func (s *Server) authenticate(r *http.Request) (Role, bool) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return 0, false
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return 0, false
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return 0, false
	}
	role, ok := s.tokens[token]
	if !ok || (role != RoleAdmin && role != RoleReadOnly) {
		return 0, false
	}
	return role, true
}

// serveHTTP applies, in order: request counting, authentication (401),
// routing (404), method (405), role (403), then the route's handler.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rt, matched := matchRoute(r.URL.Path)
	s.count(r, rt, matched)

	role, ok := s.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Jira Align"`)
		writeError(w, http.StatusUnauthorized, "missing or invalid API token", nil)
		return
	}
	if !matched {
		writeError(w, http.StatusNotFound, "resource not found", nil)
		return
	}
	allowed := false
	for _, m := range rt.allowed {
		if m == r.Method {
			allowed = true
			break
		}
	}
	if !allowed {
		w.Header().Set("Allow", strings.Join(rt.allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on this resource", nil)
		return
	}
	if r.Method != http.MethodGet && role != RoleAdmin {
		writeError(w, http.StatusForbidden, "the API token's role does not allow this operation", nil)
		return
	}

	switch rt.kind {
	case routeConnectors:
		if r.Method == http.MethodGet {
			s.listConnectors(w, r)
		} else {
			s.createConnector(w, r)
		}
	case routeConnector:
		id, ok := parseID(rt.rawID)
		if !ok {
			writeError(w, http.StatusNotFound, "connector not found", nil)
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.getConnector(w, r, id)
		case http.MethodPut:
			s.updateConnector(w, r, id)
		default:
			s.deleteConnector(w, r, id)
		}
	case routeMappings, routeMapping:
		id, ok := parseID(rt.rawID)
		if !ok {
			writeError(w, http.StatusNotFound, "connector not found", nil)
			return
		}
		if rt.kind == routeMappings {
			if r.Method == http.MethodGet {
				s.listMappings(w, r, id)
			} else {
				s.createMapping(w, r, id)
			}
			return
		}
		mid, ok := parseID(rt.rawMapID)
		if !ok {
			writeError(w, http.StatusNotFound, "team mapping not found", nil)
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.getMapping(w, r, id, mid)
		case http.MethodPut:
			s.updateMapping(w, r, id, mid)
		default:
			s.deleteMapping(w, r, id, mid)
		}
	}
}

// apiError is the JSON error body of every non-2xx response.
type apiError struct {
	Status  int                 `json:"status"`
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"` // {} when no field is at fault
}

// fieldErrors collects validation messages keyed by JSON field name.
type fieldErrors map[string][]string

func (fe fieldErrors) add(field, msg string) {
	fe[field] = append(fe[field], msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only reachable through a programming error in this package.
		b = []byte(`{"status":500,"message":"internal error encoding the response","errors":{}}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg string, fe fieldErrors) {
	body := apiError{Status: status, Message: msg, Errors: map[string][]string{}}
	if len(fe) > 0 {
		body.Errors = fe
	}
	writeJSON(w, status, body)
}

func writeNoContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

// rejectQuery answers 400 when the request carries query parameters that the
// route does not define, and reports whether it did.
func rejectQuery(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.RawQuery == "" && !r.URL.ForceQuery {
		return false
	}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed query string", nil)
		return true
	}
	if len(q) == 0 {
		return false
	}
	fe := fieldErrors{}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fe.add(k, "unknown query parameter")
	}
	writeError(w, http.StatusBadRequest, "unknown query parameter", fe)
	return true
}
