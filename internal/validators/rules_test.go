package validators

import (
	"strings"
	"testing"
)

func TestCheckConsumerKey(t *testing.T) {
	ok := []string{"JiraAlignProd", "a", "A1", strings.Repeat("z", 100), "0123456789"}
	for _, k := range ok {
		if err := CheckConsumerKey(k); err != nil {
			t.Errorf("%q rejected: %v", k, err)
		}
	}
	bad := map[string]string{
		"":                       "empty",
		"Jira Align":             "spaces and symbols break Jira's OAuth setup",
		"jira-align":             `'-'`,
		"jira_align":             "letters and digits only",
		"clé":                    "letters and digits only",
		strings.Repeat("z", 101): "101 characters",
	}
	for k, want := range bad {
		err := CheckConsumerKey(k)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want it to mention %q", k, err, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	ok := []string{"https://jira.example.com", "https://jira.example.com/jira", "http://127.0.0.1:8080", "http://localhost", "http://[::1]:9/x", "http://127.9.9.9"}
	for _, u := range ok {
		if err := CheckURL(u); err != nil {
			t.Errorf("%q rejected: %v", u, err)
		}
	}
	bad := map[string]string{
		"http://jira.example.com":      "uses http",
		"http://10.0.0.1":              "uses http",
		"https://jira.example.com/?q":  "query or fragment",
		"https://jira.example.com/#f":  "query or fragment",
		"https://u:p@jira.example.com": "user information",
		"jira.example.com":             "not an absolute URL",
		"ftp://jira.example.com":       `scheme "ftp"`,
		"https://":                     "not an absolute URL",
	}
	for u, want := range bad {
		err := CheckURL(u)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want it to mention %q", u, err, want)
		}
	}
	if err := CheckURL("https://u:hunter2@jira.example.com"); err != nil && strings.Contains(err.Error(), "hunter2") {
		t.Error("the error repeats a password from the URL")
	}
}

func TestCheckNameDurationTime(t *testing.T) {
	if CheckName("x") != nil || CheckName(strings.Repeat("é", 100)) != nil {
		t.Error("valid names rejected")
	}
	if CheckName("") == nil || CheckName("   ") == nil || CheckName(strings.Repeat("é", 101)) == nil {
		t.Error("invalid names accepted")
	}
	if d, err := CheckDuration("720h"); err != nil || d.Hours() != 720 {
		t.Errorf("720h: %v %v", d, err)
	}
	for _, s := range []string{"soon", "-1h", "0s", ""} {
		if _, err := CheckDuration(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	if _, err := CheckRFC3339("2031-11-27T22:00:00Z"); err != nil {
		t.Error(err)
	}
	if _, err := CheckRFC3339("2031-11-27"); err == nil {
		t.Error("a date without time accepted")
	}
}
