//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/arm64"

// arm64 binding of the Hadamard kernels. The NEON code needs blocks of at
// least 32 floats (p = 2^m ≥ 32, true of every model dimension); shorter
// transforms run the pure-Go twin, which gives the same bits.

func hadamardArch(t Tier, x []float32, k, p int) bool {
	if !neonTier(t) || p < 32 {
		return false
	}
	n := len(x)
	for b := 0; b < n; b += p {
		arm64.FWHTNEON(x[b : b+p])
	}
	if k == 1 {
		arm64.ScaleF32NEON(x, hadamardNorm(n))
		return true
	}
	var tmp [40 * 32]float32
	arm64.HadamardMixNEON(x, p, hadamardTable(k), k, hadamardNorm(n), tmp[:32*k])
	return true
}

func hadamardQuantArch(t Tier, x []float32, k, p int, c float32, q []int8) bool {
	if !neonTier(t) || p < 32 {
		return false
	}
	n := len(x)
	for b := 0; b < n; b += p {
		arm64.FWHTNEON(x[b : b+p])
	}
	if k == 1 {
		arm64.QuantizeI8NEON(x, c, q)
		return true
	}
	arm64.HadamardMixQuantNEON(x, p, hadamardTable(k), k, c, q)
	return true
}
