//go:build !noasm

package arm64

import "unsafe"

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
