package calib

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// refQuantile is torch.quantile's linear interpolation over a full sort, in float64.
func refQuantile(x []float32, alpha float64) float64 { return sortedQuantile(sortedAbs(x), alpha) }

func sortedAbs(x []float32) []float64 {
	v := make([]float64, len(x))
	for i, e := range x {
		v[i] = math.Abs(float64(e))
	}
	slices.Sort(v)
	return v
}

// sortedQuantile is the linear-interpolation quantile of sorted values.
func sortedQuantile(v []float64, alpha float64) float64 {
	n := len(v)
	pos := alpha * float64(n-1)
	lo := int(math.Floor(pos))
	if lo >= n-1 {
		return v[n-1]
	}
	return v[lo] + (v[lo+1]-v[lo])*(pos-math.Floor(pos))
}

func TestQuantileAccAgainstSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphas := []float64{1, 0.99999, 0.9995, 0.99, 0.5, 0.1, 0, 1e-9}
	sizes := []int{1, 2, 3, 7, 100, 1000, 20000, 50003}
	for _, n := range sizes {
		for _, kind := range []string{"normal", "ties", "ascending", "descending"} {
			x := make([]float32, n)
			for i := range x {
				switch kind {
				case "normal":
					x[i] = float32(rng.NormFloat64() * math.Exp(3*rng.NormFloat64()))
				case "ties":
					x[i] = float32(rng.IntN(7)-3) / 2
				case "ascending":
					x[i] = float32(i) * 0.25
				case "descending":
					x[i] = -float32(n-i) * 0.5
				}
			}
			sorted := sortedAbs(x)
			for _, alpha := range alphas {
				q := quantileAcc{alpha: alpha}
				// Reuse the accumulator twice to exercise begin's reset.
				for rep := 0; rep < 2; rep++ {
					q.begin(n)
					for off := 0; off < n; {
						k := min(n-off, 1+rng.IntN(257))
						q.add(x[off : off+k])
						off += k
					}
					got, want := q.quantile(), sortedQuantile(sorted, alpha)
					if got != want {
						t.Fatalf("n=%d alpha=%v %s (heap %v): quantile %v, sort gives %v", n, alpha, kind, q.k <= heapLimit, got, want)
					}
				}
			}
		}
	}
}

func TestQuantileAccUsesBothPaths(t *testing.T) {
	q := quantileAcc{alpha: 0.9995}
	q.begin(786432) // mamba-130m x over 512 tokens
	if q.k > heapLimit {
		t.Errorf("alpha 0.9995 over 786432 values keeps %d values, want the heap", q.k)
	}
	q = quantileAcc{alpha: 0.5}
	q.begin(100000)
	if q.k <= heapLimit {
		t.Errorf("the median of 100000 values uses the heap")
	}
}

func TestSelectKth(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 5, 64, 1000} {
		for trial := 0; trial < 20; trial++ {
			v := make([]uint32, n)
			for i := range v {
				v[i] = uint32(rng.IntN(1 + n/(1+trial%4)))
			}
			sorted := slices.Sorted(slices.Values(v))
			k := rng.IntN(n)
			if got := selectKth(v, k); got != sorted[k] {
				t.Fatalf("n=%d k=%d: select gives %d, sort %d", n, k, got, sorted[k])
			}
			for i := range k {
				if v[i] > v[k] {
					t.Fatalf("n=%d k=%d: v[%d]=%d > v[k]=%d", n, k, i, v[i], v[k])
				}
			}
			for i := k + 1; i < n; i++ {
				if v[i] < v[k] {
					t.Fatalf("n=%d k=%d: v[%d]=%d < v[k]=%d", n, k, i, v[i], v[k])
				}
			}
		}
	}
}

func TestMinMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	inf := float32(math.Inf(1))
	for n := range 40 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		mn, mx, bad := minMax(x, inf, -inf, 0)
		wmn, wmx := math.Inf(1), math.Inf(-1)
		for _, v := range x {
			wmn, wmx = math.Min(wmn, float64(v)), math.Max(wmx, float64(v))
		}
		if float64(mn) != wmn || float64(mx) != wmx || bad != 0 {
			t.Fatalf("n=%d: min-max %v %v %v, want %v %v 0", n, mn, mx, bad, wmn, wmx)
		}
		for _, special := range []float32{float32(math.NaN()), inf, -inf} {
			if n == 0 {
				continue
			}
			y := append([]float32(nil), x...)
			y[rng.IntN(n)] = special
			if _, _, bad := minMax(y, inf, -inf, 0); bad == 0 {
				t.Fatalf("n=%d: %v not flagged", n, special)
			}
		}
	}
}
