//go:build noasm || !(amd64 || arm64)

package kernels

// scanM1PreFloats only matters to the SIMD kernels.
var scanM1PreFloats = 32 << 10

func scanM1[T int8 | float32](p *ScanM1Params, st scanState, y []float32, u, dt, B, C, z []T, L int) {
	scanM1Go(p, st, y, u, dt, B, C, z, L)
}

func scanM2[T int8 | float32](p *ScanM2Params, st scanState, y []float32, x, dt, B, C []T, L int) {
	scanM2Go(p, st, y, x, dt, B, C, L)
}
