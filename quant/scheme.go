package quant

import (
	"fmt"
	"strings"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/hadamard"
)

// Scheme names a quantization recipe.
type Scheme string

// The recipes (quamba.md §3, §4).
const (
	// NaiveW8A8 is the baseline: static per-tensor min-max int8 activations,
	// per-tensor int8 weights, no rotation, float embedding and lm_head.
	NaiveW8A8 Scheme = "naive-w8a8"
	// Quamba is Quamba v1 (§3): NaiveW8A8 plus a percentile-clipped SSM
	// input x and the online Hadamard on the out_proj input.
	Quamba Scheme = "quamba"
	// W8A8 is Quamba2's 8-bit recipe (§4): residual-stream Hadamard with
	// folded norms, online Hadamard before out_proj, sort-and-cluster
	// grouped x scales (Mamba2), per-state-group B/C scales, int8
	// embedding and lm_head.
	W8A8 Scheme = "w8a8"
	// W4A8 is W8A8 with 4-bit group-wise weights (GPTQ for in_proj, out_proj
	// and lm_head).
	W4A8 Scheme = "w4a8"
	// W4A16 has 4-bit GPTQ weights and float activations.
	W4A16 Scheme = "w4a16"
	// W4AX is W4A8 with a per-layer choice of activation precision
	// (quamba.md §4.8): the layers of Options.A8Layers run W4A8, the others
	// W4A16; lm_head stays W4A8. Without an explicit list the compiler
	// chooses it from measured per-layer sensitivities (w4ax.go).
	W4AX Scheme = "w4ax"
)

// Schemes lists every scheme, baseline first.
func Schemes() []Scheme { return []Scheme{NaiveW8A8, Quamba, W8A8, W4A8, W4A16, W4AX} }

// ParseScheme accepts a scheme name.
func ParseScheme(s string) (Scheme, error) {
	for _, sc := range Schemes() {
		if string(sc) == strings.ToLower(s) {
			return sc, nil
		}
	}
	names := make([]string, 0, len(Schemes()))
	for _, sc := range Schemes() {
		names = append(names, string(sc))
	}
	return "", fmt.Errorf("quant: unknown scheme %q (known: %s)", s, strings.Join(names, ", "))
}

// Options are a recipe's switches: a scheme's defaults (DefaultOptions)
// with each technique switchable on its own, so that a report can show
// what each buys.
type Options struct {
	Scheme Scheme

	WBits int // 8 or 4: block projections (in_proj, x_proj, out_proj)
	ABits int // 8 or 16: activations of the blocks

	// RotateResidual folds the norm weights and rotates the residual
	// stream with a d_model Hadamard (quamba.md §4.2).
	RotateResidual bool
	// OutHadamard rotates the out_proj input online with a d_inner
	// Hadamard fused into out_proj (§3.3).
	OutHadamard bool
	// XPercentile, when > 0, sets the scale of the SSM input x from that
	// percentile of |x| (Quamba's clipping, §3.1) instead of its max.
	XPercentile float64
	// XClipSearch chooses the scale of an ungrouped SSM input x from a
	// clipping search: the clip value, among fractions of max |x| and high
	// quantiles of |x| (and XPercentile's value when set), that minimises
	// the int8 quantization error of x estimated from its histogram.
	XClipSearch bool
	// GroupX: sort-and-cluster the SSM input x and give each (SSD group,
	// head group, channel group) its own scale (§4.3, §4.4). For Mamba1
	// the channel version: channels sorted by magnitude and cut into
	// ChannelGroups groups.
	GroupX bool
	// HeadGroups and ChannelGroups are the cluster counts of GroupX (4, 4).
	HeadGroups, ChannelGroups int
	// GroupBC gives Mamba2's B and C one scale per SSD group (§4.5).
	GroupBC bool
	// GPTQ quantizes in_proj, out_proj and lm_head with GPTQ (4-bit only).
	GPTQ bool
	// GPTQSamples bounds the calibration samples GPTQ's Hessians use (the
	// first ones); 0 means all.
	GPTQSamples int
	// W4Group is the 4-bit group size along K: 128, 64 or 32.
	W4Group int
	// ClipSearch chooses a clip ratio per 4-bit group that minimises the
	// layer's output error on calibration activations.
	ClipSearch bool
	// StateInt8 stores the SSM state between calls as int8 (quamba.md §3.5,
	// §4.5), with a scale per (state index n, group of StateGroup channels):
	// the decode-time state cache. The scan itself runs in float32.
	StateInt8 bool
	// QuantEmbedding stores the embedding in WBits bits per row.
	QuantEmbedding bool
	// QuantLMHead quantizes lm_head (WBits weights; int8 input when ABits
	// is 8).
	QuantLMHead bool

	// A8Layers, when not nil, lists the layers whose activations are int8
	// (when ABits is 8); the other layers keep float activations (their
	// projections run W·A16, their conv and scan weights stay float). nil
	// means every layer. lm_head's input follows ABits.
	A8Layers []int
	// A8Budget and A8Count choose A8Layers for W4AX when it is nil (see
	// ChooseA8Layers): the most A8 layers whose summed predicted increase
	// of the calibration loss stays within A8Budget (relative to the loss
	// with every layer A16), or, when A8Count > 0, the A8Count least
	// sensitive layers.
	A8Budget float64
	A8Count  int
	// W4AX records the search that chose A8Layers (nil when none ran).
	W4AX *W4AXSearch
}

// DefaultGPTQSamples is the number of calibration samples whose
// activations make GPTQ's Hessians in the 4-bit schemes (the layer-by-layer
// passes cost one forward pass of them per layer).
const DefaultGPTQSamples = 64

// DefaultOptions returns the switches of a scheme.
func DefaultOptions(s Scheme) (Options, error) {
	o := Options{Scheme: s, WBits: 8, ABits: 8, HeadGroups: 4, ChannelGroups: 4, W4Group: 128}
	switch s {
	case NaiveW8A8:
	case Quamba:
		o.OutHadamard = true
		o.XPercentile = 0.99999
	case W8A8, W4A8, W4A16, W4AX:
		o.RotateResidual, o.OutHadamard = true, true
		o.GroupX, o.GroupBC = true, true
		o.QuantEmbedding, o.QuantLMHead = true, true
		if s != W8A8 {
			o.WBits, o.GPTQ, o.ClipSearch = 4, true, true
			o.GPTQSamples = DefaultGPTQSamples
		}
		if s == W4A16 {
			o.ABits = 16
			o.GroupX, o.GroupBC = false, false
		}
		if s == W4AX {
			o.A8Budget = DefaultA8Budget
		}
	default:
		return Options{}, fmt.Errorf("quant: unknown scheme %q", s)
	}
	return o, nil
}

// Check refuses options that do not make sense or that the model cannot
// take, naming the dimension.
func (o Options) Check(cfg formats.Config) error {
	if o.WBits != 8 && o.WBits != 4 {
		return fmt.Errorf("quant: %s: weight bits %d (want 8 or 4)", o.Scheme, o.WBits)
	}
	if o.ABits != 8 && o.ABits != 16 {
		return fmt.Errorf("quant: %s: activation bits %d (want 8 or 16)", o.Scheme, o.ABits)
	}
	if o.WBits == 8 && o.ABits == 16 {
		return fmt.Errorf("quant: %s: W8A16 is not a scheme (use w8a8 or w4a16)", o.Scheme)
	}
	if o.GPTQ && o.WBits != 4 {
		return fmt.Errorf("quant: %s: GPTQ is used for 4-bit weights only", o.Scheme)
	}
	if o.WBits == 4 && o.W4Group != 128 && o.W4Group != 64 && o.W4Group != 32 {
		return fmt.Errorf("quant: %s: 4-bit group size %d (want 128, 64 or 32)", o.Scheme, o.W4Group)
	}
	if err := o.checkA8Layers(cfg); err != nil {
		return err
	}
	if o.XPercentile < 0 || o.XPercentile > 1 {
		return fmt.Errorf("quant: %s: x percentile %g is outside (0, 1]", o.Scheme, o.XPercentile)
	}
	if o.GroupX && (o.HeadGroups < 1 || o.ChannelGroups < 1) {
		return fmt.Errorf("quant: %s: cluster counts %d x %d must be positive", o.Scheme, o.HeadGroups, o.ChannelGroups)
	}
	if o.RotateResidual {
		if err := hadamard.Check(cfg.DModel); err != nil {
			return fmt.Errorf("quant: %s: residual rotation of d_model %d: %w", o.Scheme, cfg.DModel, err)
		}
	}
	if o.OutHadamard {
		if err := hadamard.Check(cfg.DInner); err != nil {
			return fmt.Errorf("quant: %s: online Hadamard of d_inner %d: %w", o.Scheme, cfg.DInner, err)
		}
	}
	return nil
}

// String is a one-line description of the switches, for reports and
// artifact metadata.
func (o Options) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s W%dA%d", o.Scheme, o.WBits, o.ABits)
	flag := func(on bool, name string) {
		if on {
			b.WriteString(" +" + name)
		}
	}
	flag(o.RotateResidual, "rotate-residual")
	flag(o.OutHadamard, "out-hadamard")
	if o.XPercentile > 0 {
		fmt.Fprintf(&b, " +x-percentile=%g", o.XPercentile)
	}
	flag(o.XClipSearch, "x-clip-search")
	if o.GroupX {
		fmt.Fprintf(&b, " +group-x=%dx%d", o.HeadGroups, o.ChannelGroups)
	}
	flag(o.GroupBC, "group-bc")
	flag(o.GPTQ, "gptq")
	if o.WBits == 4 {
		fmt.Fprintf(&b, " +w4-group=%d", o.W4Group)
	}
	flag(o.ClipSearch && o.WBits == 4, "clip-search")
	flag(o.StateInt8, "state-int8")
	flag(o.QuantEmbedding, "quant-embedding")
	flag(o.QuantLMHead, "quant-lm-head")
	switch {
	case o.A8Layers != nil:
		fmt.Fprintf(&b, " +a8-layers=%s", layerList(o.A8Layers))
	case o.Scheme == W4AX && o.A8Count > 0:
		fmt.Fprintf(&b, " +a8-count=%d", o.A8Count)
	case o.Scheme == W4AX && o.A8Budget > 0:
		fmt.Fprintf(&b, " +a8-budget=%g", o.A8Budget)
	}
	return b.String()
}

// StateGroup is the number of consecutive channels (Mamba2: c = h·P+p)
// that share one int8 SSM-state scale per state index, the groups
// kernels.StateQ8 takes: 8 channels (the SIMD tiers' unit) when d_inner and,
// for Mamba2, headdim are multiples of 8; otherwise a head (Mamba2) or all
// of d_inner (Mamba1). On the bundled Mamba2, step-mode perplexity costs
// +0.51% with per-head scales and +0.32% with 8-channel ones.
func StateGroup(cfg formats.Config) int {
	switch {
	case cfg.DInner%8 == 0 && (cfg.Arch == formats.Mamba1 || cfg.HeadDim%8 == 0):
		return 8
	case cfg.Arch == formats.Mamba2:
		return cfg.HeadDim
	}
	return cfg.DInner
}
