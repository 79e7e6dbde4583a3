//go:build !noasm

package kernels

import (
	"encoding/binary"
	"unsafe"

	"github.com/quamba/quamba/kernels/amd64"
)

// amd64 binding of the W8A8 kernels (kernels/amd64).

// w8Out is the epilogue of a W8A8 product in the form the assembly takes.
// It lives on the caller's stack: it holds no pointer to itself.
type w8Out struct {
	ep       *epilogue
	kind     int
	elem     int // bytes per output element
	scaleInc int // bytes per panel: 64 per row, 0 per tensor (or int32 output)
	splat    [PanelRows]float32
}

func makeW8Out(ep *epilogue) w8Out {
	o := w8Out{ep: ep, kind: int(ep.kind), elem: [...]int{4, 4, 2, 1}[ep.kind]}
	switch {
	case ep.kind == epI32:
	case len(ep.scale) == 1:
		for i := range o.splat {
			o.splat[i] = ep.scale[0]
		}
	default:
		o.scaleInc = 4 * PanelRows
	}
	return o
}

// y is the address of output (i, n).
func (o *w8Out) y(i, n int) unsafe.Pointer { return o.ep.addr(i, n) }

func (o *w8Out) bias(n int) *float32 {
	if o.ep.bias == nil {
		return nil
	}
	return &o.ep.bias[n]
}

// scaleAt is the address of the scale of output row n (the splat for a
// per-tensor scale).
func (o *w8Out) scaleAt(n int) *float32 {
	if o.scaleInc == 0 {
		return &o.splat[0]
	}
	return &o.ep.scale[n]
}

// tailPanel holds the scales, biases and outputs of a last, partial panel,
// so that the kernels never touch the caller's memory beyond N.
type tailPanel struct {
	scale, bias [PanelRows]float32
	out         [4 * PanelRows * 4]byte // up to 4 rows of 16 int32
}

// setup copies the scales and biases of rows [n0, N).
func (tp *tailPanel) setup(o *w8Out, n0, n int) (scale, bias *float32) {
	for r := 0; r < n-n0; r++ {
		tp.scale[r] = *o.scaleAt(n0 + r)
		if o.ep.bias != nil {
			tp.bias[r] = o.ep.bias[n0+r]
		}
	}
	if o.ep.bias != nil {
		bias = &tp.bias[0]
	}
	return &tp.scale[0], bias
}

// copyOut copies rows [n0, N) of token row t of the scratch (16 outputs per
// row) to output (i, n0...).
func (tp *tailPanel) copyOut(o *w8Out, t, i, n0, n int) {
	for r := 0; r < n-n0; r++ {
		src := unsafe.Pointer(&tp.out[(t*PanelRows+r)*o.elem])
		dst := o.y(i, n0+r)
		switch o.elem {
		case 4:
			*(*uint32)(dst) = *(*uint32)(src)
		case 2:
			*(*uint16)(dst) = *(*uint16)(src)
		default:
			*(*uint8)(dst) = *(*uint8)(src)
		}
	}
}

func w8a8Arch(t Tier, m int, x []int8, ldx int, w *W8, ep *epilogue) bool {
	if t == AVX512 {
		w8a8AVX512(m, x, ldx, w, ep)
		return true
	}
	if !avx2Up(t) {
		return false
	}
	o := makeW8Out(ep)
	// Groups of 4 rows: the GEMM micro-kernel.
	groups := m / 4
	if groups > 0 {
		gemmW8A8(groups, x, ldx, w, &o)
	}
	// Single rows: the decode GEMV, or the last m%4 rows of a GEMM.
	i0 := 4 * groups
	nr := m - i0 // 0 to 3 rows
	if nr == 0 {
		return true
	}
	kp := w.kp()
	var s *scratch
	if kp != w.K {
		s = getScratch(nr * kp)
		defer putScratch(s)
	}
	var rows [3]*int8
	for r := range nr {
		rows[r] = &x[(i0+r)*ldx]
		if s != nil { // zero-pad to kp bytes
			b := s.b[r*kp : (r+1)*kp]
			copy(b, unsafe.Slice((*byte)(unsafe.Pointer(rows[r])), w.K))
			clear(b[w.K:])
			rows[r] = (*int8)(unsafe.Pointer(&b[0]))
		}
	}
	gemvW8A8(rows[:nr], i0, w, &o)
	return true
}

// Cache blocking of the W8A8 GEMM: the activations are prepared one block
// of rows at a time (about gemmActBytes, kept in L2), and a block of weight
// panels (about gemmPanelBytes, also in L2) is reused by every 4-row group
// of the row block. Each micro-kernel call keeps its 4 × 16 tile in registers over the
// whole K, so K itself needs no blocking: it only sets the size of a panel
// (16·K bytes) and of a prepared group (8·K bytes).
const (
	gemmPanelBytes = 128 << 10
	gemmActBytes   = 128 << 10
)

// gemmW8A8 computes the first 4·groups rows of the product with the 4 × 16
// micro-kernel.
func gemmW8A8(groups int, x []int8, ldx int, w *W8, o *w8Out) {
	kp := w.kp()
	kb := kp / 4
	gb := kb * 32 // prepared bytes per 4-row group
	mc := max(1, gemmActBytes/gb)
	s := getScratch(min(groups, mc) * gb)
	defer putScratch(s)
	xp := s.b

	ldy := o.ep.ldy * o.elem
	full := w.N / PanelRows
	nc := max(1, gemmPanelBytes/(kp*PanelRows))
	var tp tailPanel
	var tscale, tbias *float32
	if n0 := full * PanelRows; n0 < w.N {
		tscale, tbias = tp.setup(o, n0, w.N)
	}
	for g0 := 0; g0 < groups; g0 += mc {
		g1 := min(groups, g0+mc)
		prepX4(g1-g0, x[4*g0*ldx:], ldx, w.K, kb, xp)
		for p0 := 0; p0 < full; p0 += nc {
			p1 := min(full, p0+nc)
			n0 := p0 * PanelRows
			for g := g0; g < g1; g++ {
				amd64.GemmW8A8x4AVX2((*int8)(unsafe.Pointer(&xp[(g-g0)*gb])), &w.data[p0*kp*PanelRows], kb, p1-p0,
					o.y(4*g, n0), ldy, o.kind, o.scaleAt(n0), o.scaleInc, o.bias(n0))
			}
		}
		if n0 := full * PanelRows; n0 < w.N {
			for g := g0; g < g1; g++ {
				amd64.GemmW8A8x4AVX2((*int8)(unsafe.Pointer(&xp[(g-g0)*gb])), &w.data[full*kp*PanelRows], kb, 1,
					unsafe.Pointer(&tp.out[0]), PanelRows*o.elem, o.kind, tscale, 0, tbias)
				for t := 0; t < 4; t++ {
					tp.copyOut(o, t, 4*g+t, n0, w.N)
				}
			}
		}
	}
}

// prepX4 lays out rows [0, 4·groups) of x for GemmW8A8x4AVX2: per group,
// per k-block j, per row t the bytes |x[t][4j+c]| then x[t][4j+c], c < 4,
// with k ≥ K padded with zeros.
func prepX4(groups int, x []int8, ldx, k, kb int, xp []byte) {
	full := k / 4
	n32 := k / 32 // 32-k chunks done by the assembly
	for g := 0; g < groups; g++ {
		dst := xp[g*kb*32 : (g+1)*kb*32]
		if n32 > 0 {
			amd64.GemmPrepX4AVX2(&x[4*g*ldx], ldx, n32, (*int8)(unsafe.Pointer(&dst[0])))
		}
		for t := 0; t < 4; t++ {
			row := unsafe.Slice((*byte)(unsafe.Pointer(&x[(4*g+t)*ldx])), k)
			for j := 8 * n32; j < full; j++ {
				v := binary.LittleEndian.Uint32(row[4*j:])
				absX4(dst[j*32+t*8:], v)
			}
			if full < kb {
				var last [4]byte
				copy(last[:], row[4*full:])
				absX4(dst[full*32+t*8:], binary.LittleEndian.Uint32(last[:]))
			}
		}
	}
}

// absX4 stores the 4 bytes |v| (as unsigned, so |-128| = 128) and then v.
// Per byte, |b| = (b XOR m) + (m AND 1) with m = 0xff for negative b; the
// sum never carries into the next byte.
func absX4(d []byte, v uint32) {
	m := (v & 0x80808080) >> 7 * 0xff
	binary.LittleEndian.PutUint32(d, (v^m)+(m&0x01010101))
	binary.LittleEndian.PutUint32(d[4:], v)
}

// gemvW8A8 runs the activation rows x (kp bytes each) against all panels of
// w into output rows i0, i0+1, ... A single row streams the whole matrix in
// one call; several rows take turns over blocks of panels that stay in L2,
// so that the weights are read from memory once.
func gemvW8A8(x []*int8, i0 int, w *W8, o *w8Out) {
	kp := w.kp()
	full := w.N / PanelRows
	nc := full
	if len(x) > 1 {
		nc = max(1, gemmPanelBytes/(kp*PanelRows))
	}
	for p0 := 0; p0 < full; p0 += nc {
		p1 := min(full, p0+nc)
		n0 := p0 * PanelRows
		for r, xr := range x {
			amd64.GemvW8A8AVX2(xr, &w.data[p0*kp*PanelRows], kp/4, p1-p0, o.y(i0+r, n0), o.kind, o.scaleAt(n0), o.scaleInc, o.bias(n0))
		}
	}
	if n0 := full * PanelRows; n0 < w.N {
		var tp tailPanel
		scale, bias := tp.setup(o, n0, w.N)
		for r, xr := range x {
			amd64.GemvW8A8AVX2(xr, &w.data[full*kp*PanelRows], kp/4, 1, unsafe.Pointer(&tp.out[0]), o.kind, scale, 0, bias)
			tp.copyOut(o, 0, i0+r, n0, w.N)
		}
	}
}

// AVX-512 W8A8 (VPDPBUSD on the activations offset to unsigned bytes, see
// amd64.GemvW8A8AVX512). Rows go in groups of 8 through the GEMM
// micro-kernel (8 rows × 3 panels per register tile); the last m%8 rows
// through it too, padded with zero rows, when there are at least
// gemm512PadRows of them, else (and the decode row) through the GEMV kernel. A last, partial panel is
// computed in place: the kernels store (and read scales and biases for)
// only its valid rows, under an opmask.
//
// Cache blocking: activations are prepared (x XOR 0x80, padded to KP) one
// block of rows at a time (about gemm512ActBytes), and a block of weight
// panels (about gemm512PanelBytes, a multiple of 3 panels) stays in L2
// while every 8-row group of the row block runs over it. Within a tile the
// 8 prepared rows (8·KP bytes) stay in L1 and the tile's 3 panels stream
// from L2.
const (
	gemm512Rows       = 8
	gemm512PanelBytes = 384 << 10
	gemm512ActBytes   = 256 << 10
)

func w8a8AVX512(m int, x []int8, ldx int, w *W8, ep *epilogue) {
	o := makeW8Out(ep)
	groups := m / gemm512Rows
	if groups > 0 {
		gemmW8A8AVX512(groups, x, ldx, w, &o)
	}
	i0 := groups * gemm512Rows
	switch r := m - i0; {
	case r >= gemm512PadRows:
		gemmTailAVX512(r, x[i0*ldx:], ldx, i0, w, &o)
	case r > 0:
		gemvW8A8AVX512(r, x[i0*ldx:], ldx, i0, w, &o)
	}
}

// gemm512PadRows is the fewest last rows (m%8) that run as one GEMM group
// padded with zero rows rather than through the GEMV kernel. Measured
// (useful MAC/cycle, padded GEMM against GEMV passes): 4 rows of
// (3072, 768) 57 against 36, 7 rows 88 against 39; 3 rows were even.
const gemm512PadRows = 4

// gemmTailAVX512 computes r < 8 rows (row t at x[t·ldx:]) into output rows
// i0... as one 8-row GEMM group whose rows r..7 are activations 0, into a
// scratch output whose first r rows are then copied out: the 8-row tile
// costs less per useful row than r passes of the GEMV kernel once
// r ≥ gemm512PadRows.
func gemmTailAVX512(r int, x []int8, ldx, i0 int, w *W8, o *w8Out) {
	kp := w.kp()
	full := w.N / PanelRows
	rowBytes := w.NumPanels() * PanelRows * o.elem // one scratch output row
	s := getScratch(gemm512Rows*kp + gemm512Rows*rowBytes)
	defer putScratch(s)
	xp, yb := s.b[:gemm512Rows*kp], s.b[gemm512Rows*kp:]
	amd64.GemmPrepXAVX512(&x[0], ldx, w.K, r, &xp[0], kp)
	pad := xp[r*kp:]
	pad[0] = 0x80 // x XOR 0x80 of a zero activation
	for n := 1; n < len(pad); n *= 2 {
		copy(pad[n:], pad[:n])
	}
	if full > 0 {
		amd64.GemmW8A8x8AVX512(&xp[0], kp, &w.data[0], kp/4, full, &w.rowSum[0],
			unsafe.Pointer(&yb[0]), rowBytes, o.kind, o.scaleAt(0), o.scaleInc, o.bias(0), 0xffff)
	}
	if tail := w.tailMask(); tail != 0 {
		n0 := full * PanelRows
		amd64.GemmW8A8x8AVX512(&xp[0], kp, &w.data[full*kp*PanelRows], kp/4, 1, &w.rowSum[n0],
			unsafe.Pointer(&yb[n0*o.elem]), rowBytes, o.kind, o.scaleAt(n0), o.scaleInc, o.bias(n0), tail)
	}
	for t := range r {
		copy(unsafe.Slice((*byte)(o.y(i0+t, 0)), w.N*o.elem), yb[t*rowBytes:])
	}
}

// tailMask is the opmask of the valid rows of the last panel, 0 when the
// panels are all full.
func (w *W8) tailMask() int { return 1<<(w.N%PanelRows) - 1 }

// gemmW8A8AVX512 computes the first 8·groups rows of the product.
func gemmW8A8AVX512(groups int, x []int8, ldx int, w *W8, o *w8Out) {
	kp := w.kp()
	kb := kp / 4
	gb := gemm512Rows * kp // prepared bytes per group
	mc := max(1, gemm512ActBytes/gb)
	s := getScratch(min(groups, mc) * gb)
	defer putScratch(s)
	xp := s.b

	ldy := o.ep.ldy * o.elem
	full := w.N / PanelRows
	nc := max(3, gemm512PanelBytes/(kp*PanelRows)/3*3)
	tail := w.tailMask()
	for g0 := 0; g0 < groups; g0 += mc {
		g1 := min(groups, g0+mc)
		amd64.GemmPrepXAVX512(&x[gemm512Rows*g0*ldx], ldx, w.K, gemm512Rows*(g1-g0), &xp[0], kp)
		for p0 := 0; p0 < full; p0 += nc {
			p1 := min(full, p0+nc)
			n0 := p0 * PanelRows
			for g := g0; g < g1; g++ {
				amd64.GemmW8A8x8AVX512(&xp[(g-g0)*gb], kp, &w.data[p0*kp*PanelRows], kb, p1-p0, &w.rowSum[n0],
					o.y(gemm512Rows*g, n0), ldy, o.kind, o.scaleAt(n0), o.scaleInc, o.bias(n0), 0xffff)
			}
		}
		if tail != 0 {
			n0 := full * PanelRows
			for g := g0; g < g1; g++ {
				amd64.GemmW8A8x8AVX512(&xp[(g-g0)*gb], kp, &w.data[full*kp*PanelRows], kb, 1, &w.rowSum[n0],
					o.y(gemm512Rows*g, n0), ldy, o.kind, o.scaleAt(n0), o.scaleInc, o.bias(n0), tail)
			}
		}
	}
}

// gemvW8A8AVX512 runs nr activation rows (row r at x[r·ldx:], K bytes)
// against all panels of w into output rows i0, i0+1, ... A single row
// streams the whole matrix in one call; several rows take turns over
// blocks of panels that stay in L2, so that the weights are read from
// memory once.
func gemvW8A8AVX512(nr int, x []int8, ldx, i0 int, w *W8, o *w8Out) {
	kp := w.kp()
	full := w.N / PanelRows
	nc := full
	if nr > 1 {
		nc = max(1, gemm512PanelBytes/(kp*PanelRows))
	}
	for p0 := 0; p0 < full; p0 += nc {
		p1 := min(full, p0+nc)
		n0 := p0 * PanelRows
		for r := range nr {
			amd64.GemvW8A8AVX512(&x[r*ldx], w.K, &w.data[p0*kp*PanelRows], p1-p0, &w.rowSum[n0],
				o.y(i0+r, n0), o.kind, o.scaleAt(n0), o.scaleInc, o.bias(n0), 0xffff)
		}
	}
	if tail := w.tailMask(); tail != 0 {
		n0 := full * PanelRows
		for r := range nr {
			amd64.GemvW8A8AVX512(&x[r*ldx], w.K, &w.data[full*kp*PanelRows], 1, &w.rowSum[n0],
				o.y(i0+r, n0), o.kind, o.scaleAt(n0), o.scaleInc, o.bias(n0), tail)
		}
	}
}
