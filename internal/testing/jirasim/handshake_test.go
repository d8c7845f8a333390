package jirasim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHandshakeWithDghubbleUnderContextPath(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{ContextPath: "/jira"})
	if !strings.HasSuffix(f.base, "/jira") {
		t.Fatalf("base %q", f.base)
	}
	f.register(testKey, &a.PublicKey)
	cfg := f.config(testKey, a)

	rt, rs, err := cfg.RequestToken()
	if err != nil {
		t.Fatalf("RequestToken: %v", err)
	}
	if rt == "" || rs == "" {
		t.Fatal("empty request token")
	}
	resp, body := f.authorize("oauth_token="+url.QueryEscape(rt)+"&approve=Allow", svcUser, svcPass, true)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != callbackURL {
		t.Fatalf("redirected to %q, want the callback %q", got, callbackURL)
	}
	if loc.Query().Get("oauth_token") != rt || loc.Query().Get("oauth_verifier") == "" {
		t.Fatalf("Location %q lacks oauth_token/oauth_verifier", loc)
	}

	at, as, err := cfg.AccessToken(rt, rs, loc.Query().Get("oauth_verifier"))
	if err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	live := f.sim.LiveTokens()
	if len(live) != 1 || live[0].Token != at || live[0].ConsumerKey != testKey || live[0].User != svcUser {
		t.Fatalf("LiveTokens = %+v", live)
	}
	if d := live[0].ExpiresAt.Sub(live[0].CreatedAt); d != DefaultTokenLifetime {
		t.Fatalf("token lifetime %v", d)
	}

	// Signed GET with query parameters (including an encoded space).
	c := f.oauthClient(cfg, at, as)
	res, err := c.Get(f.base + "/rest/api/2/myself?expand=groups&x=a%20b%2Bc&empty=")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("myself: %d", res.StatusCode)
	}
	var me map[string]any
	if err := json.NewDecoder(res.Body).Decode(&me); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name": svcUser, "key": svcUser, "displayName": "Align Service",
		"emailAddress": "svc-align@example.com", "active": true,
	}
	for k, v := range want {
		if me[k] != v {
			t.Errorf("myself[%q] = %v, want %v", k, me[k], v)
		}
	}
	if len(me) != len(want) {
		t.Errorf("myself = %v", me)
	}

	counts := f.sim.RequestCounts()
	for k, n := range map[string]int64{
		"POST /plugins/servlet/oauth/request-token":                                 1,
		"POST /plugins/servlet/oauth/authorize":                                     1,
		"POST /plugins/servlet/oauth/access-token":                                  1,
		"GET /rest/api/2/myself":                                                    1,
		"PUT /rest/applinks/3.0/applicationlink":                                    1,
		"PUT /rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer": 1,
	} {
		if counts[k] != n {
			t.Errorf("RequestCounts[%q] = %d, want %d (all: %v)", k, counts[k], n, counts)
		}
	}
	if f.sim.TotalRequests() != 6 {
		t.Errorf("TotalRequests = %d", f.sim.TotalRequests())
	}

	// Without the context path nothing is served.
	resp, _ = f.do(newRequest(t, http.MethodPost, f.srv.URL+"/plugins/servlet/oauth/request-token", ""))
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("path outside the context path: %d", resp.StatusCode)
	}
}

func TestSignedFormPostWithDghubble(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{ContextPath: "/jira/"})
	f.register(testKey, &a.PublicKey)
	cfg := f.config(testKey, a)
	at, as := f.handshake(cfg)
	c := f.oauthClient(cfg, at, as)

	// The revoke call: a form body, which dghubble signs, plus a query.
	req := newRequest(t, http.MethodPost, f.base+"/plugins/servlet/oauth/users/access-tokens?from=test", "action=revoke")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Atlassian-Token", "no-check")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if n := len(f.sim.LiveTokens()); n != 0 {
		t.Fatalf("%d live tokens after revoke", n)
	}
}

func TestCallbackWithQueryAndFragment(t *testing.T) {
	cases := map[string]string{
		"https://a.example/cb":           "https://a.example/cb?X",
		"https://a.example/cb?s=1":       "https://a.example/cb?s=1&X",
		"https://a.example/cb?":          "https://a.example/cb?X",
		"https://a.example/cb?s=1#frag":  "https://a.example/cb?s=1&X#frag",
		"https://a.example/cb#f?g":       "https://a.example/cb?X#f?g",
		"http://127.0.0.1:9/cb?s=1&t=2&": "http://127.0.0.1:9/cb?s=1&t=2&X",
	}
	for in, want := range cases {
		if got := appendQuery(in, "X"); got != want {
			t.Errorf("appendQuery(%q) = %q, want %q", in, got, want)
		}
	}

	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	f.register(testKey, &a.PublicKey)
	cfg := f.config(testKey, a)
	cfg.CallbackURL = "https://align.example.com/cb?state=abc%20d"
	rt, _, err := cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := f.authorize("oauth_token="+rt+"&approve=Allow", svcUser, svcPass, true)
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "https://align.example.com/cb?state=abc%20d&oauth_token="+rt+"&oauth_verifier=") {
		t.Fatalf("Location = %q", loc)
	}
}

// accessTokenResponse runs a handshake with manually signed requests and
// returns the parsed access-token response.
func accessTokenResponse(t *testing.T, opts Options) url.Values {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, opts)
	f.register(testKey, &a.PublicKey)
	resp, body := f.signedDo(http.MethodPost, f.base+"/plugins/servlet/oauth/request-token", "", a,
		f.oauthParams(testKey, map[string]string{"oauth_callback": callbackURL}), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("request token: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Fatalf("Content-Type %q", ct)
	}
	if !strings.HasSuffix(string(body), "&oauth_callback_confirmed=true") {
		t.Fatalf("request-token body %q", body)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	verifier := f.approve(v.Get("oauth_token"))
	resp, body = f.signedDo(http.MethodPost, f.base+"/plugins/servlet/oauth/access-token", "", a,
		f.oauthParams(testKey, map[string]string{"oauth_token": v.Get("oauth_token"), "oauth_verifier": verifier}), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("access token: %d %s", resp.StatusCode, body)
	}
	if !strings.HasPrefix(string(body), "oauth_token=") {
		t.Fatalf("access-token body %q", body)
	}
	out, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAccessTokenResponseFields(t *testing.T) {
	v := accessTokenResponse(t, Options{})
	if v.Get("oauth_token") == "" || v.Get("oauth_token_secret") == "" || v.Get("oauth_session_handle") == "" {
		t.Fatalf("response %v", v)
	}
	if v.Get("oauth_expires_in") != "157680000" || v.Get("oauth_authorization_expires_in") != "160272000" {
		t.Fatalf("expiry fields %v", v)
	}

	v = accessTokenResponse(t, Options{TokenLifetime: time.Hour})
	if v.Get("oauth_expires_in") != "3600" || v.Get("oauth_authorization_expires_in") != "2595600" {
		t.Fatalf("expiry fields with a 1h lifetime: %v", v)
	}

	v = accessTokenResponse(t, Options{OmitExpiryFields: true})
	if len(v) != 2 || v.Get("oauth_token") == "" || v.Get("oauth_token_secret") == "" {
		t.Fatalf("OmitExpiryFields response %v", v)
	}
}

func TestDenyFlow(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	f.register(testKey, &a.PublicKey)
	cfg := f.config(testKey, a)
	rt, rs, err := cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	resp, body := f.authorize("oauth_token="+rt+"&deny=Deny", svcUser, svcPass, true)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("deny: %d %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if q.Get("oauth_problem") != "permission_denied" || q.Has("oauth_verifier") || q.Get("oauth_token") != rt {
		t.Fatalf("deny Location %q", loc)
	}
	if !strings.HasPrefix(loc.String(), callbackURL+"?") {
		t.Fatalf("deny Location %q is not the callback", loc)
	}

	// The denied token cannot be approved afterwards, nor exchanged.
	resp, body = f.authorize("oauth_token="+rt+"&approve=Allow", svcUser, svcPass, true)
	f.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
	resp, body = f.signedDo(http.MethodPost, f.base+"/plugins/servlet/oauth/access-token", "", a,
		f.oauthParams(testKey, map[string]string{"oauth_token": rt, "oauth_verifier": "guess"}), nil)
	f.expectProblem(resp, body, http.StatusUnauthorized, "permission_denied")
	if _, _, err := cfg.AccessToken(rt, rs, "guess"); err == nil {
		t.Fatal("AccessToken succeeded for a denied request token")
	}
	if len(f.sim.LiveTokens()) != 0 {
		t.Fatal("a token was issued")
	}
}

func TestAuthorizeRejections(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{ContextPath: "/jira"})
	f.register(testKey, &a.PublicKey)
	cfg := f.config(testKey, a)
	rt, _, err := cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	form := "oauth_token=" + rt + "&approve=Allow"

	for _, c := range []struct{ user, pass string }{
		{svcUser, "wrong"}, {"nobody", "x"}, {"", ""}, {idleUser, idlePass},
	} {
		resp, body := f.authorize(form, c.user, c.pass, true)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic realm=") {
			t.Fatalf("credentials %q/%q: %d %q %s", c.user, c.pass, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
	}
	resp, body := f.authorize(form, svcUser, svcPass, false)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "XSRF check failed") {
		t.Fatalf("missing XSRF header: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []string{"oauth_token=" + rt, "oauth_token=" + rt + "&approve=Yes", "oauth_token=" + rt + "&approve=Allow&deny=Deny"} {
		resp, body = f.authorize(bad, svcUser, svcPass, true)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("form %q: %d %s", bad, resp.StatusCode, body)
		}
	}
	resp, body = f.authorize("approve=Allow", svcUser, svcPass, true)
	f.expectProblem(resp, body, http.StatusBadRequest, "parameter_absent")
	resp, body = f.authorize("oauth_token=nosuchtoken&approve=Allow", svcUser, svcPass, true)
	f.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
	req := newRequest(t, http.MethodGet, f.base+"/plugins/servlet/oauth/authorize?oauth_token="+rt, "")
	resp, _ = f.do(req)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET authorize: %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}

	// None of the failures used the token up: it can still be approved once.
	f.approve(rt)
	resp, body = f.authorize(form, svcUser, svcPass, true)
	f.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")

	// An expired request token.
	rt2, _, err := cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	f.sim.Advance(11 * time.Minute)
	resp, body = f.authorize("oauth_token="+rt2+"&approve=Allow", svcUser, svcPass, true)
	f.expectProblem(resp, body, http.StatusUnauthorized, "token_expired")
}

func TestRequestTokenRejections(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	f.register(testKey, &a.PublicKey)
	u := f.base + "/plugins/servlet/oauth/request-token"

	resp, body := f.signedDo(http.MethodPost, u, "", a, f.oauthParams(testKey, nil), nil)
	v := f.expectProblem(resp, body, http.StatusBadRequest, "parameter_absent")
	if v.Get("oauth_parameters_absent") != "oauth_callback" {
		t.Fatalf("oauth_parameters_absent = %q", v.Get("oauth_parameters_absent"))
	}
	for _, cb := range []string{"not a url", "/relative", "ftp://x.example/cb"} {
		resp, body = f.signedDo(http.MethodPost, u, "", a, f.oauthParams(testKey, map[string]string{"oauth_callback": cb}), nil)
		f.expectProblem(resp, body, http.StatusBadRequest, "parameter_rejected")
	}
	resp, body = f.signedDo(http.MethodPost, u, "", a,
		f.oauthParams(testKey, map[string]string{"oauth_callback": callbackURL, "oauth_token": "abc"}), nil)
	f.expectProblem(resp, body, http.StatusBadRequest, "parameter_rejected")

	resp, _ = f.signedDo(http.MethodGet, u, "", a, f.oauthParams(testKey, map[string]string{"oauth_callback": callbackURL}), nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET request-token: %d", resp.StatusCode)
	}
}

func TestAccessTokenRejections(t *testing.T) {
	a, b, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	f.register(testKey, &a.PublicKey)
	f.register("OtherConsumer", &b.PublicKey)
	cfg := f.config(testKey, a)
	exchange := func(key, token, verifier string) (*http.Response, []byte) {
		p := f.oauthParams(key, map[string]string{"oauth_token": token, "oauth_verifier": verifier})
		k := a
		if key != testKey {
			k = b
		}
		return f.signedDo(http.MethodPost, f.base+"/plugins/servlet/oauth/access-token", "", k, p, nil)
	}

	// Not yet approved.
	rt, rs, err := cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	resp, body := exchange(testKey, rt, "x")
	f.expectProblem(resp, body, http.StatusUnauthorized, "permission_unknown")

	verifier := f.approve(rt)
	// Wrong verifier; missing verifier.
	resp, body = exchange(testKey, rt, verifier+"x")
	f.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
	resp, body = f.signedDo(http.MethodPost, f.base+"/plugins/servlet/oauth/access-token", "", a,
		f.oauthParams(testKey, map[string]string{"oauth_token": rt}), nil)
	v := f.expectProblem(resp, body, http.StatusBadRequest, "parameter_absent")
	if v.Get("oauth_parameters_absent") != "oauth_verifier" {
		t.Fatalf("absent = %q", v.Get("oauth_parameters_absent"))
	}
	// Another consumer cannot exchange this consumer's request token.
	resp, body = exchange("OtherConsumer", rt, verifier)
	f.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")

	// The right exchange works once; the verifier (and token) is single-use.
	at, _, err := cfg.AccessToken(rt, rs, verifier)
	if err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	if _, _, err := cfg.AccessToken(rt, rs, verifier); err == nil || !strings.Contains(err.Error(), "token_rejected") {
		t.Fatalf("verifier reuse: %v", err)
	}
	// An access token is not a request token.
	resp, body = exchange(testKey, at, verifier)
	f.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")

	// Approved, then expired before the exchange.
	rt2, _, err := cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	v2 := f.approve(rt2)
	f.sim.Advance(11 * time.Minute)
	resp, body = exchange(testKey, rt2, v2)
	f.expectProblem(resp, body, http.StatusUnauthorized, "token_expired")
	if n := len(f.sim.LiveTokens()); n != 1 {
		t.Fatalf("%d live tokens, want 1", n)
	}
}

func TestRequestTokenIsNotAnAccessToken(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	f.register(testKey, &a.PublicKey)
	cfg := f.config(testKey, a)
	rt, rs, err := cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	f.approve(rt)
	resp, body := f.myself(f.oauthClient(cfg, rt, rs))
	f.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
}

func TestRequestTokensArePruned(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	f.register(testKey, &a.PublicKey)
	cfg := f.config(testKey, a)
	for range 3 {
		if _, _, err := cfg.RequestToken(); err != nil {
			t.Fatal(err)
		}
	}
	f.sim.mu.Lock()
	n := len(f.sim.reqTokens)
	f.sim.mu.Unlock()
	if n != 3 {
		t.Fatalf("%d request tokens", n)
	}
	// Long after expiry (plus the grace period) they are forgotten, and so are
	// the nonces of the old requests.
	f.sim.Advance(2 * time.Hour)
	resp, body := f.signedDo(http.MethodPost, f.base+"/plugins/servlet/oauth/request-token", "", a,
		f.oauthParams(testKey, map[string]string{"oauth_callback": callbackURL}), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	f.sim.mu.Lock()
	n, nn := len(f.sim.reqTokens), len(f.sim.nonces)
	f.sim.mu.Unlock()
	if n != 1 || nn != 1 {
		t.Fatalf("after pruning: %d request tokens, %d nonces; want 1 and 1", n, nn)
	}
}
