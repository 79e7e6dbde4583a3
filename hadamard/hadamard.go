package hadamard

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/quamba/quamba/kernels"
)

// MaxDense is the largest n accepted by Dense (an n×n float64 matrix of
// 128 MiB).
const MaxDense = 4096

// Check returns nil if n is a supported transform length, n = K·2^m with
// K ∈ {1, 12, 20, 28, 40}, and otherwise an error naming n, so that a caller
// can refuse a model whose dimension cannot be rotated before doing any work.
func Check(n int) error {
	if _, _, ok := kernels.HadamardSizeOK(n); !ok {
		return fmt.Errorf("hadamard: length %d is not K*2^m for K in {1,12,20,28,40}", n)
	}
	return nil
}

// Transform replaces x by the normalised transform (H_K ⊗ H_{2^m})·x/√n,
// n = len(x) (kernels.Hadamard). It returns an error, leaving x unchanged, if
// len(x) is not a supported length or x holds a NaN or an infinity.
func Transform(x []float32) error {
	if err := Check(len(x)); err != nil {
		return err
	}
	if i := nonFinite(x); i >= 0 {
		return fmt.Errorf("hadamard: x[%d] = %v is not finite", i, x[i])
	}
	kernels.Hadamard(x)
	return nil
}

// RotateRows transforms every row of the row-major matrix w [rows, cols] in
// place, giving W·Hᵀ/√cols: the weight that, fed the rotated input H·x/√cols,
// computes W·x, since (W·Hᵀ)(H·x) = W·x for the orthogonal H/√cols. cols
// must be a supported length. It returns an error, leaving w unchanged, for a
// bad shape or a non-finite element. Rows are split over goroutines; the
// result does not depend on their number.
func RotateRows(w []float32, rows, cols int) error {
	if err := checkMatrix("RotateRows", w, rows, cols); err != nil {
		return err
	}
	if err := Check(cols); err != nil {
		return fmt.Errorf("hadamard.RotateRows: cols: %w", err)
	}
	parallel(rows, rows*cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			kernels.Hadamard(w[r*cols : (r+1)*cols])
		}
	})
	return nil
}

// colTile is the number of adjacent columns RotateCols gathers at once (four
// 64-byte cache lines of a row), so each pass over the rows moves whole lines.
const colTile = 64

// rowBlock is the number of rows RotateCols copies per block, so that both
// sides of the copy stay in cache.
const rowBlock = 16

// RotateCols transforms every column of the row-major matrix w [rows, cols]
// in place, giving (H/√rows)·W: the layer's output y = W·x becomes the
// rotated H·y/√rows. rows must be a supported length. It returns an error,
// leaving w unchanged, for a bad shape or a non-finite element. Columns are
// gathered tile by tile into contiguous scratch vectors, transformed and
// scattered back, the tiles split over goroutines; the result does not
// depend on their number.
func RotateCols(w []float32, rows, cols int) error {
	if err := checkMatrix("RotateCols", w, rows, cols); err != nil {
		return err
	}
	if err := Check(rows); err != nil {
		return fmt.Errorf("hadamard.RotateCols: rows: %w", err)
	}
	tiles := (cols + colTile - 1) / colTile
	parallel(tiles, rows*cols, func(lo, hi int) {
		scratch := make([]float32, colTile*rows) // [colTile, rows]: column jj at jj*rows
		for t := lo; t < hi; t++ {
			j0 := t * colTile
			width := min(colTile, cols-j0)
			for r0 := 0; r0 < rows; r0 += rowBlock {
				r1 := min(r0+rowBlock, rows)
				for jj := 0; jj < width; jj++ {
					col := scratch[jj*rows : (jj+1)*rows]
					for r := r0; r < r1; r++ {
						col[r] = w[r*cols+j0+jj]
					}
				}
			}
			for jj := 0; jj < width; jj++ {
				kernels.Hadamard(scratch[jj*rows : (jj+1)*rows])
			}
			for r0 := 0; r0 < rows; r0 += rowBlock {
				r1 := min(r0+rowBlock, rows)
				for jj := 0; jj < width; jj++ {
					col := scratch[jj*rows : (jj+1)*rows]
					for r := r0; r < r1; r++ {
						w[r*cols+j0+jj] = col[r]
					}
				}
			}
		}
	})
	return nil
}

// Dense returns the normalised transform matrix M = (H_K ⊗ H_{2^m})/√n as a
// row-major n×n float64 slice, so that Transform(x) ≈ M·x. n must be a
// supported length no larger than MaxDense.
func Dense(n int) ([]float64, error) {
	if err := Check(n); err != nil {
		return nil, err
	}
	if n > MaxDense {
		return nil, fmt.Errorf("hadamard: Dense(%d): n is larger than MaxDense = %d", n, MaxDense)
	}
	k, m, _ := kernels.HadamardSizeOK(n)
	hk := kernels.HadamardTable(k) // [k, k]
	p := 1 << m
	norm := 1 / math.Sqrt(float64(n))
	d := make([]float64, n*n)
	for i := 0; i < n; i++ {
		bi, ii := i/p, i%p
		for j := 0; j < n; j++ {
			bj, jj := j/p, j%p
			v := float64(hk[bi*k+bj]) * norm
			if sylvesterNegative(ii, jj) {
				v = -v
			}
			d[i*n+j] = v
		}
	}
	return d, nil
}

// sylvesterNegative reports whether entry (i, j) of the natural-order
// Sylvester matrix H_{2^m} is -1, i.e. whether i&j has an odd number of bits.
func sylvesterNegative(i, j int) bool {
	x := uint(i & j)
	odd := false
	for x != 0 {
		x &= x - 1
		odd = !odd
	}
	return odd
}

// checkMatrix validates the shape of w [rows, cols] and that it is finite.
func checkMatrix(fn string, w []float32, rows, cols int) error {
	if rows <= 0 || cols <= 0 {
		return fmt.Errorf("hadamard.%s: shape [%d, %d] is not positive", fn, rows, cols)
	}
	if rows > math.MaxInt/cols {
		return fmt.Errorf("hadamard.%s: shape [%d, %d] overflows", fn, rows, cols)
	}
	if len(w) != rows*cols {
		return fmt.Errorf("hadamard.%s: len(w) = %d, want rows*cols = %d*%d = %d", fn, len(w), rows, cols, rows*cols)
	}
	if i := nonFinite(w); i >= 0 {
		return fmt.Errorf("hadamard.%s: w[%d, %d] = %v is not finite", fn, i/cols, i%cols, w[i])
	}
	return nil
}

// nonFinite returns the index of the first NaN or infinity in x, or -1.
func nonFinite(x []float32) int {
	for i, v := range x {
		if v-v != 0 { // NaN - NaN and Inf - Inf are NaN
			return i
		}
	}
	return -1
}

// parallelMin is the number of elements below which work stays on the
// calling goroutine.
const parallelMin = 1 << 16

// parallel calls f on consecutive sub-ranges [lo, hi) covering [0, n),
// concurrently when the total work (elements) is large enough.
func parallel(n, work int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if work < parallelMin || workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
