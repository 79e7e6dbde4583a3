package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/x448/float16"

	"github.com/quamba/quamba/internal/race"
)

// forEachTier runs f once per tier this machine supports, with that tier
// active.
func forEachTier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := Active()
	defer SetTier(saved)
	for _, tier := range Supported() {
		if err := SetTier(tier); err != nil {
			t.Fatal(err)
		}
		t.Run(tier.String(), f)
	}
}

// Shapes exercised by the correctness tests.
var (
	testNs = []int{1, 15, 16, 17, 33}
	testKs = []int{1, 3, 4, 5, 127, 128, 129, 1000, 4100}
	testMs = []int{1, 2, 3, 7, 64}
)

// guard is the number of sentinel elements around every output matrix, and
// the extra stride beyond N.
const guard = 5

// randW8 returns an [n x k] int8 matrix (stride ldw) with values in
// [-127, 127]; pattern 0 is random, 1 all +127, 2 all -127, 3 alternating.
func randW8(rng *rand.Rand, n, k, ldw, pattern int) []int8 {
	w := make([]int8, (n-1)*ldw+k)
	for i := range w {
		switch pattern {
		case 0:
			w[i] = int8(rng.IntN(255) - 127)
		case 1:
			w[i] = 127
		case 2:
			w[i] = -127
		default:
			w[i] = int8(127 - 254*(i%2))
		}
	}
	return w
}

// randX returns m rows of int8 activations; pattern 0 is random, 1 all -128,
// 2 all 127, 3 alternating -128/127.
func randX(rng *rand.Rand, m, k, ldx, pattern int) []int8 {
	x := make([]int8, (m-1)*ldx+k)
	for i := range x {
		switch pattern {
		case 0:
			x[i] = int8(rng.IntN(256) - 128)
		case 1:
			x[i] = -128
		case 2:
			x[i] = 127
		default:
			x[i] = int8(-128 + 255*(i%2))
		}
	}
	return x
}

// refAcc is the plain int32 product over an unpacked [n x k] matrix.
func refAcc(m int, x []int8, ldx int, w []int8, ldw, n, k int) []int32 {
	acc := make([]int32, m*n)
	for i := 0; i < m; i++ {
		for r := 0; r < n; r++ {
			var s int32
			for c := 0; c < k; c++ {
				s += int32(x[i*ldx+c]) * int32(w[r*ldw+c])
			}
			acc[i*n+r] = s
		}
	}
	return acc
}

func TestPackW8RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range testNs {
		for _, k := range []int{1, 3, 4, 5, 129} {
			w := randW8(rng, n, k, k+2, 0)
			p, err := PackW8(n, k, w, k+2)
			if err != nil {
				t.Fatal(err)
			}
			u := p.Unpack()
			for r := 0; r < n; r++ {
				var s int32
				for c := 0; c < k; c++ {
					if u[r*k+c] != w[r*(k+2)+c] {
						t.Fatalf("n=%d k=%d: [%d][%d] = %d, want %d", n, k, r, c, u[r*k+c], w[r*(k+2)+c])
					}
					s += int32(w[r*(k+2)+c])
				}
				if p.RowSums()[r] != s {
					t.Fatalf("n=%d k=%d: rowSum[%d] = %d, want %d", n, k, r, p.RowSums()[r], s)
				}
			}
			if want := roundUp(n, 16) * roundUp(k, 4); p.Bytes() != want {
				t.Fatalf("n=%d k=%d: Bytes() = %d, want %d", n, k, p.Bytes(), want)
			}
			// Padding must be zero.
			var nz int
			for _, v := range p.data {
				if v != 0 {
					nz++
				}
			}
			var wz int
			for r := 0; r < n; r++ {
				for c := 0; c < k; c++ {
					if w[r*(k+2)+c] != 0 {
						wz++
					}
				}
			}
			if nz != wz {
				t.Fatalf("n=%d k=%d: %d non-zero packed bytes, want %d", n, k, nz, wz)
			}
		}
	}
}

func TestPackW8Rejects(t *testing.T) {
	w := []int8{1, 2, 3, -128, 5, 6}
	if _, err := PackW8(2, 3, w, 3); err == nil {
		t.Fatal("PackW8 accepted -128")
	}
	w[3] = -127
	if _, err := PackW8(2, 3, w, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := PackW8(2, 3, w[:5], 3); err == nil {
		t.Fatal("PackW8 accepted a short slice")
	}
	if _, err := PackW8(2, 3, w, 2); err == nil {
		t.Fatal("PackW8 accepted ldw < k")
	}
	if _, err := PackW8(0, 3, w, 3); err == nil {
		t.Fatal("PackW8 accepted n = 0")
	}
}

// outBuf is an output matrix with sentinels: m rows of n values, stride
// n+guard, and guard elements before and after.
type outBuf[T comparable] struct {
	all      []T
	sentinel T
	m, n     int
}

func newOut[T comparable](m, n int, sentinel T) *outBuf[T] {
	o := &outBuf[T]{all: make([]T, 2*guard+(m-1)*(n+guard)+n), sentinel: sentinel, m: m, n: n}
	for i := range o.all {
		o.all[i] = sentinel
	}
	return o
}

func (o *outBuf[T]) y() []T        { return o.all[guard : len(o.all)-guard] }
func (o *outBuf[T]) ld() int       { return o.n + guard }
func (o *outBuf[T]) at(i, r int) T { return o.all[guard+i*o.ld()+r] }

// check fails t if any element outside the m x n outputs changed.
func (o *outBuf[T]) checkGuards(t *testing.T) {
	t.Helper()
	for j, v := range o.all {
		p := j - guard
		inside := p >= 0 && p < (o.m-1)*o.ld()+o.n && p%o.ld() < o.n
		if !inside && v != o.sentinel {
			t.Fatalf("element %d outside the output was overwritten: %v", j, v)
		}
	}
}

// w8Case is one W8A8 test problem with its reference accumulators.
type w8Case struct {
	m, n, k int
	x       []int8
	ldx     int
	w       *W8
	acc     []int32
}

func w8Cases(t *testing.T, quick bool) []w8Case {
	rng := rand.New(rand.NewPCG(7, 8))
	var cs []w8Case
	for _, m := range testMs {
		for _, n := range testNs {
			for _, k := range testKs {
				if quick && m*n*k > 64*33*1000 {
					continue
				}
				for pattern := 0; pattern < 4; pattern++ {
					if pattern > 0 && (m > 3 || k > 1000) {
						continue
					}
					ldw, ldx := k+pattern, k+3*pattern
					w := randW8(rng, n, k, ldw, pattern)
					x := randX(rng, m, k, ldx, (pattern+m)%4)
					if pattern == 0 {
						x = randX(rng, m, k, ldx, 0)
					}
					p, err := PackW8(n, k, w, ldw)
					if err != nil {
						t.Fatal(err)
					}
					cs = append(cs, w8Case{m, n, k, x, ldx, p, refAcc(m, x, ldx, w, ldw, n, k)})
				}
			}
		}
	}
	return cs
}

func (c *w8Case) String() string { return fmt.Sprintf("m=%d n=%d k=%d ldx=%d", c.m, c.n, c.k, c.ldx) }

// scales returns a per-tensor or per-row scale vector and a bias.
func testScales(rng *rand.Rand, n int, perRow bool, mag float32) (scale, bias []float32) {
	if perRow {
		scale = make([]float32, n)
		for i := range scale {
			scale[i] = mag * (rng.Float32() + 0.01) * float32(1-2*(i%3/2))
		}
	} else {
		scale = []float32{mag * (rng.Float32() + 0.01)}
	}
	bias = make([]float32, n)
	for i := range bias {
		bias[i] = rng.Float32()*2 - 1
	}
	return scale, bias
}

func sc(scale []float32, r int) float32 {
	if len(scale) == 1 {
		return scale[0]
	}
	return scale[r]
}

func TestMatMulW8A8I32(t *testing.T) {
	cs := w8Cases(t, testing.Short())
	forEachTier(t, func(t *testing.T) {
		for _, c := range cs {
			o := newOut[int32](c.m, c.n, 0x5a5a5a5a)
			MatMulW8A8I32(c.m, c.x, c.ldx, c.w, o.y(), o.ld())
			for i := 0; i < c.m; i++ {
				for r := 0; r < c.n; r++ {
					if got, want := o.at(i, r), c.acc[i*c.n+r]; got != want {
						t.Fatalf("%v: y[%d][%d] = %d, want %d", &c, i, r, got, want)
					}
				}
			}
			o.checkGuards(t)
		}
	})
}

func TestMatMulW8A8F32(t *testing.T) {
	cs := w8Cases(t, true)
	rng := rand.New(rand.NewPCG(3, 4))
	forEachTier(t, func(t *testing.T) {
		for ci, c := range cs {
			perRow, withBias := ci%2 == 0, ci%3 != 0
			scale, bias := testScales(rng, c.n, perRow, 1e-4)
			if !withBias {
				bias = nil
			}
			o := newOut[float32](c.m, c.n, -7.25)
			MatMulW8A8F32(c.m, c.x, c.ldx, c.w, scale, bias, o.y(), o.ld())
			for i := 0; i < c.m; i++ {
				for r := 0; r < c.n; r++ {
					want := float32(float32(c.acc[i*c.n+r]) * sc(scale, r))
					if bias != nil {
						want += bias[r]
					}
					if got := o.at(i, r); math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("%v perRow=%v bias=%v: y[%d][%d] = %v, want %v", &c, perRow, withBias, i, r, got, want)
					}
				}
			}
			o.checkGuards(t)
		}
	})
}

func TestMatMulW8A8F16(t *testing.T) {
	cs := w8Cases(t, true)
	rng := rand.New(rand.NewPCG(5, 6))
	forEachTier(t, func(t *testing.T) {
		for ci, c := range cs {
			perRow := ci%2 == 0
			// Scales from tiny (subnormal halves) to huge (overflow to inf).
			mag := []float32{1e-9, 1e-4, 3e-2, 10}[ci%4]
			scale, _ := testScales(rng, c.n, perRow, mag)
			o := newOut[uint16](c.m, c.n, 0xdead)
			MatMulW8A8F16(c.m, c.x, c.ldx, c.w, scale, o.y(), o.ld())
			for i := 0; i < c.m; i++ {
				for r := 0; r < c.n; r++ {
					want := float16.Fromfloat32(float32(c.acc[i*c.n+r]) * sc(scale, r)).Bits()
					if got := o.at(i, r); got != want {
						t.Fatalf("%v perRow=%v: y[%d][%d] = %#04x, want %#04x", &c, perRow, i, r, got, want)
					}
				}
			}
			o.checkGuards(t)
		}
	})
}

func TestMatMulW8A8I8(t *testing.T) {
	cs := w8Cases(t, true)
	rng := rand.New(rand.NewPCG(9, 10))
	forEachTier(t, func(t *testing.T) {
		for ci, c := range cs {
			perRow := ci%2 == 0
			// Scales that mostly stay in range, and ones that saturate,
			// including |acc·scale| beyond 2^31.
			mag := []float32{1e-3, 0.02, 1, 1e6}[ci%4]
			scale, _ := testScales(rng, c.n, perRow, mag)
			o := newOut[int8](c.m, c.n, 99)
			MatMulW8A8I8(c.m, c.x, c.ldx, c.w, scale, o.y(), o.ld())
			for i := 0; i < c.m; i++ {
				for r := 0; r < c.n; r++ {
					v := float64(float32(c.acc[i*c.n+r]) * sc(scale, r))
					want := int8(math.Max(-128, math.Min(127, math.RoundToEven(v))))
					if got := o.at(i, r); got != want {
						t.Fatalf("%v perRow=%v: y[%d][%d] = %d, want %d (%v)", &c, perRow, i, r, got, want, v)
					}
				}
			}
			o.checkGuards(t)
		}
	})
}

// Half-way cases of the int8 rounding: accumulators whose scaled value is
// exactly k+0.5 must round to even.
func TestMatMulW8A8I8HalfEven(t *testing.T) {
	const n, k = 17, 4
	w := make([]int8, n*k)
	for r := 0; r < n; r++ {
		w[r*k] = int8(2*r - 16) // acc = x0·w0 with x0 = 1: -16 .. 16
	}
	p, err := PackW8(n, k, w, k)
	if err != nil {
		t.Fatal(err)
	}
	x := []int8{1, 0, 0, 0}
	forEachTier(t, func(t *testing.T) {
		y := make([]int8, n)
		MatMulW8A8I8(1, x, k, p, []float32{0.25}, y, n) // (2r-16)/4: halves at odd r
		for r := 0; r < n; r++ {
			want := int8(math.RoundToEven(float64(2*r-16) / 4))
			if y[r] != want {
				t.Fatalf("row %d: %d, want %d", r, y[r], want)
			}
		}
	})
}

func TestPanelsView(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const m, n, k = 3, 70, 37
	w := randW8(rng, n, k, k, 0)
	x := randX(rng, m, k, k, 0)
	p, err := PackW8(n, k, w, k)
	if err != nil {
		t.Fatal(err)
	}
	acc := refAcc(m, x, k, w, k, n, k)
	forEachTier(t, func(t *testing.T) {
		y := make([]int32, m*n)
		for lo := 0; lo < p.NumPanels(); lo += 2 {
			hi := min(lo+2, p.NumPanels())
			v := p.Panels(lo, hi)
			MatMulW8A8I32(m, x, k, v, y[lo*16:], n)
		}
		for i := range acc {
			if y[i] != acc[i] {
				t.Fatalf("y[%d] = %d, want %d", i, y[i], acc[i])
			}
		}
	})
}

func TestMatMulPanics(t *testing.T) {
	p, _ := PackW8(4, 8, make([]int8, 32), 8)
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	mustPanic("short x", func() { MatMulW8A8I32(2, make([]int8, 15), 8, p, make([]int32, 8), 4) })
	mustPanic("short y", func() { MatMulW8A8I32(2, make([]int8, 16), 8, p, make([]int32, 7), 4) })
	mustPanic("bad ldx", func() { MatMulW8A8I32(1, make([]int8, 16), 7, p, make([]int32, 8), 4) })
	mustPanic("bad scale", func() { MatMulW8A8I8(1, make([]int8, 8), 8, p, make([]float32, 2), make([]int8, 4), 4) })
	mustPanic("short bias", func() {
		MatMulW8A8F32(1, make([]int8, 8), 8, p, []float32{1}, make([]float32, 3), make([]float32, 4), 4)
	})
}

// ---- W4 ----

type w4Case struct {
	m, n, k int
	q       []uint8
	gs, rs  []float32
	w       *W4
}

func w4Cases(t *testing.T) []w4Case {
	rng := rand.New(rand.NewPCG(13, 14))
	type shape struct{ m, n, k int }
	var shapes []shape
	for _, m := range testMs {
		for _, n := range testNs {
			for _, k := range testKs {
				if m*n*k <= 64*33*1000 {
					shapes = append(shapes, shape{m, n, k})
				}
			}
		}
	}
	// Several blocks of panels (the AVX2 binding blocks by ~128 KB).
	shapes = append(shapes, shape{3, 100, 4100}, shape{5, 300, 300})
	var cs []w4Case
	for _, s := range shapes {
		m, n, k := s.m, s.n, s.k
		{
			{
				ng := (k + W4Group - 1) / W4Group
				q := make([]uint8, n*k)
				for i := range q {
					q[i] = uint8(rng.IntN(16))
					if m == 2 {
						q[i] = uint8(15 * (i % 2)) // extremes 0 and 15
					}
				}
				gs := make([]float32, n*ng)
				for i := range gs {
					gs[i] = rng.Float32()*0.1 + 0.001
				}
				rs := make([]float32, n)
				for i := range rs {
					rs[i] = rng.Float32() + 0.5
				}
				p, err := PackW4(n, k, q, k, gs, rs)
				if err != nil {
					t.Fatal(err)
				}
				cs = append(cs, w4Case{m, n, k, q, gs, rs, p})
			}
		}
	}
	return cs
}

func TestPackW4RoundTrip(t *testing.T) {
	for _, c := range w4Cases(t) {
		q, gs, rs := c.w.Unpack()
		for i := range q {
			if q[i] != c.q[i] {
				t.Fatalf("n=%d k=%d: code %d = %d, want %d", c.n, c.k, i, q[i], c.q[i])
			}
		}
		for i := range gs {
			if gs[i] != c.gs[i] {
				t.Fatalf("n=%d k=%d: gs[%d] = %v, want %v", c.n, c.k, i, gs[i], c.gs[i])
			}
		}
		for i := range rs {
			if rs[i] != c.rs[i] {
				t.Fatalf("n=%d k=%d: rs[%d] = %v, want %v", c.n, c.k, i, rs[i], c.rs[i])
			}
		}
	}
	if _, err := PackW4(1, 2, []uint8{3, 16}, 2, []float32{1}, []float32{1}); err == nil {
		t.Fatal("PackW4 accepted code 16")
	}
}

// w4Check compares got against the float64 reference ref with the bound
// |got - ref| ≤ 1e-5·bound, where bound is the same sum over absolute terms.
func w4Check(t *testing.T, what string, i, r int, got, ref, bound float64) {
	t.Helper()
	if math.Abs(got-ref) > 1e-5*bound+1e-30 {
		t.Fatalf("%s: y[%d][%d] = %v, want %v (bound %v)", what, i, r, got, ref, bound)
	}
}

// TestMatMulW4A8F32 checks |y - ref| ≤ 1e-5·|xs·rs[n]|·Σ_g |gs·P_g| with ref
// computed in float64 from the exact int32 group sums P_g.
func TestMatMulW4A8F32(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	cs := w4Cases(t)
	forEachTier(t, func(t *testing.T) {
		for _, c := range cs {
			ldx := c.k + 1
			x := randX(rng, c.m, c.k, ldx, c.m%4)
			if c.m > 3 {
				x = randX(rng, c.m, c.k, ldx, 0)
			}
			const xs = 0.0123
			o := newOut[float32](c.m, c.n, -7.25)
			MatMulW4A8F32(c.m, x, ldx, xs, c.w, o.y(), o.ld())
			ng := c.w.Groups()
			for i := 0; i < c.m; i++ {
				for r := 0; r < c.n; r++ {
					var ref, bound float64
					for g := 0; g < ng; g++ {
						var p int64
						for k := g * W4Group; k < min(c.k, (g+1)*W4Group); k++ {
							p += int64(x[i*ldx+k]) * int64(int(c.q[r*c.k+k])-8)
						}
						ref += float64(c.gs[r*ng+g]) * float64(p)
						bound += math.Abs(float64(c.gs[r*ng+g]) * float64(p))
					}
					f := xs * float64(c.rs[r])
					w4Check(t, fmt.Sprintf("m=%d n=%d k=%d", c.m, c.n, c.k), i, r, float64(o.at(i, r)), f*ref, math.Abs(f)*bound)
				}
			}
			o.checkGuards(t)
		}
	})
}

// TestMatMulW4A16F32 checks |y - ref| ≤ 1e-5·|rs[n]|·Σ_g |gs|·Σ_k |x·(q-8)|
// with ref computed in float64.
func TestMatMulW4A16F32(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	cs := w4Cases(t)
	forEachTier(t, func(t *testing.T) {
		for _, c := range cs {
			ldx := c.k + 2
			x := make([]float32, (c.m-1)*ldx+c.k)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			o := newOut[float32](c.m, c.n, -7.25)
			MatMulW4A16F32(c.m, x, ldx, c.w, o.y(), o.ld())
			ng := c.w.Groups()
			for i := 0; i < c.m; i++ {
				for r := 0; r < c.n; r++ {
					var ref, bound float64
					for g := 0; g < ng; g++ {
						var s, b float64
						for k := g * W4Group; k < min(c.k, (g+1)*W4Group); k++ {
							v := float64(x[i*ldx+k]) * float64(int(c.q[r*c.k+k])-8)
							s += v
							b += math.Abs(v)
						}
						ref += float64(c.gs[r*ng+g]) * s
						bound += math.Abs(float64(c.gs[r*ng+g])) * b
					}
					f := float64(c.rs[r])
					w4Check(t, fmt.Sprintf("m=%d n=%d k=%d", c.m, c.n, c.k), i, r, float64(o.at(i, r)), f*ref, math.Abs(f)*bound)
				}
			}
			o.checkGuards(t)
		}
	})
}

func TestW4PanelsView(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	const m, n, k = 5, 70, 300
	q := make([]uint8, n*k)
	for i := range q {
		q[i] = uint8(rng.IntN(16))
	}
	ng := (k + W4Group - 1) / W4Group
	gs := make([]float32, n*ng)
	for i := range gs {
		gs[i] = rng.Float32()
	}
	rs := make([]float32, n)
	for i := range rs {
		rs[i] = rng.Float32()
	}
	p, err := PackW4(n, k, q, k, gs, rs)
	if err != nil {
		t.Fatal(err)
	}
	x := randX(rng, m, k, k, 0)
	xf := make([]float32, m*k)
	for i, v := range x {
		xf[i] = float32(v)
	}
	forEachTier(t, func(t *testing.T) {
		want8, want16 := make([]float32, m*n), make([]float32, m*n)
		MatMulW4A8F32(m, x, k, 0.5, p, want8, n)
		MatMulW4A16F32(m, xf, k, p, want16, n)
		got8, got16 := make([]float32, m*n), make([]float32, m*n)
		for lo := 0; lo < p.NumPanels(); lo += 2 {
			v := p.Panels(lo, min(lo+2, p.NumPanels()))
			MatMulW4A8F32(m, x, k, 0.5, v, got8[lo*16:], n)
			MatMulW4A16F32(m, xf, k, v, got16[lo*16:], n)
		}
		for i := range want8 {
			if got8[i] != want8[i] || got16[i] != want16[i] {
				t.Fatalf("y[%d]: views give %v, %v; whole matrix %v, %v", i, got8[i], got16[i], want8[i], want16[i])
			}
		}
	})
}

// Non-finite scales: the int8 output clamps before rounding, NaN gives 127
// (for the decode row and for GEMM groups and their tail rows).
func TestMatMulW8A8I8NonFinite(t *testing.T) {
	const n, k = 17, 8
	rng := rand.New(rand.NewPCG(21, 22))
	w := randW8(rng, n, k, k, 0)
	w[0] = 0 // row 0: acc = 0 → 0·Inf = NaN
	for c := 1; c < k; c++ {
		w[c] = 0
	}
	p, err := PackW8(n, k, w, k)
	if err != nil {
		t.Fatal(err)
	}
	x1 := randX(rng, 1, k, k, 0)
	acc := refAcc(1, x1, k, w, k, n, k)
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	forEachTier(t, func(t *testing.T) {
		for _, m := range []int{1, 4, 9} {
			x := make([]int8, 0, m*k)
			for range m {
				x = append(x, x1...)
			}
			for _, s := range []float32{nan, inf, -inf} {
				y := make([]int8, m*n)
				MatMulW8A8I8(m, x, k, p, []float32{s}, y, n)
				for i := 0; i < m; i++ {
					for r := 0; r < n; r++ {
						v := float32(acc[r]) * s
						want := int8(127)
						if v < 0 {
							want = -128
						}
						if y[i*n+r] != want {
							t.Fatalf("m=%d scale %v: y[%d][%d] = %d, want %d (acc %d)", m, s, i, r, y[i*n+r], want, acc[r])
						}
					}
				}
			}
		}
	})
}

// Disjoint panel views on several goroutines give the single-call result.
func TestPanelsConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const m, n, k = 9, 150, 200
	w := randW8(rng, n, k, k, 0)
	x := randX(rng, m, k, k, 0)
	p, err := PackW8(n, k, w, k)
	if err != nil {
		t.Fatal(err)
	}
	scale, bias := testScales(rng, n, true, 1e-3)
	forEachTier(t, func(t *testing.T) {
		want := make([]float32, m*n)
		MatMulW8A8F32(m, x, k, p, scale, bias, want, n)
		got := make([]float32, m*n)
		done := make(chan bool)
		np := p.NumPanels()
		for lo := 0; lo < np; lo += 3 {
			go func(lo, hi int) {
				v := p.Panels(lo, hi)
				MatMulW8A8F32(m, x, k, v, scale[16*lo:], bias[16*lo:], got[16*lo:], n)
				done <- true
			}(lo, min(lo+3, np))
		}
		for lo := 0; lo < np; lo += 3 {
			<-done
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("y[%d] = %v, want %v", i, got[i], want[i])
			}
		}
	})
}

// The decode path must not allocate: it runs for every token.
func TestMatMulNoAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("counts allocations: the race detector allocates")
	}
	if Active() != AVX2 && Active() != AVX512 {
		t.Skip("allocation-free binding checked on the AVX2 and AVX512 tiers")
	}
	rng := rand.New(rand.NewPCG(25, 26))
	const n, k = 100, 300
	w8, err := PackW8(n, k, randW8(rng, n, k, k, 0), k)
	if err != nil {
		t.Fatal(err)
	}
	q := make([]uint8, n*k)
	w4, err := PackW4(n, k, q, k, make([]float32, n*3), make([]float32, n))
	if err != nil {
		t.Fatal(err)
	}
	x := randX(rng, 4, k, k, 0)
	x9, y9 := randX(rng, 9, k, k, 0), make([]int8, 9*n)     // a GEMM group and a GEMV row
	x12, y12 := randX(rng, 12, k, k, 0), make([]int8, 12*n) // and a padded GEMM group
	xf := make([]float32, 4*k)
	yi, yf := make([]int8, 4*n), make([]float32, 4*n)
	scale := []float32{0.5}
	for _, m := range []int{1, 4} {
		for name, f := range map[string]func(){
			"W8A8I8m9":  func() { MatMulW8A8I8(9, x9, k, w8, scale, y9, n) },
			"W8A8I8m12": func() { MatMulW8A8I8(12, x12, k, w8, scale, y12, n) },
			"W8A8I8":    func() { MatMulW8A8I8(m, x, k, w8, scale, yi, n) },
			"W8A8F32":   func() { MatMulW8A8F32(m, x, k, w8, scale, nil, yf, n) },
			"W4A8":      func() { MatMulW4A8F32(m, x, k, 1, w4, yf, n) },
			"W4A16":     func() { MatMulW4A16F32(m, xf, k, w4, yf, n) },
		} {
			f() // fill the scratch pool
			if a := testing.AllocsPerRun(20, f); a != 0 {
				t.Errorf("%s m=%d: %v allocations per call", name, m, a)
			}
		}
	}
}

// Shapes around the register tiles and cache blocks of the SIMD GEMMs: M
// around the 4- and 8-row groups (groups plus GEMV tail rows and padded
// tail groups), N from one to a
// few panel triples with and without a partial last panel, K around the
// 64-byte vectors and the k-block of 4, every epilogue, per-tensor and
// per-row scales, with and without bias. Each tier must give the generic
// tier's bits, write nothing outside the outputs and leave its inputs
// unchanged.
func TestMatMulW8A8Tiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	type run struct {
		name string
		f    func(m int, x []int8, ldx int, w *W8, scale, bias []float32, n int) ([]byte, func(*testing.T))
	}
	outI32 := func(m int, x []int8, ldx int, w *W8, scale, bias []float32, n int) ([]byte, func(*testing.T)) {
		o := newOut[int32](m, n, 0x5a5a5a5a)
		MatMulW8A8I32(m, x, ldx, w, o.y(), o.ld())
		b := make([]byte, 0, 4*len(o.all))
		for _, v := range o.all {
			b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
		}
		return b, o.checkGuards
	}
	outF32 := func(m int, x []int8, ldx int, w *W8, scale, bias []float32, n int) ([]byte, func(*testing.T)) {
		o := newOut[float32](m, n, -7.25)
		MatMulW8A8F32(m, x, ldx, w, scale, bias, o.y(), o.ld())
		b := make([]byte, 0, 4*len(o.all))
		for _, f := range o.all {
			v := math.Float32bits(f)
			b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
		}
		return b, o.checkGuards
	}
	outF16 := func(m int, x []int8, ldx int, w *W8, scale, bias []float32, n int) ([]byte, func(*testing.T)) {
		o := newOut[uint16](m, n, 0xdead)
		MatMulW8A8F16(m, x, ldx, w, scale, o.y(), o.ld())
		b := make([]byte, 0, 2*len(o.all))
		for _, v := range o.all {
			b = append(b, byte(v), byte(v>>8))
		}
		return b, o.checkGuards
	}
	outI8 := func(m int, x []int8, ldx int, w *W8, scale, bias []float32, n int) ([]byte, func(*testing.T)) {
		o := newOut[int8](m, n, 99)
		MatMulW8A8I8(m, x, ldx, w, scale, o.y(), o.ld())
		b := make([]byte, len(o.all))
		for i, v := range o.all {
			b[i] = byte(v)
		}
		return b, o.checkGuards
	}
	runs := []run{{"i32", outI32}, {"f32", outF32}, {"f16", outF16}, {"i8", outI8}}
	type tcase struct {
		m, n, k, ldx int
		x            []int8
		w            *W8
		wBytes       []int8
		scale, bias  []float32
		want         [][]byte
	}
	var cs []tcase
	for _, m := range []int{4, 8, 9, 12, 15, 17, 24} {
		for _, n := range []int{48, 63, 80, 100} {
			for _, k := range []int{5, 64, 67, 300} {
				ldx := k + m%3
				w := randW8(rng, n, k, k, 0)
				// Rows 2 and 50 give acc = 0: with their negative
				// per-row scales, -0 (kept without a bias).
				clear(w[2*k : 3*k])
				if n > 50 {
					clear(w[50*k : 51*k])
				}
				p, err := PackW8(n, k, w, k)
				if err != nil {
					t.Fatal(err)
				}
				scale, bias := testScales(rng, n, (m+n+k)%2 == 0, 2e-3)
				if k == 64 {
					bias = nil
				}
				cs = append(cs, tcase{m: m, n: n, k: k, ldx: ldx, x: randX(rng, m, k, ldx, 0), w: p,
					wBytes: append([]int8(nil), p.data...), scale: scale, bias: bias})
			}
		}
	}
	// Large K and N: several row blocks and panel blocks of the cache
	// blocking, with tail rows and a partial panel.
	for _, s := range []struct{ m, n, k int }{{41, 200, 4100}, {72, 1000, 1537}} {
		w := randW8(rng, s.n, s.k, s.k, 0)
		p, err := PackW8(s.n, s.k, w, s.k)
		if err != nil {
			t.Fatal(err)
		}
		scale, bias := testScales(rng, s.n, true, 1e-4)
		cs = append(cs, tcase{m: s.m, n: s.n, k: s.k, ldx: s.k, x: randX(rng, s.m, s.k, s.k, 0), w: p,
			wBytes: append([]int8(nil), p.data...), scale: scale, bias: bias})
	}
	saved := Active()
	defer SetTier(saved)
	if err := SetTier(Generic); err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		c := &cs[i]
		for _, r := range runs {
			b, _ := r.f(c.m, c.x, c.ldx, c.w, c.scale, c.bias, c.n)
			c.want = append(c.want, b)
		}
	}
	forEachTier(t, func(t *testing.T) {
		for i := range cs {
			c := &cs[i]
			x := append([]int8(nil), c.x...)
			sc := append([]float32(nil), c.scale...)
			bi := append([]float32(nil), c.bias...)
			for j, r := range runs {
				got, guards := r.f(c.m, c.x, c.ldx, c.w, c.scale, c.bias, c.n)
				guards(t)
				if string(got) != string(c.want[j]) {
					for e := range got {
						if got[e] != c.want[j][e] {
							t.Fatalf("m=%d n=%d k=%d ldx=%d %s: output byte %d differs from generic", c.m, c.n, c.k, c.ldx, r.name, e)
						}
					}
				}
			}
			if string(int8Bytes(x)) != string(int8Bytes(c.x)) || string(int8Bytes(c.wBytes)) != string(int8Bytes(c.w.data)) {
				t.Fatalf("m=%d n=%d k=%d: inputs changed", c.m, c.n, c.k)
			}
			for e := range sc {
				if math.Float32bits(sc[e]) != math.Float32bits(c.scale[e]) {
					t.Fatalf("m=%d n=%d k=%d: scale changed", c.m, c.n, c.k)
				}
			}
			for e := range bi {
				if math.Float32bits(bi[e]) != math.Float32bits(c.bias[e]) {
					t.Fatalf("m=%d n=%d k=%d: bias changed", c.m, c.n, c.k)
				}
			}
		}
	})
}

func int8Bytes(v []int8) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}
