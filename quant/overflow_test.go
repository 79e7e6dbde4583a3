package quant

import (
	"fmt"
	"strings"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

func tinyWeights(t *testing.T, arch formats.Arch) *model.Weights {
	t.Helper()
	cfg := formats.Config{Arch: arch, Convention: formats.StateSpaces, DModel: 16, NLayer: 1, VocabSize: 20,
		PadVocabSizeMultiple: 16, DConv: 4, Expand: 2, DInner: 32, ConvBias: true, RMSNorm: true,
		ResidualInFP32: true, TieEmbeddings: true, NormEps: 1e-5}
	if arch == formats.Mamba1 {
		cfg.DState, cfg.DtRank = 4, 2
	} else {
		cfg.DState, cfg.HeadDim, cfg.NHeads, cfg.NGroups, cfg.ChunkSize = 8, 8, 4, 1, 8
		cfg.DtLimitMax = 1e30
	}
	cfg.PaddedVocab = (cfg.VocabSize + 15) / 16 * 16
	init, err := model.RandomTensors(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	w, err := model.NewWeights(cfg, init)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// Finite weights that overflow later (1e38: squares in RMSNorm, sums in a
// projection, folded norms and Hadamard rotations) are refused by Compile
// naming the tensor and the element, for every scheme, before any stage:
// without the check some compiled (W4A16 with a 3e38 conv1d weight, naive
// W8A8 with a 3e38 embedding row) into a model whose logits are Inf or NaN,
// others failed in a later stage naming another tensor or only a layer.
func TestCompileRefusesOverflowingWeights(t *testing.T) {
	for _, arch := range []formats.Arch{formats.Mamba1, formats.Mamba2} {
		for _, name := range []string{formats.EmbeddingName, "backbone.layers.0.mixer.in_proj.weight", "backbone.layers.0.norm.weight",
			"backbone.layers.0.mixer.out_proj.weight", formats.NormFName, "backbone.layers.0.mixer.conv1d.weight", "backbone.layers.0.mixer.D"} {
			for _, sc := range []Scheme{W8A8, W4A16, NaiveW8A8} {
				for _, big := range []float32{1e38, 3e38, -1e16} {
					w := tinyWeights(t, arch)
					v, err := w.Tensor(name)
					if err != nil {
						t.Fatal(err)
					}
					v[3] = big
					opt, err := DefaultOptions(sc)
					if err != nil {
						t.Fatal(err)
					}
					_, err = CompileSynthetic(w, opt)
					want := fmt.Sprintf("tensor %s: element 3 is %g, beyond", name, big)
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("%s %s %s = %g: %v, want an error containing %q", arch, sc, name, big, err, want)
					}
				}
			}
		}
	}
	// Large but plausible weights still compile.
	w := tinyWeights(t, formats.Mamba1)
	v, _ := w.Tensor("backbone.layers.0.mixer.in_proj.weight")
	v[3] = 1e4
	opt, _ := DefaultOptions(W8A8)
	if _, err := CompileSynthetic(w, opt); err != nil {
		t.Errorf("a weight of 1e4: %v", err)
	}
}
