//go:build !noasm

package arm64

// ExpNEON sets dst[i] = exp(src[i]) for i < len(src) rounded down to a
// multiple of 4 (the caller handles the rest); len(dst) >= len(src). The
// result is bit-for-bit the pure-Go kernels.Exp.
//
//go:noescape
func ExpNEON(dst, src []float32)

// SoftplusNEON sets dst[i] = softplus(src[i]) = log(1 + exp(src[i])) for i
// < len(src) rounded down to a multiple of 4, bit-for-bit as the pure-Go
// softplus of package kernels; len(dst) >= len(src).
//
//go:noescape
func SoftplusNEON(dst, src []float32)
