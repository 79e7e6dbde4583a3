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
	}
	return ts
}
