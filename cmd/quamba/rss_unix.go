//go:build unix

package main

import "syscall"

// peakRSS is the process's peak resident set size in bytes so far (0 when
// the system does not say).
func peakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024 // kilobytes on Linux
}
