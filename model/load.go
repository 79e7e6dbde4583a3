package model

import (
	"fmt"

	"github.com/quamba/quamba/formats"
)

// Load reads a model directory (config.json plus model.safetensors, a
// sharded safetensors index or pytorch_model.bin, in the state-spaces or
// Hugging Face convention) into memory as float32.
func Load(dir string) (*Model, error) {
	files, err := formats.OpenModel(dir)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	defer files.Close()
	m, err := New(files.Config, files)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	return m, nil
}

// TensorData generates every tensor, keyed by canonical name, in the form
// formats.WriteModel takes. The model is held in memory once.
func (r *RandomInit) TensorData() (map[string]formats.TensorData, error) {
	out := make(map[string]formats.TensorData, len(r.infos))
	for _, ti := range r.infos {
		data, err := r.Tensor(ti.Name, ti.Shape...)
		if err != nil {
			return nil, err
		}
		out[ti.Name] = formats.Float32Tensor(data, ti.Shape...)
	}
	return out, nil
}
