//go:build noasm || !(amd64 || arm64)

package kernels

func expF32(dst, src []float32) { expF32Generic(dst, src) }

func softplusF32(dst, src []float32) { softplusF32Generic(dst, src) }
