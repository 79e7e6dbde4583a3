//go:build !noasm

package amd64

// Float32 matrix-product kernels over the F32 packed layout of package
// kernels: 16-row panels stored k-major (for every k, the 16 rows' weights
// contiguous, 64 bytes), K padded to a multiple of 4 with zero weights,
// panels back to back. kq is the padded K divided by 4.

// GemvF32AVX2 multiplies one activation row x (4·kq float32, the padding
// zero) by np consecutive panels starting at w, and stores 16 float32 per
// panel at y, one panel after another: y[16p+r] = Σ_k x[k]·w_p[k][r]
// (+ bias[16p+r] when bias is not nil). Requires AVX2, FMA; kq, np ≥ 1.
//
//go:noescape
func GemvF32AVX2(x, w *float32, kq, np int, y, bias *float32)

// GemmF32Rows is the number of activation rows of one GemmF32x6AVX2 tile.
const GemmF32Rows = 6

// GemmF32x6AVX2 computes a tile of up to 6 activation rows × 16 output rows
// over 4·kq values of k. Row t of the activations starts at x + t·ldx bytes
// (4·kq readable float32), for t < rows (1 to 6); w points to the panel's
// weights for the same k (16 float32 per k). Row t of the output (16
// float32) is at y + t·ldy bytes: when accum is not zero, the sums are added
// to what y holds; when bias is not nil, its 16 float32 are added last.
// next points to the 64·4·kq bytes of weights the caller runs next: they are
// prefetched. Requires AVX2, FMA; kq ≥ 1.
//
//go:noescape
func GemmF32x6AVX2(x *float32, ldx, rows int, w *float32, kq int, y *float32, ldy, accum int, bias, next *float32)

// GemvF32AVX512 is GemvF32AVX2 with 512-bit vectors (one zmm per panel and
// k) and eight panels streamed in step: same arguments, bit-identical
// results. Requires AVX-512F; kq, np ≥ 1.
//
//go:noescape
func GemvF32AVX512(x, w *float32, kq, np int, y, bias *float32)

// GemmF32RowsAVX512 is the number of activation rows of the AVX-512 tiles.
const GemmF32RowsAVX512 = 14

// GemmF32x14x2AVX512 computes a tile of 14 activation rows × two panels (32
// output rows) over 4·kq values of k: panel 0's weights for these k at w,
// panel 1's at w + pstride bytes. Row t of the activations starts at x +
// t·ldx bytes (4·kq readable float32) for all t < 14; only the first rows
// (1 to 14) rows of the output are stored, row t (32 float32, panel 0's 16
// then panel 1's) at y + t·ldy bytes. accum, bias and next are as for
// GemmF32x6AVX2 (bias: 32 float32; next: prefetched at next and next +
// pstride). The sums are bit-identical to GemmF32x6AVX2's on each panel.
// Requires AVX-512F; kq ≥ 1.
//
//go:noescape
func GemmF32x14x2AVX512(x *float32, ldx, rows int, w *float32, pstride, kq int, y *float32, ldy, accum int, bias, next *float32)

// GemmF32x14AVX512 is GemmF32x14x2AVX512 over one panel (16 output rows
// per row, bias 16 float32), with the arguments of GemmF32x6AVX2 but 14
// rows read and up to 14 stored. Requires AVX-512F; kq ≥ 1.
//
//go:noescape
func GemmF32x14AVX512(x *float32, ldx, rows int, w *float32, kq int, y *float32, ldy, accum int, bias, next *float32)

// MemRead8AVX512 reads n bytes at p (n a multiple of 2048) as eight
// sequential streams read in step, the eight eighths of the buffer, with
// 64-byte loads, and returns the XOR of all their 8-byte little-endian
// words: the read-bandwidth yardstick for GemvF32AVX512, which streams eight
// panels the same way. Requires AVX-512F.
//
//go:noescape
func MemRead8AVX512(p *byte, n int) uint64
