package runtime

import (
	"fmt"
	"sync"

	"github.com/quamba/quamba/kernels"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
)

// scratch is a pool of buffers of one element type: get and put of a
// large enough buffer do not allocate. The projections keep their int8
// activations and int32 partial products in them.
type scratch[T any] struct{ p sync.Pool }

func (s *scratch[T]) get(n int) *[]T {
	b, _ := s.p.Get().(*[]T)
	if b == nil {
		b = new([]T)
	}
	if cap(*b) < n {
		*b = make([]T, n)
	}
	*b = (*b)[:n]
	return b
}

func (s *scratch[T]) put(b *[]T) { s.p.Put(b) }

var (
	i8Pool  scratch[int8]
	i32Pool scratch[int32]
)

// w8a8 is an int8 projection with a per-tensor int8 input: x is quantized
// with the input's scale sx (kernels.QuantizeI8, the simulation's
// arithmetic) and multiplied on the W8A8 kernels, whose epilogue scales
// output row n by sx·sw[n].
type w8a8 struct {
	n, k   int
	w      *kernels.W8
	parts  [][]model.PanelRange
	views  [][]*kernels.W8 // views[p-1][j]: the panels of part j of p
	scale  []float32       // [n] sx·sw[n]
	invX   float32
	weight int
}

func newW8A8(st quant.PackedStage, n, k int, sx float32) *w8a8 {
	l := &w8a8{n: n, k: k, w: st.W8, invX: quant.InvScale(sx), scale: make([]float32, n), weight: st.W8.Bytes()}
	for r, s := range st.Scale {
		l.scale[r] = sx * s
	}
	l.parts = model.PanelParts(st.W8.NumPanels())
	l.views = make([][]*kernels.W8, len(l.parts))
	for p, parts := range l.parts {
		for _, pr := range parts {
			l.views[p] = append(l.views[p], st.W8.Panels(pr.Lo, pr.Hi))
		}
	}
	return l
}

func (l *w8a8) Dims() (n, k int) { return l.n, l.k }
func (l *w8a8) Parts() int       { return len(l.parts) }

// InputInvScale is 1/sx (model.Int8Linear).
func (l *w8a8) InputInvScale() float32 { return l.invX }

// MatMul quantizes x and runs MatMulI8; the block normally hands the stage
// the codes directly (model.Int8Linear).
func (l *w8a8) MatMul(y, x []float32, T, lo, hi, parts int) {
	q := i8Pool.get(T * l.k)
	defer i8Pool.put(q)
	kernels.QuantizeI8(x[:T*l.k], l.invX, *q)
	l.MatMulI8(y, *q, T, lo, hi, parts)
}

// MatMulI8 computes parts [lo, hi) from the input codes q [T, k].
func (l *w8a8) MatMulI8(y []float32, q []int8, T, lo, hi, parts int) {
	for j := lo; j < hi; j++ {
		pr, w := l.parts[parts-1][j], l.views[parts-1][j]
		rows := min(l.n, pr.Hi*kernels.PanelRows) - pr.Row0()
		kernels.MatMulW8A8F32(T, q, l.k, w, l.scale[pr.Row0():pr.Row0()+rows], nil, y[pr.Row0():], l.n)
	}
}

// w8a8Blocks is an int8 projection whose int8 input has a scale per block
// of columns (a reordered Mamba1 x feeding x_proj): each block of columns
// is its own W8 (repacked at load from the stored panels: x_proj is a few
// percent of the weights), multiplied into int32 and scaled by
// sx[b]·sw[n] when the blocks are summed.
type w8a8Blocks struct {
	n, k   int
	ends   []int
	blocks []*kernels.W8
	scale  [][]float32 // [block][n] sx[b]·sw[n]
	inv    []float32
}

func newW8A8Blocks(st quant.PackedStage, n, k int, a quant.ActQuant) (*w8a8Blocks, error) {
	codes := st.W8.Unpack()
	l := &w8a8Blocks{n: n, k: k, ends: a.Ends}
	c0 := 0
	for b, c1 := range a.Ends {
		w, err := kernels.PackW8(n, c1-c0, codes[c0:], k)
		if err != nil {
			return nil, err
		}
		sc := make([]float32, n)
		for r := range sc {
			sc[r] = a.Scales[b] * st.Scale[r]
		}
		l.blocks, l.scale, l.inv = append(l.blocks, w), append(l.scale, sc), append(l.inv, quant.InvScale(a.Scales[b]))
		c0 = c1
	}
	return l, nil
}

func (l *w8a8Blocks) Dims() (n, k int) { return l.n, l.k }

// Parts: a part of w8a8Blocks is a range of the input rows (tokens), part j
// of parts rows [T·j/parts, T·(j+1)/parts), since its blocks are no panel
// ranges; maxRowParts bounds the number of parts.
func (l *w8a8Blocks) Parts() int { return maxRowParts }

// maxRowParts is the most parts a projection cut over its input rows has.
const maxRowParts = 64

func (l *w8a8Blocks) MatMul(y, x []float32, T, lo, hi, parts int) {
	t0, t1 := T*lo/parts, T*hi/parts
	if t0 < t1 {
		l.matMulRows(y[t0*l.n:t1*l.n], x[t0*l.k:t1*l.k], t1-t0)
	}
}

// matMulRows computes y [T, n] from x [T, k].
func (l *w8a8Blocks) matMulRows(y, x []float32, T int) {
	q, acc := i8Pool.get(T*l.k), i32Pool.get(T*l.n)
	defer i8Pool.put(q)
	defer i32Pool.put(acc)
	c0 := 0
	for b, c1 := range l.ends {
		w := c1 - c0
		qb := (*q)[:T*w]
		for t := range T {
			kernels.QuantizeI8(x[t*l.k+c0:t*l.k+c1], l.inv[b], qb[t*w:(t+1)*w])
		}
		kernels.MatMulW8A8I32(T, qb, w, l.blocks[b], *acc, l.n)
		sc := l.scale[b]
		for t := range T {
			yr, ar := y[t*l.n:(t+1)*l.n], (*acc)[t*l.n:(t+1)*l.n]
			if b == 0 {
				for r := range yr {
					yr[r] = float32(ar[r]) * sc[r]
				}
			} else {
				for r := range yr {
					yr[r] += float32(ar[r]) * sc[r]
				}
			}
		}
		c0 = c1
	}
}

// w4 is a 4-bit projection on the float input as the block gives it
// (W4A16, or an input with several scales).
type w4 struct {
	n, k  int
	parts [][]model.PanelRange
	views [][]*kernels.W4
}

// w4a8 is a 4-bit projection whose input is quantized with the per-tensor
// scale sx (model.Int8Linear).
type w4a8 struct {
	w4
	sx, invX float32
}

func newW4(st quant.PackedStage, n, k int) *w4 {
	l := &w4{n: n, k: k}
	l.parts = model.PanelParts(st.W4.NumPanels())
	l.views = make([][]*kernels.W4, len(l.parts))
	for p, parts := range l.parts {
		for _, pr := range parts {
			l.views[p] = append(l.views[p], st.W4.Panels(pr.Lo, pr.Hi))
		}
	}
	return l
}

func newW4A8(st quant.PackedStage, n, k int, sx float32) *w4a8 {
	return &w4a8{w4: *newW4(st, n, k), sx: sx, invX: quant.InvScale(sx)}
}

func (l *w4) Dims() (n, k int) { return l.n, l.k }
func (l *w4) Parts() int       { return len(l.parts) }

func (l *w4) MatMul(y, x []float32, T, lo, hi, parts int) {
	for j := lo; j < hi; j++ {
		pr := l.parts[parts-1][j]
		kernels.MatMulW4A16F32(T, x, l.k, l.views[parts-1][j], y[pr.Row0():], l.n)
	}
}

// InputInvScale is 1/sx (model.Int8Linear).
func (l *w4a8) InputInvScale() float32 { return l.invX }

// MatMul quantizes x and runs MatMulI8.
func (l *w4a8) MatMul(y, x []float32, T, lo, hi, parts int) {
	q := i8Pool.get(T * l.k)
	defer i8Pool.put(q)
	kernels.QuantizeI8(x[:T*l.k], l.invX, *q)
	l.MatMulI8(y, *q, T, lo, hi, parts)
}

// MatMulI8 computes parts [lo, hi) from the input codes q [T, k].
func (l *w4a8) MatMulI8(y []float32, q []int8, T, lo, hi, parts int) {
	for j := lo; j < hi; j++ {
		pr := l.parts[parts-1][j]
		kernels.MatMulW4A8F32(T, q, l.k, l.sx, l.views[parts-1][j], y[pr.Row0():], l.n)
	}
}

// checkStage validates a stored stage against the shape the block wants.
func checkStage(st quant.PackedStage, n, k int) error {
	switch {
	case st.W8 != nil:
		if st.W8.N != n || st.W8.K != k || len(st.Scale) != n {
			return fmt.Errorf("int8 panels are %dx%d with %d scales, want %dx%d", st.W8.N, st.W8.K, len(st.Scale), n, k)
		}
	case st.W4 != nil:
		if st.W4.N != n || st.W4.K != k {
			return fmt.Errorf("4-bit panels are %dx%d, want %dx%d", st.W4.N, st.W4.K, n, k)
		}
	default:
		return fmt.Errorf("empty stage")
	}
	return nil
}
