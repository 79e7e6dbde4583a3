//go:build !race

// Package race says whether the binary was built with the race detector:
// tests that count allocations skip under it, since the detector's
// instrumentation allocates.
package race

// Enabled reports whether the race detector is on (go test -race).
const Enabled = false
