//go:build !noasm

package kernels

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/quamba/quamba/kernels/amd64"
)

// readStreams4 reads b (len a multiple of 1024) as four sequential streams
// in step, like the float32 GEMV, and returns the XOR of its 8-byte words.
func readStreams4(b []byte) uint64 {
	if !Has(AVX2) {
		return readStreamGo(b)
	}
	return amd64.MemRead4AVX2(&b[0], len(b))
}

// readStreams8 reads b (len a multiple of 2048) as eight sequential streams
// in step, like the AVX-512 float32 GEMV, and returns the XOR of its 8-byte
// words.
func readStreams8(b []byte) uint64 {
	if !Has(AVX512) {
		return readStreamGo(b)
	}
	return amd64.MemRead8AVX512(&b[0], len(b))
}

func TestReadStreams8(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	b := make([]byte, 3*2048)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	for _, n := range []int{2048, 4096, 6144} {
		if got, want := readStreams8(b[:n]), readStreamGo(b[:n]); got != want {
			t.Fatalf("n=%d: %#x, want %#x", n, got, want)
		}
	}
}

// BenchmarkF32DRAMRead8 is BenchmarkDRAMRead with eight streams read in
// step (the AVX-512 float32 GEMV's access pattern).
func BenchmarkF32DRAMRead8(b *testing.B) {
	buf := dramBuffer()
	b.SetBytes(dramBytes)
	b.ResetTimer()
	for b.Loop() {
		sink ^= readStreams8(buf)
	}
}

// BenchmarkF32GEMVRead8 is BenchmarkF32GEMVTiers with the eight-stream
// read as a third yardstick: layer by layer, the decode GEMVs of the 24
// mamba-130m layers on every SIMD tier in turn, then reads of as many bytes
// from another buffer with one, four and eight streams (a third of the
// layer's bytes each, which third alternating). Reports each tier's GB/s
// and its ratio to the read of its own access pattern (AVX2: four streams,
// AVX512: eight).
func BenchmarkF32GEMVRead8(b *testing.B) {
	tiers := f32SIMDTiers()
	if !Has(AVX512) {
		b.Skip("no AVX512")
	}
	defer SetTier(Active())
	layers, total := f32Layers()
	third := total / m130Layers / 3 / 2048 * 2048
	per := 3 * third
	buf := make([]byte, per*m130Layers)
	for i := range buf {
		buf[i] = byte(i)
	}
	x := benchF32X(1, m130Inner, 99)
	y := make([]float32, 2*m130Inner)
	tg := make([]time.Duration, len(tiers))
	var tr [3]time.Duration
	reads := [3]func([]byte) uint64{readStream, readStreams4, readStreams8}
	for it := 0; b.Loop(); it++ {
		for l, ws := range layers {
			for j := range tiers {
				q := (j + l + it) % len(tiers)
				SetTier(tiers[q])
				t0 := time.Now()
				for r, s := range m130Shapes {
					MatMulF32(1, x, s.k, ws[r], nil, y, s.n)
				}
				tg[q] += time.Since(t0)
			}
			for j := range reads {
				part := (j + l + it) % 3
				t0 := time.Now()
				sink ^= reads[j](buf[l*per+part*third : l*per+(part+1)*third])
				tr[j] += time.Since(t0)
			}
		}
	}
	n := float64(b.N)
	var r [3]float64
	for j, name := range []string{"read1", "read4", "read8"} {
		r[j] = float64(third*m130Layers) * n / tr[j].Seconds()
		b.ReportMetric(r[j]/1e9, name+"-GB/s")
	}
	for j, t := range tiers {
		g := float64(total) * n / tg[j].Seconds()
		b.ReportMetric(g/1e9, t.String()+"-GB/s")
		switch t {
		case AVX2:
			b.ReportMetric(g/r[1], "avx2/read4")
		case AVX512:
			b.ReportMetric(g/r[2], "avx512/read8")
		}
	}
	if len(tiers) > 1 {
		b.ReportMetric(tg[0].Seconds()/tg[len(tg)-1].Seconds(), tiers[len(tiers)-1].String()+"/"+tiers[0].String())
	}
}

// BenchmarkF32GEMMTile runs the GEMM tiles alone on activations and weights
// that stay in L1 (K = 256: the 14-row tile's rows are 14 KiB, two panels
// 32 KiB) and reports float32 multiply-adds per cycle of thread CPU time at
// the measured clock: the ceiling of each tile, to hold against the core's
// FMA peak (16 per cycle for 256-bit FMAs on two pipes, 32 for 512-bit
// FMAs on two full-width pipes).
func BenchmarkF32GEMMTile(b *testing.B) {
	const k, kq = 256, 64
	x := benchF32X(amd64.GemmF32RowsAVX512, k, 1)
	w := benchF32(2*PanelRows, k, 2)
	y := make([]float32, amd64.GemmF32RowsAVX512*2*PanelRows)
	pstride := 4 * k * PanelRows
	for _, c := range []struct {
		name string
		tier Tier
		macs int
		run  func()
	}{
		{"avx2_6x16", AVX2, 6 * 16 * k, func() {
			amd64.GemmF32x6AVX2(&x[0], 4*k, 6, &w.data[0], kq, &y[0], 64, 0, nil, &w.data[0])
		}},
		{"avx512_14x16", AVX512, 14 * 16 * k, func() {
			amd64.GemmF32x14AVX512(&x[0], 4*k, 14, &w.data[0], kq, &y[0], 64, 0, nil, &w.data[0])
		}},
		{"avx512_14x32", AVX512, 14 * 32 * k, func() {
			amd64.GemmF32x14x2AVX512(&x[0], 4*k, 14, &w.data[0], pstride, kq, &y[0], 128, 0, nil, &w.data[0])
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			if !Has(c.tier) {
				b.Skipf("no %s", c.tier)
			}
			ghz := clockGHz()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			const reps = 1000
			c.run()
			b.ResetTimer()
			c0 := threadCPU()
			for b.Loop() {
				for range reps {
					c.run()
				}
			}
			cpu := threadCPU() - c0
			if cpu > 0 && ghz > 0 {
				b.ReportMetric(float64(c.macs)*reps*float64(b.N)/cpu.Seconds()/(ghz*1e9), "MAC/cycle")
				b.ReportMetric(ghz, "GHz")
			}
		})
	}
}
