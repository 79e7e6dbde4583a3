//go:build !noasm

package kernels

import (
	"github.com/quamba/quamba/kernels/amd64"
	"github.com/quamba/quamba/kernels/internal/scanabi"
)

// amd64 binding of the scan drivers (scan_simd.go) to the AVX2 and
// AVX-512 kernels. The AVX-512 tier runs the 16-lane kernels where they
// exist and the AVX2 ones otherwise (same bits either way).

func scanSIMD() bool { return avx2Up(active) }

func scanM1Kernel(a *scanabi.ScanM1Args) {
	if active == AVX512 && a.NC >= 16 {
		amd64.ScanM1AVX512(a)
		return
	}
	amd64.ScanM1AVX2(a)
}

func scanM2Kernel(a *scanabi.ScanM2Args) {
	if active == AVX512 {
		amd64.ScanM2AVX512(a)
		return
	}
	amd64.ScanM2AVX2(a)
}

func scanQ8Load(a *scanabi.ScanQ8Args) {
	if active == AVX512 && a.WC >= 16 {
		amd64.ScanQ8LoadAVX512(a)
		return
	}
	amd64.ScanQ8LoadAVX2(a)
}

func scanQ8Store(a *scanabi.ScanQ8Args) {
	if active == AVX512 && a.WC >= 16 {
		amd64.ScanQ8StoreAVX512(a)
		return
	}
	amd64.ScanQ8StoreAVX2(a)
}

// scanRecipKernel sets inv[i] = 1/s[i] for the leading multiple of 8
// elements and returns how many it set.
func scanRecipKernel(inv, s []float32) int {
	n := len(s) &^ 7
	amd64.ScanRecipAVX2(inv[:n], s[:n])
	return n
}
