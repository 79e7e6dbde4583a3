//go:build !noasm

#include "textflag.h"

// Symmetric int8 quantization with AVX-512 (F + BW). The quantizers walk 64
// elements per iteration (four zmm registers), then 16-element steps, then
// one masked step for the last 1..15 elements, so any length is handled and
// nothing outside the slices is read or written. ScaleF32AVX512 (the k = 1
// Hadamard normalisation) takes multiples of 16.
//
// Rounding is VCVTPS2DQ under the default MXCSR mode (round half to even).
// Saturation: VMINPS with 127 as the second source first (NaN and anything
// >= 127 become 127); values below -128 are left alone: they convert to an
// int32 <= -129 (or to the "integer indefinite" 0x80000000 for -Inf and
// magnitudes beyond 2^31), which the saturating packs VPACKSSDW /
// VPACKSSWB or the saturating narrowing VPMOVSDB turn into -128. The
// results are the same as those of the AVX2 kernels and the pure-Go twin.

DATA zqf127<>+0(SB)/4, $127.0
GLOBL zqf127<>(SB), RODATA|NOPTR, $4

// VPERMD indices that undo the lane interleaving of VPACKSSDW + VPACKSSWB
// on four zmm vectors a, b, c, d: after the packs, dword 4L+v holds the four
// bytes of 128-bit lane L of vector v; the output wants a's four lanes,
// then b's, c's and d's, i.e. dword j comes from 4·(j mod 4) + j/4.
DATA zqperm<>+0(SB)/4, $0
DATA zqperm<>+4(SB)/4, $4
DATA zqperm<>+8(SB)/4, $8
DATA zqperm<>+12(SB)/4, $12
DATA zqperm<>+16(SB)/4, $1
DATA zqperm<>+20(SB)/4, $5
DATA zqperm<>+24(SB)/4, $9
DATA zqperm<>+28(SB)/4, $13
DATA zqperm<>+32(SB)/4, $2
DATA zqperm<>+36(SB)/4, $6
DATA zqperm<>+40(SB)/4, $10
DATA zqperm<>+44(SB)/4, $14
DATA zqperm<>+48(SB)/4, $3
DATA zqperm<>+52(SB)/4, $7
DATA zqperm<>+56(SB)/4, $11
DATA zqperm<>+60(SB)/4, $15
GLOBL zqperm<>(SB), RODATA|NOPTR, $64

// ZCVT clamps the floats of r from above (Z13 = 127) and converts them to
// int32, rounding half to even.
#define ZCVT(r) \
	VMINPS    Z13, r, r \
	VCVTPS2DQ r, r

// ZPACK64 packs the int32 vectors Z0..Z3 into 64 ordered, saturated bytes in
// Z0. Needs Z15 = zqperm.
#define ZPACK64 \
	VPACKSSDW Z1, Z0, Z0 \
	VPACKSSDW Z3, Z2, Z2 \
	VPACKSSWB Z2, Z0, Z0 \
	VPERMD    Z0, Z15, Z0

// TAILMASK sets K1 to the low CX bits (CX < 16). Clobbers AX and CX.
#define TAILMASK \
	MOVL  $1, AX \
	SHLL  CX, AX \
	DECL  AX \
	KMOVW AX, K1

// func QuantizeI8AVX512(x []float32, invScale float32, q []int8)
TEXT ·QuantizeI8AVX512(SB), NOSPLIT, $0-56
	MOVQ x_base+0(FP), SI      // SI: next input float
	MOVQ x_len+8(FP), CX       // CX: elements left
	MOVQ q_base+32(FP), DI     // DI: next output byte
	VBROADCASTSS invScale+24(FP), Z12
	VBROADCASTSS zqf127<>(SB), Z13
	VMOVDQU32 zqperm<>(SB), Z15

qloop64:
	CMPQ CX, $64
	JB   qloop16
	VMULPS (SI), Z12, Z0
	VMULPS 64(SI), Z12, Z1
	VMULPS 128(SI), Z12, Z2
	VMULPS 192(SI), Z12, Z3
	ZCVT(Z0)
	ZCVT(Z1)
	ZCVT(Z2)
	ZCVT(Z3)
	ZPACK64
	VMOVDQU8 Z0, (DI)
	ADDQ $256, SI
	ADDQ $64, DI
	SUBQ $64, CX
	JMP  qloop64

qloop16:
	CMPQ CX, $16
	JB   qtail
	VMULPS (SI), Z12, Z0
	ZCVT(Z0)
	VPMOVSDB Z0, X0
	VMOVDQU X0, (DI)
	ADDQ $64, SI
	ADDQ $16, DI
	SUBQ $16, CX
	JMP  qloop16

qtail:
	TESTQ CX, CX
	JZ    qdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMULPS    Z12, Z0, Z0
	ZCVT(Z0)
	VPMOVSDB  Z0, X0
	VMOVDQU8  X0, K1, (DI)

qdone:
	VZEROUPPER
	RET

// func QuantizeI8ChanAVX512(x []float32, invScale []float32, q []int8)
TEXT ·QuantizeI8ChanAVX512(SB), NOSPLIT, $0-72
	MOVQ x_base+0(FP), SI         // SI: next input float
	MOVQ x_len+8(FP), CX          // CX: elements left
	MOVQ invScale_base+24(FP), DX // DX: next inverse scale
	MOVQ q_base+48(FP), DI        // DI: next output byte
	VBROADCASTSS zqf127<>(SB), Z13
	VMOVDQU32 zqperm<>(SB), Z15

cloop64:
	CMPQ CX, $64
	JB   cloop16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VMULPS (DX), Z0, Z0
	VMULPS 64(DX), Z1, Z1
	VMULPS 128(DX), Z2, Z2
	VMULPS 192(DX), Z3, Z3
	ZCVT(Z0)
	ZCVT(Z1)
	ZCVT(Z2)
	ZCVT(Z3)
	ZPACK64
	VMOVDQU8 Z0, (DI)
	ADDQ $256, SI
	ADDQ $256, DX
	ADDQ $64, DI
	SUBQ $64, CX
	JMP  cloop64

cloop16:
	CMPQ CX, $16
	JB   ctail
	VMOVUPS (SI), Z0
	VMULPS (DX), Z0, Z0
	ZCVT(Z0)
	VPMOVSDB Z0, X0
	VMOVDQU X0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $16, DI
	SUBQ $16, CX
	JMP  cloop16

ctail:
	TESTQ CX, CX
	JZ    cdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VMULPS    Z1, Z0, Z0
	ZCVT(Z0)
	VPMOVSDB  Z0, X0
	VMOVDQU8  X0, K1, (DI)

cdone:
	VZEROUPPER
	RET

// func DequantizeI8AVX512(q []int8, scale float32, x []float32)
TEXT ·DequantizeI8AVX512(SB), NOSPLIT, $0-56
	MOVQ q_base+0(FP), SI      // SI: next input byte
	MOVQ q_len+8(FP), CX       // CX: elements left
	MOVQ x_base+32(FP), DI     // DI: next output float
	VBROADCASTSS scale+24(FP), Z12

dloop64:
	CMPQ CX, $64
	JB   dloop16
	VPMOVSXBD (SI), Z0
	VPMOVSXBD 16(SI), Z1
	VPMOVSXBD 32(SI), Z2
	VPMOVSXBD 48(SI), Z3
	VCVTDQ2PS Z0, Z0
	VCVTDQ2PS Z1, Z1
	VCVTDQ2PS Z2, Z2
	VCVTDQ2PS Z3, Z3
	VMULPS Z12, Z0, Z0
	VMULPS Z12, Z1, Z1
	VMULPS Z12, Z2, Z2
	VMULPS Z12, Z3, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $64, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  dloop64

dloop16:
	CMPQ CX, $16
	JB   dtail
	VPMOVSXBD (SI), Z0
	VCVTDQ2PS Z0, Z0
	VMULPS Z12, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $16, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  dloop16

dtail:
	TESTQ CX, CX
	JZ    ddone
	TAILMASK
	VMOVDQU8.Z (SI), K1, X0
	VPMOVSXBD  X0, Z0
	VCVTDQ2PS  Z0, Z0
	VMULPS     Z12, Z0, Z0
	VMOVUPS    Z0, K1, (DI)

ddone:
	VZEROUPPER
	RET

// func ScaleF32AVX512(x []float32, s float32)
TEXT ·ScaleF32AVX512(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI      // SI: next float
	MOVQ x_len+8(FP), CX       // CX: elements left
	VBROADCASTSS s+24(FP), Z12

sloop32:
	CMPQ CX, $32
	JB   sloop16
	VMULPS (SI), Z12, Z0
	VMULPS 64(SI), Z12, Z1
	VMOVUPS Z0, (SI)
	VMOVUPS Z1, 64(SI)
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  sloop32

sloop16:
	CMPQ CX, $16
	JB   sdone
	VMULPS (SI), Z12, Z0
	VMOVUPS Z0, (SI)

sdone:
	VZEROUPPER
	RET
