//go:build !noasm

package arm64_test

import (
	"os"
	"slices"
	"testing"

	"github.com/klauspost/cpuid/v2"
	"github.com/quamba/quamba/kernels"
)

// TestTierDetection logs the tiers package kernels selects and checks them
// against the CPU features: NEONDot (the SDOT kernels) only with the
// dot-product extension. Under qemu-user, QEMU_CPU=cortex-a53 is a core
// without it and QEMU_CPU=max one with it.
func TestTierDetection(t *testing.T) {
	s := kernels.Supported()
	t.Logf("QEMU_CPU=%q: CPU %q, ASIMD %v, ASIMDDP %v; kernels.Supported() = %v, Best() = %v",
		os.Getenv("QEMU_CPU"), cpuid.CPU.BrandName, cpuid.CPU.Supports(cpuid.ASIMD), cpuid.CPU.Supports(cpuid.ASIMDDP), s, kernels.Best())
	if got, want := slices.Contains(s, kernels.NEONDot), cpuid.CPU.Supports(cpuid.ASIMD, cpuid.ASIMDDP); got != want {
		t.Errorf("NEONDot supported = %v, CPU has ASIMD+ASIMDDP = %v", got, want)
	}
	if got, want := slices.Contains(s, kernels.NEON), cpuid.CPU.Supports(cpuid.ASIMD); got != want {
		t.Errorf("NEON supported = %v, CPU has ASIMD = %v", got, want)
	}
	switch os.Getenv("QEMU_CPU") {
	case "cortex-a53", "cortex-a57", "cortex-a72":
		if slices.Contains(s, kernels.NEONDot) {
			t.Errorf("%s has no dot product, but NEONDot is supported", os.Getenv("QEMU_CPU"))
		}
	case "max":
		if !slices.Contains(s, kernels.NEONDot) {
			t.Errorf("QEMU_CPU=max has the dot product, but NEONDot is not supported")
		}
	}
}
