package provider_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/simfault"
)

const cbdLifecycle = `
  lifecycle {
    create_before_destroy = true
  }`

// revokes is how many revoke calls Jira received.
func revokes(env *acctest.Env) int64 {
	return env.Jira.RequestCounts()["POST /plugins/servlet/oauth/users/access-tokens"]
}

// connectorID is the connector's id in state.
func connectorID(t *testing.T, s *terraform.State) int {
	t.Helper()
	id, err := strconv.Atoi(s.RootModule().Resources[connAddr].Primary.ID)
	must(t, err)
	return id
}

// keyHeldEverywhere asserts, from the simulators' records, that the key pair in state is the one
// Jira's consumer holds (bits bits long) and the one the connector holds, and that Jira accepts
// the connector's credentials.
func keyHeldEverywhere(t *testing.T, env *acctest.Env, bits int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		kp := s.RootModule().Resources[keyAddr].Primary.Attributes
		links := env.Jira.Links()
		if len(links) != 1 || links[0].Consumer == nil {
			return fmt.Errorf("Jira holds links %+v, want one with a consumer", links)
		}
		if !keyutil.SamePublicKey(links[0].Consumer.PublicKey, kp["public_key_pem"]) {
			return fmt.Errorf("Jira's consumer holds another public key than the key pair in state")
		}
		pub, err := keyutil.ParsePublicKey(links[0].Consumer.PublicKey)
		if err != nil {
			return err
		}
		if n := pub.N.BitLen(); n != bits {
			return fmt.Errorf("Jira's consumer holds a %d-bit key, want %d", n, bits)
		}
		if c := stored(t, env, s); c.PrivateKeyPEM != kp["private_key_pem"] {
			return fmt.Errorf("the connector holds another private key than the key pair in state")
		}
		if err := env.ConnectorAccepted(connectorID(t, s)); err != nil {
			return fmt.Errorf("Jira would refuse the connector's credentials: %w", err)
		}
		return nil
	}
}

// The key and the token rotated in one apply (both keepers changed), create_before_destroy on the
// token: the token is replaced, and the old one, revoked last, is refused with its own key (the
// consumer holds the new one by then), so it is revoked signed with the key the new token was
// obtained with.
func TestAccChain_keyAndTokenRotatedTogether(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	rec := &acctest.Diagnostics{}
	cfg := func(n int) string {
		h := chainHCL{consumerKey: "JiraAlignBoth", connectorName: "both",
			keyPair:    fmt.Sprintf("resource \"jira_align_key_pair\" \"test\" {\n  rsa_bits = 2048\n  keepers  = { rotated = \"%d\" }\n}", n),
			tokenExtra: fmt.Sprintf("keepers = { rotated = \"%d\" }\n", n) + pinnedToAdmin + cbdLifecycle}
		return env.ProviderBlock() + h.render(env)
	}
	var before int64
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
		Steps: []resource.TestStep{
			{
				Config: cfg(1),
				Check: resource.ComposeAggregateTestCheckFunc(exactlyOneLiveToken(t, env, true), keyHeldEverywhere(t, env, 2048),
					func(*terraform.State) error { before = revokes(env); return nil }),
			},
			{
				Config: cfg(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
					plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionCreateBeforeDestroy),
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					exactlyOneLiveToken(t, env, true),
					keyHeldEverywhere(t, env, 2048),
					func(*terraform.State) error {
						if n := revokes(env) - before; n != 2 {
							return fmt.Errorf("%d revoke calls, want 2 (refused with the old key, done with the new)", n)
						}
						if w := rec.Warnings(""); len(w) != 0 {
							return fmt.Errorf("the rotation warned: %v", w)
						}
						return nil
					},
				),
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

// The consumer's public key replaced in Jira outside Terraform: refresh warns that Jira refuses
// the token's signature, and the plan puts the link's key back and replaces the token; after the
// apply the connector works, with exactly one live token.
func TestAccChain_consumerKeyChangedOutOfBand(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	rec := &acctest.Diagnostics{}
	cfg := chainConfig(t, env, chainOpts{tokenKeyIndex: -1})
	var first string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeAggregateTestCheckFunc(exactlyOneLiveToken(t, env, true),
					resource.TestCheckResourceAttrWith(tokenAddr, "id", func(v string) error { first = v; return nil })),
			},
			{
				PreConfig: func() {
					other, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, 2).PublicKey)
					must(t, err)
					l := env.Jira.Links()[0]
					c := *l.Consumer
					c.PublicKey = other
					must(t, env.Jira.SetConsumer(l.ID, &c))
					rec.Reset()
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(linkAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionCreateBeforeDestroy),
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					exactlyOneLiveToken(t, env, true),
					keyHeldEverywhere(t, env, 2048),
					resource.TestCheckResourceAttrWith(tokenAddr, "id", func(v string) error {
						if v == first {
							return fmt.Errorf("the token was not replaced")
						}
						return nil
					}),
					func(*terraform.State) error {
						w := rec.Warnings("Jira refuses the signature of the OAuth access token")
						if len(w) == 0 || !strings.Contains(w[0].Detail, first) || !strings.Contains(w[0].Detail, "signature_invalid") {
							return fmt.Errorf("no warning naming token %s and the refused signature: %v", first, rec.All())
						}
						return nil
					},
				),
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

// TestAccChain_signatureRefusedCLI drives a real CLI (the provider from dev_overrides) through
// an out-of-band change of the consumer's public key: no plan, apply or destroy fails, with or
// without -refresh=false. A destroy that cannot revoke the token (the key that Jira now holds is
// unknown to the provider) removes it from state with a warning that names it and where to
// revoke it.
func TestAccChain_signatureRefusedCLI(t *testing.T) {
	acctest.PreCheck(t)
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		t.Skip("needs TF_ACC_TERRAFORM_PATH")
	}
	bin := providerBinary(t)
	env := acctest.New(t)
	dir := t.TempDir()
	rc := filepath.Join(dir, "cli.tfrc")
	must(t, os.WriteFile(rc, []byte(fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n}\n", "jira-align-tf/jira", bin)), 0o600))
	cfg := "terraform {\n  required_providers {\n    jira = { source = \"jira-align-tf/jira\" }\n  }\n}\n" +
		env.ProviderBlock() + chainHCL{consumerKey: "JiraAlignCLI", connectorName: "cli", tokenExtra: cbdLifecycle}.render(env)
	must(t, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg), 0o600))
	run := func(want int, args ...string) string {
		t.Helper()
		code, out := runCLI(t, dir, rc, append(args, "-input=false", "-no-color")...)
		if code != want {
			t.Fatalf("%s exited %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	run(0, "apply", "-auto-approve")
	live := env.Jira.LiveTokens()
	if len(live) != 1 {
		t.Fatalf("%d live tokens after apply", len(live))
	}
	_, res, err := acctest.ReadStateFile(filepath.Join(dir, "terraform.tfstate"))
	must(t, err)
	var tokenID string
	for _, r := range res {
		if r.Type == "jira_align_access_token" {
			tokenID = r.Attr("id")
		}
	}

	other, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, 2).PublicKey)
	must(t, err)
	l := env.Jira.Links()[0]
	c := *l.Consumer
	c.PublicKey = other
	must(t, env.Jira.SetConsumer(l.ID, &c))

	// Without refresh nothing is known to have changed; with it, the drift is planned.
	run(0, "plan", "-refresh=false", "-detailed-exitcode")
	run(0, "apply", "-refresh=false", "-auto-approve")
	out := run(2, "plan", "-detailed-exitcode")
	for _, want := range []string{"Jira refuses the signature of the OAuth access token", tokenID, "jira_align_access_token.test must be replaced"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	// Destroy without refresh: the revoke is refused with the only key the provider has.
	out = run(0, "destroy", "-refresh=false", "-auto-approve")
	for _, want := range []string{"Jira OAuth access token not revoked", tokenID, "signature_invalid", "View OAuth Access Tokens", "JiraAlignCLI"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("destroy output lacks %q:\n%s", want, out)
		}
	}
	if _, res, err := acctest.ReadStateFile(filepath.Join(dir, "terraform.tfstate")); err != nil || len(res) != 0 {
		t.Errorf("state after destroy: %v, %v", res, err)
	}
	// Deleting the link took the token with it.
	must(t, nothingLive(env)(nil))
}

// A key rotation whose revoke of the old token fails for good still completes: the new token and
// the connector are in place, and a warning names the old token and where to revoke it.
func TestAccChain_keyRotationRevokeFails(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	rec := &acctest.Diagnostics{}
	cfg := func(n int) string {
		h := chainHCL{consumerKey: "JiraAlignNoRevoke", connectorName: "norevoke",
			keyPair: fmt.Sprintf("resource \"jira_align_key_pair\" \"test\" {\n  rsa_bits = 2048\n  keepers  = { rotated = \"%d\" }\n}", n)}
		return env.ProviderBlock() + h.render(env)
	}
	var old string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.RecordingProviderFactories(rec),
		Steps: []resource.TestStep{
			{
				Config: cfg(1),
				Check: resource.ComposeAggregateTestCheckFunc(exactlyOneLiveToken(t, env, true),
					resource.TestCheckResourceAttrWith(tokenAddr, "id", func(v string) error { old = v; return nil })),
			},
			{
				PreConfig: func() {
					env.JiraFaults.Add(simfault.Rule{Kind: simfault.Status, Status: 502, Method: "POST", PathContains: "/oauth/users/access-tokens", Times: 100})
				},
				Config: cfg(2),
				Check: resource.ComposeAggregateTestCheckFunc(
					keyHeldEverywhere(t, env, 2048),
					func(s *terraform.State) error {
						env.JiraFaults.Clear()
						live := env.Jira.LiveTokens()
						if len(live) != 2 || live[1].Token != s.RootModule().Resources[tokenAddr].Primary.Attributes["token"] {
							return fmt.Errorf("%d live tokens, want the old one and the new one in state", len(live))
						}
						w := rec.Warnings("The previous Jira OAuth access token was not revoked")
						if len(w) != 1 || !strings.Contains(w[0].Detail, old) || !strings.Contains(w[0].Detail, "View OAuth Access Tokens") ||
							!strings.Contains(w[0].Detail, "JiraAlignNoRevoke") {
							return fmt.Errorf("want one warning naming token %s and where to revoke it, got %v", old, rec.All())
						}
						// As the warning says; the next destroy then leaves nothing.
						if !env.Jira.RevokeToken(live[0].Token) {
							return fmt.Errorf("the old token could not be revoked by hand")
						}
						return nil
					},
				),
			},
		},
		CheckDestroy: nothingLive(env),
	})
}

// pinnedToAdmin pins a chain's token to the administrator that approves it in these tests, which
// also keeps the approver warning (expected on an unpinned token) out of no-warning checks.
var pinnedToAdmin = fmt.Sprintf("expected_authorized_user = %q\n", acctest.AdminUser)
