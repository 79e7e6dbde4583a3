//go:build !noasm

package kernels

import (
	"unsafe"

	"github.com/quamba/quamba/kernels/amd64"
)

// amd64 binding of the matmul kernels (kernels/amd64). The AVX512 tier runs
// the AVX2 kernels: every AVX-512 CPU has AVX2.

func hasAVX2(t Tier) bool { return t == AVX2 || t == AVX512 }

// w8Out is the epilogue of a W8A8 product in the form the assembly takes.
type w8Out struct {
	ep       *epilogue
	kind     int
	elem     int // bytes per output element
	scale    *float32
	scaleInc int // bytes per panel: 64 per row, 0 per tensor
	splat    [PanelRows]float32
}

func newW8Out(ep *epilogue) *w8Out {
	o := &w8Out{ep: ep, kind: int(ep.kind)}
	o.elem = [...]int{4, 4, 2, 1}[ep.kind]
	switch {
	case ep.kind == epI32:
		o.scale = &o.splat[0]
	case len(ep.scale) == 1:
		for i := range o.splat {
			o.splat[i] = ep.scale[0]
		}
		o.scale = &o.splat[0]
	default:
		o.scale, o.scaleInc = &ep.scale[0], 4*PanelRows
	}
	return o
}

// y is the address of output (i, n).
func (o *w8Out) y(i, n int) unsafe.Pointer {
	j := i*o.ep.ldy + n
	switch o.ep.kind {
	case epI32:
		return unsafe.Pointer(&o.ep.yI32[j])
	case epF32:
		return unsafe.Pointer(&o.ep.yF32[j])
	case epF16:
		return unsafe.Pointer(&o.ep.yF16[j])
	}
	return unsafe.Pointer(&o.ep.yI8[j])
}

func (o *w8Out) bias(n int) *float32 {
	if o.ep.bias == nil {
		return nil
	}
	return &o.ep.bias[n]
}

func (o *w8Out) scaleAt(n int) *float32 {
	return (*float32)(unsafe.Add(unsafe.Pointer(o.scale), o.scaleInc/PanelRows*n))
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
		tp.scale[r] = *(*float32)(unsafe.Add(unsafe.Pointer(o.scaleAt(n0)), o.scaleInc/PanelRows*r))
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
	if !hasAVX2(t) {
		return false
	}
	o := newW8Out(ep)
	kp := w.kp()
	var padded *scratch
	if kp != w.K {
		padded = getScratch(kp)
		defer putScratch(padded)
	}
	for i := 0; i < m; i++ {
		xi := &x[i*ldx]
		if padded != nil {
			b := padded.b
			copy(b, unsafe.Slice((*byte)(unsafe.Pointer(xi)), w.K))
			clear(b[w.K:])
			xi = (*int8)(unsafe.Pointer(&b[0]))
		}
		gemvW8A8(xi, w, o, i)
	}
	return true
}

// gemvW8A8 runs activation row x (kp bytes) against all panels of w into
// output row i.
func gemvW8A8(x *int8, w *W8, o *w8Out, i int) {
	kp := w.kp()
	full := w.N / PanelRows
	if full > 0 {
		amd64.GemvW8A8AVX2(x, &w.data[0], kp/4, full, o.y(i, 0), o.kind, o.scale, o.scaleInc, o.bias(0))
	}
	if n0 := full * PanelRows; n0 < w.N {
		var tp tailPanel
		scale, bias := tp.setup(o, n0, w.N)
		amd64.GemvW8A8AVX2(x, &w.data[full*kp*PanelRows], kp/4, 1, unsafe.Pointer(&tp.out[0]), o.kind, scale, 0, bias)
		tp.copyOut(o, 0, i, n0, w.N)
	}
}

func w4a8Arch(t Tier, m int, x []int8, ldx int, xs float32, w *W4, y []float32, ldy int) bool {
	return false
}

func w4a16Arch(t Tier, m int, x []float32, ldx int, w *W4, y []float32, ldy int) bool {
	return false
}
