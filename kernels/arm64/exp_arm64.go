//go:build !noasm

package arm64

// ExpNEON sets dst[i] = exp(src[i]) for i < len(src) rounded down to a
// multiple of 4 (the caller handles the rest); len(dst) >= len(src). The
// result is bit-for-bit the pure-Go kernels.Exp.
//
//go:noescape
func ExpNEON(dst, src []float32)
