package model

import (
	"math"

	"github.com/quamba/quamba/kernels"
)

// scanGate sets y[j] *= z[j] / (1 + exp(-z[j])), with exp from
// kernels.ExpF32 (the bits of kernels.Exp): the float32 operations of the z
// gate of kernels.ScanM1F32, so that y gated here has the kernel's bits. e
// is scratch of len(y).
func scanGate(y, z, e []float32) {
	e = e[:len(y)]
	for j, v := range z[:len(y)] {
		e[j] = -v
	}
	kernels.ExpF32(e, e)
	for j, v := range z[:len(y)] {
		y[j] *= v / (1 + e[j])
	}
}

// unitGate is the float32 whose gate z / (1 + kernels.Exp(-z)) is exactly 1
// (1.2784646): as the z input of kernels.ScanM1F32 it makes the kernel
// return the scan output before the gate, unchanged.
var unitGate = math.Float32frombits(0x3fa3a4ba)

// softplus(v) = log1p(exp(v)), and v itself above 20 (torch's threshold),
// computed as max(v, 0) + log1p(exp(-|v|)) in float32 (within 3 ulp). The
// scan kernels compute their own softplus; this one gives an observer
// delta.
func softplus(v float32) float32 {
	switch {
	case v > 20 || v != v:
		return v
	case v < -17: // log1p(u) = u to float32 precision
		return expf(v)
	}
	u := expf(-abs32(v))
	return max(v, 0) + log1pUnit(u)
}

func abs32(v float32) float32 {
	return math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
}

// log1pUnit returns log(1 + u) for u in [0, 1] in float32 (Cephes logf on
// w = 1 + u, plus the rounding correction (u - (w - 1)) / w).
func log1pUnit(u float32) float32 {
	w := 1 + u
	corr := (u - (w - 1)) / w
	// w = m·2^e with m in [sqrt(1/2), sqrt(2)); here e is 0 or 1.
	var e float32
	m := w
	if w > math.Sqrt2 {
		m, e = w*0.5, 1
	}
	x := m - 1
	z := x * x
	y := ((((((((7.0376836292e-2*x-1.1514610310e-1)*x+1.1676998740e-1)*x-1.2420140846e-1)*x+
		1.4249322787e-1)*x-1.6668057665e-1)*x+2.0000714765e-1)*x-2.4999993993e-1)*x + 3.3333331174e-1) * x * z
	y += ln2Lo*e - 0.5*z
	return x + y + ln2Hi*e + corr
}

// Constants of the float32 exponential: v = (k + 32·r/ln2)·ln2/32 with k an
// integer and |r| ≤ ln2/64, ln2 split in two so that the reduction is exact.
const (
	expMax    = 88.72283  // exp overflows float32 above
	expMin    = -87.33654 // exp is below the smallest normal float32 below
	log2e     = 1.44269504088896341
	ln2Hi     = 0.693359375
	ln2Lo     = -2.12194440e-4
	expRound  = 1.5 * (1 << 23) // adding it rounds a float32 below 2^22 to an integer
	invLn2x32 = 32 * log2e
	ln2Hi32   = ln2Hi / 32 // exact: ln2Hi has few significant bits
	ln2Lo32   = ln2Lo / 32
)

// exp2Table[j] = 2^(j/32), rounded to float32.
var exp2Table = func() (t [32]float32) {
	for j := range t {
		t[j] = float32(math.Exp2(float64(j) / 32))
	}
	return t
}()

// expCore is exp(v) for v in [expMin, 88], accurate to about 1 ulp:
// exp(v) = 2^(k>>5) · t · exp(r), where t = 2^((k&31)/32) comes from a table
// and exp(r) - 1 from its cubic Taylor polynomial (truncation error below
// 6e-10), combined as t + t·(exp(r) - 1). NaN gives NaN.
func expCore(v float32) float32 {
	kr := v*invLn2x32 + expRound
	k := int32(math.Float32bits(kr)) - int32(math.Float32bits(expRound))
	kf := kr - expRound
	r := v - kf*ln2Hi32 - kf*ln2Lo32
	q := r * (1 + r*(0.5+r*(1.0/6))) // exp(r) - 1
	t := exp2Table[k&31]
	return (t + t*q) * math.Float32frombits(uint32((k>>5)+127)<<23)
}

// expf is exp for float32, accurate to about 1 ulp. Results below the
// smallest normal float32 flush to 0.
func expf(v float32) float32 {
	switch {
	case v < expMin:
		return 0
	case v > 88:
		if v > expMax {
			return float32(math.Inf(1))
		}
		return 2 * expCore(v-math.Ln2)
	}
	return expCore(v)
}

// rmsNorm writes out[t] = in[t] / sqrt(mean(in[t]²) + eps) · w for each of the
// rows of width cols (kernels.AddRMSNormF32, sum of squares in float64).
func rmsNorm(out, in, w []float32, rows, cols int, eps float64) {
	for t := 0; t < rows; t++ {
		kernels.AddRMSNormF32(in[t*cols:(t+1)*cols], nil, w, float32(eps), out[t*cols:(t+1)*cols])
	}
}
