package acctest

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/jira-align-tf/terraform-provider-jira/internal/provider"
)

// Diagnostic is one diagnostic the provider returned over the plugin protocol.
type Diagnostic struct {
	RPC      string // e.g. "ApplyResourceChange jira_align_access_token"
	Warning  bool   // false: an error
	Summary  string
	Detail   string
	Recorded time.Time
}

// Text is the summary and detail, as Terraform prints them.
func (d Diagnostic) Text() string { return d.Summary + ": " + d.Detail }

// Diagnostics records every diagnostic the in-process provider returns (errors and warnings,
// from every RPC), so tests can assert on warnings, which terraform-plugin-testing does not
// expose, and scan every message for secrets. Safe for concurrent use.
type Diagnostics struct {
	mu   sync.Mutex
	list []Diagnostic
}

// All returns the diagnostics recorded so far.
func (d *Diagnostics) All() []Diagnostic {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Diagnostic(nil), d.list...)
}

// Since returns the diagnostics recorded at or after t.
func (d *Diagnostics) Since(t time.Time) []Diagnostic {
	var out []Diagnostic
	for _, x := range d.All() {
		if !x.Recorded.Before(t) {
			out = append(out, x)
		}
	}
	return out
}

// Reset forgets everything recorded.
func (d *Diagnostics) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.list = nil
}

// Warnings returns the recorded warnings whose text contains substr ("" for all).
func (d *Diagnostics) Warnings(substr string) []Diagnostic {
	var out []Diagnostic
	for _, x := range d.All() {
		if x.Warning && strings.Contains(x.Text(), substr) {
			out = append(out, x)
		}
	}
	return out
}

func (d *Diagnostics) add(rpc string, diags []*tfprotov6.Diagnostic) {
	if len(diags) == 0 {
		return
	}
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, x := range diags {
		if x == nil {
			continue
		}
		d.list = append(d.list, Diagnostic{
			RPC: rpc, Warning: x.Severity == tfprotov6.DiagnosticSeverityWarning,
			Summary: x.Summary, Detail: x.Detail, Recorded: now,
		})
	}
}

// RecordingProviderFactories is ProviderFactories (with e's clock) whose server records every
// diagnostic into rec.
func (e *Env) RecordingProviderFactories(rec *Diagnostics) map[string]func() (tfprotov6.ProviderServer, error) {
	now := func() time.Time { return time.Now().Add(time.Duration(e.ClockOffset.Load())) }
	inner := providerserver.NewProtocol6WithError(provider.NewWithClock("test", now)())
	return map[string]func() (tfprotov6.ProviderServer, error){
		"jira": func() (tfprotov6.ProviderServer, error) {
			s, err := inner()
			if err != nil {
				return nil, err
			}
			return &recordingServer{ProviderServer: s, rec: rec}, nil
		},
	}
}

// recordingServer passes every call through and records the diagnostics of the calls that can
// carry the provider's own messages. The optional list-resource, action and state-store
// interfaces are not forwarded: the provider has none.
type recordingServer struct {
	tfprotov6.ProviderServer
	rec *Diagnostics
}

func (s *recordingServer) ValidateProviderConfig(ctx context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	resp, err := s.ProviderServer.ValidateProviderConfig(ctx, req)
	if resp != nil {
		s.rec.add("ValidateProviderConfig", resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	resp, err := s.ProviderServer.ConfigureProvider(ctx, req)
	if resp != nil {
		s.rec.add("ConfigureProvider", resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	resp, err := s.ProviderServer.ValidateResourceConfig(ctx, req)
	if resp != nil {
		s.rec.add("ValidateResourceConfig "+req.TypeName, resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	resp, err := s.ProviderServer.ReadResource(ctx, req)
	if resp != nil {
		s.rec.add("ReadResource "+req.TypeName, resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	resp, err := s.ProviderServer.PlanResourceChange(ctx, req)
	if resp != nil {
		s.rec.add("PlanResourceChange "+req.TypeName, resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	resp, err := s.ProviderServer.ApplyResourceChange(ctx, req)
	if resp != nil {
		s.rec.add("ApplyResourceChange "+req.TypeName, resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	resp, err := s.ProviderServer.ImportResourceState(ctx, req)
	if resp != nil {
		s.rec.add("ImportResourceState "+req.TypeName, resp.Diagnostics)
	}
	return resp, err
}

func (s *recordingServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	resp, err := s.ProviderServer.ReadDataSource(ctx, req)
	if resp != nil {
		s.rec.add("ReadDataSource "+req.TypeName, resp.Diagnostics)
	}
	return resp, err
}
