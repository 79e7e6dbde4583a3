//go:build !noasm

#include "textflag.h"
#include "quantize_neon_arm64.h"

// func FWHTNEON(x []float32)
//
// Pass 1 runs the stages h = 1 and 2 inside each 4-float vector: the
// partner vector w (REV64: distance 1, EXT #8: distance 2) gets w += v·sign
// with sign = (1, -1, 1, -1) or (1, 1, -1, -1), which is v[j]+v[j+h] in the
// low element of each pair and v[j]-v[j+h] in the high one (the products by
// ±1 are exact, so the fused multiply-add rounds like the scalar add or
// subtract). The stages h = 4, 8, …, n/2 then go two per pass (radix 4:
// stage h on a, b, c, d = x[j], x[j+h], x[j+2h], x[j+3h], then stage 2h on
// the results, the same additions in the same order as two radix-2 passes),
// with a final radix-2 pass when their number is odd.
//
// Registers: R0 x, R1 n·4, R2 end, R3 current vector, R4 h in bytes,
// R5 block start, R6 end of the block's first quarter (half), R7..R12 the
// element pointers a, b, (3h), c, d; V28 / V29 sign vectors, V0..V7 data.
TEXT ·FWHTNEON(SB), NOSPLIT, $0-24
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R1
	LSL  $2, R1
	ADD  R0, R1, R2
	MOVW $0x3F800000, R4       // 1.0
	MOVW $0xBF800000, R5       // -1.0
	VMOV R4, V28.S[0]
	VMOV R5, V28.S[1]
	VMOV R4, V28.S[2]
	VMOV R5, V28.S[3]
	VMOV R4, V29.S[0]
	VMOV R4, V29.S[1]
	VMOV R5, V29.S[2]
	VMOV R5, V29.S[3]

	MOVD R0, R3
intra:
	VLD1  (R3), [V0.S4]
	VREV64 V0.S4, V1.S4         // partners at distance 1
	FMLA4S(1, 0, 28)            // V1 += V0·sign1
	VEXT  $8, V1.B16, V1.B16, V2.B16 // distance 2: swap the 64-bit halves
	FMLA4S(2, 1, 29)
	VST1.P [V2.S4], 16(R3)
	CMP   R2, R3
	BLO   intra

	MOVD $16, R4
stage4:
	LSL  $2, R4, R9
	CMP  R9, R1                // two stages left (4h <= n)?
	BLO  stage2
	ADD  R4<<1, R4, R10        // R10: 3h
	MOVD R0, R5
block4:
	ADD  R5, R4, R6
	MOVD R5, R7
quad:
	ADD  R7, R4, R8
	ADD  R4<<1, R7, R11
	ADD  R7, R10, R12
	VLD1 (R7), [V0.S4]
	VLD1 (R8), [V1.S4]
	VLD1 (R11), [V2.S4]
	VLD1 (R12), [V3.S4]
	FADD4S(4, 0, 1)            // stage h: a+b, a-b, c+d, c-d
	FSUB4S(5, 0, 1)
	FADD4S(6, 2, 3)
	FSUB4S(7, 2, 3)
	FADD4S(0, 4, 6)            // stage 2h
	FADD4S(1, 5, 7)
	FSUB4S(2, 4, 6)
	FSUB4S(3, 5, 7)
	VST1.P [V0.S4], 16(R7)
	VST1 [V1.S4], (R8)
	VST1 [V2.S4], (R11)
	VST1 [V3.S4], (R12)
	CMP  R6, R7
	BLO  quad
	ADD  R4<<2, R5, R5
	CMP  R2, R5
	BLO  block4
	LSL  $2, R4
	B    stage4

stage2:
	CMP  R1, R4                // one stage left (2h <= n)?
	BHS  done
	MOVD R0, R5
block:
	ADD  R5, R4, R6
	MOVD R5, R7
pair:
	ADD  R7, R4, R8
	VLD1 (R7), [V0.S4]
	VLD1 (R8), [V1.S4]
	FADD4S(2, 0, 1)
	FSUB4S(3, 0, 1)
	VST1.P [V2.S4], 16(R7)
	VST1 [V3.S4], (R8)
	CMP  R6, R7
	BLO  pair
	ADD  R4<<1, R5, R5
	CMP  R2, R5
	BLO  block

done:
	RET

// MIXROWS sums, for output rows i and i+1 and the 32 columns at R5, ±x[kk]
// over kk = 0..k-1 into V0..V7 (row i) and V8..V15 (row i+1).
// Registers: R0 x, R1 row stride p·4, R3 k, R5 column offset in bytes,
// R7 / R8 &h[i][0] / &h[i+1][0] (advanced here; restored by the caller),
// R9 kk counter, R10 x cursor, R11 scratch; V16..V23 inputs, V24 / V25 the
// broadcast signs.
#define MIXROWS \
	VEOR V0.B16, V0.B16, V0.B16 \
	VEOR V1.B16, V1.B16, V1.B16 \
	VEOR V2.B16, V2.B16, V2.B16 \
	VEOR V3.B16, V3.B16, V3.B16 \
	VEOR V4.B16, V4.B16, V4.B16 \
	VEOR V5.B16, V5.B16, V5.B16 \
	VEOR V6.B16, V6.B16, V6.B16 \
	VEOR V7.B16, V7.B16, V7.B16 \
	VEOR V8.B16, V8.B16, V8.B16 \
	VEOR V9.B16, V9.B16, V9.B16 \
	VEOR V10.B16, V10.B16, V10.B16 \
	VEOR V11.B16, V11.B16, V11.B16 \
	VEOR V12.B16, V12.B16, V12.B16 \
	VEOR V13.B16, V13.B16, V13.B16 \
	VEOR V14.B16, V14.B16, V14.B16 \
	VEOR V15.B16, V15.B16, V15.B16 \
	ADD  R0, R5, R10 \
	MOVD R3, R9 \
mixk: \
	VLD1R.P 4(R7), [V24.S4] \
	VLD1R.P 4(R8), [V25.S4] \
	ADD  $64, R10, R11 \
	VLD1 (R10), [V16.S4, V17.S4, V18.S4, V19.S4] \
	VLD1 (R11), [V20.S4, V21.S4, V22.S4, V23.S4] \
	FMLA4S(0, 16, 24); FMLA4S(8, 16, 25) \
	FMLA4S(1, 17, 24); FMLA4S(9, 17, 25) \
	FMLA4S(2, 18, 24); FMLA4S(10, 18, 25) \
	FMLA4S(3, 19, 24); FMLA4S(11, 19, 25) \
	FMLA4S(4, 20, 24); FMLA4S(12, 20, 25) \
	FMLA4S(5, 21, 24); FMLA4S(13, 21, 25) \
	FMLA4S(6, 22, 24); FMLA4S(14, 22, 25) \
	FMLA4S(7, 23, 24); FMLA4S(15, 23, 25) \
	ADD  R1, R10 \
	SUBS $1, R9 \
	BNE  mixk

// func HadamardMixNEON(x []float32, p int, h []float32, k int, norm float32, tmp []float32)
//
// Loops: column blocks of 32 floats (R5) × row pairs (R6). Each row pair's
// accumulators go, times norm (V26), to tmp rows i and i+1; once all k rows
// of the column block are done, tmp is copied back into x.
// Registers besides MIXROWS': R2 h, R4 tmp, R6 rows left, R12 tmp cursor,
// R13 &h[i][0].
TEXT ·HadamardMixNEON(SB), NOSPLIT, $0-96
	MOVD  x_base+0(FP), R0
	MOVD  p+24(FP), R1
	LSL   $2, R1
	MOVD  h_base+32(FP), R2
	MOVD  k+56(FP), R3
	MOVWU norm+64(FP), R4
	VDUP  R4, V26.S4
	MOVD  tmp_base+72(FP), R4
	MOVD  $0, R5

mcol:
	MOVD R3, R6
	MOVD R2, R13
	MOVD R4, R12
mrow:
	MOVD R13, R7
	ADD  R3<<2, R13, R8
	MIXROWS
	FMUL4S(0, 0, 26); FMUL4S(1, 1, 26); FMUL4S(2, 2, 26); FMUL4S(3, 3, 26)
	FMUL4S(4, 4, 26); FMUL4S(5, 5, 26); FMUL4S(6, 6, 26); FMUL4S(7, 7, 26)
	FMUL4S(8, 8, 26); FMUL4S(9, 9, 26); FMUL4S(10, 10, 26); FMUL4S(11, 11, 26)
	FMUL4S(12, 12, 26); FMUL4S(13, 13, 26); FMUL4S(14, 14, 26); FMUL4S(15, 15, 26)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R12)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R12)
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R12)
	VST1.P [V12.S4, V13.S4, V14.S4, V15.S4], 64(R12)
	ADD  R3<<3, R13, R13       // two rows of h
	SUBS $2, R6
	BNE  mrow

	// Copy the k finished rows of this column block back into x.
	ADD  R0, R5, R10
	MOVD R4, R12
	MOVD R3, R6
mcopy:
	VLD1.P 64(R12), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R12), [V4.S4, V5.S4, V6.S4, V7.S4]
	ADD  $64, R10, R11
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R10)
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R11)
	ADD  R1, R10
	SUBS $1, R6
	BNE  mcopy

	ADD  $128, R5
	CMP  R1, R5
	BLO  mcol
	RET

// func HadamardMixQuantNEON(x []float32, p int, h []float32, k int, c float32, q []int8)
//
// Same loops as HadamardMixNEON; each row pair is scaled by c (V26) and
// quantized straight into q (row i at q + i·p + column). R14: p (the int8
// row stride), R12: q cursor of row i.
TEXT ·HadamardMixQuantNEON(SB), NOSPLIT, $0-96
	MOVD  x_base+0(FP), R0
	MOVD  p+24(FP), R14
	LSL   $2, R14, R1
	MOVD  h_base+32(FP), R2
	MOVD  k+56(FP), R3
	MOVWU c+64(FP), R4
	VDUP  R4, V26.S4
	MOVW  $0x42FE0000, R4      // 127.0
	VDUP  R4, V30.S4
	MOVW  $0xC3000000, R4      // -128.0
	VDUP  R4, V31.S4
	MOVD  q_base+72(FP), R4
	MOVD  $0, R5

qcol:
	MOVD R3, R6
	MOVD R2, R13
	ADD  R5>>2, R4, R12
qrow:
	MOVD R13, R7
	ADD  R3<<2, R13, R8
	MIXROWS
	FMUL4S(0, 0, 26); FMUL4S(1, 1, 26); FMUL4S(2, 2, 26); FMUL4S(3, 3, 26)
	FMUL4S(4, 4, 26); FMUL4S(5, 5, 26); FMUL4S(6, 6, 26); FMUL4S(7, 7, 26)
	FMUL4S(8, 8, 26); FMUL4S(9, 9, 26); FMUL4S(10, 10, 26); FMUL4S(11, 11, 26)
	FMUL4S(12, 12, 26); FMUL4S(13, 13, 26); FMUL4S(14, 14, 26); FMUL4S(15, 15, 26)
	QUANT16(0, 1, 2, 3, 16)
	QUANT16(4, 5, 6, 7, 17)
	QUANT16(8, 9, 10, 11, 18)
	QUANT16(12, 13, 14, 15, 19)
	ADD  R12, R14, R11
	VST1 [V16.B16, V17.B16], (R12)
	VST1 [V18.B16, V19.B16], (R11)
	ADD  R14<<1, R12, R12
	ADD  R3<<3, R13, R13
	SUBS $2, R6
	BNE  qrow

	ADD  $128, R5
	CMP  R1, R5
	BLO  qcol
	RET

// func ButterflyNEON(a, b []float32)
TEXT ·ButterflyNEON(SB), NOSPLIT, $0-48
	MOVD a_base+0(FP), R0      // R0: next a
	MOVD a_len+8(FP), R1       // R1: elements left
	MOVD b_base+24(FP), R2     // R2: next b
bfly:
	CBZ  R1, bdone
	VLD1 (R0), [V0.S4]
	VLD1 (R2), [V1.S4]
	FADD4S(2, 0, 1)
	FSUB4S(3, 0, 1)
	VST1.P [V2.S4], 16(R0)
	VST1.P [V3.S4], 16(R2)
	SUB  $4, R1
	B    bfly
bdone:
	RET
