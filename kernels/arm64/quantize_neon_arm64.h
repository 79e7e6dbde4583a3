// quantize_neon_arm64.h: encodings of the ARMv8.0 Advanced SIMD
// floating-point and narrowing instructions that Go's arm64 assembler has no
// mnemonic for, used by the quantize, Hadamard, norm and conv kernels.
//
// Arguments are register numbers (0..31 for V0..V31); every macro emits one
// instruction word. The comment gives the instruction in ARM syntax.

// Single precision, four lanes (.4S).
// fadd vd.4s, vn.4s, vm.4s
#define FADD4S(d, n, m)   WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
// fsub vd.4s, vn.4s, vm.4s
#define FSUB4S(d, n, m)   WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))
// fmul vd.4s, vn.4s, vm.4s
#define FMUL4S(d, n, m)   WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
// fdiv vd.4s, vn.4s, vm.4s
#define FDIV4S(d, n, m)   WORD $(0x6E20FC00 | ((m)<<16) | ((n)<<5) | (d))
// fmla vd.4s, vn.4s, vm.4s (d += n·m, one rounding)
#define FMLA4S(d, n, m)   WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d))
// fmls vd.4s, vn.4s, vm.4s (d -= n·m, one rounding)
#define FMLS4S(d, n, m)   WORD $(0x4EA0CC00 | ((m)<<16) | ((n)<<5) | (d))
// fminnm: a NaN operand yields the other one
#define FMINNM4S(d, n, m) WORD $(0x4EA0C400 | ((m)<<16) | ((n)<<5) | (d))
// fmaxnm
#define FMAXNM4S(d, n, m) WORD $(0x4E20C400 | ((m)<<16) | ((n)<<5) | (d))
// fneg vd.4s, vn.4s
#define FNEG4S(d, n)      WORD $(0x6EA0F800 | ((n)<<5) | (d))
// frintn: round to integral, ties to even
#define FRINTN4S(d, n)    WORD $(0x4E218800 | ((n)<<5) | (d))
// fcvtns: to int32, nearest, ties to even
#define FCVTNS4S(d, n)    WORD $(0x4E21A800 | ((n)<<5) | (d))
// fcvtzs: to int32, toward zero
#define FCVTZS4S(d, n)    WORD $(0x4EA1B800 | ((n)<<5) | (d))
// scvtf: int32 to float
#define SCVTF4S(d, n)     WORD $(0x4E21D800 | ((n)<<5) | (d))

// Integer shifts on .4S lanes (immediate 1..31).
// sshr vd.4s, vn.4s, #sh
#define SSHR4S(d, n, sh)  WORD $(0x4F000400 | ((64-(sh))<<16) | ((n)<<5) | (d))
// shl vd.4s, vn.4s, #sh
#define SHL4S(d, n, sh)   WORD $(0x4F005400 | ((32+(sh))<<16) | ((n)<<5) | (d))

// Widening and saturating narrowing.
// sxtl vd.8h, vn.8b
#define SXTL8H(d, n)      WORD $(0x0F08A400 | ((n)<<5) | (d))
// sxtl vd.4s, vn.4h
#define SXTL4S(d, n)      WORD $(0x0F10A400 | ((n)<<5) | (d))
// sxtl2 vd.4s, vn.8h
#define SXTL24S(d, n)     WORD $(0x4F10A400 | ((n)<<5) | (d))
// sqxtn vd.4h, vn.4s
#define SQXTN4H(d, n)     WORD $(0x0E614800 | ((n)<<5) | (d))
// sqxtn2 vd.8h, vn.4s
#define SQXTN28H(d, n)    WORD $(0x4E614800 | ((n)<<5) | (d))
// sqxtn vd.8b, vn.8h
#define SQXTN8B(d, n)     WORD $(0x0E214800 | ((n)<<5) | (d))
// sqxtn2 vd.16b, vn.8h
#define SQXTN216B(d, n)   WORD $(0x4E214800 | ((n)<<5) | (d))

// Double precision (.2D) for the sums of squares.
// fcvtl vd.2d, vn.2s
#define FCVTL2D(d, n)     WORD $(0x0E617800 | ((n)<<5) | (d))
// fcvtl2 vd.2d, vn.4s
#define FCVTL22D(d, n)    WORD $(0x4E617800 | ((n)<<5) | (d))
// fmla vd.2d, vn.2d, vm.2d
#define FMLA2D(d, n, m)   WORD $(0x4E60CC00 | ((m)<<16) | ((n)<<5) | (d))
// fadd vd.2d, vn.2d, vm.2d
#define FADD2D(d, n, m)   WORD $(0x4E60D400 | ((m)<<16) | ((n)<<5) | (d))
// faddp dd, vn.2d
#define FADDPD(d, n)      WORD $(0x7E70D800 | ((n)<<5) | (d))

// QUANT16(a, b, c, d, t): clamps the floats of Va..Vd to [-128, 127] with
// V30 = 127 and V31 = -128 (a NaN lane becomes 127), converts them with
// round-half-to-even and narrows them to 16 int8 in Vt (lanes in order a, b,
// c, d). Clobbers Va..Vd.
#define QUANT16(a, b, c, d, t) \
	FMINNM4S(a, a, 30); FMINNM4S(b, b, 30); FMINNM4S(c, c, 30); FMINNM4S(d, d, 30) \
	FMAXNM4S(a, a, 31); FMAXNM4S(b, b, 31); FMAXNM4S(c, c, 31); FMAXNM4S(d, d, 31) \
	FCVTNS4S(a, a); FCVTNS4S(b, b); FCVTNS4S(c, c); FCVTNS4S(d, d) \
	SQXTN4H(a, a); SQXTN28H(a, b); SQXTN4H(c, c); SQXTN28H(c, d) \
	SQXTN8B(t, a); SQXTN216B(t, c)

// QUANT4(a, t): QUANT16 for the four floats of Va; the 4 int8 land in the
// low 32 bits of Vt.
#define QUANT4(a, t) \
	FMINNM4S(a, a, 30); FMAXNM4S(a, a, 31); FCVTNS4S(a, a) \
	SQXTN4H(a, a); SQXTN8B(t, a)

// NaN-propagating minimum and maximum (.4S).
// fmin vd.4s, vn.4s, vm.4s
#define FMIN4S(d, n, m)   WORD $(0x4EA0F400 | ((m)<<16) | ((n)<<5) | (d))
// fmax vd.4s, vn.4s, vm.4s
#define FMAX4S(d, n, m)   WORD $(0x4E20F400 | ((m)<<16) | ((n)<<5) | (d))

// Integer lanes and register moves.
// add vd.4s, vn.4s, vm.4s
#define IADD4S(d, n, m)   WORD $(0x4EA08400 | ((m)<<16) | ((n)<<5) | (d))
// sub vd.4s, vn.4s, vm.4s
#define ISUB4S(d, n, m)   WORD $(0x6EA08400 | ((m)<<16) | ((n)<<5) | (d))
// mov vd.16b, vn.16b (orr vd.16b, vn.16b, vn.16b)
#define VMOV16B(d, n)     WORD $(0x4EA01C00 | ((n)<<16) | ((n)<<5) | (d))
// fmov sd, wn: moves general register Rn's low 32 bits into lane 0 of Vd
// (the other lanes are zeroed); n and d are register numbers.
#define FMOVSW(d, n)      WORD $(0x1E270000 | ((n)<<5) | (d))
