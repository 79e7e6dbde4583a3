//go:build !noasm

package kernels

import (
	"github.com/quamba/quamba/kernels/arm64"
	"github.com/quamba/quamba/kernels/internal/scanabi"
)

// arm64 binding of the scan drivers (scan_simd.go) to the NEON kernels,
// which need no dot-product extension.

func scanSIMD() bool { return neonTier(active) }

func scanM1Kernel(a *scanabi.ScanM1Args) { arm64.ScanM1NEON(a) }
func scanM2Kernel(a *scanabi.ScanM2Args) { arm64.ScanM2NEON(a) }
func scanQ8Load(a *scanabi.ScanQ8Args)   { arm64.ScanQ8LoadNEON(a) }
func scanQ8Store(a *scanabi.ScanQ8Args)  { arm64.ScanQ8StoreNEON(a) }

// scanRecipKernel sets inv[i] = 1/s[i] for the leading multiple of 4
// elements and returns how many it set.
func scanRecipKernel(inv, s []float32) int {
	n := len(s) &^ 3
	arm64.ScanRecipNEON(inv[:n], s[:n])
	return n
}
