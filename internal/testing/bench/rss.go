package bench

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTick is the unit of utime/stime in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// procPoller watches /proc for processes running one of the given executables and records,
// per process, the largest VmHWM (peak resident set size) and the CPU time used. VmHWM is a
// high-water mark kept by the kernel, so sampling every few tens of milliseconds misses at most
// the growth of a process's last interval before it exits (and the CPU of that interval).
type procPoller struct {
	exes map[string]bool
	// launcher is the executable that starts the watched processes (terraform): a pid running
	// it may exec into a watched binary later, so it is never cached as "other".
	launcher string
	interval time.Duration
	stop     chan struct{}
	done     chan struct{}

	mu    sync.Mutex
	peak  map[int]int64         // pid -> VmHWM bytes
	cpu   map[int]time.Duration // pid -> utime+stime
	other map[int]bool          // pids known not to match
}

func startProcPoller(exes []string, launcher string, interval time.Duration) *procPoller {
	p := &procPoller{
		exes: map[string]bool{}, interval: interval,
		stop: make(chan struct{}), done: make(chan struct{}),
		peak: map[int]int64{}, cpu: map[int]time.Duration{}, other: map[int]bool{},
	}
	for _, e := range exes {
		if abs, err := filepath.Abs(e); err == nil {
			p.exes[abs] = true
		}
	}
	if abs, err := filepath.Abs(launcher); err == nil {
		p.launcher = abs
	}
	go p.loop()
	return p
}

func (p *procPoller) loop() {
	defer close(p.done)
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		p.sample()
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
	}
}

func (p *procPoller) sample() {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || p.other[pid] {
			continue
		}
		if _, known := p.peak[pid]; !known {
			exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
			exe = strings.TrimSuffix(exe, " (deleted)")
			if err != nil || !p.exes[exe] {
				if err == nil && exe != p.launcher {
					p.other[pid] = true
				}
				continue
			}
			p.peak[pid] = 0
		}
		if hwm, ok := readVMHWM(pid); ok && hwm > p.peak[pid] {
			p.peak[pid] = hwm
		}
		if c, ok := readCPU(pid); ok && c > p.cpu[pid] {
			p.cpu[pid] = c
		}
	}
}

// Stop ends polling and returns the largest peak RSS in bytes, the CPU time of all matching
// processes, and how many there were.
func (p *procPoller) Stop() (peak int64, cpu time.Duration, procs int) {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range p.peak {
		peak = max(peak, v)
	}
	for _, v := range p.cpu {
		cpu += v
	}
	return peak, cpu, len(p.peak)
}

// readVMHWM reads the VmHWM line of /proc/<pid>/status, in bytes.
func readVMHWM(pid int) (int64, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return parseKB(v)
		}
	}
	return 0, false
}

// readCPU returns utime+stime of /proc/<pid>/stat.
func readCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseStatCPU(string(b))
}

// parseStatCPU extracts utime+stime (fields 14 and 15) from a /proc/<pid>/stat line. The
// command name (field 2) is parenthesized and may hold spaces, so fields are counted after the
// last ')'.
func parseStatCPU(stat string) (time.Duration, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * clockTick, true
}

// parseKB parses "   12345 kB" into bytes.
func parseKB(s string) (int64, bool) {
	f := strings.Fields(s)
	if len(f) != 2 || f[1] != "kB" {
		return 0, false
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, false
	}
	return n * 1024, true
}
