package alignsim

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// independentFingerprint computes the contract fingerprint without using the
// package under test.
func independentFingerprint(t *testing.T, pub *rsa.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

func strp(s string) *string { return &s }

func TestConnectorCRUD(t *testing.T) {
	e := newEnv(t)

	// Empty list is an empty JSON array.
	r := e.do(http.MethodGet, connectorsPath, adminToken, nil)
	e.wantStatus(r, http.StatusOK)
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("empty list body %s, want []", r.body)
	}

	// Create.
	r = e.do(http.MethodPost, connectorsPath, adminToken, basicInput("jira-prod"))
	e.wantStatus(r, http.StatusCreated)
	if loc := r.header.Get("Location"); loc != "/rest/align/api/2/Connectors/1" {
		t.Fatalf("Location %q", loc)
	}
	created := r.connector(t)
	want := connectorOutput{
		ID: 1, Name: "jira-prod", JiraURL: "https://jira.example.com", JiraType: 2, AuthType: "basic",
		Username: strp("svc-align"), CredentialVersion: 1, UpdatedAt: "2026-11-27T22:00:00Z",
	}
	if !reflect.DeepEqual(created, want) {
		t.Fatalf("created\n got %+v\nwant %+v", created, want)
	}

	// The output has exactly the contract's members, nulls included.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	var members []string
	for k := range raw {
		members = append(members, k)
	}
	sort.Strings(members)
	wantMembers := []string{"accessTokenExpiresAt", "authType", "consumerKey", "credentialVersion", "id",
		"jiraType", "jiraUrl", "name", "publicKeyFingerprint", "updatedAt", "username"}
	if !reflect.DeepEqual(members, wantMembers) {
		t.Fatalf("members %v, want %v", members, wantMembers)
	}
	for _, k := range []string{"consumerKey", "publicKeyFingerprint", "accessTokenExpiresAt"} {
		if string(raw[k]) != "null" {
			t.Errorf("%s = %s, want null for basic", k, raw[k])
		}
	}

	// Read.
	r = e.do(http.MethodGet, connectorPath(1), adminToken, nil)
	e.wantStatus(r, http.StatusOK)
	if got := r.connector(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("read\n got %+v\nwant %+v", got, want)
	}

	// Stored record.
	sc, ok := e.sim.Connector(1)
	if !ok || sc.Password != secretPassword || sc.Username != "svc-align" || sc.CredentialVersion != 1 ||
		!sc.UpdatedAt.Equal(baseTime.Truncate(time.Second)) {
		t.Fatalf("stored %+v", sc)
	}

	// Update.
	e.sim.Advance(90 * time.Second)
	upd := with(basicInput("jira-prod-2"), "jiraUrl", "https://jira2.example.com/ctx", "jiraType", 1, "username", "other")
	delete(upd, "password")
	r = e.do(http.MethodPut, connectorPath(1), adminToken, upd)
	e.wantStatus(r, http.StatusOK)
	want = connectorOutput{
		ID: 1, Name: "jira-prod-2", JiraURL: "https://jira2.example.com/ctx", JiraType: 1, AuthType: "basic",
		Username: strp("other"), CredentialVersion: 1, UpdatedAt: "2026-11-27T22:01:30Z",
	}
	if got := r.connector(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("updated\n got %+v\nwant %+v", got, want)
	}
	if sc, _ := e.sim.Connector(1); sc.Password != secretPassword {
		t.Fatal("PUT without password lost the stored password")
	}

	// List.
	e.create(oauthInput(t, "second"))
	r = e.do(http.MethodGet, connectorsPath, adminToken, nil)
	e.wantStatus(r, http.StatusOK)
	list := r.connectors(t)
	if len(list) != 2 || list[0].ID != 1 || list[1].ID != 2 || !reflect.DeepEqual(list[0], want) {
		t.Fatalf("list %+v", list)
	}

	// Delete.
	e.wantStatus(e.do(http.MethodDelete, connectorPath(1), adminToken, nil), http.StatusNoContent)
	e.wantStatus(e.do(http.MethodDelete, connectorPath(1), adminToken, nil), http.StatusNotFound)
	notFound := e.do(http.MethodGet, connectorPath(1), adminToken, nil)
	e.wantStatus(notFound, http.StatusNotFound)
	// The contract's error shape, with "errors" present even when no field is at fault.
	if got, want := string(notFound.body), `{"status":404,"message":`; !strings.HasPrefix(got, want) || !strings.HasSuffix(got, `,"errors":{}}`) {
		t.Errorf("404 body %s, want the contract's {status, message, errors} shape", got)
	}
	e.wantStatus(e.do(http.MethodPut, connectorPath(1), adminToken, basicInput("x")), http.StatusNotFound)
	if _, ok := e.sim.Connector(1); ok {
		t.Fatal("deleted connector still stored")
	}

	// Ids are not reused.
	if c := e.create(basicInput("third")); c.ID != 3 {
		t.Fatalf("new id %d, want 3", c.ID)
	}
}

func TestOAuthConnectorOutputAndFingerprint(t *testing.T) {
	e := newEnv(t)
	k := getKeys(t)
	wantFP := independentFingerprint(t, &k.key1.PublicKey)
	if fp, err := Fingerprint(&k.key1.PublicKey); err != nil || fp != wantFP {
		t.Fatalf("Fingerprint() = %q, %v; want %q", fp, err, wantFP)
	}
	if _, err := Fingerprint(nil); err == nil {
		t.Fatal("Fingerprint(nil) succeeded")
	}
	if !strings.HasPrefix(wantFP, "SHA256:") || strings.HasSuffix(wantFP, "=") || len(wantFP) != len("SHA256:")+43 {
		t.Fatalf("bad fingerprint format %q", wantFP)
	}

	c := e.create(oauthInput(t, "oauth-pkcs1"))
	want := connectorOutput{
		ID: 1, Name: "oauth-pkcs1", JiraURL: "https://jira.example.com/jira", JiraType: 2, AuthType: "oauth1",
		ConsumerKey: strp("JiraAlignProd"), PublicKeyFingerprint: strp(wantFP),
		AccessTokenExpiresAt: strp("2031-11-27T22:00:00Z"), CredentialVersion: 1, UpdatedAt: "2026-11-27T22:00:00Z",
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("created\n got %+v\nwant %+v", c, want)
	}
	r := e.do(http.MethodGet, connectorPath(1), adminToken, nil)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["username"]) != "null" {
		t.Fatalf("username %s, want null for oauth1", raw["username"])
	}

	// The same key as PKCS#8 has the same fingerprint.
	c8 := e.create(with(oauthInput(t, "oauth-pkcs8"), "privateKeyPem", k.pkcs8))
	if c8.PublicKeyFingerprint == nil || *c8.PublicKeyFingerprint != wantFP {
		t.Fatalf("PKCS#8 fingerprint %v, want %s", c8.PublicKeyFingerprint, wantFP)
	}
	// Another key has another fingerprint.
	c2 := e.create(with(oauthInput(t, "oauth-key2"), "privateKeyPem", k.pkcs1b))
	if want2 := independentFingerprint(t, &k.key2.PublicKey); c2.PublicKeyFingerprint == nil || *c2.PublicKeyFingerprint != want2 {
		t.Fatalf("key2 fingerprint %v, want %s", c2.PublicKeyFingerprint, want2)
	}

	// accessTokenExpiresAt is optional, normalised to UTC at second precision.
	noExp := e.create(without(oauthInput(t, "oauth-noexp"), "accessTokenExpiresAt"))
	if noExp.AccessTokenExpiresAt != nil {
		t.Fatalf("accessTokenExpiresAt %v, want null", *noExp.AccessTokenExpiresAt)
	}
	off := e.create(with(oauthInput(t, "oauth-offset"), "accessTokenExpiresAt", "2031-11-28T01:00:00.75+03:00"))
	if off.AccessTokenExpiresAt == nil || *off.AccessTokenExpiresAt != "2031-11-27T22:00:00Z" {
		t.Fatalf("accessTokenExpiresAt %v, want 2031-11-27T22:00:00Z", off.AccessTokenExpiresAt)
	}
	if sc, _ := e.sim.Connector(off.ID); sc.AccessTokenExpiresAt == nil ||
		!sc.AccessTokenExpiresAt.Equal(time.Date(2031, 11, 27, 22, 0, 0, 0, time.UTC)) {
		t.Fatalf("stored expiry %v", sc.AccessTokenExpiresAt)
	}

	// username null is accepted for oauth1 (same as omitted).
	e.create(with(oauthInput(t, "oauth-null-user"), "username", nil))

	// Stored secrets are exactly what was sent.
	sc, _ := e.sim.Connector(1)
	if sc.PrivateKeyPEM != k.pkcs1 || sc.AccessToken != secretAT || sc.AccessTokenSecret != secretATS ||
		sc.ConsumerKey != "JiraAlignProd" || sc.Username != "" || sc.Password != "" {
		t.Fatalf("stored %+v", sc)
	}
}

func TestNameConflict(t *testing.T) {
	e := newEnv(t)
	a := e.create(basicInput("Jira-Prod"))
	b := e.create(basicInput("other"))

	for _, name := range []string{"Jira-Prod", "jira-prod", "JIRA-PROD"} {
		r := e.do(http.MethodPost, connectorsPath, adminToken, basicInput(name))
		e.wantStatus(r, http.StatusConflict)
		if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{"name"}) {
			t.Fatalf("conflict error keys %v", keys)
		}
	}
	// Unicode case folding.
	e.create(basicInput("Ärger"))
	e.wantStatus(e.do(http.MethodPost, connectorsPath, adminToken, basicInput("äRGER")), http.StatusConflict)

	// Validation errors win over the conflict.
	r := e.do(http.MethodPost, connectorsPath, adminToken, with(basicInput("jira-prod"), "jiraType", 9))
	e.wantStatus(r, http.StatusBadRequest)
	if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{"jiraType"}) {
		t.Fatalf("error keys %v", keys)
	}

	// PUT: renaming onto another connector's name conflicts; changing the
	// case of one's own name does not.
	e.wantStatus(e.do(http.MethodPut, connectorPath(b.ID), adminToken, basicInput("JIRA-prod")), http.StatusConflict)
	if sc, _ := e.sim.Connector(b.ID); sc.Name != "other" {
		t.Fatalf("conflicting PUT changed the name to %q", sc.Name)
	}
	r = e.do(http.MethodPut, connectorPath(a.ID), adminToken, basicInput("JIRA-PROD"))
	e.wantStatus(r, http.StatusOK)
	if got := r.connector(t).Name; got != "JIRA-PROD" {
		t.Fatalf("name %q", got)
	}

	// After deletion the name is free again.
	e.wantStatus(e.do(http.MethodDelete, connectorPath(a.ID), adminToken, nil), http.StatusNoContent)
	e.create(basicInput("jira-prod"))
}

func TestPaging(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 105; i++ {
		e.create(basicInput(fmt.Sprintf("c%03d", i)))
	}
	ids := func(path string) []int {
		t.Helper()
		r := e.do(http.MethodGet, path, adminToken, nil)
		e.wantStatus(r, http.StatusOK)
		var out []int
		for _, c := range r.connectors(t) {
			out = append(out, c.ID)
		}
		return out
	}
	seq := func(from, to int) []int {
		var out []int
		for i := from; i <= to; i++ {
			out = append(out, i)
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []int
	}{
		{"", seq(1, 100)},
		{"?$top=100", seq(1, 100)},
		{"?%24top=100", seq(1, 100)},
		{"?$top=1", []int{1}},
		{"?$top=2&$skip=3", []int{4, 5}},
		{"?%24top=2&%24skip=3", []int{4, 5}},
		{"?$skip=100", seq(101, 105)},
		{"?$skip=0&$top=3", seq(1, 3)},
		{"?$skip=104", []int{105}},
		{"?$skip=105", nil},
		{"?$skip=100000", nil},
		{"?$top=0", nil},
	} {
		got := ids(connectorsPath + tc.query)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: ids %v, want %v", tc.query, got, tc.want)
		}
	}

	for _, tc := range []struct {
		query, key string
	}{
		{"?$top=101", "$top"},
		{"?%24top=101", "$top"},
		{"?$top=-1", "$top"},
		{"?$top=abc", "$top"},
		{"?$top=1.5", "$top"},
		{"?$top=", "$top"},
		{"?$top=+5", "$top"},
		{"?$top=99999999999999999999999", "$top"},
		{"?$skip=-1", "$skip"},
		{"?$skip=x", "$skip"},
		{"?$skip=", "$skip"},
		{"?$top=1&$top=2", "$top"},
		{"?top=5", "top"},
		{"?$orderby=name", "$orderby"},
	} {
		r := e.do(http.MethodGet, connectorsPath+tc.query, adminToken, nil)
		if r.status != http.StatusBadRequest {
			t.Errorf("%q: status %d, want 400", tc.query, r.status)
			continue
		}
		if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{tc.key}) {
			t.Errorf("%q: error keys %v, want [%s]", tc.query, keys, tc.key)
		}
	}
	// A malformed query string is 400 too.
	e.wantStatus(e.do(http.MethodGet, connectorsPath+"?$top=%zz", adminToken, nil), http.StatusBadRequest)
}

func TestFilter(t *testing.T) {
	e := newEnv(t)
	e.create(basicInput("alpha"))
	obrien := e.create(basicInput("O'Brien Jira"))
	e.create(basicInput("alpha2"))
	quotes := e.create(basicInput("''"))

	filterIDs := func(rawQuery string) []int {
		t.Helper()
		r := e.do(http.MethodGet, connectorsPath+"?"+rawQuery, adminToken, nil)
		e.wantStatus(r, http.StatusOK)
		var out []int
		for _, c := range r.connectors(t) {
			out = append(out, c.ID)
		}
		return out
	}
	enc := func(expr string) string { return url.Values{"$filter": {expr}}.Encode() }

	for _, tc := range []struct {
		rawQuery string
		want     []int
	}{
		{enc("name eq 'alpha'"), []int{1}},
		{enc("name eq 'ALPHA'"), []int{1}},
		{enc("name eq 'o''brien jira'"), []int{obrien.ID}},
		{enc("name eq ''''''"), []int{quotes.ID}},
		{enc("name eq 'alp'"), nil},
		{enc("name eq ''"), nil},
		{enc("  name  eq  'alpha'  "), []int{1}},
		{"$filter=name%20eq%20'alpha'", []int{1}},
		{"%24filter=name+eq+%27alpha2%27", []int{3}},
		{enc("name eq 'alpha'") + "&$top=1&$skip=0", []int{1}},
		{enc("name eq 'alpha'") + "&$skip=1", nil},
	} {
		if got := filterIDs(tc.rawQuery); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: ids %v, want %v", tc.rawQuery, got, tc.want)
		}
	}

	for _, expr := range []string{
		"name eq 'o'brien jira'", // undoubled quote
		"name eq '''",
		"name eq alpha",
		"name eq \"alpha\"",
		"name ne 'alpha'",
		"Name eq 'alpha'",
		"name EQ 'alpha'",
		"nameeq'alpha'",
		"name eq'alpha'",
		"startswith(name,'al')",
		"name eq 'alpha' or name eq 'alpha2'",
		"name eq 'alpha' and id eq 1",
		"id eq 1",
		"",
	} {
		r := e.do(http.MethodGet, connectorsPath+"?"+enc(expr), adminToken, nil)
		if r.status != http.StatusBadRequest {
			t.Errorf("filter %q: status %d, want 400", expr, r.status)
			continue
		}
		if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{"$filter"}) {
			t.Errorf("filter %q: error keys %v", expr, keys)
		}
	}
}

func TestCredentialVersion(t *testing.T) {
	e := newEnv(t)
	k := getKeys(t)
	in := oauthInput(t, "cv")
	c := e.create(in)
	if c.CredentialVersion != 1 {
		t.Fatalf("initial credentialVersion %d", c.CredentialVersion)
	}
	put := func(body map[string]any, wantVersion int) connectorOutput {
		t.Helper()
		e.sim.Advance(time.Minute)
		r := e.do(http.MethodPut, connectorPath(c.ID), adminToken, body)
		e.wantStatus(r, http.StatusOK)
		out := r.connector(t)
		if out.CredentialVersion != wantVersion {
			t.Fatalf("credentialVersion %d, want %d", out.CredentialVersion, wantVersion)
		}
		sc, _ := e.sim.Connector(c.ID)
		if sc.CredentialVersion != wantVersion || out.UpdatedAt != sc.UpdatedAt.Format(time.RFC3339) {
			t.Fatalf("stored version %d updatedAt %v; output %+v", sc.CredentialVersion, sc.UpdatedAt, out)
		}
		return out
	}

	// Re-sending identical secrets: no bump, but updatedAt moves.
	out := put(in, 1)
	if out.UpdatedAt != "2026-11-27T22:01:00Z" {
		t.Fatalf("updatedAt %s", out.UpdatedAt)
	}
	// Omitting secrets keeps them: no bump.
	put(without(in, "privateKeyPem", "accessToken", "accessTokenSecret"), 1)
	sc, _ := e.sim.Connector(c.ID)
	if sc.PrivateKeyPEM != k.pkcs1 || sc.AccessToken != secretAT || sc.AccessTokenSecret != secretATS {
		t.Fatalf("omitted secrets not kept: %+v", sc)
	}
	// Explicit null is the same as omitted.
	put(with(in, "privateKeyPem", nil, "accessToken", nil, "accessTokenSecret", nil), 1)
	// Non-secret changes: no bump.
	put(with(without(in, "accessToken"), "consumerKey", "Other1", "name", "cv2", "jiraType", 1), 1)
	// Each secret change bumps by one.
	put(with(in, "accessToken", secretAT2), 2)
	put(with(in, "accessToken", secretAT2, "accessTokenSecret", secretATS2), 3)
	out = put(with(without(in, "accessToken", "accessTokenSecret"), "privateKeyPem", k.pkcs1b), 4)
	if want := independentFingerprint(t, &k.key2.PublicKey); out.PublicKeyFingerprint == nil || *out.PublicKeyFingerprint != want {
		t.Fatalf("fingerprint after key change %v, want %s", out.PublicKeyFingerprint, want)
	}
	// Several secrets in one write: still one bump.
	put(with(in, "privateKeyPem", k.pkcs1, "accessToken", secretAT, "accessTokenSecret", secretATS), 5)
	// The same key re-encoded as PKCS#8 is a different stored value.
	put(with(in, "privateKeyPem", k.pkcs8), 6)

	// Out-of-band edits count too.
	if err := e.sim.EditConnector(c.ID, func(c *StoredConnector) { c.AccessTokenSecret = secretATS2 }); err != nil {
		t.Fatal(err)
	}
	r := e.do(http.MethodGet, connectorPath(c.ID), adminToken, nil)
	if got := r.connector(t).CredentialVersion; got != 7 {
		t.Fatalf("after EditConnector credentialVersion %d, want 7", got)
	}
	if err := e.sim.EditConnector(c.ID, func(c *StoredConnector) { c.Name = "renamed-in-ui" }); err != nil {
		t.Fatal(err)
	}
	if sc, _ := e.sim.Connector(c.ID); sc.CredentialVersion != 7 || sc.Name != "renamed-in-ui" {
		t.Fatalf("non-secret edit: %+v", sc)
	}
	// A failed PUT changes nothing.
	e.wantStatus(e.do(http.MethodPut, connectorPath(c.ID), adminToken, with(in, "accessToken", secretAT2, "jiraType", 7)), http.StatusBadRequest)
	if sc, _ := e.sim.Connector(c.ID); sc.CredentialVersion != 7 || sc.AccessToken != secretAT {
		t.Fatalf("failed PUT changed state: %+v", sc)
	}
}

func TestBasicPasswordKeptAndBumped(t *testing.T) {
	e := newEnv(t)
	in := basicInput("b")
	c := e.create(in)
	r := e.do(http.MethodPut, connectorPath(c.ID), adminToken, without(in, "password"))
	e.wantStatus(r, http.StatusOK)
	if sc, _ := e.sim.Connector(c.ID); sc.Password != secretPassword || sc.CredentialVersion != 1 {
		t.Fatalf("stored %+v", sc)
	}
	r = e.do(http.MethodPut, connectorPath(c.ID), adminToken, with(in, "password", secretPassword2))
	e.wantStatus(r, http.StatusOK)
	if got := r.connector(t).CredentialVersion; got != 2 {
		t.Fatalf("credentialVersion %d, want 2", got)
	}
	if sc, _ := e.sim.Connector(c.ID); sc.Password != secretPassword2 {
		t.Fatal("password not replaced")
	}
	// An explicitly empty password is an error, not "keep".
	r = e.do(http.MethodPut, connectorPath(c.ID), adminToken, with(in, "password", ""))
	e.wantStatus(r, http.StatusBadRequest)
	if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{"password"}) {
		t.Fatalf("error keys %v", keys)
	}
}

func TestPutReplacesNonSecretFields(t *testing.T) {
	e := newEnv(t)
	in := oauthInput(t, "full")
	c := e.create(in)

	// Every non-secret field is required on PUT.
	r := e.do(http.MethodPut, connectorPath(c.ID), adminToken, map[string]any{"accessToken": secretAT2})
	e.wantStatus(r, http.StatusBadRequest)
	if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{"authType", "jiraType", "jiraUrl", "name"}) {
		t.Fatalf("error keys %v", keys)
	}
	r = e.do(http.MethodPut, connectorPath(c.ID), adminToken, without(in, "consumerKey"))
	e.wantStatus(r, http.StatusBadRequest)
	if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{"consumerKey"}) {
		t.Fatalf("error keys %v", keys)
	}
	if sc, _ := e.sim.Connector(c.ID); sc.AccessToken != secretAT {
		t.Fatal("rejected PUT changed a secret")
	}

	// The optional accessTokenExpiresAt is replaced too: omitted clears it.
	r = e.do(http.MethodPut, connectorPath(c.ID), adminToken, without(in, "accessTokenExpiresAt"))
	e.wantStatus(r, http.StatusOK)
	if out := r.connector(t); out.AccessTokenExpiresAt != nil {
		t.Fatalf("accessTokenExpiresAt %v, want null", *out.AccessTokenExpiresAt)
	}
	if sc, _ := e.sim.Connector(c.ID); sc.AccessTokenExpiresAt != nil {
		t.Fatal("stored expiry not cleared")
	}
}

func TestAuthTypeSwitch(t *testing.T) {
	e := newEnv(t)
	k := getKeys(t)
	c := e.create(oauthInput(t, "sw"))

	// oauth1 -> basic needs the password.
	toBasic := with(basicInput("sw"), "username", "svc")
	r := e.do(http.MethodPut, connectorPath(c.ID), adminToken, without(toBasic, "password"))
	e.wantStatus(r, http.StatusBadRequest)
	if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{"password"}) {
		t.Fatalf("error keys %v", keys)
	}
	// oauth1 fields are not accepted alongside basic.
	r = e.do(http.MethodPut, connectorPath(c.ID), adminToken, with(toBasic, "consumerKey", "JiraAlignProd", "accessToken", secretAT))
	e.wantStatus(r, http.StatusBadRequest)
	if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{"accessToken", "consumerKey"}) {
		t.Fatalf("error keys %v", keys)
	}

	r = e.do(http.MethodPut, connectorPath(c.ID), adminToken, toBasic)
	e.wantStatus(r, http.StatusOK)
	out := r.connector(t)
	if out.AuthType != "basic" || out.Username == nil || *out.Username != "svc" || out.ConsumerKey != nil ||
		out.PublicKeyFingerprint != nil || out.AccessTokenExpiresAt != nil || out.CredentialVersion != 2 {
		t.Fatalf("after switch to basic: %+v", out)
	}
	sc, _ := e.sim.Connector(c.ID)
	if sc.Password != secretPassword || sc.ConsumerKey != "" || sc.PrivateKeyPEM != "" || sc.AccessToken != "" ||
		sc.AccessTokenSecret != "" || sc.AccessTokenExpiresAt != nil {
		t.Fatalf("oauth1 fields not cleared: %+v", sc)
	}

	// basic -> oauth1 needs all three oauth1 secrets.
	toOAuth := oauthInput(t, "sw")
	r = e.do(http.MethodPut, connectorPath(c.ID), adminToken, without(toOAuth, "privateKeyPem", "accessToken", "accessTokenSecret"))
	e.wantStatus(r, http.StatusBadRequest)
	if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{"accessToken", "accessTokenSecret", "privateKeyPem"}) {
		t.Fatalf("error keys %v", keys)
	}
	r = e.do(http.MethodPut, connectorPath(c.ID), adminToken, with(toOAuth, "password", secretPassword))
	e.wantStatus(r, http.StatusBadRequest)
	if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{"password"}) {
		t.Fatalf("error keys %v", keys)
	}

	r = e.do(http.MethodPut, connectorPath(c.ID), adminToken, with(toOAuth, "privateKeyPem", k.pkcs1b))
	e.wantStatus(r, http.StatusOK)
	out = r.connector(t)
	if out.AuthType != "oauth1" || out.Username != nil || out.ConsumerKey == nil || out.CredentialVersion != 3 ||
		out.PublicKeyFingerprint == nil || *out.PublicKeyFingerprint != independentFingerprint(t, &k.key2.PublicKey) {
		t.Fatalf("after switch to oauth1: %+v", out)
	}
	sc, _ = e.sim.Connector(c.ID)
	if sc.Username != "" || sc.Password != "" || sc.PrivateKeyPEM != k.pkcs1b || sc.AccessToken != secretAT {
		t.Fatalf("basic fields not cleared: %+v", sc)
	}

	// A switch requires the new method's secrets even when a stale value of
	// them is stored (here planted out of band): only the same method keeps.
	if err := e.sim.EditConnector(c.ID, func(sc *StoredConnector) { sc.Password = secretPassword2 }); err != nil {
		t.Fatal(err)
	}
	r = e.do(http.MethodPut, connectorPath(c.ID), adminToken, without(toBasic, "password"))
	e.wantStatus(r, http.StatusBadRequest)
	if keys := r.errorKeys(t); !reflect.DeepEqual(keys, []string{"password"}) {
		t.Fatalf("error keys %v", keys)
	}
}

func TestSecretsNeverReturned(t *testing.T) {
	// newEnv's cleanup searches every response of this test for the secrets;
	// this test drives every kind of response that could carry one.
	e := newEnv(t)
	k := getKeys(t)
	b := e.create(basicInput("basic"))
	o := e.create(oauthInput(t, "oauth"))
	e.do(http.MethodGet, connectorsPath, adminToken, nil)
	e.do(http.MethodGet, connectorsPath, readToken, nil)
	e.do(http.MethodGet, connectorPath(b.ID), adminToken, nil)
	e.do(http.MethodGet, connectorPath(o.ID), adminToken, nil)
	e.do(http.MethodPut, connectorPath(b.ID), adminToken, with(basicInput("basic"), "password", secretPassword2))
	e.do(http.MethodPut, connectorPath(o.ID), adminToken, with(oauthInput(t, "oauth"), "accessToken", secretAT2, "accessTokenSecret", secretATS2, "privateKeyPem", k.pkcs8))
	// Error responses must not echo the offending secret either.
	e.wantStatus(e.do(http.MethodPost, connectorsPath, adminToken, with(oauthInput(t, "x"), "privateKeyPem", "garbage-SECRET-"+secretAT)), http.StatusBadRequest)
	e.wantStatus(e.do(http.MethodPost, connectorsPath, adminToken, with(oauthInput(t, "x"), "privateKeyPem", k.small)), http.StatusBadRequest)
	e.wantStatus(e.do(http.MethodPost, connectorsPath, adminToken, with(oauthInput(t, "x"), "privateKeyPem", k.ec)), http.StatusBadRequest)
	e.wantStatus(e.do(http.MethodPost, connectorsPath, adminToken, with(oauthInput(t, "x"), "password", secretPassword)), http.StatusBadRequest)
	e.wantStatus(e.do(http.MethodPost, connectorsPath, adminToken, with(basicInput("x"), "accessToken", secretAT)), http.StatusBadRequest)
	e.wantStatus(e.do(http.MethodPost, connectorsPath, adminToken, with(basicInput("basic"), "password", secretPassword2)), http.StatusConflict)
	e.wantStatus(e.do(http.MethodPost, connectorsPath, adminToken, `{"password":"`+secretPassword+`"`), http.StatusBadRequest)
	e.wantStatus(e.do(http.MethodPost, connectorsPath, adminToken, `{"password":"`+secretPassword+`","password":"`+secretPassword+`"}`), http.StatusBadRequest)
	e.wantStatus(e.do(http.MethodPost, connectorsPath, adminToken, with(basicInput("y"), "password", 12345)), http.StatusBadRequest)

	// And the secrets really were stored, so the search above is meaningful.
	if sc, _ := e.sim.Connector(o.ID); sc.AccessToken != secretAT2 || sc.PrivateKeyPEM != k.pkcs8 {
		t.Fatalf("stored %+v", sc)
	}
}
