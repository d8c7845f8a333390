package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/alignsim"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/jirasim"
)

func newTestSims(t *testing.T) (*sims, *httptest.Server) {
	t.Helper()
	s := &sims{
		align:      alignsim.New(alignsim.Options{APITokens: map[string]alignsim.Role{"tok": alignsim.RoleAdmin}}),
		alignToken: "tok",
		jira:       jirasim.New(jirasim.Options{}),
	}
	srv := httptest.NewServer(s.control())
	t.Cleanup(srv.Close)
	return s, srv
}

func post(t *testing.T, rawURL, body string) (int, []byte) {
	t.Helper()
	res, err := http.Post(rawURL, "application/json", strings.NewReader(body)) //nolint:noctx // loopback test server
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// -h lists every call the control API serves, and every call it lists is served.
func TestHelpListsTheControlAPI(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseFlags([]string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseFlags(-h) = %v, want flag.ErrHelp", err)
	}
	help := out.String()
	for _, want := range []string{"-env-file", "-token-lifetime", "Control API", "SIM_CONTROL_URL"} {
		if !strings.Contains(help, want) {
			t.Errorf("-h does not mention %q:\n%s", want, help)
		}
	}
	listed := regexp.MustCompile(`(?m)^  (GET|POST) (/\S+)$`).FindAllStringSubmatch(help, -1)
	if len(listed) != len(controlRoutes) {
		t.Fatalf("-h lists %d control calls, the API has %d:\n%s", len(listed), len(controlRoutes), help)
	}
	_, srv := newTestSims(t)
	listed = append(listed, []string{"", http.MethodPost, "/align/unlisted"})
	for i, m := range listed {
		req, err := http.NewRequest(m[1], srv.URL+m[2], nil) //nolint:noctx // loopback test server
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		// The mux's own answers for an unknown path or method (a handler may answer 404 for an
		// unknown connector id).
		served := res.StatusCode != http.StatusMethodNotAllowed && string(b) != "404 page not found\n"
		switch {
		case i == len(listed)-1 && served: // the check itself: an unlisted call is not served
			t.Errorf("%s %s is served: HTTP %d %s", m[1], m[2], res.StatusCode, b)
		case i < len(listed)-1 && !served:
			t.Errorf("-h lists %s %s, the control API does not serve it: HTTP %d %s", m[1], m[2], res.StatusCode, b)
		}
	}
	for _, must := range []string{"POST /align/create", "POST /align/edit", "POST /align/delete", "POST /jira/revoke-all", "GET /state"} {
		if !strings.Contains(help, "  "+must+"\n") {
			t.Errorf("-h does not list %s", must)
		}
	}
}

// POST /align/create makes a connector that the connector API then shows, as if made in the
// Jira Align UI; what the API refuses, the control call refuses with the API's answer.
func TestControlCreateConnector(t *testing.T) {
	s, srv := newTestSims(t)

	code, body := post(t, srv.URL+"/align/create?name=jira-prod&password=s3cret", "")
	if code != http.StatusCreated {
		t.Fatalf("create: HTTP %d %s", code, body)
	}
	var out struct {
		ID       int    `json:"id"`
		Name     string `json:"name"`
		AuthType string `json:"authType"`
		JiraType int    `json:"jiraType"`
		Username string `json:"username"`
		Password *string
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("create answer %s: %v", body, err)
	}
	if out.ID == 0 || out.Name != "jira-prod" || out.AuthType != "basic" || out.JiraType != 2 || out.Username != "svc-align" || out.Password != nil {
		t.Errorf("create answered %s", body)
	}
	stored, ok := s.align.Connector(out.ID)
	if !ok || stored.Name != "jira-prod" || stored.Password != "s3cret" || stored.JiraURL != "https://jira.example.com" || stored.CredentialVersion != 1 {
		t.Errorf("the simulator holds %+v (found %v)", stored, ok)
	}

	// The connector API finds it by name, as an import by name would.
	q := url.Values{"$top": {"100"}, "$skip": {"0"}, "$filter": {"name eq 'jira-prod'"}}
	api := httptest.NewServer(s.align.Handler())
	t.Cleanup(api.Close)
	req, err := http.NewRequest(http.MethodGet, api.URL+"/rest/align/api/2/Connectors?"+strings.ReplaceAll(q.Encode(), "+", "%20"), nil) //nolint:noctx // loopback test server
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "bearer tok")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	listBody, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	var list []struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(listBody, &list); err != nil || res.StatusCode != http.StatusOK || len(list) != 1 || list[0].ID != out.ID {
		t.Errorf("list by name: HTTP %d %s (%v)", res.StatusCode, listBody, err)
	}

	// A JSON body in the connector API's input form, here a Jira Cloud connector.
	code, body = post(t, srv.URL+"/align/create",
		`{"name":"jira-cloud","jiraUrl":"https://example.atlassian.net","jiraType":1,"authType":"basic","username":"svc@example.com","password":"tok"}`)
	if code != http.StatusCreated || !strings.Contains(string(body), `"jiraType": 1`) && !strings.Contains(string(body), `"jiraType":1`) {
		t.Errorf("create from JSON: HTTP %d %s", code, body)
	}

	for _, tc := range []struct {
		name, query string
		want        int
		wantBody    string
	}{
		{"name taken (case-insensitive)", "name=JIRA-PROD&password=x", http.StatusConflict, "name"},
		{"no password", "name=other", http.StatusBadRequest, "password"},
		{"no name", "password=x", http.StatusBadRequest, "name"},
		{"bad jira_type", "name=other&password=x&jira_type=server", http.StatusBadRequest, "jira_type"},
		{"http URL, not loopback", "name=other&password=x&jira_url=" + url.QueryEscape("http://jira.example.com"), http.StatusBadRequest, "jiraUrl"},
	} {
		code, body := post(t, srv.URL+"/align/create?"+tc.query, "")
		if code != tc.want || !strings.Contains(string(body), tc.wantBody) {
			t.Errorf("%s: HTTP %d %s, want %d naming %s", tc.name, code, body, tc.want, tc.wantBody)
		}
	}
	if n := len(s.align.Connectors()); n != 2 {
		t.Errorf("the simulator holds %d connectors, want 2", n)
	}

	// GET /state shows both, without secrets.
	res, err = http.Get(srv.URL + "/state") //nolint:noctx // loopback test server
	if err != nil {
		t.Fatal(err)
	}
	stateBody, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if !strings.Contains(string(stateBody), "jira-prod") || !strings.Contains(string(stateBody), "jira-cloud") || strings.Contains(string(stateBody), "s3cret") {
		t.Errorf("state: %s", stateBody)
	}
}
