// Package kernels holds quamba's compute kernels over plain slices: float32,
// int8 and 4-bit matrix products, the Hadamard transform, the causal conv1d, the
// quantized selective scans and fused norms. Every kernel has a pure-Go
// implementation that is its specification and the fallback; SIMD versions
// in Go assembly (kernels/amd64, kernels/arm64) are chosen once at start-up
// from the CPU's features. Kernels know nothing about models.
package kernels
