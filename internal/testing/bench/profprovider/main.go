// Command profprovider is the jira provider (internal/provider, unchanged) served with pprof
// profiling, for `make bench` investigations only: it is never shipped and the real main.go is
// untouched. With BENCH_PPROF_DIR set (Terraform passes its environment to providers), every
// provider process writes its CPU and allocation profiles there (see internal/testing/bench/pprofhook).
//
//	go run ./internal/testing/bench/cmd/bench -profile .bench/pprof -connectors 500 -tokens '' -runs 1
//	go tool pprof -top .bench/pprof/jira-cpu-*.pprof
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/jira-align-tf/terraform-provider-jira/internal/provider"
	"github.com/jira-align-tf/terraform-provider-jira/internal/quietlog"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/bench/pprofhook"
)

func main() {
	quietlog.WhenUnobserved(false, "jira") // as main.go does
	stop := pprofhook.Start("jira")
	err := providerserver.Serve(context.Background(), provider.New("bench"), providerserver.ServeOpts{
		Address:         "registry.terraform.io/jira-align-tf/jira",
		ProtocolVersion: 6,
	})
	stop()
	if err != nil {
		log.Fatal(err)
	}
}
