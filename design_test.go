package main

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/jira-align-tf/terraform-provider-jira"

// allowedImports reads DESIGN.md's table of product packages: for each package (by its path
// in the module, "." for main), the module's packages it may import. A row whose last column
// says "every product package below" may import each package of the rows after it.
func allowedImports(t *testing.T) map[string][]string {
	t.Helper()
	text, err := os.ReadFile("DESIGN.md")
	if err != nil {
		t.Fatal(err)
	}
	rel := func(name string) string {
		if name == "main" {
			return "."
		}
		return name
	}
	var order []string
	table := map[string][]string{}
	everyBelow := map[string]bool{}
	for _, line := range strings.Split(string(text), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) != 5 || !strings.HasPrefix(strings.TrimSpace(cols[1]), "`") {
			continue
		}
		pkg := rel(strings.Trim(strings.TrimSpace(cols[1]), "`"))
		order = append(order, pkg)
		table[pkg] = nil
		if strings.Contains(cols[3], "every product package below") {
			everyBelow[pkg] = true
			continue
		}
		for _, part := range strings.Split(cols[3], "`")[1:] {
			if name := strings.TrimSpace(part); name != "" && !strings.ContainsAny(name, " ,") {
				table[pkg] = append(table[pkg], "internal/"+name)
			}
		}
	}
	for i, pkg := range order {
		if everyBelow[pkg] {
			table[pkg] = slices.Clone(order[i+1:])
		}
	}
	if len(table) < 5 {
		t.Fatalf("DESIGN.md: found %d rows in the package table; is it still a | Package | Owns | May import | table?", len(table))
	}
	return table
}

// TestDesignImports holds the code to DESIGN.md: the binary's import closure is exactly the
// product packages, none under internal/testing, and each imports only what the table allows.
func TestDesignImports(t *testing.T) {
	allowedImports := allowedImports(t)
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
