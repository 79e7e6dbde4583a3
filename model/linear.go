package model

import (
	"runtime"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/internal/parallel"
	"github.com/quamba/quamba/kernels"
)

// Linear is one projection stage of a block, y [T, n] = x [T, k]·Wᵀ with x
// and y row-major (strides k and n). Its work is cut into Parts()
// independent parts, over the output rows (or, for a stage whose weights
// do not split so, the input rows); MatMul computes parts [lo, hi)
// of a cut into parts pieces (1 <= parts <= Parts()), so the engine runs
// them on its worker pool. MatMul must not keep x or y, must not
// allocate, and must be safe for concurrent use on different x and y.
type Linear interface {
	Dims() (n, k int)
	Parts() int
	MatMul(y, x []float32, T int, lo, hi, parts int)
}

// Int8Linear is an optional interface of a Linear stage that takes its
// input as int8 codes with one per-tensor scale: q = kernels.QuantizeI8(x,
// InputInvScale()). The block then quantizes an input once for every stage
// that reads it with that scale (and for all their parts), in the same pass
// as the operation producing it where a fused kernel exists (residual add
// + RMSNorm, Hadamard, gated RMSNorm) and the float activation is needed
// by nobody else, and hands the stages the codes.
type Int8Linear interface {
	Linear
	// InputInvScale is the reciprocal of the input scale, rounded to
	// float32 once, that the stage quantizes its input with.
	InputInvScale() float32
	// MatMulI8 is MatMul on the input codes q [T, k] (stride k).
	MatMulI8(y []float32, q []int8, T int, lo, hi, parts int)
}

// ProjName names a projection stage of a block.
type ProjName string

// The projection stages, split where the block splits their outputs.
const (
	ProjInX    ProjName = "in_proj.x"   // Mamba1 in_proj rows [0, E)
	ProjInZ    ProjName = "in_proj.z"   // Mamba1 in_proj rows [E, 2E); Mamba2 rows [0, E)
	ProjInXBC  ProjName = "in_proj.xBC" // Mamba2 in_proj rows [E, 2E+2GN)
	ProjInDt   ProjName = "in_proj.dt"  // Mamba2 in_proj rows [2E+2GN, 2E+2GN+H)
	ProjXDt    ProjName = "x_proj.dt"   // Mamba1 x_proj rows [0, R)
	ProjXB     ProjName = "x_proj.B"    // Mamba1 x_proj rows [R, R+N)
	ProjXC     ProjName = "x_proj.C"    // Mamba1 x_proj rows [R+N, R+2N)
	ProjDt     ProjName = "dt_proj"     // Mamba1 dt_proj [E, R]
	ProjOut    ProjName = "out_proj"    // out_proj [D, E]
	ProjLMHead ProjName = "lm_head"     // lm_head [V, D] (layer -1)
)

// ProjSplit is one projection stage of a model: rows [Row0, Row0+Rows) of
// the checkpoint tensor Tensor, whose rows have Cols values. Layer is -1 for
// lm_head.
type ProjSplit struct {
	Layer            int
	Name             ProjName
	Tensor           string
	Row0, Rows, Cols int
}

// Projections lists every projection stage of a model with configuration
// cfg, layer by layer in block order, lm_head last: the one definition of
// where the block cuts its projections, which Build, the quantizer and the
// artifact share.
func Projections(cfg formats.Config) []ProjSplit {
	D, E, N := cfg.DModel, cfg.DInner, cfg.DState
	var out []ProjSplit
	for i := range cfg.NLayer {
		p := formats.LayerPrefix(i) + "mixer."
		add := func(name ProjName, tensor string, row0, rows, cols int) {
			out = append(out, ProjSplit{Layer: i, Name: name, Tensor: p + tensor, Row0: row0, Rows: rows, Cols: cols})
		}
		if cfg.Arch == formats.Mamba1 {
			R := cfg.DtRank
			add(ProjInX, "in_proj.weight", 0, E, D)
			add(ProjInZ, "in_proj.weight", E, E, D)
			add(ProjXDt, "x_proj.weight", 0, R, E)
			add(ProjXB, "x_proj.weight", R, N, E)
			add(ProjXC, "x_proj.weight", R+N, N, E)
			add(ProjDt, "dt_proj.weight", 0, E, R)
		} else {
			Cc := convDim(cfg)
			add(ProjInZ, "in_proj.weight", 0, E, D)
			add(ProjInXBC, "in_proj.weight", E, Cc, D)
			add(ProjInDt, "in_proj.weight", E+Cc, cfg.NHeads, D)
		}
		add(ProjOut, "out_proj.weight", 0, D, E)
	}
	out = append(out, ProjSplit{Layer: -1, Name: ProjLMHead, Tensor: formats.LMHeadName, Rows: cfg.PaddedVocab, Cols: D})
	return out
}

// F32Linear is the FP32 engine's projection: the weights packed once for
// kernels.MatMulF32, cut into whole 16-row panels for up to NumCPU parts.
type F32Linear struct {
	n, k  int
	split [][]f32Part // split[p-1] covers all rows in p parts
}

// f32Part is a view of whole 16-row panels starting at output row row0.
type f32Part struct {
	w    *kernels.F32
	row0 int
}

// NewF32Linear packs the row-major weight w [n, k] (copied into the
// kernels' panel layout: w is not kept).
func NewF32Linear(w []float32, n, k int) (*F32Linear, error) {
	packed, err := kernels.PackF32(n, k, w, k)
	if err != nil {
		return nil, err
	}
	cuts := PanelParts(packed.NumPanels())
	l := &F32Linear{n: n, k: k, split: make([][]f32Part, len(cuts))}
	for p, ranges := range cuts {
		for _, r := range ranges {
			l.split[p] = append(l.split[p], f32Part{w: packed.Panels(r.Lo, r.Hi), row0: r.Row0()})
		}
	}
	return l, nil
}

// PanelRange is a part of a projection's work: its 16-row panels [Lo, Hi).
type PanelRange struct{ Lo, Hi int }

// Row0 is the first output row of the range.
func (r PanelRange) Row0() int { return r.Lo * kernels.PanelRows }

// PanelParts cuts np panels into p parts of whole panels, for every p from
// 1 to min(NumCPU, np): PanelParts(np)[p-1] is the cut into p parts, part j
// covering panels [np·j/p, np·(j+1)/p). It is how a Linear stage's Parts
// are laid out.
func PanelParts(np int) [][]PanelRange {
	maxParts := max(1, min(runtime.NumCPU(), np))
	cuts := make([][]PanelRange, maxParts)
	for p := 1; p <= maxParts; p++ {
		cuts[p-1] = make([]PanelRange, p)
		for j := range cuts[p-1] {
			cuts[p-1][j] = PanelRange{np * j / p, np * (j + 1) / p}
		}
	}
	return cuts
}

// Dims returns the weight shape (n, k).
func (l *F32Linear) Dims() (n, k int) { return l.n, l.k }

// Unpack returns the weights as the row-major [n, k] matrix they were
// packed from (the same values: packing only moves them).
func (l *F32Linear) Unpack() []float32 { return l.split[0][0].w.Unpack() }

// Parts is the largest number of parts MatMul cuts the rows into.
func (l *F32Linear) Parts() int { return len(l.split) }

// MatMul computes parts [lo, hi) of a cut into parts pieces.
func (l *F32Linear) MatMul(y, x []float32, T int, lo, hi, parts int) {
	for _, p := range l.split[parts-1][lo:hi] {
		kernels.MatMulF32(T, x, l.k, p.w, nil, y[p.row0:], l.n)
	}
}

// matmulTask runs the parts of one projection, on the float input x or,
// for an Int8Linear stage, on the codes q.
type matmulTask struct {
	w     Linear
	w8    Int8Linear
	x, y  []float32
	q     []int8
	T     int
	parts int
}

func (g *matmulTask) Run(lo, hi int) {
	if g.w8 != nil {
		g.w8.MatMulI8(g.y, g.q, g.T, lo, hi, g.parts)
		return
	}
	g.w.MatMul(g.y, g.x, g.T, lo, hi, g.parts)
}

// matmulMinWork is the smallest number of multiply-adds worth giving its own
// goroutine.
const matmulMinWork = 1 << 16

// matmul computes y [T, n] = x [T, k] · Wᵀ, in parallel over the rows of W.
// A row of y may differ in its last bits between T == 1 (the streaming GEMV)
// and T > 1 (the blocked GEMM), which sum in different orders.
// An Int8Linear stage gets x quantized once, here, for all its parts.
func (s *State) matmul(y, x []float32, w Linear, T int) {
	s.project(x, nil, T, proj{y, w})
}

// proj is one projection of an input: y = x·Wᵀ.
type proj struct {
	y []float32
	w Linear
}

// project computes the projections ps (at most maxShared) of one input x
// [T, k], all in one parallel pass: worker j runs part j of every
// projection. The Int8Linear stages among them read the input's int8
// codes: q when the caller passes them (quantized with their
// InputInvScale, see int8Input), else x quantized here, once.
func (s *State) project(x []float32, q []int8, T int, ps ...proj) {
	g := &s.mm
	g.n, g.parts = len(ps), 0
	qInv, have := float32(0), q != nil
	if have {
		qInv = ps[0].w.(Int8Linear).InputInvScale()
	}
	for i, p := range ps {
		n, k := p.w.Dims()
		parts := min(runtime.GOMAXPROCS(0), p.w.Parts(), max(1, T*n*k/matmulMinWork))
		t := &g.ps[i]
		*t = matmulTask{w: p.w, y: p.y[:T*n], T: T, parts: parts}
		if w8, ok := p.w.(Int8Linear); ok {
			if inv := w8.InputInvScale(); !have || inv != qInv {
				if have {
					// Another scale for the same input (no block does
					// this): the stages before run first.
					g.n = i
					parallel.For(&s.wg, g.parts, 1, g)
					s.project(x, nil, T, ps[i:]...)
					*g = projectTask{}
					return
				}
				q = s.q8[:T*k]
				s.rowwise(T, rowOp{kind: rowQuant, cols: k, x: x, q: q, inv: inv})
				qInv, have = inv, true
			}
			t.w8, t.q = w8, q[:T*k]
		} else {
			t.x = x[:T*k]
		}
		g.parts = max(g.parts, parts)
	}
	parallel.For(&s.wg, g.parts, 1, g)
	*g = projectTask{}
}

// maxShared is the most projections of one input a block has (Mamba2's
// in_proj z | xBC | dt; Mamba1's x_proj dt | B | C).
const maxShared = 3

// projectTask runs the projections of one input: Run(lo, hi) computes
// parts [lo, hi) of each (the parts it has).
type projectTask struct {
	ps    [maxShared]matmulTask
	n     int
	parts int // the most parts of any of them
}

func (g *projectTask) Run(lo, hi int) {
	for i := range g.n {
		t := &g.ps[i]
		if l, h := lo, min(hi, t.parts); l < h {
			t.Run(l, h)
		}
	}
}

// int8Input reports whether the input of the stages of ps, activation p of a
// layer, may be produced directly as int8 codes: every stage is an
// Int8Linear with the same input scale (returned), and neither an observer
// nor the hook needs the float activation.
func (s *State) int8Input(p Point, ps ...proj) (float32, bool) {
	if s.Observer != nil || s.m.hookWants(p) {
		return 0, false
	}
	var inv float32
	for j, pr := range ps {
		w8, ok := pr.w.(Int8Linear)
		if !ok || (j > 0 && w8.InputInvScale() != inv) {
			return 0, false
		}
		inv = w8.InputInvScale()
	}
	return inv, true
}
