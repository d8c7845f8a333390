// Command simulators runs the Jira and Jira Align simulators standalone on loopback, for the demo,
// the benchmark and manual exploration:
//
//	go run ./internal/testing/cmd/simulators -env-file sims.env
//
// It prints (and writes to -env-file) the environment variables that point the provider at them,
// and serves a control API on its own port for out-of-band actions that a person would otherwise
// do in the Jira or Jira Align UI:
//
//	GET  /state                 what both simulators hold, request/connection counts, and how many
//	                            requests came with each User-Agent (JSON)
//	POST /jira/revoke-all       revoke every live access token ("View OAuth Access Tokens > Revoke")
//	POST /jira/advance?by=1h    move the Jira clock
//	POST /align/delete?id=N     delete a connector in the Jira Align UI
//	POST /align/edit?id=N&name=X&password=Y  edit a connector in the Jira Align UI
//	POST /reset-counters        zero the request and connection counters
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/alignsim"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/jirasim"
)

type counted struct {
	conns atomic.Int64
}

func main() {
	var (
		host        = flag.String("host", "127.0.0.1", "loopback address to listen on")
		envFile     = flag.String("env-file", "", "write the provider's environment variables here")
		contextPath = flag.String("jira-context-path", "/jira", "Jira context path")
		alignToken  = flag.String("align-token", "", "Jira Align API token (random when empty)")
		adminPass   = flag.String("jira-admin-password", "", "password of Jira user jira-admin (random when empty)")
		svcPass     = flag.String("jira-service-password", "", "password of Jira user svc-align (random when empty)")
		tokenLife   = flag.Duration("token-lifetime", 0, "access-token lifetime (0: Jira's 5 years)")
	)
	flag.Parse()
	if ip := net.ParseIP(*host); *host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Fatalf("-host %q is not a loopback address", *host)
	}
	pick := func(v *string, prefix string) string {
		if *v != "" {
			return *v
		}
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			log.Fatal(err)
		}
		return prefix + hex.EncodeToString(b)
	}
	token, admin, svc := pick(alignToken, "align-"), pick(adminPass, "admin-"), pick(svcPass, "svc-")

	align := alignsim.New(alignsim.Options{APITokens: map[string]alignsim.Role{token: alignsim.RoleAdmin}})
	jira := jirasim.New(jirasim.Options{
		ContextPath:   *contextPath,
		TokenLifetime: *tokenLife,
		Users: map[string]jirasim.User{
			"jira-admin": {Password: admin, Admin: true, DisplayName: "Jira Admin", Email: "admin@example.com", Active: true},
			"svc-align":  {Password: svc, DisplayName: "Jira Align service account", Email: "svc-align@example.com", Active: true},
		},
	})
	var alignC, jiraC counted
	alignURL := serve(*host, align.Handler(), &alignC)
	jiraURL := serve(*host, jira.Handler(), &jiraC) + *contextPath

	control := http.NewServeMux()
	control.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) {
		conns := align.Connectors()
		for i := range conns { // never show secrets, even from a simulator
			conns[i].Password, conns[i].PrivateKeyPEM, conns[i].AccessToken, conns[i].AccessTokenSecret = "", "", "", ""
		}
		live := jira.LiveTokens()
		for i := range live {
			live[i].Token = ""
		}
		writeJSON(w, map[string]any{
			"connectors": conns, "links": jira.Links(), "live_tokens": live,
			"align_requests": align.RequestCounts(), "jira_requests": jira.RequestCounts(),
			"align_total": align.TotalRequests(), "jira_total": jira.TotalRequests(),
			"align_connections": alignC.conns.Load(), "jira_connections": jiraC.conns.Load(),
			"align_user_agents": align.UserAgents(), "jira_user_agents": jira.UserAgents(),
		})
	})
	control.HandleFunc("POST /jira/revoke-all", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]int{"revoked": jira.RevokeAll()})
	})
	control.HandleFunc("POST /jira/advance", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("by"))
		if err != nil {
			http.Error(w, "by: "+err.Error(), http.StatusBadRequest)
			return
		}
		jira.Advance(d)
		writeJSON(w, map[string]string{"now": jira.Now().Format(time.RFC3339)})
	})
	control.HandleFunc("POST /align/delete", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.URL.Query().Get("id"))
		writeJSON(w, map[string]bool{"deleted": align.DeleteConnector(id)})
	})
	control.HandleFunc("POST /align/edit", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		id, _ := strconv.Atoi(q.Get("id"))
		err := align.EditConnector(id, func(c *alignsim.StoredConnector) {
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
		c, _ := align.Connector(id)
		writeJSON(w, map[string]any{"id": id, "credential_version": c.CredentialVersion})
	})
	control.HandleFunc("POST /reset-counters", func(w http.ResponseWriter, _ *http.Request) {
		alignC.conns.Store(0)
		jiraC.conns.Store(0)
		writeJSON(w, map[string]bool{"ok": true})
	})
	controlURL := serve(*host, control, &counted{})

	env := fmt.Sprintf("JIRA_ALIGN_URL=%s\nJIRA_ALIGN_API_TOKEN=%s\nJIRA_URL=%s\nJIRA_USERNAME=jira-admin\nJIRA_PASSWORD=%s\nJIRA_SERVICE_USERNAME=svc-align\nJIRA_SERVICE_PASSWORD=%s\nSIM_CONTROL_URL=%s\n",
		alignURL, token, jiraURL, admin, svc, controlURL)
	if *envFile != "" {
		if err := os.WriteFile(*envFile, []byte(env), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("Jira Align simulator: %s", alignURL)
	log.Printf("Jira simulator:       %s", jiraURL)
	log.Printf("control API:          %s", controlURL)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
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
