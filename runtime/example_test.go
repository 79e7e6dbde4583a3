package runtime_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
	"github.com/quamba/quamba/runtime"
	"github.com/quamba/quamba/tokenizer"
)

// Example compiles the bundled Mamba1 model to a W8A8 artifact, opens it on
// the int8 runtime and runs two sessions: one generates greedily, the other
// is saved after its prompt and resumed in a third session.
func Example() {
	dir, _ := os.MkdirTemp("", "quamba-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "m.gguf")
	if err := compileBundled(path); err != nil {
		fmt.Println(err)
		return
	}

	m, err := runtime.Open(path, runtime.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	fmt.Println("stages:", m.Info().Kinds)

	tok := tokenizer.Bytes()
	V, P := m.Vocab()
	prompt := tok.Encode("ROMEO:\n")
	gen, err := model.Greedy(m.NewSession(), V, P, prompt, 32)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("generated tokens:", len(gen))

	// Save a session after its prompt, resume it elsewhere: the next
	// token's logits are the same.
	a := m.NewSession()
	la := make([]float32, P)
	_ = a.Forward(prompt, la)
	saved, _ := a.Save()
	b := m.NewSession()
	_ = b.Restore(saved)
	lb := make([]float32, P)
	_ = a.Step(gen[0], la)
	_ = b.Step(gen[0], lb)
	fmt.Println("resumed session agrees:", model.Argmax(la[:V]) == model.Argmax(lb[:V]), len(saved) == m.NewSession().StateBytes())
	// Output:
	// stages: map[w8a8:17 w8a8-blocks:12]
	// generated tokens: 32
	// resumed session agrees: true true
}

func compileBundled(path string) error {
	files, err := formats.OpenModel(filepath.Join("..", "testdata", "mamba1-shakespeare"))
	if err != nil {
		return err
	}
	defer files.Close()
	w, err := model.NewWeights(files.Config, files)
	if err != nil {
		return err
	}
	ds, err := calib.LoadData(calib.DataConfig{Files: []string{filepath.Join("..", "testdata", "shakespeare-calib.txt")},
		Tokenizer: tokenizer.Bytes(), Samples: 16, SeqLen: 256, Seed: 1})
	if err != nil {
		return err
	}
	opt, _ := quant.DefaultOptions(quant.W8A8)
	c, err := quant.Compile(context.Background(), w, ds, opt, quant.CompileOptions{})
	if err != nil {
		return err
	}
	return quant.WriteArtifact(path, c, "mamba1-shakespeare")
}
