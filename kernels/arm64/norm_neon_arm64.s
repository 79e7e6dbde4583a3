//go:build !noasm

#include "textflag.h"
#include "quantize_neon_arm64.h"
#include "conv_neon_arm64.h"

// RMSNorm pieces in NEON, 4 floats per iteration. Shared register roles:
// R1 counts the elements left; V10 / V11 accumulate squares as 2+2 float64
// lanes (SQACC, which clobbers V8, V9); the gates keep the exp constants in
// V16..V28 (EXPCONST) and use V1..V3, V14 as SiLU scratch.

// SQACC(r) adds the squares of the 4 floats of Vr to V10 (low 2) and V11
// (high 2) as float64.
#define SQACC(r) \
	FCVTL2D(8, r) \
	FCVTL22D(9, r) \
	FMLA2D(10, 8, 8) \
	FMLA2D(11, 9, 9)

// SQINIT zeroes the accumulators; SQRET(ret) stores their sum at ret.
#define SQINIT \
	VEOR V10.B16, V10.B16, V10.B16 \
	VEOR V11.B16, V11.B16, V11.B16

#define SQRET(ret) \
	FADD2D(10, 10, 11) \
	FADDPD(10, 10) \
	FMOVD F10, ret

// func SumSqNEON(x []float32) float64
TEXT ·SumSqNEON(SB), NOSPLIT, $0-32
	MOVD x_base+0(FP), R0      // R0: next float
	MOVD x_len+8(FP), R1
	SQINIT
ss4:
	CBZ  R1, ssdone
	VLD1.P 16(R0), [V0.S4]
	SQACC(0)
	SUB  $4, R1
	B    ss4
ssdone:
	SQRET(ret+24(FP))
	RET

// func AddSumSqNEON(res, h []float32) float64
TEXT ·AddSumSqNEON(SB), NOSPLIT, $0-56
	MOVD res_base+0(FP), R0    // R0: next residual float (read and written)
	MOVD res_len+8(FP), R1
	MOVD h_base+24(FP), R2     // R2: next h float
	SQINIT
as4:
	CBZ  R1, asdone
	VLD1 (R0), [V0.S4]
	VLD1.P 16(R2), [V3.S4]
	FADD4S(0, 0, 3)
	VST1.P [V0.S4], 16(R0)
	SQACC(0)
	SUB  $4, R1
	B    as4
asdone:
	SQRET(ret+48(FP))
	RET

// func ScaleMulNEON(out, v, w []float32, s float32)
TEXT ·ScaleMulNEON(SB), NOSPLIT, $0-76
	MOVD  out_base+0(FP), R3   // R3: next output float
	MOVD  v_base+24(FP), R0    // R0: next v
	MOVD  v_len+32(FP), R1
	MOVD  w_base+48(FP), R2    // R2: next weight
	MOVWU s+72(FP), R4
	VDUP  R4, V29.S4
sm4:
	CBZ  R1, smdone
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	FMUL4S(0, 0, 29)
	FMUL4S(0, 0, 1)
	VST1.P [V0.S4], 16(R3)
	SUB  $4, R1
	B    sm4
smdone:
	RET

// func ScaleMulQuantNEON(q []int8, v, w []float32, s float32)
TEXT ·ScaleMulQuantNEON(SB), NOSPLIT, $0-76
	MOVD  q_base+0(FP), R3     // R3: next output byte
	MOVD  v_base+24(FP), R0    // R0: next v
	MOVD  v_len+32(FP), R1
	MOVD  w_base+48(FP), R2    // R2: next weight
	MOVWU s+72(FP), R4
	VDUP  R4, V29.S4
	MOVW  $0x42FE0000, R4      // 127.0
	VDUP  R4, V30.S4
	MOVW  $0xC3000000, R4      // -128.0
	VDUP  R4, V31.S4
sq4:
	CBZ  R1, sqdone
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	FMUL4S(0, 0, 29)
	FMUL4S(0, 0, 1)
	QUANT4(0, 4)
	VMOV V4.S[0], R5
	MOVW R5, (R3)
	ADD  $4, R3
	SUB  $4, R1
	B    sq4
sqdone:
	RET

// func GateF32NEON(v, y, z []float32) float64
TEXT ·GateF32NEON(SB), NOSPLIT, $0-80
	MOVD v_base+0(FP), R3      // R3: next output float
	MOVD v_len+8(FP), R1
	MOVD y_base+24(FP), R0     // R0: next y
	MOVD z_base+48(FP), R2     // R2: next z
	EXPCONST(R4)
	SQINIT
gf4:
	CBZ  R1, gfdone
	VLD1.P 16(R2), [V0.S4]
	VLD1.P 16(R0), [V5.S4]
	SILU_NEON(0, 1, 2, 3, 14)
	FMUL4S(0, 0, 5)            // v = silu(z)·y
	VST1.P [V0.S4], 16(R3)
	SQACC(0)
	SUB  $4, R1
	B    gf4
gfdone:
	SQRET(ret+72(FP))
	RET

// func GateI8NEON(v, y []float32, zq []int8, zScale float32) float64
TEXT ·GateI8NEON(SB), NOSPLIT, $0-88
	MOVD  v_base+0(FP), R3     // R3: next output float
	MOVD  v_len+8(FP), R1
	MOVD  y_base+24(FP), R0    // R0: next y
	MOVD  zq_base+48(FP), R2   // R2: next int8 z
	MOVWU zScale+72(FP), R4
	VDUP  R4, V12.S4
	EXPCONST(R4)
	SQINIT
gi4:
	CBZ  R1, gidone
	MOVWU.P 4(R2), R5
	VMOV R5, V0.S[0]
	SXTL8H(0, 0)
	SXTL4S(0, 0)
	SCVTF4S(0, 0)
	FMUL4S(0, 0, 12)           // zf = float32(z)·zScale
	VLD1.P 16(R0), [V5.S4]
	SILU_NEON(0, 1, 2, 3, 14)
	FMUL4S(0, 0, 5)
	VST1.P [V0.S4], 16(R3)
	SQACC(0)
	SUB  $4, R1
	B    gi4
gidone:
	SQRET(ret+80(FP))
	RET
