package provider_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

// oauthGuide is the OAuth setup guide whose key rotation recipe the tests run.
const oauthGuide = "../../docs/guides/oauth-setup.md"

// guideBlocks returns the terraform blocks of the OAuth guide in the section under the heading
// line `heading` ("## Complete configuration"), its subsections included.
func guideBlocks(t *testing.T, heading string) []string {
	t.Helper()
	marks, title, _ := strings.Cut(heading, " ")
	var out []string
	for _, b := range acctest.GuideBlocks(t, oauthGuide) {
		if b.Lang == "terraform" && b.In(len(marks), title) {
			out = append(out, b.Text)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no terraform block under %q", oauthGuide, heading)
	}
	return out
}

// hclBlock returns the block that starts with the line `header` in src, through its closing
// brace.
func hclBlock(t *testing.T, src, header string) string {
	t.Helper()
	i := strings.Index(src, header)
	if i < 0 {
		t.Fatalf("no %q in\n%s", header, src)
	}
	depth := 0
	for j := i; j < len(src); j++ {
		switch src[j] {
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return src[i : j+1]
			}
		}
	}
	t.Fatalf("unbalanced block %q", header)
	return ""
}

// guideKeyRotation returns the guide's key pair as its complete configuration declares it, and
// the key pair after each step of its key rotation recipe (keepers, then rsa_bits): the guide's
// blocks verbatim, with the resource named "test" as in the tests' chain.
func guideKeyRotation(t *testing.T) (initial string, steps []string) {
	t.Helper()
	const header = `resource "jira_align_key_pair" "align" {`
	rename := func(b string) string {
		return strings.Replace(hclBlock(t, b, header), header, `resource "jira_align_key_pair" "test" {`, 1)
	}
	complete := guideBlocks(t, "## Complete configuration")
	if len(complete) != 1 {
		t.Fatalf("the complete configuration has %d blocks, want 1", len(complete))
	}
	initial = rename(complete[0])
	recipe := guideBlocks(t, "### Rotating the key")
	if len(recipe) != 2 {
		t.Fatalf("the key rotation recipe has %d blocks, want 2 (keepers, then rsa_bits)", len(recipe))
	}
	for _, b := range recipe {
		if strings.TrimSpace(b) != hclBlock(t, b, header) {
			t.Fatalf("a key rotation block holds more than the key pair:\n%s", b)
		}
		steps = append(steps, rename(b))
	}
	return initial, steps
}

// TestAccChain_keyRotation runs the OAuth guide's key rotation recipe (change the key pair's
// keepers, then its rsa_bits), with and without create_before_destroy on the token, against a
// Jira that answers application-link calls with status entities. Each rotation must complete in
// one apply: exactly one live token afterwards, the connector's, signed for the new key; the old
// token revoked (with one call, signed with the new key); the connector's credentials accepted
// by Jira; an empty plan after. While each rotation applies, a goroutine asks the simulators every
// 2 ms whether Jira would accept the connector's stored credentials; the window during which it
// would not must be a single one, well under a second on loopback.
func TestAccChain_keyRotation(t *testing.T) {
	acctest.PreCheck(t)
	initial, rotations := guideKeyRotation(t)
	bits := []int{3072, 4096}
	for _, recipe := range []struct {
		name      string
		lifecycle string
		keyAction plancheck.ResourceActionType
	}{
		{"create_before_destroy", cbdLifecycle, plancheck.ResourceActionCreateBeforeDestroy},
		{"without create_before_destroy", "", plancheck.ResourceActionDestroyBeforeCreate},
	} {
		t.Run(recipe.name, func(t *testing.T) {
			env := acctest.New(t)
			rec := &acctest.Diagnostics{}
			h := chainHCL{consumerKey: "JiraAlignRotate", connectorName: "rotation", tokenExtra: pinnedToAdmin + recipe.lifecycle}
			cfg := func(keyPair string) string {
				h.keyPair = keyPair
				return env.ProviderBlock() + h.render(env)
			}
			var (
				connID    int
				lastToken string
				revoked   int64
				watch     *acctest.ConnectorWatch
				windows   []string
			)
			t.Cleanup(func() {
				if watch != nil {
					watch.Stop()
				}
			})
			remember := func(s *terraform.State) error {
				connID = connectorID(t, s)
				lastToken = s.RootModule().Resources[tokenAddr].Primary.Attributes["token"]
				revoked = revokes(env)
				return nil
			}
			steps := []resource.TestStep{{
				Config: cfg(initial),
				Check:  resource.ComposeAggregateTestCheckFunc(exactlyOneLiveToken(t, env, true), keyHeldEverywhere(t, env, 3072), remember),
			}}
			for i, keyPair := range rotations {
				step := []string{"keepers", "rsa_bits"}[i]
				steps = append(steps, resource.TestStep{
					PreConfig: func() { watch = env.WatchConnector(connID, 2*time.Millisecond) },
					Config:    cfg(keyPair),
					ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(keyAddr, recipe.keyAction),
						plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
					}},
					Check: resource.ComposeAggregateTestCheckFunc(
						func(s *terraform.State) error {
							samples, outages := watch.Stop()
							watch = nil
							window := "none"
							if len(outages) == 1 {
								window = outages[0].Length().Round(time.Millisecond).String()
							}
							windows = append(windows, step+": "+window)
							t.Logf("%s, %s, rotation by %s: %d samples, outage %s", cliLabel(), recipe.name, step, samples, acctest.DescribeOutages(outages))
							switch {
							case samples < 20:
								return fmt.Errorf("only %d samples during the apply", samples)
							case len(outages) != 1:
								return fmt.Errorf("want exactly one outage of the connector, saw %s", acctest.DescribeOutages(outages))
							case outages[0].Open:
								return fmt.Errorf("the connector's credentials are still refused after the apply: %s", outages[0].Reason)
							case !strings.HasPrefix(outages[0].Reason, "signature_invalid:"):
								return fmt.Errorf("the outage is %q, want the old key's signature_invalid", outages[0].Reason)
							case outages[0].Length() >= time.Second:
								return fmt.Errorf("the outage lasted %s, want well under 1s", outages[0].Length())
							}
							return nil
						},
						exactlyOneLiveToken(t, env, true),
						keyHeldEverywhere(t, env, bits[i]),
						func(s *terraform.State) error {
							if s.RootModule().Resources[tokenAddr].Primary.Attributes["token"] == lastToken {
								return fmt.Errorf("the token was not renewed for the new key")
							}
							if n := revokes(env) - revoked; n != 1 {
								return fmt.Errorf("%d revoke calls during the rotation, want 1 (the old token, signed with the new key)", n)
							}
							if w := rec.Warnings(""); len(w) != 0 {
								return fmt.Errorf("the rotation warned: %v", w)
							}
							return remember(s)
						},
					),
				})
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
				Steps:                    steps,
				CheckDestroy:             nothingLive(env),
			})
			t.Logf("%s, %s: outage windows %s", cliLabel(), recipe.name, strings.Join(windows, ", "))
		})
	}
}
