//go:build !noasm

package amd64

// Causal depthwise conv1d (4 taps) + SiLU kernels (conv_avx2_amd64.s), over
// channels [0, c8) with c8 a multiple of 8. Row t of the input is at
// x[t·ldx:], of the output at out[t·ldo:]; the conv state and the weights
// are [3][c] and [4][c] (row stride c), bias and inv are [c]. The state is
// read, not updated. For token t and channel ch:
//
//	acc = bias + w0·in(t-3) + w1·in(t-2) + w2·in(t-1) + w3·in(t)
//
// with every product rounded before its add, in(s) = state row s+3 for
// s < 0, then silu(acc) = acc/(1+exp(-acc)) with the EXP_AVX2 exp.

// ConvSiLUI8AVX2: int8 input and state, out = sat8(RNE(silu(acc)·inv)).
//
//go:noescape
func ConvSiLUI8AVX2(l, c8 int, x []int8, ldx int, state []int8, c int, w, bias, inv []float32, out []int8, ldo int)

// ConvSiLUI8F32AVX2: int8 input and state, float32 out = silu(acc).
//
//go:noescape
func ConvSiLUI8F32AVX2(l, c8 int, x []int8, ldx int, state []int8, c int, w, bias []float32, out []float32, ldo int)

// ConvSiLUF32AVX2: float32 input, state and out = silu(acc).
//
//go:noescape
func ConvSiLUF32AVX2(l, c8 int, x []float32, ldx int, state []float32, c int, w, bias []float32, out []float32, ldo int)

// ConvStepI8AVX2 is one decode step over channels [0, c8) (c8 a multiple of
// 8): out[ch] = sat8(RNE(silu(acc)·inv[ch])) with the state as the three
// previous inputs, then the state rows move up (row 0 ← row 1, row 1 ← row
// 2, row 2 ← x) for those channels.
//
//go:noescape
func ConvStepI8AVX2(c8 int, state []int8, c int, w, bias, inv []float32, x, out []int8)

// ConvStepF32AVX2 is ConvStepI8AVX2 for float32 inputs, state and outputs
// (out = silu(acc)).
//
//go:noescape
func ConvStepF32AVX2(c8 int, state []float32, c int, w, bias []float32, x, out []float32)

// AVX-512 versions (conv_avx512_amd64.s) over channels [0, c16), c16 a
// multiple of 16, with the same arguments, the same arithmetic (EXP_AVX512,
// bit for bit the pure-Go Exp) and therefore the same bits as the AVX2
// kernels.

// ConvSiLUI8AVX512 is ConvSiLUI8AVX2 on 16-channel blocks.
//
//go:noescape
func ConvSiLUI8AVX512(l, c16 int, x []int8, ldx int, state []int8, c int, w, bias, inv []float32, out []int8, ldo int)

// ConvSiLUI8F32AVX512 is ConvSiLUI8F32AVX2 on 16-channel blocks.
//
//go:noescape
func ConvSiLUI8F32AVX512(l, c16 int, x []int8, ldx int, state []int8, c int, w, bias []float32, out []float32, ldo int)

// ConvSiLUF32AVX512 is ConvSiLUF32AVX2 on 16-channel blocks.
//
//go:noescape
func ConvSiLUF32AVX512(l, c16 int, x []float32, ldx int, state []float32, c int, w, bias []float32, out []float32, ldo int)

// ConvStepI8AVX512 is ConvStepI8AVX2 on 16-channel blocks (state moved up
// for channels [0, c16)).
//
//go:noescape
func ConvStepI8AVX512(c16 int, state []int8, c int, w, bias, inv []float32, x, out []int8)

// ConvStepF32AVX512 is ConvStepF32AVX2 on 16-channel blocks.
//
//go:noescape
func ConvStepF32AVX512(c16 int, state []float32, c int, w, bias []float32, x, out []float32)
