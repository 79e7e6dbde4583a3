//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// amd64 binding of the Hadamard drivers (hadamard_simd.go) to the AVX2 and
// AVX-512 kernels. The drivers are only entered with t = active, so the
// kernels pick their width from the active tier. The 512-bit mix takes four
// output rows at a time: every mix of the drivers spans 12, 20 or 28 blocks
// (H_40 is mixed as two halves of 20), all multiples of 4; other counts keep
// the AVX2 mix.

func hadamardSIMD(t Tier) bool { return avx2Up(t) }

func fwhtKernel(x []float32) {
	if active == AVX512 {
		amd64.FWHTAVX512(x)
		return
	}
	amd64.FWHTAVX2(x)
}

func scaleKernel(x []float32, s float32) {
	if active == AVX512 {
		amd64.ScaleF32AVX512(x, s)
		return
	}
	amd64.ScaleF32AVX2(x, s)
}

func butterflyKernel(a, b []float32) {
	if active == AVX512 {
		amd64.ButterflyAVX512(a, b)
		return
	}
	amd64.ButterflyAVX2(a, b)
}

func quantizeKernel(x []float32, c float32, q []int8) {
	if active == AVX512 {
		amd64.QuantizeI8AVX512(x, c, q)
		return
	}
	amd64.QuantizeI8AVX2(x, c, q)
}

func hadamardMixKernel(x []float32, p int, h []float32, kk int, norm float32, tmp []float32) {
	if active == AVX512 && kk%4 == 0 {
		amd64.HadamardMixAVX512(x, p, h, kk, norm, tmp)
		return
	}
	amd64.HadamardMixAVX2(x, p, h, kk, norm, tmp)
}

func hadamardMixQuantKernel(x []float32, p int, h []float32, kk int, c float32, q []int8) {
	if active == AVX512 && kk%4 == 0 {
		amd64.HadamardMixQuantAVX512(x, p, h, kk, c, q)
		return
	}
	amd64.HadamardMixQuantAVX2(x, p, h, kk, c, q)
}
