package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/quamba/quamba/calib"
)

// histogramOf counts |x| into the calibration histogram's bins.
func histogramOf(x []float32) *calib.Histogram {
	h := &calib.Histogram{Counts: make([]uint64, calib.HistBins)}
	for _, v := range x {
		a := math.Abs(float64(v))
		h.Max = max(h.Max, float32(a))
		for i := range calib.HistBins {
			if lo, hi := calib.HistBinBounds(i); a >= lo && a < hi {
				h.Counts[i]++
				break
			}
		}
	}
	return h
}

// TestClipSearch: on Gaussian activations with a few large outliers the
// search clips below the max, and the clip it picks has a smaller
// quantization error, measured directly on the data with FakeQuantI8, than
// the max.
func TestClipSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, 20000)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	x[7], x[99] = 60, -45
	clip, err := clipSearch(histogramOf(x), 0)
	if err != nil {
		t.Fatal(err)
	}
	mse := func(c float64) float64 {
		y := append([]float32(nil), x...)
		if err := FakeQuantI8(y, float32(c/127)); err != nil {
			t.Fatal(err)
		}
		var s float64
		for i := range x {
			d := float64(y[i] - x[i])
			s += d * d
		}
		return s / float64(len(x))
	}
	if !(clip < 60) {
		t.Fatalf("clip %v: the search kept the outlier max", clip)
	}
	if mse(clip) >= mse(60) {
		t.Errorf("clip %v has error %g, the max 60 has %g", clip, mse(clip), mse(60))
	}
	// Without outliers the max itself (or very near it) is best.
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	h := histogramOf(x)
	if clip, _ := clipSearch(h, 0); clip < 0.9*float64(h.Max) {
		t.Errorf("uniform data: clip %v well below the max %v", clip, h.Max)
	}
}
