package quant

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// Stage reports the compiler's progress: the stage that just started or
// ended, and for long stages the work done.
type Stage struct {
	Name        string
	Done, Total int           // units of work of the stage (0, 0 when not counted)
	Elapsed     time.Duration // since the stage started
	Finished    bool
	Calib       *calib.Progress // set during calibration runs
}

// CompileOptions are what Compile needs beyond the recipe.
type CompileOptions struct {
	// Progress, when non-nil, is called as stages start, progress and end.
	Progress func(Stage)
	// Workers is the calibration parallelism (calib.Options.Workers).
	Workers int
	// SourceDigest identifies the source checkpoint in the artifact.
	SourceDigest string
	// InPlace lets Compile transform and quantize w itself instead of a
	// copy (w then belongs to the result), which saves one copy of the
	// weights for large models.
	InPlace bool
	// WriteOnly says the result is only written (WriteArtifact), never
	// simulated: the float32 values of every quantized tensor are released
	// as soon as its quantized form exists, so that the float weights and
	// the quantized codes of the model are not held together. When GPTQ or
	// the clip search still need a layer's dequantized weights for the
	// Hessians of later layers, they are released at the end of the
	// quantize stage instead. Compiled.Weights then lacks every tensor of
	// Compiled.Quantized (Simulate fails on it); the artifact's bytes are
	// the same. W4AX measures its result and ignores WriteOnly.
	WriteOnly bool
}

// Compile quantizes w (which it does not change unless co.InPlace) with the recipe opt,
// calibrating on data, and returns the compiled model. The steps, in order
// (quamba.md §4.1): untie and fold norms, rotate the residual stream,
// sort-and-cluster and reorder, fuse the out_proj Hadamard, calibrate the
// activation scales on the transformed float model, quantize the weights
// (GPTQ layer by layer on the inputs the already quantized layers give
// it, round to nearest elsewhere).
func Compile(ctx context.Context, w *model.Weights, data *calib.Dataset, opt Options, co CompileOptions) (*Compiled, error) {
	if w == nil {
		return nil, fmt.Errorf("quant: nil weights")
	}
	cfg := w.Config
	if err := opt.Check(cfg); err != nil {
		return nil, err
	}
	if err := checkMagnitudes(w); err != nil {
		return nil, err
	}
	if opt.Scheme == W4AX && opt.A8Layers == nil && (opt.A8Budget > 0 || opt.A8Count > 0) {
		return compileW4AX(ctx, w, data, opt, co)
	}
	needData := opt.ABits == 8 || opt.StateInt8 || opt.GPTQ || (opt.ClipSearch && opt.WBits == 4)
	if needData && (data == nil || len(data.Samples) == 0) {
		return nil, fmt.Errorf("quant: %s needs calibration data", opt.Scheme)
	}
	c := &compiler{ctx: ctx, opt: opt, co: co, data: data}
	out := &Compiled{Options: opt, Quantized: map[string]QTensor{}, Acts: map[ActKey]ActQuant{},
		Reorders: make([]*Reorder, cfg.NLayer), SourceDigest: co.SourceDigest}
	if data != nil {
		out.Calib = data.Summary
	}

	// 1. Function-preserving transforms on a copy.
	err := c.stage("transform", func() error {
		if !co.InPlace {
			w = w.Clone()
		}
		if opt.RotateResidual || opt.QuantEmbedding || opt.QuantLMHead {
			if err := Untie(w); err != nil {
				return err
			}
		}
		if opt.RotateResidual {
			if err := FoldNorms(w); err != nil {
				return err
			}
			if err := RotateResidual(w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Weights = w

	// 2. Sort-and-cluster on the rotated model's x statistics, reorder.
	if opt.GroupX && opt.ABits == 8 {
		if err := c.stage("sort-and-cluster", func() error { return c.reorder(out) }); err != nil {
			return nil, err
		}
	}
	if opt.OutHadamard {
		if err := c.stage("fuse-hadamard", func() error { return FuseOutHadamard(w) }); err != nil {
			return nil, err
		}
	}

	// 3. Activation (and SSM-state) scales on the transformed float model.
	if opt.ABits == 8 || opt.StateInt8 {
		if err := c.stage("calibrate", func() error { return c.calibrateActs(out) }); err != nil {
			return nil, err
		}
	}

	// 4. Weights.
	if err := c.stage("quantize", func() error { return c.quantizeWeights(out) }); err != nil {
		return nil, err
	}
	if err := checkCompiled(out, co.WriteOnly); err != nil {
		return nil, fmt.Errorf("quant: compiled weights: %w", err)
	}
	return out, nil
}

// compiler carries one Compile call.
type compiler struct {
	ctx  context.Context
	opt  Options
	co   CompileOptions
	data *calib.Dataset
	name string // current stage
	t0   time.Time
	// held are the quantized tensors whose float32 values a WriteOnly
	// compile releases at the end of the quantize stage.
	held []heldTensor
}

func (c *compiler) stage(name string, f func() error) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	c.name, c.t0 = name, time.Now()
	c.report(Stage{Name: name})
	if err := f(); err != nil {
		return fmt.Errorf("quant: %s: %w", name, err)
	}
	c.report(Stage{Name: name, Finished: true, Elapsed: time.Since(c.t0)})
	return nil
}

func (c *compiler) report(s Stage) {
	if c.co.Progress != nil {
		c.co.Progress(s)
	}
}

// calibrate runs the calibration samples through m with plan.
func (c *compiler) calibrate(m calib.Model, plan calib.Plan, ds *calib.Dataset) (*calib.Stats, error) {
	return calib.Calibrate(c.ctx, m, plan, ds, calib.Options{Workers: c.co.Workers, Progress: func(p calib.Progress) {
		c.report(Stage{Name: c.name, Done: p.Done, Total: p.Total, Elapsed: time.Since(c.t0), Calib: &p})
	}})
}

// reorder sorts and clusters the SSM input x of every layer (quamba.md
// §4.3) and applies the reordering to the weights (§4.4).
func (c *compiler) reorder(out *Compiled) error {
	w := out.Weights
	cfg := w.Config
	var stats *calib.Stats
	err := withEngine(w, model.Stages{}, func(m *model.Model) (err error) {
		stats, err = c.calibrate(calib.FP32(m), calib.Plan{ChannelMeanAbs: calib.AllLayers(cfg, model.PointX)}, c.data)
		return err
	})
	if err != nil {
		return err
	}
	for i := range cfg.NLayer {
		if !c.opt.LayerA8(i) {
			continue // float x: nothing to group
		}
		mean, err := stats.ChannelMeanAbs(i, model.PointX)
		if err != nil {
			return err
		}
		hg := c.opt.HeadGroups
		if cfg.Arch == formats.Mamba1 {
			hg = 1 // no heads: channel groups over the whole of d_inner
		}
		r, err := SortAndCluster(cfg, mean, hg, c.opt.ChannelGroups)
		if err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
		if err := ApplyReorder(w, i, r); err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
		out.Reorders[i] = r
	}
	return nil
}

// actPoints lists the activations a W·A8 block quantizes (quamba.md §3.1,
// §4.5, §4.6), with their column blocks: the in_proj input, its outputs
// (Mamba1 x and z; Mamba2 z, x|B|C and dt), the SSM inputs, dt_proj's input
// and output (Mamba1), the out_proj input; plus lm_head's input when
// lm_head is quantized.
func actPoints(cfg formats.Config, lmHead bool) []model.Point {
	ps := []model.Point{model.PointInProjInput, model.PointConvInput, model.PointZ, model.PointX, model.PointB,
		model.PointC, model.PointDt, model.PointOutProjInput}
	if cfg.Arch == formats.Mamba1 {
		ps = append(ps, model.PointDtLow)
	}
	if lmHead {
		ps = append(ps, model.PointLMHeadInput)
	}
	return ps
}

// calibrateActs measures every quantized activation on the transformed
// float model and sets its scales.
func (c *compiler) calibrateActs(out *Compiled) error {
	w := out.Weights
	cfg := w.Config
	var points []model.Point
	if c.opt.ABits == 8 {
		points = actPoints(cfg, c.opt.QuantLMHead)
	}
	plan := calib.Plan{Alpha: c.opt.XPercentile}
	if c.opt.StateInt8 {
		// One scale per (group of StateGroup channels, n) of the final
		// state of every sample.
		groups := make([][]int, cfg.NLayer)
		g := StateGroup(cfg)
		for i := range groups {
			groups[i] = make([]int, cfg.DInner)
			for ch := range groups[i] {
				groups[i][ch] = ch / g
			}
		}
		plan.State = &calib.StatePlan{Groups: groups}
	}
	targets := c.opt.a8Targets(calib.AllLayers(cfg, points...))
	grouped := map[ActKey]actGrouping{} // activations with more than one scale
	for _, t := range targets {
		key := ActKey{t.Layer, t.Point}
		g, err := c.actGroups(out, key)
		if err != nil {
			return err
		}
		switch {
		case g != nil:
			grouped[key] = *g
			plan.Grouped = append(plan.Grouped, calib.Grouping{Target: t, Groups: g.cols})
		case t.Point == model.PointX && (c.opt.XPercentile > 0 || c.opt.XClipSearch):
			if c.opt.XPercentile > 0 {
				plan.Percentile = append(plan.Percentile, t)
			}
			if c.opt.XClipSearch {
				plan.Histogram = append(plan.Histogram, t)
			}
		default:
			plan.MinMax = append(plan.MinMax, t)
		}
	}
	var stats *calib.Stats
	err := withEngine(w, model.Stages{}, func(m *model.Model) (err error) {
		var target calib.Model = calib.FP32(m)
		if c.opt.StateInt8 {
			target = stateMaxModel{m: m, every: stateEvery}
		}
		stats, err = c.calibrate(target, plan, c.data)
		return err
	})
	if err != nil {
		return err
	}
	if c.opt.StateInt8 {
		out.StateScales = make([][]float32, cfg.NLayer)
		for i := range cfg.NLayer {
			amax, err := stats.StateAbsMax(i)
			if err != nil {
				return err
			}
			out.StateScales[i] = make([]float32, len(amax))
			for j, v := range amax {
				out.StateScales[i][j] = SymmetricScale(float64(v), 127)
			}
		}
	}
	for _, t := range targets {
		key := ActKey{t.Layer, t.Point}
		if g, ok := grouped[key]; ok {
			amax, err := stats.GroupAbsMax(t.Layer, t.Point)
			if err != nil {
				return err
			}
			scales := make([]float32, len(g.blockScale))
			for b, si := range g.blockScale {
				scales[b] = SymmetricScale(float64(amax[si]), 127)
			}
			out.Acts[key] = ActQuant{Ends: g.blockEnds, Scales: scales}
			continue
		}
		var amax float64
		if t.Point == model.PointX && (c.opt.XPercentile > 0 || c.opt.XClipSearch) {
			if c.opt.XPercentile > 0 {
				if amax, err = stats.Percentile(t.Layer, t.Point); err != nil {
					return err
				}
			}
			if c.opt.XClipSearch {
				h, err := stats.Histogram(t.Layer, t.Point)
				if err != nil {
					return err
				}
				if amax, err = clipSearch(h, amax); err != nil {
					return fmt.Errorf("layer %d x clip search: %w", t.Layer, err)
				}
			}
		} else {
			v, err := stats.AbsMax(t.Layer, t.Point)
			if err != nil {
				return err
			}
			amax = float64(v)
		}
		out.Acts[key] = ActQuant{Ends: []int{model.PointCols(cfg, t.Point)}, Scales: []float32{SymmetricScale(amax, 127)}}
	}
	return nil
}

// actGrouping is an activation with several scales: cols maps every column
// to its scale group (what calibration measures); the quantizer cuts the
// columns into blocks (blockEnds), block b using group blockScale[b].
type actGrouping struct {
	cols       []int
	blockEnds  []int
	blockScale []int
}

// actGroups returns the grouping of an activation that has more than one
// scale, or nil: Mamba2's pre-conv x|B|C (one scale each), B and C per SSD
// group, and the grouped x of a reordered layer.
func (c *compiler) actGroups(out *Compiled, k ActKey) (*actGrouping, error) {
	cfg := out.Weights.Config
	if k.Layer < 0 {
		return nil, nil
	}
	E, GN := cfg.DInner, cfg.NGroups*cfg.DState
	contiguous := func(ends []int) *actGrouping {
		g := &actGrouping{cols: groupsOf(ends), blockEnds: ends, blockScale: make([]int, len(ends))}
		for b := range ends {
			g.blockScale[b] = b
		}
		return g
	}
	switch {
	case cfg.Arch == formats.Mamba2 && k.Point == model.PointConvInput:
		return contiguous([]int{E, E + GN, E + 2*GN}), nil
	case cfg.Arch == formats.Mamba2 && (k.Point == model.PointB || k.Point == model.PointC) && c.opt.GroupBC && cfg.NGroups > 1:
		ends := make([]int, cfg.NGroups)
		for g := range ends {
			ends[g] = (g + 1) * cfg.DState
		}
		return contiguous(ends), nil
	case k.Point == model.PointX && out.Reorders[k.Layer] != nil:
		r := out.Reorders[k.Layer]
		cols, n, err := r.ScaleIndex(cfg)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", k.Layer, err)
		}
		if n <= 1 {
			return nil, nil
		}
		return &actGrouping{cols: cols, blockEnds: r.BlockEnds(), blockScale: r.BlockScales()}, nil
	}
	return nil, nil
}

// clipSearch returns the clip value of an int8 activation, among fractions
// of its max |x|, its high quantiles and extra (when > 0), with the smallest
// quantization error estimated from its histogram; ties go to the larger
// clip.
func clipSearch(h *calib.Histogram, extra float64) (float64, error) {
	mx := float64(h.Max)
	if !(mx > 0) {
		return 0, nil
	}
	cands := []float64{}
	for r := 20; r >= 6; r-- {
		cands = append(cands, mx*float64(r)/20)
	}
	for _, a := range []float64{0.999999, 0.99999, 0.9999, 0.999} {
		q, err := h.Quantile(a)
		if err != nil {
			return 0, err
		}
		cands = append(cands, q)
	}
	if extra > 0 {
		cands = append(cands, extra)
	}
	best, bestErr := 0.0, math.Inf(1)
	for _, c := range cands {
		if !(c > 0) {
			continue
		}
		e, err := h.ClipMSE(c, 127)
		if err != nil {
			return 0, err
		}
		if e < bestErr || (e == bestErr && c > best) {
			best, bestErr = c, e
		}
	}
	return best, nil
}

// groupsOf maps every column to its block.
func groupsOf(ends []int) []int {
	g := make([]int, ends[len(ends)-1])
	b := 0
	for j := range g {
		for j >= ends[b] {
			b++
		}
		g[j] = b
	}
	return g
}
