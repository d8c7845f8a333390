package alignsim

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestConnectorsHookSortedCopies(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"a", "b", "c"} {
		e.create(oauthInput(t, n))
	}
	e.wantStatus(e.do(http.MethodDelete, connectorPath(2), adminToken, nil), http.StatusNoContent)
	e.create(basicInput("d"))

	all := e.sim.Connectors()
	if len(all) != 3 || all[0].ID != 1 || all[1].ID != 3 || all[2].ID != 4 {
		t.Fatalf("Connectors() ids: %+v", all)
	}
	if all[0].Name != "a" || all[2].AuthType != "basic" || all[2].Password != secretPassword {
		t.Fatalf("Connectors() content: %+v", all)
	}

	// Mutating the returned values does not touch the server.
	all[0].Name = "mutated"
	*all[0].AccessTokenExpiresAt = time.Time{}
	c, ok := e.sim.Connector(1)
	if !ok || c.Name != "a" || c.AccessTokenExpiresAt == nil || c.AccessTokenExpiresAt.IsZero() {
		t.Fatalf("server state changed through a returned copy: %+v", c)
	}
	*c.AccessTokenExpiresAt = time.Time{}
	if c2, _ := e.sim.Connector(1); c2.AccessTokenExpiresAt.IsZero() {
		t.Fatal("Connector() shares the expiry pointer")
	}

	if _, ok := e.sim.Connector(2); ok {
		t.Fatal("Connector(2) found a deleted connector")
	}
	if got := New(Options{}).Connectors(); got == nil || len(got) != 0 {
		t.Fatalf("empty server Connectors() = %#v", got)
	}
}

func TestEditConnectorHook(t *testing.T) {
	e := newEnv(t)
	c := e.create(oauthInput(t, "edit"))

	if err := e.sim.EditConnector(42, func(*StoredConnector) {}); err == nil {
		t.Fatal("EditConnector on a missing connector succeeded")
	}

	e.sim.Advance(time.Hour)
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	err := e.sim.EditConnector(c.ID, func(sc *StoredConnector) {
		sc.ID = 999 // ignored
		sc.Name = "edited"
		sc.AccessToken = secretAT2
		sc.AccessTokenExpiresAt = &exp
	})
	if err != nil {
		t.Fatal(err)
	}
	exp = time.Time{} // the server kept its own copy

	sc, ok := e.sim.Connector(c.ID)
	if !ok || sc.ID != c.ID || sc.Name != "edited" || sc.AccessToken != secretAT2 || sc.CredentialVersion != 2 ||
		!sc.UpdatedAt.Equal(time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)) ||
		sc.AccessTokenExpiresAt == nil || !sc.AccessTokenExpiresAt.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("after edit: %+v", sc)
	}
	if _, ok := e.sim.Connector(999); ok {
		t.Fatal("EditConnector changed the id")
	}

	// The API shows the edit.
	out := e.do(http.MethodGet, connectorPath(c.ID), adminToken, nil).connector(t)
	if out.Name != "edited" || out.CredentialVersion != 2 || out.UpdatedAt != "2026-11-27T23:00:00Z" ||
		out.AccessTokenExpiresAt == nil || *out.AccessTokenExpiresAt != "2030-01-02T03:04:05Z" {
		t.Fatalf("API after edit: %+v", out)
	}

	// Replacing the key changes the fingerprint and bumps the version.
	k := getKeys(t)
	if err := e.sim.EditConnector(c.ID, func(sc *StoredConnector) { sc.PrivateKeyPEM = k.pkcs1b }); err != nil {
		t.Fatal(err)
	}
	out = e.do(http.MethodGet, connectorPath(c.ID), adminToken, nil).connector(t)
	if out.CredentialVersion != 3 || out.PublicKeyFingerprint == nil || *out.PublicKeyFingerprint != independentFingerprint(t, &k.key2.PublicKey) {
		t.Fatalf("after key edit: %+v", out)
	}
	// A key that no longer parses has no fingerprint.
	if err := e.sim.EditConnector(c.ID, func(sc *StoredConnector) { sc.PrivateKeyPEM = "broken" }); err != nil {
		t.Fatal(err)
	}
	out = e.do(http.MethodGet, connectorPath(c.ID), adminToken, nil).connector(t)
	if out.CredentialVersion != 4 || out.PublicKeyFingerprint != nil {
		t.Fatalf("after broken key edit: %+v", out)
	}

	// An edit that changes nothing secret still moves updatedAt, not the version.
	e.sim.Advance(time.Minute)
	if err := e.sim.EditConnector(c.ID, nil); err != nil {
		t.Fatal(err)
	}
	if sc, _ := e.sim.Connector(c.ID); sc.CredentialVersion != 4 || !sc.UpdatedAt.Equal(time.Date(2026, 11, 27, 23, 1, 0, 0, time.UTC)) {
		t.Fatalf("after no-op edit: %+v", sc)
	}
	// Each secret field counts.
	for i, edit := range []func(*StoredConnector){
		func(sc *StoredConnector) { sc.Password = "x" },
		func(sc *StoredConnector) { sc.PrivateKeyPEM = k.pkcs1 },
		func(sc *StoredConnector) { sc.AccessToken = "y" },
		func(sc *StoredConnector) { sc.AccessTokenSecret = "z" },
	} {
		if err := e.sim.EditConnector(c.ID, edit); err != nil {
			t.Fatal(err)
		}
		if sc, _ := e.sim.Connector(c.ID); sc.CredentialVersion != 5+i {
			t.Fatalf("edit %d: credentialVersion %d, want %d", i, sc.CredentialVersion, 5+i)
		}
	}
}

func TestDeleteConnectorHook(t *testing.T) {
	e := newEnv(t)
	c := e.create(basicInput("del"))
	if e.sim.DeleteConnector(c.ID + 1) {
		t.Fatal("DeleteConnector of a missing connector returned true")
	}
	if !e.sim.DeleteConnector(c.ID) {
		t.Fatal("DeleteConnector returned false")
	}
	if e.sim.DeleteConnector(c.ID) {
		t.Fatal("second DeleteConnector returned true")
	}
	e.wantStatus(e.do(http.MethodGet, connectorPath(c.ID), adminToken, nil), http.StatusNotFound)
	e.wantStatus(e.do(http.MethodDelete, connectorPath(c.ID), adminToken, nil), http.StatusNotFound)
	// The name is free again.
	e.create(basicInput("del"))
}

func TestAdvanceAndDefaultClock(t *testing.T) {
	e := newEnv(t)
	e.sim.Advance(36 * time.Hour)
	e.sim.Advance(-time.Hour)
	if got := e.create(basicInput("t")).UpdatedAt; got != "2026-11-29T09:00:00Z" {
		t.Fatalf("updatedAt %s", got)
	}

	// Without Options.Now the wall clock is used.
	sim := New(Options{APITokens: map[string]Role{adminToken: RoleAdmin}})
	before := time.Now().UTC().Truncate(time.Second)
	sim.mu.Lock()
	now := sim.nowLocked()
	sim.mu.Unlock()
	if now.Before(before) || now.After(time.Now().Add(time.Second)) || now.Location() != time.UTC || now.Nanosecond() != 0 {
		t.Fatalf("default clock %v (before %v)", now, before)
	}
}

func TestAddConnectorHook(t *testing.T) {
	e := newEnv(t)
	e.create(basicInput("first"))

	c, err := e.sim.AddConnector(StoredConnector{
		Name: "By Hand", JiraURL: "https://jira.example.com", JiraType: 2,
		AuthType: "basic", Username: "svc-align", Password: secretPassword,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != 2 || c.CredentialVersion != 1 || !c.UpdatedAt.Equal(baseTime.Truncate(time.Second)) || c.Password != secretPassword {
		t.Fatalf("added %+v", c)
	}
	// The API lists it like any other connector.
	r := e.do(http.MethodGet, connectorsPath+"?$filter=name%20eq%20'by%20hand'", adminToken, nil)
	e.wantStatus(r, http.StatusOK)
	if !strings.Contains(string(r.body), `"name":"By Hand"`) || !strings.Contains(string(r.body), `"id":2`) {
		t.Fatalf("list by name: %s", r.body)
	}

	for name, bad := range map[string]StoredConnector{
		"name taken, other case": {Name: "FIRST", JiraURL: "https://jira.example.com", JiraType: 2, AuthType: "basic", Username: "u", Password: "p"},
		"no password":            {Name: "x", JiraURL: "https://jira.example.com", JiraType: 2, AuthType: "basic", Username: "u"},
		"http jira url":          {Name: "y", JiraURL: "http://jira.example.com", JiraType: 2, AuthType: "basic", Username: "u", Password: "p"},
		"basic with a key":       {Name: "z", JiraURL: "https://jira.example.com", JiraType: 2, AuthType: "basic", Username: "u", Password: "p", ConsumerKey: "K"},
		"oauth1 without token":   {Name: "w", JiraURL: "https://jira.example.com", JiraType: 2, AuthType: "oauth1", ConsumerKey: "K", PrivateKeyPEM: getKeys(t).pkcs1},
	} {
		if _, err := e.sim.AddConnector(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := len(e.sim.Connectors()); n != 2 {
		t.Fatalf("%d connectors after the refused additions, want 2", n)
	}
	next := e.create(basicInput("after"))
	if next.ID != 3 {
		t.Fatalf("the API's next id is %d, want 3", next.ID)
	}
}

func TestUserAgents(t *testing.T) {
	s := New(Options{APITokens: map[string]Role{"t": RoleAdmin}})
	if s.LastUserAgent() != "" || len(s.UserAgents()) != 0 {
		t.Fatal("a new server reports User-Agents")
	}
	send := func(ua, path string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer t")
		if ua == "" {
			req.Header.Del("User-Agent")
		} else {
			req.Header.Set("User-Agent", ua)
		}
		s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	}
	send("a/1", "/rest/align/api/2/Connectors")
	send("a/1", "/rest/align/api/2/Unknown") // unknown paths count too
	send("", "/rest/align/api/2/Connectors")
	send("b/2", "/rest/align/api/2/Connectors/1")
	if got, want := s.UserAgents(), map[string]int64{"a/1": 2, "": 1, "b/2": 1}; !maps.Equal(got, want) {
		t.Fatalf("UserAgents = %v, want %v", got, want)
	}
	if got := s.LastUserAgent(); got != "b/2" {
		t.Fatalf("LastUserAgent = %q, want b/2", got)
	}
	s.UserAgents()["a/1"] = 100
	if s.UserAgents()["a/1"] != 2 {
		t.Fatal("UserAgents returned the internal map")
	}
}
