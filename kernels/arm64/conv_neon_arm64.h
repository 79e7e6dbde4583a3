// conv_neon_arm64.h: float32 exp and SiLU on NEON registers, bit-for-bit
// twins of kernels.Exp and of silu32 (kernels/exp.go, kernels/conv.go):
//
//	x = min(max(x, -104), 89)            // NaN passes through
//	n = roundEven(x·log2e)
//	r = x - n·ln2hi - n·ln2lo            // two fused multiply-subtracts
//	p = 1 + (r + r²·P(r))                // degree-5 P, Horner with FMLA
//	exp(x) = p · 2^(n>>1) · 2^(n - n>>1)
//	silu(a) = a / (1 + exp(-a))
//
// Needs quantize_neon_arm64.h. EXPCONST(R) loads the constants into
// V16..V28 (R: a scratch general register); the macros expect them there
// and never write V16..V28.

DATA expneon<>+0(SB)/4, $0x42b20000  // V16: 89.0, upper clamp
DATA expneon<>+4(SB)/4, $0xc2d00000  // V17: -104.0, lower clamp
DATA expneon<>+8(SB)/4, $0x3fb8aa3b  // V18: log2(e)
DATA expneon<>+12(SB)/4, $0x3f318000 // V19: ln2hi = 0.693359375
DATA expneon<>+16(SB)/4, $0xb95e8083 // V20: ln2lo = -2.12194440e-4
DATA expneon<>+20(SB)/4, $0x39506967 // V21: P0 = 1.9875691500e-4
DATA expneon<>+24(SB)/4, $0x3ab743ce // V22: P1 = 1.3981999507e-3
DATA expneon<>+28(SB)/4, $0x3c088908 // V23: P2 = 8.3334519073e-3
DATA expneon<>+32(SB)/4, $0x3d2aa9c1 // V24: P3 = 4.1665795894e-2
DATA expneon<>+36(SB)/4, $0x3e2aaaaa // V25: P4 = 1.6666665459e-1
DATA expneon<>+40(SB)/4, $0x3f000000 // V26: P5 = 0.5
DATA expneon<>+44(SB)/4, $0x3f800000 // V27: 1.0
DATA expneon<>+48(SB)/4, $0x0000007f // V28: 127, the float32 exponent bias (int32 lanes)
GLOBL expneon<>(SB), RODATA|NOPTR, $52

#define EXPCONST(R) \
	MOVD $expneon<>(SB), R \
	VLD1R.P 4(R), [V16.S4] \
	VLD1R.P 4(R), [V17.S4] \
	VLD1R.P 4(R), [V18.S4] \
	VLD1R.P 4(R), [V19.S4] \
	VLD1R.P 4(R), [V20.S4] \
	VLD1R.P 4(R), [V21.S4] \
	VLD1R.P 4(R), [V22.S4] \
	VLD1R.P 4(R), [V23.S4] \
	VLD1R.P 4(R), [V24.S4] \
	VLD1R.P 4(R), [V25.S4] \
	VLD1R.P 4(R), [V26.S4] \
	VLD1R.P 4(R), [V27.S4] \
	VLD1R.P 4(R), [V28.S4]

// EXP_NEON(x, t0, t1, t2): Vx = exp(Vx) on 4 lanes; Vt0..Vt2 clobbered
// (register numbers, all distinct).
#define EXP_NEON(x, t0, t1, t2) \
	FMIN4S(x, x, 16) \
	FMAX4S(x, x, 17) \
	FMUL4S(t0, x, 18) \
	FRINTN4S(t0, t0) \
	FMLS4S(x, t0, 19) \
	FMLS4S(x, t0, 20) \
	VMOV16B(t1, 22) \
	FMLA4S(t1, 21, x) \
	VMOV16B(t2, 23) \
	FMLA4S(t2, t1, x) \
	VMOV16B(t1, 24) \
	FMLA4S(t1, t2, x) \
	VMOV16B(t2, 25) \
	FMLA4S(t2, t1, x) \
	VMOV16B(t1, 26) \
	FMLA4S(t1, t2, x) \
	FMUL4S(t2, x, x) \
	FMLA4S(x, t1, t2) \
	FADD4S(x, x, 27) \
	FCVTZS4S(t0, t0) \
	SSHR4S(t1, t0, 1) \
	ISUB4S(t0, t0, t1) \
	IADD4S(t1, t1, 28) \
	SHL4S(t1, t1, 23) \
	IADD4S(t0, t0, 28) \
	SHL4S(t0, t0, 23) \
	FMUL4S(x, x, t1) \
	FMUL4S(x, x, t0)

// SILU_NEON(a, t0, t1, t2, t3): Va = Va / (1 + exp(-Va)); Vt0..Vt3 clobbered.
#define SILU_NEON(a, t0, t1, t2, t3) \
	FNEG4S(t0, a) \
	EXP_NEON(t0, t1, t2, t3) \
	FADD4S(t0, t0, 27) \
	FDIV4S(a, a, t0)
