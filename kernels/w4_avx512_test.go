//go:build amd64 && !noasm

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// The AVX512 W4A8 kernels and the W4A16 4-row micro-kernel follow the
// float operations of the pure-Go code (see GemvW4A8AVX512,
// GemmW4A8x4AVX512, GemmW4A16x4AVX512), so they are checked bit for bit
// against w4a8Generic and w4a16Generic; the W4A16 GEMV (the rows beyond a
// multiple of 4) fuses multiply-adds over 8 partial sums and is checked to
// float32 rounding of the sums, as in TestMatMulW4A16F32. Sizes: a partial
// last panel, 1-3 rows beyond a multiple of 4, K not a multiple of 128
// (padded groups), several L2 blocks of panels, extreme codes, activations
// and magnitudes (subnormal, signed zeros, 1e30).

func avx512OrSkip(t testing.TB) {
	if !slices.Contains(Supported(), AVX512) {
		t.Skip("no AVX512 tier on this machine")
	}
}

type w4xCase struct {
	m, n, k int
	pat     int // 0 random codes, 1 alternating 0/15, 2 all 0, 3 all 15
}

func w4xCases() []w4xCase {
	var cs []w4xCase
	for _, m := range []int{1, 2, 3, 4, 5, 8, 11} {
		for _, n := range []int{1, 16, 17, 48, 80, 96, 112, 130} {
			for _, k := range []int{1, 48, 127, 128, 129, 300, 768} {
				cs = append(cs, w4xCase{m, n, k, (m + n + k) % 4})
			}
		}
	}
	// Several L2 blocks of panels (about 128 KB each) for the GEMV and the
	// 4-row kernels.
	cs = append(cs, w4xCase{1, 300, 1100, 0}, w4xCase{6, 300, 1100, 0}, w4xCase{9, 530, 513, 0}, w4xCase{2, 64, 4100, 1})
	return cs
}

func (c w4xCase) String() string { return fmt.Sprintf("m=%d n=%d k=%d pat=%d", c.m, c.n, c.k, c.pat) }

func w4xPack(t *testing.T, rng *rand.Rand, c w4xCase) *W4 {
	ng := (c.k + W4Group - 1) / W4Group
	q := make([]uint8, c.n*c.k)
	for i := range q {
		switch c.pat {
		case 0:
			q[i] = uint8(rng.IntN(16))
		case 1:
			q[i] = uint8(15 * (i % 2))
		case 2:
			q[i] = 0
		default:
			q[i] = 15
		}
	}
	gs := make([]float32, c.n*ng)
	for i := range gs {
		gs[i] = float32(rng.NormFloat64()) * 0.05
		if i%7 == 3 {
			gs[i] = 0
		}
	}
	rs := make([]float32, c.n)
	for i := range rs {
		rs[i] = rng.Float32() + 0.5
	}
	w, err := PackW4(c.n, c.k, q, c.k, gs, rs)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func w4Clone(w *W4) *W4 {
	return &W4{N: w.N, K: w.K, codes: slices.Clone(w.codes), gs: slices.Clone(w.gs), rs: slices.Clone(w.rs)}
}

func w4Same(a, b *W4) bool {
	return slices.Equal(a.codes, b.codes) && slices.Equal(a.gs, b.gs) && slices.Equal(a.rs, b.rs)
}

// w4SameBits reports whether got equals want bit for bit (any NaN matches
// any NaN).
func w4SameBits(got, want float32) bool {
	if got != got && want != want {
		return true
	}
	return math.Float32bits(got) == math.Float32bits(want)
}

func TestW4A8AVX512BitExact(t *testing.T) {
	avx512OrSkip(t)
	saved := Active()
	defer SetTier(saved)
	rng := rand.New(rand.NewPCG(31, 32))
	for ci, c := range w4xCases() {
		w := w4xPack(t, rng, c)
		w0 := w4Clone(w)
		ldx := c.k + ci%3
		x := randX(rng, c.m, c.k, ldx, ci%5%4)
		x0 := slices.Clone(x)
		xs := float32(0.0123)
		if ci%6 == 5 {
			xs = -3.5e-7
		}
		want := newOut[float32](c.m, c.n, -7.25)
		w4a8Generic(c.m, x, ldx, xs, w, want.y(), want.ld())
		if err := SetTier(AVX512); err != nil {
			t.Fatal(err)
		}
		got := newOut[float32](c.m, c.n, -7.25)
		MatMulW4A8F32(c.m, x, ldx, xs, w, got.y(), got.ld())
		SetTier(saved)
		got.checkGuards(t)
		for i := 0; i < c.m; i++ {
			for r := 0; r < c.n; r++ {
				if g, e := got.at(i, r), want.at(i, r); !w4SameBits(g, e) {
					t.Fatalf("%v: y[%d][%d] = %v (%#x), pure Go %v (%#x)", c, i, r, g, math.Float32bits(g), e, math.Float32bits(e))
				}
			}
		}
		if !slices.Equal(x, x0) || !w4Same(w, w0) {
			t.Fatalf("%v: inputs changed", c)
		}
	}
}

func TestW4A16AVX512(t *testing.T) {
	avx512OrSkip(t)
	saved := Active()
	defer SetTier(saved)
	rng := rand.New(rand.NewPCG(33, 34))
	for ci, c := range w4xCases() {
		w := w4xPack(t, rng, c)
		w0 := w4Clone(w)
		ldx := c.k + ci%3
		x := make([]float32, (c.m-1)*ldx+c.k)
		for i := range x {
			v := float32(rng.NormFloat64())
			switch (ci + i) % 11 {
			case 0:
				v *= 1e30
			case 1:
				v *= 1e-40 // subnormal
			case 2:
				v = 0
			case 3:
				v = float32(math.Copysign(0, -1))
			}
			x[i] = v
		}
		x0 := slices.Clone(x)
		want := newOut[float32](c.m, c.n, -7.25)
		w4a16Generic(c.m, x, ldx, w, want.y(), want.ld())
		if err := SetTier(AVX512); err != nil {
			t.Fatal(err)
		}
		got := newOut[float32](c.m, c.n, -7.25)
		MatMulW4A16F32(c.m, x, ldx, w, got.y(), got.ld())
		SetTier(saved)
		got.checkGuards(t)
		q, gs, rs := w.Unpack()
		ng := w.Groups()
		for i := 0; i < c.m; i++ {
			for r := 0; r < c.n; r++ {
				g, e := got.at(i, r), want.at(i, r)
				if i < 4*(c.m/4) {
					if !w4SameBits(g, e) {
						t.Fatalf("%v: y[%d][%d] = %v (%#x), pure Go %v (%#x)", c, i, r, g, math.Float32bits(g), e, math.Float32bits(e))
					}
					continue
				}
				var ref, bound float64
				for gi := 0; gi < ng; gi++ {
					var s, b float64
					for k := gi * W4Group; k < min(c.k, (gi+1)*W4Group); k++ {
						v := float64(x[i*ldx+k]) * float64(int(q[r*c.k+k])-8)
						s += v
						b += math.Abs(v)
					}
					ref += float64(gs[r*ng+gi]) * s
					bound += math.Abs(float64(gs[r*ng+gi])) * b
				}
				f := float64(rs[r])
				w4Check(t, c.String(), i, r, float64(g), f*ref, math.Abs(f)*bound)
			}
		}
		if !slices.Equal(x, x0) || !w4Same(w, w0) {
			t.Fatalf("%v: inputs changed", c)
		}
	}
}

// w4BenchTiers runs f as sub-benchmarks avx2 and avx512, each with its tier
// active, side by side in one invocation.
func w4BenchTiers(b *testing.B, f func(b *testing.B)) {
	avx512OrSkip(b)
	saved := Active()
	defer SetTier(saved)
	for _, tier := range []Tier{AVX2, AVX512} {
		b.Run(tier.String(), func(b *testing.B) {
			if err := SetTier(tier); err != nil {
				b.Fatal(err)
			}
			defer SetTier(saved)
			f(b)
		})
	}
}

// BenchmarkW4GEMVTiers is BenchmarkGEMVW4A8Mamba130m and
// BenchmarkGEMVW4A16Mamba130m (one decode step's GEMVs over the 24 layers
// of mamba-130m, 49.7 MB of codes and scales) on the AVX2 and the AVX512
// tier, with the bandwidth also over thread CPU time (time spent
// descheduled on a shared machine does not count), and BenchmarkDRAMRead's
// streaming read measured the same way as the yardstick (read).
func BenchmarkW4GEMVTiers(b *testing.B) {
	b.Run("read", func(b *testing.B) {
		buf := dramBuffer()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		b.SetBytes(dramBytes)
		b.ResetTimer()
		c0 := threadCPU()
		for b.Loop() {
			sink ^= readStream(buf)
		}
		if cpu := threadCPU() - c0; cpu > 0 {
			b.ReportMetric(float64(dramBytes)*float64(b.N)/cpu.Seconds()/1e9, "cpu-GB/s")
		}
	})
	d := newDecodeModel(true)
	x := make([]int8, m130Inner)
	fillInt8(x, 99)
	xf := make([]float32, m130Inner)
	for i := range xf {
		xf[i] = float32(i%17) - 8
	}
	y := make([]float32, 2*m130Inner)
	for _, kind := range []string{"w4a8", "w4a16"} {
		b.Run(kind, func(b *testing.B) {
			w4BenchTiers(b, func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				b.SetBytes(int64(d.bytes))
				c0 := threadCPU()
				for b.Loop() {
					for _, l := range d.w4 {
						for j, s := range m130Shapes {
							if kind == "w4a8" {
								MatMulW4A8F32(1, x, s.k, 0.01, l[j], y, s.n)
							} else {
								MatMulW4A16F32(1, xf, s.k, l[j], y, s.n)
							}
						}
					}
				}
				if cpu := threadCPU() - c0; cpu > 0 {
					b.ReportMetric(float64(d.bytes)*float64(b.N)/cpu.Seconds()/1e9, "cpu-GB/s")
				}
			})
		})
	}
}

// BenchmarkW4ReadRatioTiers is BenchmarkGEMVReadRatio (each layer's GEMVs
// alternate with a plain streaming read of as many bytes) for the W4
// kernels on the AVX2 and the AVX512 tier.
func BenchmarkW4ReadRatioTiers(b *testing.B) {
	d := newDecodeModel(true)
	per := d.bytes / m130Layers / 256 * 256
	buf := make([]byte, per*m130Layers)
	for i := range buf {
		buf[i] = byte(i)
	}
	x := make([]int8, m130Inner)
	fillInt8(x, 99)
	xf := make([]float32, m130Inner)
	for i := range xf {
		xf[i] = float32(i%17) - 8
	}
	yf := make([]float32, 2*m130Inner)
	for _, kind := range []string{"w4a8", "w4a16"} {
		b.Run(kind, func(b *testing.B) {
			w4BenchTiers(b, func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				var tg, tr, cg, cr time.Duration
				for b.Loop() {
					for l := range d.w4 {
						c0, t0 := threadCPU(), time.Now()
						for j, s := range m130Shapes {
							if kind == "w4a8" {
								MatMulW4A8F32(1, x, s.k, 0.01, d.w4[l][j], yf, s.n)
							} else {
								MatMulW4A16F32(1, xf, s.k, d.w4[l][j], yf, s.n)
							}
						}
						c1, t1 := threadCPU(), time.Now()
						sink ^= readStream(buf[l*per : (l+1)*per])
						tg += t1.Sub(t0)
						tr += time.Since(t1)
						cg += c1 - c0
						cr += threadCPU() - c1
					}
				}
				g := float64(d.bytes) / tg.Seconds()
				r := float64(len(buf)) / tr.Seconds()
				n := float64(b.N)
				b.ReportMetric(g*n/1e9, "gemv-GB/s")
				b.ReportMetric(r*n/1e9, "read-GB/s")
				b.ReportMetric(g/r, "gemv/read")
				if cg > 0 && cr > 0 {
					// The same over thread CPU time: time spent descheduled
					// does not count.
					b.ReportMetric(cr.Seconds()*float64(d.bytes)/(cg.Seconds()*float64(len(buf))), "cpu-gemv/read")
				}
			})
		})
	}
}

// BenchmarkW4GEMMTiers is BenchmarkGEMMW4InProj512 (M=512, N=3072, K=768)
// and two smaller prefills on the AVX2 and the AVX512 tier.
func BenchmarkW4GEMMTiers(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{512, 2 * m130Inner, m130Model}, {8, 2 * m130Inner, m130Model}, {512, m130Model, m130Inner}} {
		w := benchW4(s.n, s.k, 7)
		xi := make([]int8, s.m*s.k)
		fillInt8(xi, 3)
		x := make([]float32, s.m*s.k)
		for i, v := range xi {
			x[i] = float32(v) / 16
		}
		y := make([]float32, s.m*s.n)
		name := fmt.Sprintf("m%d_n%d_k%d", s.m, s.n, s.k)
		b.Run("w4a8_"+name, func(b *testing.B) {
			w4BenchTiers(b, func(b *testing.B) {
				benchGEMM(b, s.m, s.n, s.k, func() { MatMulW4A8F32(s.m, xi, s.k, 0.1, w, y, s.n) })
			})
		})
		b.Run("w4a16_"+name, func(b *testing.B) {
			w4BenchTiers(b, func(b *testing.B) {
				benchGEMM(b, s.m, s.n, s.k, func() { MatMulW4A16F32(s.m, x, s.k, w, y, s.n) })
			})
		})
	}
}

// BenchmarkW4GEMVCachedTiers is BenchmarkGEMVCached (an L2-resident
// 256×768 matrix; weight bytes per second of thread CPU time and per
// cycle: the kernels' compute ceiling) for the W4 kernels on the AVX2 and
// the AVX512 tier.
func BenchmarkW4GEMVCachedTiers(b *testing.B) {
	const n, k = 256, m130Model
	w := benchW4(n, k, 1)
	x := make([]int8, k)
	fillInt8(x, 2)
	xf := make([]float32, k)
	for i := range xf {
		xf[i] = float32(x[i])
	}
	yf := make([]float32, n)
	for _, kind := range []string{"w4a8", "w4a16"} {
		b.Run(kind, func(b *testing.B) {
			w4BenchTiers(b, func(b *testing.B) {
				f := func() { MatMulW4A16F32(1, xf, k, w, yf, n) }
				if kind == "w4a8" {
					f = func() { MatMulW4A8F32(1, x, k, 0.01, w, yf, n) }
				}
				ghz := clockGHz()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				const reps = 100
				f()
				b.SetBytes(int64(reps * w.Bytes()))
				b.ResetTimer()
				c0 := threadCPU()
				for b.Loop() {
					for range reps {
						f()
					}
				}
				cpu := threadCPU() - c0
				if cpu > 0 && ghz > 0 {
					bps := float64(reps*w.Bytes()) * float64(b.N) / cpu.Seconds()
					b.ReportMetric(bps/1e9, "cpu-GB/s")
					b.ReportMetric(bps/(ghz*1e9), "B/cycle")
				}
			})
		})
	}
}
