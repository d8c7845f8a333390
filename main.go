// Command terraform-provider-jira serves the jira Terraform/OpenTofu provider.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/jira-align-tf/terraform-provider-jira/internal/lifeline"
	"github.com/jira-align-tf/terraform-provider-jira/internal/provider"
	"github.com/jira-align-tf/terraform-provider-jira/internal/quietlog"
)

// Generate the docs from the schema and the examples: run by `make generate`.
//go:generate ./bin/tfplugindocs generate --provider-name jira --rendered-provider-name "Jira and Jira Align"

// version is set by the release build (-ldflags "-X main.version=..."; see .goreleaser.yml). It
// is the version the provider reports, a field of its log lines, and part of the User-Agent of
// every request it sends.
var version = "dev"

func main() {
	var debug, showVersion bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.BoolVar(&showVersion, "version", false, "print the provider's version and exit")
	flag.Parse()
	if showVersion {
		fmt.Println("terraform-provider-jira " + version)
		return
	}
	// Terraform and OpenTofu drop provider logs unless TF_LOG or TF_LOG_PROVIDER is set: do not
	// produce them then (the largest per-resource cost of a refresh, see BENCHMARKS.md).
	quietlog.WhenUnobserved(debug, "jira")
	if !debug {
		// A CLI killed outright cannot stop its provider: exit once it is gone, after the
		// operations in flight have cleaned up (see internal/lifeline).
		defer lifeline.ExitWithParent()()
	}

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address:         "registry.terraform.io/jira-align-tf/jira",
		Debug:           debug,
		ProtocolVersion: 6,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
