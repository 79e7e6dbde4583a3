package quant

import (
	"path/filepath"
	"testing"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

func TestCompileSynthetic(t *testing.T) {
	for _, arch := range []formats.Arch{formats.Mamba1, formats.Mamba2} {
		for _, s := range []Scheme{W8A8, W4A8, W4A16} {
			t.Run(string(arch)+"/"+string(s), func(t *testing.T) {
				cfg := syntheticTestConfig(arch)
				init, err := model.RandomTensors(cfg, 1)
				if err != nil {
					t.Fatal(err)
				}
				w, err := model.NewWeights(cfg, init)
				if err != nil {
					t.Fatal(err)
				}
				opt, err := DefaultOptions(s)
				if err != nil {
					t.Fatal(err)
				}
				c, err := CompileSynthetic(w, opt)
				if err != nil {
					t.Fatal(err)
				}
				if c.Options.GPTQ || c.Options.ClipSearch || c.Options.Scheme != s {
					t.Errorf("options %s: want %s without GPTQ or clip search", c.Options, s)
				}
				if c.Calib.Samples != SyntheticSamples || c.Calib.Tokens != SyntheticSamples*SyntheticSeqLen {
					t.Errorf("calibration summary %+v", c.Calib)
				}
				if opt.ABits == 8 && len(c.Acts) == 0 {
					t.Error("no activation scales")
				}
				path := filepath.Join(t.TempDir(), "m.gguf")
				if err := WriteArtifact(path, c, "synthetic"); err != nil {
					t.Fatal(err)
				}
				p, err := OpenPacked(path, formats.GGUFOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if len(p.Stages) == 0 {
					t.Error("artifact has no packed stages")
				}
			})
		}
	}
}

// syntheticTestConfig is a small model the 4-bit group kernels and the
// Hadamard transforms take (d_model 128, d_inner 256).
func syntheticTestConfig(arch formats.Arch) formats.Config {
	cfg := formats.Config{Arch: arch, Convention: formats.StateSpaces, DModel: 128, NLayer: 2, VocabSize: 300,
		PadVocabSizeMultiple: 16, DConv: 4, Expand: 2, DInner: 256, ConvBias: true, RMSNorm: true,
		ResidualInFP32: true, TieEmbeddings: true, NormEps: 1e-5}
	if arch == formats.Mamba1 {
		cfg.DState, cfg.DtRank = 16, 8
	} else {
		cfg.DState, cfg.HeadDim, cfg.NHeads, cfg.NGroups, cfg.ChunkSize = 32, 64, 4, 1, 64
		cfg.DtLimitMax = 1e30
	}
	cfg.PaddedVocab = (cfg.VocabSize + 15) / 16 * 16
	return cfg
}
