package acctest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// StateResource is one resource instance of a raw Terraform/OpenTofu state file.
type StateResource struct {
	Type, Name string
	IndexKey   any
	Attributes map[string]any
}

// Attr returns a string attribute ("" when absent or not a string).
func (r StateResource) Attr(name string) string {
	s, _ := r.Attributes[name].(string)
	return s
}

// StateFile finds the local state file of a test whose TestCase.WorkingDir is workingDir:
// terraform-plugin-testing runs the CLI in a "work*" directory below it. It returns "" when no
// apply has written a state yet.
func StateFile(workingDir string) (string, error) {
	matches, err := filepath.Glob(filepath.Join(workingDir, "work*", "terraform.tfstate"))
	if err != nil {
		return "", err
	}
	switch len(matches) {
	case 0:
		return "", nil
	case 1:
		return matches[0], nil
	}
	return "", fmt.Errorf("more than one state file under %s: %v", workingDir, matches)
}

// ReadState reads the raw state of a test's working directory (see StateFile): the bytes as
// written by the CLI and every managed resource instance. No state file yet is an empty state.
// It reads the file directly, so it works after a failed step too, where
// terraform-plugin-testing runs no Check.
func ReadState(workingDir string) ([]byte, []StateResource, error) {
	path, err := StateFile(workingDir)
	if err != nil || path == "" {
		return nil, nil, err
	}
	return ReadStateFile(path)
}

// ReadStateFile reads a raw state file as ReadState does; a missing or empty file is an empty
// state.
func ReadStateFile(path string) ([]byte, []StateResource, error) {
	raw, err := os.ReadFile(path) //nolint:gosec // a test's own state file
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		// OpenTofu killed before it first saved the state leaves the file empty: no state.
		return raw, nil, nil
	}
	var doc struct {
		Version   int `json:"version"`
		Resources []struct {
			Mode      string `json:"mode"`
			Type      string `json:"type"`
			Name      string `json:"name"`
			Instances []struct {
				IndexKey   any            `json:"index_key"`
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return raw, nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	if doc.Version != 4 {
		return raw, nil, fmt.Errorf("%s: state format version %d, want 4", path, doc.Version)
	}
	var out []StateResource
	for _, r := range doc.Resources {
		if r.Mode != "managed" {
			continue
		}
		for _, in := range r.Instances {
			out = append(out, StateResource{Type: r.Type, Name: r.Name, IndexKey: in.IndexKey, Attributes: in.Attributes})
		}
	}
	return raw, out, nil
}

// Tracked is what a state tracks on each simulator, and what the simulators hold.
type Tracked struct {
	Connectors []string // Jira Align connector ids
	Links      []string // Jira application link ids
	Tokens     []string // live Jira access tokens
}

// TrackedBy returns the connector ids, link ids and access tokens the state's resources name.
func TrackedBy(res []StateResource) Tracked {
	var t Tracked
	for _, r := range res {
		switch r.Type {
		case "jira_align_connector":
			t.Connectors = append(t.Connectors, r.Attr("id"))
		case "jira_application_link":
			t.Links = append(t.Links, r.Attr("id"))
		case "jira_align_access_token":
			t.Tokens = append(t.Tokens, r.Attr("token"))
		}
	}
	t.sort()
	return t
}

// Held returns what the simulators hold: every connector, every link, every live token.
func (e *Env) Held() Tracked {
	var t Tracked
	for _, c := range e.Align.Connectors() {
		t.Connectors = append(t.Connectors, fmt.Sprint(c.ID))
	}
	for _, l := range e.Jira.Links() {
		t.Links = append(t.Links, l.ID)
	}
	for _, tok := range e.Jira.LiveTokens() {
		t.Tokens = append(t.Tokens, tok.Token)
	}
	t.sort()
	return t
}

func (t *Tracked) sort() {
	sort.Strings(t.Connectors)
	sort.Strings(t.Links)
	sort.Strings(t.Tokens)
}

// Mismatch compares what the simulators hold with what a state tracks. Orphans are held but not
// tracked (left behind: the harm this check exists for); dangling entries are tracked but not
// held. Values are listed for connectors and links; tokens are secrets and only counted.
type Mismatch struct {
	OrphanConnectors, OrphanLinks     []string
	OrphanTokens                      []string // the token values, for the caller to act on; never print them
	DanglingConnectors, DanglingLinks []string
	DanglingTokens                    int
}

// Compare returns how held differs from tracked.
func Compare(held, tracked Tracked) Mismatch {
	var m Mismatch
	m.OrphanConnectors, m.DanglingConnectors = diff(held.Connectors, tracked.Connectors)
	m.OrphanLinks, m.DanglingLinks = diff(held.Links, tracked.Links)
	var dangling []string
	m.OrphanTokens, dangling = diff(held.Tokens, tracked.Tokens)
	m.DanglingTokens = len(dangling)
	return m
}

// Orphans counts the objects held but not tracked.
func (m Mismatch) Orphans() int {
	return len(m.OrphanConnectors) + len(m.OrphanLinks) + len(m.OrphanTokens)
}

// Empty reports whether held and tracked are the same.
func (m Mismatch) Empty() bool {
	return m.Orphans() == 0 && len(m.DanglingConnectors) == 0 && len(m.DanglingLinks) == 0 && m.DanglingTokens == 0
}

// String describes the mismatch without any token value.
func (m Mismatch) String() string {
	return fmt.Sprintf("orphan connectors %v, orphan links %v, orphan live tokens %d; dangling state entries: connectors %v, links %v, tokens %d",
		m.OrphanConnectors, m.OrphanLinks, len(m.OrphanTokens), m.DanglingConnectors, m.DanglingLinks, m.DanglingTokens)
}

// diff returns the elements only in a, and those only in b (both sorted, with multiplicity).
func diff(a, b []string) (onlyA, onlyB []string) {
	count := map[string]int{}
	for _, x := range a {
		count[x]++
	}
	for _, x := range b {
		count[x]--
	}
	for _, x := range a {
		if count[x] > 0 {
			onlyA = append(onlyA, x)
			count[x]--
		}
	}
	for _, x := range b {
		if count[x] < 0 {
			onlyB = append(onlyB, x)
			count[x]++
		}
	}
	return onlyA, onlyB
}
