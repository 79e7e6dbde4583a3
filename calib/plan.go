package calib

import (
	"fmt"
	"math"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// Target is one activation: a layer (-1 for model.PointLMHeadInput) and a point.
type Target struct {
	Layer int
	Point model.Point
}

func (t Target) String() string { return fmt.Sprintf("layer %d point %v", t.Layer, t.Point) }

// AllLayers returns the targets of points at every layer of cfg, layer by
// layer; model.PointLMHeadInput is listed once, with layer -1.
func AllLayers(cfg formats.Config, points ...model.Point) []Target {
	var out []Target
	for l := range cfg.NLayer {
		for _, p := range points {
			if p != model.PointLMHeadInput {
				out = append(out, Target{l, p})
			}
		}
	}
	for _, p := range points {
		if p == model.PointLMHeadInput {
			out = append(out, Target{-1, p})
			break
		}
	}
	return out
}

// Grouping assigns each column of a target to a group: Groups[col] is the
// group index of column col (len = the point's column count), and the group
// count is max(Groups)+1. A group no column maps to keeps max |x| = 0.
type Grouping struct {
	Target
	Groups []int
}

// SSDGroups is the column -> group mapping of Mamba2's B and C, [G·N]: column
// j belongs to SSD group j / d_state. For Mamba1 (B and C [N]) every column is
// in group 0.
func SSDGroups(cfg formats.Config) []int {
	G := 1
	if cfg.Arch == formats.Mamba2 {
		G = cfg.NGroups
	}
	g := make([]int, G*cfg.DState)
	for j := range g {
		g[j] = j / cfg.DState
	}
	return g
}

// StatePlan asks for the max |h| of the final SSM state of every layer after
// each sample, per state group. The state of a layer is [E, N] with channel
// c = h·P + p for Mamba2's [H, P, N].
type StatePlan struct {
	// Groups, when non-nil, holds per layer (len n_layer) the channel ->
	// group mapping (len E, groups 0..max): the statistic of a layer then
	// has (max+1)·N values, index g·N + n. When nil, each layer has one
	// per-tensor value.
	Groups [][]int
	// Percentile also collects the per-tensor percentile of |h| with
	// Plan.Alpha (the same per-sample quantile and EMA as Plan.Percentile).
	Percentile bool
}

// Plan says which observers to attach to which targets. Each list holds a
// target at most once; points must be reported by the architecture (Mamba2
// has no model.PointDtLow).
type Plan struct {
	// MinMax: per-tensor min, max and max |x| over all samples.
	MinMax []Target
	// Percentile: per sample the exact Alpha-quantile of |x| over all
	// elements of the target in that sample (linear interpolation between
	// order statistics at position Alpha·(n-1), as torch.quantile), then
	// the EMA m ← m + 0.01·(q − m) in sample order, the first sample
	// initialising m (quamba.md §2). When the quantile needs at most 4096
	// of a sample's largest values (alpha close to 1) only those are kept;
	// otherwise a worker keeps all of the sample's values of the target
	// (4 bytes each) and selects the order statistics.
	Percentile []Target
	// Alpha is the quantile level of Percentile and StatePlan.Percentile,
	// in (0, 1] (Quamba: 0.99999; the Quamba2 code: 0.9995).
	Alpha float64
	// ChannelMeanAbs: per sample and column the mean |x| over the sample's
	// tokens (float64 sum in token order), then the element-wise max over
	// samples (the sort-and-cluster statistic, quamba.md §4.3).
	ChannelMeanAbs []Target
	// Grouped: max |x| per column group over all samples (per-SSD-group B
	// and C, per (SSD group, head group, channel group) x; §4.5).
	Grouped []Grouping
	// Histogram: counts of |x| in the fixed bins of Histogram.
	Histogram []Target
	// State, when non-nil, collects final SSM state statistics.
	State *StatePlan
}

// maxGroups bounds the group count of a mapping.
const maxGroups = 1 << 24

// validate checks the plan against cfg.
func (p *Plan) validate(cfg formats.Config) error {
	if err := checkConfig(cfg); err != nil {
		return fmt.Errorf("calib: %w", err)
	}
	check := func(kind string, ts []Target) error {
		seen := make(map[Target]bool, len(ts))
		for _, t := range ts {
			if err := checkTarget(cfg, t); err != nil {
				return fmt.Errorf("calib: %s: %w", kind, err)
			}
			if seen[t] {
				return fmt.Errorf("calib: %s lists %v twice", kind, t)
			}
			seen[t] = true
		}
		return nil
	}
	if err := check("min-max", p.MinMax); err != nil {
		return err
	}
	if err := check("percentile", p.Percentile); err != nil {
		return err
	}
	if err := check("channel mean |x|", p.ChannelMeanAbs); err != nil {
		return err
	}
	if err := check("histogram", p.Histogram); err != nil {
		return err
	}
	gts := make([]Target, len(p.Grouped))
	for i, g := range p.Grouped {
		gts[i] = g.Target
	}
	if err := check("grouped min-max", gts); err != nil {
		return err
	}
	for _, g := range p.Grouped {
		if err := checkMapping(g.Groups, model.PointCols(cfg, g.Point)); err != nil {
			return fmt.Errorf("calib: grouped min-max %v: %w", g.Target, err)
		}
	}
	if p.State != nil && p.State.Groups != nil {
		if len(p.State.Groups) != cfg.NLayer {
			return fmt.Errorf("calib: state groups given for %d layers, the model has %d", len(p.State.Groups), cfg.NLayer)
		}
		for l, g := range p.State.Groups {
			if err := checkMapping(g, cfg.DInner); err != nil {
				return fmt.Errorf("calib: state groups of layer %d: %w", l, err)
			}
		}
	}
	needAlpha := len(p.Percentile) > 0 || (p.State != nil && p.State.Percentile)
	if needAlpha && !(p.Alpha > 0 && p.Alpha <= 1) {
		return fmt.Errorf("calib: percentile alpha %v is outside (0, 1]", p.Alpha)
	}
	if len(p.MinMax)+len(p.Percentile)+len(p.ChannelMeanAbs)+len(p.Grouped)+len(p.Histogram) == 0 && p.State == nil {
		return fmt.Errorf("calib: the plan asks for no statistic")
	}
	return nil
}

func checkTarget(cfg formats.Config, t Target) error {
	if t.Point == model.PointLMHeadInput {
		if t.Layer != -1 {
			return fmt.Errorf("%v: the lm_head input is reported with layer -1", t)
		}
		return nil
	}
	if t.Layer < 0 || t.Layer >= cfg.NLayer {
		return fmt.Errorf("%v: layer outside [0, %d)", t, cfg.NLayer)
	}
	if model.PointCols(cfg, t.Point) == 0 {
		return fmt.Errorf("%v: a %s model does not report this point", t, cfg.Arch)
	}
	return nil
}

// checkMapping checks a column -> group mapping of cols columns and returns
// nil when it is valid.
func checkMapping(groups []int, cols int) error {
	if len(groups) != cols {
		return fmt.Errorf("mapping has %d entries, the tensor has %d columns", len(groups), cols)
	}
	for c, g := range groups {
		if g < 0 || g >= maxGroups {
			return fmt.Errorf("column %d maps to group %d, outside [0, %d)", c, g, maxGroups)
		}
	}
	return nil
}

// groupCount is max(groups)+1 (0 for an empty mapping).
func groupCount(groups []int) int {
	n := 0
	for _, g := range groups {
		n = max(n, g+1)
	}
	return n
}

// quantileIndex is the lower order-statistic index and interpolation
// fraction of the alpha-quantile of n values (torch.quantile, linear).
func quantileIndex(alpha float64, n int) (lo int, frac float64) {
	pos := alpha * float64(n-1)
	f := math.Floor(pos)
	lo = int(f)
	if lo >= n-1 {
		return n - 1, 0
	}
	return lo, pos - f
}
