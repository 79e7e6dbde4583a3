//go:build !noasm

package amd64

// ExpAVX2 sets dst[i] = exp(src[i]) for i < len(src) rounded down to a
// multiple of 8 (the caller handles the rest); len(dst) >= len(src). The
// result is bit-for-bit the pure-Go kernels.Exp. Needs AVX2 and FMA.
//
//go:noescape
func ExpAVX2(dst, src []float32)
