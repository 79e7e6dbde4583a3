// Fused output stage shared by the W8A8 AVX2 kernels.
//
// W8A8_EPILOGUE(A, B, YP) writes the 16 int32 accumulators of one panel
// (rows 0-7 in the Y register A, rows 8-15 in B) to the output row at YP,
// converted according to the kind in R10:
//
//	0 int32:   store A, B as they are (64 bytes)
//	1 float32: float32(acc)·scale (+ bias when R9 != 0)  (64 bytes)
//	2 float16: float32(acc)·scale, VCVTPS2PH round-to-nearest-even (32 bytes)
//	3 int8:    float32(acc)·scale clamped to [-128, 127] (NaN → 127),
//	           VCVTPS2DQ (round half to even), packed (16 bytes)
//
// R8 points to the panel's 16 float32 scales, R9 to its 16 biases or is 0.
// Clobbers A, B, Y12, Y13. It defines labels, so it may be expanded only
// once per TEXT block; the including file expands W8A8_CONSTANTS
// once to define the clamp bounds w8a8c127<> and w8a8cm128<>.

#define W8A8_EPILOGUE(A, B, YP) \
	CMPQ	R10, $0 \
	JNE	ep_float \
	VMOVDQU	A, (YP) \
	VMOVDQU	B, 32(YP) \
	JMP	ep_done \
ep_float: \
	VCVTDQ2PS	A, A \
	VCVTDQ2PS	B, B \
	VMULPS	(R8), A, A \
	VMULPS	32(R8), B, B \
	CMPQ	R10, $2 \
	JEQ	ep_f16 \
	JGT	ep_i8 \
	TESTQ	R9, R9 \
	JZ	ep_f32store \
	VADDPS	(R9), A, A \
	VADDPS	32(R9), B, B \
ep_f32store: \
	VMOVUPS	A, (YP) \
	VMOVUPS	B, 32(YP) \
	JMP	ep_done \
ep_f16: \
	VCVTPS2PH	$0, A, X12 \
	VCVTPS2PH	$0, B, X13 \
	VMOVDQU	X12, (YP) \
	VMOVDQU	X13, 16(YP) \
	JMP	ep_done \
ep_i8: \
	VMINPS	w8a8c127<>(SB), A, A \
	VMINPS	w8a8c127<>(SB), B, B \
	VMAXPS	w8a8cm128<>(SB), A, A \
	VMAXPS	w8a8cm128<>(SB), B, B \
	VCVTPS2DQ	A, A \
	VCVTPS2DQ	B, B \
	VPACKSSDW	B, A, Y12 \
	VPERMQ	$0xD8, Y12, Y12 \
	VEXTRACTI128	$1, Y12, X13 \
	VPACKSSWB	X13, X12, X12 \
	VMOVDQU	X12, (YP) \
ep_done:

// The int8 path packs with VPACKSSDW (words A0-3 B0-3 | A4-7 B4-7), puts the
// quadwords in row order with VPERMQ $0xD8 (A0-7 | B0-7) and packs the two
// halves with VPACKSSWB; the values are already in range, so the saturating
// packs only narrow.

// W8A8_OUTSTEP sets R12 to the bytes of one panel's output row for kind R10:
// 64 (int32, float32), 32 (float16) or 16 (int8).
#define W8A8_OUTSTEP \
	MOVQ	$64, R12 \
	CMPQ	R10, $2 \
	JLT	os_done \
	MOVQ	$32, R12 \
	JEQ	os_done \
	MOVQ	$16, R12 \
os_done:

#define W8A8_CONSTANTS \
	DATA	w8a8c127<>+0(SB)/4, $127.0 \
	DATA	w8a8c127<>+4(SB)/4, $127.0 \
	DATA	w8a8c127<>+8(SB)/4, $127.0 \
	DATA	w8a8c127<>+12(SB)/4, $127.0 \
	DATA	w8a8c127<>+16(SB)/4, $127.0 \
	DATA	w8a8c127<>+20(SB)/4, $127.0 \
	DATA	w8a8c127<>+24(SB)/4, $127.0 \
	DATA	w8a8c127<>+28(SB)/4, $127.0 \
	GLOBL	w8a8c127<>(SB), RODATA|NOPTR, $32 \
	DATA	w8a8cm128<>+0(SB)/4, $-128.0 \
	DATA	w8a8cm128<>+4(SB)/4, $-128.0 \
	DATA	w8a8cm128<>+8(SB)/4, $-128.0 \
	DATA	w8a8cm128<>+12(SB)/4, $-128.0 \
	DATA	w8a8cm128<>+16(SB)/4, $-128.0 \
	DATA	w8a8cm128<>+20(SB)/4, $-128.0 \
	DATA	w8a8cm128<>+24(SB)/4, $-128.0 \
	DATA	w8a8cm128<>+28(SB)/4, $-128.0 \
	GLOBL	w8a8cm128<>(SB), RODATA|NOPTR, $32
