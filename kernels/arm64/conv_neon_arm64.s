//go:build !noasm

#include "textflag.h"
#include "quantize_neon_arm64.h"
#include "conv_neon_arm64.h"

// Causal depthwise conv1d with 4 taps + SiLU, NEON: prefill kernels
// (ConvSiLU*) and decode-step kernels (ConvStep*, described further down).
//
// Prefill loop structure: channel blocks of 4 outside, tokens inside. For a
// block the four weight rows, the bias (and the output scales) stay in
// registers, and the last three inputs form a sliding window V5 (t-3),
// V6 (t-2), V7 (t-1), initialised from the conv state and shifted by one
// token per iteration.
//
// Prefill registers:
//   R0  tokens l            R1  c4 (channels to do)
//   R2  x                   R3  ldx in bytes
//   R4  state               R6  c (state and weight row stride)
//   R7  w                   R8  bias
//   R9  inv (int8 output)   R10 out
//   R11 ldo in bytes        R12 channel offset of the block
//   R13 x row pointer       R14 out row pointer
//   R15 tokens left         R5, R16, R17 scratch
//   V0 acc   V1..V3, V14 SiLU scratch   V4 x_t   V5..V7 window
//   V8..V11 w rows 0..3   V12 bias   V13 inv   V15 product / packed bytes
//   V16..V28 exp constants   V30 / V31 127 / -128

// LOADW loads the four weight rows and the bias of the block at R12.
#define LOADW \
	ADD  R12<<2, R7, R16 \
	VLD1 (R16), [V8.S4] \
	ADD  R6<<2, R16 \
	VLD1 (R16), [V9.S4] \
	ADD  R6<<2, R16 \
	VLD1 (R16), [V10.S4] \
	ADD  R6<<2, R16 \
	VLD1 (R16), [V11.S4] \
	ADD  R12<<2, R8, R16 \
	VLD1 (R16), [V12.S4]

// LOADI8(addr, r): 4 int8 at addr as float32 into Vr.
#define LOADI8(addr, r) \
	MOVWU addr, R5 \
	FMOVSW(r, 5) \
	SXTL8H(r, r) \
	SXTL4S(r, r) \
	SCVTF4S(r, r)

// TAPS: V0 = silu(bias + w0·V5 + w1·V6 + w2·V7 + w3·V4), products rounded
// before each add (no FMLA), then the window shifts by one token.
#define TAPS \
	FMUL4S(0, 5, 8) \
	FADD4S(0, 12, 0) \
	FMUL4S(15, 6, 9) \
	FADD4S(0, 0, 15) \
	FMUL4S(15, 7, 10) \
	FADD4S(0, 0, 15) \
	FMUL4S(15, 4, 11) \
	FADD4S(0, 0, 15) \
	VMOV16B(5, 6) \
	VMOV16B(6, 7) \
	VMOV16B(7, 4) \
	SILU_NEON(0, 1, 2, 3, 14)

#define ARGS \
	MOVD l+0(FP), R0 \
	MOVD c4+8(FP), R1 \
	MOVD x_base+16(FP), R2 \
	MOVD ldx+40(FP), R3 \
	MOVD state_base+48(FP), R4 \
	MOVD c+72(FP), R6 \
	MOVD w_base+80(FP), R7 \
	MOVD bias_base+104(FP), R8 \
	EXPCONST(R5) \
	MOVD $0, R12

// Decode step: one token, state updated in place. Eight channels (two
// vectors, two independent SiLU chains) per iteration, a last block of 4
// alone. Every array is walked linearly with post-incremented pointers.
//
// Registers:
//   R0 channels left   R1 x   R2 out   R3..R6 w rows 0..3
//   R7..R9 state rows 0..2   R10 bias   R11 inv   R12 scratch
//   V0 / V1 acc of the two vectors, V2..V15 inputs, weights and SiLU
//   scratch, V16..V28 exp constants, V30 / V31 127 / -128

// STEPPTRS sets R3..R9 from w_base, state_base and c (sz: element size).
#define STEPPTRS(sz) \
	MOVD c+32(FP), R12 \
	MOVD w_base+40(FP), R3 \
	ADD  R12<<2, R3, R4 \
	ADD  R12<<2, R4, R5 \
	ADD  R12<<2, R5, R6 \
	MOVD state_base+8(FP), R7 \
	ADD  R12<<sz, R7, R8 \
	ADD  R12<<sz, R8, R9

// WIDEN8(r): the 8 int8 in the low half of Vr become float32 in Vr (low
// four) and Vr+1 (high four).
#define WIDEN8(r) \
	SXTL8H(r, r) \
	SXTL24S(r+1, r) \
	SXTL4S(r, r) \
	SCVTF4S(r, r) \
	SCVTF4S(r+1, r+1)

// TAPS8: V0, V1 = bias + w0·s0 + w1·s1 + w2·s2 + w3·x for two vectors of
// inputs in V2..V9 (s0, s1, s2, x pairs), products rounded before the adds;
// then both SiLUs. Advances the weight and bias pointers.
#define TAPS8 \
	VLD1.P 32(R3), [V10.S4, V11.S4] \
	FMUL4S(0, 2, 10) \
	FMUL4S(1, 3, 11) \
	VLD1.P 32(R10), [V10.S4, V11.S4] \
	FADD4S(0, 10, 0) \
	FADD4S(1, 11, 1) \
	VLD1.P 32(R4), [V10.S4, V11.S4] \
	FMUL4S(12, 4, 10) \
	FMUL4S(13, 5, 11) \
	FADD4S(0, 0, 12) \
	FADD4S(1, 1, 13) \
	VLD1.P 32(R5), [V10.S4, V11.S4] \
	FMUL4S(12, 6, 10) \
	FMUL4S(13, 7, 11) \
	FADD4S(0, 0, 12) \
	FADD4S(1, 1, 13) \
	VLD1.P 32(R6), [V10.S4, V11.S4] \
	FMUL4S(12, 8, 10) \
	FMUL4S(13, 9, 11) \
	FADD4S(0, 0, 12) \
	FADD4S(1, 1, 13) \
	SILU_NEON(0, 2, 3, 4, 5) \
	SILU_NEON(1, 6, 7, 10, 11)

// TAPS4: TAPS8 for one vector of inputs in V2, V4, V6, V8.
#define TAPS4 \
	VLD1.P 16(R3), [V10.S4] \
	FMUL4S(0, 2, 10) \
	VLD1.P 16(R10), [V10.S4] \
	FADD4S(0, 10, 0) \
	VLD1.P 16(R4), [V10.S4] \
	FMUL4S(12, 4, 10) \
	FADD4S(0, 0, 12) \
	VLD1.P 16(R5), [V10.S4] \
	FMUL4S(12, 6, 10) \
	FADD4S(0, 0, 12) \
	VLD1.P 16(R6), [V10.S4] \
	FMUL4S(12, 8, 10) \
	FADD4S(0, 0, 12) \
	SILU_NEON(0, 2, 3, 4, 5)

// func ConvSiLUI8NEON(l, c4 int, x []int8, ldx int, state []int8, c int, w, bias, inv []float32, out []int8, ldo int)
TEXT ·ConvSiLUI8NEON(SB), NOSPLIT, $0-184
	ARGS
	MOVD inv_base+128(FP), R9
	MOVD out_base+152(FP), R10
	MOVD ldo+176(FP), R11
	MOVW $0x42FE0000, R5       // 127.0
	VDUP R5, V30.S4
	MOVW $0xC3000000, R5       // -128.0
	VDUP R5, V31.S4

i8block:
	LOADW
	ADD  R12<<2, R9, R16
	VLD1 (R16), [V13.S4]
	ADD  R12, R4, R16          // the three int8 state rows
	LOADI8((R16), 5)
	ADD  R6, R16
	LOADI8((R16), 6)
	ADD  R6, R16
	LOADI8((R16), 7)
	ADD  R12, R2, R13
	ADD  R12, R10, R14
	MOVD R0, R15
i8tok:
	LOADI8((R13), 4)
	TAPS
	FMUL4S(0, 0, 13)
	QUANT4(0, 15)
	VMOV V15.S[0], R5
	MOVW R5, (R14)
	ADD  R3, R13
	ADD  R11, R14
	SUBS $1, R15
	BNE  i8tok
	ADD  $4, R12
	CMP  R1, R12
	BLO  i8block
	RET

// func ConvSiLUI8F32NEON(l, c4 int, x []int8, ldx int, state []int8, c int, w, bias []float32, out []float32, ldo int)
TEXT ·ConvSiLUI8F32NEON(SB), NOSPLIT, $0-160
	ARGS
	MOVD out_base+128(FP), R10
	MOVD ldo+152(FP), R11
	LSL  $2, R11

ifblock:
	LOADW
	ADD  R12, R4, R16
	LOADI8((R16), 5)
	ADD  R6, R16
	LOADI8((R16), 6)
	ADD  R6, R16
	LOADI8((R16), 7)
	ADD  R12, R2, R13
	ADD  R12<<2, R10, R14
	MOVD R0, R15
iftok:
	LOADI8((R13), 4)
	TAPS
	VST1 [V0.S4], (R14)
	ADD  R3, R13
	ADD  R11, R14
	SUBS $1, R15
	BNE  iftok
	ADD  $4, R12
	CMP  R1, R12
	BLO  ifblock
	RET

// func ConvSiLUF32NEON(l, c4 int, x []float32, ldx int, state []float32, c int, w, bias []float32, out []float32, ldo int)
TEXT ·ConvSiLUF32NEON(SB), NOSPLIT, $0-160
	ARGS
	LSL  $2, R3
	MOVD out_base+128(FP), R10
	MOVD ldo+152(FP), R11
	LSL  $2, R11

ffblock:
	LOADW
	ADD  R12<<2, R4, R16       // the three float32 state rows
	VLD1 (R16), [V5.S4]
	ADD  R6<<2, R16
	VLD1 (R16), [V6.S4]
	ADD  R6<<2, R16
	VLD1 (R16), [V7.S4]
	ADD  R12<<2, R2, R13
	ADD  R12<<2, R10, R14
	MOVD R0, R15
fftok:
	VLD1 (R13), [V4.S4]
	TAPS
	VST1 [V0.S4], (R14)
	ADD  R3, R13
	ADD  R11, R14
	SUBS $1, R15
	BNE  fftok
	ADD  $4, R12
	CMP  R1, R12
	BLO  ffblock
	RET

// func ConvStepI8NEON(c4 int, state []int8, c int, w, bias, inv []float32, x, out []int8)
TEXT ·ConvStepI8NEON(SB), NOSPLIT, $0-160
	STEPPTRS(0)
	MOVD c4+0(FP), R0
	MOVD bias_base+64(FP), R10
	MOVD inv_base+88(FP), R11
	MOVD x_base+112(FP), R1
	MOVD out_base+136(FP), R2
	EXPCONST(R12)
	MOVW $0x42FE0000, R12      // 127.0
	VDUP R12, V30.S4
	MOVW $0xC3000000, R12      // -128.0
	VDUP R12, V31.S4
si8:
	CMP  $8, R0
	BLT  si4
	VLD1 (R7), [V2.B8]         // s0
	VLD1 (R8), [V4.B8]         // s1
	VLD1 (R9), [V6.B8]         // s2
	VLD1 (R1), [V8.B8]         // x
	MOVD (R8), R12             // the state rows move up by one token
	MOVD.P R12, 8(R7)
	MOVD (R9), R12
	MOVD.P R12, 8(R8)
	MOVD.P 8(R1), R12
	MOVD.P R12, 8(R9)
	WIDEN8(2)
	WIDEN8(4)
	WIDEN8(6)
	WIDEN8(8)
	TAPS8
	VLD1.P 32(R11), [V10.S4, V11.S4]
	FMUL4S(0, 0, 10)
	FMUL4S(1, 1, 11)
	FMINNM4S(0, 0, 30)
	FMINNM4S(1, 1, 30)
	FMAXNM4S(0, 0, 31)
	FMAXNM4S(1, 1, 31)
	FCVTNS4S(0, 0)
	FCVTNS4S(1, 1)
	SQXTN4H(0, 0)
	SQXTN28H(0, 1)
	SQXTN8B(0, 0)
	VST1.P [V0.B8], 8(R2)
	SUB  $8, R0
	B    si8
si4:
	CBZ  R0, si8done
	MOVWU (R7), R12
	FMOVSW(2, 12)
	MOVWU (R8), R12
	FMOVSW(4, 12)
	MOVWU.P R12, 4(R7)
	MOVWU (R9), R12
	FMOVSW(6, 12)
	MOVWU.P R12, 4(R8)
	MOVWU (R1), R12
	FMOVSW(8, 12)
	MOVWU.P R12, 4(R9)
	SXTL8H(2, 2)
	SXTL4S(2, 2)
	SCVTF4S(2, 2)
	SXTL8H(4, 4)
	SXTL4S(4, 4)
	SCVTF4S(4, 4)
	SXTL8H(6, 6)
	SXTL4S(6, 6)
	SCVTF4S(6, 6)
	SXTL8H(8, 8)
	SXTL4S(8, 8)
	SCVTF4S(8, 8)
	TAPS4
	VLD1 (R11), [V10.S4]
	FMUL4S(0, 0, 10)
	QUANT4(0, 1)
	VMOV V1.S[0], R12
	MOVW R12, (R2)
si8done:
	RET

// func ConvStepF32NEON(c4 int, state []float32, c int, w, bias []float32, x, out []float32)
TEXT ·ConvStepF32NEON(SB), NOSPLIT, $0-136
	STEPPTRS(2)
	MOVD c4+0(FP), R0
	MOVD bias_base+64(FP), R10
	MOVD x_base+88(FP), R1
	MOVD out_base+112(FP), R2
	EXPCONST(R12)
sf8:
	CMP  $8, R0
	BLT  sf4
	VLD1 (R7), [V2.S4, V3.S4]  // s0
	VLD1 (R8), [V4.S4, V5.S4]  // s1
	VLD1 (R9), [V6.S4, V7.S4]  // s2
	VLD1.P 32(R1), [V8.S4, V9.S4] // x
	VST1.P [V4.S4, V5.S4], 32(R7) // the state rows move up by one token
	VST1.P [V6.S4, V7.S4], 32(R8)
	VST1.P [V8.S4, V9.S4], 32(R9)
	TAPS8
	VST1.P [V0.S4, V1.S4], 32(R2)
	SUB  $8, R0
	B    sf8
sf4:
	CBZ  R0, sf8done
	VLD1 (R7), [V2.S4]
	VLD1 (R8), [V4.S4]
	VLD1 (R9), [V6.S4]
	VLD1 (R1), [V8.S4]
	VST1.P [V4.S4], 16(R7)
	VST1.P [V6.S4], 16(R8)
	VST1.P [V8.S4], 16(R9)
	TAPS4
	VST1 [V0.S4], (R2)
sf8done:
	RET
