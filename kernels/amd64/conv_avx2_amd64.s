//go:build !noasm

#include "textflag.h"
#include "exp_amd64.h"

// Causal depthwise conv1d with 4 taps + SiLU, AVX2.
//
// Loop structure: channel blocks of 8 outside, tokens inside. For a block
// the four weight rows, the bias (and the output scales) stay in registers,
// and the last three inputs form a sliding window Y5 (t-3), Y6 (t-2),
// Y7 (t-1), initialised from the conv state and shifted by one token per
// iteration. Every token costs one 8-element input load, the 4-tap sum, the
// SiLU and one 8-element store.
//
// Registers:
//   AX  tokens l            BX  tokens left / scratch pointer
//   CX  c (state and weight row stride, elements)
//   DX  channel offset of the block (elements)
//   SI  x                   DI  out
//   R8  ldx in bytes        R9  ldo in bytes
//   R10 state               R11 w
//   R12 bias                R13 inv (int8 output only)
//   R14 x row pointer       R15 out row pointer
//   Y0..Y3, Y14 scratch (the exp uses Y1..Y3, Y14)
//   Y4  x_t   Y5..Y7 window   Y8..Y11 w rows 0..3   Y12 bias   Y13 inv

DATA csign<>+0(SB)/8, $0x8000000080000000
DATA csign<>+8(SB)/8, $0x8000000080000000
DATA csign<>+16(SB)/8, $0x8000000080000000
DATA csign<>+24(SB)/8, $0x8000000080000000
GLOBL csign<>(SB), RODATA|NOPTR, $32
DATA cone<>+0(SB)/8, $0x3f8000003f800000
DATA cone<>+8(SB)/8, $0x3f8000003f800000
DATA cone<>+16(SB)/8, $0x3f8000003f800000
DATA cone<>+24(SB)/8, $0x3f8000003f800000
GLOBL cone<>(SB), RODATA|NOPTR, $32
DATA cf127<>+0(SB)/8, $0x42fe000042fe0000
DATA cf127<>+8(SB)/8, $0x42fe000042fe0000
DATA cf127<>+16(SB)/8, $0x42fe000042fe0000
DATA cf127<>+24(SB)/8, $0x42fe000042fe0000
GLOBL cf127<>(SB), RODATA|NOPTR, $32
DATA cfm128<>+0(SB)/8, $0xc3000000c3000000
DATA cfm128<>+8(SB)/8, $0xc3000000c3000000
DATA cfm128<>+16(SB)/8, $0xc3000000c3000000
DATA cfm128<>+24(SB)/8, $0xc3000000c3000000
GLOBL cfm128<>(SB), RODATA|NOPTR, $32

// LOADW loads the four weight rows and the bias of the block at DX.
#define LOADW \
	LEAQ    (R11)(DX*4), BX \
	VMOVUPS (BX), Y8 \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Y9 \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Y10 \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Y11 \
	VMOVUPS (R12)(DX*4), Y12

// LOADI8(addr, r) loads 8 int8 at addr as float32 into r.
#define LOADI8(addr, r) \
	VPMOVSXBD addr, r \
	VCVTDQ2PS r, r

// STATEI8 loads the three int8 state rows of the block into the window.
#define STATEI8 \
	LEAQ (R10)(DX*1), BX \
	LOADI8((BX), Y5) \
	ADDQ CX, BX \
	LOADI8((BX), Y6) \
	ADDQ CX, BX \
	LOADI8((BX), Y7)

// TAPS: Y0 = silu(bias + w0·Y5 + w1·Y6 + w2·Y7 + w3·Y4), products rounded
// before each add (no FMA), then the window shifts by one token.
#define TAPS \
	VMULPS Y8, Y5, Y0 \
	VADDPS Y0, Y12, Y0 \
	VMULPS Y9, Y6, Y1 \
	VADDPS Y1, Y0, Y0 \
	VMULPS Y10, Y7, Y1 \
	VADDPS Y1, Y0, Y0 \
	VMULPS Y11, Y4, Y1 \
	VADDPS Y1, Y0, Y0 \
	VMOVAPS Y6, Y5 \
	VMOVAPS Y7, Y6 \
	VMOVAPS Y4, Y7 \
	VXORPS csign<>(SB), Y0, Y1 \
	EXP_AVX2(Y1, Y2, Y3, Y14) \
	VADDPS cone<>(SB), Y1, Y1 \
	VDIVPS Y1, Y0, Y0

// func ConvSiLUI8AVX2(l, c8 int, x []int8, ldx int, state []int8, c int, w, bias, inv []float32, out []int8, ldo int)
TEXT ·ConvSiLUI8AVX2(SB), NOSPLIT, $0-184
	MOVQ l+0(FP), AX
	MOVQ x_base+16(FP), SI
	MOVQ ldx+40(FP), R8
	MOVQ state_base+48(FP), R10
	MOVQ c+72(FP), CX
	MOVQ w_base+80(FP), R11
	MOVQ bias_base+104(FP), R12
	MOVQ inv_base+128(FP), R13
	MOVQ out_base+152(FP), DI
	MOVQ ldo+176(FP), R9
	XORQ DX, DX

i8block:
	LOADW
	VMOVUPS (R13)(DX*4), Y13
	STATEI8
	LEAQ (SI)(DX*1), R14
	LEAQ (DI)(DX*1), R15
	MOVQ AX, BX
i8tok:
	LOADI8((R14), Y4)
	TAPS
	VMULPS       Y13, Y0, Y0
	VMINPS       cf127<>(SB), Y0, Y0  // NaN becomes 127
	VMAXPS       cfm128<>(SB), Y0, Y0
	VCVTPS2DQ    Y0, Y0               // round half to even
	VEXTRACTI128 $1, Y0, X1
	VPACKSSDW    X1, X0, X0
	VPACKSSWB    X0, X0, X0
	VMOVQ        X0, (R15)
	ADDQ R8, R14
	ADDQ R9, R15
	DECQ BX
	JNZ  i8tok
	ADDQ $8, DX
	CMPQ DX, c8+8(FP)
	JB   i8block
	VZEROUPPER
	RET

// func ConvSiLUI8F32AVX2(l, c8 int, x []int8, ldx int, state []int8, c int, w, bias []float32, out []float32, ldo int)
TEXT ·ConvSiLUI8F32AVX2(SB), NOSPLIT, $0-160
	MOVQ l+0(FP), AX
	MOVQ x_base+16(FP), SI
	MOVQ ldx+40(FP), R8
	MOVQ state_base+48(FP), R10
	MOVQ c+72(FP), CX
	MOVQ w_base+80(FP), R11
	MOVQ bias_base+104(FP), R12
	MOVQ out_base+128(FP), DI
	MOVQ ldo+152(FP), R9
	SHLQ $2, R9
	XORQ DX, DX

ifblock:
	LOADW
	STATEI8
	LEAQ (SI)(DX*1), R14
	LEAQ (DI)(DX*4), R15
	MOVQ AX, BX
iftok:
	LOADI8((R14), Y4)
	TAPS
	VMOVUPS Y0, (R15)
	ADDQ R8, R14
	ADDQ R9, R15
	DECQ BX
	JNZ  iftok
	ADDQ $8, DX
	CMPQ DX, c8+8(FP)
	JB   ifblock
	VZEROUPPER
	RET

// func ConvSiLUF32AVX2(l, c8 int, x []float32, ldx int, state []float32, c int, w, bias []float32, out []float32, ldo int)
TEXT ·ConvSiLUF32AVX2(SB), NOSPLIT, $0-160
	MOVQ l+0(FP), AX
	MOVQ x_base+16(FP), SI
	MOVQ ldx+40(FP), R8
	SHLQ $2, R8
	MOVQ state_base+48(FP), R10
	MOVQ c+72(FP), CX
	MOVQ w_base+80(FP), R11
	MOVQ bias_base+104(FP), R12
	MOVQ out_base+128(FP), DI
	MOVQ ldo+152(FP), R9
	SHLQ $2, R9
	XORQ DX, DX

ffblock:
	LOADW
	LEAQ    (R10)(DX*4), BX       // the three float32 state rows
	VMOVUPS (BX), Y5
	LEAQ    (BX)(CX*4), BX
	VMOVUPS (BX), Y6
	LEAQ    (BX)(CX*4), BX
	VMOVUPS (BX), Y7
	LEAQ (SI)(DX*4), R14
	LEAQ (DI)(DX*4), R15
	MOVQ AX, BX
fftok:
	VMOVUPS (R14), Y4
	TAPS
	VMOVUPS Y0, (R15)
	ADDQ R8, R14
	ADDQ R9, R15
	DECQ BX
	JNZ  fftok
	ADDQ $8, DX
	CMPQ DX, c8+8(FP)
	JB   ffblock
	VZEROUPPER
	RET
