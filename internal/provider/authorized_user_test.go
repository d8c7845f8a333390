package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

const approverWarningSummary = "The access token is approved by the provider's own Jira user"

// warningsSince returns the recorded warnings with summary since t.
func warningsSince(rec *acctest.Diagnostics, since time.Time, summary string) []acctest.Diagnostic {
	var out []acctest.Diagnostic
	for _, d := range rec.Since(since) {
		if d.Warning && d.Summary == summary {
			out = append(out, d)
		}
	}
	return out
}

// recordedCheck is a plan check that inspects the diagnostics recorded so far: the plan of a
// plan-only step has no other place to look at warnings.
type recordedCheck func() error

func (c recordedCheck) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = c()
}

func TestAccAccessToken_expectedAuthorizedUser(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	rec := &acctest.Diagnostics{}
	registerConsumer(t, env, "JiraAlignPin", 0)
	token := func(extra string) string {
		return fmt.Sprintf(`
resource "jira_align_access_token" "test" {
  consumer_key    = "JiraAlignPin"
  private_key_pem = %s
  %s
}
`, acctest.HCLHeredoc(acctest.TestKeyPEM(t, 0)), extra)
	}
	asAdmin := env.ProviderBlock()
	asService := env.ProviderBlockAsService()
	asRenamed := strings.Replace(asService, fmt.Sprintf("%q", acctest.ServiceUser), `"svc-align-2"`, 1)
	wantApproverWarning := `approver_username is not set, so the provider's own jira_username "jira-admin" approves this access token, ` +
		`and the Jira Align connector that uses it acts in Jira as "jira-admin", with all of that user's rights ` +
		`(the provider's Jira user manages application links, so it is usually a Jira administrator). Have the connector's service account approve it instead, ` +
		`in one of two ways: set approver_username and approver_password_wo (Terraform/OpenTofu 1.11+) to the service account's ` +
		`name and password or API token; or give the token a second provider configuration, ` +
		`provider "jira" { alias = "service" ... } with the service account as its jira_username, ` +
		`and provider = jira.service and expected_authorized_user = "<service account>" on the token. ` +
		`To keep "jira-admin" on purpose, set expected_authorized_user = "jira-admin".`

	var since time.Time
	var firstID, pinnedID string
	mark := func() { since = time.Now() }
	revokes := func() int64 {
		return env.Jira.RequestCounts()["POST /plugins/servlet/oauth/users/access-tokens"]
	}
	var revokesBefore int64
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
		Steps: []resource.TestStep{
			{
				// Nothing pins the user and no approver is set: the provider's own user (an
				// administrator) approves, and the plan says so and how to avoid it.
				PreConfig: mark,
				Config:    asAdmin + token(""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(tokenAddr, "authorized_user", acctest.AdminUser),
					resource.TestCheckResourceAttrWith(tokenAddr, "id", func(v string) error { firstID = v; return nil }),
					func(*terraform.State) error {
						ws := warningsSince(rec, since, approverWarningSummary)
						if len(ws) == 0 {
							return fmt.Errorf("no approver warning")
						}
						for _, w := range ws {
							if w.Detail != wantApproverWarning {
								return fmt.Errorf("approver warning\n%s\nwant\n%s", w.Detail, wantApproverWarning)
							}
						}
						return nil
					},
				),
			},
			{
				// Pinned to the user it acts as: an in-place update, the same token, no warning.
				PreConfig: mark,
				Config:    asAdmin + token(`expected_authorized_user = "JIRA-ADMIN"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr(tokenAddr, "id", &firstID),
					func(*terraform.State) error {
						if ws := warningsSince(rec, since, approverWarningSummary); len(ws) != 0 {
							return fmt.Errorf("approver warning despite the pin: %s", ws[0].Detail)
						}
						return nil
					},
				),
			},
			{
				// Pinned to the service account while the administrator approves: the plan
				// replaces the token; the new one acts as jira-admin, so it is revoked at once
				// and the apply fails naming both users.
				PreConfig: func() { mark(); revokesBefore = revokes() },
				Config:    asAdmin + token(fmt.Sprintf("expected_authorized_user = %q", acctest.ServiceUser)),
				ExpectError: regexp.MustCompile(startsLine(`expected_authorized_user: the new access token acts as Jira user "jira-admin", not "svc-align": `+
					`it was approved by the provider's jira_username "jira-admin" (approver_username is not set).`).String() +
					`(?s).*The\s+new\s+token\s+was\s+revoked\s+again\.`),
			},
			{
				// Nothing acts as the wrong user: the old token was destroyed by the replacement,
				// the new one revoked (two revocations), and no token is live. The service
				// account approves: the pinned token is created.
				PreConfig: func() {
					if n := len(env.Jira.LiveTokens()); n != 0 {
						t.Errorf("%d live tokens after the refused token, want 0", n)
					}
					if n := revokes() - revokesBefore; n != 2 {
						t.Errorf("%d revocations, want 2 (the replaced token and the refused one)", n)
					}
					mark()
				},
				Config: asService + token(fmt.Sprintf("expected_authorized_user = %q", acctest.ServiceUser)),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(tokenAddr, "authorized_user", acctest.ServiceUser),
					resource.TestCheckResourceAttrWith(tokenAddr, "id", func(v string) error { pinnedID = v; return nil }),
					onlyLiveToken(env, acctest.ServiceUser),
				),
			},
			{
				// The service account is renamed in Jira: its token now acts as "svc-align-2",
				// which is drift: a warning at refresh, and the plan replaces the token.
				PreConfig: func() {
					must(t, env.Jira.RenameUser(acctest.ServiceUser, "svc-align-2"))
					mark()
				},
				Config:             asRenamed + token(fmt.Sprintf("expected_authorized_user = %q", acctest.ServiceUser)),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionDestroyBeforeCreate),
					recordedCheck(func() error {
						want := `expected_authorized_user: access token ` + pinnedID + ` now acts as Jira user "svc-align-2", not "svc-align" ` +
							`(the user was renamed in Jira, or the token was replaced outside Terraform): the plan replaces it with a token that acts as "svc-align".`
						ws := warningsSince(rec, since, "Jira OAuth access token acts as another user")
						if len(ws) == 0 || ws[0].Detail != want {
							return fmt.Errorf("drift warnings %v, want %q", ws, want)
						}
						return nil
					}),
				}},
			},
			{
				// Pinned to the new name: an in-place update that keeps the token.
				Config: asRenamed + token(`expected_authorized_user = "svc-align-2"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr(tokenAddr, "id", &pinnedID),
					resource.TestCheckResourceAttr(tokenAddr, "authorized_user", "svc-align-2"),
					onlyLiveToken(env, "svc-align-2"),
				),
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if n := len(env.Jira.LiveTokens()); n != 0 {
				return fmt.Errorf("%d live tokens after destroy", n)
			}
			return nil
		},
	})
}

// onlyLiveToken checks that Jira holds exactly one live token, the one in state, acting as user.
func onlyLiveToken(env *acctest.Env, user string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		live := env.Jira.LiveTokens()
		if len(live) != 1 || live[0].Token != s.RootModule().Resources[tokenAddr].Primary.Attributes["token"] || live[0].User != user {
			return fmt.Errorf("live tokens %d (want the one in state, acting as %q)", len(live), user)
		}
		return nil
	}
}

// With approver_username set (a write-only password needs Terraform/OpenTofu 1.11+), the plan
// does not warn about the approver.
func TestAccAccessToken_noApproverWarningWithApprover(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	rec := &acctest.Diagnostics{}
	registerConsumer(t, env, "JiraAlignApprover", 0)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{{
			Config: env.ProviderBlock() + fmt.Sprintf(`
resource "jira_align_access_token" "test" {
  consumer_key    = "JiraAlignApprover"
  private_key_pem = %s
  %s
}
`, acctest.HCLHeredoc(acctest.TestKeyPEM(t, 0)), approverWO(env)),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(tokenAddr, "authorized_user", acctest.ServiceUser),
				onlyLiveToken(env, acctest.ServiceUser),
				func(*terraform.State) error {
					if ws := warningsSince(rec, time.Time{}, approverWarningSummary); len(ws) != 0 {
						return fmt.Errorf("approver warning with approver_username set: %s", ws[0].Detail)
					}
					return nil
				},
			),
		}},
	})
}
