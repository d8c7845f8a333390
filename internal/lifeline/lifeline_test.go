package lifeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestTrackAndCut(t *testing.T) {
	l := New()
	ctx, done := l.Track(context.Background())
	if l.InFlight() != 1 || ctx.Err() != nil {
		t.Fatalf("in flight %d, ctx err %v", l.InFlight(), ctx.Err())
	}
	// The operation notices the cut and cleans up for a while before it returns.
	var cleanedUp atomic.Bool
	go func() {
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond)
		cleanedUp.Store(true)
		done()
	}()
	if !l.Cut(time.Second) {
		t.Fatal("Cut did not see the operation finish")
	}
	if !cleanedUp.Load() {
		t.Error("Cut returned before the operation's cleanup")
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("ctx err = %v, want canceled", ctx.Err())
	}
	// After the cut, a new operation starts cancelled.
	ctx2, done2 := l.Track(context.Background())
	defer done2()
	if ctx2.Err() == nil {
		t.Error("an operation tracked after the cut is not cancelled")
	}
}

// The OnCut functions run after the operations in flight finished, concurrently, with a
// bounded context; a removed one does not run.
func TestOnCut(t *testing.T) {
	l := New()
	_, done := l.Track(context.Background())
	var order []string
	var mu sync.Mutex
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, s)
	}
	l.OnCut(func(ctx context.Context) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("an OnCut function got a context without deadline")
		}
		note("hook")
	})
	removed := l.OnCut(func(context.Context) { note("removed hook") })
	removed()
	l.OnCut(func(ctx context.Context) { <-ctx.Done() }) // stuck: bounded by the drain
	go func() {
		time.Sleep(30 * time.Millisecond)
		note("operation")
		done()
	}()
	start := time.Now()
	if l.Cut(200 * time.Millisecond) {
		t.Error("Cut reported that a stuck OnCut function finished")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Cut took %s", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 2 || order[0] != "operation" || order[1] != "hook" {
		t.Errorf("order = %v, want the operation, then the hook", order)
	}
}

func TestCutIsBounded(t *testing.T) {
	l := New()
	_, done := l.Track(context.Background()) // never finishes in time
	defer done()
	start := time.Now()
	if l.Cut(100 * time.Millisecond) {
		t.Error("Cut reported that a stuck operation finished")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Cut waited %s, bound 100ms", d)
	}
}

func TestDoneOnceAndUncutLine(t *testing.T) {
	l := New()
	parent, cancel := context.WithCancel(context.Background())
	ctx, done := l.Track(parent)
	done()
	done()
	if n := l.InFlight(); n != 0 {
		t.Errorf("in flight %d after done twice", n)
	}
	if ctx.Err() == nil {
		t.Error("done does not release the operation's context")
	}
	cancel()
}

func TestWatchParent(t *testing.T) {
	var ppid atomic.Int64
	ppid.Store(4242)
	gone := make(chan struct{})
	stop := WatchParent(func() int { return int(ppid.Load()) }, 5*time.Millisecond, func() { close(gone) })
	defer stop()
	select {
	case <-gone:
		t.Fatal("gone before the parent changed")
	case <-time.After(30 * time.Millisecond):
	}
	ppid.Store(1) // reparented to init
	select {
	case <-gone:
	case <-time.After(time.Second):
		t.Fatal("the parent's death was not noticed")
	}

	// A process whose parent is init from the start watches nothing.
	called := make(chan struct{}, 1)
	stop = WatchParent(func() int { return 1 }, time.Millisecond, func() { called <- struct{}{} })
	defer stop()
	select {
	case <-called:
		t.Error("gone called for a process started by init")
	case <-time.After(20 * time.Millisecond):
	}
}

const helperEnv = "LIFELINE_TEST_ROLE"

// TestMain lets the test binary play the two processes of TestExitWithParentAfterSIGKILL: a
// "cli" that starts a "provider" and prints its PID, and the provider, which runs
// ExitWithParent with an operation in flight whose cleanup takes a while.
func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "cli":
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=provider")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println(cmd.Process.Pid)
		time.Sleep(time.Hour) // until killed
	case "provider":
		ExitWithParent()
		OnCut(func(context.Context) { fmt.Println("revoked") })
		ctx, done := Track(context.Background())
		go func() {
			<-ctx.Done()
			time.Sleep(100 * time.Millisecond) // the cleanup, e.g. a revocation
			fmt.Println("cleaned up")
			done()
		}()
		time.Sleep(time.Hour) // until ExitWithParent ends the process
	}
	os.Exit(m.Run())
}

// TestExitWithParentAfterSIGKILL kills the parent of a process that runs ExitWithParent with
// SIGKILL: the process must run its operation's cleanup and exit within about a second.
func TestExitWithParentAfterSIGKILL(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checks the process through /proc")
	}
	cli := exec.Command(os.Args[0], "-test.run=^$")
	cli.Env = append(os.Environ(), helperEnv+"=cli")
	// A pipe of our own (not StdoutPipe, which Wait closes): the provider writes to it after the
	// cli is gone.
	out, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = out.Close() }()
	cli.Stdout = w
	err = cli.Start()
	_ = w.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cli.Process.Kill(); _ = cli.Wait() }()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatal("the cli printed no provider PID")
	}
	pid, err := strconv.Atoi(lines.Text())
	if err != nil {
		t.Fatalf("cli: %s", lines.Text())
	}
	defer func() { _ = syscall.Kill(pid, syscall.SIGKILL) }()
	time.Sleep(2 * PollInterval) // the provider is watching
	killed := time.Now()
	if err := cli.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cli.Wait()
	cleaned := make(chan bool, 1)
	go func() {
		ok := lines.Scan() && lines.Text() == "cleaned up"
		cleaned <- ok && lines.Scan() && lines.Text() == "revoked"
	}()
	for alive(pid) {
		if time.Since(killed) > 3*time.Second {
			t.Fatalf("the provider process %d is still alive %s after its parent was killed", pid, time.Since(killed))
		}
		time.Sleep(10 * time.Millisecond)
	}
	exited := time.Since(killed)
	if !<-cleaned {
		t.Error("the provider exited without finishing its operation's cleanup, then its OnCut function")
	}
	t.Logf("the provider exited %s after its parent was killed", exited.Round(time.Millisecond))
	if exited > 1500*time.Millisecond {
		t.Errorf("exit took %s, want about a second at most", exited)
	}
}

// alive reports whether pid runs (a zombie, which init has not reaped yet, does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ')' {
			return i+2 < len(s) && s[i+2] != 'Z'
		}
	}
	return true
}
