//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// amd64 binding of the conv kernels: the AVX2 code handles 4-tap convs over
// the largest multiple of 8 channels and reports that count; the twin
// computes the remaining channels (and other tap counts) with the same
// arithmetic.

func convI8Arch(t Tier, l, c, dConv int, x []int8, ldx int, state []int8, w, bias, inv []float32, out []int8, ldo int) int {
	c8 := c &^ 7
	if !avx2Up(t) || dConv != 4 || c8 == 0 {
		return 0
	}
	amd64.ConvSiLUI8AVX2(l, c8, x, ldx, state, c, w, bias, inv, out, ldo)
	return c8
}

func convI8F32Arch(t Tier, l, c, dConv int, x []int8, ldx int, state []int8, w, bias []float32, out []float32, ldo int) int {
	c8 := c &^ 7
	if !avx2Up(t) || dConv != 4 || c8 == 0 {
		return 0
	}
	amd64.ConvSiLUI8F32AVX2(l, c8, x, ldx, state, c, w, bias, out, ldo)
	return c8
}

func convF32Arch(t Tier, l, c, dConv int, x []float32, ldx int, state []float32, w, bias []float32, out []float32, ldo int) int {
	c8 := c &^ 7
	if !avx2Up(t) || dConv != 4 || c8 == 0 {
		return 0
	}
	amd64.ConvSiLUF32AVX2(l, c8, x, ldx, state, c, w, bias, out, ldo)
	return c8
}

// The step hooks also move the state up by one token for the channels they
// handle.

func convStepI8Arch(t Tier, c, dConv int, x []int8, state []int8, w, bias, inv []float32, out []int8) int {
	c8 := c &^ 7
	if !avx2Up(t) || dConv != 4 || c8 == 0 {
		return 0
	}
	amd64.ConvStepI8AVX2(c8, state, c, w, bias, inv, x, out)
	return c8
}

func convStepF32Arch(t Tier, c, dConv int, x []float32, state []float32, w, bias []float32, out []float32) int {
	c8 := c &^ 7
	if !avx2Up(t) || dConv != 4 || c8 == 0 {
		return 0
	}
	amd64.ConvStepF32AVX2(c8, state, c, w, bias, x, out)
	return c8
}
