package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

type convCase struct {
	l, c, d, ldx, ldo int
	x                 []int8
	xf                []float32
	stateI8           []int8
	stateF            []float32
	w, bias, inv      []float32
}

func (cc *convCase) String() string {
	return fmt.Sprintf("l=%d c=%d d=%d ldx=%d ldo=%d", cc.l, cc.c, cc.d, cc.ldx, cc.ldo)
}

func newConvCase(rng *rand.Rand, l, c, d, pad int) *convCase {
	cc := &convCase{l: l, c: c, d: d, ldx: c + pad, ldo: c + 2*pad}
	n := max(0, (l-1)*cc.ldx+c)
	cc.x = make([]int8, n)
	cc.xf = make([]float32, n)
	for i := range cc.x {
		cc.x[i] = int8(rng.IntN(256) - 128)
		cc.xf[i] = float32(rng.NormFloat64() * 2)
	}
	cc.stateI8 = make([]int8, (d-1)*c)
	cc.stateF = make([]float32, (d-1)*c)
	for i := range cc.stateI8 {
		cc.stateI8[i] = int8(rng.IntN(256) - 128)
		cc.stateF[i] = float32(rng.NormFloat64() * 2)
	}
	cc.w = make([]float32, d*c)
	for i := range cc.w {
		cc.w[i] = float32(rng.NormFloat64() * 0.02) // int8 inputs: scale folded in
	}
	cc.bias = make([]float32, c)
	cc.inv = make([]float32, c)
	for i := range cc.bias {
		cc.bias[i] = float32(rng.NormFloat64() * 0.5)
		cc.inv[i] = float32(20 + 20*rng.Float64())
	}
	return cc
}

const convSentinel = 0x5A

// runI8 runs the int8 conv on copies of the inputs and returns the output
// buffer (sentinels between rows and after the end) and the new state.
func (cc *convCase) runI8(step bool) ([]int8, []int8) {
	state := slices.Clone(cc.stateI8)
	out := make([]int8, cc.l*cc.ldo+8)
	for i := range out {
		out[i] = convSentinel
	}
	if step {
		for t := 0; t < cc.l; t++ {
			CausalConv1dSiLUStepI8(cc.c, cc.d, cc.x[t*cc.ldx:t*cc.ldx+cc.c], state, cc.w, cc.bias, cc.inv, out[t*cc.ldo:])
		}
	} else {
		CausalConv1dSiLUI8(cc.l, cc.c, cc.d, cc.x, cc.ldx, state, cc.w, cc.bias, cc.inv, out, cc.ldo)
	}
	return out, state
}

func (cc *convCase) runI8F32() ([]float32, []int8) {
	state := slices.Clone(cc.stateI8)
	out := make([]float32, cc.l*cc.ldo+8)
	for i := range out {
		out[i] = convSentinel
	}
	CausalConv1dSiLUI8F32(cc.l, cc.c, cc.d, cc.x, cc.ldx, state, cc.w, cc.bias, out, cc.ldo)
	return out, state
}

func (cc *convCase) runF32() ([]float32, []float32) {
	state := slices.Clone(cc.stateF)
	out := make([]float32, cc.l*cc.ldo+8)
	for i := range out {
		out[i] = convSentinel
	}
	CausalConv1dSiLUF32(cc.l, cc.c, cc.d, cc.xf, cc.ldx, state, cc.w, cc.bias, out, cc.ldo)
	return out, state
}

// ref returns silu(acc) of token t, channel ch in float64.
func (cc *convCase) ref(t, ch int, float bool) float64 {
	acc := float64(cc.bias[ch])
	for k := 0; k < cc.d; k++ {
		s := t - (cc.d - 1) + k
		var in float64
		switch {
		case s >= 0 && float:
			in = float64(cc.xf[s*cc.ldx+ch])
		case s >= 0:
			in = float64(cc.x[s*cc.ldx+ch])
		case float:
			in = float64(cc.stateF[(s+cc.d-1)*cc.c+ch])
		default:
			in = float64(cc.stateI8[(s+cc.d-1)*cc.c+ch])
		}
		acc += float64(cc.w[k*cc.c+ch]) * in
	}
	return acc / (1 + math.Exp(-acc))
}

// wantState returns the last d-1 inputs (state rows first when l < d-1).
func wantState[T int8 | float32](l, c, d, ldx int, x, state []T) []T {
	var rows []T
	rows = append(rows, state...)
	for t := 0; t < l; t++ {
		rows = append(rows, x[t*ldx:t*ldx+c]...)
	}
	return rows[len(rows)-(d-1)*c:]
}

func convCases(rng *rand.Rand) []*convCase {
	var cs []*convCase
	for _, d := range []int{4, 3, 2, 1} {
		for _, l := range []int{1, 2, 3, 5, 100} {
			// 16-channel blocks of the AVX-512 kernels, odd and even
			// numbers of them, with and without an 8-channel AVX2 block
			// and a generic remainder after them.
			for _, c := range []int{1, 7, 8, 13, 16, 17, 24, 31, 32, 37, 40, 48, 56, 64, 79} {
				if d != 4 && c > 13 {
					continue
				}
				cs = append(cs, newConvCase(rng, l, c, d, l%3*5))
			}
		}
	}
	return append(cs, newConvCase(rng, 33, 1536+5, 4, 16))
}

func checkGuards[T comparable](t *testing.T, what string, cc *convCase, out []T, sentinel T) {
	t.Helper()
	for i, v := range out {
		if (i%cc.ldo >= cc.c || i >= cc.l*cc.ldo) && v != sentinel {
			t.Fatalf("%s %v: guard element %d overwritten", what, cc, i)
		}
	}
}

// TestConvTiers: every tier must reproduce the twin bit for bit (the SIMD
// exp is bit-exact with Exp and the sums are rounded in the same order), so
// int8 outputs are equal, not merely within 1.
func TestConvTiers(t *testing.T) {
	cases := convCases(rand.New(rand.NewPCG(21, 22)))
	type result struct {
		q, qs   []int8
		fi      []float32
		fis     []int8
		ff, ffs []float32
	}
	want := make([]result, len(cases))
	withGenericTier(func() {
		for i, cc := range cases {
			r := &want[i]
			r.q, r.qs = cc.runI8(false)
			r.fi, r.fis = cc.runI8F32()
			r.ff, r.ffs = cc.runF32()
		}
	})
	runTiers(t, func(t *testing.T, tier Tier) {
		for i, cc := range cases {
			r := &want[i]
			x0, xf0, w0 := slices.Clone(cc.x), slices.Clone(cc.xf), slices.Clone(cc.w)
			b0, inv0 := slices.Clone(cc.bias), slices.Clone(cc.inv)
			defer func() {
				if !slices.Equal(cc.x, x0) || !slices.Equal(cc.xf, xf0) || !slices.Equal(cc.w, w0) ||
					!slices.Equal(cc.bias, b0) || !slices.Equal(cc.inv, inv0) {
					t.Errorf("%v: conv modified an input", cc)
				}
			}()
			q, qs := cc.runI8(false)
			if !slices.Equal(q, r.q) || !slices.Equal(qs, r.qs) {
				t.Fatalf("%v: int8 conv differs from the twin", cc)
			}
			fi, fis := cc.runI8F32()
			if !slices.Equal(fi, r.fi) || !slices.Equal(fis, r.fis) {
				t.Fatalf("%v: int8→float32 conv differs from the twin", cc)
			}
			ff, ffs := cc.runF32()
			if !slices.Equal(ff, r.ff) || !slices.Equal(ffs, r.ffs) {
				t.Fatalf("%v: float32 conv differs from the twin", cc)
			}
			checkGuards(t, "int8", cc, q, int8(convSentinel))
			checkGuards(t, "i8f32", cc, fi, float32(convSentinel))
			checkGuards(t, "f32", cc, ff, float32(convSentinel))
			if !slices.Equal(qs, wantState(cc.l, cc.c, cc.d, cc.ldx, cc.x, cc.stateI8)) ||
				!slices.Equal(ffs, wantState(cc.l, cc.c, cc.d, cc.ldx, cc.xf, cc.stateF)) {
				t.Fatalf("%v: state is not the last d-1 inputs", cc)
			}
		}
	})
}

// TestConvReference compares with float64 arithmetic: float outputs within
// 1e-5 relative (plus 1e-6 absolute), int8 outputs equal except within
// 1e-3 of a rounding midpoint.
func TestConvReference(t *testing.T) {
	cases := convCases(rand.New(rand.NewPCG(23, 24)))
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, cc := range cases {
			q, _ := cc.runI8(false)
			fi, _ := cc.runI8F32()
			ff, _ := cc.runF32()
			for tt := 0; tt < cc.l; tt++ {
				for ch := 0; ch < cc.c; ch++ {
					o := tt*cc.ldo + ch
					ri, rf := cc.ref(tt, ch, false), cc.ref(tt, ch, true)
					if d := math.Abs(float64(fi[o]) - ri); d > 1e-5*math.Abs(ri)+1e-6 {
						t.Fatalf("%v t=%d c=%d: i8→f32 %v, want %v", cc, tt, ch, fi[o], ri)
					}
					if d := math.Abs(float64(ff[o]) - rf); d > 1e-5*math.Abs(rf)+1e-6 {
						t.Fatalf("%v t=%d c=%d: f32 %v, want %v", cc, tt, ch, ff[o], rf)
					}
					v := ri * float64(cc.inv[ch])
					want := math.RoundToEven(math.Max(-128, math.Min(127, v)))
					if float64(q[o]) != want && math.Abs(math.Abs(v-math.Trunc(v))-0.5) > 1e-3 {
						t.Fatalf("%v t=%d c=%d: int8 %d, want %v (%v)", cc, tt, ch, q[o], want, v)
					}
				}
			}
		}
	})
}

// TestConvSplit: a prefill followed by steps, or by further prefills, gives
// the outputs and final state of one long prefill.
func TestConvSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	runTiers(t, func(t *testing.T, tier Tier) {
		for _, d := range []int{4, 3, 2} {
			for _, c := range []int{5, 8, 13, 16, 24, 43, 48, 56, 64} {
				cc := newConvCase(rng, 20, c, d, 3)
				whole, wholeState := cc.runI8(false)
				stepped, steppedState := cc.runI8(true)
				if !slices.Equal(whole, stepped) || !slices.Equal(wholeState, steppedState) {
					t.Fatalf("%v: token-by-token steps differ from one prefill", cc)
				}
				// Prefill chunks of 2, 1, 5, then 12 tokens, float32 path.
				wholeF, wholeFState := cc.runF32()
				state := slices.Clone(cc.stateF)
				out := make([]float32, len(wholeF))
				for i := range out {
					out[i] = convSentinel
				}
				t0 := 0
				for _, n := range []int{2, 1, 5, 12} {
					CausalConv1dSiLUF32(n, c, d, cc.xf[t0*cc.ldx:], cc.ldx, state, cc.w, cc.bias, out[t0*cc.ldo:], cc.ldo)
					t0 += n
				}
				if !slices.Equal(out, wholeF) || !slices.Equal(state, wholeFState) {
					t.Fatalf("%v: chunked prefill differs from one prefill", cc)
				}
				// Steps on the float32 path.
				state = slices.Clone(cc.stateF)
				for i := range out {
					out[i] = convSentinel
				}
				for tt := 0; tt < cc.l; tt++ {
					CausalConv1dSiLUStepF32(c, d, cc.xf[tt*cc.ldx:], state, cc.w, cc.bias, out[tt*cc.ldo:])
				}
				if !slices.Equal(out, wholeF) || !slices.Equal(state, wholeFState) {
					t.Fatalf("%v: float32 steps differ from one prefill", cc)
				}
				// Steps on the int8→float32 path.
				wholeI, wholeIState := cc.runI8F32()
				stateI := slices.Clone(cc.stateI8)
				outI := make([]float32, len(wholeI))
				for i := range outI {
					outI[i] = convSentinel
				}
				for tt := 0; tt < cc.l; tt++ {
					CausalConv1dSiLUStepI8F32(c, d, cc.x[tt*cc.ldx:], stateI, cc.w, cc.bias, outI[tt*cc.ldo:])
				}
				if !slices.Equal(outI, wholeI) || !slices.Equal(stateI, wholeIState) {
					t.Fatalf("%v: int8→float32 steps differ from one prefill", cc)
				}
			}
		}
	})
}

func TestConvPanics(t *testing.T) {
	cc := newConvCase(rand.New(rand.NewPCG(1, 1)), 4, 8, 4, 0)
	mustPanic(t, "dConv 5", func() {
		CausalConv1dSiLUI8(4, 8, 5, cc.x, 8, make([]int8, 32), make([]float32, 40), cc.bias, cc.inv, make([]int8, 32), 8)
	})
	mustPanic(t, "short out", func() {
		CausalConv1dSiLUI8(4, 8, 4, cc.x, 8, cc.stateI8, cc.w, cc.bias, cc.inv, make([]int8, 31), 8)
	})
	mustPanic(t, "short state", func() {
		CausalConv1dSiLUF32(4, 8, 4, cc.xf, 8, make([]float32, 23), cc.w, cc.bias, make([]float32, 32), 8)
	})
}

func BenchmarkConvStep(b *testing.B) {
	const c = 1536
	cc := newConvCase(rand.New(rand.NewPCG(1, 1)), 1, c, 4, 0)
	out := make([]int8, c)
	for _, tier := range Supported() {
		b.Run(fmt.Sprintf("C=%d/%s", c, tier), func(b *testing.B) {
			saved := Active()
			defer SetTier(saved)
			SetTier(tier)
			stop := startCPUTimer(b)
			for b.Loop() {
				CausalConv1dSiLUStepI8(c, 4, cc.x, cc.stateI8, cc.w, cc.bias, cc.inv, out)
			}
			stop()
		})
	}
}

func BenchmarkConvPrefill(b *testing.B) {
	const l, c = 512, 1536
	cc := newConvCase(rand.New(rand.NewPCG(1, 1)), l, c, 4, 0)
	out := make([]int8, l*c)
	for _, tier := range Supported() {
		b.Run(fmt.Sprintf("L=%d_C=%d/%s", l, c, tier), func(b *testing.B) {
			saved := Active()
			defer SetTier(saved)
			SetTier(tier)
			b.SetBytes(l * c)
			stop := startCPUTimer(b)
			for b.Loop() {
				CausalConv1dSiLUI8(l, c, 4, cc.x, c, cc.stateI8, cc.w, cc.bias, cc.inv, out, c)
			}
			stop()
		})
	}
}
