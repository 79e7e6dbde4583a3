// Package scanabi holds the operand records of the assembly scan kernels,
// shared by kernels/amd64 and kernels/arm64: both read the fields at the
// fixed offsets checked below, so one definition serves both.
package scanabi

import "unsafe"

// ScanM1Args are the operands of the Mamba1 scan kernel. The assembly reads the fields
// at fixed offsets (checked below); keep the order.
type ScanM1Args struct {
	U, Dt, Z *int8    // [L][E] int8 inputs, from channel 0 (when F32 is 0)
	Y        *float32 // [L][E] output
	BC       *float32 // [L][N] interleaved (SB·B, SC·C) pairs
	A        *float32 // [E/8][N][8] blocked scan layout
	D        *float32 // [E]
	DtBias   *float32 // [E]
	State    *float32 // [E/8][N][8] float32 state, updated in place
	Pre      *float32 // scratch [LC][4][E]: delta·log2(e), delta·u, D·u, silu gate
	E        int      // row stride of u, dt, z, y and Pre (the channels of a whole scan)
	NC       int      // channels to scan from 0, a multiple of 8
	N        int      // states per channel, >= 1
	L        int      // tokens, >= 1
	LC       int      // tokens per chunk (rows of Pre), >= 1

	SU, SDt, SZ float32 // scales of u, dt, z

	UF, DtF, ZF *float32 // float32 inputs [L][E] instead of U, Dt, Z when F32 is 1
	F32         int

	// Decode step (L = 1) on an int8 state: Q in the blocked scan layout
	// replaces State; each row is dequantized with QScale, updated and
	// requantized with the reciprocals QInv (both [E/QGroup][N]).
	Q            *int8
	QScale, QInv *float32
	QGroup       int // a multiple of 8
}

// ScanM2Args are the operands of the Mamba2 scan kernel (offsets checked below).
type ScanM2Args struct {
	X     *int8    // [L][H*P] int8 x (when F32 is 0)
	Y     *float32 // [L][H*P] output
	DD    *float32 // [L][2H]: delta of every head, then exp(delta*A)
	BC    *float32 // [L][G*N] interleaved (B·SB[g], C·SC[g]) pairs
	D     *float32 // [H]
	SX    *float32 // [H*P] per-channel scales of x
	State *float32 // [H][N][P] float32 state, updated in place
	H     int      // heads (row length of DD)
	P     int      // head dim: row stride of the state
	PC    int      // channels per head to scan from 0, a multiple of 8
	N     int      // state size, >= 1
	L     int      // tokens, >= 1
	GN    int      // G*N: row length of BC
	HPG   int      // heads per group, H/G
	H0    int      // first head to scan; State holds heads from H0 on
	H1    int      // heads [H0, H1) are scanned

	XF  *float32 // float32 x [L][H*P] instead of X and SX when F32 is 1
	F32 int
}

// ScanQ8Args describe an int8 state and its float32 copy for the int8-state load
// and store kernels: Blocks blocks of N rows of W elements (Mamba1: E/8
// blocks [N][8]; Mamba2: H blocks [N][P]). Element w of row n of block b is
// channel c = C0 + b*W + w, state index n, with scale
// Scale[(c/Group)*N + n]; the caller gives G0 = C0/Group and
// Rem0 = Group - C0%Group instead of C0.
type ScanQ8Args struct {
	Q      *int8    // [Blocks][N][W]
	F      *float32 // [Blocks][N][W]
	Scale  *float32 // [channels/Group][N]
	Blocks int
	N      int
	W      int // row length (stride)
	WC     int // elements converted per row from 0, a multiple of 8
	Group  int // a multiple of 8 (blocks of 8 never straddle two groups)
	G0     int // group of the first channel
	Rem0   int // channels of group G0 from the first channel on
}

// Compile-time checks of the offsets the assembly uses.
var (
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM1Args{}.Pre)-72]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM1Args{}.E)-80]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM1Args{}.LC)-112]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM1Args{}.SZ)-128]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM1Args{}.UF)-136]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM1Args{}.F32)-160]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM1Args{}.QGroup)-192]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM2Args{}.State)-48]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM2Args{}.H)-56]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM2Args{}.HPG)-104]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM2Args{}.H1)-120]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM2Args{}.F32)-136]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanQ8Args{}.Blocks)-24]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanQ8Args{}.Group)-56]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanQ8Args{}.Rem0)-72]
)
