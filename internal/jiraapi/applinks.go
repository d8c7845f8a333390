package jiraapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
	"github.com/jira-align-tf/terraform-provider-jira/internal/keyutil"
)

// DefaultLinkType is the application type used when ApplicationLink.TypeID is empty.
const DefaultLinkType = "generic"

// ApplicationLink is a Jira application link (CONTRACT §4).
type ApplicationLink struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name"`
	RPCURL     string `json:"rpcUrl"`
	DisplayURL string `json:"displayUrl"`
	TypeID     string `json:"typeId"`
}

// Consumer is the incoming OAuth consumer of an application link (CONTRACT §4). PublicKey is a
// PEM "PUBLIC KEY" block or bare base64 of the DER SubjectPublicKeyInfo; Jira returns the latter.
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
	res, err := c.hc.Do(ctx, httpx.Request{
		Method: a.method, URL: c.url(a.path), Header: h, Body: body,
		Idempotent: a.idempotent, Describe: a.call,
	})
	if err != nil {
		var amb *httpx.AmbiguousError
		if errors.As(err, &amb) {
			return nil, err // sent without an answer, even if ctx ended: the caller must know
		}
		return nil, transportError(ctx, a.call, err)
	}
	debug(ctx, "applinks call", map[string]any{"call": a.call, "status": res.StatusCode, "attempts": res.Attempts})
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
// TypeID defaults to "generic"; l.ID is ignored. A link with the same RPCURL already in Jira
// fails with an HTTPError (409) that says how to import it.
//
// The create is not idempotent, but it is safe to repeat: Jira refuses a second link with the
// same rpcUrl (409), so a repeat can never make a duplicate. After a failure whose outcome is
// unknown (the connection failed after sending, a 500, 502 or 504) it is sent again within the
// retry budget. A 409 after such a failure, or a 2xx whose body is unreadable, means the link
// exists but its id is unknown: the contract has no call to look a link up by rpcUrl, so the
// error tells the user where to find it.
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
				debug(ctx, "application link create outcome unknown; sending it again", map[string]any{"call": call})
				ambiguous = true
				return httpx.Transient(err, 0)
			case errors.As(err, &amb):
				// Time is up (a timeout, an interrupt) after the request was sent: Jira may
				// still create the link.
				return httpx.Permanent(fmt.Errorf("%w; Jira may have created the link anyway, and if so %s", err, linkIDUnknown(l.RPCURL)))
			}
			return httpx.Permanent(err)
		}
		switch res.StatusCode {
		case http.StatusCreated, http.StatusOK:
			var created ApplicationLink
			if err := json.Unmarshal(res.Body, &created); err != nil || created.ID == "" {
				why := "has no application link id"
				if err != nil {
					why = "is not an application link (" + err.Error() + ")"
				}
				return httpx.Permanent(&HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf(
					"Jira created the link, but its answer %s, so %s", why, linkIDUnknown(l.RPCURL))})
			}
			out = &created
			return nil
		case http.StatusConflict:
			msg := fmt.Sprintf("an application link with rpc_url %q already exists in Jira: import it (terraform import jira_application_link.<name> <id>) or remove it", l.RPCURL)
			if !ambiguous {
				if found := c.linkHolding(ctx, admin, l.RPCURL); found != nil {
					msg = fmt.Sprintf("application link %s (%q) already has rpc_url %q in Jira: import it (terraform import jira_application_link.<name> %s) or remove it",
						found.ID, sanitizeText(found.Name), l.RPCURL, found.ID)
				}
			}
			if ambiguous {
				msg = fmt.Sprintf("an application link with rpc_url %q already exists in Jira: an earlier attempt whose answer was lost may have created it, and %s",
					l.RPCURL, linkIDUnknown(l.RPCURL))
			}
			return httpx.Permanent(&HTTPError{Call: call, StatusCode: res.StatusCode, Message: msg})
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
			// Jira (or a proxy) may or may not have created the link: send it again.
			ambiguous = true
			return httpx.Transient(unexpectedStatus(call, res.StatusCode, res.Header, res.Body), 0)
		}
		return httpx.Permanent(adminStatusError(call, admin, res))
	})
	if err != nil {
		var exhausted *httpx.RetriesExhaustedError
		if ambiguous && errors.As(err, &exhausted) {
			return nil, fmt.Errorf("%w; the last attempt may have reached Jira and created the link, and if so %s", err, linkIDUnknown(l.RPCURL))
		}
		return nil, err
	}
	return out, nil
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

// linkIDUnknown says how to find a link whose id the provider could not learn.
func linkIDUnknown(rpcURL string) string {
	return fmt.Sprintf("its id is unknown (the API has no call to look a link up by rpc_url): find the link to %s in Jira under "+
		"Administration > Applications > Application links, then import it (terraform import jira_application_link.<name> <id>) or delete it", rpcURL)
}

// decodeError is a 2xx answer whose body could not be decoded: usually a transfer cut short or
// mangled on the way. Idempotent reads try again (readRetrying).
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// readRetrying runs an idempotent read; a *decodeError is tried again within the retry budget,
// any other failure is final.
func (c *Client) readRetrying(ctx context.Context, call string, read func(ctx context.Context) error) error {
	return c.hc.Retry(ctx, call, func(ctx context.Context, _ int) error {
		err := read(ctx)
		var de *decodeError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &de) && ctx.Err() == nil:
			return httpx.Transient(err, 0)
		}
		return httpx.Permanent(err)
	})
}

// GetApplicationLink reads one application link. A missing link is an error for which
// IsNotFound is true.
func (c *Client) GetApplicationLink(ctx context.Context, admin BasicAuth, id string) (*ApplicationLink, error) {
	const call = "read Jira application link"
	if id == "" {
		return nil, fmt.Errorf("%s: empty application link id", call)
	}
	var out ApplicationLink
	err := c.readRetrying(ctx, call, func(ctx context.Context) error {
		res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodGet, path: linkPath(id), idempotent: true})
		if err != nil {
			return err
		}
		switch res.StatusCode {
		case http.StatusOK:
			if err := json.Unmarshal(res.Body, &out); err != nil {
				return &decodeError{fmt.Errorf("%s: Jira answered HTTP 200 with a body that is not an application link: %w", call, err)}
			}
			switch {
			case out.ID == "":
				out.ID = id
			case !strings.EqualFold(out.ID, id):
				// A misrouting proxy or cache: refuse it, or the state would describe (and
				// later change or delete) a link it never asked for.
				return &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf(
					"Jira answered with application link %q, not %q: the answer is refused, so that nothing is done to a link this configuration did not ask for "+
						"(a proxy or cache in front of Jira may route requests to the wrong object)", sanitizeText(truncate(out.ID, 64)), id)}
			}
			return nil
		case http.StatusNotFound:
			return &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf("application link %q does not exist in Jira", id)}
		}
		return adminStatusError(call, admin, res)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListApplicationLinks lists every application link in Jira.
func (c *Client) ListApplicationLinks(ctx context.Context, admin BasicAuth) ([]ApplicationLink, error) {
	const call = "list Jira application links"
	var out []ApplicationLink
	err := c.readRetrying(ctx, call, func(ctx context.Context) error {
		res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodGet, path: pathApplicationLinks, idempotent: true})
		if err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK {
			return adminStatusError(call, admin, res)
		}
		out = nil
		if err := json.Unmarshal(res.Body, &out); err != nil {
			return &decodeError{fmt.Errorf("%s: Jira answered HTTP 200 with a body that is not a list of application links: %w", call, err)}
		}
		return nil
	})
	if err != nil {
		return nil, err
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
	// CONTRACT §4 takes the SubjectPublicKeyInfo (PEM or bare base64): a PKCS#1 "RSA PUBLIC KEY"
	// block, which the provider accepts too, is sent re-encoded. A key that does not parse is
	// sent as given, for Jira to refuse with its own message.
	if pub, err := keyutil.ParsePublicKey(cons.PublicKey); err == nil {
		if spki, err := keyutil.PublicKeyPEM(pub); err == nil {
			cons.PublicKey = spki
		}
	}
	res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodPut, path: consumerPath(linkID), body: cons, idempotent: true})
	if err != nil {
		return err
	}
	switch res.StatusCode {
	case http.StatusCreated, http.StatusOK, http.StatusNoContent:
		return nil
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
	err := c.readRetrying(ctx, call, func(ctx context.Context) error {
		res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodGet, path: consumerPath(linkID), idempotent: true})
		if err != nil {
			return err
		}
		switch res.StatusCode {
		case http.StatusOK:
			if err := json.Unmarshal(res.Body, &out); err != nil {
				return &decodeError{fmt.Errorf("%s: Jira answered HTTP 200 with a body that is not a consumer: %w", call, err)}
			}
			return nil
		case http.StatusNotFound:
			return &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf("application link %q has no incoming OAuth consumer (or does not exist)", linkID)}
		}
		return adminStatusError(call, admin, res)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
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

// adminDelete sends an idempotent DELETE as the administrator; 404 means already gone.
func (c *Client) adminDelete(ctx context.Context, admin BasicAuth, call, path string) error {
	res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodDelete, path: path, idempotent: true})
	if err != nil {
		return err
	}
	switch res.StatusCode {
	case http.StatusNoContent, http.StatusOK, http.StatusNotFound:
		return nil
	}
	return adminStatusError(call, admin, res)
}
