//go:build amd64 && !noasm

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The AVX512 W4 kernels follow the float operations of the pure-Go code
// (see GemvW4A8AVX512, GemvW4A16AVX512, GemmW4A16x4AVX512), so they are
// checked bit for bit against w4a8Generic and w4a16Generic, at the sizes
// they treat specially: 1-3 panels beyond a multiple of 4 (the GEMV's
// panel quads), a partial last panel, 1-3 rows beyond a multiple of 4 (the
// 4-row micro-kernels), K not a multiple of 128 (padded groups), several
// L2 blocks of panels, and extreme codes, activations and magnitudes.

func avx512OrSkip(t testing.TB) {
	if !slices.Contains(Supported(), AVX512) {
		t.Skip("no AVX512 tier on this machine")
	}
}

type w4xCase struct {
	m, n, k int
	pat     int // 0 random codes, 1 alternating 0/15, 2 all 0, 3 all 15
}

func w4xCases() []w4xCase {
	var cs []w4xCase
	for _, m := range []int{1, 2, 3, 4, 5, 8, 11} {
		for _, n := range []int{1, 16, 17, 48, 80, 96, 112, 130} {
			for _, k := range []int{1, 48, 127, 128, 129, 300, 768} {
				cs = append(cs, w4xCase{m, n, k, (m + n + k) % 4})
			}
		}
	}
	// Several L2 blocks of panels (about 128 KB each) for the GEMV and the
	// 4-row kernels.
	cs = append(cs, w4xCase{1, 300, 1100, 0}, w4xCase{6, 300, 1100, 0}, w4xCase{9, 530, 513, 0}, w4xCase{2, 64, 4100, 1})
	return cs
}

func (c w4xCase) String() string { return fmt.Sprintf("m=%d n=%d k=%d pat=%d", c.m, c.n, c.k, c.pat) }

func w4xPack(t *testing.T, rng *rand.Rand, c w4xCase) *W4 {
	ng := (c.k + W4Group - 1) / W4Group
	q := make([]uint8, c.n*c.k)
	for i := range q {
		switch c.pat {
		case 0:
			q[i] = uint8(rng.IntN(16))
		case 1:
			q[i] = uint8(15 * (i % 2))
		case 2:
			q[i] = 0
		default:
			q[i] = 15
		}
	}
	gs := make([]float32, c.n*ng)
	for i := range gs {
		gs[i] = float32(rng.NormFloat64()) * 0.05
		if i%7 == 3 {
			gs[i] = 0
		}
	}
	rs := make([]float32, c.n)
	for i := range rs {
		rs[i] = rng.Float32() + 0.5
	}
	w, err := PackW4(c.n, c.k, q, c.k, gs, rs)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func w4Clone(w *W4) *W4 {
	return &W4{N: w.N, K: w.K, codes: slices.Clone(w.codes), gs: slices.Clone(w.gs), rs: slices.Clone(w.rs)}
}

func w4Same(a, b *W4) bool {
	return slices.Equal(a.codes, b.codes) && slices.Equal(a.gs, b.gs) && slices.Equal(a.rs, b.rs)
}

// w4SameBits reports whether got equals want bit for bit (any NaN matches
// any NaN).
func w4SameBits(got, want float32) bool {
	if got != got && want != want {
		return true
	}
	return math.Float32bits(got) == math.Float32bits(want)
}

func TestW4A8AVX512BitExact(t *testing.T) {
	avx512OrSkip(t)
	saved := Active()
	defer SetTier(saved)
	rng := rand.New(rand.NewPCG(31, 32))
	for ci, c := range w4xCases() {
		w := w4xPack(t, rng, c)
		w0 := w4Clone(w)
		ldx := c.k + ci%3
		x := randX(rng, c.m, c.k, ldx, ci%5%4)
		x0 := slices.Clone(x)
		xs := float32(0.0123)
		if ci%6 == 5 {
			xs = -3.5e-7
		}
		want := newOut[float32](c.m, c.n, -7.25)
		w4a8Generic(c.m, x, ldx, xs, w, want.y(), want.ld())
		if err := SetTier(AVX512); err != nil {
			t.Fatal(err)
		}
		got := newOut[float32](c.m, c.n, -7.25)
		MatMulW4A8F32(c.m, x, ldx, xs, w, got.y(), got.ld())
		SetTier(saved)
		got.checkGuards(t)
		for i := 0; i < c.m; i++ {
			for r := 0; r < c.n; r++ {
				if g, e := got.at(i, r), want.at(i, r); !w4SameBits(g, e) {
					t.Fatalf("%v: y[%d][%d] = %v (%#x), pure Go %v (%#x)", c, i, r, g, math.Float32bits(g), e, math.Float32bits(e))
				}
			}
		}
		if !slices.Equal(x, x0) || !w4Same(w, w0) {
			t.Fatalf("%v: inputs changed", c)
		}
	}
}

func TestW4A16AVX512BitExact(t *testing.T) {
	avx512OrSkip(t)
	saved := Active()
	defer SetTier(saved)
	rng := rand.New(rand.NewPCG(33, 34))
	for ci, c := range w4xCases() {
		w := w4xPack(t, rng, c)
		w0 := w4Clone(w)
		ldx := c.k + ci%3
		x := make([]float32, (c.m-1)*ldx+c.k)
		for i := range x {
			v := float32(rng.NormFloat64())
			switch (ci + i) % 11 {
			case 0:
				v *= 1e30
			case 1:
				v *= 1e-40 // subnormal
			case 2:
				v = 0
			case 3:
				v = float32(math.Copysign(0, -1))
			}
			x[i] = v
		}
		x0 := slices.Clone(x)
		want := newOut[float32](c.m, c.n, -7.25)
		w4a16Generic(c.m, x, ldx, w, want.y(), want.ld())
		if err := SetTier(AVX512); err != nil {
			t.Fatal(err)
		}
		got := newOut[float32](c.m, c.n, -7.25)
		MatMulW4A16F32(c.m, x, ldx, w, got.y(), got.ld())
		SetTier(saved)
		got.checkGuards(t)
		for i := 0; i < c.m; i++ {
			for r := 0; r < c.n; r++ {
				if g, e := got.at(i, r), want.at(i, r); !w4SameBits(g, e) {
					t.Fatalf("%v: y[%d][%d] = %v (%#x), pure Go %v (%#x)", c, i, r, g, math.Float32bits(g), e, math.Float32bits(e))
				}
			}
		}
		if !slices.Equal(x, x0) || !w4Same(w, w0) {
			t.Fatalf("%v: inputs changed", c)
		}
	}
}
