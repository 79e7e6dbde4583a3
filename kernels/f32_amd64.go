//go:build !noasm

package kernels

import (
	"unsafe"

	"github.com/quamba/quamba/kernels/amd64"
)

// amd64 binding of the float32 kernels (kernels/amd64): the AVX2 tier (and
// AVX512, which runs the AVX2 kernels) takes every product.

func f32Arch(t Tier, m int, x []float32, ldx int, w *F32, bias []float32, y []float32, ldy int) bool {
	if !hasAVX2(t) {
		return false
	}
	if m == 1 {
		f32GemvAVX2(x, w, bias, y)
	} else {
		f32GemmAVX2(m, x, ldx, w, bias, y, ldy)
	}
	return true
}

// f32Scratch returns n float32 of scratch (unspecified contents) and the
// buffer to put back.
func f32Scratch(n int) ([]float32, *scratch) {
	s := getScratch(4 * n)
	return unsafe.Slice((*float32)(unsafe.Pointer(&s.b[0])), n), s
}

// f32Tail is a last, partial panel's padded bias and outputs, so that the
// kernels never touch the caller's memory past N.
type f32Tail struct {
	bias [PanelRows]float32
	out  [PanelRows]float32
}

// biasFrom returns the kernel's bias argument for the panels from output
// row n0 on: nil, the caller's bias, or (partial panel) a padded copy.
func (tp *f32Tail) biasFrom(bias []float32, n0, n int) *float32 {
	if bias == nil {
		return nil
	}
	if n0+PanelRows <= n {
		return &bias[n0]
	}
	copy(tp.bias[:], bias[n0:n])
	return &tp.bias[0]
}

// f32GemvAVX2 streams all panels once for the single row x.
func f32GemvAVX2(x []float32, w *F32, bias []float32, y []float32) {
	kp := w.kp()
	xp := &x[0]
	if kp != w.K {
		p, s := f32Scratch(kp)
		defer putScratch(s)
		copy(p, x[:w.K])
		clear(p[w.K:])
		xp = &p[0]
	}
	full := w.N / PanelRows
	var tp f32Tail
	if full > 0 {
		amd64.GemvF32AVX2(xp, &w.data[0], kp/4, full, &y[0], tp.biasFrom(bias, 0, w.N))
	}
	if n0 := full * PanelRows; n0 < w.N {
		amd64.GemvF32AVX2(xp, &w.data[full*kp*PanelRows], kp/4, 1, &tp.out[0], tp.biasFrom(bias, n0, w.N))
		copy(y[n0:w.N], tp.out[:])
	}
}

// Cache blocking of the float32 GEMM (BLIS order): K is cut into blocks of
// f32KC and the rows into blocks of f32MC (f32MC·f32KC·4 bytes of
// activations, kept in L2); for every K block, row block and panel, the
// panel's f32KC·64 bytes of weights stay in L1 while every 6-row tile of the
// row block runs over them. The sums of a K block are added to the outputs
// of the previous ones; the bias is added by the last.
const (
	f32KC = 256 // k per block: 16 KiB of one panel's weights
	f32MC = 144 // rows per block: 144 KiB of activations
)

// f32GemmAVX2 computes m ≥ 2 rows with the 6 × 16 micro-kernel.
func f32GemmAVX2(m int, x []float32, ldx int, w *F32, bias []float32, y []float32, ldy int) {
	const mr = amd64.GemmF32Rows
	kp := w.kp()
	np, full := w.NumPanels(), w.N/PanelRows
	// The kernel reads kp values per row: pad the rows when K is not a
	// multiple of 4.
	if kp != w.K {
		p, s := f32Scratch(m * kp)
		defer putScratch(s)
		for i := 0; i < m; i++ {
			copy(p[i*kp:], x[i*ldx:i*ldx+w.K])
			clear(p[i*kp+w.K : (i+1)*kp])
		}
		x, ldx = p, kp
	}
	// The outputs of a partial last panel, 16 per row, copied at the end.
	var tail []float32
	var tp f32Tail
	if full < np {
		t, ts := f32Scratch(m * PanelRows)
		defer putScratch(ts)
		tail = t
	}
	for k0 := 0; k0 < kp; k0 += f32KC {
		kb := min(f32KC, kp-k0)
		accum := 0
		if k0 > 0 {
			accum = 1
		}
		last := k0+kb == kp
		for i0 := 0; i0 < m; i0 += f32MC {
			i1 := min(m, i0+f32MC)
			for p := 0; p < np; p++ {
				n0 := p * PanelRows
				wp := &w.data[p*kp*PanelRows+k0*PanelRows]
				var b *float32
				if last {
					b = tp.biasFrom(bias, n0, w.N)
				}
				for i := i0; i < i1; i += mr {
					rows := min(mr, i1-i)
					xi := &x[i*ldx+k0]
					if p < full {
						amd64.GemmF32x6AVX2(xi, 4*ldx, rows, wp, kb/4, &y[i*ldy+n0], 4*ldy, accum, b)
					} else {
						amd64.GemmF32x6AVX2(xi, 4*ldx, rows, wp, kb/4, &tail[i*PanelRows], 4*PanelRows, accum, b)
					}
				}
			}
		}
	}
	if tail != nil {
		n0 := full * PanelRows
		for i := 0; i < m; i++ {
			copy(y[i*ldy+n0:i*ldy+w.N], tail[i*PanelRows:])
		}
	}
}
