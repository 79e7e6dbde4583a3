package quant_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
	"github.com/quamba/quamba/tokenizer"
)

// Compile the bundled byte-level Mamba1 model to W8A8: load the checkpoint,
// read calibration text, compile, write the artifact, read it back and
// evaluate it on held-out text.
func ExampleCompile() {
	files, err := formats.OpenModel("../testdata/mamba1-shakespeare")
	if err != nil {
		panic(err)
	}
	w, err := model.NewWeights(files.Config, files)
	files.Close()
	if err != nil {
		panic(err)
	}
	tok := tokenizer.Bytes()
	data, err := calib.LoadData(calib.DataConfig{Files: []string{"../testdata/shakespeare-calib.txt"},
		Tokenizer: tok, Samples: 8, SeqLen: 256, Seed: 1})
	if err != nil {
		panic(err)
	}
	opt, _ := quant.DefaultOptions(quant.W8A8)
	compiled, err := quant.Compile(context.Background(), w, data, opt, quant.CompileOptions{})
	if err != nil {
		panic(err)
	}
	path := filepath.Join(os.TempDir(), "example-w8a8.gguf")
	defer os.Remove(path)
	if err := quant.WriteArtifact(path, compiled, "mamba1-shakespeare"); err != nil {
		panic(err)
	}
	back, err := quant.ReadArtifact(path)
	if err != nil {
		panic(err)
	}
	sim, err := back.Simulate()
	if err != nil {
		panic(err)
	}
	text, _ := os.ReadFile("../testdata/shakespeare-heldout.txt")
	fp, _ := model.Build(w, model.Stages{})
	ref, _ := model.Perplexity(context.Background(), fp, tok.Encode(string(text[:8192])), 256, nil)
	q, _ := model.Perplexity(context.Background(), sim, tok.Encode(string(text[:8192])), 256, nil)
	fmt.Printf("%s: perplexity %.2f, FP32 %.2f\n", back.Options.Scheme, q.PPL(), ref.PPL())
	// Output: w8a8: perplexity 3.88, FP32 3.88
}
