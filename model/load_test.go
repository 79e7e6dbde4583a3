package model

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/quamba/quamba/formats"
)

// TestLoadRoundTrip writes random models with formats.WriteModel in both
// conventions and checks that Load gives the same logits as the in-memory
// model, and that a corrupted weight is refused.
func TestLoadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  formats.Config
	}{
		{"mamba1-state-spaces", testConfig(formats.Mamba1, 0)},
		{"mamba2-huggingface", func() formats.Config {
			c := testConfig(formats.Mamba2, 2)
			c.Convention = formats.HuggingFace
			c.VocabSize = c.PaddedVocab // Hugging Face configs declare the padded size
			return c
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			init, err := RandomTensors(tc.cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			tensors, err := init.TensorData()
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "m")
			if err := formats.WriteModel(dir, tc.cfg, tensors); err != nil {
				t.Fatal(err)
			}
			loaded, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			mem, err := New(tc.cfg, init)
			if err != nil {
				t.Fatal(err)
			}
			files, err := formats.OpenModel(dir)
			if err != nil {
				t.Fatal(err)
			}
			w, err := NewWeights(files.Config, files)
			files.Close()
			if err != nil {
				t.Fatal(err)
			}
			if tc.cfg.TieEmbeddings && &w.LMHead[0] != &w.Embedding[0] {
				t.Error("loaded tied model copies the embedding")
			}
			toks := randomTokens(20, tc.cfg.VocabSize, 1)
			a := make([]float32, len(toks)*tc.cfg.PaddedVocab)
			b := make([]float32, len(a))
			if err := loaded.Forward(loaded.NewState(), toks, a); err != nil {
				t.Fatal(err)
			}
			if err := mem.Forward(mem.NewState(), toks, b); err != nil {
				t.Fatal(err)
			}
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("logit %d: loaded %g, in memory %g", i, a[i], b[i])
				}
			}

			bad := tensors["backbone.layers.1.mixer.D"]
			bad.F32 = append([]float32(nil), bad.F32...)
			bad.F32[0] = float32(math.NaN())
			tensors["backbone.layers.1.mixer.D"] = bad
			dir2 := filepath.Join(t.TempDir(), "bad")
			if err := formats.WriteModel(dir2, tc.cfg, tensors); err != nil {
				t.Fatal(err)
			}
			_, err = Load(dir2)
			wantErr(t, err, "mixer.D")
			_, err = Load(filepath.Join(t.TempDir(), "missing"))
			wantErr(t, err, "load model")
		})
	}
}
