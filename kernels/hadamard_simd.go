//go:build !noasm && (amd64 || arm64)

package kernels

// The Hadamard drivers shared by the AVX2 and NEON kernels;
// hadamard_amd64.go and hadamard_arm64.go bind hadamardSIMD and the
// *Kernel functions to their assembly. The SIMD code needs blocks of at
// least 32 floats (p = 2^m ≥ 32, true of every model dimension); shorter
// transforms run the pure-Go twin, which gives the same bits.

func hadamardArch(t Tier, x []float32, k, p int) bool {
	if !hadamardSIMD(t) || p < 32 {
		return false
	}
	n := len(x)
	for b := 0; b < n; b += p {
		fwhtKernel(x[b : b+p])
	}
	if k == 1 {
		scaleKernel(x, hadamardNorm(n))
		return true
	}
	if k == 40 {
		butterflyKernel(x[:20*p], x[20*p:])
	}
	h, kk := mixTable(k)
	var tmp [40 * 32]float32
	for part := 0; part < k; part += kk {
		hadamardMixKernel(x[part*p:(part+kk)*p], p, h, kk, hadamardNorm(n), tmp[:32*kk])
	}
	return true
}

func hadamardQuantArch(t Tier, x []float32, k, p int, c float32, q []int8) bool {
	if !hadamardSIMD(t) || p < 32 {
		return false
	}
	n := len(x)
	for b := 0; b < n; b += p {
		fwhtKernel(x[b : b+p])
	}
	if k == 1 {
		quantizeKernel(x, c, q)
		return true
	}
	if k == 40 {
		butterflyKernel(x[:20*p], x[20*p:])
	}
	h, kk := mixTable(k)
	for part := 0; part < k; part += kk {
		hadamardMixQuantKernel(x[part*p:(part+kk)*p], p, h, kk, c, q[part*p:(part+kk)*p])
	}
	return true
}
