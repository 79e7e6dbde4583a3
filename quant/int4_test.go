package quant

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/quamba/quamba/kernels"
)

// refW4Scale is the textbook group scale r·max(absmax, 1e-5)·2/15 ≥ 1e-6.
func refW4Scale(absmax, r float64) float32 {
	s := float32(r * math.Max(absmax, 1e-5) * 2 / 15)
	if float64(s) < 1e-6 {
		s = float32(1e-6)
	}
	return s
}

func refW4Code(v float64, s float32) uint8 {
	return uint8(math.Max(0, math.Min(15, refRNE(v/float64(s))+8)))
}

// refGroupErr is the textbook error of quantizing v (columns c0.. of a row)
// at scale s: Σ_ij e_i·H[c0+i][c0+j]·e_j, or Σ e² without H.
func refGroupErr(v []float64, s float32, h []float64, k, c0 int) float64 {
	e := make([]float64, len(v))
	for i, x := range v {
		e[i] = x - float64(int(refW4Code(x, s))-8)*float64(s)
	}
	var sum float64
	for i := range e {
		if h == nil {
			sum += e[i] * e[i]
			continue
		}
		for j := range e {
			sum += e[i] * h[(c0+i)*k+c0+j] * e[j]
		}
	}
	return sum
}

// refChooseScale tries every ratio and keeps the least error, the larger
// ratio on ties.
func refChooseScale(v []float64, grid []float64, h []float64, k, c0 int) float32 {
	var a float64
	for _, x := range v {
		a = math.Max(a, math.Abs(x))
	}
	bestR, bestS, bestE := -1.0, float32(0), math.Inf(1)
	for _, r := range grid {
		s := refW4Scale(a, r)
		e := refGroupErr(v, s, h, k, c0)
		if e < bestE || (e == bestE && r > bestR) {
			bestR, bestS, bestE = r, s, e
		}
	}
	return bestS
}

// refW4 is the textbook 4-bit quantizer: codes, group scales s [rows, ng],
// and the kernel-view dequantized weights.
func refW4(w []float32, rows, cols, group int, grid []float64, h []float64) (codes []uint8, s []float32, deq []float32) {
	ng := (cols + group - 1) / group
	codes = make([]uint8, rows*cols)
	s = make([]float32, rows*ng)
	for r := 0; r < rows; r++ {
		for g := 0; g < ng; g++ {
			c0, c1 := g*group, min(cols, (g+1)*group)
			v := make([]float64, c1-c0)
			for i := range v {
				v[i] = float64(w[r*cols+c0+i])
			}
			s[r*ng+g] = refChooseScale(v, grid, h, cols, c0)
			for i, x := range v {
				codes[r*cols+c0+i] = refW4Code(x, s[r*ng+g])
			}
		}
	}
	return codes, s, refW4Dequant(codes, s, rows, cols, group)
}

// refW4Dequant splits s into row and group scales and dequantizes with
// float32(float32(rs·gs)·(q-8)).
func refW4Dequant(codes []uint8, s []float32, rows, cols, group int) []float32 {
	ng := (cols + group - 1) / group
	deq := make([]float32, rows*cols)
	for r := 0; r < rows; r++ {
		rs := float32(0)
		for g := 0; g < ng; g++ {
			if s[r*ng+g] > rs {
				rs = s[r*ng+g]
			}
		}
		for c := 0; c < cols; c++ {
			gs := s[r*ng+c/group] / rs
			deq[r*cols+c] = (rs * gs) * float32(int(codes[r*cols+c])-8)
		}
	}
	return deq
}

func checkW4(t *testing.T, name string, q *W4Tensor, deq []float32, codes []uint8, s []float32, wantDeq []float32) {
	t.Helper()
	for i := range codes {
		if q.Codes[i] != codes[i] {
			t.Fatalf("%s: code [%d][%d] = %d, want %d", name, i/q.Cols, i%q.Cols, q.Codes[i], codes[i])
		}
	}
	ng := q.Groups()
	for r := 0; r < q.Rows; r++ {
		for g := 0; g < ng; g++ {
			// The group scale is recovered by the split to within float32 rounding.
			got := float64(q.RowScale[r]) * float64(q.GroupScale[r*ng+g])
			if want := float64(s[r*ng+g]); math.Abs(got-want) > 4e-7*want {
				t.Fatalf("%s: scale [%d][%d] = %v, want %v", name, r, g, got, want)
			}
		}
	}
	for i := range wantDeq {
		if math.Float32bits(deq[i]) != math.Float32bits(wantDeq[i]) {
			t.Fatalf("%s: dequantized [%d][%d] = %v, want %v", name, i/q.Cols, i%q.Cols, deq[i], wantDeq[i])
		}
	}
}

func TestQuantizeW4MatchesTextbook(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ rows, cols, group int }{
		{5, 256, 128}, {5, 200, 128}, {5, 100, 128}, {4, 96, 32}, {4, 150, 64}, {3, 48, 32},
	} {
		w := randMatrix(rng, tc.rows, tc.cols, 0.05)
		for _, clip := range []float64{0, 0.8} {
			q, err := QuantizeW4(w, tc.rows, tc.cols, nil, W4Options{Group: tc.group, Clip: clip})
			if err != nil {
				t.Fatal(err)
			}
			r := clip
			if r == 0 {
				r = 1
			}
			codes, s, deq := refW4(w, tc.rows, tc.cols, tc.group, []float64{r}, nil)
			checkW4(t, "rtn", q, q.Dequantize(), codes, s, deq)
			ng := (tc.cols + tc.group - 1) / tc.group
			if q.Groups() != ng {
				t.Fatalf("Groups() = %d, want %d", q.Groups(), ng)
			}
			if want := (4*float64(tc.cols) + 32*float64(ng) + 32) / float64(tc.cols); math.Abs(q.BitsPerWeight()-want) > 1e-12 {
				t.Fatalf("BitsPerWeight %v, want %v", q.BitsPerWeight(), want)
			}
		}
	}
}

func TestQuantizeW4Marlin(t *testing.T) {
	// r = 1: +max maps to 7.5, rounds to 8 and clips to code 15 (value 7);
	// -max maps to -7.5 and rounds (to even) to -8, code 0.
	// absmax 7.5 gives s = 1 exactly; halves round to even.
	w := []float32{7.5, -7.5, 2.5, 0, 0.5, -3.5}
	q, err := QuantizeW4(w, 1, 6, nil, W4Options{Group: 32})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint8{15, 0, 10, 8, 8, 4}; string(q.Codes) != string(want) {
		t.Fatalf("codes %v, want %v", q.Codes, want)
	}
	if want := float32(1); q.RowScale[0] != want || q.GroupScale[0] != 1 {
		t.Fatalf("scales %v %v, want %v and 1", q.RowScale, q.GroupScale, want)
	}
	// The 4-bit shape of mamba-130m's dt_proj: one short group per row.
	rng := rand.New(rand.NewPCG(9, 9))
	q, err = QuantizeW4(randMatrix(rng, 16, 48, 1), 16, 48, nil, W4Options{Group: 128})
	if err != nil || q.Groups() != 1 {
		t.Fatalf("K < group: %v, %d groups", err, q.Groups())
	}
}

func TestQuantizeW4ClipSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	rows, cols, group := 6, 160, 32
	w := randMatrix(rng, rows, cols, 0.05)
	for i := 0; i < rows*cols; i += 37 {
		w[i] *= 8 // outliers make clipping worth it
	}
	for r := 0; r < cols; r++ {
		w[2*cols+r] = 0 // an all-zero row: every ratio ties at zero error → r = 1
	}
	// Correlated activations for the Hessian.
	tokens := 300
	x := make([]float32, tokens*cols)
	for tk := 0; tk < tokens; tk++ {
		base := rng.NormFloat64()
		for c := 0; c < cols; c++ {
			x[tk*cols+c] = float32(base + 0.5*rng.NormFloat64())
		}
	}
	h, err := NewHessian(cols)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Add(x, tokens); err != nil {
		t.Fatal(err)
	}
	hm, _ := h.Matrix()
	grid := ClipGrid()
	for _, withH := range []bool{false, true} {
		var hh *Hessian
		var ref []float64
		if withH {
			hh, ref = h, hm
		}
		q, err := QuantizeW4(w, rows, cols, hh, W4Options{Group: group, Search: true})
		if err != nil {
			t.Fatal(err)
		}
		codes, s, deq := refW4(w, rows, cols, group, grid, ref)
		checkW4(t, "search", q, q.Dequantize(), codes, s, deq)
		if want := refW4Scale(0, 1); q.RowScale[2] != want {
			t.Fatalf("zero row: scale %v, want %v (ties go to r = 1)", q.RowScale[2], want)
		}
		// The search never does worse than r = 1 on the metric it minimises.
		plain, _ := QuantizeW4(w, rows, cols, nil, W4Options{Group: group})
		if e1, e0 := outputError(w, q.Dequantize(), rows, cols, ref), outputError(w, plain.Dequantize(), rows, cols, ref); e1 > e0 {
			t.Fatalf("withH=%v: search error %v > plain error %v", withH, e1, e0)
		}
		if string(q.Codes) == string(plain.Codes) {
			t.Fatalf("withH=%v: the search never chose a ratio below 1", withH)
		}
	}
}

// outputError is tr((W-Ŵ)·H·(W-Ŵ)ᵀ) in float64 (Σ (w-ŵ)² when h is nil).
func outputError(w, wq []float32, rows, cols int, h []float64) float64 {
	var sum float64
	d := make([]float64, cols)
	for r := 0; r < rows; r++ {
		for c := range d {
			d[c] = float64(w[r*cols+c]) - float64(wq[r*cols+c])
		}
		for i := range d {
			if h == nil {
				sum += d[i] * d[i]
				continue
			}
			for j := range d {
				sum += d[i] * h[i*cols+j] * d[j]
			}
		}
	}
	return sum
}

func TestW4KernelsSeeDequantize(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	rows, cols := 20, 300
	w := randMatrix(rng, rows, cols, 0.05)
	q, err := QuantizeW4(w, rows, cols, nil, W4Options{Group: 128})
	if err != nil {
		t.Fatal(err)
	}
	p, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	deq := q.Dequantize()
	m := 3
	x := randMatrix(rng, m, cols, 1)
	y := make([]float32, m*rows)
	kernels.MatMulW4A16F32(m, x, cols, p, y, rows)
	for i := 0; i < m; i++ {
		for n := 0; n < rows; n++ {
			var want, mag float64
			for c := 0; c < cols; c++ {
				v := float64(x[i*cols+c]) * float64(deq[n*cols+c])
				want += v
				mag += math.Abs(v)
			}
			if math.Abs(float64(y[i*rows+n])-want) > 1e-5*mag {
				t.Fatalf("y[%d][%d] = %v, Σ x·ŵ = %v", i, n, y[i*rows+n], want)
			}
		}
	}
	if _, err := (&W4Tensor{Rows: 1, Cols: 64, Group: 64}).Pack(); err == nil || !strings.Contains(err.Error(), "128") {
		t.Fatalf("Pack with group 64: %v", err)
	}
}

func TestPackNibbles(t *testing.T) {
	q := &W4Tensor{Codes: []uint8{1, 2, 3}}
	b := q.PackNibbles()
	if len(b) != 2 || b[0] != 0x21 || b[1] != 0x83 {
		t.Fatalf("packed %x, want 21 83", b)
	}
	rng := rand.New(rand.NewPCG(14, 15))
	for _, n := range []int{0, 1, 2, 7, 64, 129} {
		codes := make([]uint8, n)
		for i := range codes {
			codes[i] = uint8(rng.IntN(16))
		}
		got, err := UnpackNibbles((&W4Tensor{Codes: codes}).PackNibbles(), n)
		if err != nil {
			t.Fatal(err)
		}
		for i := range codes {
			if got[i] != codes[i] {
				t.Fatalf("n=%d: code %d: %d, want %d", n, i, got[i], codes[i])
			}
		}
	}
	if _, err := UnpackNibbles(make([]byte, 3), 7); err == nil {
		t.Fatal("UnpackNibbles accepted 3 bytes for 7 codes")
	}
	if _, err := UnpackNibbles(nil, -1); err == nil {
		t.Fatal("UnpackNibbles accepted a negative count")
	}
}

func TestQuantizeW4Errors(t *testing.T) {
	w := make([]float32, 64)
	nan := append([]float32(nil), w...)
	nan[33] = float32(math.NaN())
	h, _ := NewHessian(16)
	_ = h.Add(make([]float32, 16), 1)
	cases := []struct {
		name string
		w    []float32
		h    *Hessian
		opt  W4Options
		want string
	}{
		{"group", w, nil, W4Options{Group: 16}, "group size 16"},
		{"clip", w, nil, W4Options{Group: 32, Clip: 1.5}, "clip ratio 1.5"},
		{"clip nan", w, nil, W4Options{Group: 32, Clip: math.NaN()}, "clip ratio"},
		{"grid", w, nil, W4Options{Group: 32, Search: true, Grid: []float64{1, 0}}, "entry 1"},
		{"empty grid", w, nil, W4Options{Group: 32, Search: true, Grid: []float64{}}, "empty"},
		{"both", w, nil, W4Options{Group: 32, Search: true, Clip: 0.9}, "both"},
		{"nan", nan, nil, W4Options{Group: 32}, "[1][1] is NaN"},
		{"hessian", w, h, W4Options{Group: 32, Search: true}, "16 inputs"},
	}
	for _, tc := range cases {
		_, err := QuantizeW4(tc.w, 2, 32, tc.h, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}
