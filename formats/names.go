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

// TensorShapes lists every tensor of a model with this configuration by
// canonical (state-spaces) name, with its shape (quamba.md §1.3).
// lm_head.weight is included even when it is tied to the embedding.
func (c Config) TensorShapes() map[string][]int {
	m := map[string][]int{
		EmbeddingName: {c.PaddedVocab, c.DModel},
		NormFName:     {c.DModel},
		LMHeadName:    {c.PaddedVocab, c.DModel},
	}
	D, E, N := c.DModel, c.DInner, c.DState
	for i := 0; i < c.NLayer; i++ {
		p := LayerPrefix(i)
		m[p+"norm.weight"] = []int{D}
		switch c.Arch {
		case Mamba1:
			m[p+"mixer.in_proj.weight"] = []int{2 * E, D}
			m[p+"mixer.conv1d.weight"] = []int{E, 1, c.DConv}
			m[p+"mixer.x_proj.weight"] = []int{c.DtRank + 2*N, E}
			m[p+"mixer.dt_proj.weight"] = []int{E, c.DtRank}
			m[p+"mixer.dt_proj.bias"] = []int{E}
			m[p+"mixer.A_log"] = []int{E, N}
			m[p+"mixer.D"] = []int{E}
			m[p+"mixer.out_proj.weight"] = []int{D, E}
			if c.ConvBias {
				m[p+"mixer.conv1d.bias"] = []int{E}
			}
			if c.Bias {
				m[p+"mixer.in_proj.bias"] = []int{2 * E}
				m[p+"mixer.out_proj.bias"] = []int{D}
			}
		case Mamba2:
			G, H := c.NGroups, c.NHeads
			conv := E + 2*G*N
			m[p+"mixer.in_proj.weight"] = []int{2*E + 2*G*N + H, D}
			m[p+"mixer.conv1d.weight"] = []int{conv, 1, c.DConv}
			m[p+"mixer.dt_bias"] = []int{H}
			m[p+"mixer.A_log"] = []int{H}
			m[p+"mixer.D"] = []int{H}
			m[p+"mixer.norm.weight"] = []int{E}
			m[p+"mixer.out_proj.weight"] = []int{D, E}
			if c.ConvBias {
				m[p+"mixer.conv1d.bias"] = []int{conv}
			}
			if c.Bias {
				m[p+"mixer.in_proj.bias"] = []int{2*E + 2*G*N + H}
				m[p+"mixer.out_proj.bias"] = []int{D}
			}
		}
	}
	return m
}

// ParamCount is the number of parameters of the model, counting a tied
// lm_head once.
func (c Config) ParamCount() int64 {
	var n int64
	for name, shape := range c.TensorShapes() {
		if name == LMHeadName && c.TieEmbeddings {
			continue
		}
		p, _ := checkedProduct(shape, maxElements)
		n += p
	}
	return n
}
