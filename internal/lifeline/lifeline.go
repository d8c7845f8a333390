// Package lifeline ties the provider process to the CLI that started it.
//
// Terraform and OpenTofu start the provider as a child process and stop it over gRPC when they
// are done. A CLI that is killed outright (SIGKILL, the OOM killer, a CI runner's timeout)
// cannot, and the provider process would run on, possibly finishing a call whose result no CLI
// will ever record. The gRPC server cancels the calls in flight when the connection drops, but
// it keeps the process alive.
//
// WatchParent notices that the parent is gone (the process is reparented, so its parent PID
// changes) within one poll interval. Cut then cancels every tracked operation's context, waits
// a bounded time for the operations to finish their own cleanup (an operation that obtained an
// access token it can no longer hand back revokes it with a detached context), runs the
// functions registered with OnCut (revoking the tokens handed back that the dead CLI may never
// have saved), and the process exits.
package lifeline

import (
	"context"
	"os"
	"sync"
	"time"
)

const (
	// PollInterval is how often WatchParent checks the parent PID.
	PollInterval = 200 * time.Millisecond
	// DrainTimeout bounds how long an orphaned process waits for the cleanup of the operations
	// in flight before it exits anyway.
	DrainTimeout = 10 * time.Second
)

// Line is the set of operations in flight that one cut cancels.
type Line struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	inFlight int
	hooks    map[int]func(context.Context)
	nextHook int
}

// New returns a Line that is not cut.
func New() *Line {
	ctx, cancel := context.WithCancel(context.Background())
	return &Line{ctx: ctx, cancel: cancel, hooks: map[int]func(context.Context){}}
}

// Track returns ctx, cancelled also when the line is cut, and the function to call once the
// operation has finished, cleanup included (Cut waits for it).
func (l *Line) Track(ctx context.Context) (context.Context, func()) {
	l.mu.Lock()
	l.inFlight++
	l.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	if l.ctx.Err() != nil {
		cancel() // at once: AfterFunc would cancel from another goroutine
	}
	stop := context.AfterFunc(l.ctx, cancel)
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			stop()
			cancel()
			l.mu.Lock()
			l.inFlight--
			l.mu.Unlock()
		})
	}
}

// InFlight returns how many tracked operations have not finished.
func (l *Line) InFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inFlight
}

// OnCut registers f to run once the line is cut and the operations in flight have finished,
// with a context that ends drain after that (see Cut). remove unregisters f.
func (l *Line) OnCut(f func(ctx context.Context)) (remove func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := l.nextHook
	l.nextHook++
	l.hooks[id] = f
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.hooks, id)
	}
}

// Cut cancels the context of every tracked operation, present and future, waits at most drain
// for them to finish, then runs the OnCut functions concurrently and waits at most drain for
// them. It reports whether everything finished in time.
func (l *Line) Cut(drain time.Duration) bool {
	l.cancel()
	deadline := time.Now().Add(drain)
	finished := true
	for l.InFlight() > 0 {
		if time.Now().After(deadline) {
			finished = false
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	l.mu.Lock()
	hooks := make([]func(context.Context), 0, len(l.hooks))
	for _, f := range l.hooks {
		hooks = append(hooks, f)
	}
	l.hooks = map[int]func(context.Context){}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	var wg sync.WaitGroup
	for _, f := range hooks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		finished = false
	}
	return finished
}

// WatchParent calls gone once, from its own goroutine, when the value of ppid changes from
// what it was at the start (the parent died and the process was reparented to init or a
// subreaper), checking every interval. It watches nothing when the parent is already init
// (PID 1): then there is no CLI to outlive. stop ends the watch.
func WatchParent(ppid func() int, interval time.Duration, gone func()) (stop func()) {
	start := ppid()
	done := make(chan struct{})
	var once sync.Once
	stop = func() { once.Do(func() { close(done) }) }
	if start <= 1 {
		return stop
	}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if ppid() != start {
					gone()
					return
				}
			}
		}
	}()
	return stop
}

// process is the provider process's line: the one main cuts when the CLI is gone.
var process = New()

// Track is Line.Track on the process's line. In a process that never calls ExitWithParent
// (tests that serve the provider in-process) the line is never cut.
func Track(ctx context.Context) (context.Context, func()) { return process.Track(ctx) }

// OnCut is Line.OnCut on the process's line: f runs only if the CLI dies.
func OnCut(f func(ctx context.Context)) (remove func()) { return process.OnCut(f) }

// ExitWithParent watches the parent process; once it is gone, it cuts the process's line,
// waits for the operations in flight (at most DrainTimeout) and exits with status 1.
func ExitWithParent() (stop func()) {
	return WatchParent(os.Getppid, PollInterval, func() {
		process.Cut(DrainTimeout)
		os.Exit(1)
	})
}
