package model

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// silu(v) = v·sigmoid(v) = v / (1 + exp(-v)).
func silu(v float32) float32 {
	return float32(float64(v) / (1 + math.Exp(-float64(v))))
}

// softplus(v) = log1p(exp(v)), and v itself above 20 (torch's threshold).
func softplus(v float32) float32 {
	if v > 20 {
		return v
	}
	return float32(math.Log1p(math.Exp(float64(v))))
}

func expf(v float32) float32 {
	return float32(math.Exp(float64(v)))
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

// gemvTask computes y[r] = w[r,:]·x for rows r of w [rows, k].
type gemvTask struct {
	w, x, y []float32
	k       int
}

func (g *gemvTask) run(lo, hi int) {
	k := g.k
	xv := blas32.Vector{N: k, Inc: 1, Data: g.x[:k]}
	for r := lo; r < hi; r++ {
		g.y[r] = blas32.Dot(xv, blas32.Vector{N: k, Inc: 1, Data: g.w[r*k : (r+1)*k]})
	}
}

// gemvMinWork is the smallest number of multiply-adds worth splitting across
// goroutines.
const gemvMinWork = 1 << 15

// matmul computes y [L, n] = x [L, k] · wᵀ for a row-major weight w [n, k]:
// a parallel matrix-vector product when L is 1, a blocked GEMM otherwise.
func (s *State) matmul(y, x, w []float32, L, n, k int) {
	y, x, w = y[:L*n], x[:L*k], w[:n*k]
	if L == 1 {
		g := &s.gemv
		g.w, g.x, g.y, g.k = w, x, y, k
		minRows := gemvMinWork/k + 1
		parallelFor(&s.wg, n, minRows, g)
		g.w, g.x, g.y = nil, nil, nil
		return
	}
	blas32.Gemm(blas.NoTrans, blas.Trans, 1,
		blas32.General{Rows: L, Cols: k, Stride: k, Data: x},
		blas32.General{Rows: n, Cols: k, Stride: k, Data: w},
		0, blas32.General{Rows: L, Cols: n, Stride: n, Data: y})
}
