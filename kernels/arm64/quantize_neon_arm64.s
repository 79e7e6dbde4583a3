//go:build !noasm

#include "textflag.h"
#include "quantize_neon_arm64.h"

// Symmetric int8 quantization with NEON: 16 floats (four vectors) per main
// iteration, then 4 at a time. V30 = 127 and V31 = -128 for QUANT16/QUANT4,
// V29 = the broadcast scale; V0..V3 data, V4 packed bytes.

// func QuantizeI8NEON(x []float32, invScale float32, q []int8)
TEXT ·QuantizeI8NEON(SB), NOSPLIT, $0-56
	MOVD  x_base+0(FP), R0     // R0: next input float
	MOVD  x_len+8(FP), R1      // R1: elements left
	MOVWU invScale+24(FP), R3
	MOVD  q_base+32(FP), R2    // R2: next output byte
	VDUP  R3, V29.S4
	MOVW  $0x42FE0000, R4      // 127.0
	VDUP  R4, V30.S4
	MOVW  $0xC3000000, R4      // -128.0
	VDUP  R4, V31.S4

q16:
	CMP   $16, R1
	BLT   q4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMUL4S(0, 0, 29)
	FMUL4S(1, 1, 29)
	FMUL4S(2, 2, 29)
	FMUL4S(3, 3, 29)
	QUANT16(0, 1, 2, 3, 4)
	VST1.P [V4.B16], 16(R2)
	SUB   $16, R1
	B     q16

q4:
	CBZ   R1, qdone
	VLD1.P 16(R0), [V0.S4]
	FMUL4S(0, 0, 29)
	QUANT4(0, 4)
	VMOV  V4.S[0], R5
	MOVW  R5, (R2)
	ADD   $4, R2
	SUB   $4, R1
	B     q4

qdone:
	RET

// func QuantizeI8ChanNEON(x []float32, invScale []float32, q []int8)
TEXT ·QuantizeI8ChanNEON(SB), NOSPLIT, $0-72
	MOVD  x_base+0(FP), R0         // R0: next input float
	MOVD  x_len+8(FP), R1          // R1: elements left
	MOVD  invScale_base+24(FP), R3 // R3: next inverse scale
	MOVD  q_base+48(FP), R2        // R2: next output byte
	MOVW  $0x42FE0000, R4
	VDUP  R4, V30.S4
	MOVW  $0xC3000000, R4
	VDUP  R4, V31.S4

c16:
	CMP   $16, R1
	BLT   c4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R3), [V5.S4, V6.S4, V7.S4, V8.S4]
	FMUL4S(0, 0, 5)
	FMUL4S(1, 1, 6)
	FMUL4S(2, 2, 7)
	FMUL4S(3, 3, 8)
	QUANT16(0, 1, 2, 3, 4)
	VST1.P [V4.B16], 16(R2)
	SUB   $16, R1
	B     c16

c4:
	CBZ   R1, cdone
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R3), [V5.S4]
	FMUL4S(0, 0, 5)
	QUANT4(0, 4)
	VMOV  V4.S[0], R5
	MOVW  R5, (R2)
	ADD   $4, R2
	SUB   $4, R1
	B     c4

cdone:
	RET

// func DequantizeI8NEON(q []int8, scale float32, x []float32)
TEXT ·DequantizeI8NEON(SB), NOSPLIT, $0-56
	MOVD  q_base+0(FP), R0     // R0: next input byte
	MOVD  q_len+8(FP), R1      // R1: elements left
	MOVWU scale+24(FP), R3
	MOVD  x_base+32(FP), R2    // R2: next output float
	VDUP  R3, V29.S4

d8:
	CBZ   R1, ddone
	VLD1.P 8(R0), [V0.B8]
	SXTL8H(0, 0)               // 8 × int16
	SXTL24S(2, 0)              // high 4 × int32
	SXTL4S(1, 0)               // low 4 × int32
	SCVTF4S(1, 1)
	SCVTF4S(2, 2)
	FMUL4S(1, 1, 29)
	FMUL4S(2, 2, 29)
	VST1.P [V1.S4, V2.S4], 32(R2)
	SUB   $8, R1
	B     d8

ddone:
	RET

// func ScaleF32NEON(x []float32, s float32)
TEXT ·ScaleF32NEON(SB), NOSPLIT, $0-28
	MOVD  x_base+0(FP), R0     // R0: next float
	MOVD  x_len+8(FP), R1      // R1: elements left
	MOVWU s+24(FP), R3
	VDUP  R3, V29.S4

s4:
	CBZ   R1, sdone
	VLD1  (R0), [V0.S4]
	FMUL4S(0, 0, 29)
	VST1.P [V0.S4], 16(R0)
	SUB   $4, R1
	B     s4

sdone:
	RET
