package kernels

import (
	"runtime"
	"syscall"
	"testing"
)

// startCPUTimer pins the benchmark goroutine to its thread and returns a
// function that reports the thread's CPU time per operation as
// "cpu-ns/op". Unlike ns/op it excludes the time the thread waits for a
// core, which dominates on a loaded two-core machine. Call it right before
// the b.Loop loop and the returned function right after it.
func startCPUTimer(b *testing.B) func() {
	runtime.LockOSThread()
	t0 := threadCPUTime()
	return func() {
		d := threadCPUTime() - t0
		runtime.UnlockOSThread()
		if b.N > 0 {
			b.ReportMetric(float64(d)/float64(b.N), "cpu-ns/op")
		}
	}
}

// threadCPUTime returns the user+system CPU time of the calling thread in
// nanoseconds.
func threadCPUTime() int64 {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
