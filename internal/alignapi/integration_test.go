package alignapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/alignsim"
)

// simClient serves alignsim (admin token "t") and returns a client for it.
func simClient(t *testing.T, wrap func(http.Handler) http.Handler) (*Client, *alignsim.Server) {
	t.Helper()
	sim := alignsim.New(alignsim.Options{APITokens: map[string]alignsim.Role{"t": alignsim.RoleAdmin, "ro": alignsim.RoleReadOnly}})
	h := sim.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/", "t", testHTTPX(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	return c, sim
}

func TestIntegrationLifecycle(t *testing.T) {
	c, sim := simClient(t, nil)
	ctx := context.Background()

	in := ConnectorInput{Name: "Jira O'Prod", JiraURL: "https://jira.example.com", JiraType: JiraTypeDataCenter,
		AuthType: AuthBasic, Username: "svc-align", Password: "first-password"}
	created, err := c.CreateConnector(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if created.ID <= 0 || created.Name != in.Name || created.Username == nil || *created.Username != "svc-align" ||
		created.ConsumerKey != nil || created.CredentialVersion != 1 || created.UpdatedAt.IsZero() {
		t.Fatalf("created = %+v", created)
	}
	if st, _ := sim.Connector(created.ID); st.Password != "first-password" {
		t.Errorf("stored password = %q", st.Password)
	}

	got, err := c.GetConnector(ctx, created.ID)
	if err != nil || got.Name != in.Name || got.JiraURL != in.JiraURL {
		t.Fatalf("get = %+v, %v", got, err)
	}
	found, err := c.FindConnectorByName(ctx, "jira o'prod")
	if err != nil || found == nil || found.ID != created.ID {
		t.Fatalf("find = %+v, %v", found, err)
	}
	if none, err := c.FindConnectorByName(ctx, "nobody"); err != nil || none != nil {
		t.Fatalf("find none = %+v, %v", none, err)
	}

	// Duplicate name (case-insensitive): 409 with the import hint naming the holder.
	dup := in
	dup.Name = "JIRA O'PROD"
	_, err = c.CreateConnector(ctx, dup)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusConflict || len(ae.Errors["name"]) == 0 ||
		!strings.Contains(err.Error(), fmt.Sprintf("terraform import jira_align_connector.<name> %d)", created.ID)) {
		t.Fatalf("duplicate: %v", err)
	}
	assertNotContains(t, err.Error(), "first-password")

	// Update without the secret keeps it and the credential version.
	upd := in
	upd.Password = ""
	upd.JiraURL = "https://jira2.example.com"
	u1, err := c.UpdateConnector(ctx, created.ID, upd)
	if err != nil || u1.JiraURL != upd.JiraURL || u1.CredentialVersion != 1 {
		t.Fatalf("update = %+v, %v", u1, err)
	}
	// Switching to OAuth 1.0a with a real key: the fingerprint is of its public half.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	sum := sha256.Sum256(spki)
	wantFP := "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	exp := time.Date(2031, 11, 27, 22, 0, 0, 0, time.UTC)
	oauth := ConnectorInput{Name: in.Name, JiraURL: upd.JiraURL, JiraType: JiraTypeDataCenter, AuthType: AuthOAuth1,
		ConsumerKey: "JiraAlignProd", PrivateKeyPEM: keyPEM, AccessToken: "acc-tok", AccessTokenSecret: "acc-sec",
		AccessTokenExpiresAt: &exp}
	u2, err := c.UpdateConnector(ctx, created.ID, oauth)
	if err != nil {
		t.Fatal(err)
	}
	if u2.AuthType != AuthOAuth1 || u2.Username != nil || u2.ConsumerKey == nil || *u2.ConsumerKey != "JiraAlignProd" ||
		u2.PublicKeyFingerprint == nil || *u2.PublicKeyFingerprint != wantFP || u2.CredentialVersion != 2 ||
		u2.AccessTokenExpiresAt == nil || !u2.AccessTokenExpiresAt.Equal(exp) {
		t.Fatalf("oauth update = %+v", u2)
	}

	// Validation errors come back per field, without the secrets sent.
	bad := oauth
	bad.ConsumerKey = "bad key!"
	bad.PrivateKeyPEM = "-----BEGIN PRIVATE KEY-----\nnot-a-key-material-at-all\n-----END PRIVATE KEY-----\n"
	_, err = c.UpdateConnector(ctx, created.ID, bad)
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest || len(ae.Errors["consumerKey"]) == 0 {
		t.Fatalf("bad update: %v", err)
	}
	assertNotContains(t, err.Error(), "acc-tok", "acc-sec", "not-a-key-material-at-all")

	list, err := c.ListConnectors(ctx, "")
	if err != nil || len(list) != 1 || list[0].ID != created.ID {
		t.Fatalf("list = %+v, %v", list, err)
	}

	if err := c.DeleteConnector(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetConnector(ctx, created.ID); !IsNotFound(err) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := c.DeleteConnector(ctx, created.ID); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

func TestIntegrationPagingAndAuth(t *testing.T) {
	c, sim := simClient(t, nil)
	ctx := context.Background()
	for i := 0; i < 205; i++ {
		if _, err := c.CreateConnector(ctx, ConnectorInput{Name: fmt.Sprintf("c-%03d", i), JiraURL: "https://j.example.com",
			JiraType: JiraTypeCloud, AuthType: AuthBasic, Username: "u", Password: "p"}); err != nil {
			t.Fatal(err)
		}
	}
	before := sim.RequestCounts()["GET /rest/align/api/2/Connectors"]
	list, err := c.ListConnectors(ctx, "")
	if err != nil || len(list) != 205 {
		t.Fatalf("list: %d, %v", len(list), err)
	}
	if n := sim.RequestCounts()["GET /rest/align/api/2/Connectors"] - before; n != 3 {
		t.Errorf("list pages = %d, want 3", n)
	}

	bad, _ := New(strings.TrimSuffix(c.base, "/"), "wrong-token", testHTTPX(t, 0))
	_, err = bad.GetConnector(ctx, 1)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || !strings.Contains(err.Error(), hint401) {
		t.Errorf("401: %v", err)
	}
	assertNotContains(t, err.Error(), "wrong-token")
	ro, _ := New(c.base, "ro", testHTTPX(t, 0))
	err = ro.DeleteConnector(ctx, 1)
	if !errors.As(err, &ae) || ae.StatusCode != 403 || !strings.Contains(err.Error(), hint403) {
		t.Errorf("403: %v", err)
	}
}

func TestIntegrationAmbiguousCreate(t *testing.T) {
	var posts atomic.Int32
	c, sim := simClient(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && posts.Add(1) == 1 {
				next.ServeHTTP(httptest.NewRecorder(), r) // the simulator creates it…
				hijackClose(t, w)                         // …the answer is lost
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	got, err := c.CreateConnector(context.Background(), ConnectorInput{Name: "amb", JiraURL: "https://j.example.com",
		JiraType: JiraTypeCloud, AuthType: AuthBasic, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	all := sim.Connectors()
	if len(all) != 1 || all[0].ID != got.ID || posts.Load() != 1 {
		t.Fatalf("stored %d connectors, %d POSTs; got %+v", len(all), posts.Load(), got)
	}
	if n := sim.RequestCounts()["PUT /rest/align/api/2/Connectors/{id}"]; n != 1 {
		t.Errorf("PUTs = %d, want 1", n)
	}
}

func assertNotContains(t *testing.T, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%q leaks %q", s, sec)
		}
	}
}
