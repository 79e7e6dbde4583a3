package kernels

import (
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/x448/float16"
)

// Matrix products with quantized weights.
//
// Every product computes, for activation row i and output row n,
//
//	acc[i][n] = Σ_k x[i][k]·w[n][k]
//
// with x row-major (m rows, stride ldx) and the weights pre-packed into
// 16-row panels (W8, W4) so that one packed matrix runs on every tier.
// Outputs are row-major with stride ldy. M == 1 (one token, decode) takes a
// GEMV path that streams the weights once at memory speed; M > 1 (prefill)
// takes a register- and cache-blocked GEMM path.
//
// The W8A8 products are exact in int32 and their float epilogues are exactly
// "convert to float32, one float32 multiply, then (with a bias) one float32
// add", so every tier returns the same bits as the pure-Go code here. The W4
// products sum float32 terms in a tier-specific order (see MatMulW4A8F32).
//
// To use several goroutines, split the output rows into whole panels with
// W8.Panels / W4.Panels and run each view on its own goroutine with the
// matching sub-slices of y, scale and bias.

// PanelRows is the number of output rows in one packed panel.
const PanelRows = 16

// W4Group is the number of consecutive k sharing one W4 group scale.
const W4Group = 128

func roundUp(a, b int) int { return (a + b - 1) / b * b }

// W8 is an int8 weight matrix [N x K] packed for the W8A8 kernels.
//
// Layout: NP = roundup(N,16), KP = roundup(K,4); the byte
// data[p·KP·16 + (k/4)·64 + r·4 + k%4] holds w[16p+r][k]: each 16-row panel
// is a sequence of 64-byte blocks of 16 rows × 4 consecutive k. Padding rows
// and padding k are zero. rowSum[n] = Σ_k w[n][k] (length NP), available to
// kernels that offset the activations to unsigned bytes.
type W8 struct {
	N, K   int
	data   []int8
	rowSum []int32
}

// PackW8 packs the int8 matrix w [n x k] (row stride ldw). Weights must lie
// in [-127, 127]: -128 is rejected, the AVX2 kernels rely on it.
func PackW8(n, k int, w []int8, ldw int) (*W8, error) {
	if n <= 0 || k <= 0 {
		return nil, fmt.Errorf("kernels: PackW8: bad shape %dx%d", n, k)
	}
	if ldw < k {
		return nil, fmt.Errorf("kernels: PackW8: row stride %d < k %d", ldw, k)
	}
	if len(w) < (n-1)*ldw+k {
		return nil, fmt.Errorf("kernels: PackW8: %d weights, need %d", len(w), (n-1)*ldw+k)
	}
	np, kp := roundUp(n, PanelRows), roundUp(k, 4)
	p := &W8{N: n, K: k, data: make([]int8, np*kp), rowSum: make([]int32, np)}
	for r := 0; r < n; r++ {
		row := w[r*ldw : r*ldw+k]
		base := (r/PanelRows)*kp*PanelRows + (r%PanelRows)*4
		var s int32
		for c, v := range row {
			if v == -128 {
				return nil, fmt.Errorf("kernels: PackW8: weight [%d][%d] is -128 (allowed range is [-127, 127])", r, c)
			}
			p.data[base+(c/4)*64+c%4] = v
			s += int32(v)
		}
		p.rowSum[r] = s
	}
	return p, nil
}

// kp is the packed (padded) K.
func (w *W8) kp() int { return roundUp(w.K, 4) }

// NumPanels is the number of 16-row panels, ceil(N/16).
func (w *W8) NumPanels() int { return (w.N + PanelRows - 1) / PanelRows }

// Unpack returns the weights as a row-major [N x K] matrix.
func (w *W8) Unpack() []int8 {
	kp := w.kp()
	out := make([]int8, w.N*w.K)
	for r := 0; r < w.N; r++ {
		base := (r/PanelRows)*kp*PanelRows + (r%PanelRows)*4
		for c := 0; c < w.K; c++ {
			out[r*w.K+c] = w.data[base+(c/4)*64+c%4]
		}
	}
	return out
}

// Bytes is the size of the packed weights in bytes.
func (w *W8) Bytes() int { return len(w.data) }

// RowSums returns Σ_k w[n][k] for every padded row (length 16·NumPanels).
func (w *W8) RowSums() []int32 { return w.rowSum }

// Panels returns a view of the panels [lo, hi): output rows 16·lo up to
// min(N, 16·hi). It shares memory with w. Run it with y, a per-row scale
// and the bias all sliced from row 16·lo on.
func (w *W8) Panels(lo, hi int) *W8 {
	if lo < 0 || hi > w.NumPanels() || lo >= hi {
		panic(fmt.Sprintf("kernels: W8.Panels(%d, %d) out of range [0, %d]", lo, hi, w.NumPanels()))
	}
	kp := w.kp()
	return &W8{
		N:      min(w.N, hi*PanelRows) - lo*PanelRows,
		K:      w.K,
		data:   w.data[lo*kp*PanelRows : hi*kp*PanelRows],
		rowSum: w.rowSum[lo*PanelRows : hi*PanelRows],
	}
}

// W4 is a 4-bit weight matrix [N x K] packed for the W4A8 and W4A16 kernels.
// A code q in [0, 15] means the value q-8; groups of 128 consecutive k share
// a float32 scale gs[n][g], and every row has a float32 scale rs[n].
//
// Layout: NP = roundup(N,16), KP = roundup(K,128). In panel p, block j of 8
// consecutive k is 64 bytes: byte p·(KP/2)·16 + j·64 + r·4 + b holds the code
// of (row 16p+r, k = 8j+b) in its low nibble and the code of (row 16p+r,
// k = 8j+4+b) in its high nibble. Group scales are panel-major,
// gs[(p·(KP/128) + g)·16 + r]; rs has length NP. Padding rows have scale 0,
// padding k code 8.
type W4 struct {
	N, K   int
	codes  []byte
	gs, rs []float32
}

// PackW4 packs the codes q [n x k] (row stride ldq, values in [0, 15]) with
// their group scales gs ([n x ceil(k/128)] row-major) and row scales rs [n].
func PackW4(n, k int, q []uint8, ldq int, gs []float32, rs []float32) (*W4, error) {
	if n <= 0 || k <= 0 {
		return nil, fmt.Errorf("kernels: PackW4: bad shape %dx%d", n, k)
	}
	if ldq < k {
		return nil, fmt.Errorf("kernels: PackW4: row stride %d < k %d", ldq, k)
	}
	if len(q) < (n-1)*ldq+k {
		return nil, fmt.Errorf("kernels: PackW4: %d codes, need %d", len(q), (n-1)*ldq+k)
	}
	ng := (k + W4Group - 1) / W4Group
	if len(gs) < n*ng {
		return nil, fmt.Errorf("kernels: PackW4: %d group scales, need %d", len(gs), n*ng)
	}
	if len(rs) < n {
		return nil, fmt.Errorf("kernels: PackW4: %d row scales, need %d", len(rs), n)
	}
	np, kp := roundUp(n, PanelRows), roundUp(k, W4Group)
	w := &W4{N: n, K: k, codes: make([]byte, np*kp/2), gs: make([]float32, np*(kp/W4Group)), rs: make([]float32, np)}
	for i := range w.codes {
		w.codes[i] = 0x88
	}
	for r := 0; r < n; r++ {
		for c := 0; c < k; c++ {
			v := q[r*ldq+c]
			if v > 15 {
				return nil, fmt.Errorf("kernels: PackW4: code [%d][%d] = %d out of [0, 15]", r, c, v)
			}
			i, hi := w.codeIndex(r, c, kp)
			if hi {
				w.codes[i] = w.codes[i]&0x0f | v<<4
			} else {
				w.codes[i] = w.codes[i]&0xf0 | v
			}
		}
		for g := 0; g < ng; g++ {
			w.gs[((r/PanelRows)*(kp/W4Group)+g)*PanelRows+r%PanelRows] = gs[r*ng+g]
		}
		w.rs[r] = rs[r]
	}
	return w, nil
}

// codeIndex locates the code of (row r, column c): byte index and whether it
// is the high nibble.
func (w *W4) codeIndex(r, c, kp int) (int, bool) {
	b := c % 8
	return (r/PanelRows)*(kp/2)*PanelRows + (c/8)*64 + (r%PanelRows)*4 + b%4, b >= 4
}

func (w *W4) kp() int { return roundUp(w.K, W4Group) }

// NumPanels is the number of 16-row panels, ceil(N/16).
func (w *W4) NumPanels() int { return (w.N + PanelRows - 1) / PanelRows }

// Groups is the number of group scales per row, ceil(K/128).
func (w *W4) Groups() int { return (w.K + W4Group - 1) / W4Group }

// Bytes is the size of the packed codes and scales in bytes.
func (w *W4) Bytes() int { return len(w.codes) + 4*len(w.gs) + 4*len(w.rs) }

// Unpack returns the codes [N x K], the group scales [N x Groups()] and the
// row scales [N], as given to PackW4.
func (w *W4) Unpack() (q []uint8, gs, rs []float32) {
	kp, ng := w.kp(), w.Groups()
	q = make([]uint8, w.N*w.K)
	gs = make([]float32, w.N*ng)
	rs = make([]float32, w.N)
	for r := 0; r < w.N; r++ {
		for c := 0; c < w.K; c++ {
			i, hi := w.codeIndex(r, c, kp)
			if hi {
				q[r*w.K+c] = w.codes[i] >> 4
			} else {
				q[r*w.K+c] = w.codes[i] & 0x0f
			}
		}
		for g := 0; g < ng; g++ {
			gs[r*ng+g] = w.gs[((r/PanelRows)*(kp/W4Group)+g)*PanelRows+r%PanelRows]
		}
		rs[r] = w.rs[r]
	}
	return q, gs, rs
}

// Panels returns a view of the panels [lo, hi): output rows 16·lo up to
// min(N, 16·hi). It shares memory with w. Run it with y sliced from row
// 16·lo on.
func (w *W4) Panels(lo, hi int) *W4 {
	if lo < 0 || hi > w.NumPanels() || lo >= hi {
		panic(fmt.Sprintf("kernels: W4.Panels(%d, %d) out of range [0, %d]", lo, hi, w.NumPanels()))
	}
	kp := w.kp()
	kg := kp / W4Group
	return &W4{
		N:     min(w.N, hi*PanelRows) - lo*PanelRows,
		K:     w.K,
		codes: w.codes[lo*kp/2*PanelRows : hi*kp/2*PanelRows],
		gs:    w.gs[lo*kg*PanelRows : hi*kg*PanelRows],
		rs:    w.rs[lo*PanelRows : hi*PanelRows],
	}
}

// epKind selects the output stage of a W8A8 product.
type epKind uint8

const (
	epI32 epKind = iota // int32 accumulators
	epF32               // float32(acc)·scale (+ bias)
	epF16               // float32(acc)·scale rounded to IEEE half (RNE)
	epI8                // sat8(roundHalfEven(float32(acc)·scale))
)

// epilogue describes the output of a W8A8 product: exactly one of the y
// slices is set, matching kind. scale has length 1 (per tensor) or at least
// N (per output row); bias is nil or has at least N elements (epF32 only).
type epilogue struct {
	kind  epKind
	scale []float32
	bias  []float32
	yI32  []int32
	yF32  []float32
	yF16  []uint16
	yI8   []int8
	ldy   int
}

// addr is the address of output (i, n), for the assembly.
func (ep *epilogue) addr(i, n int) unsafe.Pointer {
	j := i*ep.ldy + n
	switch ep.kind {
	case epI32:
		return unsafe.Pointer(&ep.yI32[j])
	case epF32:
		return unsafe.Pointer(&ep.yF32[j])
	case epF16:
		return unsafe.Pointer(&ep.yF16[j])
	}
	return unsafe.Pointer(&ep.yI8[j])
}

// scaleAt is the scale of output row n.
func (ep *epilogue) scaleAt(n int) float32 {
	if len(ep.scale) == 1 {
		return ep.scale[0]
	}
	return ep.scale[n]
}

// f32 is the float epilogue of one accumulator: one multiply, then one add.
func (ep *epilogue) f32(n int, acc int32) float32 {
	v := float32(float32(acc) * ep.scaleAt(n))
	if ep.bias != nil {
		v += ep.bias[n]
	}
	return v
}

// store writes the output (i, n) for the accumulator acc. It is the
// specification of every epilogue; SIMD kernels reproduce it bit for bit.
func (ep *epilogue) store(i, n int, acc int32) {
	o := i*ep.ldy + n
	switch ep.kind {
	case epI32:
		ep.yI32[o] = acc
	case epF32:
		ep.yF32[o] = ep.f32(n, acc)
	case epF16:
		ep.yF16[o] = float16.Fromfloat32(ep.f32(n, acc)).Bits()
	case epI8:
		ep.yI8[o] = sat8(float32(acc) * ep.scaleAt(n))
	}
}

// sat8 clamps v to [-128, 127] (NaN becomes 127, like MINPS/MAXPS with the
// bound as second operand) and rounds half to even.
func sat8(v float32) int8 {
	if !(v < 127) {
		v = 127
	}
	if !(v > -128) {
		v = -128
	}
	return int8(math.RoundToEven(float64(v)))
}

// checkMat panics unless x holds m rows of k elements with stride ldx.
func checkMat(fn, what string, m, k int, n int, ld int) {
	if ld < k {
		panic(fmt.Sprintf("kernels: %s: %s stride %d < %d", fn, what, ld, k))
	}
	if need := (m-1)*ld + k; n < need {
		panic(fmt.Sprintf("kernels: %s: %s has %d elements, need %d", fn, what, n, need))
	}
}

func checkW8(fn string, m int, nx, ldx int, w *W8, ny, ldy int) {
	if w == nil {
		panic("kernels: " + fn + ": nil weights")
	}
	checkMat(fn, "x", m, w.K, nx, ldx)
	checkMat(fn, "y", m, w.N, ny, ldy)
}

func checkScale(fn string, scale, bias []float32, n int) {
	if len(scale) != 1 && len(scale) < n {
		panic(fmt.Sprintf("kernels: %s: scale has %d elements, need 1 or %d", fn, len(scale), n))
	}
	if bias != nil && len(bias) < n {
		panic(fmt.Sprintf("kernels: %s: bias has %d elements, need %d", fn, len(bias), n))
	}
}

// MatMulW8A8I32 computes y[i][n] = Σ_k x[i][k]·w[n][k] in int32 for m rows
// of x. x needs (m-1)·ldx+K elements, y (m-1)·ldy+N; ldx ≥ K, ldy ≥ N.
func MatMulW8A8I32(m int, x []int8, ldx int, w *W8, y []int32, ldy int) {
	if m <= 0 {
		return
	}
	checkW8("MatMulW8A8I32", m, len(x), ldx, w, len(y), ldy)
	w8a8(m, x, ldx, w, &epilogue{kind: epI32, yI32: y, ldy: ldy})
}

// MatMulW8A8F32 computes y[i][n] = float32(acc)·scale[n] (+ bias[n]) with
// acc the int32 product of MatMulW8A8I32. scale has 1 element (per tensor)
// or N; bias is nil or has N elements.
func MatMulW8A8F32(m int, x []int8, ldx int, w *W8, scale, bias []float32, y []float32, ldy int) {
	if m <= 0 {
		return
	}
	checkW8("MatMulW8A8F32", m, len(x), ldx, w, len(y), ldy)
	checkScale("MatMulW8A8F32", scale, bias, w.N)
	w8a8(m, x, ldx, w, &epilogue{kind: epF32, scale: scale, bias: bias, yF32: y, ldy: ldy})
}

// MatMulW8A8F16 is MatMulW8A8F32 without bias, with the result rounded to
// IEEE half precision (round half to even) and stored as its bits.
func MatMulW8A8F16(m int, x []int8, ldx int, w *W8, scale []float32, y []uint16, ldy int) {
	if m <= 0 {
		return
	}
	checkW8("MatMulW8A8F16", m, len(x), ldx, w, len(y), ldy)
	checkScale("MatMulW8A8F16", scale, nil, w.N)
	w8a8(m, x, ldx, w, &epilogue{kind: epF16, scale: scale, yF16: y, ldy: ldy})
}

// MatMulW8A8I8 computes y[i][n] = sat8(roundHalfEven(float32(acc)·scale[n]))
// with acc the int32 product: the requantized int8 output. scale has 1
// element (per tensor) or N.
func MatMulW8A8I8(m int, x []int8, ldx int, w *W8, scale []float32, y []int8, ldy int) {
	if m <= 0 {
		return
	}
	checkW8("MatMulW8A8I8", m, len(x), ldx, w, len(y), ldy)
	checkScale("MatMulW8A8I8", scale, nil, w.N)
	w8a8(m, x, ldx, w, &epilogue{kind: epI8, scale: scale, yI8: y, ldy: ldy})
}

// Per-architecture hooks, defined in matmul_amd64.go, matmul_arm64.go and
// matmul_other.go with these signatures:
//
//	func w8a8Arch(t Tier, m int, x []int8, ldx int, w *W8, ep *epilogue) bool
//	func w4a8Arch(t Tier, m int, x []int8, ldx int, xs float32, w *W4, y []float32, ldy int) bool
//	func w4a16Arch(t Tier, m int, x []float32, ldx int, w *W4, y []float32, ldy int) bool
//
// A hook runs the product with tier t's kernels and returns true, or returns
// false without writing anything when t has no kernel for the case; then the
// pure-Go code runs. Arguments are already validated and m ≥ 1. Hooks must
// be bit-exact with the pure-Go W8A8 code (ep.store is the specification).

func w8a8(m int, x []int8, ldx int, w *W8, ep *epilogue) {
	if t := active; t != Generic && w8a8Arch(t, m, x, ldx, w, ep) {
		return
	}
	w8a8Generic(m, x, ldx, w, ep)
}

// w8a8Generic is the pure-Go W8A8 product over the packed layout.
func w8a8Generic(m int, x []int8, ldx int, w *W8, ep *epilogue) {
	kp := w.kp()
	var acc [PanelRows]int32
	for i := 0; i < m; i++ {
		xi := x[i*ldx : i*ldx+w.K]
		for p := 0; p < w.NumPanels(); p++ {
			panel := w.data[p*kp*PanelRows : (p+1)*kp*PanelRows]
			acc = [PanelRows]int32{}
			for k, xv := range xi {
				blk := panel[(k/4)*64+k%4:]
				for r := range acc {
					acc[r] += int32(xv) * int32(blk[r*4])
				}
			}
			for r := 0; r < PanelRows && p*PanelRows+r < w.N; r++ {
				ep.store(i, p*PanelRows+r, acc[r])
			}
		}
	}
}

// MatMulW4A8F32 computes, for int8 activations x with scale xs,
//
//	P[i][n][g] = Σ_{k∈g} x[i][k]·(q[n][k]-8)              (exact, int32)
//	y[i][n] = xs·rs[n]·Σ_g gs[n][g]·float32(P[i][n][g])
//
// The pure-Go code sums the groups in order with separate float32 multiply
// and add, then multiplies by (xs·rs[n]); SIMD tiers may fuse the
// multiply-adds, so results agree to float32 rounding of the group sum.
func MatMulW4A8F32(m int, x []int8, ldx int, xs float32, w *W4, y []float32, ldy int) {
	if m <= 0 {
		return
	}
	if w == nil {
		panic("kernels: MatMulW4A8F32: nil weights")
	}
	checkMat("MatMulW4A8F32", "x", m, w.K, len(x), ldx)
	checkMat("MatMulW4A8F32", "y", m, w.N, len(y), ldy)
	if t := active; t != Generic && w4a8Arch(t, m, x, ldx, xs, w, y, ldy) {
		return
	}
	w4a8Generic(m, x, ldx, xs, w, y, ldy)
}

// w4Code returns the code of (panel-local row r, column k) in a panel.
func w4Code(panel []byte, r, k int) int32 {
	b := panel[(k/8)*64+r*4+k%4]
	if k%8 >= 4 {
		return int32(b >> 4)
	}
	return int32(b & 0x0f)
}

func w4a8Generic(m int, x []int8, ldx int, xs float32, w *W4, y []float32, ldy int) {
	kp := w.kp()
	kg := kp / W4Group
	for i := 0; i < m; i++ {
		xi := x[i*ldx : i*ldx+w.K]
		for p := 0; p < w.NumPanels(); p++ {
			panel := w.codes[p*kp/2*PanelRows : (p+1)*kp/2*PanelRows]
			for r := 0; r < PanelRows && p*PanelRows+r < w.N; r++ {
				var sum float32
				for g := 0; g < w.Groups(); g++ {
					var acc int32
					for k := g * W4Group; k < min(w.K, (g+1)*W4Group); k++ {
						acc += int32(xi[k]) * (w4Code(panel, r, k) - 8)
					}
					sum = sum + float32(w.gs[(p*kg+g)*PanelRows+r]*float32(acc))
				}
				n := p*PanelRows + r
				y[i*ldy+n] = float32(xs*w.rs[n]) * sum
			}
		}
	}
}

// MatMulW4A16F32 computes, for float32 activations x,
//
//	y[i][n] = rs[n]·Σ_g gs[n][g]·Σ_{k∈g} x[i][k]·float32(q[n][k]-8)
//
// The pure-Go code sums in k order with separate multiplies and adds; SIMD
// tiers use fused multiply-adds over several partial sums, so results agree
// to float32 rounding of the sums.
func MatMulW4A16F32(m int, x []float32, ldx int, w *W4, y []float32, ldy int) {
	if m <= 0 {
		return
	}
	if w == nil {
		panic("kernels: MatMulW4A16F32: nil weights")
	}
	checkMat("MatMulW4A16F32", "x", m, w.K, len(x), ldx)
	checkMat("MatMulW4A16F32", "y", m, w.N, len(y), ldy)
	if t := active; t != Generic && w4a16Arch(t, m, x, ldx, w, y, ldy) {
		return
	}
	w4a16Generic(m, x, ldx, w, y, ldy)
}

func w4a16Generic(m int, x []float32, ldx int, w *W4, y []float32, ldy int) {
	kp := w.kp()
	kg := kp / W4Group
	for i := 0; i < m; i++ {
		xi := x[i*ldx : i*ldx+w.K]
		for p := 0; p < w.NumPanels(); p++ {
			panel := w.codes[p*kp/2*PanelRows : (p+1)*kp/2*PanelRows]
			for r := 0; r < PanelRows && p*PanelRows+r < w.N; r++ {
				var sum float32
				for g := 0; g < w.Groups(); g++ {
					var acc float32
					for k := g * W4Group; k < min(w.K, (g+1)*W4Group); k++ {
						acc = acc + float32(xi[k]*float32(w4Code(panel, r, k)-8))
					}
					sum = sum + float32(w.gs[(p*kg+g)*PanelRows+r]*acc)
				}
				n := p*PanelRows + r
				y[i*ldy+n] = w.rs[n] * sum
			}
		}
	}
}

// scratch is a reusable byte buffer for prepared activations and partial
// output panels.
type scratch struct{ b []byte }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// getScratch returns a buffer of n bytes with unspecified contents.
func getScratch(n int) *scratch {
	s := scratchPool.Get().(*scratch)
	if cap(s.b) < n {
		s.b = make([]byte, n)
	}
	s.b = s.b[:n]
	return s
}

func putScratch(s *scratch) { scratchPool.Put(s) }
