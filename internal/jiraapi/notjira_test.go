package jiraapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/alignsim"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/jirasim"
)

func TestClassifyPeer(t *testing.T) {
	const base = "https://peer.example.com"
	alignBody := `{"status":401,"message":"missing or invalid API token","errors":{}}`
	html := func(title string) string {
		return "<!DOCTYPE html>\n<html><head><title>" + title + "</title></head><body>x</body></html>"
	}
	cases := []struct {
		name   string
		kind   peerEndpoint
		status int
		ct     string
		www    string
		body   string
		want   string // "" : may be Jira's
	}{
		{"Jira Align's 401 on the request-token servlet", endpointOAuth, 401, "application/json", `Bearer realm="Jira Align"`, alignBody,
			`^jira_url \("https://peer.example.com"\) does not look like a Jira: POST /p answered HTTP 401 with an error in Jira Align's format \("missing or invalid API token"\): that is how Jira Align answers, so jira_url is probably the Jira Align URL \(align_url\)\. Set jira_url to the base URL of Jira itself, with its context path if it has one`},
		{"Jira Align's 404 on a link", endpointRESTObject, 404, "application/json", "", `{"status":404,"message":"resource not found","errors":{}}`, `Jira Align's format \("resource not found"\)`},
		{"Jira Align's field errors", endpointREST, 400, "application/json", "", `{"status":400,"message":"bad","errors":{"name":["too long"]}}`, `Jira Align's format`},
		{"a 404 on the OAuth servlet", endpointOAuth, 404, "text/plain", "", "Not Found", `answered HTTP 404 with the message "Not Found", but every Jira serves that endpoint\. Set jira_url`},
		{"a 404 on the approval page", endpointApproval, 404, "text/html", "", html("Error 404"), `HTTP 404 with an HTML page titled "Error 404", but every Jira serves`},
		{"a 404 on myself", endpointREST, 404, "", "", "", `HTTP 404 with an empty body, but every Jira`},
		{"an HTML 404 on a link", endpointRESTObject, 404, "text/html; charset=utf-8", "", html("Page not found"), `HTTP 404 with an HTML page titled "Page not found", which Jira never sends there`},
		{"an HTML 200 from the request-token servlet", endpointOAuth, 200, "text/html", "", html("Welcome to nginx!"), `HTTP 200 with an HTML page titled "Welcome to nginx!"`},
		{"an HTML 401 on the applinks API", endpointREST, 401, "text/html", "", html("Sign in"), `HTTP 401 with an HTML page titled "Sign in"`},
		{"a Jira Align page on the approval", endpointApproval, 200, "text/html", "", html("Jira Align | Login"), `HTML page titled "Jira Align \| Login": that is how Jira Align answers`},
		{"an untitled HTML page without Content-Type", endpointREST, 403, "", "", "<html><body>no</body></html>", `HTTP 403 with an HTML page, which`},

		{"Jira's 404 for a link", endpointRESTObject, 404, "application/json", "", `{"status":404,"message":"no application link with id x"}`, ""},
		{"Jira's REST error", endpointREST, 400, "application/json", "", `{"errorMessages":["bad"],"errors":{"name":"taken"}}`, ""},
		{"Jira's REST error with a status", endpointREST, 400, "application/json", "", `{"status":400,"message":"m","errorMessages":[],"errors":{"a":["b"]}}`, ""},
		{"Jira's basic-auth 401", endpointApproval, 401, "text/plain", `Basic realm="protected-area"`, "authentication failed", ""},
		{"Jira's own HTML 401 page on the approval", endpointApproval, 401, "text/html", "", html("Unauthorized (401) - Jira"), ""},
		{"an SSO page on the approval", endpointApproval, 200, "text/html", "", html("Sign in"), ""},
		{"Jira's HTML error page on a servlet", endpointOAuth, 400, "text/html", "", html("Oops - JIRA"), ""},
		{"an oauth_problem", endpointOAuth, 401, "application/x-www-form-urlencoded", `OAuth realm="x", oauth_problem="token_rejected"`, "oauth_problem=token_rejected", ""},
		{"an oauth_problem in an HTML 404", endpointOAuth, 404, "text/html", "", "oauth_problem=consumer_key_unknown", ""},
		{"a proxy's 503 page", endpointREST, 503, "text/html", "", html("Service Unavailable"), ""},
		{"a 429", endpointOAuth, 429, "text/html", "", html("Too many"), ""},
		{"a redirect", endpointApproval, 302, "text/html", "", html("Moved"), ""},
		{"a 2xx JSON answer", endpointREST, 200, "application/json", "", `{"name":"x"}`, ""},
		{"a 2xx HTML answer from a link", endpointRESTObject, 200, "text/html", "", html("OK"), ""},
		{"a 2xx HTML answer to the approval", endpointApproval, 200, "text/html", "", html("Approve?"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.ct != "" {
				h.Set("Content-Type", c.ct)
			}
			if c.www != "" {
				h.Set("WWW-Authenticate", c.www)
			}
			nj := classifyPeer(base, c.kind, "POST", "/p", c.status, h, []byte(c.body))
			switch {
			case c.want == "" && nj != nil:
				t.Fatalf("classified as not a Jira: %v", nj)
			case c.want == "":
			case nj == nil:
				t.Fatalf("not classified; want %s", c.want)
			case !regexp.MustCompile(c.want).MatchString(nj.Error()):
				t.Fatalf("message %q\nwant it to match %s", nj.Error(), c.want)
			case !strings.HasPrefix(nj.Error(), `jira_url ("https://peer.example.com") does not look like a Jira: `):
				t.Fatalf("message %q does not start with jira_url", nj.Error())
			}
		})
	}
}

func TestClassifyPeerSanitizesWhatAnswered(t *testing.T) {
	h := http.Header{"Content-Type": {"text/html"}, "Server": {"evil\x1b[31m\nserver"}}
	body := "<html><title>" + strings.Repeat("t", 500) + "\u202e</title></html>"
	nj := classifyPeer("https://p", endpointREST, "GET", "/x", 401, h, []byte(body))
	if nj == nil {
		t.Fatal("not classified")
	}
	msg := nj.Error()
	if strings.ContainsAny(msg, "\x1b\n\u202e") || len(msg) > 600 {
		t.Errorf("unsanitized or uncapped: %q", msg)
	}
	if !strings.Contains(msg, "(Server: evil [31m server)") {
		t.Errorf("server header not reported: %q", msg)
	}
}

// Every call of the client, pointed at a Jira Align, fails with a NotJiraError that names
// jira_url, instead of blaming a credential; the same client pointed at the Jira simulator
// does not.
func TestEveryCallPointedAtJiraAlign(t *testing.T) {
	align := alignsim.New(alignsim.Options{APITokens: map[string]alignsim.Role{"t": alignsim.RoleAdmin}})
	srv := httptest.NewTLSServer(align.Handler())
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, newHTTPX(t, srv, 1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	consumer := testConsumer(t)
	calls := map[string]func() error{
		"handshake": func() error {
			_, err := c.Handshake(ctx, consumer, testApprover, "https://127.0.0.1/cb")
			return err
		},
		"approval": func() error { _, err := c.approve(ctx, consumer, testApprover, "rt"); return err },
		"access token": func() error {
			_, err := c.accessToken(ctx, consumer, "rt", "rs", "v")
			return err
		},
		"myself": func() error { _, err := c.Myself(ctx, consumer, "tok", "sec"); return err },
		"revoke": func() error { return c.Revoke(ctx, consumer, "tok", "sec") },
		"create link": func() error {
			_, err := c.CreateApplicationLink(ctx, testAdmin, ApplicationLink{Name: "n", RPCURL: "https://a.example.com"})
			return err
		},
		"list links":    func() error { _, err := c.ListApplicationLinks(ctx, testAdmin); return err },
		"read link":     func() error { _, err := c.GetApplicationLink(ctx, testAdmin, "abc"); return err },
		"read consumer": func() error { _, err := c.GetConsumer(ctx, testAdmin, "abc"); return err },
		"put consumer": func() error {
			return c.PutConsumer(ctx, testAdmin, "abc", Consumer{Key: "K", PublicKey: "x"})
		},
		"delete link": func() error { return c.DeleteApplicationLink(ctx, testAdmin, "abc") },
	}
	for name, call := range calls {
		err := call()
		var nj *NotJiraError
		if !errors.As(err, &nj) || !nj.Align {
			t.Errorf("%s: %v, want a NotJiraError naming Jira Align", name, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), `jira_url ("`+srv.URL+`") does not look like a Jira: `) || strings.Contains(err.Error(), "jira_password") {
			t.Errorf("%s: %v", name, err)
		}
		if IsNotFound(err) || IsTokenGone(err) {
			t.Errorf("%s: a peer that is not a Jira must never mean gone", name)
		}
	}

	// The simulator of Jira itself: its errors are Jira's.
	e := newSimEnv(t, jirasim.Options{})
	if _, err := e.client.GetApplicationLink(ctx, testAdmin, "no-such-link"); !IsNotFound(err) || IsNotJira(err) {
		t.Errorf("a missing link in Jira: %v, want not found", err)
	}
	if _, err := e.client.ListApplicationLinks(ctx, BasicAuth{Username: adminName, Password: "wrong"}); IsNotJira(err) || !strings.Contains(fmtErr(err), "jira_password") {
		t.Errorf("bad credentials in Jira: %v", err)
	}
	if err := e.client.Revoke(ctx, consumer, "unknown", "s"); err != nil {
		t.Errorf("revoking an unknown token in Jira: %v, want already gone", err)
	}
}

// A Jira whose URL lacks its context path answers 404 (and the simulator an HTML-less text) on
// the OAuth servlets: the error says jira_url and the context path.
func TestMissingContextPath(t *testing.T) {
	sim := jirasim.New(jirasim.Options{ContextPath: "/jira", Users: map[string]jirasim.User{approverName: {Password: approverPassword, Active: true}}})
	srv := httptest.NewTLSServer(sim.Handler())
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, newHTTPX(t, srv, 1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Handshake(context.Background(), testConsumer(t), testApprover, "https://127.0.0.1/cb")
	if !IsNotJira(err) || !strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), "context path") {
		t.Errorf("handshake: %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzClassifyPeer: whatever a peer answers, the classification never panics, and a NotJiraError
// is a short, printable, single-line message starting with jira_url.
func FuzzClassifyPeer(f *testing.F) {
	f.Add(401, "application/json", `{"status":401,"message":"missing or invalid API token","errors":{}}`)
	f.Add(404, "text/html", "<!DOCTYPE html><html><head><TITLE>İİİ Not Found</title></head></html>")
	f.Add(200, "", "<html><title>")
	f.Add(403, "text/html", "<html><title>\x1b[31m\u202e</title>")
	f.Add(404, "application/json", `{"status":404,"message":"x"}`)
	f.Fuzz(func(t *testing.T, status int, contentType, body string) {
		h := http.Header{"Content-Type": {contentType}, "Server": {contentType}}
		for kind := endpointOAuth; kind <= endpointRESTObject; kind++ {
			nj := classifyPeer("https://jira.example.com", kind, "GET", "/x", status, h, []byte(body))
			if nj == nil {
				continue
			}
			msg := nj.Error()
			if !strings.HasPrefix(msg, `jira_url ("https://jira.example.com") does not look like a Jira: `) ||
				strings.ContainsAny(msg, "\r\n\x1b") || len(msg) > 1200 {
				t.Fatalf("message %q", msg)
			}
		}
	})
}
