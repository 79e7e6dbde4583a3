package calib_test

import (
	"context"
	"fmt"

	"github.com/quamba/quamba/calib"
	"github.com/quamba/quamba/formats"
	"github.com/quamba/quamba/model"
)

// Calibrate a small random Mamba1 model: per-tensor ranges of every layer's
// SSM input x, its 99th percentile and its per-channel mean |x|.
func ExampleCalibrate() {
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
	plan := calib.Plan{
		MinMax:         calib.AllLayers(cfg, model.PointX, model.PointLMHeadInput),
		Percentile:     calib.AllLayers(cfg, model.PointX),
		Alpha:          0.99,
		ChannelMeanAbs: calib.AllLayers(cfg, model.PointX),
		Histogram:      calib.AllLayers(cfg, model.PointX),
	}
	ds := &calib.Dataset{Samples: [][]int{{3, 1, 4, 1, 5, 9, 2, 6}, {2, 7, 1, 8, 2, 8}}}
	st, err := calib.Calibrate(context.Background(), calib.FP32(m), plan, ds, calib.Options{})
	if err != nil {
		panic(err)
	}
	absMax, _ := st.AbsMax(1, model.PointX)
	pct, _ := st.Percentile(1, model.PointX)
	mean, _ := st.ChannelMeanAbs(1, model.PointX)
	hist, _ := st.Histogram(1, model.PointX)
	fmt.Println(st.Summary.Samples, "samples,", st.Summary.Tokens, "tokens")
	fmt.Println("percentile below max:", pct > 0 && pct <= float64(absMax))
	fmt.Println(len(mean), "channel means;", hist.Total(), "values in the histogram")
	_, err = st.GroupAbsMax(1, model.PointB)
	fmt.Println(err)
	// Output:
	// 2 samples, 14 tokens
	// percentile below max: true
	// 32 channel means; 448 values in the histogram
	// calib: no grouped min-max statistic for layer 1 point B (not in the plan)
}
