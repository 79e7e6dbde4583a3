package quant

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/model"
)

// The calibration CompileSynthetic runs: SyntheticSamples sequences of
// SyntheticSeqLen uniformly random token ids.
const (
	SyntheticSamples = 4
	SyntheticSeqLen  = 64
	syntheticSeed    = 1
)

// CompileSynthetic compiles w with the recipe opt without calibration
// data, for speed and memory measurements of the runtime on models whose
// real weights and text are not at hand (random checkpoints of real
// shapes). It is Compile with:
//
//   - the scheme's function-preserving transforms (residual rotation with
//     folded norms, sort-and-cluster reordering, the fused out_proj
//     Hadamard) unchanged;
//   - round-to-nearest weights everywhere: no GPTQ and no clip search, so
//     no Hessians;
//   - activation (and SSM-state) scales from SyntheticSamples short
//     sequences of random tokens run through the transformed float model
//     (the sort-and-cluster statistics come from the same sequences).
//
// The artifact it gives has the kernels, panel layout and bytes per token
// of a calibrated one of the same scheme; only its accuracy differs. To
// hold the model in memory once, CompileSynthetic transforms and quantizes
// w itself: w belongs to the result.
func CompileSynthetic(w *model.Weights, opt Options) (*Compiled, error) {
	if w == nil {
		return nil, fmt.Errorf("quant: nil weights")
	}
	opt.GPTQ, opt.GPTQSamples, opt.ClipSearch = false, 0, false
	cfg := w.Config
	rng := rand.New(rand.NewPCG(syntheticSeed, uint64(cfg.VocabSize)))
	data := &calib.Dataset{Summary: calib.Summary{Files: []string{}, Format: "random-tokens",
		Samples: SyntheticSamples, SeqLen: SyntheticSeqLen, Seed: syntheticSeed, Tokens: SyntheticSamples * SyntheticSeqLen}}
	for i := range SyntheticSamples {
		s := make([]int, SyntheticSeqLen)
		for j := range s {
			s[j] = rng.IntN(cfg.VocabSize)
		}
		data.Samples = append(data.Samples, s)
		data.Index = append(data.Index, i)
	}
	return Compile(context.Background(), w, data, opt, CompileOptions{SourceDigest: "synthetic", InPlace: true})
}
