//go:build !noasm

package amd64

import "github.com/quamba/quamba/kernels/internal/scanabi"

// The operand records of the scan kernels (field offsets fixed by the
// assembly, checked in package scanabi).
type (
	ScanM1Args = scanabi.ScanM1Args
	ScanM2Args = scanabi.ScanM2Args
	ScanQ8Args = scanabi.ScanQ8Args
)

// ScanM1AVX2 runs the Mamba1 selective scan (kernels.ScanM1) with a float32
// state on channels [0, a.NC), bit-for-bit as the pure-Go kernel. Needs
// AVX2 and FMA.
//
//go:noescape
func ScanM1AVX2(a *ScanM1Args)

// ScanM2AVX2 runs the Mamba2 SSM (kernels.ScanM2) with a float32 state on
// channels [0, a.PC) of heads [a.H0, a.H1), bit-for-bit as the pure-Go
// kernel.
// Needs AVX2 and FMA.
//
//go:noescape
func ScanM2AVX2(a *ScanM2Args)

// ScanQ8LoadAVX2 sets F = float32(Q)·scale on the first WC elements of
// every row.
//
//go:noescape
func ScanQ8LoadAVX2(a *ScanQ8Args)

// ScanQ8StoreAVX2 sets Q = saturate(roundEven(F·inv)) on the first WC
// elements of every row, where Scale holds the reciprocals inv = 1/scale.
//
//go:noescape
func ScanQ8StoreAVX2(a *ScanQ8Args)

// ScanRecipAVX2 sets dst[i] = 1/src[i] (float32 division) for i < len(src)
// rounded down to a multiple of 8; len(dst) >= len(src).
//
//go:noescape
func ScanRecipAVX2(dst, src []float32)

// ScanM1AVX512 is ScanM1AVX2 with 16 lanes: the same operands and the
// same bits, two 8-channel blocks of the scan layout per vector (an odd
// last block alone). Needs a.NC >= 16 and AVX-512 F.
//
//go:noescape
func ScanM1AVX512(a *ScanM1Args)

// ScanM2AVX512 is ScanM2AVX2 with 16 lanes (blocks of 64 channels, then
// 16, then 8): the same operands and the same bits. Needs AVX-512 F.
//
//go:noescape
func ScanM2AVX512(a *ScanM2Args)

// ScanQ8LoadAVX512 is ScanQ8LoadAVX2 16 elements at a time (then 8): the
// same operands and the same bits. Needs AVX-512 F.
//
//go:noescape
func ScanQ8LoadAVX512(a *ScanQ8Args)

// ScanQ8StoreAVX512 is ScanQ8StoreAVX2 16 elements at a time (then 8).
// Needs AVX-512 F.
//
//go:noescape
func ScanQ8StoreAVX512(a *ScanQ8Args)
