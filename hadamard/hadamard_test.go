package hadamard_test

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/quamba/quamba/hadamard"
	"github.com/quamba/quamba/kernels"
)

// sylvester returns the natural-order Sylvester matrix H_p (p a power of
// two) built by the recursion H_{2k} = [[H_k, H_k], [H_k, -H_k]].
func sylvester(p int) [][]float64 {
	h := [][]float64{{1}}
	for len(h) < p {
		k := len(h)
		next := make([][]float64, 2*k)
		for i := range next {
			next[i] = make([]float64, 2*k)
		}
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				v := h[i][j]
				next[i][j], next[i][j+k] = v, v
				next[i+k][j], next[i+k][j+k] = v, -v
			}
		}
		h = next
	}
	return h
}

// factor splits n = K·p the way the transform is documented to: K tried in
// the order 40, 28, 12, 20, 1, p a power of two.
func factor(t *testing.T, n int) (k, p int) {
	t.Helper()
	for _, k := range []int{40, 28, 12, 20, 1} {
		if n%k == 0 {
			p := n / k
			if p&(p-1) == 0 {
				return k, p
			}
		}
	}
	t.Fatalf("test: %d is not a supported length", n)
	return 0, 0
}

// table returns H_K from kernels as float64 rows.
func table(t *testing.T, k int) [][]float64 {
	t.Helper()
	flat := kernels.HadamardTable(k)
	if len(flat) != k*k {
		t.Fatalf("kernels.HadamardTable(%d) has %d entries", k, len(flat))
	}
	h := make([][]float64, k)
	for i := range h {
		h[i] = make([]float64, k)
		for j := range h[i] {
			h[i][j] = float64(flat[i*k+j])
		}
	}
	return h
}

// reference is the unnormalised ±1 matrix H_K ⊗ H_p of a length n, as a
// function of (i, j), built from the table and the recursive Sylvester
// matrix.
type reference struct {
	n, p int
	hk   [][]float64
	hp   [][]float64
}

func newReference(t *testing.T, n int) reference {
	k, p := factor(t, n)
	return reference{n: n, p: p, hk: table(t, k), hp: sylvester(p)}
}

func (r reference) at(i, j int) float64 {
	return r.hk[i/r.p][j/r.p] * r.hp[i%r.p][j%r.p]
}

// apply returns (H/√n)·x in float64.
func (r reference) apply(x []float32) []float64 {
	y := make([]float64, r.n)
	norm := 1 / math.Sqrt(float64(r.n))
	for i := range y {
		var s float64
		for j, v := range x {
			s += r.at(i, j) * float64(v)
		}
		y[i] = s * norm
	}
	return y
}

func randVec(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func norm2(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// closeTo fails unless every |got[i] - want[i]| ≤ tol.
func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol) {
			t.Fatalf("%s: [%d] = %v, want %v (|diff| %g > %g)", what, i, got[i], want[i], d, tol)
		}
	}
}

// Every K with several m: the ±1 matrix is orthogonal up to n (H·Hᵀ = n·I)
// and Dense is that matrix divided by √n.
func TestDenseOrthogonal(t *testing.T) {
	for _, n := range []int{1, 2, 8, 64, 12, 24, 96, 20, 28, 56, 224, 40, 80, 320} {
		ref := newReference(t, n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for l := 0; l < n; l++ {
					s += ref.at(i, l) * ref.at(j, l)
				}
				want := 0.0
				if i == j {
					want = float64(n)
				}
				if s != want {
					t.Fatalf("n=%d: (H·Hᵀ)[%d][%d] = %v, want %v", n, i, j, s, want)
				}
			}
		}
		d, err := hadamard.Dense(n)
		if err != nil {
			t.Fatalf("Dense(%d): %v", n, err)
		}
		norm := 1 / math.Sqrt(float64(n))
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if want := ref.at(i, j) * norm; math.Abs(d[i*n+j]-want) > 1e-15 {
					t.Fatalf("Dense(%d)[%d][%d] = %v, want %v", n, i, j, d[i*n+j], want)
				}
			}
		}
	}
}

// Transform agrees with the dense float64 product for every K.
func TestTransformMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 4, 16, 1024, 12, 24, 48, 768, 20, 28, 56, 112, 40, 80, 160, 2560, 5120} {
		ref := newReference(t, n)
		x := randVec(rng, n)
		want := ref.apply(x)
		got := append([]float32(nil), x...)
		if err := hadamard.Transform(got); err != nil {
			t.Fatalf("Transform(len %d): %v", n, err)
		}
		closeTo(t, "Transform", got, want, 1e-5*norm2(x))
	}
}

func TestRotateRowsMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range [][2]int{{1, 12}, {5, 40}, {3, 28}, {7, 20}, {300, 256}, {9, 768}} {
		rows, cols := s[0], s[1]
		ref := newReference(t, cols)
		w := randVec(rng, rows*cols)
		want := make([]float64, rows*cols)
		for r := 0; r < rows; r++ {
			// (W·Hᵀ)[r][i] = Σ_j W[r][j]·H[i][j] / √cols
			copy(want[r*cols:], ref.apply(w[r*cols:(r+1)*cols]))
		}
		got := append([]float32(nil), w...)
		if err := hadamard.RotateRows(got, rows, cols); err != nil {
			t.Fatalf("RotateRows [%d, %d]: %v", rows, cols, err)
		}
		closeTo(t, "RotateRows", got, want, 1e-5*math.Sqrt(float64(cols))*4)
		// Each row is exactly the vector transform of that row.
		for r := 0; r < rows; r++ {
			row := append([]float32(nil), w[r*cols:(r+1)*cols]...)
			if err := hadamard.Transform(row); err != nil {
				t.Fatal(err)
			}
			for j, v := range row {
				if got[r*cols+j] != v {
					t.Fatalf("RotateRows [%d, %d]: row %d differs from Transform at %d", rows, cols, r, j)
				}
			}
		}
	}
}

func TestRotateColsMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][2]int{{12, 1}, {40, 5}, {28, 17}, {20, 3}, {256, 300}, {768, 37}} {
		rows, cols := s[0], s[1]
		ref := newReference(t, rows)
		w := randVec(rng, rows*cols)
		// (H·W)[i][c] = Σ_r H[i][r]·W[r][c] / √rows, in float64.
		norm := 1 / math.Sqrt(float64(rows))
		want := make([]float64, rows*cols)
		for i := 0; i < rows; i++ {
			for c := 0; c < cols; c++ {
				var acc float64
				for r := 0; r < rows; r++ {
					acc += ref.at(i, r) * float64(w[r*cols+c])
				}
				want[i*cols+c] = acc * norm
			}
		}
		got := append([]float32(nil), w...)
		if err := hadamard.RotateCols(got, rows, cols); err != nil {
			t.Fatalf("RotateCols [%d, %d]: %v", rows, cols, err)
		}
		closeTo(t, "RotateCols", got, want, 1e-5*math.Sqrt(float64(rows))*4)
		// Each column is exactly the vector transform of that column.
		col := make([]float32, rows)
		for c := 0; c < cols; c++ {
			for r := range col {
				col[r] = w[r*cols+c]
			}
			if err := hadamard.Transform(col); err != nil {
				t.Fatal(err)
			}
			for r, v := range col {
				if got[r*cols+c] != v {
					t.Fatalf("RotateCols [%d, %d]: column %d differs from Transform at row %d", rows, cols, c, r)
				}
			}
		}
	}
}

// The result does not depend on the number of goroutines.
func TestRotateDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	rows, cols := 512, 768
	w := randVec(rng, rows*cols)
	run := func(procs int) ([]float32, []float32) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		a := append([]float32(nil), w...)
		b := append([]float32(nil), w...)
		if err := hadamard.RotateRows(a, rows, cols); err != nil {
			t.Fatal(err)
		}
		if err := hadamard.RotateCols(b, rows, cols); err != nil {
			t.Fatal(err)
		}
		return a, b
	}
	a1, b1 := run(1)
	a4, b4 := run(4)
	for i := range a1 {
		if a1[i] != a4[i] || b1[i] != b4[i] {
			t.Fatalf("element %d depends on GOMAXPROCS", i)
		}
	}
}

// Fusing the input-side transform into W keeps the layer's function:
// (W·Hᵀ)(H·x) = W·x; rotating the output side rotates y.
func TestFusionInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, s := range [][2]int{{24, 40}, {40, 12}, {64, 768}} {
		rows, cols := s[0], s[1]
		w := randVec(rng, rows*cols)
		x := randVec(rng, cols)
		y := make([]float64, rows) // W·x
		for r := range y {
			for c := 0; c < cols; c++ {
				y[r] += float64(w[r*cols+c]) * float64(x[c])
			}
		}
		wr := append([]float32(nil), w...)
		xr := append([]float32(nil), x...)
		if err := hadamard.RotateRows(wr, rows, cols); err != nil {
			t.Fatal(err)
		}
		if err := hadamard.Transform(xr); err != nil {
			t.Fatal(err)
		}
		tol := 1e-5 * norm2(w) * norm2(x)
		for r := range y {
			var got float64
			for c := 0; c < cols; c++ {
				got += float64(wr[r*cols+c]) * float64(xr[c])
			}
			if math.Abs(got-y[r]) > tol {
				t.Fatalf("[%d, %d]: (W·Hᵀ)(H·x)[%d] = %v, want W·x = %v", rows, cols, r, got, y[r])
			}
		}
		// (H·W)·x = H·(W·x).
		wc := append([]float32(nil), w...)
		if err := hadamard.RotateCols(wc, rows, cols); err != nil {
			t.Fatal(err)
		}
		yf := make([]float32, rows)
		for r := range yf {
			yf[r] = float32(y[r])
		}
		want := newReference(t, rows).apply(yf)
		for r := range want {
			var got float64
			for c := 0; c < cols; c++ {
				got += float64(wc[r*cols+c]) * float64(x[c])
			}
			if math.Abs(got-want[r]) > tol {
				t.Fatalf("[%d, %d]: ((H·W)·x)[%d] = %v, want (H·(W·x)) = %v", rows, cols, r, got, want[r])
			}
		}
	}
}

func TestErrors(t *testing.T) {
	for _, n := range []int{0, 3, 100, -4, -12, 36, 60, 44} {
		err := hadamard.Check(n)
		if err == nil {
			t.Fatalf("Check(%d) = nil", n)
		}
		if !strings.Contains(err.Error(), "length ") || !strings.Contains(err.Error(), "K*2^m") {
			t.Fatalf("Check(%d): unclear error %q", n, err)
		}
	}
	if got, want := hadamard.Check(100).Error(), "hadamard: length 100 is not K*2^m for K in {1,12,20,28,40}"; got != want {
		t.Fatalf("Check(100) = %q, want %q", got, want)
	}
	for _, n := range []int{1, 2, 12, 20, 28, 40, 1536, 2560, 5120, 8192, 40 << 20} {
		if err := hadamard.Check(n); err != nil {
			t.Fatalf("Check(%d) = %v", n, err)
		}
	}
	for _, n := range []int{0, 3, 100} {
		if err := hadamard.Transform(make([]float32, n)); err == nil {
			t.Fatalf("Transform(len %d) = nil", n)
		}
	}
	x := []float32{1, 2, float32(math.NaN()), 4}
	if err := hadamard.Transform(x); err == nil || !strings.Contains(err.Error(), "x[2]") {
		t.Fatalf("Transform(NaN) = %v", err)
	}
	if x[0] != 1 || x[3] != 4 {
		t.Fatalf("Transform modified x on error: %v", x)
	}
	if err := hadamard.Transform([]float32{float32(math.Inf(-1)), 0}); err == nil {
		t.Fatal("Transform(-Inf) = nil")
	}

	type call struct {
		name       string
		f          func([]float32, int, int) error
		rows, cols int
		length     int
		want       string
	}
	var calls []call
	for _, f := range []struct {
		name string
		f    func([]float32, int, int) error
	}{{"RotateRows", hadamard.RotateRows}, {"RotateCols", hadamard.RotateCols}} {
		calls = append(calls,
			call{f.name, f.f, 4, 4, 15, "len(w) = 15"},
			call{f.name, f.f, 4, 4, 17, "len(w) = 17"},
			call{f.name, f.f, 0, 4, 0, "not positive"},
			call{f.name, f.f, 4, -4, 16, "not positive"},
			call{f.name, f.f, math.MaxInt / 2, 4, 0, "overflows"},
		)
	}
	calls = append(calls,
		call{"RotateRows", hadamard.RotateRows, 4, 100, 400, "cols: hadamard: length 100"},
		call{"RotateCols", hadamard.RotateCols, 100, 4, 400, "rows: hadamard: length 100"},
		call{"RotateRows", hadamard.RotateRows, 3, 4, 12, ""},
		call{"RotateCols", hadamard.RotateCols, 4, 3, 12, ""},
	)
	for _, c := range calls {
		err := c.f(make([]float32, c.length), c.rows, c.cols)
		if c.want == "" {
			if err != nil {
				t.Fatalf("%s(len %d, %d, %d) = %v", c.name, c.length, c.rows, c.cols, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
			t.Fatalf("%s(len %d, %d, %d) = %v, want an error containing %q", c.name, c.length, c.rows, c.cols, err, c.want)
		}
	}
	for _, f := range []func([]float32, int, int) error{hadamard.RotateRows, hadamard.RotateCols} {
		w := make([]float32, 12*4)
		w[0] = 7
		w[4*2+3] = float32(math.NaN())
		if err := f(w, 12, 4); err == nil || !strings.Contains(err.Error(), "w[2, 3]") {
			t.Fatalf("NaN matrix: %v", err)
		}
		if w[0] != 7 {
			t.Fatal("w modified on error")
		}
	}
	for _, n := range []int{0, 100, -8, 5120} {
		if d, err := hadamard.Dense(n); err == nil || d != nil {
			t.Fatalf("Dense(%d) = %d values, %v", n, len(d), err)
		}
	}
}

// The tables come from Dao-AILab/fast-hadamard-transform csrc/code_gen.py.
// The digests are SHA-256 of the published ±1 text (had_12_paley,
// had_20_will, had_28_will, had_40_tpal at commit e7706faf8d1c), rows
// joined by "\n" with no trailing newline, computed from that file, not from
// kernels.
var publishedDigests = map[int]string{
	12: "a8b73b2d138b0c9079b9fc7cef05cddac9efd34de7cf328925076e04f7ad089f",
	20: "40a113036aca9c3e1d767ddccee197a6d526de6728b2ef9a7d5349df8e4afdd1",
	28: "3916d8a7682dc5170fdd214f7cc08947b261fcb822691c23f91700aec5428b70",
	40: "8cd17c4fce4c2af2e3a728959ddc33324513217b6c597cfdb6d9d80fd6fe693e",
}

func tableText(t *testing.T, k int) []string {
	h := table(t, k)
	rows := make([]string, k)
	for i, r := range h {
		var b strings.Builder
		for _, v := range r {
			switch v {
			case 1:
				b.WriteByte('+')
			case -1:
				b.WriteByte('-')
			default:
				t.Fatalf("H_%d[%d] holds %v", k, i, v)
			}
		}
		rows[i] = b.String()
	}
	return rows
}

func TestPublishedTables(t *testing.T) {
	for k, want := range publishedDigests {
		rows := tableText(t, k)
		sum := sha256.Sum256([]byte(strings.Join(rows, "\n")))
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("H_%d: SHA-256 %s, want the published %s", k, got, want)
		}
		// H·Hᵀ = K·I.
		h := table(t, k)
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				var s float64
				for l := 0; l < k; l++ {
					s += h[i][l] * h[j][l]
				}
				if (i == j && s != float64(k)) || (i != j && s != 0) {
					t.Fatalf("H_%d·Hᵀ[%d][%d] = %v", k, i, j, s)
				}
			}
		}
	}
	h12 := tableText(t, 12)
	for i, want := range []string{"+-++++++++++", "--+-+-+-+-+-", "+++-++----++"} {
		if h12[i] != want {
			t.Errorf("H_12 row %d = %s, want the published %s", i, h12[i], want)
		}
	}
	h := table(t, 12)
	for i := range h {
		for j := range h {
			if h[i][j] != h[j][i] {
				t.Fatalf("H_12 is not symmetric at (%d, %d)", i, j)
			}
		}
	}
	// H_40 = [[A, A], [A, -A]].
	h = table(t, 40)
	for i := 0; i < 20; i++ {
		for j := 0; j < 20; j++ {
			a := h[i][j]
			if h[i][j+20] != a || h[i+20][j] != a || h[i+20][j+20] != -a {
				t.Fatalf("H_40 is not [[A, A], [A, -A]] at (%d, %d)", i, j)
			}
		}
	}
	if kernels.HadamardTable(1)[0] != 1 || kernels.HadamardTable(1) == nil || len(kernels.HadamardTable(1)) != 1 {
		t.Fatal("H_1 is not [1]")
	}
}
