//go:build !noasm

package kernels

import (
	"unsafe"

	"github.com/quamba/quamba/kernels/amd64"
)

// amd64 binding of the float32 kernels (kernels/amd64). The AVX2 tier takes
// every product, M == 1 with the streaming GEMV, M > 1 with the 6 × 16 FMA
// tile (f32_simd.go). The AVX512 tier runs the 512-bit GEMV and, for M > 1,
// f32Gemm512: tiles of 14 rows × 32 outputs. Both tiers give the same bits.

func f32Arch(t Tier, m int, x []float32, ldx int, w *F32, bias []float32, y []float32, ldy int) bool {
	switch {
	case t == AVX512 && m == 1:
		f32Gemv(amd64.GemvF32AVX512, x, w, bias, y)
	case t == AVX512:
		f32Gemm512(m, x, ldx, w, bias, y, ldy)
	case !avx2Up(t):
		return false
	case m == 1:
		f32Gemv(amd64.GemvF32AVX2, x, w, bias, y)
	default:
		f32Gemm(amd64.GemmF32x6AVX2, amd64.GemmF32Rows, m, x, ldx, w, bias, y, ldy)
	}
	return true
}

// f32MC512 is the row block of f32Gemm512: six 14-row tiles, 252 KiB of
// activations per K block of f32KC, in L2 with the two panels' 96 KiB of
// weights.
const f32MC512 = 6 * amd64.GemmF32RowsAVX512

// f32Gemm512 is f32Gemm for the AVX-512 tiles: the same blocking of K
// (f32KC), so the same sums as the AVX2 tier, with rows in blocks of
// f32MC512 and the panels taken two at a time by GemmF32x14x2AVX512 (one at
// a time by GemmF32x14AVX512 for an odd last full panel and the partial
// panel). The tiles always read 14 rows: the m mod 14 leftover rows are
// copied once into a zero-padded 14-row block when there are more than 6 of
// them; 6 or fewer run on the AVX2 tile, which costs less than a 14-row
// tile and gives the same bits.
func f32Gemm512(m int, x []float32, ldx int, w *F32, bias []float32, y []float32, ldy int) {
	const mr = amd64.GemmF32RowsAVX512
	kp := w.kp()
	np, full := w.NumPanels(), w.N/PanelRows
	x, ldx, s := f32PadRows(m, x, ldx, w.K, kp)
	if s != nil {
		defer putScratch(s)
	}
	// The leftover rows from mfull on, padded to 14 rows of kp.
	mfull := m - m%mr
	var xr []float32
	if m-mfull > amd64.GemmF32Rows {
		r, rs := f32Scratch(mr * kp)
		defer putScratch(rs)
		for i := mfull; i < m; i++ {
			copy(r[(i-mfull)*kp:], x[i*ldx:i*ldx+kp])
		}
		clear(r[(m-mfull)*kp:])
		xr = r
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
	pstride := 4 * kp * PanelRows // bytes from one panel to the next
	for k0 := 0; k0 < kp; k0 += f32KC {
		kb := min(f32KC, kp-k0)
		accum := 0
		if k0 > 0 {
			accum = 1
		}
		last := k0+kb == kp
		for i0 := 0; i0 < m; i0 += f32MC512 {
			i1 := min(m, i0+f32MC512)
			for p := 0; p < np; {
				step := 1
				if p+1 < full {
					step = 2 // panels p and p+1 are both full
				}
				n0 := p * PanelRows
				wp := &w.data[p*kp*PanelRows+k0*PanelRows]
				next := wp
				switch {
				case p+step < np:
					next = &w.data[(p+step)*kp*PanelRows+k0*PanelRows]
				case i1 < m:
					next = &w.data[k0*PanelRows]
				case k0+kb < kp:
					next = &w.data[(k0+kb)*PanelRows]
				}
				var b *float32
				if last {
					b = tp.biasFrom(bias, n0, w.N) // 32 values when step == 2
				}
				for i := i0; i < i1; i += mr {
					rows := min(mr, i1-i)
					xi, ldxi := &x[i*ldx+k0], 4*ldx
					if rows < mr && xr != nil {
						xi, ldxi = &xr[k0], 4*kp // i == mfull
					}
					yi, ldyi := &y[i*ldy], 4*ldy
					if p < full {
						yi = &y[i*ldy+n0]
					} else {
						yi, ldyi = &tail[i*PanelRows], 4*PanelRows
					}
					switch {
					case (rows == mr || xr != nil) && step == 2:
						amd64.GemmF32x14x2AVX512(xi, ldxi, rows, wp, pstride, kb/4, yi, ldyi, accum, b, next)
					case rows == mr || xr != nil:
						amd64.GemmF32x14AVX512(xi, ldxi, rows, wp, kb/4, yi, ldyi, accum, b, next)
					default:
						// At most 6 rows: the AVX2 tile, panel by panel.
						amd64.GemmF32x6AVX2(xi, ldxi, rows, wp, kb/4, yi, ldyi, accum, b, next)
						if step == 2 {
							var b1 *float32
							if last {
								b1 = tp.biasFrom(bias, n0+PanelRows, w.N)
							}
							amd64.GemmF32x6AVX2(xi, ldxi, rows, (*float32)(unsafe.Add(unsafe.Pointer(wp), pstride)), kb/4,
								&y[i*ldy+n0+PanelRows], ldyi, accum, b1, next)
						}
					}
				}
				p += step
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
