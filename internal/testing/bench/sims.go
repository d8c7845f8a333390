package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Sims is a running `simulators` process (internal/testing/cmd/simulators) and its control API.
type Sims struct {
	cmd      *exec.Cmd
	done     chan error
	stopOnce sync.Once
	// Env holds the variables the simulators wrote to their env file (JIRA_ALIGN_URL,
	// JIRA_ALIGN_API_TOKEN, JIRA_URL, JIRA_USERNAME, JIRA_PASSWORD, ..., SIM_CONTROL_URL). Some
	// are credentials: never print them.
	Env     map[string]string
	control string
	hc      *http.Client
}

// StartSims runs the simulators binary on loopback, waits for its env file and returns it.
// Its log goes to logPath.
func StartSims(ctx context.Context, binary, workDir, logPath string) (*Sims, error) {
	envFile := filepath.Join(workDir, "sims.env")
	_ = os.Remove(envFile)
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, binary, "-env-file", envFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("starting the simulators: %w", err)
	}
	s := &Sims{cmd: cmd, done: make(chan error, 1), hc: &http.Client{Timeout: 30 * time.Second}}
	go func() {
		s.done <- cmd.Wait()
		_ = logf.Close()
	}()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(envFile); err == nil && strings.Contains(string(b), "SIM_CONTROL_URL=") {
			s.Env = parseEnv(string(b))
			break
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("the simulators exited early (%w); see %s", err, logPath)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("the simulators did not write %s within 15s; see %s", envFile, logPath)
		}
	}
	s.control = s.Env["SIM_CONTROL_URL"]
	for _, k := range []string{"JIRA_ALIGN_URL", "JIRA_ALIGN_API_TOKEN", "JIRA_URL", "JIRA_USERNAME", "JIRA_PASSWORD", "SIM_CONTROL_URL"} {
		if s.Env[k] == "" {
			s.Stop()
			return nil, fmt.Errorf("the simulators' env file lacks %s", k)
		}
	}
	return s, nil
}

func parseEnv(text string) map[string]string {
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && k != "" {
			env[k] = v
		}
	}
	return env
}

// Pid is the simulators' process id.
func (s *Sims) Pid() int { return s.cmd.Process.Pid }

// Stop terminates the simulators and waits for them. It may be called more than once.
func (s *Sims) Stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	s.stopOnce.Do(s.stop)
}

func (s *Sims) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done: // exit status of a process we terminated: not interesting
		_ = err
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		err := <-s.done
		_ = err
	}
}

// Counters is what the control API reports about traffic: cumulative request counts per
// endpoint template ("GET /rest/align/api/2/Connectors/{id}"), totals including unmatched
// paths, and TCP connections accepted since the last reset.
type Counters struct {
	AlignRequests    map[string]int64 `json:"align_requests"`
	JiraRequests     map[string]int64 `json:"jira_requests"`
	AlignTotal       int64            `json:"align_total"`
	JiraTotal        int64            `json:"jira_total"`
	AlignConnections int64            `json:"align_connections"`
	JiraConnections  int64            `json:"jira_connections"`
}

// Objects counts what the simulators hold.
type Objects struct {
	Connectors, Links, LiveTokens int
}

type stateDoc struct {
	Counters
	Connectors []json.RawMessage `json:"connectors"`
	Links      []json.RawMessage `json:"links"`
	LiveTokens []json.RawMessage `json:"live_tokens"`
}

// State reads GET /state (counters and object counts; the control API never returns secrets).
func (s *Sims) State(ctx context.Context) (Counters, Objects, error) {
	var doc stateDoc
	if err := s.controlCall(ctx, http.MethodGet, "/state", &doc); err != nil {
		return Counters{}, Objects{}, err
	}
	return doc.Counters, Objects{Connectors: len(doc.Connectors), Links: len(doc.Links), LiveTokens: len(doc.LiveTokens)}, nil
}

// ResetConnections zeroes the connection counters (POST /reset-counters). Request counts are
// cumulative: callers diff them.
func (s *Sims) ResetConnections(ctx context.Context) error {
	return s.controlCall(ctx, http.MethodPost, "/reset-counters", nil)
}

func (s *Sims) controlCall(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.control+path, nil)
	if err != nil {
		return err
	}
	res, err := s.hc.Do(req)
	if err != nil {
		return fmt.Errorf("simulators control API %s %s: %w", method, path, err)
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("simulators control API %s %s: HTTP %d", method, path, res.StatusCode)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return errors.New("simulators control API " + path + ": " + err.Error())
	}
	return nil
}

// Diff is the traffic between two Counters snapshots; connections are taken from the later one
// (they were reset before the command ran).
type Diff struct {
	Align, Jira           map[string]int64
	AlignTotal, JiraTotal int64
	AlignConns, JiraConns int64
}

// Sub returns after − before.
func Sub(before, after Counters) Diff {
	return Diff{
		Align: subMap(before.AlignRequests, after.AlignRequests), Jira: subMap(before.JiraRequests, after.JiraRequests),
		AlignTotal: after.AlignTotal - before.AlignTotal, JiraTotal: after.JiraTotal - before.JiraTotal,
		AlignConns: after.AlignConnections, JiraConns: after.JiraConnections,
	}
}

func subMap(before, after map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// Requests is the total number of HTTP requests both simulators received.
func (d Diff) Requests() int64 { return d.AlignTotal + d.JiraTotal }

// Conns is the number of TCP connections both simulators accepted.
func (d Diff) Conns() int64 { return d.AlignConns + d.JiraConns }

// ApplinkRequests counts the Jira requests of the application-link resource (any /applinks
// endpoint), which a token scenario makes once, not per token.
func (d Diff) ApplinkRequests() int64 {
	var n int64
	for k, v := range d.Jira {
		if strings.Contains(k, "/applinks") {
			n += v
		}
	}
	return n
}
