//go:build !noasm

#include "textflag.h"
#include "exp_avx512_amd64.h"

// RMSNorm pieces in AVX-512 (F + BW + VL). Every kernel takes any length: a
// wide main loop, then narrower steps, then one masked step for the last
// elements, which reads and writes nothing past the slices. CX counts the
// elements left. Sums of squares are accumulated as float64 in zmm
// registers (eight lanes each) with fused multiply-adds; the final
// horizontal sum adds the accumulators pairwise. The gates use EXP_AVX512
// (bit for bit the pure-Go Exp) with its constants in Z20..Z31.

DATA zn127<>+0(SB)/4, $127.0
GLOBL zn127<>(SB), RODATA|NOPTR, $4

// VPERMD indices restoring element order after VPACKSSDW + VPACKSSWB of
// four zmm vectors (see quantize_avx512_amd64.s).
DATA znperm<>+0(SB)/4, $0
DATA znperm<>+4(SB)/4, $4
DATA znperm<>+8(SB)/4, $8
DATA znperm<>+12(SB)/4, $12
DATA znperm<>+16(SB)/4, $1
DATA znperm<>+20(SB)/4, $5
DATA znperm<>+24(SB)/4, $9
DATA znperm<>+28(SB)/4, $13
DATA znperm<>+32(SB)/4, $2
DATA znperm<>+36(SB)/4, $6
DATA znperm<>+40(SB)/4, $10
DATA znperm<>+44(SB)/4, $14
DATA znperm<>+48(SB)/4, $3
DATA znperm<>+52(SB)/4, $7
DATA znperm<>+56(SB)/4, $11
DATA znperm<>+60(SB)/4, $15
GLOBL znperm<>(SB), RODATA|NOPTR, $64

// NMASK sets K1 to the low CX bits (CX < 16). Clobbers AX.
#define NMASK \
	MOVL  $1, AX \
	SHLL  CX, AX \
	DECL  AX \
	KMOVW AX, K1

// ZSQ(r, ry, lo, hi) adds the squares of the 16 floats of r (ry: its low
// half) to the float64 accumulators lo (low 8) and hi (high 8). Clobbers
// Z8, Z9.
#define ZSQ(r, ry, lo, hi) \
	VCVTPS2PD     ry, Z8 \
	VEXTRACTF32X8 $1, r, Y9 \
	VCVTPS2PD     Y9, Z9 \
	VFMADD231PD   Z8, Z8, lo \
	VFMADD231PD   Z9, Z9, hi

// ZHSUM(ret) stores the sum of the float64 lanes of Z0..Z3 at ret.
#define ZHSUM(ret) \
	VADDPD        Z1, Z0, Z0 \
	VADDPD        Z3, Z2, Z2 \
	VADDPD        Z2, Z0, Z0 \
	VEXTRACTF64X4 $1, Z0, Y1 \
	VADDPD        Y1, Y0, Y0 \
	VEXTRACTF128  $1, Y0, X1 \
	VADDPD        X1, X0, X0 \
	VHADDPD       X0, X0, X0 \
	VMOVSD        X0, ret

// func SumSqAVX512(x []float32) float64
TEXT ·SumSqAVX512(SB), NOSPLIT, $0-32
	MOVQ   x_base+0(FP), SI   // SI: next float
	MOVQ   x_len+8(FP), CX
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3
ss32:
	CMPQ        CX, $32
	JB          ss8
	VCVTPS2PD   (SI), Z4
	VCVTPS2PD   32(SI), Z5
	VCVTPS2PD   64(SI), Z6
	VCVTPS2PD   96(SI), Z7
	VFMADD231PD Z4, Z4, Z0
	VFMADD231PD Z5, Z5, Z1
	VFMADD231PD Z6, Z6, Z2
	VFMADD231PD Z7, Z7, Z3
	ADDQ        $128, SI
	SUBQ        $32, CX
	JMP         ss32
ss8:
	CMPQ        CX, $8
	JB          sstail
	VCVTPS2PD   (SI), Z4
	VFMADD231PD Z4, Z4, Z0
	ADDQ        $32, SI
	SUBQ        $8, CX
	JMP         ss8
sstail:
	TESTQ       CX, CX
	JZ          ssdone
	NMASK
	VMOVUPS.Z   (SI), K1, Y4
	VCVTPS2PD   Y4, Z4
	VFMADD231PD Z4, Z4, Z1
ssdone:
	ZHSUM(ret+24(FP))
	VZEROUPPER
	RET

// func AddSumSqAVX512(res, h []float32) float64
TEXT ·AddSumSqAVX512(SB), NOSPLIT, $0-56
	MOVQ   res_base+0(FP), DI // DI: next residual float (read and written)
	MOVQ   res_len+8(FP), CX
	MOVQ   h_base+24(FP), SI  // SI: next h float
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3
as32:
	CMPQ    CX, $32
	JB      as16
	VMOVUPS (DI), Z4
	VMOVUPS 64(DI), Z5
	VADDPS  (SI), Z4, Z4
	VADDPS  64(SI), Z5, Z5
	VMOVUPS Z4, (DI)
	VMOVUPS Z5, 64(DI)
	ZSQ(Z4, Y4, Z0, Z1)
	ZSQ(Z5, Y5, Z2, Z3)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	JMP     as32
as16:
	CMPQ    CX, $16
	JB      astail
	VMOVUPS (DI), Z4
	VADDPS  (SI), Z4, Z4
	VMOVUPS Z4, (DI)
	ZSQ(Z4, Y4, Z0, Z1)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
astail:
	TESTQ     CX, CX
	JZ        asdone
	NMASK
	VMOVUPS.Z (DI), K1, Z4
	VMOVUPS.Z (SI), K1, Z5
	VADDPS    Z5, Z4, Z4
	VMOVUPS   Z4, K1, (DI)
	ZSQ(Z4, Y4, Z2, Z3)
asdone:
	ZHSUM(ret+48(FP))
	VZEROUPPER
	RET

// func ScaleMulAVX512(out, v, w []float32, s float32)
TEXT ·ScaleMulAVX512(SB), NOSPLIT, $0-76
	MOVQ out_base+0(FP), DI    // DI: next output float
	MOVQ v_base+24(FP), SI     // SI: next v float
	MOVQ v_len+32(FP), CX
	MOVQ w_base+48(FP), DX     // DX: next weight
	VBROADCASTSS s+72(FP), Z12
sm32:
	CMPQ    CX, $32
	JB      sm16
	VMULPS  (SI), Z12, Z0
	VMULPS  64(SI), Z12, Z1
	VMULPS  (DX), Z0, Z0
	VMULPS  64(DX), Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ    $128, SI
	ADDQ    $128, DX
	ADDQ    $128, DI
	SUBQ    $32, CX
	JMP     sm32
sm16:
	CMPQ    CX, $16
	JB      smtail
	VMULPS  (SI), Z12, Z0
	VMULPS  (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
smtail:
	TESTQ     CX, CX
	JZ        smdone
	NMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VMULPS    Z12, Z0, Z0
	VMULPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DI)
smdone:
	VZEROUPPER
	RET

// ZQ(r) multiplies r by its weights (already scaled by s), clamps it from
// above (Z13 = 127, NaN gives 127) and converts to int32 rounding half to
// even; values below -128 saturate to -128 in the packs that follow.
#define ZQ(r) \
	VMINPS    Z13, r, r \
	VCVTPS2DQ r, r

// func ScaleMulQuantAVX512(q []int8, v, w []float32, s float32)
TEXT ·ScaleMulQuantAVX512(SB), NOSPLIT, $0-76
	MOVQ q_base+0(FP), DI      // DI: next output byte
	MOVQ v_base+24(FP), SI     // SI: next v float
	MOVQ v_len+32(FP), CX
	MOVQ w_base+48(FP), DX     // DX: next weight
	VBROADCASTSS s+72(FP), Z12
	VBROADCASTSS zn127<>(SB), Z13
	VMOVDQU32 znperm<>(SB), Z15
sq64:
	CMPQ      CX, $64
	JB        sq16
	VMULPS    (SI), Z12, Z0
	VMULPS    64(SI), Z12, Z1
	VMULPS    128(SI), Z12, Z2
	VMULPS    192(SI), Z12, Z3
	VMULPS    (DX), Z0, Z0
	VMULPS    64(DX), Z1, Z1
	VMULPS    128(DX), Z2, Z2
	VMULPS    192(DX), Z3, Z3
	ZQ(Z0)
	ZQ(Z1)
	ZQ(Z2)
	ZQ(Z3)
	VPACKSSDW Z1, Z0, Z0
	VPACKSSDW Z3, Z2, Z2
	VPACKSSWB Z2, Z0, Z0
	VPERMD    Z0, Z15, Z0
	VMOVDQU8  Z0, (DI)
	ADDQ      $256, SI
	ADDQ      $256, DX
	ADDQ      $64, DI
	SUBQ      $64, CX
	JMP       sq64
sq16:
	CMPQ     CX, $16
	JB       sqtail
	VMULPS   (SI), Z12, Z0
	VMULPS   (DX), Z0, Z0
	ZQ(Z0)
	VPMOVSDB Z0, X0
	VMOVDQU  X0, (DI)
	ADDQ     $64, SI
	ADDQ     $64, DX
	ADDQ     $16, DI
	SUBQ     $16, CX
	JMP      sq16
sqtail:
	TESTQ     CX, CX
	JZ        sqdone
	NMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VMULPS    Z12, Z0, Z0
	VMULPS    Z1, Z0, Z0
	ZQ(Z0)
	VPMOVSDB  Z0, X0
	VMOVDQU8  X0, K1, (DI)
sqdone:
	VZEROUPPER
	RET

// ZGSQ(r, ry, lo, hi): ZSQ with Z14, Z15 as scratch (the gates keep Z8, Z9
// busy).
#define ZGSQ(r, ry, lo, hi) \
	VCVTPS2PD     ry, Z14 \
	VEXTRACTF32X8 $1, r, Y15 \
	VCVTPS2PD     Y15, Z15 \
	VFMADD231PD   Z14, Z14, lo \
	VFMADD231PD   Z15, Z15, hi

// ZGSILU(a, x, t0, t1, t2): a = a/(1+exp(-a)); x, t0..t2 scratch.
#define ZGSILU(a, x, t0, t1, t2) \
	VPXORD.BCST expc16<>+48(SB), a, x \
	EXP_AVX512(x, t0, t1, t2) \
	VADDPS Z20, x, x \
	VDIVPS x, a, a

// Gate registers: DI v, SI y, DX z, CX elements left; Z0 and Z5 the two
// blocks of 16 (z, then silu(z), then v), Z1..Z4 and Z6..Z9 their scratch;
// Z0..Z3 are reused for the final sum, so the squares go to Z10..Z13.

// func GateF32AVX512(v, y, z []float32) float64
TEXT ·GateF32AVX512(SB), NOSPLIT, $0-80
	MOVQ   v_base+0(FP), DI    // DI: next output float
	MOVQ   v_len+8(FP), CX
	MOVQ   y_base+24(FP), SI   // SI: next y
	MOVQ   z_base+48(FP), DX   // DX: next z
	EXP512_CONST
	VXORPD Z10, Z10, Z10
	VXORPD Z11, Z11, Z11
	VXORPD Z12, Z12, Z12
	VXORPD Z13, Z13, Z13
gf32:
	CMPQ    CX, $32
	JB      gf16
	VMOVUPS (DX), Z0
	VMOVUPS 64(DX), Z5
	ZGSILU(Z0, Z1, Z2, Z3, Z4)
	ZGSILU(Z5, Z6, Z7, Z8, Z9)
	VMULPS  (SI), Z0, Z0       // v = silu(z)·y
	VMULPS  64(SI), Z5, Z5
	VMOVUPS Z0, (DI)
	VMOVUPS Z5, 64(DI)
	ZGSQ(Z0, Y0, Z10, Z11)
	ZGSQ(Z5, Y5, Z12, Z13)
	ADDQ    $128, SI
	ADDQ    $128, DX
	ADDQ    $128, DI
	SUBQ    $32, CX
	JMP     gf32
gf16:
	CMPQ    CX, $16
	JB      gftail
	VMOVUPS (DX), Z0
	ZGSILU(Z0, Z1, Z2, Z3, Z4)
	VMULPS  (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ZGSQ(Z0, Y0, Z10, Z11)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
gftail:
	TESTQ     CX, CX
	JZ        gfdone
	NMASK
	VMOVUPS.Z (DX), K1, Z0     // silu(0)·0 = 0 in the masked lanes
	VMOVUPS.Z (SI), K1, Z5
	ZGSILU(Z0, Z1, Z2, Z3, Z4)
	VMULPS    Z5, Z0, Z0
	VMOVUPS   Z0, K1, (DI)
	ZGSQ(Z0, Y0, Z12, Z13)
gfdone:
	VMOVAPD Z10, Z0
	VMOVAPD Z11, Z1
	VMOVAPD Z12, Z2
	VMOVAPD Z13, Z3
	ZHSUM(ret+72(FP))
	VZEROUPPER
	RET

// func GateI8AVX512(v, y []float32, zq []int8, zScale float32) float64
TEXT ·GateI8AVX512(SB), NOSPLIT, $0-88
	MOVQ   v_base+0(FP), DI    // DI: next output float
	MOVQ   v_len+8(FP), CX
	MOVQ   y_base+24(FP), SI   // SI: next y
	MOVQ   zq_base+48(FP), DX  // DX: next int8 z
	VBROADCASTSS zScale+72(FP), Z16
	EXP512_CONST
	VXORPD Z10, Z10, Z10
	VXORPD Z11, Z11, Z11
	VXORPD Z12, Z12, Z12
	VXORPD Z13, Z13, Z13
gi32:
	CMPQ      CX, $32
	JB        gi16
	VPMOVSXBD (DX), Z0
	VPMOVSXBD 16(DX), Z5
	VCVTDQ2PS Z0, Z0
	VCVTDQ2PS Z5, Z5
	VMULPS    Z16, Z0, Z0      // zf = float32(z)·zScale
	VMULPS    Z16, Z5, Z5
	ZGSILU(Z0, Z1, Z2, Z3, Z4)
	ZGSILU(Z5, Z6, Z7, Z8, Z9)
	VMULPS    (SI), Z0, Z0
	VMULPS    64(SI), Z5, Z5
	VMOVUPS   Z0, (DI)
	VMOVUPS   Z5, 64(DI)
	ZGSQ(Z0, Y0, Z10, Z11)
	ZGSQ(Z5, Y5, Z12, Z13)
	ADDQ      $128, SI
	ADDQ      $32, DX
	ADDQ      $128, DI
	SUBQ      $32, CX
	JMP       gi32
gi16:
	CMPQ      CX, $16
	JB        gitail
	VPMOVSXBD (DX), Z0
	VCVTDQ2PS Z0, Z0
	VMULPS    Z16, Z0, Z0
	ZGSILU(Z0, Z1, Z2, Z3, Z4)
	VMULPS    (SI), Z0, Z0
	VMOVUPS   Z0, (DI)
	ZGSQ(Z0, Y0, Z10, Z11)
	ADDQ      $64, SI
	ADDQ      $16, DX
	ADDQ      $64, DI
	SUBQ      $16, CX
gitail:
	TESTQ      CX, CX
	JZ         gidone
	NMASK
	VMOVDQU8.Z (DX), K1, X0
	VMOVUPS.Z  (SI), K1, Z5
	VPMOVSXBD  X0, Z0
	VCVTDQ2PS  Z0, Z0
	VMULPS     Z16, Z0, Z0
	ZGSILU(Z0, Z1, Z2, Z3, Z4)
	VMULPS     Z5, Z0, Z0
	VMOVUPS    Z0, K1, (DI)
	ZGSQ(Z0, Y0, Z12, Z13)
gidone:
	VMOVAPD Z10, Z0
	VMOVAPD Z11, Z1
	VMOVAPD Z12, Z2
	VMOVAPD Z13, Z3
	ZHSUM(ret+80(FP))
	VZEROUPPER
	RET
