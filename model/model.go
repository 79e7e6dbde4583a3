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
// given shape; the model keeps the returned slice.
type TensorSource interface {
	Tensor(name string, shape ...int) ([]float32, error)
}

// Model is a Mamba1 or Mamba2 language model with float32 weights, row-major.
// Shapes use D = d_model, E = d_inner, N = d_state, K = d_conv, V = padded
// vocabulary, R = dt_rank (Mamba1), H = nheads, P = headdim, G = ngroups
// (Mamba2), and Cc = conv channels (E for Mamba1, E + 2GN for Mamba2).
//
// A Model is read-only after New and may be shared by goroutines that each
// use their own State.
type Model struct {
	Config formats.Config

	Embedding []float32 // [V, D]
	NormF     []float32 // [D]
	LMHead    []float32 // [V, D]; the same slice as Embedding when tied
	Layers    []Layer

	lmHead     *linear     // LMHead packed for the matrix kernels
	convBlocks []convBlock // the blocks of the conv channels (see initConv)
}

// Layer holds the weights of one residual block.
type Layer struct {
	Norm       []float32 // [D] pre-mixer RMSNorm weight
	InProj     []float32 // Mamba1 [2E, D] rows x|z; Mamba2 [2E+2GN+H, D] rows z|x|B|C|dt
	ConvWeight []float32 // [Cc, K] depthwise causal conv; column K-1 multiplies the current token
	ConvBias   []float32 // [Cc] (zeros when the checkpoint has no conv bias)

	XProj  []float32 // Mamba1 [R+2N, E] rows dtLow|B|C
	DtProj []float32 // Mamba1 [E, R]

	DtBias []float32 // Mamba1 dt_proj.bias [E]; Mamba2 dt_bias [H]
	ALog   []float32 // Mamba1 [E, N]; Mamba2 [H]
	A      []float32 // -exp(ALog), same shape
	D      []float32 // skip: Mamba1 [E]; Mamba2 [H]

	GatedNorm []float32 // Mamba2 [E] gated RMSNorm weight, groups of E/G channels

	OutProj []float32 // [D, E]

	// The projections packed for the matrix kernels, split where the forward
	// pass splits their outputs: Mamba1 in_proj x|z, x_proj dtLow|B|C and
	// dt_proj; Mamba2 in_proj z|xBC|dt; out_proj.
	inX, inZ, inXBC, inDt *linear
	xDt, xB, xC, dtProj   *linear
	outProj               *linear

	// ConvWeight in the conv-block layout of the conv kernel (see initConv).
	convW []float32

	// The constants of the scan kernel (Mamba1 A in its scan layout).
	scan1 kernels.ScanM1Params
	scan2 kernels.ScanM2Params
}

// New builds a model from the tensors of src. It checks that cfg is
// supported, that every tensor has the expected shape and that all weights
// are finite.
func New(cfg formats.Config, src TensorSource) (*Model, error) {
	if src == nil {
		return nil, fmt.Errorf("model: nil tensor source")
	}
	if err := checkConfig(cfg); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	get := func(dst *[]float32, name string, shape ...int) error {
		data, err := src.Tensor(name, shape...)
		if err != nil {
			return fmt.Errorf("model: %w", err)
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		if len(data) != n {
			return fmt.Errorf("model: tensor %s has %d elements, want %v = %d", name, len(data), shape, n)
		}
		if j := firstNonFinite(data); j >= 0 {
			return fmt.Errorf("model: tensor %s: non-finite value %v at element %d", name, data[j], j)
		}
		*dst = data
		return nil
	}

	D, E, N, K, V := cfg.DModel, cfg.DInner, cfg.DState, cfg.DConv, cfg.PaddedVocab
	Cc := convDim(cfg)
	m := &Model{Config: cfg, Layers: make([]Layer, cfg.NLayer)}
	if err := get(&m.Embedding, "backbone.embedding.weight", V, D); err != nil {
		return nil, err
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		p := fmt.Sprintf("backbone.layers.%d.", i)
		type want struct {
			dst   *[]float32
			name  string
			shape []int
		}
		ws := []want{
			{&l.Norm, "norm.weight", []int{D}},
			{&l.ConvWeight, "mixer.conv1d.weight", []int{Cc, 1, K}},
			{&l.OutProj, "mixer.out_proj.weight", []int{D, E}},
		}
		if cfg.ConvBias {
			ws = append(ws, want{&l.ConvBias, "mixer.conv1d.bias", []int{Cc}})
		}
		if cfg.Arch == formats.Mamba1 {
			R := cfg.DtRank
			ws = append(ws,
				want{&l.InProj, "mixer.in_proj.weight", []int{2 * E, D}},
				want{&l.XProj, "mixer.x_proj.weight", []int{R + 2*N, E}},
				want{&l.DtProj, "mixer.dt_proj.weight", []int{E, R}},
				want{&l.DtBias, "mixer.dt_proj.bias", []int{E}},
				want{&l.ALog, "mixer.A_log", []int{E, N}},
				want{&l.D, "mixer.D", []int{E}},
			)
		} else {
			H, G := cfg.NHeads, cfg.NGroups
			ws = append(ws,
				want{&l.InProj, "mixer.in_proj.weight", []int{2*E + 2*G*N + H, D}},
				want{&l.DtBias, "mixer.dt_bias", []int{H}},
				want{&l.ALog, "mixer.A_log", []int{H}},
				want{&l.D, "mixer.D", []int{H}},
				want{&l.GatedNorm, "mixer.norm.weight", []int{E}},
			)
		}
		for _, w := range ws {
			if err := get(w.dst, p+w.name, w.shape...); err != nil {
				return nil, fmt.Errorf("layer %d: %w", i, err)
			}
		}
		if !cfg.ConvBias {
			l.ConvBias = make([]float32, Cc)
		}
		l.A = make([]float32, len(l.ALog))
		for j, v := range l.ALog {
			l.A[j] = -float32(math.Exp(float64(v)))
		}
	}
	if err := get(&m.NormF, "backbone.norm_f.weight", D); err != nil {
		return nil, err
	}
	if cfg.TieEmbeddings {
		m.LMHead = m.Embedding
	} else if err := get(&m.LMHead, "lm_head.weight", V, D); err != nil {
		return nil, err
	}
	if err := m.pack(); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m.initConv()
	m.initScans()
	return m, nil
}

// firstNonFinite returns the index of the first NaN or ±Inf in x, or -1: the
// values whose exponent bits are all ones.
func firstNonFinite(x []float32) int {
	const exp = 0x7f800000
	for j, v := range x {
		if math.Float32bits(v)&exp == exp {
			return j
		}
	}
	return -1
}
