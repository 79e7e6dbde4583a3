package model

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/quamba/quamba/formats"
)

// Weights are the float32 parameters of a Mamba1 or Mamba2 language model in
// the checkpoint layout (row-major, the shapes of formats.Config.Schema): a
// plain, mutable value that transforms rewrite (fold, rotate, reorder,
// replace) and from which an engine is built. Shapes use D = d_model,
// E = d_inner, N = d_state, K = d_conv, V = padded vocabulary, R = dt_rank
// (Mamba1), H = nheads, G = ngroups (Mamba2) and Cc = conv channels (E for
// Mamba1, E + 2GN for Mamba2).
//
// Weights is a TensorSource (by canonical name), so it can be written out
// with formats.WriteModelFrom or handed to New.
type Weights struct {
	Config formats.Config

	Embedding []float32 // [V, D]
	NormF     []float32 // [D]
	LMHead    []float32 // [V, D]; the same slice as Embedding while Config.TieEmbeddings
	Layers    []LayerWeights

	// OutProjHadamard says the out_proj input is rotated online: the block
	// replaces y by H_E·y/√E (kernels.Hadamard) before out_proj, whose
	// weight has the matching H_Eᵀ fused in. It is set by the Hadamard
	// fusion of quamba.md §3.3 / §4.2 and is not part of a checkpoint.
	OutProjHadamard bool
}

// LayerWeights are the parameters of one residual block.
type LayerWeights struct {
	Norm       []float32 // [D] pre-mixer RMSNorm weight
	InProj     []float32 // Mamba1 [2E, D] rows x|z; Mamba2 [2E+2GN+H, D] rows z|x|B|C|dt
	ConvWeight []float32 // [Cc, K] depthwise causal conv; column K-1 multiplies the current token
	ConvBias   []float32 // [Cc] (zeros when the checkpoint has no conv bias)

	XProj  []float32 // Mamba1 [R+2N, E] rows dtLow|B|C
	DtProj []float32 // Mamba1 [E, R]

	DtBias []float32 // Mamba1 dt_proj.bias [E]; Mamba2 dt_bias [H]
	ALog   []float32 // Mamba1 [E, N]; Mamba2 [H]; A = -exp(ALog)
	D      []float32 // skip: Mamba1 [E]; Mamba2 [H]

	GatedNorm []float32 // Mamba2 [E] gated RMSNorm weight, groups of E/G channels

	OutProj []float32 // [D, E]
}

// NewWeights reads every tensor of the configuration's schema from src. It
// checks that cfg is supported, that every tensor has its schema shape and
// that all weights are finite; errors name the tensor.
func NewWeights(cfg formats.Config, src TensorSource) (*Weights, error) {
	return NewWeightsExcept(cfg, src, nil)
}

// NewWeightsExcept is NewWeights that leaves nil the tensors for which
// except returns true (projections or the embedding that an engine's stages
// bring themselves: see Stages.Provided and Stages.Embed).
func NewWeightsExcept(cfg formats.Config, src TensorSource, except func(name string) bool) (*Weights, error) {
	if src == nil {
		return nil, fmt.Errorf("model: nil tensor source")
	}
	if err := checkConfig(cfg); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	w := &Weights{Config: cfg, Layers: make([]LayerWeights, cfg.NLayer)}
	for _, t := range cfg.Schema() {
		dst := w.slot(t.Name)
		if dst == nil {
			return nil, fmt.Errorf("model: tensor %s is not supported", t.Name)
		}
		if except != nil && except(t.Name) {
			continue
		}
		data, err := src.Tensor(t.Name, t.Shape...)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		if n := numElements(t.Shape); len(data) != n {
			return nil, fmt.Errorf("model: tensor %s has %d elements, want %v = %d", t.Name, len(data), t.Shape, n)
		}
		if j := firstNonFinite(data); j >= 0 {
			return nil, fmt.Errorf("model: tensor %s: non-finite value %v at element %d", t.Name, data[j], j)
		}
		*dst = data
	}
	if cfg.TieEmbeddings {
		w.LMHead = w.Embedding
	}
	if !cfg.ConvBias {
		for i := range w.Layers {
			w.Layers[i].ConvBias = make([]float32, convDim(cfg))
		}
	}
	return w, nil
}

// Tensor returns the named tensor (canonical state-spaces name) of w, which
// must have the given shape when one is given: the slice itself, not a copy.
// A conv bias that the configuration lacks is reported missing even though
// the engine keeps zeros for it.
func (w *Weights) Tensor(name string, shape ...int) ([]float32, error) {
	want, ok := w.shape(name)
	if !ok {
		return nil, fmt.Errorf("model: no tensor %q in a %s model with %d layers", name, w.Config.Arch, w.Config.NLayer)
	}
	if len(shape) > 0 && !slices.Equal(shape, want) {
		return nil, fmt.Errorf("model: tensor %s has shape %v, asked for %v", name, want, shape)
	}
	dst := w.slot(name)
	if dst == nil || len(*dst) != numElements(want) {
		return nil, fmt.Errorf("model: tensor %s is not set", name)
	}
	return *dst, nil
}

// Tensors lists the tensors Tensor serves, in checkpoint order
// (formats.Config.Schema).
func (w *Weights) Tensors() []formats.TensorInfo { return w.Config.Schema() }

// Clone returns a deep copy of w (a tied lm_head stays tied to the copy's
// embedding).
func (w *Weights) Clone() *Weights {
	c := *w
	c.Layers = make([]LayerWeights, len(w.Layers))
	cp := func(s []float32) []float32 {
		if s == nil {
			return nil
		}
		return append([]float32(nil), s...)
	}
	c.Embedding, c.NormF = cp(w.Embedding), cp(w.NormF)
	if w.Config.TieEmbeddings {
		c.LMHead = c.Embedding
	} else {
		c.LMHead = cp(w.LMHead)
	}
	for i, l := range w.Layers {
		c.Layers[i] = LayerWeights{
			Norm: cp(l.Norm), InProj: cp(l.InProj), ConvWeight: cp(l.ConvWeight), ConvBias: cp(l.ConvBias),
			XProj: cp(l.XProj), DtProj: cp(l.DtProj), DtBias: cp(l.DtBias), ALog: cp(l.ALog), D: cp(l.D),
			GatedNorm: cp(l.GatedNorm), OutProj: cp(l.OutProj),
		}
	}
	return &c
}

// Check verifies that every tensor has its schema shape and finite values,
// naming the first tensor that does not.
func (w *Weights) Check() error { return w.check(false, false) }

// check is Check where the stages of an engine supply the projections
// (provided: their tensors may be nil) or the embedding lookup (embed: the
// embedding may be nil).
func (w *Weights) check(provided, embed bool) error {
	if err := checkConfig(w.Config); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if len(w.Layers) != w.Config.NLayer {
		return fmt.Errorf("model: %d layers of weights, config has n_layer %d", len(w.Layers), w.Config.NLayer)
	}
	proj := map[string]bool{}
	if provided {
		for _, p := range Projections(w.Config) {
			proj[p.Tensor] = true
		}
	}
	for _, t := range w.Config.Schema() {
		dst := w.slot(t.Name)
		if dst != nil && *dst == nil && (proj[t.Name] || embed && t.Name == formats.EmbeddingName) {
			continue
		}
		if dst == nil || len(*dst) != numElements(t.Shape) {
			return fmt.Errorf("model: tensor %s is not set (want shape %v)", t.Name, t.Shape)
		}
		if j := firstNonFinite(*dst); j >= 0 {
			return fmt.Errorf("model: tensor %s: non-finite value %v at element %d", t.Name, (*dst)[j], j)
		}
	}
	switch {
	case provided && w.LMHead == nil:
	case w.Config.TieEmbeddings && (len(w.LMHead) == 0 || len(w.Embedding) == 0 || &w.LMHead[0] != &w.Embedding[0]):
		return fmt.Errorf("model: lm_head is not the embedding but the config ties them")
	case !w.Config.TieEmbeddings && len(w.LMHead) != w.Config.PaddedVocab*w.Config.DModel:
		return fmt.Errorf("model: tensor %s is not set", formats.LMHeadName)
	}
	for i, l := range w.Layers {
		if len(l.ConvBias) != convDim(w.Config) {
			return fmt.Errorf("model: layer %d conv bias has %d values, want %d", i, len(l.ConvBias), convDim(w.Config))
		}
	}
	return nil
}

// shape is the schema shape of a canonical name.
func (w *Weights) shape(name string) ([]int, bool) {
	for _, t := range w.Config.Schema() {
		if t.Name == name {
			return t.Shape, true
		}
	}
	if name == formats.LMHeadName {
		return []int{w.Config.PaddedVocab, w.Config.DModel}, true
	}
	return nil, false
}

// slot is the field that holds a canonical name, or nil.
func (w *Weights) slot(name string) *[]float32 {
	switch name {
	case formats.EmbeddingName:
		return &w.Embedding
	case formats.NormFName:
		return &w.NormF
	case formats.LMHeadName:
		return &w.LMHead
	}
	rest, ok := strings.CutPrefix(name, "backbone.layers.")
	if !ok {
		return nil
	}
	idx, field, ok := strings.Cut(rest, ".")
	if !ok {
		return nil
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= len(w.Layers) || strconv.Itoa(i) != idx {
		return nil
	}
	l := &w.Layers[i]
	switch field {
	case "norm.weight":
		return &l.Norm
	case "mixer.in_proj.weight":
		return &l.InProj
	case "mixer.conv1d.weight":
		return &l.ConvWeight
	case "mixer.conv1d.bias":
		return &l.ConvBias
	case "mixer.x_proj.weight":
		return &l.XProj
	case "mixer.dt_proj.weight":
		return &l.DtProj
	case "mixer.dt_proj.bias", "mixer.dt_bias":
		return &l.DtBias
	case "mixer.A_log":
		return &l.ALog
	case "mixer.D":
		return &l.D
	case "mixer.norm.weight":
		return &l.GatedNorm
	case "mixer.out_proj.weight":
		return &l.OutProj
	}
	return nil
}

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
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
