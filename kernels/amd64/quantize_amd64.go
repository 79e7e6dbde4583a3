//go:build !noasm

package amd64

// Symmetric int8 quantization kernels (quantize_avx2_amd64.s). Lengths are
// multiples of 8; the caller handles the remainder.

// QuantizeI8AVX2 sets q[i] = sat8(RNE(x[i]·invScale)) for i < len(x);
// len(x) is a multiple of 8 and len(q) >= len(x). NaN gives 127.
//
//go:noescape
func QuantizeI8AVX2(x []float32, invScale float32, q []int8)

// QuantizeI8ChanAVX2 sets q[i] = sat8(RNE(x[i]·invScale[i])) for i < len(x);
// len(x) is a multiple of 8, invScale and q are at least as long.
//
//go:noescape
func QuantizeI8ChanAVX2(x []float32, invScale []float32, q []int8)

// DequantizeI8AVX2 sets x[i] = float32(q[i])·scale for i < len(q); len(q) is
// a multiple of 8 and len(x) >= len(q).
//
//go:noescape
func DequantizeI8AVX2(q []int8, scale float32, x []float32)

// QuantizeI8Runs8AVX2 sets q[i] = sat8(RNE(x[i]·invScale[i/8])) for
// i < len(x); len(x) is a multiple of 8, invScale holds len(x)/8 values and
// q is at least as long as x.
//
//go:noescape
func QuantizeI8Runs8AVX2(x []float32, invScale []float32, q []int8)

// DequantizeI8Runs8AVX2 sets x[i] = float32(q[i])·scale[i/8] for
// i < len(q); len(q) is a multiple of 8, scale holds len(q)/8 values and x
// is at least as long as q.
//
//go:noescape
func DequantizeI8Runs8AVX2(q []int8, scale []float32, x []float32)

// ScaleF32AVX2 sets x[i] *= s for i < len(x); len(x) is a multiple of 8.
//
//go:noescape
func ScaleF32AVX2(x []float32, s float32)

// The AVX-512 kernels below (quantize_avx512_amd64.s) are identical in
// results to the AVX2 ones. The quantizers take any length: 64 elements per
// iteration, then 16, then one masked step for the last 1..15, which reads
// and writes nothing past the slices.

// QuantizeI8AVX512 sets q[i] = sat8(RNE(x[i]·invScale)) for i < len(x);
// len(q) >= len(x). NaN gives 127.
//
//go:noescape
func QuantizeI8AVX512(x []float32, invScale float32, q []int8)

// QuantizeI8ChanAVX512 sets q[i] = sat8(RNE(x[i]·invScale[i])) for
// i < len(x); invScale and q are at least as long as x.
//
//go:noescape
func QuantizeI8ChanAVX512(x []float32, invScale []float32, q []int8)

// DequantizeI8AVX512 sets x[i] = float32(q[i])·scale for i < len(q);
// len(x) >= len(q).
//
//go:noescape
func DequantizeI8AVX512(q []int8, scale float32, x []float32)

// ScaleF32AVX512 sets x[i] *= s for i < len(x); len(x) is a multiple of 16.
//
//go:noescape
func ScaleF32AVX512(x []float32, s float32)
