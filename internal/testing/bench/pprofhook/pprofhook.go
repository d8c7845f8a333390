// Package pprofhook profiles a benchmark provider process (the pprof build of the jira provider
// and the no-op provider). With BENCH_PPROF_DIR set, Start begins a CPU profile and samples the
// heap every 10 ms; the returned stop function, called when the provider server returns
// (Terraform shut the plugin down), writes into that directory:
//
//	<name>-cpu-<pid>.pprof     CPU profile of the whole process life
//	<name>-allocs-<pid>.pprof  allocation profile (alloc_space: what the process allocated;
//	                           inuse_space: what was still live at exit, after two GCs)
//	<name>-mem-<pid>.txt       heap high-water marks, goroutines, GC count, total allocated
//
// Without BENCH_PPROF_DIR it does nothing. It is never part of the shipped provider.
package pprofhook

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// EnvDir names the directory profiles are written to.
const EnvDir = "BENCH_PPROF_DIR"

// Start starts profiling when EnvDir is set and returns the function that finishes it.
func Start(name string) (stop func()) {
	dir := os.Getenv(EnvDir)
	if dir == "" {
		return func() {}
	}
	pid := os.Getpid()
	path := func(kind, ext string) string {
		return filepath.Join(dir, fmt.Sprintf("%s-%s-%d.%s", name, kind, pid, ext))
	}
	f, err := os.Create(path("cpu", "pprof"))
	if err != nil {
		log.Printf("pprofhook: %v", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Printf("pprofhook: %v", err)
		_ = f.Close()
		return func() {}
	}
	done := make(chan struct{})
	summary := make(chan string, 1)
	go sampleHeap(done, summary)
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
		close(done)
		if err := os.WriteFile(path("mem", "txt"), []byte(<-summary), 0o644); err != nil {
			log.Printf("pprofhook: %v", err)
		}
		// The heap profile publishes a GC cycle late: after two GCs its in-use figures are what
		// is live at exit (a leak would show there).
		runtime.GC()
		runtime.GC()
		h, err := os.Create(path("allocs", "pprof"))
		if err != nil {
			log.Printf("pprofhook: %v", err)
			return
		}
		if err := pprof.Lookup("allocs").WriteTo(h, 0); err != nil {
			log.Printf("pprofhook: %v", err)
		}
		_ = h.Close()
	}
}

// sampleHeap records the heap's high-water marks until done is closed, then sends a summary.
func sampleHeap(done <-chan struct{}, summary chan<- string) {
	var (
		ms                            runtime.MemStats
		peakAlloc, peakInuse, peakSys uint64
		peakG, gAtPeak                int
		atPeak                        time.Duration
		start                         = time.Now()
		live                          = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		peakLive                      uint64
	)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		runtime.ReadMemStats(&ms)
		g := runtime.NumGoroutine()
		if ms.HeapAlloc > peakAlloc {
			peakAlloc, gAtPeak, atPeak = ms.HeapAlloc, g, time.Since(start)
		}
		peakInuse, peakSys, peakG = max(peakInuse, ms.HeapInuse), max(peakSys, ms.Sys), max(peakG, g)
		if metrics.Read(live); live[0].Value.Kind() == metrics.KindUint64 {
			peakLive = max(peakLive, live[0].Value.Uint64())
		}
		select {
		case <-done:
			summary <- fmt.Sprintf("peak live heap %d MiB, peak HeapAlloc %d MiB (at %s, %d goroutines), peak HeapInuse %d MiB, peak Sys %d MiB, "+
				"peak goroutines %d, %d GCs, %d MiB allocated in total, lived %s\n",
				peakLive>>20, peakAlloc>>20, atPeak.Round(time.Millisecond), gAtPeak, peakInuse>>20, peakSys>>20,
				peakG, ms.NumGC, ms.TotalAlloc>>20, time.Since(start).Round(time.Millisecond))
			return
		case <-t.C:
		}
	}
}
