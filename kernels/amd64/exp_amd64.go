//go:build !noasm

package amd64

// ExpAVX2 sets dst[i] = exp(src[i]) for i < len(src) rounded down to a
// multiple of 8 (the caller handles the rest); len(dst) >= len(src). The
// result is bit-for-bit the pure-Go kernels.Exp. Needs AVX2 and FMA.
//
//go:noescape
func ExpAVX2(dst, src []float32)

// SoftplusAVX2 sets dst[i] = softplus(src[i]) = log(1 + exp(src[i])) for i
// < len(src) rounded down to a multiple of 8, bit-for-bit as the pure-Go
// softplus of package kernels; len(dst) >= len(src).
//
//go:noescape
func SoftplusAVX2(dst, src []float32)
