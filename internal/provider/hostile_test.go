package provider_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

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
