//go:build !noasm

#include "textflag.h"
#include "exp_arm64.h"

// NEON selective-scan kernels (Mamba1 scan, Mamba2 SSM), bit-for-bit twins
// of the pure-Go code in kernels/scan.go, with the loop structure of the
// AVX2 kernels (kernels/amd64/scan_avx2_amd64.s) on 4-lane registers: a
// block of 8 channels is a pair of registers (lo, hi).

// scanneonc<>: scanExp2 constants, broadcast into V20..V28 by SCAN_CONST.
DATA scanneonc<>+0(SB)/4, $0x3f800000  // V20: C0 = 1.0
DATA scanneonc<>+4(SB)/4, $0x3f317218  // V21: C1
DATA scanneonc<>+8(SB)/4, $0x3e75fdf0  // V22: C2
DATA scanneonc<>+12(SB)/4, $0x3d635766 // V23: C3
DATA scanneonc<>+16(SB)/4, $0x3c1d950e // V24: C4
DATA scanneonc<>+20(SB)/4, $0x3aafa460 // V25: C5
DATA scanneonc<>+24(SB)/4, $0x39222000 // V26: C6
DATA scanneonc<>+28(SB)/4, $0xc2fa0000 // V27: -125.0, flush bound
DATA scanneonc<>+32(SB)/4, $0x00000000 // V28: 0.0
GLOBL scanneonc<>(SB), RODATA|NOPTR, $36

#define SCAN_CONST(R) \
	MOVD    $scanneonc<>(SB), R \
	VLD1R.P 4(R), [V20.S4] \
	VLD1R.P 4(R), [V21.S4] \
	VLD1R.P 4(R), [V22.S4] \
	VLD1R.P 4(R), [V23.S4] \
	VLD1R.P 4(R), [V24.S4] \
	VLD1R.P 4(R), [V25.S4] \
	VLD1R.P 4(R), [V26.S4] \
	VLD1R.P 4(R), [V27.S4] \
	VLD1R.P 4(R), [V28.S4]

// SCAN_EXP2_NEON(x, t0, t1, t2, t3): Vx = 2^Vx on 4 lanes, the twin of
// kernels.scanExp2 (and of the AVX2 SCAN_EXP2): flush to 0 below -125,
// clamp to [-125, 0] with NaN to -125 (FMAXNM), n = roundEven(x),
// f = x - n, P(f) with n added to the exponent bits. Needs SCAN_CONST.
#define SCAN_EXP2_NEON(x, t0, t1, t2, t3) \
	E_FCMGT(t1, 27, x)  /* flush mask: -125 > x */ \
	E_FMAXNM(x, x, 27)  \
	E_FMINNM(x, x, 28)  \
	E_FRINTN(t0, x)     /* n */ \
	E_FSUB(x, x, t0)    /* f = x - n, exact */ \
	E_FCVTZS(t0, t0)    \
	E_SHL(t0, t0, 23)   /* n << 23 */ \
	E_MOV(t2, 25)       \
	E_FMLA(t2, 26, x)   /* p = C5 + C6*f */ \
	E_MOV(t3, 24)       \
	E_FMLA(t3, t2, x)   \
	E_MOV(t2, 23)       \
	E_FMLA(t2, t3, x)   \
	E_MOV(t3, 22)       \
	E_FMLA(t3, t2, x)   \
	E_MOV(t2, 21)       \
	E_FMLA(t2, t3, x)   \
	E_MOV(t3, 20)       \
	E_FMLA(t3, t2, x)   /* p = C0 + p*f */ \
	E_IADD(t3, t3, t0)  /* p * 2^n */ \
	E_BIC(x, t3, t1)    /* flushed lanes to 0 */

// LOAD8I8(addr, lo, hi): Vlo, Vhi = float32 of the 8 int8 at (addr)
// (register numbers; V0 is clobbered unless lo is 0, hi is not 0).
#define LOAD8I8(addr, lo, hi) \
	VLD1 (addr), [V0.B8] \
	E_SXTL8H(0, 0)       \
	E_SXTL24S(hi, 0)     \
	E_SXTL4S(lo, 0)      \
	E_SCVTF(lo, lo)      \
	E_SCVTF(hi, hi)

// Field offsets of ScanM1Args (scan_arm64.go checks them at compile time).
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

// M1_IN(oi8, of32, lf, ld): V2, V3 = the 8 inputs at token-channel
// index R9 as float32: int8 (field oi8, converted) or float32 (field of32,
// when a.F32 is set). Clobbers R10, R12, V0.
#define M1_IN(oi8, of32, lf, ld) \
	MOVD M1_F32(R0), R12 \
	CBNZ R12, lf \
	MOVD oi8(R0), R10 \
	ADD  R9, R10, R10 \
	LOAD8I8(R10, 2, 3) \
	B    ld \
lf: \
	MOVD of32(R0), R10 \
	ADD  R9<<2, R10, R10 \
	VLD1 (R10), [V2.S4, V3.S4] \
ld:

// func ScanM1NEON(a *ScanM1Args)
//
// As ScanM1AVX2: tokens in chunks of a.LC; per chunk a prepass stores dl,
// du, acc0 = D*u and the gate g for every (token, channel) in a.Pre (with
// the exp and softplus constants in V10..V31), then blocks of 8 channels
// run their tokens and N state rows (scanExp2 constants in V20..V28).
//
// Registers:
//   R0 a, R1 E*4 (row stride of Pre and y), R2 t0, R3 tokens in the chunk
//   prepass: R5 tokens left, R6 t*E, R7 &Pre[tt][0][0], R8 c,
//            R9 t*E + c, R10 scratch address, R11 &Pre[tt][0][c]
//   states:  R8 c, R12 &h[c/8][0][0], R13 &A[c/8][0][0], R14 &Pre[tt][0][c],
//            R15 &BC[t][0], R19 &y[t][c], R20 tokens left;
//            row loop: R6 &A[c/8][n][0], R7 &h[c/8][n][0], R10 &BC[t][n],
//            R11 rows left, R4 scratch
//   int8-state decode step (a.Q set, L = 1): R12 &Q[c/8][n][0],
//            R21/R22 scale/reciprocal rows, R23/R24 group counter and
//            offset; V29/V30 = -128/127
//   Inputs are int8, or float32 with a.F32 set (the scales are then 1).
//   V0/V1 dl, V2/V3 du, V4/V5 acc, V6-V19 temporaries (lo, hi halves)
TEXT ·ScanM1NEON(SB), NOSPLIT, $0-8
	MOVD a+0(FP), R0
	MOVD M1_E(R0), R1
	LSL  $2, R1, R1
	MOVD $0, R2

chunk:
	MOVD M1_L(R0), R4
	CMP  R4, R2
	BGE  done
	SUB  R2, R4, R3            // tokens left in the scan
	MOVD M1_LC(R0), R4
	CMP  R4, R3
	BLE  chunklen
	MOVD R4, R3

chunklen:
	// Prepass.
	EXP_NEON_CONST(R4)
	MOVD R3, R5
	MOVD M1_E(R0), R6
	MUL  R2, R6, R6            // t*E
	MOVD M1_PRE(R0), R7

pretoken:
	MOVD $0, R8

preblock:
	MOVD M1_NC(R0), R4
	CMP  R4, R8
	BGE  pretokdone
	ADD  R6, R8, R9            // t*E + c
	// v = fma(SDt, dt, DtBias); delta = softplus(v)
	M1_IN(M1_DT, M1_DTF, dtf32, dtin)
	ADD  $M1_SDT, R0, R10
	VLD1R (R10), [V4.S4]
	MOVD M1_DTBIAS(R0), R10
	ADD  R8<<2, R10, R10
	VLD1 (R10), [V6.S4, V7.S4]
	E_FMLA(6, 2, 4)
	E_FMLA(7, 3, 4)
	SOFTPLUS_NEON(6, 2, 3, 4, 5)
	SOFTPLUS_NEON(7, 2, 3, 4, 5)
	// uf = u*SU; du = delta*uf; dl = delta*log2e
	M1_IN(M1_U, M1_UF, uf32, uin)
	ADD  $M1_SU, R0, R10
	VLD1R (R10), [V4.S4]
	E_FMUL(2, 2, 4)
	E_FMUL(3, 3, 4)
	E_FMUL(8, 6, 2)
	E_FMUL(9, 7, 3)
	E_FMUL(6, 6, 22)
	E_FMUL(7, 7, 22)
	ADD  R8<<2, R7, R11
	VST1 [V6.S4, V7.S4], (R11)
	ADD  R1, R11, R10
	VST1 [V8.S4, V9.S4], (R10)
	// acc0 = D*uf
	MOVD M1_D(R0), R10
	ADD  R8<<2, R10, R10
	VLD1 (R10), [V4.S4, V5.S4]
	E_FMUL(4, 4, 2)
	E_FMUL(5, 5, 3)
	ADD  R1<<1, R11, R10
	VST1 [V4.S4, V5.S4], (R10)
	// g = zf / (1 + exp(-zf)), zf = z*SZ
	M1_IN(M1_Z, M1_ZF, zf32, zin)
	ADD  $M1_SZ, R0, R10
	VLD1R (R10), [V4.S4]
	E_FMUL(2, 2, 4)
	E_FMUL(3, 3, 4)
	E_FNEG(4, 2)
	EXP_NEON(4, 5, 6, 7)
	E_FADD(4, 4, 31)
	E_FDIV(2, 2, 4)
	E_FNEG(4, 3)
	EXP_NEON(4, 5, 6, 7)
	E_FADD(4, 4, 31)
	E_FDIV(3, 3, 4)
	ADD  R1<<1, R11, R10
	ADD  R1, R10, R10
	VST1 [V2.S4, V3.S4], (R10)
	ADD  $8, R8
	B    preblock

pretokdone:
	MOVD M1_E(R0), R4
	ADD  R4, R6, R6            // next token's row
	ADD  R1<<2, R7, R7         // next Pre row (4 vectors of E)
	SUBS $1, R5, R5
	BNE  pretoken

	// State updates, block by block.
	SCAN_CONST(R4)
	MOVD $0, R8
	MOVD M1_QGROUP(R0), R23        // int8 state: channels left in the group
	MOVD $0, R24                   // int8 state: byte offset of the group's scale row
	MOVD $q8neonc<>(SB), R4
	VLD1R.P 4(R4), [V29.S4]        // -128.0
	VLD1R   (R4), [V30.S4]         // 127.0

block:
	MOVD M1_NC(R0), R4
	CMP  R4, R8
	BGE  chunkdone
	MOVD M1_N(R0), R4
	MUL  R8, R4, R4
	LSL  $2, R4, R4            // c*N*4: block c/8 of 8N floats
	MOVD M1_STATE(R0), R12
	ADD  R4, R12, R12
	MOVD M1_A(R0), R13
	ADD  R4, R13, R13
	MOVD M1_PRE(R0), R14
	ADD  R8<<2, R14, R14
	MOVD M1_N(R0), R4
	MUL  R2, R4, R4
	MOVD M1_BC(R0), R15
	ADD  R4<<3, R15, R15       // &BC[t0][0]
	MOVD M1_E(R0), R4
	MUL  R2, R4, R4
	ADD  R8, R4, R4
	MOVD M1_Y(R0), R19
	ADD  R4<<2, R19, R19       // &y[t0][c]
	MOVD R3, R20
	MOVD M1_Q(R0), R4
	CBNZ R4, qstep

token:
	VLD1 (R14), [V0.S4, V1.S4] // dl
	ADD  R1, R14, R4
	VLD1 (R4), [V2.S4, V3.S4]  // du
	ADD  R1, R4, R4
	VLD1 (R4), [V4.S4, V5.S4]  // acc = D*u
	MOVD R13, R6
	MOVD R12, R7
	MOVD R15, R10
	MOVD M1_N(R0), R11

state:
	VLD1.P  32(R6), [V6.S4, V7.S4]  // A row
	VLD1    (R7), [V8.S4, V9.S4]    // h row
	VLD1R.P 4(R10), [V18.S4]        // Bf[n]
	VLD1R.P 4(R10), [V19.S4]        // Cf[n]
	E_FMUL(6, 0, 6)                 // dl*A
	E_FMUL(7, 1, 7)
	SCAN_EXP2_NEON(6, 10, 11, 12, 13)
	SCAN_EXP2_NEON(7, 14, 15, 16, 17)
	E_FMUL(10, 2, 18)               // du*Bf[n]
	E_FMUL(11, 3, 18)
	E_FMLA(10, 6, 8)                // h = dA*h + du*Bf[n]
	E_FMLA(11, 7, 9)
	VST1.P  [V10.S4, V11.S4], 32(R7)
	E_FMLA(4, 19, 10)               // acc += Cf[n]*h
	E_FMLA(5, 19, 11)
	SUBS    $1, R11, R11
	BNE     state

	ADD  R1, R4, R4
	VLD1 (R4), [V6.S4, V7.S4]       // g
	E_FMUL(4, 4, 6)                 // y = acc*g
	E_FMUL(5, 5, 7)
	VST1 [V4.S4, V5.S4], (R19)
	ADD  R1, R19, R19
	ADD  R1<<2, R14, R14
	MOVD M1_N(R0), R4
	ADD  R4<<3, R15, R15
	SUBS $1, R20, R20
	BNE  token
	ADD  $8, R8
	B    block

	// Decode step on an int8 state (a.L = 1): each row is dequantized,
	// updated and requantized in registers, as in the AVX2 kernel.
	// R12 &Q[c/8][n][0], R21 &QScale[c/Group][n], R22 &QInv[c/Group][n].
qstep:
	MOVD M1_N(R0), R4
	MUL  R8, R4, R4
	MOVD M1_Q(R0), R12
	ADD  R4, R12, R12
	MOVD M1_QSCALE(R0), R21
	ADD  R24, R21, R21
	MOVD M1_QINV(R0), R22
	ADD  R24, R22, R22
	VLD1 (R14), [V0.S4, V1.S4] // dl
	ADD  R1, R14, R4
	VLD1 (R4), [V2.S4, V3.S4]  // du
	ADD  R1, R4, R4
	VLD1 (R4), [V4.S4, V5.S4]  // acc = D*u
	MOVD R13, R6
	MOVD R15, R10
	MOVD M1_N(R0), R11

qstate:
	VLD1    (R12), [V6.B8]          // int8 row
	E_SXTL8H(6, 6)
	E_SXTL24S(9, 6)
	E_SXTL4S(8, 6)
	E_SCVTF(8, 8)
	E_SCVTF(9, 9)
	VLD1R.P 4(R21), [V18.S4]
	E_FMUL(8, 8, 18)                // h = q*scale
	E_FMUL(9, 9, 18)
	VLD1.P  32(R6), [V6.S4, V7.S4]  // A row
	VLD1R.P 4(R10), [V18.S4]        // Bf[n]
	VLD1R.P 4(R10), [V19.S4]        // Cf[n]
	E_FMUL(6, 0, 6)                 // dl*A
	E_FMUL(7, 1, 7)
	SCAN_EXP2_NEON(6, 10, 11, 12, 13)
	SCAN_EXP2_NEON(7, 14, 15, 16, 17)
	E_FMUL(10, 2, 18)               // du*Bf[n]
	E_FMUL(11, 3, 18)
	E_FMLA(10, 6, 8)                // h = dA*h + du*Bf[n]
	E_FMLA(11, 7, 9)
	E_FMLA(4, 19, 10)               // acc += Cf[n]*h
	E_FMLA(5, 19, 11)
	VLD1R.P 4(R22), [V12.S4]
	E_FMUL(10, 10, 12)              // h*(1/scale)
	E_FMUL(11, 11, 12)
	E_FMAXNM(10, 10, 29)            // NaN and below to -128
	E_FMAXNM(11, 11, 29)
	E_FMINNM(10, 10, 30)            // above to 127
	E_FMINNM(11, 11, 30)
	E_FCVTNS(10, 10)                // round half to even
	E_FCVTNS(11, 11)
	E_SQXTN4H(12, 10)
	E_SQXTN28H(12, 11)
	E_SQXTN8B(12, 12)
	VST1.P  [V12.B8], 8(R12)
	SUBS    $1, R11, R11
	BNE     qstate

	ADD  R1, R4, R4
	VLD1 (R4), [V6.S4, V7.S4]       // g
	E_FMUL(4, 4, 6)                 // y = acc*g
	E_FMUL(5, 5, 7)
	VST1 [V4.S4, V5.S4], (R19)
	// Next block: follow the scale group.
	SUBS $8, R23, R23
	BNE  qnext
	MOVD M1_QGROUP(R0), R23
	MOVD M1_N(R0), R4
	ADD  R4<<2, R24, R24

qnext:
	ADD  $8, R8
	B    block

chunkdone:
	ADD R3, R2, R2
	B   chunk

done:
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

// SCAN_M2_ROW(dx, s, t, acc): one 4-lane slice of a state row:
// S = fma(dA, S, dx*Bf[n]) into Vt (stored by the caller), acc += Cf[n]*S,
// with V12 = Bf[n], V13 = Cf[n], V31 = dA.
#define SCAN_M2_ROW(dx, s, t, acc) \
	E_FMUL(t, dx, 12)  \
	E_FMLA(t, 31, s)   \
	E_FMLA(acc, 13, t)

// func ScanM2NEON(a *ScanM2Args)
//
// As ScanM2AVX2: heads [H0, H1) outermost, tokens, blocks of 16 channels
// (4 registers; then blocks of 8), state rows innermost.
//
// Registers:
//   R0 a, R1 P*4 (row stride of S), R2 h, R3 &S[h][0][0], R4 h*P,
//   R5 tokens left, R6 t*H*P, R7 &BC[t][g*N], R8 &DD[t][h], R9 p,
//   row loop: R10 &S[h][n][p], R11 &BC[t][g*N+n], R12 rows left;
//   R13, R14 scratch
//   V30 delta, V31 dA, V0-V3 dx = delta*x, V4-V7 acc, V8-V11 S rows,
//   V12 Bf[n], V13 Cf[n], V14-V17 temporaries
TEXT ·ScanM2NEON(SB), NOSPLIT, $0-8
	MOVD a+0(FP), R0
	MOVD M2_P(R0), R1
	LSL  $2, R1, R1
	MOVD M2_H0(R0), R2

m2head:
	MOVD M2_H1(R0), R13
	CMP  R13, R2
	BGE  m2done
	MOVD M2_H0(R0), R13
	SUB  R13, R2, R3
	MOVD M2_N(R0), R13
	MUL  R13, R3, R3
	MUL  R1, R3, R3
	MOVD M2_STATE(R0), R13
	ADD  R13, R3, R3           // state of head h: (h-H0)*N*P floats in
	MOVD M2_P(R0), R4
	MUL  R2, R4, R4            // h*P
	MOVD M2_L(R0), R5
	MOVD $0, R6
	MOVD M2_HPG(R0), R13
	UDIV R13, R2, R14          // g = h/HPG
	MOVD M2_N(R0), R13
	MUL  R13, R14, R14
	MOVD M2_BC(R0), R7
	ADD  R14<<3, R7, R7        // &BC[0][g*N]
	MOVD M2_DD(R0), R8
	ADD  R2<<2, R8, R8         // &DD[0][h]

m2token:
	VLD1R (R8), [V30.S4]       // delta
	MOVD  M2_H(R0), R13
	ADD   R13<<2, R8, R14
	VLD1R (R14), [V31.S4]      // dA
	MOVD  $0, R9

m2p16:
	MOVD M2_PC(R0), R13
	SUB  R9, R13, R13
	CMP  $16, R13
	BLT  m2p8
	// xf = x*SX; acc = D*xf; dx = delta*xf (4 registers)
	ADD  R4, R6, R13
	ADD  R9, R13, R13          // t*H*P + h*P + p
	MOVD M2_F32(R0), R14
	CBNZ R14, m2x16f
	MOVD M2_X(R0), R14
	ADD  R13, R14, R14
	VLD1 (R14), [V14.B16]
	E_SXTL8H(15, 14)
	E_SXTL28H(14, 14)
	E_SXTL4S(0, 15)
	E_SXTL24S(1, 15)
	E_SXTL4S(2, 14)
	E_SXTL24S(3, 14)
	E_SCVTF(0, 0)
	E_SCVTF(1, 1)
	E_SCVTF(2, 2)
	E_SCVTF(3, 3)
	ADD  R9, R4, R13
	MOVD M2_SX(R0), R14
	ADD  R13<<2, R14, R14
	VLD1 (R14), [V14.S4, V15.S4, V16.S4, V17.S4]
	E_FMUL(0, 0, 14)
	E_FMUL(1, 1, 15)
	E_FMUL(2, 2, 16)
	E_FMUL(3, 3, 17)
	B    m2x16done

m2x16f:
	// float32 x: used unscaled
	MOVD M2_XF(R0), R14
	ADD  R13<<2, R14, R14
	VLD1 (R14), [V0.S4, V1.S4, V2.S4, V3.S4]

m2x16done:
	MOVD  M2_D(R0), R14
	ADD   R2<<2, R14, R14
	VLD1R (R14), [V12.S4]
	E_FMUL(4, 12, 0)
	E_FMUL(5, 12, 1)
	E_FMUL(6, 12, 2)
	E_FMUL(7, 12, 3)
	E_FMUL(0, 30, 0)
	E_FMUL(1, 30, 1)
	E_FMUL(2, 30, 2)
	E_FMUL(3, 30, 3)
	ADD  R9<<2, R3, R10
	MOVD R7, R11
	MOVD M2_N(R0), R12

m2row16:
	VLD1R.P 4(R11), [V12.S4]
	VLD1R.P 4(R11), [V13.S4]
	VLD1    (R10), [V8.S4, V9.S4, V10.S4, V11.S4]
	SCAN_M2_ROW(0, 8, 14, 4)
	SCAN_M2_ROW(1, 9, 15, 5)
	SCAN_M2_ROW(2, 10, 16, 6)
	SCAN_M2_ROW(3, 11, 17, 7)
	VST1    [V14.S4, V15.S4, V16.S4, V17.S4], (R10)
	ADD     R1, R10, R10
	SUBS    $1, R12, R12
	BNE     m2row16

	ADD  R4, R6, R13
	ADD  R9, R13, R13
	MOVD M2_Y(R0), R14
	ADD  R13<<2, R14, R14
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R14)
	ADD  $16, R9
	B    m2p16

m2p8:
	MOVD M2_PC(R0), R13
	CMP  R13, R9
	BGE  m2tokdone
	ADD  R4, R6, R13
	ADD  R9, R13, R13
	MOVD M2_F32(R0), R14
	CBNZ R14, m2x8f
	MOVD M2_X(R0), R14
	ADD  R13, R14, R14
	VLD1 (R14), [V14.B8]
	E_SXTL8H(14, 14)
	E_SXTL4S(0, 14)
	E_SXTL24S(1, 14)
	E_SCVTF(0, 0)
	E_SCVTF(1, 1)
	ADD  R9, R4, R13
	MOVD M2_SX(R0), R14
	ADD  R13<<2, R14, R14
	VLD1 (R14), [V14.S4, V15.S4]
	E_FMUL(0, 0, 14)
	E_FMUL(1, 1, 15)
	B    m2x8done

m2x8f:
	MOVD M2_XF(R0), R14
	ADD  R13<<2, R14, R14
	VLD1 (R14), [V0.S4, V1.S4]

m2x8done:
	MOVD  M2_D(R0), R14
	ADD   R2<<2, R14, R14
	VLD1R (R14), [V12.S4]
	E_FMUL(4, 12, 0)
	E_FMUL(5, 12, 1)
	E_FMUL(0, 30, 0)
	E_FMUL(1, 30, 1)
	ADD  R9<<2, R3, R10
	MOVD R7, R11
	MOVD M2_N(R0), R12

m2row8:
	VLD1R.P 4(R11), [V12.S4]
	VLD1R.P 4(R11), [V13.S4]
	VLD1    (R10), [V8.S4, V9.S4]
	SCAN_M2_ROW(0, 8, 14, 4)
	SCAN_M2_ROW(1, 9, 15, 5)
	VST1    [V14.S4, V15.S4], (R10)
	ADD     R1, R10, R10
	SUBS    $1, R12, R12
	BNE     m2row8

	ADD  R4, R6, R13
	ADD  R9, R13, R13
	MOVD M2_Y(R0), R14
	ADD  R13<<2, R14, R14
	VST1 [V4.S4, V5.S4], (R14)
	ADD  $8, R9
	B    m2p8

m2tokdone:
	MOVD M2_H(R0), R13
	MOVD M2_P(R0), R14
	MUL  R13, R14, R14
	ADD  R14, R6, R6           // next token's x and y rows
	MOVD M2_GN(R0), R13
	ADD  R13<<3, R7, R7        // next token's BC row
	MOVD M2_H(R0), R13
	ADD  R13<<3, R8, R8        // next token's DD row (2H floats)
	SUBS $1, R5, R5
	BNE  m2token
	ADD  $1, R2
	B    m2head

m2done:
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

// Q8_LOOP is the loop nest of ScanQ8LoadNEON and ScanQ8StoreNEON, as the
// amd64 one: body converts 8 elements at R10 (int8) / R11 (float32) with
// the scale broadcast in V1. Channel groups are followed by counting.
//
// Registers: R0 a, R1 block b, R2 row n, R3 &Q[b][n][0], R4 &F[b][n][0],
//   R5 group of the block's first channel, R6 channels left in it,
//   R13 &Scale[R5][n], R7 &Scale[group][n], R8 elements left in the row,
//   R9 channels left in the current group, R10/R11 element pointers,
//   R12 scratch.
#define Q8_LOOP(body, lblock, lrow, lelem, lrowdone, lblockdone, ladvance, ladvanced, ldone) \
	MOVD  a+0(FP), R0 \
	MOVD  Q8_Q(R0), R3 \
	MOVD  Q8_F(R0), R4 \
	MOVD  $0, R1 \
	MOVD  Q8_G0(R0), R5 \
	MOVD  Q8_REM0(R0), R6 \
lblock: \
	MOVD  Q8_BLOCKS(R0), R12 \
	CMP   R12, R1 \
	BGE   ldone \
	MOVD  Q8_N(R0), R12 \
	MUL   R5, R12, R12 \
	MOVD  Q8_SCALE(R0), R13 \
	ADD   R12<<2, R13, R13 \
	MOVD  $0, R2 \
lrow: \
	MOVD  Q8_N(R0), R12 \
	CMP   R12, R2 \
	BGE   lblockdone \
	MOVD  R13, R7 \
	VLD1R (R7), [V1.S4] \
	MOVD  R6, R9 \
	MOVD  R3, R10 \
	MOVD  R4, R11 \
	MOVD  Q8_WC(R0), R8 \
lelem: \
	body \
	ADD   $8, R10 \
	ADD   $32, R11 \
	SUBS  $8, R8, R8 \
	BEQ   lrowdone \
	SUBS  $8, R9, R9 \
	BNE   lelem \
	MOVD  Q8_GROUP(R0), R9 \
	MOVD  Q8_N(R0), R12 \
	ADD   R12<<2, R7, R7 \
	VLD1R (R7), [V1.S4] \
	B     lelem \
lrowdone: \
	MOVD  Q8_W(R0), R12 \
	ADD   R12, R3, R3 \
	ADD   R12<<2, R4, R4 \
	ADD   $4, R13 \
	ADD   $1, R2 \
	B     lrow \
lblockdone: \
	MOVD  Q8_W(R0), R12 \
ladvance: \
	CMP   R6, R12 \
	BLT   ladvanced \
	SUB   R6, R12, R12 \
	ADD   $1, R5 \
	MOVD  Q8_GROUP(R0), R6 \
	B     ladvance \
ladvanced: \
	SUB   R12, R6, R6 \
	ADD   $1, R1 \
	B     lblock \
ldone: \
	RET

// h = float32(q)*scale on 8 elements
#define Q8_LOAD_BODY \
	VLD1 (R10), [V0.B8] \
	E_SXTL8H(0, 0)   \
	E_SXTL24S(3, 0)  \
	E_SXTL4S(2, 0)   \
	E_SCVTF(2, 2)    \
	E_SCVTF(3, 3)    \
	E_FMUL(2, 2, 1)  \
	E_FMUL(3, 3, 1)  \
	VST1 [V2.S4, V3.S4], (R11)

// q = saturate(roundEven(h*inv)), V1 = inv, V4 = -128, V5 = 127: FMAXNM
// first so that NaN becomes -128 as on x86 and in the Go code.
#define Q8_STORE_BODY \
	VLD1 (R11), [V2.S4, V3.S4] \
	E_FMUL(2, 2, 1)    \
	E_FMUL(3, 3, 1)    \
	E_FMAXNM(2, 2, 4)  \
	E_FMAXNM(3, 3, 4)  \
	E_FMINNM(2, 2, 5)  \
	E_FMINNM(3, 3, 5)  \
	E_FCVTNS(2, 2)     \
	E_FCVTNS(3, 3)     \
	E_SQXTN4H(0, 2)    \
	E_SQXTN28H(0, 3)   \
	E_SQXTN8B(0, 0)    \
	VST1 [V0.B8], (R10)

DATA q8neonc<>+0(SB)/4, $0xc3000000 // -128.0
DATA q8neonc<>+4(SB)/4, $0x42fe0000 // 127.0
GLOBL q8neonc<>(SB), RODATA|NOPTR, $8

// func ScanQ8LoadNEON(a *ScanQ8Args)
TEXT ·ScanQ8LoadNEON(SB), NOSPLIT, $0-8
	Q8_LOOP(Q8_LOAD_BODY, qlblock, qlrow, qlelem, qlrowdone, qlblockdone, qladvance, qladvanced, qldone)

// func ScanQ8StoreNEON(a *ScanQ8Args)
TEXT ·ScanQ8StoreNEON(SB), NOSPLIT, $0-8
	MOVD    $q8neonc<>(SB), R12
	VLD1R.P 4(R12), [V4.S4]
	VLD1R   (R12), [V5.S4]
	Q8_LOOP(Q8_STORE_BODY, qsblock, qsrow, qselem, qsrowdone, qsblockdone, qsadvance, qsadvanced, qsdone)

// func ScanRecipNEON(dst, src []float32)
// dst[i] = 1/src[i] for i < len(src) rounded down to a multiple of 4.
TEXT ·ScanRecipNEON(SB), NOSPLIT, $0-48
	MOVD    dst_base+0(FP), R0
	MOVD    src_base+24(FP), R1
	MOVD    src_len+32(FP), R2
	LSR     $2, R2, R2
	CBZ     R2, recipdone
	FMOVS   $1.0, F2
	VDUP    V2.S[0], V2.S4

recip:
	VLD1.P  16(R1), [V0.S4]
	E_FDIV(3, 2, 0)
	VST1.P  [V3.S4], 16(R0)
	SUBS    $1, R2, R2
	BNE     recip

recipdone:
	RET
