package kernels

import (
	"fmt"
	"math"
)

// Symmetric int8 quantization: q = sat8(RNE(x·invScale)), the product rounded
// to float32 first, then rounded half to even and saturated to [-128, 127].
// NaN products quantize to 127 (the MINPS/MAXPS convention of the SIMD
// tiers). Every tier is bit-exact with the pure-Go twin.

// quantRNE8 rounds v half to even and saturates it to int8; NaN gives 127.
func quantRNE8(v float32) int8 {
	if !(v < 127) {
		return 127
	}
	if !(v > -128) {
		return -128
	}
	return int8(math.RoundToEven(float64(v)))
}

// QuantizeI8 sets q[i] = sat8(RNE(x[i]·invScale)) for i < len(x).
// It panics if q is shorter than x.
func QuantizeI8(x []float32, invScale float32, q []int8) {
	if len(q) < len(x) {
		panic(fmt.Sprintf("kernels.QuantizeI8: len(q) = %d < len(x) = %d", len(q), len(x)))
	}
	if len(x) == 0 {
		return
	}
	done := quantizeArch(active, x, invScale, q)
	quantizeGeneric(x[done:], invScale, q[done:len(x)])
}

func quantizeGeneric(x []float32, invScale float32, q []int8) {
	q = q[:len(x)]
	for i, v := range x {
		q[i] = quantRNE8(v * invScale)
	}
}

// QuantizeI8PerChannel quantizes rows of C = len(invScale) channels:
// q[i] = sat8(RNE(x[i]·invScale[i mod C])). len(x) must be a multiple of C and
// q at least as long as x; it panics otherwise.
func QuantizeI8PerChannel(x []float32, invScale []float32, q []int8) {
	c := len(invScale)
	if c == 0 || len(x)%c != 0 || len(q) < len(x) {
		panic(fmt.Sprintf("kernels.QuantizeI8PerChannel: len(x) = %d, len(invScale) = %d, len(q) = %d: want len(x) a multiple of len(invScale) > 0 and len(q) >= len(x)",
			len(x), c, len(q)))
	}
	for r := 0; r < len(x); r += c {
		row, qr := x[r:r+c], q[r:r+c]
		done := quantizeChanArch(active, row, invScale, qr)
		quantizeChanGeneric(row[done:], invScale[done:], qr[done:])
	}
}

func quantizeChanGeneric(x, invScale []float32, q []int8) {
	q = q[:len(x)]
	invScale = invScale[:len(x)]
	for i, v := range x {
		q[i] = quantRNE8(v * invScale[i])
	}
}

// DequantizeI8 sets x[i] = float32(q[i])·scale for i < len(q) (exact products
// rounded once, bit-exact across tiers). It panics if x is shorter than q.
func DequantizeI8(q []int8, scale float32, x []float32) {
	if len(x) < len(q) {
		panic(fmt.Sprintf("kernels.DequantizeI8: len(x) = %d < len(q) = %d", len(x), len(q)))
	}
	if len(q) == 0 {
		return
	}
	done := dequantizeArch(active, q, scale, x)
	dequantizeGeneric(q[done:], scale, x[done:len(q)])
}

func dequantizeGeneric(q []int8, scale float32, x []float32) {
	x = x[:len(q)]
	for i, v := range q {
		x[i] = float32(v) * scale
	}
}

// QuantizeI8Runs quantizes x in runs of run consecutive elements sharing a
// scale: q[i] = sat8(RNE(x[i]·invScale[i/run])), the arithmetic of
// QuantizeI8 on each run (an int8 SSM state, whose scale is shared by the
// lanes of a block or the channels of a head group). len(x) must be a
// multiple of run, invScale at least len(x)/run long and q at least as
// long as x; it panics otherwise.
func QuantizeI8Runs(x []float32, invScale []float32, run int, q []int8) {
	checkRuns("QuantizeI8Runs", len(x), len(q), len(invScale), run)
	if run == 8 && len(x) > 0 && quantizeRuns8Arch(active, x, invScale[:len(x)/8], q[:len(x)]) {
		return
	}
	if run >= 32 {
		for r := 0; r < len(x); r += run {
			QuantizeI8(x[r:r+run], invScale[r/run], q[r:r+run])
		}
		return
	}
	q = q[:len(x)]
	for r := 0; r < len(x); r += run {
		inv := invScale[r/run]
		for i, v := range x[r : r+run] {
			q[r+i] = quantRNE8(v * inv)
		}
	}
}

// DequantizeI8Runs is the inverse of QuantizeI8Runs: x[i] =
// float32(q[i])·scale[i/run] (exact products rounded once, as
// DequantizeI8). len(q) must be a multiple of run, scale at least
// len(q)/run long and x at least as long as q; it panics otherwise.
func DequantizeI8Runs(q []int8, scale []float32, run int, x []float32) {
	checkRuns("DequantizeI8Runs", len(q), len(x), len(scale), run)
	if run == 8 && len(q) > 0 && dequantizeRuns8Arch(active, q, scale[:len(q)/8], x[:len(q)]) {
		return
	}
	if run >= 32 {
		for r := 0; r < len(q); r += run {
			DequantizeI8(q[r:r+run], scale[r/run], x[r:r+run])
		}
		return
	}
	x = x[:len(q)]
	for r := 0; r < len(q); r += run {
		s := scale[r/run]
		for i, v := range q[r : r+run] {
			x[r+i] = float32(v) * s
		}
	}
}

func checkRuns(fn string, n, out, scales, run int) {
	if run <= 0 || n%run != 0 || scales < n/run || out < n {
		panic(fmt.Sprintf("kernels.%s: %d elements in runs of %d with %d scales and %d outputs", fn, n, run, scales, out))
	}
}
