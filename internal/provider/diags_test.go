package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/jira-align-tf/terraform-provider-jira/internal/alignapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/jiraapi"
)

func TestConnectorAPIErrorNamesTheAttributes(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &alignapi.APIError{Call: "create connector", StatusCode: 400, Message: "validation failed", Errors: map[string][]string{
		"consumerKey": {"must be letters and digits"},
		"password":    {"must not be empty"},
		"teamId":      {"unknown"},
	}})
	for _, wo := range []bool{false, true} {
		var diags diag.Diagnostics
		addConnectorAPIError(context.Background(), &diags, "Cannot create the Jira Align connector", err, wo)
		want := map[string]string{
			"oauth1.consumer_key": "oauth1.consumer_key: Jira Align rejected the value: must be letters and digits",
			"basic.password":      "basic.password: Jira Align rejected the value: must not be empty",
		}
		if wo {
			delete(want, "basic.password")
			want["basic.password_wo"] = "basic.password_wo: Jira Align rejected the value: must not be empty"
		}
		general := 0
		for _, d := range diags {
			wp, ok := d.(diag.DiagnosticWithPath)
			if !ok {
				general++
				if !strings.Contains(d.Detail(), "teamId: unknown") {
					t.Errorf("the unmapped field is not reported: %q", d.Detail())
				}
				continue
			}
			prefix, ok := want[wp.Path().String()]
			if !ok || !strings.HasPrefix(d.Detail(), prefix) || !strings.Contains(d.Detail(), "Jira Align answered HTTP 400") {
				t.Errorf("%s: %q", wp.Path(), d.Detail())
			}
			delete(want, wp.Path().String())
		}
		if len(want) != 0 || general != 1 {
			t.Errorf("missing %v, %d general errors (want 1)", want, general)
		}
	}

	var diags diag.Diagnostics
	addConnectorAPIError(context.Background(), &diags, "s", &alignapi.APIError{Call: "c", StatusCode: 500}, false)
	if len(diags) != 1 {
		t.Errorf("a server error: %v", diags)
	} else if _, ok := diags[0].(diag.DiagnosticWithPath); ok {
		t.Errorf("a server error names an attribute: %v", diags)
	}
}

func TestConsumerErrorNamesTheAttribute(t *testing.T) {
	cases := map[int]path.Path{409: path.Root("consumer").AtName("consumer_key"), 400: path.Root("consumer")}
	for status, p := range cases {
		var diags diag.Diagnostics
		addConsumerError(context.Background(), &diags, "s", &jiraapi.HTTPError{Call: "c", StatusCode: status, Message: "m"}, "")
		wp, ok := diags[0].(diag.DiagnosticWithPath)
		if len(diags) != 1 || !ok || !wp.Path().Equal(p) || !strings.HasPrefix(diags[0].Detail(), p.String()+": c: Jira answered") {
			t.Errorf("%d: %v", status, diags)
		}
	}
}

func TestErrorDetailStartsWithTheWrongJiraURL(t *testing.T) {
	nj := &jiraapi.NotJiraError{BaseURL: "https://align.example.com", Request: "GET /x", StatusCode: 404, Answer: "an empty body"}
	for _, err := range []error{nj, fmt.Errorf("outer: %w", nj)} {
		if d := errorDetail(context.Background(), err); !strings.HasPrefix(d, `jira_url ("https://align.example.com") does not look like a Jira`) {
			t.Errorf("%v: detail %q", err, d)
		}
	}
}
