//go:build !noasm

package arm64

// Hadamard transform kernels (hadamard_neon_arm64.s), ARMv8.0 NEON. They
// perform the same float32 operations in the same order as the pure-Go
// definition in package kernels, so their results are bit-identical.

// FWHTNEON applies the unnormalised Sylvester Walsh–Hadamard transform
// (natural order) to x in place; len(x) is a power of two, at least 8.
//
//go:noescape
func FWHTNEON(x []float32)

// HadamardMixNEON applies the K×K ±1 matrix h (row-major, k even) across the
// k blocks of p floats of x and multiplies by norm, in place:
// x[i·p+j] = norm·Σ_kk h[i·k+kk]·x[kk·p+j], the sum taken in kk order from
// +0. p is a multiple of 32; tmp holds at least 32·k floats.
//
//go:noescape
func HadamardMixNEON(x []float32, p int, h []float32, k int, norm float32, tmp []float32)

// HadamardMixQuantNEON is HadamardMixNEON quantizing into q instead of the
// in-place store: q[i·p+j] = sat8(RNE(c·Σ_kk h[i·k+kk]·x[kk·p+j])). x is
// left unchanged.
//
//go:noescape
func HadamardMixQuantNEON(x []float32, p int, h []float32, k int, c float32, q []int8)

// ButterflyNEON sets a[i], b[i] = a[i]+b[i], a[i]-b[i] for i < len(a);
// len(a) is a multiple of 4 and len(b) >= len(a).
//
//go:noescape
func ButterflyNEON(a, b []float32)
