package alignapi

// This file holds every path, verb and wire convention of the Jira Align connector API, so a
// reader finds every call in one place. The whole API is [assumed] (docs/guides/http-calls.md,
// "Jira Align connectors"): no public API exists, the project defines it after the documented
// REST API 2.0 conventions. To adapt the provider to a real deployment, change this file only.

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const (
	// apiPath is appended to {align}.
	apiPath = "/rest/align/api/2"
	// connectorsPath is the connector collection, under apiPath.
	connectorsPath = "/Connectors"
	// pageSize is the $top of every list call: the documented maximum page size.
	pageSize = 100
	// authScheme prefixes the API token in the Authorization header [documented].
	authScheme = "bearer "
	// jsonMediaType is sent as Accept, and as Content-Type on bodies.
	jsonMediaType = "application/json"
)

// Call names: they prefix errors and APIError.Call. The 409 hint keys on the create and update
// names.
const (
	callList   = "list connectors"
	callCreate = "create connector"
	callGet    = "get connector"
	callUpdate = "update connector"
	callDelete = "delete connector"
)

// endpoint is one wire call: verb, path and query below {align}, how to name it, and whether
// httpx may retry it freely.
type endpoint struct {
	method     string
	path       string // below {align}, starting with apiPath
	rawQuery   string // already escaped
	call       string
	id         int // 0 when the call names no connector
	idempotent bool
}

// listConnectorsEndpoint is GET /Connectors?$top=&$skip=[&$filter=name eq '…'].
func listConnectorsEndpoint(top, skip int, name string) endpoint {
	q := "$top=" + strconv.Itoa(top) + "&$skip=" + strconv.Itoa(skip)
	if name != "" {
		q += "&$filter=" + queryEscape(nameFilter(name))
	}
	return endpoint{method: http.MethodGet, path: apiPath + connectorsPath, rawQuery: q, call: callList, idempotent: true}
}

// createConnectorEndpoint is POST /Connectors → 201 + connector. It is not idempotent.
func createConnectorEndpoint() endpoint {
	return endpoint{method: http.MethodPost, path: apiPath + connectorsPath, call: callCreate}
}

// getConnectorEndpoint is GET /Connectors/{id} → 200 | 404.
func getConnectorEndpoint(id int) endpoint {
	return endpoint{method: http.MethodGet, path: connectorPath(id), call: callGet + " " + strconv.Itoa(id), id: id, idempotent: true}
}

// updateConnectorEndpoint is PUT /Connectors/{id} → 200 + connector.
func updateConnectorEndpoint(id int) endpoint {
	return endpoint{method: http.MethodPut, path: connectorPath(id), call: callUpdate + " " + strconv.Itoa(id), id: id, idempotent: true}
}

// deleteConnectorEndpoint is DELETE /Connectors/{id} → 204 | 404.
func deleteConnectorEndpoint(id int) endpoint {
	return endpoint{method: http.MethodDelete, path: connectorPath(id), call: callDelete + " " + strconv.Itoa(id), id: id, idempotent: true}
}

func connectorPath(id int) string {
	return apiPath + connectorsPath + "/" + strconv.Itoa(id)
}

// nameFilter is the OData filter for an exact name: a quote inside the literal is doubled.
func nameFilter(name string) string {
	return "name eq '" + strings.ReplaceAll(name, "'", "''") + "'"
}

// queryEscape escapes a query value, spaces as %20 (not '+', which some OData servers keep
// literally). QueryEscape already escapes a literal '+' as %2B, so the replacement is safe.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// authHeaders are the headers of every call.
func authHeaders(token string, hasBody bool) http.Header {
	h := http.Header{}
	h.Set("Authorization", authScheme+token)
	h.Set("Accept", jsonMediaType)
	if hasBody {
		h.Set("Content-Type", jsonMediaType)
	}
	return h
}
