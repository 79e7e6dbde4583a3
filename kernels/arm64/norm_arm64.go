//go:build !noasm

package arm64

// RMSNorm building blocks (norm_neon_arm64.s), ARMv8.0 NEON. Lengths are
// multiples of 4; package kernels finishes the remainder. Sums of squares
// are accumulated in four float64 lanes with fused multiply-adds.

// SumSqNEON returns Σ x[i]² accumulated in float64.
//
//go:noescape
func SumSqNEON(x []float32) float64

// AddSumSqNEON sets res[i] += h[i] for i < len(res) and returns Σ res[i]²
// (after the add) in float64. len(h) >= len(res).
//
//go:noescape
func AddSumSqNEON(res, h []float32) float64

// ScaleMulNEON sets out[i] = float32(v[i]·s)·w[i] for i < len(v). out may be v.
//
//go:noescape
func ScaleMulNEON(out, v, w []float32, s float32)

// ScaleMulQuantNEON sets q[i] = sat8(RNE(float32(v[i]·s)·w[i])) for i < len(v).
//
//go:noescape
func ScaleMulQuantNEON(q []int8, v, w []float32, s float32)

// GateF32NEON sets v[i] = y[i]·silu(z[i]), silu(a) = a/(1+exp(-a)) with the
// EXP_NEON exp, and returns Σ v[i]² in float64. v may be y.
//
//go:noescape
func GateF32NEON(v, y, z []float32) float64

// GateI8NEON is GateF32NEON with z[i] replaced by float32(zq[i])·zScale.
//
//go:noescape
func GateI8NEON(v, y []float32, zq []int8, zScale float32) float64
