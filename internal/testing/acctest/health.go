package acctest

import (
	"crypto/rsa"
	"fmt"
	"strings"
	"time"

	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
)

// ConnectorAccepted says whether Jira would accept, right now, the OAuth 1.0a credentials that
// connector id holds in Jira Align: its consumer key registered on a link whose public key
// matches its private key, and its access token live for that consumer. nil when it would; else
// an error that starts with the oauth_problem Jira would answer (see
// jirasim.Server.CheckCredentials).
func (e *Env) ConnectorAccepted(id int) error {
	c, ok := e.Align.Connector(id)
	switch {
	case !ok:
		return fmt.Errorf("no connector %d in Jira Align", id)
	case c.AuthType != "oauth1":
		return fmt.Errorf("connector %d uses %s authentication, not oauth1", id, c.AuthType)
	}
	pub, err := e.publicKeyOf(c.PrivateKeyPEM)
	if err != nil {
		return fmt.Errorf("connector %d holds a private key that does not parse: %w", id, err)
	}
	return e.Jira.CheckCredentials(c.ConsumerKey, pub, c.AccessToken)
}

// publicKeyOf parses a private key PEM once and remembers its public half.
func (e *Env) publicKeyOf(privatePEM string) (*rsa.PublicKey, error) {
	e.keysMu.Lock()
	defer e.keysMu.Unlock()
	if pub, ok := e.keys[privatePEM]; ok {
		return pub, nil
	}
	k, err := keyutil.ParsePrivateKeyPEM(privatePEM)
	if err != nil {
		return nil, err
	}
	if e.keys == nil {
		e.keys = map[string]*rsa.PublicKey{}
	}
	e.keys[privatePEM] = &k.PublicKey
	return &k.PublicKey, nil
}

// Outage is a stretch of time during which a watched connector's credentials were refused.
type Outage struct {
	// From is the last sample before the outage that was accepted (or the watch's start), To
	// the first accepted one after it (or the watch's end, with Open set): the outage lasted
	// at most To - From, and at least that minus two sampling intervals.
	From, To time.Time
	Open     bool
	// Reason is the first refusal seen in it.
	Reason string
}

// Length is To - From.
func (o Outage) Length() time.Duration { return o.To.Sub(o.From) }

// ConnectorWatch samples ConnectorAccepted for one connector in a goroutine until Stop.
type ConnectorWatch struct {
	stop chan struct{}
	done chan struct{}

	samples int
	outages []Outage
}

// WatchConnector starts sampling whether connector id's credentials are accepted, every
// `every` (a few milliseconds).
func (e *Env) WatchConnector(id int, every time.Duration) *ConnectorWatch {
	w := &ConnectorWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		lastOK := time.Now()
		var cur *Outage
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			err := e.ConnectorAccepted(id)
			now := time.Now()
			w.samples++
			switch {
			case err == nil && cur != nil:
				cur.To = now
				w.outages = append(w.outages, *cur)
				cur = nil
				lastOK = now
			case err == nil:
				lastOK = now
			case cur == nil:
				cur = &Outage{From: lastOK, Reason: err.Error()}
			}
			select {
			case <-w.stop:
				if cur != nil {
					cur.To, cur.Open = now, true
					w.outages = append(w.outages, *cur)
				}
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// Stop ends the sampling and returns the number of samples and the outages seen.
func (w *ConnectorWatch) Stop() (samples int, outages []Outage) {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	return w.samples, w.outages
}

// DescribeOutages renders outages for a test log.
func DescribeOutages(outages []Outage) string {
	if len(outages) == 0 {
		return "no outage"
	}
	parts := make([]string, len(outages))
	for i, o := range outages {
		open := ""
		if o.Open {
			open = " (still refused at the end)"
		}
		parts[i] = fmt.Sprintf("%s%s: %s", o.Length().Round(time.Millisecond), open, o.Reason)
	}
	return strings.Join(parts, "; ")
}
