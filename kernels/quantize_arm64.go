//go:build !noasm

package kernels

// arm64 binding of the quantization kernels (no NEON version yet: the twin runs).

func quantizeArch(t Tier, x []float32, invScale float32, q []int8) int { return 0 }

func quantizeChanArch(t Tier, x, invScale []float32, q []int8) int { return 0 }

func dequantizeArch(t Tier, q []int8, scale float32, x []float32) int { return 0 }

func scaleArch(t Tier, x []float32, s float32) int { return 0 }
