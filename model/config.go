package model

import (
	"fmt"
	"math"
	"sort"

	"github.com/quamba/quamba/formats"
)

// checkConfig refuses configurations this engine cannot run.
func checkConfig(cfg formats.Config) error {
	if cfg.Arch != formats.Mamba1 && cfg.Arch != formats.Mamba2 {
		return fmt.Errorf("unknown architecture %q (want %q or %q)", cfg.Arch, formats.Mamba1, formats.Mamba2)
	}
	if cfg.Bias {
		return fmt.Errorf("in_proj/out_proj biases are not supported")
	}
	if !cfg.RMSNorm {
		return fmt.Errorf("LayerNorm blocks are not supported (only rms_norm=true)")
	}
	positive := []struct {
		name string
		v    int
	}{
		{"d_model", cfg.DModel}, {"n_layer", cfg.NLayer}, {"vocab_size", cfg.VocabSize},
		{"padded vocab", cfg.PaddedVocab}, {"d_state", cfg.DState}, {"d_conv", cfg.DConv},
		{"d_inner", cfg.DInner},
	}
	if cfg.Arch == formats.Mamba1 {
		positive = append(positive, struct {
			name string
			v    int
		}{"dt_rank", cfg.DtRank})
	} else {
		positive = append(positive, []struct {
			name string
			v    int
		}{{"headdim", cfg.HeadDim}, {"nheads", cfg.NHeads}, {"ngroups", cfg.NGroups}}...)
	}
	for _, p := range positive {
		if p.v <= 0 {
			return fmt.Errorf("%s must be positive, got %d", p.name, p.v)
		}
		if p.v > 1<<24 {
			return fmt.Errorf("%s %d is too large", p.name, p.v)
		}
	}
	if cfg.DConv > 4 {
		return fmt.Errorf("d_conv %d is not supported (the conv kernel takes 1 to 4 taps)", cfg.DConv)
	}
	if cfg.PaddedVocab < cfg.VocabSize {
		return fmt.Errorf("padded vocab %d is smaller than vocab_size %d", cfg.PaddedVocab, cfg.VocabSize)
	}
	if !(cfg.NormEps > 0) || math.IsInf(cfg.NormEps, 0) {
		return fmt.Errorf("norm epsilon must be positive and finite, got %g", cfg.NormEps)
	}
	if cfg.Arch == formats.Mamba2 {
		if cfg.NHeads*cfg.HeadDim != cfg.DInner {
			return fmt.Errorf("nheads %d x headdim %d != d_inner %d", cfg.NHeads, cfg.HeadDim, cfg.DInner)
		}
		if cfg.NHeads%cfg.NGroups != 0 {
			return fmt.Errorf("nheads %d is not a multiple of ngroups %d", cfg.NHeads, cfg.NGroups)
		}
		lo, hi := cfg.DtLimitMin, cfg.DtLimitMax
		if math.IsNaN(lo) || math.IsNaN(hi) || lo < 0 || (dtClamped(cfg) && hi < lo) {
			return fmt.Errorf("invalid dt_limit (%g, %g)", lo, hi)
		}
	}
	return nil
}

// dtClamped reports whether softplus(dt) is clamped to the dt_limit range
// (mamba_ssm clamps whenever dt_limit differs from (0, inf)). A zero range
// (0, 0) means the field was left unset and does not clamp either.
func dtClamped(cfg formats.Config) bool {
	if cfg.DtLimitMin == 0 && (cfg.DtLimitMax == 0 || math.IsInf(cfg.DtLimitMax, 1)) {
		return false
	}
	return true
}

// convDim is the number of causal-conv channels: E for Mamba1, E + 2GN for Mamba2.
func convDim(cfg formats.Config) int {
	if cfg.Arch == formats.Mamba2 {
		return cfg.DInner + 2*cfg.NGroups*cfg.DState
	}
	return cfg.DInner
}

// presets maps the official model names to (n_layer, d_model), quamba.md §1.2.
var presets = map[string]struct {
	arch           formats.Arch
	nLayer, dModel int
}{
	"mamba-130m":  {formats.Mamba1, 24, 768},
	"mamba-370m":  {formats.Mamba1, 48, 1024},
	"mamba-790m":  {formats.Mamba1, 48, 1536},
	"mamba-1.4b":  {formats.Mamba1, 48, 2048},
	"mamba-2.8b":  {formats.Mamba1, 64, 2560},
	"mamba2-130m": {formats.Mamba2, 24, 768},
	"mamba2-370m": {formats.Mamba2, 48, 1024},
	"mamba2-780m": {formats.Mamba2, 48, 1536},
	"mamba2-1.3b": {formats.Mamba2, 48, 2048},
	"mamba2-2.7b": {formats.Mamba2, 64, 2560},
}

// PresetNames lists the names Preset accepts, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns the configuration of an official state-spaces model
// (mamba-130m ... mamba-2.8b, mamba2-130m ... mamba2-2.7b): GPT-NeoX vocabulary
// 50277 padded to 50280 (Mamba1) or 50288 (Mamba2), tied embeddings, mamba_ssm
// mixer defaults (Mamba2: d_state 128, headdim 64, ngroups 1).
func Preset(name string) (formats.Config, error) {
	p, ok := presets[name]
	if !ok {
		return formats.Config{}, fmt.Errorf("unknown preset %q (known: %v)", name, PresetNames())
	}
	cfg := formats.Config{
		Arch:           p.arch,
		Convention:     formats.StateSpaces,
		DModel:         p.dModel,
		NLayer:         p.nLayer,
		VocabSize:      50277,
		DConv:          4,
		Expand:         2,
		DInner:         2 * p.dModel,
		ConvBias:       true,
		RMSNorm:        true,
		ResidualInFP32: true,
		TieEmbeddings:  true,
		NormEps:        1e-5,
	}
	if p.arch == formats.Mamba1 {
		cfg.PadVocabSizeMultiple = 8
		cfg.DState = 16
		cfg.DtRank = (p.dModel + 15) / 16
	} else {
		cfg.PadVocabSizeMultiple = 16
		cfg.DState = 128
		cfg.HeadDim = 64
		cfg.NHeads = cfg.DInner / 64
		cfg.NGroups = 1
		cfg.DtLimitMax = math.Inf(1)
		cfg.ChunkSize = 256
	}
	m := cfg.PadVocabSizeMultiple
	cfg.PaddedVocab = (cfg.VocabSize + m - 1) / m * m
	return cfg, nil
}

// TensorInfos lists the canonical state-spaces tensor names and shapes of a
// model with configuration cfg, in checkpoint order: formats.Config.Schema
// for a configuration this engine supports.
func TensorInfos(cfg formats.Config) ([]formats.TensorInfo, error) {
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	return cfg.Schema(), nil
}
