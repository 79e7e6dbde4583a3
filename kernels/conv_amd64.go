//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// amd64 binding of the conv kernels: 4-tap convs only. On the AVX512 tier
// the 512-bit code takes the largest multiple of 16 channels; the AVX2 code
// takes the largest multiple of 8 channels after that (all of them on the
// AVX2 tier, at most one block of 8 on AVX512), called on the channel
// subslices with the full row stride c; the twin computes the remaining
// channels (and other tap counts) with the same arithmetic. Every hook
// reports the number of channels done.

// conv16 is the channel count of the 512-bit kernels for tier t.
func conv16(t Tier, c int) int {
	if t != AVX512 {
		return 0
	}
	return c &^ 15
}

func convI8Arch(t Tier, l, c, dConv int, x []int8, ldx int, state []int8, w, bias, inv []float32, out []int8, ldo int) int {
	if !avx2Up(t) || dConv != 4 {
		return 0
	}
	d := conv16(t, c)
	if d > 0 {
		amd64.ConvSiLUI8AVX512(l, d, x, ldx, state, c, w, bias, inv, out, ldo)
	}
	if c8 := (c - d) &^ 7; c8 > 0 {
		amd64.ConvSiLUI8AVX2(l, c8, x[d:], ldx, state[d:], c, w[d:], bias[d:], inv[d:], out[d:], ldo)
		d += c8
	}
	return d
}

func convI8F32Arch(t Tier, l, c, dConv int, x []int8, ldx int, state []int8, w, bias []float32, out []float32, ldo int) int {
	if !avx2Up(t) || dConv != 4 {
		return 0
	}
	d := conv16(t, c)
	if d > 0 {
		amd64.ConvSiLUI8F32AVX512(l, d, x, ldx, state, c, w, bias, out, ldo)
	}
	if c8 := (c - d) &^ 7; c8 > 0 {
		amd64.ConvSiLUI8F32AVX2(l, c8, x[d:], ldx, state[d:], c, w[d:], bias[d:], out[d:], ldo)
		d += c8
	}
	return d
}

func convF32Arch(t Tier, l, c, dConv int, x []float32, ldx int, state []float32, w, bias []float32, out []float32, ldo int) int {
	if !avx2Up(t) || dConv != 4 {
		return 0
	}
	d := conv16(t, c)
	if d > 0 {
		amd64.ConvSiLUF32AVX512(l, d, x, ldx, state, c, w, bias, out, ldo)
	}
	if c8 := (c - d) &^ 7; c8 > 0 {
		amd64.ConvSiLUF32AVX2(l, c8, x[d:], ldx, state[d:], c, w[d:], bias[d:], out[d:], ldo)
		d += c8
	}
	return d
}

// The step hooks also move the state up by one token for the channels they
// handle.

func convStepI8Arch(t Tier, c, dConv int, x []int8, state []int8, w, bias, inv []float32, out []int8) int {
	if !avx2Up(t) || dConv != 4 {
		return 0
	}
	d := conv16(t, c)
	if d > 0 {
		amd64.ConvStepI8AVX512(d, state, c, w, bias, inv, x, out)
	}
	if c8 := (c - d) &^ 7; c8 > 0 {
		amd64.ConvStepI8AVX2(c8, state[d:], c, w[d:], bias[d:], inv[d:], x[d:], out[d:])
		d += c8
	}
	return d
}

func convStepF32Arch(t Tier, c, dConv int, x []float32, state []float32, w, bias []float32, out []float32) int {
	if !avx2Up(t) || dConv != 4 {
		return 0
	}
	d := conv16(t, c)
	if d > 0 {
		amd64.ConvStepF32AVX512(d, state, c, w, bias, x, out)
	}
	if c8 := (c - d) &^ 7; c8 > 0 {
		amd64.ConvStepF32AVX2(c8, state[d:], c, w[d:], bias[d:], x[d:], out[d:])
		d += c8
	}
	return d
}
