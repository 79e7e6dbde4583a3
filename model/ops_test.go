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

func TestExpScaledMatchesExpf(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := make([]float32, 4096)
	for i := range a {
		a[i] = float32(rng.Float64()*200 - 100)
	}
	dst := make([]float32, len(a))
	for _, d := range []float32{0, 1e-3, 0.05, 0.5, 1, 3} {
		expScaled(dst, d, a)
		for i, an := range a {
			v := d * an
			want := expf(v)
			if v < expMin {
				if dst[i] > 1.2e-38 {
					t.Fatalf("exp(%g) = %g, want ~0", v, dst[i])
				}
				continue
			}
			if v > 88 {
				want = math.MaxFloat32
				if dst[i] < 1e38 {
					t.Fatalf("exp(%g) = %g, want a huge value", v, dst[i])
				}
				continue
			}
			if math.Abs(float64(dst[i]-want)) > 3e-7*float64(want) {
				t.Fatalf("expScaled(%g·%g) = %g, expf gives %g", d, an, dst[i], want)
			}
		}
	}
	// Accuracy against float64 exp over the range the scan uses.
	var worst float64
	for range 100 {
		d := float32(rng.Float64())
		expScaled(dst, d, a)
		for i, an := range a {
			v := d * an
			if v < expMin || v > 88 {
				continue
			}
			want := math.Exp(float64(v))
			ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
			worst = max(worst, math.Abs(float64(dst[i])-want)/ulp)
		}
	}
	if worst > 2 {
		t.Errorf("expScaled error up to %.2f ulp", worst)
	}
	t.Logf("expScaled worst error %.3f ulp", worst)
	expScaled(dst[:1], float32(math.NaN()), a[:1])
	if !math.IsNaN(float64(dst[0])) {
		t.Error("NaN not propagated")
	}
}

func BenchmarkExpScaled(b *testing.B) {
	a := make([]float32, 16)
	for i := range a {
		a[i] = -float32(i + 1)
	}
	dst := make([]float32, 16)
	for b.Loop() {
		expScaled(dst, 0.01, a)
	}
}

func TestSoftplusAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var worst float64
	check := func(v float32) {
		var want float64
		if v > 20 {
			want = float64(v)
		} else {
			want = math.Log1p(math.Exp(float64(v)))
		}
		got := float64(softplus(v))
		if want < 1.2e-38 {
			if got > 2.4e-38 {
				t.Fatalf("softplus(%g) = %g, want %g", v, got, want)
			}
			return
		}
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
		e := math.Abs(got-want) / ulp
		worst = max(worst, e)
		if e > 3 {
			t.Fatalf("softplus(%g) = %g, want %g (%.2f ulp)", v, got, want, e)
		}
	}
	for range 300000 {
		check(float32(rng.Float64()*60 - 30))
		check(float32(rng.Float64()*4 - 2))
		check(float32(rng.Float64()*200 - 100))
	}
	for _, v := range []float32{0, -17, -16.9, 20, 20.001, 1e-7, -1e-7, 0.3466, 0.3467} {
		check(v)
	}
	if !math.IsNaN(float64(softplus(float32(math.NaN())))) {
		t.Error("softplus(NaN) is not NaN")
	}
	t.Logf("softplus worst error %.3f ulp", worst)
}
