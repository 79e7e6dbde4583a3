package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Tolerances. Every tier returns the bits of the pure-Go kernel (checked
// exactly). The pure-Go kernel is checked against a float64 evaluation of
// the textbook recurrence (dequantize, then quamba.md §1.4/§3.2 and §1.5):
// |y - y64| <= scanTol·mag + scanAbs, where mag is the same sum taken over
// absolute values of its terms. float32 rounding of each term (~6e-8),
// exp (1 ulp) and softplus (2 ulp) errors, amplified by at most |delta·A|
// inside exp and then damped by exp itself, stay well below 1e-5.
const (
	scanTol = 1e-5
	scanAbs = 1e-30
)

func randI8(r *rand.Rand, n int) []int8 {
	q := make([]int8, n)
	for i := range q {
		q[i] = int8(r.IntN(256) - 128)
	}
	return q
}

func randF32(r *rand.Rand, n int, lo, hi float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return v
}

// m1Case is a Mamba1 scan problem; A and state are kept in the natural
// [E][N] layout too.
type m1Case struct {
	p              ScanM1Params
	L              int
	aNat, s0Nat    []float32
	u, dt, B, C, z []int8
}

func newM1Case(r *rand.Rand, E, N, L int) *m1Case {
	k := &m1Case{L: L}
	k.aNat = make([]float32, E*N)
	for c := range E {
		for n := range N {
			a := -math.Exp(4*r.Float64() - 1) // [-20, -0.37]
			if c%5 == 3 {
				a = -math.Exp(6 + r.Float64()) // delta·A far below -104: exp underflows to 0
			}
			k.aNat[c*N+n] = float32(a)
		}
	}
	bias := randF32(r, E, -3, 1)
	for c := range E {
		if c%7 == 2 {
			bias[c] = 25 // softplus identity branch
		}
	}
	k.p = ScanM1Params{
		E: E, N: N,
		A:      make([]float32, ScanLenM1(E, N)),
		D:      randF32(r, E, -1, 1),
		DtBias: bias,
		SU:     0.02, SDt: 0.05, SB: 0.03, SC: 0.025, SZ: 0.04,
	}
	ScanLayoutM1(k.p.A, k.aNat, E, N)
	k.s0Nat = randF32(r, E*N, -1, 1)
	k.u, k.dt, k.z = randI8(r, L*E), randI8(r, L*E), randI8(r, L*E)
	k.B, k.C = randI8(r, L*N), randI8(r, L*N)
	return k
}

func softplus64(v float64) float64 {
	if v > 20 {
		return v
	}
	return math.Log1p(math.Exp(v))
}

// refM1 evaluates the Mamba1 scan in float64 from the natural-layout state
// h ([E][N], updated in place); it returns y and the magnitudes of y and h.
func refM1(k *m1Case, h []float64) (y, ymag, hmag []float64) {
	p, L, E, N := &k.p, k.L, k.p.E, k.p.N
	y, ymag = make([]float64, L*E), make([]float64, L*E)
	hmag = make([]float64, E*N)
	for i := range h {
		hmag[i] = math.Abs(h[i])
	}
	for t := range L {
		for c := range E {
			i := t*E + c
			delta := softplus64(float64(p.SDt)*float64(k.dt[i]) + float64(p.DtBias[c]))
			u := float64(p.SU) * float64(k.u[i])
			zf := float64(p.SZ) * float64(k.z[i])
			g := zf / (1 + math.Exp(-zf))
			acc, mag := float64(p.D[c])*u, math.Abs(float64(p.D[c])*u)
			for n := range N {
				dA := math.Exp(delta * float64(k.aNat[c*N+n]))
				b := float64(p.SB) * float64(k.B[t*N+n])
				cc := float64(p.SC) * float64(k.C[t*N+n])
				h[c*N+n] = dA*h[c*N+n] + delta*b*u
				hmag[c*N+n] = dA*hmag[c*N+n] + math.Abs(delta*b*u)
				acc += cc * h[c*N+n]
				mag += math.Abs(cc) * hmag[c*N+n]
			}
			y[i], ymag[i] = acc*g, mag*math.Abs(g)
		}
	}
	return y, ymag, hmag
}

// checkClose reports values of got outside tol·mag + scanAbs of want and
// returns the largest ratio |got-want| / (mag) seen.
func checkClose(t *testing.T, what string, got []float32, want, mag []float64) float64 {
	t.Helper()
	worst, bad := 0.0, 0
	for i := range want {
		d := math.Abs(float64(got[i]) - want[i])
		if mag[i] > 1e-20 { // below, the absolute tolerance rules
			worst = max(worst, d/mag[i])
		}
		if !(d <= scanTol*mag[i]+scanAbs) {
			if bad < 5 {
				t.Errorf("%s[%d] = %v, want %v (mag %v)", what, i, got[i], want[i], mag[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values out of tolerance", what, bad, len(want))
	}
	return worst
}

var m1Sizes = []struct{ E, N, L int }{
	{37, 16, 37}, {13, 1, 2}, {24, 128, 5}, {40, 16, 1}, {9, 128, 37}, {8, 16, 2}, {1, 16, 3}, {67, 5, 4},
	{48, 16, 1}, {35, 3, 1},
	// 16-lane kernels: pairs of 8-channel blocks, an odd last block, 16-channel
	// vectors straddling int8-state groups of 24, the mamba-130m width.
	{72, 16, 3}, {72, 16, 1}, {16, 16, 2}, {88, 7, 1}, {1536, 16, 1}, {200, 16, 9},
}

// TestScanM1Reference checks the pure-Go kernel against float64.
func TestScanM1Reference(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	worst := 0.0
	for _, sz := range m1Sizes {
		k := newM1Case(r, sz.E, sz.N, sz.L)
		h64 := make([]float64, len(k.s0Nat))
		for i, v := range k.s0Nat {
			h64[i] = float64(v)
		}
		y64, ymag, hmag := refM1(k, h64)
		state := make([]float32, ScanLenM1(sz.E, sz.N))
		ScanLayoutM1(state, k.s0Nat, sz.E, sz.N)
		y := make([]float32, sz.L*sz.E)
		withTier(t, Generic, func() { ScanM1(&k.p, state, y, k.u, k.dt, k.B, k.C, k.z, sz.L) })
		name := fmt.Sprintf("E%d N%d L%d", sz.E, sz.N, sz.L)
		worst = max(worst, checkClose(t, name+" y", y, y64, ymag))
		hNat := make([]float32, sz.E*sz.N)
		NaturalLayoutM1(hNat, state, sz.E, sz.N)
		worst = max(worst, checkClose(t, name+" state", hNat, h64, hmag))
	}
	t.Logf("largest |error|/magnitude vs float64: %.3g (tolerance %g)", worst, scanTol)
}

// TestScanM1Tiers checks that every tier returns the pure-Go bits, for
// fp32 and int8 states, without writing past the outputs; also with
// prefills split into chunks of 1 to 3 tokens.
func TestScanM1Tiers(t *testing.T) {
	t.Run("default", testScanM1Tiers)
	old := scanM1PreFloats
	defer func() { scanM1PreFloats = old }()
	scanM1PreFloats = 100
	t.Run("chunked", testScanM1Tiers)
}

func testScanM1Tiers(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	const guard = 3
	for _, sz := range m1Sizes {
		k := newM1Case(r, sz.E, sz.N, sz.L)
		in := k.clone()
		S := ScanLenM1(sz.E, sz.N)
		LE := sz.L * sz.E
		s0 := make([]float32, S)
		ScanLayoutM1(s0, k.s0Nat, sz.E, sz.N)
		q0 := randI8(r, S)
		groups := []int{sz.E}
		if sz.E%8 == 0 {
			groups = append(groups, 8)
		}
		if sz.E%16 == 0 && sz.E != 16 {
			groups = append(groups, 16)
		}
		if sz.E%24 == 0 && sz.E != 24 {
			groups = append(groups, 24) // 16-channel vectors straddle groups
		}
		if sz.E%3 == 0 && sz.E != 3 {
			groups = append(groups, 3) // not a multiple of 8: pure Go on every tier
		}
		var wantY, wantS []float32
		wantQ := map[int][]int8{}
		wantQY := map[int][]float32{}
		for _, tier := range Supported() {
			name := fmt.Sprintf("%s E%d N%d L%d", tier, sz.E, sz.N, sz.L)
			// Guards on both sides of y and the state.
			yg := make([]float32, guard+LE+guard)
			sg := append(append([]float32{7, 7, 7}, s0...), 7, 7, 7)
			y, state := yg[guard:guard+LE], sg[guard:guard+S]
			withTier(t, tier, func() {
				ScanM1(&k.p, state, y, k.u, k.dt, k.B, k.C, k.z, sz.L)
			})
			checkGuard(t, name+" y", yg[:guard], 0)
			checkGuard(t, name+" y", yg[guard+LE:], 0)
			checkGuard(t, name+" state", sg[:guard], 7)
			checkGuard(t, name+" state", sg[guard+S:], 7)
			k.checkInputs(t, name, in)
			if wantY == nil {
				wantY, wantS = y, state
			} else {
				checkBits(t, name+" y", y, wantY)
				checkBits(t, name+" state", state, wantS)
			}
			for _, gs := range groups {
				qg := append(append([]int8{5, 5, 5}, q0...), 5, 5, 5)
				q := qg[guard : guard+S]
				yqg := make([]float32, guard+LE+guard)
				yq := yqg[guard : guard+LE]
				sc := scaleFor(gs, sz.E, sz.N)
				sc0 := append([]float32{}, sc...)
				st := StateQ8{Q: q, Scale: sc, Group: gs}
				withTier(t, tier, func() {
					ScanM1StateQ8(&k.p, st, yq, k.u, k.dt, k.B, k.C, k.z, sz.L)
				})
				checkGuard(t, name+" int8-state y", yqg[:guard], 0)
				checkGuard(t, name+" int8-state y", yqg[guard+LE:], 0)
				for _, g := range append(append([]int8{}, qg[:guard]...), qg[guard+S:]...) {
					if g != 5 {
						t.Errorf("%s: int8 state written outside its slice", name)
					}
				}
				checkBits(t, name+" int8-state scales", sc, sc0)
				k.checkInputs(t, name, in)
				if w, ok := wantQ[gs]; ok {
					for i := range w {
						if w[i] != q[i] {
							t.Errorf("%s group %d: state q[%d] = %d, want %d", name, gs, i, q[i], w[i])
							break
						}
					}
					checkBits(t, fmt.Sprintf("%s group %d int8-state y", name, gs), yq, wantQY[gs])
				} else {
					wantQ[gs], wantQY[gs] = q, yq
				}
			}
		}
	}
}

// clone copies a Mamba1 problem's inputs and constants.
func (k *m1Case) clone() *m1Case {
	c := *k
	c.p.A = append([]float32{}, k.p.A...)
	c.p.D = append([]float32{}, k.p.D...)
	c.p.DtBias = append([]float32{}, k.p.DtBias...)
	c.u, c.dt, c.z = append([]int8{}, k.u...), append([]int8{}, k.dt...), append([]int8{}, k.z...)
	c.B, c.C = append([]int8{}, k.B...), append([]int8{}, k.C...)
	return &c
}

// checkInputs reports any input or constant of k that differs from in.
func (k *m1Case) checkInputs(t *testing.T, name string, in *m1Case) {
	t.Helper()
	checkBits(t, name+" A", k.p.A, in.p.A)
	checkBits(t, name+" D", k.p.D, in.p.D)
	checkBits(t, name+" DtBias", k.p.DtBias, in.p.DtBias)
	if !slices.Equal(k.u, in.u) || !slices.Equal(k.dt, in.dt) || !slices.Equal(k.z, in.z) ||
		!slices.Equal(k.B, in.B) || !slices.Equal(k.C, in.C) {
		t.Errorf("%s: int8 inputs changed", name)
	}
}

// scaleFor returns deterministic int8-state scales for a group size.
func scaleFor(gs, E, N int) []float32 {
	sc := make([]float32, E/gs*N)
	for i := range sc {
		sc[i] = 0.004 + 0.001*float32(i%7)
	}
	return sc
}

func checkGuard(t *testing.T, what string, g []float32, want float32) {
	t.Helper()
	for _, v := range g {
		if v != want {
			t.Errorf("%s: written past the end (%v)", what, g)
			return
		}
	}
}

func checkBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	bad := 0
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			if bad < 3 {
				t.Errorf("%s[%d] = %v, want %v (pure Go)", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ from pure Go", what, bad, len(want))
	}
}

// TestScanM1StateQ8Reference checks the int8-state kernel against float64:
// y within tolerance and the requantized state within one step.
func TestScanM1StateQ8Reference(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 15))
	for _, sz := range []struct{ E, N, L, G int }{{37, 16, 37, 37}, {24, 16, 1, 8}, {16, 128, 5, 4}} {
		k := newM1Case(r, sz.E, sz.N, sz.L)
		sc := scaleFor(sz.G, sz.E, sz.N)
		q := randI8(r, ScanLenM1(sz.E, sz.N)) // scan layout
		h64 := make([]float64, sz.E*sz.N)
		for c := range sz.E {
			for n := range sz.N {
				h64[c*sz.N+n] = float64(q[ScanIndexM1(c, n, sz.N)]) * float64(sc[c/sz.G*sz.N+n])
			}
		}
		y64, ymag, _ := refM1(k, h64)
		y := make([]float32, sz.L*sz.E)
		withTier(t, Generic, func() {
			ScanM1StateQ8(&k.p, StateQ8{Q: q, Scale: sc, Group: sz.G}, y, k.u, k.dt, k.B, k.C, k.z, sz.L)
		})
		checkClose(t, fmt.Sprintf("E%d N%d L%d G%d int8-state y", sz.E, sz.N, sz.L, sz.G), y, y64, ymag)
		off := 0
		for c := range sz.E {
			for n := range sz.N {
				v := h64[c*sz.N+n] / float64(sc[c/sz.G*sz.N+n])
				want := int8(math.RoundToEven(max(min(v, 127), -128)))
				if d := int(q[ScanIndexM1(c, n, sz.N)]) - int(want); d < -1 || d > 1 {
					t.Errorf("state q[c=%d][n=%d] = %d, want %d (%.3f)", c, n, q[ScanIndexM1(c, n, sz.N)], want, v)
				} else if d != 0 {
					off++
				}
			}
		}
		if off > sz.E*sz.N/50 {
			t.Errorf("%d of %d requantized state values are one step off", off, sz.E*sz.N)
		}
	}
}

// TestScanM1StepEqualsPrefill checks that L decode steps give the prefill
// bits on every tier.
func TestScanM1StepEqualsPrefill(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 17))
	E, N, L := 45, 16, 9
	k := newM1Case(r, E, N, L)
	for _, tier := range Supported() {
		withTier(t, tier, func() {
			s1 := make([]float32, ScanLenM1(E, N))
			ScanLayoutM1(s1, k.s0Nat, E, N)
			s2 := append([]float32{}, s1...)
			y1 := make([]float32, L*E)
			y2 := make([]float32, L*E)
			ScanM1(&k.p, s1, y1, k.u, k.dt, k.B, k.C, k.z, L)
			for tt := range L {
				e, n := tt*E, tt*N
				ScanM1Step(&k.p, s2, y2[e:e+E], k.u[e:e+E], k.dt[e:e+E], k.B[n:n+N], k.C[n:n+N], k.z[e:e+E])
			}
			checkBits(t, tier.String()+" steps y", y2, y1)
			checkBits(t, tier.String()+" steps state", s2, s1)
		})
	}
}

func TestScanLayouts(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 19))
	E, N := 13, 3
	nat := randF32(r, E*N, -1, 1)
	sc := make([]float32, ScanLenM1(E, N))
	for i := range sc {
		sc[i] = 9
	}
	back := make([]float32, E*N)
	ScanLayoutM1(sc, nat, E, N)
	// channel 10 = block 1, lane 2; state 2: 1*8*3 + 8*2 + 2 = 42
	if sc[42] != nat[10*N+2] {
		t.Errorf("ScanLayoutM1: [c=10][n=2] at 42 = %v, want %v", sc[42], nat[10*N+2])
	}
	if ScanLenM1(E, N) != 48 || ScanIndexM1(10, 2, N) != 42 {
		t.Errorf("ScanLenM1 = %d, ScanIndexM1(10, 2) = %d; want 48, 42", ScanLenM1(E, N), ScanIndexM1(10, 2, N))
	}
	if sc[47] != 0 {
		t.Errorf("ScanLayoutM1 left padding lane = %v, want 0", sc[47])
	}
	NaturalLayoutM1(back, sc, E, N)
	checkBits(t, "M1 round trip", back, nat)
	H, P := 2, 4
	nat2 := randI8(r, H*P*N)
	sc2 := make([]int8, H*P*N)
	back2 := make([]int8, H*P*N)
	ScanLayoutM2(sc2, nat2, H, P, N)
	if sc2[1*N*P+2*P+3] != nat2[1*P*N+3*N+2] {
		t.Errorf("ScanLayoutM2: [h=1][n=2][p=3] = %v, want natural [h=1][p=3][n=2] = %v", sc2[N*P+2*P+3], nat2[P*N+3*N+2])
	}
	NaturalLayoutM2(back2, sc2, H, P, N)
	for i := range nat2 {
		if back2[i] != nat2[i] {
			t.Fatalf("M2 round trip differs at %d", i)
		}
	}
}

func TestScanPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 21))
	k := newM1Case(r, 16, 4, 2)
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", what)
			}
		}()
		f()
	}
	state := make([]float32, ScanLenM1(16, 4))
	y := make([]float32, 2*16)
	mustPanic("short y", func() { ScanM1(&k.p, state, y[:31], k.u, k.dt, k.B, k.C, k.z, 2) })
	mustPanic("short state", func() { ScanM1(&k.p, state[:63], y, k.u, k.dt, k.B, k.C, k.z, 2) })
	mustPanic("short B", func() { ScanM1(&k.p, state, y, k.u, k.dt, k.B[:7], k.C, k.z, 2) })
	mustPanic("bad group", func() {
		ScanM1StateQ8(&k.p, StateQ8{Q: make([]int8, 64), Scale: make([]float32, 64), Group: 5}, y, k.u, k.dt, k.B, k.C, k.z, 2)
	})
	m := newM2Case(r, 4, 8, 4, 2, 2)
	mustPanic("M2 short x", func() {
		ScanM2(&m.p, make([]float32, 4*8*4), make([]float32, 2*32), m.x[:63], m.dt, m.B, m.C, 2)
	})
}

// m2Case is a Mamba2 SSM problem; s0Nat is the initial state [H][P][N].
type m2Case struct {
	p           ScanM2Params
	L           int
	s0Nat       []float32
	x, dt, B, C []int8
}

func newM2Case(r *rand.Rand, H, P, N, G, L int) *m2Case {
	k := &m2Case{L: L}
	A := randF32(r, H, 0, 0)
	for h := range H {
		A[h] = float32(-math.Exp(4*r.Float64() - 1))
		if h%4 == 3 {
			A[h] = float32(-math.Exp(6 + r.Float64())) // exp(delta·A) underflows
		}
	}
	bias := randF32(r, H, -4, 1)
	if H > 2 {
		bias[2] = 25
	}
	k.p = ScanM2Params{
		H: H, P: P, N: N, G: G,
		A: A, D: randF32(r, H, -1, 1), DtBias: bias, SDt: 0.05,
		SX: randF32(r, H*P, 0.005, 0.05),
		SB: randF32(r, G, 0.01, 0.04),
		SC: randF32(r, G, 0.01, 0.04),
	}
	k.s0Nat = randF32(r, H*P*N, -1, 1)
	k.x, k.dt = randI8(r, L*H*P), randI8(r, L*H)
	k.B, k.C = randI8(r, L*G*N), randI8(r, L*G*N)
	return k
}

// refM2 evaluates the Mamba2 SSM in float64 from the natural [H][P][N]
// state s (updated in place).
func refM2(k *m2Case, s []float64) (y, ymag, smag []float64) {
	p, L := &k.p, k.L
	H, P, N, G := p.H, p.P, p.N, p.G
	y, ymag = make([]float64, L*H*P), make([]float64, L*H*P)
	smag = make([]float64, len(s))
	for i := range s {
		smag[i] = math.Abs(s[i])
	}
	for t := range L {
		for h := range H {
			g := h / (H / G)
			delta := softplus64(float64(p.SDt)*float64(k.dt[t*H+h]) + float64(p.DtBias[h]))
			if p.DtLimit {
				delta = min(max(delta, float64(p.DtMin)), float64(p.DtMax))
			}
			dA := math.Exp(delta * float64(p.A[h]))
			for pc := range P {
				c := h*P + pc
				x := float64(p.SX[c]) * float64(k.x[t*H*P+c])
				acc, mag := float64(p.D[h])*x, math.Abs(float64(p.D[h])*x)
				for n := range N {
					b := float64(p.SB[g]) * float64(k.B[t*G*N+g*N+n])
					cc := float64(p.SC[g]) * float64(k.C[t*G*N+g*N+n])
					i := c*N + n
					s[i] = dA*s[i] + delta*x*b
					smag[i] = dA*smag[i] + math.Abs(delta*x*b)
					acc += cc * s[i]
					mag += math.Abs(cc) * smag[i]
				}
				y[t*H*P+c], ymag[t*H*P+c] = acc, mag
			}
		}
	}
	return y, ymag, smag
}

var m2Sizes = []struct{ H, P, N, G, L int }{
	{4, 64, 128, 2, 5}, {3, 13, 16, 1, 37}, {2, 8, 1, 1, 2}, {6, 24, 16, 3, 1}, {2, 40, 16, 2, 3}, {1, 3, 5, 1, 2},
	// 16-lane kernels: blocks of 64, 16 and 8 channels, odd head counts,
	// groups of 3 heads; mamba2-130m's step.
	{2, 152, 16, 1, 3}, {3, 80, 8, 3, 2}, {3, 64, 16, 1, 2}, {6, 72, 8, 2, 3}, {24, 64, 128, 1, 1},
}

func TestScanM2Reference(t *testing.T) {
	r := rand.New(rand.NewPCG(22, 23))
	worst := 0.0
	for i, sz := range m2Sizes {
		k := newM2Case(r, sz.H, sz.P, sz.N, sz.G, sz.L)
		if i == 1 {
			k.p.DtLimit, k.p.DtMin, k.p.DtMax = true, 0.01, 0.5
		}
		s64 := make([]float64, len(k.s0Nat))
		for i, v := range k.s0Nat {
			s64[i] = float64(v)
		}
		y64, ymag, smag := refM2(k, s64)
		state := make([]float32, len(k.s0Nat))
		ScanLayoutM2(state, k.s0Nat, sz.H, sz.P, sz.N)
		y := make([]float32, sz.L*sz.H*sz.P)
		withTier(t, Generic, func() { ScanM2(&k.p, state, y, k.x, k.dt, k.B, k.C, sz.L) })
		name := fmt.Sprintf("H%d P%d N%d G%d L%d", sz.H, sz.P, sz.N, sz.G, sz.L)
		worst = max(worst, checkClose(t, name+" y", y, y64, ymag))
		sNat := make([]float32, len(state))
		NaturalLayoutM2(sNat, state, sz.H, sz.P, sz.N)
		worst = max(worst, checkClose(t, name+" state", sNat, s64, smag))
	}
	t.Logf("largest |error|/magnitude vs float64: %.3g (tolerance %g)", worst, scanTol)
}

func TestScanM2Tiers(t *testing.T) {
	r := rand.New(rand.NewPCG(24, 25))
	const guard = 3
	for i, sz := range m2Sizes {
		k := newM2Case(r, sz.H, sz.P, sz.N, sz.G, sz.L)
		if i == 4 {
			k.p.DtLimit, k.p.DtMin, k.p.DtMax = true, 0.001, 0.3
		}
		in := k.clone()
		HP, S := sz.H*sz.P, sz.H*sz.P*sz.N
		LHP := sz.L * HP
		s0 := make([]float32, S)
		ScanLayoutM2(s0, k.s0Nat, sz.H, sz.P, sz.N)
		q0 := randI8(r, S)
		groups := []int{HP}
		if sz.P%8 == 0 {
			groups = append(groups, 8)
		}
		if sz.P%16 != 0 && HP%16 == 0 {
			groups = append(groups, 16) // groups straddle heads
		}
		if HP%3 == 0 && HP != 3 {
			groups = append(groups, 3)
		}
		var wantY, wantS []float32
		wantQ := map[int][]int8{}
		wantQY := map[int][]float32{}
		for _, tier := range Supported() {
			name := fmt.Sprintf("%s H%d P%d N%d G%d L%d", tier, sz.H, sz.P, sz.N, sz.G, sz.L)
			yg := make([]float32, guard+LHP+guard)
			sg := append(append([]float32{7, 7, 7}, s0...), 7, 7, 7)
			y, state := yg[guard:guard+LHP], sg[guard:guard+S]
			withTier(t, tier, func() { ScanM2(&k.p, state, y, k.x, k.dt, k.B, k.C, sz.L) })
			checkGuard(t, name+" y", yg[:guard], 0)
			checkGuard(t, name+" y", yg[guard+LHP:], 0)
			checkGuard(t, name+" state", sg[:guard], 7)
			checkGuard(t, name+" state", sg[guard+S:], 7)
			k.checkInputs(t, name, in)
			if wantY == nil {
				wantY, wantS = y, state
			} else {
				checkBits(t, name+" y", y, wantY)
				checkBits(t, name+" state", state, wantS)
			}
			for _, gs := range groups {
				qg := append(append([]int8{5, 5, 5}, q0...), 5, 5, 5)
				q := qg[guard : guard+S]
				yqg := make([]float32, guard+LHP+guard)
				yq := yqg[guard : guard+LHP]
				sc := scaleFor(gs, HP, sz.N)
				sc0 := append([]float32{}, sc...)
				st := StateQ8{Q: q, Scale: sc, Group: gs}
				withTier(t, tier, func() { ScanM2StateQ8(&k.p, st, yq, k.x, k.dt, k.B, k.C, sz.L) })
				checkGuard(t, name+" int8-state y", yqg[:guard], 0)
				checkGuard(t, name+" int8-state y", yqg[guard+LHP:], 0)
				for _, g := range append(append([]int8{}, qg[:guard]...), qg[guard+S:]...) {
					if g != 5 {
						t.Errorf("%s: int8 state written outside its slice", name)
					}
				}
				checkBits(t, name+" int8-state scales", sc, sc0)
				k.checkInputs(t, name, in)
				if w, ok := wantQ[gs]; ok {
					for i := range w {
						if w[i] != q[i] {
							t.Errorf("%s group %d: state q[%d] = %d, want %d", name, gs, i, q[i], w[i])
							break
						}
					}
					checkBits(t, fmt.Sprintf("%s group %d int8-state y", name, gs), yq, wantQY[gs])
				} else {
					wantQ[gs], wantQY[gs] = q, yq
				}
			}
		}
	}
}

// clone copies a Mamba2 problem's inputs and constants.
func (k *m2Case) clone() *m2Case {
	c := *k
	c.p.A = append([]float32{}, k.p.A...)
	c.p.D = append([]float32{}, k.p.D...)
	c.p.DtBias = append([]float32{}, k.p.DtBias...)
	c.p.SX = append([]float32{}, k.p.SX...)
	c.p.SB = append([]float32{}, k.p.SB...)
	c.p.SC = append([]float32{}, k.p.SC...)
	c.x, c.dt = append([]int8{}, k.x...), append([]int8{}, k.dt...)
	c.B, c.C = append([]int8{}, k.B...), append([]int8{}, k.C...)
	return &c
}

// checkInputs reports any input or constant of k that differs from in.
func (k *m2Case) checkInputs(t *testing.T, name string, in *m2Case) {
	t.Helper()
	for _, f := range []struct {
		what      string
		got, want []float32
	}{{"A", k.p.A, in.p.A}, {"D", k.p.D, in.p.D}, {"DtBias", k.p.DtBias, in.p.DtBias},
		{"SX", k.p.SX, in.p.SX}, {"SB", k.p.SB, in.p.SB}, {"SC", k.p.SC, in.p.SC}} {
		checkBits(t, name+" "+f.what, f.got, f.want)
	}
	if !slices.Equal(k.x, in.x) || !slices.Equal(k.dt, in.dt) || !slices.Equal(k.B, in.B) || !slices.Equal(k.C, in.C) {
		t.Errorf("%s: int8 inputs changed", name)
	}
}

func TestScanM2StepEqualsPrefill(t *testing.T) {
	r := rand.New(rand.NewPCG(26, 27))
	H, P, N, G, L := 4, 24, 16, 2, 6
	k := newM2Case(r, H, P, N, G, L)
	HP, GN := H*P, G*N
	for _, tier := range Supported() {
		withTier(t, tier, func() {
			s1 := make([]float32, HP*N)
			ScanLayoutM2(s1, k.s0Nat, H, P, N)
			s2 := append([]float32{}, s1...)
			y1 := make([]float32, L*HP)
			y2 := make([]float32, L*HP)
			ScanM2(&k.p, s1, y1, k.x, k.dt, k.B, k.C, L)
			for tt := range L {
				ScanM2Step(&k.p, s2, y2[tt*HP:(tt+1)*HP], k.x[tt*HP:(tt+1)*HP], k.dt[tt*H:(tt+1)*H],
					k.B[tt*GN:(tt+1)*GN], k.C[tt*GN:(tt+1)*GN])
			}
			checkBits(t, tier.String()+" steps y", y2, y1)
			checkBits(t, tier.String()+" steps state", s2, s1)
		})
	}
}

func TestScanExp2(t *testing.T) {
	maxErr, argMax := 0.0, float32(0)
	for _, x := range expSweep(-125, 0, 4099, 1<<16) {
		if x < -125 || x > 0 {
			continue
		}
		if e := ulpErr(scanExp2(x), math.Exp2(float64(x))); e > maxErr {
			maxErr, argMax = e, x
		}
	}
	t.Logf("scanExp2: max error %.3f ulp at x = %v", maxErr, argMax)
	if maxErr > 1 {
		t.Errorf("scanExp2: max error %.3f ulp at x = %v, bound 1", maxErr, argMax)
	}
	for _, c := range []struct{ x, want float32 }{
		{0, 1}, {-1, 0.5}, {-125, 0x1p-125}, {-125.00001, 0}, {-1e30, 0},
		{float32(math.Inf(-1)), 0}, {3, 1}, {float32(math.Inf(1)), 1}, {float32(math.NaN()), 0x1p-125},
	} {
		if g := scanExp2(c.x); g != c.want {
			t.Errorf("scanExp2(%v) = %v, want %v", c.x, g, c.want)
		}
	}
}

// TestScanM1F32 checks the float-input scan on every tier against the
// int8 one: with a power-of-two SDt, feeding the dequantized inputs
// (float32(q)·scale) must give the same bits.
func TestScanM1F32(t *testing.T) {
	r := rand.New(rand.NewPCG(30, 31))
	deq := func(q []int8, s float32) []float32 {
		f := make([]float32, len(q))
		for i, v := range q {
			f[i] = float32(v) * s
		}
		return f
	}
	for _, sz := range m1Sizes {
		k := newM1Case(r, sz.E, sz.N, sz.L)
		k.p.SDt = 0.0625
		S := ScanLenM1(sz.E, sz.N)
		s0 := make([]float32, S)
		ScanLayoutM1(s0, k.s0Nat, sz.E, sz.N)
		wantS := append([]float32{}, s0...)
		wantY := make([]float32, sz.L*sz.E)
		withTier(t, Generic, func() { ScanM1(&k.p, wantS, wantY, k.u, k.dt, k.B, k.C, k.z, sz.L) })
		u, dt, z := deq(k.u, k.p.SU), deq(k.dt, k.p.SDt), deq(k.z, k.p.SZ)
		B, C := deq(k.B, k.p.SB), deq(k.C, k.p.SC)
		for _, tier := range Supported() {
			name := fmt.Sprintf("%s E%d N%d L%d float inputs", tier, sz.E, sz.N, sz.L)
			state := append(append([]float32{}, s0...), 7)
			y := make([]float32, sz.L*sz.E+1)
			withTier(t, tier, func() { ScanM1F32(&k.p, state[:S], y[:sz.L*sz.E], u, dt, B, C, z, sz.L) })
			checkGuard(t, name+" y", y[sz.L*sz.E:], 0)
			checkGuard(t, name+" state", state[S:], 7)
			checkBits(t, name+" y", y, wantY)
			checkBits(t, name+" state", state, wantS)
		}
	}
}

// TestScanM2F32 checks the float-input SSM on every tier against the int8
// one: with a power-of-two SDt, feeding the dequantized inputs must give
// the same bits.
func TestScanM2F32(t *testing.T) {
	r := rand.New(rand.NewPCG(32, 33))
	for i, sz := range m2Sizes {
		k := newM2Case(r, sz.H, sz.P, sz.N, sz.G, sz.L)
		k.p.SDt = 0.0625
		if i == 1 {
			k.p.DtLimit, k.p.DtMin, k.p.DtMax = true, 0.01, 0.5
		}
		HP, GN, S := sz.H*sz.P, sz.G*sz.N, sz.H*sz.P*sz.N
		s0 := make([]float32, S)
		ScanLayoutM2(s0, k.s0Nat, sz.H, sz.P, sz.N)
		wantS := append([]float32{}, s0...)
		wantY := make([]float32, sz.L*HP)
		withTier(t, Generic, func() { ScanM2(&k.p, wantS, wantY, k.x, k.dt, k.B, k.C, sz.L) })
		x := make([]float32, len(k.x))
		for i, v := range k.x {
			x[i] = float32(v) * k.p.SX[i%HP]
		}
		dt := make([]float32, len(k.dt))
		for i, v := range k.dt {
			dt[i] = float32(v) * k.p.SDt
		}
		B, C := make([]float32, len(k.B)), make([]float32, len(k.C))
		for i := range k.B {
			g := i % GN / sz.N
			B[i] = float32(k.B[i]) * k.p.SB[g]
			C[i] = float32(k.C[i]) * k.p.SC[g]
		}
		for _, tier := range Supported() {
			name := fmt.Sprintf("%s H%d P%d N%d G%d L%d float inputs", tier, sz.H, sz.P, sz.N, sz.G, sz.L)
			state := append(append([]float32{}, s0...), 7)
			y := make([]float32, sz.L*HP+1)
			withTier(t, tier, func() { ScanM2F32(&k.p, state[:S], y[:sz.L*HP], x, dt, B, C, sz.L) })
			checkGuard(t, name+" y", y[sz.L*HP:], 0)
			checkGuard(t, name+" state", state[S:], 7)
			checkBits(t, name+" y", y, wantY)
			checkBits(t, name+" state", state, wantS)
		}
	}
}

// TestScanM2StateQ8Reference checks the int8-state SSM against float64: y
// within tolerance and the requantized state within one step.
func TestScanM2StateQ8Reference(t *testing.T) {
	r := rand.New(rand.NewPCG(34, 35))
	for _, sz := range []struct{ H, P, N, G, L, Group int }{{4, 16, 32, 2, 3, 8}, {3, 13, 16, 1, 1, 39}, {2, 24, 16, 1, 5, 16}} {
		k := newM2Case(r, sz.H, sz.P, sz.N, sz.G, sz.L)
		HP := sz.H * sz.P
		sc := scaleFor(sz.Group, HP, sz.N)
		q := randI8(r, HP*sz.N) // scan layout [H][N][P]
		s64 := make([]float64, HP*sz.N)
		for h := range sz.H {
			for p := range sz.P {
				c := h*sz.P + p
				for n := range sz.N {
					s64[c*sz.N+n] = float64(q[h*sz.N*sz.P+n*sz.P+p]) * float64(sc[c/sz.Group*sz.N+n])
				}
			}
		}
		y64, ymag, _ := refM2(k, s64)
		y := make([]float32, sz.L*HP)
		withTier(t, Generic, func() {
			ScanM2StateQ8(&k.p, StateQ8{Q: q, Scale: sc, Group: sz.Group}, y, k.x, k.dt, k.B, k.C, sz.L)
		})
		name := fmt.Sprintf("H%d P%d N%d G%d L%d group %d", sz.H, sz.P, sz.N, sz.G, sz.L, sz.Group)
		checkClose(t, name+" int8-state y", y, y64, ymag)
		off := 0
		for h := range sz.H {
			for p := range sz.P {
				c := h*sz.P + p
				for n := range sz.N {
					v := s64[c*sz.N+n] / float64(sc[c/sz.Group*sz.N+n])
					want := int8(math.RoundToEven(max(min(v, 127), -128)))
					got := q[h*sz.N*sz.P+n*sz.P+p]
					if d := int(got) - int(want); d < -1 || d > 1 {
						t.Errorf("%s: state q[h=%d][n=%d][p=%d] = %d, want %d (%.3f)", name, h, n, p, got, want, v)
					} else if d != 0 {
						off++
					}
				}
			}
		}
		if off > HP*sz.N/50 {
			t.Errorf("%s: %d of %d requantized state values are one step off", name, off, HP*sz.N)
		}
	}
}

// TestScanM1StepSplit checks the documented way of splitting a decode step
// into channel ranges (for goroutines): the bits of the whole step.
func TestScanM1StepSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(36, 37))
	E, N := 61, 16
	k := newM1Case(r, E, N, 1)
	s0 := make([]float32, ScanLenM1(E, N))
	ScanLayoutM1(s0, k.s0Nat, E, N)
	for _, tier := range Supported() {
		withTier(t, tier, func() {
			want := append([]float32{}, s0...)
			wantY := make([]float32, E)
			ScanM1Step(&k.p, want, wantY, k.u, k.dt, k.B, k.C, k.z)
			got := append([]float32{}, s0...)
			gotY := make([]float32, E)
			for _, rg := range [][2]int{{0, 16}, {16, 24}, {24, E}} {
				c0, c1 := rg[0], rg[1]
				q := k.p
				q.E, q.A, q.D, q.DtBias = c1-c0, k.p.A[c0*N:ScanLenM1(c1, N)], k.p.D[c0:c1], k.p.DtBias[c0:c1]
				ScanM1Step(&q, got[c0*N:ScanLenM1(c1, N)], gotY[c0:c1], k.u[c0:c1], k.dt[c0:c1], k.B, k.C, k.z[c0:c1])
			}
			checkBits(t, tier.String()+" split y", gotY, wantY)
			checkBits(t, tier.String()+" split state", got, want)
		})
	}
}

// TestScanM1Rows: channel ranges of a prefill scanned in place with Ld (the
// slices from channel c0 on, rows Ld apart) give the bits of the whole scan
// on every tier, for int8 and float inputs, and write no column outside
// their range.
func TestScanM1Rows(t *testing.T) {
	r := rand.New(rand.NewPCG(38, 39))
	E, N, L := 61, 16, 7
	k := newM1Case(r, E, N, L)
	s0 := make([]float32, ScanLenM1(E, N))
	ScanLayoutM1(s0, k.s0Nat, E, N)
	f32 := func(q []int8) []float32 {
		f := make([]float32, len(q))
		for i, v := range q {
			f[i] = float32(v) / 64
		}
		return f
	}
	uf, dtf, zf, Bf, Cf := f32(k.u), f32(k.dt), f32(k.z), f32(k.B), f32(k.C)
	ranges := [][2]int{{0, 16}, {16, 24}, {24, 48}, {48, E}}
	for _, tier := range Supported() {
		for _, float := range []bool{false, true} {
			name := fmt.Sprintf("%s float %v", tier, float)
			withTier(t, tier, func() {
				run := func(p *ScanM1Params, st, y []float32, c0 int) {
					if float {
						ScanM1F32(p, st, y, uf[c0:], dtf[c0:], Bf, Cf, zf[c0:], L)
					} else {
						ScanM1(p, st, y, k.u[c0:], k.dt[c0:], k.B, k.C, k.z[c0:], L)
					}
				}
				want, wantY := append([]float32{}, s0...), make([]float32, L*E)
				run(&k.p, want, wantY, 0)
				got, gotY := append([]float32{}, s0...), make([]float32, L*E)
				for _, rg := range ranges {
					c0, c1 := rg[0], rg[1]
					q := k.p
					q.E, q.Ld, q.A, q.D, q.DtBias = c1-c0, E, k.p.A[c0*N:ScanLenM1(c1, N)], k.p.D[c0:c1], k.p.DtBias[c0:c1]
					y := make([]float32, L*E)
					for i := range y {
						y[i] = -7
					}
					run(&q, got[c0*N:ScanLenM1(c1, N)], y[c0:], c0)
					for i, v := range y {
						if c := i % E; c >= c0 && c < c1 {
							gotY[i] = v
						} else if v != -7 {
							t.Fatalf("%s range [%d, %d): y[%d] (column %d) written", name, c0, c1, i, c)
						}
					}
				}
				checkBits(t, name+" rows y", gotY, wantY)
				checkBits(t, name+" rows state", got, want)
			})
		}
	}
}

// TestScanM2Heads: head ranges of a prefill (H0, H1) over every head's rows
// give the bits of the whole SSM on every tier, for int8 and float inputs,
// with G = 1 and with groups (ranges of whole groups), and write no column
// of another head.
func TestScanM2Heads(t *testing.T) {
	r := rand.New(rand.NewPCG(40, 41))
	for _, sz := range []struct {
		H, P, N, G int
		ranges     [][2]int
	}{
		{6, 24, 16, 1, [][2]int{{0, 1}, {1, 4}, {4, 6}}},
		{6, 13, 8, 3, [][2]int{{0, 2}, {2, 6}}},
		{4, 64, 16, 2, [][2]int{{0, 2}, {2, 4}}},
	} {
		H, P, N, G, L := sz.H, sz.P, sz.N, sz.G, 5
		k := newM2Case(r, H, P, N, G, L)
		k.p.SDt = 0.0625
		s0 := make([]float32, H*P*N)
		ScanLayoutM2(s0, k.s0Nat, H, P, N)
		deq := func(q []int8, s func(i int) float32) []float32 {
			f := make([]float32, len(q))
			for i, v := range q {
				f[i] = float32(v) * s(i)
			}
			return f
		}
		xf := deq(k.x, func(i int) float32 { return k.p.SX[i%(H*P)] })
		dtf := deq(k.dt, func(int) float32 { return k.p.SDt })
		Bf := deq(k.B, func(i int) float32 { return k.p.SB[i%(G*N)/N] })
		Cf := deq(k.C, func(i int) float32 { return k.p.SC[i%(G*N)/N] })
		HP, NP := H*P, N*P
		for _, tier := range Supported() {
			for _, float := range []bool{false, true} {
				name := fmt.Sprintf("%s H%d P%d G%d float %v", tier, H, P, G, float)
				withTier(t, tier, func() {
					run := func(p *ScanM2Params, st, y []float32) {
						if float {
							ScanM2F32(p, st, y, xf, dtf, Bf, Cf, L)
						} else {
							ScanM2(p, st, y, k.x, k.dt, k.B, k.C, L)
						}
					}
					want, wantY := append([]float32{}, s0...), make([]float32, L*HP)
					run(&k.p, want, wantY)
					got, gotY := append([]float32{}, s0...), make([]float32, L*HP)
					for _, rg := range sz.ranges {
						h0, h1 := rg[0], rg[1]
						q := k.p
						q.H0, q.H1 = h0, h1
						y := make([]float32, L*HP)
						for i := range y {
							y[i] = -7
						}
						st := append(got[h0*NP:h1*NP:h1*NP], 7) // guard after the range's state
						run(&q, st[:(h1-h0)*NP], y)
						checkGuard(t, name+" state", st[(h1-h0)*NP:], 7)
						copy(got[h0*NP:h1*NP], st)
						for i, v := range y {
							if hd := i % HP / P; hd >= h0 && hd < h1 {
								gotY[i] = v
							} else if v != -7 {
								t.Fatalf("%s heads [%d, %d): y[%d] (head %d) written", name, h0, h1, i, hd)
							}
						}
					}
					checkBits(t, name+" heads y", gotY, wantY)
					checkBits(t, name+" heads state", got, want)
				})
			}
		}
	}
}
