package alignsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"testing"
)

func mappingsPath(id int) string { return connectorPath(id) + "/TeamMappings" }

func (r response) mapping(t *testing.T) mappingOutput {
	t.Helper()
	var out mappingOutput
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decoding mapping: %v: %s", err, r.body)
	}
	return out
}

func (r response) mappings(t *testing.T) []mappingOutput {
	t.Helper()
	var out []mappingOutput
	if err := json.Unmarshal(r.body, &out); err != nil || out == nil {
		t.Fatalf("decoding mapping list: %v: %s", err, r.body)
	}
	return out
}

func mappingInput(teamID int, ext string) map[string]any {
	return map[string]any{"teamId": teamID, "externalTeamId": ext, "externalTeamName": "Team " + ext, "externalTeamTypeId": 2}
}

func TestTeamMappingsCRUD(t *testing.T) {
	e := newEnv(t)
	c := e.create(basicInput("tm"))
	other := e.create(basicInput("tm-other"))

	r := e.do(http.MethodGet, mappingsPath(c.ID), adminToken, nil)
	e.wantStatus(r, http.StatusOK)
	if len(r.mappings(t)) != 0 {
		t.Fatalf("new connector has mappings: %s", r.body)
	}

	r = e.do(http.MethodPost, mappingsPath(c.ID), adminToken, mappingInput(7, "10001"))
	e.wantStatus(r, http.StatusCreated)
	m1 := r.mapping(t)
	want := mappingOutput{ID: m1.ID, TeamID: 7, ExternalTeamID: "10001", ExternalTeamName: "Team 10001", ExternalTeamTypeID: 2}
	if m1 != want || m1.ID <= 0 {
		t.Fatalf("created %+v, want %+v", m1, want)
	}
	if loc := r.header.Get("Location"); loc != mappingsPath(c.ID)+"/"+strconv.Itoa(m1.ID) {
		t.Fatalf("Location %q", loc)
	}
	m2 := e.do(http.MethodPost, mappingsPath(c.ID), adminToken, mappingInput(8, "10002")).mapping(t)
	mo := e.do(http.MethodPost, mappingsPath(other.ID), adminToken, mappingInput(9, "20001")).mapping(t)
	if m2.ID == m1.ID || mo.ID == m1.ID || mo.ID == m2.ID {
		t.Fatalf("mapping ids not unique: %d %d %d", m1.ID, m2.ID, mo.ID)
	}

	// List is per connector, sorted by id.
	r = e.do(http.MethodGet, mappingsPath(c.ID), adminToken, nil)
	if got := r.mappings(t); !reflect.DeepEqual(got, []mappingOutput{m1, m2}) {
		t.Fatalf("list %+v", got)
	}

	// Read.
	r = e.do(http.MethodGet, mappingsPath(c.ID)+"/"+strconv.Itoa(m1.ID), adminToken, nil)
	e.wantStatus(r, http.StatusOK)
	if got := r.mapping(t); got != m1 {
		t.Fatalf("read %+v", got)
	}
	// A mapping is only reachable under its own connector.
	e.wantStatus(e.do(http.MethodGet, mappingsPath(other.ID)+"/"+strconv.Itoa(m1.ID), adminToken, nil), http.StatusNotFound)
	e.wantStatus(e.do(http.MethodPut, mappingsPath(other.ID)+"/"+strconv.Itoa(m1.ID), adminToken, mappingInput(1, "x")), http.StatusNotFound)
	e.wantStatus(e.do(http.MethodDelete, mappingsPath(other.ID)+"/"+strconv.Itoa(m1.ID), adminToken, nil), http.StatusNotFound)

	// Update replaces the mapping; externalTeamName is optional.
	r = e.do(http.MethodPut, mappingsPath(c.ID)+"/"+strconv.Itoa(m1.ID), adminToken,
		map[string]any{"teamId": 70, "externalTeamId": "abc", "externalTeamTypeId": 1})
	e.wantStatus(r, http.StatusOK)
	want = mappingOutput{ID: m1.ID, TeamID: 70, ExternalTeamID: "abc", ExternalTeamName: "", ExternalTeamTypeID: 1}
	if got := r.mapping(t); got != want {
		t.Fatalf("updated %+v, want %+v", got, want)
	}
	if got := e.do(http.MethodGet, mappingsPath(c.ID)+"/"+strconv.Itoa(m1.ID), adminToken, nil).mapping(t); got != want {
		t.Fatalf("re-read %+v", got)
	}
	e.wantStatus(e.do(http.MethodPut, mappingsPath(c.ID)+"/999", adminToken, mappingInput(1, "x")), http.StatusNotFound)

	// Delete.
	e.wantStatus(e.do(http.MethodDelete, mappingsPath(c.ID)+"/"+strconv.Itoa(m1.ID), adminToken, nil), http.StatusNoContent)
	e.wantStatus(e.do(http.MethodDelete, mappingsPath(c.ID)+"/"+strconv.Itoa(m1.ID), adminToken, nil), http.StatusNotFound)
	e.wantStatus(e.do(http.MethodGet, mappingsPath(c.ID)+"/"+strconv.Itoa(m1.ID), adminToken, nil), http.StatusNotFound)
	if got := e.do(http.MethodGet, mappingsPath(c.ID), adminToken, nil).mappings(t); !reflect.DeepEqual(got, []mappingOutput{m2}) {
		t.Fatalf("list after delete %+v", got)
	}

	// Missing connector: 404 everywhere.
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, mappingsPath(999), nil},
		{http.MethodPost, mappingsPath(999), mappingInput(1, "x")},
		{http.MethodGet, mappingsPath(999) + "/" + strconv.Itoa(m2.ID), nil},
		{http.MethodPut, mappingsPath(999) + "/" + strconv.Itoa(m2.ID), mappingInput(1, "x")},
		{http.MethodDelete, mappingsPath(999) + "/" + strconv.Itoa(m2.ID), nil},
	} {
		r := e.do(tc.method, tc.path, adminToken, tc.body)
		if r.status != http.StatusNotFound {
			t.Errorf("%s %s: status %d, want 404", tc.method, tc.path, r.status)
		}
	}

	// Mappings are deleted with their connector, through the API ...
	e.wantStatus(e.do(http.MethodDelete, connectorPath(c.ID), adminToken, nil), http.StatusNoContent)
	e.wantStatus(e.do(http.MethodGet, mappingsPath(c.ID), adminToken, nil), http.StatusNotFound)
	e.wantStatus(e.do(http.MethodGet, mappingsPath(c.ID)+"/"+strconv.Itoa(m2.ID), adminToken, nil), http.StatusNotFound)
	// ... and out of band.
	if !e.sim.DeleteConnector(other.ID) {
		t.Fatal("DeleteConnector(other) = false")
	}
	e.sim.mu.Lock()
	left := len(e.sim.mappings)
	e.sim.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d mappings survived their connectors", left)
	}
}

func TestTeamMappingValidation(t *testing.T) {
	e := newEnv(t)
	c := e.create(basicInput("tmv"))
	m := e.do(http.MethodPost, mappingsPath(c.ID), adminToken, mappingInput(1, "x")).mapping(t)
	valid := mappingInput(1, "x")

	for _, tc := range []struct {
		name string
		body map[string]any
		keys []string
	}{
		{"teamId missing", without(valid, "teamId"), []string{"teamId"}},
		{"teamId 0", with(valid, "teamId", 0), []string{"teamId"}},
		{"teamId negative", with(valid, "teamId", -3), []string{"teamId"}},
		{"teamId string", with(valid, "teamId", "1"), []string{"teamId"}},
		{"teamId fraction", with(valid, "teamId", 1.5), []string{"teamId"}},
		{"externalTeamId missing", without(valid, "externalTeamId"), []string{"externalTeamId"}},
		{"externalTeamId empty", with(valid, "externalTeamId", ""), []string{"externalTeamId"}},
		{"externalTeamId number", with(valid, "externalTeamId", 10001), []string{"externalTeamId"}},
		{"externalTeamName number", with(valid, "externalTeamName", 5), []string{"externalTeamName"}},
		{"externalTeamTypeId missing", without(valid, "externalTeamTypeId"), []string{"externalTeamTypeId"}},
		{"externalTeamTypeId 0", with(valid, "externalTeamTypeId", 0), []string{"externalTeamTypeId"}},
		{"externalTeamTypeId 3", with(valid, "externalTeamTypeId", 3), []string{"externalTeamTypeId"}},
		{"unknown member", with(valid, "id", 5), []string{"id"}},
		{"unknown connectorId", with(valid, "connectorId", 5), []string{"connectorId"}},
		{"all at once", map[string]any{"teamId": 0, "externalTeamId": "", "externalTeamTypeId": 9},
			[]string{"externalTeamId", "externalTeamTypeId", "teamId"}},
	} {
		for _, req := range []struct{ method, path string }{
			{http.MethodPost, mappingsPath(c.ID)},
			{http.MethodPut, mappingsPath(c.ID) + "/" + strconv.Itoa(m.ID)},
		} {
			r := e.do(req.method, req.path, adminToken, tc.body)
			if r.status != http.StatusBadRequest {
				t.Errorf("%s %s: status %d, want 400", req.method, tc.name, r.status)
				continue
			}
			if keys := r.errorKeys(t); !reflect.DeepEqual(keys, tc.keys) {
				t.Errorf("%s %s: error keys %v, want %v", req.method, tc.name, keys, tc.keys)
			}
		}
	}
	e.wantStatus(e.doRaw(request{method: http.MethodPost, path: mappingsPath(c.ID), auth: "Bearer " + adminToken,
		contentType: "application/json", body: []byte(`{"teamId":1`)}), http.StatusBadRequest)
	e.wantStatus(e.doRaw(request{method: http.MethodPost, path: mappingsPath(c.ID), auth: "Bearer " + adminToken,
		body: []byte(`{"teamId":1,"externalTeamId":"x","externalTeamTypeId":1}`)}), http.StatusUnsupportedMediaType)

	if got := e.do(http.MethodGet, mappingsPath(c.ID), adminToken, nil).mappings(t); !reflect.DeepEqual(got, []mappingOutput{m}) {
		t.Fatalf("rejected requests changed mappings: %+v", got)
	}
}
