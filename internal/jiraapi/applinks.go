package jiraapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jira-align-tf/terraform-provider-jira/internal/httpx"
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
// The create is not idempotent: after a failure whose outcome is unknown it is sent once more,
// and a 409 then says that the earlier attempt may have created the link.
func (c *Client) CreateApplicationLink(ctx context.Context, admin BasicAuth, l ApplicationLink) (*ApplicationLink, error) {
	const call = "create Jira application link"
	l.ID = ""
	if l.TypeID == "" {
		l.TypeID = DefaultLinkType
	}
	if strings.TrimSpace(l.Name) == "" || strings.TrimSpace(l.RPCURL) == "" {
		return nil, fmt.Errorf("%s: name and rpc_url must not be empty", call)
	}
	ambiguous := false
	for {
		res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodPut, path: pathApplicationLinks, body: l})
		var amb *httpx.AmbiguousError
		if errors.As(err, &amb) && !ambiguous {
			debug(ctx, "application link create outcome unknown; sending it again", map[string]any{"call": call})
			ambiguous = true
			continue
		}
		if err != nil {
			return nil, err
		}
		switch res.StatusCode {
		case http.StatusCreated, http.StatusOK:
			var out ApplicationLink
			if err := json.Unmarshal(res.Body, &out); err != nil {
				return nil, fmt.Errorf("%s: Jira answered HTTP %d with a body that is not an application link: %w", call, res.StatusCode, err)
			}
			if out.ID == "" {
				return nil, fmt.Errorf("%s: Jira answered HTTP %d without an application link id", call, res.StatusCode)
			}
			return &out, nil
		case http.StatusConflict:
			msg := fmt.Sprintf("an application link with rpc_url %q already exists in Jira: import it (terraform import jira_application_link.<name> <id>) or remove it", l.RPCURL)
			if ambiguous {
				msg += " (an earlier attempt whose response was lost may have created it)"
			}
			return nil, &HTTPError{Call: call, StatusCode: res.StatusCode, Message: msg}
		}
		return nil, adminStatusError(call, admin, res)
	}
}

// GetApplicationLink reads one application link. A missing link is an error for which
// IsNotFound is true.
func (c *Client) GetApplicationLink(ctx context.Context, admin BasicAuth, id string) (*ApplicationLink, error) {
	const call = "read Jira application link"
	if id == "" {
		return nil, fmt.Errorf("%s: empty application link id", call)
	}
	res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodGet, path: linkPath(id), idempotent: true})
	if err != nil {
		return nil, err
	}
	switch res.StatusCode {
	case http.StatusOK:
		var out ApplicationLink
		if err := json.Unmarshal(res.Body, &out); err != nil {
			return nil, fmt.Errorf("%s: Jira answered HTTP 200 with a body that is not an application link: %w", call, err)
		}
		if out.ID == "" {
			out.ID = id
		}
		return &out, nil
	case http.StatusNotFound:
		return nil, &HTTPError{Call: call, StatusCode: res.StatusCode, Message: fmt.Sprintf("application link %q does not exist in Jira", id)}
	}
	return nil, adminStatusError(call, admin, res)
}

// DeleteApplicationLink deletes an application link, which also removes its consumer and
// invalidates every access token issued to that consumer. A link already gone is success.
func (c *Client) DeleteApplicationLink(ctx context.Context, admin BasicAuth, id string) error {
	const call = "delete Jira application link"
	if id == "" {
		return fmt.Errorf("%s: empty application link id", call)
	}
	res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodDelete, path: linkPath(id), idempotent: true})
	if err != nil {
		return err
	}
	switch res.StatusCode {
	case http.StatusNoContent, http.StatusOK, http.StatusNotFound:
		return nil
	}
	return adminStatusError(call, admin, res)
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
	res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodGet, path: consumerPath(linkID), idempotent: true})
	if err != nil {
		return nil, err
	}
	switch res.StatusCode {
	case http.StatusOK:
		var out Consumer
		if err := json.Unmarshal(res.Body, &out); err != nil {
			return nil, fmt.Errorf("%s: Jira answered HTTP 200 with a body that is not a consumer: %w", call, err)
		}
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
	res, err := c.adminDo(ctx, admin, adminCall{call: call, method: http.MethodDelete, path: consumerPath(linkID), idempotent: true})
	if err != nil {
		return err
	}
	switch res.StatusCode {
	case http.StatusNoContent, http.StatusOK, http.StatusNotFound:
		return nil
	}
	return adminStatusError(call, admin, res)
}
