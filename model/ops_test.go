package model

import (
	"math/rand/v2"
	"testing"

	"github.com/quamba/quamba/kernels"
)

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
