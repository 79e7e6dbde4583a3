//go:build !noasm

package kernels

// arm64 binding of the conv kernels (no NEON version yet: the twin runs).

func convI8Arch(t Tier, l, c, dConv int, x []int8, ldx int, state []int8, w, bias, inv []float32, out []int8, ldo int) int {
	return 0
}

func convI8F32Arch(t Tier, l, c, dConv int, x []int8, ldx int, state []int8, w, bias []float32, out []float32, ldo int) int {
	return 0
}

func convF32Arch(t Tier, l, c, dConv int, x []float32, ldx int, state []float32, w, bias []float32, out []float32, ldo int) int {
	return 0
}
