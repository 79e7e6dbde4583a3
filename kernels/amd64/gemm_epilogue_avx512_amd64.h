// Fused output stage of the W8A8 AVX-512 GEMV kernel (the GEMM kernel
// unrolls the same instruction sequence per output kind).
//
// W8A8_EPILOGUE512(ACC, YP, SC, BI, T, TY) writes the 16 int32 sums of one
// panel (rows 0-15 in the Z register ACC) to the output row at YP, converted
// according to the kind in R10, storing only the rows selected by the
// opmask K1 (all 16 but in a last, partial panel):
//
//	0 int32:   ACC as it is (64 bytes)
//	1 float32: float32(acc)·scale (+ bias when BI != 0)  (64 bytes)
//	2 float16: float32(acc)·scale, VCVTPS2PH round-to-nearest-even (32 bytes)
//	3 int8:    float32(acc)·scale clamped to [-128, 127] (NaN → 127: the
//	           bound is the second operand of VMINPS), VCVTPS2DQ (round half
//	           to even), VPMOVDB (truncation; the values are in range)
//
// SC points to the panel's 16 float32 scales and BI to its 16 biases (or is
// 0); both are read with K1 as well (zero-masked loads), so that a partial
// panel never reads beyond the caller's N. The products are exactly those of
// the pure-Go code: one conversion, one multiply, then one add, all RNE.
// Clobbers ACC and T (TY is the Y half of T). It defines labels, so it may
// be expanded only once per TEXT block; the including file expands
// W8A8_CONSTANTS512 once to define the clamp bounds.

#define W8A8_EPILOGUE512(ACC, YP, SC, BI, T, TY) \
	CMPQ	R10, $0 \
	JNE	ep_float \
	VMOVDQU32	ACC, K1, (YP) \
	JMP	ep_done \
ep_float: \
	VCVTDQ2PS	ACC, ACC \
	VMOVUPS.Z	(SC), K1, T \
	VMULPS	T, ACC, ACC \
	CMPQ	R10, $2 \
	JEQ	ep_f16 \
	JGT	ep_i8 \
	TESTQ	BI, BI \
	JZ	ep_f32store \
	VMOVUPS.Z	(BI), K1, T \
	VADDPS	T, ACC, ACC \
ep_f32store: \
	VMOVUPS	ACC, K1, (YP) \
	JMP	ep_done \
ep_f16: \
	VCVTPS2PH	$0, ACC, TY \
	VMOVDQU16	TY, K1, (YP) \
	JMP	ep_done \
ep_i8: \
	VMINPS.BCST	w8a8z127<>(SB), ACC, ACC \
	VMAXPS.BCST	w8a8zm128<>(SB), ACC, ACC \
	VCVTPS2DQ	ACC, ACC \
	VPMOVDB	ACC, K1, (YP) \
ep_done:

// W8A8_OUTSTEP512 sets R12 to the bytes of one panel's output row for kind
// R10: 64 (int32, float32), 32 (float16) or 16 (int8).
#define W8A8_OUTSTEP512 \
	MOVQ	$64, R12 \
	CMPQ	R10, $2 \
	JLT	os_done \
	MOVQ	$32, R12 \
	JEQ	os_done \
	MOVQ	$16, R12 \
os_done:

#define W8A8_CONSTANTS512 \
	DATA	w8a8z127<>+0(SB)/4, $127.0 \
	GLOBL	w8a8z127<>(SB), RODATA|NOPTR, $4 \
	DATA	w8a8zm128<>+0(SB)/4, $-128.0 \
	GLOBL	w8a8zm128<>(SB), RODATA|NOPTR, $4
