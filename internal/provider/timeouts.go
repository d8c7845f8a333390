package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/jira-align-tf/terraform-provider-jira/internal/jiraapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/lifeline"
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
	ctx = context.WithValue(ctx, deadlineKey{}, deadlineInfo{op: op, d: d})
	// A provider process whose CLI is gone cancels the operation and waits for it to return,
	// cleanup included, before it exits (see main.go).
	ctx, done := lifeline.Track(ctx)
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, func() { cancel(); done() }
}

type deadlineKey struct{}

type deadlineInfo struct {
	op operation
	d  time.Duration
}

// errorDetail is err's text for a diagnostic, with a hint when the operation's own deadline
// (the resource's timeouts block, or its default) is what ended it: errors then only say
// "context deadline exceeded", which does not tell the user which knob to turn.
//
// An error caused by a jira_url that does not point at a Jira starts with that finding.
func errorDetail(ctx context.Context, err error) string {
	var nj *jiraapi.NotJiraError
	if errors.As(err, &nj) && !strings.HasPrefix(err.Error(), nj.Error()) {
		return nj.Error() + "\n\n" + err.Error()
	}
	info, ok := ctx.Value(deadlineKey{}).(deadlineInfo)
	if !ok || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err.Error()
	}
	name := [...]string{"create", "read", "update", "delete"}[info.op]
	return fmt.Sprintf("%v\n\nTimed out: the %s did not finish within its %s timeout (%s). If Jira or Jira Align is slow, "+
		"raise timeouts.%s on the resource (the provider's request_timeout bounds each HTTP attempt).", err, name, name, info.d, name)
}
