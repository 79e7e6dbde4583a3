package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// normClose reports whether got is within one float32 ulp of the factor s
// (relative 2^-23, plus the two output roundings) of want: the tier
// tolerance documented in norm.go.
func normClose(got, want float32) bool {
	return math.Abs(float64(got)-float64(want)) <= 3*0x1p-24*math.Abs(float64(want))+1e-30
}

func i8Close(a, b int8) bool { return a-b <= 1 && b-a <= 1 }

// normDims covers the 8-wide AVX2 steps and the 16/32/64-wide AVX-512
// steps with their masked tails.
func normDims() []int {
	return []int{1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 63, 64, 65, 100, 127, 768, 1536}
}

// rmsRef returns RMSNorm(res + h)·w in float64 (h may be nil).
func rmsRef(res, h, w []float32, eps float32) []float64 {
	n := len(res)
	v := make([]float64, n)
	var ss float64
	for i := range v {
		v[i] = float64(res[i])
		if h != nil {
			v[i] = float64(res[i] + h[i]) // the residual stream is float32
		}
		ss += v[i] * v[i]
	}
	r := 1 / math.Sqrt(ss/float64(n)+float64(eps))
	for i := range v {
		v[i] *= r * float64(w[i])
	}
	return v
}

func TestAddRMSNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	const eps = 1e-5
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, n := range normDims() {
			for _, withH := range []bool{true, false} {
				res := randVec(rng, n, 3)
				w := randVec(rng, n, 1)
				var h []float32
				if withH {
					h = randVec(rng, n, 1)
				}
				ref := rmsRef(res, h, w, eps)
				invScale := float32(127 / 4.0)

				var wantRes []float32
				var wantF []float32
				var wantQ []int8
				withGenericTier(func() {
					wantRes = slices.Clone(res)
					wantF = make([]float32, n)
					AddRMSNormF32(wantRes, h, w, eps, wantF)
					wantQ = make([]int8, n)
					AddRMSNormQuantI8(slices.Clone(res), h, w, eps, invScale, wantQ)
				})

				const guard = 16
				h0, w0 := slices.Clone(h), slices.Clone(w)
				r := slices.Clone(res)
				out := make([]float32, n+guard)
				q := make([]int8, n+guard)
				for i := n; i < n+guard; i++ {
					out[i], q[i] = 7, 7
				}
				AddRMSNormF32(r, h, w, eps, out[:n])
				if !slices.Equal(r, wantRes) {
					t.Fatalf("n=%d: residual add differs from the twin", n)
				}
				AddRMSNormQuantI8(slices.Clone(res), h, w, eps, invScale, q[:n])
				for i := n; i < n+guard; i++ {
					if out[i] != 7 || q[i] != 7 {
						t.Fatalf("n=%d: guard %d overwritten", n, i)
					}
				}
				if !slices.Equal(h, h0) || !slices.Equal(w, w0) {
					t.Fatalf("n=%d: h or w modified", n)
				}
				for i := 0; i < n; i++ {
					if !normClose(out[i], wantF[i]) {
						t.Fatalf("n=%d h=%v: out[%d] = %v, twin %v", n, withH, i, out[i], wantF[i])
					}
					if math.Abs(float64(out[i])-ref[i]) > 1e-5*math.Abs(ref[i])+1e-6 {
						t.Fatalf("n=%d h=%v: out[%d] = %v, float64 %v", n, withH, i, out[i], ref[i])
					}
					if !i8Close(q[i], wantQ[i]) {
						t.Fatalf("n=%d: q[%d] = %d, twin %d", n, i, q[i], wantQ[i])
					}
					v := ref[i] * float64(invScale)
					if math.Abs(float64(q[i])-math.Max(-128, math.Min(127, v))) > 0.5+1e-4 {
						t.Fatalf("n=%d: q[%d] = %d, float64 %v", n, i, q[i], v)
					}
				}
			}
		}
	})
	mustPanic(t, "AddRMSNormF32 short w", func() { AddRMSNormF32(make([]float32, 8), nil, make([]float32, 7), 1e-5, make([]float32, 8)) })
}

// gatedRef returns the gated group RMSNorm in float64.
func gatedRef(y []float32, zf func(i int) float64, w []float32, g int, eps float32) []float64 {
	n := len(y)
	v := make([]float64, n)
	for i := range v {
		z := zf(i)
		v[i] = float64(y[i]) * z / (1 + math.Exp(-z))
	}
	for s := 0; s < n; s += g {
		var ss float64
		for _, x := range v[s : s+g] {
			ss += x * x
		}
		r := 1 / math.Sqrt(ss/float64(g)+float64(eps))
		for i := s; i < s+g; i++ {
			v[i] *= r * float64(w[i])
		}
	}
	return v
}

func TestGatedRMSNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	const eps = 1e-5
	shapes := [][2]int{{8, 1}, {12, 3}, {16, 2}, {100, 1}, {768, 1}, {1536, 1}, {256, 8}, {37, 2}, {33, 3}, {65, 2}, {17, 4}}
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, sh := range shapes {
			g, groups := sh[0], sh[1]
			n := g * groups
			y := randVec(rng, n, 2)
			zf := randVec(rng, n, 3)
			zq := make([]int8, n)
			for i := range zq {
				zq[i] = int8(rng.IntN(256) - 128)
			}
			const zScale = 0.05
			w := randVec(rng, n, 1)
			invScale := float32(127 / 3.0)

			var wantF, wantFq []float32
			var wantQ, wantQf []int8
			var wantGate, wantGateF []float32
			withGenericTier(func() {
				wantF = make([]float32, n)
				GatedRMSNormF32(y, zf, w, g, eps, wantF)
				wantFq = make([]float32, n)
				GatedRMSNormZI8F32(y, zq, zScale, w, g, eps, wantFq)
				wantQ = make([]int8, n)
				wantGate = slices.Clone(y)
				GatedRMSNormZI8QuantI8(wantGate, zq, zScale, w, g, eps, invScale, wantQ)
				wantGateF = slices.Clone(y)
				wantQf = make([]int8, n)
				GatedRMSNormQuantI8(wantGateF, zf, w, g, eps, invScale, wantQf)
			})
			refF := gatedRef(y, func(i int) float64 { return float64(zf[i]) }, w, g, eps)
			refQ := gatedRef(y, func(i int) float64 { return float64(float32(zq[i]) * zScale) }, w, g, eps)

			yc := slices.Clone(y)
			outF := make([]float32, n+1)
			outFq := make([]float32, n+1)
			q := make([]int8, n+1)
			outF[n], outFq[n], q[n] = 7, 7, 7
			GatedRMSNormF32(yc, zf, w, g, eps, outF)
			GatedRMSNormZI8F32(yc, zq, zScale, w, g, eps, outFq)
			if !slices.Equal(yc, y) {
				t.Fatalf("g=%d: float-output variants modified y", g)
			}
			GatedRMSNormZI8QuantI8(yc, zq, zScale, w, g, eps, invScale, q)
			// The gate y·silu(z), left in y, is bit-exact across tiers.
			if !slices.Equal(yc, wantGate) {
				t.Fatalf("g=%d groups=%d: gated values differ from the twin", g, groups)
			}
			ycf := slices.Clone(y)
			qf := make([]int8, n)
			GatedRMSNormQuantI8(ycf, zf, w, g, eps, invScale, qf)
			if !slices.Equal(ycf, wantGateF) {
				t.Fatalf("g=%d groups=%d: float-z gated values differ from the twin", g, groups)
			}
			if outF[n] != 7 || outFq[n] != 7 || q[n] != 7 {
				t.Fatalf("g=%d groups=%d: guard overwritten", g, groups)
			}
			for i := 0; i < n; i++ {
				what := fmt.Sprintf("g=%d groups=%d i=%d", g, groups, i)
				if !normClose(outF[i], wantF[i]) || !normClose(outFq[i], wantFq[i]) {
					t.Fatalf("%s: %v, %v; twin %v, %v", what, outF[i], outFq[i], wantF[i], wantFq[i])
				}
				if math.Abs(float64(outF[i])-refF[i]) > 1e-5*math.Abs(refF[i])+1e-6 ||
					math.Abs(float64(outFq[i])-refQ[i]) > 1e-5*math.Abs(refQ[i])+1e-6 {
					t.Fatalf("%s: %v, %v; float64 %v, %v", what, outF[i], outFq[i], refF[i], refQ[i])
				}
				if !i8Close(q[i], wantQ[i]) || !i8Close(qf[i], wantQf[i]) {
					t.Fatalf("%s: q = %d, %d; twin %d, %d", what, q[i], qf[i], wantQ[i], wantQf[i])
				}
				if vf := refF[i] * float64(invScale); math.Abs(float64(qf[i])-math.Max(-128, math.Min(127, vf))) > 0.5+1e-4 {
					t.Fatalf("%s: float-z q = %d, float64 %v", what, qf[i], vf)
				}
				v := refQ[i] * float64(invScale)
				if math.Abs(float64(q[i])-math.Max(-128, math.Min(127, v))) > 0.5+1e-4 {
					t.Fatalf("%s: q = %d, float64 %v", what, q[i], v)
				}
			}
		}
	})
	mustPanic(t, "GatedRMSNormF32 ragged groups", func() {
		GatedRMSNormF32(make([]float32, 10), make([]float32, 10), make([]float32, 10), 4, 1e-5, make([]float32, 10))
	})
}

func BenchmarkRMSNorm(b *testing.B) {
	const d = 768
	rng := rand.New(rand.NewPCG(1, 1))
	res, h, w := randVec(rng, d, 1), randVec(rng, d, 1e-3), randVec(rng, d, 1)
	q := make([]int8, d)
	out := make([]float32, d)
	for _, tier := range Supported() {
		saved := Active()
		SetTier(tier)
		b.Run(fmt.Sprintf("AddQuantI8/D=%d/%s", d, tier), func(b *testing.B) {
			stop := startCPUTimer(b)
			for b.Loop() {
				AddRMSNormQuantI8(res, h, w, 1e-5, 30, q)
			}
			stop()
		})
		b.Run(fmt.Sprintf("AddF32/D=%d/%s", d, tier), func(b *testing.B) {
			stop := startCPUTimer(b)
			for b.Loop() {
				AddRMSNormF32(res, h, w, 1e-5, out)
			}
			stop()
		})
		SetTier(saved)
	}
}

func BenchmarkGatedRMSNorm(b *testing.B) {
	const n = 1536
	rng := rand.New(rand.NewPCG(1, 1))
	y, w := randVec(rng, n, 1), randVec(rng, n, 1)
	z := make([]int8, n)
	for i := range z {
		z[i] = int8(rng.IntN(256) - 128)
	}
	out := make([]float32, n)
	for _, tier := range Supported() {
		saved := Active()
		SetTier(tier)
		b.Run(fmt.Sprintf("ZI8F32/n=%d/%s", n, tier), func(b *testing.B) {
			stop := startCPUTimer(b)
			for b.Loop() {
				GatedRMSNormZI8F32(y, z, 0.05, w, n, 1e-5, out)
			}
			stop()
		})
		SetTier(saved)
	}
}
