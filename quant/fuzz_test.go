package quant

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// fuzzMaxInput bounds the inputs the artifact fuzz targets parse.
const fuzzMaxInput = 1 << 20

// fuzzArtifacts compiles a tiny random Mamba-1 and Mamba-2 model with each
// scheme and returns the written artifacts: the seeds of the artifact fuzz
// targets.
func fuzzArtifacts(f *testing.F) [][]byte {
	f.Helper()
	var out [][]byte
	for _, arch := range []formats.Arch{formats.Mamba1, formats.Mamba2} {
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
			f.Fatal(err)
		}
		w, err := model.NewWeights(cfg, init)
		if err != nil {
			f.Fatal(err)
		}
		ds := &calib.Dataset{Samples: [][]int{{1, 2, 3, 4, 5, 6, 7, 8}, {9, 10, 11, 12, 13, 14, 15, 16}}, Index: []int{0, 1}}
		ds.Summary.Format, ds.Summary.Samples, ds.Summary.SeqLen, ds.Summary.Tokens = "text", 2, 8, 16
		for _, s := range []Scheme{W8A8, W4A16} {
			opt, err := DefaultOptions(s)
			if err != nil {
				f.Fatal(err)
			}
			opt.GPTQ, opt.ClipSearch = false, false
			c, err := Compile(context.Background(), w, ds, opt, CompileOptions{})
			if err != nil {
				f.Fatalf("%s %s: %v", arch, s, err)
			}
			path := filepath.Join(f.TempDir(), "m.gguf")
			if err := WriteArtifact(path, c, "fuzz"); err != nil {
				f.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			if _, err := ParseArtifact("seed.gguf", b); err != nil {
				f.Fatalf("%s %s: the seed does not parse: %v", arch, s, err)
			}
			if len(b) > 100<<10 {
				f.Fatalf("%s %s: seed of %d bytes", arch, s, len(b))
			}
			out = append(out, b)
		}
	}
	return out
}

// FuzzParseArtifact feeds arbitrary bytes as a compiled artifact: the reader
// returns an error or a compiled model, never panics. The checksum is
// skipped so that mutations reach the artifact's own checks.
func FuzzParseArtifact(f *testing.F) {
	for _, b := range fuzzArtifacts(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			t.Skip()
		}
		c, err := ParseArtifact("fuzz.gguf", bytes.Clone(data), formats.GGUFOptions{SkipChecksum: true})
		if err == nil && c == nil {
			t.Fatal("no error and no compiled model")
		}
	})
}

// FuzzParsePacked is FuzzParseArtifact for the runtime's reader, which wraps
// the stored panels in place.
func FuzzParsePacked(f *testing.F) {
	for _, b := range fuzzArtifacts(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			t.Skip()
		}
		p, err := ParsePacked("fuzz.gguf", bytes.Clone(data), formats.GGUFOptions{SkipChecksum: true})
		if err != nil {
			return
		}
		if p == nil || p.Compiled == nil {
			t.Fatal("no error and no packed model")
		}
		_ = p.WeightBytes()
	})
}
