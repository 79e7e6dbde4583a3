package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// ulpErr returns |got - want| in units of the float32 ulp at want (the
// subnormal spacing 2**-149 below the normal range). An infinite got counts
// as exact when want rounds to infinity.
func ulpErr(got float32, want float64) float64 {
	if math.IsInf(float64(got), 1) && float32(want) > math.MaxFloat32 {
		return 0
	}
	a := math.Abs(want)
	ulp := 0x1p-149
	if a >= 0x1p-126 {
		_, e := math.Frexp(a) // a = f * 2**e, f in [0.5, 1)
		ulp = math.Ldexp(1, e-24)
	}
	return math.Abs(float64(got)-want) / ulp
}

// expSweep returns every stride-th float32 bit pattern in [lo, hi] (lo < 0 <
// hi) plus random inputs in that range.
func expSweep(lo, hi float32, stride uint32, nRandom int) []float32 {
	var xs []float32
	for b := uint32(0); b <= math.Float32bits(hi); b += stride {
		xs = append(xs, math.Float32frombits(b))
	}
	for b := uint32(1 << 31); b <= math.Float32bits(lo); b += stride {
		xs = append(xs, math.Float32frombits(b))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range nRandom {
		xs = append(xs, lo+(hi-lo)*r.Float32())
	}
	return xs
}

func TestExpAccuracy(t *testing.T) {
	stride := uint32(1021)
	if testing.Short() {
		stride = 4099
	}
	xs := expSweep(-104, 89, stride, 1<<18)
	maxErr, argMax := 0.0, float32(0)
	want := make([]float32, len(xs))
	for i, x := range xs {
		want[i] = Exp(x)
		e := ulpErr(want[i], math.Exp(float64(x)))
		if e > maxErr {
			maxErr, argMax = e, x
		}
	}
	t.Logf("Exp: %d inputs in [-104, 89], max error %.3f ulp at x = %v", len(xs), maxErr, argMax)
	if maxErr > 1.5 {
		t.Errorf("Exp: max error %.3f ulp at x = %v (%v, want %v), bound 1.5 ulp",
			maxErr, argMax, Exp(argMax), math.Exp(float64(argMax)))
	}

	// Every tier returns the bits of the pure-Go Exp.
	got := make([]float32, len(xs))
	for _, tier := range Supported() {
		withTier(t, tier, func() {
			for i := 0; i < len(xs); i += 4093 { // odd chunk: exercises the tails
				j := min(i+4093, len(xs))
				ExpF32(got[i:j], xs[i:j])
			}
			bad := 0
			for i, x := range xs {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					if bad < 5 {
						t.Errorf("%s: ExpF32(%v) = %v, want %v (Exp)", tier, x, got[i], want[i])
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%s: %d of %d results differ from Exp", tier, bad, len(xs))
			}
		})
	}
}

func TestExpSpecial(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct{ x, want float32 }{
		{0, 1},
		{float32(math.Copysign(0, -1)), 1},
		{1, 2.7182817},
		{-1, 0.36787945},
		{inf, inf},
		{-inf, 0},
		{88.72283, 3.4028002e38},      // largest finite result region
		{88.72284, inf},               // 0x42b17218: first overflow
		{100, inf},                    // clamped to 89
		{math.MaxFloat32, inf},        //
		{-87.33654, 1.1754986e-38},    // about the smallest normal
		{-100, 3.7835e-44},            // subnormal: 27 * 2**-149
		{-103.27893, 1.401298464e-45}, // smallest subnormal
		{-103.972, 1.401298464e-45},   // just above half of it
		{-103.98, 0},                  // below half the smallest subnormal
		{-104, 0},                     //
		{-1e30, 0},                    //
		{-math.MaxFloat32, 0},         //
		{1e-30, 1},                    //
		{-1e-30, 1},                   //
		{0.34657359, 1.4142135},       // ln2/2: edge of the reduction
	}
	for _, tier := range Supported() {
		withTier(t, tier, func() {
			n := len(cases) + 1 // NaN at the end
			src := make([]float32, 0, 2*n)
			for _, c := range cases {
				src = append(src, c.x)
			}
			src = append(src, float32(math.NaN()))
			src = append(src, src...) // 2n > 16 values: vector and tail paths
			dst := make([]float32, len(src)+1)
			dst[len(src)] = 42 // guard
			ExpF32(dst[:len(src)], src)
			if dst[len(src)] != 42 {
				t.Errorf("%s: ExpF32 wrote past len(src)", tier)
			}
			for i, x := range src {
				if i%n == n-1 {
					if g := dst[i]; g == g {
						t.Errorf("%s: ExpF32(NaN) = %v, want NaN", tier, g)
					}
					if g := Exp(x); g == g {
						t.Errorf("Exp(NaN) = %v, want NaN", g)
					}
					continue
				}
				c := cases[i%n]
				for _, g := range []float32{dst[i], Exp(x)} {
					ok := g == c.want
					if !ok && !math.IsInf(float64(c.want), 0) && c.want != 0 {
						// want is a rounded reference: check the region, then the ulps.
						ok = math.Abs(float64(g-c.want)) <= 1e-5*float64(c.want) &&
							ulpErr(g, math.Exp(float64(x))) <= 1.5
					}
					if !ok || math.Signbit(float64(g)) {
						t.Errorf("%s: exp(%v) = %v (0x%08x), want %v", tier, x, g, math.Float32bits(g), c.want)
					}
				}
			}
		})
	}
}

func TestSoftplus(t *testing.T) {
	xs := expSweep(-90, 40, 4093, 1<<16)
	xs = append(xs, 20, 20.000002, 19.999998, -20, 0, 1e-20, -1e-20)
	maxErr, argMax := 0.0, float32(0)
	for _, v := range xs {
		want := float64(v)
		if v <= 20 {
			want = math.Log1p(math.Exp(float64(v)))
		}
		if e := ulpErr(softplus(v), want); e > maxErr {
			maxErr, argMax = e, v
		}
	}
	t.Logf("softplus: %d inputs, max error %.3f ulp at v = %v", len(xs), maxErr, argMax)
	if maxErr > 3 {
		t.Errorf("softplus: max error %.3f ulp at v = %v, bound 3", maxErr, argMax)
	}
	// Every tier's vector softplus returns the same bits.
	want := make([]float32, len(xs))
	softplusF32Generic(want, xs)
	got := make([]float32, len(xs)+1)
	for _, tier := range Supported() {
		withTier(t, tier, func() {
			got[len(xs)] = 42
			softplusF32(got[:len(xs)-3], xs[:len(xs)-3]) // odd length: tails
			softplusF32(got[len(xs)-3:len(xs)], xs[len(xs)-3:])
			if got[len(xs)] != 42 {
				t.Errorf("%s: softplusF32 wrote past the end", tier)
			}
			checkBits(t, tier.String()+" softplusF32", got[:len(xs)], want)
		})
	}
	for _, v := range []float32{20.5, 25, 1e10, float32(math.Inf(1))} {
		if g := softplus(v); g != v {
			t.Errorf("softplus(%v) = %v, want the identity", v, g)
		}
	}
	if g := softplus(float32(math.Inf(-1))); g != 0 {
		t.Errorf("softplus(-Inf) = %v, want 0", g)
	}
}

func TestExpFMA(t *testing.T) {
	// Values whose float64 sum sits on a float32 midpoint while the exact
	// sum does not: a plain float32(math.FMA(...)) double-rounds these.
	a, b := float32(1+0x1p-12), float32(1+0x1p-12) // a*b = 1 + 2**-11 + 2**-24
	c := float32(0x1p-60)                          // pushes just above the midpoint
	// exact: 1 + 2**-11 + 2**-24 + 2**-60 -> rounds up to 1 + 2**-11 + 2**-23.
	if g, w := expFMA(a, b, c), float32(1+0x1p-11+0x1p-23); g != w {
		t.Errorf("expFMA double-rounding case = %v, want %v", g, w)
	}
	if g, w := expFMA(a, b, -c), float32(1+0x1p-11); g != w {
		t.Errorf("expFMA double-rounding case (below) = %v, want %v", g, w)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		x, y, z := r.Float32()*4-2, r.Float32()*4-2, r.Float32()*4-2
		if g, w := expFMA(x, y, z), float32(math.FMA(float64(x), float64(y), float64(z))); g != w && ulpErr(g, math.FMA(float64(x), float64(y), float64(z))) > 0.5 {
			t.Fatalf("expFMA(%v, %v, %v) = %v, not correctly rounded (float64 FMA %v)", x, y, z, g, w)
		}
	}
}

// withTier runs f with the package kernels switched to tier.
func withTier(t *testing.T, tier Tier, f func()) {
	t.Helper()
	old := Active()
	if err := SetTier(tier); err != nil {
		t.Fatal(err)
	}
	defer SetTier(old)
	f()
}

// TestExpTiersEdges checks every tier against the pure-Go Exp and softplus
// on every float32 whose exp is subnormal or zero ([-104, -87.3]) or near
// overflow ([88, 89]), where the scaling by 2^n is rounded, and on the
// specials.
func TestExpTiersEdges(t *testing.T) {
	var xs []float32
	step := uint32(1)
	if testing.Short() {
		step = 7
	}
	for b := math.Float32bits(-87.3); b <= math.Float32bits(-104); b += step {
		xs = append(xs, math.Float32frombits(b))
	}
	for b := math.Float32bits(88); b <= math.Float32bits(89); b += step {
		xs = append(xs, math.Float32frombits(b))
	}
	inf := float32(math.Inf(1))
	xs = append(xs, 0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()),
		math.MaxFloat32, -math.MaxFloat32, 0x1p-149, -0x1p-149, 1e-30, 150, -150)
	want := make([]float32, len(xs))
	expF32Generic(want, xs)
	wantSP := make([]float32, len(xs))
	softplusF32Generic(wantSP, xs)
	got := make([]float32, len(xs))
	for _, tier := range Supported() {
		withTier(t, tier, func() {
			ExpF32(got, xs)
			checkBitsNaN(t, tier.String()+" ExpF32", got, want)
			SoftplusF32(got, xs)
			checkBitsNaN(t, tier.String()+" SoftplusF32", got, wantSP)
		})
	}
}

// checkBitsNaN is checkBits where any NaN matches any NaN.
func checkBitsNaN(t *testing.T, what string, got, want []float32) {
	t.Helper()
	bad := 0
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
			if bad < 3 {
				t.Errorf("%s[%d] = %v (0x%08x), want %v (0x%08x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ from pure Go", what, bad, len(want))
	}
}

// TestExpTails runs ExpF32 and SoftplusF32 on every length from 0 to 100
// at several offsets (the vector loops of 64, 32, 16 and 8 lanes and the
// masked tails), with guards on both sides of dst and src checked unchanged.
func TestExpTails(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const guard = 20
	src0 := make([]float32, 100+2*guard)
	for i := range src0 {
		src0[i] = float32(r.NormFloat64() * 10)
	}
	for _, tier := range Supported() {
		withTier(t, tier, func() {
			for _, f := range []struct {
				name     string
				vec, ref func(dst, src []float32)
			}{{"ExpF32", ExpF32, expF32Generic}, {"SoftplusF32", SoftplusF32, softplusF32Generic}} {
				for n := 0; n <= 100; n++ {
					for _, off := range []int{0, 1, 5} {
						src := append([]float32{}, src0...)
						dst := make([]float32, len(src0))
						for i := range dst {
							dst[i] = -7
						}
						s, d := src[guard+off:guard+off+n], dst[guard-off:guard-off+n]
						f.vec(d, s)
						want := make([]float32, n)
						f.ref(want, src0[guard+off:guard+off+n])
						name := fmt.Sprintf("%s %s n=%d off=%d", tier, f.name, n, off)
						checkBits(t, name, d, want)
						checkGuard(t, name+" before", dst[:guard-off], -7)
						checkGuard(t, name+" after", dst[guard-off+n:], -7)
						checkBits(t, name+" src", src, src0)
					}
				}
			}
		})
	}
}

// BenchmarkExpF32 and BenchmarkSoftplusF32 time the vector exp and softplus
// on 4096 values in [-20, 20] (L1-resident); ns/value is reported.
func BenchmarkExpF32(b *testing.B) {
	benchVec(b, ExpF32)
}

func BenchmarkSoftplusF32(b *testing.B) {
	benchVec(b, SoftplusF32)
}

func benchVec(b *testing.B, f func(dst, src []float32)) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 4096
	src := make([]float32, n)
	for i := range src {
		src[i] = 40*r.Float32() - 20
	}
	dst := make([]float32, n)
	benchTiers(b, func(b *testing.B) {
		for b.Loop() {
			f(dst, src)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/value")
	})
}
