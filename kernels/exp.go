package kernels

import "math"

// Constants of Exp and softplus; kernels/amd64/exp_amd64.h holds the same
// values as bit patterns.
const (
	expHi    = 89.0   // exp(x) = +Inf for x > 88.7228317
	expLo    = -104.0 // exp(x) = 0 for x <= -103.972
	expLog2e = 1.44269504088896341
	expLn2Hi = 0.693359375     // 355/512: n*expLn2Hi is exact for |n| <= 150
	expLn2Lo = -2.12194440e-4  // ln2 - expLn2Hi
	expP0    = 1.9875691500e-4 // Cephes expf minimax polynomial
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 5.0000001201e-1
)

// softplusQ holds Q(w) ~ log1p(w)/w on [0, 1], lowest degree first.
var softplusQ = [10]float32{
	1, -0.49999893, 0.3332971, -0.24951616, 0.19663274,
	-0.15269667, 0.105436236, -0.05637361, 0.019542526, -0.003176057,
}

// Exp returns e**x in float32 arithmetic, within about 1 ulp of the exact
// value for every input: 1.0103 ulp at most over all 2.24e9 float32 in
// [-104, 89] (an exhaustive run; TestExpAccuracy checks a dense sample). It
// is the specification of the SIMD exp kernels, which return the same bits.
//
// Special cases: Exp(+Inf) = +Inf and Exp(x) = +Inf for x > 88.7228317;
// Exp(-Inf) = 0; underflow is gradual: results in the subnormal range are
// rounded once, and Exp(x) = 0 for x <= -103.972; Exp(NaN) = NaN.
//
// Method: Cody-Waite reduction x = n*ln2 + r with |r| <= ln2/2, the Cephes
// expf polynomial for e**r, and scaling by 2**n in two exact steps
// (2**(n>>1) then 2**(n-(n>>1))), so that the only rounding into the
// subnormal range is the last multiplication.
func Exp(x float32) float32 {
	if x != x {
		return x
	}
	x = min(x, expHi)
	x = max(x, expLo)
	n := float32(math.RoundToEven(float64(x * expLog2e)))
	r := expFMA(-n, expLn2Hi, x)
	r = expFMA(-n, expLn2Lo, r)
	p := expFMA(expP0, r, expP1)
	p = expFMA(p, r, expP2)
	p = expFMA(p, r, expP3)
	p = expFMA(p, r, expP4)
	p = expFMA(p, r, expP5)
	z := r * r
	p = expFMA(p, z, r)
	p++
	ni := int32(n)
	n1 := ni >> 1
	n2 := ni - n1
	p *= math.Float32frombits(uint32(n1+127) << 23)
	return p * math.Float32frombits(uint32(n2+127)<<23)
}

// ExpF32 sets dst[i] = Exp(src[i]) for every i < len(src), bit-for-bit as
// Exp on every tier. It panics if len(dst) < len(src). dst and src may be
// the same slice.
func ExpF32(dst, src []float32) {
	if len(dst) < len(src) {
		panic("kernels.ExpF32: len(dst) < len(src)")
	}
	expF32(dst[:len(src)], src)
}

func expF32Generic(dst, src []float32) {
	for i, x := range src {
		dst[i] = Exp(x)
	}
}

// softplus returns log(1 + e**v) in float32, within about 2 ulp, computed
// as max(v, 0) + log1p(w) with w = Exp(-|v|) and log1p(w) = w*Q(w). For
// v > 20 the correction is below half an ulp and the result is v itself,
// like the reference's identity branch. Same bits as SOFTPLUS_AVX2.
func softplus(v float32) float32 {
	w := Exp(math.Float32frombits(math.Float32bits(v) | 1<<31))
	q := softplusQ[9]
	for k := 8; k >= 0; k-- {
		q = expFMA(q, w, softplusQ[k])
	}
	t := float32(q * w) // explicit rounding: no fused multiply-add (arm64)
	m := v
	if v < 0 {
		m = 0
	}
	return m + t
}

// SoftplusF32 sets dst[i] = log(1 + e**src[i]) for every i < len(src), the
// softplus the scan kernels apply to dt (within about 2 ulp; src itself
// above 20), bit-for-bit on every tier. It panics if len(dst) < len(src);
// dst and src may be the same slice.
func SoftplusF32(dst, src []float32) {
	if len(dst) < len(src) {
		panic("kernels.SoftplusF32: dst shorter than src")
	}
	softplusF32(dst[:len(src)], src)
}

// softplusF32Generic sets dst[i] = softplus(src[i]); softplusF32 is the
// same on the SIMD tiers (bit-for-bit). len(dst) >= len(src).
func softplusF32Generic(dst, src []float32) {
	for i, v := range src {
		dst[i] = softplus(v)
	}
}

// expFMA returns a*b + c rounded once to float32, as a float32 FMA
// instruction does. The float64 FMA is exact for the product, but rounding
// its result again to float32 could round twice; when the float64 result
// sits exactly on a float32 rounding boundary and was itself inexact, it is
// nudged one float64 ulp toward the exact value first.
func expFMA(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact: 48 significant bits
	s := p + float64(c)
	// Exact error of s (TwoSum): p + c = s + e.
	bb := s - p
	e := (p - (s - bb)) + (float64(c) - bb)
	if e != 0 && expOnFloat32Midpoint(s) {
		s = math.Nextafter(s, math.Copysign(math.Inf(1), e))
	}
	return float32(s)
}

// expOnFloat32Midpoint reports whether the float64 s lies exactly halfway
// between two adjacent float32 values.
func expOnFloat32Midpoint(s float64) bool {
	a := math.Abs(s)
	if a < 0x1p-126 {
		// float32 subnormal range: spacing 2**-149, midpoints odd multiples of 2**-150.
		t := a * 0x1p150
		return t == math.Trunc(t) && math.Mod(t, 2) == 1
	}
	return math.Float64bits(s)&(1<<29-1) == 1<<28
}
