package acctest

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// ErrNoProc is returned on systems without a Linux /proc.
var ErrNoProc = errors.New("acctest: process checks need Linux /proc")

// ProcessesOf returns the live processes (zombies excluded) that run the executable exe, and,
// when parent is above 0, whose parent is parent.
func ProcessesOf(exe string, parent int) ([]int, error) {
	if runtime.GOOS != "linux" {
		return nil, ErrNoProc
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	exe = filepath.Clean(exe)
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		path, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || strings.TrimSuffix(path, " (deleted)") != exe {
			continue
		}
		ppid, state, ok := procStat(pid)
		if !ok || state == "Z" || parent > 0 && ppid != parent {
			continue
		}
		out = append(out, pid)
	}
	return out, nil
}

// Alive reports whether pid is a live process (a zombie is not).
func Alive(pid int) bool {
	_, state, ok := procStat(pid)
	return ok && state != "Z"
}

// procStat reads a process's parent and state from /proc/<pid>/stat.
func procStat(pid int) (ppid int, state string, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, "", false
	}
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses, so cut at the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, "", false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, "", false
	}
	ppid, err = strconv.Atoi(f[1])
	return ppid, f[0], err == nil
}
