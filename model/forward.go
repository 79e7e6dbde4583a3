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
	if h := m.stateHook; h != nil {
		for i, st := range s.ssm {
			h.State(i, st)
		}
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
	for i := range m.layers {
		if cfg.Arch == formats.Mamba1 {
			m.mamba1Mixer(s, i, T)
		} else {
			m.mamba2Mixer(s, i, T)
		}
		out := s.out[:T*D]
		for j, v := range out {
			res[j] += v
		}
	}

	// norm_f and lm_head: every row when all logits are wanted or an observer
	// watches, else just the last row.
	first := T - 1
	if all || s.Observer != nil {
		first = 0
	}
	if logits == nil && s.Observer == nil {
		return
	}
	rows := T - first
	hf := s.hf[:rows*D]
	rmsNorm(hf, res[first*D:], m.normF, rows, D, cfg.NormEps)
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
func (m *Model) mamba1Mixer(s *State, i, T int) {
	cfg := &m.Config
	l := &m.layers[i]
	D, E, N, R := cfg.DModel, cfg.DInner, cfg.DState, cfg.DtRank

	u := s.u[:T*D]
	rmsNorm(u, s.res, l.norm, T, D, cfg.NormEps)
	s.act(i, PointInProjInput, T, D, u)

	xin, z := s.convIn[:T*E], s.z[:T*E]
	s.matmul(xin, u, l.inX, T)
	s.matmul(z, u, l.inZ, T)
	s.act(i, PointConvInput, T, E, xin)
	s.act(i, PointZ, T, E, z)

	x := s.x[:T*E]
	s.causalConv(i, T, xin, convSegment{0, E, x})
	s.act(i, PointX, T, E, x)

	// [dtLow, B, C] = x · x_projᵀ
	dtLow, bm, cm := s.dtLow[:T*R], s.bMat[:T*N], s.cMat[:T*N]
	s.matmul(dtLow, x, l.xDt, T)
	s.matmul(bm, x, l.xB, T)
	s.matmul(cm, x, l.xC, T)
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
	m.outHadamard(y, T)
	s.act(i, PointOutProjInput, T, E, y)
	s.matmul(s.out, y, l.outProj, T)
}

// mamba2Mixer runs layer i on the residual s.res [T, D] and writes the mixer
// output to s.out [T, D] (quamba.md §1.5).
func (m *Model) mamba2Mixer(s *State, i, T int) {
	cfg := &m.Config
	l := &m.layers[i]
	D, E, N, H, G := cfg.DModel, cfg.DInner, cfg.DState, cfg.NHeads, cfg.NGroups
	GN, Cc := G*N, convDim(*cfg)

	u := s.u[:T*D]
	rmsNorm(u, s.res, l.norm, T, D, cfg.NormEps)
	s.act(i, PointInProjInput, T, D, u)

	// in_proj rows: z [E] | xBC [Cc] | dt [H]
	z, xbc, dt := s.z[:T*E], s.convIn[:T*Cc], s.dt[:T*H]
	s.matmul(z, u, l.inZ, T)
	s.matmul(xbc, u, l.inXBC, T)
	s.matmul(dt, u, l.inDt, T)
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
	// group of E/G channels, times the norm weight. Written over y.
	eps := float32(cfg.NormEps)
	for t := 0; t < T; t++ {
		row := y[t*E : (t+1)*E]
		kernels.GatedRMSNormF32(row, z[t*E:(t+1)*E], l.gatedNorm, E/G, eps, row)
	}
	m.outHadamard(y, T)
	s.act(i, PointOutProjInput, T, E, y)
	s.matmul(s.out, y, l.outProj, T)
}

// outHadamard applies the online Hadamard of a rotated model to each row of
// the out_proj input y [T, E].
func (m *Model) outHadamard(y []float32, T int) {
	if !m.outHad {
		return
	}
	E := m.Config.DInner
	for t := range T {
		kernels.Hadamard(y[t*E : (t+1)*E])
	}
}
