// Package acctest starts the Jira and Jira Align simulators for acceptance tests, one pair per
// test, over TLS with the test server's certificate as a private CA, and renders the provider
// block that points at them.
package acctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/jira-align-tf/terraform-provider-jira/internal/provider"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/alignsim"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/jirasim"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/simfault"
)

// Users of the Jira simulator.
const (
	AdminUser   = "jira-admin"
	ServiceUser = "svc-align"
)

// Env is one test's pair of simulators.
type Env struct {
	Align       *alignsim.Server
	AlignFaults *simfault.Injector
	AlignURL    string
	AlignToken  string

	Jira        *jirasim.Server
	JiraFaults  *simfault.Injector
	JiraURL     string
	AdminPass   string
	ServicePass string

	CAPEM string

	// ClockOffset moves the provider's expiry and renewal clock (not OAuth timestamps).
	ClockOffset atomic.Int64

	alignConns, jiraConns atomic.Int64

	keysMu sync.Mutex
	keys   map[string]*rsa.PublicKey // ConnectorAccepted's parsed private keys
}

// Options tunes New.
type Options struct {
	JiraContextPath string
	Jira            jirasim.Options // Users and ContextPath are filled in when empty
	// ReadOnlyAlignToken, when set, is registered with the read-only role.
	ReadOnlyAlignToken string
}

// New starts both simulators for t and stops them when t ends.
func New(t testing.TB, opts ...Options) *Env {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	e := &Env{AlignToken: "align-" + randHex(12), AdminPass: "admin-" + randHex(12), ServicePass: "svc-" + randHex(12)}

	tokens := map[string]alignsim.Role{e.AlignToken: alignsim.RoleAdmin}
	if o.ReadOnlyAlignToken != "" {
		tokens[o.ReadOnlyAlignToken] = alignsim.RoleReadOnly
	}
	e.Align = alignsim.New(alignsim.Options{APITokens: tokens})
	e.AlignFaults = simfault.New(e.Align.Handler())
	alignSrv := startTLS(t, e.AlignFaults, &e.alignConns)
	e.AlignURL = alignSrv.URL

	jo := o.Jira
	if jo.ContextPath == "" {
		jo.ContextPath = o.JiraContextPath
	}
	if jo.Users == nil {
		jo.Users = map[string]jirasim.User{
			AdminUser:   {Password: e.AdminPass, Admin: true, DisplayName: "Jira Admin", Email: "admin@example.com", Active: true},
			ServiceUser: {Password: e.ServicePass, DisplayName: "Jira Align service account", Email: "svc-align@example.com", Active: true},
		}
	}
	e.Jira = jirasim.New(jo)
	e.JiraFaults = simfault.New(e.Jira.Handler())
	jiraSrv := startTLS(t, e.JiraFaults, &e.jiraConns)
	e.JiraURL = jiraSrv.URL + jo.ContextPath

	e.CAPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: alignSrv.Certificate().Raw}))
	return e
}

func startTLS(t testing.TB, h http.Handler, conns *atomic.Int64) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// Connections returns how many TCP connections each simulator accepted.
func (e *Env) Connections() (align, jira int64) { return e.alignConns.Load(), e.jiraConns.Load() }

// ProviderBlock renders the provider configuration pointing at both simulators, with the
// simulators' CA and quick retries. extra lines go inside the block.
func (e *Env) ProviderBlock(extra ...string) string {
	return e.ProviderBlockWith(BlockOptions{Extra: extra})
}

// BlockOptions tunes ProviderBlockWith. Zero values give ProviderBlock's defaults.
type BlockOptions struct {
	// RequestTimeout is request_timeout (default "10s").
	RequestTimeout string
	// MaxRetries is max_retries (default 3); NoRetries sets 0.
	MaxRetries int
	NoRetries  bool
	// NoCA leaves ca_cert_pem out, so the simulators' private CA is not trusted.
	NoCA bool
	// AlignURL and JiraURL replace the simulators' URLs when set.
	AlignURL, JiraURL string
	// Extra lines go inside the block.
	Extra []string
}

// ProviderBlockWith renders the provider configuration with the given options.
func (e *Env) ProviderBlockWith(o BlockOptions) string {
	timeout := o.RequestTimeout
	if timeout == "" {
		timeout = "10s"
	}
	retries := o.MaxRetries
	if retries == 0 && !o.NoRetries {
		retries = 3
	}
	alignURL, jiraURL := e.AlignURL, e.JiraURL
	if o.AlignURL != "" {
		alignURL = o.AlignURL
	}
	if o.JiraURL != "" {
		jiraURL = o.JiraURL
	}
	ca := ""
	if !o.NoCA {
		ca = fmt.Sprintf("  ca_cert_pem     = <<-EOT\n%s\nEOT\n", indent(strings.TrimSpace(e.CAPEM)))
	}
	return fmt.Sprintf(`
provider "jira" {
  align_url       = %q
  align_api_token = %q
  jira_url        = %q
  jira_username   = %q
  jira_password   = %q
  request_timeout = %q
  max_retries     = %d
%s%s
}
`, alignURL, e.AlignToken, jiraURL, AdminUser, e.AdminPass, timeout, retries, ca, strings.Join(o.Extra, "\n"))
}

// ProviderBlockAsService is like ProviderBlock but with the service account (not an admin) as
// the provider's Jira user.
func (e *Env) ProviderBlockAsService(extra ...string) string {
	return strings.Replace(strings.Replace(e.ProviderBlock(extra...), fmt.Sprintf("%q", AdminUser), fmt.Sprintf("%q", ServiceUser), 1),
		fmt.Sprintf("%q", e.AdminPass), fmt.Sprintf("%q", e.ServicePass), 1)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// Secrets lists every secret the environment hands out, for leak checks.
func (e *Env) Secrets() []string {
	return []string{e.AlignToken, e.AdminPass, e.ServicePass}
}

// ProviderFactories serves the provider in-process for terraform-plugin-testing.
func ProviderFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"jira": providerserver.NewProtocol6WithError(provider.New("test")()),
	}
}

// ProviderFactories serves a provider whose expiry clock is shifted by e.ClockOffset.
func (e *Env) ProviderFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	now := func() time.Time { return time.Now().Add(time.Duration(e.ClockOffset.Load())) }
	return map[string]func() (tfprotov6.ProviderServer, error){
		"jira": providerserver.NewProtocol6WithError(provider.NewWithClock("test", now)()),
	}
}

// PreCheck skips unless TF_ACC is set (terraform-plugin-testing also requires it).
func PreCheck(t testing.TB) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance tests need TF_ACC=1 and a Terraform or OpenTofu CLI (make testacc)")
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// ReplaceProvider swaps the provider block old for new in config.
func ReplaceProvider(config, old, new string) string {
	return strings.Replace(config, old, new, 1)
}
