package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Benchmarks of the selective scans at the shapes of mamba-130m (Mamba1:
// E = 1536, N = 16) and mamba2-130m (H = 24, P = 64, N = 128, G = 1). One
// op of a *Step benchmark is one layer for one token. See
// BENCHMARKS-scan.md for the numbers.

// benchTiers runs f on every supported tier and reports, next to the wall
// clock, the thread CPU time per op (cpu-ns/op), which a busy shared
// machine disturbs less.
func benchTiers(b *testing.B, f func(b *testing.B)) {
	for _, tier := range Supported() {
		b.Run(tier.String(), func(b *testing.B) {
			old := Active()
			if err := SetTier(tier); err != nil {
				b.Fatal(err)
			}
			defer SetTier(old)
			defer scanLockThread()()
			c0 := scanThreadCPU()
			f(b)
			b.ReportMetric(float64(scanThreadCPU()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// realisticM1 sets a Mamba1 problem to trained-model-like values: A[c][n]
// about -(n+1) (S4D-real initialisation), delta = softplus(dt + bias)
// mostly in [0.003, 0.1] (dt_proj's initialisation range), so that
// exp(delta·A) does not underflow as it does in the adversarial test cases.
func realisticM1(r *rand.Rand, k *m1Case) {
	E, N := k.p.E, k.p.N
	k.p.SDt = 0.01
	for c := range E {
		k.p.DtBias[c] = float32(-5 + 2.5*r.Float64())
		for n := range N {
			k.p.A[ScanIndexM1(c, n, N)] = -float32(n+1) * float32(0.5+r.Float64())
		}
	}
}

func BenchmarkScanM1Step(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	k := newM1Case(r, 1536, 16, 1)
	realisticM1(r, k)
	state := make([]float32, ScanLenM1(1536, 16))
	y := make([]float32, 1536)
	benchTiers(b, func(b *testing.B) {
		for b.Loop() {
			ScanM1Step(&k.p, state, y, k.u, k.dt, k.B, k.C, k.z)
		}
	})
}

func BenchmarkScanM1StepStateQ8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	k := newM1Case(r, 1536, 16, 1)
	realisticM1(r, k)
	st := StateQ8{Q: make([]int8, ScanLenM1(1536, 16)), Scale: scaleFor(1536, 1536, 16), Group: 1536}
	y := make([]float32, 1536)
	benchTiers(b, func(b *testing.B) {
		for b.Loop() {
			ScanM1StateQ8(&k.p, st, y, k.u, k.dt, k.B, k.C, k.z, 1)
		}
	})
}

// BenchmarkScanM1StepStateQ8G8 is the int8-state step with the scales the
// compiler calibrates (quant, --state-int8): one per 8 channels and state.
func BenchmarkScanM1StepStateQ8G8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	k := newM1Case(r, 1536, 16, 1)
	realisticM1(r, k)
	st := StateQ8{Q: make([]int8, ScanLenM1(1536, 16)), Scale: scaleFor(8, 1536, 16), Group: 8}
	y := make([]float32, 1536)
	benchTiers(b, func(b *testing.B) {
		for b.Loop() {
			ScanM1StateQ8(&k.p, st, y, k.u, k.dt, k.B, k.C, k.z, 1)
		}
	})
}

// BenchmarkScanM1Prefill512 scans 512 tokens; tok/s is reported.
func BenchmarkScanM1Prefill512(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const L = 512
	k := newM1Case(r, 1536, 16, L)
	realisticM1(r, k)
	state := make([]float32, ScanLenM1(1536, 16))
	y := make([]float32, L*1536)
	benchTiers(b, func(b *testing.B) {
		for b.Loop() {
			clear(state)
			ScanM1(&k.p, state, y, k.u, k.dt, k.B, k.C, k.z, L)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*L), "ns/token")
	})
}

func BenchmarkScanM2Step(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	k := newM2Case(r, 24, 64, 128, 1, 1)
	state := make([]float32, 24*64*128)
	y := make([]float32, 24*64)
	benchTiers(b, func(b *testing.B) {
		for b.Loop() {
			ScanM2Step(&k.p, state, y, k.x, k.dt, k.B, k.C)
		}
	})
}

func BenchmarkScanM2StepStateQ8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	k := newM2Case(r, 24, 64, 128, 1, 1)
	st := StateQ8{Q: make([]int8, 24*64*128), Scale: scaleFor(64, 24*64, 128), Group: 64}
	y := make([]float32, 24*64)
	benchTiers(b, func(b *testing.B) {
		for b.Loop() {
			ScanM2StateQ8(&k.p, st, y, k.x, k.dt, k.B, k.C, 1)
		}
	})
}

// BenchmarkScanM2Step24 steps 24 layers' states in turn (24 x 786 KB, more
// than the caches of one core hold), as a decode token does: each layer's
// state comes from L3 or DRAM. One op is one layer.
func BenchmarkScanM2Step24(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const layers = 24
	k := newM2Case(r, 24, 64, 128, 1, 1)
	states := make([][]float32, layers)
	for i := range states {
		states[i] = make([]float32, 24*64*128)
	}
	y := make([]float32, 24*64)
	benchTiers(b, func(b *testing.B) {
		i := 0
		for b.Loop() {
			ScanM2Step(&k.p, states[i], y, k.x, k.dt, k.B, k.C)
			i = (i + 1) % layers
		}
	})
}

// BenchmarkScanM2StepStateQ8G8 is the int8-state step with scales per 8
// channels and state, as the compiler calibrates them.
func BenchmarkScanM2StepStateQ8G8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	k := newM2Case(r, 24, 64, 128, 1, 1)
	st := StateQ8{Q: make([]int8, 24*64*128), Scale: scaleFor(8, 24*64, 128), Group: 8}
	y := make([]float32, 24*64)
	benchTiers(b, func(b *testing.B) {
		for b.Loop() {
			ScanM2StateQ8(&k.p, st, y, k.x, k.dt, k.B, k.C, 1)
		}
	})
}

func BenchmarkScanM2Prefill512(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const L = 512
	k := newM2Case(r, 24, 64, 128, 1, L)
	state := make([]float32, 24*64*128)
	y := make([]float32, L*24*64)
	benchTiers(b, func(b *testing.B) {
		for b.Loop() {
			clear(state)
			ScanM2(&k.p, state, y, k.x, k.dt, k.B, k.C, L)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*L), "ns/token")
	})
}

// m1Layer is one mamba-130m layer's int8 weights and scan state, enough to
// time a decode step's GEMVs against its scan.
type m1Layer struct {
	inProj, xProj, dtProj, outProj *W8
	scan                           *m1Case
	state                          []float32
}

// BenchmarkScanM1VsGEMV130M runs, per op, one decode token through 24
// mamba-130m-shaped layers: the four W8A8 GEMVs of a layer (in_proj
// 3072x768, x_proj 80x1536, dt_proj 1536x48, out_proj 768x1536, 5.5 MB of
// int8 per layer, 132 MB in all, so they stream from DRAM) and the layer's
// scan step, timed separately. It reports both per layer and the scan's
// share of the GEMV time.
func BenchmarkScanM1VsGEMV130M(b *testing.B) {
	const layers, D, E, N, R = 24, 768, 1536, 16, 48
	r := rand.New(rand.NewPCG(3, 4))
	pack := func(n, k int) *W8 {
		w := randI8(r, n*k)
		for i := range w {
			if w[i] == -128 {
				w[i] = -127
			}
		}
		p, err := PackW8(n, k, w, k)
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	ls := make([]m1Layer, layers)
	for i := range ls {
		ls[i] = m1Layer{
			inProj: pack(2*E, D), xProj: pack(R+2*N, E), dtProj: pack(E, R), outProj: pack(D, E),
			scan: newM1Case(r, E, N, 1), state: make([]float32, ScanLenM1(E, N)),
		}
		realisticM1(r, ls[i].scan)
	}
	xIn := randI8(r, D)
	xE := randI8(r, E)
	xR := randI8(r, R)
	yIn := make([]float32, 2*E)
	yX := make([]float32, R+2*N)
	yDt := make([]float32, E)
	yOut := make([]float32, D)
	ys := make([]float32, E)
	one := []float32{1e-3}
	weightBytes := ls[0].inProj.Bytes() + ls[0].xProj.Bytes() + ls[0].dtProj.Bytes() + ls[0].outProj.Bytes()
	benchTiers(b, func(b *testing.B) {
		var tg, ts, cg, cs time.Duration
		for b.Loop() {
			// All layers' GEMVs, then all layers' scans: by the time a
			// layer's scan runs again, 132 MB of weights have gone through
			// the caches, as in a real decode step.
			w0, c0 := time.Now(), scanThreadCPU()
			for i := range ls {
				l := &ls[i]
				MatMulW8A8F32(1, xIn, D, l.inProj, one, nil, yIn, 2*E)
				MatMulW8A8F32(1, xE, E, l.xProj, one, nil, yX, R+2*N)
				MatMulW8A8F32(1, xR, R, l.dtProj, one, nil, yDt, E)
				MatMulW8A8F32(1, xE, E, l.outProj, one, nil, yOut, D)
			}
			w1, c1 := time.Now(), scanThreadCPU()
			for i := range ls {
				k := ls[i].scan
				ScanM1Step(&k.p, ls[i].state, ys, k.u, k.dt, k.B, k.C, k.z)
			}
			w2, c2 := time.Now(), scanThreadCPU()
			tg += w1.Sub(w0)
			ts += w2.Sub(w1)
			cg += c1 - c0
			cs += c2 - c1
		}
		n := float64(b.N * layers)
		b.ReportMetric(float64(tg.Nanoseconds())/n, "gemv-ns/layer")
		b.ReportMetric(float64(ts.Nanoseconds())/n, "scan-ns/layer")
		b.ReportMetric(100*float64(ts)/float64(tg), "scan-%-of-gemv")
		b.ReportMetric(float64(cg.Nanoseconds())/n, "gemv-cpu-ns/layer")
		b.ReportMetric(float64(cs.Nanoseconds())/n, "scan-cpu-ns/layer")
		b.ReportMetric(100*float64(cs)/float64(cg), "scan-%-of-gemv-cpu")
		b.ReportMetric(float64(weightBytes)*n/tg.Seconds()/1e9, "gemv-GB/s")
	})
}

func ExampleScanM1Step() {
	const E, N = 8, 2
	p := &ScanM1Params{
		E: E, N: N,
		A:      make([]float32, ScanLenM1(E, N)), // scan layout
		D:      make([]float32, E),
		DtBias: make([]float32, E),
		SU:     0.1, SDt: 0.1, SB: 0.1, SC: 0.1, SZ: 0.1,
	}
	for i := range p.A {
		p.A[i] = -1
	}
	state := make([]float32, ScanLenM1(E, N)) // fresh state
	u := []int8{10, 10, 10, 10, 10, 10, 10, 10}
	dt := make([]int8, E) // delta = softplus(0) = ln 2
	B, C := []int8{10, 0}, []int8{10, 10}
	z := []int8{100, 100, 100, 100, 100, 100, 100, 100}
	y := make([]float32, E)
	ScanM1Step(p, state, y, u, dt, B, C, z)
	// h[0] = delta·u·B = ln2·1·1; y = C·h·silu(10) = 0.6931·9.9995
	fmt.Printf("%.4f %.4f\n", state[0], y[0])
	// Output: 0.6931 6.9312
}
