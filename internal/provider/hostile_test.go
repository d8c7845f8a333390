package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/alignapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/alignsim"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/hostile"
)

// hostileEnv is a pair of simulators behind hostile peers, with objects made outside any state
// (in the Jira Align and Jira UIs) that nothing may touch.
type hostileEnv struct {
	*acctest.Env
	align, jira *hostile.Peer
	elsewhere   *hostile.Elsewhere
	// theirConnector and theirLink were made outside the state.
	theirConnector alignsim.StoredConnector
	theirLink      string
}

func newHostileEnv(t *testing.T) *hostileEnv {
	t.Helper()
	env := acctest.New(t)
	h := &hostileEnv{Env: env, align: hostile.New(t, env.AlignFaults), jira: hostile.New(t, env.JiraFaults), elsewhere: hostile.NewElsewhere(t)}
	hc, err := httpx.New(httpx.Settings{CACertPEM: env.CAPEM, MaxRetries: 0})
	must(t, err)
	ac, err := alignapi.New(env.AlignURL, env.AlignToken, hc)
	must(t, err)
	c, err := ac.CreateConnector(context.Background(), alignapi.ConnectorInput{
		Name: "theirs", JiraURL: "https://jira.example.com", JiraType: alignapi.JiraTypeDataCenter,
		AuthType: alignapi.AuthBasic, Username: "someone", Password: "their-password",
	})
	must(t, err)
	h.theirConnector, _ = env.Align.Connector(c.ID)
	registerConsumer(t, env, "TheirKey", 1)
	h.theirLink = env.Jira.Links()[0].ID
	return h
}

// block is the provider block pointing at the hostile peers.
func (h *hostileEnv) block(o acctest.BlockOptions) string {
	o.AlignURL, o.JiraURL = h.align.URL, h.jira.URL
	return h.ProviderBlockWith(o)
}

// untouched checks that nothing outside the state was changed, deleted, or even written to,
// and that no request reached another origin.
func (h *hostileEnv) untouched() error {
	now, ok := h.Align.Connector(h.theirConnector.ID)
	switch {
	case !ok:
		return fmt.Errorf("connector %d, made outside the state, was deleted", h.theirConnector.ID)
	case now.UpdatedAt != h.theirConnector.UpdatedAt || now.CredentialVersion != h.theirConnector.CredentialVersion || now.Name != h.theirConnector.Name:
		return fmt.Errorf("connector %d, made outside the state, was changed", h.theirConnector.ID)
	}
	theirPath := fmt.Sprintf("/rest/align/api/2/Connectors/%d", h.theirConnector.ID)
	for _, m := range []string{"PUT", "DELETE", "POST"} {
		if n := h.align.Hits(m, theirPath); n > 0 {
			return fmt.Errorf("%d %s requests on %s, a connector outside the state", n, m, theirPath)
		}
	}
	found := false
	for _, l := range h.Jira.Links() {
		if l.ID == h.theirLink {
			found = l.Consumer != nil && l.Consumer.Key == "TheirKey"
		}
	}
	if !found {
		return fmt.Errorf("application link %s (or its consumer), made outside the state, is gone", h.theirLink)
	}
	for _, p := range []string{"/rest/applinks/3.0/applicationlink/" + h.theirLink, "/rest/applinks-oauth/1.0/applicationlink/" + h.theirLink + "/authentication/consumer"} {
		for _, m := range []string{"PUT", "DELETE", "POST"} {
			if n := h.jira.Hits(m, p); n > 0 {
				return fmt.Errorf("%d %s requests on %s, outside the state", n, m, p)
			}
		}
	}
	if n := h.elsewhere.Hits(); n > 0 {
		return fmt.Errorf("%d requests reached another origin", n)
	}
	return nil
}

// onlyStateGone is CheckDestroy: the state's own objects are gone, the others untouched.
func (h *hostileEnv) onlyStateGone() func(*terraform.State) error {
	return func(*terraform.State) error {
		if err := h.untouched(); err != nil {
			return err
		}
		if n := len(h.Align.Connectors()); n != 1 {
			return fmt.Errorf("%d connectors in Jira Align after destroy, want only the one made outside the state", n)
		}
		if n := len(h.Jira.Links()); n != 1 {
			return fmt.Errorf("%d links in Jira after destroy, want only the one made outside the state", n)
		}
		return nil
	}
}

const swapConfig = `
resource "jira_align_connector" "mine" {
  name      = "mine"
  jira_url  = "https://jira.example.com"
  jira_type = "data_center"
  basic = {
    username = "svc-align"
    password = "my-password"
  }
}

data "jira_align_connector" "mine" {
  id = jira_align_connector.mine.id
}

resource "jira_align_key_pair" "mine" {
  rsa_bits = 2048
}

resource "jira_application_link" "mine" {
  name    = "Jira Align"
  rpc_url = "https://align.example.com"
  consumer = {
    consumer_key   = "MyKey"
    public_key_pem = jira_align_key_pair.mine.public_key_pem
  }
}
`

// TestAccHostile_swappedIDs: a proxy that answers the read of one object with another (a
// misrouting cache) must not make the provider adopt that other object: every read by id
// refuses the answer with an error naming both ids, the state keeps its ids, and the destroy
// that follows deletes only the state's own objects.
func TestAccHostile_swappedIDs(t *testing.T) {
	acctest.PreCheck(t)
	h := newHostileEnv(t)
	cfg := h.block(acctest.BlockOptions{}) + swapConfig
	theirs := h.theirConnector.ID
	mine := theirs + 1 // Jira Align numbers connectors in order
	var myLink string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: h.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: func(s *terraform.State) error {
					if id := s.RootModule().Resources["jira_align_connector.mine"].Primary.ID; id != fmt.Sprint(mine) {
						return fmt.Errorf("connector id %s, want %d", id, mine)
					}
					myLink = s.RootModule().Resources["jira_application_link.mine"].Primary.ID
					return h.untouched()
				},
			},
			{
				// The connector's read, and the data source's, answered with the other connector.
				PreConfig: func() {
					h.align.Set(hostile.Rule{Behaviour: hostile.Misroute, Method: "GET",
						PathContains: fmt.Sprintf("/Connectors/%d", mine), From: fmt.Sprintf("/Connectors/%d", mine), To: fmt.Sprintf("/Connectors/%d", theirs)})
				},
				Config:      cfg,
				ExpectError: regexp.MustCompile(fmt.Sprintf(`(?s)Cannot read the Jira Align connector.*answered\s+with\s+connector\s+%d,\s+not\s+connector\s+%d`, theirs, mine)),
			},
			{
				// The link's read answered with the other link.
				PreConfig: func() {
					h.align.Set()
					h.jira.Set(hostile.Rule{Behaviour: hostile.Misroute, Method: "GET",
						PathContains: "/rest/applinks/3.0/applicationlink/" + myLink, From: myLink, To: h.theirLink})
				},
				Config:      cfg,
				ExpectError: regexp.MustCompile(`(?s)Cannot read the Jira application link.*answered\s+with\s+application\s+link\s+"` + h.theirLink + `",\s+not\s+"[0-9a-f-]{36}"`),
			},
			{
				// Honest again: the state still names its own objects, and nothing changed.
				PreConfig: func() { h.jira.Set() },
				Config:    cfg,
				Check: resource.ComposeAggregateTestCheckFunc(
					func(*terraform.State) error { return h.untouched() },
					resource.TestCheckResourceAttrWith("jira_align_connector.mine", "id", func(v string) error {
						if v != fmt.Sprint(mine) {
							return fmt.Errorf("the connector's id became %s, was %d", v, mine)
						}
						return nil
					}),
					resource.TestCheckResourceAttrWith("jira_application_link.mine", "id", func(v string) error {
						if v != myLink {
							return fmt.Errorf("the link's id became %s, was %s", v, myLink)
						}
						return nil
					}),
					resource.TestCheckResourceAttrPair("data.jira_align_connector.mine", "id", "jira_align_connector.mine", "id"),
					resource.TestCheckResourceAttr("data.jira_align_connector.mine", "name", "mine"),
				),
			},
		},
		CheckDestroy: h.onlyStateGone(),
	})
}

// The hostile acceptance tests' provider settings: every call must end within
// (hostileRetries + 1) × hostileTimeout plus hostileMargin.
const (
	hostileTimeout = 2 * time.Second
	hostileRetries = 1
	hostileMargin  = 2 * time.Second
	// hostileHeap bounds the growth of this process's heap (where the provider runs) during a
	// step against a peer that sends without end.
	hostileHeap = 128 << 20
)

func (h *hostileEnv) hostileBlock() string {
	return h.block(acctest.BlockOptions{RequestTimeout: hostileTimeout.String(), MaxRetries: hostileRetries})
}

// bounded checks, after a step against hostile peers, that no hostile answer held a call longer
// than its budget, and that nothing outside the state was touched.
func (h *hostileEnv) bounded(t *testing.T) {
	t.Helper()
	budget := (hostileRetries+1)*hostileTimeout + hostileMargin
	for _, p := range []*hostile.Peer{h.align, h.jira} {
		if l := p.Longest(); l > hostileTimeout+hostileMargin {
			t.Errorf("one hostile answer held its request %s (request_timeout %s)", l, hostileTimeout)
		}
		for k, d := range p.Spans() {
			if d > budget {
				t.Errorf("%s was held %s in all, beyond (max_retries + 1) × request_timeout + margin = %s", k, d, budget)
			} else {
				t.Logf("%s: hostile answers for %s", k, d.Round(time.Millisecond))
			}
		}
	}
	if err := h.untouched(); err != nil {
		t.Error(err)
	}
}

// noControl fails when a diagnostic carries a character a terminal would interpret.
func noControl(t *testing.T, rec *acctest.Diagnostics) {
	t.Helper()
	for _, d := range rec.All() {
		if strings.ContainsAny(d.Text(), "\x1b\x07\u202e\r") {
			t.Errorf("a diagnostic carries control or bidi characters from the peer: %q", d.Text())
		}
	}
}

// TestAccHostile_redirectElsewhere: peers that redirect every call to another origin, with each
// redirect status. The provider never follows them (the other origin, which would answer,
// counts no request), fails each create with a message naming the redirect, and leaves
// nothing behind.
func TestAccHostile_redirectElsewhere(t *testing.T) {
	acctest.PreCheck(t)
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			h := newHostileEnv(t)
			h.align.Set(hostile.Rule{Behaviour: hostile.Redirect, Target: h.elsewhere.URL, Status: status})
			h.jira.Set(hostile.Rule{Behaviour: hostile.Redirect, Target: h.elsewhere.URL, Status: status})
			rec := &acctest.Diagnostics{}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: h.RecordingProviderFactories(rec),
				Steps: []resource.TestStep{{
					Config:      h.hostileBlock() + swapConfig,
					ExpectError: regexp.MustCompile(`(?s)redirect`),
				}},
				CheckDestroy: func(*terraform.State) error { return h.untouched() },
			})
			for _, re := range []*regexp.Regexp{
				regexp.MustCompile(`Cannot create the Jira Align connector: create connector: Jira Align answered HTTP ` + strconv.Itoa(status) + `.*redirect, which is not followed`),
				regexp.MustCompile(`Cannot create the Jira application link: create Jira application link: Jira answered HTTP ` + strconv.Itoa(status) + `.*redirected`),
			} {
				if !anyMatch(rec.All(), re) {
					t.Errorf("no diagnostic matches %q; got %q", re, texts(rec.All()))
				}
			}
			h.bounded(t)
			if n, m := len(h.Align.Connectors()), len(h.Jira.Links()); n != 1 || m != 1 {
				t.Errorf("%d connectors and %d links, want only those made outside the state", n, m)
			}
		})
	}
}

// TestAccHostile_endless: peers whose answers never end: a body (to the creates) and a header
// (to the reads of a refresh). Each call gives up within its budget, the heap of the process
// running the provider stays bounded, and nothing outside the state is touched.
func TestAccHostile_endless(t *testing.T) {
	acctest.PreCheck(t)
	h := newHostileEnv(t)
	cfg := h.hostileBlock() + swapConfig
	var heap *hostile.HeapWatch
	heapBounded := func(*terraform.State) error { return nil }
	start := func(rules func()) func() {
		return func() {
			rules()
			heap = hostile.WatchHeap()
		}
	}
	stop := func(t *testing.T) {
		t.Helper()
		if heap == nil {
			return
		}
		if grew := heap.Stop(); grew > hostileHeap {
			t.Errorf("the heap grew by %d MiB against an endless peer", grew>>20)
		} else {
			t.Logf("the heap grew by %d MiB against an endless peer", grew>>20)
		}
		heap = nil
		h.bounded(t)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: h.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				PreConfig: start(func() {
					h.align.Set(hostile.Rule{Behaviour: hostile.EndlessBody, Method: "POST", Path: "/rest/align/api/2/Connectors"})
					h.jira.Set(hostile.Rule{Behaviour: hostile.EndlessBody, Method: "PUT", Path: "/rest/applinks/3.0/applicationlink"})
				}),
				Config:      cfg,
				ExpectError: regexp.MustCompile(`(?s)larger\s+than\s+4\s+MiB`),
			},
			{
				PreConfig: func() {
					stop(t)
					h.align.Set()
					h.jira.Set()
				},
				Config: cfg,
				Check:  heapBounded,
			},
			{
				PreConfig: start(func() {
					h.align.Set(hostile.Rule{Behaviour: hostile.EndlessHeader, Method: "GET", PathContains: "/Connectors/"})
					h.jira.Set(hostile.Rule{Behaviour: hostile.EndlessHeader, Method: "GET", PathContains: "/applicationlink/"})
				}),
				Config:      cfg,
				ExpectError: regexp.MustCompile(`(?s)Cannot read the Jira Align connector.*(exceeded|headers)`),
			},
			{
				PreConfig: func() {
					stop(t)
					h.align.Set()
					h.jira.Set()
				},
				Config:   cfg,
				PlanOnly: true,
			},
		},
		CheckDestroy: h.onlyStateGone(),
	})
}

// TestAccHostile_trickle: a peer that answers the refresh's reads a byte at a time. The
// request_timeout bounds each attempt, so the refresh fails within
// (max_retries + 1) × request_timeout plus a margin, naming the timeout, and the next honest
// plan finds the state unchanged.
func TestAccHostile_trickle(t *testing.T) {
	acctest.PreCheck(t)
	h := newHostileEnv(t)
	cfg := h.hostileBlock() + swapConfig
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: h.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() {
					h.align.Set(hostile.Rule{Behaviour: hostile.Trickle, Method: "GET", PathContains: "/Connectors/", Interval: 100 * time.Millisecond})
					h.jira.Set(hostile.Rule{Behaviour: hostile.Trickle, Method: "GET", PathContains: "/applicationlink/", Interval: 100 * time.Millisecond})
				},
				Config:      cfg,
				ExpectError: regexp.MustCompile(`(?s)Cannot read the Jira (Align connector|application link).*failed\s+after\s+2\s+attempts.*deadline\s+exceeded`),
			},
			{
				PreConfig: func() {
					h.bounded(t)
					for _, p := range []*hostile.Peer{h.align, h.jira} {
						if p.Fired()[hostile.Trickle] == 0 {
							t.Error("the trickling rule never fired")
						}
					}
					h.align.Set()
					h.jira.Set()
				},
				Config:   cfg,
				PlanOnly: true,
			},
		},
		CheckDestroy: h.onlyStateGone(),
	})
}

// TestAccHostile_hostileValues: answers full of values a peer should never send. Reads that
// carry terminal escapes, bidi overrides and megabyte strings are either refused or land in
// state as data that the next apply corrects on the state's own objects; no diagnostic carries
// a control character; creates answered with another object (a connector of another name, a
// link to another URL) are refused before anything is done to that object; malformed bodies
// fail within their budget.
func TestAccHostile_hostileValues(t *testing.T) {
	acctest.PreCheck(t)
	h := newHostileEnv(t)
	cfg := h.hostileBlock() + swapConfig
	rec := &acctest.Diagnostics{}
	huge := strings.Repeat("h", 256<<10)
	escape := "\x1b]8;;https://evil.example\x07\u202e"
	theirConn := fmt.Sprintf(`{"id":%d,"name":"theirs","jiraUrl":"https://jira.example.com","jiraType":2,"authType":"basic","username":"someone","credentialVersion":1,"updatedAt":"2026-01-01T00:00:00Z"}`, h.theirConnector.ID)
	theirLink := fmt.Sprintf(`{"id":%q,"name":"OOB","rpcUrl":"https://oob.example.com","displayUrl":"https://oob.example.com","typeId":"generic"}`, h.theirLink)
	answer := func(status int, body string) func(*http.Request, hostile.Answer) hostile.Answer {
		return func(_ *http.Request, a hostile.Answer) hostile.Answer {
			return hostile.Answer{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
		}
	}
	evil := func(_ *http.Request, a hostile.Answer) hostile.Answer {
		body := strings.TrimSpace(string(a.Body))
		if strings.HasPrefix(body, "{") && len(body) > 2 {
			// Later members win: the hostile values replace the real ones.
			a.Body = []byte(body[:len(body)-1] + `,"name":` + jsonString("mine"+escape) + `,"username":` + jsonString(escape+huge) + `,"displayUrl":` + jsonString("https://x.example/"+escape) + `}`)
		}
		return a
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: h.RecordingProviderFactories(rec),
		Steps: []resource.TestStep{
			{
				// The creates answered with the objects made outside the state.
				PreConfig: func() {
					h.align.Set(hostile.Rule{Behaviour: hostile.Rewrite, Method: "POST", Path: "/rest/align/api/2/Connectors", Edit: answer(http.StatusCreated, theirConn)})
					h.jira.Set(hostile.Rule{Behaviour: hostile.Rewrite, Method: "PUT", Path: "/rest/applinks/3.0/applicationlink", Edit: answer(http.StatusCreated, theirLink)})
				},
				Config:      cfg,
				ExpectError: regexp.MustCompile(`(?s)answered\s+the\s+create\s+with`),
			},
			{
				// Honest again: the next apply reports what the refused creates made, by id,
				// with the commands that import them; here they are removed instead.
				PreConfig: func() {
					h.bounded(t)
					for _, c := range h.Align.Connectors() {
						if c.ID != h.theirConnector.ID {
							h.Align.DeleteConnector(c.ID)
						}
					}
					for _, l := range h.Jira.Links() {
						if l.ID != h.theirLink {
							h.Jira.DeleteLink(l.ID)
						}
					}
					h.align.Set()
					h.jira.Set()
				},
				Config: cfg,
			},
			{
				// Reads full of escapes and megabyte strings.
				PreConfig: func() {
					h.align.Set(hostile.Rule{Behaviour: hostile.Rewrite, Method: "GET", PathContains: "/Connectors/", Edit: evil})
					h.jira.Set(hostile.Rule{Behaviour: hostile.Rewrite, Method: "GET", PathContains: "/applicationlink/", Edit: evil})
				},
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				// Malformed bodies on every read.
				PreConfig: func() {
					malformed := func(_ *http.Request, a hostile.Answer) hostile.Answer {
						a.Body = []byte(`{"id":` + strings.Repeat("[", 100000) + "\x00\xff")
						return a
					}
					h.align.Set(hostile.Rule{Behaviour: hostile.Rewrite, Method: "GET", Edit: malformed})
					h.jira.Set(hostile.Rule{Behaviour: hostile.Rewrite, Method: "GET", Edit: malformed})
				},
				Config:      cfg,
				ExpectError: regexp.MustCompile(`(?s)could\s+not\s+be\s+decoded|not\s+an\s+application\s+link`),
			},
			{
				// Honest again: the apply corrects the state's own objects only.
				PreConfig: func() {
					h.bounded(t)
					h.align.Set()
					h.jira.Set()
				},
				Config: cfg,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("jira_align_connector.mine", "name", "mine"),
					func(*terraform.State) error { return h.untouched() },
				),
			},
		},
		CheckDestroy: h.onlyStateGone(),
	})
	noControl(t, rec)
}

// jsonString is s as a JSON string literal (control characters escaped, as JSON requires).
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestAccHostile_approvalNot302: a Jira (or a proxy in front of it) that answers the approval
// with a 307 carrying a perfectly good verifier is not taken as approving: only a 302 is. The
// error names the status and where it pointed, never the request token or verifier in the
// Location, and no token is left live.
func TestAccHostile_approvalNot302(t *testing.T) {
	acctest.PreCheck(t)
	h := newHostileEnv(t)
	h.jira.Set(hostile.Rule{Behaviour: hostile.Rewrite, Method: "POST", PathContains: "/oauth/authorize",
		Edit: func(_ *http.Request, a hostile.Answer) hostile.Answer {
			if a.Status == http.StatusFound {
				a.Status = http.StatusTemporaryRedirect
			}
			return a
		}})
	rec := &acctest.Diagnostics{}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: h.RecordingProviderFactories(rec),
		Steps: []resource.TestStep{{
			Config:      h.hostileBlock() + chainHCL{consumerKey: "JiraAlign307", noConnector: true}.render(h.Env),
			ExpectError: regexp.MustCompile(`(?s)OAuth approval: Jira answered HTTP 307: Jira answered the approval with HTTP\s+307\s+Temporary\s+Redirect\s+to\s+https://127\.0\.0\.1\s+instead\s+of\s+the\s+302\s+Found\s+that\s+carries\s+the\s+verifier`),
		}},
		CheckDestroy: func(*terraform.State) error {
			if n := len(h.Jira.LiveTokens()); n != 0 {
				return fmt.Errorf("%d live tokens after a refused approval", n)
			}
			return h.untouched()
		},
	})
	if h.jira.Fired()[hostile.Rewrite] == 0 {
		t.Fatal("the approval was never rewritten")
	}
	for _, d := range rec.All() {
		if strings.Contains(d.Text(), "oauth_token=") || strings.Contains(d.Text(), "oauth_verifier=") || strings.Contains(d.Text(), "jira-align-oauth-callback") {
			t.Errorf("a diagnostic carries the redirect's Location beyond its origin: %s", d.Text())
		}
	}
}
