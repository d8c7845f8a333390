// Command bench is the driver of `make bench` (internal/devtools/bench.sh): see package
// internal/testing/bench. It prints progress to stderr, the results table to stdout, and writes the
// table to -out. It exits non-zero only when something failed to run; missed targets are
// reported in the table.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/bench"
)

func main() {
	var (
		root        = flag.String("root", ".", "repository root")
		work        = flag.String("work", ".bench", "scratch directory (git-ignored)")
		terraform   = flag.String("terraform", "bin/terraform", "Terraform CLI")
		connectors  = flag.String("connectors", "10,100,500", "sizes N of the connector scenario (empty: skip)")
		tokens      = flag.String("tokens", "10,100", "sizes N of the access-token scenario (empty: skip)")
		runs        = flag.Int("runs", 3, "rounds of apply, plan and destroy per cell (medians reported)")
		plans       = flag.Int("plans", 3, "refresh plans after each apply")
		profile     = flag.String("profile", "", "run the jira kind with the pprof build of the provider, writing profiles to this directory")
		parallelism = flag.Int("parallelism", 10, "terraform -parallelism")
		out         = flag.String("out", "", "write the Markdown results here (default <work>/results.md)")
		label       = flag.String("label", "", "run mode shown in the report")
		command     = flag.String("command", "make bench", "command shown in the report as the way to reproduce it")
		jiraSrc     = flag.String("jira-source", "", "build the provider from this checkout instead of -root (before/after comparisons)")
		extraEnv    = flag.String("env", "", "extra environment for terraform and the providers: K=V,K=V")
	)
	flag.Parse()
	cn, err := ints(*connectors)
	if err != nil {
		fatal(err)
	}
	tn, err := ints(*tokens)
	if err != nil {
		fatal(err)
	}
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			fatal(err)
		}
		return a
	}
	o := bench.Options{
		Root: abs(*root), Work: abs(*work), Terraform: abs(*terraform),
		Connectors: cn, Tokens: tn, Runs: *runs, PlansPerRound: *plans, Parallelism: *parallelism,
		Progress: os.Stderr, Label: *label,
	}
	if *profile != "" {
		o.ProfileDir = abs(*profile)
	}
	if *jiraSrc != "" {
		o.JiraSource = abs(*jiraSrc)
	}
	if *extraEnv != "" {
		o.ExtraEnv = map[string]string{}
		for _, kv := range strings.Split(*extraEnv, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				fatal(fmt.Errorf("-env: %q is not K=V", kv))
			}
			o.ExtraEnv[k] = v
		}
	}
	if *out == "" {
		*out = filepath.Join(o.Work, "results.md")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := bench.Run(ctx, o)
	if err != nil {
		if res != nil && len(res.Measurements) > 0 {
			fmt.Fprint(os.Stderr, "\npartial results before the failure:\n\n"+res.Markdown(*command))
		}
		fatal(err)
	}
	md := res.Markdown(*command)
	fmt.Print(md)
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		fatal(err)
	}
	fmt.Fprintf(os.Stderr, "\nbench: results written to %s\n", *out)
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad size %q: want positive integers separated by commas", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
