//go:build !noasm

package kernels

import "github.com/klauspost/cpuid/v2"

// archTiers lists the amd64 tiers of this CPU. There are no AVX-512 kernels
// yet: an AVX-512 CPU runs the AVX2 tier.
func archTiers() []Tier {
	var ts []Tier
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		ts = append(ts, AVX2)
	}
	return ts
}
