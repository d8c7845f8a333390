package jiraapi

// This file lists every HTTP call the package makes to Jira, so that a reader (or someone
// adapting the client to a real deployment) finds the whole wire surface in one place. Each entry
// is marked as in docs/guides/http-calls.md:
//
//   - [documented]: public Atlassian documentation or RFC 5849 defines it.
//   - [assumed]: no public API exists; the contract defines it, and a real Jira may differ.
//
// Every path is appended to the Jira base URL, which may carry a context path.

import (
	"net/url"
	"strings"
)

const (
	// pathRequestToken: POST, OAuth-signed with the consumer key only and oauth_callback.
	// 200 form: oauth_token, oauth_token_secret, oauth_callback_confirmed=true.
	// [documented] (RFC 5849 §2.1; Jira's OAuth servlet).
	pathRequestToken = "/plugins/servlet/oauth/request-token"

	// pathAuthorize: POST, HTTP Basic as the approving user, X-Atlassian-Token: no-check, form
	// body from approvalForm. 302 to the callback with oauth_token and oauth_verifier (or
	// oauth_problem=permission_denied). [assumed]: the page is documented, its form is not.
	pathAuthorize = "/plugins/servlet/oauth/authorize"

	// pathAccessToken: POST, OAuth-signed with the request token and oauth_verifier.
	// 200 form: oauth_token, oauth_token_secret and optionally oauth_expires_in,
	// oauth_session_handle, oauth_authorization_expires_in. [documented] (RFC 5849 §2.3).
	pathAccessToken = "/plugins/servlet/oauth/access-token"

	// pathMyself: GET, OAuth-signed with the access token. 200 JSON user. [documented].
	pathMyself = "/rest/api/2/myself"

	// pathAccessTokens: POST, OAuth-signed with the access token to revoke,
	// X-Atlassian-Token: no-check, form body from revokeForm. 204.
	// [assumed]: the page is documented, no API is.
	pathAccessTokens = "/plugins/servlet/oauth/users/access-tokens"

	// pathApplicationLinks: PUT creates a link: 201 with a status entity whose first
	// resources-created href ends in the new link's id (or, in some versions, the link object
	// with its "id"); 409 on a duplicate rpcUrl. GET lists every link (200 JSON array of links),
	// which is how a link is found by rpcUrl. GET/DELETE pathApplicationLinks + "/{id}" read
	// (200|404) and delete (200 with a status entity, or 204|404) one.
	// HTTP Basic as a Jira administrator, X-Atlassian-Token: no-check, Accept: application/json
	// (without it the plugin answers XML), JSON bodies; any 2xx is success whatever its body.
	// [assumed].
	pathApplicationLinks = "/rest/applinks/3.0/applicationlink"

	// consumerPath(id): the link's incoming OAuth consumer. PUT (201 with a status entity or an
	// empty body; 409 when the key belongs to another link), GET (200|404), DELETE (200|204).
	// Same authentication as the links. [assumed].
	pathConsumerPrefix = "/rest/applinks-oauth/1.0/applicationlink/"
	pathConsumerSuffix = "/authentication/consumer"
)

const (
	// headerXSRF/xsrfNoCheck disable Jira's XSRF check on non-browser state-changing calls
	// (approval, revoke, every applinks call). [documented] for Jira REST/servlets.
	headerXSRF  = "X-Atlassian-Token"
	xsrfNoCheck = "no-check"

	contentTypeForm = "application/x-www-form-urlencoded"
	contentTypeJSON = "application/json"
)

// linkPath is the path of one application link. [assumed]
func linkPath(id string) string { return pathApplicationLinks + "/" + url.PathEscape(id) }

// consumerPath is the path of the incoming consumer of an application link. [assumed]
func consumerPath(linkID string) string {
	return pathConsumerPrefix + url.PathEscape(linkID) + pathConsumerSuffix
}

// approvalForm is the body of the approval POST: exactly oauth_token=<request token>&approve=Allow.
// [assumed]
func approvalForm(requestToken string) []byte {
	return []byte("oauth_token=" + url.QueryEscape(requestToken) + "&approve=Allow")
}

// revokeForm is the body of the revoke POST: exactly action=revoke (no OAuth parameter is
// repeated in the body). [assumed]
func revokeForm() []byte { return []byte("action=revoke") }

// Names of the parameters read from the approval redirect's Location and from the access-token
// response. [documented] (RFC 5849 §2.2, §2.3; Jira's expiry extensions).
const (
	paramToken                 = "oauth_token"
	paramTokenSecret           = "oauth_token_secret"
	paramVerifier              = "oauth_verifier"
	paramProblem               = "oauth_problem"
	paramProblemAdvice         = "oauth_problem_advice"
	paramExpiresIn             = "oauth_expires_in"
	paramSessionHandle         = "oauth_session_handle"
	paramAuthorizationExpireIn = "oauth_authorization_expires_in"
)

// joinURL appends an endpoint path to the base URL (which has no trailing slash).
func joinURL(base, path string) string {
	return base + "/" + strings.TrimPrefix(path, "/")
}
