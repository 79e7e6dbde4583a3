package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/quamba/quamba/kernels"
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

// The observer path gates the scan output itself (forward.go): the unit gate
// must pass the kernel's output through unchanged, and scanGate must be the
// kernel's gate.
func TestUnitGate(t *testing.T) {
	if g := unitGate / (1 + kernels.Exp(-unitGate)); g != 1 {
		t.Fatalf("silu(unitGate) = %g, want exactly 1", g)
	}
	const E, N = 20, 4
	rng := rand.New(rand.NewPCG(7, 8))
	r := func(n int, lo, hi float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(lo + (hi-lo)*rng.Float64())
		}
		return v
	}
	a := r(E*N, -4, -0.1)
	p := &kernels.ScanM1Params{E: E, N: N, A: make([]float32, kernels.ScanLenM1(E, N)), D: r(E, -1, 1), DtBias: r(E, -3, 0)}
	kernels.ScanLayoutM1(p.A, a, E, N)
	const L = 3
	u, dt, z, b, c := r(L*E, -2, 2), r(L*E, -2, 2), r(L*E, -6, 6), r(L*N, -1, 1), r(L*N, -1, 1)
	one := make([]float32, L*E)
	for i := range one {
		one[i] = unitGate
	}
	gated, ungated := make([]float32, L*E), make([]float32, L*E)
	h1, h2 := make([]float32, len(p.A)), make([]float32, len(p.A))
	kernels.ScanM1F32(p, h1, gated, u, dt, b, c, z, L)
	kernels.ScanM1F32(p, h2, ungated, u, dt, b, c, one, L)
	scanGate(ungated, z, make([]float32, L*E))
	for i := range gated {
		if ungated[i] != gated[i] {
			t.Fatalf("element %d: ungated output gated by scanGate is %g, the kernel gives %g", i, ungated[i], gated[i])
		}
	}
	for i := range h1 {
		if h1[i] != h2[i] {
			t.Fatalf("state %d depends on the gate", i)
		}
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
