package quant_test

import (
	"fmt"
	"math"

	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
	"github.com/quamba/quamba/quant"
)

// The function-preserving chain of Quamba2 on a small random Mamba2:
// untie, fold the norms, rotate the residual stream, fuse the out_proj
// Hadamard; the logits stay the same.
func Example_transforms() {
	cfg := formats.Config{
		Arch: formats.Mamba2, Convention: formats.StateSpaces,
		DModel: 48, NLayer: 2, VocabSize: 64, PaddedVocab: 64, PadVocabSizeMultiple: 8,
		DState: 8, DConv: 4, Expand: 2, DInner: 96,
		HeadDim: 8, NHeads: 12, NGroups: 4, DtLimitMax: math.Inf(1), ChunkSize: 16,
		ConvBias: true, RMSNorm: true, ResidualInFP32: true, TieEmbeddings: true, NormEps: 1e-5,
	}
	init, _ := model.RandomTensors(cfg, 1)
	w, _ := model.NewWeights(cfg, init)
	for i := range w.NormF {
		w.NormF[i] = 1 + 0.01*float32(i%7) // a norm weight to fold
	}
	tokens := []int{3, 14, 15, 9, 26, 5}
	logits := func(w *model.Weights) []float32 {
		m, err := model.Build(w, model.Stages{})
		if err != nil {
			panic(err)
		}
		out := make([]float32, len(tokens)*cfg.PaddedVocab)
		if err := m.Forward(m.NewState(), tokens, out); err != nil {
			panic(err)
		}
		return out
	}
	before := logits(w.Clone())

	for _, f := range []func(*model.Weights) error{quant.Untie, quant.FoldNorms, quant.RotateResidual, quant.FuseOutHadamard} {
		if err := f(w); err != nil {
			fmt.Println(err)
			return
		}
	}
	after := logits(w)
	var diff, top float64
	for i := range before {
		diff = math.Max(diff, math.Abs(float64(after[i]-before[i])))
		top = math.Max(top, math.Abs(float64(before[i])))
	}
	fmt.Println("tied:", w.Config.TieEmbeddings, "online Hadamard:", w.OutProjHadamard)
	fmt.Println("logits unchanged:", diff <= 1e-4*top)
	fmt.Println(quant.FuseOutHadamard(w))
	// Output:
	// tied: false online Hadamard: true
	// logits unchanged: true
	// quant.FuseOutHadamard: the out_proj Hadamard is already fused (OutProjHadamard is set)
}

// Sort-and-cluster of a Mamba2 layer with one SSD group of four heads of
// four channels, in two head groups of two channel groups: heads 0 and 2
// (and 1 and 3) have the same sorted profile up to scale.
func ExampleSortAndCluster() {
	cfg := formats.Config{Arch: formats.Mamba2, DInner: 16, NHeads: 4, NGroups: 1, HeadDim: 4}
	meanAbs := []float64{
		5, 1, 5, 1, // head 0: sorted 1 1 5 5
		1, 2, 5, 6, // head 1: sorted 1 2 5 6
		20, 20, 4, 4, // head 2: sorted 4 4 20 20 (head 0 times 4)
		12, 10, 4, 2, // head 3: sorted 2 4 10 12 (head 1 times 2)
	}
	r, err := quant.SortAndCluster(cfg, meanAbs, 2, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	index, n, _ := r.ScaleIndex(cfg)
	fmt.Println("heads:", r.Heads)
	fmt.Println("channels:", r.Channels)
	fmt.Println("head groups:", r.HeadGroups, "channel groups:", r.ChannelGroups)
	fmt.Println("scale of each reordered channel:", index, "scales:", n)
	// Output:
	// heads: [0 2 1 3]
	// channels: [1 3 0 2 10 11 8 9 4 5 6 7 15 14 13 12]
	// head groups: [[2 4]] channel groups: [[[2 4] [2 4]]]
	// scale of each reordered channel: [0 0 1 1 0 0 1 1 2 2 3 3 2 2 3 3] scales: 4
}
