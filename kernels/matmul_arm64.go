//go:build !noasm

package kernels

import (
	"unsafe"

	"github.com/quamba/quamba/kernels/arm64"
)

// arm64 binding of the matmul kernels (kernels/arm64). NEONDot runs the SDOT
// kernels, NEON the ARMv8.0 ones (SMULL/SMLAL, SADALP); NEONI8MM runs the
// SMMLA GEMMs for W8A8 and W4A8 with M > 1 (see w8a8I8MM) and the SDOT code
// otherwise; W4A16 has one ARMv8.0 kernel for all tiers.
//
// The assembly computes whole 16-row panels. A last, partial panel runs on a
// scratch panel (padded scales and biases in, 16 outputs per row out) whose
// first N%16 outputs are copied, so that no kernel touches the caller's
// memory past N. Activations are read up to K rounded up to the packing
// granule (4 for W8, 128 for W4); when K is not a multiple, the rows are
// copied into zero-padded scratch first.
//
// M > 1 is blocked for cache: the panels are taken in chunks of about
// armChunkBytes of weights, and every register block of activation rows runs
// over a chunk while it stays in the L2 cache. W8A8 and W4A8 have register-
// blocked GEMM kernels (8 rows with SMMLA, 4 with SDOT, 2 without). W4A16 decodes each
// group of a panel once into float32 and multiplies it by blocks of 4 rows,
// the panel's weights being read once for all rows.

const armChunkBytes = 192 << 10

// armChunk is the number of panels of panelBytes each per cache block.
func armChunk(panelBytes int) int { return max(1, armChunkBytes/panelBytes) }

// armW8Out is a W8A8 epilogue in the form the assembly takes.
type armW8Out struct {
	ep    *epilogue
	mode  int
	elem  int // bytes per output element
	scale unsafe.Pointer
	sstep int // 0: one per-tensor scale; 64: 16 per-row scales per panel
}

func newArmW8Out(ep *epilogue) armW8Out {
	o := armW8Out{ep: ep, mode: int(ep.kind), elem: [...]int{4, 4, 2, 1}[ep.kind]}
	if ep.kind != epI32 {
		o.scale = unsafe.Pointer(&ep.scale[0])
		if len(ep.scale) > 1 {
			o.sstep = 4 * PanelRows
		}
	}
	return o
}

// y is the address of output (i, n).
func (o *armW8Out) y(i, n int) unsafe.Pointer { return o.ep.addr(i, n) }

// scaleAt and biasAt are the kernel arguments for a run starting at row n.
func (o *armW8Out) scaleAt(n int) unsafe.Pointer {
	if o.scale == nil {
		return nil
	}
	return unsafe.Add(o.scale, o.sstep/PanelRows*n)
}

func (o *armW8Out) biasAt(n int) unsafe.Pointer {
	if o.ep.bias == nil {
		return nil
	}
	return unsafe.Pointer(&o.ep.bias[n])
}

// armTail is the scratch panel for the rows [n0, N) of a partial last panel.
type armTail struct {
	scale, bias [PanelRows]float32
	out         [arm64.GemmRowsI8MM * PanelRows * 4]byte // rows of the largest register block
}

// setup copies the scales and biases of rows [n0, n) and returns the kernel
// arguments that read them.
func (tp *armTail) setup(o *armW8Out, n0, n int) (scale unsafe.Pointer, sstep int, bias unsafe.Pointer) {
	scale, sstep = o.scale, 0
	if o.sstep != 0 {
		copy(tp.scale[:], o.ep.scale[n0:n])
		scale, sstep = unsafe.Pointer(&tp.scale[0]), 4*PanelRows
	}
	if o.ep.bias != nil {
		copy(tp.bias[:], o.ep.bias[n0:n])
		bias = unsafe.Pointer(&tp.bias[0])
	}
	return scale, sstep, bias
}

// copyOut copies the outputs [n0, n) of scratch row t to output row i.
func (tp *armTail) copyOut(o *armW8Out, t, i, n0, n int) {
	src := tp.out[t*PanelRows*o.elem:]
	dst := unsafe.Slice((*byte)(o.y(i, n0)), (n-n0)*o.elem)
	copy(dst, src)
}

// padRows copies m rows of k elements of size elem (stride ld elements) into
// zero-padded rows of kp elements, or returns x itself when k == kp. The
// scratch, if any, is returned for putScratch.
func padRows(x unsafe.Pointer, m, k, ld, kp, elem int) (unsafe.Pointer, int, *scratch) {
	if k == kp {
		return x, ld, nil
	}
	s := getScratch(m * kp * elem)
	for i := 0; i < m; i++ {
		row := s.b[i*kp*elem : (i+1)*kp*elem]
		copy(row, unsafe.Slice((*byte)(unsafe.Add(x, i*ld*elem)), k*elem))
		clear(row[k*elem:])
	}
	return unsafe.Pointer(&s.b[0]), kp, s
}

func w8a8Arch(t Tier, m int, x []int8, ldx int, w *W8, ep *epilogue) bool {
	if !neonTier(t) {
		return false
	}
	if t == NEONI8MM && m > 1 {
		w8a8I8MM(m, x, ldx, w, ep)
		return true
	}
	dot := dotUp(t)
	o := newArmW8Out(ep)
	kp := w.kp()
	xp, lx, s := padRows(unsafe.Pointer(&x[0]), m, w.K, ldx, kp, 1)
	if s != nil {
		defer putScratch(s)
	}
	full, n0 := w.N/PanelRows, w.N/PanelRows*PanelRows
	panelBytes := kp * PanelRows
	var tp armTail

	if m == 1 {
		if full > 0 {
			armGemvW8(dot, xp, unsafe.Pointer(&w.data[0]), kp/4, full, o.y(0, 0), 16*o.elem, o.mode, o.scale, o.sstep, o.biasAt(0))
		}
		if n0 < w.N {
			scale, sstep, bias := tp.setup(&o, n0, w.N)
			armGemvW8(dot, xp, unsafe.Pointer(&w.data[full*panelBytes]), kp/4, 1, unsafe.Pointer(&tp.out[0]), 16*o.elem, o.mode, scale, sstep, bias)
			tp.copyOut(&o, 0, 0, n0, w.N)
		}
		return true
	}

	rows := arm64.GemmRowsNEON
	if dot {
		rows = arm64.GemmRowsNEONDot
	}
	chunk := armChunk(panelBytes)
	for p0 := 0; p0 < full; p0 += chunk {
		np := min(chunk, full-p0)
		wp := unsafe.Pointer(&w.data[p0*panelBytes])
		for i := 0; i < m; i += rows {
			armGemmW8(dot, unsafe.Add(xp, i*lx), lx, min(rows, m-i), wp, kp/4, np,
				o.y(i, p0*PanelRows), ep.ldy*o.elem, 16*o.elem, o.mode, o.scaleAt(p0*PanelRows), o.sstep, o.biasAt(p0*PanelRows))
		}
	}
	if n0 < w.N {
		scale, sstep, bias := tp.setup(&o, n0, w.N)
		wp := unsafe.Pointer(&w.data[full*panelBytes])
		for i := 0; i < m; i += rows {
			mr := min(rows, m-i)
			armGemmW8(dot, unsafe.Add(xp, i*lx), lx, mr, wp, kp/4, 1,
				unsafe.Pointer(&tp.out[0]), 16*o.elem, 16*o.elem, o.mode, scale, sstep, bias)
			for r := 0; r < mr; r++ {
				tp.copyOut(&o, r, i+r, n0, w.N)
			}
		}
	}
	return true
}

// armGemvW8 and armGemmW8 call the tier's kernel directly (no function
// values, so that the arguments do not escape).
func armGemvW8(dot bool, x, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer) {
	if dot {
		arm64.GemvW8A8NEONDot(x, w, kb, np, y, ystep, mode, scale, sstep, bias)
	} else {
		arm64.GemvW8A8NEON(x, w, kb, np, y, ystep, mode, scale, sstep, bias)
	}
}

func armGemmW8(dot bool, x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ldy, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer) {
	if dot {
		arm64.GemmW8A8NEONDot(x, ldx, mr, w, kb, np, y, ldy, ystep, mode, scale, sstep, bias)
	} else {
		arm64.GemmW8A8NEON(x, ldx, mr, w, kb, np, y, ldy, ystep, mode, scale, sstep, bias)
	}
}

// armW4Kind selects a W4 kernel.
type armW4Kind int

const (
	armW4A8NEON armW4Kind = iota
	armW4A8NEONDot
	armW4A16
)

// run calls the kernel directly (no function values, so that the arguments
// do not escape). xs is ignored by W4A16.
func (k armW4Kind) run(x, w unsafe.Pointer, kg, np int, y, gs, rs unsafe.Pointer, xs float32) {
	switch k {
	case armW4A8NEON:
		arm64.W4A8GemvNEON(x, w, kg, np, y, gs, rs, xs)
	case armW4A8NEONDot:
		arm64.W4A8GemvNEONDot(x, w, kg, np, y, gs, rs, xs)
	default:
		arm64.W4A16GemvNEON(x, w, kg, np, y, gs, rs)
	}
}

// armW4 runs one W4 kernel over all panels of w for m activation rows
// (already padded to kp elements, stride lx elements): the
// panels in cache-sized chunks, every row over a chunk, the partial last
// panel through a 16-float scratch. The group and row scales of the packed
// W4 cover whole panels, so only the output needs the scratch.
func armW4(kind armW4Kind, m int, xp unsafe.Pointer, lx int, xs float32, w *W4, y []float32, ldy int) {
	elem := 1
	if kind == armW4A16 {
		elem = 4
	}
	kp := w.kp()
	kg := kp / W4Group
	panelBytes := kp / 2 * PanelRows
	full, n0 := w.N/PanelRows, w.N/PanelRows*PanelRows
	chunk := armChunk(panelBytes)
	for p0 := 0; p0 < full; p0 += chunk {
		np := min(chunk, full-p0)
		for i := 0; i < m; i++ {
			kind.run(unsafe.Add(xp, i*lx*elem), unsafe.Pointer(&w.codes[p0*panelBytes]), kg, np,
				unsafe.Pointer(&y[i*ldy+p0*PanelRows]), unsafe.Pointer(&w.gs[p0*kg*PanelRows]), unsafe.Pointer(&w.rs[p0*PanelRows]), xs)
		}
	}
	if n0 < w.N {
		var out [PanelRows]float32
		for i := 0; i < m; i++ {
			kind.run(unsafe.Add(xp, i*lx*elem), unsafe.Pointer(&w.codes[full*panelBytes]), kg, 1,
				unsafe.Pointer(&out[0]), unsafe.Pointer(&w.gs[full*kg*PanelRows]), unsafe.Pointer(&w.rs[full*PanelRows]), xs)
			copy(y[i*ldy+n0:i*ldy+w.N], out[:])
		}
	}
}

func w4a8Arch(t Tier, m int, x []int8, ldx int, xs float32, w *W4, y []float32, ldy int) bool {
	if !neonTier(t) {
		return false
	}
	if t == NEONI8MM && m > 1 {
		w4a8I8MM(m, x, ldx, xs, w, y, ldy)
		return true
	}
	xp, lx, s := padRows(unsafe.Pointer(&x[0]), m, w.K, ldx, w.kp(), 1)
	if s != nil {
		defer putScratch(s)
	}
	dot := dotUp(t)
	if m == 1 {
		kind := armW4A8NEON
		if dot {
			kind = armW4A8NEONDot
		}
		armW4(kind, m, xp, lx, xs, w, y, ldy)
		return true
	}

	// Register blocks of rows over cache-sized chunks of panels.
	rows := arm64.W4A8GemmRowsNEON
	if dot {
		rows = arm64.W4A8GemmRowsNEONDot
	}
	kp := w.kp()
	kg := kp / W4Group
	panelBytes := kp / 2 * PanelRows
	full, n0 := w.N/PanelRows, w.N/PanelRows*PanelRows
	var sum [arm64.W4A8GemmRowsNEONDot * PanelRows]float32
	run := func(i, p0, np int, y unsafe.Pointer, ldy int) {
		armGemmW4A8(dot, unsafe.Add(xp, i*lx), lx, min(rows, m-i), unsafe.Pointer(&w.codes[p0*panelBytes]), kg, np,
			y, ldy, unsafe.Pointer(&w.gs[p0*kg*PanelRows]), unsafe.Pointer(&w.rs[p0*PanelRows]), unsafe.Pointer(&sum[0]), xs)
	}
	chunk := armChunk(panelBytes)
	for p0 := 0; p0 < full; p0 += chunk {
		np := min(chunk, full-p0)
		for i := 0; i < m; i += rows {
			run(i, p0, np, unsafe.Pointer(&y[i*ldy+p0*PanelRows]), 4*ldy)
		}
	}
	if n0 < w.N {
		var out [arm64.W4A8GemmRowsNEONDot][PanelRows]float32
		for i := 0; i < m; i += rows {
			run(i, full, 1, unsafe.Pointer(&out[0][0]), 4*PanelRows)
			for r := 0; r < min(rows, m-i); r++ {
				copy(y[(i+r)*ldy+n0:(i+r)*ldy+w.N], out[r][:])
			}
		}
	}
	return true
}

func armGemmW4A8(dot bool, x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kg, np int, y unsafe.Pointer, ldy int, gs, rs, sum unsafe.Pointer, xs float32) {
	if dot {
		arm64.W4A8GemmNEONDot(x, ldx, mr, w, kg, np, y, ldy, gs, rs, sum, xs)
	} else {
		arm64.W4A8GemmNEON(x, ldx, mr, w, kg, np, y, ldy, gs, rs, sum, xs)
	}
}

func w4a16Arch(t Tier, m int, x []float32, ldx int, w *W4, y []float32, ldy int) bool {
	if !neonTier(t) {
		return false
	}
	xp, lx, s := padRows(unsafe.Pointer(&x[0]), m, w.K, ldx, w.kp(), 4)
	if s != nil {
		defer putScratch(s)
	}
	if m == 1 {
		armW4(armW4A16, m, xp, lx, 0, w, y, ldy)
		return true
	}

	// Panel by panel: each group is decoded once into buf and multiplied by
	// every block of rows; the sums over groups collect in sums [m x 16].
	kp := w.kp()
	kg := kp / W4Group
	panelBytes := kp / 2 * PanelRows
	ss := getScratch(m * PanelRows * 4)
	defer putScratch(ss)
	sums := unsafe.Slice((*float32)(unsafe.Pointer(&ss.b[0])), m*PanelRows)
	var buf [W4Group * PanelRows]float32
	for p := 0; p < w.NumPanels(); p++ {
		clear(sums)
		for g := 0; g < kg; g++ {
			arm64.W4DequantGroupNEON(unsafe.Pointer(&w.codes[p*panelBytes+g*W4Group/2*PanelRows]), unsafe.Pointer(&buf[0]))
			gs := unsafe.Pointer(&w.gs[(p*kg+g)*PanelRows])
			for i := 0; i < m; i += arm64.W4A16GemmRows {
				arm64.W4A16GemmNEON(unsafe.Add(xp, (i*lx+g*W4Group)*4), lx*4, min(arm64.W4A16GemmRows, m-i),
					unsafe.Pointer(&buf[0]), gs, unsafe.Pointer(&sums[i*PanelRows]))
			}
		}
		n0, n1 := p*PanelRows, min(w.N, (p+1)*PanelRows)
		for i := 0; i < m; i++ {
			for n := n0; n < n1; n++ {
				y[i*ldy+n] = w.rs[n] * sums[i*PanelRows+n-n0]
			}
		}
	}
	return true
}

// NEONI8MM: the prefill GEMMs (M > 1) run the SMMLA kernels, which take
// blocks of 8 activation rows prepared per call (arm64.PackXI8MMW8 / W4,
// O(M·K), NEON): pairs of rows interleaved in 8-byte k-chunks, K padded
// with zeros (plus, for W4A8, 8·Σx per row and group). The weight panels
// are used as stored. Rows are split by i8mmRows: SMMLA for every full
// block of 8 and for a last block of 5 to 7 rows (its missing rows repeat
// the last one, computed and not stored); 1 to 4 rows left over run in one
// SDOT block, which does that in fewer instructions than a padded SMMLA
// block (per 16 weight rows and 8 k: 32 SDOT for up to 4 rows against
// 32 SMMLA + 8 ZIP for 8). M = 1 (decode) stays on the SDOT GEMV.

// i8mmRows is the number of the m rows that run in SMMLA blocks.
func i8mmRows(m int) int {
	r := m / arm64.GemmRowsI8MM * arm64.GemmRowsI8MM
	if m-r > arm64.GemmRowsNEONDot {
		r = m
	}
	return r
}

func w8a8I8MM(m int, x []int8, ldx int, w *W8, ep *epilogue) {
	const br = arm64.GemmRowsI8MM
	o := newArmW8Out(ep)
	kp := w.kp()
	kb := kp / 4
	rows := i8mmRows(m)
	nb := (rows + br - 1) / br
	bb := arm64.XBytesI8MMW8(kb)
	var xb unsafe.Pointer
	if nb > 0 {
		s := getScratch(nb * bb)
		defer putScratch(s)
		for b := 0; b < nb; b++ {
			arm64.PackXI8MMW8(s.b[b*bb:(b+1)*bb], unsafe.Pointer(&x[b*br*ldx]), ldx, min(br, rows-b*br), w.K, kb)
		}
		xb = unsafe.Pointer(&s.b[0])
	}
	// The rows left for SDOT, padded to kp columns if needed.
	var xt unsafe.Pointer
	lt := ldx
	if rows < m {
		var s *scratch
		xt, lt, s = padRows(unsafe.Pointer(&x[rows*ldx]), m-rows, w.K, ldx, kp, 1)
		if s != nil {
			defer putScratch(s)
		}
	}

	full, n0 := w.N/PanelRows, w.N/PanelRows*PanelRows
	panelBytes := kp * PanelRows
	var acc [br * PanelRows]int32
	chunk := armChunk(panelBytes)
	for p0 := 0; p0 < full; p0 += chunk {
		np := min(chunk, full-p0)
		wp := unsafe.Pointer(&w.data[p0*panelBytes])
		n := p0 * PanelRows
		for b := 0; b < nb; b++ {
			arm64.GemmW8A8I8MM(unsafe.Add(xb, b*bb), min(br, rows-b*br), wp, kb, np,
				o.y(b*br, n), ep.ldy*o.elem, 16*o.elem, o.mode, o.scaleAt(n), o.sstep, o.biasAt(n), unsafe.Pointer(&acc[0]))
		}
		if rows < m {
			arm64.GemmW8A8NEONDot(xt, lt, m-rows, wp, kb, np,
				o.y(rows, n), ep.ldy*o.elem, 16*o.elem, o.mode, o.scaleAt(n), o.sstep, o.biasAt(n))
		}
	}
	if n0 < w.N {
		var tp armTail
		scale, sstep, bias := tp.setup(&o, n0, w.N)
		wp := unsafe.Pointer(&w.data[full*panelBytes])
		out := unsafe.Pointer(&tp.out[0])
		for b := 0; b < nb; b++ {
			mr := min(br, rows-b*br)
			arm64.GemmW8A8I8MM(unsafe.Add(xb, b*bb), mr, wp, kb, 1,
				out, 16*o.elem, 16*o.elem, o.mode, scale, sstep, bias, unsafe.Pointer(&acc[0]))
			for r := 0; r < mr; r++ {
				tp.copyOut(&o, r, b*br+r, n0, w.N)
			}
		}
		if rows < m {
			arm64.GemmW8A8NEONDot(xt, lt, m-rows, wp, kb, 1,
				out, 16*o.elem, 16*o.elem, o.mode, scale, sstep, bias)
			for r := 0; r < m-rows; r++ {
				tp.copyOut(&o, r, rows+r, n0, w.N)
			}
		}
	}
}

func w4a8I8MM(m int, x []int8, ldx int, xs float32, w *W4, y []float32, ldy int) {
	const br = arm64.GemmRowsI8MM
	kp := w.kp()
	kg := kp / W4Group
	rows := i8mmRows(m)
	nb := (rows + br - 1) / br
	bb := arm64.XBytesI8MMW4(kg)
	var xb unsafe.Pointer
	if nb > 0 {
		s := getScratch(nb * bb)
		defer putScratch(s)
		for b := 0; b < nb; b++ {
			arm64.PackXI8MMW4(s.b[b*bb:(b+1)*bb], unsafe.Pointer(&x[b*br*ldx]), ldx, min(br, rows-b*br), w.K, kg)
		}
		xb = unsafe.Pointer(&s.b[0])
	}
	var xt unsafe.Pointer
	lt := ldx
	if rows < m {
		var s *scratch
		xt, lt, s = padRows(unsafe.Pointer(&x[rows*ldx]), m-rows, w.K, ldx, kp, 1)
		if s != nil {
			defer putScratch(s)
		}
	}

	panelBytes := kp / 2 * PanelRows
	full, n0 := w.N/PanelRows, w.N/PanelRows*PanelRows
	var sum [br * PanelRows]float32 // 8·8 for SMMLA, 4·16 for SDOT
	run := func(p0, np int, yb unsafe.Pointer, ldy int, yt unsafe.Pointer) {
		wp, gs, rs := unsafe.Pointer(&w.codes[p0*panelBytes]), unsafe.Pointer(&w.gs[p0*kg*PanelRows]), unsafe.Pointer(&w.rs[p0*PanelRows])
		for b := 0; b < nb; b++ {
			arm64.W4A8GemmI8MM(unsafe.Add(xb, b*bb), min(br, rows-b*br), wp, kg, np,
				unsafe.Add(yb, b*br*ldy), ldy, gs, rs, unsafe.Pointer(&sum[0]), xs)
		}
		if rows < m {
			arm64.W4A8GemmNEONDot(xt, lt, m-rows, wp, kg, np, yt, ldy, gs, rs, unsafe.Pointer(&sum[0]), xs)
		}
	}
	chunk := armChunk(panelBytes)
	for p0 := 0; p0 < full; p0 += chunk {
		np := min(chunk, full-p0)
		var yt unsafe.Pointer
		if rows < m {
			yt = unsafe.Pointer(&y[rows*ldy+p0*PanelRows])
		}
		run(p0, np, unsafe.Pointer(&y[p0*PanelRows]), 4*ldy, yt)
	}
	if n0 < w.N {
		// The partial last panel: 16 outputs per row into out, rows of the
		// SMMLA blocks at 8b..8b+7 and the SDOT rows after the last block.
		var out [br][PanelRows]float32
		for b := 0; b < nb; b++ {
			mr := min(br, rows-b*br)
			arm64.W4A8GemmI8MM(unsafe.Add(xb, b*bb), mr, unsafe.Pointer(&w.codes[full*panelBytes]), kg, 1,
				unsafe.Pointer(&out[0][0]), 4*PanelRows, unsafe.Pointer(&w.gs[full*kg*PanelRows]), unsafe.Pointer(&w.rs[full*PanelRows]), unsafe.Pointer(&sum[0]), xs)
			for r := 0; r < mr; r++ {
				copy(y[(b*br+r)*ldy+n0:(b*br+r)*ldy+w.N], out[r][:])
			}
		}
		if rows < m {
			arm64.W4A8GemmNEONDot(xt, lt, m-rows, unsafe.Pointer(&w.codes[full*panelBytes]), kg, 1,
				unsafe.Pointer(&out[0][0]), 4*PanelRows, unsafe.Pointer(&w.gs[full*kg*PanelRows]), unsafe.Pointer(&w.rs[full*PanelRows]), unsafe.Pointer(&sum[0]), xs)
			for r := 0; r < m-rows; r++ {
				copy(y[(rows+r)*ldy+n0:(rows+r)*ldy+w.N], out[r][:])
			}
		}
	}
}
