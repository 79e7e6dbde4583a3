package calib

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// refBin computes the bin of |x| from the definition with math.Frexp.
func refBin(x float32) int {
	a := math.Abs(float64(x))
	if a < math.Ldexp(1, HistMinExp) {
		return 0
	}
	if a >= math.Ldexp(1, HistMaxExp) {
		return HistBins - 1
	}
	frac, exp := math.Frexp(a) // a = frac·2^exp, frac in [0.5, 1)
	e := exp - 1               // a = (2·frac)·2^e
	j := int(math.Floor((2*frac - 1) * HistSubBins))
	return 1 + (e-HistMinExp)*HistSubBins + j
}

func TestHistBinAgainstDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	edge := []float32{0, float32(math.Ldexp(1, HistMinExp)), math.Nextafter32(float32(math.Ldexp(1, HistMinExp)), 0),
		float32(math.Ldexp(1, HistMaxExp)), math.Nextafter32(float32(math.Ldexp(1, HistMaxExp)), 0), 1, 1.03125, 1.0312499,
		math.MaxFloat32, math.SmallestNonzeroFloat32, -1.5}
	for i := 0; i < 100000; i++ {
		edge = append(edge, float32(rng.NormFloat64()*math.Exp(12*rng.NormFloat64())))
	}
	for _, x := range edge {
		got, want := histBin(math.Float32bits(x)&^signBit), refBin(x)
		if got != want {
			t.Fatalf("bin of %v: %d, definition %d", x, got, want)
		}
		lo, hi := HistBinBounds(got)
		if a := math.Abs(float64(x)); a < lo || a >= hi {
			t.Fatalf("%v is outside its bin %d [%v, %v)", x, got, lo, hi)
		}
	}
	for i := 1; i < HistBins; i++ {
		_, hiPrev := HistBinBounds(i - 1)
		lo, _ := HistBinBounds(i)
		if hiPrev != lo {
			t.Fatalf("bins %d and %d are not contiguous: %v, %v", i-1, i, hiPrev, lo)
		}
	}
}

func histOf(x []float32) *Histogram {
	h := &Histogram{Counts: make([]uint64, HistBins)}
	for _, v := range x {
		h.Counts[refBin(v)]++
		h.Max = max(h.Max, float32(math.Abs(float64(v))))
	}
	return h
}

func TestHistogramQuantile(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float32, 200000)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()))
	}
	h := histOf(x)
	if h.Total() != uint64(len(x)) {
		t.Fatalf("total %d, want %d", h.Total(), len(x))
	}
	sorted := sortedAbs(x)
	for _, alpha := range []float64{0, 0.01, 0.5, 0.9, 0.99, 0.9995, 0.99999, 1} {
		got, err := h.Quantile(alpha)
		if err != nil {
			t.Fatal(err)
		}
		want := sortedQuantile(sorted, alpha)
		if math.Abs(got-want) > want/16+1e-30 {
			t.Errorf("quantile %v: histogram %v, exact %v", alpha, got, want)
		}
	}
	if q, _ := h.Quantile(1); q != float64(h.Max) {
		t.Errorf("quantile 1 = %v, want the max %v", q, h.Max)
	}
	if _, err := h.Quantile(math.NaN()); err == nil {
		t.Error("NaN alpha accepted")
	}
	if _, err := (&Histogram{Counts: make([]uint64, HistBins)}).Quantile(0.5); err == nil {
		t.Error("quantile of an empty histogram")
	}
}

func TestHistogramClipMSE(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, 100000)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		if i%100 == 0 {
			x[i] *= 20 // outliers
		}
	}
	h := histOf(x)
	abs := make([]float64, len(x))
	for i, v := range x {
		abs[i] = math.Abs(float64(v))
	}
	slices.Sort(abs)
	brute := func(clip float64, qmax int) float64 {
		step := clip / float64(qmax)
		var s float64
		for _, a := range abs {
			q := math.Min(math.Round(a/step), float64(qmax)) * step
			s += (a - q) * (a - q)
		}
		return s / float64(len(abs))
	}
	mx := float64(h.Max)
	best, bestBrute := -1.0, -1.0
	var bestMSE, bestBruteMSE float64
	for _, qmax := range []int{127, 7} {
		for _, f := range []float64{1, 0.8, 0.5, 0.3, 0.2, 0.1, 0.05} {
			clip := mx * f
			got, err := h.ClipMSE(clip, qmax)
			if err != nil {
				t.Fatal(err)
			}
			want := brute(clip, qmax)
			if math.Abs(got-want) > 0.05*want {
				t.Errorf("qmax %d clip %v: histogram MSE %v, brute force %v", qmax, clip, got, want)
			}
			if qmax == 7 && (best < 0 || got < bestMSE) {
				best, bestMSE = clip, got
			}
			if qmax == 7 && (bestBrute < 0 || want < bestBruteMSE) {
				bestBrute, bestBruteMSE = clip, want
			}
		}
	}
	if best != bestBrute {
		t.Errorf("clip search: histogram picks %v, brute force %v", best, bestBrute)
	}
	for _, c := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := h.ClipMSE(c, 127); err == nil {
			t.Errorf("clip %v accepted", c)
		}
	}
	if _, err := h.ClipMSE(1, 0); err == nil {
		t.Error("qmax 0 accepted")
	}
}
