package kernels

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// Benchmarks of the matmul kernels on mamba-130m shapes. They run on the
// active tier (QUAMBA_KERNELS selects a lower one). Compare the GEMV GB/s
// with BenchmarkDRAMRead from the same run.

// mamba130m: d_model 768, d_inner 1536, dt_rank 48, d_state 16, 24 layers.
const (
	m130Layers = 24
	m130Model  = 768
	m130Inner  = 1536
	m130DtRank = 48
	m130State  = 16
)

// benchShape is one weight matrix of a layer: n outputs, k inputs.
type benchShape struct {
	name string
	n, k int
}

var m130Shapes = []benchShape{
	{"in_proj", 2 * m130Inner, m130Model},
	{"x_proj", m130DtRank + 2*m130State, m130Inner},
	{"dt_proj", m130Inner, m130DtRank},
	{"out_proj", m130Model, m130Inner},
}

func benchW8(n, k int, seed uint64) *W8 {
	w := make([]int8, n*k)
	fillInt8(w, seed)
	for i, v := range w {
		if v == -128 {
			w[i] = -127
		}
	}
	p, err := PackW8(n, k, w, k)
	if err != nil {
		panic(err)
	}
	return p
}

// BenchmarkGEMVMamba130m runs one decode step's W8A8 GEMVs over all 24
// layers (in_proj → int8, x_proj → int8, dt_proj → float32 + bias,
// out_proj → float32): every weight byte is read once per op, far more than
// the last-level cache holds, so this measures DRAM streaming.
func BenchmarkGEMVMamba130m(b *testing.B) {
	type layer struct{ w [4]*W8 }
	layers := make([]layer, m130Layers)
	total := 0
	for l := range layers {
		for j, s := range m130Shapes {
			layers[l].w[j] = benchW8(s.n, s.k, uint64(l*4+j+1))
			total += layers[l].w[j].Bytes()
		}
	}
	x := make([]int8, m130Inner)
	fillInt8(x, 99)
	yi8 := make([]int8, 2*m130Inner)
	yf := make([]float32, m130Inner)
	scale := []float32{1e-3}
	rowScale := make([]float32, 2*m130Inner)
	bias := make([]float32, 2*m130Inner)
	for i := range rowScale {
		rowScale[i] = 1e-4 * float32(i%7+1)
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for b.Loop() {
		for _, l := range layers {
			MatMulW8A8I8(1, x, m130Model, l.w[0], scale, yi8, 2*m130Inner)
			MatMulW8A8I8(1, x, m130Inner, l.w[1], rowScale, yi8, 2*m130Inner)
			MatMulW8A8F32(1, x, m130DtRank, l.w[2], rowScale, bias, yf, m130Inner)
			MatMulW8A8F32(1, x, m130Inner, l.w[3], scale, nil, yf, m130Inner)
		}
	}
	b.ReportMetric(float64(total)/1e6, "weight-MB")
}

// fillInt8 writes pseudo-random int8 with a xorshift generator (fast
// enough for a hundred megabytes).
func fillInt8(x []int8, seed uint64) {
	s := seed | 1
	for i := range x {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		x[i] = int8(s >> 56)
	}
}

// clockMul is read at run time so that the compiler cannot strength-reduce
// the multiplications of imulChain.
var clockMul uint64 = 3

//go:noinline
func imulChain(n int) uint64 {
	x, m := uint64(1), clockMul
	for i := 0; i < n; i++ {
		x *= m
		x *= m
		x *= m
		x *= m
		x *= m
		x *= m
		x *= m
		x *= m
	}
	return x
}

// clockGHz estimates the core clock from the thread CPU time of a chain of
// dependent 64-bit multiplies, assuming a 3-cycle IMUL latency (AMD Zen,
// Intel Core). 0 when thread CPU time is unavailable.
func clockGHz() float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 20_000_000
	best := 0.0
	for r := 0; r < 3; r++ {
		c0 := threadCPU()
		sink ^= imulChain(n)
		c := threadCPU() - c0
		if c > 0 {
			best = max(best, 3*8*n/c.Seconds()/1e9)
		}
	}
	return best
}

// benchGEMM runs f (m·n·k multiply-adds) and reports wall-clock GOPS (a
// multiply-add counts as two operations), GOPS over the thread's CPU time,
// and multiply-adds per cycle at the measured clock.
func benchGEMM(b *testing.B, m, n, k int, f func()) {
	ghz := clockGHz()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f()
	b.ResetTimer()
	c0 := threadCPU()
	for b.Loop() {
		f()
	}
	cpu := threadCPU() - c0
	ops := 2 * float64(m*n*k) * float64(b.N)
	b.ReportMetric(ops/b.Elapsed().Seconds()/1e9, "GOPS")
	if cpu > 0 && ghz > 0 {
		b.ReportMetric(ops/cpu.Seconds()/1e9, "cpu-GOPS")
		b.ReportMetric(ops/2/cpu.Seconds()/(ghz*1e9), "MAC/cycle")
		b.ReportMetric(ghz, "GHz")
	}
}

// BenchmarkGEMMInProj512 is the prefill in_proj of mamba-130m for a
// 512-token prompt: M=512, N=3072, K=768, int8 output. The AVX2 peak is 32
// int8 multiply-adds per cycle (two VPMADDUBSW per cycle).
func BenchmarkGEMMInProj512(b *testing.B) {
	const m, n, k = 512, 2 * m130Inner, m130Model
	w := benchW8(n, k, 7)
	x := make([]int8, m*k)
	fillInt8(x, 5)
	y := make([]int8, m*n)
	scale := []float32{1e-3}
	benchGEMM(b, m, n, k, func() { MatMulW8A8I8(m, x, k, w, scale, y, n) })
}

// BenchmarkGEMM runs the W8A8 int32 product at the other prefill shapes.
func BenchmarkGEMM(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{64, 3072, 768}, {512, 768, 1536}, {512, 80, 1536}, {512, 1536, 48}} {
		b.Run(fmt.Sprintf("m%d_n%d_k%d", s.m, s.n, s.k), func(b *testing.B) {
			w := benchW8(s.n, s.k, 3)
			x := make([]int8, s.m*s.k)
			fillInt8(x, 4)
			y := make([]int32, s.m*s.n)
			benchGEMM(b, s.m, s.n, s.k, func() { MatMulW8A8I32(s.m, x, s.k, w, y, s.n) })
		})
	}
}

// benchW4 returns a random packed W4 matrix.
func benchW4(n, k int, seed uint64) *W4 {
	q := make([]int8, n*k)
	fillInt8(q, seed)
	codes := make([]uint8, n*k)
	for i, v := range q {
		codes[i] = uint8(v) & 15
	}
	ng := (k + W4Group - 1) / W4Group
	gs := make([]float32, n*ng)
	for i := range gs {
		gs[i] = 0.01 + float32(i%5)*1e-3
	}
	rs := make([]float32, n)
	for i := range rs {
		rs[i] = 1 + float32(i%3)*0.1
	}
	p, err := PackW4(n, k, codes, k, gs, rs)
	if err != nil {
		panic(err)
	}
	return p
}

// decodeModel is one decode step's weights of the 24 layers in one format.
type decodeModel struct {
	w8    [][4]*W8
	w4    [][4]*W4
	bytes int
}

func newDecodeModel(w4 bool) *decodeModel {
	d := &decodeModel{}
	for l := 0; l < m130Layers; l++ {
		var l8 [4]*W8
		var l4 [4]*W4
		for j, s := range m130Shapes {
			seed := uint64(l*4 + j + 1)
			if w4 {
				l4[j] = benchW4(s.n, s.k, seed)
				d.bytes += l4[j].Bytes()
			} else {
				l8[j] = benchW8(s.n, s.k, seed)
				d.bytes += l8[j].Bytes()
			}
		}
		d.w8 = append(d.w8, l8)
		d.w4 = append(d.w4, l4)
	}
	return d
}

// BenchmarkGEMVW4A8Mamba130m and BenchmarkGEMVW4A16Mamba130m run the 24
// layers' GEMVs with 4-bit weights (group 128; dt_proj's K=48 is padded to
// 128). SetBytes counts codes and scales.
func BenchmarkGEMVW4A8Mamba130m(b *testing.B) {
	d := newDecodeModel(true)
	x := make([]int8, m130Inner)
	fillInt8(x, 99)
	y := make([]float32, 2*m130Inner)
	b.SetBytes(int64(d.bytes))
	b.ResetTimer()
	for b.Loop() {
		for _, l := range d.w4 {
			for j, s := range m130Shapes {
				MatMulW4A8F32(1, x, s.k, 0.01, l[j], y, s.n)
			}
		}
	}
	b.ReportMetric(float64(d.bytes)/1e6, "weight-MB")
}

func BenchmarkGEMVW4A16Mamba130m(b *testing.B) {
	d := newDecodeModel(true)
	x := make([]float32, m130Inner)
	for i := range x {
		x[i] = float32(i%17) - 8
	}
	y := make([]float32, 2*m130Inner)
	b.SetBytes(int64(d.bytes))
	b.ResetTimer()
	for b.Loop() {
		for _, l := range d.w4 {
			for j, s := range m130Shapes {
				MatMulW4A16F32(1, x, s.k, l[j], y, s.n)
			}
		}
	}
	b.ReportMetric(float64(d.bytes)/1e6, "weight-MB")
}

// BenchmarkGEMVReadRatio alternates, layer by layer, one decode step's
// GEMVs (as in the Mamba130m benchmarks) with a plain streaming read of as
// many bytes from another buffer, and reports both bandwidths and their
// ratio: at this fine grain the noise of a shared machine affects both
// alike.
func BenchmarkGEMVReadRatio(b *testing.B) {
	for _, kind := range []string{"w8a8", "w4a8", "w4a16"} {
		b.Run(kind, func(b *testing.B) {
			d := newDecodeModel(kind != "w8a8")
			per := d.bytes / m130Layers / 256 * 256 // read bytes per layer
			buf := make([]byte, per*m130Layers)
			for i := range buf {
				buf[i] = byte(i)
			}
			x := make([]int8, m130Inner)
			fillInt8(x, 99)
			xf := make([]float32, m130Inner)
			y := make([]int32, 2*m130Inner)
			yf := make([]float32, 2*m130Inner)
			var tg, tr time.Duration
			for b.Loop() {
				for l := range d.w8 {
					t0 := time.Now()
					for j, s := range m130Shapes {
						switch kind {
						case "w8a8":
							MatMulW8A8I32(1, x, s.k, d.w8[l][j], y, s.n)
						case "w4a8":
							MatMulW4A8F32(1, x, s.k, 0.01, d.w4[l][j], yf, s.n)
						default:
							MatMulW4A16F32(1, xf, s.k, d.w4[l][j], yf, s.n)
						}
					}
					t1 := time.Now()
					sink ^= readStream(buf[l*per : (l+1)*per])
					tg += t1.Sub(t0)
					tr += time.Since(t1)
				}
			}
			g := float64(d.bytes) / tg.Seconds()
			r := float64(len(buf)) / tr.Seconds()
			n := float64(b.N)
			b.ReportMetric(g*n/1e9, "gemv-GB/s")
			b.ReportMetric(r*n/1e9, "read-GB/s")
			b.ReportMetric(g/r, "gemv/read")
		})
	}
}

// BenchmarkGEMVCached runs each GEMV kernel on a matrix that stays in L2
// (N=256, K=768) and reports weight bytes per second of thread CPU time and
// per cycle: the kernels' compute ceiling, to be compared with the DRAM
// bandwidth (a GEMV is memory-bound when this is well above it).
func BenchmarkGEMVCached(b *testing.B) {
	const n, k = 256, m130Model
	w8, w4 := benchW8(n, k, 1), benchW4(n, k, 1)
	x := make([]int8, k)
	fillInt8(x, 2)
	xf := make([]float32, k)
	for i := range xf {
		xf[i] = float32(x[i])
	}
	y := make([]int32, n)
	yf := make([]float32, n)
	for _, c := range []struct {
		name  string
		bytes int
		f     func()
	}{
		{"w8a8", w8.Bytes(), func() { MatMulW8A8I32(1, x, k, w8, y, n) }},
		{"w4a8", w4.Bytes(), func() { MatMulW4A8F32(1, x, k, 0.01, w4, yf, n) }},
		{"w4a16", w4.Bytes(), func() { MatMulW4A16F32(1, xf, k, w4, yf, n) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			ghz := clockGHz()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			const reps = 100 // per iteration, so that CPU time is measurable
			c.f()
			b.SetBytes(int64(reps * c.bytes))
			b.ResetTimer()
			c0 := threadCPU()
			for b.Loop() {
				for range reps {
					c.f()
				}
			}
			cpu := threadCPU() - c0
			if cpu > 0 && ghz > 0 {
				bps := float64(reps*c.bytes) * float64(b.N) / cpu.Seconds()
				b.ReportMetric(bps/1e9, "cpu-GB/s")
				b.ReportMetric(bps/(ghz*1e9), "B/cycle")
			}
		})
	}
}

// BenchmarkGEMMW4InProj512 is the in_proj prefill of BenchmarkGEMMInProj512
// with 4-bit weights: W4A8 (GEMV kernel over L2-sized panel blocks) and
// W4A16 (panels expanded to float once, 4 × 16 FMA micro-kernel).
func BenchmarkGEMMW4InProj512(b *testing.B) {
	const m, n, k = 512, 2 * m130Inner, m130Model
	w := benchW4(n, k, 7)
	xi := make([]int8, m*k)
	fillInt8(xi, 3)
	x := make([]float32, m*k)
	for i, v := range xi {
		x[i] = float32(v) / 16
	}
	y := make([]float32, m*n)
	b.Run("w4a8", func(b *testing.B) { benchGEMM(b, m, n, k, func() { MatMulW4A8F32(m, xi, k, 0.1, w, y, n) }) })
	b.Run("w4a16", func(b *testing.B) { benchGEMM(b, m, n, k, func() { MatMulW4A16F32(m, x, k, w, y, n) }) })
}

// forSIMDTiers runs f as one sub-benchmark per SIMD tier of this machine
// (all but generic), so that the tiers are compared side by side in one
// run.
func forSIMDTiers(b *testing.B, f func(b *testing.B)) {
	saved := Active()
	defer SetTier(saved)
	for _, t := range Supported()[1:] {
		if err := SetTier(t); err != nil {
			b.Fatal(err)
		}
		b.Run(t.String(), f)
	}
}

// BenchmarkW8A8Tiers runs the W8A8 prefill GEMM of BenchmarkGEMMInProj512
// and the decode GEMVs of BenchmarkGEMVMamba130m on every SIMD tier, with
// BenchmarkDRAMRead's read loop in between, so that the tiers' ratios and
// the GEMV's share of the read bandwidth come from one run.
func BenchmarkW8A8Tiers(b *testing.B) {
	b.Run("inproj512", func(b *testing.B) {
		const m, n, k = 512, 2 * m130Inner, m130Model
		w := benchW8(n, k, 7)
		x := make([]int8, m*k)
		fillInt8(x, 5)
		y := make([]int8, m*n)
		scale := []float32{1e-3}
		forSIMDTiers(b, func(b *testing.B) {
			benchGEMM(b, m, n, k, func() { MatMulW8A8I8(m, x, k, w, scale, y, n) })
		})
	})
	// The other prefill shapes of BenchmarkGEMM (int32 output).
	for _, s := range []struct{ m, n, k int }{{64, 3072, 768}, {512, 768, 1536}, {512, 80, 1536}, {512, 1536, 48}} {
		b.Run(fmt.Sprintf("m%d_n%d_k%d", s.m, s.n, s.k), func(b *testing.B) {
			w := benchW8(s.n, s.k, 3)
			x := make([]int8, s.m*s.k)
			fillInt8(x, 4)
			y := make([]int32, s.m*s.n)
			forSIMDTiers(b, func(b *testing.B) {
				benchGEMM(b, s.m, s.n, s.k, func() { MatMulW8A8I32(s.m, x, s.k, w, y, s.n) })
			})
		})
	}
	// The GEMV on an L2-resident matrix (as BenchmarkGEMVCached/w8a8):
	// weight bytes per cycle of thread CPU time, the compute ceiling.
	b.Run("gemvL2", func(b *testing.B) {
		const n, k, reps = 256, m130Model, 100
		w := benchW8(n, k, 1)
		x := make([]int8, k)
		fillInt8(x, 2)
		y := make([]int32, n)
		forSIMDTiers(b, func(b *testing.B) {
			ghz := clockGHz()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			MatMulW8A8I32(1, x, k, w, y, n)
			b.SetBytes(int64(reps * w.Bytes()))
			b.ResetTimer()
			c0 := threadCPU()
			for b.Loop() {
				for range reps {
					MatMulW8A8I32(1, x, k, w, y, n)
				}
			}
			if cpu := threadCPU() - c0; cpu > 0 && ghz > 0 {
				bps := float64(reps*w.Bytes()) * float64(b.N) / cpu.Seconds()
				b.ReportMetric(bps/1e9, "cpu-GB/s")
				b.ReportMetric(bps/(ghz*1e9), "B/cycle")
			}
		})
	})
	// One decode step over the 24 layers with the epilogues of
	// BenchmarkGEMVMamba130m; each layer's GEMVs alternate with a plain
	// read of as many bytes from another buffer (as in
	// BenchmarkGEMVReadRatio), so that both see the same interference.
	b.Run("gemv130m", func(b *testing.B) {
		d := newDecodeModel(false)
		per := d.bytes / m130Layers / 256 * 256
		buf := make([]byte, per*m130Layers)
		for i := range buf {
			buf[i] = byte(i)
		}
		x := make([]int8, m130Inner)
		fillInt8(x, 99)
		yi8 := make([]int8, 2*m130Inner)
		yf := make([]float32, m130Inner)
		scale := []float32{1e-3}
		rowScale := make([]float32, 2*m130Inner)
		bias := make([]float32, 2*m130Inner)
		for i := range rowScale {
			rowScale[i] = 1e-4 * float32(i%7+1)
		}
		forSIMDTiers(b, func(b *testing.B) {
			var tg, tr time.Duration
			for b.Loop() {
				for l, w := range d.w8 {
					t0 := time.Now()
					MatMulW8A8I8(1, x, m130Model, w[0], scale, yi8, 2*m130Inner)
					MatMulW8A8I8(1, x, m130Inner, w[1], rowScale, yi8, 2*m130Inner)
					MatMulW8A8F32(1, x, m130DtRank, w[2], rowScale, bias, yf, m130Inner)
					MatMulW8A8F32(1, x, m130Inner, w[3], scale, nil, yf, m130Inner)
					t1 := time.Now()
					sink ^= readStream(buf[l*per : (l+1)*per])
					tg += t1.Sub(t0)
					tr += time.Since(t1)
				}
			}
			n := float64(b.N)
			g := float64(d.bytes) * n / tg.Seconds()
			r := float64(len(buf)) * n / tr.Seconds()
			b.ReportMetric(g/1e9, "gemv-GB/s")
			b.ReportMetric(r/1e9, "read-GB/s")
			b.ReportMetric(g/r, "gemv/read")
		})
	})
}
