package calib

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/internal/race"
	"github.com/quamba/quamba/model"
)

// fakeCfg is a small Mamba2 shape: D 8, E 16 (H 4 heads of P 4), G 2 groups of N 4.
var fakeCfg = formats.Config{
	Arch: formats.Mamba2, DModel: 8, NLayer: 2, VocabSize: 64, PaddedVocab: 64, DState: 4, DConv: 4, Expand: 2,
	DInner: 16, HeadDim: 4, NHeads: 4, NGroups: 2, NormEps: 1e-5, RMSNorm: true,
}

// fakeModel reports, for every sample, pseudo-random activations derived
// from its tokens, in chunks of chunk tokens, layer by layer within a chunk
// as the engine does. The test recomputes the same data with fakeData.
type fakeModel struct {
	cfg   formats.Config
	chunk int
	fail  int // a sample whose first token is fail makes Run fail (when > 0)
	bad   int // a sample whose first token is bad reports a NaN (when > 0)
	onRun func(tokens []int)
}

func (f *fakeModel) Config() formats.Config { return f.cfg }
func (f *fakeModel) NewSession() Session    { return &fakeSession{f: f} }

type fakeSession struct {
	f      *fakeModel
	tokens []int
}

func sampleSeed(tokens []int) uint64 {
	var s uint64 = 1469598103934665603
	for _, t := range tokens {
		s = (s ^ uint64(t)) * 1099511628211
	}
	return s
}

// fakeData is the [T, cols] activation of a target for a sample: normal
// values with a per-column scale, some zeros and repeated values.
func fakeData(tokens []int, layer int, p model.Point, cols int) []float32 {
	r := rand.New(rand.NewPCG(sampleSeed(tokens), uint64(layer+1)<<8|uint64(p)))
	out := make([]float32, len(tokens)*cols)
	for i := range out {
		c := i % cols
		switch r.IntN(10) {
		case 0:
			out[i] = 0
		case 1:
			out[i] = 0.5
		default:
			out[i] = float32(r.NormFloat64() * float64(1+c%5) * math.Exp(r.NormFloat64()))
		}
	}
	return out
}

func fakeState(tokens []int, layer int, cfg formats.Config) []float32 {
	return fakeData(tokens, layer, 200, cfg.DInner*cfg.DState/len(tokens)+1)[:cfg.DInner*cfg.DState]
}

func (s *fakeSession) Run(tokens []int, obs model.Observer) error {
	f := s.f
	s.tokens = slices.Clone(tokens)
	if f.onRun != nil {
		f.onRun(tokens)
	}
	if f.fail > 0 && tokens[0] == f.fail {
		return errors.New("fake failure")
	}
	type stream struct {
		layer int
		p     model.Point
		data  []float32
		cols  int
	}
	var streams []stream
	for l := -1; l < f.cfg.NLayer; l++ {
		for _, p := range model.Points() {
			if (l == -1) != (p == model.PointLMHeadInput) {
				continue
			}
			cols := model.PointCols(f.cfg, p)
			if cols == 0 {
				continue
			}
			d := fakeData(tokens, l, p, cols)
			if f.bad > 0 && tokens[0] == f.bad && l == 1 && p == model.PointZ {
				d[len(d)/2] = float32(math.NaN())
			}
			streams = append(streams, stream{l, p, d, cols})
		}
	}
	if obs == nil {
		return nil
	}
	for t0 := 0; t0 < len(tokens); t0 += f.chunk {
		t1 := min(t0+f.chunk, len(tokens))
		for _, st := range streams {
			obs.Observe(st.layer, st.p, t1-t0, st.cols, st.data[t0*st.cols:t1*st.cols])
		}
	}
	return nil
}

func (s *fakeSession) SSMState(layer int) []float32 { return fakeState(s.tokens, layer, s.f.cfg) }

func fakeDataset(n, L int, seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 0))
	ds := &Dataset{}
	for i := range n {
		s := make([]int, L-i%3) // lengths vary
		for j := range s {
			s[j] = r.IntN(64)
		}
		ds.Samples = append(ds.Samples, s)
	}
	return ds
}

// headGroups maps the E channels of fakeCfg to 3 groups of uneven size.
var headGroups = []int{0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 0, 0, 2, 2, 2, 1}

func fullPlan(cfg formats.Config, alpha float64) Plan {
	all := AllLayers(cfg, model.Points()...)
	var usable []Target
	for _, t := range all {
		if model.PointCols(cfg, t.Point) > 0 {
			usable = append(usable, t)
		}
	}
	stateGroups := make([][]int, cfg.NLayer)
	for l := range stateGroups {
		stateGroups[l] = make([]int, cfg.DInner)
		for c := range stateGroups[l] {
			stateGroups[l][c] = (c * 3 / cfg.DInner) ^ (l % 2)
		}
	}
	p := Plan{
		MinMax: usable, Percentile: usable, Alpha: alpha, ChannelMeanAbs: AllLayers(cfg, model.PointX, model.PointB),
		Histogram: AllLayers(cfg, model.PointX, model.PointLMHeadInput),
		State:     &StatePlan{Groups: stateGroups, Percentile: true},
	}
	for l := range cfg.NLayer {
		p.Grouped = append(p.Grouped, Grouping{Target{l, model.PointB}, SSDGroups(cfg)},
			Grouping{Target{l, model.PointC}, SSDGroups(cfg)})
		if cfg.DInner == len(headGroups) {
			p.Grouped = append(p.Grouped, Grouping{Target{l, model.PointX}, headGroups})
		}
	}
	return p
}

// TestObserversAgainstBruteForce checks every statistic against a float64
// reference computed here from the same activations.
func TestObserversAgainstBruteForce(t *testing.T) {
	cfg := fakeCfg
	for _, alpha := range []float64{0.99999, 0.9, 0.5} {
		ds := fakeDataset(7, 23, 11)
		plan := fullPlan(cfg, alpha)
		st, err := Calibrate(context.Background(), &fakeModel{cfg: cfg, chunk: 5}, plan, ds, Options{Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		if st.Samples() != len(ds.Samples) {
			t.Fatalf("%d samples merged, want %d", st.Samples(), len(ds.Samples))
		}
		for _, tg := range plan.MinMax {
			cols := model.PointCols(cfg, tg.Point)
			mn, mx := math.Inf(1), math.Inf(-1)
			var ema float64
			for i, s := range ds.Samples {
				d := fakeData(s, tg.Layer, tg.Point, cols)
				for _, v := range d {
					mn, mx = math.Min(mn, float64(v)), math.Max(mx, float64(v))
				}
				q := refQuantile(d, alpha)
				if i == 0 {
					ema = q
				} else {
					ema += 0.01 * (q - ema)
				}
			}
			mm, err := st.MinMax(tg.Layer, tg.Point)
			if err != nil {
				t.Fatal(err)
			}
			if float64(mm.Min) != mn || float64(mm.Max) != mx || float64(mm.AbsMax) != math.Max(-mn, mx) {
				t.Errorf("%v: min-max %+v, want min %v max %v", tg, mm, mn, mx)
			}
			if am, _ := st.AbsMax(tg.Layer, tg.Point); am != mm.AbsMax {
				t.Errorf("%v: AbsMax %v, MinMax.AbsMax %v", tg, am, mm.AbsMax)
			}
			got, err := st.Percentile(tg.Layer, tg.Point)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-ema) > 1e-12*ema {
				t.Errorf("alpha %v %v: percentile EMA %v, by hand %v", alpha, tg, got, ema)
			}
		}
		for _, tg := range plan.ChannelMeanAbs {
			cols := model.PointCols(cfg, tg.Point)
			want := make([]float64, cols)
			for _, s := range ds.Samples {
				d := fakeData(s, tg.Layer, tg.Point, cols)
				for c := range cols {
					var sum float64
					for r := range len(s) {
						sum += math.Abs(float64(d[r*cols+c]))
					}
					want[c] = math.Max(want[c], sum/float64(len(s)))
				}
			}
			got, err := st.ChannelMeanAbs(tg.Layer, tg.Point)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%v: channel mean |x| %v, want %v", tg, got, want)
			}
		}
		for _, g := range plan.Grouped {
			cols := model.PointCols(cfg, g.Point)
			want := make([]float32, slices.Max(g.Groups)+1)
			for _, s := range ds.Samples {
				d := fakeData(s, g.Layer, g.Point, cols)
				for i, v := range d {
					k := g.Groups[i%cols]
					want[k] = float32(math.Max(float64(want[k]), math.Abs(float64(v))))
				}
			}
			got, err := st.GroupAbsMax(g.Layer, g.Point)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%v: group max %v, want %v", g.Target, got, want)
			}
		}
		for _, tg := range plan.Histogram {
			cols := model.PointCols(cfg, tg.Point)
			var all []float32
			for _, s := range ds.Samples {
				all = append(all, fakeData(s, tg.Layer, tg.Point, cols)...)
			}
			want := histOf(all)
			got, err := st.Histogram(tg.Layer, tg.Point)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Counts, want.Counts) || got.Max != want.Max {
				t.Errorf("%v: histogram differs from direct counting (max %v, want %v)", tg, got.Max, want.Max)
			}
		}
		N := cfg.DState
		for l := range cfg.NLayer {
			groups := plan.State.Groups[l]
			want := make([]float32, (slices.Max(groups)+1)*N)
			var ema float64
			for i, s := range ds.Samples {
				h := fakeState(s, l, cfg)
				for j, v := range h {
					k := groups[j/N]*N + j%N
					want[k] = float32(math.Max(float64(want[k]), math.Abs(float64(v))))
				}
				q := refQuantile(h, alpha)
				if i == 0 {
					ema = q
				} else {
					ema += 0.01 * (q - ema)
				}
			}
			got, err := st.StateAbsMax(l)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("layer %d: state max %v, want %v", l, got, want)
			}
			q, err := st.StatePercentile(l)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(q-ema) > 1e-12*ema {
				t.Errorf("layer %d: state percentile %v, by hand %v", l, q, ema)
			}
		}
	}
}

func TestStatePerTensor(t *testing.T) {
	cfg := fakeCfg
	ds := fakeDataset(3, 9, 2)
	st, err := Calibrate(context.Background(), &fakeModel{cfg: cfg, chunk: 4}, Plan{State: &StatePlan{}}, ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for l := range cfg.NLayer {
		var want float64
		for _, s := range ds.Samples {
			for _, v := range fakeState(s, l, cfg) {
				want = math.Max(want, math.Abs(float64(v)))
			}
		}
		got, err := st.StateAbsMax(l)
		if err != nil || len(got) != 1 || float64(got[0]) != want {
			t.Errorf("layer %d: per-tensor state max %v (%v), want [%v]", l, got, err, want)
		}
		if _, err := st.StatePercentile(l); err == nil {
			t.Errorf("layer %d: state percentile without asking", l)
		}
	}
	if _, err := st.AbsMax(0, model.PointX); err == nil || !strings.Contains(err.Error(), "layer 0 point x") {
		t.Errorf("missing statistic: %v", err)
	}
}

func TestWorkersDoNotChangeStats(t *testing.T) {
	ds := fakeDataset(13, 17, 5)
	plan := fullPlan(fakeCfg, 0.999)
	var ref *Stats
	for _, w := range []int{1, 2, 3, 8} {
		st, err := Calibrate(context.Background(), &fakeModel{cfg: fakeCfg, chunk: 3}, plan, ds, Options{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = st
		} else if !reflect.DeepEqual(ref, st) {
			t.Errorf("%d workers give other statistics than 1", w)
		}
	}
}

func TestCalibrateErrors(t *testing.T) {
	ds := fakeDataset(6, 8, 1)
	ctx := context.Background()
	fm := &fakeModel{cfg: fakeCfg, chunk: 3}
	good := Plan{MinMax: AllLayers(fakeCfg, model.PointX)}
	cases := []struct {
		name string
		plan Plan
		want string
	}{
		{"empty plan", Plan{}, "no statistic"},
		{"dt_low on mamba2", Plan{MinMax: []Target{{0, model.PointDtLow}}}, "does not report"},
		{"layer out of range", Plan{MinMax: []Target{{2, model.PointX}}}, "layer outside"},
		{"lm head layer", Plan{MinMax: []Target{{0, model.PointLMHeadInput}}}, "layer -1"},
		{"duplicate", Plan{Histogram: []Target{{0, model.PointX}, {0, model.PointX}}}, "twice"},
		{"alpha", Plan{Percentile: []Target{{0, model.PointX}}, Alpha: 1.5}, "alpha"},
		{"alpha NaN", Plan{Percentile: []Target{{0, model.PointX}}, Alpha: math.NaN()}, "alpha"},
		{"mapping length", Plan{Grouped: []Grouping{{Target{0, model.PointB}, []int{0, 1}}}}, "2 entries"},
		{"mapping negative", Plan{Grouped: []Grouping{{Target{0, model.PointB}, []int{0, 0, 0, 0, 1, 1, 1, -1}}}}, "group -1"},
		{"state layers", Plan{State: &StatePlan{Groups: [][]int{headGroups}}}, "1 layers"},
	}
	for _, c := range cases {
		_, err := Calibrate(ctx, fm, c.plan, ds, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	check := func(name string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, want)
		}
	}
	_, err := Calibrate(ctx, nil, good, ds, Options{})
	check("nil model", err, "nil model")
	_, err = Calibrate(ctx, fm, good, &Dataset{}, Options{})
	check("no samples", err, "no calibration samples")
	_, err = Calibrate(ctx, fm, good, &Dataset{Samples: [][]int{{1, 2}, {}}}, Options{})
	check("empty sample", err, "sample 1 is empty")
	_, err = Calibrate(ctx, fm, good, &Dataset{Samples: [][]int{{1, 64}}}, Options{})
	check("token", err, "outside the vocabulary")

	fail := ds.Samples[4][0]
	_, err = Calibrate(ctx, &fakeModel{cfg: fakeCfg, chunk: 3, fail: fail}, good, ds, Options{Workers: 2})
	check("run failure", err, "fake failure")
	_, err = Calibrate(ctx, &fakeModel{cfg: fakeCfg, chunk: 3, bad: fail}, Plan{Histogram: []Target{{1, model.PointZ}}}, ds, Options{Workers: 2})
	check("NaN", err, "layer 1 point z: non-finite")

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Calibrate(cctx, fm, good, ds, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	// Cancel from the progress callback in the middle of the run.
	cctx, cancel = context.WithCancel(ctx)
	defer cancel()
	_, err = Calibrate(cctx, fm, good, fakeDataset(40, 8, 3), Options{Workers: 2, Progress: func(p Progress) {
		if p.Done == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled mid-run: %v", err)
	}
}

// shortModel reports fewer rows than tokens for one point.
type shortModel struct{ fakeModel }

func (m *shortModel) NewSession() Session { return &shortSession{fakeSession{f: &m.fakeModel}} }

type shortSession struct{ fakeSession }

func (s *shortSession) Run(tokens []int, obs model.Observer) error {
	return s.fakeSession.Run(tokens, model.ObserverFunc(func(l int, p model.Point, rows, cols int, d []float32) {
		if l == 0 && p == model.PointX {
			rows--
			d = d[:rows*cols]
		}
		obs.Observe(l, p, rows, cols, d)
	}))
}

func TestCalibrateShapeErrors(t *testing.T) {
	ds := fakeDataset(1, 8, 1)
	sm := &shortModel{fakeModel{cfg: fakeCfg, chunk: 100}}
	_, err := Calibrate(context.Background(), sm, Plan{Percentile: []Target{{0, model.PointX}}, Alpha: 0.9}, ds, Options{})
	if err == nil || !strings.Contains(err.Error(), "layer 0 point x: the model reported 7 rows, want 8") {
		t.Errorf("short rows: %v", err)
	}
	cfg := fakeCfg
	cfg.DInner = 12 // the fake then reports 16-column x for a 12-column config
	wrong := &fakeModel{cfg: fakeCfg, chunk: 4}
	o := newSampleObs(cfg, &Plan{MinMax: []Target{{0, model.PointZ}}})
	o.begin(8)
	sess := wrong.NewSession()
	if err := sess.Run(ds.Samples[0], o); err != nil {
		t.Fatal(err)
	}
	if err := o.finish(sess); err == nil || !strings.Contains(err.Error(), "want 12 columns") {
		t.Errorf("wrong columns: %v", err)
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("counts allocations: the race detector allocates")
	}
	cfg := fakeCfg
	plan := fullPlan(cfg, 0.9995)
	o := newSampleObs(cfg, &plan)
	tokens := make([]int, 32)
	data := map[Target][]float32{}
	for _, s := range o.slots {
		data[s.t] = fakeData(tokens, s.t.Layer, s.t.Point, s.cols)
	}
	run := func() {
		o.begin(len(tokens))
		for t0 := 0; t0 < len(tokens); t0 += 8 {
			for _, s := range o.slots {
				d := data[s.t]
				o.Observe(s.t.Layer, s.t.Point, 8, s.cols, d[t0*s.cols:(t0+8)*s.cols])
			}
		}
	}
	run()
	if a := testing.AllocsPerRun(5, run); a != 0 {
		t.Errorf("a sample's Observe calls allocate %v times", a)
	}
}

// TestReorderWindowIsBounded holds sample 0 back and checks that the other
// worker runs at most 2·Workers samples ahead of the merge.
func TestReorderWindowIsBounded(t *testing.T) {
	ds := &Dataset{}
	for i := range 40 {
		ds.Samples = append(ds.Samples, []int{1 + i, 5, 9, 2, 6, 5}) // distinct samples of 6 tokens
	}
	ds.Samples[0][0] = 63
	var started atomic.Int32
	fm := &fakeModel{cfg: fakeCfg, chunk: 4, onRun: func(tokens []int) {
		started.Add(1)
		if tokens[0] == 63 {
			time.Sleep(100 * time.Millisecond)
		}
	}}
	var atFirst int32
	st, err := Calibrate(context.Background(), fm, Plan{MinMax: AllLayers(fakeCfg, model.PointX)}, ds, Options{Workers: 2,
		Progress: func(p Progress) {
			if p.Done == 1 {
				atFirst = started.Load()
			}
			if p.Total != 40 || p.TotalTokens != 240 || p.Tokens != int64(6*p.Done) {
				t.Errorf("progress %+v", p)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if atFirst < 2 || atFirst > 4 {
		t.Errorf("%d samples started before sample 0 was merged, want 2 to 4 (2 workers, window 4)", atFirst)
	}
	if st.Summary.Samples != 40 || st.Summary.Tokens != 240 {
		t.Errorf("summary %+v", st.Summary)
	}
}
