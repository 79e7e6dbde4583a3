package model

import (
	"fmt"
	"github.com/quamba/quamba/formats"
	"runtime"

	"github.com/quamba/quamba/kernels"
)

// linear is one projection y = x·Wᵀ of the forward pass for a row-major
// weight W [n, k] (a slice of a checkpoint tensor), packed once for
// kernels.MatMulF32. Its row-panel splits for 1..maxParts goroutines are
// made up front, so running it allocates nothing.
type linear struct {
	n, k  int
	split [][]linearPart // split[p-1] covers all rows in p parts
}

// linearPart is a view of whole 16-row panels starting at output row row0.
type linearPart struct {
	w    *kernels.F32
	row0 int
}

func newLinear(w []float32, n, k int) (*linear, error) {
	packed, err := kernels.PackF32(n, k, w, k)
	if err != nil {
		return nil, err
	}
	np := packed.NumPanels()
	maxParts := min(runtime.NumCPU(), np)
	l := &linear{n: n, k: k, split: make([][]linearPart, maxParts)}
	for p := 1; p <= maxParts; p++ {
		parts := make([]linearPart, p)
		for j := range parts {
			lo, hi := np*j/p, np*(j+1)/p
			parts[j] = linearPart{w: packed.Panels(lo, hi), row0: lo * kernels.PanelRows}
		}
		l.split[p-1] = parts
	}
	return l, nil
}

// pack makes the projections of the forward pass from the model's weights,
// split where the forward pass splits their outputs.
func (m *Model) pack() error {
	cfg := &m.Config
	D, E, N := cfg.DModel, cfg.DInner, cfg.DState
	var err error
	mk := func(w []float32, n, k int, what string) *linear {
		if err != nil {
			return nil
		}
		var l *linear
		if l, err = newLinear(w[:n*k], n, k); err != nil {
			err = fmt.Errorf("%s: %w", what, err)
		}
		return l
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		if cfg.Arch == formats.Mamba1 {
			R := cfg.DtRank
			l.inX = mk(l.InProj[:E*D], E, D, "in_proj")
			l.inZ = mk(l.InProj[E*D:], E, D, "in_proj")
			l.xDt = mk(l.XProj[:R*E], R, E, "x_proj")
			l.xB = mk(l.XProj[R*E:(R+N)*E], N, E, "x_proj")
			l.xC = mk(l.XProj[(R+N)*E:], N, E, "x_proj")
			l.dtProj = mk(l.DtProj, E, R, "dt_proj")
		} else {
			Cc := convDim(*cfg)
			l.inZ = mk(l.InProj[:E*D], E, D, "in_proj")
			l.inXBC = mk(l.InProj[E*D:(E+Cc)*D], Cc, D, "in_proj")
			l.inDt = mk(l.InProj[(E+Cc)*D:], cfg.NHeads, D, "in_proj")
		}
		l.outProj = mk(l.OutProj, D, E, "out_proj")
		if err != nil {
			return fmt.Errorf("layer %d %w", i, err)
		}
	}
	m.lmHead = mk(m.LMHead, cfg.PaddedVocab, D, "lm_head")
	return err
}

// matmulTask runs the parts of one projection.
type matmulTask struct {
	parts []linearPart
	x, y  []float32
	L     int
	w     *linear
}

func (g *matmulTask) run(lo, hi int) {
	for _, p := range g.parts[lo:hi] {
		kernels.MatMulF32(g.L, g.x, g.w.k, p.w, nil, g.y[p.row0:], g.w.n)
	}
}

// matmulMinWork is the smallest number of multiply-adds worth giving its own
// goroutine.
const matmulMinWork = 1 << 16

// matmul computes y [L, n] = x [L, k] · Wᵀ, in parallel over the rows of W.
// A row of y may differ in its last bits between L == 1 (the streaming GEMV)
// and L > 1 (the blocked GEMM), which sum in different orders.
func (s *State) matmul(y, x []float32, w *linear, L int) {
	parts := min(runtime.GOMAXPROCS(0), len(w.split), max(1, L*w.n*w.k/matmulMinWork))
	g := &s.mm
	*g = matmulTask{parts: w.split[parts-1], x: x[:L*w.k], y: y[:L*w.n], L: L, w: w}
	parallelFor(&s.wg, parts, 1, g)
	*g = matmulTask{}
}
