package jiraapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// Exchanges whose answer is lost after Jira may have issued a token are counted, and the
// handshake still succeeds from a new request token.
func TestHandshakeCountsUnconfirmedExchanges(t *testing.T) {
	cases := []struct {
		name        string
		answer      func(t *testing.T, w http.ResponseWriter)
		unconfirmed int
	}{
		{"connection lost after sending", func(t *testing.T, w http.ResponseWriter) { hijackClose(t, w) }, 1},
		{"garbled 200", func(_ *testing.T, w http.ResponseWriter) {
			w.Header().Set("Content-Type", contentTypeForm)
			_, _ = w.Write([]byte("{\"id\":<<%%not a form"))
		}, 1},
		{"502 from a proxy", func(_ *testing.T, w http.ResponseWriter) { http.Error(w, "bad gateway", http.StatusBadGateway) }, 1},
		{"503: Jira did not act", func(_ *testing.T, w http.ResponseWriter) {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeJira(t)
			f.onFirst(pathAccessToken, func(w http.ResponseWriter, _ *http.Request) {
				c.answer(t, w)
			})
			tok, err := f.handshake(t)
			if err != nil {
				t.Fatalf("Handshake: %v", err)
			}
			if tok.Unconfirmed != c.unconfirmed {
				t.Errorf("Unconfirmed = %d, want %d", tok.Unconfirmed, c.unconfirmed)
			}
			if c.unconfirmed > 0 && tok.UnconfirmedAt.IsZero() {
				t.Error("UnconfirmedAt is zero")
			}
			if n := f.count(pathAccessToken); n != 2 {
				t.Errorf("access-token calls = %d, want 2", n)
			}
		})
	}
}

// A handshake that fails for good after an unconfirmed exchange says where to revoke the token
// Jira may have issued, without any secret.
func TestHandshakeFailureReportsUnconfirmed(t *testing.T) {
	f := newFakeJira(t)
	f.on(pathAccessToken, func(w http.ResponseWriter, _ *http.Request, _ int) bool {
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return true
	})
	_, err := f.handshake(t)
	if err == nil {
		t.Fatal("Handshake succeeded against an access-token endpoint that always fails")
	}
	msg := err.Error()
	for _, want := range []string{"did not complete after 4 attempts", "4 OAuth access-token exchanges", "Jira may have issued an access token",
		"never received", `revoke it in Jira as user "svc-align"`, "/jira/plugins/servlet/oauth/users/access-tokens", testConsumerKey} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	assertNoSecret(t, msg, approverPassword)
}

// A garbled request-token answer asks for another request token (an unused one is harmless).
func TestHandshakeRequestTokenGarbledRetried(t *testing.T) {
	f := newFakeJira(t)
	f.onFirst(pathRequestToken, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentTypeForm)
		_, _ = w.Write([]byte("{\"id\":<<%%garbage"))
	})
	tok, err := f.handshake(t)
	if err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if tok.Unconfirmed != 0 {
		t.Errorf("Unconfirmed = %d, want 0 (no access-token exchange failed)", tok.Unconfirmed)
	}
	if n := f.count(pathRequestToken); n != 2 {
		t.Errorf("request tokens = %d, want 2", n)
	}
}

// A garbled 200 on an idempotent read is read again.
func TestMyselfGarbledAnswerRetried(t *testing.T) {
	f := newFakeJira(t)
	f.onFirst(pathMyself, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"name":"svc-al`))
	})
	u, err := f.client.Myself(context.Background(), testConsumer(t), "at-x", "ats-x")
	if err != nil {
		t.Fatalf("Myself: %v", err)
	}
	if u.Name != "svc-align" || f.count(pathMyself) != 2 {
		t.Errorf("user %+v after %d calls", u, f.count(pathMyself))
	}
}

func TestGetApplicationLinkAndConsumerGarbledRetried(t *testing.T) {
	var linkHits, consumerHits atomic.Int32
	c := applinksServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/authentication/consumer") {
			if consumerHits.Add(1) == 1 {
				_, _ = w.Write([]byte("<html>"))
				return
			}
			_ = json.NewEncoder(w).Encode(Consumer{Key: "K", PublicKey: "AAAA"})
			return
		}
		if linkHits.Add(1) == 1 {
			_, _ = w.Write([]byte(`{"id":"l1","na`))
			return
		}
		_ = json.NewEncoder(w).Encode(ApplicationLink{ID: "l1", Name: "n", RPCURL: "https://a.example.com"})
	})
	l, err := c.GetApplicationLink(context.Background(), testAdmin, "l1")
	if err != nil || l.Name != "n" {
		t.Fatalf("GetApplicationLink = %+v, %v", l, err)
	}
	cons, err := c.GetConsumer(context.Background(), testAdmin, "l1")
	if err != nil || cons.Key != "K" {
		t.Fatalf("GetConsumer = %+v, %v", cons, err)
	}
	if linkHits.Load() != 2 || consumerHits.Load() != 2 {
		t.Errorf("hits: link %d, consumer %d; want 2 each", linkHits.Load(), consumerHits.Load())
	}
}
