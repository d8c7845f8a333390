package jiraapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/testing/jirasim"
)

// linkCreate is the create every test here sends.
var linkCreate = ApplicationLink{Name: "Jira Align", RPCURL: "https://align.example.com", DisplayURL: "https://align.example.com"}

// createFaults wraps the simulator: each of the first len(put) link creates is answered by the
// given function (which may pass it on to the simulator with forward), and each of the first
// len(list) link lists likewise; later calls reach the simulator untouched. It counts the creates
// and lists the client sent.
type createFaults struct {
	mu          sync.Mutex
	put, list   []func(t *testing.T, w http.ResponseWriter, r *http.Request, forward func(*http.Request) *httptest.ResponseRecorder)
	puts, lists int
}

func (f *createFaults) wrap(t *testing.T) func(http.Handler) http.Handler {
	return func(sim http.Handler) http.Handler {
		forward := func(r *http.Request) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, r)
			return rec
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var h func(t *testing.T, w http.ResponseWriter, r *http.Request, forward func(*http.Request) *httptest.ResponseRecorder)
			f.mu.Lock()
			if r.URL.Path == "/jira"+pathApplicationLinks {
				switch r.Method {
				case http.MethodPut:
					if f.puts < len(f.put) {
						h = f.put[f.puts]
					}
					f.puts++
				case http.MethodGet:
					if f.lists < len(f.list) {
						h = f.list[f.lists]
					}
					f.lists++
				}
			}
			f.mu.Unlock()
			if h == nil {
				sim.ServeHTTP(w, r)
				return
			}
			h(t, w, r, forward)
		})
	}
}

func (f *createFaults) counts() (puts, lists int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.puts, f.lists
}

type answerFn = func(t *testing.T, w http.ResponseWriter, r *http.Request, forward func(*http.Request) *httptest.ResponseRecorder)

var (
	// createdThenLost: Jira creates the link, the connection drops before the answer.
	createdThenLost answerFn = func(t *testing.T, w http.ResponseWriter, r *http.Request, forward func(*http.Request) *httptest.ResponseRecorder) {
		if rec := forward(r); rec.Code != http.StatusCreated {
			t.Errorf("the simulator answered the create %d %s", rec.Code, rec.Body)
		}
		hijackClose(t, w)
	}
	// lostBefore: the connection drops before Jira saw the request.
	lostBefore answerFn = func(t *testing.T, w http.ResponseWriter, _ *http.Request, _ func(*http.Request) *httptest.ResponseRecorder) {
		hijackClose(t, w)
	}
	// createdAnswered answers with status and body after Jira created the link.
	createdAnswered = func(status int, body string) answerFn {
		return func(t *testing.T, w http.ResponseWriter, r *http.Request, forward func(*http.Request) *httptest.ResponseRecorder) {
			if rec := forward(r); rec.Code != http.StatusCreated {
				t.Errorf("the simulator answered the create %d %s", rec.Code, rec.Body)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}
	// emptyList answers the list as if the link were not there yet.
	emptyList answerFn = func(_ *testing.T, w http.ResponseWriter, _ *http.Request, _ func(*http.Request) *httptest.ResponseRecorder) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	}
)

// A create whose answer is lost, unreadable or names no id is recovered through the list of links:
// the link Jira made is returned, and nothing is created twice.
func TestCreateApplicationLinkRecoversLostAnswer(t *testing.T) {
	cases := []struct {
		name              string
		faults            *createFaults
		wantPuts, minList int
	}{
		{"connection lost after Jira created it", &createFaults{put: []answerFn{createdThenLost}}, 1, 1},
		{"garbled 201", &createFaults{put: []answerFn{createdAnswered(http.StatusCreated, `{"status-code":201,"resources-cre`)}}, 1, 1},
		{"201 with an empty body", &createFaults{put: []answerFn{createdAnswered(http.StatusCreated, "")}}, 1, 1},
		{"201 naming the collection, not a link", &createFaults{put: []answerFn{createdAnswered(http.StatusCreated,
			`{"status-code":201,"resources-created":[{"href":"https://jira.example.com/rest/applinks/3.0/applicationlink","rel":"self"}]}`)}}, 1, 1},
		{"201 in XML (the Accept header lost on the way)", &createFaults{put: []answerFn{
			func(t *testing.T, w http.ResponseWriter, r *http.Request, forward func(*http.Request) *httptest.ResponseRecorder) {
				r.Header.Del("Accept")
				rec := forward(r)
				if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/xml") {
					t.Errorf("the simulator answered %q without Accept", rec.Header().Get("Content-Type"))
				}
				w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes())
			}}}, 1, 1},
		{"502 after Jira created it", &createFaults{put: []answerFn{createdAnswered(http.StatusBadGateway, `{"message":"proxy"}`)}}, 1, 1},
		{"connection lost before Jira saw it: sent again", &createFaults{put: []answerFn{lostBefore}}, 2, 1},
		{"502 twice without a link: sent again", &createFaults{put: []answerFn{
			createdAnswered0(http.StatusBadGateway), createdAnswered0(http.StatusBadGateway)}}, 3, 2},
		{"lost, the list lags, the repeat meets 409", &createFaults{put: []answerFn{createdThenLost}, list: []answerFn{emptyList}}, 2, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSimEnvWith(t, jirasim.Options{}, tc.faults.wrap(t))
			l, err := e.client.CreateApplicationLink(context.Background(), testAdmin, linkCreate)
			if err != nil {
				t.Fatalf("CreateApplicationLink: %v", err)
			}
			links := e.sim.Links()
			if len(links) != 1 || l.ID != links[0].ID || l.RPCURL != linkCreate.RPCURL || l.Name != linkCreate.Name {
				t.Fatalf("returned %+v; Jira holds %+v", l, links)
			}
			puts, lists := tc.faults.counts()
			if puts != tc.wantPuts || lists < tc.minList {
				t.Errorf("creates sent %d, lists %d; want %d creates and at least %d lists", puts, lists, tc.wantPuts, tc.minList)
			}
			// The recovered link is fully usable.
			k, _ := keys(t)
			if err := e.client.PutConsumer(context.Background(), testAdmin, l.ID, Consumer{Key: testConsumerKey, Name: "n", PublicKey: publicPEM(t, k)}); err != nil {
				t.Fatalf("PutConsumer on the recovered link: %v", err)
			}
		})
	}
}

// createdAnswered0 answers status without letting Jira see the create.
func createdAnswered0(status int) answerFn {
	return func(_ *testing.T, w http.ResponseWriter, _ *http.Request, _ func(*http.Request) *httptest.ResponseRecorder) {
		jsonError(w, status, "proxy")
	}
}

// After a lost answer, a link to the same URL that the create cannot have made (it has an
// incoming consumer, or other settings) is never adopted: the error names it, and it is left
// untouched.
func TestCreateApplicationLinkLostAnswerForeignLink(t *testing.T) {
	for _, withConsumer := range []bool{true, false} {
		name := "other settings"
		if withConsumer {
			name = "an incoming consumer"
		}
		t.Run(name, func(t *testing.T) {
			// The foreign create reaches Jira; the second create's connection drops before it does.
			faults := &createFaults{put: []answerFn{nil, lostBefore}}
			e := newSimEnvWith(t, jirasim.Options{}, faults.wrap(t))
			ctx := context.Background()
			foreign := linkCreate
			if !withConsumer {
				foreign.Name = "Someone else's link"
			}
			other, err := e.client.CreateApplicationLink(ctx, testAdmin, foreign)
			if err != nil {
				t.Fatal(err)
			}
			if withConsumer {
				k, _ := keys(t)
				if err := e.client.PutConsumer(ctx, testAdmin, other.ID, Consumer{Key: "SomeoneElse", Name: "n", PublicKey: publicPEM(t, k)}); err != nil {
					t.Fatal(err)
				}
			}
			_, err = e.client.CreateApplicationLink(ctx, testAdmin, linkCreate)
			if !IsConflict(err) || !strings.Contains(err.Error(), "(id "+other.ID+")") ||
				!strings.Contains(err.Error(), "terraform import jira_application_link.<name> "+other.ID) {
				t.Fatalf("err = %v; want a 409 naming link %s", err, other.ID)
			}
			assertNoSecret(t, err.Error(), adminPassword)
			if links := e.sim.Links(); len(links) != 1 || links[0].Name != foreign.Name || (links[0].Consumer != nil) != withConsumer {
				t.Fatalf("Jira holds %+v", links)
			}
		})
	}
}

// A create cut off by the caller's deadline after Jira created the link returns an
// *UnconfirmedLinkError carrying the link, found by a detached lookup.
func TestCreateApplicationLinkDeadlineAfterCreate(t *testing.T) {
	release := make(chan struct{})
	faults := &createFaults{put: []answerFn{func(t *testing.T, w http.ResponseWriter, r *http.Request, forward func(*http.Request) *httptest.ResponseRecorder) {
		forward(r)
		<-release // answer after the client gave up
	}}}
	e := newSimEnvWith(t, jirasim.Options{}, faults.wrap(t))
	t.Cleanup(func() { close(release) }) // before the server's Close, which waits for the handler
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := e.client.CreateApplicationLink(ctx, testAdmin, linkCreate)
	var ue *UnconfirmedLinkError
	if !errors.As(err, &ue) || ue.Link == nil {
		t.Fatalf("err = %v; want an UnconfirmedLinkError with the link", err)
	}
	if links := e.sim.Links(); len(links) != 1 || links[0].ID != ue.Link.ID {
		t.Fatalf("error names %+v; Jira holds %+v", ue.Link, links)
	}
	if !strings.Contains(err.Error(), "application link "+ue.Link.ID+" to https://align.example.com exists now") {
		t.Errorf("message: %v", err)
	}
}

func TestCreatedLinkID(t *testing.T) {
	for body, want := range map[string]string{
		`{"status-code":201,"resources-created":[{"href":"https://j.example.com/jira/rest/applinks/3.0/applicationlink/0d8e0c7a-1111","rel":"self"}]}`: "0d8e0c7a-1111",
		`{"status-code":201,"resources-created":[{"href":"https://j.example.com/rest/applinks/3.0/applicationlink/abc/","rel":"self"}]}`:               "abc",
		`{"status-code":201,"resources-created":[{"href":"/rest/applinks/3.0/applicationlink/a%20b"},{"href":"x/applicationlink/second"}]}`:            "a b",
		`{"id":"from-the-link-object","name":"Jira Align"}`:                                                            "from-the-link-object",
		`{"status-code":201,"resources-created":[{"href":"https://j.example.com/rest/applinks/3.0/applicationlink"}]}`: "",
		`{"status-code":201,"resources-created":[{"href":"https://j.example.com/rest/other/abc"}]}`:                    "",
		`{"status-code":201,"resources-created":[]}`:                                                                   "",
		`{"status-code":201}`: "",
		``:                    "",
		`<status><status-code>201</status-code></status>`: "",
	} {
		if got := createdLinkID([]byte(body)); got != want {
			t.Errorf("createdLinkID(%s) = %q, want %q", body, got, want)
		}
	}
}

// Every answer form the plugin may give is read: the status entity (the default), the link
// object on create, an empty consumer PUT and 204 deletes.
func TestSimApplicationLinkAnswerForms(t *testing.T) {
	for name, opts := range map[string]jirasim.Options{
		"status entities":                 {},
		"link object on create":           {LinkObjectOnCreate: true},
		"empty consumer PUT, 204 deletes": {EmptyConsumerPut: true, NoContentDeletes: true},
	} {
		t.Run(name, func(t *testing.T) {
			e := newSimEnv(t, opts)
			ctx := context.Background()
			l := e.register(t, testConsumerKey)
			links := e.sim.Links()
			if len(links) != 1 || links[0].ID != l.ID || links[0].Consumer == nil || links[0].Consumer.Key != testConsumerKey {
				t.Fatalf("created %+v; Jira holds %+v", l, links)
			}
			if got, err := e.client.GetApplicationLink(ctx, testAdmin, l.ID); err != nil || *got != *l {
				t.Fatalf("GetApplicationLink = %+v, %v; want %+v", got, err, *l)
			}
			if err := e.client.DeleteConsumer(ctx, testAdmin, l.ID); err != nil {
				t.Fatalf("DeleteConsumer: %v", err)
			}
			if err := e.client.DeleteApplicationLink(ctx, testAdmin, l.ID); err != nil {
				t.Fatalf("DeleteApplicationLink: %v", err)
			}
			if links := e.sim.Links(); len(links) != 0 {
				t.Fatalf("Jira still holds %+v", links)
			}
		})
	}
}

// Any 2xx is success on deletes and the consumer PUT, whatever the body.
func TestApplinksAny2xxIsSuccess(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent} {
		c := applinksServer(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			if status != http.StatusNoContent {
				_, _ = w.Write([]byte("<html>done</html>"))
			}
		})
		ctx := context.Background()
		if err := c.PutConsumer(ctx, testAdmin, "id1", Consumer{Key: "K", Name: "n", PublicKey: "MIIB"}); err != nil {
			t.Errorf("PutConsumer on %d: %v", status, err)
		}
		if err := c.DeleteConsumer(ctx, testAdmin, "id1"); err != nil {
			t.Errorf("DeleteConsumer on %d: %v", status, err)
		}
		if err := c.DeleteApplicationLink(ctx, testAdmin, "id1"); err != nil {
			t.Errorf("DeleteApplicationLink on %d: %v", status, err)
		}
	}
}
