//go:build !noasm

package amd64

// MemRead4AVX2 reads n bytes at p (n a multiple of 1024) as four sequential
// streams read in step, the four quarters of the buffer, with 32-byte loads,
// and returns the XOR of all their 8-byte little-endian words: the
// read-bandwidth yardstick for GemvF32AVX2, which streams four panels the
// same way. Requires AVX2.
//
//go:noescape
func MemRead4AVX2(p *byte, n int) uint64
