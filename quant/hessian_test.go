package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// refHessian is (2/n)·Σ_t x_t·x_tᵀ in float64.
func refHessian(x []float32, tokens, k int) []float64 {
	h := make([]float64, k*k)
	for t := 0; t < tokens; t++ {
		row := x[t*k : (t+1)*k]
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				h[i*k+j] += float64(row[i]) * float64(row[j])
			}
		}
	}
	for i := range h {
		h[i] *= 2 / float64(tokens)
	}
	return h
}

func compareHessian(t *testing.T, name string, got, want []float64, k int) {
	t.Helper()
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			// float32 products summed over blocks of 256 tokens.
			tol := 1e-5 * math.Sqrt(want[i*k+i]*want[j*k+j])
			if d := math.Abs(got[i*k+j] - want[i*k+j]); d > tol {
				t.Fatalf("%s: H[%d][%d] = %v, want %v", name, i, j, got[i*k+j], want[i*k+j])
			}
		}
	}
}

func TestHessianMatchesTextbook(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	for _, tc := range []struct{ k, tokens int }{{1, 3}, {37, 600}, {300, 270}} {
		x := randMatrix(rng, tc.tokens, tc.k, 1)
		for i := range x {
			x[i] += 0.5 // a common offset makes off-diagonal entries large
		}
		h, err := NewHessian(tc.k)
		if err != nil {
			t.Fatal(err)
		}
		// Two Add calls of uneven sizes.
		a := tc.tokens / 3
		if err := h.Add(x[:a*tc.k], a); err != nil {
			t.Fatal(err)
		}
		if err := h.Add(x[a*tc.k:], tc.tokens-a); err != nil {
			t.Fatal(err)
		}
		if h.Tokens() != int64(tc.tokens) || h.K() != tc.k {
			t.Fatalf("Tokens %d K %d", h.Tokens(), h.K())
		}
		got, err := h.Matrix()
		if err != nil {
			t.Fatal(err)
		}
		compareHessian(t, "add", got, refHessian(x, tc.tokens, tc.k), tc.k)

		// Merge of two partial Hessians.
		h1, _ := NewHessian(tc.k)
		h2, _ := NewHessian(tc.k)
		b := tc.tokens / 2
		if err := h1.Add(x[:b*tc.k], b); err != nil {
			t.Fatal(err)
		}
		if err := h2.Add(x[b*tc.k:], tc.tokens-b); err != nil {
			t.Fatal(err)
		}
		if err := h1.Merge(h2); err != nil {
			t.Fatal(err)
		}
		got, _ = h1.Matrix()
		compareHessian(t, "merge", got, refHessian(x, tc.tokens, tc.k), tc.k)
	}
}

func TestHessianIndependentOfGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 23))
	k, tokens := 600, 300
	x := randMatrix(rng, tokens, k, 1)
	run := func(procs int) []float64 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		h, _ := NewHessian(k)
		if err := h.Add(x, tokens); err != nil {
			t.Fatal(err)
		}
		m, _ := h.Matrix()
		return m
	}
	a, b := run(1), run(4)
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("H[%d][%d] differs: %v with 1 thread, %v with 4", i/k, i%k, a[i], b[i])
		}
	}
}

func TestHessianErrors(t *testing.T) {
	for _, k := range []int{0, -1, MaxHessianK + 1} {
		if _, err := NewHessian(k); err == nil {
			t.Errorf("NewHessian(%d) succeeded", k)
		}
	}
	h, _ := NewHessian(4)
	if _, err := h.Matrix(); err == nil || !strings.Contains(err.Error(), "no activations") {
		t.Errorf("empty Matrix: %v", err)
	}
	x := make([]float32, 8)
	x[6] = float32(math.Inf(1))
	if err := h.Add(x, 2); err == nil || !strings.Contains(err.Error(), "[1][2] is +Inf") {
		t.Errorf("Inf activation: %v", err)
	}
	if h.Tokens() != 0 {
		t.Errorf("a rejected Add counted tokens")
	}
	if err := h.Add(x[:7], 2); err == nil {
		t.Errorf("short activations accepted")
	}
	if err := h.Add(x, -2); err == nil {
		t.Errorf("negative token count accepted")
	}
	o, _ := NewHessian(5)
	if err := h.Merge(o); err == nil || !strings.Contains(err.Error(), "5 inputs") {
		t.Errorf("Merge of a different K: %v", err)
	}
	if err := h.Merge(nil); err == nil {
		t.Errorf("Merge(nil) accepted")
	}
}

func BenchmarkHessianAdd(b *testing.B) {
	for _, k := range []int{768, 2048} {
		tokens := 1024
		x := randMatrix(rand.New(rand.NewPCG(1, 1)), tokens, k, 1)
		h, _ := NewHessian(k)
		b.Run(fmt.Sprintf("K=%d/T=%d", k, tokens), func(b *testing.B) {
			for b.Loop() {
				if err := h.Add(x, tokens); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
