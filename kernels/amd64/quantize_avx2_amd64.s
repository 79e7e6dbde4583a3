//go:build !noasm

#include "textflag.h"

// Symmetric int8 quantization with AVX2. Every kernel walks 32 elements per
// iteration (four ymm registers) and finishes with 8-element steps; lengths
// are multiples of 8. Rounding is VCVTPS2DQ under the default MXCSR mode
// (round half to even); saturation clamps in float first, VMINPS with 127 as
// the second source so that NaN becomes 127, then VMAXPS with -128.

DATA qf127<>+0(SB)/4, $127.0
GLOBL qf127<>(SB), RODATA|NOPTR, $4
DATA qfm128<>+0(SB)/4, $-128.0
GLOBL qfm128<>(SB), RODATA|NOPTR, $4

// VPERMD indices that undo the lane interleaving of VPACKSSDW + VPACKSSWB on
// four vectors a, b, c, d: dwords come out as a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7
// c4-7 d4-7.
DATA qperm<>+0(SB)/4, $0
DATA qperm<>+4(SB)/4, $4
DATA qperm<>+8(SB)/4, $1
DATA qperm<>+12(SB)/4, $5
DATA qperm<>+16(SB)/4, $2
DATA qperm<>+20(SB)/4, $6
DATA qperm<>+24(SB)/4, $3
DATA qperm<>+28(SB)/4, $7
GLOBL qperm<>(SB), RODATA|NOPTR, $32

// CLAMPCVT clamps the floats of register r to [-128, 127] and converts them
// to int32 with round-half-to-even. Needs Y13 = 127, Y14 = -128.
#define CLAMPCVT(r) \
	VMINPS Y13, r, r \
	VMAXPS Y14, r, r \
	VCVTPS2DQ r, r

// PACK32 packs the int32 vectors Y0..Y3 (values in int8 range) into 32
// ordered bytes in Y0. Needs Y15 = qperm.
#define PACK32 \
	VPACKSSDW Y1, Y0, Y0 \
	VPACKSSDW Y3, Y2, Y2 \
	VPACKSSWB Y2, Y0, Y0 \
	VPERMD Y0, Y15, Y0

// PACK8 packs the 8 int32 of Y0 (in int8 range) into the low 8 bytes of X0.
#define PACK8 \
	VEXTRACTI128 $1, Y0, X1 \
	VPACKSSDW X1, X0, X0 \
	VPACKSSWB X0, X0, X0

// func QuantizeI8AVX2(x []float32, invScale float32, q []int8)
TEXT ·QuantizeI8AVX2(SB), NOSPLIT, $0-56
	MOVQ x_base+0(FP), SI      // SI: next input float
	MOVQ x_len+8(FP), CX       // CX: elements left
	MOVQ q_base+32(FP), DI     // DI: next output byte
	VBROADCASTSS invScale+24(FP), Y12
	VBROADCASTSS qf127<>(SB), Y13
	VBROADCASTSS qfm128<>(SB), Y14
	VMOVDQU qperm<>(SB), Y15

loop32:
	CMPQ CX, $32
	JB   loop8
	VMULPS (SI), Y12, Y0
	VMULPS 32(SI), Y12, Y1
	VMULPS 64(SI), Y12, Y2
	VMULPS 96(SI), Y12, Y3
	CLAMPCVT(Y0)
	CLAMPCVT(Y1)
	CLAMPCVT(Y2)
	CLAMPCVT(Y3)
	PACK32
	VMOVDQU Y0, (DI)
	ADDQ $128, SI
	ADDQ $32, DI
	SUBQ $32, CX
	JMP  loop32

loop8:
	CMPQ CX, $8
	JB   done
	VMULPS (SI), Y12, Y0
	CLAMPCVT(Y0)
	PACK8
	VMOVQ X0, (DI)
	ADDQ $32, SI
	ADDQ $8, DI
	SUBQ $8, CX
	JMP  loop8

done:
	VZEROUPPER
	RET

// func QuantizeI8ChanAVX2(x []float32, invScale []float32, q []int8)
TEXT ·QuantizeI8ChanAVX2(SB), NOSPLIT, $0-72
	MOVQ x_base+0(FP), SI         // SI: next input float
	MOVQ x_len+8(FP), CX          // CX: elements left
	MOVQ invScale_base+24(FP), DX // DX: next inverse scale
	MOVQ q_base+48(FP), DI        // DI: next output byte
	VBROADCASTSS qf127<>(SB), Y13
	VBROADCASTSS qfm128<>(SB), Y14
	VMOVDQU qperm<>(SB), Y15

cloop32:
	CMPQ CX, $32
	JB   cloop8
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMULPS (DX), Y0, Y0
	VMULPS 32(DX), Y1, Y1
	VMULPS 64(DX), Y2, Y2
	VMULPS 96(DX), Y3, Y3
	CLAMPCVT(Y0)
	CLAMPCVT(Y1)
	CLAMPCVT(Y2)
	CLAMPCVT(Y3)
	PACK32
	VMOVDQU Y0, (DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $32, DI
	SUBQ $32, CX
	JMP  cloop32

cloop8:
	CMPQ CX, $8
	JB   cdone
	VMOVUPS (SI), Y0
	VMULPS (DX), Y0, Y0
	CLAMPCVT(Y0)
	PACK8
	VMOVQ X0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $8, DI
	SUBQ $8, CX
	JMP  cloop8

cdone:
	VZEROUPPER
	RET

// func DequantizeI8AVX2(q []int8, scale float32, x []float32)
TEXT ·DequantizeI8AVX2(SB), NOSPLIT, $0-56
	MOVQ q_base+0(FP), SI      // SI: next input byte
	MOVQ q_len+8(FP), CX       // CX: elements left
	MOVQ x_base+32(FP), DI     // DI: next output float
	VBROADCASTSS scale+24(FP), Y12

dloop32:
	CMPQ CX, $32
	JB   dloop8
	VPMOVSXBD (SI), Y0
	VPMOVSXBD 8(SI), Y1
	VPMOVSXBD 16(SI), Y2
	VPMOVSXBD 24(SI), Y3
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	VMULPS Y12, Y0, Y0
	VMULPS Y12, Y1, Y1
	VMULPS Y12, Y2, Y2
	VMULPS Y12, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $32, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  dloop32

dloop8:
	CMPQ CX, $8
	JB   ddone
	VPMOVSXBD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VMULPS Y12, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $8, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  dloop8

ddone:
	VZEROUPPER
	RET

// func ScaleF32AVX2(x []float32, s float32)
TEXT ·ScaleF32AVX2(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI      // SI: next float
	MOVQ x_len+8(FP), CX       // CX: elements left
	VBROADCASTSS s+24(FP), Y12

sloop:
	CMPQ CX, $8
	JB   sdone
	VMULPS (SI), Y12, Y0
	VMOVUPS Y0, (SI)
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  sloop

sdone:
	VZEROUPPER
	RET

// func QuantizeI8Runs8AVX2(x []float32, invScale []float32, q []int8)
TEXT ·QuantizeI8Runs8AVX2(SB), NOSPLIT, $0-72
	MOVQ x_base+0(FP), SI         // SI: next input float
	MOVQ x_len+8(FP), CX          // CX: elements left
	MOVQ invScale_base+24(FP), DX // DX: inverse scale of the next run of 8
	MOVQ q_base+48(FP), DI        // DI: next output byte
	VBROADCASTSS qf127<>(SB), Y13
	VBROADCASTSS qfm128<>(SB), Y14
	VMOVDQU qperm<>(SB), Y15

rloop32:
	CMPQ CX, $32
	JB   rloop8
	VBROADCASTSS (DX), Y8
	VBROADCASTSS 4(DX), Y9
	VBROADCASTSS 8(DX), Y10
	VBROADCASTSS 12(DX), Y11
	VMULPS (SI), Y8, Y0
	VMULPS 32(SI), Y9, Y1
	VMULPS 64(SI), Y10, Y2
	VMULPS 96(SI), Y11, Y3
	CLAMPCVT(Y0)
	CLAMPCVT(Y1)
	CLAMPCVT(Y2)
	CLAMPCVT(Y3)
	PACK32
	VMOVDQU Y0, (DI)
	ADDQ $128, SI
	ADDQ $16, DX
	ADDQ $32, DI
	SUBQ $32, CX
	JMP  rloop32

rloop8:
	CMPQ CX, $8
	JB   rdone
	VBROADCASTSS (DX), Y8
	VMULPS (SI), Y8, Y0
	CLAMPCVT(Y0)
	PACK8
	VMOVQ X0, (DI)
	ADDQ $32, SI
	ADDQ $4, DX
	ADDQ $8, DI
	SUBQ $8, CX
	JMP  rloop8

rdone:
	VZEROUPPER
	RET

// func DequantizeI8Runs8AVX2(q []int8, scale []float32, x []float32)
TEXT ·DequantizeI8Runs8AVX2(SB), NOSPLIT, $0-72
	MOVQ q_base+0(FP), SI      // SI: next input byte
	MOVQ q_len+8(FP), CX       // CX: elements left
	MOVQ scale_base+24(FP), DX // DX: scale of the next run of 8
	MOVQ x_base+48(FP), DI     // DI: next output float

eloop32:
	CMPQ CX, $32
	JB   eloop8
	VPMOVSXBD (SI), Y0
	VPMOVSXBD 8(SI), Y1
	VPMOVSXBD 16(SI), Y2
	VPMOVSXBD 24(SI), Y3
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	VBROADCASTSS (DX), Y8
	VBROADCASTSS 4(DX), Y9
	VBROADCASTSS 8(DX), Y10
	VBROADCASTSS 12(DX), Y11
	VMULPS Y8, Y0, Y0
	VMULPS Y9, Y1, Y1
	VMULPS Y10, Y2, Y2
	VMULPS Y11, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $32, SI
	ADDQ $16, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  eloop32

eloop8:
	CMPQ CX, $8
	JB   edone
	VPMOVSXBD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VBROADCASTSS (DX), Y8
	VMULPS Y8, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $8, SI
	ADDQ $4, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  eloop8

edone:
	VZEROUPPER
	RET
