package provider_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

// startsLine matches a diagnostic detail that starts with text (Terraform prints the detail on
// lines of its own and may wrap it at spaces, so every space may be a line break).
func startsLine(text string) *regexp.Regexp {
	parts := strings.Fields(text)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?m)^` + strings.Join(parts, `\s+`))
}

// Terraform 1.5 and OpenTofu show a diagnostic about an attribute inside an object with the
// resource's line only: each such diagnostic, at plan and at apply, starts with the attribute's
// path.
func TestAccErrors_nestedAttributePaths(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	rec := &acctest.Diagnostics{}
	key := acctest.HCLHeredoc(acctest.TestKeyPEM(t, 0))
	oauth := func(consumerKey, keyPEM, expires string) string {
		return fmt.Sprintf(`
resource "jira_align_connector" "test" {
  name      = "v"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  oauth1 = {
    consumer_key            = %s
    private_key_pem         = %s
    access_token            = "t"
    access_token_secret     = "s"
    access_token_expires_at = %q
  }
}
`, consumerKey, keyPEM, expires)
	}
	basic := func(user, extra string) string {
		return fmt.Sprintf(`
resource "jira_align_connector" "test" {
  name      = "v"
  jira_url  = "https://jira.example.com"
  jira_type = "cloud"
  basic = {
    username = %q
    %s
  }
}
`, user, extra)
	}
	link := func(consumerKey, pub string) string {
		return fmt.Sprintf(`
resource "jira_application_link" "test" {
  name    = "Jira Align"
  rpc_url = "https://align.example.com"
  consumer = {
    consumer_key   = %q
    public_key_pem = %s
  }
}
`, consumerKey, pub)
	}
	pub, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, 0).PublicKey)
	must(t, err)
	plan := []struct {
		config string
		want   string // the start of the detail
	}{
		{oauth(`"Jira Align"`, key, "2031-11-27T22:00:00Z"), "oauth1.consumer_key: the consumer key has a space at position 5"},
		{oauth(`"JiraAlign"`, acctest.HCLHeredoc(smallKeyPEM(t)), "2031-11-27T22:00:00Z"), "oauth1.private_key_pem: the RSA key has 1024 bits"},
		{oauth(`"JiraAlign"`, key, "next year"), `oauth1.access_token_expires_at: "next year" is not an RFC 3339 timestamp`},
		{basic("", `password = "p"`), "basic.username: Attribute basic.username string length must be at least 1"},
		{basic("u", `password = ""`), "basic.password: Attribute basic.password string length must be at least 1"},
		{basic("u", ""), "basic.password: the password or API token is missing. A new connector needs it"},
		{link("a-b", acctest.HCLHeredoc(pub)), "consumer.consumer_key: the consumer key has '-' at position 2"},
		{link("JiraAlign", `"not a key"`), "consumer.public_key_pem: "},
	}
	var steps []resource.TestStep
	for _, c := range plan {
		steps = append(steps, resource.TestStep{Config: env.ProviderBlock() + c.config, PlanOnly: true, ExpectError: startsLine(c.want)})
	}
	// At apply: a consumer key known only then (from another resource) is checked before
	// anything is sent.
	steps = append(steps, resource.TestStep{
		Config: env.ProviderBlock() + `
resource "terraform_data" "key" {
  input = "Jira Align"
}
` + oauth("terraform_data.key.output", key, "2031-11-27T22:00:00Z"),
		ExpectError: startsLine("oauth1.consumer_key: the consumer key has a space at position 5"),
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
		Steps:                    steps,
	})
	if n := len(env.Align.Connectors()) + len(env.Jira.Links()); n != 0 {
		t.Errorf("%d objects created despite the errors", n)
	}
	// Every diagnostic the provider returned for an attribute inside an object starts with its
	// path: no framework message slipped through unprefixed.
	nested := regexp.MustCompile(`^(oauth1|basic|consumer)\.[a-z_]+: `)
	for _, d := range rec.All() {
		if d.Warning {
			continue
		}
		if strings.Contains(d.Summary+d.Detail, "oauth1.") || strings.Contains(d.Summary+d.Detail, "basic.") || strings.Contains(d.Summary+d.Detail, "consumer.") {
			if !nested.MatchString(d.Detail) {
				t.Errorf("%s: detail does not start with the attribute's path: %s", d.RPC, d.Text())
			}
		}
	}
}

// A jira_url that points at Jira Align, or at any web server that is no Jira, is named as the
// cause, with what answered; it never blames jira_password, and a refresh through it never
// drops a link from state.
func TestAccErrors_jiraURLNotAJira(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	rec := &acctest.Diagnostics{}
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<!DOCTYPE html>\n<html><head><title>Page not found</title></head><body>Nothing here.</body></html>\n"))
	}))
	t.Cleanup(web.Close)
	atAlign := env.ProviderBlockWith(acctest.BlockOptions{JiraURL: env.AlignURL})
	// notJira matches the error's start; request is a regular expression for "METHOD /path".
	notJira := func(url, request string) *regexp.Regexp {
		return regexp.MustCompile(startsLine(fmt.Sprintf(`jira_url (%q) does not look like a Jira:`, url)).String() + `\s+` + request + `\s+answered`)
	}
	linkCfg := linkConfig(t, env, "JiraAlignLink", 0, "")
	linkOnly := strings.TrimPrefix(linkCfg, env.ProviderBlock())
	token := func(extra string) string {
		return fmt.Sprintf(`
resource "jira_align_access_token" "test" {
  consumer_key    = "JiraAlignLink"
  private_key_pem = %s
  %s
}
`, acctest.HCLHeredoc(acctest.TestKeyPEM(t, 0)), extra)
	}
	var linkIDBefore string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
		Steps: []resource.TestStep{
			{
				// The provider's jira_url is Jira Align's: the application-link API answers
				// with Jira Align's 401.
				Config:      atAlign + linkOnly,
				ExpectError: regexp.MustCompile(notJira(env.AlignURL, `PUT\s+/rest/applinks/3\.0/applicationlink`).String() + `\s+HTTP\s+401\s+with\s+an\s+error\s+in\s+Jira\s+Align's\s+format`),
			},
			{
				// The same for the OAuth handshake.
				Config:      atAlign + token(""),
				ExpectError: notJira(env.AlignURL, `POST\s+/plugins/servlet/oauth/request-token`),
			},
			{
				// A token's own jira_url at a web server that answers every path with an HTML 404.
				Config:      env.ProviderBlock() + token(fmt.Sprintf("jira_url = %q", web.URL)),
				ExpectError: regexp.MustCompile(notJira(web.URL, `POST\s+/plugins/servlet/oauth/request-token`).String() + `\s+HTTP\s+404\s+with\s+an\s+HTML\s+page\s+titled\s+"Page\s+not\s+found"`),
			},
			{
				Config: linkCfg,
				Check:  resource.TestCheckResourceAttrWith(linkAddr, "id", func(v string) error { linkIDBefore = v; return nil }),
			},
			{
				// Refreshing the link through a jira_url that is Jira Align's: an error naming
				// jira_url, not "deleted outside Terraform".
				Config:      atAlign + linkOnly,
				ExpectError: notJira(env.AlignURL, `GET\s+/rest/applinks/3\.0/applicationlink/[0-9a-f-]+`),
			},
			{
				Config: linkCfg,
				Check: func(s *terraform.State) error {
					if id := linkID(s); id != linkIDBefore {
						return fmt.Errorf("link %s replaced by %s", linkIDBefore, id)
					}
					if n := len(env.Jira.Links()); n != 1 {
						return fmt.Errorf("%d links in Jira, want 1", n)
					}
					return nil
				},
			},
		},
		CheckDestroy: nothingLive(env),
	})
	for _, d := range rec.All() {
		if strings.Contains(d.Text(), "does not look like a Jira") && strings.Contains(d.Text(), "jira_password") {
			t.Errorf("%s blames jira_password: %s", d.RPC, d.Text())
		}
		if strings.Contains(d.Summary, "deleted outside Terraform") {
			t.Errorf("%s: %s", d.RPC, d.Text())
		}
	}
}
