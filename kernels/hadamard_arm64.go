//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/arm64"

// arm64 binding of the Hadamard drivers (hadamard_simd.go) to the NEON kernels.

func hadamardSIMD(t Tier) bool { return neonTier(t) }

func fwhtKernel(x []float32)                          { arm64.FWHTNEON(x) }
func scaleKernel(x []float32, s float32)              { arm64.ScaleF32NEON(x, s) }
func butterflyKernel(a, b []float32)                  { arm64.ButterflyNEON(a, b) }
func quantizeKernel(x []float32, c float32, q []int8) { arm64.QuantizeI8NEON(x, c, q) }

func hadamardMixKernel(x []float32, p int, h []float32, kk int, norm float32, tmp []float32) {
	arm64.HadamardMixNEON(x, p, h, kk, norm, tmp)
}

func hadamardMixQuantKernel(x []float32, p int, h []float32, kk int, c float32, q []int8) {
	arm64.HadamardMixQuantNEON(x, p, h, kk, c, q)
}
