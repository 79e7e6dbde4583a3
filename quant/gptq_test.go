package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// refInverse inverts the k×k matrix a by Gauss-Jordan elimination with
// partial pivoting, in float64.
func refInverse(a []float64, k int) []float64 {
	m := append([]float64(nil), a...)
	inv := make([]float64, k*k)
	for i := 0; i < k; i++ {
		inv[i*k+i] = 1
	}
	for c := 0; c < k; c++ {
		p := c
		for r := c + 1; r < k; r++ {
			if math.Abs(m[r*k+c]) > math.Abs(m[p*k+c]) {
				p = r
			}
		}
		for j := 0; j < k; j++ {
			m[c*k+j], m[p*k+j] = m[p*k+j], m[c*k+j]
			inv[c*k+j], inv[p*k+j] = inv[p*k+j], inv[c*k+j]
		}
		d := m[c*k+c]
		for j := 0; j < k; j++ {
			m[c*k+j] /= d
			inv[c*k+j] /= d
		}
		for r := 0; r < k; r++ {
			if r == c || m[r*k+c] == 0 {
				continue
			}
			f := m[r*k+c]
			for j := 0; j < k; j++ {
				m[r*k+j] -= f * m[c*k+j]
				inv[r*k+j] -= f * inv[c*k+j]
			}
		}
	}
	return inv
}

// refGPTQ is GPTQ in its OBQ form: column by column in natural order, the
// rounding error of column i spread over all later columns with the current
// inverse Hessian (of the columns not yet quantized), which is then
// downdated by removing column i. quant returns the dequantized value of
// W[r][i] given the row's current weights and the damped Hessian.
func refGPTQ(w []float32, rows, k int, hraw []float64, damp float64, quant func(r, i int, row, hd []float64) float64) {
	wf := make([][]float64, rows)
	for r := range wf {
		wf[r] = make([]float64, k)
		for c := range wf[r] {
			wf[r][c] = float64(w[r*k+c])
		}
	}
	hd := append([]float64(nil), hraw...)
	var mean float64
	for i := 0; i < k; i++ {
		if hd[i*k+i] == 0 {
			hd[i*k+i] = 1
			for r := range wf {
				wf[r][i] = 0
			}
		}
		mean += hd[i*k+i] / float64(k)
	}
	for i := 0; i < k; i++ {
		hd[i*k+i] += damp * mean
	}
	hinv := refInverse(hd, k)
	for i := 0; i < k; i++ {
		d := hinv[i*k+i]
		for r := range wf {
			e := (wf[r][i] - quant(r, i, wf[r], hd)) / d
			for j := i + 1; j < k; j++ {
				wf[r][j] -= e * hinv[i*k+j]
			}
		}
		col := make([]float64, k)
		for a := 0; a < k; a++ {
			col[a] = hinv[a*k+i]
		}
		for a := 0; a < k; a++ {
			for b := 0; b < k; b++ {
				hinv[a*k+b] -= col[a] * col[b] / d
			}
		}
	}
}

// refGPTQW4 is refGPTQ with the textbook 4-bit group quantizer (scale and
// clip ratio chosen when the group's first column is reached).
func refGPTQW4(w []float32, rows, k, group int, grid []float64, search bool, hraw []float64) ([]uint8, []float32) {
	ng := (k + group - 1) / group
	codes := make([]uint8, rows*k)
	s := make([]float32, rows*ng)
	refGPTQ(w, rows, k, hraw, 0.01, func(r, i int, row, hd []float64) float64 {
		if i%group == 0 {
			var h []float64
			if search {
				h = hd
			}
			s[r*ng+i/group] = refChooseScale(row[i:min(k, i+group)], grid, h, k, i)
		}
		sc := s[r*ng+i/group]
		q := refW4Code(row[i], sc)
		codes[r*k+i] = q
		return float64(int(q)-8) * float64(sc)
	})
	return codes, s
}

// refGPTQW8 is refGPTQ with int8 codes at the given per-row scales.
func refGPTQW8(w []float32, rows, k int, rowScale []float32, hraw []float64) []int8 {
	codes := make([]int8, rows*k)
	refGPTQ(w, rows, k, hraw, 0.01, func(r, i int, row, _ []float64) float64 {
		q := int8(math.Max(-127, math.Min(127, refRNE(row[i]/float64(rowScale[r])))))
		codes[r*k+i] = q
		return float64(q) * float64(rowScale[r])
	})
	return codes
}

// correlated returns activations [tokens, k] with strong correlations: a
// rank-6 signal plus a little noise, and dead (all-zero) columns.
func correlated(rng *rand.Rand, tokens, k int, dead ...int) []float32 {
	const rank = 6
	f := randMatrix(rng, rank, k, 1)
	x := make([]float32, tokens*k)
	for t := 0; t < tokens; t++ {
		z := make([]float64, rank)
		for i := range z {
			z[i] = rng.NormFloat64()
		}
		for c := 0; c < k; c++ {
			v := 0.1 * rng.NormFloat64()
			for i := range z {
				v += z[i] * float64(f[i*k+c])
			}
			x[t*k+c] = float32(v)
		}
		for _, c := range dead {
			x[t*k+c] = 0
		}
	}
	return x
}

func hessianOf(t testing.TB, x []float32, tokens, k int) (*Hessian, []float64) {
	h, err := NewHessian(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Add(x, tokens); err != nil {
		t.Fatal(err)
	}
	m, err := h.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	return h, m
}

func TestGPTQW4MatchesTextbook(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 31))
	cases := []struct {
		name        string
		rows, k, g  int
		search      bool
		dead        []int
		tokens      int
		wantGroups  int
		checkDeadW0 bool
	}{
		{"K=256 g=128", 6, 256, 128, false, nil, 400, 2, false},
		{"K=96 g=32", 5, 96, 32, false, nil, 300, 3, false},
		{"K=200 ragged", 5, 200, 128, false, nil, 300, 2, false},
		{"K=100 < g", 5, 100, 128, false, nil, 300, 1, false},
		{"dead columns", 5, 160, 64, false, []int{0, 5, 64, 159}, 300, 3, true},
		{"clip search", 4, 160, 32, true, []int{7}, 300, 5, true},
	}
	for _, tc := range cases {
		x := correlated(rng, tc.tokens, tc.k, tc.dead...)
		h, hm := hessianOf(t, x, tc.tokens, tc.k)
		w := randMatrix(rng, tc.rows, tc.k, 0.05)
		opt := W4Options{Group: tc.g, Search: tc.search}
		q, deq, err := GPTQW4(w, tc.rows, tc.k, h, opt, GPTQOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if q.Groups() != tc.wantGroups {
			t.Fatalf("%s: %d groups, want %d", tc.name, q.Groups(), tc.wantGroups)
		}
		grid := []float64{1}
		if tc.search {
			grid = ClipGrid()
		}
		codes, s := refGPTQW4(w, tc.rows, tc.k, tc.g, grid, tc.search, hm)
		checkW4(t, tc.name, q, deq, codes, s, refW4Dequant(codes, s, tc.rows, tc.k, tc.g))
		for _, c := range tc.dead {
			for r := 0; r < tc.rows; r++ {
				if q.Codes[r*tc.k+c] != 8 || deq[r*tc.k+c] != 0 {
					t.Fatalf("%s: dead column %d row %d: code %d value %v", tc.name, c, r, q.Codes[r*tc.k+c], deq[r*tc.k+c])
				}
			}
		}
	}
}

func TestGPTQW8MatchesTextbook(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 33))
	rows, k, tokens := 9, 150, 300
	x := correlated(rng, tokens, k, 3, 140)
	h, hm := hessianOf(t, x, tokens, k)
	w := randMatrix(rng, rows, k, 0.05)
	w[2*k+3] = 0.9 // the tensor maximum sits in a dead column: the scale still uses it
	for _, tc := range []struct {
		gran Granularity
		ends []int
	}{{PerTensor, nil}, {PerSlice, []int{4, 9}}, {PerRow, nil}} {
		q, deq, err := GPTQW8(w, rows, k, h, tc.gran, tc.ends, GPTQOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rtn, _ := QuantizeW8(w, rows, k, tc.gran, tc.ends) // scales fixed up front = round-to-nearest scales
		rs := rtn.RowScales()
		codes := refGPTQW8(w, rows, k, rs, hm)
		for i := range codes {
			if q.Codes[i] != codes[i] {
				t.Fatalf("%v: code [%d][%d] = %d, want %d", tc.gran, i/k, i%k, q.Codes[i], codes[i])
			}
			if want := float32(codes[i]) * rs[i/k]; deq[i] != want {
				t.Fatalf("%v: dequantized [%d][%d] = %v, want %v", tc.gran, i/k, i%k, deq[i], want)
			}
		}
		if deq[2*k+3] != 0 || deq[5*k+140] != 0 {
			t.Fatalf("%v: dead columns not zero", tc.gran)
		}
	}
}

func TestGPTQBeatsRoundToNearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(34, 35))
	rows, k, tokens := 24, 256, 1024
	x := correlated(rng, tokens, k)
	h, hm := hessianOf(t, x, tokens, k)
	w := randMatrix(rng, rows, k, 0.05)

	_, gq, err := GPTQW4(w, rows, k, h, W4Options{Group: 128}, GPTQOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rtn, _ := QuantizeW4(w, rows, k, nil, W4Options{Group: 128})
	eg, er := outputError(w, gq, rows, k, hm), outputError(w, rtn.Dequantize(), rows, k, hm)
	if !(eg < 0.5*er) {
		t.Fatalf("W4: GPTQ output error %v, round to nearest %v", eg, er)
	}

	_, gq8, err := GPTQW8(w, rows, k, h, PerRow, nil, GPTQOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rtn8, _ := QuantizeW8(w, rows, k, PerRow, nil)
	eg, er = outputError(w, gq8, rows, k, hm), outputError(w, rtn8.Dequantize(), rows, k, hm)
	if !(eg < 0.5*er) {
		t.Fatalf("W8: GPTQ output error %v, round to nearest %v", eg, er)
	}
}

func TestGPTQIndependentOfGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(36, 37))
	rows, k, tokens := 100, 160, 300
	x := correlated(rng, tokens, k)
	h, _ := hessianOf(t, x, tokens, k)
	w := randMatrix(rng, rows, k, 0.05)
	run := func(procs int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		_, deq, err := GPTQW4(w, rows, k, h, W4Options{Group: 32, Search: true}, GPTQOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return deq
	}
	a, b := run(1), run(3)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("[%d][%d]: %v with 1 thread, %v with 3", i/k, i%k, a[i], b[i])
		}
	}
}

func TestGPTQErrors(t *testing.T) {
	h, _ := NewHessian(8)
	empty, _ := NewHessian(8)
	_ = h.Add(make([]float32, 16), 2)
	w := make([]float32, 16)
	nan := append([]float32(nil), w...)
	nan[9] = float32(math.NaN())
	other, _ := NewHessian(4)
	_ = other.Add(make([]float32, 4), 1)
	cases := []struct {
		name string
		w    []float32
		h    *Hessian
		opt  GPTQOptions
		want string
	}{
		{"nil", w, nil, GPTQOptions{}, "no Hessian"},
		{"K", w, other, GPTQOptions{}, "4 inputs"},
		{"empty", w, empty, GPTQOptions{}, "no activations"},
		{"damp", w, h, GPTQOptions{Damp: -1}, "damping"},
		{"damp nan", w, h, GPTQOptions{Damp: math.NaN()}, "damping"},
		{"nan", nan, h, GPTQOptions{}, "[1][1] is NaN"},
	}
	for _, tc := range cases {
		_, _, err := GPTQW4(tc.w, 2, 8, tc.h, W4Options{Group: 32}, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("W4 %s: error %v, want %q", tc.name, err, tc.want)
		}
		_, _, err = GPTQW8(tc.w, 2, 8, tc.h, PerRow, nil, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("W8 %s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	// All-zero activations: every column is dead, weights become zero.
	w[3] = 1
	_, deq, err := GPTQW4(w, 2, 8, h, W4Options{Group: 32}, GPTQOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range deq {
		if v != 0 {
			t.Fatalf("all columns dead: weight %d = %v", i, v)
		}
	}
	// Zero damping on a singular Hessian fails cleanly.
	sing, _ := NewHessian(3)
	_ = sing.Add([]float32{1, 1, 1}, 1)
	if _, _, err := GPTQW8(make([]float32, 3), 1, 3, sing, PerRow, nil, GPTQOptions{Damp: 1e-300}); err == nil {
		t.Errorf("a singular Hessian was accepted")
	}
}

func BenchmarkGPTQW4(b *testing.B) {
	for _, sh := range []struct{ rows, k int }{{3072, 768}, {50280, 768}} {
		rng := rand.New(rand.NewPCG(1, 2))
		tokens := 1024
		x := correlated(rng, tokens, sh.k)
		h, _ := hessianOf(b, x, tokens, sh.k)
		w := randMatrix(rng, sh.rows, sh.k, 0.05)
		b.Run(fmt.Sprintf("%dx%d", sh.rows, sh.k), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := GPTQW4(w, sh.rows, sh.k, h, W4Options{Group: 128}, GPTQOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGPTQFactor(b *testing.B) {
	for _, k := range []int{768, 2048} {
		rng := rand.New(rand.NewPCG(3, 4))
		tokens := 512
		h, _ := hessianOf(b, randMatrix(rng, tokens, k, 1), tokens, k)
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			for b.Loop() {
				if _, _, _, err := gptqHessian("bench", h, k, GPTQOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
