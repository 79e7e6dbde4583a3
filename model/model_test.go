package model

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/internal/race"
)

func newTestModel(t testing.TB, cfg formats.Config) (*Model, *mapSource) {
	t.Helper()
	src := testSource(t, cfg, 5)
	m, err := New(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	return m, src
}

func wantErr(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", substr)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not contain %q", err, substr)
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	cfg := testConfig(formats.Mamba2, 2)
	fresh := func() *mapSource { return testSource(t, cfg, 6) }

	src := fresh()
	name := "backbone.layers.1.mixer.in_proj.weight"
	src.shapes[name] = []int{src.shapes[name][0] - 1, src.shapes[name][1]}
	_, err := New(cfg, src)
	wantErr(t, err, name)

	src = fresh()
	src.tensors["backbone.layers.0.mixer.D"][2] = float32(math.NaN())
	_, err = New(cfg, src)
	wantErr(t, err, "non-finite")

	src = fresh()
	src.tensors["lm_head.weight"][7] = float32(math.Inf(1))
	_, err = New(cfg, src)
	wantErr(t, err, "lm_head.weight")

	src = fresh()
	delete(src.tensors, "backbone.norm_f.weight")
	_, err = New(cfg, src)
	wantErr(t, err, "norm_f")

	src = fresh()
	src.tensors["backbone.layers.0.mixer.dt_bias"] = src.tensors["backbone.layers.0.mixer.dt_bias"][:2]
	_, err = New(cfg, src)
	wantErr(t, err, "elements")

	_, err = New(cfg, nil)
	wantErr(t, err, "nil")

	bad := []struct {
		change func(*formats.Config)
		msg    string
	}{
		{func(c *formats.Config) { c.Bias = true }, "biases"},
		{func(c *formats.Config) { c.RMSNorm = false }, "LayerNorm"},
		{func(c *formats.Config) { c.Arch = "mamba3" }, "architecture"},
		{func(c *formats.Config) { c.NHeads = 5 }, "headdim"},
		{func(c *formats.Config) { c.NGroups = 4 }, "ngroups"},
		{func(c *formats.Config) { c.DState = 0 }, "d_state"},
		{func(c *formats.Config) { c.DConv = 5 }, "d_conv"},
		{func(c *formats.Config) { c.PaddedVocab = 10 }, "padded vocab"},
		{func(c *formats.Config) { c.NormEps = 0 }, "epsilon"},
		{func(c *formats.Config) { c.DtLimitMin, c.DtLimitMax = 0.5, 0.1 }, "dt_limit"},
	}
	for _, b := range bad {
		c := cfg
		b.change(&c)
		_, err := New(c, fresh())
		wantErr(t, err, b.msg)
	}
	c := testConfig(formats.Mamba1, 0)
	c.DtRank = 0
	_, err = New(c, fresh())
	wantErr(t, err, "dt_rank")
}

func TestForwardRejectsBadInput(t *testing.T) {
	cfg := testConfig(formats.Mamba1, 0)
	m, _ := newTestModel(t, cfg)
	other, _ := newTestModel(t, cfg)
	s := m.NewState()
	V := cfg.PaddedVocab
	wantErr(t, m.Forward(s, []int{1, cfg.VocabSize}, nil), "outside the vocabulary")
	wantErr(t, m.Forward(s, []int{-1}, nil), "outside the vocabulary")
	wantErr(t, m.Step(s, cfg.VocabSize+100, nil), "outside the vocabulary")
	wantErr(t, m.Forward(s, []int{1, 2, 3}, make([]float32, 2*V)), "logits buffer")
	wantErr(t, m.Step(s, 1, make([]float32, V-1)), "logits buffer")
	wantErr(t, m.Forward(s, nil, make([]float32, V)), "empty")
	wantErr(t, m.Forward(other.NewState(), []int{1}, nil), "another model")
	wantErr(t, m.Forward(nil, []int{1}, nil), "another model")
	if err := m.Forward(s, nil, nil); err != nil {
		t.Fatalf("empty forward: %v", err)
	}
	// Rejected calls leave the state untouched.
	for i := range cfg.NLayer {
		for _, v := range s.SSMState(i) {
			if v != 0 {
				t.Fatal("a rejected call changed the state")
			}
		}
	}
}

func TestTiedLMHeadShared(t *testing.T) {
	cfg := testConfig(formats.Mamba1, 0)
	w, err := NewWeights(cfg, testSource(t, cfg, 5))
	if err != nil {
		t.Fatal(err)
	}
	if &w.LMHead[0] != &w.Embedding[0] {
		t.Error("tied lm_head is a copy of the embedding")
	}
	if c := w.Clone(); &c.LMHead[0] != &c.Embedding[0] || &c.Embedding[0] == &w.Embedding[0] {
		t.Error("a clone of tied weights is not tied to its own embedding")
	}
	cfg2 := testConfig(formats.Mamba2, 1)
	w2, err := NewWeights(cfg2, testSource(t, cfg2, 5))
	if err != nil {
		t.Fatal(err)
	}
	if &w2.LMHead[0] == &w2.Embedding[0] {
		t.Error("untied lm_head aliases the embedding")
	}
}

// recorder stores a copy of every observed activation.
type recorder struct {
	got map[[2]int][]float32
	dim map[[2]int][2]int
}

func (r *recorder) Observe(layer int, p Point, rows, cols int, data []float32) {
	if r.got == nil {
		r.got, r.dim = map[[2]int][]float32{}, map[[2]int][2]int{}
	}
	k := [2]int{layer, int(p)}
	r.got[k] = append(r.got[k], data...)
	d := r.dim[k]
	r.dim[k] = [2]int{d[0] + rows, cols}
}

func TestObserverSeesEveryPoint(t *testing.T) {
	for _, tc := range archCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			m, _ := newTestModel(t, cfg)
			const T = 9
			toks := randomTokens(T, cfg.VocabSize, 8)
			seq, step := &recorder{}, &recorder{}
			s := m.NewState()
			s.Observer = seq
			if err := m.Forward(s, toks, nil); err != nil {
				t.Fatal(err)
			}
			s2 := m.NewState()
			s2.Observer = step
			for _, tok := range toks {
				if err := m.Step(s2, tok, nil); err != nil {
					t.Fatal(err)
				}
			}
			D, E, N := cfg.DModel, cfg.DInner, cfg.DState
			cols := map[Point]int{PointInProjInput: D, PointConvInput: E, PointZ: E, PointX: E,
				PointB: N, PointC: N, PointDtLow: cfg.DtRank, PointDt: E, PointDelta: E, PointY: E,
				PointOutProjInput: E}
			if cfg.Arch == formats.Mamba2 {
				GN := cfg.NGroups * N
				cols[PointConvInput], cols[PointB], cols[PointC] = E+2*GN, GN, GN
				cols[PointDt], cols[PointDelta] = cfg.NHeads, cfg.NHeads
				delete(cols, PointDtLow)
			}
			want := len(cols)*cfg.NLayer + 1
			if len(seq.got) != want || len(step.got) != want {
				t.Fatalf("observed %d (sequence) and %d (step) points, want %d", len(seq.got), len(step.got), want)
			}
			for i := range cfg.NLayer {
				for p, c := range cols {
					k := [2]int{i, int(p)}
					if seq.dim[k] != [2]int{T, c} || step.dim[k] != [2]int{T, c} {
						t.Errorf("layer %d %v: shapes %v / %v, want [%d %d]", i, p, seq.dim[k], step.dim[k], T, c)
					}
					for j, v := range seq.got[k] {
						if math.Abs(float64(v-step.got[k][j])) > 1e-5 {
							t.Errorf("layer %d %v: sequence and step differ at %d: %g vs %g", i, p, j, v, step.got[k][j])
							break
						}
					}
				}
			}
			if seq.dim[[2]int{-1, int(PointLMHeadInput)}] != [2]int{T, D} {
				t.Errorf("lm_head input shape %v", seq.dim[[2]int{-1, int(PointLMHeadInput)}])
			}
		})
	}
}

func TestPerplexityProtocol(t *testing.T) {
	cfg := testConfig(formats.Mamba2, 2)
	m, src := newTestModel(t, cfg)
	const window = 16
	for _, n := range []int{3*window + 1, 3*window + 5, 2 * window} {
		toks := randomTokens(n, cfg.VocabSize, uint64(n))
		var wantNLL float64
		var wantPred, wantWin int
		for start := 0; start < n; start += window {
			win := toks[start:min(start+window, n)]
			if len(win) < 2 {
				continue
			}
			wantWin++
			ref := newNaive(cfg, src)
			for i := 0; i+1 < len(win); i++ {
				lg := ref.step(win[i])
				mx := math.Inf(-1)
				for _, v := range lg {
					mx = max(mx, v)
				}
				var sum float64
				for _, v := range lg {
					sum += math.Exp(v - mx)
				}
				wantNLL += mx + math.Log(sum) - lg[win[i+1]]
				wantPred++
			}
		}
		calls := 0
		res, err := m.Perplexity(context.Background(), toks, window, func(done, total int) {
			calls++
			if done != calls || total != wantWin {
				t.Errorf("progress(%d, %d) at call %d, want total %d", done, total, calls, wantWin)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Predictions != wantPred || len(res.WindowNLL) != wantWin || calls != wantWin {
			t.Fatalf("n=%d: %d predictions in %d windows, want %d in %d", n, res.Predictions, len(res.WindowNLL), wantPred, wantWin)
		}
		if rel := math.Abs(res.NLL-wantNLL) / wantNLL; rel > 1e-6 {
			t.Errorf("n=%d: NLL %g, reference %g (relative error %g)", n, res.NLL, wantNLL, rel)
		}
		if want := math.Exp(wantNLL / float64(wantPred)); math.Abs(res.PPL()-want)/want > 1e-6 {
			t.Errorf("n=%d: ppl %g, want %g", n, res.PPL(), want)
		}
	}
	_, err := m.Perplexity(context.Background(), []int{1}, window, nil)
	wantErr(t, err, "at least 2")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = m.Perplexity(ctx, randomTokens(40, cfg.VocabSize, 1), window, nil)
	wantErr(t, err, "canceled")
}

func TestGreedyMatchesArgmaxOfForward(t *testing.T) {
	cfg := testConfig(formats.Mamba1, 0)
	m, _ := newTestModel(t, cfg)
	prompt := randomTokens(12, cfg.VocabSize, 9)
	got, err := m.Greedy(m.NewState(), prompt, 10)
	if err != nil {
		t.Fatal(err)
	}
	seq := append([]int(nil), prompt...)
	V := cfg.PaddedVocab
	for range 10 {
		logits := make([]float32, len(seq)*V)
		if err := m.Forward(m.NewState(), seq, logits); err != nil {
			t.Fatal(err)
		}
		seq = append(seq, Argmax(logits[(len(seq)-1)*V:][:cfg.VocabSize]))
	}
	for i, tok := range got {
		if tok != seq[len(prompt)+i] {
			t.Fatalf("greedy token %d = %d, re-run prefill gives %d", i, tok, seq[len(prompt)+i])
		}
	}
	if Argmax([]float32{1, 3, 3, 2}) != 1 {
		t.Error("Argmax does not break ties to the lowest index")
	}
}

func TestStepDoesNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("counts allocations: the race detector allocates")
	}
	wide := testConfig(formats.Mamba1, 0)
	wide.DModel, wide.DInner, wide.NLayer = 256, 512, 1 // big enough to run in parallel
	for _, cfg := range []formats.Config{testConfig(formats.Mamba2, 2), wide} {
		m, _ := newTestModel(t, cfg)
		s := m.NewState()
		logits := make([]float32, m.Config.PaddedVocab)
		if err := m.Step(s, 1, logits); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(20, func() { _ = m.Step(s, 3, logits) }); n != 0 {
			t.Errorf("d_model %d: Step allocates %v times per token", cfg.DModel, n)
		}
	}
}

func TestStateCopyAndReset(t *testing.T) {
	cfg := testConfig(formats.Mamba1, 0)
	m, _ := newTestModel(t, cfg)
	V := cfg.PaddedVocab
	a, b := m.NewState(), m.NewState()
	toks := randomTokens(10, cfg.VocabSize, 12)
	if err := m.Forward(a, toks, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.CopyFrom(a); err != nil {
		t.Fatal(err)
	}
	la, lb := make([]float32, V), make([]float32, V)
	_ = m.Step(a, 4, la)
	_ = m.Step(b, 4, lb)
	for j := range la {
		if la[j] != lb[j] {
			t.Fatal("copied state continues differently")
		}
	}
	a.Reset()
	fresh := m.NewState()
	_ = m.Forward(a, toks, la)
	_ = m.Forward(fresh, toks, lb)
	for j := range la {
		if la[j] != lb[j] {
			t.Fatal("reset state differs from a new one")
		}
	}
	other, _ := newTestModel(t, cfg)
	wantErr(t, other.NewState().CopyFrom(a), "different models")
}

func TestConcurrentStates(t *testing.T) {
	cfg := testConfig(formats.Mamba2, 2)
	m, _ := newTestModel(t, cfg)
	V := cfg.PaddedVocab
	toks := randomTokens(50, cfg.VocabSize, 13)
	want := make([]float32, len(toks)*V)
	if err := m.Forward(m.NewState(), toks, want); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			got := make([]float32, len(toks)*V)
			if err := m.Forward(m.NewState(), toks, got); err != nil {
				errs <- err
				return
			}
			for i := range got {
				if got[i] != want[i] {
					errs <- fmt.Errorf("logit %d: %g, want %g", i, got[i], want[i])
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// ConvState reports the last d_conv conv inputs (PointConvInput) per
// channel, oldest first, whatever the sizes of the calls that fed them: the
// state is kept in blocks of channels, one of its rows outside the conv
// kernel's state.
func TestConvStateIsLastInputs(t *testing.T) {
	wide := testConfig(formats.Mamba2, 2)
	wide.DModel, wide.DInner, wide.HeadDim, wide.DState, wide.NHeads, wide.NLayer = 192, 384, 64, 72, 6, 1
	for _, K := range []int{1, 2, 3, 4} {
		for _, cfg := range []formats.Config{testConfig(formats.Mamba1, 0), wide} {
			cfg.DConv = K
			m, _ := newTestModel(t, cfg)
			s := m.NewState()
			rec := &recorder{}
			s.Observer = rec
			toks := randomTokens(40, cfg.VocabSize, 5)
			for i, n := 0, 1; i < len(toks); i, n = i+n, n%5+1 {
				if err := m.Forward(s, toks[i:min(i+n, len(toks))], nil); err != nil {
					t.Fatal(err)
				}
				Cc := convDim(cfg)
				for l := range cfg.NLayer {
					in := rec.got[[2]int{l, int(PointConvInput)}]
					T := len(in) / Cc
					got := s.ConvState(l)
					for c := range Cc {
						for k := range K {
							var want float32
							if tt := T - K + k; tt >= 0 {
								want = in[tt*Cc+c]
							}
							if got[c*K+k] != want {
								t.Fatalf("%s d_conv %d after %d tokens: layer %d conv state [%d, %d] = %g, want %g",
									cfg.Arch, K, T, l, c, k, got[c*K+k], want)
							}
						}
					}
				}
			}
		}
	}
}
