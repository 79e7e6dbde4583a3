package kernels

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas/blas32"
)

// Benchmarks of the float32 products on mamba-130m shapes, single-threaded,
// on the active tier (QUAMBA_KERNELS selects a lower one). The GEMV GB/s
// are judged against BenchmarkDRAMRead and the interleaved reads of
// BenchmarkF32GEMVReadRatio; the GEMM reports MAC/cycle against the AVX2
// FMA peak of 16 float32 multiply-adds per cycle (two 8-lane FMAs). The
// *Tiers benchmarks run every SIMD tier of the machine in turn inside each
// op, so that their ratios are taken at the same moments of a shared
// machine.

// f32SIMDTiers lists the supported tiers other than Generic, slowest first.
func f32SIMDTiers() []Tier {
	var ts []Tier
	for _, t := range Supported() {
		if t != Generic {
			ts = append(ts, t)
		}
	}
	return ts
}

// benchF32 returns a random packed float32 matrix.
func benchF32(n, k int, seed uint64) *F32 {
	q := make([]int8, n*k)
	fillInt8(q, seed)
	w := make([]float32, n*k)
	for i, v := range q {
		w[i] = float32(v) / 1024
	}
	p, err := PackF32(n, k, w, k)
	if err != nil {
		panic(err)
	}
	return p
}

func benchF32X(m, k int, seed uint64) []float32 {
	q := make([]int8, m*k)
	fillInt8(q, seed)
	x := make([]float32, m*k)
	for i, v := range q {
		x[i] = float32(v) / 64
	}
	return x
}

// f32Layers returns the 24 layers' four matrices and their total bytes.
func f32Layers() ([][4]*F32, int) {
	layers := make([][4]*F32, m130Layers)
	total := 0
	for l := range layers {
		for j, s := range m130Shapes {
			layers[l][j] = benchF32(s.n, s.k, uint64(l*4+j+1))
			total += layers[l][j].Bytes()
		}
	}
	return layers, total
}

// BenchmarkF32GEMVMamba130m runs one decode step's float32 GEMVs over the
// 24 layers (in_proj, x_proj, dt_proj + bias, out_proj): 358 MB of weights
// per op, each byte read once, far more than the caches hold.
func BenchmarkF32GEMVMamba130m(b *testing.B) {
	layers, total := f32Layers()
	x := benchF32X(1, m130Inner, 99)
	y := make([]float32, 2*m130Inner)
	bias := benchF32X(1, m130Inner, 98)
	b.SetBytes(int64(total))
	b.ResetTimer()
	stop := startCPUTimer(b)
	for b.Loop() {
		for _, l := range layers {
			for j, s := range m130Shapes {
				var bj []float32
				if j == 2 {
					bj = bias
				}
				MatMulF32(1, x, s.k, l[j], bj, y, s.n)
			}
		}
	}
	stop()
	b.ReportMetric(float64(total)/1e6, "weight-MB")
}

// BenchmarkF32GEMVLMHead is the lm_head GEMV of mamba-130m (50280 x 768,
// 154 MB).
func BenchmarkF32GEMVLMHead(b *testing.B) {
	const n, k = 50280, m130Model
	w := benchF32(n, k, 11)
	x := benchF32X(1, k, 12)
	y := make([]float32, n)
	b.SetBytes(int64(w.Bytes()))
	b.ResetTimer()
	stop := startCPUTimer(b)
	for b.Loop() {
		MatMulF32(1, x, k, w, nil, y, n)
	}
	stop()
}

// BenchmarkF32GEMVReadRatio alternates, layer by layer, the decode GEMVs
// with plain streaming reads of as many bytes from another buffer, and
// reports the bandwidths and their ratios: at this grain the noise of a
// shared machine affects all alike. Two yardsticks: one sequential stream
// (read1, as BenchmarkDRAMRead) and four streams read in step (read4, the
// access pattern of the AVX2 GEMV), each reading half the layer's bytes.
func BenchmarkF32GEMVReadRatio(b *testing.B) {
	layers, total := f32Layers()
	per := total / m130Layers / 2048 * 2048 // read bytes per layer
	h := per / 2
	buf := make([]byte, per*m130Layers)
	for i := range buf {
		buf[i] = byte(i)
	}
	x := benchF32X(1, m130Inner, 99)
	y := make([]float32, 2*m130Inner)
	var tg, tr1, tr4 time.Duration
	for it := 0; b.Loop(); it++ {
		for l, ws := range layers {
			t0 := time.Now()
			for j, s := range m130Shapes {
				MatMulF32(1, x, s.k, ws[j], nil, y, s.n)
			}
			t1 := time.Now()
			// Which half each read takes alternates.
			a, c := buf[l*per:l*per+h], buf[l*per+h:(l+1)*per]
			if (l+it)%2 == 1 {
				a, c = c, a
			}
			sink ^= readStream(a)
			t2 := time.Now()
			sink ^= readStreams4(c)
			t3 := time.Now()
			tg += t1.Sub(t0)
			tr1 += t2.Sub(t1)
			tr4 += t3.Sub(t2)
		}
	}
	n := float64(b.N)
	g := float64(total) * n / tg.Seconds()
	r1 := float64(h*m130Layers) * n / tr1.Seconds()
	r4 := float64(h*m130Layers) * n / tr4.Seconds()
	b.ReportMetric(g/1e9, "gemv-GB/s")
	b.ReportMetric(r1/1e9, "read1-GB/s")
	b.ReportMetric(r4/1e9, "read4-GB/s")
	b.ReportMetric(g/r1, "gemv/read1")
	b.ReportMetric(g/r4, "gemv/read4")
}

// BenchmarkF32GEMVTiers runs, layer by layer, the decode GEMVs of the 24
// mamba-130m layers on every SIMD tier in turn, then the two plain reads of
// BenchmarkF32GEMVReadRatio over as many bytes, and reports each tier's
// GB/s, its ratio to the four-stream read and the last tier's speed over
// the first's.
func BenchmarkF32GEMVTiers(b *testing.B) {
	tiers := f32SIMDTiers()
	if len(tiers) == 0 {
		b.Skip("no SIMD tier")
	}
	defer SetTier(Active())
	layers, total := f32Layers()
	per := total / m130Layers / 2048 * 2048
	h := per / 2
	buf := make([]byte, per*m130Layers)
	for i := range buf {
		buf[i] = byte(i)
	}
	x := benchF32X(1, m130Inner, 99)
	y := make([]float32, 2*m130Inner)
	tg := make([]time.Duration, len(tiers))
	var tr1, tr4 time.Duration
	for it := 0; b.Loop(); it++ {
		for l, ws := range layers {
			for j := range tiers {
				// The order of the tiers alternates.
				tr := tiers[(j+l+it)%len(tiers)]
				SetTier(tr)
				t0 := time.Now()
				for q, s := range m130Shapes {
					MatMulF32(1, x, s.k, ws[q], nil, y, s.n)
				}
				tg[(j+l+it)%len(tiers)] += time.Since(t0)
			}
			a, c := buf[l*per:l*per+h], buf[l*per+h:(l+1)*per]
			if (l+it)%2 == 1 {
				a, c = c, a
			}
			t1 := time.Now()
			sink ^= readStream(a)
			t2 := time.Now()
			sink ^= readStreams4(c)
			t3 := time.Now()
			tr1 += t2.Sub(t1)
			tr4 += t3.Sub(t2)
		}
	}
	n := float64(b.N)
	r1 := float64(h*m130Layers) * n / tr1.Seconds()
	r4 := float64(h*m130Layers) * n / tr4.Seconds()
	b.ReportMetric(r1/1e9, "read1-GB/s")
	b.ReportMetric(r4/1e9, "read4-GB/s")
	for j, tr := range tiers {
		g := float64(total) * n / tg[j].Seconds()
		b.ReportMetric(g/1e9, tr.String()+"-GB/s")
		b.ReportMetric(g/r4, tr.String()+"/read4")
	}
	if len(tiers) > 1 {
		b.ReportMetric(tg[0].Seconds()/tg[len(tg)-1].Seconds(), tiers[len(tiers)-1].String()+"/"+tiers[0].String())
	}
}

// BenchmarkF32GEMVCached runs the GEMV on a matrix that stays in L2 (N=128,
// K=768, 384 KB) on every SIMD tier and reports weight bytes per second of
// thread CPU time and per cycle: the kernel's compute ceiling, to compare
// with DRAM bandwidth.
func BenchmarkF32GEMVCached(b *testing.B) {
	const n, k = 128, m130Model
	w := benchF32(n, k, 1)
	x := benchF32X(1, k, 2)
	y := make([]float32, n)
	defer SetTier(Active())
	for _, tr := range f32SIMDTiers() {
		b.Run(tr.String(), func(b *testing.B) {
			SetTier(tr)
			ghz := clockGHz()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			const reps = 100
			MatMulF32(1, x, k, w, nil, y, n)
			b.SetBytes(int64(reps * w.Bytes()))
			b.ResetTimer()
			c0 := threadCPU()
			for b.Loop() {
				for range reps {
					MatMulF32(1, x, k, w, nil, y, n)
				}
			}
			cpu := threadCPU() - c0
			if cpu > 0 && ghz > 0 {
				bps := float64(reps*w.Bytes()) * float64(b.N) / cpu.Seconds()
				b.ReportMetric(bps/1e9, "cpu-GB/s")
				b.ReportMetric(bps/(ghz*1e9), "B/cycle")
			}
		})
	}
}

// BenchmarkF32GEMM runs, first, the prefill in_proj of mamba-130m for a
// 512-token prompt (M=512, N=3072, K=768); the other sub-benchmarks are the
// other prefill shapes. MAC/cycle is per core at the measured clock; the
// AVX2 FMA peak is 16.
func BenchmarkF32GEMM(b *testing.B) {
	for _, s := range []struct {
		name    string
		m, n, k int
	}{
		{"in_proj", 512, 2 * m130Inner, m130Model},
		{"x_proj", 512, m130DtRank + 2*m130State, m130Inner},
		{"dt_proj", 512, m130Inner, m130DtRank},
		{"out_proj", 512, m130Model, m130Inner},
		{"in_proj", 64, 2 * m130Inner, m130Model},
	} {
		b.Run(fmt.Sprintf("%s_m%d_n%d_k%d", s.name, s.m, s.n, s.k), func(b *testing.B) {
			w := benchF32(s.n, s.k, 3)
			x := benchF32X(s.m, s.k, 4)
			y := make([]float32, s.m*s.n)
			benchGEMM(b, s.m, s.n, s.k, func() { MatMulF32(s.m, x, s.k, w, nil, y, s.n) })
		})
	}
}

// BenchmarkF32GEMMTiers runs the prefill shapes of BenchmarkF32GEMM on
// every SIMD tier in turn inside each op and reports each tier's MAC/cycle
// of thread CPU time at the measured clock and the last tier's speed over
// the first's.
func BenchmarkF32GEMMTiers(b *testing.B) {
	tiers := f32SIMDTiers()
	if len(tiers) == 0 {
		b.Skip("no SIMD tier")
	}
	defer SetTier(Active())
	for _, s := range []struct {
		name    string
		m, n, k int
	}{
		{"in_proj", 512, 2 * m130Inner, m130Model},
		{"x_proj", 512, m130DtRank + 2*m130State, m130Inner},
		{"dt_proj", 512, m130Inner, m130DtRank},
		{"out_proj", 512, m130Model, m130Inner},
		{"in_proj", 64, 2 * m130Inner, m130Model},
		{"in_proj", 20, 2 * m130Inner, m130Model},
	} {
		b.Run(fmt.Sprintf("%s_m%d_n%d_k%d", s.name, s.m, s.n, s.k), func(b *testing.B) {
			w := benchF32(s.n, s.k, 3)
			x := benchF32X(s.m, s.k, 4)
			y := make([]float32, s.m*s.n)
			ghz := clockGHz()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu := make([]time.Duration, len(tiers))
			for _, tr := range tiers {
				SetTier(tr)
				MatMulF32(s.m, x, s.k, w, nil, y, s.n)
			}
			b.ResetTimer()
			for it := 0; b.Loop(); it++ {
				for j := range tiers {
					q := (j + it) % len(tiers)
					SetTier(tiers[q])
					c0 := threadCPU()
					MatMulF32(s.m, x, s.k, w, nil, y, s.n)
					cpu[q] += threadCPU() - c0
				}
			}
			macs := float64(s.m*s.n*s.k) * float64(b.N)
			if ghz <= 0 || cpu[0] <= 0 {
				return
			}
			for j, tr := range tiers {
				b.ReportMetric(macs/cpu[j].Seconds()/(ghz*1e9), tr.String()+"-MAC/cycle")
			}
			if len(tiers) > 1 {
				b.ReportMetric(cpu[0].Seconds()/cpu[len(cpu)-1].Seconds(), tiers[len(tiers)-1].String()+"/"+tiers[0].String())
			}
			b.ReportMetric(ghz, "GHz")
		})
	}
}

// BenchmarkF32Baseline is the float32 product computed the way the FP32
// engine (model/ops.go) does without these kernels: one gonum blas32.Sdot
// per output over the row-major weights (weight rows in blocks of 8 reused by every token row),
// single-threaded. Sub-benchmarks: the 512-token in_proj (GOPS as in
// BenchmarkF32GEMM) and the 24 layers' decode GEMVs (GB/s as in
// BenchmarkF32GEMVMamba130m).
func BenchmarkF32Baseline(b *testing.B) {
	sdotMatMul := func(m int, x []float32, w []float32, n, k int, y []float32) {
		dot := blas32.Implementation()
		for j0 := 0; j0 < n; j0 += 8 {
			for t := 0; t < m; t++ {
				for j := j0; j < min(j0+8, n); j++ {
					y[t*n+j] = dot.Sdot(k, x[t*k:(t+1)*k], 1, w[j*k:(j+1)*k], 1)
				}
			}
		}
	}
	b.Run("in_proj_m512_n3072_k768", func(b *testing.B) {
		const m, n, k = 512, 2 * m130Inner, m130Model
		w := benchF32(n, k, 3).Unpack()
		x := benchF32X(m, k, 4)
		y := make([]float32, m*n)
		benchGEMM(b, m, n, k, func() { sdotMatMul(m, x, w, n, k, y) })
	})
	b.Run("gemv_mamba130m", func(b *testing.B) {
		packed, total := f32Layers()
		layers := make([][4][]float32, len(packed))
		for l, ws := range packed {
			for j, w := range ws {
				layers[l][j] = w.Unpack()
			}
		}
		x := benchF32X(1, m130Inner, 99)
		y := make([]float32, 2*m130Inner)
		b.SetBytes(int64(total))
		b.ResetTimer()
		stop := startCPUTimer(b)
		for b.Loop() {
			for _, l := range layers {
				for j, s := range m130Shapes {
					sdotMatMul(1, x, l[j], s.n, s.k, y)
				}
			}
		}
		stop()
	})
}

// BenchmarkF32DRAMRead4 is BenchmarkDRAMRead with four streams read in
// step (the float32 GEMV's access pattern): the single-core read bandwidth
// the GEMV can be held to.
func BenchmarkF32DRAMRead4(b *testing.B) {
	buf := dramBuffer()
	b.SetBytes(dramBytes)
	b.ResetTimer()
	for b.Loop() {
		sink ^= readStreams4(buf)
	}
}
