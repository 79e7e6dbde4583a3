//go:build !noasm

package arm64

import "github.com/quamba/quamba/kernels/internal/scanabi"

// The operand records of the scan kernels (field offsets fixed by the
// assembly, checked in package scanabi).
type (
	ScanM1Args = scanabi.ScanM1Args
	ScanM2Args = scanabi.ScanM2Args
	ScanQ8Args = scanabi.ScanQ8Args
)

// ScanM1NEON runs the Mamba1 selective scan (kernels.ScanM1) with a float32
// state on channels [0, a.NC), bit-for-bit as the pure-Go kernel.
//
//go:noescape
func ScanM1NEON(a *ScanM1Args)

// ScanM2NEON runs the Mamba2 SSM (kernels.ScanM2) with a float32 state on
// channels [0, a.PC) of heads [a.H0, a.H1), bit-for-bit as the pure-Go
// kernel.
//
//go:noescape
func ScanM2NEON(a *ScanM2Args)

// ScanQ8LoadNEON sets F = float32(Q)·scale on the first WC elements of
// every row.
//
//go:noescape
func ScanQ8LoadNEON(a *ScanQ8Args)

// ScanQ8StoreNEON sets Q = saturate(roundEven(F·inv)) on the first WC
// elements of every row, where Scale holds the reciprocals inv = 1/scale.
//
//go:noescape
func ScanQ8StoreNEON(a *ScanQ8Args)

// ScanRecipNEON sets dst[i] = 1/src[i] (float32 division) for i < len(src)
// rounded down to a multiple of 4; len(dst) >= len(src).
//
//go:noescape
func ScanRecipNEON(dst, src []float32)
