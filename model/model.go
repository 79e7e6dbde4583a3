package model

import (
	"fmt"
	"math"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/kernels"
)

// TensorSource supplies float32 tensors by canonical state-spaces name
// (backbone.embedding.weight, backbone.layers.{i}.mixer.in_proj.weight, ...).
// Tensor returns the row-major data of the named tensor, which must have the
// given shape; the caller may keep the returned slice.
type TensorSource interface {
	Tensor(name string, shape ...int) ([]float32, error)
}

// Model is an engine for a Mamba1 or Mamba2 language model: the block code
// of quamba.md §1 with the stages that Build plugged in. New builds the
// exact FP32 engine; the quantization simulation and the int8 runtime are
// the same Model with other stages.
//
// A Model is read-only after it is built and may be shared by goroutines
// that each use their own State.
type Model struct {
	Config formats.Config

	embedding []float32 // [V, D], shared with the Weights it was built from (nil with an Embed stage)
	embed     func(tok int, dst []float32)
	normF     []float32 // [D]
	lmHead    Linear    // [V, D]
	layers    []layer
	hook      Hook
	codec     StateCodec      // nil: float32 state
	outHad    bool            // y ← H_E·y/√E before out_proj (Weights.OutProjHadamard)
	hookY     bool            // the hook rewrites PointY
	wants     [numPoints]bool // the hook rewrites the point in some layer

	convBlocks []convBlock // the blocks of the conv channels (see convBlocks)
}

// layer is one residual block: its projections as plugged-in stages and
// the small per-channel constants the block reads itself.
type layer struct {
	norm []float32 // [D]

	// Projections, split where the block splits their outputs: Mamba1
	// in_proj x|z, x_proj dtLow|B|C and dt_proj; Mamba2 in_proj z|xBC|dt;
	// out_proj.
	inX, inZ, inXBC, inDt Linear
	xDt, xB, xC, dtProj   Linear
	outProj               Linear

	convW     []float32 // conv weights [Cc, K] in the conv-block layout (see convBlocks)
	convB     []float32 // [Cc]
	dtBias    []float32 // Mamba1 [E]; Mamba2 [H] (an observer's delta)
	gatedNorm []float32 // Mamba2 [E]

	// The constants of the scan kernel (Mamba1 A in its scan layout).
	scan1 kernels.ScanM1Params
	scan2 kernels.ScanM2Params
}

// Stages says what the block runs where a Model may differ from the FP32
// engine. The zero value is the FP32 engine.
type Stages struct {
	// Linear makes the projection of one block (layer -1: lm_head) from its
	// row-major weight rows w [n, k]. The names are ProjInX, ProjInZ, ... .
	// nil packs w for the float32 kernels (F32Linear).
	Linear func(layer int, name ProjName, w []float32, n, k int) (Linear, error)
	// Hook, when non-nil, may rewrite each activation in place before the
	// block consumes it (for example quantize-dequantize it). It must be
	// safe for concurrent use by several States.
	Hook Hook
	// State, when non-nil, stores every layer's SSM state between calls
	// as int8 codes (an int8 state cache): a State keeps the codes only,
	// and each scan decodes them, runs in float32 and encodes its final
	// state. It must be safe for concurrent use.
	State StateCodec
	// Embed, when non-nil, writes the embedding row of token tok into dst
	// [D] (for example dequantizing an int8 row); the engine then does not
	// read Weights.Embedding, which may be nil. It must be safe for
	// concurrent use.
	Embed func(tok int, dst []float32)
	// Provided, when true, says that Linear makes every projection from
	// data of its own: Build passes it nil weight rows for the projection
	// tensors that Weights leaves nil (a runtime over packed artifact
	// panels), and Weights need not hold them.
	Provided bool
}

// StateCodec is the stage of an int8 SSM state cache (kernels.StateQ8):
// Encode writes the int8 codes of layer's state elements [off, off+len(h))
// from the float32 values h, Decode the float32 values of codes q. Offsets
// are in the scan kernels' layout (Mamba1 kernels.ScanLayoutM1 of [E, N]:
// element (c, n) at kernels.ScanIndexM1; Mamba2 [H, N, P]) and a range is
// always whole blocks of 8 channels (Mamba1) or whole heads (Mamba2).
// Decode(Encode(h)) is the state the next call continues from.
type StateCodec interface {
	Encode(layer, off int, h []float32, q []int8)
	Decode(layer, off int, q []int8, h []float32)
}

// Hook is a stage that sees, and may rewrite in place, every activation a
// block reports (the points of Observer, except PointDelta, which is
// informational) before the block consumes it. An Observer set on a State
// sees the activation after the hook. Rows (tokens) are independent: a
// prefill hands Act a range of the rows at a time, from several
// goroutines at once for disjoint ranges.
type Hook interface {
	Act(layer int, p Point, rows, cols int, data []float32)
}

// PointFilter is an optional interface of a Hook: Wants reports whether
// the hook rewrites activation p in any layer. The block skips the work of
// exposing an activation that no hook rewrites and no observer watches
// (Mamba1's ungated scan output, PointY). A Hook without it is assumed to
// want every point.
type PointFilter interface {
	Wants(p Point) bool
}

// New builds the FP32 engine from the tensors of src: NewWeights, then
// Build with the FP32 stages.
func New(cfg formats.Config, src TensorSource) (*Model, error) {
	w, err := NewWeights(cfg, src)
	if err != nil {
		return nil, err
	}
	return Build(w, Stages{})
}

// Build makes an engine that runs w through the shared block with the given
// stages. The engine keeps the embedding and the per-channel vectors of w
// (not copies): w must not be changed while the engine is in use. The
// projections are handed to st.Linear, which makes its own form of them
// (the FP32 stages pack them), so the engine keeps no reference to w's
// projection weights.
func Build(w *Weights, st Stages) (*Model, error) {
	if w == nil {
		return nil, fmt.Errorf("model: nil weights")
	}
	if err := w.check(st.Provided, st.Embed != nil); err != nil {
		return nil, err
	}
	if st.Provided && st.Linear == nil {
		return nil, fmt.Errorf("model: stages provide the projections but have no Linear")
	}
	cfg := w.Config
	if w.OutProjHadamard {
		if _, _, ok := kernels.HadamardSizeOK(cfg.DInner); !ok {
			return nil, fmt.Errorf("model: online Hadamard: d_inner %d is not K·2^m for K in {1, 12, 20, 28, 40}", cfg.DInner)
		}
	}
	mk := st.Linear
	if mk == nil {
		mk = func(_ int, _ ProjName, w []float32, n, k int) (Linear, error) { return NewF32Linear(w, n, k) }
	}
	E, N, K := cfg.DInner, cfg.DState, cfg.DConv
	var wants [numPoints]bool
	for p := range wants {
		wants[p] = st.Hook != nil
		if f, ok := st.Hook.(PointFilter); ok {
			wants[p] = f.Wants(Point(p))
		}
	}
	m := &Model{Config: cfg, hookY: wants[PointY], wants: wants, embedding: w.Embedding, embed: st.Embed, normF: w.NormF, hook: st.Hook, codec: st.State, outHad: w.OutProjHadamard,
		layers: make([]layer, cfg.NLayer), convBlocks: convBlocks(cfg)}
	for i := range m.layers {
		lw, l := &w.Layers[i], &m.layers[i]
		l.norm, l.convB, l.dtBias, l.gatedNorm = lw.Norm, lw.ConvBias, lw.DtBias, lw.GatedNorm
		A := make([]float32, len(lw.ALog))
		for j, v := range lw.ALog {
			A[j] = -float32(math.Exp(float64(v)))
		}
		if cfg.Arch == formats.Mamba1 {
			a := make([]float32, kernels.ScanLenM1(E, N))
			kernels.ScanLayoutM1(a, A, E, N)
			l.scan1 = kernels.ScanM1Params{E: E, N: N, A: a, D: lw.D, DtBias: lw.DtBias}
		} else {
			l.scan2 = kernels.ScanM2Params{H: cfg.NHeads, P: cfg.HeadDim, N: N, G: cfg.NGroups, A: A, D: lw.D, DtBias: lw.DtBias}
			if dtClamped(cfg) {
				l.scan2.DtLimit = true
				l.scan2.DtMin = float32(cfg.DtLimitMin)
				l.scan2.DtMax = float32(math.Min(cfg.DtLimitMax, math.MaxFloat32))
			}
		}
		l.convW = convLayout(lw.ConvWeight, m.convBlocks, K)
	}
	for _, p := range Projections(cfg) {
		var rows []float32
		if t := *w.slot(p.Tensor); t != nil { // present with its shape: w.check passed
			rows = t[p.Row0*p.Cols : (p.Row0+p.Rows)*p.Cols]
		}
		l, err := mk(p.Layer, p.Name, rows, p.Rows, p.Cols)
		if err != nil {
			if p.Layer >= 0 {
				return nil, fmt.Errorf("model: layer %d %s: %w", p.Layer, p.Name, err)
			}
			return nil, fmt.Errorf("model: %s: %w", p.Name, err)
		}
		if n, k := l.Dims(); n != p.Rows || k != p.Cols {
			return nil, fmt.Errorf("model: layer %d %s: stage has shape %dx%d, want %dx%d", p.Layer, p.Name, n, k, p.Rows, p.Cols)
		}
		if p.Layer < 0 {
			m.lmHead = l
		} else {
			m.layers[p.Layer].set(p.Name, l)
		}
	}
	return m, nil
}

// hookWants reports whether the hook rewrites activation p in some layer.
func (m *Model) hookWants(p Point) bool { return m.wants[p] }

// set plugs a projection stage into its place in the block.
func (l *layer) set(name ProjName, lin Linear) {
	switch name {
	case ProjInX:
		l.inX = lin
	case ProjInZ:
		l.inZ = lin
	case ProjInXBC:
		l.inXBC = lin
	case ProjInDt:
		l.inDt = lin
	case ProjXDt:
		l.xDt = lin
	case ProjXB:
		l.xB = lin
	case ProjXC:
		l.xC = lin
	case ProjDt:
		l.dtProj = lin
	case ProjOut:
		l.outProj = lin
	}
}
