package httpx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Request describes one logical call; Do builds a fresh *http.Request for every attempt.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Idempotent requests are retried after any transient failure. Others are retried only when
	// the server certainly did not act on them (refused connection, 429, 503), or when Landed
	// says it did not; after another failure whose outcome is unknown Do returns it (an
	// *AmbiguousError, a 500/502/504 Response, a *DecodeError) for the caller to recover.
	Idempotent bool
	// Transport, when set, replaces the shared transport for this call (an OAuth signing
	// transport that re-signs, with a fresh nonce, on every attempt).
	Transport http.RoundTripper
	// Describe names the call in logs and errors, e.g. "GET connector"; default METHOD URL path.
	Describe string

	// Decode, when set, reads every 2xx answer. Its failure means the answer was garbled on the
	// way (cut short, mangled): an idempotent request is sent again like after any transient
	// failure; for another one the outcome is unknown. Do returns a *DecodeError for the last
	// such answer.
	Decode func(*Response) error
	// Refused, when set, reports an answer by which the peer refused the attempt without acting
	// on it, in a way a new attempt cures (OAuth's nonce_used: a fresh signature). The first such
	// answer is retried like a 503, idempotent request or not; a second one is returned, since a
	// peer that keeps refusing has another problem.
	Refused func(*Response) bool
	// Landed, when set on a request that is not idempotent, is asked after every failure whose
	// outcome is unknown, while ctx is alive, whether the request took effect after all (a
	// lookup). (false, nil) means it certainly did not, and the request is sent again within the
	// retry budget; anything else ends the call with that failure. So when Do returns such a
	// failure with ctx alive, Landed's last answer is about it.
	Landed func(ctx context.Context) (bool, error)
}

// Response is a response whose body has been read in full.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	Attempts   int
}

// AmbiguousError reports a non-idempotent request that failed after it may have reached the server.
type AmbiguousError struct {
	Call string
	Err  error
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%s: the outcome is unknown (the request was sent, but no answer came back): %v", e.Call, e.Err)
}

func (e *AmbiguousError) Unwrap() error { return e.Err }

// DecodeError is a 2xx answer that Request.Decode rejected. Its message is Decode's.
type DecodeError struct {
	Call       string
	StatusCode int
	Err        error
}

func (e *DecodeError) Error() string { return e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

// StatusError is a transient HTTP status that was retried.
type StatusError struct {
	Call       string
	StatusCode int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d %s", e.Call, e.StatusCode, http.StatusText(e.StatusCode))
}

// Do sends the request, retrying within the client's budget (at most MaxRetries more attempts;
// see the package comment for how long that can take) what is safe to send again: for an
// idempotent request any failure to get an answer, a 429 or 5xx, a refused attempt (Refused) or a
// garbled 2xx (Decode); for another one only what the server certainly did not act on.
//
// Any HTTP status is returned as a Response, also once retries ran out on it. The errors say why
// no usable answer came: a *TLSError, an *AmbiguousError, a *DecodeError, the context's error, a
// *RetriesExhaustedError around the last transient failure, or a Retry-After beyond
// request_timeout (*RetryAfterTooLongError).
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	call := r.Describe
	if call == "" {
		call = r.Method + " " + pathOf(r.URL)
	}
	hc := c.http
	if r.Transport != nil {
		hc = c.HTTPClient(r.Transport)
	}
	if refused := r.Refused; refused != nil {
		retried := false
		r.Refused = func(res *Response) bool {
			if retried || !refused(res) {
				return false
			}
			retried = true
			return true
		}
	}
	var last *Response
	err := c.repeat(ctx, call, c.settings.MaxRetries+1, func(ctx context.Context, attempt int) error {
		res, err := c.attempt(ctx, hc, r, call)
		if res != nil {
			res.Attempts = attempt
			last = res
		}
		var unknown *unknownError
		if !errors.As(err, &unknown) {
			return err
		}
		if r.Landed != nil && ctx.Err() == nil {
			if landed, lerr := r.Landed(ctx); !landed && lerr == nil {
				return Transient(unknown.err, 0) // it did not take effect: safe to send again
			}
		}
		return Permanent(unknown.err)
	})
	var se *StatusError
	var tooLong *RetryAfterTooLongError
	switch {
	case err == nil:
		return last, nil
	case errors.As(err, &se) && !errors.As(err, &tooLong) && last != nil && last.StatusCode == se.StatusCode:
		// An HTTP status that retrying did not cure: the caller knows how to describe it.
		return last, nil
	}
	return nil, err
}

// unknownError marks the failure of a request that is not idempotent after which the server may
// or may not have acted on it.
type unknownError struct{ err error }

func (e *unknownError) Error() string { return e.err.Error() }
func (e *unknownError) Unwrap() error { return e.err }

// attempt sends r once and classifies the outcome: nil (res is the answer), Transient (worth
// another attempt), *unknownError, or a final error.
func (c *Client) attempt(ctx context.Context, hc *http.Client, r Request, call string) (*Response, error) {
	res, err := c.once(ctx, hc, r)
	var final *permanentError
	switch {
	case err == nil:
	case errors.As(err, &final):
		// An answer refused whatever the attempt (larger than any answer of these APIs).
		return nil, Permanent(fmt.Errorf("%s: %w", call, final.err))
	case IsTLSError(err):
		// A certificate or protocol problem does not go away by retrying, and nothing was sent.
		return nil, Permanent(&TLSError{Call: call, Err: err})
	case !r.Idempotent && !notSent(err):
		// Sent, and no answer: also when the caller's context ended (a timeout, an interrupt),
		// since the server may still act on it.
		return nil, &unknownError{&AmbiguousError{Call: call, Err: err}}
	case ctx.Err() != nil:
		return nil, Permanent(err)
	default:
		return nil, Transient(err, 0)
	}
	status := res.StatusCode
	switch {
	case status >= 200 && status <= 299:
		if r.Decode == nil {
			return res, nil
		}
		derr := r.Decode(res)
		if derr == nil {
			return res, nil
		}
		de := &DecodeError{Call: call, StatusCode: status, Err: derr}
		if r.Idempotent {
			return res, Transient(de, 0)
		}
		return res, &unknownError{de}
	case r.Refused != nil && r.Refused(res),
		RetryableStatus(status) && (r.Idempotent || status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable):
		return res, Transient(&StatusError{Call: call, StatusCode: status}, RetryAfter(res.Header, time.Now()))
	case !r.Idempotent && (status == http.StatusInternalServerError || status == http.StatusBadGateway || status == http.StatusGatewayTimeout):
		// The server, or a proxy in front of it, failed while or after acting on it.
		return res, &unknownError{&StatusError{Call: call, StatusCode: status}}
	}
	return res, nil
}
