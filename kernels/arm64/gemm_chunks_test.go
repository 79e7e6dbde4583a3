//go:build !noasm

package arm64_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/quamba/quamba/kernels"
)

// The package kernels binding takes the panels in cache-sized chunks for
// M > 1; these tests use shapes of several chunks plus a partial panel and
// compare every arm64 tier with the pure-Go products through the public API.

// onTiers runs f on Generic and then on every arm64 tier, returning the
// results keyed by tier.
func onTiers[T any](t *testing.T, f func() T) map[kernels.Tier]T {
	t.Helper()
	saved := kernels.Active()
	defer kernels.SetTier(saved)
	out := map[kernels.Tier]T{}
	for _, tier := range kernels.Supported() {
		if tier != kernels.Generic && tier != kernels.NEON && tier != kernels.NEONDot {
			continue
		}
		if err := kernels.SetTier(tier); err != nil {
			t.Fatal(err)
		}
		out[tier] = f()
	}
	return out
}

func sameBits[T comparable](t *testing.T, what string, res map[kernels.Tier][]T) {
	t.Helper()
	ref := res[kernels.Generic]
	for tier, got := range res {
		bad := 0
		for i := range ref {
			if got[i] != ref[i] {
				if bad++; bad <= 3 {
					t.Errorf("%s on %s: element %d = %v, generic %v", what, tier, i, got[i], ref[i])
				}
			}
		}
	}
}

func TestW8A8Chunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const m, n, k, ldx, ldy = 6, 16*40 + 5, 1001, 1003, 16*40 + 9 // 12 panels per chunk
	w := make([]int8, n*k)
	for i := range w {
		w[i] = int8(rng.IntN(255) - 127)
	}
	pw, err := kernels.PackW8(n, k, w, k)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]int8, (m-1)*ldx+k)
	for i := range x {
		x[i] = int8(rng.IntN(256) - 128)
	}
	scale, bias := make([]float32, n), make([]float32, n)
	for i := range scale {
		scale[i] = 1e-5 + 1e-4*rng.Float32()
		bias[i] = rng.Float32() - 0.5
	}
	for _, mm := range []int{1, m} {
		sameBits(t, "I32", onTiers(t, func() []int32 {
			y := make([]int32, m*ldy)
			kernels.MatMulW8A8I32(mm, x, ldx, pw, y, ldy)
			return y
		}))
		sameBits(t, "F32", onTiers(t, func() []uint32 {
			y := make([]float32, m*ldy)
			kernels.MatMulW8A8F32(mm, x, ldx, pw, scale, bias, y, ldy)
			return f32bits(y)
		}))
		sameBits(t, "F16", onTiers(t, func() []uint16 {
			y := make([]uint16, m*ldy)
			kernels.MatMulW8A8F16(mm, x, ldx, pw, scale[:1], y, ldy)
			return y
		}))
		sameBits(t, "I8", onTiers(t, func() []int8 {
			y := make([]int8, m*ldy)
			kernels.MatMulW8A8I8(mm, x, ldx, pw, scale, y, ldy)
			return y
		}))
	}
}

func f32bits(y []float32) []uint32 {
	b := make([]uint32, len(y))
	for i, v := range y {
		b[i] = math.Float32bits(v)
	}
	return b
}

func TestW4Chunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const m, n, k, ldx, ldy = 5, 16*70 + 3, 300, 301, 16*70 + 4 // 64 panels per chunk
	g := (k + 127) / 128
	q := make([]uint8, n*k)
	for i := range q {
		q[i] = uint8(rng.IntN(16))
	}
	gs, rs := make([]float32, n*g), make([]float32, n)
	for i := range gs {
		gs[i] = 1e-3 + 1e-2*rng.Float32()
	}
	for i := range rs {
		rs[i] = 0.5 + rng.Float32()
	}
	pw, err := kernels.PackW4(n, k, q, k, gs, rs)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]int8, (m-1)*ldx+k)
	xf := make([]float32, (m-1)*ldx+k)
	for i := range x {
		x[i] = int8(rng.IntN(256) - 128)
		xf[i] = float32(rng.NormFloat64())
	}
	for _, mm := range []int{1, m} {
		// W4A8 is bit-exact on every arm64 tier.
		sameBits(t, "W4A8", onTiers(t, func() []uint32 {
			y := make([]float32, m*ldy)
			kernels.MatMulW4A8F32(mm, x, ldx, 0.013, pw, y, ldy)
			return f32bits(y)
		}))
		// W4A16: within 1e-5 of Σ|terms| (computed here in float64).
		res := onTiers(t, func() []float32 {
			y := make([]float32, m*ldy)
			kernels.MatMulW4A16F32(mm, xf, ldx, pw, y, ldy)
			return y
		})
		for tier, y := range res {
			for i := 0; i < m; i++ {
				for r := 0; r < ldy; r++ {
					got := y[i*ldy+r]
					if i >= mm || r >= n {
						if got != 0 {
							t.Errorf("W4A16 on %s: y[%d][%d] = %v outside the product", tier, i, r, got)
						}
						continue
					}
					var want, bound float64
					for gi := 0; gi < g; gi++ {
						var s, a float64
						for c := gi * 128; c < min(k, (gi+1)*128); c++ {
							v := float64(xf[i*ldx+c]) * float64(int(q[r*k+c])-8)
							s, a = s+v, a+math.Abs(v)
						}
						want += float64(gs[r*g+gi]) * s
						bound += float64(gs[r*g+gi]) * a
					}
					want, bound = want*float64(rs[r]), bound*float64(rs[r])
					if d := math.Abs(float64(got) - want); !(d <= 1e-5*bound) {
						t.Errorf("W4A16 on %s: y[%d][%d] = %v, want %v (bound %.3g)", tier, i, r, got, want, 1e-5*bound)
					}
				}
			}
		}
	}
}
