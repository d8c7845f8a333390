package jirasim

import (
	"crypto/rsa"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	base := time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return base }})
	if !s.Now().Equal(base) {
		t.Fatalf("Now = %v", s.Now())
	}
	s.Advance(90 * time.Second)
	s.Advance(-30 * time.Second)
	if want := base.Add(time.Minute); !s.Now().Equal(want) {
		t.Fatalf("Now = %v, want %v", s.Now(), want)
	}
	if d := time.Since(New(Options{}).Now()); d < 0 || d > time.Minute {
		t.Fatalf("default clock is off by %v", d)
	}
}

func TestNewContextPath(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "", "/jira": "/jira", "jira/": "/jira", "/a/b/": "/a/b"} {
		if got := New(Options{ContextPath: in}).ctxPath; got != want {
			t.Errorf("ContextPath %q -> %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"/ji ra", "/{x}", "/a?b", "//x"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ContextPath %q accepted", bad)
				}
			}()
			New(Options{ContextPath: bad})
		}()
	}
}

func TestSetConsumerHook(t *testing.T) {
	a, b, small, _ := testKeys(t)
	f := newFixture(t, Options{})
	id1 := f.createLink()
	id2 := f.createLink()

	if err := f.sim.SetConsumer("nope", &Consumer{Key: "K", Name: "n", PublicKey: pemPublic(t, &a.PublicKey)}); err == nil {
		t.Fatal("unknown link accepted")
	}
	if err := f.sim.SetConsumer(id1, &Consumer{Key: "K", Name: "n", PublicKey: pemPublic(t, &small.PublicKey)}); err == nil {
		t.Fatal("small key accepted")
	}
	if err := f.sim.SetConsumer(id1, &Consumer{Key: "bad key", Name: "n", PublicKey: pemPublic(t, &a.PublicKey)}); err == nil {
		t.Fatal("bad key name accepted")
	}
	if err := f.sim.SetConsumer(id1, &Consumer{Key: testKey, Name: "n", PublicKey: pemPublic(t, &a.PublicKey)}); err != nil {
		t.Fatal(err)
	}
	if err := f.sim.SetConsumer(id2, &Consumer{Key: testKey, Name: "n", PublicKey: b64Public(t, &b.PublicKey)}); err == nil ||
		!strings.Contains(err.Error(), "another application link") {
		t.Fatalf("conflicting key: %v", err)
	}
	links := f.sim.Links()
	if len(links) != 2 || links[0].ID != id1 || links[1].ID != id2 || links[0].Consumer == nil || links[1].Consumer != nil {
		t.Fatalf("Links %+v", links)
	}
	if links[0].Consumer.PublicKey != b64Public(t, &a.PublicKey) {
		t.Fatal("PublicKey not normalised to bare base64 DER")
	}
	// The returned consumer is a copy.
	links[0].Consumer.Key = "mutated"
	if f.sim.Links()[0].Consumer.Key != testKey {
		t.Fatal("Links exposes internal state")
	}

	// The hook-registered consumer works end to end, over the REST API too.
	cfg := f.config(testKey, a)
	tok, _ := f.handshake(cfg)
	resp, body := f.admin(http.MethodGet, consumerPath(id1), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}

	// Replacing the public key out of band keeps the token, usable only with the new key;
	// nil removes the consumer and invalidates it.
	if err := f.sim.SetConsumer(id1, &Consumer{Key: testKey, Name: "n", PublicKey: pemPublic(t, &b.PublicKey)}); err != nil {
		t.Fatal(err)
	}
	resp, body = f.signedDo(http.MethodGet, f.base+"/rest/api/2/myself", "", a,
		f.oauthParams(testKey, map[string]string{"oauth_token": tok}), nil)
	f.expectProblem(resp, body, http.StatusUnauthorized, "signature_invalid")
	resp, body = f.signedDo(http.MethodGet, f.base+"/rest/api/2/myself", "", b,
		f.oauthParams(testKey, map[string]string{"oauth_token": tok}), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed with the new key: %d %s", resp.StatusCode, body)
	}
	if err := f.sim.SetConsumer(id1, nil); err != nil {
		t.Fatal(err)
	}
	if f.sim.Links()[0].Consumer != nil {
		t.Fatal("consumer not removed")
	}
	if n := len(f.sim.LiveTokens()); n != 0 {
		t.Fatalf("%d live tokens after the consumer was removed", n)
	}
	if err := f.sim.SetConsumer(id2, &Consumer{Key: testKey, Name: "n", PublicKey: b64Public(t, &b.PublicKey)}); err != nil {
		t.Fatalf("freed key: %v", err)
	}
}

func TestTotalRequestsCountsUnknownPaths(t *testing.T) {
	f := newFixture(t, Options{ContextPath: "/jira"})
	for _, p := range []string{"/", "/jira", "/jira/rest/api/2/myself/", "/other"} {
		resp, _ := f.do(newRequest(t, http.MethodGet, f.srv.URL+p, ""))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	if f.sim.TotalRequests() != 4 || len(f.sim.RequestCounts()) != 0 {
		t.Fatalf("total %d, counts %v", f.sim.TotalRequests(), f.sim.RequestCounts())
	}
}

func TestBodyTooLarge(t *testing.T) {
	f := newFixture(t, Options{})
	req := newRequest(t, http.MethodPut, f.base+linksPath, strings.Repeat("x", maxBodyBytes+1))
	resp, _ := f.do(req)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d", resp.StatusCode)
	}
}

// TestConcurrentUse exercises requests and hooks in parallel (run with
// -race).
func TestConcurrentUse(t *testing.T) {
	o := newOAuthFixture(t, Options{})
	c := o.oauthClient(o.cfg, o.token, o.secret)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for range 8 {
		wg.Go(func() {
			for range 5 {
				resp, err := c.Get(o.base + "/rest/api/2/myself")
				if err != nil {
					errs <- err.Error()
					return
				}
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- resp.Status
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			_ = o.sim.LiveTokens()
			_ = o.sim.Links()
			_ = o.sim.RequestCounts()
			_ = o.sim.TotalRequests()
			o.sim.Advance(0)
			_ = o.sim.Now()
		}
	})
	wg.Go(func() {
		for range 5 {
			if err := handshakeNoT(o.fixture); err != nil {
				errs <- err.Error()
			}
		}
	})
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := o.sim.RequestCounts()["GET /rest/api/2/myself"]; n != 40 {
		t.Fatalf("myself count %d", n)
	}
	if n := len(o.sim.LiveTokens()); n != 6 {
		t.Fatalf("%d live tokens", n)
	}
}

// handshakeNoT runs a handshake without testing.T, for other goroutines.
func handshakeNoT(f *fixture) error {
	a, _, _, _ := testKeys(f.t)
	cfg := f.config(testKey, a)
	rt, rs, err := cfg.RequestToken()
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, f.base+"/plugins/servlet/oauth/authorize",
		strings.NewReader("oauth_token="+rt+"&approve=Allow"))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Atlassian-Token", "no-check")
	req.SetBasicAuth(svcUser, svcPass)
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return fmt.Errorf("authorize: %s: %w", resp.Status, err)
	}
	_, _, err = cfg.AccessToken(rt, rs, loc.Query().Get("oauth_verifier"))
	return err
}

// CheckCredentials gives, for every case, the verdict GET /rest/api/2/myself signed with the
// same credentials gets.
func TestCheckCredentials(t *testing.T) {
	a, b, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	f.register(testKey, &a.PublicKey)
	id := f.sim.Links()[0].ID
	tok, _ := f.handshake(f.config(testKey, a))
	check := func(consumerKey string, priv *rsa.PrivateKey, token, wantProblem string) {
		t.Helper()
		err := f.sim.CheckCredentials(consumerKey, &priv.PublicKey, token)
		resp, body := f.signedDo(http.MethodGet, f.base+"/rest/api/2/myself", "", priv,
			f.oauthParams(consumerKey, map[string]string{"oauth_token": token}), nil)
		if wantProblem == "" {
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("CheckCredentials = %v, myself %d %s; want both accepted", err, resp.StatusCode, body)
			}
			return
		}
		if err == nil || !strings.HasPrefix(err.Error(), wantProblem+":") {
			t.Fatalf("CheckCredentials = %v, want %s", err, wantProblem)
		}
		f.expectProblem(resp, body, http.StatusUnauthorized, wantProblem)
	}
	check(testKey, a, tok, "")
	check(testKey, b, tok, "signature_invalid")
	check("Unregistered", a, tok, "consumer_key_unknown")
	check(testKey, a, "not-a-token", "token_rejected")
	if f.sim.CheckCredentials(testKey, nil, tok) == nil {
		t.Fatal("a nil signer key was accepted")
	}

	// The consumer's public key replaced: the same token, now only with the new key.
	if err := f.sim.SetConsumer(id, &Consumer{Key: testKey, Name: "n", PublicKey: pemPublic(t, &b.PublicKey)}); err != nil {
		t.Fatal(err)
	}
	check(testKey, a, tok, "signature_invalid")
	check(testKey, b, tok, "")
	f.sim.ExpireToken(tok)
	check(testKey, b, tok, "token_expired")
	if !f.sim.DeleteLink(id) {
		t.Fatal("DeleteLink")
	}
	check(testKey, b, tok, "consumer_key_unknown")
}

func TestAddLinkHook(t *testing.T) {
	a, b, small, _ := testKeys(t)
	f := newFixture(t, Options{})
	taken := f.createLink() // https://align1.example.com

	id, err := f.sim.AddLink(ApplicationLink{
		Name: "Jira Align", RPCURL: "https://prod.jiraalign.example",
		Consumer: &Consumer{Key: "ByHand", Name: "Jira Align", PublicKey: pemPublic(t, &a.PublicKey)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The REST API reads and lists it like a link made through it.
	resp, body := f.admin(http.MethodGet, "/rest/applinks/3.0/applicationlink/"+id, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"displayUrl":"https://prod.jiraalign.example"`) ||
		!strings.Contains(string(body), `"typeId":"generic"`) {
		t.Fatalf("get: %d %s", resp.StatusCode, body)
	}
	resp, body = f.admin(http.MethodGet, consumerPath(id), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"key":"ByHand"`) {
		t.Fatalf("get consumer: %d %s", resp.StatusCode, body)
	}
	resp, body = f.admin(http.MethodGet, "/rest/applinks/3.0/applicationlink", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), id) || !strings.Contains(string(body), taken) {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}

	for name, bad := range map[string]ApplicationLink{
		"same rpcUrl, other case": {Name: "x", RPCURL: "HTTPS://PROD.jiraalign.example/"},
		"no name":                 {RPCURL: "https://other.example"},
		"relative url":            {Name: "x", RPCURL: "other.example"},
		"consumer key taken":      {Name: "x", RPCURL: "https://other.example", Consumer: &Consumer{Key: "ByHand", PublicKey: pemPublic(t, &b.PublicKey)}},
		"small key":               {Name: "x", RPCURL: "https://other.example", Consumer: &Consumer{Key: "Other", PublicKey: pemPublic(t, &small.PublicKey)}},
	} {
		if _, err := f.sim.AddLink(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := len(f.sim.Links()); n != 2 {
		t.Fatalf("%d links after the refused additions, want 2", n)
	}

	// A chosen id is kept, and cannot be chosen twice.
	const chosen = "1c0bd3f6-2b8f-3a4c-9d1e-7f0a5b6c4d21"
	if got, err := f.sim.AddLink(ApplicationLink{ID: chosen, Name: "x", RPCURL: "https://chosen.example"}); err != nil || got != chosen {
		t.Fatalf("AddLink with an id: %q, %v", got, err)
	}
	if _, err := f.sim.AddLink(ApplicationLink{ID: chosen, Name: "x", RPCURL: "https://again.example"}); err == nil {
		t.Fatal("AddLink reused an id")
	}
	if resp, body := f.admin(http.MethodGet, "/rest/applinks/3.0/applicationlink/"+chosen, nil); resp.StatusCode != http.StatusOK ||
		!strings.Contains(string(body), `"typeId":"generic"`) {
		t.Fatalf("get chosen id: %d %s", resp.StatusCode, body)
	}

	// A link of another type, as Confluence makes it.
	wiki, err := f.sim.AddLink(ApplicationLink{Name: "Confluence", RPCURL: "https://wiki.example.com", TypeID: "confluence"})
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := f.admin(http.MethodGet, "/rest/applinks/3.0/applicationlink/"+wiki, nil); resp.StatusCode != http.StatusOK ||
		!strings.Contains(string(body), `"typeId":"confluence"`) {
		t.Fatalf("get the confluence link: %d %s", resp.StatusCode, body)
	}
}

func TestUserAgents(t *testing.T) {
	f := newFixture(t, Options{ContextPath: "/jira"})
	if f.sim.LastUserAgent() != "" || len(f.sim.UserAgents()) != 0 {
		t.Fatal("a new server reports User-Agents")
	}
	for _, tc := range []struct{ ua, path string }{
		{"a/1", "/jira/rest/api/2/myself"},
		{"a/1", "/other"}, // unknown paths count too
		{"", "/jira/rest/api/2/myself"},
		{"b/2", "/jira" + linksPath},
	} {
		req := newRequest(t, http.MethodGet, f.srv.URL+tc.path, "")
		req.Header.Set("User-Agent", tc.ua) // "" sends none
		f.do(req)
	}
	if got, want := f.sim.UserAgents(), map[string]int64{"a/1": 2, "": 1, "b/2": 1}; !maps.Equal(got, want) {
		t.Fatalf("UserAgents = %v, want %v", got, want)
	}
	if got := f.sim.LastUserAgent(); got != "b/2" {
		t.Fatalf("LastUserAgent = %q, want b/2", got)
	}
}
