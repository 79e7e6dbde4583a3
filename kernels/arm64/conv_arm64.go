//go:build !noasm

package arm64

// Causal depthwise conv1d (4 taps) + SiLU kernels (conv_neon_arm64.s), over
// channels [0, c4) with c4 a multiple of 4. Row t of the input is at
// x[t·ldx:], of the output at out[t·ldo:]; the conv state and the weights
// are [3][c] and [4][c] (row stride c), bias and inv are [c]. The state is
// read, not updated. For token t and channel ch:
//
//	acc = bias + w0·in(t-3) + w1·in(t-2) + w2·in(t-1) + w3·in(t)
//
// with every product rounded before its add, in(s) = state row s+3 for
// s < 0, then silu(acc) = acc/(1+exp(-acc)) with the EXP_NEON exp: the same
// bits as the pure-Go twin.

// ConvSiLUI8NEON: int8 input and state, out = sat8(RNE(silu(acc)·inv)).
//
//go:noescape
func ConvSiLUI8NEON(l, c4 int, x []int8, ldx int, state []int8, c int, w, bias, inv []float32, out []int8, ldo int)

// ConvSiLUI8F32NEON: int8 input and state, float32 out = silu(acc).
//
//go:noescape
func ConvSiLUI8F32NEON(l, c4 int, x []int8, ldx int, state []int8, c int, w, bias []float32, out []float32, ldo int)

// ConvSiLUF32NEON: float32 input, state and out = silu(acc).
//
//go:noescape
func ConvSiLUF32NEON(l, c4 int, x []float32, ldx int, state []float32, c int, w, bias []float32, out []float32, ldo int)

// ConvStepI8NEON is one decode step over channels [0, c4) (c4 a multiple of
// 4): out[ch] = sat8(RNE(silu(acc)·inv[ch])) with the state as the three
// previous inputs, then the state rows move up (row 0 ← row 1, row 1 ← row
// 2, row 2 ← x) for those channels.
//
//go:noescape
func ConvStepI8NEON(c4 int, state []int8, c int, w, bias, inv []float32, x, out []int8)

// ConvStepF32NEON is ConvStepI8NEON for float32 inputs, state and outputs
// (out = silu(acc)).
//
//go:noescape
func ConvStepF32NEON(c4 int, state []float32, c int, w, bias []float32, x, out []float32)
