//go:build !noasm

#include "textflag.h"
#include "exp_amd64.h"

// Causal depthwise conv1d with 4 taps + SiLU, AVX2: prefill kernels
// (ConvSiLU*) and decode-step kernels (ConvStep*, described further down).
//
// Prefill loop structure: channel blocks of 8 outside, tokens inside, two tokens per
// iteration. At the start of a block its four weight rows, bias and output
// scales are copied to the stack frame (0..191(SP)) and used from there as
// memory operands, which leaves enough registers to run the SiLU of two
// tokens side by side: their exp chains are independent, so the core
// overlaps them instead of waiting on one long dependency chain. The last
// three inputs form a sliding window Y5 (t-3), Y6 (t-2), Y7 (t-1),
// initialised from the conv state and shifted by two tokens per iteration
// (one in the odd tail step).
//
// Prefill registers:
//   AX  tokens l            BX  tokens left / scratch pointer
//   CX  c (state and weight row stride, elements)
//   DX  channel offset of the block (elements)
//   SI  x                   DI  out
//   R8  ldx in bytes        R9  ldo in bytes
//   R10 state               R11 w
//   R12 bias                R13 inv (int8 output only)
//   R14 x row pointer       R15 out row pointer
//   Y4  x_t   Y8 x_t+1   Y5..Y7 window
//   Y0 / Y9   acc of token t / t+1, then its SiLU
//   Y1..Y3, Y11 and Y10, Y12..Y14: product and exp scratch of each token
//
// Stack frame: 0 w0, 32 w1, 64 w2, 96 w3, 128 bias, 160 inv (8 floats each).

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

// LOADW copies the four weight rows and the bias of the block at DX to the
// stack frame.
#define LOADW \
	LEAQ    (R11)(DX*4), BX \
	VMOVUPS (BX), Y0 \
	VMOVUPS Y0, 0(SP) \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Y0 \
	VMOVUPS Y0, 32(SP) \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Y0 \
	VMOVUPS Y0, 64(SP) \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Y0 \
	VMOVUPS Y0, 96(SP) \
	VMOVUPS (R12)(DX*4), Y0 \
	VMOVUPS Y0, 128(SP)

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

// STATEF32 loads the three float32 state rows of the block into the window.
#define STATEF32 \
	LEAQ    (R10)(DX*4), BX \
	VMOVUPS (BX), Y5 \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Y6 \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Y7

// SILU(a, x, t0, t1, t2): a = a/(1+exp(-a)); x, t0..t2 scratch.
#define SILU(a, x, t0, t1, t2) \
	VXORPS csign<>(SB), a, x \
	EXP_AVX2(x, t0, t1, t2) \
	VADDPS cone<>(SB), x, x \
	VDIVPS x, a, a

// TAPS2: with x_t in Y4 and x_t+1 in Y8, Y0 = silu(acc_t) and
// Y9 = silu(acc_t+1), where acc = bias + w0·in(-3) + w1·in(-2) + w2·in(-1)
// + w3·in(0) summed in that order with every product rounded first (no
// FMA); the window then moves on by two tokens.
#define TAPS2 \
	VMULPS 0(SP), Y5, Y0 \
	VMULPS 0(SP), Y6, Y9 \
	VADDPS 128(SP), Y0, Y0 \
	VADDPS 128(SP), Y9, Y9 \
	VMULPS 32(SP), Y6, Y1 \
	VMULPS 32(SP), Y7, Y10 \
	VADDPS Y1, Y0, Y0 \
	VADDPS Y10, Y9, Y9 \
	VMULPS 64(SP), Y7, Y1 \
	VMULPS 64(SP), Y4, Y10 \
	VADDPS Y1, Y0, Y0 \
	VADDPS Y10, Y9, Y9 \
	VMULPS 96(SP), Y4, Y1 \
	VMULPS 96(SP), Y8, Y10 \
	VADDPS Y1, Y0, Y0 \
	VADDPS Y10, Y9, Y9 \
	VMOVAPS Y7, Y5 \
	VMOVAPS Y4, Y6 \
	VMOVAPS Y8, Y7 \
	SILU(Y0, Y1, Y2, Y3, Y11) \
	SILU(Y9, Y10, Y12, Y13, Y14)

// TAPS1: TAPS2 for the single token in Y4 (result in Y0, window moves by one).
#define TAPS1 \
	VMULPS 0(SP), Y5, Y0 \
	VADDPS 128(SP), Y0, Y0 \
	VMULPS 32(SP), Y6, Y1 \
	VADDPS Y1, Y0, Y0 \
	VMULPS 64(SP), Y7, Y1 \
	VADDPS Y1, Y0, Y0 \
	VMULPS 96(SP), Y4, Y1 \
	VADDPS Y1, Y0, Y0 \
	VMOVAPS Y6, Y5 \
	VMOVAPS Y7, Y6 \
	VMOVAPS Y4, Y7 \
	SILU(Y0, Y1, Y2, Y3, Y11)

// STOREQ(r, rx, tx, dst) scales r by inv (160(SP)), rounds half to even
// with saturation (NaN gives 127) and stores the 8 bytes at dst; rx is the
// X half of r, tx an X register used as scratch.
#define STOREQ(r, rx, tx, dst) \
	VMULPS       160(SP), r, r \
	VMINPS       cf127<>(SB), r, r \
	VMAXPS       cfm128<>(SB), r, r \
	VCVTPS2DQ    r, r \
	VEXTRACTI128 $1, r, tx \
	VPACKSSDW    tx, rx, rx \
	VPACKSSWB    rx, rx, rx \
	VMOVQ        rx, dst

// Decode step: one token, state updated in place.
//
// Two channel blocks (16 channels) per iteration, each computed straight
// from memory operands (no window, no stack copy), so that the two SiLU
// chains overlap; then the state rows move up by one token (row 0 ← row 1,
// row 1 ← row 2, row 2 ← x) for those channels. An odd last block of 8
// runs alone.
//
// Registers:
//   R8..R11  w rows 0..3     R12..R14 state rows 0..2
//   SI x    DI out    AX bias    BX inv (int8 output)    DX channel offset
//   R15 c8    CX scratch
//   Y0 / Y9 acc of block A / B, Y1 / Y10 inputs and products,
//   Y2..Y4 / Y11..Y13 exp scratch, X15 state-move scratch

// STEPROWS sets the row pointers from w_base, state_base and c (elements).
#define STEPROWS(sz) \
	MOVQ c+32(FP), CX \
	MOVQ w_base+40(FP), R8 \
	LEAQ (R8)(CX*4), R9 \
	LEAQ (R9)(CX*4), R10 \
	LEAQ (R10)(CX*4), R11 \
	MOVQ state_base+8(FP), R12 \
	LEAQ (R12)(CX*sz), R13 \
	LEAQ (R13)(CX*sz), R14

// STEPACCI8(off, acc, t): acc = bias + w0·s0 + w1·s1 + w2·s2 + w3·x for
// the 8 channels at DX+off (int8 inputs), products rounded before the adds.
#define STEPACCI8(off, acc, t) \
	LOADI8(off(R12)(DX*1), t) \
	VMULPS (off*4)(R8)(DX*4), t, acc \
	VADDPS (off*4)(AX)(DX*4), acc, acc \
	LOADI8(off(R13)(DX*1), t) \
	VMULPS (off*4)(R9)(DX*4), t, t \
	VADDPS t, acc, acc \
	LOADI8(off(R14)(DX*1), t) \
	VMULPS (off*4)(R10)(DX*4), t, t \
	VADDPS t, acc, acc \
	LOADI8(off(SI)(DX*1), t) \
	VMULPS (off*4)(R11)(DX*4), t, t \
	VADDPS t, acc, acc

// STEPACCF32: STEPACCI8 for float32 inputs and state.
#define STEPACCF32(off, acc, t) \
	VMOVUPS (off*4)(R12)(DX*4), t \
	VMULPS (off*4)(R8)(DX*4), t, acc \
	VADDPS (off*4)(AX)(DX*4), acc, acc \
	VMOVUPS (off*4)(R13)(DX*4), t \
	VMULPS (off*4)(R9)(DX*4), t, t \
	VADDPS t, acc, acc \
	VMOVUPS (off*4)(R14)(DX*4), t \
	VMULPS (off*4)(R10)(DX*4), t, t \
	VADDPS t, acc, acc \
	VMOVUPS (off*4)(SI)(DX*4), t \
	VMULPS (off*4)(R11)(DX*4), t, t \
	VADDPS t, acc, acc

// STOREQM(off, r, rx, tx): quantizes r with inv (BX) and stores 8 bytes at
// out + DX + off.
#define STOREQM(off, r, rx, tx) \
	VMULPS       (off*4)(BX)(DX*4), r, r \
	VMINPS       cf127<>(SB), r, r \
	VMAXPS       cfm128<>(SB), r, r \
	VCVTPS2DQ    r, r \
	VEXTRACTI128 $1, r, tx \
	VPACKSSDW    tx, rx, rx \
	VPACKSSWB    rx, rx, rx \
	VMOVQ        rx, off(DI)(DX*1)

// func ConvSiLUI8AVX2(l, c8 int, x []int8, ldx int, state []int8, c int, w, bias, inv []float32, out []int8, ldo int)
TEXT ·ConvSiLUI8AVX2(SB), NOSPLIT, $192-184
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
	VMOVUPS (R13)(DX*4), Y0
	VMOVUPS Y0, 160(SP)
	STATEI8
	LEAQ (SI)(DX*1), R14
	LEAQ (DI)(DX*1), R15
	MOVQ AX, BX
i8pair:
	CMPQ BX, $2
	JB   i8odd
	LOADI8((R14), Y4)
	LOADI8((R14)(R8*1), Y8)
	TAPS2
	STOREQ(Y0, X0, X1, (R15))
	STOREQ(Y9, X9, X10, (R15)(R9*1))
	LEAQ (R14)(R8*2), R14
	LEAQ (R15)(R9*2), R15
	SUBQ $2, BX
	JMP  i8pair
i8odd:
	TESTQ BX, BX
	JZ    i8next
	LOADI8((R14), Y4)
	TAPS1
	STOREQ(Y0, X0, X1, (R15))
i8next:
	ADDQ $8, DX
	CMPQ DX, c8+8(FP)
	JB   i8block
	VZEROUPPER
	RET

// func ConvSiLUI8F32AVX2(l, c8 int, x []int8, ldx int, state []int8, c int, w, bias []float32, out []float32, ldo int)
TEXT ·ConvSiLUI8F32AVX2(SB), NOSPLIT, $192-160
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
ifpair:
	CMPQ BX, $2
	JB   ifodd
	LOADI8((R14), Y4)
	LOADI8((R14)(R8*1), Y8)
	TAPS2
	VMOVUPS Y0, (R15)
	VMOVUPS Y9, (R15)(R9*1)
	LEAQ (R14)(R8*2), R14
	LEAQ (R15)(R9*2), R15
	SUBQ $2, BX
	JMP  ifpair
ifodd:
	TESTQ BX, BX
	JZ    ifnext
	LOADI8((R14), Y4)
	TAPS1
	VMOVUPS Y0, (R15)
ifnext:
	ADDQ $8, DX
	CMPQ DX, c8+8(FP)
	JB   ifblock
	VZEROUPPER
	RET

// func ConvSiLUF32AVX2(l, c8 int, x []float32, ldx int, state []float32, c int, w, bias []float32, out []float32, ldo int)
TEXT ·ConvSiLUF32AVX2(SB), NOSPLIT, $192-160
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
	STATEF32
	LEAQ (SI)(DX*4), R14
	LEAQ (DI)(DX*4), R15
	MOVQ AX, BX
ffpair:
	CMPQ BX, $2
	JB   ffodd
	VMOVUPS (R14), Y4
	VMOVUPS (R14)(R8*1), Y8
	TAPS2
	VMOVUPS Y0, (R15)
	VMOVUPS Y9, (R15)(R9*1)
	LEAQ (R14)(R8*2), R14
	LEAQ (R15)(R9*2), R15
	SUBQ $2, BX
	JMP  ffpair
ffodd:
	TESTQ BX, BX
	JZ    ffnext
	VMOVUPS (R14), Y4
	TAPS1
	VMOVUPS Y0, (R15)
ffnext:
	ADDQ $8, DX
	CMPQ DX, c8+8(FP)
	JB   ffblock
	VZEROUPPER
	RET

// func ConvStepI8AVX2(c8 int, state []int8, c int, w, bias, inv []float32, x, out []int8)
TEXT ·ConvStepI8AVX2(SB), NOSPLIT, $0-160
	STEPROWS(1)
	MOVQ bias_base+64(FP), AX
	MOVQ inv_base+88(FP), BX
	MOVQ x_base+112(FP), SI
	MOVQ out_base+136(FP), DI
	MOVQ c8+0(FP), R15
	XORQ DX, DX
si8pair:
	LEAQ 16(DX), CX
	CMPQ CX, R15
	JA   si8odd
	STEPACCI8(0, Y0, Y1)
	STEPACCI8(8, Y9, Y10)
	VMOVDQU (R13)(DX*1), X15   // state rows move up by one token
	VMOVDQU X15, (R12)(DX*1)
	VMOVDQU (R14)(DX*1), X15
	VMOVDQU X15, (R13)(DX*1)
	VMOVDQU (SI)(DX*1), X15
	VMOVDQU X15, (R14)(DX*1)
	SILU(Y0, Y1, Y2, Y3, Y4)
	SILU(Y9, Y10, Y11, Y12, Y13)
	STOREQM(0, Y0, X0, X1)
	STOREQM(8, Y9, X9, X10)
	ADDQ $16, DX
	JMP  si8pair
si8odd:
	CMPQ DX, R15
	JAE  si8done
	STEPACCI8(0, Y0, Y1)
	MOVQ (R13)(DX*1), CX
	MOVQ CX, (R12)(DX*1)
	MOVQ (R14)(DX*1), CX
	MOVQ CX, (R13)(DX*1)
	MOVQ (SI)(DX*1), CX
	MOVQ CX, (R14)(DX*1)
	SILU(Y0, Y1, Y2, Y3, Y4)
	STOREQM(0, Y0, X0, X1)
si8done:
	VZEROUPPER
	RET

// func ConvStepF32AVX2(c8 int, state []float32, c int, w, bias []float32, x, out []float32)
TEXT ·ConvStepF32AVX2(SB), NOSPLIT, $0-136
	STEPROWS(4)
	MOVQ bias_base+64(FP), AX
	MOVQ x_base+88(FP), SI
	MOVQ out_base+112(FP), DI
	MOVQ c8+0(FP), R15
	XORQ DX, DX
sffpair:
	LEAQ 16(DX), CX
	CMPQ CX, R15
	JA   sffodd
	STEPACCF32(0, Y0, Y1)
	STEPACCF32(8, Y9, Y10)
	VMOVUPS (R13)(DX*4), Y1    // state rows move up by one token
	VMOVUPS Y1, (R12)(DX*4)
	VMOVUPS 32(R13)(DX*4), Y1
	VMOVUPS Y1, 32(R12)(DX*4)
	VMOVUPS (R14)(DX*4), Y1
	VMOVUPS Y1, (R13)(DX*4)
	VMOVUPS 32(R14)(DX*4), Y1
	VMOVUPS Y1, 32(R13)(DX*4)
	VMOVUPS (SI)(DX*4), Y1
	VMOVUPS Y1, (R14)(DX*4)
	VMOVUPS 32(SI)(DX*4), Y1
	VMOVUPS Y1, 32(R14)(DX*4)
	SILU(Y0, Y1, Y2, Y3, Y4)
	SILU(Y9, Y10, Y11, Y12, Y13)
	VMOVUPS Y0, (DI)(DX*4)
	VMOVUPS Y9, 32(DI)(DX*4)
	ADDQ $16, DX
	JMP  sffpair
sffodd:
	CMPQ DX, R15
	JAE  sffdone
	STEPACCF32(0, Y0, Y1)
	VMOVUPS (R13)(DX*4), Y1
	VMOVUPS Y1, (R12)(DX*4)
	VMOVUPS (R14)(DX*4), Y1
	VMOVUPS Y1, (R13)(DX*4)
	VMOVUPS (SI)(DX*4), Y1
	VMOVUPS Y1, (R14)(DX*4)
	SILU(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y0, (DI)(DX*4)
sffdone:
	VZEROUPPER
	RET
