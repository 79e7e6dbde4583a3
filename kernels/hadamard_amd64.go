//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// amd64 binding of the Hadamard kernels. The AVX2 code needs blocks of at
// least 32 floats (p = 2^m ≥ 32, true of every model dimension); shorter
// transforms run the pure-Go twin, which gives the same bits.

func hadamardArch(t Tier, x []float32, k, p int) bool {
	if t != AVX2 || p < 32 {
		return false
	}
	n := len(x)
	for b := 0; b < n; b += p {
		amd64.FWHTAVX2(x[b : b+p])
	}
	if k == 1 {
		amd64.ScaleF32AVX2(x, hadamardNorm(n))
		return true
	}
	if k == 40 {
		amd64.ButterflyAVX2(x[:20*p], x[20*p:])
	}
	h, kk := mixTable(k)
	var tmp [40 * 32]float32
	for part := 0; part < k; part += kk {
		amd64.HadamardMixAVX2(x[part*p:(part+kk)*p], p, h, kk, hadamardNorm(n), tmp[:32*kk])
	}
	return true
}

func hadamardQuantArch(t Tier, x []float32, k, p int, c float32, q []int8) bool {
	if t != AVX2 || p < 32 {
		return false
	}
	n := len(x)
	for b := 0; b < n; b += p {
		amd64.FWHTAVX2(x[b : b+p])
	}
	if k == 1 {
		amd64.QuantizeI8AVX2(x, c, q)
		return true
	}
	if k == 40 {
		amd64.ButterflyAVX2(x[:20*p], x[20*p:])
	}
	h, kk := mixTable(k)
	for part := 0; part < k; part += kk {
		amd64.HadamardMixQuantAVX2(x[part*p:(part+kk)*p], p, h, kk, c, q[part*p:(part+kk)*p])
	}
	return true
}
