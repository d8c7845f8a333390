package bench

import (
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	s := time.Second
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0}, {[]time.Duration{3 * s}, 3 * s}, {[]time.Duration{5 * s, 1 * s, 3 * s}, 3 * s}, {[]time.Duration{4 * s, 1 * s, 2 * s, 3 * s}, 2500 * time.Millisecond},
	} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestProcParsing(t *testing.T) {
	if n, ok := parseKB("   12345 kB"); !ok || n != 12345*1024 {
		t.Errorf("parseKB = %d, %v", n, ok)
	}
	if _, ok := parseKB("12 MB"); ok {
		t.Error("parseKB accepted MB")
	}
	stat := "4242 (terraform-provider-jira (x)) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 12 0 100"
	if d, ok := parseStatCPU(stat); !ok || d != 175*clockTick {
		t.Errorf("parseStatCPU = %v, %v", d, ok)
	}
	if _, ok := parseStatCPU("garbage"); ok {
		t.Error("parseStatCPU accepted garbage")
	}
}

func TestConfigs(t *testing.T) {
	for _, s := range []Scenario{ScenarioConnectors, ScenarioTokens} {
		for _, k := range Kinds {
			c := Config(s, k, 7)
			if !strings.Contains(c, "count") || !strings.Contains(c, "= 7") {
				t.Errorf("%s/%s: no count of 7:\n%s", s, k, c)
			}
			if strings.Count(c, "{") != strings.Count(c, "}") {
				t.Errorf("%s/%s: unbalanced braces:\n%s", s, k, c)
			}
		}
	}
	if c := Config(ScenarioTokens, KindJira, 3); !strings.Contains(c, "jira_align_access_token") || !strings.Contains(c, "jira_application_link") {
		t.Errorf("token config:\n%s", c)
	}
	if c := Config(ScenarioConnectors, KindData, 3); strings.Contains(c, "required_providers") {
		t.Errorf("terraform_data needs no provider:\n%s", c)
	}
	rc := CLIConfig("/a", "/b", "/m")
	for _, want := range []string{`"jira-align-tf/jira" = "/a"`, `"bench/noop"         = "/b"`, `path    = "/m"`} {
		if !strings.Contains(rc, want) {
			t.Errorf("CLI config lacks %q:\n%s", want, rc)
		}
	}
}

func TestSubAndPerResource(t *testing.T) {
	before := Counters{JiraRequests: map[string]int64{"GET /rest/api/2/myself": 5}, JiraTotal: 7}
	after := Counters{JiraRequests: map[string]int64{
		"GET /rest/api/2/myself": 15, "GET /rest/applinks/3.0/applicationlink/{id}": 1,
		"GET /rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer": 1,
	}, JiraTotal: 19, JiraConnections: 4}
	d := Sub(before, after)
	if d.Requests() != 12 || d.ApplinkRequests() != 2 || d.Conns() != 4 || d.Jira["GET /rest/api/2/myself"] != 10 {
		t.Fatalf("diff = %+v", d)
	}
	if got := perResource(Measurement{Scenario: ScenarioTokens, N: 10, Traffic: d}); got != 1 {
		t.Errorf("per token = %v", got)
	}
}

// results builds a run: connectors at N=100 and 500 (the jira plan at N=500 takes jira500, the
// no-op's 1 s) and tokens at N=10, every jira command accepting conns connections and peaking at
// rss bytes.
func results(jira500 time.Duration, conns int64, rss int64) *Results {
	r := &Results{Options: Options{Connectors: []int{100, 500}, Tokens: []int{10}, Parallelism: 10, Runs: 1, PlansPerRound: 1}}
	add := func(s Scenario, k Kind, n int, op Op, wall time.Duration, d Diff) {
		r.Measurements = append(r.Measurements, Measurement{Scenario: s, Kind: k, N: n, Op: op, Wall: wall, ProviderCPU: wall / 2, Traffic: d, PeakRSS: rss})
	}
	for _, n := range []int{100, 500} {
		wall, jiraPlan := 300*time.Millisecond, 300*time.Millisecond
		if n == 500 {
			wall, jiraPlan = time.Second, jira500
		}
		add(ScenarioConnectors, KindJira, n, OpPlan, jiraPlan,
			Diff{Align: map[string]int64{"GET /rest/align/api/2/Connectors/{id}": int64(n)}, AlignTotal: int64(n), AlignConns: conns})
		add(ScenarioConnectors, KindJira, n, OpApply, wall,
			Diff{Align: map[string]int64{"POST /rest/align/api/2/Connectors": int64(n)}, AlignTotal: int64(n), AlignConns: conns})
		add(ScenarioConnectors, KindNoop, n, OpPlan, wall, Diff{})
		add(ScenarioConnectors, KindNoop, n, OpApply, wall, Diff{})
	}
	handshake := map[string]int64{
		"POST /plugins/servlet/oauth/request-token": 10, "POST /plugins/servlet/oauth/authorize": 10,
		"POST /plugins/servlet/oauth/access-token": 10, "GET /rest/api/2/myself": 10, "PUT /rest/applinks/3.0/applicationlink": 1,
	}
	add(ScenarioTokens, KindJira, 10, OpApply, time.Second, Diff{Jira: handshake, JiraTotal: 41, JiraConns: conns})
	add(ScenarioTokens, KindJira, 10, OpPlan, time.Second,
		Diff{Jira: map[string]int64{"GET /rest/api/2/myself": 10}, JiraTotal: 10, JiraConns: conns})
	return r
}

func TestTargets(t *testing.T) {
	good := results(1200*time.Millisecond, 10, 90<<20)
	for _, tg := range good.Targets() {
		if !tg.Met {
			t.Errorf("good run: %q MISSED (%s)", tg.Name, tg.Measured)
		}
	}
	bad := results(1400*time.Millisecond, 13, 120<<20)
	missed := 0
	for _, tg := range bad.Targets() {
		if !tg.Met {
			missed++
		}
	}
	// plan ratio 1.4, connections 13, RSS 120 MiB
	if missed != 3 {
		t.Errorf("bad run: %d targets missed, want 3: %+v", missed, bad.Targets())
	}
	md := bad.Markdown("make bench")
	if !strings.Contains(md, "**MISSED**") || !strings.Contains(md, "| connectors | 500 | `plan` (refresh) |") {
		t.Errorf("markdown:\n%s", md)
	}
}
