//go:build !linux

package main

import "runtime/debug"

// resetPeakRSS does nothing where the peak resident set cannot be reset.
func resetPeakRSS() {}

// runPeakRSS is the process's peak resident set (it cannot be reset here).
func runPeakRSS() int64 { return peakRSS() }

// dramBuffer allocates n bytes; free drops them and returns the memory to
// the system.
func dramBuffer(n int) ([]byte, func(), error) {
	b := make([]byte, n)
	return b, func() { b = nil; debug.FreeOSMemory() }, nil
}
