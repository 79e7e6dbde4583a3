package model

import (
	"fmt"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/internal/parallel"
	"github.com/quamba/quamba/kernels"
)

// State is the decode state of one sequence: per layer the last d_conv
// pre-conv inputs and the SSM state, plus the scratch buffers of Forward and
// Step. A State belongs to the Model that made it and must not be used by two
// goroutines at once.
type State struct {
	// Observer, when non-nil, sees the activations of every Forward and Step.
	Observer Observer

	m    *Model
	rows []*State    // while a Batch steps: the state of each row (conv and ssm are then unused)
	conv [][]float32 // per layer the last K pre-conv inputs in the conv-block layout (see convBlocks)
	ssm  [][]float32 // per layer in the scan kernels' layout: Mamba1 kernels.ScanLayoutM1 of [E, N]; Mamba2 [H, N, P] (nil with a StateCodec)
	ssmQ [][]int8    // with a StateCodec: per layer the int8 codes of the SSM state, same layout
	hbuf []float32   // with a StateCodec: one layer's SSM state decoded, while its scan runs

	// Scratch for up to capT tokens; shapes per token in comments.
	capT              int
	res, u, out, hf   []float32 // [D] residual, normed input, mixer output, norm_f output
	convIn, z, x, y   []float32 // [Cc] conv input; [E] gate, SSM input, SSM output
	dtLow, bMat, cMat []float32 // [R] (Mamba1); [G·N] B and C
	dt, delta         []float32 // Mamba1 [E]; Mamba2 [H]; delta only with an observer (and Mamba1's unit gate)
	q8                []int8    // [max(D, E)] the int8 codes of a projection input
	tok               [1]int
	wg                parallel.Group
	mm                projectTask
	rowOp             rowOp
	conv1             convTask
	scan1             scan1Task
	scan2             scan2Task
	batch             rowsTask
}

// NewState returns a zero state for m.
func (m *Model) NewState() *State {
	cfg := m.Config
	s := &State{m: m, conv: make([][]float32, cfg.NLayer)}
	Cc, K := convDim(cfg), cfg.DConv
	for i := range s.conv {
		s.conv[i] = make([]float32, Cc*K)
	}
	if m.codec != nil {
		s.ssmQ = make([][]int8, cfg.NLayer)
		for i := range s.ssmQ {
			s.ssmQ[i] = make([]int8, ssmLen(cfg))
		}
		s.hbuf = make([]float32, ssmLen(cfg))
		return s
	}
	s.ssm = make([][]float32, cfg.NLayer)
	for i := range s.ssm {
		s.ssm[i] = make([]float32, ssmLen(cfg))
	}
	return s
}

// ssmScan returns what a scan of layer i runs on: the float32 state h, and
// with a StateCodec the codes q that h is decoded from and encoded into.
func (s *State) ssmScan(i int) (h []float32, q []int8) {
	if s.ssmQ != nil {
		return s.hbuf, s.ssmQ[i]
	}
	return s.ssm[i], nil
}

// Reset zeroes the decode state (the start of a new sequence). The observer
// is kept.
func (s *State) Reset() {
	for i := range s.conv {
		clear(s.conv[i])
	}
	for i := range s.ssm {
		clear(s.ssm[i])
	}
	for i := range s.ssmQ {
		clear(s.ssmQ[i]) // code 0 is the value 0 for every scale
	}
}

// ConvState returns layer's conv state [Cc, d_conv]: the last d_conv pre-conv
// inputs per channel, oldest first. The state is kept channel-contiguous in
// blocks for the conv kernel (see kernels.CausalConv1dSiLUF32), so this is a
// new slice, converted from it: the caller owns it, and changing it does not
// change the state.
func (s *State) ConvState(layer int) []float32 {
	cfg := s.m.Config
	out := make([]float32, convDim(cfg)*cfg.DConv)
	convNatural(out, s.conv[layer], s.m.convBlocks, cfg.DConv)
	return out
}

// SSMState returns layer's SSM state in its natural layout, Mamba1 [E, N],
// Mamba2 [H, P, N] (decoded from the codes with an int8 state cache). The state is kept in the layout of the scan kernels
// (see kernels.ScanLayoutM1 and kernels.ScanLayoutM2), so this is a new
// slice, converted from it: the caller owns it, and changing it does not
// change the state.
func (s *State) SSMState(layer int) []float32 {
	cfg := s.m.Config
	E, N := cfg.DInner, cfg.DState
	out := make([]float32, E*N)
	h := s.ssmFloat(layer)
	if cfg.Arch == formats.Mamba1 {
		kernels.NaturalLayoutM1(out, h, E, N)
	} else {
		kernels.NaturalLayoutM2(out, h, cfg.NHeads, cfg.HeadDim, N)
	}
	return out
}

// ssmFloat returns layer's SSM state in float32 (decoded into a new slice
// with a StateCodec).
func (s *State) ssmFloat(layer int) []float32 {
	if s.ssmQ == nil {
		return s.ssm[layer]
	}
	h := make([]float32, len(s.ssmQ[layer]))
	s.m.codec.Decode(layer, 0, s.ssmQ[layer], h)
	return h
}

// CopyFrom makes s an exact copy of the decode state of src (same model).
func (s *State) CopyFrom(src *State) error {
	if s.m != src.m {
		return fmt.Errorf("model: states of different models")
	}
	for i := range s.conv {
		copy(s.conv[i], src.conv[i])
	}
	for i := range s.ssm {
		copy(s.ssm[i], src.ssm[i])
	}
	for i := range s.ssmQ {
		copy(s.ssmQ[i], src.ssmQ[i])
	}
	return nil
}

// reserve sizes the scratch buffers for chunks of T tokens.
func (s *State) reserve(T int) {
	if T <= s.capT {
		return
	}
	cfg := s.m.Config
	D, E, N := cfg.DModel, cfg.DInner, cfg.DState
	G, dtW := 1, E
	if cfg.Arch == formats.Mamba2 {
		G, dtW = cfg.NGroups, cfg.NHeads
	}
	f := func(n int) []float32 { return make([]float32, T*n) }
	s.res, s.u, s.out, s.hf = f(D), f(D), f(D), f(D)
	s.convIn, s.z, s.x, s.y = f(convDim(cfg)), f(E), f(E), f(E)
	s.dtLow, s.bMat, s.cMat = f(cfg.DtRank), f(G*N), f(G*N)
	s.dt, s.delta = f(dtW), f(dtW)
	s.q8 = make([]int8, T*max(D, E))
	s.capT = T
}
