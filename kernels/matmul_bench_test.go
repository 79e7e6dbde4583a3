package kernels

import (
	"fmt"
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
	b.ReportMetric(float64(total)/1e6, "MB/op")
	b.ResetTimer()
	for b.Loop() {
		for _, l := range layers {
			MatMulW8A8I8(1, x, m130Model, l.w[0], scale, yi8, 2*m130Inner)
			MatMulW8A8I8(1, x, m130Inner, l.w[1], rowScale, yi8, 2*m130Inner)
			MatMulW8A8F32(1, x, m130DtRank, l.w[2], rowScale, bias, yf, m130Inner)
			MatMulW8A8F32(1, x, m130Inner, l.w[3], scale, nil, yf, m130Inner)
		}
	}
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

// BenchmarkGEMMInProj512 is the prefill in_proj of mamba-130m for a
// 512-token prompt: M=512, N=3072, K=768, int8 output. GOPS counts a
// multiply-add as two operations.
func BenchmarkGEMMInProj512(b *testing.B) {
	const m, n, k = 512, 2 * m130Inner, m130Model
	w := benchW8(n, k, 7)
	x := make([]int8, m*k)
	fillInt8(x, 5)
	y := make([]int8, m*n)
	scale := []float32{1e-3}
	b.ResetTimer()
	for b.Loop() {
		MatMulW8A8I8(m, x, k, w, scale, y, n)
	}
	b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
}

// BenchmarkGEMM runs the W8A8 int32 product at a few prefill sizes.
func BenchmarkGEMM(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{64, 3072, 768}, {512, 768, 1536}, {512, 80, 1536}} {
		b.Run(fmt.Sprintf("m%d_n%d_k%d", s.m, s.n, s.k), func(b *testing.B) {
			w := benchW8(s.n, s.k, 3)
			x := make([]int8, s.m*s.k)
			fillInt8(x, 4)
			y := make([]int32, s.m*s.n)
			for b.Loop() {
				MatMulW8A8I32(s.m, x, s.k, w, y, s.n)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
		})
	}
}

// BenchmarkGEMVReadRatio alternates the decode GEMVs of BenchmarkGEMVMamba130m
// with a plain streaming read of as many bytes (a separate buffer, same
// size) and reports the ratio of their bandwidths, so that the noise of a
// shared machine affects both alike.
func BenchmarkGEMVReadRatio(b *testing.B) {
	type layer struct{ w [4]*W8 }
	layers := make([]layer, m130Layers)
	total := 0
	for l := range layers {
		for j, s := range m130Shapes {
			layers[l].w[j] = benchW8(s.n, s.k, uint64(l*4+j+1))
			total += layers[l].w[j].Bytes()
		}
	}
	buf := make([]byte, total/256*256)
	for i := range buf {
		buf[i] = byte(i)
	}
	x := make([]int8, m130Inner)
	fillInt8(x, 99)
	y := make([]int32, 2*m130Inner)
	var tg, tr time.Duration
	for b.Loop() {
		t0 := time.Now()
		for _, l := range layers {
			for j, s := range m130Shapes {
				MatMulW8A8I32(1, x, s.k, l.w[j], y, s.n)
			}
		}
		t1 := time.Now()
		sink ^= readStream(buf)
		t2 := time.Now()
		tg += t1.Sub(t0)
		tr += t2.Sub(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(total)*n/tg.Seconds()/1e9, "gemv-GB/s")
	b.ReportMetric(float64(len(buf))*n/tr.Seconds()/1e9, "read-GB/s")
	b.ReportMetric((float64(total)/tg.Seconds())/(float64(len(buf))/tr.Seconds()), "gemv/read")
}
