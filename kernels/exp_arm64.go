//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/arm64"

func expF32(dst, src []float32) {
	if neonTier(active) {
		n := len(src) &^ 3
		arm64.ExpNEON(dst[:n], src[:n])
		dst, src = dst[n:], src[n:]
	}
	expF32Generic(dst, src)
}

func softplusF32(dst, src []float32) {
	if neonTier(active) {
		n := len(src) &^ 3
		arm64.SoftplusNEON(dst[:n], src[:n])
		dst, src = dst[n:], src[n:]
	}
	softplusF32Generic(dst, src)
}
