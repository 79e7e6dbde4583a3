//go:build !noasm

#include "textflag.h"
#include "exp_amd64.h"

// Field offsets of ScanM1Args (scan_amd64.go checks them at compile time).
#define M1_U 0
#define M1_DT 8
#define M1_Z 16
#define M1_Y 24
#define M1_BC 32
#define M1_A 40
#define M1_D 48
#define M1_DTBIAS 56
#define M1_STATE 64
#define M1_STATEQ 72
#define M1_SCALE 80
#define M1_HBUF 88
#define M1_E 96
#define M1_NC 104
#define M1_N 112
#define M1_L 120
#define M1_GROUP 128
#define M1_SU 136
#define M1_SDT 140
#define M1_SZ 144

// Saturation bounds of the int8 state, 8 lanes each.
DATA scanconst<>+0(SB)/8, $0x42fe000042fe0000  // 127.0
DATA scanconst<>+8(SB)/8, $0x42fe000042fe0000
DATA scanconst<>+16(SB)/8, $0x42fe000042fe0000
DATA scanconst<>+24(SB)/8, $0x42fe000042fe0000
DATA scanconst<>+32(SB)/8, $0xc3000000c3000000 // -128.0
DATA scanconst<>+40(SB)/8, $0xc3000000c3000000
DATA scanconst<>+48(SB)/8, $0xc3000000c3000000
DATA scanconst<>+56(SB)/8, $0xc3000000c3000000
GLOBL scanconst<>(SB), RODATA|NOPTR, $64

// SCAN_LOADQ dequantizes rows of 8 int8 state values into float32 rows:
// q (int8 pointer, advanced by qstride per row), s (scale pointer, one float
// per row, advanced by 4), dst (advanced by dstride), cnt (row count,
// counts down to 0). Clobbers Y0, Y1.
#define SCAN_LOADQ(q, qstride, s, dst, dstride, cnt, loop) \
loop: \
	VPMOVSXBD   (q), Y0; \
	VCVTDQ2PS   Y0, Y0; \
	VBROADCASTSS (s), Y1; \
	VMULPS      Y1, Y0, Y0; /* h = q*scale */ \
	VMOVUPS     Y0, (dst); \
	ADDQ        qstride, q; \
	ADDQ        $4, s; \
	ADDQ        dstride, dst; \
	DECQ        cnt; \
	JNZ         loop

// SCAN_STOREQ requantizes rows of 8 float32 state values,
// q = sat(roundEven(h/scale)), with the operands of SCAN_LOADQ (src read,
// q written). Clobbers Y0, Y1, Y14, Y15.
#define SCAN_STOREQ(q, qstride, s, src, srcstride, cnt, loop) \
	VMOVUPS     scanconst<>+0(SB), Y14; \
	VMOVUPS     scanconst<>+32(SB), Y15; \
loop: \
	VMOVUPS     (src), Y0; \
	VBROADCASTSS (s), Y1; \
	VDIVPS      Y1, Y0, Y0; /* h/scale */ \
	VMINPS      Y0, Y14, Y0; /* min(127, v); NaN stays */ \
	VMAXPS      Y0, Y15, Y0; /* max(-128, v) */ \
	VCVTPS2DQ   Y0, Y0; /* round half to even; NaN -> 0x80000000 */ \
	VEXTRACTI128 $1, Y0, X1; \
	VPACKSSDW   X1, X0, X0; \
	VPACKSSWB   X0, X0, X0; /* 8 int8 in the low quadword */ \
	MOVQ        X0, (q); \
	ADDQ        qstride, q; \
	ADDQ        $4, s; \
	ADDQ        srcstride, src; \
	DECQ        cnt; \
	JNZ         loop

// SCAN_M1_STATE updates one state row n for the 8 channels of the block and
// accumulates its output term:
//   dA = exp(delta*A[n]); h[n] = fma(dA, h[n], du*Bf[n]); acc = fma(Cf[n], h[n], acc)
// arow (A row), hrow (h row), bf and cf (the broadcast scalars) are memory
// operands; t0..t5 are temporaries. Reads Y15 (delta) and Y14 (du), updates Y13 (acc).
#define SCAN_M1_STATE(arow, hrow, bf, cf, t0, t1, t2, t3, t4, t5) \
	VMULPS      arow, Y15, t0; /* delta*A */ \
	EXP_AVX2(t0, t1, t2, t3); /* dA */ \
	VBROADCASTSS bf, t4; \
	VMULPS      t4, Y14, t4; /* du*Bf[n] */ \
	VMOVUPS     hrow, t5; \
	VFMADD213PS t4, t0, t5; /* h = dA*h + du*Bf[n] */ \
	VMOVUPS     t5, hrow; \
	VBROADCASTSS cf, t4; \
	VFMADD231PS t5, t4, Y13 /* acc += Cf[n]*h */

// func ScanM1AVX2(a *ScanM1Args)
//
// Loop structure: channel blocks of 8 (one lane per channel) outermost,
// tokens, then states. The state of a block (N rows of 8 floats) is updated
// in place for a single token; for a prefill it is copied to a.Hbuf
// (contiguous, L1-resident) first, and an int8 state is dequantized there
// and requantized at the end of the block.
//
// Registers:
//   R8  a                         BX  c, first channel of the block
//   DI  &A[0][c]                  R10 E*4, row stride of A and float state
//   SI  &h[0] of the block        R9  row stride of h (E*4 or 32)
//   R11 tokens left               R13 t*E + c (element index into u, dt, z, y)
//   R14 &BC[t][0]
//   state loop: AX &A[n][c], DX &h[n], R12 &BC[t][n], CX states left
//   Y15 delta, Y14 du = delta*u, Y13 acc, Y12 g = silu(SZ*z) (the gate)
TEXT ·ScanM1AVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R8
	MOVQ M1_E(R8), R10
	SHLQ $2, R10
	XORQ BX, BX

block:
	CMPQ BX, M1_NC(R8)
	JGE  done
	MOVQ M1_A(R8), DI
	LEAQ (DI)(BX*4), DI
	MOVQ M1_STATEQ(R8), AX
	TESTQ AX, AX
	JNZ  loadq
	MOVQ M1_STATE(R8), SI
	LEAQ (SI)(BX*4), SI
	MOVQ R10, R9
	CMPQ M1_L(R8), $1
	JEQ  tokens                    // decode step: update the state in place

	// Prefill: copy the block's rows to Hbuf.
	MOVQ M1_HBUF(R8), DX
	MOVQ SI, AX
	MOVQ M1_N(R8), CX
copyin:
	VMOVUPS (AX), Y0
	VMOVUPS Y0, (DX)
	ADDQ    R10, AX
	ADDQ    $32, DX
	DECQ    CX
	JNZ     copyin
	MOVQ M1_HBUF(R8), SI
	MOVQ $32, R9
	JMP  tokens

loadq:
	// R12 = &Scale[c/Group][0], R11 = &Q[0][c], R13 = E (int8 row stride)
	MOVQ  BX, AX
	XORQ  DX, DX
	DIVQ  M1_GROUP(R8)
	IMULQ M1_N(R8), AX
	SHLQ  $2, AX
	ADDQ  M1_SCALE(R8), AX
	MOVQ  AX, R12
	MOVQ  M1_STATEQ(R8), R11
	ADDQ  BX, R11
	MOVQ  M1_E(R8), R13
	MOVQ  M1_HBUF(R8), DX
	MOVQ  M1_N(R8), CX
	SCAN_LOADQ(R11, R13, R12, DX, $32, CX, loadqloop)
	MOVQ  M1_HBUF(R8), SI
	MOVQ  $32, R9

tokens:
	MOVQ M1_L(R8), R11
	MOVQ BX, R13
	MOVQ M1_BC(R8), R14

token:
	// delta = softplus(fma(SDt, dt, DtBias))
	MOVQ         M1_DT(R8), AX
	VPMOVSXBD    (AX)(R13*1), Y0
	VCVTDQ2PS    Y0, Y0
	VBROADCASTSS M1_SDT(R8), Y1
	MOVQ         M1_DTBIAS(R8), AX
	VFMADD213PS  (AX)(BX*4), Y1, Y0
	SOFTPLUS_AVX2(Y0, Y1, Y2, Y3, Y4)
	VMOVAPS      Y0, Y15

	// uf = u*SU; du = delta*uf; acc = D*uf
	MOVQ         M1_U(R8), AX
	VPMOVSXBD    (AX)(R13*1), Y1
	VCVTDQ2PS    Y1, Y1
	VBROADCASTSS M1_SU(R8), Y2
	VMULPS       Y2, Y1, Y1
	VMULPS       Y1, Y15, Y14
	MOVQ         M1_D(R8), AX
	VMULPS       (AX)(BX*4), Y1, Y13

	// g = zf / (1 + exp(-zf)), zf = z*SZ
	MOVQ         M1_Z(R8), AX
	VPMOVSXBD    (AX)(R13*1), Y2
	VCVTDQ2PS    Y2, Y2
	VBROADCASTSS M1_SZ(R8), Y3
	VMULPS       Y3, Y2, Y2
	VXORPS       expconst<>+416(SB), Y2, Y3
	EXP_AVX2(Y3, Y4, Y5, Y6)
	VADDPS       expconst<>+352(SB), Y3, Y3
	VDIVPS       Y3, Y2, Y12

	// States, two per iteration (independent exp chains).
	MOVQ DI, AX
	MOVQ SI, DX
	MOVQ R14, R12
	MOVQ M1_N(R8), CX
	CMPQ CX, $2
	JLT  state1

state2:
	SCAN_M1_STATE((AX), (DX), (R12), 4(R12), Y0, Y1, Y2, Y3, Y4, Y5)
	SCAN_M1_STATE((AX)(R10*1), (DX)(R9*1), 8(R12), 12(R12), Y6, Y7, Y8, Y9, Y10, Y11)
	LEAQ (AX)(R10*2), AX
	LEAQ (DX)(R9*2), DX
	ADDQ $16, R12
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  state2

state1:
	TESTQ CX, CX
	JZ    statesdone
	SCAN_M1_STATE((AX), (DX), (R12), 4(R12), Y0, Y1, Y2, Y3, Y4, Y5)

statesdone:
	VMULPS  Y12, Y13, Y13          // y = acc*g
	MOVQ    M1_Y(R8), AX
	VMOVUPS Y13, (AX)(R13*4)
	ADDQ    M1_E(R8), R13
	MOVQ    M1_N(R8), AX
	LEAQ    (R14)(AX*8), R14
	DECQ    R11
	JNZ     token

	// Write the block's state back.
	MOVQ  M1_STATEQ(R8), AX
	TESTQ AX, AX
	JNZ   storeq
	CMPQ  M1_L(R8), $1
	JEQ   nextblock
	MOVQ  M1_STATE(R8), AX
	LEAQ  (AX)(BX*4), AX
	MOVQ  M1_HBUF(R8), DX
	MOVQ  M1_N(R8), CX
copyout:
	VMOVUPS (DX), Y0
	VMOVUPS Y0, (AX)
	ADDQ    R10, AX
	ADDQ    $32, DX
	DECQ    CX
	JNZ     copyout
	JMP     nextblock

storeq:
	MOVQ  BX, AX
	XORQ  DX, DX
	DIVQ  M1_GROUP(R8)
	IMULQ M1_N(R8), AX
	SHLQ  $2, AX
	ADDQ  M1_SCALE(R8), AX
	MOVQ  AX, R12
	MOVQ  M1_STATEQ(R8), R11
	ADDQ  BX, R11
	MOVQ  M1_E(R8), R13
	MOVQ  M1_HBUF(R8), DX
	MOVQ  M1_N(R8), CX
	SCAN_STOREQ(R11, R13, R12, DX, $32, CX, storeqloop)

nextblock:
	ADDQ $8, BX
	JMP  block

done:
	VZEROUPPER
	RET

// Field offsets of ScanM2Args.
#define M2_X 0
#define M2_Y 8
#define M2_DD 16
#define M2_BC 24
#define M2_D 32
#define M2_SX 40
#define M2_STATE 48
#define M2_STATEQ 56
#define M2_SCALE 64
#define M2_HBUF 72
#define M2_H 80
#define M2_P 88
#define M2_PC 96
#define M2_N 104
#define M2_L 112
#define M2_GN 120
#define M2_HPG 128
#define M2_GROUP 136

// M2_SCALEROW sets dst = &Scale[(h*P + p)/Group][0] from h (BX) and p (DI).
// Clobbers AX, DX.
#define M2_SCALEROW(dst) \
	MOVQ  BX, AX; \
	IMULQ M2_P(R8), AX; \
	ADDQ  DI, AX; \
	XORQ  DX, DX; \
	DIVQ  M2_GROUP(R8); \
	IMULQ M2_N(R8), AX; \
	SHLQ  $2, AX; \
	ADDQ  M2_SCALE(R8), AX; \
	MOVQ  AX, dst

// M2_QROW sets dst = &StateQ[h][0][p] from h (BX) and p (DI).
#define M2_QROW(dst) \
	MOVQ  BX, dst; \
	IMULQ M2_N(R8), dst; \
	IMULQ M2_P(R8), dst; \
	ADDQ  DI, dst; \
	ADDQ  M2_STATEQ(R8), dst

// SCAN_M2_ROW updates one state row n of a block of 8 channels:
//   S = fma(dA, S, dx*Bf[n]); acc = fma(Cf[n], S, acc)
// with Y12 = Bf[n], Y13 = Cf[n], Y15 = dA broadcast; srow is the memory
// operand of the row, dx and acc registers, t a temporary.
#define SCAN_M2_ROW(srow, dx, acc, t) \
	VMULPS      Y12, dx, t; /* dx*Bf[n] */ \
	VFMADD231PS srow, Y15, t; /* S = dA*S + dx*Bf[n] */ \
	VMOVUPS     t, srow; \
	VFMADD231PS t, Y13, acc /* acc += Cf[n]*S */

// func ScanM2AVX2(a *ScanM2Args)
//
// Loop structure: heads outermost (a head's state, N rows of P floats, stays
// in L1/L2 across the tokens of a prefill), tokens, blocks of 32 channels
// (4 vectors; then blocks of 8), state rows n innermost. An int8 state is
// dequantized head by head into a.Hbuf and requantized after the tokens.
//
// Registers:
//   R8  a                      BX  h
//   SI  &S[h][0][0]            R9  P*4, row stride of S
//   DI  h*P                    R10 tokens left
//   R11 t*H*P                  R12 &BC[t][g*N], g = h/HPG
//   R13 &DD[t][h]              CX  p, first channel of the block
//   row loop: AX &S[h][n][p], DX &BC[t][g*N+n], R14 rows left
//   Y14 delta, Y15 dA, Y0-Y3 dx = delta*x, Y4-Y7 acc, Y8-Y11 S rows,
//   Y12 Bf[n], Y13 Cf[n]
TEXT ·ScanM2AVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), R8
	MOVQ M2_P(R8), R9
	SHLQ $2, R9
	XORQ BX, BX

m2head:
	CMPQ BX, M2_H(R8)
	JGE  m2done
	MOVQ M2_STATEQ(R8), AX
	TESTQ AX, AX
	JNZ  m2loadq
	MOVQ  BX, SI
	IMULQ M2_N(R8), SI
	IMULQ R9, SI
	ADDQ  M2_STATE(R8), SI
	JMP   m2tokens

m2loadq:
	// Dequantize head h into Hbuf, block of 8 channels by block.
	XORQ DI, DI

m2lqblock:
	CMPQ DI, M2_PC(R8)
	JGE  m2lqdone
	M2_SCALEROW(R12)
	M2_QROW(R11)
	MOVQ M2_HBUF(R8), DX
	LEAQ (DX)(DI*4), DX
	MOVQ M2_P(R8), R13
	MOVQ M2_N(R8), CX
	SCAN_LOADQ(R11, R13, R12, DX, R9, CX, m2lqloop)
	ADDQ $8, DI
	JMP  m2lqblock

m2lqdone:
	MOVQ M2_HBUF(R8), SI

m2tokens:
	MOVQ  BX, DI
	IMULQ M2_P(R8), DI
	MOVQ  M2_L(R8), R10
	XORQ  R11, R11
	MOVQ  BX, AX
	XORQ  DX, DX
	DIVQ  M2_HPG(R8)
	IMULQ M2_N(R8), AX
	SHLQ  $3, AX
	ADDQ  M2_BC(R8), AX
	MOVQ  AX, R12
	MOVQ  M2_DD(R8), R13
	LEAQ  (R13)(BX*4), R13

m2token:
	VBROADCASTSS (R13), Y14        // delta
	MOVQ         M2_H(R8), AX
	VBROADCASTSS (R13)(AX*4), Y15  // dA
	XORQ         CX, CX

m2p32:
	MOVQ M2_PC(R8), AX
	SUBQ CX, AX
	CMPQ AX, $32
	JLT  m2p8
	// xf = x*SX; acc = D*xf; dx = delta*xf (4 vectors)
	LEAQ      (R11)(DI*1), AX
	ADDQ      CX, AX
	MOVQ      M2_X(R8), DX
	VPMOVSXBD (DX)(AX*1), Y0
	VPMOVSXBD 8(DX)(AX*1), Y1
	VPMOVSXBD 16(DX)(AX*1), Y2
	VPMOVSXBD 24(DX)(AX*1), Y3
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	LEAQ      (DI)(CX*1), DX
	SHLQ      $2, DX
	ADDQ      M2_SX(R8), DX
	VMULPS    (DX), Y0, Y0
	VMULPS    32(DX), Y1, Y1
	VMULPS    64(DX), Y2, Y2
	VMULPS    96(DX), Y3, Y3
	MOVQ         M2_D(R8), DX
	VBROADCASTSS (DX)(BX*4), Y12
	VMULPS    Y0, Y12, Y4
	VMULPS    Y1, Y12, Y5
	VMULPS    Y2, Y12, Y6
	VMULPS    Y3, Y12, Y7
	VMULPS    Y0, Y14, Y0
	VMULPS    Y1, Y14, Y1
	VMULPS    Y2, Y14, Y2
	VMULPS    Y3, Y14, Y3
	LEAQ      (SI)(CX*4), AX
	MOVQ      R12, DX
	MOVQ      M2_N(R8), R14

m2row32:
	VBROADCASTSS (DX), Y12
	VBROADCASTSS 4(DX), Y13
	SCAN_M2_ROW((AX), Y0, Y4, Y8)
	SCAN_M2_ROW(32(AX), Y1, Y5, Y9)
	SCAN_M2_ROW(64(AX), Y2, Y6, Y10)
	SCAN_M2_ROW(96(AX), Y3, Y7, Y11)
	ADDQ R9, AX
	ADDQ $8, DX
	DECQ R14
	JNZ  m2row32

	LEAQ    (R11)(DI*1), AX
	ADDQ    CX, AX
	MOVQ    M2_Y(R8), DX
	VMOVUPS Y4, (DX)(AX*4)
	VMOVUPS Y5, 32(DX)(AX*4)
	VMOVUPS Y6, 64(DX)(AX*4)
	VMOVUPS Y7, 96(DX)(AX*4)
	ADDQ    $32, CX
	JMP     m2p32

m2p8:
	CMPQ CX, M2_PC(R8)
	JGE  m2tokdone
	LEAQ      (R11)(DI*1), AX
	ADDQ      CX, AX
	MOVQ      M2_X(R8), DX
	VPMOVSXBD (DX)(AX*1), Y0
	VCVTDQ2PS Y0, Y0
	LEAQ      (DI)(CX*1), DX
	SHLQ      $2, DX
	ADDQ      M2_SX(R8), DX
	VMULPS    (DX), Y0, Y0
	MOVQ         M2_D(R8), DX
	VBROADCASTSS (DX)(BX*4), Y12
	VMULPS    Y0, Y12, Y4
	VMULPS    Y0, Y14, Y0
	LEAQ      (SI)(CX*4), AX
	MOVQ      R12, DX
	MOVQ      M2_N(R8), R14

m2row8:
	VBROADCASTSS (DX), Y12
	VBROADCASTSS 4(DX), Y13
	SCAN_M2_ROW((AX), Y0, Y4, Y8)
	ADDQ R9, AX
	ADDQ $8, DX
	DECQ R14
	JNZ  m2row8

	LEAQ    (R11)(DI*1), AX
	ADDQ    CX, AX
	MOVQ    M2_Y(R8), DX
	VMOVUPS Y4, (DX)(AX*4)
	ADDQ    $8, CX
	JMP     m2p8

m2tokdone:
	MOVQ  M2_H(R8), AX
	IMULQ M2_P(R8), AX
	ADDQ  AX, R11                  // next token's x and y rows
	MOVQ  M2_GN(R8), AX
	LEAQ  (R12)(AX*8), R12         // next token's BC row
	MOVQ  M2_H(R8), AX
	LEAQ  (R13)(AX*8), R13         // next token's DD row (2H floats)
	DECQ  R10
	JNZ   m2token

	// Requantize an int8 state.
	MOVQ  M2_STATEQ(R8), AX
	TESTQ AX, AX
	JZ    m2nexthead
	XORQ  DI, DI

m2sqblock:
	CMPQ DI, M2_PC(R8)
	JGE  m2nexthead
	M2_SCALEROW(R12)
	M2_QROW(R11)
	MOVQ M2_HBUF(R8), DX
	LEAQ (DX)(DI*4), DX
	MOVQ M2_P(R8), R13
	MOVQ M2_N(R8), CX
	SCAN_STOREQ(R11, R13, R12, DX, R9, CX, m2sqloop)
	ADDQ $8, DI
	JMP  m2sqblock

m2nexthead:
	INCQ BX
	JMP  m2head

m2done:
	VZEROUPPER
	RET
