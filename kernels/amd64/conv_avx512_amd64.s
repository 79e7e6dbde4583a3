//go:build !noasm

#include "textflag.h"
#include "exp_avx512_amd64.h"

// Causal depthwise conv1d with 4 taps + SiLU, AVX-512: prefill kernels
// (ConvSiLU*AVX512) and decode-step kernels (ConvStep*AVX512), over
// channels [0, c16), c16 a multiple of 16. The arithmetic is that of the
// AVX2 kernels (conv_avx2_amd64.s): every product rounded before its add,
// the adds in tap order, silu(acc) = acc/(1+exp(-acc)) with EXP_AVX512 (bit
// for bit the pure-Go Exp), so the results are the same bits.
//
// Z20..Z31 hold the exp constants (EXP512_CONST) throughout; Z20 is 1.0.
//
// Prefill loop structure: channel blocks of 16 outside, tokens inside, two
// tokens per iteration so that their two exp chains overlap. The block's
// four weight rows and bias stay in registers; the last three inputs form
// a sliding window Z5 (t-3), Z6 (t-2), Z7 (t-1), initialised from the conv
// state and shifted by two tokens per iteration (one in the odd tail step).
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
//   Z16..Z19 w0..w3         Z15 bias
//   Z4  x_t   Z8 x_t+1   Z5..Z7 window
//   Z0 / Z9   acc of token t / t+1, then its SiLU
//   Z1..Z3, Z11 and Z10, Z12..Z14: product and exp scratch of each token

DATA zcf127<>+0(SB)/4, $127.0
GLOBL zcf127<>(SB), RODATA|NOPTR, $4

// ZSILU(a, x, t0, t1, t2): a = a/(1+exp(-a)); x, t0..t2 scratch.
#define ZSILU(a, x, t0, t1, t2) \
	VPXORD.BCST expc16<>+48(SB), a, x \
	EXP_AVX512(x, t0, t1, t2) \
	VADDPS Z20, x, x \
	VDIVPS x, a, a

// ZLOADW loads the four weight rows and the bias of the block at DX.
#define ZLOADW \
	LEAQ    (R11)(DX*4), BX \
	VMOVUPS (BX), Z16 \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Z17 \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Z18 \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Z19 \
	VMOVUPS (R12)(DX*4), Z15

// ZLOADI8(addr, r) loads 16 int8 at addr as float32 into r.
#define ZLOADI8(addr, r) \
	VPMOVSXBD addr, r \
	VCVTDQ2PS r, r

// ZSTATEI8 loads the three int8 state rows of the block into the window.
#define ZSTATEI8 \
	LEAQ (R10)(DX*1), BX \
	ZLOADI8((BX), Z5) \
	ADDQ CX, BX \
	ZLOADI8((BX), Z6) \
	ADDQ CX, BX \
	ZLOADI8((BX), Z7)

// ZSTATEF32 loads the three float32 state rows of the block into the window.
#define ZSTATEF32 \
	LEAQ    (R10)(DX*4), BX \
	VMOVUPS (BX), Z5 \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Z6 \
	LEAQ    (BX)(CX*4), BX \
	VMOVUPS (BX), Z7

// ZTAPS2: with x_t in Z4 and x_t+1 in Z8, Z0 = silu(acc_t) and
// Z9 = silu(acc_t+1), acc = w0·in(-3) + bias + w1·in(-2) + w2·in(-1) +
// w3·in(0) in that order (the AVX2 order), every product rounded first;
// the window then moves on by two tokens.
#define ZTAPS2 \
	VMULPS Z16, Z5, Z0 \
	VMULPS Z16, Z6, Z9 \
	VADDPS Z15, Z0, Z0 \
	VADDPS Z15, Z9, Z9 \
	VMULPS Z17, Z6, Z1 \
	VMULPS Z17, Z7, Z10 \
	VADDPS Z1, Z0, Z0 \
	VADDPS Z10, Z9, Z9 \
	VMULPS Z18, Z7, Z1 \
	VMULPS Z18, Z4, Z10 \
	VADDPS Z1, Z0, Z0 \
	VADDPS Z10, Z9, Z9 \
	VMULPS Z19, Z4, Z1 \
	VMULPS Z19, Z8, Z10 \
	VADDPS Z1, Z0, Z0 \
	VADDPS Z10, Z9, Z9 \
	VMOVAPS Z7, Z5 \
	VMOVAPS Z4, Z6 \
	VMOVAPS Z8, Z7 \
	ZSILU(Z0, Z1, Z2, Z3, Z11) \
	ZSILU(Z9, Z10, Z12, Z13, Z14)

// ZTAPS1: ZTAPS2 for the single token in Z4 (result in Z0, window moves by
// one).
#define ZTAPS1 \
	VMULPS Z16, Z5, Z0 \
	VADDPS Z15, Z0, Z0 \
	VMULPS Z17, Z6, Z1 \
	VADDPS Z1, Z0, Z0 \
	VMULPS Z18, Z7, Z1 \
	VADDPS Z1, Z0, Z0 \
	VMULPS Z19, Z4, Z1 \
	VADDPS Z1, Z0, Z0 \
	VMOVAPS Z6, Z5 \
	VMOVAPS Z7, Z6 \
	VMOVAPS Z4, Z7 \
	ZSILU(Z0, Z1, Z2, Z3, Z11)

// ZSTOREQ(r, rx, inv, dst) scales r by the 16 output scales at inv, clamps
// from above (127 as second source, so NaN gives 127), rounds half to even
// and stores the 16 saturated bytes at dst (values below -128 saturate in
// VPMOVSDB); rx is the X register of r.
#define ZSTOREQ(r, rx, inv, dst) \
	VMULPS      inv, r, r \
	VMINPS.BCST zcf127<>(SB), r, r \
	VCVTPS2DQ   r, r \
	VPMOVSDB    r, rx \
	VMOVDQU     rx, dst

// Decode step: one token, state updated in place.
//
// Two channel blocks (32 channels) per iteration, each computed straight
// from memory operands, so that the two SiLU chains overlap; then the state
// rows move up by one token (row 0 ← row 1, row 1 ← row 2, row 2 ← x) for
// those channels. An odd last block of 16 runs alone.
//
// Registers:
//   R8..R11  w rows 0..3     R12..R14 state rows 0..2
//   SI x    DI out    AX bias    BX inv (int8 output)    DX channel offset
//   R15 c16    CX scratch
//   Z0 / Z9 acc of block A / B, Z1 / Z10 inputs and products,
//   Z2..Z4 / Z11..Z13 exp scratch, Z15 state-move scratch

// ZSTEPROWS sets the row pointers from w_base, state_base and c (elements).
#define ZSTEPROWS(sz) \
	MOVQ c+32(FP), CX \
	MOVQ w_base+40(FP), R8 \
	LEAQ (R8)(CX*4), R9 \
	LEAQ (R9)(CX*4), R10 \
	LEAQ (R10)(CX*4), R11 \
	MOVQ state_base+8(FP), R12 \
	LEAQ (R12)(CX*sz), R13 \
	LEAQ (R13)(CX*sz), R14

// ZSTEPI8(off, acc, t): acc = w0·s0 + bias + w1·s1 + w2·s2 + w3·x for
// the 16 channels at DX+off (int8 inputs), products rounded before the adds.
#define ZSTEPI8(off, acc, t) \
	ZLOADI8(off(R12)(DX*1), t) \
	VMULPS (off*4)(R8)(DX*4), t, acc \
	VADDPS (off*4)(AX)(DX*4), acc, acc \
	ZLOADI8(off(R13)(DX*1), t) \
	VMULPS (off*4)(R9)(DX*4), t, t \
	VADDPS t, acc, acc \
	ZLOADI8(off(R14)(DX*1), t) \
	VMULPS (off*4)(R10)(DX*4), t, t \
	VADDPS t, acc, acc \
	ZLOADI8(off(SI)(DX*1), t) \
	VMULPS (off*4)(R11)(DX*4), t, t \
	VADDPS t, acc, acc

// ZSTEPF32: ZSTEPI8 for float32 inputs and state.
#define ZSTEPF32(off, acc, t) \
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

// func ConvSiLUI8AVX512(l, c16 int, x []int8, ldx int, state []int8, c int, w, bias, inv []float32, out []int8, ldo int)
TEXT ·ConvSiLUI8AVX512(SB), NOSPLIT, $0-184
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
	EXP512_CONST
	XORQ DX, DX

i8block:
	ZLOADW
	ZSTATEI8
	LEAQ (SI)(DX*1), R14
	LEAQ (DI)(DX*1), R15
	MOVQ AX, BX
i8pair:
	CMPQ BX, $2
	JB   i8odd
	ZLOADI8((R14), Z4)
	ZLOADI8((R14)(R8*1), Z8)
	ZTAPS2
	ZSTOREQ(Z0, X0, (R13)(DX*4), (R15))
	ZSTOREQ(Z9, X9, (R13)(DX*4), (R15)(R9*1))
	LEAQ (R14)(R8*2), R14
	LEAQ (R15)(R9*2), R15
	SUBQ $2, BX
	JMP  i8pair
i8odd:
	TESTQ BX, BX
	JZ    i8next
	ZLOADI8((R14), Z4)
	ZTAPS1
	ZSTOREQ(Z0, X0, (R13)(DX*4), (R15))
i8next:
	ADDQ $16, DX
	CMPQ DX, c16+8(FP)
	JB   i8block
	VZEROUPPER
	RET

// func ConvSiLUI8F32AVX512(l, c16 int, x []int8, ldx int, state []int8, c int, w, bias []float32, out []float32, ldo int)
TEXT ·ConvSiLUI8F32AVX512(SB), NOSPLIT, $0-160
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
	EXP512_CONST
	XORQ DX, DX

ifblock:
	ZLOADW
	ZSTATEI8
	LEAQ (SI)(DX*1), R14
	LEAQ (DI)(DX*4), R15
	MOVQ AX, BX
ifpair:
	CMPQ BX, $2
	JB   ifodd
	ZLOADI8((R14), Z4)
	ZLOADI8((R14)(R8*1), Z8)
	ZTAPS2
	VMOVUPS Z0, (R15)
	VMOVUPS Z9, (R15)(R9*1)
	LEAQ (R14)(R8*2), R14
	LEAQ (R15)(R9*2), R15
	SUBQ $2, BX
	JMP  ifpair
ifodd:
	TESTQ BX, BX
	JZ    ifnext
	ZLOADI8((R14), Z4)
	ZTAPS1
	VMOVUPS Z0, (R15)
ifnext:
	ADDQ $16, DX
	CMPQ DX, c16+8(FP)
	JB   ifblock
	VZEROUPPER
	RET

// func ConvSiLUF32AVX512(l, c16 int, x []float32, ldx int, state []float32, c int, w, bias []float32, out []float32, ldo int)
TEXT ·ConvSiLUF32AVX512(SB), NOSPLIT, $0-160
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
	EXP512_CONST
	XORQ DX, DX

ffblock:
	ZLOADW
	ZSTATEF32
	LEAQ (SI)(DX*4), R14
	LEAQ (DI)(DX*4), R15
	MOVQ AX, BX
ffpair:
	CMPQ BX, $2
	JB   ffodd
	VMOVUPS (R14), Z4
	VMOVUPS (R14)(R8*1), Z8
	ZTAPS2
	VMOVUPS Z0, (R15)
	VMOVUPS Z9, (R15)(R9*1)
	LEAQ (R14)(R8*2), R14
	LEAQ (R15)(R9*2), R15
	SUBQ $2, BX
	JMP  ffpair
ffodd:
	TESTQ BX, BX
	JZ    ffnext
	VMOVUPS (R14), Z4
	ZTAPS1
	VMOVUPS Z0, (R15)
ffnext:
	ADDQ $16, DX
	CMPQ DX, c16+8(FP)
	JB   ffblock
	VZEROUPPER
	RET

// func ConvStepI8AVX512(c16 int, state []int8, c int, w, bias, inv []float32, x, out []int8)
TEXT ·ConvStepI8AVX512(SB), NOSPLIT, $0-160
	ZSTEPROWS(1)
	MOVQ bias_base+64(FP), AX
	MOVQ inv_base+88(FP), BX
	MOVQ x_base+112(FP), SI
	MOVQ out_base+136(FP), DI
	MOVQ c16+0(FP), R15
	EXP512_CONST
	XORQ DX, DX
zsi8pair:
	LEAQ 32(DX), CX
	CMPQ CX, R15
	JA   zsi8odd
	ZSTEPI8(0, Z0, Z1)
	ZSTEPI8(16, Z9, Z10)
	VMOVDQU (R13)(DX*1), Y15   // state rows move up by one token
	VMOVDQU Y15, (R12)(DX*1)
	VMOVDQU (R14)(DX*1), Y15
	VMOVDQU Y15, (R13)(DX*1)
	VMOVDQU (SI)(DX*1), Y15
	VMOVDQU Y15, (R14)(DX*1)
	ZSILU(Z0, Z1, Z2, Z3, Z4)
	ZSILU(Z9, Z10, Z11, Z12, Z13)
	ZSTOREQ(Z0, X0, (BX)(DX*4), (DI)(DX*1))
	ZSTOREQ(Z9, X9, 64(BX)(DX*4), 16(DI)(DX*1))
	ADDQ $32, DX
	JMP  zsi8pair
zsi8odd:
	CMPQ DX, R15
	JAE  zsi8done
	ZSTEPI8(0, Z0, Z1)
	VMOVDQU (R13)(DX*1), X15
	VMOVDQU X15, (R12)(DX*1)
	VMOVDQU (R14)(DX*1), X15
	VMOVDQU X15, (R13)(DX*1)
	VMOVDQU (SI)(DX*1), X15
	VMOVDQU X15, (R14)(DX*1)
	ZSILU(Z0, Z1, Z2, Z3, Z4)
	ZSTOREQ(Z0, X0, (BX)(DX*4), (DI)(DX*1))
zsi8done:
	VZEROUPPER
	RET

// func ConvStepF32AVX512(c16 int, state []float32, c int, w, bias []float32, x, out []float32)
TEXT ·ConvStepF32AVX512(SB), NOSPLIT, $0-136
	ZSTEPROWS(4)
	MOVQ bias_base+64(FP), AX
	MOVQ x_base+88(FP), SI
	MOVQ out_base+112(FP), DI
	MOVQ c16+0(FP), R15
	EXP512_CONST
	XORQ DX, DX
zsffpair:
	LEAQ 32(DX), CX
	CMPQ CX, R15
	JA   zsffodd
	ZSTEPF32(0, Z0, Z1)
	ZSTEPF32(16, Z9, Z10)
	VMOVUPS (R13)(DX*4), Z1    // state rows move up by one token
	VMOVUPS Z1, (R12)(DX*4)
	VMOVUPS 64(R13)(DX*4), Z1
	VMOVUPS Z1, 64(R12)(DX*4)
	VMOVUPS (R14)(DX*4), Z1
	VMOVUPS Z1, (R13)(DX*4)
	VMOVUPS 64(R14)(DX*4), Z1
	VMOVUPS Z1, 64(R13)(DX*4)
	VMOVUPS (SI)(DX*4), Z1
	VMOVUPS Z1, (R14)(DX*4)
	VMOVUPS 64(SI)(DX*4), Z1
	VMOVUPS Z1, 64(R14)(DX*4)
	ZSILU(Z0, Z1, Z2, Z3, Z4)
	ZSILU(Z9, Z10, Z11, Z12, Z13)
	VMOVUPS Z0, (DI)(DX*4)
	VMOVUPS Z9, 64(DI)(DX*4)
	ADDQ $32, DX
	JMP  zsffpair
zsffodd:
	CMPQ DX, R15
	JAE  zsffdone
	ZSTEPF32(0, Z0, Z1)
	VMOVUPS (R13)(DX*4), Z1
	VMOVUPS Z1, (R12)(DX*4)
	VMOVUPS (R14)(DX*4), Z1
	VMOVUPS Z1, (R13)(DX*4)
	VMOVUPS (SI)(DX*4), Z1
	VMOVUPS Z1, (R14)(DX*4)
	ZSILU(Z0, Z1, Z2, Z3, Z4)
	VMOVUPS Z0, (DI)(DX*4)
zsffdone:
	VZEROUPPER
	RET
