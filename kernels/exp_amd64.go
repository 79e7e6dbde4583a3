//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

func expF32(dst, src []float32) {
	switch {
	case active == AVX512:
		amd64.ExpAVX512(dst, src)
		return
	case avx2Up(active):
		n := len(src) &^ 7
		amd64.ExpAVX2(dst[:n], src[:n])
		dst, src = dst[n:], src[n:]
	}
	expF32Generic(dst, src)
}

func softplusF32(dst, src []float32) {
	switch {
	case active == AVX512:
		amd64.SoftplusAVX512(dst, src)
		return
	case avx2Up(active):
		n := len(src) &^ 7
		amd64.SoftplusAVX2(dst[:n], src[:n])
		dst, src = dst[n:], src[n:]
	}
	softplusF32Generic(dst, src)
}
