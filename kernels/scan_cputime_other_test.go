//go:build !linux

package kernels

import "time"

var scanCPUEpoch = time.Now()

// scanThreadCPU falls back to the wall clock where the thread CPU clock is not
// wired up.
func scanThreadCPU() time.Duration { return time.Since(scanCPUEpoch) }

func scanLockThread() func() { return func() {} }
