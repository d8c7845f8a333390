package provider_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
)

// Every request both peers receive, through the whole OAuth chain (link and consumer calls, the
// request-token and access-token calls dghubble/oauth1 sends, the approval, the signed calls,
// the connector's calls) and its destruction, carries
// "terraform-provider-jira/<version> (Terraform/<CLI version>)" with the version the CLI sent in
// ConfigureProvider, seen here on the wire of the plugin protocol. Terraform sends its own
// version, which must be the one `terraform version` prints; OpenTofu sends the Terraform
// version whose provider features it supports (1.13.0 from OpenTofu 1.12), not its own.
func TestAccProvider_userAgent(t *testing.T) {
	acctest.PreCheck(t)
	env := acctest.New(t)
	cli := acctest.RunningCLI(t)
	spy := &configureSpy{}
	factories := env.ProviderFactories()
	inner := factories["jira"]
	factories["jira"] = func() (tfprotov6.ProviderServer, error) {
		s, err := inner()
		if err != nil {
			return nil, err
		}
		return &configureSpyServer{ProviderServer: s, spy: spy}, nil
	}
	userAgent := func() (string, error) {
		sent, err := spy.version()
		if err != nil {
			return "", err
		}
		if cli.Name == "Terraform" && sent != cli.Version {
			return "", fmt.Errorf("Terraform %s sent TerraformVersion %q in ConfigureProvider", cli.Version, sent)
		}
		if cli.Name != "Terraform" {
			t.Logf("%s %s sent TerraformVersion %q in ConfigureProvider", cli.Name, cli.Version, sent)
		}
		return fmt.Sprintf("terraform-provider-jira/test (Terraform/%s)", sent), nil
	}
	only := func(peer string, seen map[string]int64) error {
		want, err := userAgent()
		if err != nil {
			return err
		}
		if len(seen) != 1 || seen[want] == 0 {
			return fmt.Errorf("%s simulator saw User-Agents %v, want every request with %q", peer, seen, want)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
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
			want, err := userAgent()
			if err != nil {
				return err
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

// configureSpy records the TerraformVersion of every ConfigureProvider call.
type configureSpy struct {
	mu   sync.Mutex
	sent []string
}

// version returns the one version every ConfigureProvider call so far carried.
func (s *configureSpy) version() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sent) == 0 || s.sent[0] == "" {
		return "", fmt.Errorf("ConfigureProvider calls carried TerraformVersion %q", s.sent)
	}
	for _, v := range s.sent {
		if v != s.sent[0] {
			return "", fmt.Errorf("ConfigureProvider calls carried different versions %q", s.sent)
		}
	}
	return s.sent[0], nil
}

// configureSpyServer passes every call through and records ConfigureProvider's TerraformVersion.
type configureSpyServer struct {
	tfprotov6.ProviderServer
	spy *configureSpy
}

func (s *configureSpyServer) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	s.spy.mu.Lock()
	s.spy.sent = append(s.spy.sent, req.TerraformVersion)
	s.spy.mu.Unlock()
	return s.ProviderServer.ConfigureProvider(ctx, req)
}
