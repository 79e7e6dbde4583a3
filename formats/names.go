package formats

import "fmt"

// Canonical global tensor names (state-spaces convention).
const (
	EmbeddingName = "backbone.embedding.weight"
	NormFName     = "backbone.norm_f.weight"
	LMHeadName    = "lm_head.weight"

	// hfEmbeddingName is the Hugging Face spelling of EmbeddingName.
	hfEmbeddingName = "backbone.embeddings.weight"
)

// LayerPrefix is the canonical name prefix of layer i's tensors.
func LayerPrefix(i int) string { return fmt.Sprintf("backbone.layers.%d.", i) }

// Schema is the one list of a model's tensors: every tensor of a model with
// this configuration by canonical (state-spaces) name, with its shape, in
// checkpoint order (embedding; per layer norm, in_proj, conv1d, the SSM
// parameters, out_proj; norm_f; lm_head), quamba.md §1.3. lm_head.weight is
// listed only when the embeddings are untied; the in/out projection biases
// only when the configuration has them. DType is F32 throughout: the
// schema fixes names and shapes, a file may store other float types.
func (c Config) Schema() []TensorInfo {
	D, E, N, K, V := c.DModel, c.DInner, c.DState, c.DConv, c.PaddedVocab
	var out []TensorInfo
	add := func(name string, shape ...int) {
		out = append(out, TensorInfo{Name: name, DType: F32, Shape: shape})
	}
	add(EmbeddingName, V, D)
	for i := 0; i < c.NLayer; i++ {
		p := LayerPrefix(i)
		add(p+"norm.weight", D)
		switch c.Arch {
		case Mamba1:
			R := c.DtRank
			add(p+"mixer.in_proj.weight", 2*E, D)
			if c.Bias {
				add(p+"mixer.in_proj.bias", 2*E)
			}
			add(p+"mixer.conv1d.weight", E, 1, K)
			if c.ConvBias {
				add(p+"mixer.conv1d.bias", E)
			}
			add(p+"mixer.x_proj.weight", R+2*N, E)
			add(p+"mixer.dt_proj.weight", E, R)
			add(p+"mixer.dt_proj.bias", E)
			add(p+"mixer.A_log", E, N)
			add(p+"mixer.D", E)
		case Mamba2:
			G, H := c.NGroups, c.NHeads
			conv := E + 2*G*N
			add(p+"mixer.in_proj.weight", 2*E+2*G*N+H, D)
			if c.Bias {
				add(p+"mixer.in_proj.bias", 2*E+2*G*N+H)
			}
			add(p+"mixer.conv1d.weight", conv, 1, K)
			if c.ConvBias {
				add(p+"mixer.conv1d.bias", conv)
			}
			add(p+"mixer.dt_bias", H)
			add(p+"mixer.A_log", H)
			add(p+"mixer.D", H)
			add(p+"mixer.norm.weight", E)
		}
		add(p+"mixer.out_proj.weight", D, E)
		if c.Bias {
			add(p+"mixer.out_proj.bias", D)
		}
	}
	add(NormFName, D)
	if !c.TieEmbeddings {
		add(LMHeadName, V, D)
	}
	return out
}

// TensorShapes is Schema as a map from canonical name to shape, with
// lm_head.weight included even when it is tied to the embedding.
func (c Config) TensorShapes() map[string][]int {
	m := map[string][]int{LMHeadName: {c.PaddedVocab, c.DModel}}
	for _, t := range c.Schema() {
		m[t.Name] = t.Shape
	}
	return m
}

// TensorCount is len(c.Schema()), computed without building the schema
// (whose size n_layer sets): a reader compares it with a file's tensor
// count before trusting a configuration's sizes.
func (c Config) TensorCount() int {
	c0, c1 := c, c
	c0.NLayer, c1.NLayer = 0, 1
	fixed := len(c0.Schema())
	return fixed + (len(c1.Schema())-fixed)*c.NLayer
}

// ParamCount is the number of parameters of the model, counting a tied
// lm_head once.
func (c Config) ParamCount() int64 {
	var n int64
	for _, t := range c.Schema() {
		p, _ := checkedProduct(t.Shape, maxElements)
		n += p
	}
	return n
}
