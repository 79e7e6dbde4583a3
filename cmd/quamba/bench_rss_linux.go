//go:build linux

package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// resetPeakRSS resets the kernel's peak resident set of the process
// (VmHWM) to the current resident set.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// runPeakRSS is the peak resident set since resetPeakRSS, in bytes
// (VmHWM; the process's peak when /proc does not say).
func runPeakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return peakRSS()
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:")); ok {
			f := bytes.Fields(rest)
			if len(f) == 2 && string(f[1]) == "kB" {
				if kb, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
					return kb * 1024
				}
			}
		}
	}
	return peakRSS()
}

// dramBuffer maps n bytes of anonymous memory outside the Go heap; free
// unmaps them, so that the probe's buffer leaves the resident set at once.
func dramBuffer(n int) ([]byte, func(), error) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, err
	}
	return b, func() { _ = syscall.Munmap(b) }, nil
}
