package provider_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

// Every request both peers receive, through the whole OAuth chain (link and consumer calls, the
// request-token and access-token calls dghubble/oauth1 sends, the approval, the signed calls,
// the connector's calls) and its destruction, carries
// "terraform-provider-jira/<version> (Terraform/<CLI version>)", with the version the CLI
// running the test reports of itself.
func TestAccProvider_userAgent(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	want := fmt.Sprintf("terraform-provider-jira/test (Terraform/%s)", acctest.CLIVersion(t))
	only := func(peer string, seen map[string]int64) error {
		if len(seen) != 1 || seen[want] == 0 {
			return fmt.Errorf("%s simulator saw User-Agents %v, want every request with %q", peer, seen, want)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: chainConfig(t, env, chainOpts{tokenKeyIndex: -1}),
			Check: func(*terraform.State) error {
				jira := env.Jira.RequestCounts()
				for _, route := range []string{
					"PUT /rest/applinks/3.0/applicationlink",
					"POST /plugins/servlet/oauth/request-token",
					"POST /plugins/servlet/oauth/authorize",
					"POST /plugins/servlet/oauth/access-token",
					"GET /rest/api/2/myself",
				} {
					if jira[route] == 0 {
						return fmt.Errorf("the chain made no %s call (calls: %v): the test no longer covers it", route, jira)
					}
				}
				if len(env.Align.RequestCounts()) == 0 {
					return fmt.Errorf("the chain made no Jira Align call")
				}
				if err := only("Jira", env.Jira.UserAgents()); err != nil {
					return err
				}
				return only("Jira Align", env.Align.UserAgents())
			},
		}},
		CheckDestroy: func(*terraform.State) error {
			if env.Jira.RequestCounts()["POST /plugins/servlet/oauth/users/access-tokens"] == 0 {
				return fmt.Errorf("destroy revoked no token (calls: %v)", env.Jira.RequestCounts())
			}
			if got := env.Jira.LastUserAgent(); got != want {
				return fmt.Errorf("last Jira request's User-Agent %q, want %q", got, want)
			}
			if err := only("Jira", env.Jira.UserAgents()); err != nil {
				return err
			}
			return only("Jira Align", env.Align.UserAgents())
		},
	})
}
