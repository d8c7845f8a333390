package jiraapi

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/jirasim"
)

const simCallback = "https://align.example.com/oauth/callback?connector=1"

// simEnv is a Jira simulator on TLS under the context path /jira, with an administrator and a
// service user, and a client for it.
type simEnv struct {
	sim    *jirasim.Server
	client *Client
}

func newSimEnv(t *testing.T, opts jirasim.Options) *simEnv {
	t.Helper()
	return newSimEnvWith(t, opts, nil)
}

// newSimEnvWith is newSimEnv with wrap, when not nil, between the client and the simulator (to
// lose or mangle answers).
func newSimEnvWith(t *testing.T, opts jirasim.Options, wrap func(sim http.Handler) http.Handler) *simEnv {
	t.Helper()
	opts.ContextPath = "/jira"
	opts.Users = map[string]jirasim.User{
		adminName:    {Password: adminPassword, Admin: true, DisplayName: "Admin", Email: "admin@example.com", Active: true},
		approverName: {Password: approverPassword, DisplayName: "Align Service", Email: "svc@example.com", Active: true},
	}
	sim := jirasim.New(opts)
	h := sim.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/jira/", newHTTPX(t, srv, 2))
	if err != nil {
		t.Fatal(err)
	}
	return &simEnv{sim: sim, client: c}
}

// register creates an application link with consumer key `key` and the public half of the test
// key, and returns the link.
func (e *simEnv) register(t *testing.T, key string) *ApplicationLink {
	t.Helper()
	ctx := context.Background()
	l, err := e.client.CreateApplicationLink(ctx, testAdmin, ApplicationLink{
		Name: "Jira Align", RPCURL: "https://align.example.com", DisplayURL: "https://align.example.com",
	})
	if err != nil {
		t.Fatalf("CreateApplicationLink: %v", err)
	}
	k, _ := keys(t)
	if err := e.client.PutConsumer(ctx, testAdmin, l.ID, Consumer{
		Key: key, Name: "Jira Align", Description: "Jira Align connector", PublicKey: publicPEM(t, k),
	}); err != nil {
		t.Fatalf("PutConsumer: %v", err)
	}
	return l
}

func TestSimFullFlow(t *testing.T) {
	e := newSimEnv(t, jirasim.Options{})
	ctx := context.Background()
	l := e.register(t, testConsumerKey)
	if l.TypeID != "generic" || l.ID == "" {
		t.Errorf("link = %+v", *l)
	}
	got, err := e.client.GetApplicationLink(ctx, testAdmin, l.ID)
	if err != nil || *got != *l {
		t.Fatalf("GetApplicationLink = %+v, %v; want %+v", got, err, *l)
	}
	cons, err := e.client.GetConsumer(ctx, testAdmin, l.ID)
	if err != nil || cons.Key != testConsumerKey || cons.PublicKey == "" {
		t.Fatalf("GetConsumer = %+v, %v", cons, err)
	}

	before := time.Now()
	tok, err := e.client.Handshake(ctx, testConsumer(t), testApprover, simCallback)
	if err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if tok.Token == "" || tok.Secret == "" || tok.SessionHandle == "" {
		t.Errorf("token fields missing: %s", tok)
	}
	if d := tok.ExpiresAt.Sub(before); d < DefaultAccessTokenLifetime-time.Minute || d > DefaultAccessTokenLifetime+time.Minute {
		t.Errorf("ExpiresAt in %s, want about 5 years", d)
	}
	if !tok.AuthorizationExpiresAt.After(tok.ExpiresAt) {
		t.Errorf("AuthorizationExpiresAt %s not after ExpiresAt %s", tok.AuthorizationExpiresAt, tok.ExpiresAt)
	}
	live := e.sim.LiveTokens()
	if len(live) != 1 || live[0].Token != tok.Token || live[0].User != approverName || live[0].ConsumerKey != testConsumerKey {
		t.Fatalf("LiveTokens = %+v", live)
	}

	me, err := e.client.Myself(ctx, testConsumer(t), tok.Token, tok.Secret)
	if err != nil {
		t.Fatalf("Myself: %v", err)
	}
	if me.Name != approverName || me.DisplayName != "Align Service" || me.EmailAddress != "svc@example.com" || !me.Active {
		t.Errorf("Myself = %+v", *me)
	}

	if err := e.client.Revoke(ctx, testConsumer(t), tok.Token, tok.Secret); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if live := e.sim.LiveTokens(); len(live) != 0 {
		t.Errorf("LiveTokens after revoke = %+v", live)
	}
	_, err = e.client.Myself(ctx, testConsumer(t), tok.Token, tok.Secret)
	if !IsTokenGone(err) {
		t.Fatalf("Myself after revoke: %v, want IsTokenGone", err)
	}
	assertNoSecret(t, err.Error(), tok.Token, tok.Secret)
	if err := e.client.Revoke(ctx, testConsumer(t), tok.Token, tok.Secret); err != nil {
		t.Errorf("second Revoke = %v, want nil (already gone)", err)
	}

	if err := e.client.DeleteConsumer(ctx, testAdmin, l.ID); err != nil {
		t.Fatalf("DeleteConsumer: %v", err)
	}
	if _, err := e.client.GetConsumer(ctx, testAdmin, l.ID); !IsNotFound(err) {
		t.Errorf("GetConsumer after delete: %v", err)
	}
	if err := e.client.DeleteApplicationLink(ctx, testAdmin, l.ID); err != nil {
		t.Fatalf("DeleteApplicationLink: %v", err)
	}
	if _, err := e.client.GetApplicationLink(ctx, testAdmin, l.ID); !IsNotFound(err) {
		t.Errorf("GetApplicationLink after delete: %v", err)
	}
	if err := e.client.DeleteApplicationLink(ctx, testAdmin, l.ID); err != nil {
		t.Errorf("second DeleteApplicationLink = %v, want nil", err)
	}
}

// A public key given as a PKCS#1 "RSA PUBLIC KEY" block, which the provider accepts, goes to Jira
// as the SubjectPublicKeyInfo that docs/guides/http-calls.md names ("The link's incoming consumer";
// the simulator refuses PKCS#1), and the
// consumer signs with its private half.
func TestSimConsumerPKCS1PublicKey(t *testing.T) {
	e := newSimEnv(t, jirasim.Options{})
	ctx := context.Background()
	l, err := e.client.CreateApplicationLink(ctx, testAdmin, ApplicationLink{Name: "Jira Align", RPCURL: "https://align.example.com", DisplayURL: "https://align.example.com"})
	if err != nil {
		t.Fatalf("CreateApplicationLink: %v", err)
	}
	k, _ := keys(t)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)}))
	if err := e.client.PutConsumer(ctx, testAdmin, l.ID, Consumer{Key: testConsumerKey, Name: "Jira Align", PublicKey: pkcs1}); err != nil {
		t.Fatalf("PutConsumer with a PKCS#1 key: %v", err)
	}
	cons, err := e.client.GetConsumer(ctx, testAdmin, l.ID)
	if err != nil || !keyutil.SamePublicKey(cons.PublicKey, pkcs1) {
		t.Fatalf("GetConsumer = %+v, %v; want the same key", cons, err)
	}
	tok, err := e.client.Handshake(ctx, testConsumer(t), testApprover, simCallback)
	if err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if err := e.client.Revoke(ctx, testConsumer(t), tok.Token, tok.Secret); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
}

// Deleting the link out of band invalidates the token: Myself says it is gone, Revoke succeeds.
func TestSimLinkDeletedOutOfBand(t *testing.T) {
	e := newSimEnv(t, jirasim.Options{OmitExpiryFields: true})
	l := e.register(t, testConsumerKey)
	ctx := context.Background()
	before := time.Now()
	tok, err := e.client.Handshake(ctx, testConsumer(t), testApprover, simCallback)
	if err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if d := tok.ExpiresAt.Sub(before); d < DefaultAccessTokenLifetime-time.Minute || d > DefaultAccessTokenLifetime+time.Minute {
		t.Errorf("without expiry fields ExpiresAt is in %s, want 5 years", d)
	}
	if !tok.AuthorizationExpiresAt.IsZero() || tok.SessionHandle != "" {
		t.Errorf("absent fields set: %s", tok)
	}
	if !e.sim.DeleteLink(l.ID) {
		t.Fatal("DeleteLink: no such link")
	}
	_, err = e.client.Myself(ctx, testConsumer(t), tok.Token, tok.Secret)
	var oe *OAuthError
	if !errors.As(err, &oe) || oe.Problem != ProblemConsumerKeyUnknown || !IsTokenGone(err) {
		t.Fatalf("Myself after link deletion: %v", err)
	}
	if err := e.client.Revoke(ctx, testConsumer(t), tok.Token, tok.Secret); err != nil {
		t.Errorf("Revoke after link deletion = %v, want nil", err)
	}
}

func TestSimHandshakeFailures(t *testing.T) {
	_, wrongKey := keys(t)
	cases := []struct {
		name     string
		consumer func(t testing.TB) OAuthConsumer
		approver BasicAuth
		prepare  func(e *simEnv)
		want     []string
		problem  string
		status   int
	}{
		{
			name:     "wrong private key",
			consumer: func(t testing.TB) OAuthConsumer { return OAuthConsumer{Key: testConsumerKey, PrivateKey: wrongKey} },
			approver: testApprover,
			want:     []string{`Jira rejected the signature for consumer "JiraAlignTest": the private key does not match the public key registered for that consumer`},
			problem:  ProblemSignatureInvalid,
		},
		{
			name:     "unregistered consumer",
			consumer: func(t testing.TB) OAuthConsumer { c := testConsumer(t); c.Key = "NotRegistered1"; return c },
			approver: testApprover,
			want:     []string{`Jira does not know consumer key "NotRegistered1": register it as the incoming consumer of a jira_application_link (consumer.consumer_key) before requesting a token`},
			problem:  ProblemConsumerKeyUnknown,
		},
		{
			name:     "bad approver password",
			consumer: testConsumer,
			approver: BasicAuth{Username: approverName, Password: "wrong-" + secretMark},
			want:     []string{`Jira rejected the approving user's credentials (approver "svc-align")`, "approver_username/approver_password_wo"},
			status:   http.StatusUnauthorized,
		},
		{
			name:     "clock skew",
			consumer: testConsumer,
			approver: testApprover,
			prepare:  func(e *simEnv) { e.sim.Advance(10 * time.Minute) },
			want:     []string{"clocks of this machine and Jira differ by more than 5 minutes", "clock skew"},
			problem:  ProblemTimestampRefused,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSimEnv(t, jirasim.Options{})
			e.register(t, testConsumerKey)
			if tc.prepare != nil {
				tc.prepare(e)
			}
			_, err := e.client.Handshake(context.Background(), tc.consumer(t), tc.approver, simCallback)
			if err == nil {
				t.Fatal("Handshake succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err.Error(), w)
				}
			}
			if tc.problem != "" {
				var oe *OAuthError
				if !errors.As(err, &oe) || oe.Problem != tc.problem {
					t.Errorf("err = %v, want oauth_problem %s", err, tc.problem)
				}
			}
			if tc.status != 0 {
				var he *HTTPError
				if !errors.As(err, &he) || he.StatusCode != tc.status {
					t.Errorf("err = %v, want HTTP %d", err, tc.status)
				}
			}
			assertNoSecret(t, err.Error(), tc.approver.Password)
			if live := e.sim.LiveTokens(); len(live) != 0 {
				t.Errorf("a failed handshake left live tokens: %+v", live)
			}
		})
	}
}

func TestSimApplinksErrors(t *testing.T) {
	e := newSimEnv(t, jirasim.Options{})
	ctx := context.Background()
	l := e.register(t, testConsumerKey)

	_, err := e.client.CreateApplicationLink(ctx, testAdmin, ApplicationLink{Name: "Again", RPCURL: "https://align.example.com/", DisplayURL: "https://align.example.com"})
	if want := fmt.Sprintf(`application link %s ("Jira Align") already has rpc_url "https://align.example.com/" in Jira: import it (terraform import jira_application_link.<name> %s)`, l.ID, l.ID); !strings.Contains(errString(err), want) {
		t.Errorf("duplicate link: %v", err)
	}

	other, err := e.client.CreateApplicationLink(ctx, testAdmin, ApplicationLink{Name: "Other", RPCURL: "https://other.example.com", DisplayURL: "https://other.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := keys(t)
	err = e.client.PutConsumer(ctx, testAdmin, other.ID, Consumer{Key: testConsumerKey, Name: "n", PublicKey: publicPEM(t, k)})
	if !strings.Contains(errString(err), `consumer key "JiraAlignTest" is already used by another application link: pick another key`) {
		t.Errorf("duplicate consumer key: %v", err)
	}

	_, err = e.client.GetApplicationLink(ctx, testApprover, l.ID)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden || !strings.Contains(err.Error(), `user "svc-align" is not a Jira administrator`) {
		t.Errorf("non-admin: %v", err)
	}
	_, err = e.client.GetApplicationLink(ctx, BasicAuth{Username: adminName, Password: "bad-" + secretMark}, l.ID)
	if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized || !strings.Contains(err.Error(), "jira_username/jira_password") {
		t.Errorf("bad admin password: %v", err)
	}
	assertNoSecret(t, errString(err), adminPassword)

	if _, err := e.client.GetConsumer(ctx, testAdmin, other.ID); !IsNotFound(err) {
		t.Errorf("GetConsumer on a link without consumer: %v", err)
	}
	if links := e.sim.Links(); len(links) != 2 || links[0].Consumer == nil || links[0].Consumer.Key != testConsumerKey {
		t.Errorf("sim links = %+v", links)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestSimListAndFindApplicationLinks(t *testing.T) {
	e := newSimEnv(t, jirasim.Options{})
	ctx := context.Background()
	if l, err := e.client.FindApplicationLinkByRPCURL(ctx, testAdmin, "https://align.example.com"); err != nil || l != nil {
		t.Fatalf("find in an empty Jira = %v, %v; want nil, nil", l, err)
	}
	made := e.register(t, "JiraAlignList")
	other, err := e.client.CreateApplicationLink(ctx, testAdmin, ApplicationLink{
		Name: "Other", RPCURL: "https://other.example.com/x", DisplayURL: "https://other.example.com/x",
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := e.client.ListApplicationLinks(ctx, testAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != made.ID || all[1].ID != other.ID {
		t.Fatalf("list = %+v; want the two links, oldest first", all)
	}
	for _, u := range []string{"https://align.example.com", "HTTPS://ALIGN.example.com/", "https://align.example.com//"} {
		got, err := e.client.FindApplicationLinkByRPCURL(ctx, testAdmin, u)
		if err != nil || got == nil || got.ID != made.ID {
			t.Fatalf("find %q = %+v, %v; want link %s", u, got, err, made.ID)
		}
	}
	if got, err := e.client.FindApplicationLinkByRPCURL(ctx, testAdmin, "https://other.example.com"); err != nil || got != nil {
		t.Fatalf("find of a different path = %+v, %v; want none", got, err)
	}
	if _, err := e.client.ListApplicationLinks(ctx, BasicAuth{Username: adminName, Password: "wrong"}); err == nil || !strings.Contains(err.Error(), "jira_password") {
		t.Fatalf("list with a bad password: %v; want the credentials error", err)
	}
}

// A token issued before the consumer's public key was replaced is still live: signed with the
// old key, Myself and Revoke get signature_invalid (which is not "gone"); RevokeWithKeys, given
// the new key, revokes it.
func TestSimRevokeAfterKeyChange(t *testing.T) {
	e := newSimEnv(t, jirasim.Options{})
	ctx := context.Background()
	l := e.register(t, testConsumerKey)
	oldKey, newKey := keys(t)
	old := OAuthConsumer{Key: testConsumerKey, PrivateKey: oldKey}
	tok, err := e.client.Handshake(ctx, old, testApprover, simCallback)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.PutConsumer(ctx, testAdmin, l.ID, Consumer{Key: testConsumerKey, Name: "Jira Align", PublicKey: publicPEM(t, newKey)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Myself(ctx, old, tok.Token, tok.Secret)
	if !IsSignatureInvalid(err) || IsTokenGone(err) {
		t.Fatalf("Myself signed with the old key: %v; want signature_invalid, not gone", err)
	}
	if err := e.client.Revoke(ctx, old, tok.Token, tok.Secret); !IsSignatureInvalid(err) {
		t.Fatalf("Revoke signed with the old key: %v; want signature_invalid", err)
	}
	if err := e.client.RevokeWithKeys(ctx, old, []*rsa.PrivateKey{oldKey, nil}, tok.Token, tok.Secret); !IsSignatureInvalid(err) {
		t.Fatalf("RevokeWithKeys with only the old key: %v; want signature_invalid", err)
	}
	if live := e.sim.LiveTokens(); len(live) != 1 || live[0].Token != tok.Token {
		t.Fatalf("LiveTokens = %+v; want the old token, still live", live)
	}
	before := e.sim.RequestCounts()["POST /plugins/servlet/oauth/users/access-tokens"]
	if err := e.client.RevokeWithKeys(ctx, old, []*rsa.PrivateKey{newKey}, tok.Token, tok.Secret); err != nil {
		t.Fatalf("RevokeWithKeys with the new key: %v", err)
	}
	if live := e.sim.LiveTokens(); len(live) != 0 {
		t.Fatalf("LiveTokens after the revoke = %+v", live)
	}
	if n := e.sim.RequestCounts()["POST /plugins/servlet/oauth/users/access-tokens"] - before; n != 2 {
		t.Errorf("RevokeWithKeys sent %d revokes, want 2 (old key, then new)", n)
	}
	// Signed with the current key first, one call does it; a gone token is success.
	if err := e.client.RevokeWithKeys(ctx, OAuthConsumer{Key: testConsumerKey, PrivateKey: newKey}, []*rsa.PrivateKey{oldKey}, tok.Token, tok.Secret); err != nil {
		t.Fatalf("RevokeWithKeys of a revoked token: %v", err)
	}
}
