package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/quamba/quamba/formats"
)

// mapSource is an in-memory TensorSource.
type mapSource struct {
	shapes  map[string][]int
	tensors map[string][]float32
}

func (m *mapSource) Tensor(name string, shape ...int) ([]float32, error) {
	t, ok := m.tensors[name]
	if !ok {
		return nil, fmt.Errorf("no tensor %q", name)
	}
	if !slices.Equal(m.shapes[name], shape) {
		return nil, fmt.Errorf("tensor %s has shape %v, want %v", name, m.shapes[name], shape)
	}
	return t, nil
}

// testConfig returns a small configuration. Mamba1: d_model 40 (not a power
// of two); Mamba2: d_model 48, 6 heads of 16, ngroups as given.
func testConfig(arch formats.Arch, nGroups int) formats.Config {
	cfg := formats.Config{
		Arch: arch, Convention: formats.StateSpaces, NLayer: 2, VocabSize: 50, PaddedVocab: 56,
		PadVocabSizeMultiple: 8, DConv: 4, Expand: 2, ConvBias: true, RMSNorm: true,
		ResidualInFP32: true, TieEmbeddings: true, NormEps: 1e-5,
	}
	if arch == formats.Mamba1 {
		cfg.DModel, cfg.DState, cfg.DtRank = 40, 8, 3
	} else {
		cfg.DModel, cfg.DState, cfg.HeadDim, cfg.NGroups = 48, 8, 16, nGroups
		cfg.TieEmbeddings = false
		cfg.DtLimitMax = math.Inf(1)
		cfg.ChunkSize = 16
	}
	cfg.DInner = cfg.Expand * cfg.DModel
	if arch == formats.Mamba2 {
		cfg.NHeads = cfg.DInner / cfg.HeadDim
	}
	return cfg
}

// testSource draws the standard init and then moves it away from the
// near-identity start (as a trained model is), so every term matters.
func testSource(t testing.TB, cfg formats.Config, seed uint64) *mapSource {
	t.Helper()
	init, err := RandomTensors(cfg, int64(seed))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	src := &mapSource{shapes: map[string][]int{}, tensors: map[string][]float32{}}
	for _, ti := range init.Tensors() {
		data, err := init.Tensor(ti.Name, ti.Shape...)
		if err != nil {
			t.Fatal(err)
		}
		for j := range data {
			if len(ti.Name) > 5 && ti.Name[len(ti.Name)-5:] == "A_log" {
				data[j] = float32(math.Log(0.5 + 8*rng.Float64()))
			} else {
				data[j] += float32(0.1 * rng.NormFloat64())
			}
		}
		src.shapes[ti.Name], src.tensors[ti.Name] = ti.Shape, data
	}
	if cfg.TieEmbeddings {
		src.shapes["lm_head.weight"] = src.shapes["backbone.embedding.weight"]
		src.tensors["lm_head.weight"] = src.tensors["backbone.embedding.weight"]
	}
	return src
}

func randomTokens(n, vocab int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 11))
	toks := make([]int, n)
	for i := range toks {
		toks[i] = rng.IntN(vocab)
	}
	return toks
}

// naiveModel is an independent float64 reference: the textbook recurrence of
// quamba.md §1, one token at a time, reading the tensors by name.
type naiveModel struct {
	cfg  formats.Config
	w    map[string][]float64
	conv [][]float64 // per layer [Cc, K]
	ssm  [][]float64 // per layer Mamba1 [E, N]; Mamba2 [H, P, N]
}

func newNaive(cfg formats.Config, src *mapSource) *naiveModel {
	n := &naiveModel{cfg: cfg, w: map[string][]float64{}}
	for name, t := range src.tensors {
		v := make([]float64, len(t))
		for i, x := range t {
			v[i] = float64(x)
		}
		n.w[name] = v
	}
	Cc := cfg.DInner
	if cfg.Arch == formats.Mamba2 {
		Cc += 2 * cfg.NGroups * cfg.DState
	}
	for range cfg.NLayer {
		n.conv = append(n.conv, make([]float64, Cc*cfg.DConv))
		n.ssm = append(n.ssm, make([]float64, cfg.DInner*cfg.DState))
	}
	return n
}

func nmatvec(w, x []float64, rows int) []float64 {
	k := len(x)
	y := make([]float64, rows)
	for r := range y {
		for j := 0; j < k; j++ {
			y[r] += w[r*k+j] * x[j]
		}
	}
	return y
}

func nrms(x, w []float64, eps float64) []float64 {
	var ss float64
	for _, v := range x {
		ss += v * v
	}
	r := 1 / math.Sqrt(ss/float64(len(x))+eps)
	out := make([]float64, len(x))
	for i := range x {
		out[i] = x[i] * r * w[i]
	}
	return out
}

func nsilu(v float64) float64 { return v / (1 + math.Exp(-v)) }

func nsoftplus(v float64) float64 {
	if v > 20 {
		return v
	}
	return math.Log1p(math.Exp(v))
}

// step feeds one token and returns its logits.
func (n *naiveModel) step(tok int) []float64 {
	cfg := n.cfg
	D, E, N, K := cfg.DModel, cfg.DInner, cfg.DState, cfg.DConv
	res := slices.Clone(n.w["backbone.embedding.weight"][tok*D : (tok+1)*D])
	for i := 0; i < cfg.NLayer; i++ {
		p := fmt.Sprintf("backbone.layers.%d.", i)
		w := func(s string) []float64 { return n.w[p+s] }
		u := nrms(res, w("norm.weight"), cfg.NormEps)
		in := nmatvec(w("mixer.in_proj.weight"), u, len(w("mixer.in_proj.weight"))/D)
		var z, pre []float64
		if cfg.Arch == formats.Mamba1 {
			pre, z = in[:E], in[E:2*E]
		} else {
			Cc := E + 2*cfg.NGroups*N
			z, pre = in[:E], in[E:E+Cc]
		}
		// conv: shift the state left, append, dot with the kernel.
		st, cw, cb := n.conv[i], w("mixer.conv1d.weight"), w("mixer.conv1d.bias")
		conv := make([]float64, len(pre))
		for c := range pre {
			copy(st[c*K:], st[c*K+1:(c+1)*K])
			st[c*K+K-1] = pre[c]
			var acc float64
			if cb != nil {
				acc = cb[c]
			}
			for k := 0; k < K; k++ {
				acc += cw[c*K+k] * st[c*K+k]
			}
			conv[c] = nsilu(acc)
		}
		y := make([]float64, E)
		h := n.ssm[i]
		if cfg.Arch == formats.Mamba1 {
			R := cfg.DtRank
			x := conv
			dbc := nmatvec(w("mixer.x_proj.weight"), x, R+2*N)
			dt := nmatvec(w("mixer.dt_proj.weight"), dbc[:R], E)
			Bv, Cv := dbc[R:R+N], dbc[R+N:]
			for c := 0; c < E; c++ {
				d := nsoftplus(dt[c] + w("mixer.dt_proj.bias")[c])
				for s := 0; s < N; s++ {
					A := -math.Exp(w("mixer.A_log")[c*N+s])
					h[c*N+s] = math.Exp(d*A)*h[c*N+s] + d*Bv[s]*x[c]
					y[c] += Cv[s] * h[c*N+s]
				}
				y[c] += w("mixer.D")[c] * x[c]
				y[c] *= nsilu(z[c])
			}
		} else {
			H, P, G := cfg.NHeads, cfg.HeadDim, cfg.NGroups
			x, Bv, Cv := conv[:E], conv[E:E+G*N], conv[E+G*N:]
			dtRaw := in[E+len(pre):]
			for hh := 0; hh < H; hh++ {
				g := hh / (H / G)
				d := nsoftplus(dtRaw[hh] + w("mixer.dt_bias")[hh])
				if lo, hi := cfg.DtLimitMin, cfg.DtLimitMax; lo != 0 || !math.IsInf(hi, 1) {
					d = min(max(d, lo), hi)
				}
				A := -math.Exp(w("mixer.A_log")[hh])
				for pp := 0; pp < P; pp++ {
					c := hh*P + pp
					for s := 0; s < N; s++ {
						j := c*N + s
						h[j] = math.Exp(d*A)*h[j] + d*x[c]*Bv[g*N+s]
						y[c] += Cv[g*N+s] * h[j]
					}
					y[c] += w("mixer.D")[hh] * x[c]
				}
			}
			gs := E / G
			for g := 0; g < G; g++ {
				v := make([]float64, gs)
				for j := range v {
					v[j] = y[g*gs+j] * nsilu(z[g*gs+j])
				}
				copy(y[g*gs:], nrms(v, w("mixer.norm.weight")[g*gs:(g+1)*gs], cfg.NormEps))
			}
		}
		out := nmatvec(w("mixer.out_proj.weight"), y, D)
		for j := range res {
			res[j] += out[j]
		}
	}
	hf := nrms(res, n.w["backbone.norm_f.weight"], cfg.NormEps)
	return nmatvec(n.w["lm_head.weight"], hf, cfg.PaddedVocab)
}

type archCase struct {
	name string
	cfg  formats.Config
}

func archCases() []archCase {
	return []archCase{
		{"mamba1", testConfig(formats.Mamba1, 0)},
		{"mamba2-g1", testConfig(formats.Mamba2, 1)},
		{"mamba2-g2", testConfig(formats.Mamba2, 2)},
		{"mamba1-no-conv-bias", func() formats.Config {
			c := testConfig(formats.Mamba1, 0)
			c.ConvBias = false
			return c
		}()},
		{"mamba2-dt-limit", func() formats.Config {
			c := testConfig(formats.Mamba2, 3)
			c.DtLimitMin, c.DtLimitMax = 0.05, 0.4
			return c
		}()},
	}
}

func maxDiff(a []float32, b []float64) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-b[i]))
	}
	return d
}

func TestMatchesNaiveReference(t *testing.T) {
	for _, tc := range archCases() {
		t.Run(tc.name, func(t *testing.T) {
			src := testSource(t, tc.cfg, 1)
			m, err := New(tc.cfg, src)
			if err != nil {
				t.Fatal(err)
			}
			const T = 37
			V := tc.cfg.PaddedVocab
			toks := randomTokens(T, tc.cfg.VocabSize, 2)
			ref := newNaive(tc.cfg, src)
			want := make([]float64, 0, T*V)
			for _, tok := range toks {
				want = append(want, ref.step(tok)...)
			}

			seq := m.NewState()
			got := make([]float32, T*V)
			if err := m.Forward(seq, toks, got); err != nil {
				t.Fatal(err)
			}
			if d := maxDiff(got, want); d > 1e-4 {
				t.Errorf("sequence mode: max |logit - reference| = %g", d)
			}

			step := m.NewState()
			for i, tok := range toks {
				if err := m.Step(step, tok, got[i*V:(i+1)*V]); err != nil {
					t.Fatal(err)
				}
			}
			if d := maxDiff(got, want); d > 1e-4 {
				t.Errorf("step mode: max |logit - reference| = %g", d)
			}

			for i := range tc.cfg.NLayer {
				for _, s := range []*State{seq, step} {
					if d := maxDiff(s.ConvState(i), ref.conv[i]); d > 1e-5 {
						t.Errorf("layer %d conv state differs by %g", i, d)
					}
					if d := maxDiff(s.SSMState(i), ref.ssm[i]); d > 1e-4 {
						t.Errorf("layer %d ssm state differs by %g", i, d)
					}
				}
			}
		})
	}
}

func TestPrefillThenStepsEqualsLongPrefill(t *testing.T) {
	for _, tc := range archCases() {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg, testSource(t, tc.cfg, 3))
			if err != nil {
				t.Fatal(err)
			}
			// Longer than one chunk, so the chunk boundary is crossed too.
			T, split, V := chunkTokens+45, 200, tc.cfg.PaddedVocab
			toks := randomTokens(T, tc.cfg.VocabSize, 4)
			long := make([]float32, T*V)
			sl := m.NewState()
			if err := m.Forward(sl, toks, long); err != nil {
				t.Fatal(err)
			}
			got := make([]float32, T*V)
			s := m.NewState()
			if err := m.Forward(s, toks[:split], got[:split*V]); err != nil {
				t.Fatal(err)
			}
			for i := split; i < T; i++ {
				if err := m.Step(s, toks[i], got[i*V:(i+1)*V]); err != nil {
					t.Fatal(err)
				}
			}
			var d float64
			for i := range long {
				d = max(d, math.Abs(float64(long[i]-got[i])))
			}
			// Decode runs the streaming GEMV and prefill the blocked GEMM,
			// which sum in different orders: the logits agree to float32
			// rounding.
			if d > 1e-5 {
				t.Errorf("prefill+steps vs long prefill: max logit difference %g", d)
			}
			// Last-token logits agree with the full output.
			last := make([]float32, V)
			s.Reset()
			if err := m.Forward(s, toks, last); err != nil {
				t.Fatal(err)
			}
			for j := range last {
				if math.Abs(float64(last[j]-long[(T-1)*V+j])) > 1e-5 {
					t.Fatalf("last-only logits differ at %d: %g vs %g", j, last[j], long[(T-1)*V+j])
				}
			}
		})
	}
}

// The scans split over goroutines by channel (Mamba1) or head (Mamba2), and
// run with a unit gate when an observer is set: neither may change a bit.
func TestScanSplitAndObserverKeepBits(t *testing.T) {
	cases := archCases()
	odd := testConfig(formats.Mamba1, 0)
	odd.DModel, odd.DInner = 42, 84 // a partial block of 8 channels
	wide1 := testConfig(formats.Mamba1, 0)
	wide1.DModel, wide1.DInner, wide1.DState, wide1.NLayer = 300, 600, 16, 1 // steps split too
	wide2 := testConfig(formats.Mamba2, 2)
	wide2.DModel, wide2.DInner, wide2.HeadDim, wide2.DState, wide2.NHeads, wide2.NLayer = 192, 384, 64, 32, 6, 1
	cases = append(cases, archCase{"mamba1-odd", odd}, archCase{"mamba1-wide", wide1}, archCase{"mamba2-wide", wide2})
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg, testSource(t, tc.cfg, 11))
			if err != nil {
				t.Fatal(err)
			}
			T, steps, V := chunkTokens+20, 4, tc.cfg.PaddedVocab
			toks := randomTokens(T+steps, tc.cfg.VocabSize, 12)
			run := func(procs int, obs Observer) []float32 {
				runtime.GOMAXPROCS(procs)
				s := m.NewState()
				s.Observer = obs
				out := make([]float32, (T+steps)*V)
				if err := m.Forward(s, toks[:T], out[:T*V]); err != nil {
					t.Fatal(err)
				}
				for i := T; i < T+steps; i++ {
					if err := m.Step(s, toks[i], out[i*V:(i+1)*V]); err != nil {
						t.Fatal(err)
					}
				}
				return out
			}
			want := run(1, nil)
			for _, v := range []struct {
				name  string
				procs int
				obs   Observer
			}{
				{"split", 4, nil},
				{"observed", 1, &recorder{}},
				{"split and observed", 4, &recorder{}},
			} {
				got := run(v.procs, v.obs)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%s: logit %d is %g, serial without observer %g", v.name, i, got[i], want[i])
					}
				}
			}
		})
	}
}
