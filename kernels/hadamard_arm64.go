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
	if k == 40 {
		arm64.ButterflyNEON(x[:20*p], x[20*p:])
	}
	h, kk := mixTable(k)
	var tmp [40 * 32]float32
	for part := 0; part < k; part += kk {
		arm64.HadamardMixNEON(x[part*p:(part+kk)*p], p, h, kk, hadamardNorm(n), tmp[:32*kk])
	}
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
	if k == 40 {
		arm64.ButterflyNEON(x[:20*p], x[20*p:])
	}
	h, kk := mixTable(k)
	for part := 0; part < k; part += kk {
		arm64.HadamardMixQuantNEON(x[part*p:(part+kk)*p], p, h, kk, c, q[part*p:(part+kk)*p])
	}
	return true
}
