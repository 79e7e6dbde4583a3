//go:build !noasm

#include "textflag.h"
#include "exp_amd64.h"

// Selective-scan kernels (Mamba1 scan, Mamba2 SSM) and the int8-state
// conversions. All are bit-for-bit twins of the pure-Go code in
// kernels/scan.go: same float32 operations in the same order, FMAs where
// the Go code calls expFMA.

// scanconst<>: constants as 8 equal lanes (32 bytes each).
#define SCANC8(off, v) DATA scanconst<>+(off)(SB)/8, $v; DATA scanconst<>+(off+8)(SB)/8, $v; DATA scanconst<>+(off+16)(SB)/8, $v; DATA scanconst<>+(off+24)(SB)/8, $v

SCANC8(0, 0x42fe000042fe0000)   // 127.0: int8 state saturation
SCANC8(32, 0xc3000000c3000000)  // -128.0
SCANC8(64, 0xc2fa0000c2fa0000)  // -125.0: SCAN_EXP2 flush bound
SCANC8(96, 0x0000000000000000)  // 0.0: SCAN_EXP2 upper bound
SCANC8(128, 0x3922200039222000) // C6 = 0.00015461445: 2**f on [-1/2, 1/2]
SCANC8(160, 0x3aafa4603aafa460) // C5 = 0.0013400428
SCANC8(192, 0x3c1d950e3c1d950e) // C4 = 0.009618057
SCANC8(224, 0x3d6357663d635766) // C3 = 0.05550327
SCANC8(256, 0x3e75fdf03e75fdf0) // C2 = 0.2402265
SCANC8(288, 0x3f3172183f317218) // C1 = 0.6931472
SCANC8(320, 0x3f8000003f800000) // C0 = 1.0
GLOBL scanconst<>(SB), RODATA|NOPTR, $352

// SCAN_EXP2(x, t0, t1, t2): x = 2**x on 8 lanes for the Mamba1 state
// update, the twin of kernels.scanExp2: x < -125 gives 0 (flush: no
// subnormal results), x is clamped to [-125, 0] (NaN to -125),
// n = roundEven(x), f = x - n (exact), 2**x = P(f) with n added to the
// exponent bits. t0..t2 are clobbered. The constants stay in registers
// (SCAN_EXP2_CONST: Y6..Y11 = C6..C1, Y12 = -125), so that the only
// memory operand is C0: loads, not arithmetic, bounded the version with
// every constant in memory. 18 instructions, 7 on the FMA pipes.
#define SCAN_EXP2(x, t0, t1, t2) \
	VCMPPS      $1, Y12, x, t1; /* flush mask: x < -125 */ \
	VMAXPS      Y12, x, x; /* x > -125 ? x : -125 */ \
	VXORPS      t2, t2, t2; \
	VMINPS      t2, x, x; /* x < 0 ? x : 0 */ \
	VROUNDPS    $8, x, t0; /* n */ \
	VSUBPS      t0, x, x; /* f = x - n */ \
	VCVTPS2DQ   t0, t0; \
	VPSLLD      $23, t0, t0; /* n << 23 */ \
	VMOVAPS     Y7, t2; \
	VFMADD231PS Y6, x, t2; /* p = C6*f + C5 */ \
	VFMADD213PS Y8, x, t2; /* p = p*f + C4 */ \
	VFMADD213PS Y9, x, t2; \
	VFMADD213PS Y10, x, t2; \
	VFMADD213PS Y11, x, t2; /* p = p*f + C1 */ \
	VFMADD213PS scanconst<>+320(SB), x, t2; /* p = p*f + C0 */ \
	VPADDD      t0, t2, t2; /* p * 2**n */ \
	VANDNPS     t2, t1, x /* flushed lanes to 0 */

#define SCAN_EXP2_CONST \
	VMOVUPS scanconst<>+128(SB), Y6; \
	VMOVUPS scanconst<>+160(SB), Y7; \
	VMOVUPS scanconst<>+192(SB), Y8; \
	VMOVUPS scanconst<>+224(SB), Y9; \
	VMOVUPS scanconst<>+256(SB), Y10; \
	VMOVUPS scanconst<>+288(SB), Y11; \
	VMOVUPS scanconst<>+64(SB), Y12

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
#define M1_PRE 72
#define M1_E 80
#define M1_NC 88
#define M1_N 96
#define M1_L 104
#define M1_LC 112
#define M1_SU 120
#define M1_SDT 124
#define M1_SZ 128
#define M1_UF 136
#define M1_DTF 144
#define M1_ZF 152
#define M1_F32 160
#define M1_Q 168
#define M1_QSCALE 176
#define M1_QINV 184
#define M1_QGROUP 192

// M1_IN loads 8 inputs of token-channel index DX as float32 into dst:
// int8 (field oi8, converted) or float32 (field of32, when a.F32 is set).
// Clobbers AX.
#define M1_IN(oi8, of32, dst, lf, ld) \
	CMPQ      M1_F32(R8), $0; \
	JNE       lf; \
	MOVQ      oi8(R8), AX; \
	VPMOVSXBD (AX)(DX*1), dst; \
	VCVTDQ2PS dst, dst; \
	JMP       ld; \
lf: \
	MOVQ      of32(R8), AX; \
	VMOVUPS   (AX)(DX*4), dst; \
ld:

// SCAN_M1_STATE updates state row n of the 8 channels of a block and
// accumulates its output term:
//   dA = exp2(dl*A[n]); h[n] = fma(dA, h[n], du*Bf[n]); acc = fma(Cf[n], h[n], acc)
// arow (A row), hrow (h row), bf and cf (scalars to broadcast) are memory
// operands; t0..t5 are temporaries. Reads Y15 (dl = delta*log2e), Y14
// (du) and the SCAN_EXP2 constants, updates Y13 (acc).
#define SCAN_M1_STATE(arow, hrow, bf, cf, t0, t1, t2, t3, t4, t5) \
	VMULPS       arow, Y15, t0; /* dl*A */ \
	SCAN_EXP2(t0, t1, t2, t3); /* dA */ \
	VBROADCASTSS bf, t4; \
	VMULPS       t4, Y14, t4; /* du*Bf[n] */ \
	VFMADD231PS  hrow, t0, t4; /* h = dA*h + du*Bf[n] */ \
	VMOVUPS      t4, hrow; \
	VBROADCASTSS cf, t5; \
	VFMADD231PS  t4, t5, Y13 /* acc += Cf[n]*h */

// func ScanM1AVX2(a *ScanM1Args)
//
// Tokens are taken in chunks of a.LC. For a chunk, a prepass computes the
// per-(token, channel) values that do not depend on n (dl = delta*log2e,
// du = delta*u, acc0 = D*u, the gate g) into a.Pre, 8 independent
// channels at a time; then for each block of 8 channels (one lane per
// channel) and each token of the chunk, the N state rows are updated and
// y = acc*g is stored. Keeping the long softplus and gate chains out of
// the state loop lets consecutive blocks overlap in the out-of-order
// window. Inputs are int8, or float32 with a.F32 set (the scales are then
// 1). With a.Q set (a decode step, L = 1) the state is int8 and each row
// is converted in registers (qstep).
//
// A and the state are in the blocked scan layout [E/8][N][8]: the N rows
// of a block are contiguous, 32 bytes apart.
//
// Registers:
//   R8  a                 R10 E*4: row stride (bytes) of Pre and y
//   R11 t0, first token of the chunk; 0(SP) tokens in the chunk,
//   8(SP) tokens left, 16(SP)/24(SP) int8-state group counter and offset
//   prepass: BX c, DX t*E + c, SI &Pre[tt][0][c], R9 tokens left
//   states:  BX c, SI &h[c/8][0][0], DI &A[c/8][0][0], R13 &Pre[tt][0][c],
//            R14 &BC[t][0], R9 &y[t][c];
//            row loop: CX n*32 (offset of row n in A and h), AX N*32,
//            R12 &BC[t][n]
//   Y15 dl, Y14 du, Y13 acc, Y6-Y12 SCAN_EXP2 constants, Y0-Y5 temporaries
TEXT ·ScanM1AVX2(SB), NOSPLIT, $32-8
	MOVQ a+0(FP), R8
	MOVQ M1_E(R8), R10
	SHLQ $2, R10
	XORQ R11, R11

chunk:
	CMPQ R11, M1_L(R8)
	JGE  done
	MOVQ M1_L(R8), AX
	SUBQ R11, AX
	CMPQ AX, M1_LC(R8)
	JLE  chunklen
	MOVQ M1_LC(R8), AX

chunklen:
	MOVQ AX, 0(SP)

	// Prepass over the chunk's tokens and all channel blocks.
	MOVQ  0(SP), R9
	MOVQ  R11, DX
	IMULQ M1_E(R8), DX             // DX = t*E
	MOVQ  M1_PRE(R8), SI

pretoken:
	XORQ BX, BX

preblock:
	CMPQ BX, M1_NC(R8)
	JGE  pretokdone
	// delta = softplus(fma(SDt, dt, DtBias))
	M1_IN(M1_DT, M1_DTF, Y0, dtf32, dtin)
	VBROADCASTSS M1_SDT(R8), Y1
	MOVQ         M1_DTBIAS(R8), AX
	VFMADD213PS  (AX)(BX*4), Y1, Y0
	SOFTPLUS_AVX2(Y0, Y1, Y2, Y3, Y4)
	// uf = u*SU; du = delta*uf; acc0 = D*uf
	M1_IN(M1_U, M1_UF, Y1, uf32, uin)
	VBROADCASTSS M1_SU(R8), Y2
	VMULPS       Y2, Y1, Y1
	VMULPS       Y1, Y0, Y2
	VMULPS       expconst<>+64(SB), Y0, Y0 // dl = delta*log2e
	MOVQ         M1_D(R8), AX
	VMULPS       (AX)(BX*4), Y1, Y3
	// g = zf / (1 + exp(-zf)), zf = z*SZ
	M1_IN(M1_Z, M1_ZF, Y4, zf32, zin)
	VBROADCASTSS M1_SZ(R8), Y5
	VMULPS       Y5, Y4, Y4
	VXORPS       expconst<>+416(SB), Y4, Y5
	EXP_AVX2(Y5, Y6, Y7, Y8)
	VADDPS       expconst<>+352(SB), Y5, Y5
	VDIVPS       Y5, Y4, Y4
	// Pre[tt][k][c] for k = dl, du, acc0, g
	LEAQ    (SI)(BX*4), AX
	VMOVUPS Y0, (AX)
	VMOVUPS Y2, (AX)(R10*1)
	VMOVUPS Y3, (AX)(R10*2)
	LEAQ    (AX)(R10*2), AX
	VMOVUPS Y4, (AX)(R10*1)
	ADDQ    $8, BX
	ADDQ    $8, DX
	JMP     preblock

pretokdone:
	SUBQ BX, DX
	ADDQ M1_E(R8), DX              // next token's row
	LEAQ (SI)(R10*4), SI           // next Pre row (4 vectors of E)
	DECQ R9
	JNZ  pretoken

	// State updates, block by block.
	SCAN_EXP2_CONST
	XORQ BX, BX
	MOVQ M1_QGROUP(R8), AX
	MOVQ AX, 16(SP)                // int8 state: channels left in the group
	MOVQ $0, 24(SP)                // int8 state: byte offset of the group's scale row

block:
	CMPQ BX, M1_NC(R8)
	JGE  chunkdone
	MOVQ  BX, SI
	IMULQ M1_N(R8), SI
	SHLQ  $2, SI                   // c*N*4: block c/8 of 8N floats
	MOVQ  M1_A(R8), DI
	ADDQ  SI, DI                   // &A[c/8][0][0]
	ADDQ  M1_STATE(R8), SI         // &h[c/8][0][0]
	MOVQ  M1_PRE(R8), R13
	LEAQ  (R13)(BX*4), R13
	MOVQ  R11, AX
	IMULQ M1_N(R8), AX
	SHLQ  $3, AX
	MOVQ  M1_BC(R8), R14
	ADDQ  AX, R14                  // &BC[t0][0]
	MOVQ  R11, AX
	IMULQ M1_E(R8), AX
	ADDQ  BX, AX
	SHLQ  $2, AX
	MOVQ  M1_Y(R8), R9
	ADDQ  AX, R9                   // &y[t0][c]
	MOVQ  0(SP), AX
	MOVQ  AX, 8(SP)
	CMPQ  M1_Q(R8), $0
	JNE   qstep

token:
	VMOVUPS (R13), Y15             // dl
	VMOVUPS (R13)(R10*1), Y14      // du
	VMOVUPS (R13)(R10*2), Y13      // acc = D*u
	MOVQ    R14, R12
	XORQ    CX, CX
	MOVQ    M1_N(R8), AX
	SHLQ    $5, AX                 // N*32: bytes of a block's rows

state:
	SCAN_M1_STATE((DI)(CX*1), (SI)(CX*1), (R12), 4(R12), Y0, Y1, Y2, Y3, Y4, Y5)
	ADDQ $8, R12
	ADDQ $32, CX
	CMPQ CX, AX
	JNE  state

	LEAQ    (R13)(R10*2), AX
	VMULPS  (AX)(R10*1), Y13, Y13  // y = acc*g
	VMOVUPS Y13, (R9)
	ADDQ    R10, R9
	LEAQ    (R13)(R10*4), R13
	MOVQ    M1_N(R8), AX
	LEAQ    (R14)(AX*8), R14
	DECQ    8(SP)
	JNZ     token
	ADDQ    $8, BX
	JMP     block

	// Decode step on an int8 state (a.L = 1, one chunk of one token):
	// each row is dequantized, updated and requantized in registers.
	// CX = 4n indexes everything: A row (DI)(CX*8), int8 row (SI)(CX*2),
	// scale (DX)(CX*1), reciprocal (R9)(CX*1), Bf/Cf (R14)(CX*2).
qstep:
	MOVQ    BX, SI
	IMULQ   M1_N(R8), SI
	ADDQ    M1_Q(R8), SI           // &Q[c/8][0][0]
	MOVQ    24(SP), AX
	MOVQ    M1_QSCALE(R8), DX
	ADDQ    AX, DX                 // &QScale[c/Group][0]
	MOVQ    M1_QINV(R8), R9
	ADDQ    AX, R9                 // &QInv[c/Group][0]
	VMOVUPS (R13), Y15             // dl
	VMOVUPS (R13)(R10*1), Y14      // du
	VMOVUPS (R13)(R10*2), Y13      // acc = D*u
	XORQ    CX, CX
	MOVQ    M1_N(R8), AX
	SHLQ    $2, AX

qstate:
	VPMOVSXBD    (SI)(CX*2), Y5
	VCVTDQ2PS    Y5, Y5
	VBROADCASTSS (DX)(CX*1), Y4
	VMULPS       Y4, Y5, Y5        // h = q*scale
	VMULPS       (DI)(CX*8), Y15, Y0 // dl*A
	SCAN_EXP2(Y0, Y1, Y2, Y3)      // dA
	VBROADCASTSS (R14)(CX*2), Y4
	VMULPS       Y4, Y14, Y4       // du*Bf[n]
	VFMADD231PS  Y5, Y0, Y4        // h = dA*h + du*Bf[n]
	VBROADCASTSS 4(R14)(CX*2), Y5
	VFMADD231PS  Y4, Y5, Y13       // acc += Cf[n]*h
	VBROADCASTSS (R9)(CX*1), Y0
	VMULPS       Y0, Y4, Y4        // h*(1/scale)
	VMOVUPS      scanconst<>+0(SB), Y1
	VMINPS       Y4, Y1, Y4        // min(127, v); NaN stays
	VMOVUPS      scanconst<>+32(SB), Y1
	VMAXPS       Y4, Y1, Y4        // max(-128, v)
	VCVTPS2DQ    Y4, Y4            // round half to even
	VEXTRACTI128 $1, Y4, X1
	VPACKSSDW    X1, X4, X4
	VPACKSSWB    X4, X4, X4
	MOVQ         X4, (SI)(CX*2)
	ADDQ         $4, CX
	CMPQ         CX, AX
	JNE          qstate

	LEAQ    (R13)(R10*2), AX
	VMULPS  (AX)(R10*1), Y13, Y13  // y = acc*g
	MOVQ    M1_Y(R8), AX
	VMOVUPS Y13, (AX)(BX*4)        // y[0][c]
	// Next block: follow the scale group.
	SUBQ    $8, 16(SP)
	JNZ     qnext
	MOVQ    M1_QGROUP(R8), AX
	MOVQ    AX, 16(SP)
	MOVQ    M1_N(R8), AX
	SHLQ    $2, AX
	ADDQ    AX, 24(SP)

qnext:
	ADDQ    $8, BX
	JMP     block

chunkdone:
	ADDQ 0(SP), R11
	JMP  chunk

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
#define M2_H 56
#define M2_P 64
#define M2_PC 72
#define M2_N 80
#define M2_L 88
#define M2_GN 96
#define M2_HPG 104
#define M2_H0 112
#define M2_H1 120
#define M2_XF 128
#define M2_F32 136

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
// Loop structure: heads [H0, H1) outermost (a head's state, N rows of P
// floats, stays in L1/L2 across the tokens of a prefill), tokens, blocks of 32 channels
// (4 vectors; then blocks of 8), state rows n innermost. delta and
// dA = exp(delta*A) per token and head come precomputed in a.DD. x is
// int8 with per-channel scales, or float32 (a.F32 set) used unscaled.
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
	MOVQ M2_H0(R8), BX

m2head:
	CMPQ  BX, M2_H1(R8)
	JGE   m2done
	MOVQ  BX, SI
	SUBQ  M2_H0(R8), SI
	IMULQ M2_N(R8), SI
	IMULQ R9, SI
	ADDQ  M2_STATE(R8), SI         // state of head h: (h-H0)*N*P floats in
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
	LEAQ         (R11)(DI*1), AX
	ADDQ         CX, AX
	CMPQ         M2_F32(R8), $0
	JNE          m2x32f
	MOVQ         M2_X(R8), DX
	VPMOVSXBD    (DX)(AX*1), Y0
	VPMOVSXBD    8(DX)(AX*1), Y1
	VPMOVSXBD    16(DX)(AX*1), Y2
	VPMOVSXBD    24(DX)(AX*1), Y3
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y1, Y1
	VCVTDQ2PS    Y2, Y2
	VCVTDQ2PS    Y3, Y3
	LEAQ         (DI)(CX*1), DX
	SHLQ         $2, DX
	ADDQ         M2_SX(R8), DX
	VMULPS       (DX), Y0, Y0
	VMULPS       32(DX), Y1, Y1
	VMULPS       64(DX), Y2, Y2
	VMULPS       96(DX), Y3, Y3
	JMP          m2x32done

m2x32f:
	// float32 x: used unscaled
	MOVQ         M2_XF(R8), DX
	VMOVUPS      (DX)(AX*4), Y0
	VMOVUPS      32(DX)(AX*4), Y1
	VMOVUPS      64(DX)(AX*4), Y2
	VMOVUPS      96(DX)(AX*4), Y3

m2x32done:
	MOVQ         M2_D(R8), DX
	VBROADCASTSS (DX)(BX*4), Y12
	VMULPS       Y0, Y12, Y4
	VMULPS       Y1, Y12, Y5
	VMULPS       Y2, Y12, Y6
	VMULPS       Y3, Y12, Y7
	VMULPS       Y0, Y14, Y0
	VMULPS       Y1, Y14, Y1
	VMULPS       Y2, Y14, Y2
	VMULPS       Y3, Y14, Y3
	LEAQ         (SI)(CX*4), AX
	MOVQ         R12, DX
	MOVQ         M2_N(R8), R14

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
	CMPQ         CX, M2_PC(R8)
	JGE          m2tokdone
	LEAQ         (R11)(DI*1), AX
	ADDQ         CX, AX
	CMPQ         M2_F32(R8), $0
	JNE          m2x8f
	MOVQ         M2_X(R8), DX
	VPMOVSXBD    (DX)(AX*1), Y0
	VCVTDQ2PS    Y0, Y0
	LEAQ         (DI)(CX*1), DX
	SHLQ         $2, DX
	ADDQ         M2_SX(R8), DX
	VMULPS       (DX), Y0, Y0
	JMP          m2x8done

m2x8f:
	MOVQ         M2_XF(R8), DX
	VMOVUPS      (DX)(AX*4), Y0

m2x8done:
	MOVQ         M2_D(R8), DX
	VBROADCASTSS (DX)(BX*4), Y12
	VMULPS       Y0, Y12, Y4
	VMULPS       Y0, Y14, Y0
	LEAQ         (SI)(CX*4), AX
	MOVQ         R12, DX
	MOVQ         M2_N(R8), R14

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
	INCQ  BX
	JMP   m2head

m2done:
	VZEROUPPER
	RET

// Field offsets of ScanQ8Args.
#define Q8_Q 0
#define Q8_F 8
#define Q8_SCALE 16
#define Q8_BLOCKS 24
#define Q8_N 32
#define Q8_W 40
#define Q8_WC 48
#define Q8_GROUP 56
#define Q8_G0 64
#define Q8_REM0 72


// Q8_LOOP is the loop nest shared by ScanQ8LoadAVX2 and ScanQ8StoreAVX2;
// body converts 8 elements at SI (int8) / DI (float32) with the scale
// broadcast in Y1. Channel groups are followed by counting, without
// divisions: R11 is the group of the block's first channel and R13 the
// channels left in it; R12 counts down within a row.
//
// Registers: R8 a, BX block b, CX row n, R9 &Q[b][n][0], R10 &F[b][n][0],
//   R11, R13 as above, SI/DI element pointers, DX elements left in the row,
//   R12 channels left in the current group, R14 &Scale[group][n].
#define Q8_LOOP(body, lblock, lrow, lelem, lrowdone, lblockdone, ladvance, ladvanced, ldone) \
	MOVQ  a+0(FP), R8; \
	MOVQ  Q8_Q(R8), R9; \
	MOVQ  Q8_F(R8), R10; \
	XORQ  BX, BX; \
	MOVQ  Q8_G0(R8), R11; \
	MOVQ  Q8_REM0(R8), R13; \
lblock: \
	CMPQ  BX, Q8_BLOCKS(R8); \
	JGE   ldone; \
	XORQ  CX, CX; \
lrow: \
	CMPQ  CX, Q8_N(R8); \
	JGE   lblockdone; \
	MOVQ  R11, AX; \
	IMULQ Q8_N(R8), AX; \
	ADDQ  CX, AX; \
	SHLQ  $2, AX; \
	MOVQ  Q8_SCALE(R8), R14; \
	ADDQ  AX, R14; \
	VBROADCASTSS (R14), Y1; \
	MOVQ  R13, R12; \
	MOVQ  R9, SI; \
	MOVQ  R10, DI; \
	MOVQ  Q8_WC(R8), DX; \
lelem: \
	body; \
	ADDQ  $8, SI; \
	ADDQ  $32, DI; \
	SUBQ  $8, DX; \
	JZ    lrowdone; \
	SUBQ  $8, R12; \
	JNZ   lelem; \
	MOVQ  Q8_GROUP(R8), R12; /* next group: scale row + N */ \
	MOVQ  Q8_N(R8), AX; \
	LEAQ  (R14)(AX*4), R14; \
	VBROADCASTSS (R14), Y1; \
	JMP   lelem; \
lrowdone: \
	ADDQ  Q8_W(R8), R9; \
	MOVQ  Q8_W(R8), AX; \
	LEAQ  (R10)(AX*4), R10; \
	INCQ  CX; \
	JMP   lrow; \
lblockdone: \
	MOVQ  Q8_W(R8), AX; /* advance the group by the block's W channels */ \
ladvance: \
	CMPQ  AX, R13; \
	JLT   ladvanced; \
	SUBQ  R13, AX; \
	INCQ  R11; \
	MOVQ  Q8_GROUP(R8), R13; \
	JMP   ladvance; \
ladvanced: \
	SUBQ  AX, R13; \
	INCQ  BX; \
	JMP   lblock; \
ldone: \
	VZEROUPPER; \
	RET

// h = float32(q)*scale
#define Q8_LOAD_BODY \
	VPMOVSXBD (SI), Y0; \
	VCVTDQ2PS Y0, Y0; \
	VMULPS    Y1, Y0, Y0; \
	VMOVUPS   Y0, (DI)

// q = saturate(roundEven(h*(1/scale))), Y1 = 1/scale: clamp in float
// (NaN stays NaN and converts to 0x80000000, then saturates to -128),
// convert, pack.
#define Q8_STORE_BODY \
	VMOVUPS      (DI), Y0; \
	VMULPS       Y1, Y0, Y0; \
	VMINPS       Y0, Y14, Y0; \
	VMAXPS       Y0, Y15, Y0; \
	VCVTPS2DQ    Y0, Y0; \
	VEXTRACTI128 $1, Y0, X2; \
	VPACKSSDW    X2, X0, X0; \
	VPACKSSWB    X0, X0, X0; \
	MOVQ         X0, (SI)

// func ScanQ8LoadAVX2(a *ScanQ8Args)
TEXT ·ScanQ8LoadAVX2(SB), NOSPLIT, $0-8
	Q8_LOOP(Q8_LOAD_BODY, qlblock, qlrow, qlelem, qlrowdone, qlblockdone, qladvance, qladvanced, qldone)

// func ScanQ8StoreAVX2(a *ScanQ8Args)
TEXT ·ScanQ8StoreAVX2(SB), NOSPLIT, $0-8
	VMOVUPS scanconst<>+0(SB), Y14
	VMOVUPS scanconst<>+32(SB), Y15
	Q8_LOOP(Q8_STORE_BODY, qsblock, qsrow, qselem, qsrowdone, qsblockdone, qsadvance, qsadvanced, qsdone)

// func ScanRecipAVX2(dst, src []float32)
// dst[i] = 1/src[i] for i < len(src) rounded down to a multiple of 8.
TEXT ·ScanRecipAVX2(SB), NOSPLIT, $0-48
	MOVQ    dst_base+0(FP), DI
	MOVQ    src_base+24(FP), SI
	MOVQ    src_len+32(FP), CX
	SHRQ    $3, CX
	JZ      recipdone
	VMOVUPS expconst<>+352(SB), Y2 // 1.0

recip:
	VMOVUPS (SI), Y0
	VDIVPS  Y0, Y2, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     recip
	VZEROUPPER

recipdone:
	RET
