package model_test

import (
	"fmt"
	"math"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// absMax records the largest |value| seen at every (layer, point): the
// statistic of a MinMax calibration observer.
type absMax map[string]float64

func (a absMax) Observe(layer int, p model.Point, rows, cols int, data []float32) {
	key := fmt.Sprintf("%d/%v", layer, p)
	for _, v := range data {
		a[key] = math.Max(a[key], math.Abs(float64(v)))
	}
}

// An Observer set on a State sees each calibration point of each layer.
func ExampleObserver() {
	cfg := formats.Config{
		Arch: formats.Mamba1, DModel: 16, NLayer: 2, VocabSize: 32, PaddedVocab: 32,
		DState: 4, DConv: 4, Expand: 2, DInner: 32, DtRank: 1,
		ConvBias: true, RMSNorm: true, TieEmbeddings: true, NormEps: 1e-5,
	}
	init, _ := model.RandomTensors(cfg, 1)
	m, err := model.New(cfg, init)
	if err != nil {
		panic(err)
	}
	stats := absMax{}
	s := m.NewState()
	s.Observer = stats
	if err := m.Forward(s, []int{3, 1, 4, 1, 5}, nil); err != nil {
		panic(err)
	}
	fmt.Println(len(stats), "statistics")
	fmt.Println(stats["0/delta"] > 0, stats["-1/lm_head_input"] > 0)
	// Output:
	// 23 statistics
	// true true
}

// Prefill a prompt in sequence mode, then decode greedily in step mode.
func ExampleModel_Step() {
	cfg, _ := model.Preset("mamba2-130m")
	cfg.NLayer, cfg.DModel, cfg.DInner, cfg.NHeads = 2, 128, 256, 4 // a small variant
	init, _ := model.RandomTensors(cfg, 1)
	m, err := model.New(cfg, init)
	if err != nil {
		panic(err)
	}
	s := m.NewState()
	logits := make([]float32, cfg.PaddedVocab)
	if err := m.Forward(s, []int{464, 3290, 318}, logits); err != nil {
		panic(err)
	}
	var out []int
	for range 5 {
		tok := model.Argmax(logits[:cfg.VocabSize])
		out = append(out, tok)
		if err := m.Step(s, tok, logits); err != nil {
			panic(err)
		}
	}
	fmt.Println(len(out), "tokens")
	// Output: 5 tokens
}
