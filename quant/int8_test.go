package quant

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/quamba/quamba/kernels"
)

// refRNE rounds half to even, written from the definition.
func refRNE(x float64) float64 {
	f := math.Floor(x)
	d := x - f
	if d > 0.5 || (d == 0.5 && math.Mod(f, 2) != 0) {
		return f + 1
	}
	return f
}

// refScale is the textbook symmetric scale.
func refScale(absmax, qmax float64) float32 {
	s := float32(math.Max(absmax, 1e-5) / qmax)
	if float64(s) < 1e-6 {
		s = float32(1e-6)
	}
	return s
}

func randMatrix(rng *rand.Rand, rows, cols int, scale float64) []float32 {
	w := make([]float32, rows*cols)
	for i := range w {
		w[i] = float32(rng.NormFloat64() * scale)
	}
	return w
}

// refW8 quantizes w with one scale per row range in groups (each a [lo, hi)
// row range), the textbook way.
func refW8(w []float32, cols int, groups [][2]int) (codes []int8, rowScale []float32) {
	rows := len(w) / cols
	codes = make([]int8, len(w))
	rowScale = make([]float32, rows)
	for _, g := range groups {
		var a float64
		for i := g[0] * cols; i < g[1]*cols; i++ {
			a = math.Max(a, math.Abs(float64(w[i])))
		}
		s := refScale(a, 127)
		for r := g[0]; r < g[1]; r++ {
			rowScale[r] = s
			for c := 0; c < cols; c++ {
				q := refRNE(float64(w[r*cols+c]) / float64(s))
				codes[r*cols+c] = int8(math.Max(-127, math.Min(127, q)))
			}
		}
	}
	return codes, rowScale
}

func TestQuantizeW8MatchesTextbook(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rows, cols := 40, 48 // cols = dt_rank of mamba-130m: any K works
	w := randMatrix(rng, rows, cols, 0.1)
	w[3*cols+5] = -1   // the tensor's absmax is negative: must give -127, never -128
	w[20*cols+7] = 0.5 // slice absmax
	ends := []int{10, 20, 33, 37, 40}
	cases := []struct {
		gran   Granularity
		ends   []int
		groups [][2]int
	}{
		{PerTensor, nil, [][2]int{{0, rows}}},
		{PerSlice, ends, [][2]int{{0, 10}, {10, 20}, {20, 33}, {33, 37}, {37, 40}}},
		{PerRow, nil, func() [][2]int {
			g := make([][2]int, rows)
			for r := range g {
				g[r] = [2]int{r, r + 1}
			}
			return g
		}()},
	}
	for _, tc := range cases {
		q, err := QuantizeW8(w, rows, cols, tc.gran, tc.ends)
		if err != nil {
			t.Fatalf("%v: %v", tc.gran, err)
		}
		codes, rs := refW8(w, cols, tc.groups)
		for i := range codes {
			if q.Codes[i] != codes[i] {
				t.Fatalf("%v: code [%d][%d] = %d, want %d", tc.gran, i/cols, i%cols, q.Codes[i], codes[i])
			}
		}
		got := q.RowScales()
		deq := q.Dequantize()
		for r := 0; r < rows; r++ {
			if got[r] != rs[r] {
				t.Fatalf("%v: row %d scale %v, want %v", tc.gran, r, got[r], rs[r])
			}
			for c := 0; c < cols; c++ {
				if want := float32(codes[r*cols+c]) * rs[r]; deq[r*cols+c] != want {
					t.Fatalf("%v: dequantized [%d][%d] = %v, want %v", tc.gran, r, c, deq[r*cols+c], want)
				}
			}
		}
		if len(q.Scales) != len(tc.groups) {
			t.Fatalf("%v: %d scales, want %d", tc.gran, len(q.Scales), len(tc.groups))
		}
		if want := 8 + 32*float64(len(tc.groups))/float64(rows*cols); q.BitsPerWeight() != want {
			t.Fatalf("%v: BitsPerWeight %v, want %v", tc.gran, q.BitsPerWeight(), want)
		}
		if q.Codes[3*cols+5] != -127 {
			t.Fatalf("%v: code of the negative maximum is %d, want -127", tc.gran, q.Codes[3*cols+5])
		}
		p, err := q.Pack()
		if err != nil {
			t.Fatalf("%v: Pack: %v", tc.gran, err)
		}
		un := p.Unpack()
		for i := range un {
			if un[i] != q.Codes[i] {
				t.Fatalf("%v: packed code %d differs", tc.gran, i)
			}
		}
	}
}

func TestQuantizeW8ZeroAndTiny(t *testing.T) {
	w := []float32{0, 0, 0, 0, 1e-7, -1e-7}
	q, err := QuantizeW8(w, 3, 2, PerRow, nil)
	if err != nil {
		t.Fatal(err)
	}
	// absmax is clamped to 1e-5, then the scale to 1e-6.
	if q.Scales[0] != float32(1e-6) || q.Scales[2] != float32(1e-6) {
		t.Fatalf("scales %v, want 1e-6", q.Scales)
	}
	if q.Codes[4] != 0 || q.Codes[5] != 0 {
		t.Fatalf("codes %v", q.Codes)
	}
}

func TestQuantizeW8Errors(t *testing.T) {
	w := make([]float32, 12)
	nan := append([]float32(nil), w...)
	nan[1*4+2] = float32(math.NaN())
	inf := append([]float32(nil), w...)
	inf[2*4+3] = float32(math.Inf(-1))
	cases := []struct {
		name       string
		w          []float32
		rows, cols int
		gran       Granularity
		ends       []int
		want       string
	}{
		{"nan", nan, 3, 4, PerRow, nil, "[1][2] is NaN"},
		{"inf", inf, 3, 4, PerTensor, nil, "[2][3] is -Inf"},
		{"short", w[:11], 3, 4, PerRow, nil, "11 weights"},
		{"zero rows", w, 0, 4, PerRow, nil, "bad shape"},
		{"negative cols", w, 3, -4, PerRow, nil, "bad shape"},
		{"absurd", w, 1 << 30, 1 << 30, PerRow, nil, "too large"},
		{"no ends", w, 3, 4, PerSlice, nil, "needs slice ends"},
		{"ends short", w, 3, 4, PerSlice, []int{1, 2}, "want 3"},
		{"ends unsorted", w, 3, 4, PerSlice, []int{2, 2, 3}, "not above"},
		{"ends on per-row", w, 3, 4, PerRow, []int{3}, "slice ends given"},
		{"granularity", w, 3, 4, Granularity(7), nil, "unknown granularity"},
	}
	for _, tc := range cases {
		_, err := QuantizeW8(tc.w, tc.rows, tc.cols, tc.gran, tc.ends)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// refFakeQuant is the scalar definition: q = sat8(RNE(float32(x·inv))),
// NaN → 127, then float32(q)·scale.
func refFakeQuant(x, scale float32) float32 {
	inv := 1 / scale
	v := x * inv
	var q float64
	switch {
	case math.IsNaN(float64(v)):
		q = 127
	default:
		q = math.Max(-128, math.Min(127, refRNE(float64(v))))
	}
	return float32(int8(q)) * scale // an integer code: -0 becomes +0
}

func edgeValues(scale float32) []float32 {
	v := []float32{
		0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.MaxFloat32, -math.MaxFloat32, 1e30, -1e30, math.SmallestNonzeroFloat32,
		127 * scale, 128 * scale, -128 * scale, -129 * scale, 127.5 * scale, -128.5 * scale,
	}
	for k := -130; k <= 130; k++ {
		v = append(v, (float32(k)+0.5)*scale, float32(k)*scale)
	}
	return v
}

func TestFakeQuantI8BitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, scale := range []float32{0.25, 0.0123, 1e-6, 3.7} {
		x := edgeValues(scale)
		for range 3000 {
			x = append(x, float32(rng.NormFloat64()*60)*scale)
		}
		got := append([]float32(nil), x...)
		if err := FakeQuantI8(got, scale); err != nil {
			t.Fatal(err)
		}
		q := make([]int8, len(x))
		kernels.QuantizeI8(x, InvScale(scale), q)
		for i := range x {
			want := float32(q[i]) * scale
			if math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Fatalf("scale %v: x = %v: got %v, kernels give %v", scale, x[i], got[i], want)
			}
			if ref := refFakeQuant(x[i], scale); math.Float32bits(got[i]) != math.Float32bits(ref) {
				t.Fatalf("scale %v: x = %v: got %v, definition gives %v", scale, x[i], got[i], ref)
			}
		}
	}
	// Exact halves round to even: with scale 1/4, x = 0.625 is 2.5 → 2.
	x := []float32{0.625, 0.875, -0.625, float32(math.Copysign(0, -1)), float32(math.NaN())}
	if err := FakeQuantI8(x, 0.25); err != nil {
		t.Fatal(err)
	}
	want := []float32{0.5, 1, -0.5, 0, 31.75}
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
			t.Fatalf("x[%d] = %v, want %v", i, x[i], want[i])
		}
	}
}

func TestFakeQuantI8Blocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cols, tokens := 37, 9
	ends := []int{5, 6, 20, 37}
	scales := []float32{0.01, 0.5, 0.003, 0.07}
	x := randMatrix(rng, tokens, cols, 0.5)
	copy(x, edgeValues(0.01)[:5])
	got := append([]float32(nil), x...)
	if err := FakeQuantI8Blocks(got, cols, ends, scales); err != nil {
		t.Fatal(err)
	}
	inv := make([]float32, cols)
	sc := make([]float32, cols)
	lo := 0
	for b, e := range ends {
		for c := lo; c < e; c++ {
			inv[c], sc[c] = InvScale(scales[b]), scales[b]
		}
		lo = e
	}
	q := make([]int8, len(x))
	kernels.QuantizeI8PerChannel(x, inv, q)
	for i := range x {
		want := float32(q[i]) * sc[i%cols]
		if math.Float32bits(got[i]) != math.Float32bits(want) {
			t.Fatalf("[%d][%d]: got %v, want %v", i/cols, i%cols, got[i], want)
		}
		if ref := refFakeQuant(x[i], sc[i%cols]); math.Float32bits(got[i]) != math.Float32bits(ref) {
			t.Fatalf("[%d][%d]: got %v, definition gives %v", i/cols, i%cols, got[i], ref)
		}
	}
}

func TestFakeQuantI8Errors(t *testing.T) {
	x := make([]float32, 6)
	for _, s := range []float32{0, -1, float32(math.NaN()), float32(math.Inf(1)), 1e-45} {
		if err := FakeQuantI8(x, s); err == nil || !strings.Contains(err.Error(), "scale") {
			t.Errorf("scale %v: error %v", s, err)
		}
	}
	cases := []struct {
		cols   int
		ends   []int
		scales []float32
		want   string
	}{
		{0, []int{3}, []float32{1}, "cols"},
		{4, []int{4}, []float32{1}, "whole rows"},
		{3, []int{1, 3}, []float32{1}, "2 column blocks"},
		{3, []int{1, 2}, []float32{1, 1}, "want 3"},
		{3, []int{1, 3}, []float32{1, 0}, "block 1"},
	}
	for _, tc := range cases {
		if err := FakeQuantI8Blocks(x, tc.cols, tc.ends, tc.scales); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc, err, tc.want)
		}
	}
}
