//go:build linux

package kernels

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// scanThreadCPU returns the CPU time of the calling OS thread; benchmarks lock
// their goroutine to the thread first (scanLockThread). On a shared, busy
// machine it is a steadier yardstick than the wall clock.
func scanThreadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

func scanLockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
