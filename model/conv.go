package model

import (
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/internal/parallel"
	"github.com/quamba/quamba/kernels"
)

// The depthwise causal conv + SiLU runs on kernels.CausalConv1dSiLUF32
// (CausalConv1dSiLUStepF32 for one token), whose weights and state are
// channel-contiguous with a row stride equal to the channel count of the
// call. To split the conv over goroutines by channel, the Cc conv channels
// are cut into blocks of at most convBlockWidth channels that never straddle
// an output segment (Mamba2's x | B | C), and the weights and the conv state
// of a layer are stored block after block (the conv-block layout): block
// [c0, c1) of width w = c1-c0 holds, from index K·c0,
//
//	weights [K][w]: row k multiplies the input k-(K-1) tokens back
//	state   [K][w]: the last K pre-conv inputs, oldest first
//
// State rows 1..K-1 are the kernel's conv state; row 0 is the oldest input,
// which the conv does not read but the public ConvState reports.
const convBlockWidth = 128

// convBlock is the channel range [c0, c1) of one conv block, inside output
// segment seg.
type convBlock struct {
	c0, c1, seg int
}

// convBlocks cuts the conv channels of cfg into blocks, segment by segment:
// Mamba1 x [0, E); Mamba2 x [0, E), B [E, E+GN), C [E+GN, Cc).
func convBlocks(cfg formats.Config) []convBlock {
	bounds := []int{0, cfg.DInner}
	if cfg.Arch == formats.Mamba2 {
		GN := cfg.NGroups * cfg.DState
		bounds = append(bounds, cfg.DInner+GN, cfg.DInner+2*GN)
	}
	var bs []convBlock
	for seg := range len(bounds) - 1 {
		for c0 := bounds[seg]; c0 < bounds[seg+1]; c0 += convBlockWidth {
			bs = append(bs, convBlock{c0, min(c0+convBlockWidth, bounds[seg+1]), seg})
		}
	}
	return bs
}

// convLayout returns the conv weights w [Cc, K] in the conv-block layout.
func convLayout(w []float32, blocks []convBlock, K int) []float32 {
	out := make([]float32, len(w))
	for _, b := range blocks {
		bw := b.c1 - b.c0
		dst := out[K*b.c0 : K*b.c1]
		for c := b.c0; c < b.c1; c++ {
			for k := range K {
				dst[k*bw+c-b.c0] = w[c*K+k]
			}
		}
	}
	return out
}

// convNatural converts a conv state from the conv-block layout to [Cc, K].
func convNatural(dst, src []float32, blocks []convBlock, K int) {
	for _, b := range blocks {
		w := b.c1 - b.c0
		st := src[K*b.c0 : K*b.c1]
		for c := b.c0; c < b.c1; c++ {
			for k := range K {
				dst[c*K+k] = st[k*w+c-b.c0]
			}
		}
	}
}

// convSegment receives conv channels [c0, c1) of every token, SiLU applied,
// into dst [T, c1-c0].
type convSegment struct {
	c0, c1 int
	dst    []float32
}

// convTask is the depthwise causal conv of one layer over T tokens,
// out[t,c] = silu(b[c] + Σ_k w[c,k]·x[t-K+1+k, c]), where inputs before the
// chunk come from the conv state, which is then advanced. run(lo, hi)
// computes blocks [lo, hi).
type convTask struct {
	T, Cc, K int
	blocks   []convBlock
	in       []float32 // [T, Cc] pre-conv inputs
	w, b     []float32 // conv-block layout, [Cc]
	state    []float32 // conv-block layout
	segs     [3]convSegment
}

func (k *convTask) Run(lo, hi int) {
	T, Cc, K := k.T, k.Cc, k.K
	for _, b := range k.blocks[lo:hi] {
		w := b.c1 - b.c0
		st := k.state[K*b.c0 : K*b.c1]
		sg := k.segs[b.seg]
		in, out := k.in[b.c0:], sg.dst[b.c0-sg.c0:]
		// The oldest input after this chunk is the one at time T-K, from
		// the chunk or, for a chunk shorter than K, from state row T
		// (copied before the kernel shifts the state).
		if T >= K {
			copy(st[:w], in[(T-K)*Cc:(T-K)*Cc+w])
		} else {
			copy(st[:w], st[T*w:(T+1)*w])
		}
		wb, bias := k.w[K*b.c0:K*b.c1], k.b[b.c0:b.c1]
		if T == 1 {
			kernels.CausalConv1dSiLUStepF32(w, K, in[:w], st[w:], wb, bias, out[:w])
		} else {
			kernels.CausalConv1dSiLUF32(T, w, K, in, Cc, st[w:], wb, bias, out, sg.c1-sg.c0)
		}
	}
}

// causalConv runs the conv of layer i over in [T, Cc] and writes SiLU of its
// output to the segments, which cover the conv channels in order.
func (s *State) causalConv(i, T int, in []float32, segs ...convSegment) {
	if s.rows != nil {
		k := &s.batch
		*k = rowsTask{s: s, i: i, conv: true, in: in, nseg: len(segs)}
		copy(k.segs[:], segs)
		s.batchRows(k)
		*k = rowsTask{}
		return
	}
	l := &s.m.layers[i]
	k := &s.conv1
	K := s.m.Config.DConv
	*k = convTask{T: T, Cc: convDim(s.m.Config), K: K, blocks: s.m.convBlocks,
		in: in, w: l.convW, b: l.convB, state: s.conv[i]}
	copy(k.segs[:], segs)
	parallel.For(&s.wg, len(k.blocks), scanMinWork/(T*K*convBlockWidth)+1, k)
	*k = convTask{}
}
