package jirasim

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/oauth1"
)

// oauthFixture is a fixture with a registered consumer and an access token.
type oauthFixture struct {
	*fixture
	cfg           *oauth1.Config
	token, secret string
}

func newOAuthFixture(t *testing.T, opts Options) *oauthFixture {
	t.Helper()
	a, _, _, _ := testKeys(t)
	f := newFixture(t, opts)
	f.register(testKey, &a.PublicKey)
	cfg := f.config(testKey, a)
	tok, sec := f.handshake(cfg)
	return &oauthFixture{fixture: f, cfg: cfg, token: tok, secret: sec}
}

// myselfSigned calls myself signed manually with the access token.
func (o *oauthFixture) myselfSigned(rawQuery string, extra map[string]string) (*http.Response, []byte) {
	a, _, _, _ := testKeys(o.t)
	p := map[string]string{"oauth_token": o.token}
	for k, v := range extra {
		p[k] = v
	}
	u := o.base + "/rest/api/2/myself"
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	return o.signedDo(http.MethodGet, u, "", a, o.oauthParams(testKey, p), nil)
}

func TestUnknownConsumer(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{ContextPath: "/jira"})
	f.register(testKey, &a.PublicKey)
	_, _, err := f.config("SomebodyElse", a).RequestToken()
	if err == nil || !strings.Contains(err.Error(), "consumer_key_unknown") {
		t.Fatalf("RequestToken with an unknown consumer: %v", err)
	}
	resp, body := f.signedDo(http.MethodPost, f.base+"/plugins/servlet/oauth/request-token", "", a,
		f.oauthParams("SomebodyElse", map[string]string{"oauth_callback": callbackURL}), nil)
	f.expectProblem(resp, body, http.StatusUnauthorized, "consumer_key_unknown")
}

func TestBadSignatureWrongKey(t *testing.T) {
	a, b, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	f.register(testKey, &a.PublicKey)
	_, _, err := f.config(testKey, b).RequestToken()
	if err == nil || !strings.Contains(err.Error(), "signature_invalid") {
		t.Fatalf("RequestToken signed with the wrong key: %v", err)
	}
	resp, body := f.signedDo(http.MethodPost, f.base+"/plugins/servlet/oauth/request-token", "", b,
		f.oauthParams(testKey, map[string]string{"oauth_callback": callbackURL}), nil)
	v := f.expectProblem(resp, body, http.StatusUnauthorized, "signature_invalid")
	if !strings.HasPrefix(v.Get("oauth_signature_base_string"), "POST&https%3A%2F%2F127.0.0.1") {
		t.Fatalf("base string in the report: %q", v.Get("oauth_signature_base_string"))
	}
}

func TestSignatureMethodRejected(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	f.register(testKey, &a.PublicKey)
	cfg := f.config(testKey, a)
	cfg.Signer = &oauth1.HMACSigner{ConsumerSecret: "secret"}
	if _, _, err := cfg.RequestToken(); err == nil || !strings.Contains(err.Error(), "signature_method_rejected") {
		t.Fatalf("HMAC-SHA1: %v", err)
	}
	for _, m := range []string{"HMAC-SHA1", "PLAINTEXT", "RSA-SHA256", "rsa-sha1"} {
		resp, body := f.signedDo(http.MethodPost, f.base+"/plugins/servlet/oauth/request-token", "", a,
			f.oauthParams(testKey, map[string]string{"oauth_callback": callbackURL, "oauth_signature_method": m}), nil)
		f.expectProblem(resp, body, http.StatusUnauthorized, "signature_method_rejected")
	}
}

func TestTimestampWindow(t *testing.T) {
	o := newOAuthFixture(t, Options{})
	c := o.oauthClient(o.cfg, o.token, o.secret)

	for _, skew := range []time.Duration{301 * time.Second, -302 * time.Second} {
		o.sim.Advance(skew)
		resp, body := o.myself(c) // dghubble signs with the real clock
		v := o.expectProblem(resp, body, http.StatusUnauthorized, "timestamp_refused")
		if v.Get("oauth_acceptable_timestamps") == "" {
			t.Fatal("no oauth_acceptable_timestamps")
		}
		o.sim.Advance(-skew)
	}
	o.sim.Advance(290 * time.Second)
	if resp, body := o.myself(c); resp.StatusCode != http.StatusOK {
		t.Fatalf("290 s of skew: %d %s", resp.StatusCode, body)
	}
	o.sim.Advance(-290 * time.Second)

	now := o.sim.Now().Unix()
	for _, ts := range []string{"abc", "+" + itoa(now), "-1", itoa(now) + ".0", "0"} {
		resp, body := o.myselfSigned("", map[string]string{"oauth_timestamp": ts})
		o.expectProblem(resp, body, http.StatusUnauthorized, "timestamp_refused")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// recorder keeps a copy of the last request it sent.
type recorder struct {
	base http.RoundTripper
	last *http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.last = req.Clone(context.Background())
	return r.base.RoundTrip(req)
}

func TestReplayedNonce(t *testing.T) {
	o := newOAuthFixture(t, Options{ContextPath: "/jira"})
	rec := &recorder{base: o.srv.Client().Transport}
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: rec})
	c := oauth1.NewClient(ctx, o.cfg, oauth1.NewToken(o.token, o.secret))
	if resp, body := o.myself(c); resp.StatusCode != http.StatusOK {
		t.Fatalf("first request: %d %s", resp.StatusCode, body)
	}
	replay := rec.last.Clone(context.Background())
	replay.RequestURI = ""
	resp, body := o.do(replay)
	o.expectProblem(resp, body, http.StatusUnauthorized, "nonce_used")

	// A request whose signature failed does not burn its nonce.
	_, b, _, _ := testKeys(t)
	nonce := randomHex(8)
	resp, body = o.signedDo(http.MethodGet, o.base+"/rest/api/2/myself", "", b,
		o.oauthParams(testKey, map[string]string{"oauth_token": o.token, "oauth_nonce": nonce}), nil)
	o.expectProblem(resp, body, http.StatusUnauthorized, "signature_invalid")
	resp, body = o.myselfSigned("", map[string]string{"oauth_nonce": nonce})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("nonce of a rejected request: %d %s", resp.StatusCode, body)
	}
	resp, body = o.myselfSigned("", map[string]string{"oauth_nonce": nonce})
	o.expectProblem(resp, body, http.StatusUnauthorized, "nonce_used")

	// Nonces are per consumer: another consumer may use the same one.
	o.register("SecondConsumer", &b.PublicKey)
	resp, body = o.signedDo(http.MethodPost, o.base+"/plugins/servlet/oauth/request-token", "", b,
		o.oauthParams("SecondConsumer", map[string]string{"oauth_callback": callbackURL, "oauth_nonce": nonce}), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("same nonce, other consumer: %d %s", resp.StatusCode, body)
	}
}

func TestMissingParameters(t *testing.T) {
	o := newOAuthFixture(t, Options{})
	for _, name := range []string{"oauth_consumer_key", "oauth_signature_method", "oauth_timestamp", "oauth_nonce", "oauth_token"} {
		resp, body := o.myselfSigned("", map[string]string{name: ""})
		v := o.expectProblem(resp, body, http.StatusBadRequest, "parameter_absent")
		if v.Get("oauth_parameters_absent") != name {
			t.Errorf("without %s: oauth_parameters_absent = %q", name, v.Get("oauth_parameters_absent"))
		}
	}
	// No signature at all.
	req := newRequest(t, http.MethodGet, o.base+"/rest/api/2/myself", "")
	req.Header.Set("Authorization", authHeader(o.oauthParams(testKey, map[string]string{"oauth_token": o.token})))
	resp, body := o.do(req)
	v := o.expectProblem(resp, body, http.StatusBadRequest, "parameter_absent")
	if v.Get("oauth_parameters_absent") != "oauth_signature" {
		t.Errorf("oauth_parameters_absent = %q", v.Get("oauth_parameters_absent"))
	}
	// No Authorization header, or a Basic one.
	for _, h := range []string{"", "Basic c3ZjLWFsaWduOnN2Yy1zZWNyZXQ="} {
		req = newRequest(t, http.MethodGet, o.base+"/rest/api/2/myself", "")
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		resp, body = o.do(req)
		v = o.expectProblem(resp, body, http.StatusBadRequest, "parameter_absent")
		if !strings.Contains(v.Get("oauth_parameters_absent"), "oauth_consumer_key") {
			t.Errorf("oauth_parameters_absent = %q", v.Get("oauth_parameters_absent"))
		}
	}
}

func TestMalformedAndVersion(t *testing.T) {
	o := newOAuthFixture(t, Options{})
	resp, body := o.myselfSigned("", map[string]string{"oauth_version": "2.0"})
	o.expectProblem(resp, body, http.StatusBadRequest, "version_rejected")
	resp, body = o.myselfSigned("", map[string]string{"oauth_version": ""}) // omitted: fine
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("without oauth_version: %d %s", resp.StatusCode, body)
	}
	for _, h := range []string{`OAuth oauth_token="a", oauth_token="b"`, `OAuth oauth_token=a`, `OAuth oauth_token="%zz"`} {
		req := newRequest(t, http.MethodGet, o.base+"/rest/api/2/myself", "")
		req.Header.Set("Authorization", h)
		resp, body = o.do(req)
		o.expectProblem(resp, body, http.StatusBadRequest, "parameter_rejected")
	}
	resp, body = o.myselfSigned("a=%zz", nil)
	o.expectProblem(resp, body, http.StatusBadRequest, "parameter_rejected")

	// Two OAuth Authorization headers, each valid on its own.
	a, _, _, _ := testKeys(t)
	req := newRequest(t, http.MethodGet, o.base+"/rest/api/2/myself", "")
	sign(t, req, a, o.oauthParams(testKey, map[string]string{"oauth_token": o.token}), nil)
	first := req.Header.Get("Authorization")
	sign(t, req, a, o.oauthParams(testKey, map[string]string{"oauth_token": o.token}), nil)
	req.Header.Add("Authorization", first)
	resp, body = o.do(req)
	o.expectProblem(resp, body, http.StatusBadRequest, "parameter_rejected")

	// A correctly signed request whose header values were not percent-encoded (RFC 5849 §3.6):
	// the base64 signature raw, with its "+", "/" or "=", which a form-decoding peer would read
	// as something else. Refused, although the signature itself is valid.
	for n := 0; n < 40; n++ {
		req = newRequest(t, http.MethodGet, o.base+"/rest/api/2/myself", "")
		p := o.oauthParams(testKey, map[string]string{"oauth_token": o.token})
		sign(t, req, a, p, nil)
		if !strings.ContainsAny(p["oauth_signature"], "+/") {
			continue // "=" padding alone is not enough to show "+" and "/" handling; sign again
		}
		raw := strings.Replace(req.Header.Get("Authorization"), PercentEncode(p["oauth_signature"]), p["oauth_signature"], 1)
		req.Header.Set("Authorization", raw)
		resp, body = o.do(req)
		o.expectProblem(resp, body, http.StatusBadRequest, "parameter_rejected")
		if !strings.Contains(string(body), "percent-encoded") {
			t.Errorf("advice %q does not name the encoding", body)
		}
		return
	}
	t.Fatal("no signature with a \"+\" or \"/\" in 40 tries")
}

func TestQueryAndBodyAreSigned(t *testing.T) {
	o := newOAuthFixture(t, Options{ContextPath: "/jira"})
	a, _, _, _ := testKeys(t)
	myself := o.base + "/rest/api/2/myself"

	// Duplicated query names and a realm: both kept/excluded per RFC 5849.
	resp, body := o.signedDo(http.MethodGet, myself+"?b=2&a=1&b=1&c=x+y&d=%2B", "", a,
		o.oauthParams(testKey, map[string]string{"oauth_token": o.token, "realm": "https://ignored.example"}), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("duplicate query params: %d %s", resp.StatusCode, body)
	}

	// A signature over collapsed duplicates (as some libraries compute it)
	// does not verify.
	req := newRequest(t, http.MethodGet, myself+"?b=2&b=1", "")
	p := o.oauthParams(testKey, map[string]string{"oauth_token": o.token})
	collapsed := *req.URL
	collapsed.RawQuery = "b=2"
	p["oauth_signature"] = signBase(t, a, BaseString(req.Method, &collapsed, p, nil))
	req.Header.Set("Authorization", authHeader(p))
	resp, body = o.do(req)
	o.expectProblem(resp, body, http.StatusUnauthorized, "signature_invalid")

	// Query tampered after signing.
	req = newRequest(t, http.MethodGet, myself+"?expand=groups", "")
	sign(t, req, a, o.oauthParams(testKey, map[string]string{"oauth_token": o.token}), nil)
	req.URL.RawQuery = "expand=all"
	resp, body = o.do(req)
	o.expectProblem(resp, body, http.StatusUnauthorized, "signature_invalid")

	// Path outside the signature: signing /jira/rest/... but without the
	// context path in the base string fails.
	req = newRequest(t, http.MethodGet, myself, "")
	p = o.oauthParams(testKey, map[string]string{"oauth_token": o.token})
	noCtx := *req.URL
	noCtx.Path = "/rest/api/2/myself"
	p["oauth_signature"] = signBase(t, a, BaseString(req.Method, &noCtx, p, nil))
	req.Header.Set("Authorization", authHeader(p))
	resp, body = o.do(req)
	o.expectProblem(resp, body, http.StatusUnauthorized, "signature_invalid")

	// http instead of https in the base string fails.
	req = newRequest(t, http.MethodGet, myself, "")
	p = o.oauthParams(testKey, map[string]string{"oauth_token": o.token})
	plain := *req.URL
	plain.Scheme = "http"
	p["oauth_signature"] = signBase(t, a, BaseString(req.Method, &plain, p, nil))
	req.Header.Set("Authorization", authHeader(p))
	resp, body = o.do(req)
	o.expectProblem(resp, body, http.StatusUnauthorized, "signature_invalid")

	revoke := o.base + "/plugins/servlet/oauth/users/access-tokens"
	// Form body tampered after signing.
	req = newRequest(t, http.MethodPost, revoke, "action=revoke&x=1")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Atlassian-Token", "no-check")
	sign(t, req, a, o.oauthParams(testKey, map[string]string{"oauth_token": o.token}), url.Values{"action": {"revoke"}})
	resp, body = o.do(req)
	o.expectProblem(resp, body, http.StatusUnauthorized, "signature_invalid")

	// A body signed as a form but sent as text/plain is not part of the
	// server's base string, so the signature fails.
	req = newRequest(t, http.MethodPost, revoke, "action=revoke")
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-Atlassian-Token", "no-check")
	sign(t, req, a, o.oauthParams(testKey, map[string]string{"oauth_token": o.token}), url.Values{"action": {"revoke"}})
	resp, body = o.do(req)
	o.expectProblem(resp, body, http.StatusUnauthorized, "signature_invalid")

	// A form body or a query that repeats an OAuth parameter is refused even when it is signed
	// with both occurrences: docs/guides/http-calls.md ("OAuth 1.0a signing") puts the protocol
	// parameters in the header only (RFC 5849 §3.5: one transmission method), and its "Revoke"
	// section says the revoke body repeats none.
	for _, tc := range []struct{ name, query, body string }{
		{"body", "", "action=revoke&oauth_token=" + o.token},
		{"query", "?oauth_nonce=x", "action=revoke"},
	} {
		req = newRequest(t, http.MethodPost, revoke+tc.query, tc.body)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Atlassian-Token", "no-check")
		form, err := url.ParseQuery(tc.body)
		if err != nil {
			t.Fatal(err)
		}
		sign(t, req, a, o.oauthParams(testKey, map[string]string{"oauth_token": o.token}), form)
		resp, body = o.do(req)
		o.expectProblem(resp, body, http.StatusBadRequest, "parameter_rejected")
		if !strings.Contains(string(body), "Authorization%20header%20only") {
			t.Errorf("%s: advice %q does not say where the parameter belongs", tc.name, body)
		}
	}

	// Query parameters and a charset parameter on the form's media type are signed and fine.
	req = newRequest(t, http.MethodPost, revoke+"?q=1", "action=revoke")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.Header.Set("X-Atlassian-Token", "no-check")
	sign(t, req, a, o.oauthParams(testKey, map[string]string{"oauth_token": o.token}), url.Values{"action": {"revoke"}})
	resp, body = o.do(req)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("signed form with a query and a charset: %d %s", resp.StatusCode, body)
	}
}
