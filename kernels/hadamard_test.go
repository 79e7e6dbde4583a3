package kernels

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

// runTiers runs f once per supported tier with that tier active.
func runTiers(t *testing.T, f func(t *testing.T, tier Tier)) {
	t.Helper()
	saved := Active()
	defer SetTier(saved)
	for _, tier := range Supported() {
		if err := SetTier(tier); err != nil {
			t.Fatal(err)
		}
		t.Run(tier.String(), func(t *testing.T) { f(t, tier) })
	}
}

// withGenericTier runs f with the pure-Go twin active.
func withGenericTier(f func()) {
	saved := Active()
	defer SetTier(saved)
	SetTier(Generic)
	f()
}

func TestHadamardTables(t *testing.T) {
	for _, k := range []int{1, 12, 20, 28, 40} {
		h := HadamardTable(k)
		if len(h) != k*k {
			t.Fatalf("K=%d: table has %d entries", k, len(h))
		}
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				var dot float32
				for l := 0; l < k; l++ {
					dot += h[i*k+l] * h[j*k+l]
				}
				want := float32(0)
				if i == j {
					want = float32(k)
				}
				if dot != want {
					t.Fatalf("K=%d: (H·Hᵀ)[%d][%d] = %v, want %v", k, i, j, dot, want)
				}
			}
		}
	}
	h12 := HadamardTable(12)
	for i := 0; i < 12; i++ {
		for j := 0; j < 12; j++ {
			if h12[i*12+j] != h12[j*12+i] {
				t.Fatalf("H12 not symmetric at (%d,%d)", i, j)
			}
		}
	}
	for i, want := range []string{"+-++++++++++", "--+-+-+-+-+-", "+++-++----++"} {
		got := ""
		for _, v := range h12[i*12 : i*12+12] {
			got += map[float32]string{1: "+", -1: "-"}[v]
		}
		if got != want {
			t.Errorf("H12 row %d = %s, want %s", i, got, want)
		}
	}
	// H40 = [[A, A], [A, -A]] with A a 20×20 Hadamard matrix (A·Aᵀ = 20·I
	// follows from H40·H40ᵀ = 40·I and this form), and H40 is not symmetric.
	h40 := HadamardTable(40)
	for i := 0; i < 20; i++ {
		for j := 0; j < 20; j++ {
			a := h40[i*40+j]
			if h40[i*40+j+20] != a || h40[(i+20)*40+j] != a || h40[(i+20)*40+j+20] != -a {
				t.Fatalf("H40 is not [[A,A],[A,-A]] at (%d,%d)", i, j)
			}
		}
	}
	sym := true
	for i := 0; i < 40 && sym; i++ {
		for j := 0; j < 40; j++ {
			if h40[i*40+j] != h40[j*40+i] {
				sym = false
				break
			}
		}
	}
	if sym {
		t.Error("H40 is symmetric; the published table is not")
	}
}

func TestHadamardSizeOK(t *testing.T) {
	for _, c := range []struct{ n, k, m int }{
		{1, 1, 0}, {2, 1, 1}, {1024, 1, 10}, {12, 12, 0}, {768, 12, 6}, {1536, 12, 7},
		{3072, 12, 8}, {20, 20, 0}, {40, 40, 0}, {80, 40, 1}, {2560, 40, 6}, {5120, 40, 7},
		{28, 28, 0}, {1792, 28, 6}, {8192, 1, 13},
	} {
		k, m, ok := HadamardSizeOK(c.n)
		if !ok || k != c.k || m != c.m {
			t.Errorf("HadamardSizeOK(%d) = %d, %d, %v; want %d, %d, true", c.n, k, m, ok, c.k, c.m)
		}
	}
	for _, n := range []int{0, -4, 3, 6, 24 * 3, 36, 60, 100, 1000, 5000} {
		if _, _, ok := HadamardSizeOK(n); ok {
			t.Errorf("HadamardSizeOK(%d) = ok", n)
		}
	}
	mustPanic(t, "Hadamard(3)", func() { Hadamard(make([]float32, 3)) })
	mustPanic(t, "HadamardQuantI8 short q", func() { HadamardQuantI8(make([]float32, 16), 1, make([]int8, 15)) })
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

// hadamardDense returns (H_K ⊗ H_p)·x/√n in float64, as a dense
// matrix-vector product built from the definition (H_p[a][b] =
// (-1)^popcount(a&b)).
func hadamardDense(x []float32, k, p int) []float64 {
	return hadamardDenseWith(x, HadamardTable(k), k, p)
}

// hadamardDenseWith is hadamardDense with the K×K matrix hk.
func hadamardDenseWith(x []float32, hk []float32, k, p int) []float64 {
	n := len(x)
	hp := make([]float64, p*p)
	for a := 0; a < p; a++ {
		for b := 0; b < p; b++ {
			hp[a*p+b] = float64(1 - 2*(bits.OnesCount(uint(a&b))&1))
		}
	}
	y := make([]float64, n)
	norm := 1 / math.Sqrt(float64(n))
	for i := 0; i < n; i++ {
		bi, ji := i/p, i%p
		row := hp[ji*p : ji*p+p]
		var s float64
		for bj := 0; bj < k; bj++ {
			var t float64
			for jj, h := range row {
				t += h * float64(x[bj*p+jj])
			}
			s += float64(hk[bi*k+bj]) * t
		}
		y[i] = s * norm
	}
	return y
}

type denseCase struct {
	x   []float32
	ref []float64
}

var denseCases = map[int]*denseCase{}

// hadamardDenseCase returns a fixed random input of length n and its dense
// reference transform, computed once per test binary.
func hadamardDenseCase(n int) *denseCase {
	if dc, ok := denseCases[n]; ok {
		return dc
	}
	k, m, _ := HadamardSizeOK(n)
	x := randVec(rand.New(rand.NewPCG(uint64(n), 99)), n, 1)
	dc := &denseCase{x, hadamardDense(x, k, 1<<m)}
	denseCases[n] = dc
	return dc
}

// hadamardSizes lists every supported length up to 64·40 plus the larger
// model dimensions.
func hadamardSizes() []int {
	var ns []int
	for n := 1; n <= 64*40; n++ {
		if _, _, ok := HadamardSizeOK(n); ok {
			ns = append(ns, n)
		}
	}
	return append(ns, 3072, 4096, 5120)
}

// denseSizes are the lengths checked against the dense product: every
// supported length up to 64·40 and 5120.
func denseSizes() []int {
	var ns []int
	for n := 1; n <= 64*40; n++ {
		if _, _, ok := HadamardSizeOK(n); ok {
			ns = append(ns, n)
		}
	}
	return append(ns, 5120)
}

func randVec(rng *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * scale)
	}
	return x
}

// TestHadamardDense checks every tier against the dense float64 product.
// float32 error: each output is a ±1 sum of n inputs through log2(n)+K
// roundings; for unit-variance inputs the error stays below 2e-6·√(log2 n+K),
// tested at 1e-5.
func TestHadamardDense(t *testing.T) {
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, n := range denseSizes() {
			dc := hadamardDenseCase(n)
			y := slices.Clone(dc.x)
			Hadamard(y)
			for i := range y {
				if d := math.Abs(float64(y[i]) - dc.ref[i]); d > 1e-5 {
					t.Fatalf("n=%d: y[%d] = %v, want %v (|diff| %.3g)", n, i, y[i], dc.ref[i], d)
				}
			}
		}
	})
}

// TestHadamardK20 covers H_20, reachable through the public API only at
// n = 20, through the internal entry points at 20·2^m.
func TestHadamardK20(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	runTiers(t, func(t *testing.T, tier Tier) {
		for p := 1; p <= 128; p *= 2 {
			x := randVec(rng, 20*p, 1)
			want := hadamardDense(x, 20, p)
			y := slices.Clone(x)
			if !hadamardArch(tier, y, 20, p) {
				hadamardGeneric(y, 20, p)
			}
			for i := range y {
				if d := math.Abs(float64(y[i]) - want[i]); d > 1e-5 {
					t.Fatalf("p=%d: y[%d] = %v, want %v", p, i, y[i], want[i])
				}
			}
		}
	})
}

// TestHadamardTiers requires every tier to reproduce the twin bit for bit,
// for the transform and for the fused quantizer, and to leave q's guard
// bytes alone.
func TestHadamardTiers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const guard = 16
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, n := range hadamardSizes() {
			x := randVec(rng, n, 3)
			x[rng.IntN(n)] = 1e6 // saturates somewhere
			var want, wantScratch []float32
			var wantQ []int8
			invScale := float32(127 / 8.0)
			withGenericTier(func() {
				want = slices.Clone(x)
				Hadamard(want)
				wantQ = make([]int8, n)
				wantScratch = slices.Clone(x)
				HadamardQuantI8(wantScratch, invScale, wantQ)
			})
			// The transform runs in place on a window of a larger buffer
			// whose guard floats on both sides must stay untouched.
			buf := make([]float32, n+2*guard)
			for i := range buf {
				buf[i] = 42
			}
			copy(buf[guard:], x)
			y := buf[guard : guard+n]
			Hadamard(y)
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d: Hadamard y[%d] = %v, twin %v", n, i, y[i], want[i])
				}
			}
			for i := range guard {
				if buf[i] != 42 || buf[guard+n+i] != 42 {
					t.Fatalf("n=%d: Hadamard overwrote a guard float", n)
				}
			}
			q := make([]int8, n+2*guard)
			for i := range q {
				q[i] = 0x55
			}
			scratch := slices.Clone(x)
			HadamardQuantI8(scratch, invScale, q[guard:guard+n])
			if !sameBits(scratch, wantScratch) {
				t.Fatalf("n=%d: HadamardQuantI8 scratch differs from the twin", n)
			}
			for i := range q {
				switch {
				case i < guard || i >= guard+n:
					if q[i] != 0x55 {
						t.Fatalf("n=%d: guard byte %d overwritten", n, i-guard)
					}
				case q[i] != wantQ[i-guard]:
					t.Fatalf("n=%d: q[%d] = %d, twin %d", n, i-guard, q[i], wantQ[i-guard])
				}
			}
		}
	})
}

// TestHadamardQuantSpecial: infinities and NaN in the input spread through
// the sums (as ±Inf and NaN); every tier must quantize them as the twin does
// (NaN and +Inf to 127, -Inf to -128).
func TestHadamardQuantSpecial(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	specials := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, n := range []int{64, 384, 768, 1536, 2560} {
			for _, sp := range specials {
				x := randVec(rng, n, 3)
				x[rng.IntN(n)] = sp
				var wantQ []int8
				withGenericTier(func() {
					wantQ = make([]int8, n)
					HadamardQuantI8(slices.Clone(x), 10, wantQ)
				})
				q := make([]int8, n)
				HadamardQuantI8(slices.Clone(x), 10, q)
				if !slices.Equal(q, wantQ) {
					t.Fatalf("n=%d with %v: q differs from the twin", n, sp)
				}
			}
		}
	})
}

// TestHadamardQuantI8 compares the fused quantizer with the rounded float64
// reference: equal except within 1e-4 of a rounding midpoint.
func TestHadamardQuantI8(t *testing.T) {
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, n := range []int{16, 768, 1536, 2048, 2560, 5120} {
			dc := hadamardDenseCase(n)
			invScale := float32(127 / 2.5)
			q := make([]int8, n)
			HadamardQuantI8(slices.Clone(dc.x), invScale, q)
			for i := range q {
				v := dc.ref[i] * float64(invScale)
				want := math.RoundToEven(math.Max(-128, math.Min(127, v)))
				frac := math.Abs(v - math.Trunc(v))
				if float64(q[i]) != want && math.Abs(frac-0.5) > 1e-4 {
					t.Fatalf("n=%d: q[%d] = %d, want %v (v = %v)", n, i, q[i], want, v)
				}
			}
		}
	})
}

// TestHadamardOrthogonal checks the property the offline weight rotation
// relies on: rotating the rows of W and the vector y with the same transform
// keeps W·y, and for the symmetric K ∈ {1, 12} the transform is an involution.
func TestHadamardOrthogonal(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, n := range []int{64, 768, 1024, 1536, 1792, 2560, 5120} {
			const rows = 4
			w := randVec(rng, rows*n, 1)
			y := randVec(rng, n, 1)
			want := make([]float64, rows)
			for r := range rows {
				for j := range n {
					want[r] += float64(w[r*n+j]) * float64(y[j])
				}
			}
			for r := range rows {
				Hadamard(w[r*n : r*n+n])
			}
			yh := slices.Clone(y)
			Hadamard(yh)
			for r := range rows {
				var got float64
				for j := range n {
					got += float64(w[r*n+j]) * float64(yh[j])
				}
				if math.Abs(got-want[r]) > 1e-5*math.Sqrt(float64(n)) {
					t.Fatalf("n=%d row %d: (W·Hᵀ)·(H·y) = %v, W·y = %v", n, r, got, want[r])
				}
			}
			if k, _, _ := HadamardSizeOK(n); k == 1 || k == 12 {
				Hadamard(yh)
				for j := range y {
					if math.Abs(float64(yh[j]-y[j])) > 1e-5 {
						t.Fatalf("n=%d: H·H·y[%d] = %v, want %v", n, j, yh[j], y[j])
					}
				}
			}
		}
	})
}

// TestHadamardTranspose applies the transposed transform (H_Kᵀ ⊗ H_p)/√n
// densely in float64 to the output of Hadamard: the input must come back
// within 1e-5, for the non-symmetric K = 28 and 40 as well.
func TestHadamardTranspose(t *testing.T) {
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, n := range []int{40, 768, 1536, 1792, 2560, 5120} {
			dc := hadamardDenseCase(n)
			k, m, _ := HadamardSizeOK(n)
			p := 1 << m
			y := slices.Clone(dc.x)
			Hadamard(y)
			hk := HadamardTable(k)
			hkT := make([]float32, k*k)
			for i := 0; i < k; i++ {
				for j := 0; j < k; j++ {
					hkT[j*k+i] = hk[i*k+j]
				}
			}
			z := hadamardDenseWith(y, hkT, k, p)
			for i := range z {
				if d := math.Abs(z[i] - float64(dc.x[i])); d > 1e-5 {
					t.Fatalf("n=%d: Hᵀ·H·x[%d] = %v, want %v", n, i, z[i], dc.x[i])
				}
			}
		}
	})
}

func BenchmarkHadamardQuantI8(b *testing.B) {
	for _, n := range []int{768, 1536, 5120} {
		for _, tier := range Supported() {
			b.Run(fmt.Sprintf("n=%d/%s", n, tier), func(b *testing.B) {
				saved := Active()
				defer SetTier(saved)
				SetTier(tier)
				x := randVec(rand.New(rand.NewPCG(1, 1)), n, 1)
				buf := make([]float32, n)
				q := make([]int8, n)
				b.SetBytes(int64(4 * n))
				stop := startCPUTimer(b)
				for b.Loop() {
					copy(buf, x)
					HadamardQuantI8(buf, 20, q)
				}
				stop()
			})
		}
	}
}

func BenchmarkHadamard(b *testing.B) {
	for _, n := range []int{768, 1536, 2560, 4096, 5120} {
		for _, tier := range Supported() {
			b.Run(fmt.Sprintf("n=%d/%s", n, tier), func(b *testing.B) {
				saved := Active()
				defer SetTier(saved)
				SetTier(tier)
				x := randVec(rand.New(rand.NewPCG(1, 1)), n, 1)
				b.SetBytes(int64(4 * n))
				stop := startCPUTimer(b)
				for b.Loop() {
					Hadamard(x)
				}
				stop()
			})
		}
	}
}
