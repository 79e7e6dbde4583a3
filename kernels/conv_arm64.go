//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/arm64"

// arm64 binding of the conv kernels: the NEON code handles 4-tap convs over
// the largest multiple of 4 channels and reports that count; the twin
// computes the remaining channels (and other tap counts) with the same
// arithmetic.

func convI8Arch(t Tier, l, c, dConv int, x []int8, ldx int, state []int8, w, bias, inv []float32, out []int8, ldo int) int {
	c4 := c &^ 3
	if !neonTier(t) || dConv != 4 || c4 == 0 {
		return 0
	}
	arm64.ConvSiLUI8NEON(l, c4, x, ldx, state, c, w, bias, inv, out, ldo)
	return c4
}

func convI8F32Arch(t Tier, l, c, dConv int, x []int8, ldx int, state []int8, w, bias []float32, out []float32, ldo int) int {
	c4 := c &^ 3
	if !neonTier(t) || dConv != 4 || c4 == 0 {
		return 0
	}
	arm64.ConvSiLUI8F32NEON(l, c4, x, ldx, state, c, w, bias, out, ldo)
	return c4
}

func convF32Arch(t Tier, l, c, dConv int, x []float32, ldx int, state []float32, w, bias []float32, out []float32, ldo int) int {
	c4 := c &^ 3
	if !neonTier(t) || dConv != 4 || c4 == 0 {
		return 0
	}
	arm64.ConvSiLUF32NEON(l, c4, x, ldx, state, c, w, bias, out, ldo)
	return c4
}

// The step hooks also move the state up by one token for the channels they
// handle.

func convStepI8Arch(t Tier, c, dConv int, x []int8, state []int8, w, bias, inv []float32, out []int8) int {
	c4 := c &^ 3
	if !neonTier(t) || dConv != 4 || c4 == 0 {
		return 0
	}
	arm64.ConvStepI8NEON(c4, state, c, w, bias, inv, x, out)
	return c4
}

func convStepF32Arch(t Tier, c, dConv int, x []float32, state []float32, w, bias []float32, out []float32) int {
	c4 := c &^ 3
	if !neonTier(t) || dConv != 4 || c4 == 0 {
		return 0
	}
	arm64.ConvStepF32NEON(c4, state, c, w, bias, x, out)
	return c4
}
