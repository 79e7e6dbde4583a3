package formats_test

import (
	"fmt"
	"log"
	"os"

	"github.com/quamba/quamba/formats"
)

// Open a model directory and load tensors by their canonical names; the
// Hugging Face spelling and the tied lm_head are resolved by the loader.
func ExampleOpenModel() {
	m, err := formats.OpenModel("testdata/tiny-mamba-hf-sharded")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	c := m.Config
	fmt.Println(c.Arch, c.Convention, "d_model", c.DModel, "layers", c.NLayer, "vocab rows", c.PaddedVocab)

	emb, err := m.Tensor(formats.EmbeddingName, c.PaddedVocab, c.DModel)
	if err != nil {
		log.Fatal(err)
	}
	head, err := m.Tensor(formats.LMHeadName, c.PaddedVocab, c.DModel) // tied: the embedding
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(emb), emb[0] == head[0])
	// Output:
	// mamba1 huggingface d_model 8 layers 2 vocab rows 16
	// 128 true
}

// Write a model directory in the state-spaces convention
// (config.json + pytorch_model.bin) from in-memory float32 tensors.
func ExampleWriteModel() {
	cfg, err := formats.ParseConfig([]byte(`{"d_model": 8, "n_layer": 1, "vocab_size": 10,
		"ssm_cfg": {"d_state": 4}, "pad_vocab_size_multiple": 8}`), "config.json")
	if err != nil {
		log.Fatal(err)
	}
	tensors := map[string]formats.TensorData{}
	for name, shape := range cfg.TensorShapes() {
		if name == formats.LMHeadName {
			continue // tied to the embedding
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		tensors[name] = formats.Float32Tensor(make([]float32, n), shape...)
	}
	dir, err := os.MkdirTemp("", "quamba-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := formats.WriteModel(dir, cfg, tensors); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.PaddedVocab, cfg.DtRank, len(tensors), cfg.ParamCount())
	// Output:
	// 16 1 12 864
}
