//go:build !noasm

package arm64_test

import (
	"os"
	"slices"
	"testing"

	"github.com/klauspost/cpuid/v2"
	"github.com/quamba/quamba/kernels"
)

// TestI8MMTierDetection checks that NEONI8MM (the SMMLA prefill kernels) is
// offered exactly when the CPU has I8MM and the dot product. Under qemu-user,
// QEMU_CPU=max has both and QEMU_CPU=cortex-a53 neither.
func TestI8MMTierDetection(t *testing.T) {
	s := kernels.Supported()
	has := cpuid.CPU.Supports(cpuid.ASIMD, cpuid.ASIMDDP, cpuid.I8MM)
	t.Logf("QEMU_CPU=%q: I8MM %v; kernels.Supported() = %v", os.Getenv("QEMU_CPU"), cpuid.CPU.Supports(cpuid.I8MM), s)
	if got := slices.Contains(s, kernels.NEONI8MM); got != has {
		t.Errorf("NEONI8MM supported = %v, CPU has ASIMD+ASIMDDP+I8MM = %v", got, has)
	}
	switch os.Getenv("QEMU_CPU") {
	case "cortex-a53", "cortex-a57", "cortex-a72":
		if slices.Contains(s, kernels.NEONI8MM) {
			t.Errorf("%s has no I8MM, but NEONI8MM is supported", os.Getenv("QEMU_CPU"))
		}
		if err := kernels.SetTier(kernels.NEONI8MM); err == nil {
			t.Errorf("SetTier(NEONI8MM) succeeded on %s", os.Getenv("QEMU_CPU"))
		}
	case "max":
		if !slices.Contains(s, kernels.NEONI8MM) || kernels.Best() != kernels.NEONI8MM {
			t.Errorf("QEMU_CPU=max has I8MM, but NEONI8MM is not the best tier (%v)", s)
		}
	}
}
