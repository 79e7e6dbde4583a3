package quant

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/tokenizer"
)

// bundled loads a bundled model's weights from testdata.
func bundled(t testing.TB, name string) *model.Weights {
	t.Helper()
	files, err := formats.OpenModel(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	w, err := model.NewWeights(files.Config, files)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// heldout is the held-out evaluation text as bytes (the bundled models are
// byte-level), which calibration never sees.
func heldout(t testing.TB) []int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "shakespeare-heldout.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return tokenizer.Bytes().Encode(string(b))
}

func calibData(t testing.TB, samples, seqLen int) *calib.Dataset {
	t.Helper()
	ds, err := calib.LoadData(calib.DataConfig{Files: []string{filepath.Join("..", "testdata", "shakespeare-calib.txt")},
		Tokenizer: tokenizer.Bytes(), Samples: samples, SeqLen: seqLen, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestCompileSchemesPerplexity(t *testing.T) {
	ds := calibData(t, 32, 256)
	toks := heldout(t)
	for _, name := range []string{"mamba1-shakespeare", "mamba2-shakespeare"} {
		w := bundled(t, name)
		fp, err := model.Build(w, model.Stages{})
		if err != nil {
			t.Fatal(err)
		}
		ref, err := model.Perplexity(context.Background(), fp, toks, model.PerplexityWindow, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s fp32 ppl %.5f", name, ref.PPL())
		for _, sc := range Schemes() {
			opt, _ := DefaultOptions(sc)
			c, err := Compile(context.Background(), w, ds, opt, CompileOptions{})
			if err != nil {
				t.Fatalf("%s %s: %v", name, sc, err)
			}
			sim, err := c.Simulate()
			if err != nil {
				t.Fatal(err)
			}
			r, err := model.Perplexity(context.Background(), sim, toks, model.PerplexityWindow, nil)
			if err != nil {
				t.Fatal(err)
			}
			change := 100 * (r.PPL()/ref.PPL() - 1)
			t.Logf("%s %-10s ppl %.5f (%+.2f%%)", name, sc, r.PPL(), change)
			// The accuracy the recipes must reach on held-out text.
			if limit, ok := map[Scheme]float64{W8A8: 0.5, W4A16: 2.5, W4A8: 3}[sc]; ok && change > limit {
				t.Errorf("%s %s: perplexity %+.2f%% vs FP32, limit +%.1f%%", name, sc, change, limit)
			}
		}
	}
}

// TestArtifactRoundTrip writes compiled models, reads them back and
// requires the same simulation to the bit, and byte-identical files
// whatever GOMAXPROCS.
func TestArtifactRoundTrip(t *testing.T) {
	ds := calibData(t, 8, 128)
	toks := heldout(t)[:300]
	for _, tc := range []struct {
		model  string
		scheme Scheme
	}{{"mamba1-shakespeare", W8A8}, {"mamba2-shakespeare", W4A8}, {"mamba2-shakespeare", W8A8}, {"mamba1-shakespeare", W4A16}} {
		w := bundled(t, tc.model)
		opt, _ := DefaultOptions(tc.scheme)
		var files [][]byte
		var first *Compiled
		for _, procs := range []int{1, 2} {
			prev := runtime.GOMAXPROCS(procs)
			c, err := Compile(context.Background(), w, ds, opt, CompileOptions{SourceDigest: "test"})
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "m.gguf")
			if err := WriteArtifact(path, c, tc.model); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, b)
			if first == nil {
				first = c
			}
		}
		if !bytes.Equal(files[0], files[1]) {
			t.Fatalf("%s %s: artifacts differ between GOMAXPROCS 1 and 2", tc.model, tc.scheme)
		}
		back, err := ParseArtifact("m.gguf", files[0])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Options, first.Options) {
			t.Errorf("options %+v read back as %+v", first.Options, back.Options)
		}
		a, b := simLogits(t, first, toks), simLogits(t, back, toks)
		for j := range a {
			if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
				t.Fatalf("%s %s: logit %d is %v after the round trip, %v before", tc.model, tc.scheme, j, b[j], a[j])
			}
		}
	}
}

func simLogits(t *testing.T, c *Compiled, toks []int) []float32 {
	t.Helper()
	sim, err := c.Simulate()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(toks)*sim.Config.PaddedVocab)
	if err := sim.Forward(sim.NewState(), toks, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// stepNLL feeds toks one decode step at a time (so an int8 state cache is
// stored and reloaded at every token) and returns the mean NLL per
// predicted token.
func stepNLL(t *testing.T, m *model.Model, toks []int) float64 {
	t.Helper()
	s := m.NewState()
	logits := make([]float32, m.Config.PaddedVocab)
	var nll float64
	for i, tok := range toks[:len(toks)-1] {
		if err := m.Step(s, tok, logits); err != nil {
			t.Fatal(err)
		}
		nll += model.LogSumExp(logits) - float64(logits[toks[i+1]])
	}
	return nll / float64(len(toks)-1)
}

// TestStateInt8 compiles with the int8 SSM state cache: decoding step by
// step (state stored as int8 after every token) stays within 0.5% of the
// float state's perplexity, the state really is quantized (decode differs
// from a float-state model), and the scales survive the artifact.
func TestStateInt8(t *testing.T) {
	ds := calibData(t, 16, 256)
	toks := heldout(t)[:600]
	for _, name := range []string{"mamba1-shakespeare", "mamba2-shakespeare"} {
		w := bundled(t, name)
		opt, _ := DefaultOptions(W8A8)
		base, err := Compile(context.Background(), w, ds, opt, CompileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		opt.StateInt8 = true
		c, err := Compile(context.Background(), w, ds, opt, CompileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		simBase, err := base.Simulate()
		if err != nil {
			t.Fatal(err)
		}
		sim, err := c.Simulate()
		if err != nil {
			t.Fatal(err)
		}
		a, b := stepNLL(t, simBase, toks), stepNLL(t, sim, toks)
		t.Logf("%s step-mode ppl: float state %.5f, int8 state %.5f (%+.3f%%)", name, math.Exp(a), math.Exp(b), 100*(math.Exp(b-a)-1))
		if a == b {
			t.Errorf("%s: the int8 state changed nothing", name)
		}
		if math.Exp(b-a)-1 > 0.005 {
			t.Errorf("%s: int8 state costs %+.2f%% perplexity", name, 100*(math.Exp(b-a)-1))
		}
		path := filepath.Join(t.TempDir(), "s.gguf")
		if err := WriteArtifact(path, c, name); err != nil {
			t.Fatal(err)
		}
		back, err := ReadArtifact(path)
		if err != nil {
			t.Fatal(err)
		}
		simBack, err := back.Simulate()
		if err != nil {
			t.Fatal(err)
		}
		if got := stepNLL(t, simBack, toks[:100]); got != stepNLL(t, sim, toks[:100]) {
			t.Errorf("%s: step-mode NLL %v after the artifact round trip", name, got)
		}
	}
}
