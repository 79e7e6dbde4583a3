package kernels

import (
	"fmt"
	"os"
	"strings"
)

// Tier is a family of kernel implementations, ordered from slowest to fastest
// on each architecture.
type Tier int

const (
	// Generic is the pure-Go implementation, available everywhere.
	Generic Tier = iota
	// AVX2 uses 256-bit AVX2 and FMA instructions (amd64).
	AVX2
	// NEON uses ARMv8 Advanced SIMD without the dot-product extension (arm64).
	NEON
	// NEONDot uses ARMv8.2 NEON with SDOT (arm64).
	NEONDot
	// AVX512 uses AVX-512 F, BW, VL and VNNI (amd64): 512-bit vectors,
	// mask registers and VPDPBUSD.
	AVX512
	// NEONI8MM is NEONDot plus the ARMv8.6 int8 matrix multiply (SMMLA) for
	// the prefill GEMMs (arm64).
	NEONI8MM
)

var tierNames = map[Tier]string{
	Generic:  "generic",
	AVX2:     "avx2",
	NEON:     "neon",
	NEONDot:  "neondot",
	AVX512:   "avx512",
	NEONI8MM: "neoni8mm",
}

func (t Tier) String() string {
	if s, ok := tierNames[t]; ok {
		return s
	}
	return fmt.Sprintf("tier(%d)", int(t))
}

// ParseTier parses a tier name as accepted by QUAMBA_KERNELS.
func ParseTier(s string) (Tier, error) {
	for t, name := range tierNames {
		if strings.EqualFold(s, name) {
			return t, nil
		}
	}
	return Generic, fmt.Errorf("unknown kernel tier %q (want generic, avx2, avx512, neon, neondot or neoni8mm)", s)
}

// EnvVar names the environment variable that forces a lower kernel tier.
const EnvVar = "QUAMBA_KERNELS"

// Supported lists the tiers this machine can run, slowest first. Generic is
// always present.
func Supported() []Tier {
	return append([]Tier{Generic}, archTiers()...)
}

// Best is the fastest tier this machine supports.
func Best() Tier {
	s := Supported()
	return s[len(s)-1]
}

// active is the tier in use, chosen once at start-up.
var active = chooseTier()

func chooseTier() Tier {
	best := Best()
	env := os.Getenv(EnvVar)
	if env == "" {
		return best
	}
	t, err := ParseTier(env)
	if err != nil {
		fmt.Fprintf(os.Stderr, "quamba: %s: %v; using %s\n", EnvVar, err, best)
		return best
	}
	if !Has(t) {
		fmt.Fprintf(os.Stderr, "quamba: %s=%s is not supported on this CPU; using %s\n", EnvVar, t, best)
		return best
	}
	return t
}

// Has reports whether this machine can run tier t.
func Has(t Tier) bool {
	for _, s := range Supported() {
		if s == t {
			return true
		}
	}
	return false
}

// Active reports the tier the package-level kernel functions run.
func Active() Tier { return active }

// SetTier switches the package-level kernels to tier t, which must be
// supported. It is meant for tests and benchmarks that compare tiers; it is
// not safe to call while kernels run on other goroutines.
func SetTier(t Tier) error {
	if !Has(t) {
		return fmt.Errorf("kernel tier %s is not supported on this CPU", t)
	}
	active = t
	return nil
}
