package httpx

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// RetryAfterTooLongError reports a Retry-After beyond the provider's request_timeout.
type RetryAfterTooLongError struct {
	Call  string
	After time.Duration
	Limit time.Duration
	Err   error
}

func (e *RetryAfterTooLongError) Error() string {
	return fmt.Sprintf("%s: the server asked to retry after %s, longer than request_timeout (%s); try again later or raise request_timeout", e.Call, e.After, e.Limit)
}

func (e *RetryAfterTooLongError) Unwrap() error { return e.Err }

// RetriesExhaustedError wraps the last transient failure once the runs allowed ran out.
type RetriesExhaustedError struct {
	Call     string
	Attempts int
	Err      error
}

func (e *RetriesExhaustedError) Error() string {
	return fmt.Sprintf("%s failed after %d attempts (raise max_retries or request_timeout if the peer is slow or rate-limited): %v", e.Call, e.Attempts, e.Err)
}

func (e *RetriesExhaustedError) Unwrap() error { return e.Err }

type transientError struct {
	err   error
	after time.Duration
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Transient marks err as worth another run, after at least `after` (0: backoff decides).
func Transient(err error, after time.Duration) error { return &transientError{err: err, after: after} }

// Permanent marks err as final: the loop returns it at once.
func Permanent(err error) error { return &permanentError{err: err} }

// Repeat runs op, an operation of several requests that must start over as a whole when one of
// them fails (the OAuth handshake, from a new request token), at most runs times. op returns
// nil, Transient(err, after) to be run again, or any other error (final). Between runs it waits
// as Do waits between attempts. Errors come back unwrapped from the Transient/Permanent
// markers; when the runs are used up, as a *RetriesExhaustedError.
//
// A single request never needs it: Do retries its attempts itself.
func (c *Client) Repeat(ctx context.Context, call string, runs int, op func(ctx context.Context, run int) error) error {
	return c.repeat(ctx, call, runs, op)
}

// Retry is Repeat with the client's own budget, MaxRetries+1 runs. Only
// jiraapi.CreateApplicationLink still uses it, until its pending rewrite moves the create's
// recovery to straight-line steps; new code uses Do, or Repeat for an operation that must start
// over.
func (c *Client) Retry(ctx context.Context, call string, op func(ctx context.Context, attempt int) error) error {
	return c.repeat(ctx, call, c.settings.MaxRetries+1, op)
}

// repeat is the provider's one retry loop, behind Do, Repeat and Retry.
func (c *Client) repeat(ctx context.Context, call string, runs int, op func(ctx context.Context, run int) error) error {
	s := c.settings
	for run := 1; ; run++ {
		err := op(ctx, run)
		if err == nil {
			return nil
		}
		var p *permanentError
		if errors.As(err, &p) {
			return p.err
		}
		var t *transientError
		if !errors.As(err, &t) {
			if isTransientNetErr(err) && ctx.Err() == nil {
				t = &transientError{err: err}
			} else {
				return err
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w (last error: %s)", call, ctx.Err(), t.err.Error())
		}
		if run >= runs {
			return &RetriesExhaustedError{Call: call, Attempts: run, Err: t.err}
		}
		if t.after > s.RequestTimeout {
			return &RetryAfterTooLongError{Call: call, After: t.after, Limit: s.RequestTimeout, Err: t.err}
		}
		wait := max(Backoff(run, s.MinBackoff, s.MaxBackoff), t.after)
		tflog.Debug(ctx, "retrying after a transient failure", map[string]any{
			"call": call, "attempt": run, "wait": wait.String(), "error": t.err.Error(),
		})
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%s: %w (last error: %s)", call, ctx.Err(), t.err.Error())
		case <-timer.C:
		}
	}
}

// Backoff is the wait before retry number `attempt` (1-based): exponential with full jitter over
// the upper half of backoffCeiling, so waits never collapse to zero.
func Backoff(attempt int, minWait, maxWait time.Duration) time.Duration {
	half := backoffCeiling(attempt, minWait, maxWait) / 2
	return half + time.Duration(rand.Int64N(int64(half)+1)) //nolint:gosec // jitter needs no cryptographic randomness
}

// backoffCeiling is the longest backoff before retry number `attempt`: minWait doubled for each
// earlier retry, at most maxWait.
func backoffCeiling(attempt int, minWait, maxWait time.Duration) time.Duration {
	d := minWait
	for i := 1; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	return min(d, maxWait)
}

// MaxCallTime is the longest one Do call can take with these settings (defaults applied), when
// every attempt runs to request_timeout and every wait is as long as it may be: the longer of
// the backoff ceiling and a Retry-After, which retries accept up to request_timeout:
//
//	(MaxRetries+1) × RequestTimeout + Σ_{i=1..MaxRetries} max(RequestTimeout, min(MinBackoff × 2^(i-1), MaxBackoff))
//
// With the defaults that is 6 × 60 s + 5 × 60 s = 11 minutes (6 × 60 s + 7.75 s = 367.75 s when
// no Retry-After is sent). A request with Landed adds the lookups Landed makes.
func (s Settings) MaxCallTime() time.Duration {
	s = s.withDefaults()
	d := time.Duration(s.MaxRetries+1) * s.RequestTimeout
	for i := 1; i <= s.MaxRetries; i++ {
		d += max(s.RequestTimeout, backoffCeiling(i, s.MinBackoff, s.MaxBackoff))
	}
	return d
}

// RetryAfter parses a Retry-After header (seconds or an HTTP date); 0 when absent or invalid.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// RetryableStatus reports the statuses worth another attempt: 429 and every 5xx but 501.
func RetryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500 && code <= 599 && code != http.StatusNotImplemented
}
