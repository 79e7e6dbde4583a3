//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/arm64"

// arm64 binding of the float32 kernels (kernels/arm64): both tiers, NEON
// and NEONDot, run the ARMv8.0 kernels, M == 1 with the streaming GEMV,
// M > 1 with the 4 × 16 FMLA-by-element tile (f32_simd.go).

func f32Arch(t Tier, m int, x []float32, ldx int, w *F32, bias []float32, y []float32, ldy int) bool {
	if !neonTier(t) {
		return false
	}
	if m == 1 {
		f32Gemv(arm64.GemvF32NEON, x, w, bias, y)
	} else {
		f32Gemm(arm64.GemmF32x4NEON, arm64.GemmF32Rows, m, x, ldx, w, bias, y, ldy)
	}
	return true
}
