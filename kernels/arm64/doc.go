// Package arm64 holds quamba's ARMv8 NEON kernels in Go assembly, with and
// without the dot-product extension (SDOT is emitted as WORD encodings).
// Callers reach them through package kernels, which checks CPU support first.
package arm64
