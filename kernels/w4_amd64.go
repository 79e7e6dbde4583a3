//go:build !noasm

package kernels

import (
	"unsafe"

	"github.com/quamba/quamba/kernels/amd64"
)

// amd64 binding of the W4A8 and W4A16 kernels (kernels/amd64). The AVX512
// tier runs its own kernels: W4A8 GEMV and 4-row GEMM with VPDPBUSD (both
// bit-identical to the pure-Go code), W4A16 GEMV with VPERMPS and FMA
// (float32 rounding of the sums, like AVX2) and a 4-row W4A16 GEMM
// bit-identical to the pure-Go code.

// W4 products with several activation rows run the GEMV kernels over blocks
// of panels of about w4PanelBytes, so that a block stays in L2 while every
// row passes over it.
const w4PanelBytes = 128 << 10

// w4Blocks calls f(p0, p1, i) for every block of panels [p0, p1) among the
// full panels and every row i, blocks outermost.
func w4Blocks(m int, w *W4, f func(p0, p1, i int)) {
	full := w.N / PanelRows
	nc := max(1, w4PanelBytes/(w.kp()/2*PanelRows))
	for p0 := 0; p0 < full; p0 += nc {
		p1 := min(full, p0+nc)
		for i := 0; i < m; i++ {
			f(p0, p1, i)
		}
	}
}

func w4a8Arch(t Tier, m int, x []int8, ldx int, xs float32, w *W4, y []float32, ldy int) bool {
	if !avx2Up(t) {
		return false
	}
	kp, kg := w.kp(), w.kp()/W4Group
	// Prepared rows: x zero-padded to kp bytes, then kg int32 corrections
	// 8·Σ_{k∈g} x[k].
	stride := kp + 4*kg
	s := getScratch(m * stride)
	defer putScratch(s)
	for i := 0; i < m; i++ {
		d := s.b[i*stride : (i+1)*stride]
		row := x[i*ldx : i*ldx+w.K]
		copy(d, unsafe.Slice((*byte)(unsafe.Pointer(&row[0])), w.K))
		clear(d[w.K:kp])
		corr := unsafe.Slice((*int32)(unsafe.Pointer(&d[kp])), kg)
		for g := range corr {
			corr[g] = 8 * sumI8(row[g*W4Group:min(w.K, (g+1)*W4Group)])
		}
	}
	xrow := func(i int) (*int8, *int32) {
		d := s.b[i*stride:]
		return (*int8)(unsafe.Pointer(&d[0])), (*int32)(unsafe.Pointer(&d[kp]))
	}
	pb := kp / 2 * PanelRows // code bytes per panel
	wide := t == AVX512
	gemv := func(i, p0, np int, out *float32) {
		xi, ci := xrow(i)
		if wide {
			amd64.GemvW4A8AVX512(xi, ci, &w.codes[p0*pb], &w.gs[p0*kg*PanelRows], &w.rs[p0*PanelRows], xs, kg, np, out)
		} else {
			amd64.GemvW4A8AVX2(xi, ci, &w.codes[p0*pb], &w.gs[p0*kg*PanelRows], &w.rs[p0*PanelRows], xs, kg, np, out)
		}
	}
	// AVX512: groups of 4 rows run the 4-row micro-kernel, each block of
	// codes unpacked once for the 4 rows.
	i0 := 0
	if wide && m >= 4 {
		i0 = 4 * (m / 4)
		w4a8Gemm4(m/4, s.b, stride, xs, w, y, ldy)
	}
	w4Blocks(m-i0, w, func(p0, p1, j int) {
		i := i0 + j
		gemv(i, p0, p1-p0, &y[i*ldy+p0*PanelRows])
	})
	if full := w.N / PanelRows; full*PanelRows < w.N {
		var out [PanelRows]float32
		for i := i0; i < m; i++ {
			gemv(i, full, 1, &out[0])
			copy(y[i*ldy+full*PanelRows:i*ldy+w.N], out[:])
		}
	}
	return true
}

// w4a8Gemm4 computes rows [0, 4·groups) of a W4A8 product with the AVX512
// 4-row micro-kernel, from rows prepared as in w4a8Arch (stride bytes
// apart): blocks of panels of about w4PanelBytes outermost, so that a
// block stays in L2 while every row group passes over it.
func w4a8Gemm4(groups int, xp []byte, stride int, xs float32, w *W4, y []float32, ldy int) {
	kp, kg := w.kp(), w.kp()/W4Group
	pb := kp / 2 * PanelRows
	full := w.N / PanelRows
	nc := max(1, w4PanelBytes/pb)
	for p0 := 0; p0 < full; p0 += nc {
		p1 := min(full, p0+nc)
		for g := 0; g < groups; g++ {
			amd64.GemmW4A8x4AVX512((*int8)(unsafe.Pointer(&xp[4*g*stride])), stride, &w.codes[p0*pb], &w.gs[p0*kg*PanelRows], &w.rs[p0*PanelRows], xs, kg, p1-p0, &y[4*g*ldy+p0*PanelRows], 4*ldy)
		}
	}
	if full*PanelRows < w.N {
		var out [4 * PanelRows]float32
		n0 := full * PanelRows
		for g := 0; g < groups; g++ {
			amd64.GemmW4A8x4AVX512((*int8)(unsafe.Pointer(&xp[4*g*stride])), stride, &w.codes[full*pb], &w.gs[full*kg*PanelRows], &w.rs[n0], xs, kg, 1, &out[0], 4*PanelRows)
			for t := 0; t < 4; t++ {
				copy(y[(4*g+t)*ldy+n0:(4*g+t)*ldy+w.N], out[t*PanelRows:])
			}
		}
	}
}

func w4a16Arch(t Tier, m int, x []float32, ldx int, w *W4, y []float32, ldy int) bool {
	if !avx2Up(t) {
		return false
	}
	kp, kg := w.kp(), w.kp()/W4Group
	// Rows are used in place when K is a multiple of 128, else copied and
	// zero-padded.
	var s *scratch
	if kp != w.K {
		s = getScratch(4 * m * kp)
		defer putScratch(s)
		p := unsafe.Slice((*float32)(unsafe.Pointer(&s.b[0])), m*kp)
		for i := 0; i < m; i++ {
			copy(p[i*kp:], x[i*ldx:i*ldx+w.K])
			clear(p[i*kp+w.K : (i+1)*kp])
		}
	}
	xrow := func(i int) *float32 {
		if s == nil {
			return &x[i*ldx]
		}
		return (*float32)(unsafe.Pointer(&s.b[4*i*kp]))
	}
	pb := kp / 2 * PanelRows
	ldxb := 4 * ldx // bytes between prepared rows
	if s != nil {
		ldxb = 4 * kp
	}
	wide := t == AVX512
	gemv := func(i, p0, np int, out *float32) {
		if wide {
			amd64.GemvW4A16AVX512(xrow(i), &w.codes[p0*pb], &w.gs[p0*kg*PanelRows], &w.rs[p0*PanelRows], kg, np, out)
		} else {
			amd64.GemvW4A16AVX2(xrow(i), &w.codes[p0*pb], &w.gs[p0*kg*PanelRows], &w.rs[p0*PanelRows], kg, np, out)
		}
	}
	// Groups of 4 rows: the micro-kernel on expanded panels.
	i0 := 0
	if m >= 4 {
		i0 = 4 * (m / 4)
		if wide {
			w4a16Gemm512(m/4, xrow, ldxb, w, y, ldy)
		} else {
			w4a16Gemm(m/4, xrow, ldxb, w, y, ldy)
		}
	}
	// The other rows: GEMV over blocks of panels.
	w4Blocks(m-i0, w, func(p0, p1, j int) {
		i := i0 + j
		gemv(i, p0, p1-p0, &y[i*ldy+p0*PanelRows])
	})
	if full := w.N / PanelRows; full*PanelRows < w.N {
		var out [PanelRows]float32
		for i := i0; i < m; i++ {
			gemv(i, full, 1, &out[0])
			copy(y[i*ldy+full*PanelRows:i*ldy+w.N], out[:])
		}
	}
	return true
}

// w4a16Gemm computes rows [0, 4·groups) of a W4A16 product: each panel is
// expanded once to floats q−8 (64·K bytes, kept in L2) and then multiplied
// with every 4-row group by the FMA micro-kernel.
func w4a16Gemm(groups int, xrow func(int) *float32, ldxb int, w *W4, y []float32, ldy int) {
	kp, kg := w.kp(), w.kp()/W4Group
	pb := kp / 2 * PanelRows
	s := getScratch(4 * PanelRows * kp)
	defer putScratch(s)
	wf := unsafe.Slice((*float32)(unsafe.Pointer(&s.b[0])), PanelRows*kp)
	var tail [4 * PanelRows]float32
	for p := 0; p < w.NumPanels(); p++ {
		expandW4(w.codes[p*pb:(p+1)*pb], wf)
		n0 := p * PanelRows
		gs, rs := &w.gs[p*kg*PanelRows], &w.rs[n0]
		if n0+PanelRows <= w.N {
			for g := 0; g < groups; g++ {
				amd64.GemmW4A16x4AVX2(xrow(4*g), ldxb, &wf[0], gs, rs, kg, &y[4*g*ldy+n0], 4*ldy)
			}
			continue
		}
		for g := 0; g < groups; g++ {
			amd64.GemmW4A16x4AVX2(xrow(4*g), ldxb, &wf[0], gs, rs, kg, &tail[0], 4*PanelRows)
			for t := 0; t < 4; t++ {
				copy(y[(4*g+t)*ldy+n0:(4*g+t)*ldy+w.N], tail[t*PanelRows:])
			}
		}
	}
}

// w4Values maps a code to its value q−8.
var w4Values = [16]float32{-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7}

// expandW4 writes the values q−8 of one packed panel k-major:
// wf[16k + r] for panel row r.
func expandW4(codes []byte, wf []float32) {
	for j := 0; j < len(codes)/64; j++ {
		blk := codes[j*64 : j*64+64]
		lo := wf[(8*j)*PanelRows : (8*j+4)*PanelRows]
		hi := wf[(8*j+4)*PanelRows : (8*j+8)*PanelRows]
		for r := 0; r < PanelRows; r++ {
			for b := 0; b < 4; b++ {
				c := blk[r*4+b]
				lo[b*PanelRows+r] = w4Values[c&15]
				hi[b*PanelRows+r] = w4Values[c>>4]
			}
		}
	}
}

// w4a16Gemm512 is w4a16Gemm for the AVX512 tier: panels expanded by
// ExpandW4AVX512 into a 64-byte aligned buffer, and the 4-row micro-kernel
// GemmW4A16x4AVX512, whose results are bit-identical to the pure-Go code.
func w4a16Gemm512(groups int, xrow func(int) *float32, ldxb int, w *W4, y []float32, ldy int) {
	kp, kg := w.kp(), w.kp()/W4Group
	pb := kp / 2 * PanelRows
	s := getScratch(4*PanelRows*kp + 64)
	defer putScratch(s)
	off := int(-uintptr(unsafe.Pointer(&s.b[0])) & 63)
	wf := unsafe.Slice((*float32)(unsafe.Pointer(&s.b[off])), PanelRows*kp)
	var tail [4 * PanelRows]float32
	for p := 0; p < w.NumPanels(); p++ {
		amd64.ExpandW4AVX512(&w.codes[p*pb], kp/8, &wf[0])
		n0 := p * PanelRows
		gs, rs := &w.gs[p*kg*PanelRows], &w.rs[n0]
		if n0+PanelRows <= w.N {
			for g := 0; g < groups; g++ {
				amd64.GemmW4A16x4AVX512(xrow(4*g), ldxb, &wf[0], gs, rs, kg, &y[4*g*ldy+n0], 4*ldy)
			}
			continue
		}
		for g := 0; g < groups; g++ {
			amd64.GemmW4A16x4AVX512(xrow(4*g), ldxb, &wf[0], gs, rs, kg, &tail[0], 4*PanelRows)
			for t := 0; t < 4; t++ {
				copy(y[(4*g+t)*ldy+n0:(4*g+t)*ldy+w.N], tail[t*PanelRows:])
			}
		}
	}
}

// sumI8 returns the sum of v, eight values at a time: each 8-byte word is
// offset to unsigned bytes (XOR 0x80 adds 128 to each) and its even and odd
// bytes are added into four 16-bit lanes, folded into the total every 32
// words (32·2·255 < 2^16, so no lane carries into the next).
func sumI8(v []int8) int32 {
	const even = 0x00ff00ff00ff00ff
	var sum int64
	i := 0
	for i+8 <= len(v) {
		var acc uint64
		for j := 0; j < 32 && i+8 <= len(v); j, i = j+1, i+8 {
			u := *(*uint64)(unsafe.Pointer(&v[i])) ^ 0x8080808080808080
			acc += u&even + (u>>8)&even
		}
		acc = acc&0x0000ffff0000ffff + (acc>>16)&0x0000ffff0000ffff
		sum += int64(acc&0xffffffff + acc>>32)
	}
	sum -= 128 * int64(i)
	for ; i < len(v); i++ {
		sum += int64(v[i])
	}
	return int32(sum)
}
