//go:build !noasm

package kernels

import "github.com/klauspost/cpuid/v2"

func archTiers() []Tier {
	var ts []Tier
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		ts = append(ts, AVX2)
	}
	if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512VNNI) {
		ts = append(ts, AVX512)
	}
	return ts
}
