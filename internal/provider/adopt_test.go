package provider_test

// Adoption of a setup made by hand, run as a user runs it: the recipes of the guide "Adopting an
// existing setup" (docs/guides/adopting-an-existing-setup.md), read from the guide and run
// verbatim, plus the cases the guide only mentions (several matches, no match, a connector gone).

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/alignsim"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/jirasim"
)

const adoptGuide = "../../docs/guides/adopting-an-existing-setup.md"

// guidePart is what a "## " section of a guide holds: files (terraform blocks whose first line
// is "# <file name>"), snippets (other terraform blocks), shell command lines and text blocks.
type guidePart struct {
	files    map[string]string
	snippets []string
	commands []string
	texts    []string
}

// readGuide splits a guide into its "## " sections, keyed by heading ("" before the first one).
func readGuide(t *testing.T, file string) map[string]*guidePart {
	t.Helper()
	sections := map[string]*guidePart{"": {files: map[string]string{}}}
	for _, b := range acctest.GuideBlocks(t, file) {
		heading := ""
		if len(b.Headings) >= 2 {
			heading = b.Headings[1]
		}
		cur := sections[heading]
		if cur == nil {
			cur = &guidePart{files: map[string]string{}}
			sections[heading] = cur
		}
		switch b.Lang {
		case "terraform":
			first, _, _ := strings.Cut(b.Text, "\n")
			if name, ok := strings.CutPrefix(first, "# "); ok && !strings.Contains(name, " ") {
				cur.files[name] = b.Text
			} else {
				cur.snippets = append(cur.snippets, b.Text)
			}
		case "shell":
			cur.commands = append(cur.commands, strings.Split(strings.TrimSuffix(b.Text, "\n"), "\n")...)
		case "text":
			cur.texts = append(cur.texts, b.Text)
		}
	}
	return sections
}

func (s *guidePart) file(t *testing.T, name string) string {
	t.Helper()
	f, ok := s.files[name]
	if !ok {
		t.Fatalf("the guide section has no %s block", name)
	}
	return f
}

// section returns a guide section by the start of its heading.
func section(t *testing.T, guide map[string]*guidePart, heading string) *guidePart {
	t.Helper()
	for h, s := range guide {
		if strings.HasPrefix(h, heading) {
			return s
		}
	}
	t.Fatalf("the guide has no section %q", heading)
	return nil
}

// runGuideCommands runs shell lines of the guide verbatim ("terraform" is the CLI under test,
// Terraform or OpenTofu), answering "yes" where the CLI asks, and returns each one's output.
func runGuideCommands(t *testing.T, w *acctest.Workspace, lines []string) []string {
	t.Helper()
	var outs []string
	for _, line := range lines {
		args := strings.Fields(line)
		if len(args) == 0 || args[0] != "terraform" {
			t.Fatalf("guide command %q does not start with terraform", line)
		}
		out, code := w.RunWithInput("yes\n", args[1:]...)
		if code != 0 {
			t.Fatalf("guide command %q exited %d on %s:\n%s", line, code, w.CLI.Name(), out)
		}
		outs = append(outs, out)
	}
	return outs
}

// flat is CLI output with the diagnostic box drawing removed and all white space collapsed, so
// that wrapped messages can be matched.
func flat(out string) string {
	out = strings.NewReplacer("│", " ", "╷", " ", "╵", " ").Replace(out)
	return strings.Join(strings.Fields(out), " ")
}

// The ids and names the guide's examples use.
const (
	guideConnectorID   = "12"
	guideConnectorName = "jira-prod"
	guideLinkID        = "1c0bd3f6-2b8f-3a4c-9d1e-7f0a5b6c4d21"
	guideAlignURL      = "https://example.jiraalign.com"
)

// handMade is what an administrator made by hand before adopting it.
type handMade struct {
	basic, oauth alignsim.StoredConnector
	link         string
	connectors   []alignsim.StoredConnector
	links        []jirasim.ApplicationLink
}

// makeByHand creates, directly in the simulators, a basic connector named jira-prod with id 12
// (eleven connectors were made and deleted before it), an oauth1 connector and the application
// link the guide shows, and records what the simulators hold.
func makeByHand(t *testing.T, env *acctest.Env) *handMade {
	t.Helper()
	for i := range 11 {
		c, err := env.Align.AddConnector(alignsim.StoredConnector{Name: fmt.Sprintf("trial-%d", i), JiraURL: "https://jira.example.com",
			JiraType: 2, AuthType: "basic", Username: "trial", Password: "trial"})
		must(t, err)
		env.Align.DeleteConnector(c.ID)
	}
	exp := time.Date(2031, 11, 27, 22, 0, 0, 0, time.UTC)
	h := &handMade{}
	var err error
	h.basic, err = env.Align.AddConnector(alignsim.StoredConnector{Name: guideConnectorName, JiraURL: "https://jira.example.com",
		JiraType: 2, AuthType: "basic", Username: "svc-align", Password: "api-token-typed-in-the-ui"})
	must(t, err)
	if fmt.Sprint(h.basic.ID) != guideConnectorID {
		t.Fatalf("the hand-made connector has id %d, want the guide's %s", h.basic.ID, guideConnectorID)
	}
	h.oauth, err = env.Align.AddConnector(alignsim.StoredConnector{Name: "jira-oauth", JiraURL: "https://jira.example.com/jira",
		JiraType: 2, AuthType: "oauth1", ConsumerKey: "JiraAlignProd", PrivateKeyPEM: acctest.TestKeyPEM(t, 0),
		AccessToken: "token-by-hand", AccessTokenSecret: "token-secret-by-hand", AccessTokenExpiresAt: &exp})
	must(t, err)
	pub, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, 0).PublicKey)
	must(t, err)
	h.link, err = env.Jira.AddLink(jirasim.ApplicationLink{ID: guideLinkID, Name: "Jira Align", RPCURL: guideAlignURL,
		Consumer: &jirasim.Consumer{Key: "JiraAlignProd", Name: "Jira Align", Description: "made by hand", PublicKey: pub}})
	must(t, err)
	h.connectors, h.links = env.Align.Connectors(), env.Jira.Links()
	return h
}

// unchanged fails the test unless both simulators hold exactly what was made by hand.
func (h *handMade) unchanged(t *testing.T, env *acctest.Env) {
	t.Helper()
	if got := env.Align.Connectors(); !reflect.DeepEqual(got, h.connectors) {
		t.Errorf("Jira Align's connectors changed:\n got %+v\nwant %+v", got, h.connectors)
	}
	if got := env.Jira.Links(); !reflect.DeepEqual(got, h.links) {
		t.Errorf("Jira's application links changed:\n got %+v\nwant %+v", got, h.links)
	}
}

// adoptWorkspace is a working directory with the guide's main.tf and a provider block for the
// simulators.
func adoptWorkspace(t *testing.T, cli *acctest.CLIBinary, env *acctest.Env, guide map[string]*guidePart) *acctest.Workspace {
	t.Helper()
	w := acctest.NewWorkspace(t, cli, env.ProviderFactories())
	w.Write("main.tf", guide[""].file(t, "main.tf"))
	w.Write("provider.tf", env.ProviderBlock())
	return w
}

// stateInstance is one resource instance of the raw state, identity included.
type stateInstance struct {
	Type, Name string
	ID         string
	Identity   map[string]any
}

func readInstances(t *testing.T, w *acctest.Workspace) map[string]stateInstance {
	t.Helper()
	var doc struct {
		Resources []struct {
			Mode, Type, Name string
			Instances        []struct {
				Attributes map[string]any `json:"attributes"`
				Identity   map[string]any `json:"identity"`
			} `json:"instances"`
		} `json:"resources"`
	}
	must(t, json.Unmarshal([]byte(w.Read("terraform.tfstate")), &doc))
	out := map[string]stateInstance{}
	for _, r := range doc.Resources {
		for _, in := range r.Instances {
			id, _ := in.Attributes["id"].(string)
			out[r.Type+"."+r.Name] = stateInstance{Type: r.Type, Name: r.Name, ID: id, Identity: in.Identity}
		}
	}
	return out
}

// wantManaged checks that the state manages the hand-made objects under the given addresses.
func wantManaged(t *testing.T, w *acctest.Workspace, want map[string]string) map[string]stateInstance {
	t.Helper()
	got := readInstances(t, w)
	if len(got) != len(want) {
		t.Errorf("state holds %d resources, want %d: %+v", len(got), len(want), got)
	}
	for addr, id := range want {
		if got[addr].ID != id {
			t.Errorf("state: %s has id %q, want %q", addr, got[addr].ID, id)
		}
	}
	return got
}

func mustPlanEmpty(t *testing.T, w *acctest.Workspace) string {
	t.Helper()
	out, code := w.Run("plan", "-detailed-exitcode")
	if code != 0 {
		t.Fatalf("plan after the adoption exited %d, want 0 (no changes):\n%s", code, out)
	}
	return out
}

// requireQuery skips unless the CLI has terraform query (Terraform 1.14+). OpenTofu is asked:
// once it has a query command, the skip turns into a failure, so that the tests run there too.
func requireQuery(t *testing.T, cli *acctest.CLIBinary) {
	t.Helper()
	if cli.Tofu {
		w := acctest.NewWorkspace(t, cli, acctest.ProviderFactories())
		out, code := w.Run("query")
		if code != 0 && strings.Contains(out, `no command named "query"`) {
			t.Skipf("list resources need terraform query (Terraform 1.14+); %s answers: %s", cli.Name(), strings.TrimSpace(strings.SplitN(out, "\n", 2)[0]))
		}
		t.Fatalf("%s may have a query command now (exit %d): run the query tests on it:\n%s", cli.Name(), code, out)
	}
	if !cli.TerraformAtLeast("1.14.0") {
		t.Skipf("terraform query and list resources need Terraform 1.14 or later; %s has no query command", cli.Name())
	}
}

func requireIdentity(t *testing.T, cli *acctest.CLIBinary) {
	t.Helper()
	if !cli.TerraformAtLeast("1.12.0") && !cli.TofuAtLeast("1.12.0") {
		t.Skipf("resource identity and import blocks by identity need Terraform 1.12 or OpenTofu 1.12 or later; %s has neither", cli.Name())
	}
}

// The guide's recipe with terraform query: list, generate, apply, plan empty; then the password
// handed to Terraform as the guide shows.
func TestAccAdopt_guideQuery(t *testing.T) {
	cli := acctest.CLIFromEnv(t)
	requireQuery(t, cli)
	guide := readGuide(t, adoptGuide)
	sec := section(t, guide, "With terraform query")
	env := acctest.New(t)
	h := makeByHand(t, env)
	w := adoptWorkspace(t, cli, env, guide)
	w.Write("adopt.tfquery.hcl", sec.file(t, "adopt.tfquery.hcl"))

	if len(sec.commands) != 5 || len(sec.texts) != 1 {
		t.Fatalf("the section has %d commands and %d output blocks, want 5 (init, query; query -generate-config-out, apply, plan) and 1", len(sec.commands), len(sec.texts))
	}
	outs := runGuideCommands(t, w, sec.commands[:2])
	// Every line the guide shows is in the query's output, and so is the oauth1 connector.
	for _, line := range strings.Split(strings.TrimSpace(sec.texts[0]), "\n") {
		re := regexp.MustCompile(`(?m)^` + strings.Join(quoteAll(strings.Fields(line)), `\s+`) + `\s*$`)
		if !re.MatchString(outs[1]) {
			t.Errorf("terraform query does not print the guide's line %q:\n%s", line, outs[1])
		}
	}
	if !regexp.MustCompile(`(?m)^list\.jira_align_connector\.all\s+id=13\s+jira-oauth\s*$`).MatchString(outs[1]) {
		t.Errorf("terraform query does not list the oauth1 connector:\n%s", outs[1])
	}
	h.unchanged(t, env)

	outs = runGuideCommands(t, w, sec.commands[2:])
	gen := w.Read("adopted.tf")
	for _, want := range []string{`password            = null # sensitive`, `private_key_pem         = null # sensitive`,
		`consumer_key   = "JiraAlignProd"`, `id = "` + guideLinkID + `"`, `id = "12"`} {
		if !strings.Contains(gen, want) {
			t.Errorf("adopted.tf lacks %q:\n%s", want, gen)
		}
	}
	if !strings.Contains(outs[1], "3 imported, 0 added, 0 changed, 0 destroyed") {
		t.Errorf("apply did not import exactly the three objects:\n%s", outs[1])
	}
	if !strings.Contains(outs[2], "No changes.") || !strings.Contains(flat(outs[2]), `Secrets of connector "jira-prod" not in the configuration`) {
		t.Errorf("the plan after the apply is not empty with the secrets warning:\n%s", outs[2])
	}
	w.MustRun("validate")
	wantManaged(t, w, map[string]string{
		"jira_align_connector.all_0": guideConnectorID, "jira_align_connector.all_1": "13", "jira_application_link.all_0": guideLinkID,
	})
	h.unchanged(t, env)

	// "To manage the password from then on, set it": the guide's snippet in place of the
	// generated basic block, then one apply sends it.
	snippets := section(t, guide, "Secrets are not read back").snippets
	if len(snippets) != 1 {
		t.Fatalf("the secrets section has %d snippets, want 1", len(snippets))
	}
	basicBlock := regexp.MustCompile(`(?m)^  basic = \{\n(?:.*\n)*?  \}\n`)
	if n := len(basicBlock.FindAllString(gen, -1)); n != 1 {
		t.Fatalf("adopted.tf has %d basic blocks, want 1", n)
	}
	w.Write("adopted.tf", basicBlock.ReplaceAllLiteralString(gen, snippets[0]))
	w.Write("variables.tf", "variable \"jira_api_token\" {\n  type      = string\n  sensitive = true\n}\n")
	w.Setenv("TF_VAR_jira_api_token", "api-token-now-in-terraform")
	out := w.MustRun("apply", "-auto-approve")
	if !strings.Contains(out, "0 added, 1 changed, 0 destroyed") {
		t.Errorf("handing the password to Terraform is not one in-place update:\n%s", out)
	}
	c, _ := env.Align.Connector(h.basic.ID)
	if c.Password != "api-token-now-in-terraform" || c.CredentialVersion != 2 || c.Username != "svc-align" || c.Name != guideConnectorName {
		t.Errorf("Jira Align holds %+v after the password was handed to Terraform", c)
	}
	out = mustPlanEmpty(t, w)
	if strings.Contains(flat(out), `connector "jira-prod"`) {
		t.Errorf("the plan still warns about jira-prod's password:\n%s", out)
	}
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = regexp.QuoteMeta(v)
	}
	return out
}

// The guide's import blocks by identity, with the configuration generated.
func TestAccAdopt_guideIdentity(t *testing.T) {
	cli := acctest.CLIFromEnv(t)
	requireIdentity(t, cli)
	guide := readGuide(t, adoptGuide)
	sec := section(t, guide, "Import blocks by identity")
	env := acctest.New(t)
	h := makeByHand(t, env)
	w := adoptWorkspace(t, cli, env, guide)
	w.Write("import.tf", sec.file(t, "import.tf"))
	w.MustRun("init")

	outs := runGuideCommands(t, w, sec.commands)
	if !strings.Contains(outs[1], "2 imported, 0 added, 0 changed, 0 destroyed") {
		t.Errorf("apply did not import exactly the two objects:\n%s", outs[1])
	}
	w.MustRun("validate")
	mustPlanEmpty(t, w)
	got := wantManaged(t, w, map[string]string{"jira_align_connector.prod": guideConnectorID, "jira_application_link.align": guideLinkID})
	for addr, id := range map[string]string{"jira_align_connector.prod": guideConnectorID, "jira_application_link.align": guideLinkID} {
		if !reflect.DeepEqual(got[addr].Identity, map[string]any{"id": id}) {
			t.Errorf("%s's identity in state is %v, want id %s", addr, got[addr].Identity, id)
		}
	}
	h.unchanged(t, env)
}

// The guide's import blocks by name and URL, with the configuration generated, then the
// terraform import commands on that configuration in a new working directory.
func TestAccAdopt_guideByNameAndURL(t *testing.T) {
	cli := acctest.CLIFromEnv(t)
	guide := readGuide(t, adoptGuide)
	sec := section(t, guide, "Import blocks by name or URL")
	if len(sec.commands) != 5 {
		t.Fatalf("the section has %d commands, want 5 (plan, apply; import, import, plan)", len(sec.commands))
	}
	env := acctest.New(t)
	h := makeByHand(t, env)
	w := adoptWorkspace(t, cli, env, guide)
	w.Write("import.tf", sec.file(t, "import.tf"))
	w.MustRun("init")

	outs := runGuideCommands(t, w, sec.commands[:2])
	if !strings.Contains(outs[1], "2 imported, 0 added, 0 changed, 0 destroyed") {
		t.Errorf("apply did not import exactly the two objects:\n%s", outs[1])
	}
	w.MustRun("validate")
	mustPlanEmpty(t, w)
	wantManaged(t, w, map[string]string{"jira_align_connector.prod": guideConnectorID, "jira_application_link.align": guideLinkID})
	h.unchanged(t, env)

	// terraform import, on the generated configuration without its import blocks.
	w2 := adoptWorkspace(t, cli, env, guide)
	w2.Write("generated.tf", w.Read("generated.tf"))
	w2.MustRun("init")
	outs = runGuideCommands(t, w2, sec.commands[2:])
	if !strings.Contains(outs[2], "No changes.") {
		t.Errorf("the plan after terraform import is not empty:\n%s", outs[2])
	}
	wantManaged(t, w2, map[string]string{"jira_align_connector.prod": guideConnectorID, "jira_application_link.align": guideLinkID})
	h.unchanged(t, env)
}

// -generate-config-out for a basic and an oauth1 connector and a link, imported by id, name and
// URL spelled differently from the records: the generated file validates and plans; after the
// apply the plan is empty; a connector that must be created again needs its secrets, as the
// guide says.
func TestAccAdopt_generateConfig(t *testing.T) {
	cli := acctest.CLIFromEnv(t)
	guide := readGuide(t, adoptGuide)
	env := acctest.New(t)
	h := makeByHand(t, env)
	w := adoptWorkspace(t, cli, env, guide)
	w.Write("import.tf", fmt.Sprintf(`
import {
  to = jira_align_connector.basic
  id = "0%d"
}

import {
  to = jira_align_connector.oauth
  id = "JIRA-OAuth"
}

import {
  to = jira_application_link.align
  id = "HTTPS://Example.JiraAlign.com/"
}
`, h.basic.ID))
	w.MustRun("init")
	out := w.MustRun("plan", "-generate-config-out=generated.tf")
	if !strings.Contains(out, "3 to import, 0 to add, 0 to change, 0 to destroy") {
		t.Errorf("the generating plan is not three imports:\n%s", out)
	}
	gen := w.Read("generated.tf")
	for _, want := range []string{
		`password            = null # sensitive`, `password_wo         = null # sensitive`, `username            = "svc-align"`,
		`private_key_pem         = null # sensitive`, `access_token            = null # sensitive`,
		`access_token_secret     = null # sensitive`, `access_token_expires_at = "2031-11-27T22:00:00Z"`,
		`consumer_key            = "JiraAlignProd"`, `rpc_url     = "https://example.jiraalign.com"`,
	} {
		if !strings.Contains(gen, want) {
			t.Errorf("generated.tf lacks %q:\n%s", want, gen)
		}
	}
	// The generated file validates and plans (secrets shown as such: a warning naming them).
	w.MustRun("validate")
	out = flat(w.MustRun("plan"))
	for _, want := range []string{
		"3 to import, 0 to add, 0 to change, 0 to destroy",
		`basic.password: not in the configuration, so Jira Align keeps what it holds for connector "jira-prod"`,
		`oauth1.private_key_pem, oauth1.access_token, oauth1.access_token_secret: not in the configuration, so Jira Align keeps what it holds for connector "jira-oauth"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan of the generated configuration lacks %q:\n%s", want, out)
		}
	}
	w.MustRun("apply", "-auto-approve")
	mustPlanEmpty(t, w)
	wantManaged(t, w, map[string]string{
		"jira_align_connector.basic": guideConnectorID, "jira_align_connector.oauth": fmt.Sprint(h.oauth.ID), "jira_application_link.align": guideLinkID,
	})
	h.unchanged(t, env)

	// An edit made in Jira Align is still drift, re-applied without a secret.
	must(t, env.Align.EditConnector(h.oauth.ID, func(c *alignsim.StoredConnector) { c.JiraURL = "https://other.example.com" }))
	out, code := w.Run("plan", "-detailed-exitcode")
	if code != 2 || !strings.Contains(out, "jira_align_connector.oauth will be updated in-place") {
		t.Fatalf("drift on the adopted oauth1 connector: plan exited %d:\n%s", code, out)
	}
	w.MustRun("apply", "-auto-approve")
	c, _ := env.Align.Connector(h.oauth.ID)
	if c.JiraURL != "https://jira.example.com/jira" || c.AccessToken != "token-by-hand" || c.PrivateKeyPEM != h.oauth.PrivateKeyPEM ||
		c.CredentialVersion != h.oauth.CredentialVersion {
		t.Errorf("after re-applying the adopted oauth1 connector Jira Align holds %+v", c)
	}
	mustPlanEmpty(t, w)

	// The connector is deleted in Jira Align: creating it again needs its secrets, at plan time,
	// with the text the guide quotes.
	quoted := regexp.MustCompile("the plan fails with\\s+`([^`]*) …`").FindStringSubmatch(flat(readFile(t, adoptGuide)))
	if quoted == nil {
		t.Fatal("the guide does not quote the missing-secret error")
	}
	env.Align.DeleteConnector(h.basic.ID)
	out = flat(w.Fails("plan"))
	if !strings.Contains(out, "Error: Missing connector secret") || !strings.Contains(out, quoted[1]) {
		t.Errorf("re-creating a connector without its secret: the plan does not fail with %q:\n%s", quoted[1], out)
	}
	if n := len(env.Align.Connectors()); n != 1 {
		t.Errorf("Jira Align holds %d connectors after the failed plan, want 1", n)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name) //nolint:gosec // the repository's own files
	must(t, err)
	return string(b)
}

// Import ids that match nothing or more than one object fail, naming what was asked for, and
// import nothing.
func TestAccAdopt_importErrors(t *testing.T) {
	cli := acctest.CLIFromEnv(t)
	env := acctest.New(t)
	h := makeByHand(t, env)
	pub, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, 1).PublicKey)
	must(t, err)
	w := acctest.NewWorkspace(t, cli, env.ProviderFactories())
	w.Write("main.tf", acctest.TerraformBlock()+env.ProviderBlock()+`
resource "jira_align_connector" "x" {
  name      = "x"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  basic     = { username = "svc-align" }
}

resource "jira_application_link" "x" {
  name    = "Jira Align"
  rpc_url = "https://example.jiraalign.com"
  consumer = {
    consumer_key   = "JiraAlignProd"
    public_key_pem = `+acctest.HCLHeredoc(pub)+`
  }
}
`)
	w.MustRun("init")
	cases := []struct{ addr, id, want string }{
		{"jira_align_connector.x", "nobody", `No Jira Align connector is named "nobody" (names are compared case-insensitively)`},
		{"jira_application_link.x", "https://nowhere.example.com", `None of Jira's 1 application links has the rpc_url "https://nowhere.example.com"`},
	}
	for _, c := range cases {
		out := flat(w.Fails("import", c.addr, c.id))
		if !strings.Contains(out, c.want) {
			t.Errorf("import %s %s: output lacks %q:\n%s", c.addr, c.id, c.want, out)
		}
	}
	// Jira Align refuses a second connector with a name in any case, but a peer that broke the
	// rule is not guessed at: an edit in its database gives two connectors the same name.
	var dup alignsim.StoredConnector
	dup, err = env.Align.AddConnector(alignsim.StoredConnector{Name: "jira-copy", JiraURL: "https://jira.example.com", JiraType: 2,
		AuthType: "basic", Username: "u", Password: "p"})
	must(t, err)
	must(t, env.Align.EditConnector(dup.ID, func(c *alignsim.StoredConnector) { c.Name = "JIRA-PROD" }))
	out := flat(w.Fails("import", "jira_align_connector.x", "jira-prod"))
	if want := fmt.Sprintf(`2 Jira Align connectors are named "jira-prod" (ids %d, %d); import one by its numeric id.`, h.basic.ID, dup.ID); !strings.Contains(out, want) {
		t.Errorf("import by a name two connectors have: output lacks %q:\n%s", want, out)
	}
	if _, err := os.Stat(filepath.Join(w.Dir, "terraform.tfstate")); err == nil {
		if n := len(readInstances(t, w)); n != 0 {
			t.Errorf("the failed imports left %d resources in state", n)
		}
	}
	if identityCLI(cli) {
		w.Write("import.tf", `
import {
  to       = jira_align_connector.x
  identity = { id = "jira-prod" }
}
`)
		out := flat(w.Fails("plan"))
		if want := `identity.id: "jira-prod" is not a numeric Jira Align connector id.`; !strings.Contains(out, want) {
			t.Errorf("import by an identity that is a name: output lacks %q:\n%s", want, out)
		}
	}
}

func identityCLI(cli *acctest.CLIBinary) bool {
	return cli.TerraformAtLeast("1.12.0") || cli.TofuAtLeast("1.12.0")
}

// terraform query pages through Jira Align 100 connectors at a time and stops at the query's
// limit; a name filter lists one connector, an rpc_url filter one link, and a link to another
// Atlassian application is not listed. Every generated configuration validates.
func TestAccAdopt_queryPagingAndFilters(t *testing.T) {
	cli := acctest.CLIFromEnv(t)
	requireQuery(t, cli)
	env := acctest.New(t)
	for i := range 120 {
		_, err := env.Align.AddConnector(alignsim.StoredConnector{Name: fmt.Sprintf("conn-%03d", i), JiraURL: "https://jira.example.com",
			JiraType: 1, AuthType: "basic", Username: "svc-align", Password: "p"})
		must(t, err)
	}
	pub, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, 0).PublicKey)
	must(t, err)
	for i, u := range []string{"https://align-a.example.com", "https://align-b.example.com"} {
		_, err := env.Jira.AddLink(jirasim.ApplicationLink{Name: "Jira Align", RPCURL: u,
			Consumer: &jirasim.Consumer{Key: fmt.Sprintf("Key%d", i), Name: "Jira Align", PublicKey: pub}})
		must(t, err)
	}
	// A link made by another application: not the kind jira_application_link manages.
	_, err = env.Jira.AddLink(jirasim.ApplicationLink{Name: "Confluence", RPCURL: "https://wiki.example.com", TypeID: "confluence"})
	must(t, err)
	w := acctest.NewWorkspace(t, cli, env.ProviderFactories())
	w.Write("main.tf", acctest.TerraformBlock()+env.ProviderBlock())
	w.MustRun("init")

	listCalls := func() int64 { return env.Align.RequestCounts()["GET /rest/align/api/2/Connectors"] }
	results := func(out, list string) int {
		return len(regexp.MustCompile(`(?m)^list\.`+regexp.QuoteMeta(list)+`\s+id=`).FindAllString(out, -1))
	}
	cases := []struct {
		name, query, list string
		results           int
		pages             int64 // connector list calls, -1: not counted
	}{
		{"default limit: 100 results, one page", `list "jira_align_connector" "all" {
  provider = jira
}`, "jira_align_connector.all", 100, 1},
		{"limit 150: all 120, two pages", `list "jira_align_connector" "all" {
  provider = jira
  limit    = 150
}`, "jira_align_connector.all", 120, 2},
		{"limit 5: one page", `list "jira_align_connector" "few" {
  provider = jira
  limit    = 5
}`, "jira_align_connector.few", 5, 1},
		{"by name, another case", `list "jira_align_connector" "one" {
  provider = jira
  config {
    name = "CONN-042"
  }
}`, "jira_align_connector.one", 1, 1},
		{"generic links only", `list "jira_application_link" "all" {
  provider = jira
}`, "jira_application_link.all", 2, -1},
		{"link by rpc_url", `list "jira_application_link" "b" {
  provider = jira
  config {
    rpc_url = "HTTPS://align-b.example.com/"
  }
}`, "jira_application_link.b", 1, -1},
	}
	for _, c := range cases {
		w.Write("q.tfquery.hcl", c.query+"\n")
		before := listCalls()
		out := w.MustRun("query")
		if n := results(out, c.list); n != c.results {
			t.Errorf("%s: %d results, want %d:\n%s", c.name, n, c.results, out)
		}
		if got := listCalls() - before; c.pages >= 0 && got != c.pages {
			t.Errorf("%s: %d connector list calls, want %d", c.name, got, c.pages)
		}
		if strings.Contains(out, "wiki.example.com") {
			t.Errorf("%s: the Confluence link is listed:\n%s", c.name, out)
		}
	}
	if out := w.MustRun("query"); !strings.Contains(out, "Jira Align (https://align-b.example.com)") {
		t.Errorf("the link's display name is not its name and URL:\n%s", out)
	}

	// The configuration generated for 42 and the b link validates; query writes nothing else.
	w.Write("q.tfquery.hcl", cases[3].query+"\n"+cases[5].query+"\n")
	w.MustRun("query", "-generate-config-out=adopted.tf")
	gen := w.Read("adopted.tf")
	if !strings.Contains(gen, `name      = "conn-042"`) || !strings.Contains(gen, `rpc_url     = "https://align-b.example.com"`) ||
		strings.Count(gen, "import {") != 2 {
		t.Errorf("adopted.tf:\n%s", gen)
	}
	w.MustRun("validate")
}

// Resource identity through terraform-plugin-testing: created resources carry their id as
// identity, and an import block by identity imports each of them again.
func TestAccAdopt_identityOfManagedResources(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	cfg := linkConfig(t, env, "JiraAlignIdent", 0, "identity") +
		basicConnector("ident", "https://jira.example.com", "data_center", "svc-align", "pw-ident")
	var connID, linkUUID string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: env.ProviderFactories(),
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentityValueMatchesState(connAddr, tfjsonpath.New("id")),
					statecheck.ExpectIdentityValueMatchesState(linkAddr, tfjsonpath.New("id")),
				},
				Check: func(s *terraform.State) error {
					connID, linkUUID = s.RootModule().Resources[connAddr].Primary.ID, linkID(s)
					cs, links := env.Align.Connectors(), env.Jira.Links()
					if len(cs) != 1 || fmt.Sprint(cs[0].ID) != connID || len(links) != 1 || links[0].ID != linkUUID {
						return fmt.Errorf("the simulators hold %+v and %+v, state names connector %s and link %s", cs, links, connID, linkUUID)
					}
					return nil
				},
			},
			{
				// The connector's imported state has no password (Jira Align never returns it), so
				// the configured one is sent once: an in-place update, nothing else.
				ResourceName:       connAddr,
				ImportState:        true,
				ImportStateKind:    resource.ImportBlockWithResourceIdentity,
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(connAddr, plancheck.ResourceActionUpdate),
				}},
			},
			{
				ResourceName:    linkAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}

// Each command of the resources' import examples (examples/resources/*/import.sh, shown on the
// resource pages), run verbatim against the objects made by hand, imports the right object and
// leaves an empty plan.
func TestAccAdopt_importExamples(t *testing.T) {
	cli := acctest.CLIFromEnv(t)
	guide := readGuide(t, adoptGuide)
	env := acctest.New(t)
	h := makeByHand(t, env)
	pub, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, 0).PublicKey)
	must(t, err)
	w := adoptWorkspace(t, cli, env, guide)
	w.Write("resources.tf", `
resource "jira_align_connector" "prod" {
  name      = "jira-prod"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  basic     = { username = "svc-align" }
}

resource "jira_application_link" "align" {
  name    = "Jira Align"
  rpc_url = "https://example.jiraalign.com"
  consumer = {
    consumer_key   = "JiraAlignProd"
    public_key_pem = `+acctest.HCLHeredoc(pub)+`
    description    = "made by hand"
  }
}
`)
	w.MustRun("init")
	want := map[string]string{"jira_align_connector.prod": guideConnectorID, "jira_application_link.align": guideLinkID}
	for _, file := range []string{"../../examples/resources/jira_align_connector/import.sh", "../../examples/resources/jira_application_link/import.sh"} {
		n := 0
		for _, line := range strings.Split(readFile(t, file), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			n++
			runGuideCommands(t, w, []string{line})
			addr := strings.Fields(line)[2]
			got := readInstances(t, w)
			if got[addr].ID != want[addr] {
				t.Errorf("%s: state holds %s with id %q, want %q", line, addr, got[addr].ID, want[addr])
			}
			if out, code := w.Run("plan", "-detailed-exitcode", "-target="+addr); code != 0 {
				t.Errorf("%s: the plan of %s exited %d, want 0 (no changes):\n%s", line, addr, code, out)
			}
			w.MustRun("state", "rm", addr)
		}
		if n != 2 {
			t.Errorf("%s has %d commands, want 2 (by id, and by name or URL)", file, n)
		}
	}
	h.unchanged(t, env)
}

// The import blocks of the resource pages (examples/resources/*/import-by-*.tf), run verbatim
// against the objects made by hand: by string id on every CLI, by identity where the CLI has
// resource identity. Each imports the object it names, with the configuration generated, and
// the plan after the apply is empty.
func TestAccAdopt_importBlockExamples(t *testing.T) {
	cli := acctest.CLIFromEnv(t)
	guide := readGuide(t, adoptGuide)
	for _, kind := range []string{"import-by-string-id.tf", "import-by-identity.tf"} {
		t.Run(kind, func(t *testing.T) {
			if kind == "import-by-identity.tf" {
				requireIdentity(t, cli)
			}
			env := acctest.New(t)
			h := makeByHand(t, env)
			w := adoptWorkspace(t, cli, env, guide)
			w.Write("connector-import.tf", readFile(t, "../../examples/resources/jira_align_connector/"+kind))
			w.Write("link-import.tf", readFile(t, "../../examples/resources/jira_application_link/"+kind))
			w.MustRun("init")
			w.MustRun("plan", "-generate-config-out=generated.tf")
			w.MustRun("validate")
			out := w.MustRun("apply", "-auto-approve")
			if !strings.Contains(out, "2 imported, 0 added, 0 changed, 0 destroyed") {
				t.Errorf("apply did not import exactly the two objects:\n%s", out)
			}
			mustPlanEmpty(t, w)
			wantManaged(t, w, map[string]string{"jira_align_connector.prod": guideConnectorID, "jira_application_link.align": guideLinkID})
			h.unchanged(t, env)
		})
	}
}

// The list resources' examples (examples/list-resources/*/*.tfquery.hcl), run verbatim with
// terraform query: each lists what it says, and the configuration it generates validates.
func TestAccAdopt_listExamples(t *testing.T) {
	cli := acctest.CLIFromEnv(t)
	requireQuery(t, cli)
	guide := readGuide(t, adoptGuide)
	env := acctest.New(t)
	makeByHand(t, env)
	pub, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, 1).PublicKey)
	must(t, err)
	_, err = env.Jira.AddLink(jirasim.ApplicationLink{Name: "Jira Align (test)", RPCURL: "https://test.jiraalign.example",
		Consumer: &jirasim.Consumer{Key: "JiraAlignTest", Name: "Jira Align", PublicKey: pub}})
	must(t, err)
	want := map[string][]string{ // example file: the ids it lists
		"jira_align_connector/list-resource.tfquery.hcl":             {"id=12", "id=13"},
		"jira_align_connector/list-resource_by_name.tfquery.hcl":     {"id=12"},
		"jira_application_link/list-resource.tfquery.hcl":            {"id=" + guideLinkID, "Jira Align (test)"},
		"jira_application_link/list-resource_by_rpc_url.tfquery.hcl": {"id=" + guideLinkID},
	}
	files, err := filepath.Glob("../../examples/list-resources/*/*.tfquery.hcl")
	must(t, err)
	if len(files) != len(want) {
		t.Fatalf("examples/list-resources holds %d files, the test knows %d", len(files), len(want))
	}
	for _, f := range files {
		name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		w := adoptWorkspace(t, cli, env, guide)
		w.Write("example.tfquery.hcl", readFile(t, f))
		w.MustRun("init")
		out := w.MustRun("query")
		lines := regexp.MustCompile(`(?m)^list\.`).FindAllString(out, -1)
		if len(lines) != len(want[name]) {
			t.Errorf("%s: %d results, want %d:\n%s", name, len(lines), len(want[name]), out)
		}
		for _, s := range want[name] {
			if !strings.Contains(out, s) {
				t.Errorf("%s: the query does not list %q:\n%s", name, s, out)
			}
		}
		w.MustRun("query", "-generate-config-out=adopted.tf")
		w.MustRun("validate")
	}
}
