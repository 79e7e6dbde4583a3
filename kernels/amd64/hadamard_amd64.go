//go:build !noasm

package amd64

// Hadamard transform kernels (hadamard_avx2_amd64.s). They perform the same
// float32 operations in the same order as the pure-Go definition in package
// kernels, so their results are bit-identical.

// FWHTAVX2 applies the unnormalised Sylvester Walsh–Hadamard transform
// (natural order) to x in place; len(x) is a power of two, at least 8.
//
//go:noescape
func FWHTAVX2(x []float32)

// HadamardMixAVX2 applies the K×K ±1 matrix h (row-major, k even) across the
// k blocks of p floats of x and multiplies by norm, in place:
// x[i·p+j] = norm·Σ_kk h[i·k+kk]·x[kk·p+j], the sum taken in kk order from
// +0. p is a multiple of 32; tmp holds at least 32·k floats.
//
//go:noescape
func HadamardMixAVX2(x []float32, p int, h []float32, k int, norm float32, tmp []float32)

// HadamardMixQuantAVX2 is HadamardMixAVX2 followed by int8 quantization into
// q instead of the in-place store: q[i·p+j] = sat8(RNE(c·Σ_kk h[i·k+kk]·x[kk·p+j])).
// x is left unchanged.
//
//go:noescape
func HadamardMixQuantAVX2(x []float32, p int, h []float32, k int, c float32, q []int8)

// ButterflyAVX2 sets a[i], b[i] = a[i]+b[i], a[i]-b[i] for i < len(a);
// len(a) is a multiple of 8 and len(b) >= len(a).
//
//go:noescape
func ButterflyAVX2(a, b []float32)

// AVX-512 versions (hadamard_avx512_amd64.s), bit-identical to the AVX2
// kernels above.

// FWHTAVX512 is FWHTAVX2 with 16-float vectors; len(x) is a power of two,
// at least 16.
//
//go:noescape
func FWHTAVX512(x []float32)

// HadamardMixAVX512 is HadamardMixAVX2 for k a multiple of 4 (four output
// rows at a time, 32 columns); p is a multiple of 32 and tmp holds at least
// 32·k floats.
//
//go:noescape
func HadamardMixAVX512(x []float32, p int, h []float32, k int, norm float32, tmp []float32)

// HadamardMixQuantAVX512 is HadamardMixQuantAVX2 for k a multiple of 4.
//
//go:noescape
func HadamardMixQuantAVX512(x []float32, p int, h []float32, k int, c float32, q []int8)

// ButterflyAVX512 sets a[i], b[i] = a[i]+b[i], a[i]-b[i] for i < len(a);
// len(a) is a multiple of 16 and len(b) >= len(a).
//
//go:noescape
func ButterflyAVX512(a, b []float32)
