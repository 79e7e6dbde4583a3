package kernels

import (
	"fmt"
	"math"
)

// RMSNorm kernels: the block norm with the residual add fused (Mamba1 and
// Mamba2) and Mamba2's gated RMSNorm (norm_before_gate = false).
//
// Arithmetic, shared by all tiers:
//   - the sum of squares Σv² is accumulated in float64 with fused
//     multiply-adds (the SIMD tiers use several float64 lanes, so the sums
//     differ in the last float64 bits only);
//   - r = 1/√(Σv²/n + eps) in float64, then s = float32(r) for float outputs
//     or s = float32(r·invScale) for int8 outputs;
//   - out[i] = float32(v[i]·s)·w[i] (two float32 roundings), or
//     q[i] = sat8(RNE(float32(v[i]·s)·w[i])).
//
// Tiers therefore agree bit for bit except when the float64 sums, taken in
// different orders, put s on different sides of a float32 rounding
// boundary: then s, and every output of the row, differs by at most one
// float32 ulp of s (int8 outputs by at most 1). The tests allow exactly that.

// rmsFactor returns float32(mul/√(ss/n + eps)).
func rmsFactor(ss float64, n int, eps, mul float32) float32 {
	return float32(float64(mul) / math.Sqrt(ss/float64(n)+float64(eps)))
}

// sumSqGeneric returns Σ x[i]² in float64 with fused multiply-adds.
func sumSqGeneric(x []float32) float64 {
	var ss float64
	for _, v := range x {
		ss = math.FMA(float64(v), float64(v), ss)
	}
	return ss
}

func sumSq(x []float32) float64 {
	done, ss := sumSqArch(active, x)
	return ss + sumSqGeneric(x[done:])
}

// addSumSq sets res += h and returns Σ res² (after the add).
func addSumSq(res, h []float32) float64 {
	done, ss := addSumSqArch(active, res, h)
	res, h = res[done:], h[done:len(res)]
	for i := range res {
		res[i] += h[i]
	}
	return ss + sumSqGeneric(res)
}

// scaleMul sets out[i] = float32(v[i]·s)·w[i].
func scaleMul(out, v, w []float32, s float32) {
	done := scaleMulArch(active, out, v, w, s)
	out, v, w = out[done:len(v)], v[done:], w[done:len(v)]
	for i := range v {
		out[i] = float32(v[i]*s) * w[i]
	}
}

// scaleMulQuant sets q[i] = sat8(RNE(float32(v[i]·s)·w[i])).
func scaleMulQuant(q []int8, v, w []float32, s float32) {
	done := scaleMulQuantArch(active, q, v, w, s)
	q, v, w = q[done:len(v)], v[done:], w[done:len(v)]
	for i := range v {
		q[i] = quantRNE8(float32(v[i]*s) * w[i])
	}
}

func checkNorm(fn string, res, h, w []float32, nout int) {
	n := len(res)
	if n == 0 || (h != nil && len(h) < n) || len(w) < n || nout < n {
		panic(fmt.Sprintf("kernels.%s: len(res) = %d, len(h) = %d, len(w) = %d, len(out) = %d: want n > 0 and the others >= n (h may be nil)",
			fn, n, len(h), len(w), nout))
	}
}

// AddRMSNormF32 adds h to the residual stream in place (res[i] += h[i],
// skipped when h is nil) and writes out = RMSNorm(res)·w:
// out[i] = float32(res[i]·s)·w[i], s = float32(1/√(mean(res²)+eps)).
// n = len(res); h, w and out must be at least as long.
func AddRMSNormF32(res, h, w []float32, eps float32, out []float32) {
	checkNorm("AddRMSNormF32", res, h, w, len(out))
	s := rmsFactor(normSumSq(res, h), len(res), eps, 1)
	scaleMul(out, res, w, s)
}

// AddRMSNormQuantI8 is AddRMSNormF32 with int8 output quantized with
// invScale: q[i] = sat8(RNE(float32(res[i]·s)·w[i])),
// s = float32(invScale/√(mean(res²)+eps)).
func AddRMSNormQuantI8(res, h, w []float32, eps, invScale float32, q []int8) {
	checkNorm("AddRMSNormQuantI8", res, h, w, len(q))
	s := rmsFactor(normSumSq(res, h), len(res), eps, invScale)
	scaleMulQuant(q, res, w, s)
}

func normSumSq(res, h []float32) float64 {
	if h == nil {
		return sumSq(res)
	}
	return addSumSq(res, h)
}

// Gated RMSNorm, norm_before_gate = false: v = y·silu(z) (silu as in the
// conv kernels, zf/(1+Exp(-zf)), with zf = float32(z)·zScale for int8 z),
// then each group of groupSize consecutive channels is normalised by its own
// root mean square and multiplied by w.

func checkGated(fn string, y []float32, nz int, w []float32, groupSize, nout int) {
	n := len(y)
	if n == 0 || groupSize <= 0 || n%groupSize != 0 || nz < n || len(w) < n || nout < n {
		panic(fmt.Sprintf("kernels.%s: len(y) = %d, groupSize = %d, len(z) = %d, len(w) = %d, len(out) = %d: want len(y) a positive multiple of groupSize and the others >= len(y)",
			fn, n, groupSize, nz, len(w), nout))
	}
}

// GatedRMSNormF32 writes out = GroupRMSNorm(y·silu(z))·w with float32 z.
// n = len(y) is a multiple of groupSize; z, w and out are at least n long.
func GatedRMSNormF32(y, z, w []float32, groupSize int, eps float32, out []float32) {
	checkGated("GatedRMSNormF32", y, len(z), w, groupSize, len(out))
	for g := 0; g < len(y); g += groupSize {
		v := out[g : g+groupSize]
		ss := gateF32(v, y[g:g+groupSize], z[g:g+groupSize])
		scaleMul(v, v, w[g:g+groupSize], rmsFactor(ss, groupSize, eps, 1))
	}
}

// GatedRMSNormZI8F32 is GatedRMSNormF32 with int8 z and its scale zScale.
func GatedRMSNormZI8F32(y []float32, z []int8, zScale float32, w []float32, groupSize int, eps float32, out []float32) {
	checkGated("GatedRMSNormZI8F32", y, len(z), w, groupSize, len(out))
	for g := 0; g < len(y); g += groupSize {
		v := out[g : g+groupSize]
		ss := gateI8(v, y[g:g+groupSize], z[g:g+groupSize], zScale)
		scaleMul(v, v, w[g:g+groupSize], rmsFactor(ss, groupSize, eps, 1))
	}
}

// GatedRMSNormZI8QuantI8 is GatedRMSNormZI8F32 with int8 output quantized
// with invScale. y is used as scratch: on return it holds y·silu(z).
func GatedRMSNormZI8QuantI8(y []float32, z []int8, zScale float32, w []float32, groupSize int, eps, invScale float32, q []int8) {
	checkGated("GatedRMSNormZI8QuantI8", y, len(z), w, groupSize, len(q))
	for g := 0; g < len(y); g += groupSize {
		v := y[g : g+groupSize]
		ss := gateI8(v, v, z[g:g+groupSize], zScale)
		scaleMulQuant(q[g:g+groupSize], v, w[g:g+groupSize], rmsFactor(ss, groupSize, eps, invScale))
	}
}

// GatedRMSNormQuantI8 is GatedRMSNormF32 with int8 output quantized with
// invScale. y is used as scratch: on return it holds y·silu(z).
func GatedRMSNormQuantI8(y, z, w []float32, groupSize int, eps, invScale float32, q []int8) {
	checkGated("GatedRMSNormQuantI8", y, len(z), w, groupSize, len(q))
	for g := 0; g < len(y); g += groupSize {
		v := y[g : g+groupSize]
		ss := gateF32(v, v, z[g:g+groupSize])
		scaleMulQuant(q[g:g+groupSize], v, w[g:g+groupSize], rmsFactor(ss, groupSize, eps, invScale))
	}
}

// gateF32 sets v[i] = y[i]·silu32(z[i]) and returns Σ v[i]². v may alias y.
func gateF32(v, y, z []float32) float64 {
	done, ss := gateF32Arch(active, v, y, z)
	v, y, z = v[done:], y[done:len(v)], z[done:len(v)]
	for i := range v {
		v[i] = y[i] * silu32(z[i])
	}
	return ss + sumSqGeneric(v)
}

// gateI8 sets v[i] = y[i]·silu32(float32(z[i])·zScale) and returns Σ v[i]².
func gateI8(v, y []float32, z []int8, zScale float32) float64 {
	done, ss := gateI8Arch(active, v, y, z, zScale)
	v, y, z = v[done:], y[done:len(v)], z[done:len(v)]
	for i := range v {
		v[i] = y[i] * silu32(float32(z[i])*zScale)
	}
	return ss + sumSqGeneric(v)
}
