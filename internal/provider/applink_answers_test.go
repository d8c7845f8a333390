package provider_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/jirasim"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/simfault"
)

// The chain applies, rotates the key and destroys against every form of answer the application
// links plugin may give: status entities (the default elsewhere), the link object on create, an
// empty consumer PUT, 204 deletes; and with a create whose answer is lost after Jira made the
// link, which the provider finds again in the list of links.
func TestAccApplicationLink_answerForms(t *testing.T) {
	acctest.PreCheck(t)
	for name, o := range map[string]struct {
		jira  jirasim.Options
		fault *simfault.Rule
	}{
		"link object, empty consumer PUT, 204 deletes": {jira: jirasim.Options{LinkObjectOnCreate: true, EmptyConsumerPut: true, NoContentDeletes: true}},
		"status entities, create answer lost":          {fault: &simfault.Rule{Kind: simfault.ResetAfter, Method: "PUT", PathContains: "/rest/applinks/3.0/applicationlink"}},
	} {
		t.Run(name, func(t *testing.T) {
			env := acctest.New(t, acctest.Options{Jira: o.jira})
			if o.fault != nil {
				env.JiraFaults.Add(*o.fault)
			}
			cfg := func(n int) string {
				return env.ProviderBlock() + chainHCL{consumerKey: "JiraAlignForms", connectorName: "forms", tokenExtra: cbdLifecycle,
					keyPair: fmt.Sprintf("resource \"jira_align_key_pair\" \"test\" {\n  rsa_bits = 2048\n  keepers  = { rotated = \"%d\" }\n}", n)}.render(env)
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: env.ProviderFactories(),
				Steps: []resource.TestStep{
					{
						Config: cfg(1),
						Check: resource.ComposeAggregateTestCheckFunc(exactlyOneLiveToken(t, env, true), keyHeldEverywhere(t, env, 2048),
							resource.TestCheckResourceAttrWith(linkAddr, "id", func(v string) error {
								if links := env.Jira.Links(); len(links) != 1 || links[0].ID != v {
									return fmt.Errorf("state names link %s; Jira holds %+v", v, links)
								}
								if o.fault != nil && env.JiraFaults.Fired()[simfault.ResetAfter] != 1 {
									return fmt.Errorf("the create's answer was not lost")
								}
								return nil
							})),
					},
					{
						Config: cfg(2),
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionUpdate),
							plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionUpdate),
						}},
						Check: resource.ComposeAggregateTestCheckFunc(exactlyOneLiveToken(t, env, true), keyHeldEverywhere(t, env, 2048)),
					},
				},
				CheckDestroy: nothingLive(env),
			})
		})
	}
}
