package calib

import (
	"fmt"
	"slices"

	"github.com/quamba/quamba/model"
)

// emaRate is the weight of a new sample in the percentile EMA (quamba.md §2).
const emaRate = 0.01

// MinMax is the per-tensor range of a target over all samples.
type MinMax struct {
	Min, Max float32
	AbsMax   float32 // max |x| = max(-Min, Max)
}

// Summary describes the calibration data, for an artifact's metadata.
type Summary struct {
	Files   []string
	Format  string // "text" (windows of a token stream) or "jsonl" (documents)
	Samples int    // samples run
	SeqLen  int    // L: tokens per window, or the truncation of documents
	Seed    uint64
	Tokens  int64 // tokens in all samples
}

// Stats holds the merged statistics of a calibration run, queried by target.
// Every accessor returns an error naming the target when the plan did not
// collect that statistic, and returns copies of slices.
type Stats struct {
	Summary Summary

	samples  int
	minMax   map[Target]MinMax
	pct      map[Target]float64
	chMean   map[Target][]float64
	group    map[Target][]float32
	hist     map[Target]*Histogram
	state    map[int][]float32
	statePct map[int]float64
}

func newStats() *Stats {
	return &Stats{
		minMax: map[Target]MinMax{}, pct: map[Target]float64{}, chMean: map[Target][]float64{},
		group: map[Target][]float32{}, hist: map[Target]*Histogram{}, state: map[int][]float32{},
		statePct: map[int]float64{},
	}
}

// merge folds one sample's statistics into the totals; samples must come in
// sample order.
func (st *Stats) merge(o *sampleObs) {
	first := st.samples == 0
	st.samples++
	for _, s := range o.slots {
		t := s.t
		if s.minMax {
			mm, ok := st.minMax[t]
			if !ok {
				mm = MinMax{Min: s.mn, Max: s.mx}
			}
			mm.Min, mm.Max = min(mm.Min, s.mn), max(mm.Max, s.mx)
			mm.AbsMax = max(-mm.Min, mm.Max)
			st.minMax[t] = mm
		}
		if s.pct != nil {
			if first {
				st.pct[t] = s.q
			} else {
				m := st.pct[t]
				st.pct[t] = m + emaRate*(s.q-m)
			}
		}
		if s.chMean != nil {
			if cur, ok := st.chMean[t]; ok {
				for c, v := range s.chMean {
					cur[c] = max(cur[c], v)
				}
			} else {
				st.chMean[t] = slices.Clone(s.chMean)
			}
		}
		if s.groups != nil {
			if cur, ok := st.group[t]; ok {
				for g, v := range s.gmax {
					cur[g] = max(cur[g], v)
				}
			} else {
				st.group[t] = slices.Clone(s.gmax)
			}
		}
		if s.hist != nil {
			h, ok := st.hist[t]
			if !ok {
				h = &Histogram{Counts: make([]uint64, HistBins)}
				st.hist[t] = h
			}
			for i, c := range s.hist {
				h.Counts[i] += c
			}
			h.Max = max(h.Max, s.absMax())
		}
	}
	for l, a := range o.states {
		if cur, ok := st.state[l]; ok {
			for i, v := range a.gmax {
				cur[i] = max(cur[i], v)
			}
		} else {
			st.state[l] = slices.Clone(a.gmax)
		}
		if a.pct != nil {
			if first {
				st.statePct[l] = a.q
			} else {
				m := st.statePct[l]
				st.statePct[l] = m + emaRate*(a.q-m)
			}
		}
	}
}

func missing(kind string, t Target) error {
	return fmt.Errorf("calib: no %s statistic for %v (not in the plan)", kind, t)
}

// Samples is the number of samples merged.
func (st *Stats) Samples() int { return st.samples }

// MinMax returns the range of a target collected by Plan.MinMax.
func (st *Stats) MinMax(layer int, p model.Point) (MinMax, error) {
	mm, ok := st.minMax[Target{layer, p}]
	if !ok {
		return MinMax{}, missing("min-max", Target{layer, p})
	}
	return mm, nil
}

// AbsMax returns max |x| of a target collected by Plan.MinMax.
func (st *Stats) AbsMax(layer int, p model.Point) (float32, error) {
	mm, err := st.MinMax(layer, p)
	return mm.AbsMax, err
}

// Percentile returns the EMA of the per-sample quantiles of |x| of a target
// collected by Plan.Percentile.
func (st *Stats) Percentile(layer int, p model.Point) (float64, error) {
	q, ok := st.pct[Target{layer, p}]
	if !ok {
		return 0, missing("percentile", Target{layer, p})
	}
	return q, nil
}

// ChannelMeanAbs returns per column the max over samples of the mean |x|
// over the sample's tokens, [cols], collected by Plan.ChannelMeanAbs.
func (st *Stats) ChannelMeanAbs(layer int, p model.Point) ([]float64, error) {
	v, ok := st.chMean[Target{layer, p}]
	if !ok {
		return nil, missing("channel mean |x|", Target{layer, p})
	}
	return slices.Clone(v), nil
}

// GroupAbsMax returns max |x| per group, [max(Groups)+1], collected by
// Plan.Grouped.
func (st *Stats) GroupAbsMax(layer int, p model.Point) ([]float32, error) {
	v, ok := st.group[Target{layer, p}]
	if !ok {
		return nil, missing("grouped min-max", Target{layer, p})
	}
	return slices.Clone(v), nil
}

// Histogram returns a copy of the histogram of |x| of a target collected by
// Plan.Histogram.
func (st *Stats) Histogram(layer int, p model.Point) (*Histogram, error) {
	h, ok := st.hist[Target{layer, p}]
	if !ok {
		return nil, missing("histogram", Target{layer, p})
	}
	return &Histogram{Counts: slices.Clone(h.Counts), Max: h.Max}, nil
}

// StateAbsMax returns max |h| of layer's final SSM state over all samples:
// [(max(Groups[layer])+1)·N] indexed g·N + n with StatePlan.Groups, else [1].
func (st *Stats) StateAbsMax(layer int) ([]float32, error) {
	v, ok := st.state[layer]
	if !ok {
		return nil, fmt.Errorf("calib: no SSM state statistic for layer %d (not in the plan)", layer)
	}
	return slices.Clone(v), nil
}

// StatePercentile returns the EMA of the per-sample quantiles of |h| of
// layer's final SSM state, collected with StatePlan.Percentile.
func (st *Stats) StatePercentile(layer int) (float64, error) {
	q, ok := st.statePct[layer]
	if !ok {
		return 0, fmt.Errorf("calib: no SSM state percentile for layer %d (not in the plan)", layer)
	}
	return q, nil
}
