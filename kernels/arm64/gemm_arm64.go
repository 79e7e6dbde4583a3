//go:build !noasm

package arm64

import (
	"encoding/binary"
	"unsafe"
)

// W8A8 kernels over the W8 packed layout of package kernels: 16-row panels,
// each a sequence of kb 64-byte blocks holding 16 rows × 4 consecutive k
// (byte r·4 + k%4 of a block is row r). They compute whole panels only;
// the caller handles a partial last panel through a scratch panel.
//
// Output modes (mode argument): EpI32 stores the int32 accumulators;
// EpF32 stores float32(acc)·scale (+ bias); EpF16 the same rounded to IEEE
// half (round to nearest even) as uint16 bits; EpI8 stores
// sat8(roundHalfEven(float32(acc)·scale)), with NaN giving 127.
//
// Common arguments:
//
//	w      first byte of the first panel; each panel is kb·64 bytes
//	kb     number of 4-k blocks per panel (K rounded up to 4, over 4)
//	np     number of panels, ≥ 1
//	y      output of row 0 of the first panel
//	ystep  bytes between the outputs of consecutive panels
//	scale  float32 scale(s): with sstep 0 the single value scale[0] is used
//	       for every row; with sstep 64 the 16 values of each panel follow
//	       one another (16·np readable floats)
//	bias   16·np float32 biases added in the float modes, or nil
//
// x must have kb·4 readable bytes per row: the zero padding of the weights
// makes the activations past K irrelevant, but they are read.
const (
	EpI32 = 0
	EpF32 = 1
	EpF16 = 2
	EpI8  = 3
)

// GemmRowsNEONDot and GemmRowsNEON are the numbers of activation rows of one GEMM register block.
const (
	GemmRowsNEONDot = 4
	GemmRowsNEON    = 2
)

// GemvW8A8NEONDot computes one activation row (M = 1) with SDOT.
//
//go:noescape
func GemvW8A8NEONDot(x, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer)

// GemmW8A8NEONDot computes mr ≤ 4 activation rows (stride ldx bytes; output
// stride ldy bytes) with SDOT by element in a 4-token × 16-row block.
//
//go:noescape
func GemmW8A8NEONDot(x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ldy, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer)

// GemvW8A8NEON computes one activation row (M = 1) with ARMv8.0 NEON
// (SMULL/SMLAL, SADALP).
//
//go:noescape
func GemvW8A8NEON(x, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer)

// GemmW8A8NEON computes mr ≤ 2 activation rows with ARMv8.0 NEON in a
// 2-token × 16-row block.
//
//go:noescape
func GemmW8A8NEON(x unsafe.Pointer, ldx, mr int, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ldy, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer)

// GemmRowsI8MM is the number of activation rows of one SMMLA register block
// (4 pairs of rows), for W8A8 and W4A8.
const GemmRowsI8MM = 8

// XBytesI8MMW8 is the size of one block of 8 activation rows prepared by
// PackXI8MMW8 for kb 4-k blocks: ceil(kb/2) chunks of 64 bytes.
func XBytesI8MMW8(kb int) int { return (kb + 1) / 2 * 64 }

// PackXI8MMW8 prepares rows [0, mr) (1 ≤ mr ≤ 8) of the int8 activations
// at x (k ≤ 4·kb bytes each, stride ldx bytes) for GemmW8A8I8MM: chunk c of
// 64 bytes holds, for the row pairs p = 0..3, the 16 bytes
// x[2p][8c..8c+7], x[2p+1][8c..8c+7] at offset 16p. Columns ≥ k are zero;
// rows ≥ mr repeat row mr-1 (their results are not stored). It writes
// XBytesI8MMW8(kb) bytes of dst: the whole 16-k units of x with
// PackPairs16I8MM, the rest here.
func PackXI8MMW8(dst []byte, x unsafe.Pointer, ldx, mr, k, kb int) {
	nc := (kb + 1) / 2
	dst = dst[:nc*64]
	u := k / 16
	if u > 0 {
		PackPairs16I8MM(unsafe.Pointer(&dst[0]), x, ldx, mr, u, nil)
	}
	packTail(dst, x, ldx, mr, k, 2*u, nc)
}

// packTail writes the chunks [c0, c1) of the layout of PackXI8MMW8 in Go.
func packTail(dst []byte, x unsafe.Pointer, ldx, mr, k, c0, c1 int) {
	if c0 >= c1 {
		return
	}
	for t := 0; t < GemmRowsI8MM; t++ {
		off := t/2*16 + t%2*8
		row := unsafe.Slice((*byte)(unsafe.Add(x, min(t, mr-1)*ldx)), k)
		for c := c0; c < c1; c++ {
			binary.LittleEndian.PutUint64(dst[c*64+off:], load8(row, 8*c))
		}
	}
}

// load8 is the 8 bytes of row from j on, zero past its end, as a
// little-endian word.
func load8(row []byte, j int) uint64 {
	if j+8 <= len(row) {
		return binary.LittleEndian.Uint64(row[j:])
	}
	var v uint64
	for i := j; i < len(row); i++ {
		v |= uint64(row[i]) << (8 * (i - j))
	}
	return v
}

// GemmW8A8I8MM computes one block of 8 activation rows prepared by
// PackXI8MMW8 at xp (kb·4 columns, kb the number of 4-k blocks) with SMMLA
// (ARMv8.6 I8MM) in register blocks of 8 tokens × 8 weight rows, half a
// panel at a time, and stores the mr (1 to 8) first rows: output row t at
// y + t·ldy bytes. acc is a scratch of 8·16 int32. The results are those
// of GemmW8A8NEONDot.
//
//go:noescape
func GemmW8A8I8MM(xp unsafe.Pointer, mr int, w unsafe.Pointer, kb, np int, y unsafe.Pointer, ldy, ystep, mode int, scale unsafe.Pointer, sstep int, bias unsafe.Pointer, acc unsafe.Pointer)

// XBytesI8MMW4 is the size of one block of 8 activation rows prepared by
// PackXI8MMW4 for kg groups of 128 k: per group, 16 chunks of 64 bytes
// and 64 bytes of sums.
func XBytesI8MMW4(kg int) int { return kg * (16*64 + 64) }

// PackXI8MMW4 prepares rows [0, mr) (1 ≤ mr ≤ 8) of the int8 activations
// at x (k ≤ 128·kg bytes each, stride ldx bytes) for W4A8GemmI8MM: group g
// is 16 chunks laid out as in PackXI8MMW8, followed by, for the row pairs
// p = 0..3, the int32 [8·Σx[2p], 8·Σx[2p], 8·Σx[2p+1], 8·Σx[2p+1]] with Σ
// over the group's k (at offset 16p). Columns ≥ k are zero; rows ≥ mr
// repeat row mr-1. It writes XBytesI8MMW4(kg) bytes of dst: the groups
// whole in x with PackPairs16I8MM, a last partial one here.
func PackXI8MMW4(dst []byte, x unsafe.Pointer, ldx, mr, k, kg int) {
	const gb = 16*64 + 64
	dst = dst[:kg*gb]
	var sums [GemmRowsI8MM]int32
	for g := 0; g < kg; g++ {
		d := dst[g*gb : (g+1)*gb]
		if k >= 128*(g+1) {
			PackPairs16I8MM(unsafe.Pointer(&d[0]), unsafe.Add(x, 128*g), ldx, mr, 8, unsafe.Pointer(&sums[0]))
		} else {
			n := k - 128*g // 1 to 127 columns
			xg := unsafe.Add(x, 128*g)
			packTail(d, xg, ldx, mr, n, 0, 16)
			for t := range sums {
				sums[t] = 0
				for _, v := range unsafe.Slice((*int8)(unsafe.Add(xg, min(t, mr-1)*ldx)), n) {
					sums[t] += int32(v)
				}
			}
		}
		for t, s := range sums {
			binary.LittleEndian.PutUint32(d[1024+t/2*16+t%2*8:], uint32(8*s))
			binary.LittleEndian.PutUint32(d[1024+t/2*16+t%2*8+4:], uint32(8*s))
		}
	}
}

// PackPairs16I8MM writes n16 ≥ 1 units of 16 k of rows [0, mr) of x (stride
// ldx bytes) in the layout of PackXI8MMW8: unit u is the chunks 2u and
// 2u+1 at dst + 128·u. Rows ≥ mr repeat row mr-1. With sums non-nil it
// also stores there Σx of each of the 8 rows over the 16·n16 columns
// (8 int32). NEON with SDOT.
//
//go:noescape
func PackPairs16I8MM(dst, x unsafe.Pointer, ldx, mr, n16 int, sums unsafe.Pointer)

// W4A8GemmI8MM computes one block of 8 int8 activation rows prepared by
// PackXI8MMW4 at xp times np W4 panels (see w4_arm64.go) with SMMLA in
// register blocks of 8 tokens × 8 weight rows and stores the mr (1 to 8)
// first rows: output row t at y + t·ldy bytes, 16 floats per panel. sum is
// a scratch of 8·8 float32. The arithmetic and its order are those of
// W4A8GemvNEONDot: bit-exact with the pure-Go product.
//
//go:noescape
func W4A8GemmI8MM(xp unsafe.Pointer, mr int, w unsafe.Pointer, kg, np int, y unsafe.Pointer, ldy int, gs, rs, sum unsafe.Pointer, xs float32)
