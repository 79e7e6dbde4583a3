//go:build !noasm

package kernels

import "github.com/klauspost/cpuid/v2"

func archTiers() []Tier {
	var ts []Tier
	if cpuid.CPU.Supports(cpuid.ASIMD) {
		ts = append(ts, NEON)
	}
	if cpuid.CPU.Supports(cpuid.ASIMD, cpuid.ASIMDDP) {
		ts = append(ts, NEONDot)
		if cpuid.CPU.Supports(cpuid.I8MM) {
			ts = append(ts, NEONI8MM)
		}
	}
	return ts
}

// dotUp reports whether tier t can run the SDOT kernels: NEONDot itself and
// NEONI8MM, which uses SMMLA only in the prefill GEMMs.
func dotUp(t Tier) bool { return t == NEONDot || t == NEONI8MM }

// neonTier reports whether tier t runs NEON code at all.
func neonTier(t Tier) bool { return t == NEON || dotUp(t) }
