package jiraapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
	"github.com/jira-align-tf/terraform-provider-jira/internal/redact"
)

// DefaultLinkType is the application type used when ApplicationLink.TypeID is empty.
const DefaultLinkType = "generic"

// ApplicationLink is a Jira application link (docs/guides/http-calls.md, "Application links").
type ApplicationLink struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name"`
	RPCURL     string `json:"rpcUrl"`
	DisplayURL string `json:"displayUrl"`
	TypeID     string `json:"typeId"`
}

// Consumer is the incoming OAuth consumer of an application link (docs/guides/http-calls.md,
// "The link's incoming consumer"). PublicKey is a PEM "PUBLIC KEY" block or bare base64 of the
// DER SubjectPublicKeyInfo; Jira returns the latter.
type Consumer struct {
	Key          string `json:"key"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	PublicKey    string `json:"publicKey"`
	Outgoing     bool   `json:"outgoing"`
	TwoLOAllowed bool   `json:"twoLOAllowed"`
}

// adminCall is one JSON call to the application-link API as a Jira administrator.
type adminCall struct {
	call       string
	method     string
	path       string
	body       any
	idempotent bool
	// decode reads a 200 answer; its failure (a garbled body) makes httpx read it again.
	decode func(body []byte) error
}

func (c *Client) adminDo(ctx context.Context, admin BasicAuth, a adminCall) (*httpx.Response, error) {
	if err := admin.validate("Jira administrator"); err != nil {
		return nil, fmt.Errorf("%s: %w", a.call, err)
	}
	h := http.Header{}
	h.Set("Authorization", admin.header())
	h.Set(headerXSRF, xsrfNoCheck)
	h.Set("Accept", contentTypeJSON)
	var body []byte
	if a.body != nil {
		var err error
		if body, err = json.Marshal(a.body); err != nil {
			return nil, fmt.Errorf("%s: encoding the request: %w", a.call, err)
		}
		h.Set("Content-Type", contentTypeJSON)
	}
	req := httpx.Request{
		Method: a.method, URL: c.url(a.path), Header: h, Body: body,
		Idempotent: a.idempotent, Describe: a.call,
	}
	if a.decode != nil {
		req.Decode = decodeOK(a.decode)
	}
	res, err := c.hc.Do(ctx, req)
	if err != nil {
		var amb *httpx.AmbiguousError
		if errors.As(err, &amb) {
			return nil, err // sent without an answer, even if ctx ended: the caller must know
		}
		return nil, transportError(ctx, a.call, err)
	}
	debug(ctx, "applinks call", map[string]any{"call": a.call, "status": res.StatusCode, "attempts": res.Attempts})
	if res.StatusCode < 200 || res.StatusCode > 299 {
		// Every 2xx is success whatever its body; any other answer may show a peer that is no Jira.
		kind := endpointRESTObject
		if a.path == pathApplicationLinks {
			kind = endpointREST
		}
		if nj := c.classifyPeer(kind, a.method, a.path, res.StatusCode, res.Header, res.Body); nj != nil {
			return nil, nj
		}
	}
	return res, nil
}

// adminStatusError maps the statuses every applinks call shares (401, 403) and any other
// unexpected status to an HTTPError.
func adminStatusError(call string, admin BasicAuth, res *httpx.Response) error {
	switch res.StatusCode {
	case http.StatusUnauthorized:
		return &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf(
			"Jira rejected the credentials of user %q: check jira_username/jira_password (JIRA_USERNAME/JIRA_PASSWORD); they must be a Jira administrator's", admin.Username)}
	case http.StatusForbidden:
		return &HTTPError{Call: call, StatusCode: res.StatusCode, Message: joinMsg(fmt.Sprintf(
			"user %q is not a Jira administrator: application links can only be managed by a Jira administrator (set jira_username/jira_password to an administrator's)", admin.Username),
			jiraMessage(res.Header, res.Body))}
	}
	return unexpectedStatus(call, res.StatusCode, res.Header, res.Body)
}

// CreateApplicationLink creates an application link and returns it with its Jira-assigned ID.
// TypeID defaults to "generic"; l.ID is ignored. Jira answers 201 with a status entity whose
// resources-created names the new link (its id is the last path segment of the href); some
// versions answer the link object with its id instead, and both are read. A link with the same
// RPCURL already in Jira fails with an HTTPError (409) that says how to import it.
//
// The create is not idempotent, but Jira refuses a second link with the same rpcUrl (409), so a
// repeat can never make a duplicate. After an attempt whose outcome is unknown (the connection
// failed after sending; a 500, 502 or 504), or a 409 that follows one, the link is looked up by
// rpcUrl in the list of links: a link with the settings sent and no incoming consumer yet is the
// one the lost attempt made, and is returned; none means nothing was created, and the create is
// sent again within the retry budget. A 2xx answer that names no id is looked up the same way.
// When the caller's context ends after the request was sent (a timeout, an interrupt), one more
// lookup is made, detached and bounded, and the error is an *UnconfirmedLinkError carrying the
// link when it exists, so that the caller can track it.
func (c *Client) CreateApplicationLink(ctx context.Context, admin BasicAuth, l ApplicationLink) (*ApplicationLink, error) {
	const call = "create Jira application link"
	l.ID = ""
	if l.TypeID == "" {
		l.TypeID = DefaultLinkType
	}
	if strings.TrimSpace(l.Name) == "" || strings.TrimSpace(l.RPCURL) == "" {
		return nil, fmt.Errorf("%s: name and rpc_url must not be empty", call)
	}
	var (
		out       *ApplicationLink
		ambiguous bool // an earlier attempt may have created the link
	)
	err := c.hc.Retry(ctx, call, func(ctx context.Context, _ int) error {
		res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodPut, path: pathApplicationLinks, body: l})
		if err != nil {
			var amb *httpx.AmbiguousError
			switch {
			case errors.As(err, &amb) && ctx.Err() == nil:
				debug(ctx, "application link create outcome unknown; looking the link up by rpc_url", map[string]any{"call": call})
				ambiguous = true
				return c.afterLostCreate(ctx, admin, err, l, &out)
			case errors.As(err, &amb):
				// Time is up (a timeout, an interrupt) after the request was sent: Jira may
				// still create the link.
				return httpx.Permanent(c.unconfirmedLink(ctx, admin, err, l))
			}
			return httpx.Permanent(err)
		}
		switch {
		case res.StatusCode >= 200 && res.StatusCode < 300:
			created, err := c.createdLink(ctx, admin, l, res)
			if err != nil {
				return httpx.Permanent(err)
			}
			out = created
			return nil
		case res.StatusCode == http.StatusConflict && ambiguous:
			// The conflict may be the lost attempt's own link.
			return c.afterLostCreate(ctx, admin, &HTTPError{Call: call, StatusCode: res.StatusCode, Message: joinMsg(
				fmt.Sprintf("an application link with rpc_url %q already exists in Jira", l.RPCURL), jiraMessage(res.Header, res.Body))}, l, &out)
		case res.StatusCode == http.StatusConflict:
			msg := fmt.Sprintf("an application link with rpc_url %q already exists in Jira: import it (terraform import jira_application_link.<name> <id>) or remove it", l.RPCURL)
			if found := c.linkHolding(ctx, admin, l.RPCURL); found != nil {
				msg = fmt.Sprintf("application link %s (%q) already has rpc_url %q in Jira: import it (terraform import jira_application_link.<name> %s) or remove it",
					found.ID, redact.Printable(found.Name, maxAdviceRunes), l.RPCURL, found.ID)
			}
			return httpx.Permanent(&HTTPError{Call: call, StatusCode: res.StatusCode, Message: msg})
		case res.StatusCode == http.StatusInternalServerError, res.StatusCode == http.StatusBadGateway, res.StatusCode == http.StatusGatewayTimeout:
			// Jira (or a proxy) may or may not have created the link.
			ambiguous = true
			return c.afterLostCreate(ctx, admin, unexpectedStatus(call, res.StatusCode, res.Header, res.Body), l, &out)
		}
		return httpx.Permanent(adminStatusError(call, admin, res))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// createdLink is the link a successful create answered: the id the answer names (with the
// rpcUrl it names, so that an answer about another link, from a misrouting proxy, is refused by
// the caller), else the one link to l's rpcUrl.
func (c *Client) createdLink(ctx context.Context, admin BasicAuth, l ApplicationLink, res *httpx.Response) (*ApplicationLink, error) {
	const call = "create Jira application link"
	if id := createdLinkID(res.Body); id != "" {
		created := l
		created.ID = id
		if answered := answeredRPCURL(res.Body); answered != "" {
			created.RPCURL = answered
		}
		return &created, nil
	}
	found, err := c.FindApplicationLinkByRPCURL(ctx, admin, l.RPCURL)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: Jira answered HTTP %d but its answer names no link id, and looking the link to %s up failed: %w",
			call, res.StatusCode, l.RPCURL, err)
	case found == nil:
		return nil, &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf(
			"Jira answered that it created the link, but its answer names no link id and Jira lists no application link to %s", l.RPCURL)}
	}
	debug(ctx, "application link create answer named no id; found the link by rpc_url", map[string]any{"call": call, "id": found.ID})
	return found, nil
}

// afterLostCreate decides, after a create attempt whose outcome is unknown (cause), whether that
// attempt made the link: the link found by rpcUrl is adopted into *out when it is the lost
// attempt's (findLostLink); none found means the create is sent again; any other link to rpcUrl
// is a conflict naming its id.
func (c *Client) afterLostCreate(ctx context.Context, admin BasicAuth, cause error, l ApplicationLink, out **ApplicationLink) error {
	found, ours, err := c.findLostLink(ctx, admin, l)
	switch {
	case err != nil:
		return httpx.Permanent(fmt.Errorf("%w; looking the link up by rpc_url to learn whether it was created failed too: %w", cause, err))
	case found == nil && IsConflict(cause):
		return httpx.Permanent(fmt.Errorf("%w, yet Jira lists no application link to it", cause))
	case found == nil:
		return httpx.Transient(fmt.Errorf("%w (Jira lists no application link to %s afterwards: nothing was created)", cause, l.RPCURL), 0)
	case !ours:
		return httpx.Permanent(&HTTPError{Call: "create Jira application link", StatusCode: http.StatusConflict, Message: fmt.Sprintf(
			"an application link with rpc_url %q already exists in Jira (id %s) with other settings or an incoming consumer, so it is not the one this create made: import it (terraform import jira_application_link.<name> %s) or remove it",
			l.RPCURL, found.ID, found.ID)})
	}
	debug(ctx, "found the application link an earlier create attempt made", map[string]any{"id": found.ID})
	*out = found
	return nil
}

// linkHolding looks up, best effort and bounded by request_timeout, the link that holds rpcURL
// (for the import command of a 409); nil when the lookup fails or finds none.
func (c *Client) linkHolding(ctx context.Context, admin BasicAuth, rpcURL string) *ApplicationLink {
	if ctx.Err() != nil {
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, c.hc.Settings().RequestTimeout)
	defer cancel()
	found, err := c.FindApplicationLinkByRPCURL(lctx, admin, rpcURL)
	if err != nil || found == nil || !safeLinkID.MatchString(found.ID) {
		return nil // an id that could not be pasted into a command as it is is not offered
	}
	return found
}

// safeLinkID is an application link id that can be shown in an import command: Jira's ids are
// UUIDs (or numbers in old versions).
var safeLinkID = regexp.MustCompile(`^[0-9A-Za-z-]{1,64}$`)

// findLostLink looks up the link to l.RPCURL after a create whose outcome is unknown. ours is
// true when it can only be the one the lost attempt made: the same name, display URL and type
// as sent, and no incoming consumer yet (which a link anyone uses has). found is nil when Jira
// lists no link to that URL.
func (c *Client) findLostLink(ctx context.Context, admin BasicAuth, l ApplicationLink) (found *ApplicationLink, ours bool, err error) {
	found, err = c.FindApplicationLinkByRPCURL(ctx, admin, l.RPCURL)
	if err != nil || found == nil {
		return nil, false, err
	}
	if found.Name != l.Name || (l.DisplayURL != "" && SameLinkURL(found.DisplayURL) != SameLinkURL(l.DisplayURL)) ||
		(found.TypeID != "" && found.TypeID != l.TypeID) {
		return found, false, nil
	}
	switch _, err := c.GetConsumer(ctx, admin, found.ID); {
	case IsNotFound(err):
		return found, true, nil
	case err != nil:
		return nil, false, err
	}
	return found, false, nil
}

// UnconfirmedLinkError is a link create whose outcome was still unknown when the caller's
// context ended. Link is the link found afterwards by rpcUrl that only the create can have made
// (see CreateApplicationLink); nil when none was found, in which case Jira may still create it.
type UnconfirmedLinkError struct {
	RPCURL string
	Link   *ApplicationLink
	Err    error
}

func (e *UnconfirmedLinkError) Error() string {
	if e.Link != nil {
		return fmt.Sprintf("%v; application link %s to %s exists now, so the create most likely took effect", e.Err, e.Link.ID, e.RPCURL)
	}
	return fmt.Sprintf("%v; Jira may still create the link to %s: if it appears, import it (terraform import jira_application_link.<name> <id>) or delete it", e.Err, e.RPCURL)
}

func (e *UnconfirmedLinkError) Unwrap() error { return e.Err }

// unconfirmedLink looks the link up with a context detached from the ended ctx and bounded by
// request_timeout.
func (c *Client) unconfirmedLink(ctx context.Context, admin BasicAuth, err error, l ApplicationLink) error {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.hc.Settings().RequestTimeout)
	defer cancel()
	out := &UnconfirmedLinkError{RPCURL: l.RPCURL, Err: err}
	if found, ours, ferr := c.findLostLink(lctx, admin, l); ferr == nil && ours {
		out.Link = found
	}
	return out
}

// createdLinkID reads the new link's id from a create answer: the link object's "id", or else
// the last path segment of the first resources-created href (…/applicationlink/<id>). "" when
// the answer names none.
// answeredRPCURL is the rpcUrl of a create answer that is the link object ("" for a status
// entity, which names no URL).
func answeredRPCURL(body []byte) string {
	var doc struct {
		RPCURL string `json:"rpcUrl"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	return strings.TrimSpace(doc.RPCURL)
}

func createdLinkID(body []byte) string {
	var doc struct {
		ID      string `json:"id"`
		Created []struct {
			Href string `json:"href"`
		} `json:"resources-created"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	if id := strings.TrimSpace(doc.ID); id != "" {
		return id
	}
	if len(doc.Created) == 0 {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(doc.Created[0].Href))
	if err != nil {
		return ""
	}
	parent, last := path.Split(strings.TrimRight(u.EscapedPath(), "/"))
	if path.Base(parent) != path.Base(pathApplicationLinks) {
		return ""
	}
	id, err := url.PathUnescape(last)
	if err != nil {
		return ""
	}
	return id
}

// decodeOK adapts a decoder of 200 bodies to httpx.Request.Decode; other 2xx statuses are left
// to the caller.
func decodeOK(decode func(body []byte) error) func(*httpx.Response) error {
	return func(res *httpx.Response) error {
		if res.StatusCode != http.StatusOK {
			return nil
		}
		return decode(res.Body)
	}
}

// GetApplicationLink reads one application link. A missing link is an error for which
// IsNotFound is true.
func (c *Client) GetApplicationLink(ctx context.Context, admin BasicAuth, id string) (*ApplicationLink, error) {
	const call = "read Jira application link"
	if id == "" {
		return nil, fmt.Errorf("%s: empty application link id", call)
	}
	var out ApplicationLink
	res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodGet, path: linkPath(id), idempotent: true,
		decode: func(body []byte) error {
			out = ApplicationLink{}
			if err := json.Unmarshal(body, &out); err != nil {
				return fmt.Errorf("%s: Jira answered HTTP 200 with a body that is not an application link: %w", call, err)
			}
			return nil
		}})
	if err != nil {
		return nil, err
	}
	switch res.StatusCode {
	case http.StatusOK:
		switch {
		case out.ID == "":
			out.ID = id
		case !strings.EqualFold(out.ID, id):
			// A misrouting proxy or cache: refuse it, or the state would describe (and later
			// change or delete) a link it never asked for.
			return nil, &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf(
				"Jira answered with application link %q, not %q: the answer is refused, so that nothing is done to a link this configuration did not ask for "+
					"(a proxy or cache in front of Jira may route requests to the wrong object)", redact.Printable(truncate(out.ID, 64), maxAdviceRunes), id)}
		}
		return &out, nil
	case http.StatusNotFound:
		return nil, &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf("application link %q does not exist in Jira", id)}
	}
	return nil, adminStatusError(call, admin, res)
}

// ListApplicationLinks lists every application link in Jira.
func (c *Client) ListApplicationLinks(ctx context.Context, admin BasicAuth) ([]ApplicationLink, error) {
	const call = "list Jira application links"
	var out []ApplicationLink
	res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodGet, path: pathApplicationLinks, idempotent: true,
		decode: func(body []byte) error {
			out = nil
			if err := json.Unmarshal(body, &out); err != nil {
				return fmt.Errorf("%s: Jira answered HTTP 200 with a body that is not a list of application links: %w", call, err)
			}
			return nil
		}})
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, adminStatusError(call, admin, res)
	}
	return out, nil
}

// FindApplicationLinkByRPCURL returns the link whose rpcUrl is rpcURL (scheme and host compared
// case-insensitively, trailing slashes ignored, as Jira refuses a second link to the same URL),
// or nil when Jira has none.
func (c *Client) FindApplicationLinkByRPCURL(ctx context.Context, admin BasicAuth, rpcURL string) (*ApplicationLink, error) {
	links, err := c.ListApplicationLinks(ctx, admin)
	if err != nil {
		return nil, err
	}
	want := SameLinkURL(rpcURL)
	for i := range links {
		if SameLinkURL(links[i].RPCURL) == want {
			return &links[i], nil
		}
	}
	return nil, nil
}

// SameLinkURL is the comparison form of an rpcUrl: scheme and host lower-cased, trailing
// slashes dropped.
func SameLinkURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String()
}

// DeleteApplicationLink deletes an application link, which also removes its consumer and
// invalidates every access token issued to that consumer. A link already gone is success.
func (c *Client) DeleteApplicationLink(ctx context.Context, admin BasicAuth, id string) error {
	const call = "delete Jira application link"
	if id == "" {
		return fmt.Errorf("%s: empty application link id", call)
	}
	return c.adminDelete(ctx, admin, call, linkPath(id))
}

// PutConsumer registers (or replaces) the incoming OAuth consumer of application link linkID. A
// key already used by another link fails with an HTTPError (409); a missing link with one for
// which IsNotFound is true.
func (c *Client) PutConsumer(ctx context.Context, admin BasicAuth, linkID string, cons Consumer) error {
	const call = "register the OAuth consumer of Jira application link"
	if linkID == "" {
		return fmt.Errorf("%s: empty application link id", call)
	}
	if cons.Key == "" || strings.TrimSpace(cons.PublicKey) == "" {
		return fmt.Errorf("%s: consumer key and public key must not be empty", call)
	}
	// Jira takes the SubjectPublicKeyInfo (PEM or bare base64; docs/guides/http-calls.md, "The
	// link's incoming consumer"): a PKCS#1 "RSA PUBLIC KEY" block, which the provider accepts
	// too, is sent re-encoded. A key that does not parse is sent as given, for Jira to refuse
	// with its own message.
	if pub, err := keyutil.ParsePublicKey(cons.PublicKey); err == nil {
		if spki, err := keyutil.PublicKeyPEM(pub); err == nil {
			cons.PublicKey = spki
		}
	}
	res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodPut, path: consumerPath(linkID), body: cons, idempotent: true})
	if err != nil {
		return err
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil // 201 with a status entity or an empty body; any 2xx is success
	}
	switch res.StatusCode {
	case http.StatusConflict:
		return &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf("consumer key %q is already used by another application link: pick another key", cons.Key)}
	case http.StatusNotFound:
		return &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf("application link %q does not exist in Jira", linkID)}
	case http.StatusBadRequest:
		return &HTTPError{Call: call, StatusCode: res.StatusCode, Message: joinMsg(
			"Jira rejected the consumer (check consumer_key and that public_key_pem is an RSA public key)", jiraMessage(res.Header, res.Body))}
	}
	return adminStatusError(call, admin, res)
}

// GetConsumer reads the incoming OAuth consumer of application link linkID. When the link has
// none (or does not exist) the error satisfies IsNotFound.
func (c *Client) GetConsumer(ctx context.Context, admin BasicAuth, linkID string) (*Consumer, error) {
	const call = "read the OAuth consumer of Jira application link"
	if linkID == "" {
		return nil, fmt.Errorf("%s: empty application link id", call)
	}
	var out Consumer
	res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodGet, path: consumerPath(linkID), idempotent: true,
		decode: func(body []byte) error {
			out = Consumer{}
			if err := json.Unmarshal(body, &out); err != nil {
				return fmt.Errorf("%s: Jira answered HTTP 200 with a body that is not a consumer: %w", call, err)
			}
			return nil
		}})
	if err != nil {
		return nil, err
	}
	switch res.StatusCode {
	case http.StatusOK:
		return &out, nil
	case http.StatusNotFound:
		return nil, &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf("application link %q has no incoming OAuth consumer (or does not exist)", linkID)}
	}
	return nil, adminStatusError(call, admin, res)
}

// DeleteConsumer removes the incoming OAuth consumer of application link linkID, which
// invalidates its access tokens. A consumer (or link) already gone is success.
func (c *Client) DeleteConsumer(ctx context.Context, admin BasicAuth, linkID string) error {
	const call = "delete the OAuth consumer of Jira application link"
	if linkID == "" {
		return fmt.Errorf("%s: empty application link id", call)
	}
	return c.adminDelete(ctx, admin, call, consumerPath(linkID))
}

// adminDelete sends an idempotent DELETE as the administrator. Any 2xx (200 with a status
// entity, 204) is success whatever its body; 404 means already gone.
func (c *Client) adminDelete(ctx context.Context, admin BasicAuth, call, p string) error {
	res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodDelete, path: p, idempotent: true})
	if err != nil {
		return err
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 || res.StatusCode == http.StatusNotFound {
		return nil
	}
	return adminStatusError(call, admin, res)
}
