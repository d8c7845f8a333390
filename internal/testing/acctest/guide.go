package acctest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// GuideBlock is one fenced code block of a Markdown guide, so that a test runs a recipe exactly
// as the guide prints it instead of a copy that could drift from it.
type GuideBlock struct {
	// Heading is the text of the nearest heading above the block, without its #s.
	Heading string
	// Lang is the fence's info string ("terraform", "shell", "text", …).
	Lang string
	// Text is the block's content, with a final newline.
	Text string
	// Line is the 1-based line of the opening fence.
	Line int
}

var headingLine = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)

// GuideBlocks returns every fenced code block of the Markdown file at path, in order.
func GuideBlocks(t testing.TB, path string) []GuideBlock {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatalf("reading the guide: %v", err)
	}
	var (
		out     []GuideBlock
		heading string
		open    *GuideBlock
		fence   string
		indent  int
		body    strings.Builder
	)
	for i, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if open != nil {
			if trimmed == fence {
				open.Text = body.String()
				out = append(out, *open)
				open = nil
				continue
			}
			// A fence indented inside a list item indents its content as much: drop that.
			n := 0
			for n < indent && n < len(line) && line[n] == ' ' {
				n++
			}
			body.WriteString(line[n:] + "\n")
			continue
		}
		if m := headingLine.FindStringSubmatch(line); m != nil {
			heading = m[1]
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			indent = len(line) - len(strings.TrimLeft(line, " "))
			open = &GuideBlock{Heading: heading, Lang: strings.TrimSpace(trimmed[3:]), Line: i + 1}
			body.Reset()
		}
	}
	if open != nil {
		t.Fatalf("%s: the code block opened on line %d is never closed", path, open.Line)
	}
	return out
}

// FindGuideBlock returns the one block of the guide at path under a heading that contains heading,
// in language lang, whose text contains contains. It fails the test unless exactly one matches.
func FindGuideBlock(t testing.TB, path, heading, lang, contains string) GuideBlock {
	t.Helper()
	var found []GuideBlock
	for _, b := range GuideBlocks(t, path) {
		if strings.Contains(b.Heading, heading) && b.Lang == lang && strings.Contains(b.Text, contains) {
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
