package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// Shapes of the float32 product tests.
var (
	f32TestNs = []int{1, 15, 16, 17, 33, 48}
	f32TestKs = []int{1, 3, 7, 48, 129, 1000}
	f32TestMs = []int{1, 2, 3, 5, 7, 14, 20, 64}
)

const f32Sentinel = float32(-1234.5)

func randF32s(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 2*rng.Float32() - 1
	}
	return v
}

// f32Naive is the specification of MatMulF32 written over the unpacked
// matrix: per output, products rounded to float32 and added in ascending k
// from 0, then the bias.
func f32Naive(m int, x []float32, ldx int, w []float32, ldw, n, k int, bias []float32, y []float32, ldy int) {
	for i := 0; i < m; i++ {
		for r := 0; r < n; r++ {
			var acc float32
			for c := 0; c < k; c++ {
				acc = acc + float32(x[i*ldx+c]*w[r*ldw+c])
			}
			if bias != nil {
				acc += bias[r]
			}
			y[i*ldy+r] = acc
		}
	}
}

// f32Exact returns the product in float64 (exact products, float64 sums)
// and Σ_k |x·w| per output, the scale of float32 rounding errors.
func f32Exact(m int, x []float32, ldx int, w []float32, ldw, n, k int, bias []float32) (ref, mag []float64) {
	ref, mag = make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for r := 0; r < n; r++ {
			var s, a float64
			for c := 0; c < k; c++ {
				p := float64(x[i*ldx+c]) * float64(w[r*ldw+c])
				s += p
				a += math.Abs(p)
			}
			if bias != nil {
				s += float64(bias[r])
				a += math.Abs(float64(bias[r]))
			}
			ref[i*n+r], mag[i*n+r] = s, a
		}
	}
	return ref, mag
}

func TestPackF32RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range f32TestNs {
		for _, k := range f32TestKs {
			ldw := k + 3
			w := randF32s(rng, (n-1)*ldw+k)
			p, err := PackF32(n, k, w, ldw)
			if err != nil {
				t.Fatal(err)
			}
			u := p.Unpack()
			for r := 0; r < n; r++ {
				for c := 0; c < k; c++ {
					if u[r*k+c] != w[r*ldw+c] {
						t.Fatalf("n=%d k=%d: [%d][%d] = %v, want %v", n, k, r, c, u[r*k+c], w[r*ldw+c])
					}
				}
			}
			// Padding rows and padding k are zero.
			kp := roundUp(k, F32K)
			for j, v := range p.data {
				r := j/(kp*PanelRows)*PanelRows + j%PanelRows
				c := j % (kp * PanelRows) / PanelRows
				if (r >= n || c >= k) && v != 0 {
					t.Fatalf("n=%d k=%d: padding (%d, %d) = %v", n, k, r, c, v)
				}
			}
		}
	}
	for _, bad := range []struct{ n, k, ldw, len int }{{0, 4, 4, 4}, {4, 0, 4, 4}, {2, 4, 3, 8}, {2, 4, 4, 7}} {
		if _, err := PackF32(bad.n, bad.k, make([]float32, bad.len), bad.ldw); err == nil {
			t.Errorf("PackF32(%d, %d, len %d, ldw %d) accepted", bad.n, bad.k, bad.len, bad.ldw)
		}
	}
}

// f32Case is one test problem.
type f32Case struct {
	m, n, k, ldx int
	x, wRaw      []float32
	bias         []float32
	w            *F32
}

func (c *f32Case) String() string {
	return fmt.Sprintf("m=%d n=%d k=%d ldx=%d bias=%v", c.m, c.n, c.k, c.ldx, c.bias != nil)
}

func newF32Case(rng *rand.Rand, m, n, k int, withBias bool) *f32Case {
	c := &f32Case{m: m, n: n, k: k, ldx: k + 2}
	c.x = randF32s(rng, (m-1)*c.ldx+k)
	c.wRaw = randF32s(rng, n*k)
	if withBias {
		c.bias = randF32s(rng, n)
	}
	var err error
	if c.w, err = PackF32(n, k, c.wRaw, k); err != nil {
		panic(err)
	}
	return c
}

func f32Cases() []*f32Case {
	rng := rand.New(rand.NewPCG(3, 4))
	var cs []*f32Case
	for _, m := range f32TestMs {
		for _, n := range f32TestNs {
			for _, k := range f32TestKs {
				cs = append(cs, newF32Case(rng, m, n, k, (m+n+k)%2 == 0))
			}
		}
	}
	// Several blocks of rows and of k, with and without bias; single rows
	// over groups of panels and a remainder.
	cs = append(cs, newF32Case(rng, 150, 40, 530, true), newF32Case(rng, 301, 33, 260, false),
		newF32Case(rng, 1, 64, 48, false), newF32Case(rng, 1, 130, 129, true), newF32Case(rng, 1, 80, 1000, true))
	// The AVX-512 tiles: 14 rows (one and several row blocks of 84, the
	// leftover rows padded (7-13) or on the AVX2 tile (1-6)) × pairs of
	// panels, an odd last full panel and a partial one; the GEMV's groups of
	// 8 and 4 panels and the lone ones (N = 240: 8+4+1+1+1 panels, N = 200:
	// 8+4 full and a partial one).
	cs = append(cs, newF32Case(rng, 28, 64, 100, true), newF32Case(rng, 97, 80, 769, true),
		newF32Case(rng, 169, 81, 64, false), newF32Case(rng, 27, 200, 36, true),
		newF32Case(rng, 1, 240, 100, true), newF32Case(rng, 1, 200, 64, false), newF32Case(rng, 1, 256, 1540, true))
	return cs
}

// TestMatMulF32Spec checks that the pure-Go product is the specification:
// bit-identical to the naive loop over the unpacked matrix.
func TestMatMulF32Spec(t *testing.T) {
	for _, c := range f32Cases() {
		want := make([]float32, c.m*c.n)
		f32Naive(c.m, c.x, c.ldx, c.wRaw, c.k, c.n, c.k, c.bias, want, c.n)
		got := make([]float32, c.m*c.n)
		f32Generic(c.m, c.x, c.ldx, c.w, c.bias, got, c.n)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%v: y[%d] = %v, want %v", c, j, got[j], want[j])
			}
		}
	}
}

// TestMatMulF32 runs every tier against the pure-Go product (within float32
// reassociation: 1e-6·Σ|x·w|) and against a float64 reference (within the
// worst-case bound of any summation order, K·2⁻²⁴·Σ|x·w|), with sentinels
// around every output row.
func TestMatMulF32(t *testing.T) {
	cases := f32Cases()
	forEachTier(t, func(t *testing.T) {
		for _, c := range cases {
			spec := make([]float32, c.m*c.n)
			f32Generic(c.m, c.x, c.ldx, c.w, c.bias, spec, c.n)
			ref, mag := f32Exact(c.m, c.x, c.ldx, c.wRaw, c.k, c.n, c.k, c.bias)
			o := newOut(c.m, c.n, f32Sentinel)
			MatMulF32(c.m, c.x, c.ldx, c.w, c.bias, o.y(), o.ld())
			o.checkGuards(t)
			for i := 0; i < c.m; i++ {
				for r := 0; r < c.n; r++ {
					got, a := float64(o.at(i, r)), mag[i*c.n+r]
					if d := math.Abs(got - float64(spec[i*c.n+r])); !(d <= 1e-6*a+1e-30) {
						t.Fatalf("%v: y[%d][%d] = %v, pure Go %v (|Δ| = %.3g, Σ|x·w| = %.3g)", c, i, r, got, spec[i*c.n+r], d, a)
					}
					if d := math.Abs(got - ref[i*c.n+r]); !(d <= float64(c.k+1)*0x1p-24*a+1e-30) {
						t.Fatalf("%v: y[%d][%d] = %v, float64 %v (|Δ| = %.3g, Σ|x·w| = %.3g)", c, i, r, got, ref[i*c.n+r], d, a)
					}
				}
			}
		}
	})
}

// TestMatMulF32TiersAgree checks that every SIMD tier of an architecture
// gives the same bits as its first SIMD tier (the AVX-512 kernels keep the
// AVX2 tier's sums: one FMA chain per output in ascending k, the same K
// blocks), and that the inputs are left unchanged.
func TestMatMulF32TiersAgree(t *testing.T) {
	var simd []Tier
	for _, tr := range Supported() {
		if tr != Generic {
			simd = append(simd, tr)
		}
	}
	if len(simd) < 2 {
		t.Skip("fewer than two SIMD tiers on this CPU")
	}
	defer SetTier(Active())
	for _, c := range f32Cases() {
		x0, d0 := append([]float32(nil), c.x...), append([]float32(nil), c.w.data...)
		b0 := append([]float32(nil), c.bias...)
		var want []float32
		for _, tr := range simd {
			if err := SetTier(tr); err != nil {
				t.Fatal(err)
			}
			o := newOut(c.m, c.n, f32Sentinel)
			MatMulF32(c.m, c.x, c.ldx, c.w, c.bias, o.y(), o.ld())
			o.checkGuards(t)
			got := make([]float32, c.m*c.n)
			for i := 0; i < c.m; i++ {
				for r := 0; r < c.n; r++ {
					got[i*c.n+r] = o.at(i, r)
				}
			}
			if want == nil {
				want = got
				continue
			}
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("%v: %s y[%d] = %v, %s %v", c, tr, j, got[j], simd[0], want[j])
				}
			}
		}
		if !slices.Equal(c.x, x0) || !slices.Equal(c.w.data, d0) || !slices.Equal(c.bias, b0) {
			t.Fatalf("%v: inputs changed", c)
		}
	}
}

// TestMatMulF32NonFinite checks that infinities and NaNs propagate like in
// the pure-Go product (an Inf weight times a zero activation is NaN).
func TestMatMulF32NonFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	forEachTier(t, func(t *testing.T) {
		for _, m := range []int{1, 7} {
			c := newF32Case(rng, m, 33, 129, true)
			c.wRaw[3*c.k+5] = float32(math.Inf(1)) // row 3: +Inf or NaN
			c.wRaw[20*c.k+7] = float32(math.NaN()) // row 20: NaN
			c.x[(m-1)*c.ldx+5] = 0                 // last row: 0·Inf
			c.bias[32] = float32(math.Inf(-1))     // row 32: -Inf
			c.w, _ = PackF32(c.n, c.k, c.wRaw, c.k)
			spec := make([]float32, m*c.n)
			f32Generic(m, c.x, c.ldx, c.w, c.bias, spec, c.n)
			got := make([]float32, m*c.n)
			MatMulF32(m, c.x, c.ldx, c.w, c.bias, got, c.n)
			for j := range spec {
				s, g := float64(spec[j]), float64(got[j])
				if math.IsNaN(s) != math.IsNaN(g) || (math.IsInf(s, 0) || math.IsInf(g, 0)) && s != g {
					t.Fatalf("m=%d: y[%d] = %v, pure Go %v", m, j, g, s)
				}
			}
		}
	})
}

// TestF32Panels checks that views of panels computed separately (as on
// several goroutines) give the full product.
func TestF32Panels(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	forEachTier(t, func(t *testing.T) {
		for _, m := range []int{1, 9} {
			c := newF32Case(rng, m, 70, 100, true) // 5 panels, the last partial
			want := make([]float32, m*c.n)
			MatMulF32(m, c.x, c.ldx, c.w, c.bias, want, c.n)
			got := make([]float32, m*c.n)
			var wg sync.WaitGroup
			for _, r := range [][2]int{{0, 2}, {2, 3}, {3, 5}} {
				v := c.w.Panels(r[0], r[1])
				n0 := r[0] * PanelRows
				wg.Go(func() { MatMulF32(m, c.x, c.ldx, v, c.bias[n0:], got[n0:], c.n) })
			}
			wg.Wait()
			for j := range want {
				if got[j] != want[j] {
					t.Fatalf("m=%d: y[%d] = %v from the views, %v from the whole", m, j, got[j], want[j])
				}
			}
		}
	})
}

func TestMatMulF32Panics(t *testing.T) {
	w, _ := PackF32(17, 8, make([]float32, 17*8), 8)
	for name, f := range map[string]func(){
		"nil weights": func() { MatMulF32(1, make([]float32, 8), 8, nil, nil, make([]float32, 17), 17) },
		"short x":     func() { MatMulF32(2, make([]float32, 15), 8, w, nil, make([]float32, 34), 17) },
		"short y":     func() { MatMulF32(2, make([]float32, 16), 8, w, nil, make([]float32, 33), 17) },
		"small ldy":   func() { MatMulF32(1, make([]float32, 8), 8, w, nil, make([]float32, 34), 16) },
		"short bias":  func() { MatMulF32(1, make([]float32, 8), 8, w, make([]float32, 16), make([]float32, 17), 17) },
		"bad panels":  func() { w.Panels(1, 3) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestReadStreams4(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	b := make([]byte, 8192)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	for _, n := range []int{1024, 2048, 8192} {
		if got, want := readStreams4(b[:n]), readStreamGo(b[:n]); got != want {
			t.Fatalf("n=%d: %#x, want %#x", n, got, want)
		}
	}
}
