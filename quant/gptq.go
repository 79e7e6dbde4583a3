package quant

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// GPTQ (Frantar et al. 2022; quamba.md §4.7) quantizes the columns of
// W [rows, K] one at a time in natural order (no act-order) and spreads each
// column's rounding error over the columns not yet quantized, weighted by
// the inverse Hessian of the layer's inputs:
//
//	H    ← H with dead columns (H_ii = 0) set to H_ii = 1 and W[:, i] = 0,
//	       then H_ii += Damp·mean_i(H_ii)
//	U    = upper Cholesky factor of H⁻¹ (H⁻¹ = UᵀU), float64
//	for i = 0 .. K-1:
//	    ŵ_i  = quant(W[:, i])                 (scale set when its group begins)
//	    e    = (W[:, i] - ŵ_i) / U_ii
//	    W[:, j] -= e·U_ij  for all j > i
//
// The updates beyond the current batch of 128 columns are applied lazily,
// once per batch (same result up to float64 summation order). Rows are
// independent given U and run in blocks on up to GOMAXPROCS goroutines; each
// row's arithmetic is fixed, so results do not depend on GOMAXPROCS. All
// arithmetic is float64; the value used for the error is the exact product
// (code)·s with the float32 scale s.
//
// U is computed from one Cholesky factorisation: with J the reversal
// permutation, J·H·J = L·Lᵀ gives H⁻¹ = UᵀU with U = J·L⁻¹·J (upper,
// positive diagonal, hence the unique factor); L⁻¹ is computed row by row
// in parallel (invLowerRows).

// gptqBatch is the lazy-batch width (the largest group size).
const gptqBatch = 128

// gptqRowBlock is the number of rows one goroutine task processes.
const gptqRowBlock = 32

// GPTQOptions configures GPTQ.
type GPTQOptions struct {
	// Damp is the relative damping λ ≥ 0 added to the Hessian diagonal,
	// H_ii += λ·mean_i(H_ii); 0 means the default 0.01.
	Damp float64
}

// gptqQuantizer quantizes one weight of a row inside the GPTQ loop: it
// returns the dequantized value of column c of row r (current weights row,
// all K columns) and records the code. e is scratch of gptqBatch values.
// Calls for one row come in column order from one goroutine.
type gptqQuantizer interface {
	quant(r, c int, row []float64, e []float64) float64
}

// gptqHessian validates h against cols and returns the damped Hessian, its
// dead columns and the upper Cholesky factor U of its inverse, all [K, K]
// row-major.
func gptqHessian(fn string, h *Hessian, cols int, opt GPTQOptions) (hd, u []float64, dead []bool, err error) {
	if h == nil {
		return nil, nil, nil, fmt.Errorf("quant: %s: no Hessian", fn)
	}
	if h.K() != cols {
		return nil, nil, nil, fmt.Errorf("quant: %s: Hessian is over %d inputs, weights have %d columns", fn, h.K(), cols)
	}
	damp := opt.Damp
	if damp == 0 {
		damp = 0.01
	}
	if !(damp >= 0) || math.IsInf(damp, 0) {
		return nil, nil, nil, fmt.Errorf("quant: %s: damping %v must be finite and non-negative", fn, opt.Damp)
	}
	hd, err = h.Matrix()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("quant: %s: %w", fn, err)
	}
	k := cols
	dead = make([]bool, k)
	var mean float64
	for i := 0; i < k; i++ {
		if hd[i*k+i] == 0 {
			dead[i] = true
			hd[i*k+i] = 1
		}
		mean += hd[i*k+i]
	}
	mean /= float64(k)
	for i := 0; i < k; i++ {
		hd[i*k+i] += damp * mean
	}
	// J·H·J = L·Lᵀ.
	rev := make([]float64, k*k)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			rev[i*k+j] = hd[(k-1-i)*k+(k-1-j)]
		}
	}
	// gonum's Cholesky (lapack64.Potrf, what mat.Cholesky runs, without its
	// condition-number estimate): J·H·J = RᵀR, L = Rᵀ.
	raw, ok := lapack64.Potrf(blas64.Symmetric{N: k, Stride: k, Data: rev, Uplo: blas.Upper})
	if !ok {
		return nil, nil, nil, fmt.Errorf("quant: %s: the damped Hessian is not positive definite (damping %v)", fn, damp)
	}
	for i := 0; i < k; i++ {
		if d := raw.Data[i*raw.Stride+i]; !(d > 0) || math.IsInf(1/d, 0) {
			return nil, nil, nil, fmt.Errorf("quant: %s: the Cholesky factor of the damped Hessian is singular", fn)
		}
	}
	u = make([]float64, k*k)
	invLowerRows(raw.Data, raw.Stride, k, u)
	return hd, u, dead, nil
}

// invRowBlock is the number of rows of L⁻¹ computed together (sharing the
// reads of R).
const invRowBlock = 8

// invLowerRows computes X = L⁻¹ for L = Rᵀ, R upper triangular [k, k]
// (r[i·ld+j], j ≥ i), and stores U = J·X·J into u (row-major [k, k], upper):
// u[a][b] = X[k-1-a][k-1-b]. Row i of X solves Lᵀ·xᵀ = e_i by back
// substitution, x_m = -Σ_{j=m+1..i} R[m][j]·x_j / R[m][m] (x_i = 1/R[i][i]);
// rows are independent and run in blocks on up to GOMAXPROCS goroutines with
// a fixed arithmetic order.
func invLowerRows(r []float64, ld, k int, u []float64) {
	forRowBlocks(k, invRowBlock, func(lo, hi int) {
		xs := make([]float64, (hi-lo)*k)
		for m := hi - 1; m >= 0; m-- {
			rm := r[m*ld : m*ld+k]
			for i := max(lo, m); i < hi; i++ {
				x := xs[(i-lo)*k : (i-lo+1)*k]
				if m == i {
					x[m] = 1 / rm[m]
				} else {
					x[m] = -floats.Dot(rm[m+1:i+1], x[m+1:i+1]) / rm[m]
				}
			}
		}
		for i := lo; i < hi; i++ {
			a := k - 1 - i
			x := xs[(i-lo)*k : (i-lo+1)*k]
			for c := 0; c <= i; c++ {
				u[a*k+k-1-c] = x[c]
			}
		}
	})
}

// gptqRun runs the GPTQ loop over w [rows, k] with the factor u, zeroing the
// dead columns first.
func gptqRun(w []float32, rows, k int, u []float64, dead []bool, q gptqQuantizer) {
	forRowBlocks(rows, gptqRowBlock, func(lo, hi int) {
		nr := hi - lo
		wb := make([]float64, nr*k)
		for i := range wb {
			wb[i] = float64(w[lo*k+i])
		}
		for r := 0; r < nr; r++ {
			for c, d := range dead {
				if d {
					wb[r*k+c] = 0
				}
			}
		}
		errs := make([]float64, nr*gptqBatch)
		e := make([]float64, gptqBatch)
		for i1 := 0; i1 < k; i1 += gptqBatch {
			i2 := min(k, i1+gptqBatch)
			for r := 0; r < nr; r++ {
				row := wb[r*k : (r+1)*k]
				er := errs[r*gptqBatch : (r+1)*gptqBatch]
				for i := i1; i < i2; i++ {
					d := (row[i] - q.quant(lo+r, i, row, e)) / u[i*k+i]
					er[i-i1] = d
					if d != 0 && i+1 < i2 {
						floats.AddScaled(row[i+1:i2], -d, u[i*k+i+1:i*k+i2])
					}
				}
			}
			if i2 == k {
				continue
			}
			for i := i1; i < i2; i++ {
				urow := u[i*k+i2 : (i+1)*k]
				for r := 0; r < nr; r++ {
					if d := errs[r*gptqBatch+i-i1]; d != 0 {
						floats.AddScaled(wb[r*k+i2:(r+1)*k], -d, urow)
					}
				}
			}
		}
	})
}

// gptqW4 is the 4-bit group quantizer of GPTQW4.
type gptqW4 struct {
	cfg w4Config
	t   *W4Tensor
	s   []float32 // [rows, groups] scales
	h   []float64 // damped Hessian for the clip search, or nil
}

func (q *gptqW4) quant(r, c int, row []float64, e []float64) float64 {
	k, g := q.t.Cols, q.cfg.group
	ng := q.t.Groups()
	if c%g == 0 {
		var hb []float64
		if q.h != nil {
			hb = q.h[c*k+c:]
		}
		q.s[r*ng+c/g] = q.cfg.groupScale(row[c:min(k, c+g)], hb, k, e)
	}
	s := q.s[r*ng+c/g]
	code := w4Code(row[c], s)
	q.t.Codes[r*k+c] = code
	return w4Value(code, s)
}

// GPTQW4 quantizes w [rows, cols] (row-major) to 4 bits with GPTQ, given
// the Hessian of the layer's inputs (cols of them). Each group's scale is
// computed from the error-updated weights when GPTQ reaches the group's
// first column; with opt.Search the clip ratio is chosen at that moment,
// measuring the error with the group's diagonal block of the damped Hessian.
// It returns the tensor and its dequantized weights (W4Tensor.Dequantize,
// what the kernels compute with).
func GPTQW4(w []float32, rows, cols int, h *Hessian, opt W4Options, gopt GPTQOptions) (*W4Tensor, []float32, error) {
	const fn = "GPTQW4"
	if err := checkShape(fn, w, rows, cols); err != nil {
		return nil, nil, err
	}
	cfg, err := opt.config(fn)
	if err != nil {
		return nil, nil, err
	}
	hd, u, dead, err := gptqHessian(fn, h, cols, gopt)
	if err != nil {
		return nil, nil, err
	}
	q := &gptqW4{cfg: cfg, t: newW4Tensor(rows, cols, cfg.group)}
	q.s = make([]float32, rows*q.t.Groups())
	if opt.Search {
		q.h = hd
	}
	gptqRun(w, rows, cols, u, dead, q)
	q.t.setScales(q.s)
	return q.t, q.t.Dequantize(), nil
}

// gptqW8 is the int8 quantizer of GPTQW8, with scales fixed up front.
type gptqW8 struct {
	t  *W8Tensor
	rs []float32
}

func (q *gptqW8) quant(r, c int, row []float64, _ []float64) float64 {
	s := q.rs[r]
	code := w8Code(row[c], s)
	q.t.Codes[r*q.t.Cols+c] = code
	return float64(code) * float64(s)
}

// GPTQW8 quantizes w [rows, cols] (row-major) to int8 with GPTQ, given the
// Hessian of the layer's inputs. The scales (per tensor, per output slice
// with ends as in QuantizeW8, or per row) are fixed up front from the
// original weights, as QuantizeW8 computes them: a per-tensor or per-slice
// scale spans rows that GPTQ updates independently, so it cannot follow the
// updates, and per-row scales follow the GPTQ reference. It returns the
// tensor and its dequantized weights float32(q)·s.
func GPTQW8(w []float32, rows, cols int, h *Hessian, gran Granularity, ends []int, gopt GPTQOptions) (*W8Tensor, []float32, error) {
	const fn = "GPTQW8"
	t, err := newW8Tensor(fn, w, rows, cols, gran, ends)
	if err != nil {
		return nil, nil, err
	}
	_, u, dead, err := gptqHessian(fn, h, cols, gopt)
	if err != nil {
		return nil, nil, err
	}
	gptqRun(w, rows, cols, u, dead, &gptqW8{t: t, rs: t.RowScales()})
	return t, t.Dequantize(), nil
}
