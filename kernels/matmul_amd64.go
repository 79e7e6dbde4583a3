//go:build !noasm

package kernels

// amd64 binding of the matmul kernels (kernels/amd64).

func w8a8Arch(t Tier, m int, x []int8, ldx int, w *W8, ep *epilogue) bool { return false }

func w4a8Arch(t Tier, m int, x []int8, ldx int, xs float32, w *W4, y []float32, ldy int) bool {
	return false
}

func w4a16Arch(t Tier, m int, x []float32, ldx int, w *W4, y []float32, ldy int) bool {
	return false
}
