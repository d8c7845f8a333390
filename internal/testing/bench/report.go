package bench

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Limits of the performance targets (issue 5).
const (
	MaxPlanRatioVsNoop = 1.30      // refresh plan of the largest connector N vs the no-op provider
	MaxRSSBytes        = 100 << 20 // provider peak RSS at the largest connector N
	LinearSlack        = 1.2       // N=500 vs N=100 within 6× = 1.2 × 5
	ExtraConnections   = 2         // connections per terraform command <= parallelism + 2
)

// Median of durations (the mean of the middle two for an even count); 0 for none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (r *Results) pick(s Scenario, k Kind, n int, op Op) []Measurement {
	var out []Measurement
	for _, m := range r.Measurements {
		if m.Scenario == s && m.Kind == k && m.N == n && m.Op == op {
			out = append(out, m)
		}
	}
	return out
}

func (r *Results) median(s Scenario, k Kind, n int, op Op) time.Duration {
	var ds []time.Duration
	for _, m := range r.pick(s, k, n, op) {
		ds = append(ds, m.Wall)
	}
	return Median(ds)
}

// medianProviderCPU is the median CPU time of the kind's provider processes.
func (r *Results) medianProviderCPU(s Scenario, k Kind, n int, op Op) time.Duration {
	var ds []time.Duration
	for _, m := range r.pick(s, k, n, op) {
		ds = append(ds, m.ProviderCPU)
	}
	return Median(ds)
}

// medianCPU is the median CPU time of terraform, its providers and the simulators.
func (r *Results) medianCPU(s Scenario, k Kind, n int, op Op) time.Duration {
	var ds []time.Duration
	for _, m := range r.pick(s, k, n, op) {
		ds = append(ds, m.CPU+m.SimCPU)
	}
	return Median(ds)
}

// perResource is the HTTP requests one measurement made per resource: all requests, minus the
// token scenario's single application link (its /applinks calls), divided by N.
func perResource(m Measurement) float64 {
	req := m.Traffic.Requests()
	if m.Scenario == ScenarioTokens {
		req -= m.Traffic.ApplinkRequests()
	}
	return float64(req) / float64(m.N)
}

// rangeOf formats the min..max of per-run values ("1.00" when they agree).
func rangeOf(ms []Measurement, f func(Measurement) float64, format string) string {
	if len(ms) == 0 {
		return "–"
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range ms {
		v := f(m)
		lo, hi = min(lo, v), max(hi, v)
	}
	if fmt.Sprintf(format, lo) == fmt.Sprintf(format, hi) {
		return fmt.Sprintf(format, lo)
	}
	return fmt.Sprintf(format+"–"+format, lo, hi)
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func secs(d time.Duration) string {
	if d == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// Target is one performance target and how the run did.
type Target struct {
	Name, Limit, Measured string
	Met                   bool
	Evidence              string
}

// Status is MET or MISSED.
func (t Target) Status() string {
	if t.Met {
		return "MET"
	}
	return "**MISSED**"
}

func (r *Results) sizes(s Scenario) []int {
	if s == ScenarioConnectors {
		return r.Options.Connectors
	}
	return r.Options.Tokens
}

// Targets evaluates the targets on the measurements present.
func (r *Results) Targets() []Target {
	var ts []Target
	cn := slices.Clone(r.Options.Connectors)
	slices.Sort(cn)
	tn := slices.Clone(r.Options.Tokens)
	slices.Sort(tn)

	if len(cn) > 0 {
		big := cn[len(cn)-1]
		jp, np := r.median(ScenarioConnectors, KindJira, big, OpPlan), r.median(ScenarioConnectors, KindNoop, big, OpPlan)
		q := ratio(jp, np)
		ts = append(ts, Target{
			Name: fmt.Sprintf("refresh `plan` of %d connectors vs the no-op provider", big), Limit: fmt.Sprintf("≤ %.2f×", MaxPlanRatioVsNoop),
			Measured: fmt.Sprintf("%.2f× (%s vs %s)", q, secs(jp), secs(np)), Met: q <= MaxPlanRatioVsNoop,
		})
	}
	for _, sc := range []struct {
		s        Scenario
		what     string
		endpoint string
	}{
		{ScenarioConnectors, "connector", "GET /rest/align/api/2/Connectors/{id}"},
		{ScenarioTokens, "token", "GET /rest/api/2/myself"},
	} {
		var ms []Measurement
		for _, n := range r.sizes(sc.s) {
			ms = append(ms, r.pick(sc.s, KindJira, n, OpPlan)...)
		}
		if len(ms) == 0 {
			continue
		}
		ok := true
		for _, m := range ms {
			hits := m.Traffic.Align[sc.endpoint] + m.Traffic.Jira[sc.endpoint]
			if perResource(m) != 1 || hits != int64(m.N) {
				ok = false
			}
		}
		ts = append(ts, Target{
			Name: fmt.Sprintf("HTTP requests per %s per refresh", sc.what), Limit: "exactly 1",
			Measured: fmt.Sprintf("%s (`%s`, %d plans, N = %s)", rangeOf(ms, perResource, "%.2f"), sc.endpoint, len(ms), joinInts(r.sizes(sc.s))), Met: ok,
		})
	}
	var maxConns int64
	var worst Measurement
	count := 0
	perOp := map[Op]int64{}
	for _, m := range r.Measurements {
		if m.Kind != KindJira {
			continue
		}
		count++
		perOp[m.Op] = max(perOp[m.Op], m.Traffic.Conns())
		if m.Traffic.Conns() > maxConns {
			maxConns, worst = m.Traffic.Conns(), m
		}
	}
	if count > 0 {
		limit := int64(r.Options.Parallelism + ExtraConnections)
		where := ""
		if maxConns > 0 {
			where = fmt.Sprintf(", the largest at %s N=%d `%s`", worst.Scenario, worst.N, worst.Op)
		}
		ts = append(ts, Target{
			Name: "TCP connections accepted per terraform command", Limit: fmt.Sprintf("≤ %d (-parallelism=%d + %d)", limit, r.Options.Parallelism, ExtraConnections),
			Measured: fmt.Sprintf("max %d over %d commands (plan %d, apply %d, destroy %d)%s",
				maxConns, count, perOp[OpPlan], perOp[OpApply], perOp[OpDestroy], where),
			Met: maxConns <= limit,
		})
	}
	if len(cn) >= 2 {
		big, small := cn[len(cn)-1], cn[len(cn)-2]
		limit := LinearSlack * float64(big) / float64(small)
		growth := func(k Kind, op Op) float64 {
			return ratio(r.median(ScenarioConnectors, k, big, op), r.median(ScenarioConnectors, k, small, op))
		}
		for _, op := range []Op{OpPlan, OpApply} {
			q := growth(KindJira, op)
			ts = append(ts, Target{
				Name:  fmt.Sprintf("linear growth, wall time: connector `%s`, N=%d vs N=%d", op, big, small),
				Limit: fmt.Sprintf("≤ %.1f×", limit),
				Measured: fmt.Sprintf("%.2f× (same command with no-op: %.2f×, terraform_data: %.2f×)",
					q, growth(KindNoop, op), growth(KindData, op)),
				Met: q <= limit,
			})
		}
		for _, op := range []Op{OpPlan, OpApply} {
			q := ratio(r.medianProviderCPU(ScenarioConnectors, KindJira, big, op), r.medianProviderCPU(ScenarioConnectors, KindJira, small, op))
			ts = append(ts, Target{
				Name:  fmt.Sprintf("linear growth, the provider's own CPU: connector `%s`, N=%d vs N=%d", op, big, small),
				Limit: fmt.Sprintf("≤ %.1f×", limit),
				Measured: fmt.Sprintf("%.2f× (%s vs %s)", q,
					secs(r.medianProviderCPU(ScenarioConnectors, KindJira, big, op)), secs(r.medianProviderCPU(ScenarioConnectors, KindJira, small, op))),
				Met: q <= limit,
			})
		}
	}
	if len(cn) > 0 {
		big := cn[len(cn)-1]
		var peak int64
		for _, op := range []Op{OpPlan, OpApply, OpDestroy} {
			for _, m := range r.pick(ScenarioConnectors, KindJira, big, op) {
				peak = max(peak, m.PeakRSS)
			}
		}
		ts = append(ts, Target{
			Name: fmt.Sprintf("provider peak RSS at N=%d connectors", big), Limit: fmt.Sprintf("≤ %d MiB", MaxRSSBytes>>20),
			Measured: fmt.Sprintf("%.1f MiB", mib(peak)), Met: peak > 0 && peak <= MaxRSSBytes,
		})
	}
	if len(tn) > 0 {
		ok, runs := true, 0
		var seen []string
		for _, n := range tn {
			for _, m := range r.pick(ScenarioTokens, KindJira, n, OpApply) {
				runs++
				j := m.Traffic.Jira
				rt, ap, at, me := j["POST /plugins/servlet/oauth/request-token"], j["POST /plugins/servlet/oauth/authorize"], j["POST /plugins/servlet/oauth/access-token"], j["GET /rest/api/2/myself"]
				other := m.Traffic.Requests() - m.Traffic.ApplinkRequests() - rt - ap - at - me
				n64 := int64(m.N)
				if rt != n64 || ap != n64 || at != n64 || me != n64 || other != 0 {
					ok = false
				}
				seen = append(seen, fmt.Sprintf("%.2f+%.2f+%.2f + %.2f myself, %d other",
					float64(rt)/float64(m.N), float64(ap)/float64(m.N), float64(at)/float64(m.N), float64(me)/float64(m.N), other))
			}
		}
		seen = slices.Compact(seen)
		ts = append(ts, Target{
			Name: "Jira round trips per token handshake (request token + approval + access token, then /myself)", Limit: "exactly 3 + 1",
			Measured: fmt.Sprintf("%s per token (%d applies)", strings.Join(seen, "; "), runs), Met: ok && runs > 0,
		})
	}
	plans, dirty := 0, 0
	for _, m := range r.Measurements {
		if m.Op == OpPlan {
			plans++
			if m.Changes {
				dirty++
			}
		}
	}
	ts = append(ts, Target{
		Name: "refresh `plan` right after `apply` is empty (every kind)", Limit: "no changes",
		Measured: fmt.Sprintf("%d of %d plans with changes", dirty, plans), Met: dirty == 0 && plans > 0,
	})
	return ts
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

// Markdown renders the results: machine, timing table, targets.
func (r *Results) Markdown(command string) string {
	var b strings.Builder
	o := r.Options
	mode := ""
	if o.Label != "" {
		mode = " (" + o.Label + ")"
	}
	fmt.Fprintf(&b, "## Results%s\n\n", mode)
	fmt.Fprintf(&b, "Run %s, %s total, load average %s at the start and %s at the end. Reproduce: `%s`.\n"+
		"-parallelism=%d; %d round(s) per cell of `apply`, %d × `plan`, `destroy`; medians of %d `apply` and %d `plan` runs.\n\n",
		r.Started.UTC().Format(time.RFC3339), r.Elapsed.Round(time.Second), r.LoadStart, r.LoadEnd, command,
		o.Parallelism, o.Runs, o.PlansPerRound, o.Runs, o.Runs*o.PlansPerRound)
	if o.JiraSource != "" || len(o.ExtraEnv) > 0 || o.ProfileDir != "" {
		var env []string
		for k, v := range o.ExtraEnv {
			env = append(env, k+"="+v)
		}
		slices.Sort(env)
		fmt.Fprintf(&b, "Variant: provider built from %s; extra environment: %s; pprof build: %t.\n\n",
			cmp.Or(o.JiraSource, "this checkout"), cmp.Or(strings.Join(env, " "), "none"), o.ProfileDir != "")
	}
	m := r.Machine
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), %s RAM, Linux %s; %s; %s.\n\n", m.CPUs, m.CPUModel, m.Memory, m.Kernel, m.Go, m.Terraform)
	rows := func(row func(s Scenario, n int, op Op, cmd string)) {
		for _, s := range []Scenario{ScenarioConnectors, ScenarioTokens} {
			for _, n := range r.sizes(s) {
				for _, op := range []Op{OpPlan, OpApply} {
					cmd := "`plan` (refresh)"
					if op == OpApply {
						cmd = "`apply` (create)"
					}
					row(s, n, op, cmd)
				}
			}
		}
	}
	b.WriteString("Time (medians):\n\n")
	b.WriteString("| scenario | N | command | wall: jira | no-op | terraform_data | jira ×no-op | jira ×terraform_data | CPU: jira | no-op | jira ×no-op |\n")
	b.WriteString("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	rows(func(s Scenario, n int, op Op, cmd string) {
		j, np, d := r.median(s, KindJira, n, op), r.median(s, KindNoop, n, op), r.median(s, KindData, n, op)
		jc, nc := r.medianCPU(s, KindJira, n, op), r.medianCPU(s, KindNoop, n, op)
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %.2f× | %.2f× | %s | %s | %.2f× |\n",
			s, n, cmd, secs(j), secs(np), secs(d), ratio(j, np), ratio(j, d), secs(jc), secs(nc), ratio(jc, nc))
	})
	b.WriteString("\nwall: wall time of the terraform command. CPU: user+system time of terraform, its provider processes and the\n" +
		"simulators (steadier than wall time on a shared machine).\n\n")
	b.WriteString("Provider work (provider CPU: medians; the rest: min–max over runs):\n\n")
	b.WriteString("| scenario | N | command | provider CPU: jira | no-op | HTTP req/resource | TCP conns | peak RSS: jira | no-op |\n")
	b.WriteString("|---|--:|---|--:|--:|--:|--:|--:|--:|\n")
	rows(func(s Scenario, n int, op Op, cmd string) {
		jm := r.pick(s, KindJira, n, op)
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", s, n, cmd,
			secs(r.medianProviderCPU(s, KindJira, n, op)), secs(r.medianProviderCPU(s, KindNoop, n, op)),
			rangeOf(jm, perResource, "%.2f"), rangeOf(jm, func(m Measurement) float64 { return float64(m.Traffic.Conns()) }, "%.0f"),
			rangeOf(jm, func(m Measurement) float64 { return mib(m.PeakRSS) }, "%.0f MiB"),
			rangeOf(r.pick(s, KindNoop, n, op), func(m Measurement) float64 { return mib(m.PeakRSS) }, "%.0f MiB"))
	})
	b.WriteString("\nprovider CPU: user+system time of the provider processes Terraform started for the command. HTTP req/resource:\n" +
		"requests the simulators received during the command, divided by N (for tokens the application link's own `/applinks`\n" +
		"calls are left out). TCP conns: connections the simulators accepted during the command. Peak RSS: largest VmHWM of\n" +
		"the provider processes.\n\n")
	b.WriteString("### Targets\n\n| target | limit | measured | status |\n|---|---|---|---|\n")
	for _, t := range r.Targets() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.Name, t.Limit, t.Measured, t.Status())
	}
	if l := r.Leftovers; l.Connectors+l.Links+l.LiveTokens > 0 {
		fmt.Fprintf(&b, "\nWARNING: after the final destroys the simulators still held %d connectors, %d links, %d live tokens.\n", l.Connectors, l.Links, l.LiveTokens)
	}
	return b.String()
}
