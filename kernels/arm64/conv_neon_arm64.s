//go:build !noasm

#include "textflag.h"
#include "quantize_neon_arm64.h"
#include "conv_neon_arm64.h"

// Causal depthwise conv1d with 4 taps + SiLU, NEON.
//
// Loop structure: channel blocks of 4 outside, tokens inside. For a block
// the four weight rows, the bias (and the output scales) stay in registers,
// and the last three inputs form a sliding window V5 (t-3), V6 (t-2),
// V7 (t-1), initialised from the conv state and shifted by one token per
// iteration.
//
// Registers:
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
