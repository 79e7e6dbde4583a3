package kernels

import (
	"os"
	"runtime"
	"slices"
	"testing"
)

func TestParseTier(t *testing.T) {
	for _, tier := range []Tier{Generic, AVX2, AVX512, NEON, NEONDot, NEONI8MM} {
		got, err := ParseTier(tier.String())
		if err != nil || got != tier {
			t.Errorf("ParseTier(%q) = %v, %v", tier.String(), got, err)
		}
	}
	if _, err := ParseTier("avx1024"); err == nil {
		t.Error("an unknown tier parsed")
	}
}

// The tiers of this machine are listed slowest first, the active one is
// among them, and every tier test runs each of them. The wide tiers say
// when this machine cannot test them.
func TestSupportedTiers(t *testing.T) {
	s := Supported()
	if s[0] != Generic || !slices.Contains(s, Active()) {
		t.Fatalf("Supported() = %v, active %v", s, Active())
	}
	if os.Getenv(EnvVar) == "" && Active() != Best() {
		t.Errorf("active tier %v is not the best supported, %v", Active(), Best())
	}
	t.Logf("tiers on this machine: %v (active %v)", s, Active())
	switch runtime.GOARCH {
	case "amd64":
		if !Has(AVX512) {
			t.Skip("the AVX512 tier is not tested on this machine: the CPU (or the OS) lacks one of avx512f, avx512bw, avx512vl, avx512_vnni")
		}
	case "arm64":
		if !Has(NEONI8MM) {
			t.Skip("the NEONI8MM tier is not tested on this machine: the CPU lacks i8mm (run under qemu-aarch64 with QEMU_CPU=max to test it)")
		}
	}
}
