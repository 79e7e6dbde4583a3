package calib

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/quamba/quamba/model"
)

// BenchmarkCalibrateMamba130m calibrates a random mamba-130m-shaped model on
// 16 x 512 random tokens with a Quamba-like plan (min-max at every point,
// percentile, channel mean |x| and histogram at x, SSM state) and reports
// calibration tokens/s. Run it with -bench; it takes tens of seconds.
func BenchmarkCalibrateMamba130m(b *testing.B) {
	cfg, err := model.Preset("mamba-130m")
	if err != nil {
		b.Fatal(err)
	}
	init, err := model.RandomTensors(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	m, err := model.New(cfg, init)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	ds := &Dataset{}
	for range 16 {
		s := make([]int, 512)
		for j := range s {
			s[j] = r.IntN(cfg.VocabSize)
		}
		ds.Samples = append(ds.Samples, s)
	}
	plan := Plan{
		MinMax:         AllLayers(cfg, model.Points()...),
		Percentile:     AllLayers(cfg, model.PointX),
		Alpha:          0.99999,
		ChannelMeanAbs: AllLayers(cfg, model.PointX),
		Histogram:      AllLayers(cfg, model.PointX),
		State:          &StatePlan{Percentile: true},
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Calibrate(context.Background(), FP32(m), plan, ds, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(16*512*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkPrefillMamba130m is the same prefill without observers, for comparison.
func BenchmarkPrefillMamba130m(b *testing.B) {
	cfg, _ := model.Preset("mamba-130m")
	init, _ := model.RandomTensors(cfg, 1)
	m, err := model.New(cfg, init)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	tokens := make([]int, 512)
	for j := range tokens {
		tokens[j] = r.IntN(cfg.VocabSize)
	}
	sess := FP32(m).NewSession()
	b.ResetTimer()
	for b.Loop() {
		if err := sess.Run(tokens, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(512*b.N)/b.Elapsed().Seconds(), "tokens/s")
}
