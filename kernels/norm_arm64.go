//go:build !noasm

package kernels

// arm64 binding of the norm kernels (no NEON version yet: the twin runs).

func sumSqArch(t Tier, x []float32) (int, float64) { return 0, 0 }

func addSumSqArch(t Tier, res, h []float32) (int, float64) { return 0, 0 }

func scaleMulArch(t Tier, out, v, w []float32, s float32) int { return 0 }

func scaleMulQuantArch(t Tier, q []int8, v, w []float32, s float32) int { return 0 }

func gateF32Arch(t Tier, v, y, z []float32) (int, float64) { return 0, 0 }

func gateI8Arch(t Tier, v, y []float32, z []int8, zScale float32) (int, float64) { return 0, 0 }
