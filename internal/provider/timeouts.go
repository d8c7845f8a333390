package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// Default operation timeouts; each resource's timeouts block overrides them. They bound the
// whole operation, retries included; request_timeout bounds each HTTP attempt.
const (
	defaultCreateTimeout = 10 * time.Minute
	defaultReadTimeout   = 5 * time.Minute
	defaultUpdateTimeout = 10 * time.Minute
	defaultDeleteTimeout = 10 * time.Minute
)

type operation int

const (
	opCreate operation = iota
	opRead
	opUpdate
	opDelete
)

// withTimeout bounds ctx by the configured timeout of op.
func withTimeout(ctx context.Context, t timeouts.Value, op operation, diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	var (
		d  time.Duration
		ds diag.Diagnostics
	)
	switch op {
	case opCreate:
		d, ds = t.Create(ctx, defaultCreateTimeout)
	case opRead:
		d, ds = t.Read(ctx, defaultReadTimeout)
	case opUpdate:
		d, ds = t.Update(ctx, defaultUpdateTimeout)
	default:
		d, ds = t.Delete(ctx, defaultDeleteTimeout)
	}
	diags.Append(ds...)
	return context.WithTimeout(ctx, d)
}
