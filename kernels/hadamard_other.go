//go:build noasm || !(amd64 || arm64)

package kernels

// Generic-only builds: the Hadamard hooks decline and the twin runs.

func hadamardArch(t Tier, x []float32, k, p int) bool { return false }

func hadamardQuantArch(t Tier, x []float32, k, p int, c float32, q []int8) bool { return false }
