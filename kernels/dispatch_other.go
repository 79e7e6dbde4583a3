//go:build noasm || !(amd64 || arm64)

package kernels

func archTiers() []Tier { return nil }
