package model

import (
	"math"

	"github.com/quamba/quamba/kernels"
)

// silu(v) = v·sigmoid(v) = v / (1 + exp(-v)), with exp from kernels.Exp:
// the float32 operations of the gate of kernels.ScanM1F32, so that gating
// here gives the kernel's bits.
func silu(v float32) float32 {
	return v / (1 + kernels.Exp(-v))
}

// unitGate is the float32 whose silu is exactly 1 (1.2784646): as the z
// input of kernels.ScanM1F32 it makes the kernel return the scan output
// before the gate, unchanged.
var unitGate = math.Float32frombits(0x3fa3a4ba)

// softplus(v) = log1p(exp(v)), and v itself above 20 (torch's threshold),
// computed as max(v, 0) + log1p(exp(-|v|)) in float32 (within 3 ulp). The
// scans compute their own softplus in the kernels; this one gives an
// observer delta.
func softplus(v float32) float32 {
	switch {
	case v > 20 || v != v:
		return v
	case v < -17: // log1p(u) = u to float32 precision
		return kernels.Exp(v)
	}
	u := kernels.Exp(-abs32(v))
	return max(v, 0) + log1pUnit(u)
}

func abs32(v float32) float32 {
	return math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
}

// ln2 split in two, ln2Hi with few significant bits so that e·ln2Hi is exact.
const (
	ln2Hi = 0.693359375
	ln2Lo = -2.12194440e-4
)

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

// rmsNorm writes out[t] = in[t] / sqrt(mean(in[t]²) + eps) · w for each of the
// rows of width cols; the sum of squares is accumulated in float64.
func rmsNorm(out, in, w []float32, rows, cols int, eps float64) {
	for t := 0; t < rows; t++ {
		x := in[t*cols : (t+1)*cols]
		o := out[t*cols : (t+1)*cols]
		var ss float64
		for _, v := range x {
			ss += float64(v) * float64(v)
		}
		r := float32(1 / math.Sqrt(ss/float64(cols)+eps))
		for j, v := range x {
			o[j] = v * r * w[j]
		}
	}
}
