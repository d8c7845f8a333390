package alignapi

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

const contractExample = `{"id":12,"name":"jira-prod","jiraUrl":"https://jira.example.com","jiraType":2,"authType":"oauth1",
 "username":null,"consumerKey":"JiraAlignProd","publicKeyFingerprint":"SHA256:abc",
 "accessTokenExpiresAt":"2031-11-27T22:00:00Z","credentialVersion":3,
 "updatedAt":"2026-11-27T22:00:00Z"}`

func TestDecodeConnectorContractExample(t *testing.T) {
	c, err := DecodeConnector([]byte(contractExample))
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != 12 || c.Name != "jira-prod" || c.JiraURL != "https://jira.example.com" || c.JiraType != 2 ||
		c.AuthType != AuthOAuth1 || c.Username != nil || c.ConsumerKey == nil || *c.ConsumerKey != "JiraAlignProd" ||
		c.PublicKeyFingerprint == nil || *c.PublicKeyFingerprint != "SHA256:abc" || c.CredentialVersion != 3 ||
		!c.UpdatedAt.Equal(time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)) ||
		c.AccessTokenExpiresAt == nil || !c.AccessTokenExpiresAt.Equal(time.Date(2031, 11, 27, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("decoded = %+v", c)
	}
	// Unknown fields are tolerated (forward compatibility).
	if _, err := DecodeConnector([]byte(`{"id":1,"newField":[1,2]}`)); err != nil {
		t.Errorf("unknown field rejected: %v", err)
	}
}

func TestDecodeConnectorStrict(t *testing.T) {
	bad := []string{
		``, `   `, `null`, `[]`, `"x"`, `{}`, `{"id":0}`, `{"id":-1}`,
		`{"id":"12"}`, `{"id":1.5}`, `{"id":1,"jiraType":"2"}`, `{"id":1,"name":7}`,
		`{"id":1,"updatedAt":"yesterday"}`, `{"id":1,"accessTokenExpiresAt":12}`, `{"id":1,"username":5}`,
		`{"id":1,"credentialVersion":true}`, `{"id":1} {"id":2}`, `{"id":1}x`, `{"id":1`, `{"id":1,"name":"a`,
		`{"id":99999999999999999999}`,
		`{"id":1,"updatedAt":"9999-12-31T23:59:59-01:00"}`, `{"id":1,"accessTokenExpiresAt":"0000-01-01T00:00:00+00:01"}`,
	}
	for _, b := range bad {
		if c, err := DecodeConnector([]byte(b)); err == nil {
			t.Errorf("DecodeConnector(%q) = %+v, want an error", b, c)
		}
	}
}

func TestDecodeConnectors(t *testing.T) {
	cs, err := DecodeConnectors([]byte(`[` + contractExample + `,{"id":13,"name":"b"}]`))
	if err != nil || len(cs) != 2 || cs[1].ID != 13 {
		t.Fatalf("got %+v, %v", cs, err)
	}
	cs, err = DecodeConnectors([]byte(` [] `))
	if err != nil || cs == nil || len(cs) != 0 {
		t.Errorf("empty array = %#v, %v", cs, err)
	}
	for _, b := range []string{``, `null`, `{}`, `[null]`, `[{"id":1},{}]`, `[{"id":"1"}]`, `[{"id":1}`, `[1]`, `[] []`} {
		if cs, err := DecodeConnectors([]byte(b)); err == nil {
			t.Errorf("DecodeConnectors(%q) = %+v, want an error", b, cs)
		}
	}
}

func TestDecodeNormalisesToUTC(t *testing.T) {
	c, err := DecodeConnector([]byte(`{"id":1,"updatedAt":"2026-11-28T00:00:00+02:00","accessTokenExpiresAt":"2031-11-28T00:00:00+02:00"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.UpdatedAt.Location() != time.UTC || c.UpdatedAt.Hour() != 22 || c.AccessTokenExpiresAt.Location() != time.UTC {
		t.Errorf("not UTC: %v %v", c.UpdatedAt, c.AccessTokenExpiresAt)
	}
}

func TestInputMarshalRoundTrip(t *testing.T) {
	b, err := json.Marshal(basicInput())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"jira-prod","jiraUrl":"https://jira.example.com","jiraType":2,"authType":"basic","username":"svc-align","password":"` + secretPassword + `"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	b, err = json.Marshal(&ConnectorInput{Name: "n", JiraType: 1, AuthType: AuthOAuth1})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"name":"n","jiraUrl":"","jiraType":1,"authType":"oauth1"}` {
		t.Errorf("pointer marshal = %s", b)
	}
}

// The fuzz targets below check the strict decoders: whatever they accept has a positive id and
// survives a re-encoding unchanged. Their seed corpora live in testdata/fuzz/<target>/ and run as
// ordinary tests with `go test`; internal/devtools/fuzz.sh fuzzes each target for a bounded time.

func FuzzDecodeConnector(f *testing.F) {
	for _, s := range []string{contractExample, `{"id":1}`, `{"id":1,"updatedAt":"2026-01-01T00:00:00Z"}`, `{`, `null`, `{"id":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeConnector(data)
		if err != nil {
			if c != nil {
				t.Fatalf("DecodeConnector(%q) returned %+v with error %v", data, c, err)
			}
			return
		}
		if c == nil || c.ID <= 0 {
			t.Fatalf("accepted %q as %+v", data, c)
		}
		assertUTC(t, *c)
		enc, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("accepted %q as %+v, which does not encode: %v", data, c, err)
		}
		again, err := DecodeConnector(enc)
		if err != nil {
			t.Fatalf("re-encoded %s rejected: %v", enc, err)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("round trip of %q:\n%+v\n%+v", data, c, again)
		}
	})
}

func FuzzDecodeConnectors(f *testing.F) {
	for _, s := range []string{`[` + contractExample + `]`, `[]`, `[{"id":1},{"id":2}]`, `[`, `[null]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := DecodeConnectors(data)
		if err != nil {
			if cs != nil {
				t.Fatalf("DecodeConnectors(%q) returned %+v with error %v", data, cs, err)
			}
			return
		}
		if cs == nil {
			t.Fatalf("accepted %q as a nil list", data)
		}
		for _, c := range cs {
			if c.ID <= 0 {
				t.Fatalf("accepted %q with id %d", data, c.ID)
			}
			assertUTC(t, c)
		}
		enc, err := json.Marshal(cs)
		if err != nil {
			t.Fatalf("accepted %q as %+v, which does not encode: %v", data, cs, err)
		}
		again, err := DecodeConnectors(enc)
		if err != nil {
			t.Fatalf("re-encoded %s rejected: %v", enc, err)
		}
		if !reflect.DeepEqual(cs, again) {
			t.Fatalf("round trip of %q:\n%+v\n%+v", data, cs, again)
		}
		// Each item decodes on its own to the same connector.
		for i := range cs {
			one, err := json.Marshal(&cs[i])
			if err != nil {
				t.Fatal(err)
			}
			c, err := DecodeConnector(one)
			if err != nil || !reflect.DeepEqual(*c, cs[i]) {
				t.Fatalf("item %d (%s) alone: %+v, %v", i, one, c, err)
			}
		}
	})
}

func assertUTC(t *testing.T, c Connector) {
	t.Helper()
	if c.UpdatedAt.Location() != time.UTC || c.AccessTokenExpiresAt != nil && c.AccessTokenExpiresAt.Location() != time.UTC {
		t.Fatalf("times not in UTC: %v %v", c.UpdatedAt, c.AccessTokenExpiresAt)
	}
}
