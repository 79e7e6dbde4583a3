//go:build noasm || !(amd64 || arm64)

package kernels

// Generic-only builds have no SIMD float32 kernels: the hook declines and
// the pure-Go product in f32.go runs.

func f32Arch(t Tier, m int, x []float32, ldx int, w *F32, bias []float32, y []float32, ldy int) bool {
	return false
}
