//go:build !noasm

package kernels

import (
	"runtime"
	"testing"

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
