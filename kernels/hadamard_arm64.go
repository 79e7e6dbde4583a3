//go:build !noasm

package kernels

// arm64 binding of the Hadamard kernels (no NEON version yet: the twin runs).

func hadamardArch(t Tier, x []float32, k, p int) bool { return false }

func hadamardQuantArch(t Tier, x []float32, k, p int, c float32, q []int8) bool { return false }
