package model

import (
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// silu(v) = v·sigmoid(v) = v / (1 + exp(-v)).
func silu(v float32) float32 {
	return v / (1 + expf(-v))
}

// softplus(v) = log1p(exp(v)), and v itself above 20 (torch's threshold).
func softplus(v float32) float32 {
	if v > 20 {
		return v
	}
	return float32(math.Log1p(math.Exp(float64(v))))
}

// Constants of expf (Cephes expf): v = k·ln2 + r with |r| ≤ ln2/2, ln2 split
// in two so that the reduction is exact, exp(r) by a degree-6 polynomial.
const (
	expMax = 88.72283  // exp overflows float32 above
	expMin = -87.33654 // exp is below the smallest normal float32 below
	log2e  = 1.44269504088896341
	ln2Hi  = 0.693359375
	ln2Lo  = -2.12194440e-4
	expP0  = 1.9875691500e-4
	expP1  = 1.3981999507e-3
	expP2  = 8.3334519073e-3
	expP3  = 4.1665795894e-2
	expP4  = 1.6666665459e-1
	expP5  = 5.0000001201e-1
)

// expf is exp for float32, accurate to about 1 ulp. Results below the
// smallest normal float32 flush to 0.
func expf(v float32) float32 {
	switch {
	case v > expMax:
		return float32(math.Inf(1))
	case v < expMin:
		return 0
	case v != v:
		return v
	}
	k := float32(math.Floor(float64(v*log2e + 0.5)))
	r := v - k*ln2Hi - k*ln2Lo
	p := ((((expP0*r+expP1)*r+expP2)*r+expP3)*r+expP4)*r + expP5
	return (p*r*r + r + 1) * math.Float32frombits(uint32(int32(k)+127)<<23)
}

// exp2Table[j] = 2^(j/32), rounded to float32.
var exp2Table = func() (t [32]float32) {
	for j := range t {
		t[j] = float32(math.Exp2(float64(j) / 32))
	}
	return t
}()

// expScaled writes dst[n] = exp(d·a[n]) for every n, accurate to about
// 1 ulp. With v = (k + 32·r/ln2)·ln2/32, k the nearest integer (rounded by
// adding 1.5·2^23) and |r| ≤ ln2/64: exp(v) = 2^(k>>5) · t · exp(r), where
// t = 2^((k&31)/32) comes from a table and exp(r) - 1 from its cubic Taylor
// polynomial (truncation error below 6e-10), combined as t + t·(exp(r) - 1).
// The loop makes no calls and its only branches, the clamps of the argument
// to [expMin, 88], are predictable: below expMin the result is the smallest
// normal float32 instead of 0. NaN stays NaN.
func expScaled(dst []float32, d float32, a []float32) {
	const (
		round     = 1.5 * (1 << 23)
		invLn2x32 = 32 * log2e
		ln2Hi32   = ln2Hi / 32 // exact: ln2Hi has few significant bits
		ln2Lo32   = ln2Lo / 32
	)
	dst = dst[:len(a)]
	for n, an := range a {
		v := d * an
		if v < expMin {
			v = expMin
		} else if v > 88 {
			v = 88
		}
		kr := v*invLn2x32 + round
		k := int32(math.Float32bits(kr)) - int32(math.Float32bits(round))
		kf := kr - round
		r := v - kf*ln2Hi32 - kf*ln2Lo32
		q := r * (1 + r*(0.5+r*(1.0/6))) // exp(r) - 1
		t := exp2Table[k&31]
		dst[n] = (t + t*q) * math.Float32frombits(uint32((k>>5)+127)<<23)
	}
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

// matmulTask computes y [L, n] = x [L, k] · wᵀ for a row-major weight
// w [n, k], split by weight rows. Every output is one full-length dot
// product, so the result does not depend on L or on the split: sequence and
// step mode give bit-identical products. Weight rows are taken in blocks that
// stay in L1 while every token row passes over them.
type matmulTask struct {
	w, x, y []float32
	L, n, k int
}

// matmulRowBlock is the number of weight rows (of up to a few KB each) kept
// hot in L1 while the token rows pass.
const matmulRowBlock = 8

func (g *matmulTask) run(lo, hi int) {
	L, n, k := g.L, g.n, g.k
	dot := blas32.Implementation()
	for j0 := lo; j0 < hi; j0 += matmulRowBlock {
		j1 := min(j0+matmulRowBlock, hi)
		for t := 0; t < L; t++ {
			xt, yt := g.x[t*k:(t+1)*k], g.y[t*n:(t+1)*n]
			for j := j0; j < j1; j++ {
				yt[j] = dot.Sdot(k, xt, 1, g.w[j*k:(j+1)*k], 1)
			}
		}
	}
}

// matmulMinWork is the smallest number of multiply-adds worth splitting
// across goroutines.
const matmulMinWork = 1 << 15

// matmul computes y [L, n] = x [L, k] · wᵀ for a row-major weight w [n, k],
// in parallel over the rows of w.
func (s *State) matmul(y, x, w []float32, L, n, k int) {
	g := &s.mm
	*g = matmulTask{w: w[:n*k], x: x[:L*k], y: y[:L*n], L: L, n: n, k: k}
	parallelFor(&s.wg, n, matmulMinWork/(L*k)+1, g)
	*g = matmulTask{}
}
