//go:build !noasm

package kernels

import "github.com/klauspost/cpuid/v2"

// archTiers lists the amd64 tiers of this CPU. AVX512 needs all four of
// F, BW, VL and VNNI; cpuid reports them only when the OS saves the opmask
// and ZMM state (XCR0 bits 5-7).
func archTiers() []Tier {
	var ts []Tier
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3, cpuid.F16C) {
		ts = append(ts, AVX2)
		if cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512VNNI) {
			ts = append(ts, AVX512)
		}
	}
	return ts
}

// avx2Up reports whether tier t can run the AVX2 kernels: the AVX2 tier
// itself and AVX512, which keeps the AVX2 code for the operations that have
// no 512-bit kernel.
func avx2Up(t Tier) bool { return t == AVX2 || t == AVX512 }
