//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// amd64 binding of the Hadamard drivers (hadamard_simd.go) to the AVX2 kernels.

func hadamardSIMD(t Tier) bool { return avx2Up(t) }

func fwhtKernel(x []float32)                          { amd64.FWHTAVX2(x) }
func scaleKernel(x []float32, s float32)              { amd64.ScaleF32AVX2(x, s) }
func butterflyKernel(a, b []float32)                  { amd64.ButterflyAVX2(a, b) }
func quantizeKernel(x []float32, c float32, q []int8) { amd64.QuantizeI8AVX2(x, c, q) }

func hadamardMixKernel(x []float32, p int, h []float32, kk int, norm float32, tmp []float32) {
	amd64.HadamardMixAVX2(x, p, h, kk, norm, tmp)
}

func hadamardMixQuantKernel(x []float32, p int, h []float32, kk int, c float32, q []int8) {
	amd64.HadamardMixQuantAVX2(x, p, h, kk, c, q)
}
