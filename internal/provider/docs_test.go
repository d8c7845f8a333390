package provider_test

// The documentation's configurations, run as a user would run them.
//
// TestAccDocs_configurationsRunAsWritten collects
//
//   - every ```terraform block under a heading containing "Complete" (at any level above the
//     block) in docs/index.md and docs/guides/*.md, and
//   - every examples/resources/*/resource.tf,
//
// copies each verbatim into a directory of its own as main.tf and runs it through the CLI of
// TF_ACC_TERRAFORM_PATH against a fresh pair of simulators on loopback TLS: init, validate,
// apply, `plan -detailed-exitcode` (must exit 0) and destroy. The test adds nothing to the
// configuration: provider settings come from the environment variables the docs name
// (JIRA_ALIGN_URL, …), variable values from TF_VAR_ variables, the provider from a filesystem
// mirror holding the binary built from this repository (TF_CLI_CONFIG_FILE), and the
// simulators' CA from SSL_CERT_FILE. After apply the simulators must hold exactly what the state
// says, and after destroy nothing.
//
// Conventions for documentation writers:
//
//   - Each block under a "Complete" heading is one whole configuration, with its
//     required_providers block and every variable it uses declared.
//   - A configuration that cannot run against the simulators (it imports or reads objects made
//     outside Terraform, it needs a real Jira) is marked by an HTML comment on the line before
//     its block, `<!-- docs-test: validate-only -->`, and is only initialised and validated.
//   - A configuration that sets a write-only attribute (`*_wo = …`) needs Terraform or OpenTofu
//     1.11+ and is skipped, with the reason, on older CLIs.
//   - Variables without a default get values from docsVariable: give a new variable one of the
//     names it knows, or teach it the new name.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

// repoRoot is the module root, seen from this package's directory.
var repoRoot = filepath.Join("..", "..")

// docConfig is one configuration found in the documentation.
type docConfig struct {
	// name is where it comes from: a path below the repository root, and for Markdown the
	// heading and line of the block.
	name string
	// text is the configuration, verbatim.
	text string
	// validateOnly: the docs mark it as not runnable on loopback.
	validateOnly bool
}

// completeBlocks returns the ```terraform blocks of a Markdown document that sit under a heading
// containing "Complete" (the nearest heading or any heading above it). The only docs-test
// marker is validate-only: a block the docs mark as not runnable on loopback.
func completeBlocks(name, markdown string) ([]docConfig, error) {
	blocks, err := acctest.ParseGuide(name, markdown)
	if err != nil {
		return nil, err
	}
	var out []docConfig
	for _, b := range blocks {
		if b.Marker != "" && b.Marker != "validate-only" {
			return nil, fmt.Errorf("%s:%d: unknown docs-test marker %q (known: validate-only)", name, b.Line-1, b.Marker)
		}
		if b.Lang != "terraform" || !slices.ContainsFunc(b.Headings, func(h string) bool { return strings.Contains(strings.ToLower(h), "complete") }) {
			continue
		}
		out = append(out, docConfig{
			name:         fmt.Sprintf("%s:%d (%s)", name, b.Line, b.Heading()),
			text:         b.Text,
			validateOnly: b.Marker == "validate-only",
		})
	}
	return out, nil
}

// docConfigs finds every configuration the docs test runs.
func docConfigs(t *testing.T) []docConfig {
	t.Helper()
	var out []docConfig
	pages, err := filepath.Glob(filepath.Join(repoRoot, "docs", "guides", "*.md"))
	must(t, err)
	pages = append([]string{filepath.Join(repoRoot, "docs", "index.md")}, pages...)
	for _, p := range pages {
		b, err := os.ReadFile(p)
		must(t, err)
		rel, _ := filepath.Rel(repoRoot, p)
		blocks, err := completeBlocks(rel, string(b))
		must(t, err)
		out = append(out, blocks...)
	}
	examples, err := filepath.Glob(filepath.Join(repoRoot, "examples", "resources", "*", "resource.tf"))
	must(t, err)
	for _, p := range examples {
		b, err := os.ReadFile(p)
		must(t, err)
		rel, _ := filepath.Rel(repoRoot, p)
		out = append(out, docConfig{name: rel, text: string(b)})
	}
	return out
}

// The docs test finds the configurations it is meant to run: a test that found none would pass
// without checking anything.
func TestDocs_configurationsFound(t *testing.T) {
	got := map[string]bool{}
	for _, c := range docConfigs(t) {
		got[strings.SplitN(c.name, ":", 2)[0]] = true
	}
	dirs, err := filepath.Glob(filepath.Join(repoRoot, "examples", "resources", "*"))
	must(t, err)
	if len(dirs) == 0 {
		t.Fatal("no examples/resources/*")
	}
	want := []string{"docs/guides/oauth-setup.md", "docs/index.md"}
	for _, d := range dirs {
		want = append(want, filepath.ToSlash(filepath.Join("examples", "resources", filepath.Base(d), "resource.tf")))
	}
	for _, w := range want {
		if !got[filepath.FromSlash(w)] {
			t.Errorf("the docs test finds no configuration in %s", w)
		}
	}
}

func TestDocs_completeBlocks(t *testing.T) {
	md := strings.Join([]string{
		"# Guide",
		"```terraform",
		"top = 1",
		"```",
		"## Complete configuration",
		"```terraform",
		"a = 1",
		"```",
		"```sh",
		"terraform apply",
		"```",
		"### Variant",
		"<!-- docs-test: validate-only -->",
		"",
		"```terraform",
		"b = 2",
		"```",
		"## Rotation",
		"```terraform",
		"c = 3",
		"```",
		"## Something complete, in other words",
		"```terraform",
		"d = 4",
		"```",
	}, "\n")
	got, err := completeBlocks("g.md", md)
	must(t, err)
	var summary []string
	for _, c := range got {
		summary = append(summary, fmt.Sprintf("%s validateOnly=%v %q", c.name, c.validateOnly, c.text))
	}
	want := []string{
		`g.md:6 (Complete configuration) validateOnly=false "a = 1\n"`,
		`g.md:15 (Variant) validateOnly=true "b = 2\n"`,
		`g.md:23 (Something complete, in other words) validateOnly=false "d = 4\n"`,
	}
	if strings.Join(summary, "\n") != strings.Join(want, "\n") {
		t.Errorf("completeBlocks:\n%s\nwant:\n%s", strings.Join(summary, "\n"), strings.Join(want, "\n"))
	}
	if _, err := completeBlocks("g.md", "## Complete\n<!-- docs-test: validate-olny -->\n```terraform\nx = 1\n```\n"); err == nil {
		t.Error("a misspelt marker is accepted")
	}
	if _, err := completeBlocks("g.md", "## Complete\n```terraform\nx = 1\n"); err == nil {
		t.Error("an unclosed block is accepted")
	}
}

// docVariable is a variable a configuration declares.
type docVariable struct {
	name       string
	typ        string // "string", "number", "bool" or "" (any)
	hasDefault bool
}

func configVariables(t *testing.T, name, text string) []docVariable {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(text), "main.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("%s does not parse: %s", name, diags.Error())
	}
	var out []docVariable
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "variable" || len(b.Labels) != 1 {
			continue
		}
		v := docVariable{name: b.Labels[0]}
		_, v.hasDefault = b.Body.Attributes["default"]
		if a, ok := b.Body.Attributes["type"]; ok {
			v.typ = hcl.ExprAsKeyword(a.Expr)
		}
		out = append(out, v)
	}
	return out
}

// docsVariable is the value the docs test gives a variable the docs declare without a default:
// the simulators' URLs and credentials for the names that mean them, and a made-up secret for
// any other password, token or secret (Jira Align stores it; the test checks it arrived).
func docsVariable(env *acctest.Env, v docVariable) (string, bool) {
	n := strings.ToLower(v.name)
	switch n {
	case "align_url", "jira_align_url":
		return env.AlignURL, true
	case "jira_url":
		return env.JiraURL, true
	case "align_api_token", "jira_align_api_token":
		return env.AlignToken, true
	case "jira_username", "admin_username", "jira_admin_username":
		return acctest.AdminUser, true
	case "service_username", "jira_service_username", "approver_username", "service_account":
		return acctest.ServiceUser, true
	}
	secret := strings.Contains(n, "password") || strings.Contains(n, "token") || strings.Contains(n, "secret")
	switch {
	case v.typ == "number" && strings.HasSuffix(n, "_version"):
		return "1", true
	case secret && (strings.Contains(n, "service") || strings.Contains(n, "approver")):
		return env.ServicePass, true
	case secret && (strings.Contains(n, "admin") || n == "jira_password"):
		return env.AdminPass, true
	case secret && v.typ != "number" && v.typ != "bool":
		return "docs-" + n + "-value", true
	}
	return "", false
}

// docsCLI is the CLI under test and what it supports.
type docsCLI struct {
	path           string
	name           string // "Terraform" or "OpenTofu"
	major, minor   int
	version        string
	supportsWOOnly bool
}

func detectCLI(t *testing.T) docsCLI {
	t.Helper()
	c := docsCLI{path: os.Getenv("TF_ACC_TERRAFORM_PATH")}
	cmd := exec.Command(c.path, "version", "-json")
	cmd.Env = cliEnv(os.DevNull)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s version -json: %v", c.path, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json: %v\n%s", c.path, err, out)
	}
	c.version = v.Version
	parts := strings.SplitN(v.Version, ".", 3)
	if len(parts) < 2 {
		t.Fatalf("%s version %q", c.path, v.Version)
	}
	c.major, _ = strconv.Atoi(parts[0])
	c.minor, _ = strconv.Atoi(parts[1])
	c.name = "Terraform"
	cmd = exec.Command(c.path, "version")
	cmd.Env = cliEnv(os.DevNull)
	if full, err := cmd.Output(); err == nil && strings.Contains(string(full), "OpenTofu") {
		c.name = "OpenTofu"
	}
	c.supportsWOOnly = c.major > 1 || c.major == 1 && c.minor >= 11
	return c
}

// writeOnlyAttr finds an assignment to a write-only attribute.
var writeOnlyAttr = regexp.MustCompile(`(?m)^\s*([a-z0-9_]+_wo)\s*=`)

// docsMirror builds the provider and lays it out as a filesystem mirror for both registries'
// addresses of jira-align-tf/jira; it returns the CLI configuration file that installs the
// provider from there and from nowhere else.
func docsMirror(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(providerBinary(t), "terraform-provider-jira")
	dir := t.TempDir()
	mirror := filepath.Join(dir, "mirror")
	platform := runtime.GOOS + "_" + runtime.GOARCH
	for _, host := range []string{"registry.terraform.io", "registry.opentofu.org"} {
		d := filepath.Join(mirror, host, "jira-align-tf", "jira", "0.0.1", platform)
		must(t, os.MkdirAll(d, 0o755))
		must(t, os.Link(bin, filepath.Join(d, "terraform-provider-jira_v0.0.1")))
	}
	rc := filepath.Join(dir, "docs.tfrc")
	must(t, os.WriteFile(rc, []byte(fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/jira-align-tf/jira", "registry.opentofu.org/jira-align-tf/jira"]
  }
}
`, mirror)), 0o600))
	return rc
}

// TestAccDocs_configurationsRunAsWritten: see the comment at the top of this file.
func TestAccDocs_configurationsRunAsWritten(t *testing.T) {
	acctest.PreCheck(t)
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		t.Skip("needs TF_ACC_TERRAFORM_PATH")
	}
	configs := docConfigs(t)
	cli := detectCLI(t)
	rc := docsMirror(t)
	t.Logf("%s %s: %d configurations", cli.name, cli.version, len(configs))
	for _, c := range configs {
		t.Run(strings.NewReplacer("/", "_", " ", "_", "`", "").Replace(c.name), func(t *testing.T) {
			if m := writeOnlyAttr.FindStringSubmatch(c.text); m != nil && !cli.supportsWOOnly {
				t.Skipf("%s sets the write-only attribute %s, which needs Terraform or OpenTofu 1.11+; this CLI is %s %s",
					c.name, m[1], cli.name, cli.version)
			}
			t.Parallel()
			runDocConfig(t, cli, rc, c)
		})
	}
}

func runDocConfig(t *testing.T, cli docsCLI, rc string, c docConfig) {
	env := acctest.New(t, acctest.Options{JiraContextPath: "/jira"})
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(c.text), 0o600))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(caFile, []byte(env.CAPEM), 0o600))

	vars := map[string]string{}
	for _, v := range configVariables(t, c.name, c.text) {
		if v.hasDefault {
			continue
		}
		val, ok := docsVariable(env, v)
		if !ok {
			t.Fatalf("%s declares variable %q without a default, and the docs test does not know a value for it: "+
				"rename it or add it to docsVariable", c.name, v.name)
		}
		vars[v.name] = val
	}
	environ := []string{
		"JIRA_ALIGN_URL=" + env.AlignURL, "JIRA_ALIGN_API_TOKEN=" + env.AlignToken,
		"JIRA_URL=" + env.JiraURL, "JIRA_USERNAME=" + acctest.AdminUser, "JIRA_PASSWORD=" + env.AdminPass,
		"SSL_CERT_FILE=" + caFile,
	}
	for k, v := range vars {
		environ = append(environ, "TF_VAR_"+k+"="+v)
	}
	var timings []string
	// run runs the CLI in dir and fails the test unless it exits 0.
	run := func(args ...string) string {
		t.Helper()
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli.path, args...)
		cmd.Dir = dir
		cmd.Env = append(docsEnv(rc), environ...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("%s %s: %v", cli.name, args[0], err)
			}
			code = ee.ExitCode()
		}
		if code != 0 {
			t.Fatalf("%s %s of %s: exit %d, want 0:\n%s", cli.name, strings.Join(args, " "), c.name, code, out.String())
		}
		timings = append(timings, fmt.Sprintf("%s %s", args[0], time.Since(start).Round(10*time.Millisecond)))
		return out.String()
	}
	destroyed := false
	run("init", "-input=false", "-no-color")
	run("validate", "-no-color")
	if c.validateOnly {
		t.Logf("%s: marked validate-only in the docs: validated, not applied (%s)", c.name, strings.Join(timings, ", "))
		nothingLeft(t, env, c.name+" (validate-only)")
		return
	}
	t.Cleanup(func() {
		if !destroyed { // a failed step: take down what was made, so no later check sees it
			cmd := exec.Command(cli.path, "destroy", "-auto-approve", "-input=false", "-no-color")
			cmd.Dir, cmd.Env = dir, append(docsEnv(rc), environ...)
			_ = cmd.Run()
		}
	})
	run("apply", "-auto-approve", "-input=false", "-no-color")
	checkPeersMatchState(t, c.name, env, run("show", "-json"), vars)
	run("plan", "-detailed-exitcode", "-input=false", "-no-color")
	run("destroy", "-auto-approve", "-input=false", "-no-color")
	destroyed = true
	nothingLeft(t, env, c.name)
	t.Logf("%s: %s %s ran it (%s); the simulators are empty after destroy", c.name, cli.name, cli.version, strings.Join(timings, ", "))
}

// docsEnv is the CLI's environment: the test process's without anything set for the CLI, the
// provider or the simulators (cliEnv), with the mirror's CLI configuration.
func docsEnv(rc string) []string {
	var env []string
	for _, kv := range cliEnv(rc) {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "JIRA_") || k == "SSL_CERT_FILE" || k == "SSL_CERT_DIR" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func nothingLeft(t *testing.T, env *acctest.Env, name string) {
	t.Helper()
	if err := nothingLive(env)(nil); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

// stateResource is one managed resource of `show -json`.
type stateResource struct {
	Address string         `json:"address"`
	Mode    string         `json:"mode"`
	Type    string         `json:"type"`
	Values  map[string]any `json:"values"`
}

type stateModule struct {
	Resources    []stateResource `json:"resources"`
	ChildModules []stateModule   `json:"child_modules"`
}

func (m stateModule) all() []stateResource {
	out := append([]stateResource(nil), m.Resources...)
	for _, c := range m.ChildModules {
		out = append(out, c.all()...)
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func nested(v map[string]any, key string) map[string]any {
	m, _ := v[key].(map[string]any)
	return m
}

// checkPeersMatchState compares the simulators' records with the state after apply: every
// connector, application link and access token in state exists in the peer with the same
// fields, and the peers hold nothing else.
func checkPeersMatchState(t *testing.T, name string, env *acctest.Env, showJSON string, vars map[string]string) {
	t.Helper()
	var show struct {
		Values struct {
			RootModule stateModule `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(showJSON), &show); err != nil {
		t.Fatalf("%s: show -json: %v", name, err)
	}
	counts := map[string]int{}
	connectors := map[string]bool{}
	for _, c := range env.Align.Connectors() {
		connectors[strconv.Itoa(c.ID)] = true
	}
	links := env.Jira.Links()
	live := env.Jira.LiveTokens()
	knownSecrets := map[string]bool{}
	for _, v := range vars {
		knownSecrets[v] = true
	}
	stateTokens := map[string]bool{}
	for _, r := range show.Values.RootModule.all() {
		if r.Type == "jira_align_access_token" {
			stateTokens[str(r.Values["token"])] = true
		}
	}
	for _, r := range show.Values.RootModule.all() {
		if r.Mode != "managed" {
			continue
		}
		counts[r.Type]++
		v := r.Values
		switch r.Type {
		case "jira_align_connector":
			id, _ := strconv.Atoi(str(v["id"]))
			c, ok := env.Align.Connector(id)
			if !ok {
				t.Errorf("%s: %s (id %q) is not in Jira Align", name, r.Address, str(v["id"]))
				continue
			}
			if c.Name != str(v["name"]) || c.JiraURL != str(v["jira_url"]) {
				t.Errorf("%s: %s: Jira Align holds name %q, jira_url %q; state %q, %q", name, r.Address, c.Name, c.JiraURL, str(v["name"]), str(v["jira_url"]))
			}
			if basic := nested(v, "basic"); basic != nil {
				if c.AuthType != "basic" || c.Username != str(basic["username"]) || c.Password == "" {
					t.Errorf("%s: %s: Jira Align holds auth %q, user %q, a password: %v", name, r.Address, c.AuthType, c.Username, c.Password != "")
				}
				if p := str(basic["password"]); p != "" && c.Password != p {
					t.Errorf("%s: %s: Jira Align holds another password than the configured one", name, r.Address)
				}
				if str(basic["password"]) == "" && !knownSecrets[c.Password] {
					t.Errorf("%s: %s: Jira Align holds a password that is none of the values the test gave", name, r.Address)
				}
			}
			if o := nested(v, "oauth1"); o != nil {
				// On the write-only path the connector's state holds no token: the one Jira Align
				// holds must then be a token the state's jira_align_access_token holds.
				want := str(o["access_token"])
				if want == "" && stateTokens[c.AccessToken] {
					want = c.AccessToken
				}
				if c.AuthType != "oauth1" || c.ConsumerKey != str(o["consumer_key"]) || c.AccessToken != want || c.PrivateKeyPEM == "" {
					t.Errorf("%s: %s: Jira Align holds auth %q, consumer key %q and another token than state", name, r.Address, c.AuthType, c.ConsumerKey)
				}
				found := false
				for _, tok := range live {
					found = found || tok.Token == c.AccessToken && tok.ConsumerKey == c.ConsumerKey
				}
				if !found {
					t.Errorf("%s: %s: the connector's access token is not live in Jira", name, r.Address)
				}
			}
		case "jira_application_link":
			found := false
			for _, l := range links {
				if l.ID != str(v["id"]) {
					continue
				}
				found = true
				cons := nested(v, "consumer")
				if l.RPCURL != str(v["rpc_url"]) || l.Name != str(v["name"]) || (cons != nil) != (l.Consumer != nil) ||
					cons != nil && l.Consumer.Key != str(cons["consumer_key"]) {
					t.Errorf("%s: %s: Jira holds %+v", name, r.Address, l)
				}
			}
			if !found {
				t.Errorf("%s: %s (id %q) is not in Jira", name, r.Address, str(v["id"]))
			}
		case "jira_align_access_token":
			found := false
			for _, tok := range live {
				if tok.Token == str(v["token"]) {
					found = true
					if tok.ConsumerKey != str(v["consumer_key"]) || tok.User != str(v["authorized_user"]) {
						t.Errorf("%s: %s: Jira holds it for consumer %q, user %q; state %q, %q", name, r.Address,
							tok.ConsumerKey, tok.User, str(v["consumer_key"]), str(v["authorized_user"]))
					}
				}
			}
			if !found {
				t.Errorf("%s: %s is not a live token in Jira", name, r.Address)
			}
		}
	}
	for typ, n := range map[string]int{"jira_align_connector": len(connectors), "jira_application_link": len(links), "jira_align_access_token": len(live)} {
		if counts[typ] != n {
			t.Errorf("%s: state has %d %s, the simulators hold %d", name, counts[typ], typ, n)
		}
	}
	var types []string
	for typ, n := range counts {
		types = append(types, fmt.Sprintf("%d %s", n, typ))
	}
	sort.Strings(types)
	if !t.Failed() {
		t.Logf("%s: applied %s; the simulators hold the same", name, strings.Join(types, ", "))
	}
}

// readmeRecipe returns the first ```sh block of README.md's section heading.
func readmeRecipe(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	must(t, err)
	s := string(b)
	i := strings.Index(s, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no section %q", heading)
	}
	s = s[i+len(heading)+2:]
	if end := strings.Index(s, "\n## "); end >= 0 {
		s = s[:end]
	}
	start := strings.Index(s, "```sh\n")
	if start < 0 {
		t.Fatalf("README.md's section %q has no sh block", heading)
	}
	s = s[start+len("```sh\n"):]
	end := strings.Index(s, "\n```")
	if end < 0 {
		t.Fatalf("README.md's section %q: unclosed sh block", heading)
	}
	return s[:end+1]
}

// TestAccDocs_readmeDevOverrides runs README's dev_overrides recipe as written, in the
// repository, with HOME in a temporary directory: it must build the provider, write a CLI
// configuration of its own and select it through TF_CLI_CONFIG_FILE, leaving ~/.terraformrc
// alone. Then, in the same shell, the CLI plans the key pair example (skipping init, as README
// says) with the provider from the override.
func TestAccDocs_readmeDevOverrides(t *testing.T) {
	acctest.PreCheck(t)
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		t.Skip("needs TF_ACC_TERRAFORM_PATH")
	}
	recipe := readmeRecipe(t, "## Running against a real Jira Align and Jira")
	for _, want := range []string{"dev_overrides", "TF_CLI_CONFIG_FILE", "make build"} {
		if !strings.Contains(recipe, want) {
			t.Fatalf("README's recipe does not mention %s:\n%s", want, recipe)
		}
	}
	if strings.Contains(recipe, ".terraformrc") || strings.Contains(recipe, "terraform.rc") {
		t.Errorf("README's recipe writes the user's CLI configuration:\n%s", recipe)
	}
	root, err := filepath.Abs(repoRoot)
	must(t, err)
	written := filepath.Join(root, "dev.tfrc")
	if _, err := os.Stat(written); err == nil {
		t.Skipf("%s exists: the recipe would overwrite it", written)
	}
	t.Cleanup(func() { _ = os.Remove(written) })

	home, cfg := t.TempDir(), t.TempDir()
	example, err := os.ReadFile(filepath.Join(root, "examples", "resources", "jira_align_key_pair", "resource.tf"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(cfg, "main.tf"), example, 0o600))
	env := acctest.New(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(caFile, []byte(env.CAPEM), 0o600))

	script := "set -euo pipefail\n" + recipe +
		`cd "$DOCS_CONFIG_DIR" && "$DOCS_CLI" plan -input=false -no-color` + "\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = root
	var environ []string
	for _, kv := range docsEnv("") {
		k, _, _ := strings.Cut(kv, "=")
		if k != "TF_CLI_CONFIG_FILE" && k != "HOME" {
			environ = append(environ, kv)
		}
	}
	// Go's caches stay where they are (a new HOME would move them), and what Go and the CLI
	// keep in the user's configuration and cache directories goes elsewhere, so that anything in
	// HOME afterwards was written by the recipe.
	goEnv, err := exec.Command("go", "env", "GOPATH", "GOMODCACHE", "GOCACHE").Output()
	must(t, err)
	goVars := strings.Split(strings.TrimSpace(string(goEnv)), "\n")
	if len(goVars) != 3 {
		t.Fatalf("go env: %q", goEnv)
	}
	environ = append(environ, "GOPATH="+goVars[0], "GOMODCACHE="+goVars[1], "GOCACHE="+goVars[2],
		"XDG_CONFIG_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir())
	cmd.Env = append(environ, "HOME="+home, "DOCS_CONFIG_DIR="+cfg, "DOCS_CLI="+os.Getenv("TF_ACC_TERRAFORM_PATH"),
		"JIRA_ALIGN_URL="+env.AlignURL, "JIRA_ALIGN_API_TOKEN="+env.AlignToken,
		"JIRA_URL="+env.JiraURL, "JIRA_USERNAME="+acctest.AdminUser, "JIRA_PASSWORD="+env.AdminPass,
		"SSL_CERT_FILE="+caFile)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README's recipe, then plan: %v\n%s", err, out)
	}
	t.Logf("README's recipe and a plan: %s", time.Since(start).Round(10*time.Millisecond))
	for _, want := range []string{"Provider development overrides are in effect", root, "jira_align_key_pair.align will be created"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the plan does not show %q:\n%s", want, out)
		}
	}
	rc, err := os.ReadFile(written)
	if err != nil {
		t.Fatalf("the recipe wrote no %s: %v", written, err)
	}
	if !strings.Contains(string(rc), fmt.Sprintf("%q = %q", "jira-align-tf/jira", root)) {
		t.Errorf("%s does not override jira-align-tf/jira with %s:\n%s", written, root, rc)
	}
	if fi, err := os.Stat(filepath.Join(root, "terraform-provider-jira")); err != nil || fi.ModTime().Before(start.Add(-time.Second)) {
		t.Errorf("the recipe did not build %s (%v)", filepath.Join(root, "terraform-provider-jira"), err)
	}
	entries, err := os.ReadDir(home)
	must(t, err)
	for _, e := range entries {
		t.Errorf("the recipe wrote %s in HOME", e.Name())
	}
}

// TestDocs_nothingPointsOutside: README, docs and comments describe the wire calls in the
// project's own words (docs/guides/http-calls.md) and name no file outside the repository, such
// as a contract document beside it. The patterns are spelt in pieces so this file does not
// match them itself.
func TestDocs_nothingPointsOutside(t *testing.T) {
	patterns := []string{"CONT" + "RACT", ".." + "/shared"}
	skipDirs := map[string]bool{".git": true, "bin": true, ".demo": true, ".bench": true, "node_modules": true, ".terraform": true}
	var files int
	err := filepath.WalkDir(repoRoot, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != repoRoot && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.IndexByte(b, 0) >= 0 { // a binary, such as a built provider
			return nil
		}
		files++
		for n, line := range strings.Split(string(b), "\n") {
			for _, pat := range patterns {
				if strings.Contains(line, pat) {
					rel, _ := filepath.Rel(repoRoot, p)
					t.Errorf("%s:%d points outside the repository (%q): %s", rel, n+1, pat, strings.TrimSpace(line))
				}
			}
		}
		return nil
	})
	must(t, err)
	if files < 50 {
		t.Fatalf("only %d files scanned from %s", files, repoRoot)
	}
}
