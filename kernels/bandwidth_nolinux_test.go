//go:build !linux

package kernels

import "time"

// threadCPU is unavailable: CPU-time metrics are not reported.
func threadCPU() time.Duration { return 0 }
