package model

import (
	"fmt"
	"github.com/quamba/quamba/kernels"

	"github.com/quamba/quamba/formats"
)

// chunkTokens bounds the tokens Forward processes at once, and so the
// scratch memory of a State; longer inputs are processed chunk by chunk.
const chunkTokens = 256

// Forward runs tokens through the model in sequence mode, starting from the
// decode state s and leaving s ready to continue after the last token.
//
// logits selects what is computed: nil or empty for no logits (prefill only),
// PaddedVocab values for the logits of the last token, or
// len(tokens)·PaddedVocab values for the logits of every position, row-major.
func (m *Model) Forward(s *State, tokens []int, logits []float32) error {
	if s == nil || s.m != m {
		return fmt.Errorf("model: forward with a state of another model")
	}
	V, T := m.Config.PaddedVocab, len(tokens)
	all := len(logits) == T*V && T > 0
	if len(logits) != 0 && len(logits) != V && !all {
		return fmt.Errorf("model: logits buffer has %d values, want 0, %d (last token) or %d (all %d tokens)",
			len(logits), V, T*V, T)
	}
	if T == 0 {
		if len(logits) != 0 {
			return fmt.Errorf("model: logits requested for an empty token sequence")
		}
		return nil
	}
	for i, tok := range tokens {
		if tok < 0 || tok >= m.Config.VocabSize {
			return fmt.Errorf("model: token %d at position %d is outside the vocabulary [0, %d)", tok, i, m.Config.VocabSize)
		}
	}
	for start := 0; start < T; start += chunkTokens {
		end := min(start+chunkTokens, T)
		var out []float32
		switch {
		case all:
			out = logits[start*V : end*V]
		case len(logits) == V && end == T:
			out = logits
		}
		m.forwardChunk(s, tokens[start:end], out, all)
	}
	return nil
}

// Step runs one token in decode mode (matrix-vector products) from state s
// and writes the PaddedVocab logits of that token into logits (skipped when
// logits is empty).
func (m *Model) Step(s *State, token int, logits []float32) error {
	if s == nil || s.m != m {
		return fmt.Errorf("model: step with a state of another model")
	}
	if len(logits) != 0 && len(logits) != m.Config.PaddedVocab {
		return fmt.Errorf("model: logits buffer has %d values, want %d", len(logits), m.Config.PaddedVocab)
	}
	s.tok[0] = token
	return m.Forward(s, s.tok[:], logits)
}

// forwardChunk runs T = len(tokens) tokens. logits is nil, the last row's
// logits [V], or every row's [T, V] (all).
func (m *Model) forwardChunk(s *State, tokens []int, logits []float32, all bool) {
	cfg := &m.Config
	T, D := len(tokens), cfg.DModel
	s.reserve(T)

	res := s.res[:T*D]
	for t, tok := range tokens {
		m.embedRow(tok, res[t*D:(t+1)*D])
	}
	// Each block adds the previous block's output (s.out) to the residual
	// in the pass of its RMSNorm; the first has nothing to add.
	for i := range m.layers {
		if cfg.Arch == formats.Mamba1 {
			m.mamba1Mixer(s, i, T, i > 0)
		} else {
			m.mamba2Mixer(s, i, T, i > 0)
		}
	}

	// norm_f (adding the last block's output) and lm_head: every row when
	// all logits are wanted or an observer watches, else just the last row.
	first := T - 1
	if all || s.Observer != nil {
		first = 0
	}
	if logits == nil && s.Observer == nil {
		return
	}
	rows := T - first
	res, out := res[first*D:], s.out[first*D:]
	if inv, ok := s.int8Input(PointLMHeadInput, proj{logits, m.lmHead}); ok && logits != nil {
		q := s.q8[:rows*D]
		s.rowwise(rows, rowOp{kind: rowNorm, cols: D, res: res, h: out, w: m.normF, q: q, inv: inv, eps: float32(cfg.NormEps)})
		if all {
			s.project(nil, q, T, proj{logits, m.lmHead})
		} else {
			s.project(nil, q[(rows-1)*D:], 1, proj{logits, m.lmHead})
		}
		return
	}
	hf := s.hf[:rows*D]
	s.rowwise(rows, rowOp{kind: rowNorm, cols: D, x: hf, res: res, h: out, w: m.normF, eps: float32(cfg.NormEps)})
	s.act(-1, PointLMHeadInput, rows, D, hf)
	switch {
	case all:
		s.matmul(logits, hf, m.lmHead, T)
	case logits != nil:
		s.matmul(logits, hf[(rows-1)*D:], m.lmHead, 1)
	}
}

// embedRow writes the embedding of token tok into dst [D].
func (m *Model) embedRow(tok int, dst []float32) {
	if m.embed != nil {
		m.embed(tok, dst)
		return
	}
	D := m.Config.DModel
	copy(dst, m.embedding[tok*D:(tok+1)*D])
}

// mamba1Mixer runs layer i on the residual s.res [T, D] and writes the mixer
// output to s.out [T, D] (quamba.md §1.4).
func (m *Model) mamba1Mixer(s *State, i, T int, add bool) {
	cfg := &m.Config
	l := &m.layers[i]
	E, N, R := cfg.DInner, cfg.DState, cfg.DtRank

	xin, z := s.convIn[:T*E], s.z[:T*E]
	s.normProject(i, T, add, l.norm, proj{xin, l.inX}, proj{z, l.inZ})
	s.act(i, PointConvInput, T, E, xin)
	s.act(i, PointZ, T, E, z)

	x := s.x[:T*E]
	s.causalConv(i, T, xin, convSegment{0, E, x})
	s.act(i, PointX, T, E, x)

	// [dtLow, B, C] = x · x_projᵀ
	dtLow, bm, cm := s.dtLow[:T*R], s.bMat[:T*N], s.cMat[:T*N]
	s.project(x, nil, T, proj{dtLow, l.xDt}, proj{bm, l.xB}, proj{cm, l.xC})
	s.act(i, PointDtLow, T, R, dtLow)
	s.act(i, PointB, T, N, bm)
	s.act(i, PointC, T, N, cm)

	// dt = dtLow · dt_projᵀ; the scan computes delta = softplus(dt + bias).
	dt := s.dt[:T*E]
	s.matmul(dt, dtLow, l.dtProj, T)
	s.act(i, PointDt, T, E, dt)

	// The scan kernel applies the gate itself: y = scan·silu(z). An observer
	// also sees delta and the scan output before the gate (PointY), which
	// the kernel does not expose, so with an observer the scan runs with a
	// unit gate (its gate is exactly 1: y is the ungated output, to the
	// bit) and scanGate applies the gate with the kernel's arithmetic: the
	// result has the same bits as without an observer.
	y, gate := s.y[:T*E], z
	watched := s.Observer != nil || m.hookY
	if watched {
		gate = s.delta[:T*E]
		for j := range gate {
			gate[j] = unitGate
		}
	}
	s.scanM1(i, T, x, dt, bm, cm, gate, y)
	if watched {
		delta := s.delta[:T*E]
		if s.Observer != nil {
			for t := range T {
				for c := range E {
					delta[t*E+c] = dt[t*E+c] + l.dtBias[c]
				}
			}
			kernels.SoftplusF32(delta, delta)
			s.act(i, PointDelta, T, E, delta)
		}
		s.act(i, PointY, T, E, y)
		scanGate(y, z, delta)
	}
	s.outProject(i, T, y, nil)
}

// mamba2Mixer runs layer i on the residual s.res [T, D] and writes the mixer
// output to s.out [T, D] (quamba.md §1.5).
func (m *Model) mamba2Mixer(s *State, i, T int, add bool) {
	cfg := &m.Config
	l := &m.layers[i]
	E, N, H, G := cfg.DInner, cfg.DState, cfg.NHeads, cfg.NGroups
	GN, Cc := G*N, convDim(*cfg)

	// in_proj rows: z [E] | xBC [Cc] | dt [H]
	z, xbc, dt := s.z[:T*E], s.convIn[:T*Cc], s.dt[:T*H]
	s.normProject(i, T, add, l.norm, proj{z, l.inZ}, proj{xbc, l.inXBC}, proj{dt, l.inDt})
	s.act(i, PointZ, T, E, z)
	s.act(i, PointConvInput, T, Cc, xbc)
	s.act(i, PointDt, T, H, dt)

	x, bm, cm := s.x[:T*E], s.bMat[:T*GN], s.cMat[:T*GN]
	s.causalConv(i, T, xbc, convSegment{0, E, x}, convSegment{E, E + GN, bm}, convSegment{E + GN, Cc, cm})
	s.act(i, PointX, T, E, x)
	s.act(i, PointB, T, GN, bm)
	s.act(i, PointC, T, GN, cm)

	// The scan kernel computes delta = softplus(dt + bias), clamped to
	// dt_limit, itself; an observer gets it computed here.
	if s.Observer != nil {
		delta := s.delta[:T*H]
		sp := &l.scan2
		for t := range T {
			for h := range H {
				delta[t*H+h] = dt[t*H+h] + l.dtBias[h]
			}
		}
		kernels.SoftplusF32(delta, delta)
		if sp.DtLimit {
			for j, d := range delta {
				delta[j] = min(max(d, sp.DtMin), sp.DtMax)
			}
		}
		s.act(i, PointDelta, T, H, delta)
	}

	y := s.y[:T*E]
	s.scanM2(i, T, x, dt, bm, cm, y)
	s.act(i, PointY, T, E, y)

	// Gated RMSNorm (norm_before_gate=False): v = y·silu(z), normalised per
	// group of E/G channels, times the norm weight; then out_proj.
	s.outProject(i, T, y, z)
}

// normProject runs the in_proj stages ps of layer i on the RMSNorm of the
// residual s.res [T, D], first adding the previous block's output s.out
// to the residual when add is set (one pass: kernels.AddRMSNormF32). When
// the stages take int8 input and nobody needs the float activation, the
// norm writes the codes directly (kernels.AddRMSNormQuantI8).
func (s *State) normProject(i, T int, add bool, norm []float32, ps ...proj) {
	cfg := &s.m.Config
	D, eps := cfg.DModel, float32(cfg.NormEps)
	res, u, h := s.res[:T*D], s.u[:T*D], []float32(nil)
	if add {
		h = s.out[:T*D]
	}
	if inv, ok := s.int8Input(PointInProjInput, ps...); ok {
		q := s.q8[:T*D]
		s.rowwise(T, rowOp{kind: rowNorm, cols: D, res: res, h: h, w: norm, q: q, inv: inv, eps: eps})
		s.project(nil, q, T, ps...)
		return
	}
	s.rowwise(T, rowOp{kind: rowNorm, cols: D, x: u, res: res, h: h, w: norm, eps: eps})
	s.act(i, PointInProjInput, T, D, u)
	s.project(u, nil, T, ps...)
}

// outProject runs out_proj of layer i on the scan output y [T, E]: for
// Mamba2 (z non-nil) the gated RMSNorm with the gate z [T, E] first,
// written over y, then the online Hadamard of a rotated model. When
// out_proj takes int8 input and nobody needs the float activation, the
// last of these operations writes the codes (kernels.HadamardQuantI8,
// GatedRMSNormQuantI8 or QuantizeI8).
func (s *State) outProject(i, T int, y, z []float32) {
	m := s.m
	cfg := &m.Config
	E, D, eps := cfg.DInner, cfg.DModel, float32(cfg.NormEps)
	l := &m.layers[i]
	inv, int8 := s.int8Input(PointOutProjInput, proj{nil, l.outProj})
	op := rowOp{kind: rowOut, cols: E, x: y, z: z, w: l.gatedNorm, eps: eps}
	if int8 {
		op.q, op.inv = s.q8[:T*E], inv
	}
	if z != nil || int8 || m.outHad {
		s.rowwise(T, op)
	}
	out := s.out[:T*D]
	if int8 {
		s.project(nil, op.q, T, proj{out, l.outProj})
		return
	}
	s.act(i, PointOutProjInput, T, E, y)
	s.project(y, nil, T, proj{out, l.outProj})
}
