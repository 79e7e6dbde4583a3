package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestExpfAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var worst float64
	check := func(v float32) {
		got := float64(expf(v))
		want := math.Exp(float64(v))
		if want < 1.2e-38 { // below the normal float32 range
			if got > 2.4e-38 {
				t.Fatalf("expf(%g) = %g, want ~%g", v, got, want)
			}
			return
		}
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
		err := math.Abs(got-want) / ulp
		worst = max(worst, err)
		if err > 2 {
			t.Fatalf("expf(%g) = %g, want %g (%.2f ulp)", v, got, want, err)
		}
	}
	for range 200000 {
		check(float32(rng.Float64()*176 - 88))
		check(float32(rng.Float64()*2 - 1))
	}
	for _, v := range []float32{0, 1, -1, 0.5, -0.5, 88, -87, 1e-8, -1e-8} {
		check(v)
	}
	if expf(89) != float32(math.Inf(1)) || expf(-100) != 0 || !math.IsNaN(float64(expf(float32(math.NaN())))) {
		t.Error("expf edge cases")
	}
	t.Logf("worst error %.3f ulp", worst)
}
