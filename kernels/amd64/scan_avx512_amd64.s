//go:build !noasm

#include "textflag.h"
#include "exp_avx512_amd64.h"

// AVX-512 selective-scan kernels (Mamba1 scan, Mamba2 SSM): 16 lanes per
// ZMM register, bit-for-bit twins of the pure-Go code in kernels/scan.go
// and of the AVX2 kernels (same float32 operations in the same order, FMAs
// where the Go code calls expFMA). Only AVX-512 F instructions (plus VEX
// AVX2) are used.

// scanc16<>: single float32 constants, broadcast into registers.
#define SCANC16(off, v) DATA scanc16<>+(off)(SB)/4, $v

SCANC16(0, 0x42fe0000)  // 127.0: int8 state saturation
SCANC16(4, 0xc3000000)  // -128.0
SCANC16(8, 0xc2fa0000)  // -125.0: SCAN_EXP2 flush bound
SCANC16(12, 0x39222000) // C6 = 0.00015461445: 2**f on [-1/2, 1/2]
SCANC16(16, 0x3aafa460) // C5 = 0.0013400428
SCANC16(20, 0x3c1d950e) // C4 = 0.009618057
SCANC16(24, 0x3d635766) // C3 = 0.05550327
SCANC16(28, 0x3e75fdf0) // C2 = 0.2402265
SCANC16(32, 0x3f317218) // C1 = 0.6931472
SCANC16(36, 0x3f800000) // C0 = 1.0
GLOBL scanc16<>(SB), RODATA|NOPTR, $40

// SCAN_EXP2_512(x, t0, t1): x = 2**x on 16 lanes, the twin of
// kernels.scanExp2 and SCAN_EXP2 (AVX2): x < -125 gives 0 (flush),
// x is clamped to [-125, 0] (NaN to -125), n = roundEven(x), f = x - n
// (exact), 2**x = P(f)·2**n. P(f) is in [0.70, 1.42] and n >= -125, so
// P(f)·2**n is normal and VSCALEFPS gives exactly the bits of the integer
// exponent addition of the other tiers; zero-masking with K2 (the lanes
// not below -125) does the flush. t0, t1 are clobbered, and K2. Reads
// Z16..Z22 = C6..C0, Z23 = -125, Z24 = 0 (SCAN_EXP2_512_CONST).
// 13 instructions.
#define SCAN_EXP2_512(x, t0, t1) \
	VCMPPS      $5, Z23, x, K2; /* keep: !(x < -125) */ \
	VMAXPS      Z23, x, x; /* x > -125 ? x : -125 */ \
	VMINPS      Z24, x, x; /* x < 0 ? x : 0 */ \
	VRNDSCALEPS $8, x, t0; /* n */ \
	VSUBPS      t0, x, x; /* f = x - n */ \
	VMOVAPS     Z17, t1; \
	VFMADD231PS Z16, x, t1; /* p = C6*f + C5 */ \
	VFMADD213PS Z18, x, t1; /* p = p*f + C4 */ \
	VFMADD213PS Z19, x, t1; \
	VFMADD213PS Z20, x, t1; \
	VFMADD213PS Z21, x, t1; /* p = p*f + C1 */ \
	VFMADD213PS Z22, x, t1; /* p = p*f + C0 */ \
	VSCALEFPS.Z t0, t1, K2, x /* x = p * 2**n, flushed lanes 0 */

// SCAN_EXP2_512_CONST loads the SCAN_EXP2_512 constants, and 127 and -128
// (int8 state) into Z25, Z26.
#define SCAN_EXP2_512_CONST \
	VBROADCASTSS scanc16<>+12(SB), Z16; \
	VBROADCASTSS scanc16<>+16(SB), Z17; \
	VBROADCASTSS scanc16<>+20(SB), Z18; \
	VBROADCASTSS scanc16<>+24(SB), Z19; \
	VBROADCASTSS scanc16<>+28(SB), Z20; \
	VBROADCASTSS scanc16<>+32(SB), Z21; \
	VBROADCASTSS scanc16<>+36(SB), Z22; \
	VBROADCASTSS scanc16<>+8(SB), Z23; \
	VPXORD       Z24, Z24, Z24; \
	VBROADCASTSS scanc16<>+0(SB), Z25; \
	VBROADCASTSS scanc16<>+4(SB), Z26

// Field offsets of ScanM1Args (package scanabi checks them at compile time).
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

// M1_IN16 loads 16 inputs of token-channel index DX as float32 into dst:
// int8 (field oi8, converted) or float32 (field of32, when a.F32 is set).
// Clobbers AX.
#define M1_IN16(oi8, of32, dst, lf, ld) \
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

// M1_ROW16 updates state row n (byte offset CX in a block) of two blocks
// of 8 channels, lanes 0-7 from the block at DI (A) / SI (h) and lanes
// 8-15 from the block at DX / AX, and accumulates the output term:
//   dA = exp2(dl*A[n]); h[n] = fma(dA, h[n], du*Bf[n]); acc = fma(Cf[n], h[n], acc)
// Bf[n], Cf[n] are broadcast from (R12), 4(R12). Reads Z15 (dl), Z14 (du)
// and the SCAN_EXP2_512 constants, updates Z13 (acc); Z0-Z5 temporaries.
// The rows 4 KB ahead of every stream are prefetched: in a decode step, A
// and the state come from DRAM (the layer's weights have streamed through
// the caches since the last step), and with the two blocks read in step
// the hardware prefetchers alone left the cold step 1.2x slower than the
// AVX2 kernel's; with the prefetches it is 1.4x faster
// (BenchmarkScanM1VsGEMV130M). A hot step is unchanged.
#define M1_ROW16 \
	PREFETCHT0       4096(DI)(CX*1); /* 8 blocks ahead for N = 16: decode steps find A and h in DRAM */ \
	PREFETCHT0       4096(DX)(CX*1); \
	PREFETCHT0       4096(SI)(CX*1); \
	PREFETCHT0       4096(AX)(CX*1); \
	VMOVUPS          (DI)(CX*1), Y0; \
	VINSERTF64X4     $1, (DX)(CX*1), Z0, Z0; /* A rows of both blocks */ \
	VMULPS           Z0, Z15, Z0; /* dl*A */ \
	SCAN_EXP2_512(Z0, Z1, Z2); /* dA */ \
	VMULPS.BCST      (R12), Z14, Z4; /* du*Bf[n] */ \
	VMOVUPS          (SI)(CX*1), Y5; \
	VINSERTF64X4     $1, (AX)(CX*1), Z5, Z5; /* h rows */ \
	VFMADD231PS      Z5, Z0, Z4; /* h = dA*h + du*Bf[n] */ \
	VMOVUPS          Y4, (SI)(CX*1); \
	VEXTRACTF64X4    $1, Z4, (AX)(CX*1); \
	VFMADD231PS.BCST 4(R12), Z4, Z13 /* acc += Cf[n]*h */

// func ScanM1AVX512(a *ScanM1Args)
//
// The structure of ScanM1AVX2, 16 channels at a time; needs a.NC >= 16.
// For a chunk of a.LC tokens, a prepass computes dl = delta*log2e,
// du = delta*u, acc0 = D*u and the gate g of every (token, channel) into
// a.Pre, 16 channels at a time (a last partial group of 8 is done as the
// 16 channels ending at NC: the overlap recomputes the same values). Then
// the state is updated two blocks of 8 channels at a time (lanes 0-7 and
// 8-15 of each vector; their rows are 32*N bytes apart in the blocked
// layout [NC/8][N][8]); an odd last block runs alone, duplicated into
// both halves of the vectors (the upper half recomputes the lower one and
// is stored to the same place; only the lower half of y is stored). With
// a.Q set (decode step, L = 1) the state is int8, converted row by row in
// registers (qstep).
//
// Registers:
//   R8  a                 R10 E*4: row stride (bytes) of Pre and y
//   R11 t0, first token of the chunk; 0(SP) tokens in the chunk,
//   8(SP) tokens left, 32(SP) N*32, 40(SP) 1 for a lone last block
//   prepass: BX c, DX t*E + c, SI &Pre[tt][0][0], R9 tokens left
//   states:  BX c, DI/DX &A of the two blocks, SI/AX &h of the two blocks,
//            R13 &Pre[tt][0][c], R14 &BC[t][0], R9 &y[t][c],
//            row loop: CX n*32, R12 &BC[t][n]
//   Z15 dl, Z14 du, Z13 acc, Z16-Z26 constants, Z0-Z5 temporaries,
//   K2 flush mask, K3 = 0xff00 (upper half)
TEXT ·ScanM1AVX512(SB), NOSPLIT, $48-8
	MOVQ  a+0(FP), R8
	MOVQ  M1_E(R8), R10
	SHLQ  $2, R10
	XORQ  R11, R11
	MOVQ  M1_N(R8), AX
	SHLQ  $5, AX
	MOVQ  AX, 32(SP)
	MOVL  $0xff00, AX
	KMOVW AX, K3

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

	// Prepass over the chunk's tokens and all channels.
	EXP512_CONST
	MOVQ  0(SP), R9
	MOVQ  R11, DX
	IMULQ M1_E(R8), DX             // DX = t*E
	MOVQ  M1_PRE(R8), SI

pretoken:
	XORQ BX, BX

pregroup:
	CMPQ BX, M1_NC(R8)
	JGE  pretokdone
	MOVQ M1_NC(R8), AX
	SUBQ BX, AX
	CMPQ AX, $16
	JGE  prefull
	SUBQ $8, BX                    // last 8 channels: the 16 ending at NC
	SUBQ $8, DX

prefull:
	// delta = softplus(fma(SDt, dt, DtBias))
	M1_IN16(M1_DT, M1_DTF, Z0, dtf32, dtin)
	VBROADCASTSS M1_SDT(R8), Z1
	MOVQ         M1_DTBIAS(R8), AX
	VFMADD213PS  (AX)(BX*4), Z1, Z0
	SOFTPLUS_AVX512(Z0, Z1, Z2, Z3, Z4)
	// uf = u*SU; du = delta*uf; acc0 = D*uf
	M1_IN16(M1_U, M1_UF, Z1, uf32, uin)
	VBROADCASTSS M1_SU(R8), Z2
	VMULPS       Z2, Z1, Z1
	VMULPS       Z1, Z0, Z2
	VMULPS       Z29, Z0, Z0       // dl = delta*log2e
	MOVQ         M1_D(R8), AX
	VMULPS       (AX)(BX*4), Z1, Z3
	// g = zf / (1 + exp(-zf)), zf = z*SZ
	M1_IN16(M1_Z, M1_ZF, Z4, zf32, zin)
	VBROADCASTSS M1_SZ(R8), Z5
	VMULPS       Z5, Z4, Z4
	VPXORD.BCST  expc16<>+48(SB), Z4, Z5
	EXP_AVX512(Z5, Z6, Z7, Z8)
	VADDPS       Z20, Z5, Z5       // 1 + exp(-zf)
	VDIVPS       Z5, Z4, Z4
	// Pre[tt][k][c] for k = dl, du, acc0, g
	LEAQ    (SI)(BX*4), AX
	VMOVUPS Z0, (AX)
	VMOVUPS Z2, (AX)(R10*1)
	VMOVUPS Z3, (AX)(R10*2)
	LEAQ    (AX)(R10*2), AX
	VMOVUPS Z4, (AX)(R10*1)
	ADDQ    $16, BX
	ADDQ    $16, DX
	JMP     pregroup

pretokdone:
	SUBQ BX, DX
	ADDQ M1_E(R8), DX              // next token's row
	LEAQ (SI)(R10*4), SI           // next Pre row (4 vectors of E)
	DECQ R9
	JNZ  pretoken

	// State updates, two blocks at a time.
	SCAN_EXP2_512_CONST
	XORQ BX, BX

block:
	CMPQ BX, M1_NC(R8)
	JGE  chunkdone
	MOVQ M1_NC(R8), AX
	SUBQ BX, AX
	SUBQ $8, AX
	SETEQ AX
	MOVBQZX AX, AX
	MOVQ AX, 40(SP)                // 1: a lone last block
	CMPQ  M1_Q(R8), $0
	JNE   qstep
	MOVQ  BX, SI
	IMULQ M1_N(R8), SI
	SHLQ  $2, SI                   // c*N*4: block c/8 of 8N floats
	MOVQ  M1_A(R8), DI
	ADDQ  SI, DI                   // &A[c/8][0][0]
	ADDQ  M1_STATE(R8), SI         // &h[c/8][0][0]
	MOVQ  DI, DX
	MOVQ  SI, AX
	CMPQ  40(SP), $0
	JNE   lone
	ADDQ  32(SP), DX               // the next block
	ADDQ  32(SP), AX

lone:
	MOVQ  M1_PRE(R8), R13
	LEAQ  (R13)(BX*4), R13
	MOVQ  R11, CX
	IMULQ M1_N(R8), CX
	SHLQ  $3, CX
	MOVQ  M1_BC(R8), R14
	ADDQ  CX, R14                  // &BC[t0][0]
	MOVQ  R11, CX
	IMULQ M1_E(R8), CX
	ADDQ  BX, CX
	SHLQ  $2, CX
	MOVQ  M1_Y(R8), R9
	ADDQ  CX, R9                   // &y[t0][c]
	MOVQ  0(SP), CX
	MOVQ  CX, 8(SP)

token:
	CMPQ            40(SP), $0
	JNE             tokone
	VMOVUPS         (R13), Z15     // dl
	VMOVUPS         (R13)(R10*1), Z14 // du
	VMOVUPS         (R13)(R10*2), Z13 // acc = D*u
	JMP             tokrows

tokone:
	VBROADCASTF64X4 (R13), Z15
	VBROADCASTF64X4 (R13)(R10*1), Z14
	VBROADCASTF64X4 (R13)(R10*2), Z13

tokrows:
	MOVQ R14, R12
	XORQ CX, CX

state:
	M1_ROW16
	ADDQ $8, R12
	ADDQ $32, CX
	CMPQ CX, 32(SP)
	JNE  state

	LEAQ    (R13)(R10*2), CX
	VMULPS  (CX)(R10*1), Z13, Z13  // y = acc*g
	CMPQ    40(SP), $0
	JNE     ylone
	VMOVUPS Z13, (R9)
	JMP     ydone

ylone:
	VMOVUPS Y13, (R9)

ydone:
	ADDQ    R10, R9
	LEAQ    (R13)(R10*4), R13
	MOVQ    M1_N(R8), CX
	LEAQ    (R14)(CX*8), R14
	DECQ    8(SP)
	JNZ     token

blockdone:
	ADDQ $16, BX
	CMPQ 40(SP), $0
	JEQ  block
	SUBQ $8, BX
	JMP  block

	// Decode step on an int8 state (a.L = 1, one chunk of one token):
	// each row of the two blocks is dequantized, updated and requantized
	// in registers. Pointers advance by row: SI/AX int8 rows (8 bytes),
	// DI/DX A rows (32 bytes), R9/R12 scales of the two blocks' groups
	// (4 bytes; the reciprocals at the same offsets from R13 on), R14
	// (Bf, Cf) pairs (8 bytes); CX counts the rows down.
qstep:
	// Scale rows: (c/Group)*N*4 and ((c+8 or c)/Group)*N*4 bytes in.
	MOVQ  BX, AX
	XORQ  DX, DX
	DIVQ  M1_QGROUP(R8)
	IMULQ 32(SP), AX
	SHRQ  $3, AX
	MOVQ  M1_QSCALE(R8), R9
	ADDQ  AX, R9                   // &QScale[c/Group][0]
	LEAQ  8(BX), AX
	CMPQ  40(SP), $0
	JEQ   qpair
	MOVQ  BX, AX

qpair:
	XORQ  DX, DX
	DIVQ  M1_QGROUP(R8)
	IMULQ 32(SP), AX
	SHRQ  $3, AX
	MOVQ  M1_QSCALE(R8), R12
	ADDQ  AX, R12                  // &QScale[(c+8)/Group][0]
	MOVQ  M1_QINV(R8), R13
	SUBQ  M1_QSCALE(R8), R13       // QInv - QScale (bytes)
	MOVQ  BX, SI
	IMULQ M1_N(R8), SI
	MOVQ  SI, DI
	ADDQ  M1_Q(R8), SI             // &Q[c/8][0][0]
	SHLQ  $2, DI
	ADDQ  M1_A(R8), DI             // &A[c/8][0][0]
	MOVQ  SI, AX
	MOVQ  DI, DX
	CMPQ  40(SP), $0
	JNE   qlone
	MOVQ  M1_N(R8), CX
	LEAQ  (AX)(CX*8), AX           // the next block
	ADDQ  32(SP), DX

qlone:
	MOVQ            M1_PRE(R8), CX
	LEAQ            (CX)(BX*4), CX
	CMPQ            40(SP), $0
	JNE             qtokone
	VMOVUPS         (CX), Z15      // dl
	VMOVUPS         (CX)(R10*1), Z14 // du
	VMOVUPS         (CX)(R10*2), Z13 // acc = D*u
	JMP             qrows

qtokone:
	VBROADCASTF64X4 (CX), Z15
	VBROADCASTF64X4 (CX)(R10*1), Z14
	VBROADCASTF64X4 (CX)(R10*2), Z13

qrows:
	MOVQ M1_BC(R8), R14
	MOVQ M1_N(R8), CX

qstate:
	PREFETCHT0       4096(DI)      // A and the int8 rows ahead, as M1_ROW16
	PREFETCHT0       4096(DX)
	PREFETCHT0       1024(SI)
	PREFETCHT0       1024(AX)
	VMOVQ            (SI), X5
	VPINSRQ          $1, (AX), X5, X5
	VPMOVSXBD        X5, Z5
	VCVTDQ2PS        Z5, Z5
	VBROADCASTSS     (R9), Z4
	VBROADCASTSS     (R12), K3, Z4 // scales of both blocks' groups
	VMULPS           Z4, Z5, Z5    // h = q*scale
	VMOVUPS          (DI), Y0
	VINSERTF64X4     $1, (DX), Z0, Z0
	VMULPS           Z0, Z15, Z0   // dl*A
	SCAN_EXP2_512(Z0, Z1, Z2)      // dA
	VMULPS.BCST      (R14), Z14, Z4 // du*Bf[n]
	VFMADD231PS      Z5, Z0, Z4    // h = dA*h + du*Bf[n]
	VFMADD231PS.BCST 4(R14), Z4, Z13 // acc += Cf[n]*h
	VBROADCASTSS     (R9)(R13*1), Z0
	VBROADCASTSS     (R12)(R13*1), K3, Z0
	VMULPS           Z0, Z4, Z4    // h*(1/scale)
	VMINPS           Z4, Z25, Z4   // min(127, v); NaN stays
	VMAXPS           Z4, Z26, Z4   // max(-128, v)
	VCVTPS2DQ        Z4, Z4        // round half to even
	VPMOVSDB         Z4, X4
	VMOVQ            X4, (SI)
	VPEXTRQ          $1, X4, (AX)
	ADDQ             $8, SI
	ADDQ             $8, AX
	ADDQ             $32, DI
	ADDQ             $32, DX
	ADDQ             $4, R9
	ADDQ             $4, R12
	ADDQ             $8, R14
	DECQ             CX
	JNZ              qstate

	MOVQ    M1_PRE(R8), CX
	LEAQ    (CX)(BX*4), CX
	LEAQ    (CX)(R10*2), CX
	VMULPS  (CX)(R10*1), Z13, Z13  // y = acc*g
	MOVQ    M1_Y(R8), CX
	LEAQ    (CX)(BX*4), CX         // &y[0][c]
	CMPQ    40(SP), $0
	JNE     qylone
	VMOVUPS Z13, (CX)
	JMP     blockdone

qylone:
	VMOVUPS Y13, (CX)
	JMP     blockdone

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

// M2_ROW updates one state row n of a vector of channels:
//   S = fma(dA, S, dx*Bf[n]); acc = fma(Cf[n], S, acc)
// with Z12 = Bf[n], Z13 = Cf[n], Z15 = dA broadcast (Y12, Y13, Y15 for
// 8 channels); srow is the memory operand of the row, dx and acc
// registers, t a temporary, all Z (16 channels) or all Y (8).
#define M2_ROW(bf, cf, da, srow, dx, acc, t) \
	VMULPS      bf, dx, t; /* dx*Bf[n] */ \
	VFMADD231PS srow, da, t; /* S = dA*S + dx*Bf[n] */ \
	VMOVUPS     t, srow; \
	VFMADD231PS t, cf, acc /* acc += Cf[n]*S */

// M2_X_I8(off, r) converts 16 int8 x at (DX)(AX*1) + off to float32 in r.
#define M2_X_I8(off, r) \
	VPMOVSXBD off(DX)(AX*1), r; \
	VCVTDQ2PS r, r

// func ScanM2AVX512(a *ScanM2Args)
//
// The structure of ScanM2AVX2 with 16 lanes: heads [H0, H1) outermost,
// tokens, blocks of 64 channels (4 vectors; then blocks of 16, then of 8
// in Y registers), state rows n innermost. delta and dA = exp(delta*A)
// per token and head come precomputed in a.DD.
//
// Registers:
//   R8  a                      BX  h
//   SI  &S[h][0][0]            R9  P*4, row stride of S
//   DI  h*P                    R10 tokens left
//   R11 t*H*P                  R12 &BC[t][g*N], g = h/HPG
//   R13 &DD[t][h]              CX  p, first channel of the block
//   row loop: AX &S[h][n][p], DX &BC[t][g*N+n], R14 rows left
//   Z14 delta, Z15 dA, Z0-Z3 dx = delta*x, Z4-Z7 acc, Z8-Z11 S rows,
//   Z12 Bf[n], Z13 Cf[n]
TEXT ·ScanM2AVX512(SB), NOSPLIT, $0-8
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
	VBROADCASTSS (R13), Z14        // delta
	MOVQ         M2_H(R8), AX
	VBROADCASTSS (R13)(AX*4), Z15  // dA
	XORQ         CX, CX

m2p64:
	MOVQ M2_PC(R8), AX
	SUBQ CX, AX
	CMPQ AX, $64
	JLT  m2p16
	// xf = x*SX; acc = D*xf; dx = delta*xf (4 vectors)
	LEAQ      (R11)(DI*1), AX
	ADDQ      CX, AX
	CMPQ      M2_F32(R8), $0
	JNE       m2x64f
	MOVQ      M2_X(R8), DX
	M2_X_I8(0, Z0)
	M2_X_I8(16, Z1)
	M2_X_I8(32, Z2)
	M2_X_I8(48, Z3)
	LEAQ      (DI)(CX*1), DX
	SHLQ      $2, DX
	ADDQ      M2_SX(R8), DX
	VMULPS    (DX), Z0, Z0
	VMULPS    64(DX), Z1, Z1
	VMULPS    128(DX), Z2, Z2
	VMULPS    192(DX), Z3, Z3
	JMP       m2x64done

m2x64f:
	// float32 x: used unscaled
	MOVQ    M2_XF(R8), DX
	VMOVUPS (DX)(AX*4), Z0
	VMOVUPS 64(DX)(AX*4), Z1
	VMOVUPS 128(DX)(AX*4), Z2
	VMOVUPS 192(DX)(AX*4), Z3

m2x64done:
	MOVQ         M2_D(R8), DX
	VBROADCASTSS (DX)(BX*4), Z12
	VMULPS       Z0, Z12, Z4
	VMULPS       Z1, Z12, Z5
	VMULPS       Z2, Z12, Z6
	VMULPS       Z3, Z12, Z7
	VMULPS       Z0, Z14, Z0
	VMULPS       Z1, Z14, Z1
	VMULPS       Z2, Z14, Z2
	VMULPS       Z3, Z14, Z3
	LEAQ         (SI)(CX*4), AX
	MOVQ         R12, DX
	MOVQ         M2_N(R8), R14

m2row64:
	VBROADCASTSS (DX), Z12
	VBROADCASTSS 4(DX), Z13
	M2_ROW(Z12, Z13, Z15, (AX), Z0, Z4, Z8)
	M2_ROW(Z12, Z13, Z15, 64(AX), Z1, Z5, Z9)
	M2_ROW(Z12, Z13, Z15, 128(AX), Z2, Z6, Z10)
	M2_ROW(Z12, Z13, Z15, 192(AX), Z3, Z7, Z11)
	ADDQ R9, AX
	ADDQ $8, DX
	DECQ R14
	JNZ  m2row64

	LEAQ    (R11)(DI*1), AX
	ADDQ    CX, AX
	MOVQ    M2_Y(R8), DX
	VMOVUPS Z4, (DX)(AX*4)
	VMOVUPS Z5, 64(DX)(AX*4)
	VMOVUPS Z6, 128(DX)(AX*4)
	VMOVUPS Z7, 192(DX)(AX*4)
	ADDQ    $64, CX
	JMP     m2p64

m2p16:
	MOVQ M2_PC(R8), AX
	SUBQ CX, AX
	CMPQ AX, $16
	JLT  m2p8
	LEAQ      (R11)(DI*1), AX
	ADDQ      CX, AX
	CMPQ      M2_F32(R8), $0
	JNE       m2x16f
	MOVQ      M2_X(R8), DX
	M2_X_I8(0, Z0)
	LEAQ      (DI)(CX*1), DX
	SHLQ      $2, DX
	ADDQ      M2_SX(R8), DX
	VMULPS    (DX), Z0, Z0
	JMP       m2x16done

m2x16f:
	MOVQ    M2_XF(R8), DX
	VMOVUPS (DX)(AX*4), Z0

m2x16done:
	MOVQ         M2_D(R8), DX
	VBROADCASTSS (DX)(BX*4), Z12
	VMULPS       Z0, Z12, Z4
	VMULPS       Z0, Z14, Z0
	LEAQ         (SI)(CX*4), AX
	MOVQ         R12, DX
	MOVQ         M2_N(R8), R14

m2row16:
	VBROADCASTSS (DX), Z12
	VBROADCASTSS 4(DX), Z13
	M2_ROW(Z12, Z13, Z15, (AX), Z0, Z4, Z8)
	ADDQ R9, AX
	ADDQ $8, DX
	DECQ R14
	JNZ  m2row16

	LEAQ    (R11)(DI*1), AX
	ADDQ    CX, AX
	MOVQ    M2_Y(R8), DX
	VMOVUPS Z4, (DX)(AX*4)
	ADDQ    $16, CX
	JMP     m2p16

m2p8:
	CMPQ CX, M2_PC(R8)
	JGE  m2tokdone
	LEAQ      (R11)(DI*1), AX
	ADDQ      CX, AX
	CMPQ      M2_F32(R8), $0
	JNE       m2x8f
	MOVQ      M2_X(R8), DX
	VPMOVSXBD (DX)(AX*1), Y0
	VCVTDQ2PS Y0, Y0
	LEAQ      (DI)(CX*1), DX
	SHLQ      $2, DX
	ADDQ      M2_SX(R8), DX
	VMULPS    (DX), Y0, Y0
	JMP       m2x8done

m2x8f:
	MOVQ    M2_XF(R8), DX
	VMOVUPS (DX)(AX*4), Y0

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
	M2_ROW(Y12, Y13, Y15, (AX), Y0, Y4, Y8)
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

#define Q8_LOOP16(body16, body8, lblock, lrow, lelem, lsplit, lnext, lbody, ltail, lrowdone, lblockdone, ladvance, ladvanced, ldone) \
	MOVQ  a+0(FP), R8; \
	MOVQ  Q8_N(R8), AX; \
	SHLQ  $2, AX; \
	MOVQ  AX, 0(SP); \
	MOVL  $0xff00, AX; \
	KMOVW AX, K3; \
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
	MOVQ  R13, R12; \
	MOVQ  R9, SI; \
	MOVQ  R10, DI; \
	MOVQ  Q8_WC(R8), DX; \
lelem: \
	CMPQ  DX, $16; \
	JLT   ltail; \
	VBROADCASTSS (R14), Z1; \
	CMPQ  R12, $16; \
	JLT   lsplit; \
	SUBQ  $16, R12; /* one group for all 16 */ \
	JNZ   lbody; \
	JMP   lnext; \
lsplit: \
	ADDQ  0(SP), R14; /* R12 = 8: the upper half is in the next group */ \
	VBROADCASTSS (R14), K3, Z1; \
	MOVQ  Q8_GROUP(R8), R12; \
	SUBQ  $8, R12; \
	JNZ   lbody; \
lnext: \
	ADDQ  0(SP), R14; /* next group: scale row + N */ \
	MOVQ  Q8_GROUP(R8), R12; \
lbody: \
	body16; \
	ADDQ  $16, SI; \
	ADDQ  $64, DI; \
	SUBQ  $16, DX; \
	JMP   lelem; \
ltail: \
	TESTQ DX, DX; \
	JZ    lrowdone; \
	VBROADCASTSS (R14), Y1; \
	body8; \
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
#define Q8_LOAD16 \
	VPMOVSXBD (SI), Z0; \
	VCVTDQ2PS Z0, Z0; \
	VMULPS    Z1, Z0, Z0; \
	VMOVUPS   Z0, (DI)

#define Q8_LOAD8 \
	VPMOVSXBD (SI), Y0; \
	VCVTDQ2PS Y0, Y0; \
	VMULPS    Y1, Y0, Y0; \
	VMOVUPS   Y0, (DI)

// q = saturate(roundEven(h*(1/scale))), Z1 = 1/scale: clamp in float to
// [-128, 127] (Z15, Z14; NaN stays NaN and converts to 0x80000000, which
// saturates to -128), convert, narrow with signed saturation.
#define Q8_STORE16 \
	VMOVUPS   (DI), Z0; \
	VMULPS    Z1, Z0, Z0; \
	VMINPS    Z0, Z14, Z0; \
	VMAXPS    Z0, Z15, Z0; \
	VCVTPS2DQ Z0, Z0; \
	VPMOVSDB  Z0, (SI)

#define Q8_STORE8 \
	VMOVUPS   (DI), Y0; \
	VMULPS    Y1, Y0, Y0; \
	VMINPS    Y0, Y14, Y0; \
	VMAXPS    Y0, Y15, Y0; \
	VCVTPS2DQ Y0, Y0; \
	VPMOVSDB  Y0, (SI)

// func ScanQ8LoadAVX512(a *ScanQ8Args)
TEXT ·ScanQ8LoadAVX512(SB), NOSPLIT, $8-8
	Q8_LOOP16(Q8_LOAD16, Q8_LOAD8, qlblock, qlrow, qlelem, qlsplit, qlnext, qlbody, qltail, qlrowdone, qlblockdone, qladvance, qladvanced, qldone)

// func ScanQ8StoreAVX512(a *ScanQ8Args)
TEXT ·ScanQ8StoreAVX512(SB), NOSPLIT, $8-8
	VBROADCASTSS scanc16<>+0(SB), Z14
	VBROADCASTSS scanc16<>+4(SB), Z15
	Q8_LOOP16(Q8_STORE16, Q8_STORE8, qsblock, qsrow, qselem, qssplit, qsnext, qsbody, qstail, qsrowdone, qsblockdone, qsadvance, qsadvanced, qsdone)
