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

// GemmF32x6AVX2 computes a tile of 6 activation rows × 16 output rows over
// 4·kq values of k. xp holds the 6 rows packed k-major, xp[6k+t] = x[t][k];
// w points to the panel's weights for the same k (16 float32 per k). The
// first rows (1 to 6) of the tile are written, row t of the output at
// y + t·ldy bytes (16 float32): when accum is not zero, the sums are added
// to what y holds; when bias is not nil, its 16 float32 are added last.
// Requires AVX2, FMA; kq ≥ 1.
//
//go:noescape
func GemmF32x6AVX2(xp, w *float32, kq int, y *float32, ldy, rows, accum int, bias *float32)
