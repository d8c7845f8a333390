// Package hostile serves peers that misbehave on purpose, for the hostile-peer suite. A Peer
// stands in front of a simulator's handler, so the well-behaved part of a conversation is the
// real one, and turns hostile on the requests its rules match: it routes a read to another
// object, redirects to another origin, sends a body or a header that never ends, trickles its
// answer a byte at a time, or rewrites the answer into malformed or hostile values.
//
// A Peer speaks HTTP/1.1 over TLS with the certificate every httptest server uses, so a client
// that trusts the simulators trusts it too, and it can take over the connection to send what no
// well-formed HTTP server would. Elsewhere is a second origin that only counts the requests it
// gets: a client that follows a redirect there, or is steered there in any other way, shows up.
package hostile

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Behaviour is what a Rule does to a matching request.
type Behaviour int

const (
	// Misroute serves the request as if its path named another object (From replaced by To),
	// as a proxy or cache that routes to the wrong backend object does.
	Misroute Behaviour = iota + 1
	// Redirect answers Status (default 307) with a Location on Target, the request's path and
	// query appended.
	Redirect
	// EndlessBody answers 200 with a body that never ends (Filler repeated, after Prefix).
	EndlessBody
	// EndlessHeader sends a status line and then a header line that never ends.
	EndlessHeader
	// Trickle serves the request, then sends the whole answer (status line, headers, body) one
	// byte every Interval.
	Trickle
	// Rewrite serves the request, then replaces the answer with what Edit returns.
	Rewrite
)

func (b Behaviour) String() string {
	switch b {
	case Misroute:
		return "misroute"
	case Redirect:
		return "redirect"
	case EndlessBody:
		return "endless-body"
	case EndlessHeader:
		return "endless-header"
	case Trickle:
		return "trickle"
	case Rewrite:
		return "rewrite"
	}
	return "behaviour(" + strconv.Itoa(int(b)) + ")"
}

// Answer is a complete HTTP answer, for Rewrite.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Rule matches requests by method (empty: any), exact path (empty: any) and path substring
// (empty: any).
type Rule struct {
	Behaviour    Behaviour
	Method       string
	Path         string
	PathContains string

	From, To string        // Misroute
	Target   string        // Redirect: the other origin, e.g. Elsewhere.URL
	Status   int           // Redirect
	Prefix   string        // EndlessBody: sent once first
	Filler   string        // EndlessBody, EndlessHeader: repeated forever
	Interval time.Duration // Trickle: the pause between bytes (default 50 ms)
	Edit     func(r *http.Request, a Answer) Answer
}

func (r *Rule) matches(req *http.Request) bool {
	return (r.Method == "" || strings.EqualFold(r.Method, req.Method)) &&
		(r.Path == "" || req.URL.Path == r.Path) &&
		(r.PathContains == "" || strings.Contains(req.URL.Path, r.PathContains))
}

// Peer is a hostile server in front of a simulator's handler.
type Peer struct {
	URL  string
	next http.Handler
	srv  *httptest.Server

	mu    sync.Mutex
	rules []Rule
	hits  map[string]int // "METHOD path", every request
	fired map[Behaviour]int
	// longest is the longest time a hostile answer kept a request open; spans holds, per
	// "METHOD path", when the first hostile answer began and the last one ended.
	longest time.Duration
	spans   map[string][2]time.Time
	// sent counts the bytes the endless and trickling behaviours wrote.
	sent atomic.Int64
}

// New starts a Peer for t in front of next (a simulator's handler), honest until Set gives it
// rules, and stops it when t ends.
func New(t testing.TB, next http.Handler) *Peer {
	p := &Peer{next: next, hits: map[string]int{}, fired: map[Behaviour]int{}, spans: map[string][2]time.Time{}}
	p.srv = httptest.NewUnstartedServer(p)
	p.srv.EnableHTTP2 = false // HTTP/1.1, so that a behaviour can take the connection over
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	return p
}

// Set replaces the rules (the first matching rule applies) and starts Longest and Spans afresh.
// Set() makes the peer honest again.
func (p *Peer) Set(rules ...Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append([]Rule(nil), rules...)
	p.longest, p.spans = 0, map[string][2]time.Time{}
}

// Hits returns how many requests arrived for method and path (the path as sent, below the
// peer's origin).
func (p *Peer) Hits(method, path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[method+" "+path]
}

// AllHits returns the request counts keyed "METHOD path".
func (p *Peer) AllHits() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.hits)
}

// Fired returns how many times each behaviour was applied.
func (p *Peer) Fired() map[Behaviour]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.fired)
}

// Sent returns how many bytes the endless and trickling behaviours have written.
func (p *Peer) Sent() int64 { return p.sent.Load() }

func (p *Peer) rule(r *http.Request) *Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hits[r.Method+" "+r.URL.Path]++
	for i := range p.rules {
		if p.rules[i].matches(r) {
			p.fired[p.rules[i].Behaviour]++
			rule := p.rules[i]
			return &rule
		}
	}
	return nil
}

// Longest returns the longest time one hostile answer kept its request open (until the client
// gave up on it, for the endless and trickling behaviours).
func (p *Peer) Longest() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.longest
}

// Spans returns, per "METHOD path", how long it was from the start of the first hostile answer
// to the end of the last: for one call with its retries, how long the peer held the client.
func (p *Peer) Spans() map[string]time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]time.Duration, len(p.spans))
	for k, sp := range p.spans {
		out[k] = sp[1].Sub(sp[0])
	}
	return out
}

func (p *Peer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rule := p.rule(r)
	if rule == nil {
		p.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	defer func() {
		end := time.Now()
		key := r.Method + " " + r.URL.Path
		p.mu.Lock()
		p.longest = max(p.longest, end.Sub(start))
		sp, ok := p.spans[key]
		if !ok {
			sp[0] = start
		}
		sp[1] = end
		p.spans[key] = sp
		p.mu.Unlock()
	}()
	switch rule.Behaviour {
	case Misroute:
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.Replace(r.URL.Path, rule.From, rule.To, 1)
		r2.URL.RawPath = ""
		r2.RequestURI = r2.URL.RequestURI()
		p.next.ServeHTTP(w, r2)
	case Redirect:
		status := rule.Status
		if status == 0 {
			status = http.StatusTemporaryRedirect
		}
		w.Header().Set("Location", strings.TrimRight(rule.Target, "/")+r.URL.RequestURI())
		w.WriteHeader(status)
	case EndlessBody:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		filler := []byte(rule.Filler)
		if len(filler) == 0 {
			filler = []byte(`{"id":1,"name":"` + strings.Repeat("x", 1000) + `"},`)
		}
		p.count(w.Write([]byte(rule.Prefix)))
		for r.Context().Err() == nil {
			n, err := w.Write(filler)
			p.sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	case EndlessHeader:
		conn, buf := hijack(w)
		if conn == nil {
			return
		}
		defer func() { _ = conn.Close() }()
		filler := []byte(rule.Filler)
		if len(filler) == 0 {
			filler = bytes.Repeat([]byte("a"), 1024)
		}
		p.count(buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Endless: "))
		for {
			n, err := buf.Write(filler)
			p.sent.Add(int64(n))
			if err != nil || buf.Flush() != nil {
				return
			}
		}
	case Trickle:
		a := record(p.next, r)
		conn, buf := hijack(w)
		if conn == nil {
			return
		}
		defer func() { _ = conn.Close() }()
		interval := rule.Interval
		if interval <= 0 {
			interval = 50 * time.Millisecond
		}
		for _, b := range serialize(a) {
			if err := buf.WriteByte(b); err != nil || buf.Flush() != nil {
				return
			}
			p.sent.Add(1)
			time.Sleep(interval)
		}
	case Rewrite:
		a := record(p.next, r)
		if rule.Edit != nil {
			a = rule.Edit(r, a)
		}
		for k, v := range a.Header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(a.Body)))
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	default:
		p.next.ServeHTTP(w, r)
	}
}

func (p *Peer) count(n int, _ error) { p.sent.Add(int64(n)) }

// record serves r with next into an Answer.
func record(next http.Handler, r *http.Request) Answer {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return Answer{Status: rec.Code, Header: rec.Header().Clone(), Body: rec.Body.Bytes()}
}

// serialize writes a as an HTTP/1.1 answer that closes the connection.
func serialize(a Answer) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", a.Status, http.StatusText(a.Status))
	h := a.Header.Clone()
	h.Set("Content-Length", strconv.Itoa(len(a.Body)))
	h.Set("Connection", "close")
	_ = h.Write(&b)
	b.WriteString("\r\n")
	b.Write(a.Body)
	return b.Bytes()
}

func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, nil
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return nil, nil
	}
	return conn, buf
}

// Elsewhere is another origin: it answers every request 200 "{}" and counts them. No request of
// the provider should ever reach it.
type Elsewhere struct {
	URL  string
	hits atomic.Int64
}

// NewElsewhere starts an Elsewhere for t (TLS, with the certificate the simulators use, so that a
// client would succeed in talking to it) and stops it when t ends.
func NewElsewhere(t testing.TB) *Elsewhere {
	e := &Elsewhere{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		e.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// Hits returns how many requests reached this origin.
func (e *Elsewhere) Hits() int64 { return e.hits.Load() }

// HeapWatch samples the Go heap of this process until Stop, keeping the peak.
type HeapWatch struct {
	stop chan struct{}
	done chan struct{}
	peak uint64
	base uint64
}

// WatchHeap starts sampling every 20 ms.
func WatchHeap() *HeapWatch {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h := &HeapWatch{stop: make(chan struct{}), done: make(chan struct{}), base: ms.HeapInuse, peak: ms.HeapInuse}
	go func() {
		defer close(h.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			h.peak = max(h.peak, ms.HeapInuse)
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// Stop ends the sampling and returns how far the heap in use rose above where it was at the
// start, at its peak.
func (h *HeapWatch) Stop() uint64 {
	close(h.stop)
	<-h.done
	if h.peak < h.base {
		return 0
	}
	return h.peak - h.base
}
