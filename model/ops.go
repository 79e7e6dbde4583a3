package model

import (
	"math"

	"github.com/quamba/quamba/kernels"
)

// scanGate sets y[j] *= z[j] / (1 + exp(-z[j])), with exp from
// kernels.ExpF32 (the bits of kernels.Exp): the float32 operations of the z
// gate of kernels.ScanM1F32, so that y gated here has the kernel's bits. e
// is scratch of len(y).
func scanGate(y, z, e []float32) {
	e = e[:len(y)]
	for j, v := range z[:len(y)] {
		e[j] = -v
	}
	kernels.ExpF32(e, e)
	for j, v := range z[:len(y)] {
		y[j] *= v / (1 + e[j])
	}
}

// unitGate is the float32 whose gate z / (1 + kernels.Exp(-z)) is exactly 1
// (1.2784646): as the z input of kernels.ScanM1F32 it makes the kernel
// return the scan output before the gate, unchanged.
var unitGate = math.Float32frombits(0x3fa3a4ba)
