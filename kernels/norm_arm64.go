//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/arm64"

// arm64 binding of the norm kernels: the NEON code handles the longest
// prefix that is a multiple of 4 and reports its length (and partial sum of
// squares); norm.go finishes the rest.

func sumSqArch(t Tier, x []float32) (int, float64) {
	n := len(x) &^ 3
	if !neonTier(t) || n == 0 {
		return 0, 0
	}
	return n, arm64.SumSqNEON(x[:n])
}

func addSumSqArch(t Tier, res, h []float32) (int, float64) {
	n := len(res) &^ 3
	if !neonTier(t) || n == 0 {
		return 0, 0
	}
	return n, arm64.AddSumSqNEON(res[:n], h[:n])
}

func scaleMulArch(t Tier, out, v, w []float32, s float32) int {
	n := len(v) &^ 3
	if !neonTier(t) || n == 0 {
		return 0
	}
	arm64.ScaleMulNEON(out[:n], v[:n], w[:n], s)
	return n
}

func scaleMulQuantArch(t Tier, q []int8, v, w []float32, s float32) int {
	n := len(v) &^ 3
	if !neonTier(t) || n == 0 {
		return 0
	}
	arm64.ScaleMulQuantNEON(q[:n], v[:n], w[:n], s)
	return n
}

func gateF32Arch(t Tier, v, y, z []float32) (int, float64) {
	n := len(v) &^ 3
	if !neonTier(t) || n == 0 {
		return 0, 0
	}
	return n, arm64.GateF32NEON(v[:n], y[:n], z[:n])
}

func gateI8Arch(t Tier, v, y []float32, z []int8, zScale float32) (int, float64) {
	n := len(v) &^ 3
	if !neonTier(t) || n == 0 {
		return 0, 0
	}
	return n, arm64.GateI8NEON(v[:n], y[:n], z[:n], zScale)
}
