//go:build arm64 && !noasm

package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/quamba/quamba/internal/race"
)

// The NEONI8MM binding splits the rows of a prefill product into SMMLA
// blocks of 8 (the last one of 5 to 7 rows padded with copies of its last
// row) and at most 4 rows left over for one SDOT block (i8mmRows), and
// prepares the activations of every SMMLA block. These tests take every arm64 tier over
// M from 2 to 26 (SDOT only, SMMLA only, both, with and without a padded
// block), N without a full panel, with a partial one and over several
// cache chunks, K odd, even and past a W4 group, and compare the bits with
// the generic tier, the guards around the outputs, and the inputs.

func TestI8MMRows(t *testing.T) {
	for m, want := range map[int]int{1: 0, 2: 0, 4: 0, 5: 5, 7: 7, 8: 8, 9: 8, 12: 8, 13: 13, 16: 16, 20: 16, 21: 21} {
		if got := i8mmRows(m); got != want {
			t.Errorf("i8mmRows(%d) = %d, want %d", m, got, want)
		}
	}
}

// i8mmMs are the row counts: every split of the binding.
var i8mmMs = []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 18, 20, 21, 23, 26}

func TestMatMulW8A8I8MMSplits(t *testing.T) {
	if !Has(NEONI8MM) {
		t.Logf("NEONI8MM not supported by this CPU: only the other tiers are compared")
	}
	rng := rand.New(rand.NewPCG(41, 42))
	type shape struct{ m, n, k int }
	var shapes []shape
	for _, m := range i8mmMs {
		for _, n := range []int{1, 15, 17, 33} {
			for _, k := range []int{1, 3, 8, 9, 13, 130} {
				shapes = append(shapes, shape{m, n, k})
			}
		}
	}
	// Several cache chunks of panels (12 of 16064 bytes each) plus a
	// partial panel, with and without SDOT rows.
	shapes = append(shapes, shape{11, 16*40 + 5, 1001}, shape{14, 16*40 + 5, 1001})
	for si, s := range shapes {
		ldx := s.k + si%3
		w := randW8(rng, s.n, s.k, s.k, si%4)
		p, err := PackW8(s.n, s.k, w, s.k)
		if err != nil {
			t.Fatal(err)
		}
		x := randX(rng, s.m, s.k, ldx, si%4)
		scale, bias := testScales(rng, s.n, si%2 == 0, 3e-3)
		if si%3 == 0 {
			bias = nil
		}
		x0, d0 := slices.Clone(x), slices.Clone(p.data)
		outs := func() [][]byte {
			var r [][]byte
			o32 := newOut[int32](s.m, s.n, 0x5a5a5a5a)
			MatMulW8A8I32(s.m, x, ldx, p, o32.y(), o32.ld())
			o32.checkGuards(t)
			of := newOut[float32](s.m, s.n, -7.25)
			MatMulW8A8F32(s.m, x, ldx, p, scale, bias, of.y(), of.ld())
			of.checkGuards(t)
			oh := newOut[uint16](s.m, s.n, 0xdead)
			MatMulW8A8F16(s.m, x, ldx, p, scale, oh.y(), oh.ld())
			oh.checkGuards(t)
			o8 := newOut[int8](s.m, s.n, 99)
			MatMulW8A8I8(s.m, x, ldx, p, scale, o8.y(), o8.ld())
			o8.checkGuards(t)
			b32, bf, bh := make([]byte, 0, 4*len(o32.all)), make([]byte, 0, 4*len(of.all)), make([]byte, 0, 2*len(oh.all))
			for _, v := range o32.all {
				b32 = append(b32, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
			}
			for _, f := range of.all {
				v := math.Float32bits(f)
				bf = append(bf, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
			}
			for _, v := range oh.all {
				bh = append(bh, byte(v), byte(v>>8))
			}
			return append(r, b32, bf, bh, int8Bytes(o8.all))
		}
		res := onEveryTier(t, outs)
		for tier, got := range res {
			for j, name := range []string{"I32", "F32", "F16", "I8"} {
				if string(got[j]) != string(res[Generic][j]) {
					t.Errorf("m=%d n=%d k=%d ldx=%d %s on %s: differs from generic", s.m, s.n, s.k, ldx, name, tier)
				}
			}
		}
		if !slices.Equal(x, x0) || !slices.Equal(p.data, d0) {
			t.Fatalf("m=%d n=%d k=%d: inputs changed", s.m, s.n, s.k)
		}
	}
}

func TestMatMulW4A8I8MMSplits(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	type shape struct{ m, n, k int }
	var shapes []shape
	for _, m := range i8mmMs {
		for _, n := range []int{1, 16, 17, 33} {
			for _, k := range []int{1, 9, 128, 300} {
				shapes = append(shapes, shape{m, n, k})
			}
		}
	}
	// Several cache chunks (64 panels of 3072 bytes) plus a partial panel.
	shapes = append(shapes, shape{13, 16*70 + 3, 300}, shape{10, 16*70 + 3, 300})
	for si, s := range shapes {
		ng := (s.k + W4Group - 1) / W4Group
		q := make([]uint8, s.n*s.k)
		for i := range q {
			q[i] = uint8(rng.IntN(16))
			if si%5 == 1 {
				q[i] = uint8(15 * (i % 2))
			}
		}
		gs, rs := make([]float32, s.n*ng), make([]float32, s.n)
		for i := range gs {
			gs[i] = rng.Float32()*0.1 + 0.001
		}
		for i := range rs {
			rs[i] = rng.Float32() + 0.5
		}
		p, err := PackW4(s.n, s.k, q, s.k, gs, rs)
		if err != nil {
			t.Fatal(err)
		}
		ldx := s.k + si%5
		x := randX(rng, s.m, s.k, ldx, si%4)
		x0, c0 := slices.Clone(x), slices.Clone(p.codes)
		res := onEveryTier(t, func() []uint32 {
			o := newOut[float32](s.m, s.n, -7.25)
			MatMulW4A8F32(s.m, x, ldx, 0.0117, p, o.y(), o.ld())
			o.checkGuards(t)
			b := make([]uint32, len(o.all))
			for i, v := range o.all {
				b[i] = math.Float32bits(v)
			}
			return b
		})
		// Every arm64 tier is bit-exact with the generic order.
		for tier, got := range res {
			if !slices.Equal(got, res[Generic]) {
				t.Errorf("m=%d n=%d k=%d ldx=%d on %s: differs from generic", s.m, s.n, s.k, ldx, tier)
			}
		}
		if !slices.Equal(x, x0) || !slices.Equal(p.codes, c0) {
			t.Fatalf("m=%d n=%d k=%d: inputs changed", s.m, s.n, s.k)
		}
	}
}

// The prefill path of NEONI8MM reuses pooled scratch: no allocations.
func TestMatMulI8MMNoAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("counts allocations: the race detector allocates")
	}
	if !Has(NEONI8MM) {
		t.Skip("NEONI8MM not supported by this CPU")
	}
	saved := Active()
	defer SetTier(saved)
	if err := SetTier(NEONI8MM); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(45, 46))
	const m, n, k = 11, 100, 300
	w8, err := PackW8(n, k, randW8(rng, n, k, k, 0), k)
	if err != nil {
		t.Fatal(err)
	}
	w4, err := PackW4(n, k, make([]uint8, n*k), k, make([]float32, n*3), make([]float32, n))
	if err != nil {
		t.Fatal(err)
	}
	x := randX(rng, m, k, k+1, 0)
	yi, yf := make([]int8, m*n), make([]float32, m*n)
	for name, f := range map[string]func(){
		"W8A8I8": func() { MatMulW8A8I8(m, x, k+1, w8, []float32{0.5}, yi, n) },
		"W4A8":   func() { MatMulW4A8F32(m, x, k+1, 1, w4, yf, n) },
	} {
		f()
		if a := testing.AllocsPerRun(10, f); a != 0 {
			t.Errorf("%s: %v allocations per call", name, a)
		}
	}
}

// onEveryTier runs f with every supported tier active, Generic first.
func onEveryTier[T any](t *testing.T, f func() T) map[Tier]T {
	t.Helper()
	saved := Active()
	defer SetTier(saved)
	out := map[Tier]T{}
	for _, tier := range Supported() {
		if err := SetTier(tier); err != nil {
			t.Fatal(err)
		}
		out[tier] = f()
	}
	return out
}
