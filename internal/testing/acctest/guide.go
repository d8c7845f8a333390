package acctest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// GuideBlock is one fenced code block of a Markdown guide, so that a test runs a recipe exactly
// as the guide prints it instead of a copy that could drift from it. Every test that reads a
// guide reads it through ParseGuide.
type GuideBlock struct {
	// Headings are the headings the block sits under: Headings[i] is the current heading of
	// level i+1 ("" where the guide skips a level).
	Headings []string
	// Lang is the fence's info string ("terraform", "shell", "text", …).
	Lang string
	// Text is the block's content, with a final newline.
	Text string
	// Line is the 1-based line of the opening fence.
	Line int
	// Marker is the name in a "<!-- docs-test: name … -->" comment on the last non-blank line
	// before the block, if there is one.
	Marker string
}

// Heading is the text of the nearest heading above the block, without its #s.
func (b GuideBlock) Heading() string {
	for i := len(b.Headings) - 1; i >= 0; i-- {
		if b.Headings[i] != "" {
			return b.Headings[i]
		}
	}
	return ""
}

// In reports whether the block sits in the section whose heading of the given level is title.
func (b GuideBlock) In(level int, title string) bool {
	return level >= 1 && len(b.Headings) >= level && b.Headings[level-1] == title
}

var docsMarker = regexp.MustCompile(`^<!--\s*docs-test:\s*([a-z-]+)\s*(.*?)\s*-->$`)

// headingOf returns the level and text of a Markdown ATX heading ("## Title"), or 0.
func headingOf(trimmed string) (int, string) {
	n := 0
	for n < len(trimmed) && trimmed[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n == len(trimmed) || trimmed[n] != ' ' {
		return 0, ""
	}
	return n, strings.TrimSpace(strings.TrimRight(strings.TrimSpace(trimmed[n:]), "#"))
}

// ParseGuide returns every fenced code block of the Markdown text markdown (named name in
// errors), in order. A fence indented inside a list item indents its content as much: that
// indentation is dropped. A "#" line inside a block is content (an HCL or shell comment).
func ParseGuide(name, markdown string) ([]GuideBlock, error) {
	var (
		out      []GuideBlock
		headings []string
		open     *GuideBlock
		fence    string
		indent   int
		body     strings.Builder
		prev     string // the last non-blank line outside a block
	)
	for i, line := range strings.Split(markdown, "\n") {
		trimmed := strings.TrimSpace(line)
		if open != nil {
			if trimmed == fence {
				open.Text = body.String()
				out = append(out, *open)
				open, prev = nil, ""
				continue
			}
			n := 0
			for n < indent && n < len(line) && line[n] == ' ' {
				n++
			}
			body.WriteString(line[n:] + "\n")
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			indent = len(line) - len(strings.TrimLeft(line, " "))
			open = &GuideBlock{Headings: slices.Clone(headings), Lang: strings.TrimSpace(trimmed[3:]), Line: i + 1}
			if m := docsMarker.FindStringSubmatch(prev); m != nil {
				open.Marker = m[1]
			}
			body.Reset()
			continue
		}
		if level, title := headingOf(trimmed); level > 0 {
			for len(headings) < level {
				headings = append(headings, "")
			}
			headings = headings[:level]
			headings[level-1] = title
		}
		if trimmed != "" {
			prev = trimmed
		}
	}
	if open != nil {
		return nil, fmt.Errorf("%s:%d: the code block opened here is never closed", name, open.Line)
	}
	return out, nil
}

// GuideBlocks returns every fenced code block of the Markdown file at path, in order.
func GuideBlocks(t testing.TB, path string) []GuideBlock {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatalf("reading the guide: %v", err)
	}
	blocks, err := ParseGuide(path, string(b))
	if err != nil {
		t.Fatal(err)
	}
	return blocks
}

// FindGuideBlock returns the one block of the guide at path under a heading that contains heading,
// in language lang, whose text contains contains. It fails the test unless exactly one matches.
func FindGuideBlock(t testing.TB, path, heading, lang, contains string) GuideBlock {
	t.Helper()
	var found []GuideBlock
	for _, b := range GuideBlocks(t, path) {
		if strings.Contains(b.Heading(), heading) && b.Lang == lang && strings.Contains(b.Text, contains) {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d %s blocks under a heading containing %q contain %q, want exactly 1", path, len(found), lang, heading, contains)
	}
	return found[0]
}

// TerraformOutputMessage reads a diagnostic as Terraform prints it in a guide's text block (with
// or without the ╷ │ ╵ frame): the summary after "Warning: " or "Error: ", and the detail, the
// last paragraph, with its line breaks turned into spaces.
func TerraformOutputMessage(text string) (summary, detail string) {
	var paragraphs [][]string
	var cur []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "╷│╵"))
		if line == "" {
			if len(cur) > 0 {
				paragraphs = append(paragraphs, cur)
				cur = nil
			}
			continue
		}
		if s, ok := strings.CutPrefix(line, "Warning: "); ok && summary == "" {
			summary = s
			continue
		}
		if s, ok := strings.CutPrefix(line, "Error: "); ok && summary == "" {
			summary = s
			continue
		}
		cur = append(cur, line)
	}
	if len(cur) > 0 {
		paragraphs = append(paragraphs, cur)
	}
	if len(paragraphs) > 0 {
		detail = strings.Join(paragraphs[len(paragraphs)-1], " ")
	}
	return summary, detail
}
