//go:build noasm || !(amd64 || arm64)

package kernels

// Generic-only builds: the quantization hooks do nothing and the twin runs.

func quantizeArch(t Tier, x []float32, invScale float32, q []int8) int { return 0 }

func quantizeChanArch(t Tier, x, invScale []float32, q []int8) int { return 0 }

func dequantizeArch(t Tier, q []int8, scale float32, x []float32) int { return 0 }

func quantizeRuns8Arch(t Tier, x, invScale []float32, q []int8) bool { return false }

func dequantizeRuns8Arch(t Tier, q []int8, scale []float32, x []float32) bool { return false }
