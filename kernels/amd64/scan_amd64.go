//go:build !noasm

package amd64

import "unsafe"

// ScanM1Args are the operands of ScanM1AVX2. The assembly reads the fields
// at fixed offsets (checked below); keep the order.
type ScanM1Args struct {
	U, Dt, Z    *int8    // [L][E] int8 inputs, from channel 0
	Y           *float32 // [L][E] output
	BC          *float32 // [L][N] interleaved (SB·B, SC·C) pairs
	A           *float32 // [N][E] scan layout
	D           *float32 // [E]
	DtBias      *float32 // [E]
	State       *float32 // [N][E] float32 state, or nil with StateQ
	StateQ      *int8    // [N][E] int8 state (when State is nil)
	Scale       *float32 // [E/Group][N] int8-state scales
	Hbuf        *float32 // scratch for N*8 floats (int8 state or L > 1)
	E           int      // channels: row stride of u, dt, z, y, A and state
	NC          int      // channels to scan from 0, a multiple of 8
	N           int      // states per channel, >= 1
	L           int      // tokens, >= 1
	Group       int      // int8-state channel group, a multiple of 8
	SU, SDt, SZ float32  // scales of u, dt, z
}

// ScanM1AVX2 runs the Mamba1 selective scan (kernels.ScanM1) on channels
// [0, a.NC), bit-for-bit as the pure-Go kernel. Needs AVX2 and FMA.
//
//go:noescape
func ScanM1AVX2(a *ScanM1Args)

// Compile-time checks of the offsets the assembly uses.
var (
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM1Args{}.Hbuf)-88]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM1Args{}.E)-96]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM1Args{}.Group)-128]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM1Args{}.SZ)-144]
)

// ScanM2Args are the operands of ScanM2AVX2 (offsets checked below).
type ScanM2Args struct {
	X      *int8    // [L][H*P] int8 x
	Y      *float32 // [L][H*P] output
	DD     *float32 // [L][2H]: delta of every head, then exp(delta*A)
	BC     *float32 // [L][G*N] interleaved (B·SB[g], C·SC[g]) pairs
	D      *float32 // [H]
	SX     *float32 // [H*P] per-channel scales of x
	State  *float32 // [H][N][P] float32 state, or nil with StateQ
	StateQ *int8    // [H][N][P] int8 state (when State is nil)
	Scale  *float32 // [H*P/Group][N] int8-state scales
	Hbuf   *float32 // scratch for N*P floats (int8 state)
	H      int      // heads
	P      int      // head dim: row stride of the state
	PC     int      // channels per head to scan from 0, a multiple of 8
	N      int      // state size, >= 1
	L      int      // tokens, >= 1
	GN     int      // G*N: row length of BC
	HPG    int      // heads per group, H/G
	Group  int      // int8-state channel group, a multiple of 8 (P too)
}

// ScanM2AVX2 runs the Mamba2 SSM (kernels.ScanM2) on channels [0, a.PC)
// of every head, bit-for-bit as the pure-Go kernel. Needs AVX2 and FMA.
//
//go:noescape
func ScanM2AVX2(a *ScanM2Args)

var (
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM2Args{}.Hbuf)-72]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM2Args{}.H)-80]
	_ = [1]struct{}{}[unsafe.Offsetof(ScanM2Args{}.Group)-136]
)
