package kernels

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time consumed by the calling OS thread (lock it
// with runtime.LockOSThread): on a machine shared with other jobs it
// excludes the time the benchmark spent descheduled.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
