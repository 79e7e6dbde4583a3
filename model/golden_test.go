package model

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/quamba/quamba/formats"
)

// golden reads the tensors of a golden.safetensors file written by the
// PyTorch reference (tools/reference).
type golden struct {
	t  *testing.T
	st *formats.Safetensors
}

func (g golden) f32(name string, shape ...int) []float32 {
	g.t.Helper()
	data, got, err := g.st.Float32(name)
	if err != nil {
		g.t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(shape) {
		g.t.Fatalf("golden %s has shape %v, want %v", name, got, shape)
	}
	return data
}

func (g golden) raw(name string, dtype formats.DType) []byte {
	g.t.Helper()
	info, b, err := g.st.Raw(name)
	if err != nil {
		g.t.Fatal(err)
	}
	if info.DType != dtype || len(info.Shape) != 1 {
		g.t.Fatalf("golden %s is %s %v, want a vector of %s", name, info.DType, info.Shape, dtype)
	}
	return b
}

func (g golden) i32(name string) []int {
	b := g.raw(name, formats.I32)
	out := make([]int, len(b)/4)
	for i := range out {
		out[i] = int(int32(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return out
}

func (g golden) f64(name string) []float64 {
	b := g.raw(name, formats.F64)
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

// TestGolden compares the engine with the PyTorch reference on the two
// models trained on Tiny Shakespeare (testdata/*-shakespeare): logits in
// sequence and step mode, final decode states, greedy continuation and the
// held-out perplexity. QUAMBA_GOLDEN_ROOT replaces ../testdata as the
// directory holding the model directories and shakespeare-heldout.txt.
func TestGolden(t *testing.T) {
	root := os.Getenv("QUAMBA_GOLDEN_ROOT")
	if root == "" {
		root = filepath.Join("..", "testdata")
	}
	for _, name := range []string{"mamba1-shakespeare", "mamba2-shakespeare"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			path := filepath.Join(dir, "golden.safetensors")
			if _, err := os.Stat(dir); os.IsNotExist(err) {
				t.Skipf("no model directory %s", dir)
			}
			m, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			st, err := formats.OpenSafetensors(path)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			g := golden{t, st}
			cfg := m.Config
			V := cfg.PaddedVocab

			prompt := g.i32("prompt_tokens")
			T := len(prompt)
			want := g.f32("logits", T, V)
			got := make([]float32, T*V)
			s := m.NewState()
			if err := m.Forward(s, prompt, got); err != nil {
				t.Fatal(err)
			}
			check := func(what string, got, want []float32, tol float64) {
				t.Helper()
				var d float64
				at := 0
				for i := range want {
					if e := math.Abs(float64(got[i] - want[i])); e > d || math.IsNaN(e) {
						d, at = e, i
					}
				}
				if !(d <= tol) {
					t.Errorf("%s: max difference %g at %d (got %g, want %g), tolerance %g", what, d, at, got[at], want[at], tol)
				} else {
					t.Logf("%s: max difference %.3g", what, d)
				}
			}
			check("sequence-mode logits", got, want, 1e-4)

			Cc, K := convDim(cfg), cfg.DConv
			for i := range cfg.NLayer {
				check(fmt.Sprintf("layer %d conv state", i), s.ConvState(i),
					g.f32(fmt.Sprintf("final.layers.%d.conv_state", i), Cc, K), 1e-4)
				ssmShape := []int{cfg.DInner, cfg.DState}
				if cfg.Arch == formats.Mamba2 {
					ssmShape = []int{cfg.NHeads, cfg.HeadDim, cfg.DState}
				}
				check(fmt.Sprintf("layer %d ssm state", i), s.SSMState(i),
					g.f32(fmt.Sprintf("final.layers.%d.ssm_state", i), ssmShape...), 1e-4)
			}

			stepS := m.NewState()
			for i, tok := range prompt {
				if err := m.Step(stepS, tok, got[i*V:(i+1)*V]); err != nil {
					t.Fatal(err)
				}
			}
			check("step-mode logits", got, want, 1e-4)

			wantGreedy := g.i32("greedy_tokens")
			greedy, err := m.Greedy(m.NewState(), prompt, len(wantGreedy))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(greedy) != fmt.Sprint(wantGreedy) {
				t.Errorf("greedy continuation\n got %v\nwant %v", greedy, wantGreedy)
			}

			text, err := os.ReadFile(filepath.Join(root, "shakespeare-heldout.txt"))
			if err != nil {
				t.Fatal(err)
			}
			toks := make([]int, len(text))
			for i, b := range text {
				toks[i] = int(b)
			}
			res, err := m.Perplexity(context.Background(), toks, PerplexityWindow, nil)
			if err != nil {
				t.Fatal(err)
			}
			wantNLL := g.f64("ppl_window_nll")
			if len(res.WindowNLL) != len(wantNLL) {
				t.Fatalf("%d perplexity windows, golden has %d", len(res.WindowNLL), len(wantNLL))
			}
			var total, worst float64
			for i, w := range wantNLL {
				total += w
				worst = max(worst, math.Abs(res.WindowNLL[i]-w)/math.Abs(w))
			}
			if worst > 1e-5 {
				t.Errorf("window NLL relative error up to %g", worst)
			}
			if rel := math.Abs(res.NLL-total) / total; rel > 1e-5 {
				t.Errorf("total NLL %g, golden %g (relative error %g)", res.NLL, total, rel)
			}
			t.Logf("perplexity %.6f over %d predictions, worst window relative error %.2g", res.PPL(), res.Predictions, worst)
			checkGoldenJSON(t, dir, res)
		})
	}
}

// checkGoldenJSON compares the perplexity totals of golden.json
// ("perplexity": windows, predictions, total_nll, ppl).
func checkGoldenJSON(t *testing.T, dir string, res PerplexityResult) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Perplexity struct {
			Windows     int     `json:"windows"`
			Predictions int     `json:"predictions"`
			TotalNLL    float64 `json:"total_nll"`
			PPL         float64 `json:"ppl"`
		} `json:"perplexity"`
	}
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("golden.json: %v", err)
	}
	p := info.Perplexity
	if p.Windows != len(res.WindowNLL) || p.Predictions != res.Predictions {
		t.Errorf("%d windows, %d predictions; golden.json has %d, %d", len(res.WindowNLL), res.Predictions, p.Windows, p.Predictions)
	}
	if rel := math.Abs(res.NLL-p.TotalNLL) / p.TotalNLL; !(rel <= 1e-5) {
		t.Errorf("total NLL %.10g, golden %.10g (relative error %g)", res.NLL, p.TotalNLL, rel)
	}
	if rel := math.Abs(res.PPL()-p.PPL) / p.PPL; !(rel <= 1e-5) {
		t.Errorf("perplexity %.10g, golden %.10g (relative error %g)", res.PPL(), p.PPL, rel)
	}
}
