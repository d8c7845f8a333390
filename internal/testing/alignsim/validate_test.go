package alignsim

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestConnectorValidation(t *testing.T) {
	e := newEnv(t)
	k := getKeys(t)
	basic := basicInput("v")
	oauth := oauthInput(t, "v")

	cases := []struct {
		name string
		body map[string]any
		keys []string // expected keys of "errors"
	}{
		// name
		{"name missing", without(basic, "name"), []string{"name"}},
		{"name null", with(basic, "name", nil), []string{"name"}},
		{"name empty", with(basic, "name", ""), []string{"name"}},
		{"name 101 chars", with(basic, "name", strings.Repeat("a", 101)), []string{"name"}},
		{"name 101 runes", with(basic, "name", strings.Repeat("é", 101)), []string{"name"}},
		{"name number", with(basic, "name", 5), []string{"name"}},
		// jiraUrl
		{"jiraUrl missing", without(basic, "jiraUrl"), []string{"jiraUrl"}},
		{"jiraUrl empty", with(basic, "jiraUrl", ""), []string{"jiraUrl"}},
		{"jiraUrl relative", with(basic, "jiraUrl", "jira.example.com"), []string{"jiraUrl"}},
		{"jiraUrl path only", with(basic, "jiraUrl", "/jira"), []string{"jiraUrl"}},
		{"jiraUrl no host", with(basic, "jiraUrl", "https:///jira"), []string{"jiraUrl"}},
		{"jiraUrl opaque", with(basic, "jiraUrl", "https:jira.example.com"), []string{"jiraUrl"}},
		{"jiraUrl http remote", with(basic, "jiraUrl", "http://jira.example.com"), []string{"jiraUrl"}},
		{"jiraUrl http 10/8", with(basic, "jiraUrl", "http://10.0.0.1"), []string{"jiraUrl"}},
		{"jiraUrl http localhost lookalike", with(basic, "jiraUrl", "http://localhost.example.com"), []string{"jiraUrl"}},
		{"jiraUrl ftp", with(basic, "jiraUrl", "ftp://jira.example.com"), []string{"jiraUrl"}},
		{"jiraUrl query", with(basic, "jiraUrl", "https://jira.example.com/?a=1"), []string{"jiraUrl"}},
		{"jiraUrl empty query", with(basic, "jiraUrl", "https://jira.example.com/?"), []string{"jiraUrl"}},
		{"jiraUrl fragment", with(basic, "jiraUrl", "https://jira.example.com/#x"), []string{"jiraUrl"}},
		{"jiraUrl empty fragment", with(basic, "jiraUrl", "https://jira.example.com#"), []string{"jiraUrl"}},
		{"jiraUrl bad port", with(basic, "jiraUrl", "https://jira.example.com:port"), []string{"jiraUrl"}},
		{"jiraUrl not a string", with(basic, "jiraUrl", true), []string{"jiraUrl"}},
		// jiraType
		{"jiraType missing", without(basic, "jiraType"), []string{"jiraType"}},
		{"jiraType 0", with(basic, "jiraType", 0), []string{"jiraType"}},
		{"jiraType 3", with(basic, "jiraType", 3), []string{"jiraType"}},
		{"jiraType string", with(basic, "jiraType", "2"), []string{"jiraType"}},
		{"jiraType fraction", with(basic, "jiraType", 1.5), []string{"jiraType"}},
		// authType
		{"authType missing", without(basic, "authType"), []string{"authType"}},
		{"authType case", with(basic, "authType", "Basic"), []string{"authType"}},
		{"authType oauth2", with(basic, "authType", "oauth2"), []string{"authType"}},
		// basic
		{"username missing", without(basic, "username"), []string{"username"}},
		{"username empty", with(basic, "username", ""), []string{"username"}},
		{"password missing on POST", without(basic, "password"), []string{"password"}},
		{"password null on POST", with(basic, "password", nil), []string{"password"}},
		{"password empty", with(basic, "password", ""), []string{"password"}},
		{"password number", with(basic, "password", 1), []string{"password"}},
		{"basic with consumerKey", with(basic, "consumerKey", "Key1"), []string{"consumerKey"}},
		{"basic with privateKeyPem", with(basic, "privateKeyPem", k.pkcs1), []string{"privateKeyPem"}},
		{"basic with expiry", with(basic, "accessTokenExpiresAt", "2031-11-27T22:00:00Z"), []string{"accessTokenExpiresAt"}},
		// oauth1
		{"consumerKey missing", without(oauth, "consumerKey"), []string{"consumerKey"}},
		{"consumerKey empty", with(oauth, "consumerKey", ""), []string{"consumerKey"}},
		{"consumerKey space", with(oauth, "consumerKey", "Jira Align"), []string{"consumerKey"}},
		{"consumerKey dash", with(oauth, "consumerKey", "jira-align"), []string{"consumerKey"}},
		{"consumerKey underscore", with(oauth, "consumerKey", "jira_align"), []string{"consumerKey"}},
		{"consumerKey non-ASCII letter", with(oauth, "consumerKey", "Jíra"), []string{"consumerKey"}},
		{"consumerKey 101", with(oauth, "consumerKey", strings.Repeat("k", 101)), []string{"consumerKey"}},
		{"privateKeyPem missing", without(oauth, "privateKeyPem"), []string{"privateKeyPem"}},
		{"privateKeyPem empty", with(oauth, "privateKeyPem", ""), []string{"privateKeyPem"}},
		{"privateKeyPem garbage", with(oauth, "privateKeyPem", "not a key"), []string{"privateKeyPem"}},
		{"privateKeyPem 1024 bits", with(oauth, "privateKeyPem", k.small), []string{"privateKeyPem"}},
		{"privateKeyPem EC", with(oauth, "privateKeyPem", k.ec), []string{"privateKeyPem"}},
		{"privateKeyPem public key", with(oauth, "privateKeyPem", k.pub), []string{"privateKeyPem"}},
		{"privateKeyPem PKCS#8 labelled PKCS#1", with(oauth, "privateKeyPem", strings.ReplaceAll(k.pkcs8, "PRIVATE KEY", "RSA PRIVATE KEY")), []string{"privateKeyPem"}},
		{"privateKeyPem PKCS#1 labelled PKCS#8", with(oauth, "privateKeyPem", strings.ReplaceAll(k.pkcs1, "RSA PRIVATE KEY", "PRIVATE KEY")), []string{"privateKeyPem"}},
		{"privateKeyPem two blocks", with(oauth, "privateKeyPem", k.pkcs1+k.pkcs1b), []string{"privateKeyPem"}},
		{"privateKeyPem leading text", with(oauth, "privateKeyPem", "key:\n"+k.pkcs1), []string{"privateKeyPem"}},
		{"privateKeyPem truncated", with(oauth, "privateKeyPem", k.pkcs1[:len(k.pkcs1)/2]), []string{"privateKeyPem"}},
		{"privateKeyPem encrypted header", with(oauth, "privateKeyPem", strings.Replace(k.pkcs1, "-----\n", "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n", 1)), []string{"privateKeyPem"}},
		{"accessToken missing", without(oauth, "accessToken"), []string{"accessToken"}},
		{"accessToken empty", with(oauth, "accessToken", ""), []string{"accessToken"}},
		{"accessTokenSecret missing", without(oauth, "accessTokenSecret"), []string{"accessTokenSecret"}},
		{"accessTokenSecret empty", with(oauth, "accessTokenSecret", ""), []string{"accessTokenSecret"}},
		{"expiry date only", with(oauth, "accessTokenExpiresAt", "2031-11-27"), []string{"accessTokenExpiresAt"}},
		{"expiry no zone", with(oauth, "accessTokenExpiresAt", "2031-11-27T22:00:00"), []string{"accessTokenExpiresAt"}},
		{"expiry words", with(oauth, "accessTokenExpiresAt", "tomorrow"), []string{"accessTokenExpiresAt"}},
		{"expiry number", with(oauth, "accessTokenExpiresAt", 1700000000), []string{"accessTokenExpiresAt"}},
		{"oauth1 with username", with(oauth, "username", "svc"), []string{"username"}},
		{"oauth1 with password", with(oauth, "password", secretPassword), []string{"password"}},
		// unknown members, exact-case names
		{"unknown id", with(basic, "id", 1), []string{"id"}},
		{"unknown credentialVersion", with(basic, "credentialVersion", 1), []string{"credentialVersion"}},
		{"unknown publicKeyFingerprint", with(oauth, "publicKeyFingerprint", "SHA256:x"), []string{"publicKeyFingerprint"}},
		{"wrong case member", with(without(basic, "name"), "Name", "v"), []string{"Name", "name"}},
		// all errors are collected together
		{"many", map[string]any{
			"name": "", "jiraUrl": "http://jira.example.com", "jiraType": 5, "authType": "oauth1",
			"consumerKey": "a b", "privateKeyPem": "x", "accessToken": "", "extra": 1,
		}, []string{"accessToken", "accessTokenSecret", "consumerKey", "extra", "jiraType", "jiraUrl", "name", "privateKeyPem"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(http.MethodPost, connectorsPath, adminToken, tc.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			if keys := r.errorKeys(t); !reflect.DeepEqual(keys, tc.keys) {
				t.Fatalf("error keys %v, want %v: %s", keys, tc.keys, r.body)
			}
			for k, msgs := range r.errBody(t).Errors {
				if len(msgs) == 0 || msgs[0] == "" {
					t.Errorf("field %s has no message", k)
				}
			}
		})
	}
	if n := len(e.sim.Connectors()); n != 0 {
		t.Fatalf("invalid input stored %d connectors", n)
	}

	// The same rules apply on PUT, except that an omitted secret of the
	// connector's current method (oauth1 here) is kept rather than required.
	c := e.create(oauthInput(t, "put-target"))
	keptOnPut := map[string]bool{"privateKeyPem missing": true, "accessToken missing": true, "accessTokenSecret missing": true}
	for _, tc := range cases {
		if keptOnPut[tc.name] {
			continue
		}
		r := e.do(http.MethodPut, connectorPath(c.ID), adminToken, tc.body)
		if r.status != http.StatusBadRequest {
			t.Errorf("PUT %s: status %d, want 400: %s", tc.name, r.status, r.body)
			continue
		}
		want := tc.keys
		if tc.name == "many" { // the omitted accessTokenSecret is kept on PUT
			want = []string{"accessToken", "consumerKey", "extra", "jiraType", "jiraUrl", "name", "privateKeyPem"}
		}
		if keys := r.errorKeys(t); !reflect.DeepEqual(keys, want) {
			t.Errorf("PUT %s: error keys %v, want %v", tc.name, keys, want)
		}
	}
	if sc, _ := e.sim.Connector(c.ID); sc.Name != "put-target" || sc.CredentialVersion != 1 {
		t.Fatalf("rejected PUTs changed the connector: %+v", sc)
	}
}

func TestConnectorValidationAccepts(t *testing.T) {
	e := newEnv(t)
	k := getKeys(t)
	basic := basicInput("ok")
	oauth := oauthInput(t, "ok")
	for i, tc := range []struct {
		name string
		body map[string]any
	}{
		{"name 1 char", with(basic, "name", "x")},
		{"name 100 chars", with(basic, "name", strings.Repeat("a", 100))},
		{"name 100 runes", with(basic, "name", strings.Repeat("é", 100))},
		{"name with spaces and symbols", with(basic, "name", "Jira (prod) #1")},
		{"https with path", with(basic, "jiraUrl", "https://example.com/jira")},
		{"https with port and trailing slash", with(basic, "jiraUrl", "https://example.com:8443/jira/")},
		{"https upper-case scheme", with(basic, "jiraUrl", "HTTPS://example.com")},
		{"http localhost", with(basic, "jiraUrl", "http://localhost:8080")},
		{"http LOCALHOST", with(basic, "jiraUrl", "http://LOCALHOST")},
		{"http 127.0.0.1", with(basic, "jiraUrl", "http://127.0.0.1:2990/jira")},
		{"http 127.255.0.9", with(basic, "jiraUrl", "http://127.255.0.9")},
		{"http ::1", with(basic, "jiraUrl", "http://[::1]:8080")},
		{"jiraType 1", with(basic, "jiraType", 1)},
		{"username any label", with(basic, "username", "API token proxy")},
		{"basic with null oauth1 fields", with(basic, "consumerKey", nil, "privateKeyPem", nil, "accessTokenExpiresAt", nil)},
		{"consumerKey 100", with(oauth, "consumerKey", strings.Repeat("K", 100))},
		{"consumerKey digits", with(oauth, "consumerKey", "0123456789")},
		{"PKCS#8", with(oauth, "privateKeyPem", k.pkcs8)},
		{"PEM with surrounding whitespace", with(oauth, "privateKeyPem", "\n  "+k.pkcs1+"\n\n")},
		{"expiry null", with(oauth, "accessTokenExpiresAt", nil)},
		{"expiry with offset", with(oauth, "accessTokenExpiresAt", "2031-11-27T23:00:00+01:00")},
		{"expiry with fraction", with(oauth, "accessTokenExpiresAt", "2031-11-27T22:00:00.123Z")},
		{"oauth1 with null basic fields", with(oauth, "username", nil, "password", nil)},
	} {
		body := without(tc.body)
		if !strings.HasPrefix(tc.name, "name") {
			body["name"] = fmt.Sprintf("ok-%d", i)
		}
		r := e.do(http.MethodPost, connectorsPath, adminToken, body)
		if r.status != http.StatusCreated {
			t.Errorf("%s: status %d, want 201: %s", tc.name, r.status, r.body)
		}
	}
}

func TestRequestBodyHandling(t *testing.T) {
	e := newEnv(t)
	c := e.create(basicInput("body"))

	for _, path := range []string{connectorsPath, connectorPath(c.ID)} {
		method := http.MethodPost
		if path != connectorsPath {
			method = http.MethodPut
		}
		for _, tc := range []struct {
			name, contentType, body string
			want                    int
		}{
			{"no content type", "", `{"name":"x"}`, http.StatusUnsupportedMediaType},
			{"text/plain", "text/plain", `{"name":"x"}`, http.StatusUnsupportedMediaType},
			{"form", "application/x-www-form-urlencoded", `name=x`, http.StatusUnsupportedMediaType},
			{"empty body", "application/json", ``, http.StatusBadRequest},
			{"truncated", "application/json", `{"name":`, http.StatusBadRequest},
			{"syntax", "application/json", `{"name" "x"}`, http.StatusBadRequest},
			{"trailing comma", "application/json", `{"name":"x",}`, http.StatusBadRequest},
			{"array", "application/json", `[]`, http.StatusBadRequest},
			{"null", "application/json", `null`, http.StatusBadRequest},
			{"string", "application/json", `"x"`, http.StatusBadRequest},
			{"two objects", "application/json", `{} {}`, http.StatusBadRequest},
			{"trailing garbage", "application/json", `{}x`, http.StatusBadRequest},
			{"too large", "application/json", `{"name":"` + strings.Repeat("a", maxBodyBytes) + `"}`, http.StatusRequestEntityTooLarge},
		} {
			r := e.doRaw(request{method: method, path: path, auth: "Bearer " + adminToken, contentType: tc.contentType, body: []byte(tc.body)})
			if r.status != tc.want {
				t.Errorf("%s %s: status %d, want %d: %.200s", method, tc.name, r.status, tc.want, r.body)
			}
			if tc.want == http.StatusBadRequest && tc.name != "empty body" && !strings.Contains(r.errBody(t).Message, "JSON") {
				t.Errorf("%s %s: message %q does not say what is wrong", method, tc.name, r.errBody(t).Message)
			}
		}

		// Duplicate members are rejected and keyed by name.
		in := `{"name":"dup","name":"dup2","jiraUrl":"https://j.example.com","jiraType":2,"authType":"basic","username":"u","password":"p"}`
		r := e.doRaw(request{method: method, path: path, auth: "Bearer " + adminToken, contentType: "application/json", body: []byte(in)})
		if r.status != http.StatusBadRequest || !reflect.DeepEqual(r.errorKeys(t), []string{"name"}) {
			t.Errorf("%s duplicate member: status %d body %s", method, r.status, r.body)
		}
		// A charset parameter is fine.
		in = `{"name":"body","jiraUrl":"https://j.example.com","jiraType":2,"authType":"basic","username":"u","password":"p"}`
		r = e.doRaw(request{method: method, path: path, auth: "Bearer " + adminToken, contentType: "application/json; charset=utf-8", body: []byte(in)})
		if method == http.MethodPost {
			e.wantStatus(r, http.StatusConflict) // reached validation: the name exists
		} else {
			e.wantStatus(r, http.StatusOK)
		}
	}
	// Just under the limit is read (and then validated).
	big := `{"name":"` + strings.Repeat("a", maxBodyBytes-20) + `"}`
	r := e.doRaw(request{method: http.MethodPost, path: connectorsPath, auth: "Bearer " + adminToken, contentType: "application/json", body: []byte(big)})
	if r.status != http.StatusBadRequest || !reflect.DeepEqual(r.errorKeys(t), []string{"authType", "jiraType", "jiraUrl", "name"}) {
		t.Fatalf("body under the limit: status %d, %.200s", r.status, r.body)
	}

	// Query parameters are not accepted where none are defined.
	r = e.do(http.MethodGet, connectorPath(c.ID)+"?$top=1", adminToken, nil)
	if r.status != http.StatusBadRequest || !reflect.DeepEqual(r.errorKeys(t), []string{"$top"}) {
		t.Fatalf("query on item: status %d %s", r.status, r.body)
	}
	e.wantStatus(e.do(http.MethodPost, connectorsPath+"?x=1", adminToken, basicInput("q")), http.StatusBadRequest)
}

func TestParseNameFilter(t *testing.T) {
	for in, want := range map[string]string{
		"name eq 'a'":         "a",
		"name eq ''":          "",
		"name eq ''''":        "'",
		"name eq 'it''s'":     "it's",
		"name eq 'a b  c'":    "a b  c",
		"name eq 'é'":         "é",
		" name   eq   'x'   ": "x",
		"name eq 'eq ''x'' '": "eq 'x' ",
	} {
		got, ok := parseNameFilter(in)
		if !ok || got != want {
			t.Errorf("parseNameFilter(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "name", "name eq", "name eq '", "name eq 'a", "name eq a'", "name eq 'a'b'", "name\teq 'a'", "x name eq 'a'"} {
		if got, ok := parseNameFilter(in); ok {
			t.Errorf("parseNameFilter(%q) = %q, accepted", in, got)
		}
	}
}
