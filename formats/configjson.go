package formats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
)

// maxDim bounds every configured size so that derived products
// (d_inner, in_proj rows, parameter counts) cannot overflow.
const maxDim = 1 << 24

// ReadConfig reads a config.json in either the state-spaces or the Hugging
// Face convention and returns it with every default resolved and validated.
func ReadConfig(path string) (Config, error) {
	data, err := readRegular(path, maxConfigBytes)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(data, path)
}

// ParseConfig parses config.json bytes; name (usually the file path) is used
// in errors. A "model_type" key selects the Hugging Face convention
// ("mamba" or "mamba2"); otherwise the state-spaces MambaConfig is assumed.
func ParseConfig(data []byte, name string) (Config, error) {
	cfg, err := parseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return cfg, nil
}

func parseConfig(data []byte) (Config, error) {
	clean, err := sanitizePythonJSON(data)
	if err != nil {
		return Config{}, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(clean, &top); err != nil {
		return Config{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if top == nil {
		return Config{}, errors.New("config is not a JSON object")
	}
	if raw, ok := top["model_type"]; ok {
		var mt string
		if err := json.Unmarshal(raw, &mt); err != nil {
			return Config{}, fmt.Errorf("model_type: %w", err)
		}
		switch mt {
		case "mamba":
			return parseHFMamba(clean)
		case "mamba2":
			return parseHFMamba2(clean)
		default:
			return Config{}, fmt.Errorf("unsupported model_type %q (want \"mamba\" or \"mamba2\")", mt)
		}
	}
	if _, ok := top["d_model"]; !ok {
		return Config{}, errors.New("neither model_type (Hugging Face) nor d_model (state-spaces) present: not a Mamba config")
	}
	return parseStateSpaces(clean)
}

// pyFloat is a JSON number that also accepts Python's non-standard
// Infinity, -Infinity and NaN tokens (rewritten to strings by
// sanitizePythonJSON).
type pyFloat float64

func (f *pyFloat) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		switch s {
		case "Infinity":
			*f = pyFloat(math.Inf(1))
		case "-Infinity":
			*f = pyFloat(math.Inf(-1))
		case "NaN":
			*f = pyFloat(math.NaN())
		default:
			return fmt.Errorf("want a number, got string %q", s)
		}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = pyFloat(v)
	return nil
}

// autoInt is an integer or the string "auto" (0 means auto).
type autoInt struct {
	auto bool
	v    int
}

func (a *autoInt) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if s != "auto" {
			return fmt.Errorf("want an integer or \"auto\", got %q", s)
		}
		a.auto = true
		return nil
	}
	if err := json.Unmarshal(b, &a.v); err != nil {
		return fmt.Errorf("want an integer or \"auto\": %w", err)
	}
	return nil
}

// sanitizePythonJSON rewrites the bare tokens Infinity, -Infinity and NaN
// that Python's json module writes into JSON strings, leaving string
// contents untouched.
func sanitizePythonJSON(data []byte) ([]byte, error) {
	if !bytes.Contains(data, []byte("Infinity")) && !bytes.Contains(data, []byte("NaN")) {
		return data, nil
	}
	out := make([]byte, 0, len(data)+16)
	inString, escaped := false, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			out = append(out, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
			out = append(out, c)
			continue
		}
		replaced := false
		for _, tok := range []string{"-Infinity", "Infinity", "NaN"} {
			if bytes.HasPrefix(data[i:], []byte(tok)) {
				out = append(out, '"')
				out = append(out, tok...)
				out = append(out, '"')
				i += len(tok) - 1
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, c)
		}
	}
	return out, nil
}

// ssConfigJSON is the state-spaces MambaConfig (mamba_ssm/models/config_mamba.py).
type ssConfigJSON struct {
	DModel               *int            `json:"d_model"`
	DIntermediate        *int            `json:"d_intermediate"`
	NLayer               *int            `json:"n_layer"`
	VocabSize            *int            `json:"vocab_size"`
	SSMCfg               json.RawMessage `json:"ssm_cfg"`
	AttnLayerIdx         []int           `json:"attn_layer_idx"`
	RMSNorm              *bool           `json:"rms_norm"`
	ResidualInFP32       *bool           `json:"residual_in_fp32"`
	FusedAddNorm         *bool           `json:"fused_add_norm"`
	PadVocabSizeMultiple *int            `json:"pad_vocab_size_multiple"`
	TieEmbeddings        *bool           `json:"tie_embeddings"`
}

// ssmCfgJSON holds the architecture-relevant Mamba/Mamba2 constructor
// arguments; initialisation-only arguments (dt_min, dt_max, ...) are ignored.
type ssmCfgJSON struct {
	Layer          *string   `json:"layer"`
	DState         *int      `json:"d_state"`
	DConv          *int      `json:"d_conv"`
	Expand         *int      `json:"expand"`
	DtRank         *autoInt  `json:"dt_rank"`
	HeadDim        *int      `json:"headdim"`
	NGroups        *int      `json:"ngroups"`
	ChunkSize      *int      `json:"chunk_size"`
	DtLimit        []pyFloat `json:"dt_limit"`
	ConvBias       *bool     `json:"conv_bias"`
	Bias           *bool     `json:"bias"`
	RMSNorm        *bool     `json:"rmsnorm"`
	NormBeforeGate *bool     `json:"norm_before_gate"`
	DHasHdim       *bool     `json:"D_has_hdim"`
	DSSM           *int      `json:"d_ssm"`
	Activation     *string   `json:"activation"`
}

func intOr(p *int, def int) int {
	if p != nil {
		return *p
	}
	return def
}

func boolOr(p *bool, def bool) bool {
	if p != nil {
		return *p
	}
	return def
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func parseStateSpaces(data []byte) (Config, error) {
	var j ssConfigJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return Config{}, fmt.Errorf("state-spaces config: %w", err)
	}
	if j.DModel == nil {
		return Config{}, errors.New("d_model missing")
	}
	if j.NLayer == nil {
		return Config{}, errors.New("n_layer missing")
	}
	if d := intOr(j.DIntermediate, 0); d != 0 {
		return Config{}, fmt.Errorf("d_intermediate=%d: models with MLP layers are unsupported (want 0)", d)
	}
	if len(j.AttnLayerIdx) != 0 {
		return Config{}, fmt.Errorf("attn_layer_idx=%v: hybrid attention models are unsupported", j.AttnLayerIdx)
	}
	var s ssmCfgJSON
	if len(j.SSMCfg) != 0 && string(j.SSMCfg) != "null" {
		if err := json.Unmarshal(j.SSMCfg, &s); err != nil {
			return Config{}, fmt.Errorf("ssm_cfg: %w", err)
		}
	}
	layer := "Mamba1"
	if s.Layer != nil {
		layer = *s.Layer
	}
	cfg := Config{
		Convention:           StateSpaces,
		DModel:               *j.DModel,
		NLayer:               *j.NLayer,
		VocabSize:            intOr(j.VocabSize, 50277),
		PadVocabSizeMultiple: intOr(j.PadVocabSizeMultiple, 8),
		DConv:                intOr(s.DConv, 4),
		Expand:               intOr(s.Expand, 2),
		ConvBias:             boolOr(s.ConvBias, true),
		Bias:                 boolOr(s.Bias, false),
		RMSNorm:              boolOr(j.RMSNorm, true),
		ResidualInFP32:       boolOr(j.ResidualInFP32, true),
		TieEmbeddings:        boolOr(j.TieEmbeddings, true),
		NormEps:              1e-5,
		DtLimitMin:           0,
		DtLimitMax:           math.Inf(1),
	}
	if s.Activation != nil && *s.Activation != "silu" && *s.Activation != "swish" {
		return Config{}, fmt.Errorf("ssm_cfg.activation=%q is unsupported (want \"silu\")", *s.Activation)
	}
	if !cfg.RMSNorm {
		return Config{}, errors.New("rms_norm=false (LayerNorm blocks) is unsupported")
	}
	if cfg.Expand > maxDim || cfg.DModel > maxDim {
		return Config{}, fmt.Errorf("d_model=%d expand=%d out of range", cfg.DModel, cfg.Expand)
	}
	cfg.DInner = cfg.Expand * cfg.DModel
	switch layer {
	case "Mamba1":
		cfg.Arch = Mamba1
		cfg.DState = intOr(s.DState, 16)
		if s.DtRank == nil || s.DtRank.auto {
			cfg.DtRank = ceilDiv(cfg.DModel, 16)
		} else {
			cfg.DtRank = s.DtRank.v
		}
		for name, present := range map[string]bool{
			"headdim": s.HeadDim != nil, "ngroups": s.NGroups != nil, "chunk_size": s.ChunkSize != nil,
			"dt_limit": s.DtLimit != nil, "rmsnorm": s.RMSNorm != nil, "norm_before_gate": s.NormBeforeGate != nil,
			"D_has_hdim": s.DHasHdim != nil, "d_ssm": s.DSSM != nil,
		} {
			if present {
				return Config{}, fmt.Errorf("ssm_cfg.%s is a Mamba2 option but ssm_cfg.layer is Mamba1", name)
			}
		}
	case "Mamba2":
		cfg.Arch = Mamba2
		cfg.DState = intOr(s.DState, 128)
		cfg.HeadDim = intOr(s.HeadDim, 64)
		cfg.NGroups = intOr(s.NGroups, 1)
		cfg.ChunkSize = intOr(s.ChunkSize, 256)
		if s.DtRank != nil {
			return Config{}, errors.New("ssm_cfg.dt_rank is a Mamba1 option but ssm_cfg.layer is Mamba2")
		}
		if s.DtLimit != nil {
			if len(s.DtLimit) != 2 {
				return Config{}, fmt.Errorf("ssm_cfg.dt_limit has %d values, want [min, max]", len(s.DtLimit))
			}
			cfg.DtLimitMin, cfg.DtLimitMax = float64(s.DtLimit[0]), float64(s.DtLimit[1])
		}
		if !boolOr(s.RMSNorm, true) {
			return Config{}, errors.New("ssm_cfg.rmsnorm=false (Mamba2 without gated norm) is unsupported")
		}
		if boolOr(s.NormBeforeGate, false) {
			return Config{}, errors.New("ssm_cfg.norm_before_gate=true is unsupported")
		}
		if boolOr(s.DHasHdim, false) {
			return Config{}, errors.New("ssm_cfg.D_has_hdim=true is unsupported")
		}
		if s.DSSM != nil && *s.DSSM != cfg.DInner {
			return Config{}, fmt.Errorf("ssm_cfg.d_ssm=%d != d_inner=%d (partial-SSM MLP split) is unsupported", *s.DSSM, cfg.DInner)
		}
		if cfg.HeadDim > 0 {
			cfg.NHeads = cfg.DInner / cfg.HeadDim
		}
	default:
		return Config{}, fmt.Errorf("unsupported ssm_cfg.layer %q (want \"Mamba1\" or \"Mamba2\")", layer)
	}
	if cfg.PadVocabSizeMultiple > 0 && cfg.VocabSize > 0 && cfg.VocabSize <= maxDim && cfg.PadVocabSizeMultiple <= maxDim {
		cfg.PaddedVocab = ceilDiv(cfg.VocabSize, cfg.PadVocabSizeMultiple) * cfg.PadVocabSizeMultiple
	}
	return cfg, nil
}

// hfConfigJSON holds the fields of transformers' MambaConfig and Mamba2Config.
type hfConfigJSON struct {
	HiddenSize           *int      `json:"hidden_size"`
	NumHiddenLayers      *int      `json:"num_hidden_layers"`
	VocabSize            *int      `json:"vocab_size"`
	StateSize            *int      `json:"state_size"`
	ConvKernel           *int      `json:"conv_kernel"`
	Expand               *int      `json:"expand"`
	IntermediateSize     *int      `json:"intermediate_size"`
	TimeStepRank         *autoInt  `json:"time_step_rank"`
	UseBias              *bool     `json:"use_bias"`
	UseConvBias          *bool     `json:"use_conv_bias"`
	LayerNormEpsilon     *pyFloat  `json:"layer_norm_epsilon"`
	ResidualInFP32       *bool     `json:"residual_in_fp32"`
	TieWordEmbeddings    *bool     `json:"tie_word_embeddings"`
	PadVocabSizeMultiple *int      `json:"pad_vocab_size_multiple"`
	HiddenAct            *string   `json:"hidden_act"`
	NumHeads             *int      `json:"num_heads"`
	HeadDim              *int      `json:"head_dim"`
	NGroups              *int      `json:"n_groups"`
	ChunkSize            *int      `json:"chunk_size"`
	TimeStepLimit        []pyFloat `json:"time_step_limit"`
	RMSNorm              *bool     `json:"rms_norm"`
	NormBeforeGate       *bool     `json:"norm_before_gate"`
}

func parseHFCommon(data []byte, defaults Config) (Config, hfConfigJSON, error) {
	var j hfConfigJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return Config{}, j, fmt.Errorf("hugging face config: %w", err)
	}
	cfg := defaults
	cfg.Convention = HuggingFace
	cfg.DModel = intOr(j.HiddenSize, cfg.DModel)
	cfg.NLayer = intOr(j.NumHiddenLayers, cfg.NLayer)
	cfg.VocabSize = intOr(j.VocabSize, cfg.VocabSize)
	cfg.PaddedVocab = cfg.VocabSize
	cfg.PadVocabSizeMultiple = intOr(j.PadVocabSizeMultiple, 1)
	cfg.DState = intOr(j.StateSize, cfg.DState)
	cfg.DConv = intOr(j.ConvKernel, 4)
	cfg.Expand = intOr(j.Expand, 2)
	cfg.Bias = boolOr(j.UseBias, false)
	cfg.ConvBias = boolOr(j.UseConvBias, true)
	cfg.NormEps = 1e-5
	if j.LayerNormEpsilon != nil {
		cfg.NormEps = float64(*j.LayerNormEpsilon)
	}
	cfg.ResidualInFP32 = boolOr(j.ResidualInFP32, true)
	cfg.TieEmbeddings = boolOr(j.TieWordEmbeddings, cfg.TieEmbeddings)
	cfg.RMSNorm = true
	cfg.DtLimitMin, cfg.DtLimitMax = 0, math.Inf(1)
	if j.HiddenAct != nil && *j.HiddenAct != "silu" && *j.HiddenAct != "swish" {
		return Config{}, j, fmt.Errorf("hidden_act=%q is unsupported (want \"silu\")", *j.HiddenAct)
	}
	if cfg.Expand > maxDim || cfg.DModel > maxDim {
		return Config{}, j, fmt.Errorf("hidden_size=%d expand=%d out of range", cfg.DModel, cfg.Expand)
	}
	cfg.DInner = cfg.Expand * cfg.DModel
	if j.IntermediateSize != nil && *j.IntermediateSize != cfg.DInner {
		return Config{}, j, fmt.Errorf("intermediate_size=%d != expand*hidden_size=%d", *j.IntermediateSize, cfg.DInner)
	}
	return cfg, j, nil
}

func parseHFMamba(data []byte) (Config, error) {
	// transformers MambaConfig defaults.
	cfg, j, err := parseHFCommon(data, Config{Arch: Mamba1, DModel: 768, NLayer: 32, VocabSize: 50280, DState: 16, TieEmbeddings: true})
	if err != nil {
		return Config{}, err
	}
	if j.TimeStepRank == nil || j.TimeStepRank.auto {
		cfg.DtRank = ceilDiv(cfg.DModel, 16)
	} else {
		cfg.DtRank = j.TimeStepRank.v
	}
	return cfg, nil
}

func parseHFMamba2(data []byte) (Config, error) {
	// transformers Mamba2Config defaults.
	cfg, j, err := parseHFCommon(data, Config{Arch: Mamba2, DModel: 4096, NLayer: 64, VocabSize: 32768, DState: 128, TieEmbeddings: false})
	if err != nil {
		return Config{}, err
	}
	cfg.HeadDim = intOr(j.HeadDim, 64)
	cfg.NGroups = intOr(j.NGroups, 8)
	cfg.ChunkSize = intOr(j.ChunkSize, 256)
	if cfg.HeadDim > 0 {
		cfg.NHeads = cfg.DInner / cfg.HeadDim
	}
	if j.NumHeads != nil && *j.NumHeads != cfg.NHeads {
		return Config{}, fmt.Errorf("num_heads=%d != expand*hidden_size/head_dim=%d", *j.NumHeads, cfg.NHeads)
	}
	if j.TimeStepLimit != nil {
		if len(j.TimeStepLimit) != 2 {
			return Config{}, fmt.Errorf("time_step_limit has %d values, want [min, max]", len(j.TimeStepLimit))
		}
		cfg.DtLimitMin, cfg.DtLimitMax = float64(j.TimeStepLimit[0]), float64(j.TimeStepLimit[1])
	}
	if !boolOr(j.RMSNorm, true) {
		return Config{}, errors.New("rms_norm=false (Mamba2 without gated norm) is unsupported")
	}
	// transformers' Mamba2 always gates before the gated RMSNorm whatever
	// norm_before_gate says (MambaRMSNormGated multiplies by silu(gate)
	// first), so the field is read but does not change the architecture.
	_ = j.NormBeforeGate
	return cfg, nil
}

// Validate checks that the sizes are positive and mutually consistent.
func (c Config) Validate() error {
	if c.Arch != Mamba1 && c.Arch != Mamba2 {
		return fmt.Errorf("unknown arch %q", c.Arch)
	}
	if c.Convention != StateSpaces && c.Convention != HuggingFace {
		return fmt.Errorf("unknown convention %q", c.Convention)
	}
	pos := []struct {
		name string
		v    int
	}{
		{"d_model", c.DModel}, {"n_layer", c.NLayer}, {"vocab_size", c.VocabSize},
		{"pad_vocab_size_multiple", c.PadVocabSizeMultiple}, {"d_state", c.DState},
		{"d_conv", c.DConv}, {"expand", c.Expand},
	}
	if c.Arch == Mamba1 {
		pos = append(pos, struct {
			name string
			v    int
		}{"dt_rank", c.DtRank})
	} else {
		pos = append(pos, []struct {
			name string
			v    int
		}{{"headdim", c.HeadDim}, {"ngroups", c.NGroups}, {"chunk_size", c.ChunkSize}}...)
	}
	for _, p := range pos {
		if p.v <= 0 {
			return fmt.Errorf("%s=%d must be positive", p.name, p.v)
		}
		if p.v > maxDim {
			return fmt.Errorf("%s=%d is out of range (max %d)", p.name, p.v, maxDim)
		}
	}
	if c.DInner != c.Expand*c.DModel {
		return fmt.Errorf("d_inner=%d != expand*d_model=%d", c.DInner, c.Expand*c.DModel)
	}
	if c.DInner > maxDim {
		return fmt.Errorf("d_inner=%d is out of range (max %d)", c.DInner, maxDim)
	}
	want := ceilDiv(c.VocabSize, c.PadVocabSizeMultiple) * c.PadVocabSizeMultiple
	if c.Convention == HuggingFace {
		want = c.VocabSize
	}
	if c.PaddedVocab != want {
		return fmt.Errorf("padded vocab %d inconsistent with vocab_size=%d", c.PaddedVocab, c.VocabSize)
	}
	if c.Arch == Mamba2 {
		if c.DInner%c.HeadDim != 0 {
			return fmt.Errorf("d_inner=%d is not divisible by headdim=%d", c.DInner, c.HeadDim)
		}
		if c.NHeads != c.DInner/c.HeadDim {
			return fmt.Errorf("nheads=%d != d_inner/headdim=%d", c.NHeads, c.DInner/c.HeadDim)
		}
		if c.NHeads%c.NGroups != 0 {
			return fmt.Errorf("nheads=%d is not divisible by ngroups=%d", c.NHeads, c.NGroups)
		}
		if c.DInner%c.NGroups != 0 {
			return fmt.Errorf("d_inner=%d is not divisible by ngroups=%d", c.DInner, c.NGroups)
		}
		if math.IsNaN(c.DtLimitMin) || math.IsNaN(c.DtLimitMax) || c.DtLimitMin < 0 || c.DtLimitMin > c.DtLimitMax {
			return fmt.Errorf("dt_limit=(%v, %v) must satisfy 0 <= min <= max", c.DtLimitMin, c.DtLimitMax)
		}
	}
	if !(c.NormEps > 0) || math.IsInf(c.NormEps, 0) {
		return fmt.Errorf("norm epsilon %v must be positive and finite", c.NormEps)
	}
	if !c.RMSNorm {
		return errors.New("LayerNorm (rms_norm=false) is unsupported")
	}
	return nil
}

// infSentinel stands for +Inf while marshalling; it is replaced by Python's
// Infinity token in the output.
const infSentinel = "\x00Infinity\x00"

func jsonFloat(v float64) any {
	if math.IsInf(v, 1) {
		return infSentinel
	}
	return v
}

// MarshalConfig encodes cfg as config.json in the convention cfg.Convention,
// the way the reference implementations write it (an unbounded dt limit is
// written as Python's Infinity token).
func MarshalConfig(cfg Config) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var v any
	switch cfg.Convention {
	case StateSpaces:
		ssm := map[string]any{
			"d_state":   cfg.DState,
			"d_conv":    cfg.DConv,
			"expand":    cfg.Expand,
			"conv_bias": cfg.ConvBias,
			"bias":      cfg.Bias,
		}
		if cfg.Arch == Mamba1 {
			ssm["layer"] = "Mamba1"
			ssm["dt_rank"] = cfg.DtRank
		} else {
			ssm["layer"] = "Mamba2"
			ssm["headdim"] = cfg.HeadDim
			ssm["ngroups"] = cfg.NGroups
			ssm["chunk_size"] = cfg.ChunkSize
			if cfg.DtLimitMin != 0 || !math.IsInf(cfg.DtLimitMax, 1) {
				// Written only when not the default (0, inf), as in the
				// published configs.
				ssm["dt_limit"] = []any{jsonFloat(cfg.DtLimitMin), jsonFloat(cfg.DtLimitMax)}
			}
		}
		if cfg.NormEps != 1e-5 {
			return nil, fmt.Errorf("state-spaces configs fix the norm epsilon at 1e-5, have %v", cfg.NormEps)
		}
		v = map[string]any{
			"d_model":                 cfg.DModel,
			"d_intermediate":          0,
			"n_layer":                 cfg.NLayer,
			"vocab_size":              cfg.VocabSize,
			"ssm_cfg":                 ssm,
			"attn_layer_idx":          []int{},
			"attn_cfg":                map[string]any{},
			"rms_norm":                cfg.RMSNorm,
			"residual_in_fp32":        cfg.ResidualInFP32,
			"fused_add_norm":          true,
			"pad_vocab_size_multiple": cfg.PadVocabSizeMultiple,
			"tie_embeddings":          cfg.TieEmbeddings,
		}
	case HuggingFace:
		m := map[string]any{
			"hidden_size":             cfg.DModel,
			"num_hidden_layers":       cfg.NLayer,
			"vocab_size":              cfg.PaddedVocab,
			"state_size":              cfg.DState,
			"conv_kernel":             cfg.DConv,
			"expand":                  cfg.Expand,
			"use_bias":                cfg.Bias,
			"use_conv_bias":           cfg.ConvBias,
			"layer_norm_epsilon":      cfg.NormEps,
			"residual_in_fp32":        cfg.ResidualInFP32,
			"tie_word_embeddings":     cfg.TieEmbeddings,
			"pad_vocab_size_multiple": cfg.PadVocabSizeMultiple,
			"hidden_act":              "silu",
		}
		if cfg.Arch == Mamba1 {
			m["model_type"] = "mamba"
			m["architectures"] = []string{"MambaForCausalLM"}
			m["intermediate_size"] = cfg.DInner
			m["time_step_rank"] = cfg.DtRank
		} else {
			m["model_type"] = "mamba2"
			m["architectures"] = []string{"Mamba2ForCausalLM"}
			m["num_heads"] = cfg.NHeads
			m["head_dim"] = cfg.HeadDim
			m["n_groups"] = cfg.NGroups
			m["chunk_size"] = cfg.ChunkSize
			m["time_step_limit"] = []any{jsonFloat(cfg.DtLimitMin), jsonFloat(cfg.DtLimitMax)}
			m["rms_norm"] = cfg.RMSNorm
			m["norm_before_gate"] = false
		}
		v = m
	default:
		return nil, fmt.Errorf("unknown convention %q", cfg.Convention)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	sentinel, _ := json.Marshal(infSentinel)
	out = bytes.ReplaceAll(out, sentinel, []byte("Infinity"))
	return append(out, '\n'), nil
}

// WriteConfig writes cfg as config.json at path in the convention given by
// cfg.Convention, atomically (temporary file and rename).
func WriteConfig(path string, cfg Config) error {
	data, err := MarshalConfig(cfg)
	if err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	return writeFileAtomic(path, func(w *os.File) error {
		_, err := w.Write(data)
		return err
	})
}
