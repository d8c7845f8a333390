package hostile_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/alignapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/jiraapi"
	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/acctest"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/alignsim"
	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/hostile"
)

// The suite's client settings: small, so that the bounds are quick to check.
const (
	requestTimeout = 300 * time.Millisecond
	maxRetries     = 1
	// margin covers the backoff between attempts and scheduling on a loaded machine.
	margin = 1500 * time.Millisecond
	// heapBound is how far the heap may grow during one call: an answer is read up to 16 MiB.
	heapBound = 96 << 20
)

// world is a pair of simulators with objects of "mine" (what a state would name) and "theirs"
// (made outside it), honest clients to set them up, and clients that talk through hostile
// peers.
type world struct {
	env               *acctest.Env
	align, jira       *hostile.Peer
	elsewhere         *hostile.Elsewhere
	alignC            *alignapi.Client
	jiraC             *jiraapi.Client
	admin, svc        jiraapi.BasicAuth
	mine, theirs      int // connector ids
	myLink, theirLink string
	myConsumer        jiraapi.OAuthConsumer
	myToken           *jiraapi.AccessToken
	theirConn         alignsim.StoredConnector
	theirToken        string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	env := acctest.New(t)
	w := &world{env: env, align: hostile.New(t, env.AlignFaults), jira: hostile.New(t, env.JiraFaults), elsewhere: hostile.NewElsewhere(t),
		admin: jiraapi.BasicAuth{Username: acctest.AdminUser, Password: env.AdminPass},
		svc:   jiraapi.BasicAuth{Username: acctest.ServiceUser, Password: env.ServicePass}}
	honest, err := httpx.New(httpx.Settings{CACertPEM: env.CAPEM, MaxRetries: 0})
	must(t, err)
	ac, err := alignapi.New(env.AlignURL, env.AlignToken, honest)
	must(t, err)
	jc, err := jiraapi.New(env.JiraURL, honest)
	must(t, err)
	ctx := context.Background()
	theirs, err := ac.CreateConnector(ctx, alignapi.ConnectorInput{Name: "theirs", JiraURL: "https://jira.example.com", JiraType: 2, AuthType: alignapi.AuthBasic, Username: "x", Password: "their-pw"})
	must(t, err)
	mine, err := ac.CreateConnector(ctx, alignapi.ConnectorInput{Name: "mine", JiraURL: "https://jira.example.com", JiraType: 2, AuthType: alignapi.AuthBasic, Username: "y", Password: "my-pw"})
	must(t, err)
	w.theirs, w.mine = theirs.ID, mine.ID
	w.theirConn, _ = env.Align.Connector(theirs.ID)
	link := func(name, rpc, key string, i int) string {
		l, err := jc.CreateApplicationLink(ctx, w.admin, jiraapi.ApplicationLink{Name: name, RPCURL: rpc, DisplayURL: rpc})
		must(t, err)
		pub, err := keyutil.PublicKeyPEM(&acctest.TestKey(t, i).PublicKey)
		must(t, err)
		must(t, jc.PutConsumer(ctx, w.admin, l.ID, jiraapi.Consumer{Key: key, Name: name, PublicKey: pub}))
		return l.ID
	}
	w.theirLink = link("theirs", "https://their-align.example.com", "TheirKey", 1)
	w.myLink = link("mine", "https://my-align.example.com", "MyKey", 0)
	w.myConsumer = jiraapi.OAuthConsumer{Key: "MyKey", PrivateKey: acctest.TestKey(t, 0)}
	w.myToken, err = jc.Handshake(ctx, w.myConsumer, w.svc, "https://127.0.0.1/cb")
	must(t, err)
	tt, err := jc.Handshake(ctx, jiraapi.OAuthConsumer{Key: "TheirKey", PrivateKey: acctest.TestKey(t, 1)}, w.svc, "https://127.0.0.1/cb")
	must(t, err)
	w.theirToken = tt.Token

	hc, err := httpx.New(httpx.Settings{CACertPEM: env.CAPEM, MaxRetries: maxRetries, RequestTimeout: requestTimeout,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	must(t, err)
	t.Cleanup(hc.CloseIdleConnections)
	w.alignC, err = alignapi.New(w.align.URL, env.AlignToken, hc)
	must(t, err)
	w.jiraC, err = jiraapi.New(w.jira.URL, hc)
	must(t, err)
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// untouched reports what changed among the objects made outside the state, and any request that
// reached another origin.
func (w *world) untouched() error {
	now, ok := w.env.Align.Connector(w.theirs)
	if !ok || now.UpdatedAt != w.theirConn.UpdatedAt || now.CredentialVersion != w.theirConn.CredentialVersion || now.Name != "theirs" {
		return fmt.Errorf("connector %d (theirs) was changed or deleted", w.theirs)
	}
	linkOK := false
	for _, l := range w.env.Jira.Links() {
		if l.ID == w.theirLink && l.Consumer != nil && l.Consumer.Key == "TheirKey" {
			linkOK = true
		}
	}
	if !linkOK {
		return fmt.Errorf("link %s (theirs) or its consumer was changed or deleted", w.theirLink)
	}
	live := false
	for _, tok := range w.env.Jira.LiveTokens() {
		live = live || tok.Token == w.theirToken
	}
	if !live {
		return errors.New("their access token was revoked")
	}
	for k, n := range w.align.AllHits() {
		if strings.HasSuffix(k, fmt.Sprintf("/Connectors/%d", w.theirs)) && !strings.HasPrefix(k, "GET ") {
			return fmt.Errorf("%d requests %s", n, k)
		}
	}
	for k, n := range w.jira.AllHits() {
		if strings.Contains(k, w.theirLink) && !strings.HasPrefix(k, "GET ") {
			return fmt.Errorf("%d requests %s", n, k)
		}
	}
	if n := w.elsewhere.Hits(); n > 0 {
		return fmt.Errorf("%d requests reached another origin", n)
	}
	return nil
}

// clientCall is one client operation and the wire call the hostile rule targets.
type clientCall struct {
	name   string
	jira   bool // the call goes to Jira (else Jira Align)
	method string
	path   func(w *world) string
	// calls is how many separately bounded wire calls the operation may make to the target
	// (the handshake restarts up to 4 times from a new request token).
	calls int
	// recovers: a create that, after losing its answer, finds what it created; it may succeed
	// against a peer that passed the request on before turning hostile.
	recovers bool
	run      func(ctx context.Context, w *world) error
}

func connectorPath(id int) string { return fmt.Sprintf("/rest/align/api/2/Connectors/%d", id) }

const (
	connectorsPath = "/rest/align/api/2/Connectors"
	linksPath      = "/rest/applinks/3.0/applicationlink"
)

func consumerPath(id string) string {
	return "/rest/applinks-oauth/1.0/applicationlink/" + id + "/authentication/consumer"
}

func myInput() alignapi.ConnectorInput {
	return alignapi.ConnectorInput{Name: "mine", JiraURL: "https://jira.example.com", JiraType: 2, AuthType: alignapi.AuthBasic, Username: "y", Password: "my-pw-2"}
}

var clientCalls = []clientCall{
	{name: "get connector", method: "GET", path: func(w *world) string { return connectorPath(w.mine) }, calls: 1,
		run: func(ctx context.Context, w *world) error {
			c, err := w.alignC.GetConnector(ctx, w.mine)
			return w.adopted(c, err)
		}},
	{name: "list connectors", method: "GET", path: func(*world) string { return connectorsPath }, calls: 1,
		run: func(ctx context.Context, w *world) error {
			c, err := w.alignC.FindConnectorByName(ctx, "mine")
			return w.adopted(c, err)
		}},
	{name: "create connector", method: "POST", path: func(*world) string { return connectorsPath }, calls: 1, recovers: true,
		run: func(ctx context.Context, w *world) error {
			in := myInput()
			in.Name = "new one"
			c, err := w.alignC.CreateConnector(ctx, in)
			return w.adopted(c, err)
		}},
	{name: "update connector", method: "PUT", path: func(w *world) string { return connectorPath(w.mine) }, calls: 1,
		run: func(ctx context.Context, w *world) error {
			c, err := w.alignC.UpdateConnector(ctx, w.mine, myInput())
			return w.adopted(c, err)
		}},
	{name: "delete connector", method: "DELETE", path: func(w *world) string { return connectorPath(w.mine) }, calls: 1,
		run: func(ctx context.Context, w *world) error { return w.alignC.DeleteConnector(ctx, w.mine) }},
	{name: "get link", jira: true, method: "GET", path: func(w *world) string { return linksPath + "/" + w.myLink }, calls: 1,
		run: func(ctx context.Context, w *world) error {
			l, err := w.jiraC.GetApplicationLink(ctx, w.admin, w.myLink)
			return w.adoptedLink(l, err)
		}},
	{name: "list links", jira: true, method: "GET", path: func(*world) string { return linksPath }, calls: 1,
		run: func(ctx context.Context, w *world) error {
			l, err := w.jiraC.FindApplicationLinkByRPCURL(ctx, w.admin, "https://my-align.example.com")
			return w.adoptedLink(l, err)
		}},
	{name: "create link", jira: true, method: "PUT", path: func(*world) string { return linksPath }, calls: 1, recovers: true,
		// A create whose answer is lost finds the link it made through the list call. A create
		// answered with another link is refused by jira_application_link, which compares the
		// answer's rpcUrl: see TestAccHostile_hostileValues.
		run: func(ctx context.Context, w *world) error {
			_, err := w.jiraC.CreateApplicationLink(ctx, w.admin, jiraapi.ApplicationLink{Name: "new", RPCURL: "https://new-align.example.com", DisplayURL: "https://new-align.example.com"})
			return err
		}},
	{name: "get consumer", jira: true, method: "GET", path: func(w *world) string { return consumerPath(w.myLink) }, calls: 1,
		run: func(ctx context.Context, w *world) error {
			_, err := w.jiraC.GetConsumer(ctx, w.admin, w.myLink)
			return err
		}},
	{name: "put consumer", jira: true, method: "PUT", path: func(w *world) string { return consumerPath(w.myLink) }, calls: 1,
		run: func(ctx context.Context, w *world) error {
			pub, _ := keyutil.PublicKeyPEM(&w.myConsumer.PrivateKey.PublicKey)
			return w.jiraC.PutConsumer(ctx, w.admin, w.myLink, jiraapi.Consumer{Key: "MyKey", Name: "mine", PublicKey: pub})
		}},
	{name: "delete link", jira: true, method: "DELETE", path: func(w *world) string { return linksPath + "/" + w.myLink }, calls: 1,
		run: func(ctx context.Context, w *world) error {
			return w.jiraC.DeleteApplicationLink(ctx, w.admin, w.myLink)
		}},
	{name: "handshake at request-token", jira: true, method: "POST", path: func(*world) string { return "/plugins/servlet/oauth/request-token" }, calls: 4,
		run: handshake},
	{name: "handshake at approval", jira: true, method: "POST", path: func(*world) string { return "/plugins/servlet/oauth/authorize" }, calls: 4,
		run: handshake},
	{name: "handshake at access-token", jira: true, method: "POST", path: func(*world) string { return "/plugins/servlet/oauth/access-token" }, calls: 4,
		run: handshake},
	{name: "myself", jira: true, method: "GET", path: func(*world) string { return "/rest/api/2/myself" }, calls: 1,
		run: func(ctx context.Context, w *world) error {
			_, err := w.jiraC.Myself(ctx, w.myConsumer, w.myToken.Token, w.myToken.Secret)
			return err
		}},
	{name: "revoke", jira: true, method: "POST", path: func(*world) string { return "/plugins/servlet/oauth/users/access-tokens" }, calls: 1,
		run: func(ctx context.Context, w *world) error {
			return w.jiraC.Revoke(ctx, w.myConsumer, w.myToken.Token, w.myToken.Secret)
		}},
}

// errAdopted marks a call that handed on an object outside the state as if it were the one
// asked for.
var errAdopted = errors.New("the call handed on an object outside the state as the one asked for")

func (w *world) adopted(c *alignapi.Connector, err error) error {
	if err == nil && c != nil && c.ID == w.theirs {
		return errAdopted
	}
	return err
}

func (w *world) adoptedLink(l *jiraapi.ApplicationLink, err error) error {
	if err == nil && l != nil && l.ID == w.theirLink {
		return errAdopted
	}
	return err
}

func handshake(ctx context.Context, w *world) error {
	tok, err := w.jiraC.Handshake(ctx, w.myConsumer, w.svc, "https://127.0.0.1/cb")
	if err == nil && (tok.Token == "" || strings.ContainsAny(tok.Token, "\r\n\x00")) {
		return fmt.Errorf("the handshake returned an unusable token")
	}
	return err
}

// behaviour is a hostile behaviour, as the rule for one call.
type behaviour struct {
	name string
	rule func(w *world, c clientCall) hostile.Rule
	// fails: the call must fail (else it may also succeed, with the hostile value cleaned).
	fails bool
	// acted: the simulator served the request before the peer turned hostile.
	acted bool
	// heavy: the answers are large. These cases run one at a time, so that the heap's growth
	// during the call is the call's own, and it is checked.
	heavy bool
	// only, when set, limits the behaviour to the calls it applies to.
	only func(c clientCall) bool
}

// raceCalls are the calls run under the race detector: one of each client, the handshake.
var raceCalls = map[string]bool{"get connector": true, "create connector": true, "get link": true, "handshake at access-token": true}

// isOAuth reports the calls whose answers are form-encoded.
func isOAuth(c clientCall) bool { return strings.HasPrefix(c.name, "handshake") }

func target(c clientCall, w *world, b hostile.Behaviour) hostile.Rule {
	return hostile.Rule{Behaviour: b, Method: c.method, Path: c.path(w)}
}

var behaviours = []behaviour{
	{name: "redirect 307 to another origin", fails: true, rule: func(w *world, c clientCall) hostile.Rule {
		r := target(c, w, hostile.Redirect)
		r.Target, r.Status = w.elsewhere.URL, http.StatusTemporaryRedirect
		return r
	}},
	{name: "redirect 308 to another origin", fails: true, rule: func(w *world, c clientCall) hostile.Rule {
		r := target(c, w, hostile.Redirect)
		r.Target, r.Status = w.elsewhere.URL, http.StatusPermanentRedirect
		return r
	}},
	{name: "redirect 302 to another origin", fails: true, rule: func(w *world, c clientCall) hostile.Rule {
		r := target(c, w, hostile.Redirect)
		r.Target, r.Status = w.elsewhere.URL, http.StatusFound
		return r
	}},
	{name: "endless body", heavy: true, fails: true, rule: func(w *world, c clientCall) hostile.Rule { return target(c, w, hostile.EndlessBody) }},
	{name: "endless form body", heavy: true, fails: true, only: isOAuth, rule: func(w *world, c clientCall) hostile.Rule {
		r := target(c, w, hostile.EndlessBody)
		r.Prefix, r.Filler = "oauth_token=t&oauth_token_secret=s&oauth_callback_confirmed=true&x=", strings.Repeat("a", 4096)
		return r
	}},
	{name: "endless header", heavy: true, fails: true, rule: func(w *world, c clientCall) hostile.Rule { return target(c, w, hostile.EndlessHeader) }},
	{name: "trickle", fails: true, acted: true, rule: func(w *world, c clientCall) hostile.Rule {
		r := target(c, w, hostile.Trickle)
		r.Interval = 100 * time.Millisecond
		return r
	}},
	{name: "malformed body", heavy: true, rule: func(w *world, c clientCall) hostile.Rule {
		r := target(c, w, hostile.Rewrite)
		r.Edit = func(_ *http.Request, a hostile.Answer) hostile.Answer {
			a.Body = []byte(`{"id":` + strings.Repeat("[", 100000) + "\x00\xff")
			return a
		}
		return r
	}},
	{name: "swapped ids", rule: func(w *world, c clientCall) hostile.Rule {
		r := target(c, w, hostile.Rewrite)
		r.Edit = func(_ *http.Request, a hostile.Answer) hostile.Answer { return swapIDs(w, a) }
		return r
	}},
	{name: "hostile values", heavy: true, rule: func(w *world, c clientCall) hostile.Rule {
		r := target(c, w, hostile.Rewrite)
		r.Edit = func(_ *http.Request, a hostile.Answer) hostile.Answer { return hostileValues(w, a) }
		return r
	}},
	{name: "retry-after beyond request_timeout", fails: true, rule: func(w *world, c clientCall) hostile.Rule {
		r := target(c, w, hostile.Rewrite)
		r.Edit = func(_ *http.Request, a hostile.Answer) hostile.Answer {
			return hostile.Answer{Status: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": {"86400"}}, Body: []byte(`{"message":"later"}`)}
		}
		return r
	}},
}

// escape is a terminal escape sequence and a bidi override, which no message may carry.
const escape = "\x1b]8;;https://evil.example\x07\u202e"

// swapIDs answers with the objects outside the state instead of the ones asked for: the other
// connector or link, for a read, create or update of one object. Lists are left alone: a list
// is what says which id holds a name or URL, so a list that lies cannot be told from the truth
// (the create's recovery acts only on a listed connector whose settings all match).
func swapIDs(w *world, a hostile.Answer) hostile.Answer {
	body := strings.TrimSpace(string(a.Body))
	if !strings.Contains(a.Header.Get("Content-Type"), "json") || strings.HasPrefix(body, "[") {
		return a
	}
	other := fmt.Sprintf(`{"id":%d,"name":"theirs","jiraUrl":"https://jira.example.com","jiraType":2,"authType":"basic","username":"x","credentialVersion":1,"updatedAt":"2026-01-01T00:00:00Z"}`, w.theirs)
	link := fmt.Sprintf(`{"id":%q,"name":"theirs","rpcUrl":"https://their-align.example.com","displayUrl":"https://their-align.example.com","typeId":"generic"}`, w.theirLink)
	switch {
	case strings.Contains(body, `"rpcUrl"`):
		a.Body = []byte(link)
	case strings.HasPrefix(body, "{") && strings.Contains(body, `"id"`):
		a.Body = []byte(other)
	}
	return a
}

// hostileValues keeps the ids but fills the answer with values a peer should never send:
// control and bidi characters, a 256 KiB string, numbers out of range, a line break in a token.
func hostileValues(w *world, a hostile.Answer) hostile.Answer {
	huge := strings.Repeat("h", 256<<10)
	switch ct := a.Header.Get("Content-Type"); {
	case strings.Contains(ct, "json"):
		body := strings.TrimSpace(string(a.Body))
		e, h := jsonString(escape), jsonString(huge)
		evil := fmt.Sprintf(`"name":%s,"displayName":%s,"message":%s,"errorMessages":[%s],"username":%s,"key":%s`, jsonString("mine"+escape), e, jsonString(escape+huge), e, h, jsonString("MyKey"+escape))
		switch {
		case strings.HasPrefix(body, "{") && len(body) > 2:
			a.Body = []byte(body[:len(body)-1] + "," + evil + "}") // later members win
		case strings.HasPrefix(body, "[") && len(body) > 2:
			a.Body = []byte(`[{"id":1e400,` + evil + "}," + body[1:])
		default:
			a.Body = []byte("{" + evil + `,"credentialVersion":-9223372036854775809}`)
		}
	default:
		// OAuth answers: a token with a line break, a problem with escapes, a huge advice.
		a.Body = []byte("oauth_token=a%0D%0Ab&oauth_token_secret=" + huge + "&oauth_callback_confirmed=true&oauth_problem=" + escape + "&oauth_problem_advice=" + escape + huge)
		a.Header.Set("WWW-Authenticate", `OAuth realm="x", oauth_problem="`+strings.Repeat("p", 10000)+`"`)
	}
	return a
}

// TestHostilePeers runs every client call against every hostile behaviour. Each call must end
// within (calls × (max_retries + 1)) × request_timeout plus a margin, grow the heap by a bounded
// amount, send nothing to another origin, leave every object made outside the state as it was,
// and say nothing a terminal would interpret or that holds a secret.
func TestHostilePeers(t *testing.T) {
	if testing.Short() {
		t.Skip("the hostile-peer suite takes a while")
	}
	var mu sync.Mutex // the heap is the process's: one heavy call at a time
	for _, b := range behaviours {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range clientCalls {
				if b.only != nil && !b.only(c) || raceDetector && !raceCalls[c.name] {
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					if !b.heavy {
						t.Parallel()
					}
					w := newWorld(t)
					peer := w.align
					if c.jira {
						peer = w.jira
					}
					peer.Set(b.rule(w, c))
					budget := time.Duration(c.calls*(maxRetries+1))*requestTimeout + margin
					if b.heavy {
						mu.Lock()
					}
					heap := hostile.WatchHeap()
					start := time.Now()
					ctx, cancel := context.WithTimeout(context.Background(), 10*budget)
					err := c.run(ctx, w)
					cancel()
					took := time.Since(start)
					grew := heap.Stop()
					if b.heavy {
						mu.Unlock()
					}
					if peer.Fired()[b.rule(w, c).Behaviour] == 0 {
						t.Fatalf("the hostile rule never fired (err %v)", err)
					}
					if b.fails && err == nil && (!b.acted || !c.recovers) {
						t.Errorf("the call succeeded against the hostile peer")
					}
					if took > budget {
						t.Errorf("the call took %s, budget %s (err %v)", took, budget, err)
					}
					if b.heavy && grew > heapBound {
						t.Errorf("the heap grew by %d MiB", grew>>20)
					}
					if l := peer.Longest(); l > requestTimeout+margin {
						t.Errorf("one hostile answer kept its request open for %s", l)
					}
					if errors.Is(err, errAdopted) {
						t.Error(err)
					}
					if err := w.untouched(); err != nil {
						t.Error(err)
					}
					if err != nil {
						msg := err.Error()
						if strings.ContainsAny(msg, "\x1b\x07\u202e\r") {
							t.Errorf("the error carries control or bidi characters from the peer: %q", msg)
						}
						if len(msg) > 8<<10 {
							t.Errorf("the error is %d bytes long", len(msg))
						}
						for _, s := range append(w.env.Secrets(), w.myToken.Token, w.myToken.Secret, "my-pw") {
							if strings.Contains(msg, s) {
								t.Errorf("the error carries a secret")
							}
						}
					}
					t.Logf("%s in %s, heap +%d KiB: %v", c.name, took.Round(time.Millisecond), grew>>10, short(err))
				})
			}
		})
	}
}

func short(err error) string {
	if err == nil {
		return "no error"
	}
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// jsonString is s as a JSON string literal (control characters escaped, as JSON requires).
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
