package alignapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
)

// maxPages bounds a listing (a million connectors), against a server that pages forever.
const maxPages = 10000

// ListConnectors lists every connector, or, when name is not empty, those whose name equals it
// (case-insensitively, as names are unique that way; the server filters with $filter and the
// client checks again). It pages with $top=100 and $skip until a short page.
func (c *Client) ListConnectors(ctx context.Context, name string) ([]Connector, error) {
	all := []Connector{}
	for conn, err := range c.Connectors(ctx, name) {
		if err != nil {
			return nil, err
		}
		all = append(all, conn)
	}
	return all, nil
}

// Connectors yields the connectors ListConnectors returns, one page at a time: a consumer that
// stops early (a query with a limit) fetches no further page. A failure is yielded once, as the
// last pair, with a zero Connector.
func (c *Client) Connectors(ctx context.Context, name string) iter.Seq2[Connector, error] {
	return func(yield func(Connector, error) bool) {
		seen := map[int]bool{}
		s := c.secrets(ctx, nil)
		for page, skip := 0, 0; ; page++ {
			if page == maxPages {
				yield(Connector{}, fmt.Errorf("%s: more than %d pages; the server does not seem to honour $skip", callList, maxPages))
				return
			}
			var items []Connector
			ep := listConnectorsEndpoint(pageSize, skip, name)
			if err := c.do(ctx, request{ep: ep, decode: func(b []byte) error {
				var err error
				items, err = DecodeConnectors(b)
				return err
			}}, s); err != nil {
				yield(Connector{}, err)
				return
			}
			fresh := 0
			for _, it := range items {
				if seen[it.ID] {
					continue
				}
				seen[it.ID] = true
				fresh++
				if name == "" || strings.EqualFold(it.Name, name) {
					if !yield(it, nil) {
						return
					}
				}
			}
			if len(items) < pageSize {
				return
			}
			if fresh == 0 {
				yield(Connector{}, fmt.Errorf("%s: the page at $skip=%d repeats connectors already listed; the server does not seem to honour $skip", callList, skip))
				return
			}
			skip += len(items)
		}
	}
}

// FindConnectorByName returns the connector named name (case-insensitively), or nil, nil when
// there is none.
func (c *Client) FindConnectorByName(ctx context.Context, name string) (*Connector, error) {
	if name == "" {
		return nil, nil
	}
	list, err := c.ListConnectors(ctx, name)
	if err != nil {
		return nil, err
	}
	var fold *Connector
	for i := range list {
		if list[i].Name == name {
			return &list[i], nil
		}
		if fold == nil {
			fold = &list[i]
		}
	}
	return fold, nil
}

// GetConnector reads one connector; a missing one is an error satisfying IsNotFound.
func (c *Client) GetConnector(ctx context.Context, id int) (*Connector, error) {
	if err := checkID(callGet, id); err != nil {
		return nil, err
	}
	var out *Connector
	ep := getConnectorEndpoint(id)
	if err := c.do(ctx, request{ep: ep, decode: decodeInto(&out)}, c.secrets(ctx, nil)); err != nil {
		return nil, err
	}
	if err := sameID(ep, out); err != nil {
		return nil, err
	}
	return out, nil
}

// IDMismatchError is an answer about another connector than the one the call named (a
// misrouting proxy or cache can cause it). The answer is refused: acting on it would adopt, and
// later change or delete, a connector no state asked for.
type IDMismatchError struct {
	Call       string
	Asked, Got int
}

func (e *IDMismatchError) Error() string {
	return fmt.Sprintf("%s: Jira Align answered with connector %d, not connector %d: the answer is refused, so that nothing is done to a connector "+
		"this configuration did not ask for (a proxy or cache in front of Jira Align may route requests to the wrong object)", e.Call, e.Got, e.Asked)
}

// sameID checks that a connector read or written through ep is the one ep names.
func sameID(ep endpoint, got *Connector) error {
	if got == nil || got.ID != ep.id {
		g := 0
		if got != nil {
			g = got.ID
		}
		return &IDMismatchError{Call: ep.call, Asked: ep.id, Got: g}
	}
	return nil
}

// UpdateConnector replaces the connector's fields with in (secrets left empty keep their stored
// value) and returns the connector as stored.
func (c *Client) UpdateConnector(ctx context.Context, id int, in ConnectorInput) (*Connector, error) {
	if err := checkID(callUpdate, id); err != nil {
		return nil, err
	}
	body, err := encodeInput(in)
	if err != nil {
		return nil, err
	}
	var out *Connector
	ep := updateConnectorEndpoint(id)
	if err := c.do(ctx, request{ep: ep, body: body, decode: decodeInto(&out)}, c.secrets(ctx, &in)); err != nil {
		c.explainConflict(ctx, err, in.Name, id)
		return nil, err
	}
	if err := sameID(ep, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteConnector deletes the connector; one already gone (404) is not an error.
func (c *Client) DeleteConnector(ctx context.Context, id int) error {
	if err := checkID(callDelete, id); err != nil {
		return err
	}
	err := c.do(ctx, request{ep: deleteConnectorEndpoint(id)}, c.secrets(ctx, nil))
	if IsNotFound(err) {
		return nil
	}
	return err
}

// CreateConnector creates a connector. POST is not idempotent, so its recovery is in steps:
//
//  1. POST. When its outcome is unknown (the connection failed after sending, a 500/502/504, or
//     a 2xx that cannot be decoded) httpx looks the name up, and posts again within its retry
//     budget only when no connector has it.
//  2. If the outcome is still unknown, the last lookup decides: none means nothing was created;
//     a connector with that name and other non-secret fields is a 409 APIError.
//  3. A connector with that name and the same non-secret fields is taken as the one just
//     created: the input is PUT to it, so its secrets are certainly the ones sent, and the PUT
//     result is returned.
func (c *Client) CreateConnector(ctx context.Context, in ConnectorInput) (*Connector, error) {
	body, err := encodeInput(in)
	if err != nil {
		return nil, err
	}
	s := c.secrets(ctx, &in)
	lookup := &nameLookup{c: c, name: in.Name}
	var created *Connector
	err = c.do(ctx, request{ep: createConnectorEndpoint(), body: body, decode: decodeInto(&created), landed: lookup.landed}, s)
	if err == nil && !strings.EqualFold(strings.TrimSpace(created.Name), strings.TrimSpace(in.Name)) {
		// Another connector than the one asked for (a misrouting proxy): never let the state
		// name it.
		return nil, fmt.Errorf("%s: Jira Align answered the create with connector %d named %q, not a connector named %q: the answer is refused, "+
			"so that nothing is done to a connector this configuration did not create; if Jira Align did create %q, the next apply reports it with the command that imports it",
			callCreate, created.ID, s.Clean(created.Name, maxMessageRunes), in.Name, in.Name)
	}
	if err == nil {
		return created, nil
	}
	if cause := handshakeFailure(err); cause != nil {
		return nil, fmt.Errorf("%s: %w", callCreate, cause)
	}
	// A 409 after a POST whose outcome was unknown may be that very POST having landed late.
	lateConflict := lookup.ran && isStatus(err, http.StatusConflict)
	if !isAmbiguous(err) && !lateConflict {
		c.explainConflict(ctx, err, in.Name, 0)
		return nil, err
	}
	if ctx.Err() != nil {
		// Time is up (a timeout, an interrupt), but the POST may have created the connector:
		// look once more, detached and bounded, so that it is tracked or at least reported
		// instead of being left behind unnoticed.
		return nil, c.unconfirmedCreate(ctx, err, in)
	}
	found, ferr := lookup.found, lookup.err // httpx asked after the last POST
	if lateConflict {
		found, ferr = c.FindConnectorByName(ctx, in.Name)
	}
	return c.settleCreate(ctx, err, in, found, ferr, s)
}

// settleCreate ends a create whose outcome err left unknown, from what the lookup of its name
// found: nothing (or the lookup failed), another connector (a 409), or the one just created,
// whose input it PUTs so that its secrets are certainly the ones sent.
func (c *Client) settleCreate(ctx context.Context, err error, in ConnectorInput, found *Connector, ferr error, s *redact.Set) (*Connector, error) {
	switch {
	case ferr != nil:
		return nil, fmt.Errorf("%w; looking the name up to learn whether the connector was created failed too: %w", err, ferr)
	case found == nil && isStatus(err, http.StatusConflict):
		return nil, err // the name is taken, yet no connector shows it
	case found == nil:
		return nil, fmt.Errorf("%w (no connector named %q exists afterwards: nothing was created)", err, in.Name)
	case !sameConnector(found, in):
		return nil, &APIError{
			Call:       callCreate,
			StatusCode: http.StatusConflict,
			Message:    fmt.Sprintf("connector %d already has the name %q with other settings", found.ID, s.Clean(found.Name, maxMessageRunes)),
			conflictID: found.ID,
		}
	}
	put, err := c.UpdateConnector(ctx, found.ID, in)
	if err != nil {
		return nil, fmt.Errorf("%s: connector %d was created, but setting its credentials failed (import it or delete it in Jira Align): %w", callCreate, found.ID, err)
	}
	return put, nil
}

// nameLookup answers httpx's question after a POST whose outcome is unknown (did it create the
// connector?) and keeps its last answer for CreateConnector's next steps.
type nameLookup struct {
	c     *Client
	name  string
	ran   bool
	found *Connector
	err   error
}

func (l *nameLookup) landed(ctx context.Context) (bool, error) {
	l.ran = true
	l.found, l.err = l.c.FindConnectorByName(ctx, l.name)
	return l.found != nil, l.err
}

// UnconfirmedCreateError is a create whose outcome was still unknown when the caller's context
// ended. Connector is the connector found afterwards with the input's name and non-secret
// settings, most likely the one the POST created; nil when none was found, in which case Jira
// Align may still create it.
type UnconfirmedCreateError struct {
	Name      string
	Connector *Connector
	Err       error
}

func (e *UnconfirmedCreateError) Error() string {
	if e.Connector != nil {
		return fmt.Sprintf("%v; connector %d with this name and these settings exists now, so the create most likely took effect", e.Err, e.Connector.ID)
	}
	return fmt.Sprintf("%v; Jira Align may still create connector %q: if it appears, import it (terraform import jira_align_connector.<name> <id>) or delete it", e.Err, e.Name)
}

func (e *UnconfirmedCreateError) Unwrap() error { return e.Err }

// unconfirmedCreate looks the name up with a context detached from the ended ctx and bounded by
// request_timeout.
func (c *Client) unconfirmedCreate(ctx context.Context, err error, in ConnectorInput) error {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.hc.Settings().RequestTimeout)
	defer cancel()
	out := &UnconfirmedCreateError{Name: in.Name, Err: err}
	if found, ferr := c.FindConnectorByName(lctx, in.Name); ferr == nil && found != nil && sameConnector(found, in) {
		out.Connector = found
	}
	return out
}

// sameConnector reports whether the stored connector matches the input on every non-secret field.
func sameConnector(got *Connector, in ConnectorInput) bool {
	return strings.EqualFold(got.Name, in.Name) &&
		strings.TrimRight(got.JiraURL, "/") == strings.TrimRight(in.JiraURL, "/") &&
		got.JiraType == in.JiraType &&
		got.AuthType == in.AuthType &&
		deref(got.Username) == in.Username &&
		deref(got.ConsumerKey) == in.ConsumerKey
}

// explainConflict adds, best effort, the id of the connector holding the name to a 409, for the
// import hint. exclude is the connector being updated.
func (c *Client) explainConflict(ctx context.Context, err error, name string, exclude int) {
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusConflict || ae.conflictID != 0 || ctx.Err() != nil {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, c.hc.Settings().RequestTimeout)
	defer cancel()
	if found, ferr := c.FindConnectorByName(lctx, name); ferr == nil && found != nil && found.ID != exclude {
		ae.conflictID = found.ID
	}
}

// isAmbiguous reports a POST failure after which the connector may exist.
func isAmbiguous(err error) bool {
	var amb *httpx.AmbiguousError
	var de *httpx.DecodeError
	return errors.As(err, &amb) || errors.As(err, &de) ||
		isStatus(err, http.StatusInternalServerError) || isStatus(err, http.StatusBadGateway) || isStatus(err, http.StatusGatewayTimeout)
}

// handshakeFailure returns the cause of an "ambiguous" POST failure that in fact happened before
// any request byte could reach Jira Align, because the TLS handshake failed (an untrusted or
// mismatched certificate, or a server that does not speak TLS); nil otherwise. httpx reports
// these as ambiguous.
func handshakeFailure(err error) error {
	var amb *httpx.AmbiguousError
	if !errors.As(err, &amb) {
		return nil
	}
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
	)
	if errors.As(amb.Err, &verify) || errors.As(amb.Err, &unknown) || errors.As(amb.Err, &hostname) ||
		errors.As(amb.Err, &invalid) || errors.As(amb.Err, &record) {
		return amb.Err
	}
	return nil
}

func isStatus(err error, code int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == code
}

func decodeInto(dst **Connector) func([]byte) error {
	return func(b []byte) error {
		c, err := DecodeConnector(b)
		if err != nil {
			return err
		}
		*dst = c
		return nil
	}
}

func checkID(call string, id int) error {
	if id <= 0 {
		return fmt.Errorf("%s: invalid connector id %d", call, id)
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
