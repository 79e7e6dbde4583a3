package kernels

import "fmt"

// Matrix products with float32 weights (the reference FP32 engine).
//
// MatMulF32 computes, for activation row i and output row n,
//
//	y[i][n] = Σ_k x[i][k]·w[n][k]  (+ bias[n])
//
// with x row-major (m rows, stride ldx), the weights pre-packed into 16-row
// panels (F32) and y row-major (stride ldy). M == 1 (decode) takes a GEMV
// path that streams the packed panels once at memory speed; M > 1 (prefill)
// takes a register- and cache-blocked GEMM path.
//
// The pure-Go code is the specification: for every output it starts from 0,
// adds the products x[i][k]·w[n][k] in ascending k, each product rounded to
// float32 and then added (no fused multiply-add), and finally adds bias[n].
// The SIMD tiers use fused multiply-adds (one chain per output, ascending
// k) and the GEMM sums K in blocks (f32KC, 768) added to the previous
// blocks' result, so they differ from it by float32 rounding only: at most about
// K·2⁻²⁴·Σ_k |x[i][k]·w[n][k]| (the bound of any summation order), in
// practice of the order of 2⁻²⁴·Σ_k |x[i][k]·w[n][k]|. On a given tier the
// result does not depend on how the panels are split (F32.Panels), but a
// row computed alone (M == 1) may differ in the last bits from the same row
// computed among others.
//
// To use several goroutines, split the output rows into whole panels with
// F32.Panels and run each view on its own goroutine with y and bias sliced
// from row 16·lo on.

// F32K is the granule of the packed K: panels hold K rounded up to a
// multiple of 4, the padding k being zero weights.
const F32K = 4

// F32 is a float32 weight matrix [N x K] (PyTorch nn.Linear layout:
// y = x·Wᵀ) packed for the float32 kernels.
//
// Layout: NP = roundup(N,16), KP = roundup(K,4); data[p·KP·16 + k·16 + r]
// holds w[16p+r][k]: each 16-row panel is stored k-major (for every k, the
// 16 rows' weights are contiguous, 64 bytes), panels one after another.
// Padding rows and padding k are zero.
type F32 struct {
	N, K int
	data []float32
}

// PackF32 packs the float32 matrix w [n x k] (row stride ldw).
func PackF32(n, k int, w []float32, ldw int) (*F32, error) {
	if n <= 0 || k <= 0 {
		return nil, fmt.Errorf("kernels: PackF32: bad shape %dx%d", n, k)
	}
	if ldw < k {
		return nil, fmt.Errorf("kernels: PackF32: row stride %d < k %d", ldw, k)
	}
	if len(w) < (n-1)*ldw+k {
		return nil, fmt.Errorf("kernels: PackF32: %d weights, need %d", len(w), (n-1)*ldw+k)
	}
	np, kp := roundUp(n, PanelRows), roundUp(k, F32K)
	p := &F32{N: n, K: k, data: make([]float32, np*kp)}
	for r := 0; r < n; r++ {
		base := (r/PanelRows)*kp*PanelRows + r%PanelRows
		for c, v := range w[r*ldw : r*ldw+k] {
			p.data[base+c*PanelRows] = v
		}
	}
	return p, nil
}

// kp is the packed (padded) K.
func (w *F32) kp() int { return roundUp(w.K, F32K) }

// NumPanels is the number of 16-row panels, ceil(N/16).
func (w *F32) NumPanels() int { return (w.N + PanelRows - 1) / PanelRows }

// Bytes is the size of the packed weights in bytes.
func (w *F32) Bytes() int { return 4 * len(w.data) }

// Unpack returns the weights as a row-major [N x K] matrix.
func (w *F32) Unpack() []float32 {
	kp := w.kp()
	out := make([]float32, w.N*w.K)
	for r := 0; r < w.N; r++ {
		base := (r/PanelRows)*kp*PanelRows + r%PanelRows
		for c := 0; c < w.K; c++ {
			out[r*w.K+c] = w.data[base+c*PanelRows]
		}
	}
	return out
}

// Panels returns a view of the panels [lo, hi): output rows 16·lo up to
// min(N, 16·hi). It shares memory with w. Run it with y and the bias sliced
// from row 16·lo on.
func (w *F32) Panels(lo, hi int) *F32 {
	if lo < 0 || hi > w.NumPanels() || lo >= hi {
		panic(fmt.Sprintf("kernels: F32.Panels(%d, %d) out of range [0, %d]", lo, hi, w.NumPanels()))
	}
	kp := w.kp()
	return &F32{
		N:    min(w.N, hi*PanelRows) - lo*PanelRows,
		K:    w.K,
		data: w.data[lo*kp*PanelRows : hi*kp*PanelRows],
	}
}

// MatMulF32 computes y[i][n] = Σ_k x[i][k]·w[n][k] (+ bias[n] if bias is
// not nil) for m rows of x. x needs (m-1)·ldx+K elements, y (m-1)·ldy+N,
// bias N; ldx ≥ K, ldy ≥ N. y must not overlap x or bias. Nothing past the
// N outputs of a row of y is written.
func MatMulF32(m int, x []float32, ldx int, w *F32, bias []float32, y []float32, ldy int) {
	if m <= 0 {
		return
	}
	if w == nil {
		panic("kernels: MatMulF32: nil weights")
	}
	checkMat("MatMulF32", "x", m, w.K, len(x), ldx)
	checkMat("MatMulF32", "y", m, w.N, len(y), ldy)
	if bias != nil && len(bias) < w.N {
		panic(fmt.Sprintf("kernels: MatMulF32: bias has %d elements, need %d", len(bias), w.N))
	}
	if t := active; t != Generic && f32Arch(t, m, x, ldx, w, bias, y, ldy) {
		return
	}
	f32Generic(m, x, ldx, w, bias, y, ldy)
}

// Per-architecture hook, defined in f32_amd64.go, f32_arm64.go and
// f32_other.go with this signature:
//
//	func f32Arch(t Tier, m int, x []float32, ldx int, w *F32, bias []float32, y []float32, ldy int) bool
//
// It runs the product with tier t's kernels and returns true, or returns
// false without writing anything when t has no kernel; then the pure-Go code
// runs. Arguments are already validated and m ≥ 1.

// f32Generic is the pure-Go float32 product over the packed layout: the
// specification of MatMulF32.
func f32Generic(m int, x []float32, ldx int, w *F32, bias []float32, y []float32, ldy int) {
	kp := w.kp()
	var acc [PanelRows]float32
	for i := 0; i < m; i++ {
		xi := x[i*ldx : i*ldx+w.K]
		for p := 0; p < w.NumPanels(); p++ {
			panel := w.data[p*kp*PanelRows : (p+1)*kp*PanelRows]
			acc = [PanelRows]float32{}
			for k, xv := range xi {
				wk := (*[PanelRows]float32)(panel[k*PanelRows:])
				for r := range acc {
					// The conversion keeps the product rounded: Go may
					// otherwise fuse the multiply and the add.
					acc[r] = acc[r] + float32(xv*wk[r])
				}
			}
			n0 := p * PanelRows
			for r := 0; r < PanelRows && n0+r < w.N; r++ {
				v := acc[r]
				if bias != nil {
					v += bias[n0+r]
				}
				y[i*ldy+n0+r] = v
			}
		}
	}
}
