// Package simfault wraps a simulator's handler with injectable network and server faults:
// latency, error statuses with Retry-After, a connection reset before or after the request was
// processed, truncated and malformed bodies. Tests add rules; each rule fires a bounded number of
// times on matching requests.
package simfault

import (
	"bytes"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind is what a rule does to a matching request.
type Kind int

const (
	// Status answers Status (with RetryAfter when set) without calling the simulator: the request is not processed.
	Status Kind = iota + 1
	// Latency sleeps Delay, then serves normally.
	Latency
	// ResetBefore closes the connection without processing the request.
	ResetBefore
	// ResetAfter processes the request, then closes the connection without a response: the
	// client cannot know whether it took effect.
	ResetAfter
	// Truncate processes the request and sends the status and headers with the full
	// Content-Length but only half the body, then closes the connection.
	Truncate
	// Malformed processes the request and replaces its body with bytes that parse neither as JSON nor as a form.
	Malformed
	// SlowResponse processes the request at once, then holds the answer for Delay (less if the
	// client leaves first): a server that acted but answers too late for an impatient client.
	SlowResponse
	// Hold stops the request before the simulator sees it until Release is called (or Delay
	// passes, when set), then serves it normally whether or not the client is still there, as a
	// server that had the request queued does: a pause at an exact point of a client's sequence.
	Hold
)

func (k Kind) String() string {
	switch k {
	case Status:
		return "status"
	case Latency:
		return "latency"
	case ResetBefore:
		return "reset-before"
	case ResetAfter:
		return "reset-after"
	case Truncate:
		return "truncate"
	case Malformed:
		return "malformed"
	case SlowResponse:
		return "slow-response"
	case Hold:
		return "hold"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Rule matches requests by method (empty: any) and path substring (empty: any) and fires Times
// times (0 means once).
type Rule struct {
	Kind         Kind
	Method       string
	PathContains string
	Times        int
	Status       int
	RetryAfter   string
	Delay        time.Duration
}

type liveRule struct {
	Rule
	left int
}

// Injector is an http.Handler that applies the active rules, then defers to the simulator.
type Injector struct {
	next  http.Handler
	mu    sync.Mutex
	rules []*liveRule
	fired map[Kind]int
	// active counts the requests a rule fired on that are still being served (a Latency rule
	// may still deliver its request to the simulator after the client gave up); maxActive is
	// its peak.
	active, maxActive int
	// release is closed by Release, to let the held requests through.
	release chan struct{}
}

// New wraps next.
func New(next http.Handler) *Injector {
	return &Injector{next: next, fired: map[Kind]int{}, release: make(chan struct{})}
}

// Release lets every request a Hold rule is holding through to the simulator; later Hold
// firings hold again.
func (in *Injector) Release() {
	in.mu.Lock()
	defer in.mu.Unlock()
	close(in.release)
	in.release = make(chan struct{})
}

// Add activates a rule.
func (in *Injector) Add(r Rule) {
	n := r.Times
	if n <= 0 {
		n = 1
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rules = append(in.rules, &liveRule{Rule: r, left: n})
}

// Clear removes every rule.
func (in *Injector) Clear() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rules = nil
}

// Fired returns how many times rules of each kind fired.
func (in *Injector) Fired() map[Kind]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return maps.Clone(in.fired)
}

// Pending reports how many firings the active rules still have.
func (in *Injector) Pending() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := 0
	for _, r := range in.rules {
		n += r.left
	}
	return n
}

// take returns the rule that fires on r (nil when none) and the release channel of that moment,
// so that a Release after the rule fired always frees its request.
func (in *Injector) take(r *http.Request) (*Rule, <-chan struct{}) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, lr := range in.rules {
		if lr.left <= 0 {
			continue
		}
		if lr.Method != "" && !strings.EqualFold(lr.Method, r.Method) {
			continue
		}
		if lr.PathContains != "" && !strings.Contains(r.URL.Path, lr.PathContains) {
			continue
		}
		lr.left--
		in.fired[lr.Kind]++
		in.active++
		in.maxActive = max(in.maxActive, in.active)
		rule := lr.Rule
		return &rule, in.release
	}
	return nil, nil
}

func (in *Injector) done() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.active--
}

// Wait waits at most d until no request a rule fired on is still being served, and reports
// whether that happened. Call it after Clear, so that no new request starts being faulted.
func (in *Injector) Wait(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		in.mu.Lock()
		n := in.active
		in.mu.Unlock()
		if n == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// MaxActive returns the largest number of requests that rules were serving at the same time
// (with a Latency rule on many requests: how many the client had in flight).
func (in *Injector) MaxActive() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.maxActive
}

func (in *Injector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rule, release := in.take(r)
	if rule == nil {
		in.next.ServeHTTP(w, r)
		return
	}
	defer in.done()
	switch rule.Kind {
	case Status:
		if rule.RetryAfter != "" {
			w.Header().Set("Retry-After", rule.RetryAfter)
		}
		code := rule.Status
		if code == 0 {
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"status":` + strconv.Itoa(code) + `,"message":"injected fault"}`))
	case Latency:
		select {
		case <-time.After(rule.Delay):
		case <-r.Context().Done():
			return
		}
		in.next.ServeHTTP(w, r)
	case Hold:
		var timeout <-chan time.Time
		if rule.Delay > 0 {
			timer := time.NewTimer(rule.Delay)
			defer timer.Stop()
			timeout = timer.C
		}
		select {
		case <-release:
		case <-timeout:
		}
		in.next.ServeHTTP(w, r)
	case ResetBefore:
		abort(w)
	case ResetAfter:
		in.next.ServeHTTP(httptest.NewRecorder(), r)
		abort(w)
	case Truncate:
		rec := httptest.NewRecorder()
		in.next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) < 2 {
			abort(w)
			return
		}
		copyHeader(w.Header(), rec.Header())
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body[:len(body)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		abort(w)
	case Malformed:
		rec := httptest.NewRecorder()
		in.next.ServeHTTP(rec, r)
		copyHeader(w.Header(), rec.Header())
		garbage := []byte("{\"id\":<<%%not json&&=\x00")
		if rec.Code == http.StatusNoContent || rec.Code == http.StatusFound {
			garbage = nil
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(garbage)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(bytes.Clone(garbage))
	case SlowResponse:
		rec := httptest.NewRecorder()
		in.next.ServeHTTP(rec, r)
		select {
		case <-time.After(rule.Delay):
		case <-r.Context().Done():
			return
		}
		copyHeader(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	default:
		in.next.ServeHTTP(w, r)
	}
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = append([]string(nil), v...)
	}
}

// abort ends the connection without a (complete) response.
func abort(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
