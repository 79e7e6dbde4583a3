package model

import (
	"fmt"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/internal/parallel"
)

// Batch steps several sequences together: one decode token of each of B
// states runs as one pass of the block with B rows, so that every
// projection is a GEMM with M = B (the weights are read once for all
// sequences) while the conv and the scan of each row use that row's own
// state. The results are those of B separate Steps, up to the last bits of
// the projections (a GEMM sums in another order than a GEMV).
//
// A Batch holds the scratch of up to its capacity rows and must not be
// used by two goroutines at once; the states must be distinct.
type Batch struct {
	m   *Model
	s   *State
	cap int
}

// NewBatch returns a batch stepper for up to max sequences of m.
func (m *Model) NewBatch(max int) (*Batch, error) {
	if max < 1 {
		return nil, fmt.Errorf("model: batch of %d sequences", max)
	}
	b := &Batch{m: m, s: m.NewState(), cap: max}
	b.s.conv, b.s.ssm, b.s.ssmQ, b.s.hbuf = nil, nil, nil, nil // the rows' states are used instead
	b.s.reserve(max)
	return b, nil
}

// Step runs token tokens[r] on states[r] for every r and writes row r's
// PaddedVocab logits into logits[r·PaddedVocab:] (skipped when logits is
// empty).
func (b *Batch) Step(states []*State, tokens []int, logits []float32) error {
	B, V := len(states), b.m.Config.PaddedVocab
	switch {
	case B == 0:
		return nil
	case B > b.cap:
		return fmt.Errorf("model: batch step of %d sequences, capacity %d", B, b.cap)
	case len(tokens) != B:
		return fmt.Errorf("model: batch step: %d tokens for %d states", len(tokens), B)
	case len(logits) != 0 && len(logits) != B*V:
		return fmt.Errorf("model: batch step: logits buffer has %d values, want %d", len(logits), B*V)
	}
	for r, st := range states {
		if st == nil || st.m != b.m {
			return fmt.Errorf("model: batch step: state %d belongs to another model", r)
		}
		for q := range r {
			if states[q] == st {
				return fmt.Errorf("model: batch step: states %d and %d are the same", q, r)
			}
		}
		if tok := tokens[r]; tok < 0 || tok >= b.m.Config.VocabSize {
			return fmt.Errorf("model: batch step: token %d of sequence %d is outside the vocabulary [0, %d)", tok, r, b.m.Config.VocabSize)
		}
	}
	s := b.s
	s.rows = states
	defer func() { s.rows = nil }()
	var out []float32
	if len(logits) != 0 {
		out = logits
	}
	b.m.forwardChunk(s, tokens, out, out != nil)
	return nil
}

// rowsTask runs one decode step of the conv or the scan of layer i for
// batch rows [lo, hi), each on its own state.
type rowsTask struct {
	s                 *State
	i                 int
	conv              bool
	in                []float32 // conv input [B, Cc]
	segs              [3]convSegment
	nseg              int
	x, dt, b, c, z, y []float32 // scan operands [B, ·]
}

func (k *rowsTask) Run(lo, hi int) {
	s, m := k.s, k.s.m
	cfg := &m.Config
	l := &m.layers[k.i]
	E, N, G := cfg.DInner, cfg.DState, cfg.NGroups
	for r := lo; r < hi; r++ {
		st := s.rows[r]
		switch {
		case k.conv:
			Cc := convDim(*cfg)
			t := convTask{T: 1, Cc: Cc, K: cfg.DConv, blocks: m.convBlocks, in: k.in[r*Cc : (r+1)*Cc],
				w: l.convW, b: l.convB, state: st.conv[k.i]}
			for j, sg := range k.segs[:k.nseg] {
				w := sg.c1 - sg.c0
				t.segs[j] = convSegment{sg.c0, sg.c1, sg.dst[r*w : (r+1)*w]}
			}
			t.Run(0, len(t.blocks))
		case cfg.Arch == formats.Mamba1:
			h, q := st.ssmScan(k.i)
			R := scan1Task{T: 1, p: &l.scan1, h: h, coded: coded{q, m.codec, k.i}, x: k.x[r*E : (r+1)*E], dt: k.dt[r*E : (r+1)*E],
				z: k.z[r*E : (r+1)*E], y: k.y[r*E : (r+1)*E], b: k.b[r*N : (r+1)*N], c: k.c[r*N : (r+1)*N]}
			R.Run(0, (E+7)/8)
		default:
			H, GN := cfg.NHeads, G*N
			heads := 1
			if G > 1 {
				heads = H / G
			}
			S, q := st.ssmScan(k.i)
			R := scan2Task{T: 1, p: &l.scan2, S: S, coded: coded{q, m.codec, k.i}, x: k.x[r*E : (r+1)*E], y: k.y[r*E : (r+1)*E],
				dt: k.dt[r*H : (r+1)*H], b: k.b[r*GN : (r+1)*GN], c: k.c[r*GN : (r+1)*GN], heads: heads}
			R.Run(0, H/heads)
		}
	}
}

// batchRows runs k over the rows of the batch in parallel.
func (s *State) batchRows(k *rowsTask) {
	parallel.For(&s.wg, len(s.rows), 1, k)
}

// Fits reports whether b can step n sequences at once.
func (b *Batch) Fits(n int) bool { return n <= b.cap }
