package formats

// Arch names the mixer generation of a model.
type Arch string

const (
	Mamba1 Arch = "mamba1"
	Mamba2 Arch = "mamba2"
)

// Convention names the tensor-naming and config convention of a checkpoint.
type Convention string

const (
	// StateSpaces is the state-spaces/mamba MambaLMHeadModel convention
	// (config.json with d_model, n_layer, ssm_cfg; tensor backbone.embedding.weight).
	StateSpaces Convention = "state-spaces"
	// HuggingFace is the transformers MambaConfig/Mamba2Config convention
	// (hidden_size, num_hidden_layers, ...; tensor backbone.embeddings.weight).
	HuggingFace Convention = "huggingface"
)

// Config is the architecture of a Mamba1 or Mamba2 language model with every
// default resolved. Sizes follow ../shared/reference/quamba.md §1.2.
type Config struct {
	Arch       Arch
	Convention Convention

	DModel    int // residual width D
	NLayer    int
	VocabSize int // vocabulary size as declared (before padding)
	// PaddedVocab is the number of rows of the embedding and lm_head:
	// VocabSize rounded up to a multiple of PadVocabSizeMultiple.
	// Hugging Face configs declare the row count itself as vocab_size, so
	// for them PaddedVocab == VocabSize and PadVocabSizeMultiple is only
	// informational (1 when absent).
	PaddedVocab          int
	PadVocabSizeMultiple int

	DState int // N
	DConv  int // causal conv kernel width (4)
	Expand int
	DInner int // E = Expand * DModel

	// Mamba1 only (0 for Mamba2).
	DtRank int // R

	// Mamba2 only (0 for Mamba1, except DtLimitMin/DtLimitMax which are
	// always (0, +Inf) there).
	HeadDim int // P
	NHeads  int // H = DInner / HeadDim
	NGroups int // G, SSD groups sharing B and C; gated-norm group size is DInner/NGroups
	// DtLimitMin/DtLimitMax clamp softplus(dt) when DtLimitMax is finite
	// (mamba_ssm default (0, inf): no clamp).
	DtLimitMin, DtLimitMax float64
	ChunkSize              int

	ConvBias bool // conv1d has a bias
	Bias     bool // in_proj/out_proj have biases

	RMSNorm        bool // RMSNorm (true) or LayerNorm (unsupported when false)
	ResidualInFP32 bool
	TieEmbeddings  bool    // lm_head shares the embedding matrix
	NormEps        float64 // 1e-5 (Hugging Face: layer_norm_epsilon)
}
