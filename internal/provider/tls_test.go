package provider_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/hostile"
)

// tlsConfig is a basic connector (Jira Align) and an application link (Jira): one call to each
// simulator.
func tlsConfig(t *testing.T, env *acctest.Env, providerBlock string) string {
	pub, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, 0).PublicKey)
	must(t, err)
	return providerBlock + fmt.Sprintf(`
resource "jira_align_connector" "test" {
  name      = "tls"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  basic = {
    username = "svc-align"
    password = "pw"
  }
}

resource "jira_application_link" "test" {
  name    = "Jira Align"
  rpc_url = %q
  consumer = {
    consumer_key   = "JiraAlignTLS"
    public_key_pem = %q
  }
}
`, env.AlignURL, pub)
}

// TestAccTLS_untrustedCA: both simulators serve TLS with a private CA. Without ca_cert_pem the
// calls fail at the TLS handshake, naming the certificate problem and ca_cert_pem, and no
// request reaches either simulator.
func TestAccTLS_untrustedCA(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	rec := &acctest.Diagnostics{}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
		Steps: []resource.TestStep{{
			Config:      tlsConfig(t, env, env.ProviderBlockWith(acctest.BlockOptions{NoCA: true, MaxRetries: 3})),
			ExpectError: regexp.MustCompile(`(?s)certificate signed by unknown\s+authority.*ca_cert_pem`),
		}},
		CheckDestroy: nothingLive(env),
	})
	checkTLSFailure(t, env, rec, []*regexp.Regexp{
		regexp.MustCompile(`Cannot create the Jira Align connector: create connector: TLS handshake failed: .*certificate signed by unknown authority.*signed by an authority this machine does not trust.*give that CA's certificate in the provider's ca_cert_pem`),
		regexp.MustCompile(`Cannot create the Jira application link: create Jira application link: TLS handshake failed: .*certificate signed by unknown authority.*signed by an authority this machine does not trust.*give that CA's certificate in the provider's ca_cert_pem`),
	})
}

// checkTLSFailure asserts that the provider reported each of want, nothing else that claims an
// unknown outcome, and that neither simulator received a request or holds anything.
func checkTLSFailure(t *testing.T, env *acctest.Env, rec *acctest.Diagnostics, want []*regexp.Regexp) {
	t.Helper()
	diags := rec.All()
	for _, re := range want {
		if !anyMatch(diags, re) {
			t.Errorf("no diagnostic matches %q; got %q", re, texts(diags))
		}
	}
	for _, d := range diags {
		t.Logf("reported: %s", d.Text())
		if goErrorSoup.MatchString(d.Text()) || strings.Contains(d.Text(), "outcome is unknown") || strings.Contains(d.Text(), "attempts") {
			t.Errorf("unclear or retried TLS failure: %q", d.Text())
		}
	}
	if n := env.Align.TotalRequests(); n != 0 {
		t.Errorf("Jira Align received %d requests, want 0", n)
	}
	if n := env.Jira.TotalRequests(); n != 0 {
		t.Errorf("Jira received %d requests, want 0", n)
	}
}

// TestAccTLS_oldProtocolRefused: simulators that speak only TLS 1.0 and 1.1 are refused (the
// provider requires TLS 1.2), with a message that names the protocol version.
func TestAccTLS_oldProtocolRefused(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	old := func(h http.Handler) *httptest.Server {
		srv := httptest.NewUnstartedServer(h)
		srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11} //nolint:gosec // deliberately old: the provider must refuse it
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv
	}
	alignOld, jiraOld := old(env.AlignFaults), old(env.JiraFaults)
	rec := &acctest.Diagnostics{}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
		Steps: []resource.TestStep{{
			Config:      tlsConfig(t, env, env.ProviderBlockWith(acctest.BlockOptions{AlignURL: alignOld.URL, JiraURL: jiraOld.URL})),
			ExpectError: regexp.MustCompile(`(?s)protocol\s+version.*TLS\s+1\.2`),
		}},
		CheckDestroy: nothingLive(env),
	})
	checkTLSFailure(t, env, rec, []*regexp.Regexp{
		regexp.MustCompile(`Cannot create the Jira Align connector: create connector: TLS handshake failed: .*protocol version.*TLS 1.2`),
		regexp.MustCompile(`Cannot create the Jira application link: create Jira application link: TLS handshake failed: .*protocol version.*TLS 1.2`),
	})
}

// TestAccTLS_certificateHints: simulators whose certificates come from the CA given in
// ca_cert_pem but are expired, not yet valid, or for other host names fail at the handshake with
// a message for that kind of failure (the dates and the local clock, or the names the
// certificate holds and the URL's host), not the private-CA advice, and no request is sent.
func TestAccTLS_certificateHints(t *testing.T) {
	acctest.PreCheck(t)
	ca := hostile.NewCA(t, "Test Root CA")
	now := time.Now()
	cases := []struct {
		name string
		cert tls.Certificate
		want string
	}{
		{"expired", ca.Leaf(t, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), nil, hostile.Loopback),
			`the server's certificate has expired: it was valid from 2020-01-01T00:00:00Z to 2021-01-01T00:00:00Z, and this machine's clock says 20\d\d-`},
		{"not yet valid", ca.Leaf(t, now.Add(48*time.Hour), now.Add(96*time.Hour), nil, hostile.Loopback),
			`the server's certificate is not valid yet: it is valid from \S+ to \S+, and this machine's clock says`},
		{"wrong name", ca.Leaf(t, now.Add(-time.Hour), now.Add(time.Hour), []string{"jira.example.com"}, nil),
			`the server's certificate is for jira.example.com, not for "127.0.0.1", the host in the URL`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := acctest.New(t)
			serve := func(h http.Handler) *httptest.Server {
				srv := httptest.NewUnstartedServer(h)
				srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{c.cert}}
				srv.Config.ErrorLog = log.New(io.Discard, "", 0)
				srv.StartTLS()
				t.Cleanup(srv.Close)
				return srv
			}
			alignSrv, jiraSrv := serve(env.AlignFaults), serve(env.JiraFaults)
			block := env.ProviderBlockWith(acctest.BlockOptions{NoCA: true, AlignURL: alignSrv.URL, JiraURL: jiraSrv.URL,
				Extra: []string{"  ca_cert_pem = " + acctest.HCLHeredoc(ca.PEM)}})
			rec := &acctest.Diagnostics{}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
				Steps:                    []resource.TestStep{{Config: tlsConfig(t, env, block), ExpectError: regexp.MustCompile(`TLS handshake failed`)}},
				CheckDestroy:             nothingLive(env),
			})
			checkTLSFailure(t, env, rec, []*regexp.Regexp{
				regexp.MustCompile(`Cannot create the Jira Align connector: create connector: TLS handshake failed: .*` + c.want),
				regexp.MustCompile(`Cannot create the Jira application link: create Jira application link: TLS handshake failed: .*` + c.want),
			})
			for _, d := range rec.All() {
				if strings.Contains(d.Text(), "ca_cert_pem") {
					t.Errorf("the private-CA advice, which does not apply: %s", d.Text())
				}
			}
		})
	}
}

// TestAccTLS_httpOnlyOnLoopback: plain http is refused at plan time for a host that is not a
// loopback address, naming the attribute and its environment variable, before any call.
func TestAccTLS_httpOnlyOnLoopback(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:      tlsConfig(t, env, env.ProviderBlockWith(acctest.BlockOptions{AlignURL: "http://align.example.com"})),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid align_url.*align_url \(or JIRA_ALIGN_URL\):.*http`),
			},
			{
				Config:      tlsConfig(t, env, env.ProviderBlockWith(acctest.BlockOptions{JiraURL: "http://jira.example.com/jira"})),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid jira_url.*jira_url \(or JIRA_URL\):.*http`),
			},
		},
	})
	if a, j := env.Align.TotalRequests(), env.Jira.TotalRequests(); a+j != 0 {
		t.Errorf("requests sent despite the invalid URLs: Jira Align %d, Jira %d", a, j)
	}
	// On loopback, plain http is allowed (local simulators, an SSH tunnel).
	alignHTTP := httptest.NewServer(env.AlignFaults)
	t.Cleanup(alignHTTP.Close)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: env.ProviderBlockWith(acctest.BlockOptions{AlignURL: alignHTTP.URL}) + basicConnector("loopback", "https://jira.example.com", "data_center", "u", "p"),
		}},
		CheckDestroy: nothingLive(env),
	})
}
