package quietlog

import (
	"os"
	"testing"
)

// clearEnv unsets every variable WhenUnobserved reads or writes; t.Setenv restores them afterwards.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range append(levelVars, "TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_PROVIDER_JIRA") {
		t.Setenv(k, "") // restored after the test
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWhenUnobservedSilencesSDKAndProviderLoggers(t *testing.T) {
	clearEnv(t)
	t.Setenv("TF_LOG_SDK_PROTO", "debug") // an explicit choice is kept
	if !WhenUnobserved(false, "jira") {
		t.Fatal("WhenUnobserved = false with no TF_LOG")
	}
	for k, want := range map[string]string{
		"TF_LOG_SDK": "off", "TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_PROVIDER_JIRA": "off", "TF_LOG_SDK_PROTO": "debug",
	} {
		if got := os.Getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestWhenUnobservedKeepsObservedLogs(t *testing.T) {
	for _, c := range []struct {
		name  string
		env   string
		debug bool
	}{{"TF_LOG", "TF_LOG", false}, {"TF_LOG_PROVIDER", "TF_LOG_PROVIDER", false}, {"debug mode", "", true}} {
		t.Run(c.name, func(t *testing.T) {
			clearEnv(t)
			if c.env != "" {
				t.Setenv(c.env, "trace")
			}
			if WhenUnobserved(c.debug, "jira") {
				t.Fatal("WhenUnobserved = true while logs are observed")
			}
			for _, k := range append(levelVars, "TF_LOG_PROVIDER_JIRA") {
				if v, set := os.LookupEnv(k); set {
					t.Errorf("%s set to %q", k, v)
				}
			}
		})
	}
}
