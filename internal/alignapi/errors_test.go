package alignapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
)

func TestAPIErrorFormatting(t *testing.T) {
	s := redact.New(testToken, secretPassword, secretPEM)
	h := func(kv ...string) http.Header {
		hd := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			hd.Set(kv[i], kv[i+1])
		}
		return hd
	}
	cases := []struct {
		name   string
		call   string
		status int
		header http.Header
		body   string
		want   []string
		absent []string
	}{
		{
			name: "field errors sorted", call: callCreate, status: 400,
			body:   `{"status":400,"message":"Validation failed","errors":{"privateKeyPem":["too short"],"consumerKey":["letters and digits only","too long"],"name":"required"}}`,
			want:   []string{"create connector: Jira Align answered HTTP 400 Bad Request: Validation failed; consumerKey: letters and digits only; consumerKey: too long; name: required; privateKeyPem: too short"},
			absent: []string{"hint"},
		},
		{name: "401", call: callGet + " 1", status: 401, body: `{"status":401,"message":"bad token"}`,
			want: []string{"get connector 1: Jira Align answered HTTP 401 Unauthorized: bad token", "(hint: check align_api_token (env JIRA_ALIGN_API_TOKEN))"}},
		{name: "403", call: callDelete + " 1", status: 403, body: `{}`,
			want: []string{"HTTP 403 Forbidden", "the API token's role lacks admin rights on connectors"}},
		{name: "409 create", call: callCreate, status: 409, body: `{"message":"dup"}`,
			want: []string{"HTTP 409 Conflict: dup", "(hint: a connector with this name already exists: choose another name or import it (terraform import jira_align_connector.<name> <id>))"}},
		{name: "409 update", call: callUpdate + " 3", status: 409, body: `{"message":"dup"}`,
			want: []string{"terraform import jira_align_connector.<name> <id>"}},
		{name: "409 delete has no import hint", call: callDelete + " 3", status: 409, body: `{"message":"in use"}`,
			absent: []string{"terraform import"}},
		{name: "429", call: callList, status: 429, header: h("Retry-After", "7"), body: `{"status":429,"message":"Too many"}`,
			want: []string{"HTTP 429 Too Many Requests: Too many", "rate limited", "7s"}},
		{name: "html body", call: callList, status: 502, body: "<html>\n<h1>Bad   gateway</h1>\n</html>",
			want: []string{"HTTP 502 Bad Gateway: (unexpected response body) <html> <h1>Bad gateway</h1> </html>"}},
		{name: "empty body", call: callList, status: 500, body: "",
			want: []string{"list connectors: Jira Align answered HTTP 500 Internal Server Error"}},
		{name: "json without message", call: callList, status: 500, body: `{"oops":true}`,
			want: []string{`(unexpected response body) {"oops":true}`}},
		{name: "non-string message", call: callList, status: 400, body: `{"message":{"code":7},"errors":{"x":[1,"two"]}}`,
			want: []string{`: {"code":7}; x: 1; x: two`}},
		{name: "secrets echoed", call: callCreate, status: 400,
			body: `{"message":"bad password ` + secretPassword + ` for bearer ` + testToken + `","errors":{"privateKeyPem":["cannot parse \"` + strings.ReplaceAll(secretPEM, "\n", `\n`) + `\""]}}`,
			want: []string{"bad password [REDACTED] for bearer [REDACTED]", "privateKeyPem: cannot parse"}},
		{name: "secrets echoed raw", call: callCreate, status: 500,
			body: `password=` + secretPassword + `&key=` + strings.ReplaceAll(secretPEM, "\n", `\n`),
			want: []string{"password=[REDACTED]"}},
		{name: "redirect", call: callList, status: 302, header: h("Location", "https://login.example.com/sso"),
			want: []string{"HTTP 302 Found", "check align_url", "https://login.example.com/sso"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hd := tc.header
			if hd == nil {
				hd = http.Header{}
			}
			e := newAPIError(tc.call, tc.status, hd, []byte(tc.body), s)
			msg := e.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\nlacks %q", msg, w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(msg, a) {
					t.Errorf("error %q has %q", msg, a)
				}
			}
			assertNoSecret(t, "error", msg)
			if e.StatusCode != tc.status || e.Call != tc.call {
				t.Errorf("fields = %+v", e)
			}
		})
	}
}

func TestAPIErrorRetryAfterField(t *testing.T) {
	hd := http.Header{}
	hd.Set("Retry-After", "2")
	if e := newAPIError(callList, 429, hd, nil, redact.New()); e.RetryAfter != 2*time.Second {
		t.Errorf("RetryAfter = %s", e.RetryAfter)
	}
	if e := newAPIError(callList, 400, hd, nil, redact.New()); e.RetryAfter != 0 {
		t.Errorf("RetryAfter on 400 = %s", e.RetryAfter)
	}
}

func TestAPIErrorCapsAndPrintable(t *testing.T) {
	long := strings.Repeat("A", 5000) + "\x00\x07\x1b[2J" + string([]byte{0xff, 0xfe}) + "\u202e"
	e := newAPIError(callList, 500, http.Header{}, []byte(long), redact.New())
	msg := e.Error()
	if utf8.RuneCountInString(msg) > 400 {
		t.Errorf("excerpt not capped: %d runes", utf8.RuneCountInString(msg))
	}
	if !strings.Contains(msg, "…") {
		t.Errorf("cut not marked: %q", msg)
	}
	e = newAPIError(callList, 500, http.Header{}, []byte("x\x00\x1b[2Jy\xff\u202ez"), redact.New())
	for _, r := range e.Message {
		if r < 0x20 || r == 0x7f || r == '\u202e' {
			t.Errorf("unprintable %U in %q", r, e.Message)
		}
	}
	if !utf8.ValidString(e.Message) {
		t.Errorf("invalid UTF-8 in %q", e.Message)
	}
	many := `{"message":"m","errors":{`
	for i := 0; i < 50; i++ {
		if i > 0 {
			many += ","
		}
		many += `"f` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":["bad"]`
	}
	many += "}}"
	e = newAPIError(callCreate, 400, http.Header{}, []byte(many), redact.New())
	n := 0
	for _, v := range e.Errors {
		n += len(v)
	}
	if n > maxFieldErrors+1 || !strings.Contains(e.Error(), "30 more field errors not shown") {
		t.Errorf("field errors not capped (%d): %s", n, e.Error())
	}
}

func TestServerEchoingSecretsNeverLeaks(t *testing.T) {
	f := newFake(t)
	f.hook = func(w http.ResponseWriter, r *http.Request, body []byte, _ int) bool {
		// Echo everything: the body (with secrets) and the Authorization header.
		msg := "rejected " + string(body) + " auth=" + r.Header.Get("Authorization")
		fields := map[string][]string{"token": {r.Header.Get("Authorization")}}
		if len(body) > 0 {
			// Only what the request carried can be scrubbed: a GET sends no connector secret.
			fields = map[string][]string{
				"password": {"got " + secretPassword}, "accessToken": {secretAccess}, "privateKeyPem": {secretPEM},
			}
		}
		writeErr(w, http.StatusBadRequest, msg, fields)
		return true
	}
	c := f.start(t)
	in := oauthInput()
	in.Password = secretPassword
	ctx := context.Background()
	_, err1 := c.CreateConnector(ctx, in)
	_, err2 := c.UpdateConnector(ctx, 3, in)
	_, err3 := c.GetConnector(ctx, 3)
	for i, err := range []error{err1, err2, err3} {
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != 400 {
			t.Fatalf("err %d = %v", i, err)
		}
		assertNoSecret(t, "error", err.Error())
		assertNoSecret(t, "Message", ae.Message)
		for f, msgs := range ae.Errors {
			for _, m := range msgs {
				assertNoSecret(t, "field error "+f, m)
			}
		}
		if !strings.Contains(err.Error(), "[REDACTED]") {
			t.Errorf("nothing redacted in %v", err)
		}
	}
}
