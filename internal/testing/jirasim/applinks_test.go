package jirasim

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

const linksPath = "/rest/applinks/3.0/applicationlink"

func TestApplicationLinkLifecycle(t *testing.T) {
	f := newFixture(t, Options{ContextPath: "/jira"})
	in := map[string]any{"name": "Jira Align", "rpcUrl": "https://align.example.com", "displayUrl": "https://align.example.com/ui", "typeId": "generic"}
	resp, body := f.admin(http.MethodPut, linksPath, in)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	// The answer is a status entity, not the link: exactly status-code and resources-created.
	id := createdID(t, f.base, body)
	if !uuidRE.MatchString(id) {
		t.Fatalf("id %q is not a UUID", id)
	}
	if want := `{"status-code":201,"resources-created":[{"href":"` + f.base + linksPath + "/" + id + `","rel":"self"}]}`; string(body) != want {
		t.Errorf("create answer %s\nwant %s", body, want)
	}
	if loc := resp.Header.Get("Location"); loc != f.base+linksPath+"/"+id {
		t.Errorf("Location %q", loc)
	}

	resp, body = f.admin(http.MethodGet, linksPath+"/"+id, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get: %d %s", resp.StatusCode, body)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got["id"] != id || len(got) != 5 {
		t.Errorf("get answer %s", body)
	}
	for k, v := range in {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	resp, list := f.admin(http.MethodGet, linksPath, nil)
	if resp.StatusCode != http.StatusOK || string(list) != "["+string(body)+"]" {
		t.Fatalf("list: %d %s, want [%s]", resp.StatusCode, list, body)
	}
	links := f.sim.Links()
	if len(links) != 1 || links[0].ID != id || links[0].RPCURL != "https://align.example.com" ||
		links[0].DisplayURL != "https://align.example.com/ui" || links[0].TypeID != "generic" || links[0].Consumer != nil {
		t.Fatalf("Links %+v", links)
	}

	// Same rpcUrl (modulo a trailing slash and host case) conflicts.
	for _, u := range []string{"https://align.example.com", "https://ALIGN.example.com/"} {
		dup := map[string]any{"name": "Other", "rpcUrl": u, "displayUrl": u, "typeId": "generic"}
		resp, body = f.admin(http.MethodPut, linksPath, dup)
		expectJSONError(t, resp, body, http.StatusConflict)
	}

	// Delete answers 200 with a status entity.
	resp, body = f.admin(http.MethodDelete, linksPath+"/"+id, nil)
	if resp.StatusCode != http.StatusOK || string(body) != `{"status-code":200}` {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	resp, body = f.admin(http.MethodGet, linksPath+"/"+id, nil)
	expectJSONError(t, resp, body, http.StatusNotFound)
	resp, body = f.admin(http.MethodDelete, linksPath+"/"+id, nil)
	expectJSONError(t, resp, body, http.StatusNotFound)
	if resp, list = f.admin(http.MethodGet, linksPath, nil); resp.StatusCode != http.StatusOK || string(list) != "[]" {
		t.Fatalf("list after delete: %d %s", resp.StatusCode, list)
	}

	// After the delete the rpcUrl is free again.
	resp, body = f.admin(http.MethodPut, linksPath, in)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("re-create: %d %s", resp.StatusCode, body)
	}

	counts := f.sim.RequestCounts()
	if counts["GET /rest/applinks/3.0/applicationlink/{id}"] != 2 ||
		counts["DELETE /rest/applinks/3.0/applicationlink/{id}"] != 2 ||
		counts["PUT /rest/applinks/3.0/applicationlink"] != 4 ||
		counts["GET /rest/applinks/3.0/applicationlink"] != 2 {
		t.Fatalf("RequestCounts %v", counts)
	}
}

// The other answer forms the plugin may give, each behind an option: the link object on create,
// an empty consumer PUT, 204 deletes.
func TestApplicationLinkAnswerForms(t *testing.T) {
	a, _, _, _ := testKeys(t)
	in := map[string]any{"name": "Jira Align", "rpcUrl": "https://align.example.com", "displayUrl": "https://align.example.com", "typeId": "generic"}

	f := newFixture(t, Options{LinkObjectOnCreate: true, EmptyConsumerPut: true, NoContentDeletes: true})
	resp, body := f.admin(http.MethodPut, linksPath, in)
	var l linkJSON
	if err := json.Unmarshal(body, &l); err != nil || resp.StatusCode != http.StatusCreated || !uuidRE.MatchString(l.ID) ||
		l.Name != "Jira Align" || l.RPCURL != "https://align.example.com" || l.TypeID != "generic" {
		t.Fatalf("create with LinkObjectOnCreate: %d %s (%v)", resp.StatusCode, body, err)
	}
	resp, body = f.admin(http.MethodPut, consumerPath(l.ID), consumerBody(testKey, pemPublic(t, &a.PublicKey)))
	if resp.StatusCode != http.StatusCreated || len(body) != 0 {
		t.Fatalf("consumer PUT with EmptyConsumerPut: %d %q", resp.StatusCode, body)
	}
	for _, p := range []string{consumerPath(l.ID), linksPath + "/" + l.ID} {
		resp, body = f.admin(http.MethodDelete, p, nil)
		if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
			t.Fatalf("DELETE %s with NoContentDeletes: %d %q", p, resp.StatusCode, body)
		}
	}

	// The defaults: a status entity on consumer PUT and on both deletes.
	f = newFixture(t, Options{})
	id := f.createLink()
	resp, body = f.admin(http.MethodPut, consumerPath(id), consumerBody(testKey, pemPublic(t, &a.PublicKey)))
	if want := `{"status-code":201,"resources-created":[{"href":"` + f.base + consumerPath(id) + `","rel":"self"}]}`; resp.StatusCode != http.StatusCreated || string(body) != want {
		t.Fatalf("consumer PUT: %d %s\nwant %s", resp.StatusCode, body, want)
	}
	for _, p := range []string{consumerPath(id), linksPath + "/" + id} {
		resp, body = f.admin(http.MethodDelete, p, nil)
		if resp.StatusCode != http.StatusOK || string(body) != `{"status-code":200}` {
			t.Fatalf("DELETE %s: %d %s", p, resp.StatusCode, body)
		}
	}
}

// Without Accept: application/json the plugin answers XML, errors included.
func TestApplicationLinkXMLWithoutAcceptJSON(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	in := map[string]any{"name": "Jira Align", "rpcUrl": "https://align.example.com", "displayUrl": "https://align.example.com", "typeId": "generic"}
	call := func(accept, method, path string, body any) (*http.Response, string) {
		t.Helper()
		resp, b := f.adminCallAccept(method, path, body, adminUser, adminPass, true, accept)
		return resp, string(b)
	}
	isXML := func(resp *http.Response, body string, status int, want string) {
		t.Helper()
		if resp.StatusCode != status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") ||
			!strings.HasPrefix(body, "<?xml") || !strings.Contains(body, want) {
			t.Fatalf("%d %q %s; want %d XML with %s", resp.StatusCode, resp.Header.Get("Content-Type"), body, status, want)
		}
	}
	for _, accept := range []string{"", "application/xml", "*/*", "text/html, application/json;q=0"} {
		resp, body := call(accept, http.MethodPut, linksPath, map[string]any{"name": "x", "rpcUrl": "nope", "displayUrl": "nope", "typeId": "generic"})
		isXML(resp, body, http.StatusBadRequest, "<status><status-code>400</status-code><message>rpcUrl must be")
	}
	resp, body := call("", http.MethodPut, linksPath, in)
	isXML(resp, body, http.StatusCreated, `<status><status-code>201</status-code><resources-created><link href="`+f.base+linksPath+"/")
	id := f.sim.Links()[0].ID
	resp, body = call("", http.MethodGet, linksPath+"/"+id, nil)
	isXML(resp, body, http.StatusOK, "<applicationLink><id>"+id+"</id><name>Jira Align</name><rpcUrl>https://align.example.com</rpcUrl>")
	resp, body = call("", http.MethodGet, linksPath, nil)
	isXML(resp, body, http.StatusOK, "<applicationLinks><applicationLink><id>"+id+"</id>")
	resp, body = call("", http.MethodPut, consumerPath(id), consumerBody(testKey, pemPublic(t, &a.PublicKey)))
	isXML(resp, body, http.StatusCreated, "<status><status-code>201</status-code>")
	resp, body = call("", http.MethodGet, consumerPath(id), nil)
	isXML(resp, body, http.StatusOK, "<consumer><key>"+testKey+"</key>")
	resp, body = call("", http.MethodDelete, linksPath+"/"+id, nil)
	isXML(resp, body, http.StatusOK, "<status><status-code>200</status-code></status>")
	resp, body = call("", http.MethodGet, linksPath+"/"+id, nil)
	isXML(resp, body, http.StatusNotFound, "<status-code>404</status-code>")

	// Accept with application/json among others, or with parameters, is JSON.
	for _, accept := range []string{"application/json", "application/xml;q=0.9, application/json", "application/json;charset=UTF-8"} {
		resp, b := f.adminCallAccept(http.MethodGet, linksPath, nil, adminUser, adminPass, true, accept)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || string(b) != "[]" {
			t.Fatalf("Accept %q: %d %q %s", accept, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}
}

func TestApplicationLinkValidation(t *testing.T) {
	f := newFixture(t, Options{})
	good := func() map[string]any {
		return map[string]any{"name": "Jira Align", "rpcUrl": "https://a.example.com", "displayUrl": "https://a.example.com", "typeId": "generic"}
	}
	for field, bad := range map[string]any{
		"name": "", "rpcUrl": "", "displayUrl": "not a url", "typeId": "jira",
	} {
		in := good()
		in[field] = bad
		resp, body := f.admin(http.MethodPut, linksPath, in)
		expectJSONError(t, resp, body, http.StatusBadRequest)
	}
	in := good()
	delete(in, "typeId")
	resp, body := f.admin(http.MethodPut, linksPath, in)
	expectJSONError(t, resp, body, http.StatusBadRequest)
	for _, raw := range []string{`{`, `[]`, `{"name":1}`, `{"name":"a"} {}`} {
		resp, body = f.admin(http.MethodPut, linksPath, raw)
		expectJSONError(t, resp, body, http.StatusBadRequest)
	}
	// JSON must be sent as JSON.
	b, _ := json.Marshal(good())
	req := newRequest(t, http.MethodPut, f.base+linksPath, string(b))
	req.SetBasicAuth(adminUser, adminPass)
	req.Header.Set("X-Atlassian-Token", "no-check")
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Accept", "application/json")
	resp, body = f.do(req)
	expectJSONError(t, resp, body, http.StatusUnsupportedMediaType)
	if len(f.sim.Links()) != 0 {
		t.Fatal("an invalid link was created")
	}
}

func TestApplicationLinkAuth(t *testing.T) {
	f := newFixture(t, Options{})
	id := f.createLink()
	calls := []struct{ method, path string }{
		{http.MethodPut, linksPath},
		{http.MethodGet, linksPath},
		{http.MethodGet, linksPath + "/" + id},
		{http.MethodDelete, linksPath + "/" + id},
		{http.MethodPut, consumerPath(id)},
		{http.MethodGet, consumerPath(id)},
		{http.MethodDelete, consumerPath(id)},
	}
	body := map[string]any{"name": "x", "rpcUrl": "https://b.example.com", "displayUrl": "https://b.example.com", "typeId": "generic"}
	for _, c := range calls {
		for _, cred := range []struct{ user, pass string }{{adminUser, "wrong"}, {"", ""}, {"ghost", "x"}, {idleUser, idlePass}} {
			resp, b := f.adminCall(c.method, c.path, body, cred.user, cred.pass, true)
			expectJSONError(t, resp, b, http.StatusUnauthorized)
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Fatalf("%s %s: WWW-Authenticate %q", c.method, c.path, resp.Header.Get("WWW-Authenticate"))
			}
		}
		resp, b := f.adminCall(c.method, c.path, body, plainUser, plainPass, true)
		expectJSONError(t, resp, b, http.StatusForbidden)
		resp, b = f.adminCall(c.method, c.path, body, adminUser, adminPass, false)
		if e := expectJSONError(t, resp, b, http.StatusForbidden); e.Message != "XSRF check failed" {
			t.Fatalf("XSRF message %q", e.Message)
		}
	}
	if links := f.sim.Links(); len(links) != 1 || links[0].ID != id {
		t.Fatalf("rejected calls changed state: %+v", links)
	}

	// Unknown paths and methods.
	resp, b := f.admin(http.MethodPost, linksPath, body)
	expectJSONError(t, resp, b, http.StatusMethodNotAllowed)
	if resp.Header.Get("Allow") != "GET, PUT" {
		t.Fatalf("Allow %q", resp.Header.Get("Allow"))
	}
	resp, b = f.admin(http.MethodPut, linksPath+"/"+id, body)
	expectJSONError(t, resp, b, http.StatusMethodNotAllowed)
	if resp.Header.Get("Allow") != "GET, DELETE" {
		t.Fatalf("Allow %q", resp.Header.Get("Allow"))
	}
	resp, b = f.admin(http.MethodGet, "/rest/applinks/3.0/nothing", nil)
	expectJSONError(t, resp, b, http.StatusNotFound)
	resp, _ = f.admin(http.MethodGet, "/secure/Dashboard.jspa", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown page: %d", resp.StatusCode)
	}
}

func TestConsumerRegistration(t *testing.T) {
	a, b, small, ec := testKeys(t)
	f := newFixture(t, Options{})
	id := f.createLink()
	wantB64 := b64Public(t, &a.PublicKey)

	resp, body := f.admin(http.MethodGet, consumerPath(id), nil)
	expectJSONError(t, resp, body, http.StatusNotFound)
	resp, body = f.admin(http.MethodDelete, consumerPath(id), nil)
	expectJSONError(t, resp, body, http.StatusNotFound)

	// PEM in, bare base64 DER out.
	resp, body = f.admin(http.MethodPut, consumerPath(id), consumerBody(testKey, pemPublic(t, &a.PublicKey)))
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(string(body), `{"status-code":201,`) {
		t.Fatalf("put PEM: %d %s", resp.StatusCode, body)
	}
	want := `{"key":"JiraAlignProd","name":"Jira Align","description":"Jira Align connector","publicKey":"` +
		wantB64 + `","outgoing":false,"twoLOAllowed":false}`
	resp, body = f.admin(http.MethodGet, consumerPath(id), nil)
	if resp.StatusCode != http.StatusOK || string(body) != want {
		t.Fatalf("get: %d %s", resp.StatusCode, body)
	}
	if c := f.sim.Links()[0].Consumer; c == nil || c.Key != testKey || c.PublicKey != wantB64 || c.Name != "Jira Align" {
		t.Fatalf("Links consumer %+v", c)
	}

	// Bare base64, with line breaks as pasted from a PEM body, is accepted.
	id2 := f.createLink()
	raw := b64Public(t, &b.PublicKey)
	for _, pk := range []string{raw, raw[:64] + "\n" + raw[64:128] + "\r\n" + raw[128:] + "\n"} {
		resp, body = f.admin(http.MethodPut, consumerPath(id2), consumerBody("Second", pk))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("bare base64 %q: %d %s", pk, resp.StatusCode, body)
		}
	}
	resp, body = f.admin(http.MethodGet, consumerPath(id2), nil)
	var got consumerJSON
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusOK || got.PublicKey != raw {
		t.Fatalf("get second: %s %v", body, err)
	}

	// The same key on another link conflicts; on the same link it replaces.
	resp, body = f.admin(http.MethodPut, consumerPath(id2), consumerBody(testKey, raw))
	expectJSONError(t, resp, body, http.StatusConflict)
	resp, body = f.admin(http.MethodPut, consumerPath(id), consumerBody(testKey, raw))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("replace: %d %s", resp.StatusCode, body)
	}

	// Invalid consumers.
	rsaPKCS1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: spkiDER(t, &a.PublicKey)}))
	badKeys := map[string]string{
		"1024-bit key":        pemPublic(t, &small.PublicKey),
		"1024-bit bare":       b64Public(t, &small.PublicKey),
		"EC key":              pemPublic(t, &ec.PublicKey),
		"RSA PUBLIC KEY type": rsaPKCS1,
		"empty":               "",
		"garbage":             "not a key",
		"truncated DER":       base64.StdEncoding.EncodeToString(spkiDER(t, &a.PublicKey)[:100]),
		"PEM plus trailing":   pemPublic(t, &a.PublicKey) + "junk",
	}
	for name, pk := range badKeys {
		resp, body = f.admin(http.MethodPut, consumerPath(id), consumerBody("Third", pk))
		if e := expectJSONError(t, resp, body, http.StatusBadRequest); e.Message == "" {
			t.Fatalf("%s: empty message", name)
		}
	}
	for _, key := range []string{"", "Jira Align", "key-1", "key_1", "clé", strings.Repeat("k", 101)} {
		resp, body = f.admin(http.MethodPut, consumerPath(id), consumerBody(key, raw))
		expectJSONError(t, resp, body, http.StatusBadRequest)
	}
	noName := consumerBody("Fourth", raw)
	noName["name"] = ""
	resp, body = f.admin(http.MethodPut, consumerPath(id), noName)
	expectJSONError(t, resp, body, http.StatusBadRequest)
	resp, body = f.admin(http.MethodPut, consumerPath(id), consumerBody(strings.Repeat("k", 100), raw))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("100-character key: %d %s", resp.StatusCode, body)
	}

	// Unknown link.
	for _, m := range []string{http.MethodPut, http.MethodGet, http.MethodDelete} {
		var in any
		if m == http.MethodPut {
			in = consumerBody("Fifth", raw)
		}
		resp, body = f.admin(m, consumerPath("00000000-0000-4000-8000-000000000000"), in)
		expectJSONError(t, resp, body, http.StatusNotFound)
	}

	// Delete (200 with a status entity), then 404.
	resp, body = f.admin(http.MethodDelete, consumerPath(id), nil)
	if resp.StatusCode != http.StatusOK || string(body) != `{"status-code":200}` {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	resp, body = f.admin(http.MethodGet, consumerPath(id), nil)
	expectJSONError(t, resp, body, http.StatusNotFound)
	resp, body = f.admin(http.MethodDelete, consumerPath(id), nil)
	expectJSONError(t, resp, body, http.StatusNotFound)
	// The freed key can go to the other link now.
	resp, body = f.admin(http.MethodPut, consumerPath(id2), consumerBody(strings.Repeat("k", 100), raw))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("freed key: %d %s", resp.StatusCode, body)
	}
}

func TestConsumerFlagsAreStored(t *testing.T) {
	a, _, _, _ := testKeys(t)
	f := newFixture(t, Options{})
	id := f.createLink()
	in := consumerBody(testKey, pemPublic(t, &a.PublicKey))
	in["outgoing"] = true
	in["twoLOAllowed"] = true
	delete(in, "description")
	resp, body := f.admin(http.MethodPut, consumerPath(id), in)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	c := f.sim.Links()[0].Consumer
	if c == nil || !c.Outgoing || !c.TwoLOAllowed || c.Description != "" {
		t.Fatalf("consumer %+v", c)
	}
	in["outgoing"] = "no"
	resp, body = f.admin(http.MethodPut, consumerPath(id), in)
	expectJSONError(t, resp, body, http.StatusBadRequest)
}
