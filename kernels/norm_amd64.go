//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// amd64 binding of the norm kernels: the AVX2 code handles the longest
// prefix that is a multiple of 8 and reports its length (and partial sum of
// squares); package norm.go finishes the rest. The AVX-512 kernels take
// the whole slice (masked tail).

func sumSqArch(t Tier, x []float32) (int, float64) {
	if t == AVX512 {
		return len(x), amd64.SumSqAVX512(x)
	}
	n := len(x) &^ 7
	if !avx2Up(t) || n == 0 {
		return 0, 0
	}
	return n, amd64.SumSqAVX2(x[:n])
}

func addSumSqArch(t Tier, res, h []float32) (int, float64) {
	if t == AVX512 {
		return len(res), amd64.AddSumSqAVX512(res, h[:len(res)])
	}
	n := len(res) &^ 7
	if !avx2Up(t) || n == 0 {
		return 0, 0
	}
	return n, amd64.AddSumSqAVX2(res[:n], h[:n])
}

func scaleMulArch(t Tier, out, v, w []float32, s float32) int {
	if t == AVX512 {
		amd64.ScaleMulAVX512(out[:len(v)], v, w[:len(v)], s)
		return len(v)
	}
	n := len(v) &^ 7
	if !avx2Up(t) || n == 0 {
		return 0
	}
	amd64.ScaleMulAVX2(out[:n], v[:n], w[:n], s)
	return n
}

func scaleMulQuantArch(t Tier, q []int8, v, w []float32, s float32) int {
	if t == AVX512 {
		amd64.ScaleMulQuantAVX512(q[:len(v)], v, w[:len(v)], s)
		return len(v)
	}
	n := len(v) &^ 7
	if !avx2Up(t) || n == 0 {
		return 0
	}
	amd64.ScaleMulQuantAVX2(q[:n], v[:n], w[:n], s)
	return n
}

func gateF32Arch(t Tier, v, y, z []float32) (int, float64) {
	if t == AVX512 {
		return len(v), amd64.GateF32AVX512(v, y[:len(v)], z[:len(v)])
	}
	n := len(v) &^ 7
	if !avx2Up(t) || n == 0 {
		return 0, 0
	}
	return n, amd64.GateF32AVX2(v[:n], y[:n], z[:n])
}

func gateI8Arch(t Tier, v, y []float32, z []int8, zScale float32) (int, float64) {
	if t == AVX512 {
		return len(v), amd64.GateI8AVX512(v, y[:len(v)], z[:len(v)], zScale)
	}
	n := len(v) &^ 7
	if !avx2Up(t) || n == 0 {
		return 0, 0
	}
	return n, amd64.GateI8AVX2(v[:n], y[:n], z[:n], zScale)
}
