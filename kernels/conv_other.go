//go:build noasm || !(amd64 || arm64)

package kernels

// Generic-only builds: the conv hooks process no channel and the twin runs.

func convI8Arch(t Tier, l, c, dConv int, x []int8, ldx int, state []int8, w, bias, inv []float32, out []int8, ldo int) int {
	return 0
}

func convI8F32Arch(t Tier, l, c, dConv int, x []int8, ldx int, state []int8, w, bias []float32, out []float32, ldo int) int {
	return 0
}

func convF32Arch(t Tier, l, c, dConv int, x []float32, ldx int, state []float32, w, bias []float32, out []float32, ldo int) int {
	return 0
}

func convStepI8Arch(t Tier, c, dConv int, x []int8, state []int8, w, bias, inv []float32, out []int8) int {
	return 0
}

func convStepF32Arch(t Tier, c, dConv int, x []float32, state []float32, w, bias []float32, out []float32) int {
	return 0
}
