//go:build !noasm

package arm64

// Symmetric int8 quantization kernels (quantize_neon_arm64.s), ARMv8.0 NEON.
// They compute exactly what the pure-Go twins in package kernels compute.

// QuantizeI8NEON sets q[i] = sat8(RNE(x[i]·invScale)) for i < len(x); len(x)
// is a multiple of 4 and len(q) >= len(x). NaN gives 127.
//
//go:noescape
func QuantizeI8NEON(x []float32, invScale float32, q []int8)

// QuantizeI8ChanNEON sets q[i] = sat8(RNE(x[i]·invScale[i])); len(x) is a
// multiple of 4, invScale and q are at least as long.
//
//go:noescape
func QuantizeI8ChanNEON(x []float32, invScale []float32, q []int8)

// DequantizeI8NEON sets x[i] = float32(q[i])·scale; len(q) is a multiple of
// 8 and len(x) >= len(q).
//
//go:noescape
func DequantizeI8NEON(q []int8, scale float32, x []float32)

// ScaleF32NEON sets x[i] *= s; len(x) is a multiple of 4.
//
//go:noescape
func ScaleF32NEON(x []float32, s float32)
