package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// quantInputs returns n values that exercise rounding ties, saturation,
// signed zeros and NaN once multiplied by 0.5.
func quantInputs(rng *rand.Rand, n int) []float32 {
	special := []float32{1, -1, 3, -3, 5, -5, 253, -253, 254, 255, -255, -256, -257, 0,
		float32(math.Copysign(0, -1)), 1e30, -1e30, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN())}
	x := make([]float32, n)
	for i := range x {
		if rng.IntN(3) == 0 {
			x[i] = special[rng.IntN(len(special))]
		} else {
			x[i] = float32(rng.NormFloat64() * 100)
		}
	}
	return x
}

func TestQuantizeI8(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	// Lengths past two 64-element blocks of the AVX-512 kernel and every
	// tail of its 16-wide steps; the guard covers a whole masked vector.
	const guard = 16
	runTiers(t, func(t *testing.T, tier Tier) {
		for n := 0; n <= 200; n++ {
			x := quantInputs(rng, n)
			x0 := slices.Clone(x)
			q := make([]int8, n+guard)
			for i := range q {
				q[i] = 0x55
			}
			QuantizeI8(x, 0.5, q)
			if !sameBits(x, x0) {
				t.Fatalf("n=%d: QuantizeI8 modified its input", n)
			}
			for i, v := range x {
				p := float64(v * 0.5)
				var want int8
				switch {
				case math.IsNaN(p) || p >= 127:
					want = 127
				case p <= -128:
					want = -128
				default:
					want = int8(math.RoundToEven(p))
				}
				if q[i] != want {
					t.Fatalf("n=%d: QuantizeI8(%v) = %d, want %d", n, v, q[i], want)
				}
			}
			for i := n; i < len(q); i++ {
				if q[i] != 0x55 {
					t.Fatalf("n=%d: guard byte %d overwritten", n, i)
				}
			}
		}
	})
	mustPanic(t, "QuantizeI8 short q", func() { QuantizeI8(make([]float32, 9), 1, make([]int8, 8)) })
}

func TestQuantizeI8PerChannel(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, c := range []int{1, 7, 8, 15, 16, 17, 33, 64, 79, 100, 129, 768} {
			inv := make([]float32, c)
			for i := range inv {
				inv[i] = float32(0.25 + rng.Float64())
			}
			x := quantInputs(rng, 3*c)
			x0, inv0 := slices.Clone(x), slices.Clone(inv)
			q := make([]int8, 3*c+16)
			for i := range q {
				q[i] = 0x55
			}
			QuantizeI8PerChannel(x, inv, q[:3*c])
			for i := 3 * c; i < len(q); i++ {
				if q[i] != 0x55 {
					t.Fatalf("C=%d: guard byte %d overwritten", c, i)
				}
			}
			if !sameBits(x, x0) || !sameBits(inv, inv0) {
				t.Fatalf("C=%d: QuantizeI8PerChannel modified its inputs", c)
			}
			for i, v := range x {
				if want := quantRNE8(v * inv[i%c]); q[i] != want {
					t.Fatalf("C=%d: q[%d] = %d, want %d", c, i, q[i], want)
				}
			}
		}
	})
	mustPanic(t, "QuantizeI8PerChannel ragged", func() { QuantizeI8PerChannel(make([]float32, 9), make([]float32, 2), make([]int8, 9)) })
}

func TestDequantizeI8(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	runTiers(t, func(t *testing.T, tier Tier) {
		for n := 0; n <= 150; n++ {
			q := make([]int8, n)
			for i := range q {
				q[i] = int8(rng.IntN(256) - 128)
			}
			x := make([]float32, n+16)
			for i := n; i < len(x); i++ {
				x[i] = 42
			}
			DequantizeI8(q, 0.037, x[:n])
			for i, v := range q {
				if want := float32(v) * 0.037; x[i] != want {
					t.Fatalf("n=%d: x[%d] = %v, want %v", n, i, x[i], want)
				}
			}
			for i := n; i < len(x); i++ {
				if x[i] != 42 {
					t.Fatalf("n=%d: guard %d overwritten", n, i)
				}
			}
		}
	})
}

// sameBits reports whether a and b hold the same float32 bit patterns (NaN
// included).
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// BenchmarkQuantize times the quantizers at the mamba-130m widths (d_model
// 768, d_inner 1536) on cache-resident data, every tier in one binary.
func BenchmarkQuantize(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{768, 1536} {
		x := randVec(rng, n, 100)
		inv := randVec(rng, n, 1)
		q := make([]int8, n)
		out := make([]float32, n)
		for _, tier := range Supported() {
			saved := Active()
			SetTier(tier)
			b.Run(fmt.Sprintf("I8/n=%d/%s", n, tier), func(b *testing.B) {
				stop := startCPUTimer(b)
				for b.Loop() {
					QuantizeI8(x, 0.5, q)
				}
				stop()
			})
			b.Run(fmt.Sprintf("PerChannel/n=%d/%s", n, tier), func(b *testing.B) {
				stop := startCPUTimer(b)
				for b.Loop() {
					QuantizeI8PerChannel(x, inv, q)
				}
				stop()
			})
			b.Run(fmt.Sprintf("Dequantize/n=%d/%s", n, tier), func(b *testing.B) {
				stop := startCPUTimer(b)
				for b.Loop() {
					DequantizeI8(q, 0.01, out)
				}
				stop()
			})
			SetTier(saved)
		}
	}
}

// TestQuantizeI8Runs checks the run-scaled quantizer and dequantizer
// against QuantizeI8 and DequantizeI8 called on every run, for short runs
// (the element loop) and long ones (the SIMD kernels per run).
func TestQuantizeI8Runs(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const guard = 16
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, run := range []int{1, 3, 8, 16, 32, 64, 100} {
			for _, runs := range []int{0, 1, 2, 7, 13} {
				n := run * runs
				x := quantInputs(rng, n)
				x0 := slices.Clone(x)
				inv, scale := make([]float32, runs), make([]float32, runs)
				for r := range inv {
					scale[r] = float32(0.01 + rng.Float64())
					inv[r] = 1 / scale[r]
				}
				q := make([]int8, n+guard)
				for i := range q {
					q[i] = 0x55
				}
				QuantizeI8Runs(x, inv, run, q)
				if !sameBits(x, x0) {
					t.Fatalf("run=%d n=%d: QuantizeI8Runs modified its input", run, n)
				}
				want := make([]int8, n)
				for r := range runs {
					QuantizeI8(x[r*run:(r+1)*run], inv[r], want[r*run:(r+1)*run])
				}
				if !slices.Equal(q[:n], want) {
					t.Fatalf("run=%d n=%d: QuantizeI8Runs differs from QuantizeI8 per run", run, n)
				}
				for i := n; i < len(q); i++ {
					if q[i] != 0x55 {
						t.Fatalf("run=%d n=%d: QuantizeI8Runs wrote q[%d] past the end", run, n, i)
					}
				}
				q0 := slices.Clone(q[:n])
				y := make([]float32, n+guard)
				for i := range y {
					y[i] = -7
				}
				DequantizeI8Runs(q[:n], scale, run, y)
				if !slices.Equal(q[:n], q0) {
					t.Fatalf("run=%d n=%d: DequantizeI8Runs modified its input", run, n)
				}
				for i := range n {
					if w := float32(q[i]) * scale[i/run]; math.Float32bits(y[i]) != math.Float32bits(w) {
						t.Fatalf("run=%d n=%d: DequantizeI8Runs[%d] = %v, want %v", run, n, i, y[i], w)
					}
				}
				for i := n; i < len(y); i++ {
					if y[i] != -7 {
						t.Fatalf("run=%d n=%d: DequantizeI8Runs wrote x[%d] past the end", run, n, i)
					}
				}
			}
		}
	})
	for _, f := range []func(){
		func() { QuantizeI8Runs(make([]float32, 10), make([]float32, 2), 4, make([]int8, 10)) },
		func() { QuantizeI8Runs(make([]float32, 8), make([]float32, 1), 4, make([]int8, 8)) },
		func() { DequantizeI8Runs(make([]int8, 8), make([]float32, 2), 4, make([]float32, 7)) },
		func() { DequantizeI8Runs(make([]int8, 8), make([]float32, 2), 0, make([]float32, 8)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("bad sizes did not panic")
				}
			}()
			f()
		}()
	}
}
