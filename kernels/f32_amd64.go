//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// amd64 binding of the float32 kernels (kernels/amd64): the AVX2 tier takes
// every product, M == 1 with the streaming GEMV, M > 1 with the 6 × 16 FMA
// tile (f32_simd.go).

func f32Arch(t Tier, m int, x []float32, ldx int, w *F32, bias []float32, y []float32, ldy int) bool {
	if !avx2Up(t) {
		return false
	}
	if m == 1 {
		f32Gemv(amd64.GemvF32AVX2, x, w, bias, y)
	} else {
		f32Gemm(amd64.GemmF32x6AVX2, amd64.GemmF32Rows, m, x, ldx, w, bias, y, ldy)
	}
	return true
}
