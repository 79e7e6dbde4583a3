//go:build !noasm && (amd64 || arm64)

package kernels

import (
	"sync"
	"unsafe"
)

// Drivers of the float32 SIMD kernels, shared by amd64 and arm64: the
// architecture files hand them their GEMV kernel and GEMM tile.

// f32GemvKernel multiplies one activation row x (4·kq float32, the padding
// zero) by np consecutive panels at w, storing 16 float32 per panel at y
// (plus 16 bias values per panel when bias is not nil).
type f32GemvKernel func(x, w *float32, kq, np int, y, bias *float32)

// f32GemmTile computes up to mr activation rows (row t at x + t·ldx bytes,
// t < rows) × one panel over 4·kq values of k, adding to y when accum is not
// zero and the 16 bias values last when bias is not nil; output row t at
// y + t·ldy bytes. next is the weight block of the next panel the driver
// runs (64·4·kq bytes), for the tile to prefetch; when the next block is
// shorter, the prefetches may go past it, even past the end of the weights,
// which is harmless (prefetch instructions never fault).
type f32GemmTile func(x *float32, ldx, rows int, w *float32, kq int, y *float32, ldy, accum int, bias, next *float32)

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

// f32Tails recycles f32Tail buffers: the kernels are called through function
// values, so a tail on the stack would escape to the heap on every call.
var f32Tails = sync.Pool{New: func() any { return new(f32Tail) }}

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

// f32PadRows returns x with rows of kp values, copying it into zero-padded
// scratch when K is not a multiple of 4 (the kernels read kp values).
func f32PadRows(m int, x []float32, ldx, k, kp int) ([]float32, int, *scratch) {
	if kp == k {
		return x, ldx, nil
	}
	p, s := f32Scratch(m * kp)
	for i := 0; i < m; i++ {
		copy(p[i*kp:], x[i*ldx:i*ldx+k])
		clear(p[i*kp+k : (i+1)*kp])
	}
	return p, kp, s
}

// f32Gemv streams all panels once for the single row x.
func f32Gemv(gemv f32GemvKernel, x []float32, w *F32, bias []float32, y []float32) {
	kp := w.kp()
	x, _, s := f32PadRows(1, x, w.K, w.K, kp)
	if s != nil {
		defer putScratch(s)
	}
	full := w.N / PanelRows
	tp := f32Tails.Get().(*f32Tail)
	defer f32Tails.Put(tp)
	if full > 0 {
		gemv(&x[0], &w.data[0], kp/4, full, &y[0], tp.biasFrom(bias, 0, w.N))
	}
	if n0 := full * PanelRows; n0 < w.N {
		gemv(&x[0], &w.data[full*kp*PanelRows], kp/4, 1, &tp.out[0], tp.biasFrom(bias, n0, w.N))
		copy(y[n0:w.N], tp.out[:])
	}
}

// Cache blocking of the float32 GEMM (BLIS order): K is cut into blocks of
// f32KC and the rows into blocks of f32MC (f32MC·f32KC·4 bytes of
// activations, 216 KiB, kept in L2); for every K block, row block and
// panel, the panel's f32KC·64 bytes of weights (48 KiB, in L2, the next
// panel's prefetched into L1 by the tile) serve every tile of the row block.
// The sums of a K block are added to the outputs of the previous ones; the
// bias is added by the last. The activation rows are read in place (no
// packing pass). Measured on Zen 3 against f32KC = 256 (16 KiB of weights,
// in L1) and f32MC = 144: 3-6% less CPU time at 512x3072x768, 4-9% at
// 512x768x1536 (fewer passes over the outputs); f32KC = 1536 was no better.
const (
	f32KC = 768 // k per block
	f32MC = 72  // rows per block
)

// f32Gemm computes m ≥ 2 rows with a tile of mr rows × 16 outputs.
func f32Gemm(tile f32GemmTile, mr, m int, x []float32, ldx int, w *F32, bias []float32, y []float32, ldy int) {
	kp := w.kp()
	np, full := w.NumPanels(), w.N/PanelRows
	x, ldx, s := f32PadRows(m, x, ldx, w.K, kp)
	if s != nil {
		defer putScratch(s)
	}
	// The outputs of a partial last panel, 16 per row, copied at the end.
	var tail []float32
	tp := f32Tails.Get().(*f32Tail)
	defer f32Tails.Put(tp)
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
				// The weights after these: the next panel's, else the first
				// panel's for the next block of rows or of k.
				next := wp
				switch {
				case p+1 < np:
					next = &w.data[(p+1)*kp*PanelRows+k0*PanelRows]
				case i1 < m:
					next = &w.data[k0*PanelRows]
				case k0+kb < kp:
					next = &w.data[(k0+kb)*PanelRows]
				}
				var b *float32
				if last {
					b = tp.biasFrom(bias, n0, w.N)
				}
				for i := i0; i < i1; i += mr {
					rows := min(mr, i1-i)
					xi := &x[i*ldx+k0]
					if p < full {
						tile(xi, 4*ldx, rows, wp, kb/4, &y[i*ldy+n0], 4*ldy, accum, b, next)
					} else {
						tile(xi, 4*ldx, rows, wp, kb/4, &tail[i*PanelRows], 4*PanelRows, accum, b, next)
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
