//go:build !noasm

#include "textflag.h"

// Sign vectors of the three in-register butterfly stages: a vector v and its
// partner w (v with elements swapped at distance 1, 2 or 4) combine as
// w + v·sign, giving v[j]+v[j+h] in the low element of each pair and
// -v[j+h]+v[j] = v[j]-v[j+h] in the high one (products by ±1 are exact, so
// the fused multiply-add rounds exactly like the scalar add or subtract).
DATA hsign1<>+0(SB)/4, $1.0
DATA hsign1<>+4(SB)/4, $-1.0
DATA hsign1<>+8(SB)/4, $1.0
DATA hsign1<>+12(SB)/4, $-1.0
DATA hsign1<>+16(SB)/4, $1.0
DATA hsign1<>+20(SB)/4, $-1.0
DATA hsign1<>+24(SB)/4, $1.0
DATA hsign1<>+28(SB)/4, $-1.0
GLOBL hsign1<>(SB), RODATA|NOPTR, $32

DATA hsign2<>+0(SB)/4, $1.0
DATA hsign2<>+4(SB)/4, $1.0
DATA hsign2<>+8(SB)/4, $-1.0
DATA hsign2<>+12(SB)/4, $-1.0
DATA hsign2<>+16(SB)/4, $1.0
DATA hsign2<>+20(SB)/4, $1.0
DATA hsign2<>+24(SB)/4, $-1.0
DATA hsign2<>+28(SB)/4, $-1.0
GLOBL hsign2<>(SB), RODATA|NOPTR, $32

DATA hsign4<>+0(SB)/4, $1.0
DATA hsign4<>+4(SB)/4, $1.0
DATA hsign4<>+8(SB)/4, $1.0
DATA hsign4<>+12(SB)/4, $1.0
DATA hsign4<>+16(SB)/4, $-1.0
DATA hsign4<>+20(SB)/4, $-1.0
DATA hsign4<>+24(SB)/4, $-1.0
DATA hsign4<>+28(SB)/4, $-1.0
GLOBL hsign4<>(SB), RODATA|NOPTR, $32

DATA hf127<>+0(SB)/4, $127.0
GLOBL hf127<>(SB), RODATA|NOPTR, $4
DATA hfm128<>+0(SB)/4, $-128.0
GLOBL hfm128<>(SB), RODATA|NOPTR, $4

// VPERMD indices restoring element order after VPACKSSDW + VPACKSSWB of four
// vectors (see quantize_avx2_amd64.s).
DATA hperm<>+0(SB)/4, $0
DATA hperm<>+4(SB)/4, $4
DATA hperm<>+8(SB)/4, $1
DATA hperm<>+12(SB)/4, $5
DATA hperm<>+16(SB)/4, $2
DATA hperm<>+20(SB)/4, $6
DATA hperm<>+24(SB)/4, $3
DATA hperm<>+28(SB)/4, $7
GLOBL hperm<>(SB), RODATA|NOPTR, $32

// func FWHTAVX2(x []float32)
//
// Pass 1 runs the stages h = 1, 2, 4 inside each 8-float vector. The
// stages h = 8, 16, …, n/2 then go two per pass (radix 4: stage h on
// a, b, c, d = x[j], x[j+h], x[j+2h], x[j+3h], then stage 2h on the
// results, the same additions in the same order as two radix-2 passes),
// with a final radix-2 pass when their number is odd.
TEXT ·FWHTAVX2(SB), NOSPLIT, $0-24
	MOVQ x_base+0(FP), DI      // DI: x
	MOVQ x_len+8(FP), CX
	SHLQ $2, CX                // CX: n in bytes
	LEAQ (DI)(CX*1), DX        // DX: end of x
	VMOVUPS hsign1<>(SB), Y13
	VMOVUPS hsign2<>(SB), Y14
	VMOVUPS hsign4<>(SB), Y15

	MOVQ DI, SI                // SI: current vector
intra:
	VMOVUPS     (SI), Y0
	VPERMILPS   $0xB1, Y0, Y1  // partners at distance 1
	VFMADD231PS Y13, Y0, Y1    // Y1 = Y0·sign1 + Y1
	VPERMILPS   $0x4E, Y1, Y2  // distance 2
	VFMADD231PS Y14, Y1, Y2
	VPERM2F128  $0x01, Y2, Y2, Y3 // distance 4: swap the 128-bit halves
	VFMADD231PS Y15, Y2, Y3
	VMOVUPS     Y3, (SI)
	ADDQ        $32, SI
	CMPQ        SI, DX
	JB          intra

	MOVQ $32, BX               // BX: stage distance h in bytes
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
	VMOVUPS (R9), Y0
	VMOVUPS (R9)(BX*1), Y1
	VMOVUPS (R9)(BX*2), Y2
	VMOVUPS (R9)(R11*1), Y3
	VADDPS  Y1, Y0, Y4         // stage h: a+b, a-b, c+d, c-d
	VSUBPS  Y1, Y0, Y5
	VADDPS  Y3, Y2, Y6
	VSUBPS  Y3, Y2, Y7
	VADDPS  Y6, Y4, Y0         // stage 2h
	VADDPS  Y7, Y5, Y1
	VSUBPS  Y6, Y4, Y2
	VSUBPS  Y7, Y5, Y3
	VMOVUPS Y0, (R9)
	VMOVUPS Y1, (R9)(BX*1)
	VMOVUPS Y2, (R9)(BX*2)
	VMOVUPS Y3, (R9)(R11*1)
	ADDQ    $32, R9
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
	VMOVUPS (R9), Y0
	VMOVUPS (R9)(BX*1), Y1
	VADDPS  Y1, Y0, Y2
	VSUBPS  Y1, Y0, Y3
	VMOVUPS Y2, (R9)
	VMOVUPS Y3, (R9)(BX*1)
	ADDQ    $32, R9
	CMPQ    R9, R8
	JB      pair
	LEAQ    (SI)(BX*2), SI
	CMPQ    SI, DX
	JB      block

done:
	VZEROUPPER
	RET

// MIXROWS computes, for output rows i and i+1 and the 32 columns at R9, the
// sums Y0..Y3 (row i) and Y4..Y7 (row i+1) of ±x[kk][cols] over kk = 0..k-1.
// Register roles: DI x, CX row stride p·4, R9 column offset in bytes,
// R12 &h[i][0], R13 &h[i+1][0], DX k. Clobbers Y8..Y11, R10, R11, R14.
#define MIXROWS \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	LEAQ (DI)(R9*1), R14 \
	XORQ R10, R10 \
mixk: \
	VBROADCASTSS (R12)(R10*4), Y8 \
	VBROADCASTSS (R13)(R10*4), Y9 \
	VMOVUPS (R14), Y10 \
	VMOVUPS 32(R14), Y11 \
	VFMADD231PS Y8, Y10, Y0 \
	VFMADD231PS Y9, Y10, Y4 \
	VMOVUPS 64(R14), Y10 \
	VFMADD231PS Y8, Y11, Y1 \
	VFMADD231PS Y9, Y11, Y5 \
	VMOVUPS 96(R14), Y11 \
	VFMADD231PS Y8, Y10, Y2 \
	VFMADD231PS Y9, Y10, Y6 \
	VFMADD231PS Y8, Y11, Y3 \
	VFMADD231PS Y9, Y11, Y7 \
	ADDQ CX, R14 \
	INCQ R10 \
	CMPQ R10, DX \
	JB mixk

// func HadamardMixAVX2(x []float32, p int, h []float32, k int, norm float32, tmp []float32)
//
// Loops: column blocks of 32 floats (R9) × row pairs (R11). Each row pair's
// eight accumulators go, times norm, to tmp rows i and i+1 (32 floats each);
// once all k rows of the column block are done, tmp is copied back into x.
TEXT ·HadamardMixAVX2(SB), NOSPLIT, $0-96
	MOVQ x_base+0(FP), DI      // DI: x
	MOVQ p+24(FP), CX
	SHLQ $2, CX                // CX: row stride in bytes
	MOVQ h_base+32(FP), SI     // SI: h
	MOVQ k+56(FP), DX          // DX: k
	VBROADCASTSS norm+64(FP), Y15
	MOVQ tmp_base+72(FP), BX   // BX: tmp
	XORQ R9, R9                // R9: column offset in bytes

mcol:
	XORQ R11, R11              // R11: row i
	MOVQ SI, R12               // R12: &h[i][0]
	MOVQ BX, R15               // R15: &tmp[i][0]
mrow:
	LEAQ (R12)(DX*4), R13      // R13: &h[i+1][0]
	MIXROWS
	VMULPS  Y15, Y0, Y0
	VMULPS  Y15, Y1, Y1
	VMULPS  Y15, Y2, Y2
	VMULPS  Y15, Y3, Y3
	VMULPS  Y15, Y4, Y4
	VMULPS  Y15, Y5, Y5
	VMULPS  Y15, Y6, Y6
	VMULPS  Y15, Y7, Y7
	VMOVUPS Y0, (R15)
	VMOVUPS Y1, 32(R15)
	VMOVUPS Y2, 64(R15)
	VMOVUPS Y3, 96(R15)
	VMOVUPS Y4, 128(R15)
	VMOVUPS Y5, 160(R15)
	VMOVUPS Y6, 192(R15)
	VMOVUPS Y7, 224(R15)
	ADDQ    $256, R15
	LEAQ    (R13)(DX*4), R12
	ADDQ    $2, R11
	CMPQ    R11, DX
	JB      mrow

	// Copy the k finished rows of this column block back into x.
	LEAQ (DI)(R9*1), R14       // R14: &x[i][col]
	MOVQ BX, R15               // R15: &tmp[i][0]
	MOVQ DX, R11               // R11: rows left
mcopy:
	VMOVUPS (R15), Y0
	VMOVUPS 32(R15), Y1
	VMOVUPS 64(R15), Y2
	VMOVUPS 96(R15), Y3
	VMOVUPS Y0, (R14)
	VMOVUPS Y1, 32(R14)
	VMOVUPS Y2, 64(R14)
	VMOVUPS Y3, 96(R14)
	ADDQ    $128, R15
	ADDQ    CX, R14
	DECQ    R11
	JNZ     mcopy

	ADDQ $128, R9
	CMPQ R9, CX
	JB   mcol
	VZEROUPPER
	RET

// QSTORE4(a, b, c, d, dst) scales the four vectors by Y15, clamps them to
// [-128, 127] (Y12 = 127 as second VMINPS source, so NaN gives 127;
// Y13 = -128), rounds half to even, packs them to 32 ordered bytes (Y14: the
// VPERMD indices) and stores them at dst. Clobbers a..d.
#define QSTORE4(a, b, c, d, dst) \
	VMULPS Y15, a, a \
	VMULPS Y15, b, b \
	VMULPS Y15, c, c \
	VMULPS Y15, d, d \
	VMINPS Y12, a, a \
	VMINPS Y12, b, b \
	VMINPS Y12, c, c \
	VMINPS Y12, d, d \
	VMAXPS Y13, a, a \
	VMAXPS Y13, b, b \
	VMAXPS Y13, c, c \
	VMAXPS Y13, d, d \
	VCVTPS2DQ a, a \
	VCVTPS2DQ b, b \
	VCVTPS2DQ c, c \
	VCVTPS2DQ d, d \
	VPACKSSDW b, a, a \
	VPACKSSDW d, c, c \
	VPACKSSWB c, a, a \
	VPERMD a, Y14, a \
	VMOVDQU a, dst

// func HadamardMixQuantAVX2(x []float32, p int, h []float32, k int, c float32, q []int8)
//
// Same loops as HadamardMixAVX2; each row pair is quantized straight into q
// (row i at q + i·p + column).
TEXT ·HadamardMixQuantAVX2(SB), NOSPLIT, $0-96
	MOVQ x_base+0(FP), DI      // DI: x
	MOVQ p+24(FP), CX
	SHLQ $2, CX                // CX: row stride in bytes (floats)
	MOVQ h_base+32(FP), SI     // SI: h
	MOVQ k+56(FP), DX          // DX: k
	VBROADCASTSS c+64(FP), Y15
	MOVQ q_base+72(FP), BX     // BX: q
	VBROADCASTSS hf127<>(SB), Y12
	VBROADCASTSS hfm128<>(SB), Y13
	VMOVDQU hperm<>(SB), Y14
	MOVQ p+24(FP), AX          // AX: row stride in bytes (int8)
	XORQ R9, R9                // R9: column offset in bytes (floats)

qcol:
	XORQ R11, R11              // R11: row i
	MOVQ SI, R12               // R12: &h[i][0]
	MOVQ R9, R15
	SHRQ $2, R15
	ADDQ BX, R15               // R15: &q[i][col]
qrow:
	LEAQ (R12)(DX*4), R13      // R13: &h[i+1][0]
	MIXROWS
	QSTORE4(Y0, Y1, Y2, Y3, (R15))
	QSTORE4(Y4, Y5, Y6, Y7, (R15)(AX*1))
	LEAQ (R15)(AX*2), R15
	LEAQ (R13)(DX*4), R12
	ADDQ $2, R11
	CMPQ R11, DX
	JB   qrow

	ADDQ $128, R9
	CMPQ R9, CX
	JB   qcol
	VZEROUPPER
	RET

// func ButterflyAVX2(a, b []float32)
TEXT ·ButterflyAVX2(SB), NOSPLIT, $0-48
	MOVQ a_base+0(FP), DI      // DI: next a
	MOVQ a_len+8(FP), CX       // CX: elements left
	MOVQ b_base+24(FP), SI     // SI: next b
bfly:
	CMPQ    CX, $8
	JB      bdone
	VMOVUPS (DI), Y0
	VMOVUPS (SI), Y1
	VADDPS  Y1, Y0, Y2
	VSUBPS  Y1, Y0, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (SI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     bfly
bdone:
	VZEROUPPER
	RET
