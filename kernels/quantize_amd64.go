//go:build !noasm

package kernels

import "github.com/quamba/quamba/kernels/amd64"

// amd64 binding of the quantization kernels. The AVX-512 code takes the
// whole slice (masked tail); the AVX2 code handles the longest prefix that
// is a multiple of 8 and reports its length, and the twin finishes the rest
// with the same arithmetic.

func quantizeArch(t Tier, x []float32, invScale float32, q []int8) int {
	if t == AVX512 {
		amd64.QuantizeI8AVX512(x, invScale, q)
		return len(x)
	}
	n := len(x) &^ 7
	if !avx2Up(t) || n == 0 {
		return 0
	}
	amd64.QuantizeI8AVX2(x[:n], invScale, q)
	return n
}

func quantizeChanArch(t Tier, x, invScale []float32, q []int8) int {
	if t == AVX512 {
		amd64.QuantizeI8ChanAVX512(x, invScale, q)
		return len(x)
	}
	n := len(x) &^ 7
	if !avx2Up(t) || n == 0 {
		return 0
	}
	amd64.QuantizeI8ChanAVX2(x[:n], invScale, q)
	return n
}

func dequantizeArch(t Tier, q []int8, scale float32, x []float32) int {
	if t == AVX512 {
		amd64.DequantizeI8AVX512(q, scale, x)
		return len(q)
	}
	n := len(q) &^ 7
	if !avx2Up(t) || n == 0 {
		return 0
	}
	amd64.DequantizeI8AVX2(q[:n], scale, x)
	return n
}

// The run-scaled quantizers have AVX2 code for runs of 8 (one vector per
// run), used by the AVX-512 tier too.

func quantizeRuns8Arch(t Tier, x, invScale []float32, q []int8) bool {
	if !avx2Up(t) {
		return false
	}
	amd64.QuantizeI8Runs8AVX2(x, invScale, q)
	return true
}

func dequantizeRuns8Arch(t Tier, q []int8, scale []float32, x []float32) bool {
	if !avx2Up(t) {
		return false
	}
	amd64.DequantizeI8Runs8AVX2(q, scale, x)
	return true
}
