//go:build !noasm

package amd64

// MemReadAVX2 reads n bytes at p (n a multiple of 256) with 32-byte loads
// and returns the XOR of all their 8-byte little-endian words. It measures
// the read bandwidth the streaming kernels can reach. Requires AVX2.
//
//go:noescape
func MemReadAVX2(p *byte, n int) uint64
