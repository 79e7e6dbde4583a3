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

// ExpAVX512 sets dst[i] = exp(src[i]) for every i < len(src), bit-for-bit
// as the pure-Go kernels.Exp (and ExpAVX2); len(dst) >= len(src). The last
// len(src)%16 elements are done with masked loads and stores, so nothing
// outside dst[:len(src)] is written. Needs AVX-512 F.
//
//go:noescape
func ExpAVX512(dst, src []float32)

// SoftplusAVX512 sets dst[i] = softplus(src[i]) for every i < len(src),
// bit-for-bit as the pure-Go softplus of package kernels (and
// SoftplusAVX2); len(dst) >= len(src). Needs AVX-512 F.
//
//go:noescape
func SoftplusAVX512(dst, src []float32)
