// Command simulators runs the Jira and Jira Align simulators standalone on loopback, for the demo,
// the benchmark and manual exploration:
//
//	go run ./internal/testing/cmd/simulators -env-file sims.env
//
// It prints (and writes to -env-file) the environment variables that point the provider at them,
// and serves a control API on its own port for out-of-band actions that a person would otherwise
// do in the Jira or Jira Align UI. `simulators -h` lists the flags and the control API (the
// controlRoutes table below).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/alignsim"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/jirasim"
)

type counted struct {
	conns atomic.Int64
}

// options are the command's flags.
type options struct {
	host, envFile, contextPath     string
	alignToken, adminPass, svcPass string
	tokenLife                      time.Duration
}

// parseFlags parses args (without the program name); -h writes usage to out and returns
// flag.ErrHelp.
func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("simulators", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.host, "host", "127.0.0.1", "loopback address to listen on")
	fs.StringVar(&o.envFile, "env-file", "", "write the provider's environment variables here")
	fs.StringVar(&o.contextPath, "jira-context-path", "/jira", "Jira context path")
	fs.StringVar(&o.alignToken, "align-token", "", "Jira Align API token (random when empty)")
	fs.StringVar(&o.adminPass, "jira-admin-password", "", "password of Jira user jira-admin (random when empty)")
	fs.StringVar(&o.svcPass, "jira-service-password", "", "password of Jira user svc-align (random when empty)")
	fs.DurationVar(&o.tokenLife, "token-lifetime", 0, "access-token lifetime (0: Jira's 5 years)")
	fs.Usage = func() { usage(out, fs) }
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2)
	}
	if ip := net.ParseIP(o.host); o.host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Fatalf("-host %q is not a loopback address", o.host)
	}
	pick := func(v, prefix string) string {
		if v != "" {
			return v
		}
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			log.Fatal(err)
		}
		return prefix + hex.EncodeToString(b)
	}
	token, admin, svc := pick(o.alignToken, "align-"), pick(o.adminPass, "admin-"), pick(o.svcPass, "svc-")

	s := &sims{
		align:      alignsim.New(alignsim.Options{APITokens: map[string]alignsim.Role{token: alignsim.RoleAdmin}}),
		alignToken: token,
		jira: jirasim.New(jirasim.Options{
			ContextPath:   o.contextPath,
			TokenLifetime: o.tokenLife,
			Users: map[string]jirasim.User{
				"jira-admin": {Password: admin, Admin: true, DisplayName: "Jira Admin", Email: "admin@example.com", Active: true},
				"svc-align":  {Password: svc, DisplayName: "Jira Align service account", Email: "svc-align@example.com", Active: true},
			},
		}),
	}
	alignURL := serve(o.host, s.align.Handler(), &s.alignC)
	jiraURL := serve(o.host, s.jira.Handler(), &s.jiraC) + o.contextPath
	controlURL := serve(o.host, s.control(), &counted{})

	env := fmt.Sprintf("JIRA_ALIGN_URL=%s\nJIRA_ALIGN_API_TOKEN=%s\nJIRA_URL=%s\nJIRA_USERNAME=jira-admin\nJIRA_PASSWORD=%s\nJIRA_SERVICE_USERNAME=svc-align\nJIRA_SERVICE_PASSWORD=%s\nSIM_CONTROL_URL=%s\n",
		alignURL, token, jiraURL, admin, svc, controlURL)
	if o.envFile != "" {
		if err := os.WriteFile(o.envFile, []byte(env), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("Jira Align simulator: %s", alignURL)
	log.Printf("Jira simulator:       %s", jiraURL)
	log.Printf("control API:          %s (simulators -h lists its calls)", controlURL)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}

// usage is the -h text: what the command does, its flags and the control API.
func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, `Usage: simulators [flags]

Runs the Jira and Jira Align simulators on loopback, prints the environment variables that point
the provider at them (JIRA_ALIGN_URL, JIRA_ALIGN_API_TOKEN, JIRA_URL, JIRA_USERNAME, JIRA_PASSWORD,
JIRA_SERVICE_USERNAME, JIRA_SERVICE_PASSWORD) and the control API's URL (SIM_CONTROL_URL), and
runs until interrupted.

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nControl API (on SIM_CONTROL_URL; actions a person would take in the Jira or Jira Align UI):\n\n")
	for _, rt := range controlRoutes {
		fmt.Fprintf(w, "  %s\n", rt.pattern)
		for _, line := range strings.Split(rt.help, "\n") {
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
	fmt.Fprintf(w, `
Example, to practise adoption (terraform import by name):

  curl -X POST "$SIM_CONTROL_URL/align/create?name=jira-prod&password=s3cret"
  terraform import jira_align_connector.prod jira-prod
`)
}

// sims is the running pair of simulators behind the control API.
type sims struct {
	align         *alignsim.Server
	alignToken    string
	jira          *jirasim.Server
	alignC, jiraC counted
}

// controlRoute is one call of the control API: its mux pattern, its -h text and its handler.
type controlRoute struct {
	pattern string
	help    string
	handle  func(s *sims, w http.ResponseWriter, r *http.Request)
}

// controlRoutes is the control API, in the order -h lists it.
var controlRoutes = []controlRoute{
	{"GET /state", "what both simulators hold (connectors, application links, live access tokens;\nno secrets) request/connection counts, and how many requests came with each User-Agent, as JSON", (*sims).state},
	{"POST /align/create", "create a connector as the Jira Align UI would (to practise adoption). Query: name\n(required), jira_url (default https://jira.example.com), jira_type (cloud or\ndata_center, default data_center), username (default svc-align), password (required):\na basic-auth connector. Or a JSON body in the connector API's input form (any auth).\nAnswers what POST /Connectors answers: 201 and the connector, 400, 409 on a taken name.\nIt goes through the connector API, so it counts as one POST /Connectors request.", (*sims).createConnector},
	{"POST /align/edit", "edit a connector as the Jira Align UI would. Query: id (required), name, password\n(a new password moves credentialVersion)", (*sims).editConnector},
	{"POST /align/delete", "delete a connector as the Jira Align UI would. Query: id", (*sims).deleteConnector},
	{"POST /jira/revoke-all", `revoke every live access token ("View OAuth Access Tokens > Revoke")`, (*sims).revokeAll},
	{"POST /jira/advance", "move the Jira clock. Query: by (a Go duration, e.g. 1h)", (*sims).advance},
	{"POST /reset-counters", "zero the connection counters", (*sims).resetCounters},
}

// control is the control API's handler.
func (s *sims) control() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range controlRoutes {
		mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) { rt.handle(s, w, r) })
	}
	return mux
}

func (s *sims) state(w http.ResponseWriter, _ *http.Request) {
	conns := s.align.Connectors()
	for i := range conns { // never show secrets, even from a simulator
		conns[i].Password, conns[i].PrivateKeyPEM, conns[i].AccessToken, conns[i].AccessTokenSecret = "", "", "", ""
	}
	live := s.jira.LiveTokens()
	for i := range live {
		live[i].Token = ""
	}
	writeJSON(w, map[string]any{
		"connectors": conns, "links": s.jira.Links(), "live_tokens": live,
		"align_requests": s.align.RequestCounts(), "jira_requests": s.jira.RequestCounts(),
		"align_total": s.align.TotalRequests(), "jira_total": s.jira.TotalRequests(),
		"align_connections": s.alignC.conns.Load(), "jira_connections": s.jiraC.conns.Load(),
		"align_user_agents": s.align.UserAgents(), "jira_user_agents": s.jira.UserAgents(),
	})
}

// jiraTypes maps the provider's jira_type values to the connector API's jiraType.
var jiraTypes = map[string]int{"cloud": 1, "data_center": 2}

func (s *sims) createConnector(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		q := r.URL.Query()
		get := func(k, def string) string {
			if v := q.Get(k); v != "" {
				return v
			}
			return def
		}
		jt, ok := jiraTypes[get("jira_type", "data_center")]
		if !ok {
			http.Error(w, "jira_type: cloud or data_center", http.StatusBadRequest)
			return
		}
		for _, k := range []string{"name", "password"} {
			if q.Get(k) == "" {
				http.Error(w, k+": required (or send a JSON body in the connector API's input form)", http.StatusBadRequest)
				return
			}
		}
		body, err = json.Marshal(map[string]any{
			"name": q.Get("name"), "jiraUrl": get("jira_url", "https://jira.example.com"), "jiraType": jt,
			"authType": "basic", "username": get("username", "svc-align"), "password": q.Get("password"),
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	// Through the simulator's own connector API, so the connector is validated and stored
	// exactly as a POST /Connectors would be.
	req := httptest.NewRequest(http.MethodPost, "/rest/align/api/2/Connectors", bytes.NewReader(body))
	req.Header.Set("Authorization", "bearer "+s.alignToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	s.align.Handler().ServeHTTP(rec, req)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (s *sims) editConnector(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, _ := strconv.Atoi(q.Get("id"))
	err := s.align.EditConnector(id, func(c *alignsim.StoredConnector) {
		if v := q.Get("name"); v != "" {
			c.Name = v
		}
		if v := q.Get("password"); v != "" {
			c.Password = v
		}
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	c, _ := s.align.Connector(id)
	writeJSON(w, map[string]any{"id": id, "credential_version": c.CredentialVersion})
}

func (s *sims) deleteConnector(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.URL.Query().Get("id"))
	writeJSON(w, map[string]bool{"deleted": s.align.DeleteConnector(id)})
}

func (s *sims) revokeAll(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]int{"revoked": s.jira.RevokeAll()})
}

func (s *sims) advance(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.URL.Query().Get("by"))
	if err != nil {
		http.Error(w, "by: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.jira.Advance(d)
	writeJSON(w, map[string]string{"now": s.jira.Now().Format(time.RFC3339)})
}

func (s *sims) resetCounters(w http.ResponseWriter, _ *http.Request) {
	s.alignC.conns.Store(0)
	s.jiraC.conns.Store(0)
	writeJSON(w, map[string]bool{"ok": true})
}

func serve(host string, h http.Handler, c *counted) string {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				c.conns.Add(1)
			}
		},
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	return "http://" + ln.Addr().String()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		log.Printf("control: %v", err)
	}
}
