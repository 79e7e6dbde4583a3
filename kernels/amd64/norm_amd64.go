//go:build !noasm

package amd64

// RMSNorm building blocks (norm_avx2_amd64.s). Lengths are multiples of 8;
// package kernels finishes the remainder. Sums of squares are accumulated in
// eight float64 lanes with fused multiply-adds.

// SumSqAVX2 returns Σ x[i]² accumulated in float64.
//
//go:noescape
func SumSqAVX2(x []float32) float64

// AddSumSqAVX2 sets res[i] += h[i] for i < len(res) and returns Σ res[i]²
// (after the add) in float64. len(h) >= len(res).
//
//go:noescape
func AddSumSqAVX2(res, h []float32) float64

// ScaleMulAVX2 sets out[i] = float32(v[i]·s)·w[i] for i < len(v). out may be v.
//
//go:noescape
func ScaleMulAVX2(out, v, w []float32, s float32)

// ScaleMulQuantAVX2 sets q[i] = sat8(RNE(float32(v[i]·s)·w[i])) for i < len(v).
//
//go:noescape
func ScaleMulQuantAVX2(q []int8, v, w []float32, s float32)

// GateF32AVX2 sets v[i] = y[i]·silu(z[i]), silu(a) = a/(1+exp(-a)) with the
// EXP_AVX2 exp, and returns Σ v[i]² in float64. v may be y.
//
//go:noescape
func GateF32AVX2(v, y, z []float32) float64

// GateI8AVX2 is GateF32AVX2 with z[i] replaced by float32(zq[i])·zScale.
//
//go:noescape
func GateI8AVX2(v, y []float32, zq []int8, zScale float32) float64

// AVX-512 versions (norm_avx512_amd64.s) of the pieces above. They take
// any length (masked last step, nothing read or written past the slices);
// the sums of squares use 32 float64 lanes, so they differ from the AVX2
// ones in the last float64 bits only. The gates' values v are bit-identical
// to the AVX2 ones (EXP_AVX512 is bit for bit the pure-Go Exp).

// SumSqAVX512 returns Σ x[i]² accumulated in float64.
//
//go:noescape
func SumSqAVX512(x []float32) float64

// AddSumSqAVX512 sets res[i] += h[i] for i < len(res) and returns Σ res[i]²
// (after the add) in float64. len(h) >= len(res).
//
//go:noescape
func AddSumSqAVX512(res, h []float32) float64

// ScaleMulAVX512 sets out[i] = float32(v[i]·s)·w[i] for i < len(v). out may
// be v.
//
//go:noescape
func ScaleMulAVX512(out, v, w []float32, s float32)

// ScaleMulQuantAVX512 sets q[i] = sat8(RNE(float32(v[i]·s)·w[i])) for
// i < len(v).
//
//go:noescape
func ScaleMulQuantAVX512(q []int8, v, w []float32, s float32)

// GateF32AVX512 sets v[i] = y[i]·silu(z[i]) and returns Σ v[i]² in
// float64. v may be y.
//
//go:noescape
func GateF32AVX512(v, y, z []float32) float64

// GateI8AVX512 is GateF32AVX512 with z[i] replaced by float32(zq[i])·zScale.
//
//go:noescape
func GateI8AVX512(v, y []float32, zq []int8, zScale float32) float64
