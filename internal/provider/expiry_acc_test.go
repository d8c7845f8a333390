package provider_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

// setClock sets the provider's expiry clock of env to at.
func setClock(env *acctest.Env, at time.Time) {
	env.ClockOffset.Store(int64(time.Until(at)))
}

// expiryWarnings returns the text of the expiry warnings recorded since the step began.
func expiryWarnings(rec *acctest.Diagnostics, since time.Time) []string {
	var out []string
	for _, d := range rec.Since(since) {
		if d.Warning && (strings.Contains(d.Summary, "expires soon") || strings.Contains(d.Summary, "expired")) {
			out = append(out, d.Summary+"\n"+d.Detail)
		}
	}
	return out
}

// wantWarnings checks that every expiry warning recorded since *since is want (at least one;
// Terraform plans more than once per apply), or that there is none when want is "".
func wantWarnings(rec *acctest.Diagnostics, since *time.Time, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got := expiryWarnings(rec, *since)
		if want == "" {
			if len(got) != 0 {
				return fmt.Errorf("unexpected expiry warnings: %q", got)
			}
			return nil
		}
		if len(got) == 0 {
			return fmt.Errorf("no expiry warning, want %q", want)
		}
		for _, g := range got {
			if g != want {
				return fmt.Errorf("expiry warning\n%s\nwant\n%s", g, want)
			}
		}
		return nil
	}
}

func TestAccConnector_expiryWarnings(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	rec := &acctest.Diagnostics{}
	t.Setenv("JIRA_EXPIRY_WARNING", "")
	expires := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	basicCfg := func(providerExtra ...string) string {
		return env.ProviderBlock(providerExtra...) + `
resource "jira_align_connector" "test" {
  name      = "jira-prod"
  jira_url  = "https://example.atlassian.net"
  jira_type = "cloud"
  basic = {
    username            = "svc-align@example.com"
    password            = "api-token-one"
    password_expires_at = "2027-03-01T00:00:00Z"
  }
}
`
	}
	const soon = "Jira API token expires soon\n" +
		`basic.password_expires_at: the Jira API token of connector "jira-prod" expires on 2027-03-01, in 12 days: ` +
		"rotate it with password_wo + password_wo_version (see the API-token rotation guide)"
	const expired = "Jira API token expired: the connector has stopped syncing\n" +
		`basic.password_expires_at: the Jira API token of connector "jira-prod" expired on 2027-03-01, 3 days ago: ` +
		"Jira rejects it, so the connector has stopped syncing. Create a new API token for the connector's Jira user, " +
		"then rotate it with password_wo + password_wo_version and set password_expires_at to its expiry (see the API-token rotation guide)"
	const oauthSoon = "Jira OAuth access token expires soon\n" +
		`oauth1.access_token_expires_at: the Jira OAuth access token of connector "jira-dc" expires on 2031-11-27, in 12 days: ` +
		`renew it before then with renew_before on its jira_align_access_token (for example renew_before = "720h", with create_before_destroy), ` +
		"which replaces the token once it is that close to expiry"
	const oauthExpired = "Jira OAuth access token expired: the connector has stopped syncing\n" +
		`oauth1.access_token_expires_at: the Jira OAuth access token of connector "jira-dc" expired on 2031-11-27, 3 days ago: ` +
		"Jira rejects it, so the connector has stopped syncing. Give the connector a new token: a jira_align_access_token replaces " +
		"an expired token at the next apply, and its renew_before replaces it before it expires"
	oauthCfg := env.ProviderBlock() + strings.Replace(oauthConnector(t, "jira-dc", 0, "JiraAlignDC", "tok-1"), "2031-11-27T22:00:00Z", "2031-11-27T10:00:00Z", 1)
	oauthExpires := time.Date(2031, 11, 27, 10, 0, 0, 0, time.UTC)

	var since time.Time
	at := func(clock time.Time) func() {
		return func() {
			setClock(env, clock)
			since = time.Now()
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
		Steps: []resource.TestStep{
			{
				// A token created a year before it expires: no warning.
				PreConfig: at(expires.AddDate(-1, 0, 0)),
				Config:    basicCfg(),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(connAddr, "basic.password_expires_at", "2027-03-01T00:00:00Z"),
					wantWarnings(rec, &since, ""),
					func(s *terraform.State) error {
						if c := stored(t, env, s); c.Password != "api-token-one" || c.AuthType != "basic" {
							return fmt.Errorf("simulator holds %+v", c)
						}
						return nil
					},
				),
			},
			{
				// 12 days before: inside the default 720h window, every plan warns.
				PreConfig: at(expires.Add(-12*24*time.Hour - time.Hour)),
				Config:    basicCfg(),
				Check:     wantWarnings(rec, &since, soon),
			},
			{
				// A shorter window set on the provider: quiet again.
				PreConfig: at(expires.Add(-12*24*time.Hour - time.Hour)),
				Config:    basicCfg(`expiry_warning = "24h"`),
				Check:     wantWarnings(rec, &since, ""),
			},
			{
				// A longer one from the environment: 40 days before warns.
				PreConfig: func() {
					t.Setenv("JIRA_EXPIRY_WARNING", "1000h")
					at(expires.Add(-40*24*time.Hour - time.Hour))()
				},
				Config: basicCfg(),
				Check: func(s *terraform.State) error {
					t.Setenv("JIRA_EXPIRY_WARNING", "")
					return wantWarnings(rec, &since, strings.Replace(soon, "in 12 days", "in 40 days", 1))(s)
				},
			},
			{
				// Expired: louder, and still only a warning.
				PreConfig: at(expires.Add(3*24*time.Hour + time.Hour)),
				Config:    basicCfg(),
				Check:     wantWarnings(rec, &since, expired),
			},
			{
				Config:      basicCfg(`expiry_warning = "-1h"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid expiry_warning.*JIRA_EXPIRY_WARNING.*0s`),
			},
			{
				Config:      basicCfg(`expiry_warning = "a month"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)expiry_warning.*a month`),
			},
			{
				Config:      strings.Replace(basicCfg(), `"2027-03-01T00:00:00Z"`, `"2027-03-01"`, 1),
				PlanOnly:    true,
				ExpectError: startsLine(`basic.password_expires_at: "2027-03-01" is not an RFC 3339 timestamp`),
			},
			{
				// Import: Jira Align does not hold the expiry, so it is null until configured.
				ResourceName:            connAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"basic.password", "basic.password_expires_at"},
			},
			{
				// An oauth1 connector's access token: the same two warnings.
				PreConfig: at(oauthExpires.Add(-12*24*time.Hour - time.Hour)),
				Config:    oauthCfg,
				Check:     wantWarnings(rec, &since, oauthSoon),
			},
			{
				PreConfig: at(oauthExpires.Add(3*24*time.Hour + time.Hour)),
				Config:    oauthCfg,
				Check:     wantWarnings(rec, &since, oauthExpired),
			},
		},
	})
}
