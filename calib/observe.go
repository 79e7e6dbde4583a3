package calib

import (
	"fmt"
	"math"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// slot accumulates the statistics of one target over one sample.
type slot struct {
	t    Target
	cols int
	rows int // rows seen in this sample

	mn, mx, bad float32 // min, max; bad is NaN after a NaN or Inf
	minMax      bool    // the plan asks for min-max

	pct *quantileAcc
	q   float64 // the sample's quantile (after finish)

	chSum  []float64 // [cols] Σ|x| in token order
	chMean []float64 // [cols] the sample's mean (after finish)

	groups []int32   // [cols] column -> group
	gmax   []float32 // [groups]

	hist []uint64 // [HistBins]
}

func (s *slot) begin(tokens int) {
	s.rows = 0
	s.mn, s.mx, s.bad = float32(math.Inf(1)), float32(math.Inf(-1)), 0
	if s.pct != nil {
		s.pct.begin(tokens * s.cols)
	}
	clear(s.chSum)
	clear(s.gmax)
	clear(s.hist)
}

func (s *slot) observe(rows int, data []float32) {
	s.mn, s.mx, s.bad = minMax(data, s.mn, s.mx, s.bad)
	s.rows += rows
	if s.pct != nil {
		if s.rows*s.cols > s.pct.n {
			return // finish reports the excess rows
		}
		s.pct.add(data)
	}
	cols := s.cols
	if s.chSum != nil {
		sum := s.chSum[:cols]
		for r := range rows {
			row := data[r*cols : (r+1)*cols]
			for c, v := range row {
				sum[c] += float64(math.Float32frombits(math.Float32bits(v) &^ signBit))
			}
		}
	}
	if s.groups != nil {
		g, gmax := s.groups[:cols], s.gmax
		for r := range rows {
			row := data[r*cols : (r+1)*cols]
			for c, v := range row {
				a := math.Float32frombits(math.Float32bits(v) &^ signBit)
				if a > gmax[g[c]] {
					gmax[g[c]] = a
				}
			}
		}
	}
	if s.hist != nil {
		h := s.hist[:HistBins]
		for _, v := range data {
			h[histBin(math.Float32bits(v)&^signBit)]++
		}
	}
}

// absMax is max |x| of the sample.
func (s *slot) absMax() float32 { return max(-s.mn, s.mx) }

func (s *slot) finish(tokens int) error {
	if s.rows != tokens {
		return fmt.Errorf("%v: the model reported %d rows, want %d (one per token)", s.t, s.rows, tokens)
	}
	if s.bad != 0 {
		return fmt.Errorf("%v: non-finite activation (NaN or Inf)", s.t)
	}
	if s.pct != nil {
		s.q = s.pct.quantile()
	}
	if s.chSum != nil {
		for c, v := range s.chSum {
			s.chMean[c] = v / float64(tokens)
		}
	}
	return nil
}

// stateAcc accumulates the final-state statistics of one layer over one sample.
type stateAcc struct {
	groups []int32   // [E] channel -> group, nil: per tensor
	gmax   []float32 // [groups·N] or [1]
	pct    *quantileAcc
	q      float64
}

// sampleObs is the model.Observer of one sample: the slots of every target,
// reached through a table indexed by (layer+1)·numPoints + point.
type sampleObs struct {
	cfg    formats.Config
	np     int
	table  []*slot
	slots  []*slot
	states []*stateAcc // [n_layer] when the plan has a StatePlan
	tokens int
	err    error
}

func newSampleObs(cfg formats.Config, p *Plan) *sampleObs {
	np := len(model.Points())
	o := &sampleObs{cfg: cfg, np: np, table: make([]*slot, (cfg.NLayer+1)*np)}
	get := func(t Target) *slot {
		i := (t.Layer+1)*np + int(t.Point)
		if o.table[i] == nil {
			o.table[i] = &slot{t: t, cols: model.PointCols(cfg, t.Point)}
			o.slots = append(o.slots, o.table[i])
		}
		return o.table[i]
	}
	for _, t := range p.MinMax {
		get(t).minMax = true
	}
	for _, t := range p.Percentile {
		get(t).pct = &quantileAcc{alpha: p.Alpha}
	}
	for _, t := range p.ChannelMeanAbs {
		s := get(t)
		s.chSum, s.chMean = make([]float64, s.cols), make([]float64, s.cols)
	}
	for _, g := range p.Grouped {
		s := get(g.Target)
		s.groups = toInt32(g.Groups)
		s.gmax = make([]float32, groupCount(g.Groups))
	}
	for _, t := range p.Histogram {
		get(t).hist = make([]uint64, HistBins)
	}
	if sp := p.State; sp != nil {
		o.states = make([]*stateAcc, cfg.NLayer)
		for l := range o.states {
			a := &stateAcc{gmax: make([]float32, 1)}
			if sp.Groups != nil {
				a.groups = toInt32(sp.Groups[l])
				a.gmax = make([]float32, groupCount(sp.Groups[l])*cfg.DState)
			}
			if sp.Percentile {
				a.pct = &quantileAcc{alpha: p.Alpha}
			}
			o.states[l] = a
		}
	}
	return o
}

func toInt32(g []int) []int32 {
	out := make([]int32, len(g))
	for i, v := range g {
		out[i] = int32(v)
	}
	return out
}

func (o *sampleObs) begin(tokens int) {
	o.tokens, o.err = tokens, nil
	for _, s := range o.slots {
		s.begin(tokens)
	}
}

// Observe implements model.Observer.
func (o *sampleObs) Observe(layer int, p model.Point, rows, cols int, data []float32) {
	if layer < -1 || layer >= o.cfg.NLayer || int(p) >= o.np {
		return
	}
	s := o.table[(layer+1)*o.np+int(p)]
	if s == nil || o.err != nil {
		return
	}
	if cols != s.cols || rows < 0 || len(data) != rows*cols {
		o.err = fmt.Errorf("%v: the model reported a [%d, %d] matrix of %d values, want %d columns",
			s.t, rows, cols, len(data), s.cols)
		return
	}
	s.observe(rows, data)
}

// finish completes the sample's statistics after sess ran it.
func (o *sampleObs) finish(sess Session) error {
	if o.err != nil {
		return o.err
	}
	for _, s := range o.slots {
		if err := s.finish(o.tokens); err != nil {
			return err
		}
	}
	E, N := o.cfg.DInner, o.cfg.DState
	for l, a := range o.states {
		h := sess.SSMState(l)
		if len(h) != E*N {
			return fmt.Errorf("layer %d: SSM state has %d values, want %d ([%d, %d])", l, len(h), E*N, E, N)
		}
		clear(a.gmax)
		var bad float32
		for c := range E {
			row := h[c*N : (c+1)*N]
			base := 0
			if a.groups != nil {
				base = int(a.groups[c]) * N
			}
			for n, v := range row {
				bad += v - v
				x := math.Float32frombits(math.Float32bits(v) &^ signBit)
				i := base + n
				if a.groups == nil {
					i = 0
				}
				a.gmax[i] = max(a.gmax[i], x)
			}
		}
		if bad != 0 {
			return fmt.Errorf("layer %d: non-finite SSM state (NaN or Inf)", l)
		}
		if a.pct != nil {
			a.pct.begin(len(h))
			a.pct.add(h)
			a.q = a.pct.quantile()
		}
	}
	return nil
}

// minMax folds data into the running min mn and max mx; bad becomes NaN if
// data holds a NaN or an infinity (v - v is 0 for every finite v). Four
// independent accumulators let the comparisons overlap.
func minMax(data []float32, mn, mx, bad float32) (float32, float32, float32) {
	m0, m1, m2, m3 := mn, mn, mn, mn
	x0, x1, x2, x3 := mx, mx, mx, mx
	b0, b1 := bad, float32(0)
	i := 0
	for ; i+4 <= len(data); i += 4 {
		v := data[i : i+4 : i+4]
		v0, v1, v2, v3 := v[0], v[1], v[2], v[3]
		if v0 < m0 {
			m0 = v0
		}
		if v1 < m1 {
			m1 = v1
		}
		if v2 < m2 {
			m2 = v2
		}
		if v3 < m3 {
			m3 = v3
		}
		if v0 > x0 {
			x0 = v0
		}
		if v1 > x1 {
			x1 = v1
		}
		if v2 > x2 {
			x2 = v2
		}
		if v3 > x3 {
			x3 = v3
		}
		b0 += (v0 - v0) + (v1 - v1)
		b1 += (v2 - v2) + (v3 - v3)
	}
	for _, v := range data[i:] {
		if v < m0 {
			m0 = v
		}
		if v > x0 {
			x0 = v
		}
		b0 += v - v
	}
	mn = min(min(m0, m1), min(m2, m3))
	mx = max(max(x0, x1), max(x2, x3))
	return mn, mx, b0 + b1
}
