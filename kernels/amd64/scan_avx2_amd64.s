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

// SCAN_LOADQ dequantizes n rows of 8 int8 state values into a contiguous
// float32 buffer: q (int8 pointer, advanced by qstride per row), s (scale
// pointer, one float per row, advanced by 4), dst (advanced by 32), cnt
// (row count, counts down to 0). Clobbers Y0, Y1.
#define SCAN_LOADQ(q, qstride, s, dst, cnt, loop) \
loop: \
	VPMOVSXBD   (q), Y0; \
	VCVTDQ2PS   Y0, Y0; \
	VBROADCASTSS (s), Y1; \
	VMULPS      Y1, Y0, Y0; /* h = q*scale */ \
	VMOVUPS     Y0, (dst); \
	ADDQ        qstride, q; \
	ADDQ        $4, s; \
	ADDQ        $32, dst; \
	DECQ        cnt; \
	JNZ         loop

// SCAN_STOREQ requantizes rows of 8 float32 state values: q = sat(roundEven(h/scale)).
// Same operands as SCAN_LOADQ (src read, q written). Clobbers Y0, Y1, Y14, Y15.
#define SCAN_STOREQ(q, qstride, s, src, cnt, loop) \
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
	ADDQ        $32, src; \
	DECQ        cnt; \
	JNZ         loop

// SCAN_M1_STATE updates one state row n for the 8 channels of the block and
// accumulates its output term:
//   dA = exp(delta*A[n]); h[n] = fma(dA, h[n], du*Bf[n]); acc = fma(Cf[n], h[n], acc)
// aoff(A row), hoff(h row) and bcoff(the Bf/Cf pair) are memory operands;
// t0..t5 are temporaries. Reads Y15 (delta) and Y14 (du), updates Y13 (acc).
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
	SCAN_LOADQ(R11, R13, R12, DX, CX, loadqloop)
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
	SCAN_STOREQ(R11, R13, R12, DX, CX, storeqloop)

nextblock:
	ADDQ $8, BX
	JMP  block

done:
	VZEROUPPER
	RET
