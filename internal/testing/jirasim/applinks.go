package jirasim

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// minRSABits is the smallest consumer key the simulator accepts.
const minRSABits = 2048

var (
	errLinkNotFound = errors.New("no such application link")
	errKeyConflict  = errors.New("consumer key is already used by another application link")
)

// admin wraps an application-link handler with the checks of
// docs/guides/http-calls.md ("Application links"): HTTP Basic as a Jira
// administrator (401, 403) and X-Atlassian-Token: no-check (403).
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.basicAuth(w, r, true); !ok {
			return
		}
		if !xsrfOK(r) {
			writeJSONError(w, http.StatusForbidden, "XSRF check failed")
			return
		}
		h(w, r)
	}
}

// answerForms selects, among the answers the plugin may give, the ones the
// simulator gives (Options.LinkObjectOnCreate, EmptyConsumerPut,
// NoContentDeletes).
type answerForms struct {
	linkObject, emptyConsumerPut, noContentDelete bool
}

// linkJSON is the wire form of an application link.
type linkJSON struct {
	XMLName    xml.Name `json:"-" xml:"applicationLink"`
	ID         string   `json:"id" xml:"id"`
	Name       string   `json:"name" xml:"name"`
	RPCURL     string   `json:"rpcUrl" xml:"rpcUrl"`
	DisplayURL string   `json:"displayUrl" xml:"displayUrl"`
	TypeID     string   `json:"typeId" xml:"typeId"`
}

// linkListJSON is the wire form of the list of links: a JSON array, or
// <applicationLinks> in XML.
type linkListJSON struct {
	XMLName xml.Name   `xml:"applicationLinks"`
	Links   []linkJSON `xml:"applicationLink"`
}

// MarshalJSON writes the bare array.
func (l linkListJSON) MarshalJSON() ([]byte, error) {
	if l.Links == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(l.Links)
}

// consumerJSON is the wire form of an incoming consumer.
type consumerJSON struct {
	XMLName      xml.Name `json:"-" xml:"consumer"`
	Key          string   `json:"key" xml:"key"`
	Name         string   `json:"name" xml:"name"`
	Description  string   `json:"description" xml:"description"`
	PublicKey    string   `json:"publicKey" xml:"publicKey"`
	Outgoing     bool     `json:"outgoing" xml:"outgoing"`
	TwoLOAllowed bool     `json:"twoLOAllowed" xml:"twoLOAllowed"`
}

// statusEntity is the plugin's answer to a create, an update or a delete:
// {"status-code":201,"resources-created":[{"href":…,"rel":"self"}]}, or
// <status> in XML.
type statusEntity struct {
	XMLName    xml.Name       `json:"-" xml:"status"`
	Code       int            `json:"status-code" xml:"status-code"`
	Message    string         `json:"message,omitempty" xml:"message,omitempty"`
	Created    []resourceLink `json:"resources-created,omitempty" xml:"-"`
	CreatedXML *createdLinks  `json:"-" xml:"resources-created,omitempty"`
}

// createdLinks is resources-created in XML: <link href="…" rel="…"/> elements.
type createdLinks struct {
	Links []resourceLink `xml:"link"`
}

// createdStatus is the status entity of a create that made the resource at href.
func createdStatus(href string) statusEntity {
	links := []resourceLink{{Href: href, Rel: "self"}}
	return statusEntity{Code: http.StatusCreated, Created: links, CreatedXML: &createdLinks{Links: links}}
}

// resourceLink is one entry of resources-created.
type resourceLink struct {
	Href string `json:"href" xml:"href,attr"`
	Rel  string `json:"rel" xml:"rel,attr"`
}

func (l *link) toJSON() linkJSON {
	return linkJSON{ID: l.id, Name: l.name, RPCURL: l.rpcURL, DisplayURL: l.displayURL, TypeID: l.tp}
}

func consumerToJSON(c Consumer) consumerJSON {
	return consumerJSON{
		Key: c.Key, Name: c.Name, Description: c.Description, PublicKey: c.PublicKey,
		Outgoing: c.Outgoing, TwoLOAllowed: c.TwoLOAllowed,
	}
}

func (c consumerJSON) consumer() Consumer {
	return Consumer{
		Key: c.Key, Name: c.Name, Description: c.Description, PublicKey: c.PublicKey,
		Outgoing: c.Outgoing, TwoLOAllowed: c.TwoLOAllowed,
	}
}

// acceptsJSON reports whether the request's Accept header lists
// application/json (with a non-zero q). The plugin answers XML otherwise.
func acceptsJSON(r *http.Request) bool {
	for _, h := range r.Header.Values("Accept") {
		for _, part := range strings.Split(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || mt != "application/json" {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// answer writes v as the plugin does: JSON when the request accepts it, XML
// otherwise.
func answer(w http.ResponseWriter, r *http.Request, status int, v any) {
	if acceptsJSON(r) {
		writeJSON(w, status, v)
		return
	}
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "cannot encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(b)
}

// answerError writes an application-link API error: {"status":…,"message":…}
// in JSON, a <status> entity with status-code and message in XML.
func answerError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if acceptsJSON(r) {
		writeJSONError(w, status, msg)
		return
	}
	answer(w, r, status, statusEntity{Code: status, Message: msg})
}

// decodeJSONBody decodes a single JSON object from the request body, which
// must be sent as application/json. It writes the error and returns false on
// failure.
func decodeJSONBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if mediaType(r) != "application/json" {
		answerError(w, r, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(requestBody(r)))
	if err := dec.Decode(v); err != nil {
		answerError(w, r, http.StatusBadRequest, "malformed JSON body: "+err.Error())
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		answerError(w, r, http.StatusBadRequest, "malformed JSON body: trailing data after the object")
		return false
	}
	return true
}

// handleCreateLink serves PUT {jira}/rest/applinks/3.0/applicationlink: 201
// with a status entity whose resources-created names the new link (or, with
// Options.LinkObjectOnCreate, the link object).
func (s *Server) handleCreateLink(w http.ResponseWriter, r *http.Request) {
	var in linkJSON
	if !decodeJSONBody(w, r, &in) {
		return
	}
	switch {
	case strings.TrimSpace(in.Name) == "":
		answerError(w, r, http.StatusBadRequest, "name is required")
		return
	case !validLinkURL(in.RPCURL):
		answerError(w, r, http.StatusBadRequest, "rpcUrl must be an absolute http or https URL")
		return
	case !validLinkURL(in.DisplayURL):
		answerError(w, r, http.StatusBadRequest, "displayUrl must be an absolute http or https URL")
		return
	case in.TypeID != "generic":
		answerError(w, r, http.StatusBadRequest, `typeId must be "generic"`)
		return
	}
	norm := normalizeLinkURL(in.RPCURL)
	s.mu.Lock()
	for _, l := range s.links {
		if normalizeLinkURL(l.rpcURL) == norm {
			s.mu.Unlock()
			answerError(w, r, http.StatusConflict, "an application link with rpcUrl "+in.RPCURL+" already exists")
			return
		}
	}
	s.linkSeq++
	l := &link{
		seq: s.linkSeq, id: newUUID(), name: in.Name,
		rpcURL: in.RPCURL, displayURL: in.DisplayURL, tp: in.TypeID,
	}
	s.links[l.id] = l
	out := l.toJSON()
	s.mu.Unlock()
	self := s.baseURL(r) + pathLinks + "/" + l.id
	w.Header().Set("Location", self)
	if s.answers.linkObject {
		answer(w, r, http.StatusCreated, out)
		return
	}
	answer(w, r, http.StatusCreated, createdStatus(self))
}

func validLinkURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// normalizeLinkURL is the comparison form of an rpcUrl: scheme and host
// lower-cased, trailing slashes dropped.
func normalizeLinkURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String()
}

// handleListLinks serves GET {jira}/rest/applinks/3.0/applicationlink: every link, oldest first.
func (s *Server) handleListLinks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ls := make([]*link, 0, len(s.links))
	for _, l := range s.links {
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].seq < ls[j].seq })
	out := linkListJSON{Links: make([]linkJSON, 0, len(ls))}
	for _, l := range ls {
		out.Links = append(out.Links, l.toJSON())
	}
	s.mu.Unlock()
	answer(w, r, http.StatusOK, out)
}

// handleGetLink serves GET {jira}/rest/applinks/3.0/applicationlink/{id}.
func (s *Server) handleGetLink(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	l := s.links[r.PathValue("id")]
	var out linkJSON
	if l != nil {
		out = l.toJSON()
	}
	s.mu.Unlock()
	if l == nil {
		answerError(w, r, http.StatusNotFound, "no application link with id "+r.PathValue("id"))
		return
	}
	answer(w, r, http.StatusOK, out)
}

// handleDeleteLink serves DELETE {jira}/rest/applinks/3.0/applicationlink/{id}:
// 200 with a status entity (204 with Options.NoContentDeletes).
func (s *Server) handleDeleteLink(w http.ResponseWriter, r *http.Request) {
	if !s.DeleteLink(r.PathValue("id")) {
		answerError(w, r, http.StatusNotFound, "no application link with id "+r.PathValue("id"))
		return
	}
	s.answerDeleted(w, r)
}

// answerDeleted answers a successful delete.
func (s *Server) answerDeleted(w http.ResponseWriter, r *http.Request) {
	if s.answers.noContentDelete {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	answer(w, r, http.StatusOK, statusEntity{Code: http.StatusOK})
}

// handlePutConsumer serves PUT {jira}/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer:
// 201 with a status entity (an empty body with Options.EmptyConsumerPut).
func (s *Server) handlePutConsumer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	exists := s.links[id] != nil
	s.mu.Unlock()
	if !exists {
		answerError(w, r, http.StatusNotFound, "no application link with id "+id)
		return
	}
	var in consumerJSON
	if !decodeJSONBody(w, r, &in) {
		return
	}
	cs, err := newConsumerState(in.consumer())
	if err != nil {
		answerError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	err = s.setConsumerLocked(id, cs)
	s.mu.Unlock()
	switch {
	case errors.Is(err, errLinkNotFound):
		answerError(w, r, http.StatusNotFound, "no application link with id "+id)
	case errors.Is(err, errKeyConflict):
		answerError(w, r, http.StatusConflict, "consumer key "+cs.Key+" is already used by another application link")
	case err != nil:
		answerError(w, r, http.StatusInternalServerError, err.Error())
	case s.answers.emptyConsumerPut:
		w.WriteHeader(http.StatusCreated)
	default:
		self := s.baseURL(r) + strings.Replace(pathConsumer, "{id}", url.PathEscape(id), 1)
		answer(w, r, http.StatusCreated, createdStatus(self))
	}
}

// handleGetConsumer serves GET …/applicationlink/{id}/authentication/consumer.
func (s *Server) handleGetConsumer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	l := s.links[id]
	var c *Consumer
	if l != nil && l.consumer != nil {
		cc := l.consumer.Consumer
		c = &cc
	}
	s.mu.Unlock()
	switch {
	case l == nil:
		answerError(w, r, http.StatusNotFound, "no application link with id "+id)
	case c == nil:
		answerError(w, r, http.StatusNotFound, "application link "+id+" has no incoming consumer")
	default:
		answer(w, r, http.StatusOK, consumerToJSON(*c))
	}
}

// handleDeleteConsumer serves DELETE …/applicationlink/{id}/authentication/consumer:
// 200 with a status entity (204 with Options.NoContentDeletes).
func (s *Server) handleDeleteConsumer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	l := s.links[id]
	had := l != nil && l.consumer != nil
	if had {
		_ = s.setConsumerLocked(id, nil) // cannot fail: the link exists and nil never conflicts
	}
	s.mu.Unlock()
	switch {
	case l == nil:
		answerError(w, r, http.StatusNotFound, "no application link with id "+id)
	case !had:
		answerError(w, r, http.StatusNotFound, "application link "+id+" has no incoming consumer")
	default:
		s.answerDeleted(w, r)
	}
}

// newConsumerState validates a consumer: key 1–100 ASCII letters or digits,
// a non-empty name, and an RSA public key of at least 2048 bits given as a
// PEM "PUBLIC KEY" block or bare base64 of the DER SubjectPublicKeyInfo. The
// stored PublicKey is bare base64 DER.
func newConsumerState(c Consumer) (*consumerState, error) {
	if err := validConsumerKey(c.Key); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.Name) == "" {
		return nil, errors.New("name is required")
	}
	pub, der, err := parseConsumerPublicKey(c.PublicKey)
	if err != nil {
		return nil, err
	}
	c.PublicKey = base64.StdEncoding.EncodeToString(der)
	return &consumerState{Consumer: c, pub: pub}, nil
}

func validConsumerKey(k string) error {
	if k == "" || len(k) > 100 {
		return errors.New("key must be 1 to 100 characters")
	}
	for i := 0; i < len(k); i++ {
		if !isASCIIAlnum(k[i]) {
			return errors.New("key must contain only letters and digits")
		}
	}
	return nil
}

func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// parseConsumerPublicKey accepts a PEM "PUBLIC KEY" block or the bare
// base64 (whitespace ignored) of a DER SubjectPublicKeyInfo, holding an RSA
// key of at least minRSABits bits. It returns the key and its DER.
func parseConsumerPublicKey(s string) (*rsa.PublicKey, []byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil, errors.New("publicKey is required")
	}
	var der []byte
	if strings.HasPrefix(s, "-----BEGIN") {
		block, rest := pem.Decode([]byte(s))
		if block == nil {
			return nil, nil, errors.New("publicKey is not a valid PEM block")
		}
		if block.Type != "PUBLIC KEY" {
			return nil, nil, fmt.Errorf("publicKey PEM block is %q; expected \"PUBLIC KEY\" (SubjectPublicKeyInfo)", block.Type)
		}
		if len(bytes.TrimSpace(rest)) != 0 {
			return nil, nil, errors.New("publicKey has data after the PEM block")
		}
		der = block.Bytes
	} else {
		compact := strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)
		var err error
		der, err = base64.StdEncoding.DecodeString(compact)
		if err != nil {
			return nil, nil, errors.New("publicKey is neither a PEM PUBLIC KEY block nor base64 DER")
		}
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, nil, fmt.Errorf("publicKey is not a DER SubjectPublicKeyInfo: %w", err)
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, nil, fmt.Errorf("publicKey is a %T; an RSA key is required", key)
	}
	if pub.N.BitLen() < minRSABits {
		return nil, nil, fmt.Errorf("publicKey is a %d-bit RSA key; at least %d bits are required", pub.N.BitLen(), minRSABits)
	}
	return pub, der, nil
}

// setConsumerLocked sets (cs != nil) or removes (cs == nil) the incoming
// consumer of link id. Removing the consumer, or replacing it by one with
// another consumer key, invalidates every token of the old consumer. Replacing
// only its public key (or name, description, flags) keeps the tokens: they
// stay live, but from now on only a request signed with the new key's private
// half can use or revoke them (the old one gets signature_invalid). s.mu must
// be held.
func (s *Server) setConsumerLocked(id string, cs *consumerState) error {
	l := s.links[id]
	if l == nil {
		return errLinkNotFound
	}
	if cs != nil {
		if other := s.byKey[cs.Key]; other != nil && other != l {
			return errKeyConflict
		}
	}
	if old := l.consumer; old != nil {
		if cs == nil || old.Key != cs.Key {
			s.invalidateConsumerLocked(old.Key)
		}
		delete(s.byKey, old.Key)
	}
	l.consumer = cs
	if cs != nil {
		s.byKey[cs.Key] = l
	}
	return nil
}

// invalidateConsumerLocked forgets every request and access token issued to
// a consumer key. s.mu must be held.
func (s *Server) invalidateConsumerLocked(key string) {
	for t, at := range s.accTokens {
		if at.consumerKey == key {
			delete(s.accTokens, t)
		}
	}
	for t, rt := range s.reqTokens {
		if rt.consumerKey == key {
			delete(s.reqTokens, t)
		}
	}
}
