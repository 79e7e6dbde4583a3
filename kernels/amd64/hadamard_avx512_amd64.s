//go:build !noasm

#include "textflag.h"

// Hadamard transform kernels in AVX-512 (F + BW). They perform the same
// float32 additions, in the same order, as the AVX2 kernels and the pure-Go
// definition, so the results are bit-identical.

// Sign vectors of the four in-register butterfly stages (distance 1, 2, 4
// and 8): a vector v and its partner w (v with the elements at distance h
// swapped) combine as w + v·sign, which gives v[j]+v[j+h] in the low element
// of each pair and v[j]-v[j+h] in the high one (products by ±1 are exact, so
// the fused multiply-add rounds like the scalar add or subtract).
#define ZSIGN(name, a, b, c, d) \
	DATA name<>+0(SB)/4, $a; DATA name<>+4(SB)/4, $b; DATA name<>+8(SB)/4, $c; DATA name<>+12(SB)/4, $d

ZSIGN(zhs1, 1.0, -1.0, 1.0, -1.0)
DATA zhs1<>+16(SB)/4, $1.0
DATA zhs1<>+20(SB)/4, $-1.0
DATA zhs1<>+24(SB)/4, $1.0
DATA zhs1<>+28(SB)/4, $-1.0
DATA zhs1<>+32(SB)/4, $1.0
DATA zhs1<>+36(SB)/4, $-1.0
DATA zhs1<>+40(SB)/4, $1.0
DATA zhs1<>+44(SB)/4, $-1.0
DATA zhs1<>+48(SB)/4, $1.0
DATA zhs1<>+52(SB)/4, $-1.0
DATA zhs1<>+56(SB)/4, $1.0
DATA zhs1<>+60(SB)/4, $-1.0
GLOBL zhs1<>(SB), RODATA|NOPTR, $64

ZSIGN(zhs2, 1.0, 1.0, -1.0, -1.0)
DATA zhs2<>+16(SB)/4, $1.0
DATA zhs2<>+20(SB)/4, $1.0
DATA zhs2<>+24(SB)/4, $-1.0
DATA zhs2<>+28(SB)/4, $-1.0
DATA zhs2<>+32(SB)/4, $1.0
DATA zhs2<>+36(SB)/4, $1.0
DATA zhs2<>+40(SB)/4, $-1.0
DATA zhs2<>+44(SB)/4, $-1.0
DATA zhs2<>+48(SB)/4, $1.0
DATA zhs2<>+52(SB)/4, $1.0
DATA zhs2<>+56(SB)/4, $-1.0
DATA zhs2<>+60(SB)/4, $-1.0
GLOBL zhs2<>(SB), RODATA|NOPTR, $64

ZSIGN(zhs4, 1.0, 1.0, 1.0, 1.0)
DATA zhs4<>+16(SB)/4, $-1.0
DATA zhs4<>+20(SB)/4, $-1.0
DATA zhs4<>+24(SB)/4, $-1.0
DATA zhs4<>+28(SB)/4, $-1.0
DATA zhs4<>+32(SB)/4, $1.0
DATA zhs4<>+36(SB)/4, $1.0
DATA zhs4<>+40(SB)/4, $1.0
DATA zhs4<>+44(SB)/4, $1.0
DATA zhs4<>+48(SB)/4, $-1.0
DATA zhs4<>+52(SB)/4, $-1.0
DATA zhs4<>+56(SB)/4, $-1.0
DATA zhs4<>+60(SB)/4, $-1.0
GLOBL zhs4<>(SB), RODATA|NOPTR, $64

ZSIGN(zhs8, 1.0, 1.0, 1.0, 1.0)
DATA zhs8<>+16(SB)/4, $1.0
DATA zhs8<>+20(SB)/4, $1.0
DATA zhs8<>+24(SB)/4, $1.0
DATA zhs8<>+28(SB)/4, $1.0
DATA zhs8<>+32(SB)/4, $-1.0
DATA zhs8<>+36(SB)/4, $-1.0
DATA zhs8<>+40(SB)/4, $-1.0
DATA zhs8<>+44(SB)/4, $-1.0
DATA zhs8<>+48(SB)/4, $-1.0
DATA zhs8<>+52(SB)/4, $-1.0
DATA zhs8<>+56(SB)/4, $-1.0
DATA zhs8<>+60(SB)/4, $-1.0
GLOBL zhs8<>(SB), RODATA|NOPTR, $64

DATA zhf127<>+0(SB)/4, $127.0
GLOBL zhf127<>(SB), RODATA|NOPTR, $4

// func FWHTAVX512(x []float32)
//
// Pass 1 runs the stages h = 1, 2, 4, 8 inside each 16-float vector. The
// stages h = 16, 32, …, n/2 then go two per pass (radix 4: stage h on
// a, b, c, d = x[j], x[j+h], x[j+2h], x[j+3h], then stage 2h on the
// results, the same additions in the same order as two radix-2 passes),
// with a final radix-2 pass when their number is odd.
TEXT ·FWHTAVX512(SB), NOSPLIT, $0-24
	MOVQ x_base+0(FP), DI      // DI: x
	MOVQ x_len+8(FP), CX
	SHLQ $2, CX                // CX: n in bytes
	LEAQ (DI)(CX*1), DX        // DX: end of x
	VMOVUPS zhs1<>(SB), Z12
	VMOVUPS zhs2<>(SB), Z13
	VMOVUPS zhs4<>(SB), Z14
	VMOVUPS zhs8<>(SB), Z15

	MOVQ DI, SI                // SI: current vector
intra:
	VMOVUPS     (SI), Z0
	VPERMILPS   $0xB1, Z0, Z1       // partners at distance 1
	VFMADD231PS Z12, Z0, Z1         // Z1 = Z0·sign1 + Z1
	VPERMILPS   $0x4E, Z1, Z2       // distance 2
	VFMADD231PS Z13, Z1, Z2
	VSHUFF32X4  $0xB1, Z2, Z2, Z3   // distance 4: swap 128-bit lanes 0↔1, 2↔3
	VFMADD231PS Z14, Z2, Z3
	VSHUFF32X4  $0x4E, Z3, Z3, Z0   // distance 8: swap the 256-bit halves
	VFMADD231PS Z15, Z3, Z0
	VMOVUPS     Z0, (SI)
	ADDQ        $64, SI
	CMPQ        SI, DX
	JB          intra

	MOVQ $64, BX               // BX: stage distance h in bytes
stage4:
	LEAQ (BX*4), R10
	CMPQ R10, CX               // two stages left (4h <= n)?
	JA   stage2
	LEAQ (BX)(BX*2), R11       // R11: 3h
	MOVQ DI, SI                // SI: start of the current 4h block
block4:
	LEAQ (SI)(BX*1), R8        // R8: end of the block's first quarter
	MOVQ SI, R9                // R9: a; R9+h: b; R9+2h: c; R9+3h: d
quad:
	VMOVUPS (R9), Z0
	VMOVUPS (R9)(BX*1), Z1
	VMOVUPS (R9)(BX*2), Z2
	VMOVUPS (R9)(R11*1), Z3
	VADDPS  Z1, Z0, Z4         // stage h: a+b, a-b, c+d, c-d
	VSUBPS  Z1, Z0, Z5
	VADDPS  Z3, Z2, Z6
	VSUBPS  Z3, Z2, Z7
	VADDPS  Z6, Z4, Z0         // stage 2h
	VADDPS  Z7, Z5, Z1
	VSUBPS  Z6, Z4, Z2
	VSUBPS  Z7, Z5, Z3
	VMOVUPS Z0, (R9)
	VMOVUPS Z1, (R9)(BX*1)
	VMOVUPS Z2, (R9)(BX*2)
	VMOVUPS Z3, (R9)(R11*1)
	ADDQ    $64, R9
	CMPQ    R9, R8
	JB      quad
	LEAQ    (SI)(BX*4), SI
	CMPQ    SI, DX
	JB      block4
	SHLQ    $2, BX
	JMP     stage4

stage2:
	CMPQ BX, CX                // one stage left (2h <= n)?
	JAE  done
	MOVQ DI, SI                // SI: start of the current 2h block
block:
	LEAQ (SI)(BX*1), R8        // R8: end of the block's first half
	MOVQ SI, R9                // R9: a, R9+h: b
pair:
	VMOVUPS (R9), Z0
	VMOVUPS (R9)(BX*1), Z1
	VADDPS  Z1, Z0, Z2
	VSUBPS  Z1, Z0, Z3
	VMOVUPS Z2, (R9)
	VMOVUPS Z3, (R9)(BX*1)
	ADDQ    $64, R9
	CMPQ    R9, R8
	JB      pair
	LEAQ    (SI)(BX*2), SI
	CMPQ    SI, DX
	JB      block

done:
	VZEROUPPER
	RET

// MIX4 computes, for the four output rows i..i+3 and the 32 columns at R9,
// the sums Z0, Z1 (row i), Z2, Z3 (row i+1), Z4, Z5 (row i+2), Z6, Z7
// (row i+3) of ±x[kk][cols] over kk = 0..k-1, in kk order from +0.
// Register roles: DI x, CX row stride p·4, R9 column offset in bytes,
// R12 &h[i][0], R15 the end of h row i, R13 the row stride of h (k·4
// bytes), R8 = 3·R13.
// Clobbers Z8..Z11, Z16..Z19, R10, R14.
#define MIX4 \
	VXORPS Z0, Z0, Z0 \
	VXORPS Z1, Z1, Z1 \
	VXORPS Z2, Z2, Z2 \
	VXORPS Z3, Z3, Z3 \
	VXORPS Z4, Z4, Z4 \
	VXORPS Z5, Z5, Z5 \
	VXORPS Z6, Z6, Z6 \
	VXORPS Z7, Z7, Z7 \
	LEAQ (DI)(R9*1), R14 \
	MOVQ R12, R10 \
mixk: \
	VMOVUPS      (R14), Z8 \
	VMOVUPS      64(R14), Z9 \
	VBROADCASTSS (R10), Z16 \
	VBROADCASTSS (R10)(R13*1), Z17 \
	VBROADCASTSS (R10)(R13*2), Z18 \
	VBROADCASTSS (R10)(R8*1), Z19 \
	VFMADD231PS  Z16, Z8, Z0 \
	VFMADD231PS  Z16, Z9, Z1 \
	VFMADD231PS  Z17, Z8, Z2 \
	VFMADD231PS  Z17, Z9, Z3 \
	VFMADD231PS  Z18, Z8, Z4 \
	VFMADD231PS  Z18, Z9, Z5 \
	VFMADD231PS  Z19, Z8, Z6 \
	VFMADD231PS  Z19, Z9, Z7 \
	ADDQ CX, R14 \
	ADDQ $4, R10 \
	CMPQ R10, R15 \
	JB mixk

// func HadamardMixAVX512(x []float32, p int, h []float32, k int, norm float32, tmp []float32)
//
// Loops: column blocks of 32 floats (R9) × groups of four rows (R11). Each
// group's accumulators go, times norm, to tmp rows i..i+3 (32 floats each);
// once all k rows of the column block are done, tmp is copied back into x.
// k is a multiple of 4.
TEXT ·HadamardMixAVX512(SB), NOSPLIT, $0-96
	MOVQ x_base+0(FP), DI      // DI: x
	MOVQ p+24(FP), CX
	SHLQ $2, CX                // CX: row stride in bytes
	MOVQ h_base+32(FP), SI     // SI: h
	MOVQ k+56(FP), DX
	LEAQ (DX*4), R13           // R13: row stride of h in bytes
	LEAQ (R13)(R13*2), R8      // R8: 3 rows of h
	IMULQ R13, DX
	ADDQ SI, DX                // DX: end of h
	VBROADCASTSS norm+64(FP), Z15
	MOVQ tmp_base+72(FP), BX   // BX: tmp
	XORQ R9, R9                // R9: column offset in bytes

mcol:
	MOVQ SI, R12               // R12: &h[i][0]
	MOVQ BX, AX                // AX: &tmp[i][0]
mrow:
	LEAQ (R12)(R13*1), R15     // R15: end of h row i
	MIX4
	VMULPS  Z15, Z0, Z0
	VMULPS  Z15, Z1, Z1
	VMULPS  Z15, Z2, Z2
	VMULPS  Z15, Z3, Z3
	VMULPS  Z15, Z4, Z4
	VMULPS  Z15, Z5, Z5
	VMULPS  Z15, Z6, Z6
	VMULPS  Z15, Z7, Z7
	VMOVUPS Z0, (AX)
	VMOVUPS Z1, 64(AX)
	VMOVUPS Z2, 128(AX)
	VMOVUPS Z3, 192(AX)
	VMOVUPS Z4, 256(AX)
	VMOVUPS Z5, 320(AX)
	VMOVUPS Z6, 384(AX)
	VMOVUPS Z7, 448(AX)
	ADDQ    $512, AX
	LEAQ    (R12)(R13*4), R12
	CMPQ    R12, DX
	JB      mrow

	// Copy the k finished rows of this column block back into x.
	LEAQ (DI)(R9*1), R14       // R14: &x[i][col]
	MOVQ BX, AX                // AX: &tmp[i][0]
	MOVQ k+56(FP), R11         // R11: rows left
mcopy:
	VMOVUPS (AX), Z0
	VMOVUPS 64(AX), Z1
	VMOVUPS Z0, (R14)
	VMOVUPS Z1, 64(R14)
	ADDQ    $128, AX
	ADDQ    CX, R14
	DECQ    R11
	JNZ     mcopy

	ADDQ $128, R9
	CMPQ R9, CX
	JB   mcol
	VZEROUPPER
	RET

// QROW(a, b, ax, bx, r) scales a and b by Z15, clamps them from above (Z14 = 127
// as second VMINPS source, so NaN gives 127), rounds half to even and stores
// the 32 saturated bytes at (r) (values below -128 saturate in VPMOVSDB);
// ax, bx are the X registers of a, b.
#define QROW(a, b, ax, bx, r) \
	VMULPS    Z15, a, a \
	VMULPS    Z15, b, b \
	VMINPS    Z14, a, a \
	VMINPS    Z14, b, b \
	VCVTPS2DQ a, a \
	VCVTPS2DQ b, b \
	VPMOVSDB  a, ax \
	VPMOVSDB  b, bx \
	VMOVDQU   ax, (r) \
	VMOVDQU   bx, 16(r)

// func HadamardMixQuantAVX512(x []float32, p int, h []float32, k int, c float32, q []int8)
//
// Same loops as HadamardMixAVX512; each group of four rows is quantized
// straight into q (row i at q + i·p + column).
TEXT ·HadamardMixQuantAVX512(SB), NOSPLIT, $0-96
	MOVQ x_base+0(FP), DI      // DI: x
	MOVQ p+24(FP), CX
	SHLQ $2, CX                // CX: row stride in bytes (floats)
	MOVQ h_base+32(FP), SI     // SI: h
	MOVQ k+56(FP), DX
	LEAQ (DX*4), R13           // R13: row stride of h in bytes
	LEAQ (R13)(R13*2), R8      // R8: 3 rows of h
	IMULQ R13, DX
	ADDQ SI, DX                // DX: end of h
	VBROADCASTSS c+64(FP), Z15
	VBROADCASTSS zhf127<>(SB), Z14
	MOVQ q_base+72(FP), BX     // BX: q
	MOVQ p+24(FP), AX          // AX: row stride in bytes (int8)
	XORQ R9, R9                // R9: column offset in bytes (floats)

qcol:
	MOVQ SI, R12               // R12: &h[i][0]
	MOVQ R9, R11
	SHRQ $2, R11
	ADDQ BX, R11               // R11: &q[i][col]
qrow:
	LEAQ (R12)(R13*1), R15     // R15: end of h row i
	MIX4
	QROW(Z0, Z1, X0, X1, R11)
	ADDQ AX, R11
	QROW(Z2, Z3, X2, X3, R11)
	ADDQ AX, R11
	QROW(Z4, Z5, X4, X5, R11)
	ADDQ AX, R11
	QROW(Z6, Z7, X6, X7, R11)
	ADDQ AX, R11
	LEAQ (R12)(R13*4), R12
	CMPQ R12, DX
	JB   qrow

	ADDQ $128, R9
	CMPQ R9, CX
	JB   qcol
	VZEROUPPER
	RET

// func ButterflyAVX512(a, b []float32)
TEXT ·ButterflyAVX512(SB), NOSPLIT, $0-48
	MOVQ a_base+0(FP), DI      // DI: next a
	MOVQ a_len+8(FP), CX       // CX: elements left
	MOVQ b_base+24(FP), SI     // SI: next b
bfly:
	CMPQ    CX, $16
	JB      bdone
	VMOVUPS (DI), Z0
	VMOVUPS (SI), Z1
	VADDPS  Z1, Z0, Z2
	VSUBPS  Z1, Z0, Z3
	VMOVUPS Z2, (DI)
	VMOVUPS Z3, (SI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     bfly
bdone:
	VZEROUPPER
	RET
