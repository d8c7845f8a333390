package simfault

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newServer(t *testing.T) (*Injector, *httptest.Server, *atomic.Int32) {
	t.Helper()
	var served atomic.Int32
	in := New(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":1,"name":"a connector with a long enough name"}`))
	}))
	srv := httptest.NewServer(in)
	t.Cleanup(srv.Close)
	return in, srv, &served
}

func get(srv *httptest.Server) (*http.Response, []byte, error) {
	// A fresh connection each time, so a reset never hits a pooled one.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	res, err := c.Get(srv.URL + "/x")
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(res.Body)
	return res, body, err
}

func TestKinds(t *testing.T) {
	cases := []struct {
		rule      Rule
		processed int32
		check     func(t *testing.T, res *http.Response, body []byte, err error)
	}{
		{Rule{Kind: Status, Status: 429, RetryAfter: "1"}, 0, func(t *testing.T, res *http.Response, _ []byte, err error) {
			if err != nil || res.StatusCode != 429 || res.Header.Get("Retry-After") != "1" {
				t.Errorf("got %v, %v", res, err)
			}
		}},
		{Rule{Kind: Latency, Delay: 50 * time.Millisecond}, 1, func(t *testing.T, res *http.Response, _ []byte, err error) {
			if err != nil || res.StatusCode != 200 {
				t.Errorf("got %v, %v", res, err)
			}
		}},
		{Rule{Kind: ResetBefore}, 0, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			if err == nil {
				t.Error("no error")
			}
		}},
		{Rule{Kind: ResetAfter}, 1, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			if err == nil {
				t.Error("no error")
			}
		}},
		{Rule{Kind: Truncate}, 1, func(t *testing.T, res *http.Response, _ []byte, err error) {
			if err == nil || res == nil || res.StatusCode != 200 {
				t.Errorf("want a 200 whose body fails to read, got %v, %v", res, err)
			}
		}},
		{Rule{Kind: Malformed}, 1, func(t *testing.T, res *http.Response, body []byte, err error) {
			var v any
			if err != nil || res.StatusCode != 200 || json.Unmarshal(body, &v) == nil {
				t.Errorf("want a 200 with a body that is not JSON, got %v, %q, %v", res, body, err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.rule.Kind.String(), func(t *testing.T) {
			in, srv, served := newServer(t)
			in.Add(c.rule)
			res, body, err := get(srv)
			c.check(t, res, body, err)
			if !in.Wait(time.Second) {
				t.Fatal("Wait timed out")
			}
			if got := served.Load(); got != c.processed {
				t.Errorf("the simulator served %d requests, want %d", got, c.processed)
			}
			if in.Fired()[c.rule.Kind] != 1 || in.Pending() != 0 {
				t.Errorf("fired %v, pending %d", in.Fired(), in.Pending())
			}
			// Spent: the next request is served normally.
			if res, _, err := get(srv); err != nil || res.StatusCode != 200 {
				t.Errorf("after the rule: %v, %v", res, err)
			}
		})
	}
}

func TestTimesMatchingAndClear(t *testing.T) {
	in, srv, _ := newServer(t)
	in.Add(Rule{Kind: Status, Status: 503, Method: "GET", PathContains: "/x", Times: 2})
	in.Add(Rule{Kind: Status, Status: 502, Method: "POST"})
	for i, want := range []int{503, 503, 200} {
		if res, _, err := get(srv); err != nil || res.StatusCode != want {
			t.Errorf("request %d: %v, %v; want %d", i, res, err, want)
		}
	}
	if in.Pending() != 1 {
		t.Errorf("pending = %d, want the POST rule", in.Pending())
	}
	in.Clear()
	if in.Pending() != 0 {
		t.Errorf("pending after Clear = %d", in.Pending())
	}
}

func TestWaitAndMaxActive(t *testing.T) {
	in, srv, served := newServer(t)
	in.Add(Rule{Kind: Latency, Delay: 200 * time.Millisecond, Times: 3})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _ = get(srv)
		}()
	}
	time.Sleep(50 * time.Millisecond)
	if in.Wait(10 * time.Millisecond) {
		t.Error("Wait returned true while delayed requests were in flight")
	}
	if !in.Wait(2 * time.Second) {
		t.Fatal("Wait timed out")
	}
	wg.Wait()
	if got := in.MaxActive(); got != 3 {
		t.Errorf("MaxActive = %d, want 3", got)
	}
	if served.Load() != 3 {
		t.Errorf("served %d, want 3", served.Load())
	}
}

// A Hold rule keeps the request from the simulator until Release, then serves it even though
// the client is gone (the server had it queued), and later requests pass.
func TestHoldUntilRelease(t *testing.T) {
	in, srv, served := newServer(t)
	in.Add(Rule{Kind: Hold})
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 100 * time.Millisecond}
	res, err := c.Post(srv.URL+"/x", "application/json", strings.NewReader(`{"a":1}`))
	if err == nil {
		_ = res.Body.Close()
		t.Fatalf("a held request was answered: %d", res.StatusCode)
	}
	if in.Fired()[Hold] != 1 || served.Load() != 0 {
		t.Fatalf("fired %v, served %d while held", in.Fired(), served.Load())
	}
	in.Release()
	if !in.Wait(time.Second) {
		t.Fatal("the held request was not released")
	}
	if got := served.Load(); got != 1 {
		t.Errorf("served %d after Release, want 1 (the client had left)", got)
	}
	if res, _, err := get(srv); err != nil || res.StatusCode != 200 {
		t.Errorf("after the rule: %v, %v", res, err)
	}
	// With Delay, a hold ends by itself.
	in.Add(Rule{Kind: Hold, Delay: 20 * time.Millisecond})
	if res, _, err := get(srv); err != nil || res.StatusCode != 200 {
		t.Errorf("hold with delay: %v, %v", res, err)
	}
}
