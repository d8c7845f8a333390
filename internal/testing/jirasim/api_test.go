package jirasim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// revoke posts the revoke form signed with the access token.
func (o *oauthFixture) revoke(form string, xsrf bool) (*http.Response, []byte) {
	o.t.Helper()
	a, _, _, _ := testKeys(o.t)
	hdr := map[string]string{}
	if xsrf {
		hdr["X-Atlassian-Token"] = "no-check"
	}
	return o.signedDo(http.MethodPost, o.base+"/plugins/servlet/oauth/users/access-tokens", form, a,
		o.oauthParams(testKey, map[string]string{"oauth_token": o.token}), hdr)
}

func TestMyselfReturnsTheApprovingUser(t *testing.T) {
	o := newOAuthFixture(t, Options{})
	resp, body := o.myselfSigned("", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	want := `{"name":"svc-align","key":"svc-align","displayName":"Align Service","emailAddress":"svc-align@example.com","active":true}`
	if string(body) != want {
		t.Fatalf("body %s, want %s", body, want)
	}
	// Wrong methods are 405 (JSON, under /rest).
	req := newRequest(t, http.MethodPost, o.base+"/rest/api/2/myself", "")
	resp, body = o.do(req)
	expectJSONError(t, resp, body, http.StatusMethodNotAllowed)
	if resp.Header.Get("Allow") != "GET" {
		t.Fatalf("Allow %q", resp.Header.Get("Allow"))
	}
}

func TestRevokedTokenViaHook(t *testing.T) {
	o := newOAuthFixture(t, Options{})
	c := o.oauthClient(o.cfg, o.token, o.secret)
	if resp, body := o.myself(c); resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if !o.sim.RevokeToken(o.token) {
		t.Fatal("RevokeToken = false")
	}
	if o.sim.RevokeToken(o.token) {
		t.Fatal("second RevokeToken = true")
	}
	resp, body := o.myself(c)
	o.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
	if len(o.sim.LiveTokens()) != 0 {
		t.Fatal("revoked token still live")
	}
	// Another consumer cannot use this consumer's token.
	_, b, _, _ := testKeys(t)
	o2 := newOAuthFixture(t, Options{})
	o2.register("Intruder", &b.PublicKey)
	resp, body = o2.signedDo(http.MethodGet, o2.base+"/rest/api/2/myself", "", b,
		o2.oauthParams("Intruder", map[string]string{"oauth_token": o2.token}), nil)
	o2.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
	if r, body := o2.myselfSigned("", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("owner after the intrusion: %d %s", r.StatusCode, body)
	}

	// An unknown token is rejected the same way.
	resp, body = o.myself(o.oauthClient(o.cfg, "nosuchtoken", "x"))
	o.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
}

func TestExpiredToken(t *testing.T) {
	o := newOAuthFixture(t, Options{})
	if !o.sim.ExpireToken(o.token) {
		t.Fatal("ExpireToken = false")
	}
	if o.sim.ExpireToken("nosuchtoken") {
		t.Fatal("ExpireToken(unknown) = true")
	}
	resp, body := o.myself(o.oauthClient(o.cfg, o.token, o.secret))
	o.expectProblem(resp, body, http.StatusUnauthorized, "token_expired")
	if len(o.sim.LiveTokens()) != 0 {
		t.Fatal("expired token still live")
	}
	resp, body = o.revoke("action=revoke", true)
	o.expectProblem(resp, body, http.StatusUnauthorized, "token_expired")

	// Natural expiry, on the simulator clock (requests signed on it too).
	o2 := newOAuthFixture(t, Options{TokenLifetime: time.Hour})
	o2.sim.Advance(59 * time.Minute)
	if resp, body := o2.myselfSigned("", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("before expiry: %d %s", resp.StatusCode, body)
	}
	o2.sim.Advance(time.Minute)
	resp, body = o2.myselfSigned("", nil)
	o2.expectProblem(resp, body, http.StatusUnauthorized, "token_expired")
}

func TestRevokeEndpoint(t *testing.T) {
	o := newOAuthFixture(t, Options{ContextPath: "/jira"})

	resp, body := o.revoke("action=revoke", false)
	if resp.StatusCode != http.StatusForbidden || string(body) != "XSRF check failed\n" {
		t.Fatalf("without XSRF header: %d %q", resp.StatusCode, body)
	}
	for _, form := range []string{"action=delete", "action=revoke&action=revoke", "other=1"} {
		resp, body = o.revoke(form, true)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("form %q: %d %s", form, resp.StatusCode, body)
		}
	}
	// action in the query instead of the body is not the contract.
	a, _, _, _ := testKeys(t)
	resp, body = o.signedDo(http.MethodPost, o.base+"/plugins/servlet/oauth/users/access-tokens?action=revoke", "", a,
		o.oauthParams(testKey, map[string]string{"oauth_token": o.token}), map[string]string{"X-Atlassian-Token": "no-check"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("action in query: %d %s", resp.StatusCode, body)
	}
	if len(o.sim.LiveTokens()) != 1 {
		t.Fatal("a failed revoke revoked the token")
	}

	resp, body = o.revoke("action=revoke", true)
	if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	resp, body = o.revoke("action=revoke", true)
	o.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
	// The XSRF header is checked before the token: without it, revoking a token that is
	// already gone is refused too, instead of answering "already gone".
	resp, body = o.revoke("action=revoke", false)
	if resp.StatusCode != http.StatusForbidden || string(body) != "XSRF check failed\n" {
		t.Fatalf("revoked token without XSRF header: %d %q", resp.StatusCode, body)
	}
	resp, body = o.myselfSigned("", nil)
	o.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
	if n := o.sim.RequestCounts()["POST /plugins/servlet/oauth/users/access-tokens"]; n != 8 {
		t.Fatalf("revoke count %d", n)
	}
}

func TestDeleteLinkInvalidatesTokens(t *testing.T) {
	o := newOAuthFixture(t, Options{})
	links := o.sim.Links()
	if len(links) != 1 {
		t.Fatalf("links %+v", links)
	}
	resp, body := o.admin(http.MethodDelete, "/rest/applinks/3.0/applicationlink/"+links[0].ID, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	if len(o.sim.LiveTokens()) != 0 {
		t.Fatal("tokens survived the link")
	}
	resp, body = o.myself(o.oauthClient(o.cfg, o.token, o.secret))
	o.expectProblem(resp, body, http.StatusUnauthorized, "consumer_key_unknown")
	resp, body = o.revoke("action=revoke", true)
	o.expectProblem(resp, body, http.StatusUnauthorized, "consumer_key_unknown")

	// Re-registering the same key with the same public key does not bring
	// the old tokens back.
	a, _, _, _ := testKeys(t)
	o.register(testKey, &a.PublicKey)
	resp, body = o.myselfSigned("", nil)
	o.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
}

func TestDeleteLinkHookAndConsumerDelete(t *testing.T) {
	o := newOAuthFixture(t, Options{})
	id := o.sim.Links()[0].ID
	if !o.sim.DeleteLink(id) || o.sim.DeleteLink(id) {
		t.Fatal("DeleteLink results")
	}
	resp, body := o.myselfSigned("", nil)
	o.expectProblem(resp, body, http.StatusUnauthorized, "consumer_key_unknown")

	o2 := newOAuthFixture(t, Options{})
	id = o2.sim.Links()[0].ID
	resp, body = o2.admin(http.MethodDelete, consumerPath(id), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("delete consumer: %d %s", resp.StatusCode, body)
	}
	resp, body = o2.myselfSigned("", nil)
	o2.expectProblem(resp, body, http.StatusUnauthorized, "consumer_key_unknown")
	if len(o2.sim.Links()) != 1 || o2.sim.Links()[0].Consumer != nil {
		t.Fatalf("links %+v", o2.sim.Links())
	}
}

func TestConsumerReplacement(t *testing.T) {
	a, b, _, _ := testKeys(t)
	o := newOAuthFixture(t, Options{})
	id := o.sim.Links()[0].ID

	// Same key, same public key (as bare base64 this time): tokens survive.
	resp, body := o.admin(http.MethodPut, consumerPath(id), consumerBody(testKey, b64Public(t, &a.PublicKey)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if r, b := o.myselfSigned("", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("after an identical PUT: %d %s", r.StatusCode, b)
	}

	// Same key, new public key: the old token stays live, but a request signed with the old
	// key fails signature_invalid, the revocation included; signed with the new key, the same
	// token is used and revoked.
	resp, body = o.admin(http.MethodPut, consumerPath(id), consumerBody(testKey, pemPublic(t, &b.PublicKey)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, body = o.myselfSigned("", nil) // signed with the old key
	o.expectProblem(resp, body, http.StatusUnauthorized, "signature_invalid")
	resp, body = o.revoke("action=revoke", true) // signed with the old key
	o.expectProblem(resp, body, http.StatusUnauthorized, "signature_invalid")
	if live := o.sim.LiveTokens(); len(live) != 1 || live[0].Token != o.token {
		t.Fatalf("after the key change LiveTokens = %+v, want the old token", live)
	}
	withNewKey := func(method, url, form string, hdr map[string]string) (*http.Response, []byte) {
		return o.signedDo(method, url, form, b, o.oauthParams(testKey, map[string]string{"oauth_token": o.token}), hdr)
	}
	if resp, body = withNewKey(http.MethodGet, o.base+"/rest/api/2/myself", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("the old token signed with the new key: %d %s", resp.StatusCode, body)
	}
	revoke := func() (*http.Response, []byte) {
		return withNewKey(http.MethodPost, o.base+"/plugins/servlet/oauth/users/access-tokens", "action=revoke", map[string]string{"X-Atlassian-Token": "no-check"})
	}
	if resp, body = revoke(); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoking the old token signed with the new key: %d %s", resp.StatusCode, body)
	}
	resp, body = revoke()
	o.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
	if live := o.sim.LiveTokens(); len(live) != 0 {
		t.Fatalf("after the revoke LiveTokens = %+v", live)
	}

	// A new handshake with the new key works; renaming the key drops it.
	cfg := o.config(testKey, b)
	tok, sec := o.handshake(cfg)
	if r, body := o.myself(o.oauthClient(cfg, tok, sec)); r.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", r.StatusCode, body)
	}
	resp, body = o.admin(http.MethodPut, consumerPath(id), consumerBody("Renamed", pemPublic(t, &b.PublicKey)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if len(o.sim.LiveTokens()) != 0 {
		t.Fatal("tokens of the renamed consumer survived")
	}
	resp, body = o.myself(o.oauthClient(cfg, tok, sec))
	o.expectProblem(resp, body, http.StatusUnauthorized, "consumer_key_unknown")
}

func TestRevokeAll(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	f.register(testKey, &a.PublicKey)
	cfg := f.config(testKey, a)
	var toks []string
	for range 3 {
		tok, _ := f.handshake(cfg)
		toks = append(toks, tok)
	}
	f.sim.ExpireToken(toks[0])
	live := f.sim.LiveTokens()
	if len(live) != 2 || live[0].Token != toks[1] || live[1].Token != toks[2] {
		t.Fatalf("LiveTokens %+v", live)
	}
	if n := f.sim.RevokeAll(); n != 2 {
		t.Fatalf("RevokeAll = %d, want 2", n)
	}
	if n := f.sim.RevokeAll(); n != 0 {
		t.Fatalf("second RevokeAll = %d", n)
	}
}

// A renamed user keeps its key and its tokens, which now answer the new name; HTTP Basic takes
// the new name only.
func TestRenameUser(t *testing.T) {
	o := newOAuthFixture(t, Options{})
	if err := o.sim.RenameUser("nobody", "x"); err == nil {
		t.Fatal("renaming an unknown user succeeded")
	}
	if err := o.sim.RenameUser(svcUser, adminUser); err == nil {
		t.Fatal("renaming onto a taken name succeeded")
	}
	if err := o.sim.RenameUser(svcUser, "svc-align-2"); err != nil {
		t.Fatal(err)
	}
	resp, body := o.myselfSigned("", nil)
	want := `{"name":"svc-align-2","key":"svc-align","displayName":"Align Service","emailAddress":"svc-align@example.com","active":true}`
	if resp.StatusCode != http.StatusOK || string(body) != want {
		t.Fatalf("%d %s, want %s", resp.StatusCode, body, want)
	}
	if live := o.sim.LiveTokens(); len(live) != 1 || live[0].User != "svc-align-2" {
		t.Fatalf("live tokens %+v", live)
	}
	// An unknown request token: a user who logs in gets token_rejected, one who does not a
	// Basic challenge.
	form := "oauth_token=unknown&approve=Allow"
	if resp, _ := o.authorize(form, svcUser, svcPass, true); !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("the old name still logs in: %d %v", resp.StatusCode, resp.Header)
	}
	resp, body = o.authorize(form, "svc-align-2", svcPass, true)
	o.expectProblem(resp, body, http.StatusUnauthorized, "token_rejected")
	if err := o.sim.RenameUser("svc-align-2", svcUser); err != nil {
		t.Fatal(err)
	}
	if resp, body := o.myselfSigned("", nil); !strings.Contains(string(body), `"name":"svc-align"`) {
		t.Fatalf("renamed back: %d %s", resp.StatusCode, body)
	}
}
