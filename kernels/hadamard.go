package kernels

import (
	"fmt"
	"math"
	"strings"
)

// Hadamard transforms of length n = K·2^m, K ∈ {1, 12, 20, 28, 40}, as used
// by Quamba/Quamba2 and Dao-AILab's fast-hadamard-transform:
//
//	y = (H_K ⊗ H_{2^m})·x / √n
//
// with the K index outermost (element k·2^m + j is row k, column j of a
// K×2^m matrix). The computation is
//  1. the unnormalised Sylvester Walsh–Hadamard transform (natural order,
//     in-place butterflies with strides 1, 2, 4, …) of each of the K
//     contiguous blocks of 2^m elements;
//  2. across blocks, out[i][j] = Σ_k H_K[i][k]·block[k][j], summed in k order
//     starting from +0. H_40 has the form [[A, A], [A, -A]] (A = its top-left
//     20×20 block), and for K = 40 this step is computed in that factored
//     form: first u_k = block[k] + block[k+20] and v_k = block[k] - block[k+20]
//     for k < 20, then out[i] = Σ_k A[i][k]·u_k and out[i+20] = Σ_k A[i][k]·v_k
//     (half the operations of the dense sum, and fewer roundings);
//  3. a multiplication by 1/√n rounded to float32.
//
// The SIMD tiers perform exactly these float32 operations in the same order,
// so every tier is bit-exact with the pure-Go twin.

// The K×K ±1 matrices below are the published tables of
// Dao-AILab/fast-hadamard-transform csrc/code_gen.py (had_12_paley,
// had_20_will, had_28_will, had_40_tpal): row i lists H_K[i][0..K-1].
const (
	had12 = `
+-++++++++++
--+-+-+-+-+-
+++-++----++
+---+--+-++-
+++++-++----
+-+---+--+-+
++--+++-++--
+--++---+--+
++----+++-++
+--+-++---+-
++++----+++-
+-+--+-++---`

	had20 = `
+----+----++--++-++-
-+----+---+++---+-++
--+----+---+++-+-+-+
---+----+---+++++-+-
----+----++--++-++-+
-+++++-----+--+++--+
+-+++-+---+-+--+++--
++-++--+---+-+--+++-
+++-+---+---+-+--+++
++++-----++--+-+--++
--++-+-++-+-----++++
---++-+-++-+---+-+++
+---++-+-+--+--++-++
++---++-+----+-+++-+
-++---++-+----+++++-
-+--+--++-+----+----
+-+-----++-+----+---
-+-+-+---+--+----+--
--+-+++------+----+-
+--+--++------+----+`

	had28 = `
+------++----++-+--+-+--++--
-+-----+++-----+-+--+-+--++-
--+-----+++---+-+-+----+--++
---+-----+++---+-+-+-+--+--+
----+-----+++---+-+-+++--+--
-----+-----++++--+-+--++--+-
------++----++-+--+-+--++--+
--++++-+-------++--+++-+--+-
---++++-+-----+-++--+-+-+--+
+---+++--+----++-++--+-+-+--
++---++---+----++-++--+-+-+-
+++---+----+----++-++--+-+-+
++++--------+-+--++-++--+-+-
-++++--------+++--++--+--+-+
-+-++-++--++--+--------++++-
+-+-++--+--++--+--------++++
-+-+-++--+--++--+----+---+++
+-+-+-++--+--+---+---++---++
++-+-+-++--+------+--+++---+
-++-+-+-++--+------+-++++---
+-++-+---++--+------+-++++--
-++--++-+-++-+++----++------
+-++--++-+-++-+++-----+-----
++-++---+-+-++-+++-----+----
-++-++-+-+-+-+--+++-----+---
--++-++++-+-+----+++-----+--
+--++-+-++-+-+----+++-----+-
++--++-+-++-+-+----++------+`

	had40 = `
+-------------------+-------------------
++-++----+-+-++++--+++-++----+-+-++++--+
+++-++----+-+-++++--+++-++----+-+-++++--
+-++-++----+-+-++++-+-++-++----+-+-++++-
+--++-++----+-+-+++++--++-++----+-+-++++
++--++-++----+-+-+++++--++-++----+-+-+++
+++--++-++----+-+-+++++--++-++----+-+-++
++++--++-++----+-+-+++++--++-++----+-+-+
+++++--++-++----+-+-+++++--++-++----+-+-
+-++++--++-++----+-++-++++--++-++----+-+
++-++++--++-++----+-++-++++--++-++----+-
+-+-++++--++-++----++-+-++++--++-++----+
++-+-++++--++-++----++-+-++++--++-++----
+-+-+-++++--++-++---+-+-+-++++--++-++---
+--+-+-++++--++-++--+--+-+-++++--++-++--
+---+-+-++++--++-++-+---+-+-++++--++-++-
+----+-+-++++--++-+++----+-+-++++--++-++
++----+-+-++++--++-+++----+-+-++++--++-+
+++----+-+-++++--++-+++----+-+-++++--++-
+-++----+-+-++++--+++-++----+-+-++++--++
+--------------------+++++++++++++++++++
++-++----+-+-++++--+--+--++++-+-+----++-
+++-++----+-+-++++-----+--++++-+-+----++
+-++-++----+-+-++++--+--+--++++-+-+----+
+--++-++----+-+-++++-++--+--++++-+-+----
++--++-++----+-+-+++--++--+--++++-+-+---
+++--++-++----+-+-++---++--+--++++-+-+--
++++--++-++----+-+-+----++--+--++++-+-+-
+++++--++-++----+-+------++--+--++++-+-+
+-++++--++-++----+-+-+----++--+--++++-+-
++-++++--++-++----+---+----++--+--++++-+
+-+-++++--++-++----+-+-+----++--+--++++-
++-+-++++--++-++------+-+----++--+--++++
+-+-+-++++--++-++----+-+-+----++--+--+++
+--+-+-++++--++-++---++-+-+----++--+--++
+---+-+-++++--++-++--+++-+-+----++--+--+
+----+-+-++++--++-++-++++-+-+----++--+--
++----+-+-++++--++-+--++++-+-+----++--+-
+++----+-+-++++--++----++++-+-+----++--+
+-++----+-+-++++--++-+--++++-+-+----++--`
)

// hadTable holds H_K as float32 ±1, row-major (K×K).
var (
	hadTable12 = parseHadamard(12, had12)
	hadTable20 = parseHadamard(20, had20)
	hadTable28 = parseHadamard(28, had28)
	hadTable40 = parseHadamard(40, had40)
)

// hadTable40A is A, the top-left 20×20 block of H_40 = [[A, A], [A, -A]].
var hadTable40A = func() []float32 {
	a := make([]float32, 0, 400)
	for i := 0; i < 20; i++ {
		a = append(a, hadTable40[i*40:i*40+20]...)
	}
	return a
}()

func parseHadamard(k int, s string) []float32 {
	rows := strings.Fields(s)
	if len(rows) != k {
		panic(fmt.Sprintf("kernels: Hadamard table %d has %d rows", k, len(rows)))
	}
	h := make([]float32, 0, k*k)
	for _, r := range rows {
		if len(r) != k {
			panic(fmt.Sprintf("kernels: Hadamard table %d has a row of length %d", k, len(r)))
		}
		for _, c := range r {
			switch c {
			case '+':
				h = append(h, 1)
			case '-':
				h = append(h, -1)
			default:
				panic(fmt.Sprintf("kernels: Hadamard table %d: bad character %q", k, c))
			}
		}
	}
	return h
}

// hadamardTable returns H_K (K×K, row-major, ±1) for K ∈ {12, 20, 28, 40}
// and nil otherwise. The slice is shared: do not modify it.
func hadamardTable(k int) []float32 {
	switch k {
	case 12:
		return hadTable12
	case 20:
		return hadTable20
	case 28:
		return hadTable28
	case 40:
		return hadTable40
	}
	return nil
}

// HadamardTable returns a copy of the K×K ±1 matrix H_K (row-major) used for
// lengths K·2^m, for K ∈ {1, 12, 20, 28, 40}; nil for other K.
func HadamardTable(k int) []float32 {
	if k == 1 {
		return []float32{1}
	}
	t := hadamardTable(k)
	if t == nil {
		return nil
	}
	return append([]float32(nil), t...)
}

// HadamardSizeOK reports whether n is a supported transform length and
// returns its factorisation n = k·2^m. K is chosen in the order 40, 28, 12,
// 20, 1, so lengths divisible by 40 use H_40 (as Quamba does for 2560 and
// 5120); H_20 is therefore only reached for n = 20.
func HadamardSizeOK(n int) (k, m int, ok bool) {
	if n <= 0 {
		return 0, 0, false
	}
	for _, k := range [...]int{40, 28, 12, 20, 1} {
		if n%k != 0 {
			continue
		}
		p := n / k
		if p&(p-1) == 0 {
			m := 0
			for 1<<m < p {
				m++
			}
			return k, m, true
		}
	}
	return 0, 0, false
}

func hadamardSize(fn string, n int) (k, p int) {
	k, m, ok := HadamardSizeOK(n)
	if !ok {
		panic(fmt.Sprintf("kernels.%s: unsupported Hadamard length %d (want K·2^m, K in 1, 12, 20, 28, 40)", fn, n))
	}
	return k, 1 << m
}

// hadamardNorm is 1/√n rounded to float32.
func hadamardNorm(n int) float32 { return float32(1 / math.Sqrt(float64(n))) }

// Hadamard replaces x by (H_K ⊗ H_{2^m})·x/√n, n = len(x) = K·2^m (see the
// definition above). The transform is orthogonal; applying it to each row of
// a weight matrix W gives W·Hᵀ/√n, the offline counterpart of the online
// transform. It panics if len(x) is not a supported length.
func Hadamard(x []float32) {
	k, p := hadamardSize("Hadamard", len(x))
	if hadamardArch(active, x, k, p) {
		return
	}
	hadamardGeneric(x, k, p)
}

// HadamardQuantI8 sets q = sat8(RNE(s·c)) where s = (H_K ⊗ H_{2^m})·x is the
// unnormalised transform and c = invScale/√n rounded once to float32 (one
// rounded product instead of a normalisation then a scaling). x is used as
// scratch: on return it holds the K blockwise Walsh–Hadamard transforms of
// step 1 (for K = 40, after the butterfly of the two halves). It panics if
// len(x) is not a supported length or q is shorter than x.
func HadamardQuantI8(x []float32, invScale float32, q []int8) {
	k, p := hadamardSize("HadamardQuantI8", len(x))
	if len(q) < len(x) {
		panic(fmt.Sprintf("kernels.HadamardQuantI8: len(q) = %d < len(x) = %d", len(q), len(x)))
	}
	c := float32(float64(invScale) / math.Sqrt(float64(len(x))))
	if hadamardQuantArch(active, x, k, p, c, q) {
		return
	}
	hadamardQuantGeneric(x, k, p, c, q)
}

// fwhtGeneric is the unnormalised in-place Sylvester Walsh–Hadamard
// transform of x (len(x) a power of two).
func fwhtGeneric(x []float32) {
	n := len(x)
	for h := 1; h < n; h *= 2 {
		for i := 0; i < n; i += 2 * h {
			a, b := x[i:i+h], x[i+h:i+2*h]
			for j := range a {
				u, v := a[j], b[j]
				a[j], b[j] = u+v, u-v
			}
		}
	}
}

// mixBlock computes, for the w ≤ 8 columns j0..j0+w-1,
// out[i·8+jj] = Σ_k H[i][k]·x[k·p+j0+jj] (k in order, from +0).
func mixBlock(h []float32, k, p, j0, w int, x []float32, out []float32) {
	for i := 0; i < k; i++ {
		var acc [8]float32
		for kk, s := range h[i*k : i*k+k] {
			src := x[kk*p+j0 : kk*p+j0+w]
			if s > 0 {
				for jj, v := range src {
					acc[jj] += v
				}
			} else {
				for jj, v := range src {
					acc[jj] -= v
				}
			}
		}
		copy(out[i*8:i*8+w], acc[:w])
	}
}

// butterflyGeneric sets a, b = a+b, a-b element-wise (len(b) >= len(a)).
func butterflyGeneric(a, b []float32) {
	b = b[:len(a)]
	for i, u := range a {
		v := b[i]
		a[i], b[i] = u+v, u-v
	}
}

// mixTable returns the matrix of the cross-block step and the number of
// blocks it spans: H_K, or A (20 blocks) for K = 40 after the butterfly of
// the two halves.
func mixTable(k int) ([]float32, int) {
	if k == 40 {
		return hadTable40A, 20
	}
	return hadamardTable(k), k
}

func hadamardGeneric(x []float32, k, p int) {
	for b := 0; b < k; b++ {
		fwhtGeneric(x[b*p : b*p+p])
	}
	norm := hadamardNorm(len(x))
	if k == 1 {
		for i := range x {
			x[i] *= norm
		}
		return
	}
	if k == 40 {
		butterflyGeneric(x[:20*p], x[20*p:])
	}
	h, kk := mixTable(k)
	var tmp [40 * 8]float32
	for part := 0; part < k; part += kk {
		xs := x[part*p : (part+kk)*p]
		for j0 := 0; j0 < p; j0 += 8 {
			w := min(8, p-j0)
			mixBlock(h, kk, p, j0, w, xs, tmp[:])
			for i := 0; i < kk; i++ {
				for jj := 0; jj < w; jj++ {
					xs[i*p+j0+jj] = tmp[i*8+jj] * norm
				}
			}
		}
	}
}

func hadamardQuantGeneric(x []float32, k, p int, c float32, q []int8) {
	for b := 0; b < k; b++ {
		fwhtGeneric(x[b*p : b*p+p])
	}
	if k == 1 {
		quantizeGeneric(x, c, q)
		return
	}
	if k == 40 {
		butterflyGeneric(x[:20*p], x[20*p:])
	}
	h, kk := mixTable(k)
	var tmp [40 * 8]float32
	for part := 0; part < k; part += kk {
		xs, qs := x[part*p:(part+kk)*p], q[part*p:(part+kk)*p]
		for j0 := 0; j0 < p; j0 += 8 {
			w := min(8, p-j0)
			mixBlock(h, kk, p, j0, w, xs, tmp[:])
			for i := 0; i < kk; i++ {
				for jj := 0; jj < w; jj++ {
					qs[i*p+j0+jj] = quantRNE8(tmp[i*8+jj] * c)
				}
			}
		}
	}
}
