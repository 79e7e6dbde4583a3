package quant

import (
	"fmt"
	"math"
	"sync"

	"github.com/quamba/quamba/kernels"
)

// MaxHessianK is the largest input size a Hessian accepts (it holds K·K
// float64: 2 GiB at this size, 512 MiB for K = 8192).
const MaxHessianK = 16384

// hessianTokens is the number of tokens multiplied in float32 at a time
// before being added into the float64 total.
const hessianTokens = 256

// hessianRows is the number of Hessian rows one task computes.
const hessianRows = 256

// hessianScratch holds float32 output blocks of Hessian.Add.
var hessianScratch = sync.Pool{New: func() any { return new([]float32) }}

// Hessian accumulates the GPTQ Hessian of a linear layer with K inputs,
//
//	H = (2/n)·Σ_t x_t·x_tᵀ   [K, K]
//
// over n activation rows x_t. Add multiplies blocks of up to 256 tokens in
// float32 (kernels.MatMulF32) and adds every block into float64 totals; the
// result depends only on the sequence of Add and Merge calls, not on
// GOMAXPROCS. The zero value is not usable: call NewHessian.
type Hessian struct {
	k   int
	n   int64
	sum []float64 // Σ x xᵀ, row-major [k, k]; only the upper triangle (i ≤ j) is kept
}

// NewHessian returns an empty Hessian over k inputs, 1 ≤ k ≤ MaxHessianK.
func NewHessian(k int) (*Hessian, error) {
	if k <= 0 || k > MaxHessianK {
		return nil, fmt.Errorf("quant: NewHessian: K = %d is not in [1, %d]", k, MaxHessianK)
	}
	return &Hessian{k: k, sum: make([]float64, k*k)}, nil
}

// K is the number of inputs.
func (h *Hessian) K() int { return h.k }

// Tokens is the number of activation rows added so far (n).
func (h *Hessian) Tokens() int64 { return h.n }

// Add accumulates the activation rows x [tokens, K] (row-major, contiguous).
// NaN or infinite activations are rejected (naming token and column) and
// leave h unchanged.
func (h *Hessian) Add(x []float32, tokens int) error {
	if tokens < 0 || len(x) != tokens*h.k || (h.k > 0 && tokens > math.MaxInt/h.k) {
		return fmt.Errorf("quant: Hessian.Add: %d values for %d tokens of %d inputs", len(x), tokens, h.k)
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("quant: Hessian.Add: activation [%d][%d] is %v", i/h.k, i%h.k, v)
		}
	}
	k := h.k
	xt := make([]float32, k*hessianTokens)
	for t0 := 0; t0 < tokens; t0 += hessianTokens {
		tb := min(hessianTokens, tokens-t0)
		// xt [K, tb] = blockᵀ: y[i][j] = Σ_t xt[i][t]·xt[j][t] = Σ_t x_t[i]·x_t[j].
		for t := 0; t < tb; t++ {
			row := x[(t0+t)*k : (t0+t+1)*k]
			for i, v := range row {
				xt[i*tb+t] = v
			}
		}
		w, err := kernels.PackF32(k, tb, xt[:k*tb], tb)
		if err != nil {
			return fmt.Errorf("quant: Hessian.Add: %w", err)
		}
		nb := (k + hessianRows - 1) / hessianRows
		forRowBlocks(nb, 1, func(lo, hi int) {
			buf := hessianScratch.Get().(*[]float32)
			defer hessianScratch.Put(buf)
			if cap(*buf) < hessianRows*k {
				*buf = make([]float32, hessianRows*k)
			}
			y := (*buf)[:hessianRows*k]
			for b := lo; b < hi; b++ {
				i0, i1 := b*hessianRows, min(k, (b+1)*hessianRows)
				wv := w.Panels(i0/kernels.PanelRows, w.NumPanels())
				ld := k - i0
				kernels.MatMulF32(i1-i0, xt[i0*tb:], tb, wv, nil, y, ld)
				for i := i0; i < i1; i++ {
					dst := h.sum[i*k+i : (i+1)*k]
					src := y[(i-i0)*ld+(i-i0) : (i-i0+1)*ld]
					for j, v := range src {
						dst[j] += float64(v)
					}
				}
			}
		})
	}
	h.n += int64(tokens)
	return nil
}

// Merge adds the totals and token count of o (over the same K) into h. For
// reproducible results merge partial Hessians in a fixed order.
func (h *Hessian) Merge(o *Hessian) error {
	if o == nil || o.k != h.k {
		return fmt.Errorf("quant: Hessian.Merge: merging a Hessian over %d inputs into one over %d", hessianK(o), h.k)
	}
	for i, v := range o.sum {
		h.sum[i] += v
	}
	h.n += o.n
	return nil
}

func hessianK(h *Hessian) int {
	if h == nil {
		return 0
	}
	return h.k
}

// Matrix returns H = (2/n)·Σ x·xᵀ as a symmetric row-major [K, K] float64
// matrix. It fails when no token was added.
func (h *Hessian) Matrix() ([]float64, error) {
	if h.n == 0 {
		return nil, fmt.Errorf("quant: Hessian.Matrix: no activations were added")
	}
	k := h.k
	f := 2 / float64(h.n)
	m := make([]float64, k*k)
	for i := 0; i < k; i++ {
		for j := i; j < k; j++ {
			v := f * h.sum[i*k+j]
			m[i*k+j], m[j*k+i] = v, v
		}
	}
	return m, nil
}
