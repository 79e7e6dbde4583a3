//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/arm64"

// arm64 binding of the quantization kernels: the NEON code handles the
// longest prefix that is a multiple of 4 (8 for dequantization) and reports
// its length; the twin finishes the rest with the same arithmetic.

func quantizeArch(t Tier, x []float32, invScale float32, q []int8) int {
	n := len(x) &^ 3
	if !neonTier(t) || n == 0 {
		return 0
	}
	arm64.QuantizeI8NEON(x[:n], invScale, q)
	return n
}

func quantizeChanArch(t Tier, x, invScale []float32, q []int8) int {
	n := len(x) &^ 3
	if !neonTier(t) || n == 0 {
		return 0
	}
	arm64.QuantizeI8ChanNEON(x[:n], invScale, q)
	return n
}

func dequantizeArch(t Tier, q []int8, scale float32, x []float32) int {
	n := len(q) &^ 7
	if !neonTier(t) || n == 0 {
		return 0
	}
	arm64.DequantizeI8NEON(q[:n], scale, x)
	return n
}

// The run-scaled quantizers have no NEON code: the twin runs.

func quantizeRuns8Arch(t Tier, x, invScale []float32, q []int8) bool { return false }

func dequantizeRuns8Arch(t Tier, q []int8, scale []float32, x []float32) bool { return false }
