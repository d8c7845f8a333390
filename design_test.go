package main

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/jira-align-tf/terraform-provider-jira"

// allowedImports is DESIGN.md's table: the module's packages each product package may import.
var allowedImports = map[string][]string{
	".":                   {"internal/lifeline", "internal/provider", "internal/quietlog"},
	"internal/provider":   {"internal/alignapi", "internal/httpx", "internal/jiraapi", "internal/keyutil", "internal/lifeline", "internal/modelcmp", "internal/redact", "internal/validators"},
	"internal/alignapi":   {"internal/httpx", "internal/redact"},
	"internal/jiraapi":    {"internal/httpx", "internal/keyutil", "internal/redact"},
	"internal/validators": {"internal/keyutil"},
	"internal/httpx":      nil,
	"internal/redact":     nil,
	"internal/keyutil":    nil,
	"internal/lifeline":   nil,
	"internal/modelcmp":   nil,
	"internal/quietlog":   nil,
}

// TestDesignImports holds the code to DESIGN.md: the binary's import closure is exactly the
// product packages, none under internal/testing, and each imports only what the table allows.
func TestDesignImports(t *testing.T) {
	seen := map[string]bool{}
	var walk func(rel string)
	walk = func(rel string) {
		if seen[rel] {
			return
		}
		seen[rel] = true
		pkg, err := build.Default.ImportDir(filepath.FromSlash(rel), 0)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		allowed, listed := allowedImports[rel]
		if !listed {
			t.Errorf("the binary imports %s, which DESIGN.md does not list as a product package", rel)
		}
		for _, imp := range pkg.Imports {
			inner, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			if strings.HasPrefix(inner, "internal/testing/") {
				t.Errorf("%s imports the test-only package %s", rel, inner)
			}
			if !slices.Contains(allowed, inner) {
				t.Errorf("%s imports %s, which DESIGN.md does not allow", rel, inner)
			}
			walk(inner)
		}
	}
	walk(".")
	for rel := range allowedImports {
		if !seen[rel] {
			t.Errorf("DESIGN.md lists %s, which the binary does not import", rel)
		}
	}
}
